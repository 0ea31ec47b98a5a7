/* libFuzzer harness: each RPC's request bytes. The first byte picks the method (as the
 * server's method table does from the path); the rest is unpacked with protobuf-c as the
 * server does, handed to the method's handler (handlers.c: request -> library options,
 * validation, response building), and the response is packed.
 *
 * The library's state-changing entry points are replaced (-Wl,--wrap in meson.build) by
 * stand-ins that read every byte the handler passed (so ASan sees a bad pointer or a
 * missing terminator), enforce the limits the handler promises, and answer with a record
 * built from the request, so the response side runs on fuzzed strings too. Nothing touches
 * the kernel or the file system. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "bpfman.pb-c.h"
#include "handlers.h"
#include "manager.h"
#include "strv.h"
#include "validate.h"
#include "wire-check.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int __wrap_bpfman_load(struct bpfman *m, const struct bpfman_load_opts *o,
		       struct bpfman_program_view **ret_views, size_t *ret_n);
int __wrap_bpfman_unload(struct bpfman *m, uint32_t id);
int __wrap_bpfman_attach(struct bpfman *m, uint32_t prog_id, const struct bpfman_attach_opts *o,
			 uint32_t *ret_link_id);
int __wrap_bpfman_detach(struct bpfman *m, uint32_t link_id);
int __wrap_bpfman_list_programs(struct bpfman *m, const struct bpfman_list_filter *f,
				struct bpfman_program_view **ret, size_t *ret_n);
int __wrap_bpfman_get_program(struct bpfman *m, uint32_t id, struct bpfman_program_view *ret);

static volatile size_t sink;

/* Reads the whole string (NULL is allowed: the library checks for it). */
static void touch_str(const char *s)
{
	if (s)
		sink += strlen(s);
}

static void touch_bytes(const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		sink += p[i];
}

static void touch_kv(const struct kv_list *l)
{
	for (size_t i = 0; l && i < l->n; i++) {
		touch_str(l->items[i].key);
		touch_str(l->items[i].value);
	}
}

static struct bpfman_program *record_from(const struct bpfman_load_opts *o, size_t i)
{
	struct bpfman_program *p = calloc(1, sizeof(*p));

	if (!p)
		return NULL;
	p->id = (uint32_t)i + 1;
	p->type = o->progs[i].type;
	p->name = strdup(o->progs[i].name ? o->progs[i].name : "");
	p->path = o->path ? strdup(o->path) : NULL;
	p->attach_fn = o->progs[i].attach_fn ? strdup(o->progs[i].attach_fn) : NULL;
	p->map_pin_path = strdup("/run/bpfman/fs/maps/1");
	p->has_map_owner = o->has_map_owner;
	p->map_owner_id = o->map_owner_id;
	for (size_t j = 0; o->metadata && j < o->metadata->n; j++)
		if (kv_list_set(&p->metadata, o->metadata->items[j].key,
				o->metadata->items[j].value) < 0)
			break;
	return p;
}

int __wrap_bpfman_load(struct bpfman *m, const struct bpfman_load_opts *o,
		       struct bpfman_program_view **ret_views, size_t *ret_n)
{
	struct bpfman_program_view *v;
	char err[512];

	/* the library's own request checks run first, as in the real bpfman_load() */
	if (validate_load(o, err, sizeof(err)) < 0)
		return manager_error(m, -EINVAL, "%s", err);
	touch_str(o->path);
	touch_str(o->image_url);
	if (o->n_progs == 0 || o->n_progs > RPC_MAX_PROGRAMS_PER_LOAD)
		abort(); /* the handler refuses these itself */
	for (size_t i = 0; i < o->n_progs; i++) {
		if ((unsigned)o->progs[i].type >= _BPFMAN_PROG_TYPE_MAX)
			abort();
		touch_str(o->progs[i].name);
		touch_str(o->progs[i].attach_fn);
	}
	for (size_t i = 0; i < o->n_globals; i++) {
		touch_str(o->globals[i].name);
		touch_bytes(o->globals[i].data, o->globals[i].len);
	}
	touch_kv(o->metadata);
	if (!o->path || (o->n_progs & 1))
		return manager_error(m, -ENOENT, "cannot open object file '%s'",
				     o->path ? o->path : "");
	v = calloc(o->n_progs, sizeof(*v));
	if (!v)
		return -ENOMEM;
	for (size_t i = 0; i < o->n_progs; i++) {
		v[i].kernel.id = (uint32_t)i + 1;
		v[i].program = record_from(o, i);
	}
	*ret_views = v;
	*ret_n = o->n_progs;
	return 0;
}

