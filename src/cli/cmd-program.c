/* bpfman load / unload */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "cli.h"
#include "log.h"
#include "parse-util.h"

#define PROGRAM_OPTS                                                                      \
	{ "programs", 0, 2, "TYPE:FUNC[:ATTACH_FN]",                                      \
	  "programs to load (TYPE: xdp tc tcx tracepoint kprobe uprobe fentry fexit lsm)" }, \
		{ "global", 'g', 2, "NAME=HEX", "set a global variable (hex bytes)" },       \
		{ "application", 'a', 1, "NAME", "shorthand for -m bpfman_application=NAME" }, \
		{ "metadata", 'm', 2, "K=V[,K=V]", "metadata pairs kept with the program" },  \
		{ "map-owner-id", 0, 1, "ID", "share the maps of program ID" },               \
		{ "output", 'o', 1, "table|json", "output format (default table)" }

OPT_TABLE(load_file_options, PROGRAM_OPTS,
	  { "path", 'p', 1, "PATH", "the BPF object file (required)" });

/* load image: the reference's options (-p is the pull policy there, not a path) */
OPT_TABLE(load_image_options, PROGRAM_OPTS,
	  { "image-url", 'i', 1, "URL", "the bytecode image (required)" },
	  { "registry-auth", 'r', 1, "BASE64", "base64 of USER:PASS for the registry" },
	  { "pull-policy", 'p', 1, "POLICY", "Always, IfNotPresent (default) or Never" });

/* TYPE:FUNC[:ATTACH_FN] */
static int parse_program(const char *s, struct bpfman_prog_request *ret)
{
	_cleanup_free_ char *copy = strdup(s);
	char *type, *fn, *target;
	int t;

	if (!copy)
		return -ENOMEM;
	type = copy;
	fn = strchr(type, ':');
	if (!fn || !fn[1]) {
		cli_usage_error("invalid program '%s': expected TYPE:FUNCTION[:ATTACH_FN]", s);
		return -EINVAL;
	}
	*fn++ = '\0';
	target = strchr(fn, ':');
	if (target)
		*target++ = '\0';
	t = bpfman_prog_type_from_string(type);
	if (t < 0) {
		cli_usage_error("invalid program type '%s' in '%s' (expected xdp, tc, tcx, tracepoint, kprobe, uprobe, fentry, fexit or lsm)",
			  type, s);
		return -EINVAL;
	}
	ret->type = t;
	ret->name = strdup(fn);
	ret->attach_fn = target && *target ? strdup(target) : NULL;
	if (!ret->name)
		return -ENOMEM;
	return 0;
}

static int parse_global(const char *s, struct bpfman_global *ret)
{
	const char *eq = strchr(s, '=');
	int r;

	if (!eq || eq == s) {
		cli_usage_error("invalid global '%s': expected NAME=HEX", s);
		return -EINVAL;
	}
	r = parse_hex_bytes(eq + 1, &ret->data, &ret->len);
	if (r < 0) {
		cli_usage_error("invalid global '%s': '%s' is not an even number of hex digits", s, eq + 1);
		return r;
	}
	ret->name = strndup(s, eq - s);
	return ret->name ? 0 : -ENOMEM;
}

