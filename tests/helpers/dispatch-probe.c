/* dispatch-probe: builds, runs, attaches and reads the multi-program XDP dispatcher of
 * bpf/xdp_dispatcher.bpf.c with libbpf alone, the way libxdp 1.3 does (protocol v2), so
 * the integration tests can prove the dispatcher in a real kernel before the library
 * grows an engine around it.
 *
 *   dispatch-probe freplace-ok [OBJ FUNC]
 *	Exit 0 when this kernel accepts an EXT (freplace) program against the dispatcher
 *	(loaded and linked to prog0); else print why and exit 1. Default component:
 *	xdp_counter of counters.bpf.o.
 *   dispatch-probe run [OPTIONS] [OBJ COMPONENT...]
 *	COMPONENT is FUNC[:PRIO[:ACTIONS]]: program FUNC of OBJ, run priority PRIO
 *	(default 50), ACTIONS a comma list of the XDP actions on which the chain goes on
 *	(aborted, drop, pass, tx, redirect, dispatcher_return or 0..31; "none" or empty
 *	for none; default pass). Builds a dispatcher with the components sorted by
 *	priority, then by name, then by position; runs it once (BPF_PROG_TEST_RUN) on a
 *	64-byte Ethernet/IPv4/UDP packet and prints the verdict (XDP_PASS, ..., or a
 *	number), then, when OBJ has a map named "hits", one line "FUNC COUNT" per
 *	component in command-line order: hits[k] for the k-th component, whose .rodata
 *	variable "slot" (if any) is set to k. All components share the maps of the first.
 *	--repeat N	run the packet N times
 *	--attach IFACE	then attach the dispatcher to IFACE over netlink and pin libxdp's
 *			layout, and exit leaving it in place
 *	--mode skb|native	attach mode (default skb)
 *	--hits-pin PATH	also pin the shared "hits" map at PATH
 *   dispatch-probe status IFACE
 *	Print the dispatcher on IFACE as libxdp's reader sees it (ours or libxdp's):
 *	"dispatcher ID MODE version V programs N", then "SLOT PRIO ACTIONS ID NAME".
 *   dispatch-probe detach IFACE
 *	Detach the dispatcher from IFACE (netlink, with the expected program) and
 *	remove its pin directory.
 * Common options: --pin DIR (the bpffs holding libxdp's xdp/ state directory; default
 * /sys/fs/bpf), --dispatcher FILE (default xdp_dispatcher.bpf.o in $BPF_OBJ_DIR, else in
 * ../../bpf next to this program), -v (libbpf's debug output).
 *
 * Pin layout (libxdp 1.3): DIR/xdp/dispatch-<ifindex>-<dispatcher prog id>/prog<i>-link
 * and prog<i>-prog, directories mode 0700, changed only under flock(LOCK_EX) of DIR/xdp.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <net/if.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>
#include <dirent.h>
#include <linux/if_link.h>

#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>

#include "dispatch-common.h"
#include "xdp_dispatcher.h"

#define BPF_FS_MAGIC_NUMBER 0xcafe4a11
#define DEFAULT_BPFFS	    "/sys/fs/bpf"
#define HITS_MAP	    "hits"

static const char *arg_pin = DEFAULT_BPFFS;
static const char *arg_dispatcher;
static const char *arg_attach;
static const char *arg_hits_pin;
static __u32 arg_mode = XDP_FLAGS_SKB_MODE;
static int arg_repeat = 1;

struct component {
	const char *func;
	__u32 prio;
	__u32 actions; /* proceed-on mask, without bit XDP_DISPATCHER_RETVAL */
	int pos;       /* position on the command line */
	struct bpf_object *obj;
	struct bpf_program *prog;
	int link_fd;
};

/* clang-format off */
static const char *const action_names[] = {
	[XDP_ABORTED] = "aborted",
	[XDP_DROP] = "drop",
	[XDP_PASS] = "pass",
	[XDP_TX] = "tx",
	[XDP_REDIRECT] = "redirect",
};
/* clang-format on */

static int parse_u32(const char *s, __u32 *ret)
{
	unsigned long v;
	char *end;

	if (*s < '0' || *s > '9') /* strtoul would take a sign or blanks */
		return -EINVAL;
	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || *end || v > UINT32_MAX)
		return -EINVAL;
	*ret = (__u32)v;
	return 0;
}

