/* A bump allocator for building one response: everything a protobuf-c response points to
 * comes from here and goes in one arena_free() after packing, so there is no per-field
 * ownership to get wrong. */
#pragma once

#include <stddef.h>

struct arena_block;

struct arena {
	struct arena_block *head;
	int failed; /* set once an allocation failed; callers check it before packing */
};

void *arena_alloc(struct arena *a, size_t size); /* zeroed; NULL on -ENOMEM */
void *arena_array(struct arena *a, size_t n, size_t size); /* overflow-checked */
char *arena_strdup(struct arena *a, const char *s); /* NULL s -> "" */
void *arena_memdup(struct arena *a, const void *p, size_t n);
void arena_free(struct arena *a);
