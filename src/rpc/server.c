/* gRPC serving loop (grpc core 1.51 C API; the facts it relies on are verified in the
 * project's notes on grpc core).
 *
 * Threads:
 *   main     poll(listening socket, signalfd, timeout): accept4(SOCK_NONBLOCK), read
 *            SO_PEERCRED, hand the fd to grpc (grpc_server_add_channel_from_fd, only after
 *            grpc_server_start); on a signal or the inactivity timeout, shut down.
 *   events   grpc_completion_queue_next on the one cq, and never blocks: takes each new
 *            call at once (re-arms its request, starts watching for a cancel) and queues it
 *            for the workers; completes the calls' batches.
 *   workers  take calls from that queue (one shared queue: a busy worker never holds up
 *            another's call), each with its own libbpfman context, so List/Get run in
 *            parallel while changes serialize on the flock.
 * Why not workers on the cq: grpc 1.51 tells a server call of a cancel (RST_STREAM) only
 * if RECV_CLOSE_ON_SERVER was started before it arrived; started later, it just completes
 * at the end. A call waiting for a busy worker would be cancelled unseen, and its Load
 * committed for nobody (measured: 29 of 66 cancelled Loads). The events thread starts that
 * op within microseconds of the call's arrival.
 *
 * A call's life: requested (tag = struct call, state NEW) -> new-call event: re-arm first,
 * start SEND_INITIAL_METADATA and RECV_CLOSE_ON_SERVER on tags of their own (md_tag,
 * close_tag), so that a cancel or a vanished client is known while the handler runs;
 * queue -> a worker handles it (the library asks call_cancelled() before it commits) and
 * sends the rest in one batch (state DONE). The call is freed when every batch completed
 * and the worker let go (a reference each).
 * Shutdown: stop accepting, shutdown_and_notify, wait with a grace period, cancel the rest,
 * then close the gate (no start_batch after the cqs are shut down: that aborts), join;
 * a worker stuck in a handler past the bound is left behind: the process exits without it
 * (nothing is lost: a change is committed last, and programs are held by pins). */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <malloc.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <grpc/byte_buffer.h>
#include <grpc/byte_buffer_reader.h>
#include <grpc/grpc.h>
#include <grpc/grpc_posix.h>
#include <grpc/grpc_security.h>
#include <grpc/support/alloc.h>
#include <grpc/support/time.h>

#include "bpfman.h"
#include "cleanup.h"
#include "conns.h"
#include "handlers.h"
#include "wire-check.h"
#include "layout.h"
#include "link-watch.h"
#include "log.h"
#include "metrics.h"
#include "sd-protocol.h"
#include "server.h"

#define REQUESTS_PER_WORKER 2
#define SHUTDOWN_GRACE_MS 5000 /* for calls in flight to finish */
#define SHUTDOWN_FORCE_MS 1000 /* then for cancelled calls, then for the workers */
#define BIG_REPLY_BYTES (256 * 1024)

enum call_state { CALL_NEW, CALL_DONE, CALL_CLOSED, CALL_MD_SENT };

struct call {
	enum call_state state;
	enum call_state close_tag; /* CALL_CLOSED: the tag of the RECV_CLOSE_ON_SERVER batch */
	enum call_state md_tag; /* CALL_MD_SENT: the tag of the SEND_INITIAL_METADATA batch */
	bool md_started;
	atomic_int refs; /* one per batch in flight, one for the handler */
	atomic_bool cancel_seen; /* RECV_CLOSE_ON_SERVER completed with cancelled */
	struct conn_ref conn;
	struct ucred cred; /* of the connection; uid -1 when unknown */
	bool refused; /* the connection is over the limit: RESOURCE_EXHAUSTED */
	struct call *next; /* in the workers' queue */
	int method; /* index into rpc_methods, -1 for an unknown method */
	long long arrived_ns; /* CLOCK_MONOTONIC, for the latency metric */
	grpc_call *call;
	gpr_timespec deadline;
	grpc_metadata_array md;
	grpc_call_details details; /* unknown methods only */
	grpc_byte_buffer *payload;
	grpc_byte_buffer *response;
	grpc_slice status_details;
	bool has_details;
	int cancelled;
};

