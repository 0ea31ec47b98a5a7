/* Drift detection for applied objects (see json-subset.h). */
#include "json-subset.h"

bool json_subset(json_t *want, json_t *have)
{
	const char *key;
	json_t *v;
	size_t i;

	if (!want || !have)
		return want == have;
	if (json_is_object(want)) {
		if (!json_is_object(have))
			return false;
		json_object_foreach(want, key, v)
			if (!json_subset(v, json_object_get(have, key)))
				return false;
		return true;
	}
	if (json_is_array(want)) {
		if (!json_is_array(have) || json_array_size(have) != json_array_size(want))
			return false;
		json_array_foreach(want, i, v)
			if (!json_subset(v, json_array_get(have, i)))
				return false;
		return true;
	}
	if (json_is_number(want) && json_is_number(have))
		return json_number_value(want) == json_number_value(have);
	return json_equal(want, have);
}
