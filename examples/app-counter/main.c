/* app-counter: loads three programs of one object in a single Load, as one application
 * (metadata bpfman_application=app-counter): a tracepoint, a kprobe and a uprobe that
 * share one map. Attaches each and prints the three counts every few seconds until
 * interrupted. A program the kernel cannot attach (kprobes may be compiled out) is
 * reported and the others keep counting. On exit it detaches and unloads what it loaded. */
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <unistd.h>

#include "example.h"

enum { TRACEPOINT, KPROBE, UPROBE, N_PROGS }; /* also the slots of the app_cnt map */

static const char *const labels[N_PROGS] = {
	[TRACEPOINT] = "tracepoint sys_enter_getpid",
	[KPROBE] = "kprobe do_unlinkat",
	[UPROBE] = "uprobe libc:getpid",
};

struct counter {
	int map_fd;
	bool attached[N_PROGS];
};

static void report(void *arg)
{
	struct counter *c = arg;
	uint64_t n;

	for (uint32_t i = 0; i < N_PROGS; i++) {
		if (!c->attached[i])
			printf("%s%s: not attached", i ? ", " : "", labels[i]);
		else if (ex_percpu_sum(c->map_fd, i, &n, 1) == 0)
			printf("%s%s: %" PRIu64, i ? ", " : "", labels[i], n);
	}
	printf("\n");
}

int main(int argc, char **argv)
{
	const struct bpfman_prog_request progs[N_PROGS] = {
		[TRACEPOINT] = { BPFMAN_PROG_TRACEPOINT, "tracepoint_counter" },
		[KPROBE] = { BPFMAN_PROG_KPROBE, "kprobe_counter" },
		[UPROBE] = { BPFMAN_PROG_UPROBE, "uprobe_counter" },
	};
	const struct bpfman_attach_opts attach[N_PROGS] = {
		[TRACEPOINT] = { .type = BPFMAN_PROG_TRACEPOINT,
				 .tracepoint = "syscalls/sys_enter_getpid" },
		[KPROBE] = { .type = BPFMAN_PROG_KPROBE, .fn_name = "do_unlinkat" },
		[UPROBE] = { .type = BPFMAN_PROG_UPROBE, .target = "libc", .fn_name = "getpid" },
	};
	struct counter c = { .map_fd = -1 };
	size_t n_attached = 0;
	struct example ex;
	int r;

	ex_init(&ex, "app-counter", argc, argv, NULL);
	r = ex_start(&ex, progs, N_PROGS);
	for (int i = 0; r == 0 && i < N_PROGS; i++) {
		c.attached[i] = ex_attach(&ex, i, &attach[i]) == 0;
		n_attached += c.attached[i];
	}
	if (r == 0 && n_attached == 0) {
		fprintf(stderr, "app-counter: no program could be attached\n");
		r = -1;
	}
	if (r == 0)
		r = c.map_fd = ex_map_open(&ex, "app_cnt");
	if (r >= 0)
		ex_run(&ex, report, &c);
	if (c.map_fd >= 0)
		close(c.map_fd);
	ex_stop(&ex);
	return r < 0 ? 1 : 0;
}
