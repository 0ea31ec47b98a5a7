/* A small unary-only gRPC server on one Unix socket (grpc core 1.51 + protobuf-c), for the
 * CSI driver's two sockets. Unlike the bpfman.v1 server it needs no peer credentials, no
 * cancel tracking and no socket activation: kubelet is its only client and every call is
 * short, so a few threads take calls straight from one shared completion queue. */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include <grpc/status.h>
#include <protobuf-c/protobuf-c.h>

struct unary_reply {
	grpc_status_code status;
	char message[1024];
	void *bytes; /* the packed response (malloc'd), set by unary_reply_ok() */
	size_t len;
	bool has_response;
};

struct unary_method {
	const char *path; /* "/csi.v1.Node/NodePublishVolume" */
	const ProtobufCMessageDescriptor *input; /* NULL: answered UNIMPLEMENTED */
	void (*handle)(void *ctx, const ProtobufCMessage *req, struct unary_reply *out);
};

/* Packs msg as the OK answer. */
void unary_reply_ok(struct unary_reply *out, const ProtobufCMessage *msg);
void unary_reply_error(struct unary_reply *out, grpc_status_code status, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

struct unary_server;

/* Serves methods (the array must outlive the server) on socket_path, mode 0660; a stale
 * socket file is replaced, a live one refused (-EADDRINUSE). Call after grpc_init() with
 * the signals blocked. 0 or a negative errno; the message is in err. */
int unary_server_start(const char *socket_path, const struct unary_method *methods, size_t n,
		       unsigned threads, void *ctx, struct unary_server **ret, char *err,
		       size_t errlen);
/* Waits a little for calls in flight, cancels the rest, removes the socket. NULL is fine. */
void unary_server_stop(struct unary_server *s);
