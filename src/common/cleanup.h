/* Scope-bound cleanup helpers (gcc/clang __attribute__((cleanup))).
 * A local declared with one of these is released when it leaves scope; hand it over
 * with TAKE_PTR()/TAKE_FD() to keep it. */
#pragma once

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#define _cleanup_(f) __attribute__((cleanup(f)))

static inline void freep(void *p)
{
	free(*(void **)p);
}
#define _cleanup_free_ _cleanup_(freep)

static inline void closep(int *fd)
{
	if (*fd >= 0) {
		int saved = errno;
		close(*fd);
		errno = saved;
	}
}
#define _cleanup_close_ _cleanup_(closep)

static inline void fclosep(FILE **f)
{
	if (*f)
		fclose(*f);
}
#define _cleanup_fclose_ _cleanup_(fclosep)

#define TAKE_PTR(p)                                \
	({                                         \
		__typeof__(p) _tmp_ = (p);         \
		(p) = NULL;                        \
		_tmp_;                             \
	})

#define TAKE_FD(fd)                                \
	({                                         \
		int _tmp_ = (fd);                  \
		(fd) = -EBADF;                     \
		_tmp_;                             \
	})

/* Declares name##p(type **) that calls func on a non-NULL pointer. */
#define DEFINE_TRIVIAL_CLEANUP_FUNC(type, func)     \
	static inline void func##p(type *p)         \
	{                                           \
		if (*p)                             \
			func(*p);                   \
	}

#define ELEMENTSOF(x) (sizeof(x) / sizeof((x)[0]))

/* Runs close() and keeps errno: for fds we give up on in an error path. */
static inline int safe_close(int fd)
{
	if (fd >= 0) {
		int saved = errno;
		close(fd);
		errno = saved;
	}
	return -EBADF;
}
