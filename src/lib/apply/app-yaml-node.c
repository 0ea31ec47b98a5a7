/* Typed access to libyaml document nodes; see app-yaml-node.h. */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app-yaml-node.h"

unsigned yline(const yaml_node_t *n)
{
	return n ? (unsigned)n->start_mark.line + 1 : 0;
}

yaml_node_t *ynode(struct yctx *c, int idx)
{
	return yaml_document_get_node(c->doc, idx);
}

int yfail(struct yctx *c, const yaml_node_t *n, const char *path, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	if (c->err)
		return -EINVAL;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (asprintf(&c->err, "%s:%u: %s%s%s", c->file, yline(n), path, *path ? ": " : "",
		     msg) < 0)
		c->err = NULL;
	return -EINVAL;
}

void ypath_key(char out[YPATH_MAX], const char *parent, const char *key)
{
	snprintf(out, YPATH_MAX, "%s%s%s", parent, *parent ? "." : "", key);
}

void ypath_idx(char out[YPATH_MAX], const char *parent, size_t i)
{
	snprintf(out, YPATH_MAX, "%s[%zu]", parent, i);
}

static bool in_list(const char *s, const char *const *l)
{
	for (; *l; l++)
		if (!strcmp(s, *l))
			return true;
	return false;
}

/* The plain-scalar forms of YAML 1.1 as the Kubernetes client (go-yaml v2) resolves them:
 * a value written `yes` or `0x0A` is not a string there, so it is not one here either. */
static const char *const y_nulls[] = { "", "~", "null", "Null", "NULL", NULL };
static const char *const y_bools[] = { "y", "Y", "yes", "Yes", "YES", "true", "True", "TRUE",
				       "on", "On", "ON", "n", "N", "no", "No", "NO", "false",
				       "False", "FALSE", "off", "Off", "OFF", NULL };
static const char *const y_falses[] = { "n", "N", "no", "No", "NO", "false", "False", "FALSE",
					"off", "Off", "OFF", NULL };

static bool digits(const char *s, const char *set)
{
	bool any = false;

	for (; *s; s++) {
		if (*s == '_')
			continue;
		if (!strchr(set, *s))
			return false;
		any = true;
	}
	return any;
}

static bool is_int(const char *s)
{
	if (*s == '-' || *s == '+')
		s++;
	if (s[0] == '0' && s[1] == 'b')
		return digits(s + 2, "01");
	if (s[0] == '0' && s[1] == 'x')
		return digits(s + 2, "0123456789abcdefABCDEF");
	if (s[0] == '0' && s[1])
		return digits(s + 1, "01234567");
	return *s >= '0' && *s <= '9' && digits(s, "0123456789");
}

static bool is_float(const char *s)
{
	static const char *const special[] = { ".inf", ".Inf", ".INF", ".nan", ".NaN", ".NAN",
					       NULL };
	bool mant = false;

	if (*s == '-' || *s == '+')
		s++;
	if (in_list(s, special))
		return true;
	while ((*s >= '0' && *s <= '9') || *s == '_')
		mant = true, s++;
	if (*s == '.')
		for (s++; (*s >= '0' && *s <= '9') || *s == '_'; s++)
			mant = true;
	if (!mant)
		return false;
	if (*s == 'e' || *s == 'E') {
		s++;
		if (*s == '-' || *s == '+')
			s++;
		if (!(*s >= '0' && *s <= '9'))
			return false;
		while (*s >= '0' && *s <= '9')
			s++;
	}
	return *s == '\0';
}

enum ykind ykind_of(const yaml_node_t *n)
{
	const char *s;

	if (n->type == YAML_MAPPING_NODE)
		return Y_MAP;
	if (n->type == YAML_SEQUENCE_NODE)
		return Y_SEQ;
	if (n->data.scalar.style != YAML_PLAIN_SCALAR_STYLE)
		return Y_STR;
	s = (const char *)n->data.scalar.value;
	if (strlen(s) != n->data.scalar.length)
		return Y_STR; /* a NUL inside: no keyword */
	if (in_list(s, y_nulls))
		return Y_NULL;
	if (in_list(s, y_bools))
		return Y_BOOL;
	if (is_int(s))
		return Y_INT;
	if (is_float(s))
		return Y_FLOAT;
	return Y_STR;
}

