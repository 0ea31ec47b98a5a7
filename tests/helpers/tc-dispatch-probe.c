/* tc-dispatch-probe: builds and runs the multi-program TC dispatcher of
 * bpf/tc_dispatcher.bpf.c with libbpf alone, so the integration tests can prove the
 * dispatcher in a real kernel before the library grows an engine around it. The TC
 * counterpart of dispatch-probe (which does the same for XDP).
 *
 *   tc-dispatch-probe freplace-ok
 *	Exit 0 when this kernel accepts an EXT (freplace) program against the dispatcher
 *	(tc_act_ok of tc_dispatcher_test.bpf.o, loaded and linked to prog0); else print
 *	why and exit 1.
 *   tc-dispatch-probe run [--repeat N] [OBJ COMPONENT...]
 *	COMPONENT is FUNC[:PRIO[:ACTIONS]]: program FUNC of OBJ, run priority PRIO
 *	(default 50), ACTIONS a comma list of the TC actions on which the chain goes on
 *	(unspec, ok, reclassify, shot, pipe, stolen, queued, repeat, redirect, trap,
 *	dispatcher_return or -1..30; "none" for none; omitted or empty: pipe, as bpfman
 *	does for an empty proceed-on). dispatcher_return is always added. Builds a
 *	dispatcher with the components sorted by priority, then by name, then by position;
 *	runs it (BPF_PROG_TEST_RUN, __sk_buff context) on a 64-byte Ethernet/IPv4/UDP packet
 *	and prints the verdict (TC_ACT_OK, ..., or a number), then, when OBJ has a map
 *	named "hits", one line "FUNC COUNT" per component in command-line order: hits[k]
 *	for the k-th component, whose .rodata variable "slot" (if any) is set to k. All
 *	components share the maps of the first.
 * Objects: the dispatcher is tc_dispatcher.bpf.o in $BPF_OBJ_DIR, else in ../../bpf next to
 * this program. -v: libbpf's debug output.
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>
#include <linux/pkt_cls.h>

#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>

#include "dispatch-common.h"
#include "tc_dispatcher.h"

#define DEFAULT_PRIO 50
#define HITS_MAP     "hits"
#define ALWAYS	     TC_DISPATCHER_ACTION_BIT(TC_DISPATCHER_RETVAL)
#define N_ACTIONS    (TC_ACT_VALUE_MAX + 2) /* -1 .. TC_ACT_TRAP */

static int arg_repeat = 1;

struct component {
	const char *func;
	__u32 prio;
	__u32 actions; /* proceed-on mask, without the dispatcher_return bit */
	int pos;       /* position on the command line */
	struct bpf_object *obj;
	struct bpf_program *prog;
	int link_fd;
};

/* Index: action + 1. */
static const char *const action_names[N_ACTIONS] = {
    "unspec", "ok", "reclassify", "shot", "pipe", "stolen", "queued", "repeat", "redirect", "trap",
};

static int parse_int(const char *s, long min, long max, long *ret)
{
	long v;
	char *end;

	if (!((*s >= '0' && *s <= '9') || (*s == '-' && s[1] >= '0' && s[1] <= '9')))
		return -EINVAL;
	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || *end || v < min || v > max)
		return -EINVAL;
	*ret = v;
	return 0;
}

