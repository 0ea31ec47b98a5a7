/* Handlers of bpfman.apply.v1.BpfmanApply (proto/bpfman-apply.proto): declared
 * applications over gRPC, the same reconciler calls as `bpfman apply / delete / status`. */
#pragma once

#include "bpfman-apply.pb-c.h"
#include "handlers.h"

void handle_app_apply(struct bpfman *m, const ProtobufCMessage *req, struct rpc_reply *out);
void handle_app_delete(struct bpfman *m, const ProtobufCMessage *req, struct rpc_reply *out);
void handle_app_status(struct bpfman *m, const ProtobufCMessage *req, struct rpc_reply *out);