const char *ykind_name(enum ykind k)
{
	static const char *const names[] = { "null", "a boolean", "an integer", "a number",
					     "a string", "a mapping", "a list" };
	return names[k];
}

static int want(struct yctx *c, yaml_node_t *n, const char *path, enum ykind k)
{
	enum ykind got = ykind_of(n);

	if (got == k)
		return 0;
	return yfail(c, n, path, "must be %s (got %s)", ykind_name(k), ykind_name(got));
}

int ymap_check(struct yctx *c, yaml_node_t *n, const char *path, const char *const *known)
{
	yaml_node_pair_t *p, *q;
	char sub[YPATH_MAX];

	if (want(c, n, path, Y_MAP) < 0)
		return -EINVAL;
	for (p = n->data.mapping.pairs.start; p < n->data.mapping.pairs.top; p++) {
		yaml_node_t *k = ynode(c, p->key);
		const char *ks;

		if (!k || k->type != YAML_SCALAR_NODE)
			return yfail(c, k ? k : n, path, "a field name must be a string");
		ks = (const char *)k->data.scalar.value;
		ypath_key(sub, path, ks);
		if (strlen(ks) != k->data.scalar.length || !in_list(ks, known))
			return yfail(c, k, path, "unknown field \"%s\"", ks);
		/* known keys are few, so this stays short */
		for (q = n->data.mapping.pairs.start; q < p; q++)
			if (!strcmp((const char *)ynode(c, q->key)->data.scalar.value, ks))
				return yfail(c, k, sub, "duplicate field");
	}
	return 0;
}

int ymap_strings(struct yctx *c, yaml_node_t *n, const char *path, size_t max)
{
	yaml_node_pair_t *p, *q;
	char sub[YPATH_MAX];
	size_t count;

	if (want(c, n, path, Y_MAP) < 0)
		return -EINVAL;
	count = n->data.mapping.pairs.top - n->data.mapping.pairs.start;
	if (count > max)
		return yfail(c, n, path, "more than %zu entries", max);
	for (p = n->data.mapping.pairs.start; p < n->data.mapping.pairs.top; p++) {
		yaml_node_t *k = ynode(c, p->key), *v = ynode(c, p->value);
		const char *ks;

		if (!k || k->type != YAML_SCALAR_NODE || ykind_of(k) != Y_STR)
			return yfail(c, k ? k : n, path, "a key must be a string");
		ks = (const char *)k->data.scalar.value;
		ypath_key(sub, path, ks);
		for (q = n->data.mapping.pairs.start; q < p; q++)
			if (!strcmp((const char *)ynode(c, q->key)->data.scalar.value, ks))
				return yfail(c, k, sub, "duplicate key");
		if (want(c, v, sub, Y_STR) < 0)
			return -EINVAL;
	}
	return 0;
}

yaml_node_t *yget(struct yctx *c, yaml_node_t *map, const char *key)
{
	for (yaml_node_pair_t *p = map->data.mapping.pairs.start; p < map->data.mapping.pairs.top;
	     p++) {
		yaml_node_t *k = ynode(c, p->key);

		if (k && k->type == YAML_SCALAR_NODE &&
		    !strcmp((const char *)k->data.scalar.value, key)) {
			yaml_node_t *v = ynode(c, p->value);

			return v && ykind_of(v) != Y_NULL ? v : NULL;
		}
	}
	return NULL;
}

int yseq(struct yctx *c, yaml_node_t *n, const char *path, yaml_node_item_t **ret_items,
	 size_t *ret_n)
{
	if (want(c, n, path, Y_SEQ) < 0)
		return -EINVAL;
	*ret_items = n->data.sequence.items.start;
	*ret_n = n->data.sequence.items.top - n->data.sequence.items.start;
	return 0;
}

