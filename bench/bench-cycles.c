/* bench-cycles: one program's load + attach + detach + unload, timed per cycle, done four
 * ways in the same run:
 *   floor       in-process libbpf, the manager's kernel steps and nothing else (floor.c)
 *   grpc        bpfman-rpc through libbpfman-client (4 unary calls)
 *   cli         the bpfman CLI (4 process launches)
 *   xdp-loader  xdp-tools' loader: `load` and `unload -a` (2 process launches; XDP only)
 * The methods run interleaved, one cycle each per round, the order rotating every round,
 * so that drift in the machine's load affects them alike. Warm-up rounds are not counted.
 *
 * An interface takes one XDP program at a time (no dispatcher yet), and a detach by
 * unpinning (the manager's and the floor's) finishes asynchronously in the kernel: the
 * link is released after an RCU grace period. So after every XDP cycle the interface is
 * polled until it is free; that "settle" time is reported per method, outside the cycle.
 * xdp-loader detaches synchronously (netlink), inside its timed unload.
 *
 * The kernel's share is reported too: an XDP attach or detach updates the kernel's XDP
 * dispatcher, which waits for an RCU grace period (synchronize_rcu); membarrier(GLOBAL)
 * is one such wait and is timed on its own ("kernel.rcu_gp").
 *
 * Results go to stdout as "@ key value" lines (see run.sh), progress to stderr. */
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <net/if.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <linux/if_link.h>
#include <linux/membarrier.h>
#include <sys/syscall.h>

#include "bench-util.h"
#include "bpfman-client.h"
#include "floor.h"

enum step { STEP_LOAD, STEP_ATTACH, STEP_DETACH, STEP_UNLOAD, N_STEPS };
static const char *const step_names[N_STEPS] = { "load", "attach", "detach", "unload" };

struct ctx {
	bool xdp; /* else tracepoint */
	const char *obj, *func, *iface, *tracepoint;
	int ifindex;
	bool native; /* XDP driver mode instead of generic (skb) */
	const char *floor_fs;
	unsigned link_seq;
	struct bpfman_client *client;
	const char *cli, *xdp_loader, *xdpl_pin_dir;
	char err[1024];
};

struct method {
	const char *name;
	int (*cycle)(struct ctx *c, double t[N_STEPS]);
	/* total: the four steps; noattach: all but the attach; settle: after the cycle, until
	 * the kernel has freed the interface (XDP; untimed in total) */
	struct samples total, noattach, settle, steps[N_STEPS];
};

/* ---- floor ---- */

static int cycle_floor(struct ctx *c, double t[N_STEPS])
{
	struct floor_prog p;
	char link_pin[PATH_MAX];
	double t0 = bench_now_ms();
	int e;

	snprintf(link_pin, sizeof(link_pin), "%s/links/%u", c->floor_fs, ++c->link_seq);
	e = floor_load(c->floor_fs, c->obj, c->func, &p, c->err, sizeof(c->err));
	if (e < 0)
		return e;
	t[STEP_LOAD] = bench_now_ms() - t0;
	t0 = bench_now_ms();
	e = c->xdp ? floor_attach_xdp(&p, c->ifindex,
				      c->native ? XDP_FLAGS_DRV_MODE : XDP_FLAGS_SKB_MODE, link_pin,
				      c->err, sizeof(c->err))
		   : floor_attach_tracepoint(&p, c->tracepoint, link_pin, c->err, sizeof(c->err));
	if (e < 0) {
		(void)floor_unload(&p, NULL, 0);
		return e;
	}
	t[STEP_ATTACH] = bench_now_ms() - t0;
	t0 = bench_now_ms();
	e = floor_detach(link_pin, c->err, sizeof(c->err));
	t[STEP_DETACH] = bench_now_ms() - t0;
	t0 = bench_now_ms();
	if (e == 0)
		e = floor_unload(&p, c->err, sizeof(c->err));
	t[STEP_UNLOAD] = bench_now_ms() - t0;
	return e;
}