/* "pipe,shot" -> mask; "none" -> 0; "" -> pipe */
static int parse_actions(const char *list, __u32 *ret)
{
	char buf[256], *save = NULL, *tok;
	__u32 mask = 0;
	long n;

	if (!*list) {
		*ret = TC_DISPATCHER_ACTION_BIT(TC_ACT_PIPE);
		return 0;
	}
	if (strlen(list) >= sizeof(buf))
		return -EINVAL;
	strcpy(buf, list);
	for (tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		const char *name = strncasecmp(tok, "tc_act_", 7) == 0 ? tok + 7 : tok;
		bool found = false;

		if (strcasecmp(name, "none") == 0)
			continue;
		if (strcasecmp(name, "dispatcher_return") == 0) {
			mask |= ALWAYS;
			continue;
		}
		for (n = 0; n < N_ACTIONS; n++)
			if (strcasecmp(name, action_names[n]) == 0) {
				mask |= TC_DISPATCHER_ACTION_BIT(n - 1);
				found = true;
			}
		if (found)
			continue;
		if (parse_int(name, -1, TC_DISPATCHER_RETVAL, &n) < 0)
			return -EINVAL;
		mask |= TC_DISPATCHER_ACTION_BIT(n);
	}
	*ret = mask;
	return 0;
}

static void print_verdict(__u32 retval)
{
	int ret = (int)retval;

	if (ret >= -1 && ret < N_ACTIONS - 1) {
		printf("TC_ACT_");
		for (const char *p = action_names[ret + 1]; *p; p++)
			putchar(*p - 'a' + 'A');
		putchar('\n');
	} else {
		printf("%d\n", ret);
	}
}

/* FUNC[:PRIO[:ACTIONS]] */
static int parse_component(char *spec, int pos, struct component *c)
{
	char *prio = strchr(spec, ':'), *actions = NULL;
	long p;

	*c = (struct component){.func = spec,
				.prio = DEFAULT_PRIO,
				.actions = TC_DISPATCHER_ACTION_BIT(TC_ACT_PIPE),
				.pos = pos,
				.link_fd = -1};
	if (prio) {
		*prio++ = '\0';
		actions = strchr(prio, ':');
		if (actions)
			*actions++ = '\0';
		if (*prio) {
			if (*prio == '-' || parse_int(prio, 0, UINT32_MAX, &p) < 0)
				return -EINVAL;
			c->prio = (__u32)p;
		}
		if (actions && parse_actions(actions, &c->actions) < 0)
			return -EINVAL;
	}
	return *c->func ? 0 : -EINVAL;
}

/* Priority, then name; then the command line (qsort is not stable). */
static int component_cmp(const void *a, const void *b)
{
	const struct component *x = a, *y = b;
	int r;

	if (x->prio != y->prio)
		return x->prio < y->prio ? -1 : 1;
	r = strcmp(x->func, y->func);
	if (r)
		return r;
	return x->pos - y->pos;
}

/* Opens and loads the dispatcher with config *cfg (only the main program is loaded: the
 * slot functions are its subprograms). */
static int dispatcher_load(const struct tc_dispatcher_config *cfg, struct bpf_object **ret_obj)
{
	char path[PATH_MAX];
	struct bpf_object *obj;
	struct bpf_map *map, *rodata = NULL;
	int n = 0, r;

	if ((r = bpf_obj_path("tc_dispatcher.bpf.o", path, sizeof(path))) < 0)
		return r;
	obj = bpf_object__open_file(path, NULL);
	if (!obj) {
		r = -errno;
		if (!arg_quiet)
			fprintf(stderr, "tc-dispatch-probe: %s: %s\n", path, strerror(-r));
		return r;
	}
	bpf_object__for_each_map(map, obj) {
		rodata = map;
		n++;
	}
	if (n != 1 || bpf_map__value_size(rodata) != sizeof(*cfg) ||
	    !bpf_object__find_program_by_name(obj, TC_DISPATCHER_PROG_NAME)) {
		fprintf(stderr, "tc-dispatch-probe: %s: not a TC dispatcher object\n", path);
		bpf_object__close(obj);
		return -EINVAL;
	}
	r = bpf_map__set_initial_value(rodata, cfg, sizeof(*cfg));
	if (!r)
		r = bpf_object__load(obj);
	if (r) {
		if (!arg_quiet)
			fprintf(stderr, "tc-dispatch-probe: loading the dispatcher: %s\n",
				strerror(-r));
		bpf_object__close(obj);
		return r;
	}
	*ret_obj = obj;
	return 0;
}