static struct {
	grpc_server *server;
	grpc_completion_queue *cq; /* the events thread's */
	pthread_mutex_t queue_lock;
	pthread_cond_t queue_cond;
	struct call *queue_head, **queue_tail;
	bool queue_closed; /* the workers drop what is left and exit */
	grpc_server_credentials *creds;
	void *handles[16];
	const struct server_opts *opts;
	atomic_bool stopping;
	pthread_rwlock_t gate; /* write-held to close the cqs; read-held around start_batch */
	bool cqs_closed;
	atomic_int in_flight;
	atomic_llong last_activity_ms;
} S;

static long long now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static long long now_ms(void)
{
	return now_ns() / 1000000;
}

/* ---- requests ---- */

static void request_call(int method)
{
	struct call *c;
	grpc_call_error e;

	if (atomic_load(&S.stopping))
		return;
	c = calloc(1, sizeof(*c));
	if (!c)
		return; /* the next re-arm tries again; other requests are still posted */
	c->method = method;
	c->conn.fd = -1; /* on no connection until handled */
	grpc_metadata_array_init(&c->md);
	if (method >= 0) {
		e = grpc_server_request_registered_call(S.server, S.handles[method], &c->call,
							&c->deadline, &c->md, &c->payload, S.cq,
							S.cq, c);
	} else {
		grpc_call_details_init(&c->details);
		e = grpc_server_request_call(S.server, &c->call, &c->details, &c->md, S.cq, S.cq, c);
	}
	if (e != GRPC_CALL_OK) {
		grpc_metadata_array_destroy(&c->md);
		if (method < 0)
			grpc_call_details_destroy(&c->details);
		free(c);
	}
}

static void call_free(struct call *c)
{
	if (c->payload)
		grpc_byte_buffer_destroy(c->payload);
	if (c->response)
		grpc_byte_buffer_destroy(c->response);
	if (c->has_details)
		grpc_slice_unref(c->status_details);
	if (c->call)
		grpc_call_unref(c->call);
	/* the metadata's keys and values belong to the call: destroy after the unref */
	grpc_metadata_array_destroy(&c->md);
	if (c->method < 0)
		grpc_call_details_destroy(&c->details);
	free(c);
}

/* One reference less; the last one frees the call. */
static void call_put(struct call *c)
{
	if (atomic_fetch_sub(&c->refs, 1) != 1)
		return;
	conns_call_end(&c->conn);
	atomic_store(&S.last_activity_ms, now_ms());
	atomic_fetch_sub(&S.in_flight, 1);
	call_free(c);
}

static bool deadline_passed(const struct call *c)
{
	return gpr_time_cmp(gpr_now(GPR_CLOCK_MONOTONIC),
			    gpr_convert_clock_type(c->deadline, GPR_CLOCK_MONOTONIC)) >= 0;
}

/* The library's cancel check (bpfman_set_cancel_check): nobody waits for the answer. */
static bool call_cancelled(void *data)
{
	struct call *c = data;

	return atomic_load(&c->cancel_seen) || deadline_passed(c);
}

static void reply_cancelled(struct call *c, struct rpc_reply *reply)
{
	bool late = deadline_passed(c);

	reply->status = late ? GRPC_STATUS_DEADLINE_EXCEEDED : GRPC_STATUS_CANCELLED;
	snprintf(reply->message, sizeof(reply->message), "%s: nothing was changed",
		 late ? "the deadline passed" : "the client cancelled the call");
}

