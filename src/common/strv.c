/* Small ordered key/value list: metadata and selectors are a handful of pairs, so a
 * linear array is simpler and faster than a hash table. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "strv.h"

int kv_list_set(struct kv_list *l, const char *key, const char *value)
{
	char *v = strdup(value);
	struct kv *items;

	if (!v)
		return -ENOMEM;
	for (size_t i = 0; i < l->n; i++) {
		if (strcmp(l->items[i].key, key) == 0) {
			free(l->items[i].value);
			l->items[i].value = v;
			return 0;
		}
	}
	items = reallocarray(l->items, l->n + 1, sizeof(*items));
	if (!items) {
		free(v);
		return -ENOMEM;
	}
	l->items = items;
	items[l->n].key = strdup(key);
	if (!items[l->n].key) {
		free(v);
		return -ENOMEM;
	}
	items[l->n].value = v;
	l->n++;
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
}

bool kv_list_matches(const struct kv_list *have, const struct kv_list *want)
{
	for (size_t i = 0; i < want->n; i++) {
		const char *v = kv_list_get(have, want->items[i].key);

		if (!v || strcmp(v, want->items[i].value) != 0)
			return false;
	}
	return true;
}

int kv_list_parse(struct kv_list *l, const char *s)
{
	_cleanup_free_ char *copy = strdup(s);
	char *save = NULL;

	if (!copy)
		return -ENOMEM;
	for (char *tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		char *eq = strchr(tok, '=');
		int r;

		if (!eq || eq == tok)
			return -EINVAL;
		*eq = '\0';
		r = kv_list_set(l, tok, eq + 1);
		if (r < 0)
			return r;
	}
	return 0;
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
