/* One handler per bpfman.v1 method: protobuf request -> library call -> protobuf response.
 * Handlers only translate; every behaviour lives in libbpfman. */
#pragma once

#include <stdbool.h>

#include <grpc/status.h>
#include <protobuf-c/protobuf-c.h>

#include "arena.h"
#include "bpfman.h"

/* Limits (one place): a request over one gets RESOURCE_EXHAUSTED. */
#define RPC_MAX_MESSAGE_BYTES (4 * 1024 * 1024)
#define RPC_MAX_PROGRAMS_PER_LOAD 64

struct rpc_reply {
	grpc_status_code status;
	char message[2048];
	ProtobufCMessage *response; /* allocated in arena; NULL on error */
	struct arena arena;
};

struct rpc_method {
	const char *path; /* "/bpfman.v1.Bpfman/Load" */
	const ProtobufCMessageDescriptor *input;
	void (*handle)(struct bpfman *m, const ProtobufCMessage *req, struct rpc_reply *out);
	bool changes_state; /* logged with the peer's credentials */
};

extern const struct rpc_method rpc_methods[];
extern const unsigned rpc_n_methods;
