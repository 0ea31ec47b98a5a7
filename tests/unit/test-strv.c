/* kv_list: bulk input appended and normalized once keeps what repeated kv_list_set would
 * (every key once, the value given last); selectors match; "K=V" lists parse strictly.
 * Also checks, without timing anything, that 200k pairs go through (a quadratic list took
 * minutes for that many). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "strv.h"
#include "test-util.h"

static void test_normalize(void)
{
	struct kv_list l = { 0 }, want = { 0 };

	CHECK_EQ_INT(kv_list_append(&l, "b", "1"), 0);
	CHECK_EQ_INT(kv_list_append(&l, "a", "1"), 0);
	CHECK_EQ_INT(kv_list_append(&l, "b", "2"), 0);
	CHECK_EQ_INT(kv_list_append(&l, "c", "1"), 0);
	CHECK_EQ_INT(kv_list_append(&l, "b", "3"), 0);
	kv_list_normalize(&l);
	CHECK_EQ_INT(l.n, 3);
	CHECK_STREQ(l.items[0].key, "a");
	CHECK_STREQ(l.items[1].key, "b");
	CHECK_STREQ(l.items[1].value, "3");
	CHECK_STREQ(kv_list_get(&l, "c"), "1");

	CHECK_EQ_INT(kv_list_set(&l, "a", "9"), 0);
	CHECK_STREQ(kv_list_get(&l, "a"), "9");
	CHECK_EQ_INT(l.n, 3);

	CHECK(kv_list_matches(&l, &want));
	CHECK_EQ_INT(kv_list_set(&want, "b", "3"), 0);
	CHECK(kv_list_matches(&l, &want));
	CHECK_EQ_INT(kv_list_set(&want, "c", "2"), 0);
	CHECK(!kv_list_matches(&l, &want));
	kv_list_clear(&want);
	kv_list_clear(&l);
	CHECK_EQ_INT(l.n, 0);
}

static void test_parse(void)
{
	static const char *bad[] = { ",", "a=1,,b=2", "=v", "a=1,", ",a=1", "novalue", "" };
	struct kv_list l = { 0 };

	CHECK_EQ_INT(kv_list_parse(&l, "a=1,b=x=y,c="), 0);
	kv_list_normalize(&l);
	CHECK_EQ_INT(l.n, 3);
	CHECK_STREQ(kv_list_get(&l, "b"), "x=y");
	CHECK_STREQ(kv_list_get(&l, "c"), "");
	kv_list_clear(&l);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		CHECK_EQ_INT(kv_list_parse(&l, bad[i]), -EINVAL);
		kv_list_clear(&l);
	}
}

static void test_many(void)
{
	enum { N = 200000 };
	struct kv_list l = { 0 }, sel = { 0 };
	char k[32], v[32];

	for (int i = 0; i < N; i++) {
		snprintf(k, sizeof(k), "k%d", (i * 7919) % N);
		snprintf(v, sizeof(v), "v%d", i);
		CHECK_EQ_INT(kv_list_append(&l, k, v), 0);
	}
	CHECK_EQ_INT(kv_list_append(&l, "k5", "last"), 0);
	kv_list_normalize(&l);
	CHECK_EQ_INT(l.n, N);
	CHECK_STREQ(kv_list_get(&l, "k5"), "last");
	/* a selector of half the pairs matches; one wrong value among them does not */
	for (int i = 0; i < N; i += 2) {
		snprintf(k, sizeof(k), "k%d", (i * 7919) % N);
		snprintf(v, sizeof(v), "v%d", i);
		if (strcmp(k, "k5") != 0)
			CHECK_EQ_INT(kv_list_append(&sel, k, v), 0);
	}
	kv_list_normalize(&sel);
	CHECK(kv_list_matches(&l, &sel));
	CHECK_EQ_INT(kv_list_set(&sel, "k5", "not-last"), 0);
	CHECK(!kv_list_matches(&l, &sel));
	kv_list_clear(&sel);
	kv_list_clear(&l);
}

int main(void)
{
	test_normalize();
	test_parse();
	test_many();
	return TEST_RESULT();
}
