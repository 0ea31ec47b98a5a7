/* bench-rpc: the server at scale, in one run:
 *   - its VmRSS idle (before any call), with --rss-at programs loaded (right after the
 *     loads, and again after answering some Lists and Gets), with all loaded, after the
 *     timed queries, and after unloading them all
 *   - --programs loads of tracepoint_counter over gRPC (one map directory each), timed
 *   - Get and List latency with those programs loaded, each call over gRPC alternating with
 *     the same query done in-process by libbpfman on the server's root (read-only, as the
 *     CLI's list does): the RPC's cost over the library's own
 *   - `bpfman list programs -o json` through the CLI (a process launch) for comparison,
 *     each launch alternating with `bpftool -j prog show` (--bpftool): the kernel's own
 *     listing of every program (no records, so it shows at least as many programs)
 *   - unloading them all, timed
 * Results go to stdout as "@ key value" lines (see run.sh), progress to stderr. */
#include <errno.h>
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bench-util.h"
#include "bpfman-client.h"

/* "@ rss.<what>_kib" (VmRSS), and its anonymous and file-backed parts. */
static void rss(pid_t pid, const char *what)
{
	static const char *const fields[] = { "VmRSS", "RssAnon", "RssFile" };
	static const char *const suffix[] = { "", "_anon", "_file" };
	char key[64];

	for (size_t i = 0; i < 3; i++) {
		long kib = bench_status_kib(pid, fields[i]);

		if (kib < 0)
			bench_die("cannot read %s of pid %d", fields[i], (int)pid);
		snprintf(key, sizeof(key), "rss.%s%s_kib", what, suffix[i]);
		bench_result(key, "%ld", kib);
	}
}

/* A server that has answered queries holds more than a freshly loaded one: five Lists and
 * a Get of every program, untimed, before the second reading at --rss-at. */
static void warm_queries(struct bpfman_client *c, const uint32_t *ids, size_t n_ids)
{
	const struct bpfman_list_filter f = { .all = false };

	for (int i = 0; i < 5; i++) {
		struct bpfman_program_view *v = NULL;
		size_t n = 0;

		if (bpfman_client_list(c, &f, &v, &n) < 0)
			bench_die("List over gRPC: %s", bpfman_client_error(c));
		bpfman_program_views_free(v, n);
	}
	for (size_t i = 0; i < n_ids; i++) {
		struct bpfman_program_view v = { 0 };

		if (bpfman_client_get(c, ids[i], &v) < 0)
			bench_die("Get %u over gRPC: %s", ids[i], bpfman_client_error(c));
		bpfman_program_view_clear(&v);
	}
}

/* One `bpftool -j prog show`, timed: the kernel's listing of every loaded program, the
 * peer of `bpfman list programs -o json` (which adds each program's record). */
static void time_bpftool_list(const char *bpftool, struct samples *s)
{
	char *argv_show[] = { (char *)bpftool, "-j", "prog", "show", NULL };
	char *out = NULL;
	double t0 = bench_now_ms();
	int st = bench_run(argv_show, &out);

	samples_add(s, bench_now_ms() - t0);
	if (st != 0)
		bench_die("bpftool prog show exited %d: %.500s", st, out ? out : "");
	free(out);
}