/* Starts a batch of one op on a tag of its own; it holds a reference to the call. */
static bool start_side_batch(struct call *c, const grpc_op *op, enum call_state *tag)
{
	grpc_call_error e = GRPC_CALL_ERROR;

	atomic_fetch_add(&c->refs, 1);
	pthread_rwlock_rdlock(&S.gate);
	if (!S.cqs_closed)
		e = grpc_call_start_batch(c->call, op, 1, tag, NULL);
	pthread_rwlock_unlock(&S.gate);
	if (e != GRPC_CALL_OK)
		atomic_fetch_sub(&c->refs, 1); /* the handler still holds one */
	return e == GRPC_CALL_OK;
}

/* Learns of a cancel while the handler runs, on the events thread: RECV_CLOSE_ON_SERVER
 * completes when the client cancels or goes away (or, normally, once the status is sent);
 * but a call reset before it reached us (waiting for a worker) only says so at the end,
 * so the initial metadata goes out now too: sending it fails on a reset call. */
static void watch_cancel(struct call *c)
{
	grpc_op close = { .op = GRPC_OP_RECV_CLOSE_ON_SERVER,
			  .data.recv_close_on_server.cancelled = &c->cancelled };
	grpc_op md = { .op = GRPC_OP_SEND_INITIAL_METADATA };

	c->close_tag = CALL_CLOSED;
	c->md_tag = CALL_MD_SENT;
	start_side_batch(c, &close, &c->close_tag);
	c->md_started = start_side_batch(c, &md, &c->md_tag);
}

/* ---- handling ---- */

static grpc_byte_buffer *pack(const ProtobufCMessage *msg)
{
	size_t len = protobuf_c_message_get_packed_size(msg);
	grpc_slice s = grpc_slice_malloc(len);
	grpc_byte_buffer *bb;

	protobuf_c_message_pack(msg, GRPC_SLICE_START_PTR(s));
	bb = grpc_raw_byte_buffer_create(&s, 1);
	grpc_slice_unref(s);
	return bb;
}

/* NULL when the bytes are no such message; err says why when it can (wire-check.c). */
static ProtobufCMessage *unpack(const ProtobufCMessageDescriptor *d, grpc_byte_buffer *payload,
			       char *err, size_t errlen)
{
	grpc_byte_buffer_reader r;
	ProtobufCMessage *msg = NULL;
	grpc_slice s;

	if (!payload || !grpc_byte_buffer_reader_init(&r, payload))
		return NULL;
	s = grpc_byte_buffer_reader_readall(&r);
	grpc_byte_buffer_reader_destroy(&r);
	if (wire_check_strings(d, GRPC_SLICE_START_PTR(s), GRPC_SLICE_LENGTH(s), err, errlen) == 0)
		msg = protobuf_c_message_unpack(d, NULL, GRPC_SLICE_LENGTH(s),
						GRPC_SLICE_START_PTR(s));
	grpc_slice_unref(s);
	return msg;
}

/* The per-thread library context: opened on the thread's first call. */
static __thread struct bpfman *thread_ctx;

static struct bpfman *worker_ctx(void)
{
	struct bpfman_open_opts o = { .root = S.opts->root, .no_reconcile = true };

	if (!thread_ctx) {
		struct bpfman *m = NULL;
		int r = bpfman_open(&o, NULL, NULL, &m);

		if (r < 0) {
			log_error("cannot open the manager: %s", bpfman_error(m));
			bpfman_close(m);
			return NULL;
		}
		thread_ctx = m;
	}
	return thread_ctx;
}

