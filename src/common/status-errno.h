/* errno <-> gRPC status, in one table shared by the server (bpfman-rpc) and the client
 * library, so that what one side sends the other reads back as the same error. */
#pragma once

#include <grpc/status.h>

/* r: an errno, either sign. 0 -> OK; an errno the table does not name -> INTERNAL. */
grpc_status_code status_from_errno(int r);
/* A negative errno: the canonical one of the status (OK -> 0, unknown -> -EIO). */
int errno_from_status(grpc_status_code s);

/* The table itself, for the round-trip test. */
struct status_errno {
	int err;
	grpc_status_code status;
	int canonical; /* the errno a client reads for this status */
};
extern const struct status_errno status_errno_table[];
extern const unsigned status_errno_table_len;