int ystr(struct yctx *c, yaml_node_t *n, const char *path, const char **ret)
{
	if (want(c, n, path, Y_STR) < 0)
		return -EINVAL;
	if (strlen((const char *)n->data.scalar.value) != n->data.scalar.length)
		return yfail(c, n, path, "must not contain a NUL character");
	*ret = (const char *)n->data.scalar.value;
	return 0;
}

int ystrdup(struct yctx *c, yaml_node_t *n, const char *path, char **ret)
{
	const char *s;
	char *d;

	if (ystr(c, n, path, &s) < 0)
		return -EINVAL;
	d = strdup(s);
	if (!d)
		return -ENOMEM;
	free(*ret);
	*ret = d;
	return 0;
}

int ybool(struct yctx *c, yaml_node_t *n, const char *path, bool *ret)
{
	if (want(c, n, path, Y_BOOL) < 0)
		return -EINVAL;
	*ret = !in_list((const char *)n->data.scalar.value, y_falses);
	return 0;
}

/* Parses a resolved integer (sign, 0b/0x/0 prefixes, `_` separators); -ERANGE beyond int64. */
static int int_value(const char *s, int64_t *ret)
{
	char buf[80];
	size_t j = 0;
	bool neg = false;
	int base = 10;
	unsigned long long v;
	char *end;

	if (*s == '-' || *s == '+')
		neg = *s++ == '-';
	if (s[0] == '0' && (s[1] == 'b' || s[1] == 'x'))
		base = s[1] == 'b' ? 2 : 16, s += 2;
	else if (s[0] == '0' && s[1])
		base = 8, s++;
	for (; *s; s++)
		if (*s != '_') {
			if (j + 1 >= sizeof(buf))
				return -ERANGE;
			buf[j++] = *s;
		}
	buf[j] = '\0';
	errno = 0;
	v = strtoull(buf, &end, base);
	if (errno || *end)
		return -ERANGE;
	if (neg ? v > (unsigned long long)INT64_MAX + 1 : v > (unsigned long long)INT64_MAX)
		return -ERANGE;
	*ret = neg ? (int64_t)(0 - v) : (int64_t)v;
	return 0;
}

int yint(struct yctx *c, yaml_node_t *n, const char *path, int64_t min, int64_t max,
	 int64_t *ret)
{
	int64_t v;

	if (want(c, n, path, Y_INT) < 0)
		return -EINVAL;
	if (int_value((const char *)n->data.scalar.value, &v) < 0 || v < min || v > max)
		return yfail(c, n, path, "must be %" PRId64 "..%" PRId64 " (got %s)", min, max,
			     (const char *)n->data.scalar.value);
	*ret = v;
	return 0;
}

int yenum(struct yctx *c, yaml_node_t *n, const char *path, const char *const *names, int *ret)
{
	char list[256] = "";
	const char *s;

	if (ystr(c, n, path, &s) < 0)
		return -EINVAL;
	for (int i = 0; names[i]; i++) {
		if (!strcmp(s, names[i])) {
			*ret = i;
			return 0;
		}
		snprintf(list + strlen(list), sizeof(list) - strlen(list), "%s%s", i ? ", " : "",
			 names[i]);
	}
	return yfail(c, n, path, "must be one of %s (got \"%.64s\")", list, s);
}

void strv_free_(char **v)
{
	if (!v)
		return;
	for (char **p = v; *p; p++)
		free(*p);
	free(v);
}

int ystrv(struct yctx *c, yaml_node_t *n, const char *path, char ***ret)
{
	yaml_node_item_t *items;
	char sub[YPATH_MAX];
	char **v;
	size_t count;

	if (yseq(c, n, path, &items, &count) < 0)
		return -EINVAL;
	v = calloc(count + 1, sizeof(*v));
	if (!v)
		return -ENOMEM;
	for (size_t i = 0; i < count; i++) {
		ypath_idx(sub, path, i);
		int r = ystrdup(c, ynode(c, items[i]), sub, &v[i]);
		if (r < 0) {
			strv_free_(v);
			return r;
		}
	}
	strv_free_(*ret);
	*ret = v;
	return 0;
}
