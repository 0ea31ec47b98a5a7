/* libbpfman-client: libbpfman's structs <-> bpfman.v1 protobuf messages.
 *
 * Requests are built in an arena and borrow the caller's strings; responses are copied out
 * into libbpfman's own structs so the unpacked message can be freed at once. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "client-internal.h"

/* The API numbers program types like libbpfman does, so they pass through unchanged. */
_Static_assert(BPFMAN__V1__BPFMAN_PROGRAM_TYPE__XDP == (int)BPFMAN_PROG_XDP, "numbering");
_Static_assert(BPFMAN__V1__BPFMAN_PROGRAM_TYPE__TCX == (int)BPFMAN_PROG_TCX, "numbering");
_Static_assert(BPFMAN__V1__BPFMAN_PROGRAM_TYPE__LSM == (int)BPFMAN_PROG_LSM, "numbering");

/* ---- arena ---- */

struct pb_block {
	struct pb_block *next;
	max_align_t data[];
};

void *pb_arena_alloc(struct pb_arena *a, size_t size)
{
	struct pb_block *b = calloc(1, sizeof(*b) + size);

	if (!b)
		return NULL;
	b->next = a->head;
	a->head = b;
	return b->data;
}

void pb_arena_free(struct pb_arena *a)
{
	while (a->head) {
		struct pb_block *next = a->head->next;

		free(a->head);
		a->head = next;
	}
}

static void *pb_new(struct pb_arena *a, const ProtobufCMessageDescriptor *d)
{
	ProtobufCMessage *m = pb_arena_alloc(a, d->sizeof_message);

	if (m)
		protobuf_c_message_init(d, m);
	return m;
}

/* protobuf-c wants a non-NULL pointer for every string it packs. */
static char *str(const char *s)
{
	return (char *)(s ? s : "");
}

/* Fills the map<string,string> field `name` of any message. A map is a repeated entry
 * message with key = 1 and value = 2; going through the descriptors (as protobuf-c itself
 * does) lets one helper serve the metadata field of every message. */
static int set_kv_field(struct pb_arena *a, ProtobufCMessage *m, const char *name,
			const struct kv_list *l)
{
	const ProtobufCFieldDescriptor *f =
		protobuf_c_message_descriptor_get_field_by_name(m->descriptor, name);
	const ProtobufCMessageDescriptor *ed = f->descriptor;
	const ProtobufCFieldDescriptor *fk = protobuf_c_message_descriptor_get_field(ed, 1);
	const ProtobufCFieldDescriptor *fv = protobuf_c_message_descriptor_get_field(ed, 2);
	ProtobufCMessage **v;

	if (!l || l->n == 0)
		return 0;
	v = pb_arena_alloc(a, l->n * sizeof(*v));
	if (!v)
		return -ENOMEM;
	for (size_t i = 0; i < l->n; i++) {
		v[i] = pb_new(a, ed);
		if (!v[i])
			return -ENOMEM;
		*(char **)((char *)v[i] + fk->offset) = str(l->items[i].key);
		*(char **)((char *)v[i] + fv->offset) = str(l->items[i].value);
	}
	*(size_t *)((char *)m + f->quantifier_offset) = l->n;
	*(ProtobufCMessage ***)((char *)m + f->offset) = v;
	return 0;
}

/* ---- LoadRequest ---- */

static int build_bytecode(struct pb_arena *a, const struct bpfman_load_opts *opts,
			  Bpfman__V1__BytecodeLocation **ret, const char **ret_why)
{
	Bpfman__V1__BytecodeLocation *loc = pb_new(a, &bpfman__v1__bytecode_location__descriptor);
	Bpfman__V1__BytecodeImage *img;

	if (!loc)
		return -ENOMEM;
	if (opts->path) {
		loc->location_case = BPFMAN__V1__BYTECODE_LOCATION__LOCATION_FILE;
		loc->file = str(opts->path);
	} else if (opts->image_url) {
		img = pb_new(a, &bpfman__v1__bytecode_image__descriptor);
		if (!img)
			return -ENOMEM;
		img->url = str(opts->image_url);
		img->image_pull_policy = opts->pull_policy;
		if (opts->username) {
			img->_username_case = BPFMAN__V1__BYTECODE_IMAGE___USERNAME_USERNAME;
			img->username = str(opts->username);
		}
		if (opts->password) {
			img->_password_case = BPFMAN__V1__BYTECODE_IMAGE___PASSWORD_PASSWORD;
			img->password = str(opts->password);
		}
		loc->location_case = BPFMAN__V1__BYTECODE_LOCATION__LOCATION_IMAGE;
		loc->image = img;
	} else {
		*ret_why = "neither an object file nor an image was given";
		return -EINVAL;
	}
	*ret = loc;
	return 0;
}

