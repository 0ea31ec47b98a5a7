/* Files, directories and multi-document streams of declared applications -> struct app_decl
 * (app-decl.h). Two passes per text: app-yaml-scan.c bounds it (size, depth, alias
 * expansion), then libyaml's loader builds each document and app-yaml-spec.c validates it.
 * A text is all or nothing: its applications are appended only when every document is
 * valid and none repeats an application already declared. */
#include <dirent.h>
#include <errno.h>
#include <stdarg.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "app-yaml.h"
#include "cleanup.h"

__attribute__((format(printf, 2, 3))) static int set_err(char **ret_err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	if (vasprintf(ret_err, fmt, ap) < 0)
		*ret_err = NULL;
	va_end(ap);
	return -EINVAL;
}

static bool same_app(const struct app_decl *a, const struct app_decl *b)
{
	return a->kind == b->kind && !strcmp(a->name, b->name) &&
	       (a->kind == APP_CLUSTER || !strcmp(a->namespace, b->namespace));
}

static int duplicate_err(const struct app_decl *d, const struct app_decl *first, char **ret_err)
{
	int r;

	if (d->kind == APP_CLUSTER)
		r = asprintf(ret_err, "%s:%u: ClusterBpfApplication %s is also declared at %s:%u",
			     d->file, d->line, d->name, first->file, first->line);
	else
		r = asprintf(ret_err, "%s:%u: BpfApplication %s/%s is also declared at %s:%u",
			     d->file, d->line, d->namespace, d->name, first->file, first->line);
	if (r < 0)
		*ret_err = NULL;
	return -EINVAL;
}

/* Appends the documents' applications to *v or, on any error, nothing. */
static int parse_documents(const char *name, const char *text, size_t len, struct app_decl **v,
			   size_t *n, char **ret_err)
{
	yaml_parser_t parser;
	struct app_decl *got = NULL;
	size_t n_got = 0;
	int r = 0;

	if (!yaml_parser_initialize(&parser))
		return -ENOMEM;
	yaml_parser_set_input_string(&parser, (const unsigned char *)text, len);
	for (;;) {
		yaml_document_t doc;
		yaml_node_t *root;
		struct yctx c = { .doc = &doc, .file = name };
		struct app_decl *more;

		if (!yaml_parser_load(&parser, &doc)) {
			r = app_yaml_syntax_error(&parser, name, ret_err);
			break;
		}
		root = yaml_document_get_root_node(&doc);
		if (!root) { /* the end of the stream */
			yaml_document_delete(&doc);
			break;
		}
		if (ykind_of(root) == Y_NULL) { /* an empty document, between two `---` */
			yaml_document_delete(&doc);
			continue;
		}
		more = realloc(got, (n_got + 1) * sizeof(*got));
		if (!more) {
			yaml_document_delete(&doc);
			r = -ENOMEM;
			break;
		}
		got = more;
		memset(&got[n_got], 0, sizeof(*got));
		r = app_yaml_document(&c, root, &got[n_got]);
		yaml_document_delete(&doc);
		if (r < 0) {
			*ret_err = c.err;
			break;
		}
		n_got++;
		got[n_got - 1].file = strdup(name);
		if (!got[n_got - 1].file) {
			r = -ENOMEM;
			break;
		}
	}
	yaml_parser_delete(&parser);

	for (size_t i = 0; r == 0 && i < n_got; i++) {
		for (size_t j = 0; r == 0 && j < *n; j++)
			if (same_app(&got[i], &(*v)[j]))
				r = duplicate_err(&got[i], &(*v)[j], ret_err);
		for (size_t j = 0; r == 0 && j < i; j++)
			if (same_app(&got[i], &got[j]))
				r = duplicate_err(&got[i], &got[j], ret_err);
	}
	if (r == 0 && n_got) {
		struct app_decl *all = realloc(*v, (*n + n_got) * sizeof(**v));

		if (!all) {
			r = -ENOMEM;
		} else {
			memcpy(all + *n, got, n_got * sizeof(*got));
			*v = all;
			*n += n_got;
			free(got);
			return 0;
		}
	}
	app_decls_free(got, n_got);
	return r;
}

int app_decl_parse_text(const char *name, const char *text, size_t len, struct app_decl **v,
			size_t *n, char **ret_err)
{
	int r;

	*ret_err = NULL;
	if (len > APP_YAML_MAX_FILE)
		return set_err(ret_err, "%s: larger than %s", name, "4 MiB");
	r = app_yaml_scan(name, text, len, ret_err);
	if (r < 0)
		return r;
	return parse_documents(name, text, len, v, n, ret_err);
}

