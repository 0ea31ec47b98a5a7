/* Strict number and value parsing: no sign wrap-around, no trailing junk, range checked. */
#pragma once

#include <stddef.h>
#include <stdint.h>

/* Decimal only (or 0x-prefixed hex when base is 0). Rejects "", " 1", "1x", "-1", overflow.
 * Return 0 or -EINVAL / -ERANGE; *ret written only on success. */
int safe_atou64(const char *s, int base, uint64_t *ret);
int safe_atou32(const char *s, int base, uint32_t *ret);
int safe_atoi32(const char *s, int32_t *ret);
int safe_atoi64(const char *s, int64_t *ret);

/* Hex string (even length, optional 0x prefix) into freshly allocated bytes.
 * "" yields zero bytes. Returns 0, -EINVAL for bad hex, -ENOMEM. */
int parse_hex_bytes(const char *s, uint8_t **ret, size_t *ret_len);

/* Lowercase hex of len bytes into a new string. NULL on -ENOMEM. */
char *hex_string(const uint8_t *data, size_t len);
