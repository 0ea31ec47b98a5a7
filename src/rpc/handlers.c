/* Translation between bpfman.v1 messages and libbpfman's structs. Responses are built in
 * the reply's arena and freed in one go after packing. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bpfman.pb-c.h"
#include "cleanup.h"
#include "handlers.h"
#include "handlers-apply.h"
#include "status-errno.h"

static void fail(struct rpc_reply *out, int r, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void fail(struct rpc_reply *out, int r, const char *fmt, ...)
{
	va_list ap;

	out->status = status_from_errno(r);
	if (out->status == GRPC_STATUS_OK)
		out->status = GRPC_STATUS_INTERNAL;
	va_start(ap, fmt);
	vsnprintf(out->message, sizeof(out->message), fmt, ap);
	va_end(ap);
	out->response = NULL;
}

static void fail_lib(struct rpc_reply *out, struct bpfman *m, int r)
{
	const char *msg = bpfman_error(m);

	fail(out, r, "%s", msg && *msg ? msg : strerror(-r));
}

/* ---- request -> library ---- */

/* Every protobuf map<string,string> entry has the same layout (base, key, value). */
struct str_entry {
	ProtobufCMessage base;
	char *key;
	char *value;
};

/* Appended, then sorted once: a request may carry tens of thousands of pairs. A key given
 * twice keeps the value given last. */
static int kv_from_entries(struct kv_list *l, void *const *entries, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		const struct str_entry *e = entries[i];
		int r = kv_list_append(l, e->key ? e->key : "", e->value ? e->value : "");

		if (r < 0)
			return r;
	}
	kv_list_normalize(l);
	return 0;
}

static int prog_request(const Bpfman__V1__LoadInfo *li, struct bpfman_prog_request *pr,
			struct rpc_reply *out)
{
	const Bpfman__V1__ProgSpecificInfo *ps =
		li->_info_case == BPFMAN__V1__LOAD_INFO___INFO_INFO ? li->info : NULL;

	if ((unsigned)li->program_type >= _BPFMAN_PROG_TYPE_MAX) {
		fail(out, -EINVAL, "program '%s': unknown program type %d", li->name, li->program_type);
		return -EINVAL;
	}
	pr->type = (enum bpfman_prog_type)li->program_type;
	pr->name = li->name;
	pr->attach_fn = NULL;
	if (!ps)
		return 0;
	switch (ps->info_case) {
	case BPFMAN__V1__PROG_SPECIFIC_INFO__INFO_FENTRY_LOAD_INFO:
		pr->attach_fn = ps->fentry_load_info->fn_name;
		break;
	case BPFMAN__V1__PROG_SPECIFIC_INFO__INFO_FEXIT_LOAD_INFO:
		pr->attach_fn = ps->fexit_load_info->fn_name;
		break;
	case BPFMAN__V1__PROG_SPECIFIC_INFO__INFO_LSM_LOAD_INFO:
		pr->attach_fn = ps->lsm_load_info->hook_name;
		break;
	default:
		break;
	}
	return 0;
}

/* ---- library -> response ---- */

static Bpfman__V1__KernelProgramInfo *kernel_info(struct arena *a, const struct bpfman_kernel_info *k)
{
	Bpfman__V1__KernelProgramInfo *ki = arena_alloc(a, sizeof(*ki));

	if (!ki)
		return NULL;
	bpfman__v1__kernel_program_info__init(ki);
	ki->id = k->id;
	ki->name = arena_strdup(a, k->name);
	ki->program_type = k->type;
	ki->loaded_at = arena_strdup(a, k->loaded_at);
	ki->tag = arena_strdup(a, k->tag);
	ki->gpl_compatible = k->gpl_compatible;
	ki->n_map_ids = k->n_map_ids;
	ki->map_ids = arena_memdup(a, k->map_ids, k->n_map_ids * sizeof(uint32_t));
	ki->btf_id = k->btf_id;
	ki->bytes_xlated = k->bytes_xlated;
	ki->jited = k->jited;
	ki->bytes_jited = k->bytes_jited;
	ki->bytes_memlock = k->bytes_memlock;
	ki->verified_insns = k->verified_insns;
	return ki;
}