/* fentry/fexit/lsm fix their target at load time: ProgSpecificInfo carries it. */
static int build_prog_specific(struct pb_arena *a, const struct bpfman_prog_request *p,
			       Bpfman__V1__ProgSpecificInfo **ret)
{
	Bpfman__V1__ProgSpecificInfo *psi = pb_new(a, &bpfman__v1__prog_specific_info__descriptor);
	Bpfman__V1__FentryLoadInfo *fentry;
	Bpfman__V1__FexitLoadInfo *fexit;
	Bpfman__V1__LsmLoadInfo *lsm;

	if (!psi)
		return -ENOMEM;
	switch (p->type) {
	case BPFMAN_PROG_FENTRY:
		if (!(fentry = pb_new(a, &bpfman__v1__fentry_load_info__descriptor)))
			return -ENOMEM;
		fentry->fn_name = str(p->attach_fn);
		psi->info_case = BPFMAN__V1__PROG_SPECIFIC_INFO__INFO_FENTRY_LOAD_INFO;
		psi->fentry_load_info = fentry;
		break;
	case BPFMAN_PROG_FEXIT:
		if (!(fexit = pb_new(a, &bpfman__v1__fexit_load_info__descriptor)))
			return -ENOMEM;
		fexit->fn_name = str(p->attach_fn);
		psi->info_case = BPFMAN__V1__PROG_SPECIFIC_INFO__INFO_FEXIT_LOAD_INFO;
		psi->fexit_load_info = fexit;
		break;
	default:
		if (!(lsm = pb_new(a, &bpfman__v1__lsm_load_info__descriptor)))
			return -ENOMEM;
		lsm->hook_name = str(p->attach_fn);
		psi->info_case = BPFMAN__V1__PROG_SPECIFIC_INFO__INFO_LSM_LOAD_INFO;
		psi->lsm_load_info = lsm;
		break;
	}
	*ret = psi;
	return 0;
}

static int build_load_info(struct pb_arena *a, const struct bpfman_prog_request *p,
			   Bpfman__V1__LoadInfo **ret, const char **ret_why)
{
	Bpfman__V1__LoadInfo *li;

	if ((unsigned)p->type >= _BPFMAN_PROG_TYPE_MAX) {
		*ret_why = "unknown program type";
		return -EINVAL;
	}
	if (!p->name || !*p->name) {
		*ret_why = "a program to load has no name";
		return -EINVAL;
	}
	li = pb_new(a, &bpfman__v1__load_info__descriptor);
	if (!li)
		return -ENOMEM;
	li->name = str(p->name);
	li->program_type = (Bpfman__V1__BpfmanProgramType)p->type;
	if (p->type == BPFMAN_PROG_FENTRY || p->type == BPFMAN_PROG_FEXIT ||
	    p->type == BPFMAN_PROG_LSM) {
		if (build_prog_specific(a, p, &li->info) < 0)
			return -ENOMEM;
		li->_info_case = BPFMAN__V1__LOAD_INFO___INFO_INFO;
	}
	*ret = li;
	return 0;
}

static int build_globals(struct pb_arena *a, const struct bpfman_load_opts *opts,
			 Bpfman__V1__LoadRequest *req)
{
	Bpfman__V1__LoadRequest__GlobalDataEntry **v;

	if (opts->n_globals == 0)
		return 0;
	v = pb_arena_alloc(a, opts->n_globals * sizeof(*v));
	if (!v)
		return -ENOMEM;
	for (size_t i = 0; i < opts->n_globals; i++) {
		v[i] = pb_new(a, &bpfman__v1__load_request__global_data_entry__descriptor);
		if (!v[i])
			return -ENOMEM;
		v[i]->key = str(opts->globals[i].name);
		v[i]->value.len = opts->globals[i].len;
		v[i]->value.data = opts->globals[i].data;
	}
	req->n_global_data = opts->n_globals;
	req->global_data = v;
	return 0;
}

