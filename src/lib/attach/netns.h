/* Entering another network namespace for the duration of one operation. */
#pragma once

/* Opens path without blocking and checks it is a network namespace file. -ENOTTY when it is
 * not (a FIFO, a regular file, another kind of namespace). *ret_fd is O_CLOEXEC. */
int netns_open(const char *path, int *ret_fd);

/* Lends fd (from netns_open(path)) to this thread: netns_enter(path) enters that fd instead
 * of opening path again, until netns_unlend(). The caller keeps fd open meanwhile. */
void netns_lend(const char *path, int fd);
void netns_unlend(void);

/* Switches the calling thread into the namespace of the file at path (e.g.
 * /var/run/netns/NAME) and returns an fd of the original namespace in *ret_orig. path NULL
 * or "" is a no-op (*ret_orig = -EBADF). -ENOTRECOVERABLE when the thread is stranded (see
 * netns_thread_check). */
int netns_enter(const char *path, int *ret_orig);
/* Returns to the namespace saved by netns_enter and closes orig. On failure the thread is
 * stranded in the other namespace and every later netns_enter() / netns_thread_check()
 * fails until a retry of the way back succeeds; returns the negative errno. */
int netns_leave(int orig);
/* 0 when the thread is in its own namespace (after retrying the way back if it was
 * stranded), -ENOTRECOVERABLE when it is still stranded in another. */
int netns_thread_check(void);