static void handle(struct call *c, struct rpc_reply *reply)
{
	const struct rpc_method *meth = &rpc_methods[c->method];
	char why[300] = "";
	ProtobufCMessage *req;
	const struct ucred *cr = &c->cred;
	struct bpfman *m;

	reply->status = GRPC_STATUS_OK;
	if (c->refused) {
		reply->status = GRPC_STATUS_RESOURCE_EXHAUSTED;
		snprintf(reply->message, sizeof(reply->message),
			 "too many connections: at most %d at a time, %d per process, all busy",
			 CONNS_MAX, CONNS_MAX_PER_PEER);
		return;
	}
	if (!c->payload) {
		reply->status = GRPC_STATUS_INVALID_ARGUMENT;
		snprintf(reply->message, sizeof(reply->message), "no request message");
		return;
	}
	req = unpack(meth->input, c->payload, why, sizeof(why));
	if (!req) {
		reply->status = GRPC_STATUS_INVALID_ARGUMENT;
		if (why[0])
			snprintf(reply->message, sizeof(reply->message), "%s: %s",
				 meth->input->short_name, why);
		else
			snprintf(reply->message, sizeof(reply->message), "malformed %s request",
				 meth->input->short_name);
		return;
	}
	m = worker_ctx();
	if (call_cancelled(c)) {
		reply_cancelled(c, reply);
	} else if (!m) {
		reply->status = GRPC_STATUS_UNAVAILABLE;
		snprintf(reply->message, sizeof(reply->message), "the manager cannot open its state");
	} else {
		if (meth->changes_state) {
			log_info("%s from pid %d uid %d gid %d", strrchr(meth->path, '/') + 1, (int)cr->pid,
				 (int)cr->uid, (int)cr->gid);
		}
		bpfman_set_cancel_check(m, call_cancelled, c);
		meth->handle(m, req, reply);
		bpfman_set_cancel_check(m, NULL, NULL);
		if (reply->status != GRPC_STATUS_OK && call_cancelled(c))
			reply_cancelled(c, reply);
		if (reply->status == GRPC_STATUS_OK && (!reply->response || reply->arena.failed)) {
			reply->status = GRPC_STATUS_RESOURCE_EXHAUSTED;
			snprintf(reply->message, sizeof(reply->message), "out of memory building the response");
		}
		if (reply->status != GRPC_STATUS_OK)
			log_debug("%s: %s", strrchr(meth->path, '/') + 1, reply->message);
	}
	protobuf_c_message_free_unpacked(req, NULL);
}

/* Sends the reply in one batch. An error status still needs SEND_INITIAL_METADATA (without
 * it the status never reaches the client) and an OK one needs a message, even empty. */
static void finish(struct call *c, grpc_status_code status, const char *message,
		   const ProtobufCMessage *response)
{
	grpc_op ops[3];
	size_t n = 0;
	bool started = false;

	memset(ops, 0, sizeof(ops));
	if (!c->md_started)
		ops[n++].op = GRPC_OP_SEND_INITIAL_METADATA;
	if (status == GRPC_STATUS_OK && response) {
		c->response = pack(response);
		ops[n].op = GRPC_OP_SEND_MESSAGE;
		ops[n++].data.send_message.send_message = c->response;
	}
	ops[n].op = GRPC_OP_SEND_STATUS_FROM_SERVER;
	ops[n].data.send_status_from_server.status = status;
	if (message && *message) {
		c->status_details = grpc_slice_from_copied_string(message);
		c->has_details = true;
		ops[n].data.send_status_from_server.status_details = &c->status_details;
	}
	n++;
	c->state = CALL_DONE;
	metrics_record_call(c->method, status, (uint64_t)(now_ns() - c->arrived_ns));

	pthread_rwlock_rdlock(&S.gate);
	if (!S.cqs_closed)
		started = grpc_call_start_batch(c->call, ops, n, c, NULL) == GRPC_CALL_OK;
	pthread_rwlock_unlock(&S.gate);
	/* the handler's reference goes to the batch, or is dropped (the unref cancels); once
	 * started, c may be freed already by the events thread */
	if (!started)
		call_put(c);
}

