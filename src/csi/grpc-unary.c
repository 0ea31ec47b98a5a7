/* See grpc-unary.h. The call protocol follows the project's notes on grpc core 1.51: a
 * registered method with READ_INITIAL_BYTE_BUFFER brings the request with the new-call
 * event; one batch answers (initial metadata always, a message for OK, the status, and
 * RECV_CLOSE_ON_SERVER); a generic request catches unknown methods (UNIMPLEMENTED instead
 * of a hang); shutdown closes a gate before the cq so no batch starts on a dead cq. */
#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <grpc/byte_buffer.h>
#include <grpc/byte_buffer_reader.h>
#include <grpc/grpc.h>
#include <grpc/grpc_security.h>
#include <grpc/support/alloc.h>
#include <grpc/support/time.h>

#include "grpc-unary.h"

#define MAX_THREADS 8
#define REQUESTS_PER_METHOD 2
#define SHUTDOWN_GRACE_MS 2000
#define MAX_REQUEST_BYTES (1024 * 1024)

enum tag_kind { TAG_NEW, TAG_DONE };

struct ucall {
	enum tag_kind kind;
	int method; /* -1: the generic request (unknown methods) */
	grpc_call *call;
	gpr_timespec deadline;
	grpc_metadata_array md;
	grpc_call_details details;
	grpc_byte_buffer *payload;
	grpc_byte_buffer *response;
	grpc_slice status_details;
	bool has_details;
	int cancelled;
};

struct unary_server {
	grpc_server *server;
	grpc_completion_queue *cq;
	const struct unary_method *methods;
	size_t n;
	void **handles;
	void *ctx;
	char *path;
	pthread_t threads[MAX_THREADS];
	unsigned n_threads;
	atomic_bool stopping;
	pthread_rwlock_t gate; /* write-held to shut the cq down; read-held around start_batch */
	bool cq_closed;
};

void unary_reply_ok(struct unary_reply *out, const ProtobufCMessage *msg)
{
	size_t len = protobuf_c_message_get_packed_size(msg);

	free(out->bytes);
	out->bytes = malloc(len ? len : 1);
	if (!out->bytes) {
		unary_reply_error(out, GRPC_STATUS_RESOURCE_EXHAUSTED, "out of memory");
		return;
	}
	out->len = protobuf_c_message_pack(msg, out->bytes);
	out->status = GRPC_STATUS_OK;
	out->has_response = true;
}

void unary_reply_error(struct unary_reply *out, grpc_status_code status, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(out->message, sizeof(out->message), fmt, ap);
	va_end(ap);
	out->status = status;
	out->has_response = false;
}

static void request(struct unary_server *s, int method)
{
	struct ucall *c;
	grpc_call_error e;

	if (atomic_load(&s->stopping))
		return;
	c = calloc(1, sizeof(*c));
	if (!c)
		return;
	c->kind = TAG_NEW;
	c->method = method;
	grpc_metadata_array_init(&c->md);
	grpc_call_details_init(&c->details);
	if (method >= 0)
		e = grpc_server_request_registered_call(s->server, s->handles[method], &c->call,
							&c->deadline, &c->md, &c->payload, s->cq,
							s->cq, c);
	else
		e = grpc_server_request_call(s->server, &c->call, &c->details, &c->md, s->cq, s->cq, c);
	if (e != GRPC_CALL_OK) {
		grpc_metadata_array_destroy(&c->md);
		grpc_call_details_destroy(&c->details);
		free(c);
	}
}

static void ucall_free(struct ucall *c)
{
	if (c->payload)
		grpc_byte_buffer_destroy(c->payload);
	if (c->response)
		grpc_byte_buffer_destroy(c->response);
	if (c->has_details)
		grpc_slice_unref(c->status_details);
	if (c->call)
		grpc_call_unref(c->call);
	/* keys and values belong to the call: after the unref */
	grpc_metadata_array_destroy(&c->md);
	grpc_call_details_destroy(&c->details);
	free(c);
}

static ProtobufCMessage *unpack(const ProtobufCMessageDescriptor *d, grpc_byte_buffer *payload)
{
	grpc_byte_buffer_reader r;
	ProtobufCMessage *msg;
	grpc_slice sl;

	if (!payload || !grpc_byte_buffer_reader_init(&r, payload))
		return NULL;
	sl = grpc_byte_buffer_reader_readall(&r);
	grpc_byte_buffer_reader_destroy(&r);
	msg = protobuf_c_message_unpack(d, NULL, GRPC_SLICE_LENGTH(sl), GRPC_SLICE_START_PTR(sl));
	grpc_slice_unref(sl);
	return msg;
}

