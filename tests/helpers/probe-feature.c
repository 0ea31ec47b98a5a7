/* probe-feature NAME: exit 0 when the running kernel supports NAME (tracepoint, kprobe,
 * uprobe, fentry, lsm, tcx, freplace); exit 3 (EXIT_ABSENT) with the probed reason on stdout
 * when it does not. Tests skip only on 3: any other status (1: the probe itself failed,
 * 2: usage, or a crash or missing binary seen by the caller) is a failure. */
#include <stdio.h>
#include <string.h>

#include <bpf/libbpf.h>

#include "bpfman.h"

#define EXIT_ABSENT 3 /* tests/integration/lib.sh PROBE_FEATURE_ABSENT */

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
	if (r < 0) {
		fprintf(stderr, "probe-feature: probing %s failed: %s\n", argv[1], strerror(-r));
		return 1;
	}
	if (r == 1)
		return 0;
	printf("%s: %s\n", argv[1], why ? why : "not supported");
	return EXIT_ABSENT;
}
