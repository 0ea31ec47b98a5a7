/* Drift detection for applied objects (see json-subset.h). */
#include <stdio.h>
#include <string.h>

#include "json-subset.h"

static bool subset(json_t *want, json_t *have, char *buf, size_t size)
{
	size_t len = buf ? strlen(buf) : 0;
	const char *key;
	json_t *v;
	size_t i;

	if (!want || !have)
		return want == have;
	if (json_is_object(want)) {
		if (!json_is_object(have))
			return false;
		json_object_foreach(want, key, v) {
			if (buf)
				snprintf(buf + len, size - len, "%s%s", len ? "." : "", key);
			if (!subset(v, json_object_get(have, key), buf, size))
				return false;
		}
		if (buf)
			buf[len] = 0;
		return true;
	}
	if (json_is_array(want)) {
		if (!json_is_array(have) || json_array_size(have) != json_array_size(want))
			return false;
		json_array_foreach(want, i, v) {
			if (buf)
				snprintf(buf + len, size - len, "[%zu]", i);
			if (!subset(v, json_array_get(have, i), buf, size))
				return false;
		}
		if (buf)
			buf[len] = 0;
		return true;
	}
	if (json_is_number(want) && json_is_number(have))
		return json_number_value(want) == json_number_value(have);
	return json_equal(want, have);
}

bool json_subset(json_t *want, json_t *have)
{
	return subset(want, have, NULL, 0);
}

bool json_subset_where(json_t *want, json_t *have, char *buf, size_t size)
{
	if (size == 0)
		return json_subset(want, have);
	buf[0] = 0;
	return subset(want, have, buf, size);
}
