/* Retry delays: 100 ms doubling up to max_ms, each one shortened by a random quarter at most
 * so that many clients that failed together do not retry together. */
#include <stdint.h>
#include <time.h>

#include "kube-internal.h"

#define FIRST_MS 100
#define DEFAULT_MAX_MS 30000

/* xorshift64: per thread, seeded from the clock; good enough for jitter */
unsigned long kube_random(void)
{
	static __thread uint64_t s;

	if (!s) {
		struct timespec ts;

		clock_gettime(CLOCK_MONOTONIC, &ts);
		s = ((uint64_t)ts.tv_nsec << 20) ^ (uint64_t)ts.tv_sec ^ (uintptr_t)&s;
		if (!s)
			s = 0x9e3779b97f4a7c15ull;
	}
	s ^= s << 13;
	s ^= s >> 7;
	s ^= s << 17;
	return s;
}

long kube_backoff_next(struct kube_backoff *b)
{
	long max = b->max_ms > 0 ? b->max_ms : DEFAULT_MAX_MS;
	long base = b->next_ms > 0 ? b->next_ms : FIRST_MS;
	long delay;

	if (base > max)
		base = max;
	/* in [base - base/4, base] */
	delay = base - (long)(kube_random() % (uint64_t)(base / 4 + 1));
	b->next_ms = base > max / 2 ? max : base * 2;
	return delay;
}

void kube_backoff_reset(struct kube_backoff *b)
{
	b->next_ms = 0;
}