/* "pass,drop" -> mask; "none" or "" -> 0 */
static int parse_actions(const char *list, __u32 *ret)
{
	char buf[256], *save = NULL, *tok;
	__u32 mask = 0, n;

	if (strlen(list) >= sizeof(buf))
		return -EINVAL;
	strcpy(buf, list);
	for (tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		const char *name = strncasecmp(tok, "xdp_", 4) == 0 ? tok + 4 : tok;
		bool found = false;

		if (strcasecmp(name, "none") == 0)
			continue;
		if (strcasecmp(name, "dispatcher_return") == 0) {
			mask |= 1U << XDP_DISPATCHER_RETVAL;
			continue;
		}
		for (n = 0; n < sizeof(action_names) / sizeof(action_names[0]); n++)
			if (strcasecmp(name, action_names[n]) == 0) {
				mask |= 1U << n;
				found = true;
			}
		if (found)
			continue;
		if (parse_u32(name, &n) < 0 || n > 31)
			return -EINVAL;
		mask |= 1U << n;
	}
	*ret = mask;
	return 0;
}

static void print_actions(FILE *f, __u32 mask)
{
	const char *sep = "";

	mask &= ~(1U << XDP_DISPATCHER_RETVAL);
	if (!mask)
		fputs("none", f);
	for (__u32 n = 0; n < 32; n++) {
		if (!(mask & (1U << n)))
			continue;
		if (n < sizeof(action_names) / sizeof(action_names[0]))
			fprintf(f, "%s%s", sep, action_names[n]);
		else
			fprintf(f, "%s%u", sep, n);
		sep = ",";
	}
}

static void print_verdict(__u32 ret)
{
	static const char *const upper[] = {"XDP_ABORTED", "XDP_DROP", "XDP_PASS", "XDP_TX",
					    "XDP_REDIRECT"};

	if (ret < sizeof(upper) / sizeof(upper[0]))
		printf("%s\n", upper[ret]);
	else
		printf("%u\n", ret);
}

/* FUNC[:PRIO[:ACTIONS]] */
static int parse_component(char *spec, int pos, struct component *c)
{
	char *prio = strchr(spec, ':'), *actions = NULL;

	*c = (struct component){.func = spec,
				.prio = XDP_DISPATCHER_DEFAULT_PRIO,
				.actions = 1U << XDP_PASS,
				.pos = pos,
				.link_fd = -1};
	if (prio) {
		*prio++ = '\0';
		actions = strchr(prio, ':');
		if (actions)
			*actions++ = '\0';
		if (*prio && parse_u32(prio, &c->prio) < 0)
			return -EINVAL;
		if (actions && parse_actions(actions, &c->actions) < 0)
			return -EINVAL;
	}
	return *c->func ? 0 : -EINVAL;
}

/* libxdp's order: priority, then name; then the command line (qsort is not stable). */
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

static int prog_info(int fd, struct bpf_prog_info *info, __u32 *map_ids, __u32 nr_maps)
{
	__u32 len = sizeof(*info);

	memset(info, 0, sizeof(*info));
	if (map_ids) {
		info->nr_map_ids = nr_maps;
		info->map_ids = (__u64)(unsigned long)map_ids;
	}
	return bpf_obj_get_info_by_fd(fd, info, &len) < 0 ? -errno : 0;
}

/* Opens and loads the dispatcher with config *cfg. Only the main program is loaded (the
 * slot functions are its subprograms). */