static void handle_call(struct call *c)
{
	struct rpc_reply reply;
	bool big;

	if (c->method < 0) {
		char *method = grpc_slice_to_c_string(c->details.method);
		char msg[256];

		snprintf(msg, sizeof(msg), "unknown method %s", method ? method : "");
		gpr_free(method);
		finish(c, GRPC_STATUS_UNIMPLEMENTED, msg, NULL);
		return;
	}
	memset(&reply, 0, sizeof(reply));
	handle(c, &reply);
	big = reply.response && protobuf_c_message_get_packed_size(reply.response) > BIG_REPLY_BYTES;
	finish(c, reply.status, reply.message, reply.response);
	arena_free(&reply.arena); /* packed already */
	if (big)
		malloc_trim(0); /* a List of thousands leaves megabytes the heap would keep */
}

/* The events thread: takes every completion of the cq. */
static void *events(void *arg)
{
	for (;;) {
		grpc_event ev = grpc_completion_queue_next(S.cq, gpr_inf_future(GPR_CLOCK_REALTIME), NULL);
		enum call_state state;
		struct call *c;

		if (ev.type == GRPC_QUEUE_SHUTDOWN)
			break;
		if (ev.type != GRPC_OP_COMPLETE)
			continue;
		state = *(enum call_state *)ev.tag;
		if (state == CALL_CLOSED) {
			c = (struct call *)((char *)ev.tag - offsetof(struct call, close_tag));
			if (c->cancelled)
				atomic_store(&c->cancel_seen, true);
			call_put(c);
		} else if (state == CALL_MD_SENT) {
			c = (struct call *)((char *)ev.tag - offsetof(struct call, md_tag));
			if (!ev.success) /* the stream is gone */
				atomic_store(&c->cancel_seen, true);
			call_put(c);
		} else if (state == CALL_DONE) {
			call_put(ev.tag);
		} else if (!ev.success) { /* shutting down: this request will never be a call */
			call_free(ev.tag);
		} else {
			char *peer;

			c = ev.tag;
			c->arrived_ns = now_ns();
			/* counted on its connection from now (so never closed as idle) until freed */
			peer = grpc_call_get_peer(c->call);
			c->refused = conns_call_begin(peer, &c->conn, &c->cred);
			gpr_free(peer);
			atomic_fetch_add(&S.in_flight, 1);
			atomic_store(&S.last_activity_ms, now_ms());
			atomic_store(&c->refs, 1); /* the worker's */
			request_call(c->method); /* re-arm first: the number of posted requests stays constant */
			watch_cancel(c);
			pthread_mutex_lock(&S.queue_lock);
			if (S.queue_closed) { /* the workers may be gone */
				pthread_mutex_unlock(&S.queue_lock);
				call_put(c);
				continue;
			}
			*S.queue_tail = c;
			S.queue_tail = &c->next;
			pthread_cond_signal(&S.queue_cond);
			pthread_mutex_unlock(&S.queue_lock);
		}
	}
	return NULL;
}

static struct call *queue_pop(bool *closed)
{
	struct call *c;

	pthread_mutex_lock(&S.queue_lock);
	while (!S.queue_head && !S.queue_closed)
		pthread_cond_wait(&S.queue_cond, &S.queue_lock);
	c = S.queue_head;
	if (c) {
		S.queue_head = c->next;
		if (!S.queue_head)
			S.queue_tail = &S.queue_head;
	}
	*closed = S.queue_closed;
	pthread_mutex_unlock(&S.queue_lock);
	return c;
}

static void *worker(void *arg)
{
	struct call *c;
	bool closed;

	while ((c = queue_pop(&closed))) {
		if (closed)
			call_put(c); /* the cq is shut down: the unref cancels it */
		else
			handle_call(c);
	}
	if (thread_ctx)
		thread_ctx = bpfman_close(thread_ctx);
	return NULL;
}

/* ---- the listening socket ---- */

