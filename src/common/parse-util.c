/* Strict parsers. strtoul() alone accepts "-1" (wrapping it), leading blanks and trailing
 * junk; every caller of these wants none of that. */
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "parse-util.h"

int safe_atou64(const char *s, int base, uint64_t *ret)
{
	char *end = NULL;
	unsigned long long v;

	if (!s || !*s || !isalnum((unsigned char)s[0]))
		return -EINVAL;
	errno = 0;
	v = strtoull(s, &end, base);
	if (errno == ERANGE)
		return -ERANGE;
	if (errno || !end || *end)
		return -EINVAL;
	*ret = v;
	return 0;
}

int safe_atou32(const char *s, int base, uint32_t *ret)
{
	uint64_t v;
	int r = safe_atou64(s, base, &v);

	if (r < 0)
		return r;
	if (v > UINT32_MAX)
		return -ERANGE;
	*ret = (uint32_t)v;
	return 0;
}

int safe_atoi64(const char *s, int64_t *ret)
{
	char *end = NULL;
	long long v;

	if (!s || !*s || !(isdigit((unsigned char)s[0]) || s[0] == '-' || s[0] == '+'))
		return -EINVAL;
	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno == ERANGE)
		return -ERANGE;
	if (errno || !end || *end || end == s)
		return -EINVAL;
	*ret = v;
	return 0;
}

int safe_atoi32(const char *s, int32_t *ret)
{
	int64_t v;
	int r = safe_atoi64(s, &v);

	if (r < 0)
		return r;
	if (v < INT32_MIN || v > INT32_MAX)
		return -ERANGE;
	*ret = (int32_t)v;
	return 0;
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int parse_hex_bytes(const char *s, uint8_t **ret, size_t *ret_len)
{
	size_t n;
	uint8_t *buf;

	if (!s)
		return -EINVAL;
	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X'))
		s += 2;
	n = strlen(s);
	if (n % 2)
		return -EINVAL;
	buf = malloc(n / 2 + 1);
	if (!buf)
		return -ENOMEM;
	for (size_t i = 0; i < n / 2; i++) {
		int hi = hexval(s[2 * i]), lo = hexval(s[2 * i + 1]);

		if (hi < 0 || lo < 0) {
			free(buf);
			return -EINVAL;
		}
		buf[i] = (uint8_t)(hi << 4 | lo);
	}
	*ret = buf;
	*ret_len = n / 2;
	return 0;
}

char *hex_string(const uint8_t *data, size_t len)
{
	static const char digits[] = "0123456789abcdef";
	char *s = malloc(len * 2 + 1);

	if (!s)
		return NULL;
	for (size_t i = 0; i < len; i++) {
		s[2 * i] = digits[data[i] >> 4];
		s[2 * i + 1] = digits[data[i] & 0xf];
	}
	s[len * 2] = '\0';
	return s;
}