static int dispatcher_fd(struct bpf_object *obj)
{
	return bpf_program__fd(bpf_object__find_program_by_name(obj, TC_DISPATCHER_PROG_NAME));
}

static struct tc_dispatcher_config config_for(const struct component *c, int n)
{
	struct tc_dispatcher_config cfg = {.num_progs_enabled = (__u8)n};

	for (int i = 0; i < TC_DISPATCHER_MAX_PROGS; i++)
		cfg.chain_call_actions[i] = ALWAYS;
	for (int i = 0; i < n; i++) {
		cfg.chain_call_actions[i] |= c[i].actions;
		cfg.run_prios[i] = c[i].prio;
	}
	return cfg;
}

static void usage(void)
{
	fprintf(stderr, "usage: tc-dispatch-probe [-v] COMMAND ...\n"
			"  freplace-ok\n"
			"  run [--repeat N] [OBJ FUNC[:PRIO[:ACTIONS]]...]\n");
}

static int cmd_freplace_ok(int argc)
{
	struct component c = {.prio = DEFAULT_PRIO};
	struct tc_dispatcher_config cfg = config_for(&c, 1);
	struct bpf_object *disp = NULL;
	char path[PATH_MAX];
	int r, link_fd;

	arg_quiet = !arg_verbose;
	if (argc != 0) {
		usage();
		return 2;
	}
	if (bpf_obj_path("tc_dispatcher_test.bpf.o", path, sizeof(path)) < 0) {
		printf("no path for tc_dispatcher_test.bpf.o\n");
		return 1;
	}
	r = dispatcher_load(&cfg, &disp);
	if (r < 0) {
		printf("loading the TC dispatcher: %s\n", strerror(-r));
		return 1;
	}
	r = component_load(path, "tc_act_ok", dispatcher_fd(disp), "prog0", 0, NULL, &c.obj, &c.prog);
	if (r < 0) {
		printf("loading an EXT program against the TC dispatcher: %s\n", strerror(-r));
		bpf_object__close(disp);
		return 1;
	}
	link_fd = component_link(bpf_program__fd(c.prog), dispatcher_fd(disp), "prog0");
	if (link_fd < 0)
		printf("linking an EXT program to the TC dispatcher: %s\n", strerror(-link_fd));
	else
		close(link_fd);
	bpf_object__close(c.obj);
	bpf_object__close(disp);
	return link_fd < 0;
}

/* 64 bytes: Ethernet, IPv4 192.0.2.2 -> 192.0.2.1 (header checksum 0xb6b7), UDP 4242 ->
 * 4242 without checksum, zero payload. */
static const unsigned char packet[64] = {
    0x02, 0, 0, 0, 0, 0x01, 0x02, 0, 0, 0, 0, 0x02, 0x08, 0,		     /* eth */
    0x45, 0, 0, 50, 0, 0, 0x40, 0, 64, 17, 0xb6, 0xb7, 192, 0, 2, 2, 192, 0, 2, 1, /* ip */
    0x10, 0x92, 0x10, 0x92, 0, 30, 0, 0,				     /* udp */
};

static int print_hits(struct bpf_map *hits, const struct component *c, int n)
{
	for (int k = 0; k < n; k++) {
		__u32 key = (__u32)k;
		const char *func = NULL;
		__u64 v = 0;

		for (int i = 0; i < n; i++)
			if (c[i].pos == k)
				func = c[i].func;
		if (bpf_map_lookup_elem(bpf_map__fd(hits), &key, &v) < 0) {
			fprintf(stderr, "tc-dispatch-probe: reading hits: %s\n", strerror(errno));
			return -1;
		}
		printf("%s %llu\n", func, (unsigned long long)v);
	}
	return 0;
}

