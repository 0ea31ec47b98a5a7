/* The dispatcher programs themselves: the embedded objects (bpf/xdp_dispatcher.bpf.c,
 * bpf/tc_dispatcher.bpf.c, each plain and counting), loading a revision with its config,
 * the template members are loaded against, and the freplace probe. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>

#include "cleanup.h"
#include "dispatcher-internal.h"
#include "probe-errno.h"

extern const unsigned char xdp_dispatcher_obj[], xdp_dispatcher_stats_obj[];
extern const unsigned char tc_dispatcher_obj[], tc_dispatcher_stats_obj[];
extern const size_t xdp_dispatcher_obj_len, xdp_dispatcher_stats_obj_len;
extern const size_t tc_dispatcher_obj_len, tc_dispatcher_stats_obj_len;

DEFINE_TRIVIAL_CLEANUP_FUNC(struct bpf_object *, bpf_object__close)

const char *dispatcher_prog_name(enum dispatcher_kind kind)
{
	return kind == DISPATCHER_XDP ? XDP_DISPATCHER_PROG_NAME : TC_DISPATCHER_PROG_NAME;
}

uint32_t dispatcher_mask(enum dispatcher_kind kind, const int32_t *proceed_on, size_t n)
{
	uint32_t mask = 0;

	for (size_t i = 0; i < n; i++) {
		int32_t v = proceed_on[i];

		if (kind == DISPATCHER_XDP && v >= 0 && v < 32)
			mask |= 1U << v;
		else if (kind != DISPATCHER_XDP && v >= -1 && v < 31)
			mask |= 1U << (v + 1);
	}
	/* dispatcher_return is in every slot's mask anyway (the config adds it); without it
	 * here, masks compare equal to those read back from a config */
	return mask & ~(1U << 31);
}

/* The .rodata map of a dispatcher object: the config. */
static struct bpf_map *config_map(struct bpf_object *obj)
{
	struct bpf_map *map;

	bpf_object__for_each_map(map, obj) {
		const char *name = bpf_map__name(map), *dot = strrchr(name, '.');

		if (dot && strcmp(dot, ".rodata") == 0)
			return map;
	}
	return NULL;
}

int dispatcher_prog_load(enum dispatcher_kind kind, bool stats, const void *config,
			 size_t config_len, struct bpf_object **ret)
{
	LIBBPF_OPTS(bpf_object_open_opts, oo, .object_name = dispatcher_prog_name(kind));
	_cleanup_(bpf_object__closep) struct bpf_object *obj = NULL;
	const unsigned char *bytes;
	struct bpf_map *conf;
	size_t len;
	int r;

	if (kind == DISPATCHER_XDP) {
		bytes = stats ? xdp_dispatcher_stats_obj : xdp_dispatcher_obj;
		len = stats ? xdp_dispatcher_stats_obj_len : xdp_dispatcher_obj_len;
	} else {
		bytes = stats ? tc_dispatcher_stats_obj : tc_dispatcher_obj;
		len = stats ? tc_dispatcher_stats_obj_len : tc_dispatcher_obj_len;
	}
	obj = bpf_object__open_mem(bytes, len, &oo);
	if (!obj)
		return -errno;
	conf = config_map(obj);
	if (!conf || bpf_map__value_size(conf) != config_len)
		return -EINVAL; /* a build that broke the protocol's layout */
	r = bpf_map__set_initial_value(conf, config, config_len);
	if (r < 0)
		return r;
	r = bpf_object__load(obj);
	if (r < 0)
		return r;
	*ret = TAKE_PTR(obj);
	return 0;
}

int dispatcher_obj_fd(struct bpf_object *obj, enum dispatcher_kind kind)
{
	struct bpf_program *p = bpf_object__find_program_by_name(obj, dispatcher_prog_name(kind));

	return p ? bpf_program__fd(p) : -ENOENT;
}

