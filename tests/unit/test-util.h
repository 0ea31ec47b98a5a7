/* Minimal assertion helpers for the unit tests: print the expression and where, count
 * failures, exit non-zero at the end. */
#pragma once

#include <stdio.h>
#include <string.h>

static int test_failures;

#define CHECK(expr)                                                                   \
	do {                                                                          \
		if (!(expr)) {                                                        \
			fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #expr); \
			test_failures++;                                              \
		}                                                                     \
	} while (0)

#define CHECK_EQ_INT(a, b)                                                                  \
	do {                                                                                \
		long long _a = (long long)(a), _b = (long long)(b);                         \
		if (_a != _b) {                                                             \
			fprintf(stderr, "%s:%d: %s == %s failed: %lld != %lld\n", __FILE__, \
				__LINE__, #a, #b, _a, _b);                                  \
			test_failures++;                                                    \
		}                                                                           \
	} while (0)

#define CHECK_STREQ(a, b)                                                                    \
	do {                                                                                 \
		const char *_a = (a), *_b = (b);                                             \
		if (!_a || !_b || strcmp(_a, _b) != 0) {                                     \
			fprintf(stderr, "%s:%d: %s == %s failed: '%s' != '%s'\n", __FILE__,  \
				__LINE__, #a, #b, _a ? _a : "(null)", _b ? _b : "(null)");   \
			test_failures++;                                                     \
		}                                                                            \
	} while (0)

#define TEST_RESULT() (test_failures ? (fprintf(stderr, "%d check(s) failed\n", test_failures), 1) : 0)