static Bpfman__V1__ProgramInfo *program_info(struct arena *a, const struct bpfman_program *p)
{
	Bpfman__V1__ProgramInfo *pi = arena_alloc(a, sizeof(*pi));
	Bpfman__V1__BytecodeLocation *loc = arena_alloc(a, sizeof(*loc));

	if (!pi || !loc)
		return NULL;
	bpfman__v1__program_info__init(pi);
	bpfman__v1__bytecode_location__init(loc);
	pi->name = arena_strdup(a, p->name);
	if (p->path) {
		loc->location_case = BPFMAN__V1__BYTECODE_LOCATION__LOCATION_FILE;
		loc->file = arena_strdup(a, p->path);
	} else if (p->image_url) {
		Bpfman__V1__BytecodeImage *img = arena_alloc(a, sizeof(*img));

		if (!img)
			return NULL;
		bpfman__v1__bytecode_image__init(img);
		img->url = arena_strdup(a, p->image_url);
		img->image_pull_policy = p->pull_policy;
		/* credentials are never echoed back */
		loc->location_case = BPFMAN__V1__BYTECODE_LOCATION__LOCATION_IMAGE;
		loc->image = img;
	}
	pi->bytecode = loc;
	pi->n_links = p->n_links;
	pi->links = arena_memdup(a, p->links, p->n_links * sizeof(uint32_t));
	pi->n_global_data = p->n_globals;
	pi->global_data = arena_array(a, p->n_globals, sizeof(*pi->global_data));
	for (size_t i = 0; pi->global_data && i < p->n_globals; i++) {
		Bpfman__V1__ProgramInfo__GlobalDataEntry *e = arena_alloc(a, sizeof(*e));

		if (!e)
			return NULL;
		bpfman__v1__program_info__global_data_entry__init(e);
		e->key = arena_strdup(a, p->globals[i].name);
		e->value.len = p->globals[i].len;
		e->value.data = arena_memdup(a, p->globals[i].data, p->globals[i].len);
		pi->global_data[i] = e;
	}
	if (p->has_map_owner) {
		pi->_map_owner_id_case = BPFMAN__V1__PROGRAM_INFO___MAP_OWNER_ID_MAP_OWNER_ID;
		pi->map_owner_id = p->map_owner_id;
	}
	pi->map_pin_path = arena_strdup(a, p->map_pin_path);
	pi->n_map_used_by = p->n_map_used_by;
	pi->map_used_by = arena_array(a, p->n_map_used_by, sizeof(char *));
	for (size_t i = 0; pi->map_used_by && i < p->n_map_used_by; i++) {
		char buf[16];

		snprintf(buf, sizeof(buf), "%u", p->map_used_by[i]);
		pi->map_used_by[i] = arena_strdup(a, buf);
	}
	pi->n_metadata = p->metadata.n;
	pi->metadata = arena_array(a, p->metadata.n, sizeof(*pi->metadata));
	for (size_t i = 0; pi->metadata && i < p->metadata.n; i++) {
		Bpfman__V1__ProgramInfo__MetadataEntry *e = arena_alloc(a, sizeof(*e));

		if (!e)
			return NULL;
		bpfman__v1__program_info__metadata_entry__init(e);
		e->key = arena_strdup(a, p->metadata.items[i].key);
		e->value = arena_strdup(a, p->metadata.items[i].value);
		pi->metadata[i] = e;
	}
	return pi;
}

/* BytecodeImage -> the load's image fields (the credentials are borrowed from the request,
 * which outlives the call, and never stored or echoed). false after failing out. */
static bool image_request(const Bpfman__V1__BytecodeImage *img, struct bpfman_load_opts *o,
			  struct rpc_reply *out)
{
	if (!img || !img->url || !*img->url) {
		fail(out, -EINVAL, "bytecode.image.url is required");
		return false;
	}
	if (!bpfman_pull_policy_to_string(img->image_pull_policy)) {
		fail(out, -EINVAL, "invalid image_pull_policy %d (0 Always, 1 IfNotPresent, 2 Never)",
		     img->image_pull_policy);
		return false;
	}
	o->image_url = img->url;
	o->pull_policy = img->image_pull_policy;
	if (img->_username_case == BPFMAN__V1__BYTECODE_IMAGE___USERNAME_USERNAME)
		o->username = img->username;
	if (img->_password_case == BPFMAN__V1__BYTECODE_IMAGE___PASSWORD_PASSWORD)
		o->password = img->password;
	return true;
}

