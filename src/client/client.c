/* libbpfman-client: the gRPC side. One channel to the server's unix socket, one pluck
 * completion queue, and one helper that runs a unary call as a single batch; each public
 * call converts its structs (client-convert.c), runs the call and converts the answer. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <grpc/byte_buffer.h>
#include <grpc/byte_buffer_reader.h>
#include <grpc/grpc.h>
#include <grpc/grpc_security.h>
#include <grpc/slice.h>
#include <grpc/support/alloc.h>
#include <grpc/support/time.h>

#include "bpfman-client.h"
#include "status-errno.h"
#include "client-internal.h"

#define DEFAULT_CONNECT_TIMEOUT_MS 5000

enum method {
	M_LOAD,
	M_UNLOAD,
	M_ATTACH,
	M_DETACH,
	M_LIST,
	M_GET,
	_M_MAX,
};

/* grpc keeps pointers to these for the life of the channel: they must be static. */
static const char *const method_paths[_M_MAX] = {
	[M_LOAD] = "/bpfman.v1.Bpfman/Load",	 [M_UNLOAD] = "/bpfman.v1.Bpfman/Unload",
	[M_ATTACH] = "/bpfman.v1.Bpfman/Attach", [M_DETACH] = "/bpfman.v1.Bpfman/Detach",
	[M_LIST] = "/bpfman.v1.Bpfman/List",	 [M_GET] = "/bpfman.v1.Bpfman/Get",
};

struct bpfman_client {
	grpc_channel *channel;
	grpc_completion_queue *cq;
	void *methods[_M_MAX];
	char *error; /* message of the last failed call, NULL when none */
};

/* ---- status and errors ---- */

/* errno_from_status(): the table shared with the server (status-errno.c) */

__attribute__((format(printf, 2, 3))) static void set_error(struct bpfman_client *c,
							     const char *fmt, ...)
{
	va_list ap;

	free(c->error);
	va_start(ap, fmt);
	if (vasprintf(&c->error, fmt, ap) < 0)
		c->error = NULL;
	va_end(ap);
}

static void clear_error(struct bpfman_client *c)
{
	free(c->error);
	c->error = NULL;
}

const char *bpfman_client_error(const struct bpfman_client *c)
{
	return c && c->error ? c->error : "";
}

/* A failure found before anything was sent. */
static int local_error(struct bpfman_client *c, int r, const char *why)
{
	if (r == -ENOMEM)
		set_error(c, "out of memory");
	else
		set_error(c, "%s", why ? why : strerror(-r));
	return r;
}

/* ---- connection ---- */

static int wait_ready(struct bpfman_client *c, int timeout_ms)
{
	gpr_timespec deadline = gpr_time_add(gpr_now(GPR_CLOCK_MONOTONIC),
					     gpr_time_from_millis(timeout_ms, GPR_TIMESPAN));
	grpc_connectivity_state s;
	grpc_event ev;

	/* try_to_connect = 1 starts the connection; a channel in TRANSIENT_FAILURE keeps
	 * retrying with backoff, so a server that is still starting is found in time */
	while ((s = grpc_channel_check_connectivity_state(c->channel, 1)) != GRPC_CHANNEL_READY) {
		if (s == GRPC_CHANNEL_SHUTDOWN)
			return -ECONNREFUSED;
		grpc_channel_watch_connectivity_state(c->channel, s, deadline, c->cq, c);
		ev = grpc_completion_queue_pluck(c->cq, c, gpr_inf_future(GPR_CLOCK_REALTIME),
						 NULL);
		if (!ev.success) /* deadline passed without a change */
			return -ECONNREFUSED;
	}
	return 0;
}

static grpc_channel *channel_create(const char *socket_path)
{
	grpc_channel_credentials *creds = grpc_insecure_credentials_create();
	/* a List of every kernel program may exceed the 4 MiB default */
	grpc_arg arg = { .type = GRPC_ARG_INTEGER,
			 .key = (char *)GRPC_ARG_MAX_RECEIVE_MESSAGE_LENGTH,
			 .value.integer = -1 };
	grpc_channel_args args = { .num_args = 1, .args = &arg };
	grpc_channel *ch = NULL;
	char *target;

	/* "unix:///abs/path" for absolute paths, "unix:rel/path" (relative to the cwd) */
	if (asprintf(&target, "%s%s", socket_path[0] == '/' ? "unix://" : "unix:",
		     socket_path) >= 0) {
		ch = grpc_channel_create(target, creds, &args);
		free(target);
	}
	grpc_channel_credentials_release(creds);
	return ch;
}

