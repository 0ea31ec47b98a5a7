#include <stdarg.h>
#include <stdio.h>

#include "image-error.h"

int img_fail(struct img_err *e, int r, const char *fmt, ...)
{
	va_list ap;

	if (e && !e->msg[0]) {
		va_start(ap, fmt);
		vsnprintf(e->msg, sizeof(e->msg), fmt, ap);
		va_end(ap);
	}
	return r;
}

void img_err_clear(struct img_err *e)
{
	if (e)
		e->msg[0] = '\0';
}