static int dispatcher_load(const struct xdp_dispatcher_config *cfg, struct bpf_object **ret_obj)
{
	char path[PATH_MAX];
	struct bpf_object *obj;
	struct bpf_map *map, *rodata = NULL;
	int n = 0, r;

	if (arg_dispatcher)
		snprintf(path, sizeof(path), "%s", arg_dispatcher);
	else if ((r = bpf_obj_path("xdp_dispatcher.bpf.o", path, sizeof(path))) < 0)
		return r;
	obj = bpf_object__open_file(path, NULL);
	if (!obj) {
		r = -errno;
		fprintf(stderr, "dispatch-probe: %s: %s\n", path, strerror(-r));
		return r;
	}
	bpf_object__for_each_map(map, obj) {
		rodata = map;
		n++;
	}
	if (n != 1 || bpf_map__value_size(rodata) != sizeof(*cfg) ||
	    !bpf_object__find_program_by_name(obj, XDP_DISPATCHER_PROG_NAME)) {
		fprintf(stderr, "dispatch-probe: %s: not a v2 dispatcher object\n", path);
		bpf_object__close(obj);
		return -EINVAL;
	}
	r = bpf_map__set_initial_value(rodata, cfg, sizeof(*cfg));
	if (!r)
		r = bpf_object__load(obj);
	if (r) {
		if (!arg_quiet)
			fprintf(stderr, "dispatch-probe: loading the dispatcher: %s\n",
				strerror(-r));
		bpf_object__close(obj);
		return r;
	}
	*ret_obj = obj;
	return 0;
}

static int dispatcher_fd(struct bpf_object *obj)
{
	return bpf_program__fd(bpf_object__find_program_by_name(obj, XDP_DISPATCHER_PROG_NAME));
}

/* ---- libxdp's state directory ------------------------------------------------------ */

static int check_bpffs(const char *dir)
{
	struct statfs st;

	if (statfs(dir, &st) < 0)
		return -errno;
	return st.f_type == BPF_FS_MAGIC_NUMBER ? 0 : -ENOTDIR;
}