int bpfman_client_connect(const char *socket_path, int timeout_ms, struct bpfman_client **ret)
{
	struct bpfman_client *c;
	int r;

	*ret = NULL;
	c = calloc(1, sizeof(*c));
	if (!c)
		return -ENOMEM;
	/* reference-counted by grpc; bpfman_client_close() drops ours */
	grpc_init();
	c->channel = channel_create(socket_path ? socket_path : BPFMAN_DEFAULT_SOCKET);
	c->cq = grpc_completion_queue_create_for_pluck(NULL);
	if (!c->channel || !c->cq) {
		bpfman_client_close(c);
		return -ENOMEM;
	}
	for (int m = 0; m < _M_MAX; m++)
		c->methods[m] = grpc_channel_register_call(c->channel, method_paths[m], NULL, NULL);
	r = wait_ready(c, timeout_ms > 0 ? timeout_ms : DEFAULT_CONNECT_TIMEOUT_MS);
	if (r < 0) {
		bpfman_client_close(c);
		return r;
	}
	*ret = c;
	return 0;
}

void bpfman_client_close(struct bpfman_client *c)
{
	if (!c)
		return;
	if (c->channel)
		grpc_channel_destroy(c->channel);
	if (c->cq) {
		/* every batch was plucked already, so the drain returns SHUTDOWN at once */
		grpc_completion_queue_shutdown(c->cq);
		while (grpc_completion_queue_pluck(c->cq, NULL, gpr_inf_future(GPR_CLOCK_REALTIME),
						   NULL).type != GRPC_QUEUE_SHUTDOWN)
			;
		grpc_completion_queue_destroy(c->cq);
	}
	free(c->error);
	free(c);
	grpc_shutdown();
}

/* ---- one unary call ---- */

static grpc_byte_buffer *pack(const ProtobufCMessage *msg)
{
	grpc_slice s = grpc_slice_malloc(protobuf_c_message_get_packed_size(msg));
	grpc_byte_buffer *bb;

	protobuf_c_message_pack(msg, GRPC_SLICE_START_PTR(s));
	bb = grpc_raw_byte_buffer_create(&s, 1);
	grpc_slice_unref(s); /* bb holds its own reference */
	return bb;
}

/* An OK answer without a message decodes as the empty message. */
static ProtobufCMessage *unpack(const ProtobufCMessageDescriptor *desc, grpc_byte_buffer *bb)
{
	grpc_byte_buffer_reader r;
	ProtobufCMessage *m;
	grpc_slice s;

	if (!bb)
		return protobuf_c_message_unpack(desc, NULL, 0, (const uint8_t *)"");
	if (!grpc_byte_buffer_reader_init(&r, bb))
		return NULL;
	s = grpc_byte_buffer_reader_readall(&r);
	grpc_byte_buffer_reader_destroy(&r);
	m = protobuf_c_message_unpack(desc, NULL, GRPC_SLICE_LENGTH(s), GRPC_SLICE_START_PTR(s));
	grpc_slice_unref(s);
	return m;
}

/* What the server said (or grpc, for transport failures), as errno + message. */
static int call_failed(struct bpfman_client *c, grpc_status_code status, grpc_slice details,
		       const char *error_string)
{
	size_t len = GRPC_SLICE_LENGTH(details);

	if (len)
		set_error(c, "%.*s", (int)len, (const char *)GRPC_SLICE_START_PTR(details));
	else if (error_string)
		set_error(c, "%s", error_string);
	else
		set_error(c, "call failed with gRPC status %d", (int)status);
	return errno_from_status(status);
}

/* Runs method m with req; on success *ret is the unpacked answer (free it with
 * protobuf_c_message_free_unpacked). One batch does the whole call: send the request and
 * half-close, then receive metadata, the answer and the status. */
