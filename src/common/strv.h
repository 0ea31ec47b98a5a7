/* Key/value lists (metadata, global data) shared by the library, CLI and server. */
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
};

/* Appends copies of key and value; replaces the value if key is present. 0 or -ENOMEM. */
int kv_list_set(struct kv_list *l, const char *key, const char *value);
const char *kv_list_get(const struct kv_list *l, const char *key);
void kv_list_clear(struct kv_list *l);
/* True when every pair of want is in have with the same value. */
bool kv_list_matches(const struct kv_list *have, const struct kv_list *want);
/* Parses "K=V[,K=V...]" into l. -EINVAL when a pair lacks '=' or has an empty key. */
int kv_list_parse(struct kv_list *l, const char *s);
/* "k=v, k2=v2" sorted by key; "None" when empty. Caller frees. */
char *kv_list_format(const struct kv_list *l);
