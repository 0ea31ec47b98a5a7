/* A walk over the protobuf wire format guided by the message descriptors: every string
 * field, at any depth (map entries are messages too), must not contain a NUL byte. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "wire-check.h"

#define MAX_DEPTH 16

static int varint(const uint8_t **p, const uint8_t *end, uint64_t *ret)
{
	uint64_t v = 0;

	for (unsigned shift = 0; shift < 64 && *p < end; shift += 7) {
		uint8_t b = *(*p)++;

		v |= (uint64_t)(b & 0x7f) << shift;
		if (!(b & 0x80)) {
			*ret = v;
			return 0;
		}
	}
	return -1;
}

static int walk(const ProtobufCMessageDescriptor *d, const uint8_t *p, const uint8_t *end,
		const char *path, unsigned depth, char *err, size_t errlen)
{
	if (depth > MAX_DEPTH)
		return 0;
	while (p < end) {
		const ProtobufCFieldDescriptor *f;
		uint64_t tag, n;
		char sub[256];

		if (varint(&p, end, &tag) < 0)
			return 0;
		f = protobuf_c_message_descriptor_get_field(d, (unsigned)(tag >> 3));
		switch (tag & 7) {
		case 0:
			if (varint(&p, end, &n) < 0)
				return 0;
			continue;
		case 1:
			n = 8;
			break;
		case 5:
			n = 4;
			break;
		case 2:
			if (varint(&p, end, &n) < 0)
				return 0;
			break;
		default:
			return 0; /* groups or garbage: the unpacker refuses them */
		}
		if (n > (uint64_t)(end - p))
			return 0;
		if (f && (tag & 7) == 2) {
			snprintf(sub, sizeof(sub), "%s%s%s", path, *path ? "." : "", f->name);
			if (f->type == PROTOBUF_C_TYPE_STRING && memchr(p, 0, n)) {
				snprintf(err, errlen, "%s contains a NUL byte", sub);
				return -EINVAL;
			}
			if (f->type == PROTOBUF_C_TYPE_MESSAGE &&
			    walk(f->descriptor, p, p + n, sub, depth + 1, err, errlen) < 0)
				return -EINVAL;
		}
		p += n;
	}
	return 0;
}

int wire_check_strings(const ProtobufCMessageDescriptor *d, const uint8_t *buf, size_t len,
		       char *err, size_t errlen)
{
	return walk(d, buf, buf + len, "", 0, err, errlen);
}
