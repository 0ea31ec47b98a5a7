/* load-rss ROOT OBJECT TYPE:FUNCTION:TARGET N: runs N loads of one program in this one
 * process (as the server does) and prints the resident set growth in KiB. The loads are
 * expected to fail (a target that does not exist); what is measured is what their error
 * paths leave behind. Exit 1 when a load succeeds. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bpfman.h"

static long rss_kib(void)
{
	FILE *f = fopen("/proc/self/status", "re");
	char line[256];
	long v = -1;

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "VmRSS: %ld kB", &v) == 1)
			break;
	fclose(f);
	return v;
}

static int load_once(struct bpfman *m, const char *obj, struct bpfman_prog_request *req)
{
	struct bpfman_load_opts o = { .path = obj, .progs = req, .n_progs = 1 };
	struct bpfman_program_view *views = NULL;
	size_t n = 0;
	int r = bpfman_load(m, &o, &views, &n);

	if (r == 0) {
		for (size_t i = 0; i < n; i++)
			(void)bpfman_unload(m, views[i].kernel.id);
		bpfman_program_views_free(views, n);
		fprintf(stderr, "load unexpectedly succeeded\n");
		return 1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	struct bpfman_open_opts oo = { 0 };
	struct bpfman_prog_request req = { 0 };
	struct bpfman *m = NULL;
	char *spec, *fn, *target;
	long before;
	int n, r;

	if (argc != 5 || (n = atoi(argv[4])) <= 0) {
		fprintf(stderr, "usage: load-rss ROOT OBJECT TYPE:FUNCTION:TARGET N\n");
		return 2;
	}
	spec = strdup(argv[3]);
	fn = spec ? strchr(spec, ':') : NULL;
	target = fn ? strchr(fn + 1, ':') : NULL;
	if (!target) {
		fprintf(stderr, "bad program spec '%s'\n", argv[3]);
		return 2;
	}
	*fn++ = '\0';
	*target++ = '\0';
	req.type = bpfman_prog_type_from_string(spec);
	req.name = fn;
	req.attach_fn = target;
	oo.root = argv[1];
	oo.no_reconcile = true;
	r = bpfman_open(&oo, NULL, NULL, &m);
	if (r < 0) {
		fprintf(stderr, "open: %s\n", bpfman_error(m));
		return 1;
	}
	/* the first load pays for what stays for the process's life (libbpf's feature
	 * probes, SQLite's caches): measure from after it */
	if (load_once(m, argv[2], &req))
		return 1;
	fprintf(stderr, "first error: %s\n", bpfman_error(m));
	before = rss_kib();
	for (int i = 1; i < n; i++)
		if (load_once(m, argv[2], &req))
			return 1;
	printf("%ld\n", rss_kib() - before);
	bpfman_close(m);
	free(spec);
	return 0;
}