static void handle(struct unary_server *s, struct ucall *c, struct unary_reply *reply)
{
	const struct unary_method *m;
	ProtobufCMessage *req;

	if (c->method < 0) {
		char *name = grpc_slice_to_c_string(c->details.method);

		unary_reply_error(reply, GRPC_STATUS_UNIMPLEMENTED, "unknown method %s", name ? name : "");
		gpr_free(name);
		return;
	}
	m = &s->methods[c->method];
	if (!m->input || !m->handle) {
		unary_reply_error(reply, GRPC_STATUS_UNIMPLEMENTED, "%s is not implemented by this driver",
				  strrchr(m->path, '/') + 1);
		return;
	}
	req = unpack(m->input, c->payload);
	if (!req) {
		unary_reply_error(reply, GRPC_STATUS_INVALID_ARGUMENT, "malformed %s",
				  m->input->short_name);
		return;
	}
	m->handle(s->ctx, req, reply);
	protobuf_c_message_free_unpacked(req, NULL);
}

/* Answers in one batch; the call is freed when that batch completes. */
static void finish(struct unary_server *s, struct ucall *c, struct unary_reply *reply)
{
	grpc_op ops[4];
	size_t n = 0;
	grpc_call_error e = GRPC_CALL_ERROR;

	memset(ops, 0, sizeof(ops));
	ops[n++].op = GRPC_OP_SEND_INITIAL_METADATA; /* an error status needs it too */
	if (reply->status == GRPC_STATUS_OK && reply->has_response) {
		grpc_slice sl = grpc_slice_from_copied_buffer(reply->bytes, reply->len);

		c->response = grpc_raw_byte_buffer_create(&sl, 1);
		grpc_slice_unref(sl);
		ops[n].op = GRPC_OP_SEND_MESSAGE;
		ops[n++].data.send_message.send_message = c->response;
	}
	ops[n].op = GRPC_OP_SEND_STATUS_FROM_SERVER;
	ops[n].data.send_status_from_server.status = reply->status;
	if (reply->status != GRPC_STATUS_OK && reply->message[0]) {
		c->status_details = grpc_slice_from_copied_string(reply->message);
		c->has_details = true;
		ops[n].data.send_status_from_server.status_details = &c->status_details;
	}
	n++;
	ops[n].op = GRPC_OP_RECV_CLOSE_ON_SERVER;
	ops[n++].data.recv_close_on_server.cancelled = &c->cancelled;
	c->kind = TAG_DONE;
	pthread_rwlock_rdlock(&s->gate);
	if (!s->cq_closed)
		e = grpc_call_start_batch(c->call, ops, n, c, NULL);
	pthread_rwlock_unlock(&s->gate);
	if (e != GRPC_CALL_OK)
		ucall_free(c); /* the unref cancels the call */
}

static void *worker(void *arg)
{
	struct unary_server *s = arg;

	for (;;) {
		grpc_event ev = grpc_completion_queue_next(s->cq, gpr_inf_future(GPR_CLOCK_REALTIME), NULL);
		struct ucall *c = ev.tag;
		struct unary_reply reply;

		if (ev.type == GRPC_QUEUE_SHUTDOWN)
			break;
		if (ev.type != GRPC_OP_COMPLETE)
			continue;
		if (c->kind == TAG_DONE || !ev.success) {
			ucall_free(c); /* answered, or a request the shutdown ended */
			continue;
		}
		request(s, c->method); /* re-arm first */
		memset(&reply, 0, sizeof(reply));
		handle(s, c, &reply);
		finish(s, c, &reply);
		free(reply.bytes);
	}
	return NULL;
}