/* ---- handlers ---- */

static void handle_load(struct bpfman *m, const ProtobufCMessage *msg, struct rpc_reply *out)
{
	const Bpfman__V1__LoadRequest *req = (const void *)msg;
	_cleanup_free_ struct bpfman_prog_request *progs = NULL;
	_cleanup_free_ struct bpfman_global *globals = NULL;
	struct kv_list meta = { 0 };
	struct bpfman_load_opts o = { .pull_policy = 1 };
	struct bpfman_program_view *views = NULL;
	Bpfman__V1__LoadResponse *resp;
	size_t n = 0;
	int r;

	if (!req->bytecode || req->bytecode->location_case == BPFMAN__V1__BYTECODE_LOCATION__LOCATION__NOT_SET)
		return fail(out, -EINVAL, "bytecode location is required (file or image)");
	if (req->bytecode->location_case == BPFMAN__V1__BYTECODE_LOCATION__LOCATION_IMAGE &&
	    !image_request(req->bytecode->image, &o, out))
		return;
	if (req->n_info == 0)
		return fail(out, -EINVAL, "no program to load: LoadRequest.info is empty");
	if (req->n_info > RPC_MAX_PROGRAMS_PER_LOAD)
		return fail(out, -E2BIG, "%zu programs in one request; at most %d", req->n_info,
			    RPC_MAX_PROGRAMS_PER_LOAD);
	progs = calloc(req->n_info, sizeof(*progs));
	globals = calloc(req->n_global_data + 1, sizeof(*globals));
	if (!progs || !globals)
		return fail(out, -ENOMEM, "out of memory");
	for (size_t i = 0; i < req->n_info; i++)
		if (prog_request(req->info[i], &progs[i], out) < 0)
			return;
	for (size_t i = 0; i < req->n_global_data; i++) {
		globals[i].name = req->global_data[i]->key;
		globals[i].data = req->global_data[i]->value.data;
		globals[i].len = req->global_data[i]->value.len;
	}
	r = kv_from_entries(&meta, (void *const *)req->metadata, req->n_metadata);
	if (r < 0) {
		kv_list_clear(&meta);
		return fail(out, r, "out of memory");
	}
	if (req->bytecode->location_case == BPFMAN__V1__BYTECODE_LOCATION__LOCATION_FILE)
		o.path = req->bytecode->file;
	o.progs = progs;
	o.n_progs = req->n_info;
	o.globals = globals;
	o.n_globals = req->n_global_data;
	o.metadata = &meta;
	if (req->_map_owner_id_case == BPFMAN__V1__LOAD_REQUEST___MAP_OWNER_ID_MAP_OWNER_ID) {
		o.has_map_owner = true;
		o.map_owner_id = req->map_owner_id;
	}
	r = bpfman_load(m, &o, &views, &n);
	kv_list_clear(&meta);
	if (r < 0)
		return fail_lib(out, m, r);

	resp = arena_alloc(&out->arena, sizeof(*resp));
	if (resp) {
		bpfman__v1__load_response__init(resp);
		resp->n_programs = n;
		resp->programs = arena_array(&out->arena, n, sizeof(*resp->programs));
		for (size_t i = 0; resp->programs && i < n; i++) {
			Bpfman__V1__LoadResponseInfo *ri = arena_alloc(&out->arena, sizeof(*ri));

			if (!ri)
				break;
			bpfman__v1__load_response_info__init(ri);
			ri->info = program_info(&out->arena, views[i].program);
			ri->kernel_info = kernel_info(&out->arena, &views[i].kernel);
			resp->programs[i] = ri;
		}
	}
	bpfman_program_views_free(views, n);
	out->response = &resp->base;
}

/* Unload and Detach: one id, one change, an empty response of the method's own type. */
static void change_by_id(struct bpfman *m, uint32_t id, int (*change)(struct bpfman *, uint32_t),
			 const ProtobufCMessageDescriptor *response, struct rpc_reply *out)
{
	ProtobufCMessage *resp;
	int r = change(m, id);

	if (r < 0)
		return fail_lib(out, m, r);
	resp = arena_alloc(&out->arena, response->sizeof_message);
	if (resp)
		protobuf_c_message_init(response, resp);
	out->response = resp;
}

