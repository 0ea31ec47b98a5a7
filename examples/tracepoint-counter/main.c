/* tracepoint-counter: loads a program through bpfman, attaches it to a tracepoint
 * (syscalls/sys_enter_getpid by default) and prints how often it fired, every few seconds,
 * until interrupted. On exit it detaches and unloads what it loaded. */
#include <inttypes.h>
#include <stdio.h>
#include <unistd.h>

#include "example.h"

struct counter {
	const char *tracepoint;
	int map_fd;
};

static void report(void *arg)
{
	struct counter *c = arg;
	uint64_t n;

	if (ex_percpu_sum(c->map_fd, 0, &n, 1) == 0)
		printf("%s: %" PRIu64 " events\n", c->tracepoint, n);
}

int main(int argc, char **argv)
{
	struct counter c = { .tracepoint = "syscalls/sys_enter_getpid", .map_fd = -1 };
	const struct ex_flag flags[] = {
		{ "tracepoint", EX_STR, &c.tracepoint, "CATEGORY/NAME to attach to" },
		{ NULL },
	};
	const struct bpfman_prog_request prog = { BPFMAN_PROG_TRACEPOINT, "tracepoint_counter" };
	struct bpfman_attach_opts attach = { .type = BPFMAN_PROG_TRACEPOINT };
	struct example ex;
	int r;

	ex_init(&ex, "tracepoint-counter", argc, argv, flags);
	attach.tracepoint = c.tracepoint;
	r = ex_start(&ex, &prog, 1);
	if (r == 0)
		r = ex_attach(&ex, 0, &attach);
	if (r == 0)
		r = c.map_fd = ex_map_open(&ex, "tracepoint_cnt");
	if (r >= 0)
		ex_run(&ex, report, &c);
	if (c.map_fd >= 0)
		close(c.map_fd);
	ex_stop(&ex);
	return r < 0 ? 1 : 0;
}
