/* bpfman attach / detach */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "cli.h"
#include "log.h"
#include "parse-util.h"

/* -o is the offset, as in the reference; `-o json`/`-o table` (never an offset) and
 * --output choose the output format. */
OPT_TABLE(attach_options,
	  { "iface", 'i', 1, "IFACE", "interface (xdp, tc, tcx)" },
	  { "priority", 'p', 1, "PRIORITY", "position in the chain, lower first (xdp, tc, tcx)" },
	  { "proceed-on", 0, 2, "NAME", "continue the chain on these results (xdp, tc)" },
	  { "netns", 'n', 1, "PATH", "network namespace of the interface" },
	  { "metadata", 'm', 2, "K=V[,K=V]", "metadata pairs kept with the link" },
	  { "direction", 'd', 1, "ingress|egress", "hook direction (tc, tcx)" },
	  { "tracepoint", 't', 1, "CATEGORY/NAME", "the tracepoint; for uprobe, the target" },
	  { "fn-name", 'f', 1, "FN", "function to probe (kprobe, uprobe)" },
	  { "offset", 'o', 1, "OFFSET", "offset in the function (kprobe, uprobe)" },
	  { "target", 0, 1, "PATH", "library or binary to probe (uprobe)" },
	  { "pid", 0, 1, "PID", "only this process (uprobe)" },
	  { "container-pid", 'c', 1, "PID", "a process of the container to probe in (uprobe)" },
	  { "output", 0, 1, "table|json", "output format (default table; -o json too)" });

static int parse_direction(const char *s, enum bpfman_direction *ret)
{
	if (!s) {
		cli_usage_error("a direction is required: -d ingress|egress");
		return -EINVAL;
	}
	if (!strcmp(s, "ingress"))
		*ret = BPFMAN_DIR_INGRESS;
	else if (!strcmp(s, "egress"))
		*ret = BPFMAN_DIR_EGRESS;
	else {
		cli_usage_error("invalid direction '%s' (expected ingress or egress)", s);
		return -EINVAL;
	}
	return 0;
}

static int parse_i32(const char *s, const char *what, int32_t *ret)
{
	int r = safe_atoi32(s, ret);

	if (r < 0)
		cli_usage_error("invalid %s '%s'", what, s);
	return r;
}

/* The names of --proceed-on as the contract's numbers; how many and which go together is
 * the library's to check. *ret is allocated. */
static int parse_proceed_on(const struct parsed *p, enum bpfman_prog_type t, int32_t **ret,
			    size_t *ret_n)
{
	char **vals;
	size_t n = opt_values(p, "proceed-on", &vals);
	int32_t *v;

	*ret_n = 0;
	if (!n)
		return 0;
	if (t != BPFMAN_PROG_XDP && t != BPFMAN_PROG_TC) {
		cli_usage_error("--proceed-on applies to xdp and tc only");
		return -EINVAL;
	}
	v = calloc(n, sizeof(*v));
	if (!v)
		return -ENOMEM;
	*ret = v;
	for (size_t i = 0; i < n; i++)
		if (bpfman_proceed_on_from_string(t, vals[i], &v[i]) < 0) {
			cli_usage_error("invalid proceed-on '%s' for %s", vals[i], bpfman_prog_type_to_string(t));
			return -EINVAL;
		}
	*ret_n = n;
	return 0;
}

/* `-o json` and `-o table` are the output format: an offset is a number */
static bool is_output_format(const char *v)
{
	return !strcmp(v, "json") || !strcmp(v, "table");
}

/* Fills o from the options; `-t` means the tracepoint for tracepoints and the target for
 * uprobes, as in the reference. Ranges are the library's to check (validate.c), so the
 * CLI and the server refuse the same values with the same message. */
static int fill_attach(const struct parsed *p, enum bpfman_prog_type t, struct bpfman_attach_opts *o,
		       struct kv_list *meta, int32_t **proceed)
{
	char **vals;
	size_t n = opt_values(p, "metadata", &vals);
	const char *v;
	int r;