/* Refuses when a server answers on path; replaces a stale socket file. */
static int listen_on(const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	_cleanup_close_ int fd = -EBADF;
	int probe;

	if (strlen(path) >= sizeof(sa.sun_path))
		return log_error_errno(-ENAMETOOLONG, "socket path '%s' is too long", path), -ENAMETOOLONG;
	strcpy(sa.sun_path, path);
	probe = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (probe >= 0) {
		int live = connect(probe, (struct sockaddr *)&sa, sizeof(sa)) == 0;

		close(probe);
		if (live) {
			log_error("another server is already serving on %s", path);
			return -EADDRINUSE;
		}
	}
	(void)unlink(path); /* a stale socket file from a server that died */
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return log_error_errno(-errno, "socket");
	/* bind gives the file the socket inode's mode minus the umask, and a new socket's
	 * inode is 0777: narrow it first, so the file is never wider than 0660, even for a
	 * moment or under umask 0 (the chmod below adds back what the umask took) */
	if (fchmod(fd, 0660) < 0)
		return log_error_errno(-errno, "cannot set the mode of the socket");
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		return log_error_errno(-errno, "cannot bind %s", path);
	if (chmod(path, 0660) < 0)
		return log_error_errno(-errno, "cannot chmod %s", path);
	if (listen(fd, 128) < 0)
		return log_error_errno(-errno, "listen on %s", path);
	return TAKE_FD(fd);
}

static void accept_one(int lfd)
{
	struct ucred cred;
	socklen_t len = sizeof(cred);
	enum conn_verdict v;
	int fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);

	if (fd < 0)
		return;
	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) < 0) {
		close(fd);
		return;
	}
	v = conns_add(fd, &cred);
	if (v == CONN_CLOSE) {
		log_warn("closing a connection from pid %d: too many connections open already",
			 (int)cred.pid);
		close(fd);
		return;
	}
	if (v == CONN_REFUSE_CALLS)
		log_warn("connection from pid %d is over the limit and all others are busy: its calls are refused",
			 (int)cred.pid);
	log_debug("connection from pid %d uid %d", (int)cred.pid, (int)cred.uid);
	atomic_store(&S.last_activity_ms, now_ms());
	/* grpc owns fd from here and closes it when the connection ends */
	grpc_server_add_channel_from_fd(S.server, fd, S.creds);
}

/* ---- start / stop ---- */

static int start_grpc(unsigned workers, unsigned idle_s)
{
	grpc_arg args[] = {
		{ .type = GRPC_ARG_INTEGER, .key = GRPC_ARG_MAX_RECEIVE_MESSAGE_LENGTH,
		  .value.integer = RPC_MAX_MESSAGE_BYTES },
		/* applies to the fds we hand over too (checked on 1.51) */
		{ .type = GRPC_ARG_INTEGER, .key = GRPC_ARG_MAX_CONNECTION_IDLE_MS,
		  .value.integer = idle_s > INT_MAX / 1000 ? INT_MAX : (int)idle_s * 1000 },
	};
	grpc_channel_args cargs = { .num_args = ELEMENTSOF(args) - !idle_s, .args = args };

	S.server = grpc_server_create(&cargs, NULL);
	if (!S.server)
		return -ENOMEM;
	for (unsigned i = 0; i < rpc_n_methods; i++) {
		S.handles[i] = grpc_server_register_method(S.server, rpc_methods[i].path, NULL,
							   GRPC_SRM_PAYLOAD_READ_INITIAL_BYTE_BUFFER, 0);
		if (!S.handles[i])
			return -EINVAL;
	}
	S.cq = grpc_completion_queue_create_for_next(NULL);
	grpc_server_register_completion_queue(S.server, S.cq, NULL);
	S.creds = grpc_insecure_server_credentials_create();
	grpc_server_start(S.server);
	for (unsigned w = 0; w < workers * REQUESTS_PER_WORKER; w++)
		for (unsigned i = 0; i < rpc_n_methods; i++)
			request_call((int)i);
	request_call(-1); /* unknown methods get UNIMPLEMENTED instead of hanging */
	request_call(-1);
	return 0;
}