static void handle_unload(struct bpfman *m, const ProtobufCMessage *msg, struct rpc_reply *out)
{
	change_by_id(m, ((const Bpfman__V1__UnloadRequest *)msg)->id, bpfman_unload,
		     &bpfman__v1__unload_response__descriptor, out);
}

static int direction_from(const char *s, enum bpfman_direction *ret, struct rpc_reply *out)
{
	if (s && !strcmp(s, "ingress"))
		*ret = BPFMAN_DIR_INGRESS;
	else if (s && !strcmp(s, "egress"))
		*ret = BPFMAN_DIR_EGRESS;
	else {
		fail(out, -EINVAL, "invalid direction '%s' (expected ingress or egress)", s ? s : "");
		return -EINVAL;
	}
	return 0;
}

/* AttachInfo variant -> opts; the variant names the type, checked against the program's. */
static int attach_opts(const Bpfman__V1__AttachInfo *ai, struct bpfman_attach_opts *o,
		       struct kv_list *meta, struct rpc_reply *out)
{
	void *const *md = NULL;
	size_t n_md = 0;

	switch (ai->info_case) {
	case BPFMAN__V1__ATTACH_INFO__INFO_XDP_ATTACH_INFO: {
		const Bpfman__V1__XDPAttachInfo *x = ai->xdp_attach_info;

		o->type = BPFMAN_PROG_XDP;
		o->iface = x->iface;
		o->priority = x->priority;
		o->has_priority = x->priority != 0;
		o->proceed_on = x->proceed_on;
		o->n_proceed_on = x->n_proceed_on;
		o->netns = x->_netns_case ? x->netns : NULL;
		md = (void *const *)x->metadata;
		n_md = x->n_metadata;
		break;
	}
	case BPFMAN__V1__ATTACH_INFO__INFO_TC_ATTACH_INFO: {
		const Bpfman__V1__TCAttachInfo *t = ai->tc_attach_info;

		o->type = BPFMAN_PROG_TC;
		o->iface = t->iface;
		o->priority = t->priority;
		o->has_priority = t->priority != 0;
		o->proceed_on = t->proceed_on;
		o->n_proceed_on = t->n_proceed_on;
		o->netns = t->_netns_case ? t->netns : NULL;
		if (direction_from(t->direction, &o->direction, out) < 0)
			return -EINVAL;
		md = (void *const *)t->metadata;
		n_md = t->n_metadata;
		break;
	}
	case BPFMAN__V1__ATTACH_INFO__INFO_TCX_ATTACH_INFO: {
		const Bpfman__V1__TCXAttachInfo *t = ai->tcx_attach_info;

		o->type = BPFMAN_PROG_TCX;
		o->iface = t->iface;
		o->priority = t->priority;
		o->has_priority = t->priority != 0;
		o->netns = t->_netns_case ? t->netns : NULL;
		if (direction_from(t->direction, &o->direction, out) < 0)
			return -EINVAL;
		md = (void *const *)t->metadata;
		n_md = t->n_metadata;
		break;
	}
	case BPFMAN__V1__ATTACH_INFO__INFO_TRACEPOINT_ATTACH_INFO:
		o->type = BPFMAN_PROG_TRACEPOINT;
		o->tracepoint = ai->tracepoint_attach_info->tracepoint;
		md = (void *const *)ai->tracepoint_attach_info->metadata;
		n_md = ai->tracepoint_attach_info->n_metadata;
		break;
	case BPFMAN__V1__ATTACH_INFO__INFO_KPROBE_ATTACH_INFO: {
		const Bpfman__V1__KprobeAttachInfo *k = ai->kprobe_attach_info;

		o->type = BPFMAN_PROG_KPROBE;
		o->fn_name = k->fn_name;
		o->offset = k->offset;
		o->container_pid = k->_container_pid_case ? k->container_pid : 0;
		md = (void *const *)k->metadata;
		n_md = k->n_metadata;
		break;
	}
	case BPFMAN__V1__ATTACH_INFO__INFO_UPROBE_ATTACH_INFO: {
		const Bpfman__V1__UprobeAttachInfo *u = ai->uprobe_attach_info;

		o->type = BPFMAN_PROG_UPROBE;
		o->fn_name = u->_fn_name_case ? u->fn_name : NULL;
		o->offset = u->offset;
		o->target = u->target;
		o->pid = u->_pid_case ? u->pid : 0;
		o->container_pid = u->_container_pid_case ? u->container_pid : 0;
		md = (void *const *)u->metadata;
		n_md = u->n_metadata;
		break;
	}
	case BPFMAN__V1__ATTACH_INFO__INFO_FENTRY_ATTACH_INFO:
		o->type = BPFMAN_PROG_FENTRY;
		md = (void *const *)ai->fentry_attach_info->metadata;
		n_md = ai->fentry_attach_info->n_metadata;
		break;
	case BPFMAN__V1__ATTACH_INFO__INFO_FEXIT_ATTACH_INFO:
		o->type = BPFMAN_PROG_FEXIT;
		md = (void *const *)ai->fexit_attach_info->metadata;
		n_md = ai->fexit_attach_info->n_metadata;
		break;
	case BPFMAN__V1__ATTACH_INFO__INFO_LSM_ATTACH_INFO:
		o->type = BPFMAN_PROG_LSM;
		md = (void *const *)ai->lsm_attach_info->metadata;
		n_md = ai->lsm_attach_info->n_metadata;
		break;
	default:
		fail(out, -EINVAL, "AttachRequest.attach names no attach info");
		return -EINVAL;
	}
	if (kv_from_entries(meta, md, n_md) < 0) {
		fail(out, -ENOMEM, "out of memory");
		return -ENOMEM;
	}
	o->metadata = meta;
	return 0;
}

