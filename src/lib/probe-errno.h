/* Which failures of a feature probe prove that the kernel lacks the feature. */
#pragma once

#include <errno.h>
#include <stdbool.h>

#ifndef ENOTSUPP
#define ENOTSUPP 524 /* the kernel's internal "not supported", seen by user space */
#endif

/* True for answers the kernel gives for a missing or refused feature (e is a positive or
 * negative errno). Everything else (EINTR, EAGAIN, ENOMEM, EMFILE, ...) says nothing about
 * the kernel: the probe fails with it and is tried again next time, never cached. */
static inline bool probe_errno_definitive(int e)
{
	switch (e < 0 ? -e : e) {
	case EINVAL:
	case EPERM:
	case EACCES:
	case EOPNOTSUPP:
	case ENOTSUPP:
	case E2BIG:
	case ENOENT:
	case ENODEV:
	case ENOSYS:
	case ESRCH:
		return true;
	default:
		return false;
	}
}