static gpr_timespec after_ms(int ms)
{
	return gpr_time_add(gpr_now(GPR_CLOCK_REALTIME), gpr_time_from_millis(ms, GPR_TIMESPAN));
}

/* Returns false when a worker is stuck in a handler: then nothing is destroyed (it still
 * uses the server) and the caller must exit without waiting for it. */
static bool stop_grpc(pthread_t *threads, unsigned workers)
{
	grpc_completion_queue *scq;
	struct timespec until;
	grpc_event ev;
	bool joined = true;
	int tag;

	if (!S.server)
		return true;
	scq = grpc_completion_queue_create_for_pluck(NULL);
	atomic_store(&S.stopping, true);
	grpc_server_shutdown_and_notify(S.server, scq, &tag);
	conns_close_idle();
	ev = grpc_completion_queue_pluck(scq, &tag, after_ms(SHUTDOWN_GRACE_MS), NULL);
	if (ev.type == GRPC_QUEUE_TIMEOUT) {
		log_warn("calls still running after %d ms: cancelling them", SHUTDOWN_GRACE_MS);
		grpc_server_cancel_all_calls(S.server);
		ev = grpc_completion_queue_pluck(scq, &tag, after_ms(SHUTDOWN_FORCE_MS), NULL);
		joined = ev.type != GRPC_QUEUE_TIMEOUT;
	}
	pthread_rwlock_wrlock(&S.gate);
	S.cqs_closed = true;
	grpc_completion_queue_shutdown(S.cq);
	pthread_rwlock_unlock(&S.gate);
	pthread_mutex_lock(&S.queue_lock);
	S.queue_closed = true;
	pthread_cond_broadcast(&S.queue_cond);
	pthread_mutex_unlock(&S.queue_lock);
	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += SHUTDOWN_FORCE_MS / 1000;
	for (unsigned i = 0; i < workers; i++)
		if (pthread_timedjoin_np(threads[i], NULL, &until) != 0)
			joined = false;
	if (!joined) {
		log_warn("a worker is still in a request %d ms after the signal: exiting without it (a change it had not committed is undone by the next start's reconcile)",
			 SHUTDOWN_GRACE_MS + 2 * SHUTDOWN_FORCE_MS);
		return false;
	}
	grpc_server_destroy(S.server);
	grpc_completion_queue_destroy(S.cq);
	grpc_completion_queue_shutdown(scq);
	grpc_completion_queue_destroy(scq);
	grpc_server_credentials_release(S.creds);
	return true;
}

/* systemd socket activation: one listening socket in LISTEN_FDS, at fd 3. */
static int activated_socket(void)
{
	int n = sd_proto_listen_fds(), type = 0, listening = 0;
	struct sockaddr_un sa;
	socklen_t len = sizeof(type), alen = sizeof(sa);

	if (n <= 0)
		return -ENOENT;
	if (n > 1)
		log_warn("%d sockets passed; serving on the first", n);
	if (getsockopt(3, SOL_SOCKET, SO_TYPE, &type, &len) < 0 ||
	    getsockopt(3, SOL_SOCKET, SO_ACCEPTCONN, &listening, &len) < 0 ||
	    getsockname(3, (struct sockaddr *)&sa, &alen) < 0 || sa.sun_family != AF_UNIX ||
	    type != SOCK_STREAM || !listening)
		return log_error_errno(-EINVAL, "the socket passed by systemd is not a listening Unix stream socket");
	(void)fcntl(3, F_SETFL, O_NONBLOCK);
	return 3;
}