/* ---- gRPC ---- */

static int rpc_fail(struct ctx *c, int e, const char *what)
{
	snprintf(c->err, sizeof(c->err), "%s over gRPC: %s (%s)", what,
		 bpfman_client_error(c->client), strerror(-e));
	return e;
}

static int cycle_grpc(struct ctx *c, double t[N_STEPS])
{
	const struct bpfman_prog_request req = {
		.type = c->xdp ? BPFMAN_PROG_XDP : BPFMAN_PROG_TRACEPOINT,
		.name = (char *)c->func,
	};
	const struct bpfman_load_opts lo = { .path = c->obj, .progs = &req, .n_progs = 1 };
	const struct bpfman_attach_opts ao = {
		.type = req.type,
		.iface = c->xdp ? c->iface : NULL,
		.tracepoint = c->xdp ? NULL : c->tracepoint,
	};
	struct bpfman_program_view *views = NULL;
	uint32_t id, link;
	size_t n = 0;
	double t0 = bench_now_ms();
	int e;

	e = bpfman_client_load(c->client, &lo, &views, &n);
	t[STEP_LOAD] = bench_now_ms() - t0;
	if (e < 0)
		return rpc_fail(c, e, "load");
	id = n == 1 ? views[0].kernel.id : 0;
	bpfman_program_views_free(views, n);
	if (!id) {
		snprintf(c->err, sizeof(c->err), "load over gRPC returned %zu programs", n);
		return -EIO;
	}
	t0 = bench_now_ms();
	e = bpfman_client_attach(c->client, id, &ao, &link);
	t[STEP_ATTACH] = bench_now_ms() - t0;
	if (e < 0) {
		rpc_fail(c, e, "attach");
		(void)bpfman_client_unload(c->client, id);
		return e;
	}
	t0 = bench_now_ms();
	e = bpfman_client_detach(c->client, link);
	t[STEP_DETACH] = bench_now_ms() - t0;
	if (e < 0) {
		rpc_fail(c, e, "detach");
		(void)bpfman_client_unload(c->client, id);
		return e;
	}
	t0 = bench_now_ms();
	e = bpfman_client_unload(c->client, id);
	t[STEP_UNLOAD] = bench_now_ms() - t0;
	return e < 0 ? rpc_fail(c, e, "unload") : 0;
}

/* ---- processes: the CLI and xdp-loader ---- */

/* Runs argv, timing it; on failure keeps its output in c->err. */
static int run_timed(struct ctx *c, char *const argv[], double *ms, char **ret_out)
{
	char *out = NULL;
	double t0 = bench_now_ms();
	int st = bench_run(argv, &out);

	*ms = bench_now_ms() - t0;
	if (st != 0) {
		snprintf(c->err, sizeof(c->err), "%s %s exited %d: %s", argv[0], argv[1], st,
			 out ? out : strerror(errno));
		free(out);
		return -EIO;
	}
	if (ret_out)
		*ret_out = out;
	else
		free(out);
	return 0;
}

/* The number after `key` in text (after `after`, when given), or 0. */
static uint32_t number_after(const char *text, const char *after, const char *key)
{
	const char *p = after ? strstr(text, after) : text;

	p = p ? strstr(p, key) : NULL;
	return p ? (uint32_t)strtoul(p + strlen(key), NULL, 10) : 0;
}

