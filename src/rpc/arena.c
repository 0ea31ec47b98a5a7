/* A chain of malloc'd blocks; big requests get a block of their own. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "arena.h"

#define BLOCK_SIZE 16384

struct arena_block {
	struct arena_block *next;
	size_t used, size;
	max_align_t data[];
};

void *arena_alloc(struct arena *a, size_t size)
{
	struct arena_block *b = a->head;
	size_t need = (size + 15) & ~(size_t)15;
	void *p;

	if (need < size) {
		a->failed = 1;
		return NULL;
	}
	if (!b || b->size - b->used < need) {
		size_t bsize = need > BLOCK_SIZE ? need : BLOCK_SIZE;

		b = malloc(sizeof(*b) + bsize);
		if (!b) {
			a->failed = 1;
			return NULL;
		}
		b->size = bsize;
		b->used = 0;
		b->next = a->head;
		a->head = b;
	}
	p = (char *)b->data + b->used;
	b->used += need;
	memset(p, 0, size);
	return p;
}

void *arena_array(struct arena *a, size_t n, size_t size)
{
	size_t bytes;

	if (__builtin_mul_overflow(n, size, &bytes)) {
		a->failed = 1;
		return NULL;
	}
	return arena_alloc(a, bytes ? bytes : 1);
}

void *arena_memdup(struct arena *a, const void *p, size_t n)
{
	void *d = arena_alloc(a, n ? n : 1);

	if (d && n)
		memcpy(d, p, n);
	return d;
}

char *arena_strdup(struct arena *a, const char *s)
{
	if (!s)
		s = "";
	return arena_memdup(a, s, strlen(s) + 1);
}

void arena_free(struct arena *a)
{
	while (a->head) {
		struct arena_block *next = a->head->next;

		free(a->head);
		a->head = next;
	}
	a->failed = 0;
}