/* DIR/xdp, created 0700 if missing, opened and locked (flock LOCK_EX), as libxdp does. */
static int xdp_lock(void)
{
	char path[PATH_MAX];
	int fd, r;

	r = check_bpffs(arg_pin);
	if (r < 0) {
		fprintf(stderr, "dispatch-probe: %s is not a bpffs\n", arg_pin);
		return r;
	}
	snprintf(path, sizeof(path), "%s/xdp", arg_pin);
	if (mkdir(path, 0700) < 0 && errno != EEXIST)
		return -errno;
	fd = open(path, O_DIRECTORY | O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (flock(fd, LOCK_EX) < 0) {
		r = -errno;
		close(fd);
		return r;
	}
	return fd;
}

static void xdp_unlock(int fd)
{
	(void)flock(fd, LOCK_UN);
	close(fd);
}

static void dispatch_dir_name(char *buf, size_t len, int ifindex, __u32 disp_id)
{
	snprintf(buf, len, "dispatch-%d-%u", ifindex, disp_id);
}

/* Removes dispatch-<ifindex>-<id> under the locked xdp/ directory: every file in it (the
 * prog<i>-link / prog<i>-prog pins, whoever made them), then the directory. */
static int unpin_tree(int lock_fd, const char *name)
{
	struct dirent *de;
	DIR *d;
	int dfd, r = 0;

	dfd = openat(lock_fd, name, O_DIRECTORY | O_RDONLY | O_CLOEXEC);
	if (dfd < 0)
		return errno == ENOENT ? 0 : -errno;
	d = fdopendir(dfd);
	if (!d) {
		close(dfd);
		return -errno;
	}
	while ((de = readdir(d)))
		if (strcmp(de->d_name, ".") && strcmp(de->d_name, "..") &&
		    unlinkat(dirfd(d), de->d_name, 0) < 0)
			r = -errno;
	closedir(d);
	if (unlinkat(lock_fd, name, AT_REMOVEDIR) < 0 && !r)
		r = -errno;
	return r;
}

static int pin_tree(int lock_fd, const char *name, const struct component *c, int n)
{
	char path[PATH_MAX];
	int r;

	if (mkdirat(lock_fd, name, 0700) < 0)
		return -errno;
	for (int i = 0; i < n; i++) {
		snprintf(path, sizeof(path), "%s/xdp/%s/prog%d-link", arg_pin, name, i);
		if (bpf_obj_pin(c[i].link_fd, path) < 0)
			goto fail;
		snprintf(path, sizeof(path), "%s/xdp/%s/prog%d-prog", arg_pin, name, i);
		if (bpf_obj_pin(bpf_program__fd(c[i].prog), path) < 0)
			goto fail;
	}
	return 0;
fail:
	r = -errno;
	(void)unpin_tree(lock_fd, name);
	return r;
}

/* ---- commands ---------------------------------------------------------------------- */

static struct xdp_dispatcher_config config_for(const struct component *c, int n)
{
	struct xdp_dispatcher_config cfg = {
	    .magic = XDP_DISPATCHER_MAGIC,
	    .dispatcher_version = XDP_DISPATCHER_VERSION,
	    .num_progs_enabled = (__u8)n,
	};

	for (int i = 0; i < XDP_DISPATCHER_MAX_PROGS; i++)
		cfg.chain_call_actions[i] = 1U << XDP_DISPATCHER_RETVAL;
	for (int i = 0; i < n; i++) {
		cfg.chain_call_actions[i] |= c[i].actions;
		cfg.run_prios[i] = c[i].prio;
	}
	return cfg;
}

static int cmd_freplace_ok(int argc, char **argv)
{
	struct component c = {.actions = 1U << XDP_PASS, .prio = XDP_DISPATCHER_DEFAULT_PRIO};
	struct xdp_dispatcher_config cfg = config_for(&c, 1);
	struct bpf_object *disp = NULL, *obj = NULL;
	struct bpf_program *prog;
	char path[PATH_MAX];
	const char *func = "xdp_counter";
	int r, link_fd;

	arg_quiet = !arg_verbose;
	if (argc == 2) {
		snprintf(path, sizeof(path), "%s", argv[0]);
		func = argv[1];
	} else if (argc != 0) {
		fprintf(stderr, "usage: dispatch-probe freplace-ok [OBJ FUNC]\n");
		return 2;
	} else if (bpf_obj_path("counters.bpf.o", path, sizeof(path)) < 0) {
		printf("no path for counters.bpf.o\n");
		return 1;
	}
	r = dispatcher_load(&cfg, &disp);
	if (r < 0) {
		printf("loading the dispatcher: %s\n", strerror(-r));
		return 1;
	}
	r = component_load(path, func, dispatcher_fd(disp), "prog0", 0, NULL, &obj, &prog);
	if (r < 0) {
		printf("loading an EXT program against the dispatcher: %s\n", strerror(-r));
		bpf_object__close(disp);
		return 1;
	}
	link_fd = component_link(bpf_program__fd(prog), dispatcher_fd(disp), "prog0");
	if (link_fd < 0)
		printf("linking an EXT program to the dispatcher: %s\n", strerror(-link_fd));
	else
		close(link_fd);
	bpf_object__close(obj);
	bpf_object__close(disp);
	return link_fd < 0;
}

/* 64 bytes: Ethernet, IPv4 192.0.2.2 -> 192.0.2.1, UDP 4242 -> 4242, zero payload. */
static void make_packet(unsigned char pkt[64])
{
	static const unsigned char head[] = {
	    0x02, 0,	0,    0,    0, 0x01, 0x02, 0, 0,  0,  0, 0x02, 0x08, 0x00, /* eth */
	    0x45, 0,	0,    50,   0, 0,    0x40, 0, 64, 17, 0, 0,    192,  0,
	    2,	  2,	192,  0,    2, 1,	      /* ip */
	    0x10, 0x92, 0x10, 0x92, 0, 30,   0,	   0, /* udp, no checksum */
	};
	unsigned int sum = 0;

	memset(pkt, 0, 64);
	memcpy(pkt, head, sizeof(head));
	for (int i = 14; i < 34; i += 2)
		sum += (pkt[i] << 8) | pkt[i + 1];
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	sum = ~sum & 0xffff;
	pkt[24] = sum >> 8;
	pkt[25] = sum & 0xff;
}

static int attach_and_pin(int disp_fd, struct component *c, int n)
{
	LIBBPF_OPTS(bpf_xdp_attach_opts, opts);
	struct bpf_prog_info info;
	char name[64];
	int ifindex, lock_fd, r;

	ifindex = (int)if_nametoindex(arg_attach);
	if (!ifindex) {
		fprintf(stderr, "dispatch-probe: %s: %s\n", arg_attach, strerror(errno));
		return -ENODEV;
	}
	r = prog_info(disp_fd, &info, NULL, 0);
	if (r < 0)
		return r;
	dispatch_dir_name(name, sizeof(name), ifindex, info.id);
	lock_fd = xdp_lock();
	if (lock_fd < 0)
		return lock_fd;
	/* pin first, so that a reader never sees our dispatcher without its pins */
	r = pin_tree(lock_fd, name, c, n);
	if (r < 0) {
		fprintf(stderr, "dispatch-probe: pinning %s: %s\n", name, strerror(-r));
		goto out;
	}
	if (bpf_xdp_attach(ifindex, disp_fd, arg_mode | XDP_FLAGS_UPDATE_IF_NOEXIST, &opts) < 0) {
		r = -errno;
		fprintf(stderr, "dispatch-probe: attaching to %s: %s\n", arg_attach, strerror(-r));
		(void)unpin_tree(lock_fd, name);
	}
out:
	xdp_unlock(lock_fd);
	return r;
}

static int cmd_run(int argc, char **argv)
{
	struct component c[XDP_DISPATCHER_MAX_PROGS] = {};
	struct bpf_object *disp = NULL, *hits_obj = NULL;
	struct xdp_dispatcher_config cfg;
	struct bpf_map *hits = NULL;
	unsigned char pkt[64];
	int n = argc > 0 ? argc - 1 : 0, r, disp_fd;
	const char *path = argc > 0 ? argv[0] : NULL;

	if (argc == 1) {
		fprintf(stderr, "dispatch-probe run: OBJ without components\n");
		return 2;
	}
	if (n > XDP_DISPATCHER_MAX_PROGS) {
		fprintf(stderr, "dispatch-probe run: %d components, at most %d\n", n,
			XDP_DISPATCHER_MAX_PROGS);
		return 2;
	}
	for (int i = 0; i < n; i++)
		if (parse_component(argv[i + 1], i, &c[i]) < 0) {
			fprintf(stderr, "dispatch-probe run: bad component '%s'\n", argv[i + 1]);
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
			fprintf(stderr, "dispatch-probe: linking %s to %s: %s\n", c[i].func, target,
				strerror(-r));
			goto out;
		}
	}

	make_packet(pkt);
	{
		LIBBPF_OPTS(bpf_test_run_opts, topts, .data_in = pkt, .data_size_in = sizeof(pkt),
			    .repeat = arg_repeat);

		if (bpf_prog_test_run_opts(disp_fd, &topts) < 0) {
			r = -errno;
			fprintf(stderr, "dispatch-probe: BPF_PROG_TEST_RUN: %s\n", strerror(-r));
			goto out;
		}
		print_verdict(topts.retval);
	}
	if (hits_obj)
		hits = bpf_object__find_map_by_name(hits_obj, HITS_MAP);
	for (int k = 0; hits && k < n; k++) {
		__u64 v = 0;
		__u32 key = (__u32)k;
		const char *func = NULL;

		for (int i = 0; i < n; i++)
			if (c[i].pos == k)
				func = c[i].func;
		if (bpf_map_lookup_elem(bpf_map__fd(hits), &key, &v) < 0) {
			r = -errno;
			fprintf(stderr, "dispatch-probe: reading hits: %s\n", strerror(-r));
			goto out;
		}
		printf("%s %llu\n", func, (unsigned long long)v);
	}
	if (hits && arg_hits_pin && bpf_map__pin(hits, arg_hits_pin) < 0) {
		r = -errno;
		goto out;
	}
	if (arg_attach)
		r = attach_and_pin(disp_fd, c, n);
out:
	/* What is pinned and attached stays; the rest goes with our fds. */
	for (int i = 0; i < n; i++) {
		if (c[i].link_fd >= 0)
			close(c[i].link_fd);
		bpf_object__close(c[i].obj);
	}
	bpf_object__close(disp);
	return r < 0;
}

