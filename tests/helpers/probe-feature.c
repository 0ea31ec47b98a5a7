/* probe-feature NAME: exit 0 when the running kernel supports NAME (tracepoint, kprobe,
 * uprobe, fentry, lsm, tcx, freplace), else print the probed reason and exit 1. Tests skip on it. */
#include <stdio.h>

#include <bpf/libbpf.h>

#include "bpfman.h"

int main(int argc, char **argv)
{
	const char *why = "";
	int f, r;

	if (argc != 2 || (f = bpfman_feature_from_string(argv[1])) < 0) {
		fprintf(stderr, "usage: probe-feature tracepoint|kprobe|uprobe|fentry|lsm|tcx|freplace\n");
		return 2;
	}
	libbpf_set_print(NULL); /* the probe's failure is the answer, not noise */
	r = bpfman_feature_probe(f, &why);
	if (r == 1)
		return 0;
	printf("%s: %s\n", argv[1], why);
	return 1;
}
