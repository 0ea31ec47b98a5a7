/* bpfman apply / delete / status: declared applications (Kubernetes ClusterBpfApplication /
 * BpfApplication documents) handed to the library's one reconciler; this file only reads
 * the files, calls it and has render-apply.c print what it answered.
 *
 * apply --boot is what bpfman-apply.service runs: every file of the directory is parsed and
 * applied on its own, so one broken file (or one application that cannot be applied) does
 * not keep the others from coming back; each failure is logged with its reason and the exit
 * status says that something failed. */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app-decl.h"
#include "bpfman-apply.h"
#include "cleanup.h"
#include "cli.h"
#include "log.h"

#define BOOT_DIR "/etc/bpfman/applications.d"

OPT_TABLE(apply_options,
	  { "file", 'f', 1, "FILE|DIR", "YAML file, or directory of them (repeatable)" },
	  { "dry-run", 0, 0, NULL, "show what would change, change nothing" },
	  { "output", 'o', 1, "table|json", "output format (default table)" },
	  { "boot", 0, 0, NULL, "apply every file of the boot directory, each on its own" },
	  { "dir", 'd', 1, "DIR", "the boot directory (default " BOOT_DIR ")" });

OPT_TABLE(delete_options,
	  { "file", 'f', 1, "FILE|DIR", "YAML file, or directory of them (repeatable)" },
	  { "dry-run", 0, 0, NULL, "show what would be removed, remove nothing" },
	  { "output", 'o', 1, "table|json", "output format (default table)" });

OPT_TABLE(status_options, { "output", 'o', 1, "table|json", "output format (default table)" });

static const char *kind_name(enum app_kind k)
{
	return k == APP_CLUSTER ? "ClusterBpfApplication" : "BpfApplication";
}

static bool same_app(const struct app_decl *a, const struct app_decl *b)
{
	return a->kind == b->kind && !strcmp(a->name, b->name) &&
	       !strcmp(a->namespace ? a->namespace : "", b->namespace ? b->namespace : "");
}

/* Moves the parsed documents of one file or directory onto the end of *all (the structs are
 * moved, not copied: the parser's array is freed without clearing them). A document
 * declaring an application already declared in an earlier path is an error naming both
 * places (the parser checks this inside one path only). */
static int append_decls(struct app_decl **all, size_t *n_all, struct app_decl *v, size_t n,
			char **ret_err)
{
	struct app_decl *t;

	for (size_t i = 0; i < n; i++)
		for (size_t k = 0; k < *n_all; k++)
			if (same_app(&v[i], &(*all)[k])) {
				if (asprintf(ret_err, "%s:%u: %s/%s is already declared at %s:%u",
					     v[i].file, v[i].line, kind_name(v[i].kind), v[i].name,
					     (*all)[k].file, (*all)[k].line) < 0)
					*ret_err = NULL;
				app_decls_free(v, n);
				return -EEXIST;
			}
	t = reallocarray(*all, *n_all + n, sizeof(*t));
	if (!t) {
		app_decls_free(v, n);
		return -ENOMEM;
	}
	memcpy(t + *n_all, v, n * sizeof(*v));
	*all = t;
	*n_all += n;
	free(v);
	return 0;
}

/* Every -f (file or directory). Nothing is returned unless all of them validate: a broken
 * file must not leave the others half applied. The messages of every broken file, one a
 * line, go to *ret_msg (printed once by the caller, as JSON with -o json). */
static int parse_all(char **paths, size_t n_paths, struct app_decl **ret, size_t *ret_n,
		     char **ret_msg)
{
	struct app_decl *all = NULL;
	size_t n_all = 0, len = 0;
	FILE *msgs = open_memstream(ret_msg, &len);
	int r = 0;

	if (!msgs)
		return log_error_errno(-ENOMEM, "parsing");
	for (size_t i = 0; i < n_paths; i++) {
		_cleanup_free_ char *err = NULL;
		struct app_decl *v = NULL;
		size_t n = 0;
		int q = app_decl_parse_path(paths[i], false, &v, &n, &err);

		if (q >= 0)
			q = append_decls(&all, &n_all, v, n, &err); /* takes v either way */
		else
			app_decls_free(v, n); /* the array of the files parsed before the broken one */
		if (q < 0) {
			if (err)
				fprintf(msgs, "%s\n", err);
			else
				fprintf(msgs, "%s: %s\n", paths[i], strerror(-q));
			r = q;
		}
	}
	if (r == 0 && n_all == 0) {
		fprintf(msgs, "no ClusterBpfApplication or BpfApplication document in the files given\n");
		r = -ENOENT;
	}
	fclose(msgs);
	if (r < 0) {
		app_decls_free(all, n_all);
		return r;
	}
	*ret = all;
	*ret_n = n_all;
	return 0;
}

