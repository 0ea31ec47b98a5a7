/* Checks a request's wire bytes before protobuf-c unpacks them: protobuf-c hands strings
 * over as C strings, so a NUL inside one would silently cut it ("name\0rest" read as
 * "name"). Such a request is refused, naming the field. */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include <protobuf-c/protobuf-c.h>

/* 0, or -EINVAL with a message in err. Malformed bytes are left to the unpacker (0). */
int wire_check_strings(const ProtobufCMessageDescriptor *d, const uint8_t *buf, size_t len,
		       char *err, size_t errlen);