static int call_unary(struct bpfman_client *c, enum method m, const ProtobufCMessage *req,
		      const ProtobufCMessageDescriptor *resp_desc, ProtobufCMessage **ret)
{
	gpr_timespec deadline =
		gpr_time_add(gpr_now(GPR_CLOCK_MONOTONIC),
			     gpr_time_from_seconds(BPFMAN_CLIENT_CALL_TIMEOUT_S, GPR_TIMESPAN));
	grpc_metadata_array initial_md, trailing_md;
	grpc_status_code status = GRPC_STATUS_UNKNOWN;
	grpc_slice details = grpc_empty_slice();
	grpc_byte_buffer *recv = NULL, *send;
	const char *error_string = NULL;
	grpc_op ops[6] = { 0 };
	grpc_event ev = { 0 };
	grpc_call *call;
	int r = 0;

	*ret = NULL;
	call = grpc_channel_create_registered_call(c->channel, NULL, GRPC_PROPAGATE_DEFAULTS, c->cq,
						   c->methods[m], deadline, NULL);
	if (!call)
		return local_error(c, -ENOMEM, NULL);
	send = pack(req);
	grpc_metadata_array_init(&initial_md);
	grpc_metadata_array_init(&trailing_md);

	ops[0].op = GRPC_OP_SEND_INITIAL_METADATA;
	ops[1].op = GRPC_OP_SEND_MESSAGE;
	ops[1].data.send_message.send_message = send;
	ops[2].op = GRPC_OP_SEND_CLOSE_FROM_CLIENT;
	ops[3].op = GRPC_OP_RECV_INITIAL_METADATA;
	ops[3].data.recv_initial_metadata.recv_initial_metadata = &initial_md;
	ops[4].op = GRPC_OP_RECV_MESSAGE;
	ops[4].data.recv_message.recv_message = &recv;
	ops[5].op = GRPC_OP_RECV_STATUS_ON_CLIENT;
	ops[5].data.recv_status_on_client.trailing_metadata = &trailing_md;
	ops[5].data.recv_status_on_client.status = &status;
	ops[5].data.recv_status_on_client.status_details = &details;
	ops[5].data.recv_status_on_client.error_string = &error_string;

	/* the batch ends with the status, at the latest at the deadline: no timeout here */
	if (grpc_call_start_batch(call, ops, 6, call, NULL) != GRPC_CALL_OK)
		r = local_error(c, -EIO, "could not start the gRPC call");
	else
		ev = grpc_completion_queue_pluck(c->cq, call, gpr_inf_future(GPR_CLOCK_REALTIME),
						 NULL);

	if (r == 0 && (!ev.success || status != GRPC_STATUS_OK))
		r = call_failed(c, ev.success ? status : GRPC_STATUS_UNKNOWN, details,
				error_string);
	if (r == 0) {
		*ret = unpack(resp_desc, recv);
		if (!*ret)
			r = local_error(c, -EPROTO, "malformed answer from the server");
	}

	grpc_call_unref(call);
	grpc_byte_buffer_destroy(send);
	if (recv)
		grpc_byte_buffer_destroy(recv);
	grpc_slice_unref(details);
	gpr_free((void *)error_string);
	grpc_metadata_array_destroy(&initial_md);
	grpc_metadata_array_destroy(&trailing_md);
	return r;
}

/* ---- the API ---- */

static int views_alloc(size_t n, struct bpfman_program_view **ret)
{
	*ret = calloc(n ? n : 1, sizeof(**ret));
	return *ret ? 0 : -ENOMEM;
}

static int load_views(struct bpfman_client *c, const Bpfman__V1__LoadResponse *resp,
		      struct bpfman_program_view **ret_views, size_t *ret_n)
{
	struct bpfman_program_view *v;
	int r = views_alloc(resp->n_programs, &v);

	for (size_t i = 0; r == 0 && i < resp->n_programs; i++) {
		const Bpfman__V1__LoadResponseInfo *p = resp->programs[i];

		r = client_view_from_pb(p->info, p->kernel_info, &v[i]);
	}
	if (r < 0) {
		bpfman_program_views_free(v, resp->n_programs);
		return local_error(c, r, "malformed answer from the server");
	}
	*ret_views = v;
	*ret_n = resp->n_programs;
	return 0;
}

int bpfman_client_load(struct bpfman_client *c, const struct bpfman_load_opts *opts,
		       struct bpfman_program_view **ret_views, size_t *ret_n)
{
	Bpfman__V1__LoadRequest req = BPFMAN__V1__LOAD_REQUEST__INIT;
	Bpfman__V1__LoadResponse *resp = NULL;
	struct pb_arena a = { 0 };
	const char *why = NULL;
	int r;

	*ret_views = NULL;
	*ret_n = 0;
	clear_error(c);
	r = client_build_load_request(&a, opts, &req, &why);
	if (r < 0)
		local_error(c, r, why);
	else
		r = call_unary(c, M_LOAD, &req.base, &bpfman__v1__load_response__descriptor,
			       (ProtobufCMessage **)&resp);
	pb_arena_free(&a);
	if (r < 0)
		return r;
	r = load_views(c, resp, ret_views, ret_n);
	protobuf_c_message_free_unpacked(&resp->base, NULL);
	return r;
}

/* A call whose answer carries nothing we need. */
static int call_discard(struct bpfman_client *c, enum method m, const ProtobufCMessage *req,
			const ProtobufCMessageDescriptor *resp_desc)
{
	ProtobufCMessage *resp;
	int r;

	clear_error(c);
	r = call_unary(c, m, req, resp_desc, &resp);
	if (r == 0)
		protobuf_c_message_free_unpacked(resp, NULL);
	return r;
}

