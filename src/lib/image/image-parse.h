/* Internal helpers of the manifest, label and cache code (not part of the module contract). */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

#include "image-error.h"
#include "image-ref.h" /* image_digest_valid(): the one digest syntax */
#include "strv.h"

/* Parses body as a JSON object (duplicate keys refused); -EINVAL with a message starting
 * with what. */
int image_json_load(const void *body, size_t len, const char *what, json_t **ret,
		    struct img_err *e);
/* Appends every member of the object o (all values must be strings) to ret, normalized.
 * -EINVAL naming path and the member otherwise. */
int image_json_string_map(json_t *o, const char *path, struct kv_list *ret, struct img_err *e);
