/* Key/value lists (metadata, selectors) shared by the library, CLI and server. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct kv {
	char *key;
	char *value;
};

struct kv_list {
	struct kv *items;
	size_t n;
	size_t cap; /* allocated items: appends grow geometrically */
};

/* Appends copies of key and value; replaces the value if key is present (a linear search:
 * for a few pairs; bulk input goes through kv_list_append + kv_list_normalize). 0 or
 * -ENOMEM. */
int kv_list_set(struct kv_list *l, const char *key, const char *value);
/* Appends copies without looking for key: amortized O(1). The list may then hold a key
 * twice until kv_list_normalize(). 0 or -ENOMEM. */
int kv_list_append(struct kv_list *l, const char *key, const char *value);
/* Sorts by key and keeps, for a key given more than once, the value given last (as
 * repeated kv_list_set would): O(n log n). */
void kv_list_normalize(struct kv_list *l);
/* Deep copy of src appended to dst, then normalized. 0 or -ENOMEM. */
int kv_list_copy(struct kv_list *dst, const struct kv_list *src);
const char *kv_list_get(const struct kv_list *l, const char *key);
void kv_list_clear(struct kv_list *l);
/* True when every pair of want is in have with the same value. O((n + m) log(n + m)). */
bool kv_list_matches(const struct kv_list *have, const struct kv_list *want);
/* Parses "K=V[,K=V...]" and appends the pairs to l (call kv_list_normalize when all are
 * in). -EINVAL when an item lacks '=' or has an empty key, or is empty ("a=1,,b=2", ","). */
int kv_list_parse(struct kv_list *l, const char *s);
/* "k=v, k2=v2" sorted by key; "None" when empty. Caller frees. */
char *kv_list_format(const struct kv_list *l);
