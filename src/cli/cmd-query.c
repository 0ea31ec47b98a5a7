/* bpfman list / get (and the older forms `bpfman list`, `bpfman get ID`) */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "cli.h"
#include "log.h"
#include "parse-util.h"

#define LIST_OPTS                                                                    \
	{ "program-type", 'p', 1, "KERNEL_TYPE", "only programs of this kernel type" },  \
		{ "application", 0, 1, "NAME", "only this application's" },             \
		{ "metadata", 'm', 2, "K=V[,K=V]", "only those with these metadata pairs" }, \
		{ "output", 'o', 1, "table|json", "output format (default table)" }

/* `bpfman list` (the older form) takes --all; `list links` refuses it with a message */
OPT_TABLE(list_programs_options, LIST_OPTS,
	  { "all", 'a', 0, NULL, "also the programs bpfman did not load" });
OPT_TABLE(list_links_options, LIST_OPTS);

static int kernel_type_filter(const struct parsed *p, bool *has, uint32_t *ret)
{
	const char *v = opt_value(p, "program-type");
	int t;

	*has = false;
	if (!v)
		return 0;
	t = bpfman_kernel_type_from_string(v);
	if (t < 0 && safe_atou32(v, 10, ret) == 0)
		t = (int)*ret;
	if (t < 0) {
		cli_usage_error("invalid program type '%s'", v);
		return -EINVAL;
	}
	*ret = (uint32_t)t;
	*has = true;
	return 0;
}

static int metadata_filter(const struct parsed *p, struct kv_list *meta)
{
	char **vals;
	size_t n = opt_values(p, "metadata", &vals);
	int r;

	for (size_t i = 0; i < n; i++) {
		r = kv_list_parse(meta, vals[i]);
		if (r < 0) {
			cli_usage_error("invalid metadata selector '%s': expected KEY=VALUE", vals[i]);
			return r;
		}
	}
	kv_list_normalize(meta);
	if (opt_value(p, "application"))
		return kv_list_set(meta, "bpfman_application", opt_value(p, "application"));
	return 0;
}

static int list_programs(const struct parsed *p, enum output_format fmt)
{
	struct bpfman_list_filter f = { .all = opt_flag(p, "all") };
	struct bpfman_program_view *v = NULL;
	struct kv_list meta = { 0 };
	struct bpfman *m = NULL;
	size_t n = 0;
	int r;

	r = kernel_type_filter(p, &f.has_kernel_type, &f.kernel_type);
	if (r < 0)
		return r;
	r = metadata_filter(p, &meta);
	if (r < 0)
		goto out;
	f.metadata = &meta;
	r = cli_open(true, &m);
	if (r < 0)
		goto out;
	r = bpfman_list_programs(m, &f, &v, &n);
	if (r < 0) {
		print_error(fmt, bpfman_error(m));
		goto out;
	}
	print_program_views(v, n, fmt, true);
out:
	bpfman_program_views_free(v, n);
	bpfman_close(m);
	kv_list_clear(&meta);
	return r;
}

static int list_links(const struct parsed *p, enum output_format fmt)
{
	struct bpfman_link_filter f = { 0 };
	struct bpfman_link *l = NULL;
	struct kv_list meta = { 0 };
	struct bpfman *m = NULL;
	size_t n = 0;
	int r;

	if (opt_flag(p, "all")) {
		cli_usage_error("--all applies to 'list programs' only");
		return -EINVAL;
	}
	r = kernel_type_filter(p, &f.has_kernel_type, &f.kernel_type);
	if (r < 0)
		return r;
	r = metadata_filter(p, &meta);
	if (r < 0)
		goto out;
	f.metadata = &meta;
	r = cli_open(true, &m);
	if (r < 0)
		goto out;
	r = bpfman_list_links(m, &f, &l, &n);
	if (r < 0) {
		print_error(fmt, bpfman_error(m));
		goto out;
	}
	print_links(l, n, fmt);
out:
	bpfman_links_free(l, n);
	bpfman_close(m);
	kv_list_clear(&meta);
	return r;
}

int cmd_list(int argc, char **argv)
{
	struct parsed p = { 0 };
	enum output_format fmt = OUTPUT_TABLE;
	bool links = false;
	int r;

	/* `bpfman list` alone (the older form) means `list programs` */
	if (argc > 0 && (!strcmp(argv[0], "programs") || !strcmp(argv[0], "links"))) {
		links = !strcmp(argv[0], "links");
		argc--;
		argv++;
	}
	r = parse_table(&list_programs_options, argc, argv, &p);
	if (r < 0)
		goto out;
	if (p.n_pos) {
		cli_usage_error("unexpected argument '%s' (expected: list programs|links)", p.pos[0]);
		r = -EINVAL;
		goto out;
	}
	r = output_format_from(&p, &fmt);
	if (r < 0)
		goto out;
	r = links ? list_links(&p, fmt) : list_programs(&p, fmt);
out:
	parsed_free(&p);
	return r;
}

OPT_TABLE(get_options, { "output", 'o', 1, "table|json", "output format (default table)" });

int cmd_get(int argc, char **argv)
{
	struct parsed p = { 0 };
	enum output_format fmt = OUTPUT_TABLE;
	struct bpfman *m = NULL;
	bool link = false;
	uint32_t id;
	int r;

	/* `bpfman get ID` (the older form) means `get program ID` */
	if (argc > 0 && (!strcmp(argv[0], "program") || !strcmp(argv[0], "link"))) {
		link = !strcmp(argv[0], "link");
		argc--;
		argv++;
	}
	r = parse_table(&get_options, argc, argv, &p);
	if (r < 0)
		goto out;
	r = output_format_from(&p, &fmt);
	if (r < 0)
		goto out;
	if (p.n_pos != 1) {
		cli_usage_error("expected one id: bpfman get program|link ID");
		r = -EINVAL;
		goto out;
	}
	r = cli_parse_id(p.pos[0], link ? "link id" : "program id", &id);
	if (r < 0)
		goto out;
	r = cli_open(true, &m);
	if (r < 0)
		goto out;
	if (link) {
		struct bpfman_link *l = NULL;

		r = bpfman_get_link(m, id, &l);
		if (r == 0)
			print_link(l, fmt);
		bpfman_link_free(l);
	} else {
		struct bpfman_program_view v = { 0 };

		struct bpfman_link *links = NULL;
		size_t n = 0;

		r = bpfman_get_program(m, id, &v);
		/* xdp/tc members: their links carry the dispatcher's per-slot counts */
		if (r == 0 && v.program &&
		    (v.program->type == BPFMAN_PROG_XDP || v.program->type == BPFMAN_PROG_TC) &&
		    v.program->n_links && (links = calloc(v.program->n_links, sizeof(*links)))) {
			for (size_t i = 0; i < v.program->n_links; i++) {
				struct bpfman_link *l = NULL;

				if (bpfman_get_link(m, v.program->links[i], &l) == 0) {
					links[n++] = *l;
					free(l); /* contents moved */
				}
			}
		}
		if (r == 0)
			print_program_view_counts(&v, links, n, fmt);
		bpfman_links_free(links, n);
		bpfman_program_view_clear(&v);
	}
	if (r < 0)
		print_error(fmt, bpfman_error(m));
out:
	bpfman_close(m);
	parsed_free(&p);
	return r;
}
