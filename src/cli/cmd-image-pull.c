/* bpfman image pull | list | rm: the image cache (<root>/var/cache/bpfman), shared with the
 * server. Also the pieces `load image` shares: --registry-auth and --pull-policy parsing and
 * the progress line a terminal sees during a download. */
#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cleanup.h"
#include "cli.h"
#include "log.h"

/* ---- shared with load image ---- */

int cli_registry_auth(const char *b64, char **ret_user, char **ret_pass)
{
	int r;

	*ret_user = *ret_pass = NULL;
	if (!b64)
		return 0;
	r = bpfman_registry_auth_decode(b64, ret_user, ret_pass);
	if (r == -EINVAL)
		cli_usage_error("invalid --registry-auth: expected base64 of USERNAME:PASSWORD");
	return r;
}

void cli_registry_auth_free(char *user, char *pass)
{
	if (pass)
		explicit_bzero(pass, strlen(pass));
	free(user);
	free(pass);
}

int cli_pull_policy(const char *s, int *ret)
{
	int p;

	if (!s)
		return 0; /* the caller's default */
	p = bpfman_pull_policy_from_string(s);
	if (p < 0) {
		cli_usage_error("invalid pull policy '%s' (expected Always, IfNotPresent or Never)", s);
		return -EINVAL;
	}
	*ret = p;
	return 0;
}

int cli_image_source(const struct parsed *p, const char **ret_url, int *pull_policy,
		     char **ret_user, char **ret_pass)
{
	int r;

	*ret_user = *ret_pass = NULL;
	*ret_url = opt_value(p, "image-url");
	if (!*ret_url) {
		cli_usage_error("the image is required: -i|--image-url URL");
		return -EINVAL;
	}
	r = cli_pull_policy(opt_value(p, "pull-policy"), pull_policy);
	if (r < 0)
		return r;
	return cli_registry_auth(opt_value(p, "registry-auth"), ret_user, ret_pass);
}

/* A download shows a progress line on a terminal once it has taken more than a moment;
 * quick pulls (and everything that is not a terminal) print nothing. */
struct progress {
	struct timespec start, last;
	bool open; /* a line without its newline is on the terminal */
	char done_what[128]; /* the last blob shown complete (curl reports the end repeatedly) */
};

static double since(const struct timespec *a, const struct timespec *b)
{
	return (double)(b->tv_sec - a->tv_sec) + (double)(b->tv_nsec - a->tv_nsec) / 1e9;
}

static void progress_cb(const char *what, uint64_t done, uint64_t total, void *data)
{
	struct progress *p = data;
	struct timespec now;
	const char *hex = what ? strchr(what, ':') : NULL;
	bool complete = total && done >= total;

	clock_gettime(CLOCK_MONOTONIC, &now);
	if (since(&p->start, &now) < 0.5)
		return;
	if (complete && what && !strcmp(p->done_what, what))
		return;
	if (!complete && p->open && since(&p->last, &now) < 0.1)
		return;
	p->last = now;
	if (total)
		fprintf(stderr, "\rpulling %.12s  %6.1f / %.1f MiB  %3u%% ", hex ? hex + 1 : "",
			done / 1048576.0, total / 1048576.0, (unsigned)(done * 100 / total));
	else
		fprintf(stderr, "\rpulling %.12s  %6.1f MiB ", hex ? hex + 1 : "", done / 1048576.0);
	p->open = !complete;
	if (complete) {
		/* the line is finished: warnings and the next blob start on their own line */
		fputc('\n', stderr);
		snprintf(p->done_what, sizeof(p->done_what), "%s", what ? what : "");
	}
	fflush(stderr);
}

static struct progress the_progress;

void cli_progress_begin(struct bpfman *m)
{
	if (!isatty(STDERR_FILENO))
		return;
	memset(&the_progress, 0, sizeof(the_progress));
	clock_gettime(CLOCK_MONOTONIC, &the_progress.start);
	bpfman_set_progress(m, progress_cb, &the_progress);
}

void cli_progress_end(void)
{
	if (the_progress.open)
		fputc('\n', stderr);
	the_progress.open = false;
}

/* ---- image pull ---- */

OPT_TABLE(image_pull_options,
	  { "image-url", 'i', 1, "URL", "the bytecode image (required)" },
	  { "registry-auth", 'r', 1, "BASE64", "base64 of USER:PASS for the registry" },
	  { "pull-policy", 'p', 1, "POLICY", "Always, IfNotPresent (default) or Never" },
	  { "output", 'o', 1, "table|json", "output format (default table)" });

static json_t *kv_json(const struct kv_list *l)
{
	json_t *o = json_object();

	for (size_t i = 0; i < l->n; i++)
		json_object_set_new(o, l->items[i].key, json_string(l->items[i].value));
	return o;
}

static json_t *image_json(const struct bpfman_image *i)
{
	return json_pack("{s:s, s:s, s:s?, s:s?, s:I, s:I, s:o, s:o}", "ref", i->ref, "digest",
			 i->digest, "image_digest", i->image_digest, "object_name", i->object_name,
			 "object_size", (json_int_t)i->object_size, "pulled_at",
			 (json_int_t)i->pulled_at, "programs", kv_json(&i->programs), "maps",
			 kv_json(&i->maps));
}