int dispatcher_obj_stats_fd(struct bpf_object *obj)
{
	struct bpf_map *m = bpf_object__find_map_by_name(obj, "slot_stats");

	return m ? bpf_map__fd(m) : -EBADF;
}

/* A one-slot dispatcher of the kind: prog0 must stay in the loaded program (newer
 * kernels drop slots the config disables), since members are loaded against it. */
int dispatcher_template(enum dispatcher_kind kind, struct bpf_object **ret)
{
	if (kind == DISPATCHER_XDP) {
		struct xdp_dispatcher_config c = { 0 };

		xdp_config_fill(&c, NULL, 1);
		return dispatcher_prog_load(kind, false, &c, sizeof(c), ret);
	} else {
		struct tc_dispatcher_config c = { 0 };

		tc_config_fill(&c, NULL, 1);
		return dispatcher_prog_load(kind, false, &c, sizeof(c), ret);
	}
}

int dispatcher_template_fd(struct bpf_object *obj)
{
	int fd = dispatcher_obj_fd(obj, DISPATCHER_XDP);

	return fd >= 0 ? fd : dispatcher_obj_fd(obj, DISPATCHER_TC_INGRESS);
}

void xdp_config_fill(struct xdp_dispatcher_config *c, const struct dispatcher_member *m,
		     uint32_t n)
{
	memset(c, 0, sizeof(*c));
	c->magic = XDP_DISPATCHER_MAGIC;
	c->dispatcher_version = XDP_DISPATCHER_VERSION;
	c->num_progs_enabled = (__u8)n;
	for (uint32_t i = 0; i < XDP_DISPATCHER_MAX_PROGS; i++)
		c->chain_call_actions[i] = 1U << XDP_DISPATCHER_RETVAL;
	for (uint32_t i = 0; m && i < n; i++) {
		c->chain_call_actions[i] |= m[i].actions;
		c->run_prios[i] = m[i].prio;
		c->program_flags[i] = m[i].flags;
	}
}

void tc_config_fill(struct tc_dispatcher_config *c, const struct dispatcher_member *m, uint32_t n)
{
	memset(c, 0, sizeof(*c));
	c->num_progs_enabled = (__u8)n;
	for (uint32_t i = 0; i < TC_DISPATCHER_MAX_PROGS; i++)
		c->chain_call_actions[i] = TC_DISPATCHER_ACTION_BIT(TC_DISPATCHER_RETVAL);
	for (uint32_t i = 0; m && i < n; i++) {
		c->chain_call_actions[i] |= m[i].actions;
		c->run_prios[i] = m[i].prio;
	}
}

/* BTF ids of functions names[0..n) in the kernel's BTF of program prog_fd, with one BTF
 * load (a rebuild links up to ten members). */
int prog_func_btf_ids(int prog_fd, const char *const *names, uint32_t n, uint32_t *ret)
{
	struct bpf_prog_info info;
	__u32 len = sizeof(info);
	struct btf *btf;
	int r = 0;

	memset(&info, 0, sizeof(info));
	if (bpf_obj_get_info_by_fd(prog_fd, &info, &len) < 0)
		return -errno;
	if (!info.btf_id)
		return -ENOENT;
	btf = btf__load_from_kernel_by_id(info.btf_id);
	if (!btf)
		return -errno;
	for (uint32_t i = 0; i < n && r == 0; i++) {
		int id = btf__find_by_name_kind(btf, names[i], BTF_KIND_FUNC);

		if (id < 0)
			r = id;
		else
			ret[i] = (uint32_t)id;
	}
	btf__free(btf);
	return r;
}

/* Links EXT program prog_fd to the dispatcher's function with that BTF id (a slot, or the
 * main function itself). The kernel ignores the attach type for EXT programs;
 * target_btf_id names the function. */
int dispatcher_link_btf(int prog_fd, int disp_fd, uint32_t btf_id)
{
	LIBBPF_OPTS(bpf_link_create_opts, opts, .target_btf_id = btf_id);
	int fd = bpf_link_create(prog_fd, disp_fd, 0, &opts);

	return fd < 0 ? -errno : fd;
}