/* A server already answering on path is not replaced. */
static int socket_live(const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd, live;

	if (strlen(path) >= sizeof(sa.sun_path))
		return -ENAMETOOLONG;
	strcpy(sa.sun_path, path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	live = connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0;
	close(fd);
	return live;
}

int unary_server_start(const char *socket_path, const struct unary_method *methods, size_t n,
		       unsigned threads, void *ctx, struct unary_server **ret, char *err,
		       size_t errlen)
{
	grpc_arg args[] = { { .type = GRPC_ARG_INTEGER, .key = GRPC_ARG_MAX_RECEIVE_MESSAGE_LENGTH,
			      .value.integer = MAX_REQUEST_BYTES } };
	grpc_channel_args cargs = { .num_args = 1, .args = args };
	grpc_server_credentials *creds;
	struct unary_server *s;
	char *addr = NULL;
	int r, port;

	*ret = NULL;
	r = socket_live(socket_path);
	if (r < 0) {
		snprintf(err, errlen, "socket path '%s': %s", socket_path, strerror(-r));
		return r;
	}
	if (r > 0) {
		snprintf(err, errlen, "another server is already serving on %s", socket_path);
		return -EADDRINUSE;
	}
	s = calloc(1, sizeof(*s));
	if (!s || !(s->handles = calloc(n ? n : 1, sizeof(void *))) || !(s->path = strdup(socket_path)) ||
	    asprintf(&addr, "unix:%s", socket_path) < 0) {
		if (s) {
			free(s->handles);
			free(s->path);
		}
		free(s);
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	s->methods = methods;
	s->n = n;
	s->ctx = ctx;
	pthread_rwlock_init(&s->gate, NULL);
	s->server = grpc_server_create(&cargs, NULL);
	for (size_t i = 0; i < n; i++)
		s->handles[i] = grpc_server_register_method(s->server, methods[i].path, NULL,
							    GRPC_SRM_PAYLOAD_READ_INITIAL_BYTE_BUFFER, 0);
	s->cq = grpc_completion_queue_create_for_next(NULL);
	grpc_server_register_completion_queue(s->server, s->cq, NULL);
	creds = grpc_insecure_server_credentials_create();
	/* binds (replacing a stale file); the mode comes from the umask: narrowed below */
	port = grpc_server_add_http2_port(s->server, addr, creds);
	grpc_server_credentials_release(creds);
	free(addr);
	if (!port) {
		snprintf(err, errlen, "cannot listen on %s (does its directory exist?)", socket_path);
		grpc_server_destroy(s->server);
		grpc_completion_queue_shutdown(s->cq);
		grpc_completion_queue_destroy(s->cq);
		pthread_rwlock_destroy(&s->gate);
		free(s->handles);
		free(s->path);
		free(s);
		return -EADDRNOTAVAIL;
	}
	(void)chmod(socket_path, 0660);
	grpc_server_start(s->server);
	if (threads < 1)
		threads = 1;
	if (threads > MAX_THREADS)
		threads = MAX_THREADS;
	for (unsigned t = 0; t < threads; t++)
		for (size_t i = 0; i < n; i++)
			for (int k = 0; k < REQUESTS_PER_METHOD; k++)
				request(s, (int)i);
	request(s, -1);
	request(s, -1);
	for (; s->n_threads < threads; s->n_threads++)
		if (pthread_create(&s->threads[s->n_threads], NULL, worker, s) != 0)
			break;
	if (!s->n_threads) {
		snprintf(err, errlen, "cannot start a thread");
		unary_server_stop(s);
		return -EAGAIN;
	}
	*ret = s;
	return 0;
}

void unary_server_stop(struct unary_server *s)
{
	grpc_completion_queue *scq;
	grpc_event ev;
	int tag;

	if (!s)
		return;
	atomic_store(&s->stopping, true);
	scq = grpc_completion_queue_create_for_pluck(NULL);
	grpc_server_shutdown_and_notify(s->server, scq, &tag);
	ev = grpc_completion_queue_pluck(scq, &tag,
					 gpr_time_add(gpr_now(GPR_CLOCK_REALTIME),
						      gpr_time_from_millis(SHUTDOWN_GRACE_MS, GPR_TIMESPAN)),
					 NULL);
	if (ev.type == GRPC_QUEUE_TIMEOUT) {
		grpc_server_cancel_all_calls(s->server);
		(void)grpc_completion_queue_pluck(scq, &tag, gpr_inf_future(GPR_CLOCK_REALTIME), NULL);
	}
	pthread_rwlock_wrlock(&s->gate);
	s->cq_closed = true;
	grpc_completion_queue_shutdown(s->cq);
	pthread_rwlock_unlock(&s->gate);
	for (unsigned i = 0; i < s->n_threads; i++)
		pthread_join(s->threads[i], NULL);
	grpc_server_destroy(s->server);
	grpc_completion_queue_destroy(s->cq);
	grpc_completion_queue_shutdown(scq);
	grpc_completion_queue_destroy(scq);
	pthread_rwlock_destroy(&s->gate);
	(void)unlink(s->path);
	free(s->handles);
	free(s->path);
	free(s);
}
