/* Unit tests for the strict parsers and key/value lists. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>

#include "parse-util.h"
#include "strv.h"
#include "test-util.h"

static void test_u32(void)
{
	uint32_t v = 99;

	CHECK_EQ_INT(safe_atou32("0", 10, &v), 0);
	CHECK_EQ_INT(v, 0);
	CHECK_EQ_INT(safe_atou32("4294967295", 10, &v), 0);
	CHECK_EQ_INT(v, 4294967295u);
	v = 5;
	CHECK_EQ_INT(safe_atou32("4294967296", 10, &v), -ERANGE);
	CHECK_EQ_INT(safe_atou32("-1", 10, &v), -EINVAL);
	CHECK_EQ_INT(safe_atou32("", 10, &v), -EINVAL);
	CHECK_EQ_INT(safe_atou32(" 1", 10, &v), -EINVAL);
	CHECK_EQ_INT(safe_atou32("1x", 10, &v), -EINVAL);
	CHECK_EQ_INT(safe_atou32("+1", 10, &v), -EINVAL);
	CHECK_EQ_INT(v, 5); /* untouched on error */
	CHECK_EQ_INT(safe_atou32("0x10", 0, &v), 0);
	CHECK_EQ_INT(v, 16);
}

static void test_i32(void)
{
	int32_t v = 0;

	CHECK_EQ_INT(safe_atoi32("-1", &v), 0);
	CHECK_EQ_INT(v, -1);
	CHECK_EQ_INT(safe_atoi32("2147483647", &v), 0);
	CHECK_EQ_INT(safe_atoi32("2147483648", &v), -ERANGE);
	CHECK_EQ_INT(safe_atoi32("-2147483649", &v), -ERANGE);
	CHECK_EQ_INT(safe_atoi32("-", &v), -EINVAL);
	CHECK_EQ_INT(safe_atoi32("3 ", &v), -EINVAL);
}

static void test_hex(void)
{
	uint8_t *b = NULL;
	size_t n = 0;
	char *s;

	CHECK_EQ_INT(parse_hex_bytes("0a0B", &b, &n), 0);
	CHECK_EQ_INT(n, 2);
	CHECK_EQ_INT(b[0], 0x0a);
	CHECK_EQ_INT(b[1], 0x0b);
	s = hex_string(b, n);
	CHECK_STREQ(s, "0a0b");
	free(s);
	free(b);
	CHECK_EQ_INT(parse_hex_bytes("0x01", &b, &n), 0);
	CHECK_EQ_INT(n, 1);
	free(b);
	CHECK_EQ_INT(parse_hex_bytes("abc", &b, &n), -EINVAL);
	CHECK_EQ_INT(parse_hex_bytes("zz", &b, &n), -EINVAL);
	CHECK_EQ_INT(parse_hex_bytes("", &b, &n), 0);
	CHECK_EQ_INT(n, 0);
	free(b);
}

static void test_kv(void)
{
	struct kv_list l = { 0 }, want = { 0 };
	char *s;

	CHECK_EQ_INT(kv_list_parse(&l, "b=2,a=1"), 0);
	CHECK_EQ_INT(l.n, 2);
	CHECK_STREQ(kv_list_get(&l, "a"), "1");
	s = kv_list_format(&l);
	CHECK_STREQ(s, "a=1, b=2");
	free(s);
	CHECK_EQ_INT(kv_list_parse(&want, "a=1"), 0);
	CHECK(kv_list_matches(&l, &want));
	CHECK_EQ_INT(kv_list_set(&want, "a", "9"), 0);
	CHECK(!kv_list_matches(&l, &want));
	CHECK_EQ_INT(kv_list_parse(&want, "novalue"), -EINVAL);
	CHECK_EQ_INT(kv_list_parse(&want, "=x"), -EINVAL);
	kv_list_clear(&l);
	kv_list_clear(&want);
	s = kv_list_format(&l);
	CHECK_STREQ(s, "None");
	free(s);
}

int main(void)
{
	test_u32();
	test_i32();
	test_hex();
	test_kv();
	return TEST_RESULT();
}