/* The XDP program on ifindex (drv before skb, as libxdp), with its attach-mode flag. */
static int query_iface(const char *iface, int *ret_ifindex, __u32 *ret_id, __u32 *ret_mode)
{
	LIBBPF_OPTS(bpf_xdp_query_opts, q);
	int ifindex = (int)if_nametoindex(iface);

	if (!ifindex) {
		fprintf(stderr, "dispatch-probe: %s: %s\n", iface, strerror(errno));
		return -ENODEV;
	}
	if (bpf_xdp_query(ifindex, 0, &q) < 0) {
		int r = -errno;

		fprintf(stderr, "dispatch-probe: query %s: %s\n", iface, strerror(-r));
		return r;
	}
	*ret_ifindex = ifindex;
	if (q.drv_prog_id) {
		*ret_id = q.drv_prog_id;
		*ret_mode = XDP_FLAGS_DRV_MODE;
	} else {
		*ret_id = q.skb_prog_id;
		*ret_mode = XDP_FLAGS_SKB_MODE;
	}
	return 0;
}

/* Reads and checks a dispatcher the way libxdp 1.3 does: name, one map with key 4,
 * value 124, one entry, BPF_F_RDONLY_PROG, magic and version 2. */
static int read_dispatcher(int fd, struct xdp_dispatcher_config *cfg)
{
	struct bpf_map_info minfo = {};
	struct bpf_prog_info info;
	__u32 map_ids[4], len = sizeof(minfo), key = 0;
	int r, map_fd;

	r = prog_info(fd, &info, map_ids, 4);
	if (r < 0)
		return r;
	if (strcmp(info.name, XDP_DISPATCHER_PROG_NAME) != 0 || !info.btf_id) {
		fprintf(stderr, "dispatch-probe: program %u (%s) is not a dispatcher\n", info.id,
			info.name);
		return -ENOTSUP;
	}
	if (info.nr_map_ids != 1) {
		fprintf(stderr, "dispatch-probe: dispatcher %u has %u maps\n", info.id,
			info.nr_map_ids);
		return -ENOTSUP;
	}
	map_fd = bpf_map_get_fd_by_id(map_ids[0]);
	if (map_fd < 0)
		return -errno;
	r = bpf_obj_get_info_by_fd(map_fd, &minfo, &len) < 0 ? -errno : 0;
	if (!r && (minfo.key_size != 4 || minfo.value_size != sizeof(*cfg) ||
		   minfo.max_entries != 1 || !(minfo.map_flags & BPF_F_RDONLY_PROG)))
		r = -EINVAL;
	if (!r && bpf_map_lookup_elem(map_fd, &key, cfg) < 0)
		r = -errno;
	close(map_fd);
	if (!r && (cfg->magic != XDP_DISPATCHER_MAGIC ||
		   cfg->dispatcher_version != XDP_DISPATCHER_VERSION ||
		   cfg->num_progs_enabled > XDP_DISPATCHER_MAX_PROGS))
		r = -EINVAL;
	if (r)
		fprintf(stderr, "dispatch-probe: dispatcher %u: config: %s\n", info.id,
			strerror(-r));
	return r;
}