int dispatcher_link_func(int prog_fd, int disp_fd, const char *fn)
{
	uint32_t btf_id = 0;
	int r = prog_func_btf_ids(disp_fd, &fn, 1, &btf_id);

	return r < 0 ? r : dispatcher_link_btf(prog_fd, disp_fd, btf_id);
}

int dispatcher_link_slot(int prog_fd, int disp_fd, uint32_t slot)
{
	char fn[16];

	snprintf(fn, sizeof(fn), "prog%u", slot);
	return dispatcher_link_func(prog_fd, disp_fd, fn);
}

/* The probe does what a load and attach do: an XDP program with BTF (the kernel checks an
 * extension's signature against its target's, so it needs BTF: here the dispatcher's own
 * main function) loaded as an extension of a template's prog0, then linked there. */
int dispatcher_freplace_supported(char *why, size_t len)
{
	LIBBPF_OPTS(bpf_object_open_opts, oo, .object_name = "freplace_probe");
	_cleanup_(bpf_object__closep) struct bpf_object *tmpl = NULL, *ext = NULL;
	_cleanup_close_ int link = -EBADF;
	struct bpf_program *prog;
	int disp, r;

	r = dispatcher_template(DISPATCHER_XDP, &tmpl);
	if (r < 0) {
		snprintf(why, len, "loading the XDP dispatcher fails: %s", strerror(-r));
		return probe_errno_definitive(r) ? 0 : r;
	}
	disp = dispatcher_template_fd(tmpl);
	ext = bpf_object__open_mem(xdp_dispatcher_obj, xdp_dispatcher_obj_len, &oo);
	if (!ext) {
		r = -errno;
		snprintf(why, len, "cannot open the dispatcher object: %s", strerror(-r));
		return r; /* our own embedded object: says nothing about the kernel */
	}
	prog = bpf_object__find_program_by_name(ext, XDP_DISPATCHER_PROG_NAME);
	if (!prog)
		return -ENOENT;
	r = bpf_program__set_type(prog, BPF_PROG_TYPE_EXT);
	if (r == 0)
		r = bpf_program__set_expected_attach_type(prog, 0);
	if (r == 0)
		r = bpf_program__set_attach_target(prog, disp, "prog0");
	if (r == 0)
		r = bpf_object__load(ext);
	if (r < 0) {
		snprintf(why, len, "loading an extension (freplace) program fails: %s",
			 strerror(-r));
		return probe_errno_definitive(r) ? 0 : r;
	}
	link = dispatcher_link_slot(bpf_program__fd(prog), disp, 0);
	if (link < 0) {
		snprintf(why, len, "linking an extension (freplace) program fails: %s",
			 strerror(-link));
		return probe_errno_definitive(link) ? 0 : link;
	}
	snprintf(why, len, "supported");
	return 1;
}