static int cycle_cli(struct ctx *c, double t[N_STEPS])
{
	char spec[256], id_s[16], link_s[16], *out = NULL;
	uint32_t id, link = 0;
	int e;

	snprintf(spec, sizeof(spec), "%s:%s", c->xdp ? "xdp" : "tracepoint", c->func);
	char *load[] = { (char *)c->cli, "load", "file", "--programs", spec, "-p", (char *)c->obj,
			 "-o", "json", NULL };
	e = run_timed(c, load, &t[STEP_LOAD], &out);
	if (e < 0)
		return e;
	id = number_after(out, "\"kernel\"", "\"id\":");
	free(out);
	if (!id) {
		snprintf(c->err, sizeof(c->err), "no program id in the CLI's load output");
		return -EIO;
	}
	snprintf(id_s, sizeof(id_s), "%u", id);
	char *unload[] = { (char *)c->cli, "unload", id_s, NULL };
	char *attach_xdp[] = { (char *)c->cli, "attach", id_s, "xdp", "-i", (char *)c->iface,
			       NULL };
	char *attach_tp[] = { (char *)c->cli, "attach", id_s, "tracepoint", "-t",
			      (char *)c->tracepoint, NULL };
	e = run_timed(c, c->xdp ? attach_xdp : attach_tp, &t[STEP_ATTACH], &out);
	if (e == 0) {
		link = number_after(out, NULL, "Link ID:");
		free(out);
		if (!link) {
			snprintf(c->err, sizeof(c->err), "no link id in the CLI's attach output");
			e = -EIO;
		}
	}
	if (e < 0) {
		double ignored;
		char keep[sizeof(c->err)];

		memcpy(keep, c->err, sizeof(keep));
		(void)run_timed(c, unload, &ignored, NULL);
		memcpy(c->err, keep, sizeof(keep));
		return e;
	}
	snprintf(link_s, sizeof(link_s), "%u", link);
	char *detach[] = { (char *)c->cli, "detach", link_s, NULL };
	e = run_timed(c, detach, &t[STEP_DETACH], NULL);
	if (e < 0)
		return e;
	return run_timed(c, unload, &t[STEP_UNLOAD], NULL);
}

/* xdp-loader attaches with netlink as part of `load` and detaches synchronously in
 * `unload`, so its cycle is two steps; they are booked as load and unload. */
static int cycle_xdp_loader(struct ctx *c, double t[N_STEPS])
{
	char pin[PATH_MAX];
	int e;

	char *load[] = { (char *)c->xdp_loader, "load", "-m", c->native ? "native" : "skb",
			 "-s", "xdp", "-p", (char *)c->xdpl_pin_dir, (char *)c->iface,
			 (char *)c->obj, NULL };
	char *unload[] = { (char *)c->xdp_loader, "unload", "-a", (char *)c->iface, NULL };
	e = run_timed(c, load, &t[STEP_LOAD], NULL);
	if (e < 0)
		return e;
	t[STEP_ATTACH] = t[STEP_DETACH] = NAN;
	e = run_timed(c, unload, &t[STEP_UNLOAD], NULL);
	/* libbpf pins the object's pin-by-name map in -p DIR and leaves it there; removing it
	 * (untimed) makes every cycle create and pin it afresh, as the others do */
	snprintf(pin, sizeof(pin), "%s/shared_by_name", c->xdpl_pin_dir);
	(void)unlink(pin);
	return e;
}

/* Polls until the interface runs no XDP program; returns how long that took (ms). */
static double wait_xdp_free(struct ctx *c)
{
	double t0 = bench_now_ms();
	int e;

	while ((e = floor_xdp_free(c->ifindex)) == 0 && bench_now_ms() - t0 < 5000)
		usleep(100);
	if (e <= 0)
		bench_die("%s stays busy with an XDP program", c->iface);
	return bench_now_ms() - t0;
}

/* ---- main ---- */