static int cmd_status(int argc, char **argv)
{
	struct xdp_dispatcher_config cfg;
	struct bpf_prog_info info;
	char dir[64], path[PATH_MAX];
	__u32 id, mode;
	int ifindex, fd, lock_fd, r;

	if (argc != 1) {
		fprintf(stderr, "usage: dispatch-probe status IFACE\n");
		return 2;
	}
	if (query_iface(argv[0], &ifindex, &id, &mode) < 0)
		return 1;
	if (!id) {
		printf("none\n");
		return 0;
	}
	fd = bpf_prog_get_fd_by_id(id);
	if (fd < 0) {
		fprintf(stderr, "dispatch-probe: program %u: %s\n", id, strerror(errno));
		return 1;
	}
	r = read_dispatcher(fd, &cfg);
	close(fd);
	if (r < 0)
		return 1;
	printf("dispatcher %u %s version %u programs %u\n", id,
	       mode == XDP_FLAGS_SKB_MODE ? "skb" : "native", cfg.dispatcher_version,
	       cfg.num_progs_enabled);
	dispatch_dir_name(dir, sizeof(dir), ifindex, id);
	lock_fd = xdp_lock();
	if (lock_fd < 0)
		return 1;
	for (int i = 0; i < cfg.num_progs_enabled; i++) {
		snprintf(path, sizeof(path), "%s/xdp/%s/prog%d-prog", arg_pin, dir, i);
		fd = bpf_obj_get(path);
		r = fd < 0 ? -errno : prog_info(fd, &info, NULL, 0);
		if (fd >= 0)
			close(fd);
		if (r < 0) {
			fprintf(stderr, "dispatch-probe: %s: %s\n", path, strerror(-r));
			break;
		}
		printf("%d %u ", i, cfg.run_prios[i]);
		print_actions(stdout, cfg.chain_call_actions[i]);
		printf(" %u %s\n", info.id, info.name);
	}
	xdp_unlock(lock_fd);
	return r < 0;
}