int client_build_load_request(struct pb_arena *a, const struct bpfman_load_opts *opts,
			      Bpfman__V1__LoadRequest *req, const char **ret_why)
{
	int r;

	r = build_bytecode(a, opts, &req->bytecode, ret_why);
	if (r < 0)
		return r;
	if (opts->n_progs == 0) {
		*ret_why = "no program to load";
		return -EINVAL;
	}
	req->info = pb_arena_alloc(a, opts->n_progs * sizeof(*req->info));
	if (!req->info)
		return -ENOMEM;
	for (size_t i = 0; i < opts->n_progs; i++) {
		r = build_load_info(a, &opts->progs[i], &req->info[i], ret_why);
		if (r < 0)
			return r;
		req->n_info = i + 1;
	}
	if (build_globals(a, opts, req) < 0 ||
	    set_kv_field(a, &req->base, "metadata", opts->metadata) < 0)
		return -ENOMEM;
	if (opts->has_map_owner) {
		req->_map_owner_id_case = BPFMAN__V1__LOAD_REQUEST___MAP_OWNER_ID_MAP_OWNER_ID;
		req->map_owner_id = opts->map_owner_id;
	}
	return 0;
}

/* ---- AttachInfo ---- */

/* libbpfman's default when no priority is given; the API's field has no presence. */
#define DEFAULT_PRIORITY 1000

static int32_t priority(const struct bpfman_attach_opts *o)
{
	return o->has_priority ? o->priority : DEFAULT_PRIORITY;
}

static const char *direction(enum bpfman_direction d)
{
	return d == BPFMAN_DIR_INGRESS ? "ingress" : d == BPFMAN_DIR_EGRESS ? "egress" : NULL;
}

static void *build_xdp(struct pb_arena *a, const struct bpfman_attach_opts *o)
{
	Bpfman__V1__XDPAttachInfo *m = pb_new(a, &bpfman__v1__xdpattach_info__descriptor);

	if (!m)
		return NULL;
	m->priority = priority(o);
	m->iface = str(o->iface);
	m->n_proceed_on = o->n_proceed_on;
	m->proceed_on = (int32_t *)o->proceed_on;
	if (o->netns) {
		m->_netns_case = BPFMAN__V1__XDPATTACH_INFO___NETNS_NETNS;
		m->netns = str(o->netns);
	}
	return m;
}

static void *build_tc(struct pb_arena *a, const struct bpfman_attach_opts *o)
{
	Bpfman__V1__TCAttachInfo *m = pb_new(a, &bpfman__v1__tcattach_info__descriptor);

	if (!m)
		return NULL;
	m->priority = priority(o);
	m->iface = str(o->iface);
	m->direction = str(direction(o->direction));
	m->n_proceed_on = o->n_proceed_on;
	m->proceed_on = (int32_t *)o->proceed_on;
	if (o->netns) {
		m->_netns_case = BPFMAN__V1__TCATTACH_INFO___NETNS_NETNS;
		m->netns = str(o->netns);
	}
	return m;
}

static void *build_tcx(struct pb_arena *a, const struct bpfman_attach_opts *o)
{
	Bpfman__V1__TCXAttachInfo *m = pb_new(a, &bpfman__v1__tcxattach_info__descriptor);

	if (!m)
		return NULL;
	m->priority = priority(o);
	m->iface = str(o->iface);
	m->direction = str(direction(o->direction));
	if (o->netns) {
		m->_netns_case = BPFMAN__V1__TCXATTACH_INFO___NETNS_NETNS;
		m->netns = str(o->netns);
	}
	return m;
}

static void *build_tracepoint(struct pb_arena *a, const struct bpfman_attach_opts *o)
{
	Bpfman__V1__TracepointAttachInfo *m =
		pb_new(a, &bpfman__v1__tracepoint_attach_info__descriptor);

	if (m)
		m->tracepoint = str(o->tracepoint);
	return m;
}

static void *build_kprobe(struct pb_arena *a, const struct bpfman_attach_opts *o)
{
	Bpfman__V1__KprobeAttachInfo *m = pb_new(a, &bpfman__v1__kprobe_attach_info__descriptor);

	if (!m)
		return NULL;
	m->fn_name = str(o->fn_name);
	m->offset = o->offset;
	if (o->container_pid) {
		m->_container_pid_case =
			BPFMAN__V1__KPROBE_ATTACH_INFO___CONTAINER_PID_CONTAINER_PID;
		m->container_pid = o->container_pid;
	}
	return m;
}