int bpfman_client_unload(struct bpfman_client *c, uint32_t prog_id)
{
	Bpfman__V1__UnloadRequest req = BPFMAN__V1__UNLOAD_REQUEST__INIT;

	req.id = prog_id;
	return call_discard(c, M_UNLOAD, &req.base, &bpfman__v1__unload_response__descriptor);
}

int bpfman_client_detach(struct bpfman_client *c, uint32_t link_id)
{
	Bpfman__V1__DetachRequest req = BPFMAN__V1__DETACH_REQUEST__INIT;

	req.link_id = link_id;
	return call_discard(c, M_DETACH, &req.base, &bpfman__v1__detach_response__descriptor);
}

int bpfman_client_attach(struct bpfman_client *c, uint32_t prog_id,
			 const struct bpfman_attach_opts *opts, uint32_t *ret_link_id)
{
	Bpfman__V1__AttachRequest req = BPFMAN__V1__ATTACH_REQUEST__INIT;
	Bpfman__V1__AttachInfo info = BPFMAN__V1__ATTACH_INFO__INIT;
	Bpfman__V1__AttachResponse *resp = NULL;
	struct pb_arena a = { 0 };
	const char *why = NULL;
	int r;

	clear_error(c);
	req.id = prog_id;
	req.attach = &info;
	r = client_build_attach_info(&a, opts, &info, &why);
	if (r < 0)
		local_error(c, r, why);
	else
		r = call_unary(c, M_ATTACH, &req.base, &bpfman__v1__attach_response__descriptor,
			       (ProtobufCMessage **)&resp);
	pb_arena_free(&a);
	if (r < 0)
		return r;
	if (ret_link_id)
		*ret_link_id = resp->link_id;
	protobuf_c_message_free_unpacked(&resp->base, NULL);
	return 0;
}

static int list_views(struct bpfman_client *c, const Bpfman__V1__ListResponse *resp,
		      struct bpfman_program_view **ret_views, size_t *ret_n)
{
	struct bpfman_program_view *v;
	int r = views_alloc(resp->n_results, &v);

	for (size_t i = 0; r == 0 && i < resp->n_results; i++) {
		const Bpfman__V1__ListResponse__ListResult *res = resp->results[i];
		bool managed = res->_info_case ==
			       BPFMAN__V1__LIST_RESPONSE__LIST_RESULT___INFO_INFO;

		r = client_view_from_pb(managed ? res->info : NULL, res->kernel_info, &v[i]);
	}
	if (r < 0) {
		bpfman_program_views_free(v, resp->n_results);
		return local_error(c, r, "malformed answer from the server");
	}
	*ret_views = v;
	*ret_n = resp->n_results;
	return 0;
}

int bpfman_client_list(struct bpfman_client *c, const struct bpfman_list_filter *filter,
		       struct bpfman_program_view **ret_views, size_t *ret_n)
{
	Bpfman__V1__ListRequest req = BPFMAN__V1__LIST_REQUEST__INIT;
	Bpfman__V1__ListResponse *resp = NULL;
	struct pb_arena a = { 0 };
	int r;

	*ret_views = NULL;
	*ret_n = 0;
	clear_error(c);
	r = client_build_list_request(&a, filter, &req);
	if (r < 0)
		local_error(c, r, NULL);
	else
		r = call_unary(c, M_LIST, &req.base, &bpfman__v1__list_response__descriptor,
			       (ProtobufCMessage **)&resp);
	pb_arena_free(&a);
	if (r < 0)
		return r;
	r = list_views(c, resp, ret_views, ret_n);
	protobuf_c_message_free_unpacked(&resp->base, NULL);
	return r;
}

int bpfman_client_get(struct bpfman_client *c, uint32_t prog_id, struct bpfman_program_view *ret)
{
	Bpfman__V1__GetRequest req = BPFMAN__V1__GET_REQUEST__INIT;
	Bpfman__V1__GetResponse *resp = NULL;
	bool managed;
	int r;

	memset(ret, 0, sizeof(*ret));
	clear_error(c);
	req.id = prog_id;
	r = call_unary(c, M_GET, &req.base, &bpfman__v1__get_response__descriptor,
		       (ProtobufCMessage **)&resp);
	if (r < 0)
		return r;
	managed = resp->_info_case == BPFMAN__V1__GET_RESPONSE___INFO_INFO;
	r = client_view_from_pb(managed ? resp->info : NULL, resp->kernel_info, ret);
	if (r < 0)
		local_error(c, r, "malformed answer from the server");
	protobuf_c_message_free_unpacked(&resp->base, NULL);
	return r;
}