static int cmd_detach(int argc, char **argv)
{
	LIBBPF_OPTS(bpf_xdp_attach_opts, opts);
	struct xdp_dispatcher_config cfg;
	char dir[64];
	__u32 id, mode;
	int ifindex, fd, lock_fd, r;

	if (argc != 1) {
		fprintf(stderr, "usage: dispatch-probe detach IFACE\n");
		return 2;
	}
	if (query_iface(argv[0], &ifindex, &id, &mode) < 0)
		return 1;
	if (!id) {
		fprintf(stderr, "dispatch-probe: no XDP program on %s\n", argv[0]);
		return 1;
	}
	fd = bpf_prog_get_fd_by_id(id);
	if (fd < 0)
		return 1;
	r = read_dispatcher(fd, &cfg);
	if (r < 0) {
		close(fd);
		return 1;
	}
	/* With the expected program (XDP_FLAGS_REPLACE): fails rather than detach a
	 * dispatcher that someone swapped in meanwhile. */
	opts.old_prog_fd = fd;
	if (bpf_xdp_detach(ifindex, mode, &opts) < 0) {
		r = -errno;
		fprintf(stderr, "dispatch-probe: detaching from %s: %s\n", argv[0], strerror(-r));
		close(fd);
		return 1;
	}
	close(fd);
	dispatch_dir_name(dir, sizeof(dir), ifindex, id);
	lock_fd = xdp_lock();
	if (lock_fd < 0)
		return 1;
	r = unpin_tree(lock_fd, dir);
	xdp_unlock(lock_fd);
	if (r < 0)
		fprintf(stderr, "dispatch-probe: removing %s: %s\n", dir, strerror(-r));
	return r < 0;
}

static void usage(void)
{
	fprintf(stderr,
		"usage: dispatch-probe [-v] [--pin DIR] [--dispatcher FILE] COMMAND ...\n"
		"  freplace-ok [OBJ FUNC]\n"
		"  run [--repeat N] [--attach IFACE [--mode skb|native] [--hits-pin PATH]]\n"
		"      [OBJ FUNC[:PRIO[:ACTIONS]]...]\n"
		"  status IFACE\n"
		"  detach IFACE\n");
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {{"pin", required_argument, NULL, 'p'},
					     {"dispatcher", required_argument, NULL, 'd'},
					     {"attach", required_argument, NULL, 'a'},
					     {"mode", required_argument, NULL, 'm'},
					     {"hits-pin", required_argument, NULL, 'H'},
					     {"repeat", required_argument, NULL, 'r'},
					     {"verbose", no_argument, NULL, 'v'},
					     {}};
	const char *cmd;
	__u32 u;
	int o;

	while ((o = getopt_long(argc, argv, "v", opts, NULL)) >= 0) {
		switch (o) {
		case 'p':
			arg_pin = optarg;
			break;
		case 'd':
			arg_dispatcher = optarg;
			break;
		case 'a':
			arg_attach = optarg;
			break;
		case 'H':
			arg_hits_pin = optarg;
			break;
		case 'v':
			arg_verbose = true;
			break;
		case 'm':
			if (strcmp(optarg, "skb") == 0)
				arg_mode = XDP_FLAGS_SKB_MODE;
			else if (strcmp(optarg, "native") == 0)
				arg_mode = XDP_FLAGS_DRV_MODE;
			else {
				usage();
				return 2;
			}
			break;
		case 'r':
			if (parse_u32(optarg, &u) < 0 || u == 0 || u > INT32_MAX) {
				usage();
				return 2;
			}
			arg_repeat = (int)u;
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
		return cmd_freplace_ok(argc, argv);
	if (strcmp(cmd, "run") == 0)
		return cmd_run(argc, argv);
	if (strcmp(cmd, "status") == 0)
		return cmd_status(argc, argv);
	if (strcmp(cmd, "detach") == 0)
		return cmd_detach(argc, argv);
	usage();
	return 2;
}