static void *build_uprobe(struct pb_arena *a, const struct bpfman_attach_opts *o)
{
	Bpfman__V1__UprobeAttachInfo *m = pb_new(a, &bpfman__v1__uprobe_attach_info__descriptor);

	if (!m)
		return NULL;
	if (o->fn_name) {
		m->_fn_name_case = BPFMAN__V1__UPROBE_ATTACH_INFO___FN_NAME_FN_NAME;
		m->fn_name = str(o->fn_name);
	}
	m->offset = o->offset;
	m->target = str(o->target);
	if (o->pid) {
		m->_pid_case = BPFMAN__V1__UPROBE_ATTACH_INFO___PID_PID;
		m->pid = o->pid;
	}
	if (o->container_pid) {
		m->_container_pid_case =
			BPFMAN__V1__UPROBE_ATTACH_INFO___CONTAINER_PID_CONTAINER_PID;
		m->container_pid = o->container_pid;
	}
	return m;
}

/* The variant of AttachInfo.info for each program type: its oneof case, the descriptor of
 * its message, and the builder of the fields other than metadata (NULL: metadata only). */
static const struct attach_variant {
	Bpfman__V1__AttachInfo__InfoCase info_case;
	const ProtobufCMessageDescriptor *desc;
	void *(*build)(struct pb_arena *a, const struct bpfman_attach_opts *o);
} attach_variants[_BPFMAN_PROG_TYPE_MAX] = {
	[BPFMAN_PROG_XDP] = { BPFMAN__V1__ATTACH_INFO__INFO_XDP_ATTACH_INFO,
			      &bpfman__v1__xdpattach_info__descriptor, build_xdp },
	[BPFMAN_PROG_TC] = { BPFMAN__V1__ATTACH_INFO__INFO_TC_ATTACH_INFO,
			     &bpfman__v1__tcattach_info__descriptor, build_tc },
	[BPFMAN_PROG_TRACEPOINT] = { BPFMAN__V1__ATTACH_INFO__INFO_TRACEPOINT_ATTACH_INFO,
				     &bpfman__v1__tracepoint_attach_info__descriptor,
				     build_tracepoint },
	[BPFMAN_PROG_KPROBE] = { BPFMAN__V1__ATTACH_INFO__INFO_KPROBE_ATTACH_INFO,
				 &bpfman__v1__kprobe_attach_info__descriptor, build_kprobe },
	[BPFMAN_PROG_UPROBE] = { BPFMAN__V1__ATTACH_INFO__INFO_UPROBE_ATTACH_INFO,
				 &bpfman__v1__uprobe_attach_info__descriptor, build_uprobe },
	[BPFMAN_PROG_FENTRY] = { BPFMAN__V1__ATTACH_INFO__INFO_FENTRY_ATTACH_INFO,
				 &bpfman__v1__fentry_attach_info__descriptor, NULL },
	[BPFMAN_PROG_FEXIT] = { BPFMAN__V1__ATTACH_INFO__INFO_FEXIT_ATTACH_INFO,
				&bpfman__v1__fexit_attach_info__descriptor, NULL },
	[BPFMAN_PROG_TCX] = { BPFMAN__V1__ATTACH_INFO__INFO_TCX_ATTACH_INFO,
			      &bpfman__v1__tcxattach_info__descriptor, build_tcx },
	[BPFMAN_PROG_LSM] = { BPFMAN__V1__ATTACH_INFO__INFO_LSM_ATTACH_INFO,
			      &bpfman__v1__lsm_attach_info__descriptor, NULL },
};

int client_build_attach_info(struct pb_arena *a, const struct bpfman_attach_opts *opts,
			     Bpfman__V1__AttachInfo *info, const char **ret_why)
{
	const struct attach_variant *v;
	ProtobufCMessage *m;

	if ((unsigned)opts->type >= _BPFMAN_PROG_TYPE_MAX) {
		*ret_why = "unknown program type";
		return -EINVAL;
	}
	if ((opts->type == BPFMAN_PROG_TC || opts->type == BPFMAN_PROG_TCX) &&
	    !direction(opts->direction)) {
		*ret_why = "tc and tcx need a direction (ingress or egress)";
		return -EINVAL;
	}
	v = &attach_variants[opts->type];
	m = v->build ? v->build(a, opts) : pb_new(a, v->desc);
	if (!m || set_kv_field(a, m, "metadata", opts->metadata) < 0)
		return -ENOMEM;
	/* every member of the oneof's union is a message pointer at the same place */
	info->info_case = v->info_case;
	info->xdp_attach_info = (Bpfman__V1__XDPAttachInfo *)m;
	return 0;
}