int cmd_load(int argc, char **argv)
{
	struct parsed p;
	struct bpfman_prog_request *progs = NULL;
	struct bpfman_global *globals = NULL;
	struct kv_list meta = { 0 };
	struct bpfman_load_opts o = { .pull_policy = BPFMAN_PULL_IF_NOT_PRESENT };
	struct bpfman_program_view *views = NULL;
	struct bpfman *m = NULL;
	enum output_format fmt = OUTPUT_TABLE;
	char *user = NULL, *pass = NULL;
	char **vals;
	size_t n_progs = 0, n_globals = 0, n_views = 0, n;
	bool image;
	int r;

	if (argc < 1 || (strcmp(argv[0], "file") && strcmp(argv[0], "image"))) {
		cli_usage_error("load what: 'load file' or 'load image'?");
		return -EINVAL;
	}
	image = !strcmp(argv[0], "image");
	if (image)
		r = parse_table(&load_image_options, argc - 1, argv + 1, &p);
	else
		r = parse_table(&load_file_options, argc - 1, argv + 1, &p);
	if (r < 0)
		goto out;
	r = output_format_from(&p, &fmt);
	if (r < 0)
		goto out;
	if (p.n_pos) {
		cli_usage_error("unexpected argument '%s'", p.pos[0]);
		r = -EINVAL;
		goto out;
	}
	if (image) {
		r = cli_image_source(&p, &o.image_url, &o.pull_policy, &user, &pass);
		if (r < 0)
			goto out;
		o.username = user;
		o.password = pass;
	} else {
		o.path = opt_value(&p, "path");
		if (!o.path) {
			cli_usage_error("the object file is required: -p|--path PATH");
			r = -EINVAL;
			goto out;
		}
	}
	n = opt_values(&p, "programs", &vals);
	if (!n) {
		cli_usage_error("at least one program is required: --programs TYPE:FUNCTION");
		r = -EINVAL;
		goto out;
	}
	progs = calloc(n, sizeof(*progs));
	if (!progs) {
		r = -ENOMEM;
		goto out;
	}
	for (; n_progs < n; n_progs++) {
		r = parse_program(vals[n_progs], &progs[n_progs]);
		if (r < 0)
			goto out;
	}
	n = opt_values(&p, "global", &vals);
	globals = calloc(n + 1, sizeof(*globals));
	if (!globals) {
		r = -ENOMEM;
		goto out;
	}
	for (; n_globals < n; n_globals++) {
		r = parse_global(vals[n_globals], &globals[n_globals]);
		if (r < 0)
			goto out;
	}
	n = opt_values(&p, "metadata", &vals);
	for (size_t i = 0; i < n; i++) {
		r = kv_list_parse(&meta, vals[i]);
		if (r < 0) {
			cli_usage_error("invalid metadata '%s': expected KEY=VALUE[,KEY=VALUE]", vals[i]);
			goto out;
		}
	}
	kv_list_normalize(&meta);
	if (opt_value(&p, "application")) {
		r = kv_list_set(&meta, "bpfman_application", opt_value(&p, "application"));
		if (r < 0)
			goto out;
	}
	if (opt_value(&p, "map-owner-id")) {
		r = safe_atou32(opt_value(&p, "map-owner-id"), 10, &o.map_owner_id);
		if (r < 0) {
			cli_usage_error("invalid map owner id '%s'", opt_value(&p, "map-owner-id"));
			goto out;
		}
		o.has_map_owner = true;
	}
	o.progs = progs;
	o.n_progs = n_progs;
	o.globals = globals;
	o.n_globals = n_globals;
	o.metadata = &meta;

	r = cli_open(false, &m);
	if (r < 0)
		goto out;
	if (image)
		cli_progress_begin(m);
	r = bpfman_load(m, &o, &views, &n_views);
	if (image)
		cli_progress_end();
	if (r < 0) {
		print_error(fmt, bpfman_error(m));
		goto out;
	}
	print_program_views(views, n_views, fmt, false);
out:
	bpfman_program_views_free(views, n_views);
	bpfman_close(m);
	for (size_t i = 0; i < n_progs; i++) {
		free(progs[i].name);
		free(progs[i].attach_fn);
	}
	free(progs);
	for (size_t i = 0; i < n_globals; i++) {
		free(globals[i].name);
		free(globals[i].data);
	}
	free(globals);
	kv_list_clear(&meta);
	cli_registry_auth_free(user, pass);
	parsed_free(&p);
	return r;
}

int cli_parse_id(const char *s, const char *what, uint32_t *ret)
{
	int r = safe_atou32(s, 10, ret);

	if (r < 0)
		cli_usage_error("invalid %s '%s': expected a number", what, s);
	return r;
}

int cli_change_by_id(int argc, char **argv, const char *usage, const char *what,
		     int (*change)(struct bpfman *m, uint32_t id))
{
	struct bpfman *m = NULL;
	uint32_t id;
	int r;

	if (argc != 1) {
		cli_usage_error("expected one id: %s", usage);
		return -EINVAL;
	}
	r = cli_parse_id(argv[0], what, &id);
	if (r < 0)
		return r;
	r = cli_open(false, &m);
	if (r < 0)
		return r;
	r = change(m, id);
	if (r < 0)
		log_error("%s", bpfman_error(m));
	bpfman_close(m);
	return r;
}

int cmd_unload(int argc, char **argv)
{
	return cli_change_by_id(argc, argv, "bpfman unload PROGRAM_ID", "program id", bpfman_unload);
}
