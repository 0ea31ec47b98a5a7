/* The reference answers every failure with ABORTED; we give the proper code and keep the
 * reference's phrases in the message, so clients of either kind work. Several errnos
 * share a status; the canonical one is what the client reads back, and it maps to the
 * same status again (checked by test-status-errno). */
#include <errno.h>

#include "status-errno.h"

const struct status_errno status_errno_table[] = {
	{ ENOENT, GRPC_STATUS_NOT_FOUND, 1 },
	{ ENODEV, GRPC_STATUS_NOT_FOUND, 0 },
	{ ESRCH, GRPC_STATUS_NOT_FOUND, 0 },
	{ EINVAL, GRPC_STATUS_INVALID_ARGUMENT, 1 },
	{ ENOEXEC, GRPC_STATUS_INVALID_ARGUMENT, 0 },
	{ ERANGE, GRPC_STATUS_INVALID_ARGUMENT, 0 },
	{ EEXIST, GRPC_STATUS_ALREADY_EXISTS, 1 },
	{ EBUSY, GRPC_STATUS_FAILED_PRECONDITION, 1 },
	{ ESTALE, GRPC_STATUS_FAILED_PRECONDITION, 0 },
	{ EPERM, GRPC_STATUS_PERMISSION_DENIED, 1 },
	{ EACCES, GRPC_STATUS_PERMISSION_DENIED, 0 },
	{ EKEYREJECTED, GRPC_STATUS_PERMISSION_DENIED, 0 }, /* an image's signature refused */
	{ E2BIG, GRPC_STATUS_RESOURCE_EXHAUSTED, 1 },
	{ ENOSPC, GRPC_STATUS_RESOURCE_EXHAUSTED, 0 },
	{ EMSGSIZE, GRPC_STATUS_RESOURCE_EXHAUSTED, 0 },
	{ EFBIG, GRPC_STATUS_RESOURCE_EXHAUSTED, 0 }, /* an image over a size limit (gzip bomb) */
	{ ENOMEM, GRPC_STATUS_RESOURCE_EXHAUSTED, 0 },
	{ EOPNOTSUPP, GRPC_STATUS_UNIMPLEMENTED, 1 },
	{ ECONNREFUSED, GRPC_STATUS_UNAVAILABLE, 1 },
	{ EAGAIN, GRPC_STATUS_UNAVAILABLE, 0 },
	{ EHOSTUNREACH, GRPC_STATUS_UNAVAILABLE, 0 }, /* a registry that cannot be reached */
	{ ENETUNREACH, GRPC_STATUS_UNAVAILABLE, 0 },
	{ ECONNRESET, GRPC_STATUS_UNAVAILABLE, 0 },
	{ ELOOP, GRPC_STATUS_UNAVAILABLE, 0 }, /* a registry's redirect loop */
	{ EPROTO, GRPC_STATUS_UNAVAILABLE, 0 }, /* a registry that breaks its API, or TLS */
	{ ETIMEDOUT, GRPC_STATUS_DEADLINE_EXCEEDED, 1 },
	{ ECANCELED, GRPC_STATUS_CANCELLED, 1 },
	/* bytes from a registry that do not match their digest or size, a truncated download,
	 * a layer that is not a whole tar+gzip */
	{ EBADMSG, GRPC_STATUS_DATA_LOSS, 1 },
	{ EIO, GRPC_STATUS_INTERNAL, 1 },
};
const unsigned status_errno_table_len = sizeof(status_errno_table) / sizeof(status_errno_table[0]);

grpc_status_code status_from_errno(int r)
{
	int e = r < 0 ? -r : r;

	if (e == 0)
		return GRPC_STATUS_OK;
	for (unsigned i = 0; i < status_errno_table_len; i++)
		if (status_errno_table[i].err == e)
			return status_errno_table[i].status;
	return GRPC_STATUS_INTERNAL;
}

int errno_from_status(grpc_status_code s)
{
	if (s == GRPC_STATUS_OK)
		return 0;
	for (unsigned i = 0; i < status_errno_table_len; i++)
		if (status_errno_table[i].status == s && status_errno_table[i].canonical)
			return -status_errno_table[i].err;
	return -EIO;
}