int __wrap_bpfman_unload(struct bpfman *m, uint32_t id)
{
	return id & 1 ? manager_error(m, -ENOENT, "program %u does not exist", id) : 0;
}

int __wrap_bpfman_detach(struct bpfman *m, uint32_t link_id)
{
	return link_id & 1 ? manager_error(m, -ENOENT, "link %u does not exist", link_id) : 0;
}

int __wrap_bpfman_attach(struct bpfman *m, uint32_t prog_id, const struct bpfman_attach_opts *o,
			 uint32_t *ret_link_id)
{
	struct bpfman_attach_opts filled;
	char err[512];

	/* the library's own request checks run first, as in the real bpfman_attach() */
	if (validate_attach(o, &filled, err, sizeof(err)) < 0)
		return manager_error(m, -EINVAL, "%s", err);
	if ((unsigned)o->type >= _BPFMAN_PROG_TYPE_MAX)
		abort();
	touch_str(o->iface);
	touch_str(o->netns);
	touch_str(o->tracepoint);
	touch_str(o->fn_name);
	touch_str(o->target);
	touch_kv(o->metadata);
	for (size_t i = 0; i < o->n_proceed_on; i++)
		sink += (size_t)o->proceed_on[i];
	if (prog_id & 1)
		return manager_error(m, -ENOENT, "program %u does not exist", prog_id);
	*ret_link_id = prog_id + 1;
	return 0;
}

int __wrap_bpfman_list_programs(struct bpfman *m, const struct bpfman_list_filter *f,
				struct bpfman_program_view **ret, size_t *ret_n)
{
	touch_kv(f->metadata);
	*ret = NULL;
	*ret_n = 0;
	return 0;
}

int __wrap_bpfman_get_program(struct bpfman *m, uint32_t id, struct bpfman_program_view *ret)
{
	if (id & 1)
		return manager_error(m, -ENOENT, "program %u does not exist", id);
	memset(ret, 0, sizeof(*ret));
	ret->kernel.id = id;
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct bpfman m; /* only its error buffer is used by the stand-ins */
	const struct rpc_method *meth;
	struct rpc_reply reply;
	ProtobufCMessage *req;

	if (size < 1)
		return 0;
	meth = &rpc_methods[data[0] % rpc_n_methods];
	/* the server's check of the wire bytes, before it unpacks them */
	if (wire_check_strings(meth->input, data + 1, size - 1, reply.message,
			       sizeof(reply.message)) < 0)
		return 0;
	req = protobuf_c_message_unpack(meth->input, NULL, size - 1, data + 1);
	if (!req)
		return 0;
	memset(&reply, 0, sizeof(reply));
	meth->handle(&m, req, &reply);
	if (reply.status == GRPC_STATUS_OK && reply.response && !reply.arena.failed) {
		size_t len = protobuf_c_message_get_packed_size(reply.response);
		uint8_t *buf = malloc(len ? len : 1);

		if (buf && protobuf_c_message_pack(reply.response, buf) != len)
			abort();
		free(buf);
	} else if (reply.status != GRPC_STATUS_OK && !reply.message[0]) {
		abort(); /* every refusal says why */
	}
	arena_free(&reply.arena);
	protobuf_c_message_free_unpacked(req, NULL);
	return 0;
}
