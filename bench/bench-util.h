/* Shared by the benchmark programs: a clock, sample sets with percentiles, the resident
 * memory of a process, and running a command with its output captured. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

/* CLOCK_MONOTONIC in milliseconds. */
double bench_now_ms(void);

struct samples {
	double *v; /* milliseconds */
	size_t n, cap;
};

void samples_add(struct samples *s, double ms);
/* Nearest-rank percentile (0 < p <= 100); NAN when empty. */
double samples_pct(const struct samples *s, double p);
double samples_mean(const struct samples *s);
void samples_free(struct samples *s);

/* Prints "@ <prefix>.<p50|p99|mean|n> VALUE" lines: the machine-readable results run.sh
 * collects into its table. */
void samples_report(const struct samples *s, const char *prefix);
/* One "@ key value" line. */
void bench_result(const char *key, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* A "kB" field of /proc/PID/status ("VmRSS", "RssAnon", "RssFile", ...), or -1. */
long bench_status_kib(pid_t pid, const char *field);

/* Runs argv (argv[0] a path or a name looked up in PATH) with stdout and stderr captured
 * into *out (NUL-terminated, caller frees). Returns the exit status (0..255), or -1 when
 * it could not be started or was killed by a signal. */
int bench_run(char *const argv[], char **out);

/* A count from the command line: a decimal integer in [min, max], else exits. */
long bench_parse_count(const char *opt, const char *s, long min, long max);

/* Exits with a message; used for setup failures, after which nothing is measured. */
void bench_die(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