static void handle_attach(struct bpfman *m, const ProtobufCMessage *msg, struct rpc_reply *out)
{
	const Bpfman__V1__AttachRequest *req = (const void *)msg;
	struct bpfman_attach_opts o = { 0 };
	struct kv_list meta = { 0 };
	Bpfman__V1__AttachResponse *resp;
	uint32_t link_id = 0;
	int r;

	if (!req->attach)
		return fail(out, -EINVAL, "AttachRequest.attach is required");
	r = attach_opts(req->attach, &o, &meta, out);
	if (r == 0) {
		r = bpfman_attach(m, req->id, &o, &link_id);
		if (r < 0)
			fail_lib(out, m, r);
	}
	kv_list_clear(&meta);
	if (r < 0)
		return;
	resp = arena_alloc(&out->arena, sizeof(*resp));
	if (resp) {
		bpfman__v1__attach_response__init(resp);
		resp->link_id = link_id;
	}
	out->response = &resp->base;
}

static void handle_detach(struct bpfman *m, const ProtobufCMessage *msg, struct rpc_reply *out)
{
	change_by_id(m, ((const Bpfman__V1__DetachRequest *)msg)->link_id, bpfman_detach,
		     &bpfman__v1__detach_response__descriptor, out);
}

static void handle_list(struct bpfman *m, const ProtobufCMessage *msg, struct rpc_reply *out)
{
	const Bpfman__V1__ListRequest *req = (const void *)msg;
	struct bpfman_list_filter f = { 0 };
	struct kv_list meta = { 0 };
	struct bpfman_program_view *views = NULL;
	Bpfman__V1__ListResponse *resp;
	size_t n = 0;
	int r;

	/* the reference lists every kernel program unless asked for managed ones only */
	f.all = !(req->_bpfman_programs_only_case && req->bpfman_programs_only);
	if (req->_program_type_case) {
		f.has_kernel_type = true;
		f.kernel_type = req->program_type;
	}
	r = kv_from_entries(&meta, (void *const *)req->match_metadata, req->n_match_metadata);
	f.metadata = &meta;
	if (r == 0)
		r = bpfman_list_programs(m, &f, &views, &n);
	kv_list_clear(&meta);
	if (r < 0)
		return fail_lib(out, m, r);
	resp = arena_alloc(&out->arena, sizeof(*resp));
	if (resp) {
		bpfman__v1__list_response__init(resp);
		resp->n_results = n;
		resp->results = arena_array(&out->arena, n, sizeof(*resp->results));
		for (size_t i = 0; resp->results && i < n; i++) {
			Bpfman__V1__ListResponse__ListResult *lr = arena_alloc(&out->arena, sizeof(*lr));

			if (!lr)
				break;
			bpfman__v1__list_response__list_result__init(lr);
			lr->kernel_info = kernel_info(&out->arena, &views[i].kernel);
			if (views[i].program) {
				lr->_info_case = BPFMAN__V1__LIST_RESPONSE__LIST_RESULT___INFO_INFO;
				lr->info = program_info(&out->arena, views[i].program);
			}
			resp->results[i] = lr;
		}
	}
	bpfman_program_views_free(views, n);
	out->response = &resp->base;
}