int app_decl_parse_file(const char *path, struct app_decl **v, size_t *n, char **ret_err)
{
	_cleanup_close_ int fd = -EBADF;
	_cleanup_free_ char *buf = NULL;
	struct stat st;
	size_t len = 0;

	*ret_err = NULL;
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0 || fstat(fd, &st) < 0) {
		int r = -errno;

		set_err(ret_err, "%s: %s", path, strerror(-r));
		return r;
	}
	if (!S_ISREG(st.st_mode))
		return set_err(ret_err, "%s: %s", path, "not a regular file");
	if (st.st_size > (off_t)APP_YAML_MAX_FILE)
		return set_err(ret_err, "%s: larger than %s", path, "4 MiB");
	/* read one byte more than allowed: a file may grow, or lie about its size */
	buf = malloc(APP_YAML_MAX_FILE + 1);
	if (!buf)
		return -ENOMEM;
	for (;;) {
		ssize_t k = read(fd, buf + len, APP_YAML_MAX_FILE + 1 - len);

		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0) {
			int r = -errno;

			set_err(ret_err, "%s: %s", path, strerror(-r));
			return r;
		}
		if (k == 0)
			break;
		len += (size_t)k;
		if (len > APP_YAML_MAX_FILE)
			return set_err(ret_err, "%s: larger than %s", path, "4 MiB");
	}
	return app_decl_parse_text(path, buf, len, v, n, ret_err);
}

static int yaml_name(const struct dirent *e)
{
	size_t len = strlen(e->d_name);

	if (e->d_name[0] == '.') /* editors' and package managers' leftovers */
		return 0;
	return (len > 5 && !strcmp(e->d_name + len - 5, ".yaml")) ||
	       (len > 4 && !strcmp(e->d_name + len - 4, ".yml"));
}

/* byte order, whatever the locale: the order files are applied in must not depend on it */
static int name_order(const struct dirent **a, const struct dirent **b)
{
	return strcmp((*a)->d_name, (*b)->d_name);
}

static int append_msg(char **all, const char *msg)
{
	char *s;

	if (asprintf(&s, "%s%s%s", *all ? *all : "", *all ? "\n" : "", msg) < 0)
		return -ENOMEM;
	free(*all);
	*all = s;
	return 0;
}

int app_decl_parse_path(const char *path, bool keep_going, struct app_decl **v, size_t *n,
			char **ret_err)
{
	struct dirent **names = NULL;
	size_t n_before = *n;
	char *msgs = NULL;
	struct stat st;
	int count, r = 0, failed = 0;

	*ret_err = NULL;
	if (stat(path, &st) < 0) {
		r = -errno;
		set_err(ret_err, "%s: %s", path, strerror(-r));
		return r;
	}
	if (!S_ISDIR(st.st_mode))
		return app_decl_parse_file(path, v, n, ret_err);
	count = scandir(path, &names, yaml_name, name_order);
	if (count < 0) {
		r = -errno;
		set_err(ret_err, "%s: %s", path, strerror(-r));
		return r;
	}
	for (int i = 0; i < count; i++) {
		char *file = NULL, *err = NULL;
		int k;

		if (r == 0 || (keep_going && r != -ENOMEM)) {
			if (asprintf(&file, "%s%s%s", path,
				     path[strlen(path) - 1] == '/' ? "" : "/", names[i]->d_name) < 0) {
				r = -ENOMEM;
			} else {
				k = app_decl_parse_file(file, v, n, &err);
				if (k < 0) {
					failed++;
					if (k == -ENOMEM || append_msg(&msgs, err ? err : file) < 0)
						r = -ENOMEM;
					else if (r == 0)
						r = k;
				}
			}
		}
		free(err);
		free(file);
		free(names[i]);
	}
	free(names);
	if (r == -ENOMEM || (r < 0 && !keep_going)) {
		/* all or nothing without keep_going */
		for (size_t i = n_before; i < *n; i++)
			app_decl_clear(&(*v)[i]);
		*n = n_before;
		if (n_before == 0) { /* as before the call: no array the caller did not have */
			free(*v);
			*v = NULL;
		}
	}
	if (failed && r != -ENOMEM) {
		*ret_err = msgs;
		return -EINVAL;
	}
	free(msgs);
	return r;
}