static void dump(json_t *j)
{
	cli_print_json(j);
}

static char *programs_text(const struct kv_list *l)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	if (!f)
		return NULL;
	for (size_t i = 0; i < l->n; i++)
		fprintf(f, "%s%s:%s", i ? ", " : "", l->items[i].value, l->items[i].key);
	if (!l->n)
		fputs("None", f);
	fclose(f);
	return buf;
}

int cmd_image_pull(int argc, char **argv)
{
	struct bpfman_image_pull_opts o = { .pull_policy = BPFMAN_PULL_IF_NOT_PRESENT };
	struct bpfman_image img = { 0 };
	enum output_format fmt = OUTPUT_TABLE;
	char *user = NULL, *pass = NULL;
	struct bpfman *m = NULL;
	struct parsed p;
	int r;

	r = parse_table(&image_pull_options, argc, argv, &p);
	if (r < 0)
		goto out;
	r = output_format_from(&p, &fmt);
	if (r < 0)
		goto out;
	if (p.n_pos) {
		cli_usage_error("unexpected argument '%s' (usage: bpfman image pull -i URL [-r BASE64] [-p POLICY])",
			  p.pos[0]);
		r = -EINVAL;
		goto out;
	}
	r = cli_image_source(&p, &o.url, &o.pull_policy, &user, &pass);
	if (r < 0)
		goto out;
	o.username = user;
	o.password = pass;
	r = cli_open(true, &m);
	if (r < 0)
		goto out;
	cli_progress_begin(m);
	r = bpfman_image_pull(m, &o, &img);
	cli_progress_end();
	if (r < 0) {
		print_error(fmt, bpfman_error(m));
		goto out;
	}
	if (fmt == OUTPUT_JSON) {
		dump(image_json(&img));
	} else {
		_cleanup_free_ char *progs = programs_text(&img.programs);

		printf(" Image:     %s\n Digest:    %s\n Object:    %s (%llu bytes)\n Programs:  %s\n",
		       img.ref, img.digest, img.object_name ? img.object_name : "?",
		       (unsigned long long)img.object_size, progs ? progs : "");
	}
out:
	bpfman_image_clear(&img);
	bpfman_close(m);
	cli_registry_auth_free(user, pass);
	parsed_free(&p);
	return r;
}

/* ---- image list ---- */

OPT_TABLE(image_list_options, { "output", 'o', 1, "table|json", "output format (default table)" });

int cmd_image_list(int argc, char **argv)
{
	struct bpfman_image *v = NULL;
	enum output_format fmt = OUTPUT_TABLE;
	struct bpfman *m = NULL;
	struct parsed p;
	size_t n = 0;
	int r;

	r = parse_table(&image_list_options, argc, argv, &p);
	if (r < 0)
		goto out;
	r = output_format_from(&p, &fmt);
	if (r < 0)
		goto out;
	if (p.n_pos) {
		cli_usage_error("unexpected argument '%s' (usage: bpfman image list [-o json])", p.pos[0]);
		r = -EINVAL;
		goto out;
	}
	r = cli_open(true, &m);
	if (r < 0)
		goto out;
	r = bpfman_image_list(m, &v, &n);
	if (r < 0) {
		print_error(fmt, bpfman_error(m));
		goto out;
	}
	if (fmt == OUTPUT_JSON) {
		json_t *a = json_array();

		for (size_t i = 0; i < n; i++)
			json_array_append_new(a, image_json(&v[i]));
		dump(a);
		goto out;
	}
	{
		int w = (int)strlen("Image");

		for (size_t i = 0; i < n; i++)
			if ((int)strlen(v[i].ref) > w)
				w = (int)strlen(v[i].ref);
		printf(" %-*s  %-19s  %-10s  %-20s  %s\n", w, "Image", "Digest", "Size", "Pulled",
		       "Programs");
		for (size_t i = 0; i < n; i++) {
			_cleanup_free_ char *progs = programs_text(&v[i].programs);
			const char *hex = v[i].digest ? strchr(v[i].digest, ':') : NULL;
			char when[32] = "";
			time_t t = (time_t)v[i].pulled_at;
			struct tm tm;

			if (localtime_r(&t, &tm))
				strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%S", &tm);
			printf(" %-*s  sha256:%-12.12s  %-10llu  %-20s  %s\n", w, v[i].ref,
			       hex ? hex + 1 : "", (unsigned long long)v[i].object_size, when,
			       progs ? progs : "");
		}
	}
out:
	bpfman_images_free(v, n);
	bpfman_close(m);
	parsed_free(&p);
	return r;
}

/* ---- image rm ---- */

int cmd_image_rm(int argc, char **argv)
{
	struct bpfman *m = NULL;
	int r;

	if (argc != 1) {
		cli_usage_error("usage: bpfman image rm REF|DIGEST");
		return -EINVAL;
	}
	r = cli_open(true, &m);
	if (r < 0)
		return r;
	r = bpfman_image_remove(m, argv[0]);
	if (r < 0)
		log_error("%s", bpfman_error(m));
	bpfman_close(m);
	return r;
}