static void usage(FILE *f)
{
	fputs("usage: bench-rpc --socket PATH --server-pid PID --obj OBJ [--root DIR]\n"
	      "         [--programs N] [--rss-at N] [--get-iters N] [--list-iters N]\n"
	      "         [--cli PATH] [--cli-list-iters N] [--bpftool PATH]\n"
	      "  --root: the server's BPFMAN_ROOT, for the in-process peer (and the CLI's list)\n",
	      f);
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "socket", required_argument, NULL, 's' },
		{ "server-pid", required_argument, NULL, 'P' },
		{ "obj", required_argument, NULL, 'o' },
		{ "root", required_argument, NULL, 'r' },
		{ "programs", required_argument, NULL, 'n' },
		{ "rss-at", required_argument, NULL, 'R' },
		{ "get-iters", required_argument, NULL, 'g' },
		{ "list-iters", required_argument, NULL, 'l' },
		{ "cli", required_argument, NULL, 'c' },
		{ "cli-list-iters", required_argument, NULL, 'L' },
		{ "bpftool", required_argument, NULL, 'b' },
		{ "help", no_argument, NULL, 'h' },
		{}
	};
	const struct bpfman_prog_request req = { BPFMAN_PROG_TRACEPOINT, "tracepoint_counter" };
	const char *sock = NULL, *obj = NULL, *root = NULL, *cli = NULL, *bpftool = NULL;
	long n_progs = 1000, rss_at = 100, get_iters = 2000, list_iters = 100, cli_iters = 5;
	pid_t server = 0;
	struct samples load = { 0 }, unload = { 0 }, get_rpc = { 0 }, get_lib = { 0 };
	struct samples list_rpc = { 0 }, list_lib = { 0 }, list_cli = { 0 }, list_bpftool = { 0 };
	struct bpfman_client *c = NULL;
	struct bpfman *lib = NULL;
	uint32_t *ids;
	int opt, e;

	while ((opt = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (opt) {
		case 's':
			sock = optarg;
			break;
		case 'P':
			server = (pid_t)bench_parse_count("--server-pid", optarg, 1, 1 << 30);
			break;
		case 'o':
			obj = optarg;
			break;
		case 'r':
			root = optarg;
			break;
		case 'n':
			n_progs = bench_parse_count("--programs", optarg, 1, 100000);
			break;
		case 'R':
			rss_at = bench_parse_count("--rss-at", optarg, 1, 100000);
			break;
		case 'g':
			get_iters = bench_parse_count("--get-iters", optarg, 1, 10000000);
			break;
		case 'l':
			list_iters = bench_parse_count("--list-iters", optarg, 1, 1000000);
			break;
		case 'c':
			cli = optarg;
			break;
		case 'L':
			cli_iters = bench_parse_count("--cli-list-iters", optarg, 0, 10000);
			break;
		case 'b':
			bpftool = optarg;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (!sock || !server || !obj) {
		usage(stderr);
		return 2;
	}
	ids = calloc((size_t)n_progs, sizeof(*ids));
	if (!ids)
		bench_die("out of memory");

	rss(server, "idle");
	e = bpfman_client_connect(sock, 0, &c);
	if (e < 0)
		bench_die("cannot connect to %s: %s", sock, strerror(-e));
	if (root) {
		const struct bpfman_open_opts oo = { .root = root, .read_only = true };

		e = bpfman_open(&oo, NULL, NULL, &lib);
		if (e < 0)
			bench_die("cannot open the server's root %s in-process: %s", root,
				  lib ? bpfman_error(lib) : strerror(-e));
	}

	/* ---- load ---- */
	fprintf(stderr, "loading %ld programs over gRPC\n", n_progs);
	bench_result("scale.programs", "%ld", n_progs);
	bench_result("rss.at_programs", "%ld", rss_at);
	for (long i = 0; i < n_progs; i++) {
		const struct bpfman_load_opts lo = { .path = obj, .progs = &req, .n_progs = 1 };
		struct bpfman_program_view *v = NULL;
		size_t n = 0;
		double t0 = bench_now_ms();

		e = bpfman_client_load(c, &lo, &v, &n);
		samples_add(&load, bench_now_ms() - t0);
		if (e < 0 || n != 1) {
			/* what is loaded stays for the unload below */
			n_progs = i;
			fprintf(stderr, "load %ld failed: %s\n", i + 1, bpfman_client_error(c));
			bpfman_program_views_free(v, n);
			break;
		}
		ids[i] = v[0].kernel.id;
		bpfman_program_views_free(v, n);
		if (i + 1 == rss_at) {
			rss(server, "at");
			warm_queries(c, ids, (size_t)rss_at);
			rss(server, "at_queried");
		}
		if ((i + 1) % 100 == 0)
			fprintf(stderr, "  %ld/%ld loaded\n", i + 1, n_progs);
	}
	samples_report(&load, "scale.load");
	bench_result("scale.loaded", "%ld", n_progs);
	if (n_progs == 0)
		bench_die("nothing loaded");
	rss(server, "all_loaded");

	/* ---- Get: gRPC and in-process alternating, over every program in turn ---- */
	fprintf(stderr, "Get x%ld (gRPC and in-process, alternating)\n", get_iters);
	for (long i = 0; i < get_iters; i++) {
		uint32_t id = ids[i % n_progs];
		struct bpfman_program_view v = { 0 };
		double t0 = bench_now_ms();

		e = bpfman_client_get(c, id, &v);
		samples_add(&get_rpc, bench_now_ms() - t0);
		if (e < 0 || !v.program)
			bench_die("Get %u over gRPC: %s", id,
				  e < 0 ? bpfman_client_error(c) : "not managed");
		bpfman_program_view_clear(&v);
		if (!lib)
			continue;
		t0 = bench_now_ms();
		e = bpfman_get_program(lib, id, &v);
		samples_add(&get_lib, bench_now_ms() - t0);
		if (e < 0 || !v.program)
			bench_die("Get %u in-process: %s", id,
				  e < 0 ? bpfman_error(lib) : "not managed");
		bpfman_program_view_clear(&v);
	}
	samples_report(&get_rpc, "get.grpc");
	samples_report(&get_lib, "get.lib");

	/* ---- List of the managed programs ---- */
	fprintf(stderr, "List x%ld (gRPC and in-process, alternating)\n", list_iters);
	for (long i = 0; i < list_iters; i++) {
		const struct bpfman_list_filter f = { .all = false };
		struct bpfman_program_view *v = NULL;
		size_t n = 0;
		double t0 = bench_now_ms();

		e = bpfman_client_list(c, &f, &v, &n);
		samples_add(&list_rpc, bench_now_ms() - t0);
		if (e < 0 || n != (size_t)n_progs)
			bench_die("List over gRPC: %s (%zu programs, %ld expected)",
				  e < 0 ? bpfman_client_error(c) : "wrong count", n, n_progs);
		bpfman_program_views_free(v, n);
		if (!lib)
			continue;
		t0 = bench_now_ms();
		e = bpfman_list_programs(lib, &f, &v, &n);
		samples_add(&list_lib, bench_now_ms() - t0);
		if (e < 0 || n != (size_t)n_progs)
			bench_die("List in-process: %s (%zu programs)",
				  e < 0 ? bpfman_error(lib) : "wrong count", n);
		bpfman_program_views_free(v, n);
	}
	samples_report(&list_rpc, "list.grpc");
	samples_report(&list_lib, "list.lib");

	if (cli && root && cli_iters > 0) {
		char *argv_list[] = { (char *)cli, "list", "programs", "-o", "json", NULL };

		fprintf(stderr, "bpfman list programs -o json x%ld (CLI)\n", cli_iters);
		if (setenv("BPFMAN_ROOT", root, 1) < 0)
			bench_die("setenv: %s", strerror(errno));
		for (long i = 0; i < cli_iters; i++) {
			char *out = NULL;
			double t0 = bench_now_ms();
			int st = bench_run(argv_list, &out);

			samples_add(&list_cli, bench_now_ms() - t0);
			if (st != 0)
				bench_die("bpfman list programs exited %d: %.500s", st,
					  out ? out : "");
			free(out);
			if (bpftool)
				time_bpftool_list(bpftool, &list_bpftool);
		}
		samples_report(&list_cli, "list.cli");
		if (bpftool)
			samples_report(&list_bpftool, "list.bpftool");
	}
	rss(server, "after_queries");

	/* ---- unload them all ---- */
	fprintf(stderr, "unloading %ld programs over gRPC\n", n_progs);
	for (long i = 0; i < n_progs; i++) {
		double t0 = bench_now_ms();

		e = bpfman_client_unload(c, ids[i]);
		samples_add(&unload, bench_now_ms() - t0);
		if (e < 0)
			bench_die("unload %u: %s", ids[i], bpfman_client_error(c));
		if ((i + 1) % 200 == 0)
			fprintf(stderr, "  %ld/%ld unloaded\n", i + 1, n_progs);
	}
	samples_report(&unload, "scale.unload");
	rss(server, "after_unload");

	bpfman_close(lib);
	bpfman_client_close(c);
	free(ids);
	return 0;
}
