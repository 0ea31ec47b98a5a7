/* tc-counter: loads a program through bpfman, attaches it as a tc filter to one direction
 * of an interface and prints the packets and bytes seen, every few seconds, until
 * interrupted. On exit it detaches and unloads what it loaded. */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "example.h"

struct counter {
	const char *iface;
	const char *direction;
	int map_fd;
};

static void report(void *arg)
{
	struct counter *c = arg;
	uint64_t s[2]; /* struct stats: packets, bytes */

	if (ex_percpu_sum(c->map_fd, 0, s, 2) == 0)
		printf("%s %s: %" PRIu64 " packets, %" PRIu64 " bytes\n", c->iface, c->direction,
		       s[0], s[1]);
}

int main(int argc, char **argv)
{
	struct counter c = { .direction = "ingress", .map_fd = -1 };
	int32_t priority = 50;
	struct bpfman_attach_opts attach = { .type = BPFMAN_PROG_TC, .has_priority = true };
	const struct ex_flag flags[] = {
		{ "iface", EX_STR, &c.iface, "interface to attach to (required)" },
		{ "priority", EX_INT, &priority, "lower runs first (default 50)" },
		{ "direction", EX_STR, &c.direction, "ingress or egress (default ingress)" },
		{ "netns", EX_STR, &attach.netns, "netns of -iface (/run/netns/NAME)" },
		{ NULL },
	};
	const struct bpfman_prog_request prog = { BPFMAN_PROG_TC, "tc_counter" };
	struct example ex;
	int r;

	ex_init(&ex, "tc-counter", argc, argv, flags);
	if (!c.iface || (strcmp(c.direction, "ingress") && strcmp(c.direction, "egress"))) {
		fprintf(stderr, "tc-counter: -iface is required; -direction: ingress|egress\n");
		return 2;
	}
	attach.iface = c.iface;
	attach.priority = priority;
	attach.direction = strcmp(c.direction, "egress") ? BPFMAN_DIR_INGRESS : BPFMAN_DIR_EGRESS;
	r = ex_start(&ex, &prog, 1);
	if (r == 0)
		r = ex_attach(&ex, 0, &attach);
	if (r == 0)
		r = c.map_fd = ex_map_open(&ex, "tc_stats");
	if (r >= 0)
		ex_run(&ex, report, &c);
	if (c.map_fd >= 0)
		close(c.map_fd);
	ex_stop(&ex);
	return r < 0 ? 1 : 0;
}