static void usage(FILE *f)
{
	fputs("usage: bench-cycles --obj OBJ --kind xdp|tracepoint [--iface IFACE] [--native]\n"
	      "         [--methods floor,grpc,cli,xdp-loader] [--cycles N] [--warmup N]\n"
	      "         [--socket PATH] [--cli PATH] [--cli-root DIR] [--floor-fs DIR]\n"
	      "         [--xdp-loader PATH] [--xdp-loader-pin-dir DIR] [--rcu-samples N]\n"
	      "  --floor-fs: a directory on a bpffs (progs/, maps/, links/ are made in it)\n",
	      f);
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "obj", required_argument, NULL, 'o' },
		{ "kind", required_argument, NULL, 'k' },
		{ "iface", required_argument, NULL, 'i' },
		{ "native", no_argument, NULL, 'N' },
		{ "methods", required_argument, NULL, 'm' },
		{ "cycles", required_argument, NULL, 'n' },
		{ "warmup", required_argument, NULL, 'w' },
		{ "socket", required_argument, NULL, 's' },
		{ "cli", required_argument, NULL, 'c' },
		{ "cli-root", required_argument, NULL, 'r' },
		{ "floor-fs", required_argument, NULL, 'f' },
		{ "xdp-loader", required_argument, NULL, 'x' },
		{ "xdp-loader-pin-dir", required_argument, NULL, 'p' },
		{ "rcu-samples", required_argument, NULL, 'R' },
		{ "help", no_argument, NULL, 'h' },
		{}
	};
	struct method all[] = {
		{ .name = "floor", .cycle = cycle_floor },
		{ .name = "grpc", .cycle = cycle_grpc },
		{ .name = "cli", .cycle = cycle_cli },
		{ .name = "xdp-loader", .cycle = cycle_xdp_loader },
	};
	struct method *m[4];
	struct ctx c = { .tracepoint = "syscalls/sys_enter_getpid" };
	const char *methods = "floor,grpc,cli,xdp-loader", *kind = NULL, *sock = NULL;
	const char *cli_root = NULL;
	long cycles = 50, warmup = 3;
	size_t n_m = 0;
	struct samples rcu = { 0 };
	long rcu_samples = 20;
	char key[128];
	int opt;

	while ((opt = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (opt) {
		case 'o':
			c.obj = optarg;
			break;
		case 'k':
			kind = optarg;
			break;
		case 'i':
			c.iface = optarg;
			break;
		case 'N':
			c.native = true;
			break;
		case 'm':
			methods = optarg;
			break;
		case 'n':
			cycles = bench_parse_count("--cycles", optarg, 1, 100000);
			break;
		case 'w':
			warmup = bench_parse_count("--warmup", optarg, 0, 1000);
			break;
		case 's':
			sock = optarg;
			break;
		case 'c':
			c.cli = optarg;
			break;
		case 'r':
			cli_root = optarg;
			break;
		case 'f':
			c.floor_fs = optarg;
			break;
		case 'x':
			c.xdp_loader = optarg;
			break;
		case 'p':
			c.xdpl_pin_dir = optarg;
			break;
		case 'R':
			rcu_samples = bench_parse_count("--rcu-samples", optarg, 0, 10000);
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (!c.obj || !kind || (strcmp(kind, "xdp") && strcmp(kind, "tracepoint"))) {
		usage(stderr);
		return 2;
	}
	c.xdp = !strcmp(kind, "xdp");
	c.func = c.xdp ? "xdp_counter" : "tracepoint_counter";
	if (c.xdp) {
		if (!c.iface)
			bench_die("--iface is needed for xdp");
		c.ifindex = (int)if_nametoindex(c.iface);
		if (!c.ifindex)
			bench_die("no interface %s", c.iface);
	}

	/* the selected methods, in the order given */
	for (const char *p = methods; *p;) {
		size_t len = strcspn(p, ",");
		size_t i;

		for (i = 0; i < 4; i++)
			if (strlen(all[i].name) == len && !strncmp(all[i].name, p, len))
				break;
		if (i == 4)
			bench_die("unknown method '%.*s'", (int)len, p);
		if (i == 3 && !c.xdp)
			bench_die("xdp-loader only loads XDP programs");
		for (size_t j = 0; j < n_m; j++)
			if (m[j] == &all[i])
				bench_die("method '%s' named twice", all[i].name);
		m[n_m++] = &all[i];
		p += len + (p[len] == ',');
	}
	for (size_t i = 0; i < n_m; i++) {
		if (m[i]->cycle == cycle_floor && !c.floor_fs)
			bench_die("floor: --floor-fs is needed");
		if (m[i]->cycle == cycle_cli && !c.cli)
			bench_die("cli: --cli is needed");
		if (m[i]->cycle == cycle_xdp_loader && (!c.xdp_loader || !c.xdpl_pin_dir))
			bench_die("xdp-loader: --xdp-loader and --xdp-loader-pin-dir are needed");
		if (m[i]->cycle == cycle_grpc && !c.client) {
			int e = bpfman_client_connect(sock, 0, &c.client);

			if (e < 0)
				bench_die("cannot connect to %s: %s",
					  sock ? sock : "the default socket", strerror(-e));
		}
	}
	if (cli_root && setenv("BPFMAN_ROOT", cli_root, 1) < 0)
		bench_die("setenv: %s", strerror(errno));
	if (c.floor_fs) {
		const char *sub[] = { "progs", "maps", "links" };

		for (size_t i = 0; i < 3; i++) {
			char d[PATH_MAX];

			snprintf(d, sizeof(d), "%s/%s", c.floor_fs, sub[i]);
			if (mkdir(d, 0700) < 0 && errno != EEXIST)
				bench_die("cannot make %s: %s", d, strerror(errno));
		}
	}

	if (rcu_samples > 0) {
		/* membarrier(GLOBAL) is one synchronize_rcu(): the grace period an XDP attach and
		 * detach wait for (the kernel's XDP dispatcher update) */
		for (long i = 0; i < rcu_samples; i++) {
			double t0 = bench_now_ms();

			if (syscall(__NR_membarrier, MEMBARRIER_CMD_GLOBAL, 0, 0) < 0)
				break;
			samples_add(&rcu, bench_now_ms() - t0);
		}
		samples_report(&rcu, "kernel.rcu_gp");
	}

	fprintf(stderr, "%s cycles: %ld rounds (+%ld warm-up) of %s\n", kind, cycles, warmup,
		methods);
	if (c.xdp)
		(void)wait_xdp_free(&c);
	for (long r = 0; r < warmup + cycles; r++) {
		for (size_t k = 0; k < n_m; k++) {
			struct method *x = m[(k + (size_t)r) % n_m];
			double t[N_STEPS] = { 0 }, sum = 0, settle = 0;

			if (x->cycle(&c, t) < 0)
				bench_die("%s cycle %ld: %s", x->name, r + 1, c.err);
			if (c.xdp)
				settle = wait_xdp_free(&c);
			if (r < warmup)
				continue;
			for (int s = 0; s < N_STEPS; s++) {
				if (isnan(t[s]))
					continue;
				samples_add(&x->steps[s], t[s]);
				sum += t[s];
			}
			samples_add(&x->total, sum);
			if (!isnan(t[STEP_ATTACH]))
				samples_add(&x->noattach, sum - t[STEP_ATTACH]);
			if (c.xdp)
				samples_add(&x->settle, settle);
		}
		if ((r + 1) % 10 == 0)
			fprintf(stderr, "  %ld/%ld rounds\n", r + 1, warmup + cycles);
	}

	for (size_t i = 0; i < n_m; i++) {
		snprintf(key, sizeof(key), "cycle.%s.%s.total", kind, m[i]->name);
		samples_report(&m[i]->total, key);
		snprintf(key, sizeof(key), "cycle.%s.%s.noattach", kind, m[i]->name);
		samples_report(&m[i]->noattach, key);
		if (c.xdp) {
			snprintf(key, sizeof(key), "cycle.%s.%s.settle", kind, m[i]->name);
			samples_report(&m[i]->settle, key);
		}
		for (int s = 0; s < N_STEPS; s++) {
			snprintf(key, sizeof(key), "cycle.%s.%s.%s", kind, m[i]->name,
				 step_names[s]);
			samples_report(&m[i]->steps[s], key);
		}
	}
	bpfman_client_close(c.client);
	return 0;
}
