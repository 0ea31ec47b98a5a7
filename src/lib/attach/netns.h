/* Entering another network namespace for the duration of one operation. */
#pragma once

/* Switches the calling thread into the namespace of the file at path (e.g.
 * /var/run/netns/NAME) and returns an fd of the original namespace in *ret_orig. path NULL
 * or "" is a no-op (*ret_orig = -EBADF). */
int netns_enter(const char *path, int *ret_orig);
/* Returns to the namespace saved by netns_enter and closes orig. */
void netns_leave(int orig);
