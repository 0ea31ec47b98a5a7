/* Names and numbers of program types, and the destructors of the public structs. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "bpfman.h"
#include "manager.h"

static const char *const prog_type_names[_BPFMAN_PROG_TYPE_MAX] = {
	[BPFMAN_PROG_XDP] = "xdp",	       [BPFMAN_PROG_TC] = "tc",
	[BPFMAN_PROG_TRACEPOINT] = "tracepoint", [BPFMAN_PROG_KPROBE] = "kprobe",
	[BPFMAN_PROG_UPROBE] = "uprobe",	       [BPFMAN_PROG_FENTRY] = "fentry",
	[BPFMAN_PROG_FEXIT] = "fexit",	       [BPFMAN_PROG_TCX] = "tcx",
	[BPFMAN_PROG_LSM] = "lsm",
};

const char *bpfman_prog_type_to_string(enum bpfman_prog_type t)
{
	if ((unsigned)t >= _BPFMAN_PROG_TYPE_MAX)
		return "unknown";
	return prog_type_names[t];
}

int bpfman_prog_type_from_string(const char *s)
{
	for (int i = 0; i < _BPFMAN_PROG_TYPE_MAX; i++)
		if (strcmp(s, prog_type_names[i]) == 0)
			return i;
	return -EINVAL;
}

/* Contract table 4.2. */
static const char *const kernel_type_names[] = {
	"unspec",	       "socket_filter",		  "probe",
	"tc",		       "sched_act",		  "tracepoint",
	"xdp",		       "perf_event",		  "cgroup_skb",
	"cgroup_sock",	       "lwt_in",		  "lwt_out",
	"lwt_xmit",	       "sock_ops",		  "sk_skb",
	"cgroup_device",       "sk_msg",		  "raw_tracepoint",
	"cgroup_sock_addr",    "lwt_seg6local",		  "lirc_mode2",
	"sk_reuseport",	       "flow_dissector",	  "cgroup_sysctl",
	"raw_tracepoint_writable", "cgroup_sockopt",	  "tracing",
	"struct_ops",	       "ext",			  "lsm",
	"sk_lookup",	       "syscall",		  "netfilter",
};

const char *bpfman_kernel_type_to_string(uint32_t kernel_type)
{
	if (kernel_type >= sizeof(kernel_type_names) / sizeof(kernel_type_names[0]))
		return "unknown";
	return kernel_type_names[kernel_type];
}

int bpfman_kernel_type_from_string(const char *s)
{
	for (size_t i = 0; i < sizeof(kernel_type_names) / sizeof(kernel_type_names[0]); i++)
		if (strcmp(s, kernel_type_names[i]) == 0)
			return (int)i;
	/* the API's own names are accepted too, mapped to their kernel type */
	if (strcmp(s, "kprobe") == 0 || strcmp(s, "uprobe") == 0)
		return 2;
	if (strcmp(s, "tcx") == 0)
		return 3;
	if (strcmp(s, "fentry") == 0 || strcmp(s, "fexit") == 0)
		return 26;
	return -EINVAL;
}

uint32_t bpfman_prog_type_kernel_type(enum bpfman_prog_type t)
{
	switch (t) {
	case BPFMAN_PROG_XDP:
		return 6;
	case BPFMAN_PROG_TC:
	case BPFMAN_PROG_TCX:
		return 3;
	case BPFMAN_PROG_TRACEPOINT:
		return 5;
	case BPFMAN_PROG_KPROBE:
	case BPFMAN_PROG_UPROBE:
		return 2;
	case BPFMAN_PROG_FENTRY:
	case BPFMAN_PROG_FEXIT:
		return 26;
	case BPFMAN_PROG_LSM:
		return 29;
	default:
		return 0;
	}
}

const char *bpfman_direction_to_string(enum bpfman_direction d)
{
	switch (d) {
	case BPFMAN_DIR_INGRESS:
		return "ingress";
	case BPFMAN_DIR_EGRESS:
		return "egress";
	default:
		return "None";
	}
}

void bpfman_program_free(struct bpfman_program *p)
{
	if (!p)
		return;
	free(p->name);
	free(p->attach_fn);
	free(p->path);
	free(p->image_url);
	free(p->image_digest);
	for (size_t i = 0; i < p->n_globals; i++) {
		free(p->globals[i].name);
		free(p->globals[i].data);
	}
	free(p->globals);
	kv_list_clear(&p->metadata);
	free(p->map_pin_path);
	free(p->map_used_by);
	free(p->links);
	free(p);
}

void bpfman_program_view_clear(struct bpfman_program_view *v)
{
	free(v->kernel.map_ids);
	bpfman_program_free(v->program);
	memset(v, 0, sizeof(*v));
}

void bpfman_program_views_free(struct bpfman_program_view *v, size_t n)
{
	if (!v)
		return;
	for (size_t i = 0; i < n; i++)
		bpfman_program_view_clear(&v[i]);
	free(v);
}

void link_clear(struct bpfman_link *l)
{
	free(l->iface);
	free(l->netns);
	free(l->proceed_on);
	free(l->tracepoint);
	free(l->fn_name);
	free(l->target);
	kv_list_clear(&l->metadata);
	free(l->prog_name);
	free(l->application);
	memset(l, 0, sizeof(*l));
}

void bpfman_link_free(struct bpfman_link *l)
{
	if (!l)
		return;
	link_clear(l);
	free(l);
}

void bpfman_links_free(struct bpfman_link *l, size_t n)
{
	if (!l)
		return;
	for (size_t i = 0; i < n; i++)
		link_clear(&l[i]);
	free(l);
}

/* Contract table 4.1 */
static const struct {
	const char *name;
	int32_t value;
} xdp_actions[] = {
	{ "aborted", 0 }, { "drop", 1 }, { "pass", 2 }, { "tx", 3 }, { "redirect", 4 },
	{ "dispatcher_return", 31 },
}, tc_actions[] = {
	{ "unspec", -1 }, { "ok", 0 },	       { "reclassify", 1 }, { "shot", 2 },
	{ "pipe", 3 },	  { "stolen", 4 },     { "queued", 5 },	    { "repeat", 6 },
	{ "redirect", 7 }, { "trap", 8 },      { "dispatcher_return", 30 },
};

#define ACTIONS(t, n)                                                                         \
	const __typeof__(xdp_actions[0]) *t = type == BPFMAN_PROG_XDP ? xdp_actions : tc_actions; \
	size_t n = type == BPFMAN_PROG_XDP ? sizeof(xdp_actions) / sizeof(xdp_actions[0])       \
					  : sizeof(tc_actions) / sizeof(tc_actions[0])

int bpfman_proceed_on_from_string(enum bpfman_prog_type type, const char *s, int32_t *ret)
{
	ACTIONS(t, n);

	for (size_t i = 0; i < n; i++)
		if (!strcmp(s, t[i].name)) {
			*ret = t[i].value;
			return 0;
		}
	return -EINVAL;
}

const char *bpfman_proceed_on_to_string(enum bpfman_prog_type type, int32_t value)
{
	ACTIONS(t, n);

	for (size_t i = 0; i < n; i++)
		if (t[i].value == value)
			return t[i].name;
	return NULL;
}
