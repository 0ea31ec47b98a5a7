/* bpfman dispatcher show IFACE [-d DIRECTION] [-n NETNS]: the chain on a hook drawn like
 * `xdp-loader status`, with every member whoever attached it (xdp-loader's too). Without
 * -d the XDP hook, with it the TC hook of that direction. */
#include <errno.h>
#include <string.h>

#include "cleanup.h"
#include "cli.h"
#include "log.h"

OPT_TABLE(dispatcher_show_options,
	  { "direction", 'd', 1, "ingress|egress", "the TC hook of this direction (default: XDP)" },
	  { "netns", 'n', 1, "PATH", "network namespace of the interface" },
	  { "output", 'o', 1, "table|json", "output format (default table)" });

int cmd_dispatcher(int argc, char **argv)
{
	struct parsed p = { 0 };
	struct bpfman_chain c = { 0 };
	enum output_format fmt = OUTPUT_TABLE;
	enum bpfman_direction dir = BPFMAN_DIR_NONE;
	struct bpfman *m = NULL;
	const char *d;
	int r;

	if (argc < 1 || strcmp(argv[0], "show") != 0) {
		cli_usage_error("expected 'dispatcher show'");
		return -EINVAL;
	}
	r = parse_table(&dispatcher_show_options, argc - 1, argv + 1, &p);
	if (r < 0)
		goto out;
	r = output_format_from(&p, &fmt);
	if (r < 0)
		goto out;
	if (p.n_pos != 1) {
		cli_usage_error("expected one interface");
		r = -EINVAL;
		goto out;
	}
	d = opt_value(&p, "direction");
	if (d && !strcmp(d, "ingress"))
		dir = BPFMAN_DIR_INGRESS;
	else if (d && !strcmp(d, "egress"))
		dir = BPFMAN_DIR_EGRESS;
	else if (d) {
		cli_usage_error("invalid direction '%s' (expected ingress or egress)", d);
		r = -EINVAL;
		goto out;
	}
	r = cli_open(true, &m);
	if (r < 0)
		goto out;
	r = bpfman_dispatcher_show(m, d ? BPFMAN_PROG_TC : BPFMAN_PROG_XDP, p.pos[0],
				   opt_value(&p, "netns"), dir, &c);
	if (r < 0)
		print_error(fmt, bpfman_error(m));
	else
		print_chain(p.pos[0], &c, fmt);
	bpfman_chain_clear(&c);
out:
	bpfman_close(m);
	parsed_free(&p);
	return r;
}