/* Links pending on an interface that appeared while no server ran are completed now, so
 * apply and status see the host as it is. The reconciler's retry does what the server does
 * on link events: it also restores what of an application went missing (a link whose
 * interface was recreated cannot be told from one removed behind bpfman's back), so a
 * status shows as "partly" only what could not be brought back. A failure here is not the
 * command's failure. */
static void complete_pending(struct bpfman *m)
{
	struct app_result *res = NULL;
	size_t n = 0;
	int r = bpfman_app_retry_pending(m, &res, &n);

	if (r > 0)
		log_info("%d pending link(s) of applied applications changed state", r);
	else if (r < 0)
		log_warn("completing pending links: %s", bpfman_error(m)[0] ? bpfman_error(m) : strerror(-r));
	app_results_free(res, n);
}

/* apply -f / delete -f: the whole set or nothing parsed; the reconciler applies each
 * application on its own. */
static int apply_files(const struct parsed *p, enum apply_verb verb, enum output_format fmt)
{
	struct app_decl *apps = NULL;
	struct app_result *res = NULL;
	size_t n_apps = 0, n_res = 0;
	bool dry_run = opt_flag(p, "dry-run");
	struct bpfman *m = NULL;
	char *msg = NULL;
	char **files;
	size_t n_files = opt_values(p, "file", &files);
	int r;

	if (n_files == 0) {
		cli_usage_error("-f FILE|DIR is required");
		return -EINVAL;
	}
	r = parse_all(files, n_files, &apps, &n_apps, &msg);
	if (r < 0) {
		/* strip the last newline; then say what it means */
		size_t l = msg ? strlen(msg) : 0;
		_cleanup_free_ char *all = NULL;

		if (l && msg[l - 1] == '\n')
			msg[l - 1] = '\0';
		if (asprintf(&all, "%s\nnothing was %s", msg ? msg : "",
			     verb == APPLY_VERB_APPLY ? "applied" : "deleted") < 0)
			all = NULL;
		print_error(fmt, all ? all : "nothing was done: the files do not validate");
		free(msg);
		return r;
	}
	free(msg);
	/* a dry run takes no lock and changes nothing, not even pending links */
	r = cli_open(dry_run, &m);
	if (r < 0)
		goto out;
	if (verb == APPLY_VERB_APPLY && !dry_run)
		complete_pending(m);
	if (verb == APPLY_VERB_APPLY)
		r = bpfman_apply(m, apps, n_apps, dry_run, &res, &n_res);
	else
		r = bpfman_app_delete(m, apps, n_apps, dry_run, &res, &n_res);
	if (r < 0 && r != -EIO) {
		print_error(fmt, bpfman_error(m)[0] ? bpfman_error(m) : strerror(-r));
		goto out;
	}
	print_app_results(res, n_res, verb, dry_run, fmt);
	/* -EIO: some applications failed; the text says why, JSON on stdout gets a line on
	 * stderr too (scripts often show only that) */
	for (size_t i = 0; fmt == OUTPUT_JSON && i < n_res; i++)
		if (res[i].failed)
			log_error("%s: %s", res[i].app, res[i].error ? res[i].error : "failed");
out:
	app_results_free(res, n_res);
	app_decls_free(apps, n_apps);
	bpfman_close(m);
	return r;
}

static int yaml_name(const struct dirent *d)
{
	size_t l = strlen(d->d_name);

	if (d->d_name[0] == '.')
		return 0;
	return (l > 5 && !strcmp(d->d_name + l - 5, ".yaml")) ||
	       (l > 4 && !strcmp(d->d_name + l - 4, ".yml"));
}

/* One file of the boot directory: parsed and applied on its own. Applications declared by
 * an earlier file win (the same rule the parser applies inside one -f). Returns 0 or <0
 * after logging why. */
static int boot_one(struct bpfman *m, const char *path, struct app_decl **seen, size_t *n_seen,
		    enum output_format fmt)
{
	_cleanup_free_ char *err = NULL;
	struct app_decl *v = NULL;
	struct app_result *res = NULL;
	size_t n = 0, n_res = 0;
	int r = app_decl_parse_file(path, &v, &n, &err);

	if (r < 0) {
		/* the parser's message starts with FILE:LINE */
		if (err)
			log_error("not applied: %s", err);
		else
			log_error("%s: not applied: %s", path, strerror(-r));
		return r;
	}
	for (size_t i = 0; i < n; i++)
		for (size_t k = 0; k < *n_seen; k++)
			if (same_app(&v[i], &(*seen)[k])) {
				log_error("%s:%u: not applied: %s/%s is already declared at %s:%u",
					  path, v[i].line, kind_name(v[i].kind), v[i].name,
					  (*seen)[k].file, (*seen)[k].line);
				app_decls_free(v, n);
				return -EEXIST;
			}
	r = bpfman_apply(m, v, n, false, &res, &n_res);
	if (r < 0 && r != -EIO)
		log_error("%s: not applied: %s", path,
			  bpfman_error(m)[0] ? bpfman_error(m) : strerror(-r));
	else {
		print_app_results(res, n_res, APPLY_VERB_APPLY, false, fmt);
		for (size_t i = 0; i < n_res; i++)
			if (res[i].failed)
				log_error("%s: %s: not applied: %s", path, res[i].app,
					  res[i].error ? res[i].error : "failed");
	}
	app_results_free(res, n_res);
	/* keep the declarations: later files are checked against them */
	{
		int q = append_decls(seen, n_seen, v, n, &err);

		if (q < 0 && r >= 0)
			r = q;
	}
	return r;
}

