/* Logging for the programs (CLI, server). Library code never calls these: it returns
 * negative errno and the caller logs once, where it handles the error. */
#pragma once

#include <stdarg.h>

enum log_level {
	LOG_LEVEL_ERROR,
	LOG_LEVEL_WARN,
	LOG_LEVEL_INFO,
	LOG_LEVEL_DEBUG,
};

void log_set_level(enum log_level level);
/* Sends every message to fn instead of stderr (the server's journal writer). */
void log_set_writer(void (*fn)(enum log_level level, const char *msg));
enum log_level log_get_level(void);
/* "error", "warn", "info", "debug"; returns -EINVAL for anything else. */
int log_level_from_string(const char *s);

void log_msg(enum log_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void log_vmsg(enum log_level level, const char *fmt, va_list ap) __attribute__((format(printf, 2, 0)));

#define log_error(...) log_msg(LOG_LEVEL_ERROR, __VA_ARGS__)
#define log_warn(...) log_msg(LOG_LEVEL_WARN, __VA_ARGS__)
#define log_info(...) log_msg(LOG_LEVEL_INFO, __VA_ARGS__)
#define log_debug(...) log_msg(LOG_LEVEL_DEBUG, __VA_ARGS__)

/* Logs at error level with ": <strerror(-r)>" appended and returns r (a negative errno). */
int log_error_errno(int r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
