/* xdp-counter: loads a program through bpfman, attaches it with XDP to an interface and
 * prints the packets and bytes received there, every few seconds, until interrupted. The
 * program passes every packet. On exit it detaches and unloads what it loaded. */
#include <inttypes.h>
#include <stdio.h>
#include <unistd.h>

#include "example.h"

struct counter {
	const char *iface;
	int map_fd;
};

static void report(void *arg)
{
	struct counter *c = arg;
	uint64_t s[2]; /* struct stats: packets, bytes */

	if (ex_percpu_sum(c->map_fd, 0, s, 2) == 0)
		printf("%s: %" PRIu64 " packets, %" PRIu64 " bytes\n", c->iface, s[0], s[1]);
}

int main(int argc, char **argv)
{
	struct counter c = { .map_fd = -1 };
	int32_t priority = 50;
	struct bpfman_attach_opts attach = { .type = BPFMAN_PROG_XDP, .has_priority = true };
	const struct ex_flag flags[] = {
		{ "iface", EX_STR, &c.iface, "interface to attach to (required)" },
		{ "priority", EX_INT, &priority, "lower runs first (default 50)" },
		{ "netns", EX_STR, &attach.netns, "netns of -iface (/run/netns/NAME)" },
		{ NULL },
	};
	const struct bpfman_prog_request prog = { BPFMAN_PROG_XDP, "xdp_counter" };
	struct example ex;
	int r;

	ex_init(&ex, "xdp-counter", argc, argv, flags);
	if (!c.iface) {
		fprintf(stderr, "xdp-counter: -iface is required\n");
		return 2;
	}
	attach.iface = c.iface;
	attach.priority = priority;
	r = ex_start(&ex, &prog, 1);
	if (r == 0)
		r = ex_attach(&ex, 0, &attach);
	if (r == 0)
		r = c.map_fd = ex_map_open(&ex, "xdp_stats");
	if (r >= 0)
		ex_run(&ex, report, &c);
	if (c.map_fd >= 0)
		close(c.map_fd);
	ex_stop(&ex);
	return r < 0 ? 1 : 0;
}