static int apply_boot(const struct parsed *p, enum output_format fmt)
{
	_cleanup_free_ char *dflt = NULL;
	const char *dir = opt_value(p, "dir");
	struct dirent **names = NULL;
	struct app_decl *seen = NULL;
	size_t n_seen = 0;
	unsigned failed = 0, applied = 0;
	struct bpfman *m = NULL;
	int n, r = 0;

	if (opt_flag(p, "dry-run") || opt_values(p, "file", &(char **){ NULL })) {
		cli_usage_error("--boot applies the directory (-d DIR); it takes neither -f nor --dry-run");
		return -EINVAL;
	}
	if (!dir) {
		bool real = !arg_root || !arg_root[0] || !strcmp(arg_root, "/");

		if (asprintf(&dflt, "%s%s", real ? "" : arg_root, BOOT_DIR) < 0)
			return log_error_errno(-ENOMEM, "boot directory");
		dir = dflt;
	}
	n = scandir(dir, &names, yaml_name, alphasort);
	if (n < 0) {
		if (errno == ENOENT) {
			log_info("%s does not exist: no application to apply", dir);
			return 0;
		}
		return log_error_errno(-errno, "cannot read %s", dir);
	}
	r = cli_open(false, &m);
	if (r < 0)
		goto out;
	for (int i = 0; i < n; i++) {
		_cleanup_free_ char *path = NULL;

		if (asprintf(&path, "%s/%s", dir, names[i]->d_name) < 0) {
			r = log_error_errno(-ENOMEM, "path");
			goto out;
		}
		if (boot_one(m, path, &seen, &n_seen, fmt) < 0)
			failed++;
		else
			applied++;
	}
	log_info("boot: %u file(s) of %s applied, %u failed", applied, dir, failed);
	r = failed ? -EIO : 0;
out:
	for (int i = 0; i < n; i++)
		free(names[i]);
	free(names);
	app_decls_free(seen, n_seen);
	bpfman_close(m);
	return r;
}

int cmd_apply(int argc, char **argv)
{
	struct parsed p = { 0 };
	enum output_format fmt = OUTPUT_TABLE;
	int r = parse_table(&apply_options, argc, argv, &p);

	if (r >= 0)
		r = output_format_from(&p, &fmt);
	if (r >= 0 && p.n_pos) {
		cli_usage_error("usage: bpfman apply -f FILE|DIR [-f ...] [--dry-run] [-o json] | apply --boot [-d DIR]");
		r = -EINVAL;
	}
	if (r >= 0)
		r = opt_flag(&p, "boot") ? apply_boot(&p, fmt) : apply_files(&p, APPLY_VERB_APPLY, fmt);
	parsed_free(&p);
	return r;
}

int cmd_delete(int argc, char **argv)
{
	struct parsed p = { 0 };
	enum output_format fmt = OUTPUT_TABLE;
	int r = parse_table(&delete_options, argc, argv, &p);

	if (r >= 0)
		r = output_format_from(&p, &fmt);
	if (r >= 0 && p.n_pos) {
		cli_usage_error("usage: bpfman delete -f FILE|DIR [-f ...] [--dry-run] [-o json]");
		r = -EINVAL;
	}
	if (r >= 0)
		r = apply_files(&p, APPLY_VERB_DELETE, fmt);
	parsed_free(&p);
	return r;
}

int cmd_status(int argc, char **argv)
{
	struct parsed p = { 0 };
	enum output_format fmt = OUTPUT_TABLE;
	struct app_result *res = NULL;
	size_t n_res = 0;
	struct bpfman *m = NULL;
	int r = parse_table(&status_options, argc, argv, &p);

	if (r >= 0)
		r = output_format_from(&p, &fmt);
	if (r >= 0 && p.n_pos) {
		cli_usage_error("usage: bpfman status [-o json]");
		r = -EINVAL;
	}
	if (r < 0)
		goto out;
	/* not read-only: an interface that appeared while no server ran gets its links now */
	r = cli_open(false, &m);
	if (r < 0)
		goto out;
	complete_pending(m);
	r = bpfman_app_status(m, &res, &n_res);
	if (r < 0)
		print_error(fmt, bpfman_error(m)[0] ? bpfman_error(m) : strerror(-r));
	else
		print_app_results(res, n_res, APPLY_VERB_STATUS, false, fmt);
out:
	app_results_free(res, n_res);
	bpfman_close(m);
	parsed_free(&p);
	return r;
}
