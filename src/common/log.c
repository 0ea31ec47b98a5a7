/* Minimal leveled logging to stderr for the CLI and the server. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "log.h"

static enum log_level current_level = LOG_LEVEL_INFO;
static void (*writer)(enum log_level level, const char *msg);

void log_set_writer(void (*fn)(enum log_level level, const char *msg))
{
	writer = fn;
}

void log_set_level(enum log_level level)
{
	current_level = level;
}

enum log_level log_get_level(void)
{
	return current_level;
}

int log_level_from_string(const char *s)
{
	static const char *const names[] = { "error", "warn", "info", "debug" };

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (strcasecmp(s, names[i]) == 0)
			return (int)i;
	return -EINVAL;
}

void log_vmsg(enum log_level level, const char *fmt, va_list ap)
{
	static const char *const prefix[] = { "Error: ", "Warning: ", "", "" };

	if (level > current_level)
		return;
	if (writer) {
		char buf[4096];

		vsnprintf(buf, sizeof(buf), fmt, ap);
		writer(level, buf);
		return;
	}
	fputs(prefix[level], stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
}

void log_msg(enum log_level level, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vmsg(level, fmt, ap);
	va_end(ap);
}

int log_error_errno(int r, const char *fmt, ...)
{
	va_list ap;
	char buf[1024];

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	log_msg(LOG_LEVEL_ERROR, "%s: %s", buf, strerror(r < 0 ? -r : r));
	return r;
}