static int cmd_run(int argc, char **argv)
{
	struct component c[TC_DISPATCHER_MAX_PROGS] = {};
	struct bpf_object *disp = NULL, *hits_obj = NULL;
	struct tc_dispatcher_config cfg;
	struct bpf_map *hits = NULL;
	int n = argc > 0 ? argc - 1 : 0, r, disp_fd;
	const char *path = argc > 0 ? argv[0] : NULL;

	if (argc == 1) {
		fprintf(stderr, "tc-dispatch-probe run: OBJ without components\n");
		return 2;
	}
	if (n > TC_DISPATCHER_MAX_PROGS) {
		fprintf(stderr, "tc-dispatch-probe run: %d components, at most %d\n", n,
			TC_DISPATCHER_MAX_PROGS);
		return 2;
	}
	for (int i = 0; i < n; i++)
		if (parse_component(argv[i + 1], i, &c[i]) < 0) {
			fprintf(stderr, "tc-dispatch-probe run: bad component '%s'\n", argv[i + 1]);
			return 2;
		}
	qsort(c, n, sizeof(c[0]), component_cmp);
	cfg = config_for(c, n);
	r = dispatcher_load(&cfg, &disp);
	if (r < 0)
		return 1;
	disp_fd = dispatcher_fd(disp);
	/* One bpf_object per component: a program of an object loads only once. */
	for (int i = 0; i < n; i++) {
		char target[16];

		snprintf(target, sizeof(target), "prog%d", i);
		r = component_load(path, c[i].func, disp_fd, target, c[i].pos, hits_obj, &c[i].obj,
				   &c[i].prog);
		if (r < 0)
			goto out;
		if (!hits_obj)
			hits_obj = c[i].obj;
		c[i].link_fd = component_link(bpf_program__fd(c[i].prog), disp_fd, target);
		if (c[i].link_fd < 0) {
			r = c[i].link_fd;
			fprintf(stderr, "tc-dispatch-probe: linking %s to %s: %s\n", c[i].func,
				target, strerror(-r));
			goto out;
		}
	}

	{
		LIBBPF_OPTS(bpf_test_run_opts, topts, .data_in = packet,
			    .data_size_in = sizeof(packet),
			    .repeat = arg_repeat);

		if (bpf_prog_test_run_opts(disp_fd, &topts) < 0) {
			r = -errno;
			fprintf(stderr, "tc-dispatch-probe: BPF_PROG_TEST_RUN: %s\n", strerror(-r));
			goto out;
		}
		print_verdict(topts.retval);
	}
	if (hits_obj)
		hits = bpf_object__find_map_by_name(hits_obj, HITS_MAP);
	if (hits && print_hits(hits, c, n) < 0)
		r = -EIO;
out:
	for (int i = 0; i < n; i++) {
		if (c[i].link_fd >= 0)
			close(c[i].link_fd);
		bpf_object__close(c[i].obj);
	}
	bpf_object__close(disp);
	return r < 0;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {{"repeat", required_argument, NULL, 'r'},
					     {"verbose", no_argument, NULL, 'v'},
					     {}};
	const char *cmd;
	long v;
	int o;

	while ((o = getopt_long(argc, argv, "v", opts, NULL)) >= 0) {
		switch (o) {
		case 'v':
			arg_verbose = true;
			break;
		case 'r':
			if (parse_int(optarg, 1, INT32_MAX, &v) < 0) {
				usage();
				return 2;
			}
			arg_repeat = (int)v;
			break;
		default:
			usage();
			return 2;
		}
	}
	if (optind >= argc) {
		usage();
		return 2;
	}
	libbpf_set_print(dispatch_libbpf_print);
	cmd = argv[optind++];
	argc -= optind;
	argv += optind;
	if (strcmp(cmd, "freplace-ok") == 0)
		return cmd_freplace_ok(argc);
	if (strcmp(cmd, "run") == 0)
		return cmd_run(argc, argv);
	usage();
	return 2;
}
