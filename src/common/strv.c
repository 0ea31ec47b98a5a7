/* Ordered key/value lists. Single pairs go in with kv_list_set (a linear search, fine for a
 * handful); bulk input (a request's metadata, rows of the database) is appended and then
 * normalized once by sorting, so tens of thousands of pairs cost n log n, not n². */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "strv.h"

static int grow(struct kv_list *l)
{
	struct kv *items;
	size_t cap;

	if (l->n < l->cap)
		return 0;
	cap = l->cap ? l->cap * 2 : 8;
	items = reallocarray(l->items, cap, sizeof(*items));
	if (!items)
		return -ENOMEM;
	l->items = items;
	l->cap = cap;
	return 0;
}

int kv_list_append(struct kv_list *l, const char *key, const char *value)
{
	char *k, *v;

	if (grow(l) < 0)
		return -ENOMEM;
	k = strdup(key);
	v = strdup(value);
	if (!k || !v) {
		free(k);
		free(v);
		return -ENOMEM;
	}
	l->items[l->n].key = k;
	l->items[l->n].value = v;
	l->n++;
	return 0;
}

int kv_list_set(struct kv_list *l, const char *key, const char *value)
{
	for (size_t i = 0; i < l->n; i++) {
		if (strcmp(l->items[i].key, key) == 0) {
			char *v = strdup(value);

			if (!v)
				return -ENOMEM;
			free(l->items[i].value);
			l->items[i].value = v;
			return 0;
		}
	}
	return kv_list_append(l, key, value);
}

struct indexed {
	struct kv kv;
	size_t at; /* position before sorting: the later of two equal keys wins */
};

static int indexed_cmp(const void *a, const void *b)
{
	const struct indexed *x = a, *y = b;
	int c = strcmp(x->kv.key, y->kv.key);

	if (c)
		return c;
	return x->at < y->at ? -1 : x->at > y->at;
}

void kv_list_normalize(struct kv_list *l)
{
	_cleanup_free_ struct indexed *t = NULL;
	size_t out = 0;

	if (l->n < 2)
		return;
	t = calloc(l->n, sizeof(*t));
	if (!t) {
		/* no memory for the index: the quadratic way, in place */
		for (size_t i = 0; i < l->n; i++) {
			size_t j;

			for (j = 0; j < out && strcmp(l->items[j].key, l->items[i].key); j++)
				;
			if (j < out) {
				free(l->items[j].value);
				free(l->items[i].key);
				l->items[j].value = l->items[i].value;
			} else
				l->items[out++] = l->items[i];
		}
		l->n = out;
		return;
	}
	for (size_t i = 0; i < l->n; i++)
		t[i] = (struct indexed){ l->items[i], i };
	qsort(t, l->n, sizeof(*t), indexed_cmp);
	for (size_t i = 0; i < l->n; i++) {
		if (i + 1 < l->n && strcmp(t[i].kv.key, t[i + 1].kv.key) == 0) {
			free(t[i].kv.key); /* a later value for the same key follows */
			free(t[i].kv.value);
			continue;
		}
		l->items[out++] = t[i].kv;
	}
	l->n = out;
}

int kv_list_copy(struct kv_list *dst, const struct kv_list *src)
{
	for (size_t i = 0; src && i < src->n; i++) {
		int r = kv_list_append(dst, src->items[i].key, src->items[i].value);

		if (r < 0)
			return r;
	}
	kv_list_normalize(dst);
	return 0;
}

const char *kv_list_get(const struct kv_list *l, const char *key)
{
	for (size_t i = 0; i < l->n; i++)
		if (strcmp(l->items[i].key, key) == 0)
			return l->items[i].value;
	return NULL;
}

void kv_list_clear(struct kv_list *l)
{
	for (size_t i = 0; i < l->n; i++) {
		free(l->items[i].key);
		free(l->items[i].value);
	}
	free(l->items);
	l->items = NULL;
	l->n = 0;
	l->cap = 0;
}

static int kv_ptr_cmp(const void *a, const void *b)
{
	return strcmp((*(const struct kv *const *)a)->key, (*(const struct kv *const *)b)->key);
}

bool kv_list_matches(const struct kv_list *have, const struct kv_list *want)
{
	_cleanup_free_ const struct kv **sorted = NULL;

	if (want->n == 0)
		return true;
	if (want->n == 1 || have->n < 8) {
		for (size_t i = 0; i < want->n; i++) {
			const char *v = kv_list_get(have, want->items[i].key);

			if (!v || strcmp(v, want->items[i].value) != 0)
				return false;
		}
		return true;
	}
	sorted = calloc(have->n, sizeof(*sorted));
	if (!sorted)
		return false;
	for (size_t i = 0; i < have->n; i++)
		sorted[i] = &have->items[i];
	qsort(sorted, have->n, sizeof(*sorted), kv_ptr_cmp);
	for (size_t i = 0; i < want->n; i++) {
		const struct kv *k = &want->items[i], **hit;

		hit = bsearch(&k, sorted, have->n, sizeof(*sorted), kv_ptr_cmp);
		if (!hit || strcmp((*hit)->value, k->value) != 0)
			return false;
	}
	return true;
}

int kv_list_parse(struct kv_list *l, const char *s)
{
	const char *item = s;

	for (;;) {
		const char *end = strchrnul(item, ','), *eq = memchr(item, '=', end - item);
		_cleanup_free_ char *key = NULL, *value = NULL;
		int r;

		if (!eq || eq == item)
			return -EINVAL; /* also the empty item of "a=1,,b=2" or "," */
		key = strndup(item, eq - item);
		value = strndup(eq + 1, end - eq - 1);
		if (!key || !value)
			return -ENOMEM;
		r = kv_list_append(l, key, value);
		if (r < 0)
			return r;
		if (!*end)
			return 0;
		item = end + 1;
	}
}

static int kv_cmp(const void *a, const void *b)
{
	return strcmp(((const struct kv *)a)->key, ((const struct kv *)b)->key);
}

char *kv_list_format(const struct kv_list *l)
{
	_cleanup_free_ struct kv *sorted = NULL;
	char *buf = NULL;
	size_t len = 0;
	FILE *f;

	if (l->n == 0)
		return strdup("None");
	sorted = calloc(l->n, sizeof(*sorted));
	if (!sorted)
		return NULL;
	memcpy(sorted, l->items, l->n * sizeof(*sorted));
	qsort(sorted, l->n, sizeof(*sorted), kv_cmp);
	f = open_memstream(&buf, &len);
	if (!f)
		return NULL;
	for (size_t i = 0; i < l->n; i++)
		fprintf(f, "%s%s=%s", i ? ", " : "", sorted[i].key, sorted[i].value);
	fclose(f);
	return buf;
}