int server_run(const struct server_opts *o)
{
	_cleanup_close_ int lfd = -EBADF, sfd = -EBADF;
	pthread_t threads[1 + 64]; /* the events thread, the workers */
	unsigned workers = o->workers ? o->workers : SERVER_DEFAULT_WORKERS, started = 0;
	bool activated = false, socket_created = false;
	struct link_watch *lw = NULL;
	sigset_t mask;
	int r;

	if (workers > ELEMENTSOF(threads) - 1)
		workers = ELEMENTSOF(threads) - 1;
	S.opts = o;
	pthread_rwlock_init(&S.gate, NULL);
	pthread_mutex_init(&S.queue_lock, NULL);
	pthread_cond_init(&S.queue_cond, NULL);
	S.queue_tail = &S.queue_head;
	atomic_store(&S.last_activity_ms, now_ms());

	sigemptyset(&mask);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGHUP);
	sfd = signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK);
	if (sfd < 0)
		return log_error_errno(-errno, "signalfd");

	lfd = activated_socket();
	if (lfd >= 0) {
		activated = true;
		log_info("serving on the socket passed by systemd");
	} else {
		_cleanup_free_ char *dir = strdup(o->socket_path);
		char *slash = dir ? strrchr(dir, '/') : NULL;

		if (slash && slash != dir) {
			*slash = '\0';
			(void)mkdir_p(dir, 0755);
		}
		lfd = listen_on(o->socket_path);
		if (lfd < 0)
			return lfd;
		socket_created = true;
		log_info("serving on %s", o->socket_path);
	}

	if (o->metrics_address) {
		r = metrics_start(o->metrics_address, o->root);
		if (r < 0) {
			if (socket_created)
				(void)unlink(o->socket_path);
			return r;
		}
	}
	grpc_init();
	r = start_grpc(workers, o->idle_timeout_s);
	if (r < 0) {
		log_error("cannot start the gRPC server");
		goto stop;
	}
	for (; started < 1 + workers; started++)
		if (pthread_create(&threads[started], NULL, started ? worker : events, NULL) != 0)
			break;
	/* pending links of declared applications complete when their interface appears */
	if (link_watch_start(o->root, &lw) < 0)
		log_warn("interfaces that appear will not complete pending links until the next apply");
	sd_proto_notify("READY=1");

	for (;;) {
		struct pollfd p[2] = { { .fd = lfd, .events = POLLIN }, { .fd = sfd, .events = POLLIN } };
		int wait_ms = -1;

		if (o->timeout_s) {
			long long idle = now_ms() - atomic_load(&S.last_activity_ms);

			/* links waiting for their interface keep a socket-activated server up */
			if (atomic_load(&S.in_flight) == 0 && idle >= o->timeout_s * 1000LL &&
			    !link_watch_pending(lw)) {
				log_info("no request for %u s: exiting", o->timeout_s);
				break;
			}
			wait_ms = 1000;
		}
		if (poll(p, 2, wait_ms) < 0 && errno != EINTR) {
			r = log_error_errno(-errno, "poll");
			break;
		}
		if (p[1].revents & POLLIN) {
			struct signalfd_siginfo si;

			if (read(sfd, &si, sizeof(si)) == sizeof(si) && si.ssi_signo != SIGHUP) {
				log_info("signal %d: stopping", (int)si.ssi_signo);
				break;
			}
		}
		if (p[0].revents & POLLIN)
			accept_one(lfd);
	}
	sd_proto_notify("STOPPING=1");
	/* it finishes a retry in progress while grpc shuts down, and is joined after */
	link_watch_signal(lw);
stop:
	/* no new connections; calls in flight finish within the grace period */
	lfd = safe_close(lfd);
	if (!stop_grpc(threads, started)) {
		if (socket_created && !activated)
			(void)unlink(o->socket_path);
		fflush(stderr);
		_exit(r < 0 ? 1 : 0); /* a stuck worker would run on into grpc's teardown */
	}
	link_watch_stop(lw);
	metrics_stop();
	grpc_shutdown();
	if (socket_created && !activated)
		(void)unlink(o->socket_path);
	return r;
}