/* ---- ListRequest ---- */

int client_build_list_request(struct pb_arena *a, const struct bpfman_list_filter *filter,
			      Bpfman__V1__ListRequest *req)
{
	static const struct bpfman_list_filter managed_only;

	if (!filter)
		filter = &managed_only;
	if (filter->has_kernel_type) {
		req->_program_type_case = BPFMAN__V1__LIST_REQUEST___PROGRAM_TYPE_PROGRAM_TYPE;
		req->program_type = filter->kernel_type;
	}
	/* always sent: bpfman's own default for an absent field differs between versions */
	req->_bpfman_programs_only_case =
		BPFMAN__V1__LIST_REQUEST___BPFMAN_PROGRAMS_ONLY_BPFMAN_PROGRAMS_ONLY;
	req->bpfman_programs_only = !filter->all;
	return set_kv_field(a, &req->base, "match_metadata", filter->metadata);
}

/* ---- responses ---- */

/* The API has no program type in ProgramInfo, only the kernel's: tcx reports tc (3) and
 * uprobes report probe (2) like kprobes, fexit reports tracing (26) like fentry. */
enum bpfman_prog_type client_prog_type_from_kernel(uint32_t kernel_type)
{
	switch (kernel_type) {
	case 6:
		return BPFMAN_PROG_XDP;
	case 3:
		return BPFMAN_PROG_TC;
	case 5:
		return BPFMAN_PROG_TRACEPOINT;
	case 2:
		return BPFMAN_PROG_KPROBE;
	case 26:
		return BPFMAN_PROG_FENTRY;
	case 29:
		return BPFMAN_PROG_LSM;
	default:
		return _BPFMAN_PROG_TYPE_INVALID;
	}
}

int client_kernel_info_from_pb(const Bpfman__V1__KernelProgramInfo *k,
			       struct bpfman_kernel_info *ret)
{
	memset(ret, 0, sizeof(*ret));
	if (!k)
		return 0;
	ret->id = k->id;
	snprintf(ret->name, sizeof(ret->name), "%s", str(k->name));
	ret->type = k->program_type;
	snprintf(ret->loaded_at, sizeof(ret->loaded_at), "%s", str(k->loaded_at));
	snprintf(ret->tag, sizeof(ret->tag), "%s", str(k->tag));
	ret->gpl_compatible = k->gpl_compatible;
	if (k->n_map_ids > UINT32_MAX)
		return -EPROTO;
	if (k->n_map_ids) {
		ret->map_ids = malloc(k->n_map_ids * sizeof(*ret->map_ids));
		if (!ret->map_ids)
			return -ENOMEM;
		memcpy(ret->map_ids, k->map_ids, k->n_map_ids * sizeof(*ret->map_ids));
		ret->n_map_ids = (uint32_t)k->n_map_ids;
	}
	ret->btf_id = k->btf_id;
	ret->bytes_xlated = k->bytes_xlated;
	ret->jited = k->jited;
	ret->bytes_jited = k->bytes_jited;
	ret->bytes_memlock = k->bytes_memlock;
	ret->verified_insns = k->verified_insns;
	return 0;
}

static int strdup_to(char **dst, const char *s)
{
	*dst = strdup(str(s));
	return *dst ? 0 : -ENOMEM;
}

static int copy_bytecode(const Bpfman__V1__BytecodeLocation *loc, struct bpfman_program *p)
{
	if (!loc)
		return 0;
	if (loc->location_case == BPFMAN__V1__BYTECODE_LOCATION__LOCATION_FILE)
		return strdup_to(&p->path, loc->file);
	if (loc->location_case == BPFMAN__V1__BYTECODE_LOCATION__LOCATION_IMAGE && loc->image) {
		p->pull_policy = loc->image->image_pull_policy;
		return strdup_to(&p->image_url, loc->image->url);
	}
	return 0;
}

