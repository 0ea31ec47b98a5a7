/* uretprobe-counter: loads a program through bpfman, attaches it as a uretprobe on a
 * user-space function (getpid in libc by default) and prints the count every few seconds
 * until interrupted. On exit it detaches and unloads what it loaded. */
#include <inttypes.h>
#include <stdio.h>
#include <unistd.h>

#include "example.h"

struct counter {
	const char *target;
	const char *fn;
	int map_fd;
};

static void report(void *arg)
{
	struct counter *c = arg;
	uint64_t n;

	if (ex_percpu_sum(c->map_fd, 0, &n, 1) == 0)
		printf("%s:%s: %" PRIu64 " returns\n", c->target, c->fn, n);
}

int main(int argc, char **argv)
{
	struct counter c = { .target = "libc", .fn = "getpid", .map_fd = -1 };
	int32_t pid = 0;
	const struct ex_flag flags[] = {
		{ "target", EX_STR, &c.target, "library name (libc) or absolute path of a binary" },
		{ "fn", EX_STR, &c.fn, "function to probe" },
		{ "pid", EX_INT, &pid, "count in this process only (default: all)" },
		{ NULL },
	};
	/* uprobes and uretprobes are both BPFMAN_PROG_UPROBE; the section tells them apart */
	const struct bpfman_prog_request prog = { BPFMAN_PROG_UPROBE, "uretprobe_counter" };
	struct bpfman_attach_opts attach = { .type = BPFMAN_PROG_UPROBE };
	struct example ex;
	int r;

	ex_init(&ex, "uretprobe-counter", argc, argv, flags);
	attach.target = c.target;
	attach.fn_name = c.fn;
	attach.pid = pid;
	r = ex_start(&ex, &prog, 1);
	if (r == 0)
		r = ex_attach(&ex, 0, &attach);
	if (r == 0)
		r = c.map_fd = ex_map_open(&ex, "uretprobe_cnt");
	if (r >= 0)
		ex_run(&ex, report, &c);
	if (c.map_fd >= 0)
		close(c.map_fd);
	ex_stop(&ex);
	return r < 0 ? 1 : 0;
}