int dispatcher_read_config(int disp_fd, enum dispatcher_kind kind, struct dispatcher_chain *c)
{
	struct bpf_prog_info info;
	struct bpf_map_info minfo;
	__u32 map_ids[4], len = sizeof(info), key = 0;
	bool found = false;

	memset(&info, 0, sizeof(info));
	info.nr_map_ids = 4;
	info.map_ids = (__u64)(unsigned long)map_ids;
	if (bpf_obj_get_info_by_fd(disp_fd, &info, &len) < 0)
		return -errno;
	if (strcmp(info.name, dispatcher_prog_name(kind)) != 0 || !info.btf_id)
		return -ENOTSUP;
	for (__u32 i = 0; i < info.nr_map_ids && i < 4; i++) {
		_cleanup_close_ int fd = bpf_map_get_fd_by_id(map_ids[i]);
		__u32 mlen = sizeof(minfo);
		union {
			struct xdp_dispatcher_config x;
			struct tc_dispatcher_config t;
		} v;

		if (fd < 0)
			return -errno;
		memset(&minfo, 0, sizeof(minfo));
		if (bpf_obj_get_info_by_fd(fd, &minfo, &mlen) < 0)
			return -errno;
		if (strcmp(minfo.name, "slot_stats") == 0) {
			c->has_stats = true;
			c->stats_fd = TAKE_FD(fd);
			continue;
		}
		if (minfo.key_size != 4 || minfo.max_entries != 1 ||
		    !(minfo.map_flags & BPF_F_RDONLY_PROG))
			continue;
		if (kind == DISPATCHER_XDP && minfo.value_size == sizeof(v.x)) {
			if (bpf_map_lookup_elem(fd, &key, &v.x) < 0)
				return -errno;
			if (v.x.magic != XDP_DISPATCHER_MAGIC ||
			    v.x.dispatcher_version != XDP_DISPATCHER_VERSION ||
			    v.x.num_progs_enabled > XDP_DISPATCHER_MAX_PROGS)
				return -EPROTO;
			c->n = v.x.num_progs_enabled;
			for (uint32_t s = 0; s < c->n; s++) {
				c->slot[s].prio = v.x.run_prios[s];
				c->slot[s].actions = v.x.chain_call_actions[s] &
						     ~(1U << XDP_DISPATCHER_RETVAL);
				c->slot[s].flags = v.x.program_flags[s];
			}
			found = true;
		} else if (kind != DISPATCHER_XDP && minfo.value_size == sizeof(v.t)) {
			if (bpf_map_lookup_elem(fd, &key, &v.t) < 0)
				return -errno;
			if (v.t.num_progs_enabled > TC_DISPATCHER_MAX_PROGS)
				return -EPROTO;
			c->n = v.t.num_progs_enabled;
			for (uint32_t s = 0; s < c->n; s++) {
				c->slot[s].prio = v.t.run_prios[s];
				c->slot[s].actions = v.t.chain_call_actions[s] &
						     ~TC_DISPATCHER_ACTION_BIT(TC_DISPATCHER_RETVAL);
			}
			found = true;
		}
	}
	c->disp_id = info.id;
	return found ? 0 : -EPROTO;
}

int dispatcher_slot_counts(const struct dispatcher_chain *c, uint32_t slot,
			   struct dispatcher_slot_counts *ret)
{
	_cleanup_free_ struct dispatcher_slot_stats *v = NULL;
	int ncpu = libbpf_num_possible_cpus();

	memset(ret, 0, sizeof(*ret));
	if (!c->has_stats || c->stats_fd < 0 || slot >= c->n)
		return -ENODATA;
	if (ncpu <= 0)
		return ncpu < 0 ? ncpu : -EINVAL;
	v = calloc(ncpu, sizeof(*v));
	if (!v)
		return -ENOMEM;
	if (bpf_map_lookup_elem(c->stats_fd, &slot, v) < 0)
		return -errno;
	for (int i = 0; i < ncpu; i++) {
		ret->packets += v[i].packets;
		for (int a = 0; a < DISPATCHER_STATS_ACTIONS; a++)
			ret->actions[a] += v[i].actions[a];
	}
	return 0;
}

/* Carries a slot's counts from the old revision's map to the new one's, so they follow the
 * program across rebuilds. */
int dispatcher_copy_counts(int from_fd, uint32_t from_slot, int to_fd, uint32_t to_slot)
{
	_cleanup_free_ struct dispatcher_slot_stats *v = NULL;
	int ncpu = libbpf_num_possible_cpus();

	if (ncpu <= 0)
		return ncpu < 0 ? ncpu : -EINVAL;
	v = calloc(ncpu, sizeof(*v));
	if (!v)
		return -ENOMEM;
	if (bpf_map_lookup_elem(from_fd, &from_slot, v) < 0)
		return -errno;
	return bpf_map_update_elem(to_fd, &to_slot, v, 0) < 0 ? -errno : 0;
}
