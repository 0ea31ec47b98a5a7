/* Errors of the image code: a negative errno for the caller's logic and one message for the
 * user, naming what is wrong (the image, the digest, the limit). Library code never logs;
 * the caller (manager, CLI, server) shows the message once. */
#pragma once

#include <stddef.h>

struct img_err {
	char msg[1024];
};

/* Sets e->msg (when e is given and no message is set yet: the first, most precise cause
 * wins) and returns r, which must be a negative errno. */
__attribute__((format(printf, 3, 4)))
int img_fail(struct img_err *e, int r, const char *fmt, ...);
/* Clears the message. */
void img_err_clear(struct img_err *e);