static void handle_get(struct bpfman *m, const ProtobufCMessage *msg, struct rpc_reply *out)
{
	const Bpfman__V1__GetRequest *req = (const void *)msg;
	struct bpfman_program_view v = { 0 };
	Bpfman__V1__GetResponse *resp;
	int r = bpfman_get_program(m, req->id, &v);

	if (r < 0)
		return fail_lib(out, m, r);
	resp = arena_alloc(&out->arena, sizeof(*resp));
	if (resp) {
		bpfman__v1__get_response__init(resp);
		resp->kernel_info = kernel_info(&out->arena, &v.kernel);
		if (v.program) {
			resp->_info_case = BPFMAN__V1__GET_RESPONSE___INFO_INFO;
			resp->info = program_info(&out->arena, v.program);
		}
	}
	bpfman_program_view_clear(&v);
	out->response = &resp->base;
}

static void handle_pull(struct bpfman *m, const ProtobufCMessage *msg, struct rpc_reply *out)
{
	const Bpfman__V1__PullBytecodeRequest *req = (const void *)msg;
	struct bpfman_load_opts lo = { 0 };
	struct bpfman_image_pull_opts o;
	struct bpfman_image img = { 0 };
	Bpfman__V1__PullBytecodeResponse *resp;
	int r;

	if (!image_request(req->image, &lo, out))
		return;
	o = (struct bpfman_image_pull_opts){ .url = lo.image_url,
					     .pull_policy = lo.pull_policy,
					     .username = lo.username,
					     .password = lo.password };
	r = bpfman_image_pull(m, &o, &img);
	bpfman_image_clear(&img);
	if (r < 0)
		return fail_lib(out, m, r);
	resp = arena_alloc(&out->arena, sizeof(*resp));
	if (!resp)
		return fail(out, -ENOMEM, "out of memory");
	bpfman__v1__pull_bytecode_response__init(resp);
	out->response = &resp->base;
}

const struct rpc_method rpc_methods[] = {
	{ "/bpfman.v1.Bpfman/Load", &bpfman__v1__load_request__descriptor, handle_load, true },
	{ "/bpfman.v1.Bpfman/Unload", &bpfman__v1__unload_request__descriptor, handle_unload, true },
	{ "/bpfman.v1.Bpfman/Attach", &bpfman__v1__attach_request__descriptor, handle_attach, true },
	{ "/bpfman.v1.Bpfman/Detach", &bpfman__v1__detach_request__descriptor, handle_detach, true },
	{ "/bpfman.v1.Bpfman/List", &bpfman__v1__list_request__descriptor, handle_list, false },
	{ "/bpfman.v1.Bpfman/PullBytecode", &bpfman__v1__pull_bytecode_request__descriptor,
	  handle_pull, true },
	{ "/bpfman.v1.Bpfman/Get", &bpfman__v1__get_request__descriptor, handle_get, false },
	/* the project's own service beside bpfman.v1 (proto/bpfman-apply.proto) */
	{ "/bpfman.apply.v1.BpfmanApply/Apply", &bpfman__apply__v1__apply_request__descriptor,
	  handle_app_apply, true },
	{ "/bpfman.apply.v1.BpfmanApply/Delete", &bpfman__apply__v1__delete_request__descriptor,
	  handle_app_delete, true },
	{ "/bpfman.apply.v1.BpfmanApply/Status", &bpfman__apply__v1__status_request__descriptor,
	  handle_app_status, false },
};
const unsigned rpc_n_methods = sizeof(rpc_methods) / sizeof(rpc_methods[0]);