static int copy_globals(const Bpfman__V1__ProgramInfo *pi, struct bpfman_program *p)
{
	if (pi->n_global_data == 0)
		return 0;
	p->globals = calloc(pi->n_global_data, sizeof(*p->globals));
	if (!p->globals)
		return -ENOMEM;
	for (size_t i = 0; i < pi->n_global_data; i++) {
		const Bpfman__V1__ProgramInfo__GlobalDataEntry *e = pi->global_data[i];
		struct bpfman_global *g = &p->globals[i];

		p->n_globals = i + 1;
		if (strdup_to(&g->name, e->key) < 0)
			return -ENOMEM;
		/* malloc(0) may be NULL: keep one byte so NULL always means failure */
		g->data = malloc(e->value.len ? e->value.len : 1);
		if (!g->data)
			return -ENOMEM;
		if (e->value.len)
			memcpy(g->data, e->value.data, e->value.len);
		g->len = e->value.len;
	}
	return 0;
}

static int copy_metadata(const Bpfman__V1__ProgramInfo *pi, struct bpfman_program *p)
{
	for (size_t i = 0; i < pi->n_metadata; i++) {
		int r = kv_list_append(&p->metadata, str(pi->metadata[i]->key),
				       str(pi->metadata[i]->value));

		if (r < 0)
			return r;
	}
	kv_list_normalize(&p->metadata); /* n log n: a program may carry many pairs */
	return 0;
}

/* map_used_by carries program ids as decimal strings. */
static int copy_map_used_by(const Bpfman__V1__ProgramInfo *pi, struct bpfman_program *p)
{
	if (pi->n_map_used_by == 0)
		return 0;
	p->map_used_by = calloc(pi->n_map_used_by, sizeof(*p->map_used_by));
	if (!p->map_used_by)
		return -ENOMEM;
	for (size_t i = 0; i < pi->n_map_used_by; i++) {
		const char *s = str(pi->map_used_by[i]);
		char *end;
		unsigned long v;

		errno = 0;
		v = strtoul(s, &end, 10);
		if (errno || end == s || *end || v > UINT32_MAX || *s == '-')
			return -EPROTO;
		p->map_used_by[i] = (uint32_t)v;
		p->n_map_used_by = i + 1;
	}
	return 0;
}

static int copy_links(const Bpfman__V1__ProgramInfo *pi, struct bpfman_program *p)
{
	if (pi->n_links == 0)
		return 0;
	p->links = malloc(pi->n_links * sizeof(*p->links));
	if (!p->links)
		return -ENOMEM;
	memcpy(p->links, pi->links, pi->n_links * sizeof(*p->links));
	p->n_links = pi->n_links;
	return 0;
}

int client_program_from_pb(const Bpfman__V1__ProgramInfo *pi,
			   const struct bpfman_kernel_info *kernel, struct bpfman_program **ret)
{
	struct bpfman_program *p = calloc(1, sizeof(*p));
	int r;

	*ret = NULL;
	if (!p)
		return -ENOMEM;
	p->id = kernel->id;
	p->type = client_prog_type_from_kernel(kernel->type);
	if (pi->_map_owner_id_case == BPFMAN__V1__PROGRAM_INFO___MAP_OWNER_ID_MAP_OWNER_ID) {
		p->has_map_owner = true;
		p->map_owner_id = pi->map_owner_id;
	}
	r = strdup_to(&p->name, pi->name);
	if (r == 0)
		r = strdup_to(&p->map_pin_path, pi->map_pin_path);
	if (r == 0)
		r = copy_bytecode(pi->bytecode, p);
	if (r == 0)
		r = copy_globals(pi, p);
	if (r == 0)
		r = copy_metadata(pi, p);
	if (r == 0)
		r = copy_map_used_by(pi, p);
	if (r == 0)
		r = copy_links(pi, p);
	if (r < 0) {
		bpfman_program_free(p);
		return r;
	}
	*ret = p;
	return 0;
}

int client_view_from_pb(const Bpfman__V1__ProgramInfo *pi,
			const Bpfman__V1__KernelProgramInfo *k, struct bpfman_program_view *ret)
{
	int r = client_kernel_info_from_pb(k, &ret->kernel);

	ret->program = NULL;
	if (r == 0 && pi)
		r = client_program_from_pb(pi, &ret->kernel, &ret->program);
	if (r < 0)
		bpfman_program_view_clear(ret);
	return r;
}
