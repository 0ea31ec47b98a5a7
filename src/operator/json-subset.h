/* Is every field of want present and equal in have? The API server adds defaults and
 * metadata to what the operator applied; an object whose applied fields all still hold has
 * not drifted and needs no request. */
#pragma once

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

/* objects: each key of want, recursively; arrays: same length, element by element;
 * other values: equal (an integer and a real of the same value are equal). */
bool json_subset(json_t *want, json_t *have);

/* As json_subset; on false, where the first difference is ("spec.template.x[2].y") in buf. */
bool json_subset_where(json_t *want, json_t *have, char *buf, size_t size);