	o->type = t;
	r = parse_proceed_on(p, t, proceed, &o->n_proceed_on);
	if (r < 0)
		return r;
	o->proceed_on = *proceed;
	for (size_t i = 0; i < n; i++) {
		r = kv_list_parse(meta, vals[i]);
		if (r < 0) {
			cli_usage_error("invalid metadata '%s': expected KEY=VALUE[,KEY=VALUE]", vals[i]);
			return r;
		}
	}
	kv_list_normalize(meta);
	o->metadata = meta;
	o->iface = opt_value(p, "iface");
	o->netns = opt_value(p, "netns");
	o->fn_name = opt_value(p, "fn-name");
	if ((v = opt_value(p, "priority"))) {
		r = parse_i32(v, "priority", &o->priority);
		if (r < 0)
			return r;
		o->has_priority = true;
	}
	if ((v = opt_value(p, "offset")) && !is_output_format(v)) {
		r = safe_atou64(v, 0, &o->offset);
		if (r < 0) {
			cli_usage_error("invalid offset '%s'", v);
			return r;
		}
	}
	if ((v = opt_value(p, "pid")) && (r = parse_i32(v, "pid", &o->pid)) < 0)
		return r;
	if ((v = opt_value(p, "container-pid")) &&
	    (r = parse_i32(v, "container pid", &o->container_pid)) < 0)
		return r;
	switch (t) {
	case BPFMAN_PROG_TRACEPOINT:
		o->tracepoint = opt_value(p, "tracepoint");
		if (!o->tracepoint) {
			cli_usage_error("a tracepoint is required: -t CATEGORY/NAME");
			return -EINVAL;
		}
		break;
	case BPFMAN_PROG_KPROBE:
		if (!o->fn_name) {
			cli_usage_error("a function is required: -f FN");
			return -EINVAL;
		}
		break;
	case BPFMAN_PROG_UPROBE:
		o->target = opt_value(p, "target") ?: opt_value(p, "tracepoint");
		if (!o->target) {
			cli_usage_error("a target is required: -t LIBRARY|PATH");
			return -EINVAL;
		}
		break;
	case BPFMAN_PROG_TC:
	case BPFMAN_PROG_TCX:
		r = parse_direction(opt_value(p, "direction"), &o->direction);
		if (r < 0)
			return r;
		/* fall through */
	case BPFMAN_PROG_XDP:
		if (!o->iface) {
			cli_usage_error("an interface is required: -i IFACE");
			return -EINVAL;
		}
		break;
	default:
		break;
	}
	return 0;
}

int cmd_attach(int argc, char **argv)
{
	struct bpfman_attach_opts o = { 0 };
	struct kv_list meta = { 0 };
	_cleanup_free_ int32_t *proceed = NULL;
	struct bpfman *m = NULL;
	struct parsed p = { 0 };
	enum output_format fmt = OUTPUT_TABLE;
	const char *ofs;
	uint32_t prog_id, link_id;
	int t, r;

	if (argc < 2) {
		cli_usage_error("a program id and an attach type are required");
		return -EINVAL;
	}
	r = cli_parse_id(argv[0], "program id", &prog_id);
	if (r < 0)
		return r;
	t = bpfman_prog_type_from_string(argv[1]);
	if (t < 0) {
		cli_usage_error("invalid attach type '%s'", argv[1]);
		return -EINVAL;
	}
	r = parse_table(&attach_options, argc - 2, argv + 2, &p);
	if (r < 0)
		goto out;
	if (p.n_pos) {
		cli_usage_error("unexpected argument '%s'", p.pos[0]);
		r = -EINVAL;
		goto out;
	}
	ofs = opt_value(&p, "offset");
	if (ofs && is_output_format(ofs) && !opt_value(&p, "output"))
		fmt = !strcmp(ofs, "json") ? OUTPUT_JSON : OUTPUT_TABLE;
	else {
		r = output_format_from(&p, &fmt);
		if (r < 0)
			goto out;
	}
	r = fill_attach(&p, t, &o, &meta, &proceed);
	if (r < 0)
		goto out;
	r = cli_open(false, &m);
	if (r < 0)
		goto out;
	r = bpfman_attach(m, prog_id, &o, &link_id);
	if (r < 0) {
		print_error(fmt, bpfman_error(m));
		goto out;
	}
	if (fmt == OUTPUT_JSON) {
		/* the same object as `get link -o json` */
		struct bpfman_link *l = NULL;

		if (bpfman_get_link(m, link_id, &l) == 0)
			print_link(l, fmt);
		else
			printf("{\n  \"id\": %u,\n  \"program_id\": %u\n}\n", link_id, prog_id);
		bpfman_link_free(l);
	} else
		printf("Link ID: %u\n", link_id);
out:
	bpfman_close(m);
	kv_list_clear(&meta);
	parsed_free(&p);
	return r;
}

int cmd_detach(int argc, char **argv)
{
	return cli_change_by_id(argc, argv, "bpfman detach LINK_ID", "link id", bpfman_detach);
}
