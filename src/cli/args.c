/* A small option scanner: getopt cannot take options with several values
 * (--programs a b c), which the reference CLI accepts. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "log.h"

bool cli_usage_failed;

void cli_usage_error(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vmsg(LOG_LEVEL_ERROR, fmt, ap);
	va_end(ap);
	cli_usage_failed = true;
}

static int find_opt(const struct opt *opts, size_t n, const char *arg, const char **ret_inline)
{
	*ret_inline = NULL;
	if (arg[1] == '-') {
		const char *name = arg + 2, *eq = strchr(name, '=');
		size_t len = eq ? (size_t)(eq - name) : strlen(name);

		for (size_t i = 0; i < n; i++)
			if (strlen(opts[i].long_name) == len && !strncmp(opts[i].long_name, name, len)) {
				*ret_inline = eq ? eq + 1 : NULL;
				return (int)i;
			}
		return -1;
	}
	for (size_t i = 0; i < n; i++)
		if (opts[i].short_name && opts[i].short_name == arg[1]) {
			*ret_inline = arg[2] ? arg + 2 : NULL;
			return (int)i;
		}
	return -1;
}

static int push(char ***v, size_t *n, char *s)
{
	char **t = reallocarray(*v, *n + 1, sizeof(*t));

	if (!t)
		return -ENOMEM;
	*v = t;
	t[(*n)++] = s;
	return 0;
}

/* "-1" is a value (e.g. a proceed-on or offset), not an option */
static bool is_option(const char *a)
{
	return a[0] == '-' && a[1] && !(a[1] >= '0' && a[1] <= '9');
}

int parse_args(const struct opt *opts, size_t n_opts, int argc, char **argv, struct parsed *p)
{
	memset(p, 0, sizeof(*p));
	p->opts = opts;
	p->n_opts = n_opts;
	for (int i = 0; i < argc; i++) {
		const char *inl;
		int k;

		if (!is_option(argv[i]) || !strcmp(argv[i], "--")) {
			if (!strcmp(argv[i], "--")) {
				for (i++; i < argc; i++)
					if (push(&p->pos, &p->n_pos, argv[i]) < 0)
						return -ENOMEM;
				break;
			}
			if (push(&p->pos, &p->n_pos, argv[i]) < 0)
				return -ENOMEM;
			continue;
		}
		k = find_opt(opts, n_opts, argv[i], &inl);
		if (k < 0) {
			cli_usage_error("unknown option '%s'", argv[i]);
			return -EINVAL;
		}
		p->seen[k]++;
		if (!opts[k].takes_value) {
			if (inl) {
				cli_usage_error("option '--%s' takes no value", opts[k].long_name);
				return -EINVAL;
			}
			continue;
		}
		if (inl) {
			if (push(&p->values[k], &p->n_values[k], (char *)inl) < 0)
				return -ENOMEM;
		} else {
			if (i + 1 >= argc) {
				cli_usage_error("option '--%s' needs a value", opts[k].long_name);
				return -EINVAL;
			}
			if (push(&p->values[k], &p->n_values[k], argv[++i]) < 0)
				return -ENOMEM;
		}
		if (opts[k].takes_value == 2)
			while (i + 1 < argc && !is_option(argv[i + 1]))
				if (push(&p->values[k], &p->n_values[k], argv[++i]) < 0)
					return -ENOMEM;
	}
	return 0;
}

int parse_table(const struct opt_table *t, int argc, char **argv, struct parsed *ret)
{
	return parse_args(t->v, t->n, argc, argv, ret);
}

void parsed_free(struct parsed *p)
{
	for (size_t i = 0; i < p->n_opts && i < 32; i++)
		free(p->values[i]);
	free(p->pos);
}

static int index_of(const struct parsed *p, const char *name)
{
	for (size_t i = 0; i < p->n_opts; i++)
		if (!strcmp(p->opts[i].long_name, name))
			return (int)i;
	return -1;
}

const char *opt_value(const struct parsed *p, const char *name)
{
	int k = index_of(p, name);

	if (k < 0 || !p->n_values[k])
		return NULL;
	return p->values[k][p->n_values[k] - 1];
}

size_t opt_values(const struct parsed *p, const char *name, char ***ret)
{
	int k = index_of(p, name);

	if (k < 0)
		return 0;
	*ret = p->values[k];
	return p->n_values[k];
}

bool opt_flag(const struct parsed *p, const char *name)
{
	int k = index_of(p, name);

	return k >= 0 && p->seen[k] > 0;
}
