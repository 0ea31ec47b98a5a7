/* The io.ebpf.* labels of a bytecode image's config. The current form holds two JSON
 * objects in strings (io.ebpf.programs {"fn":"type"}, io.ebpf.maps {"map":"type"}); the older
 * form describes one program in four plain labels. Both end up as the same kv lists. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "cleanup.h"
#include "image-manifest.h"
#include "image-parse.h"

#define LABEL_PROGRAMS "io.ebpf.programs"
#define LABEL_MAPS "io.ebpf.maps"
#define LABEL_PROGRAM_NAME "io.ebpf.program_name"
#define LABEL_FUNCTION "io.ebpf.bpf_function_name"
#define LABEL_TYPE "io.ebpf.program_type"
#define LABEL_FILENAME "io.ebpf.filename"

void image_labels_clear(struct image_labels *l)
{
	if (!l)
		return;
	kv_list_clear(&l->programs);
	kv_list_clear(&l->maps);
	free(l->filename);
	memset(l, 0, sizeof(*l));
}

/* A label whose value is a JSON object of strings, e.g. {"xdp_stats":"xdp"}. Names and
 * types must be non-empty: an empty one could never be loaded and hides a broken build. */
static int json_in_label(const struct kv_list *labels, const char *name, struct kv_list *ret,
			 struct img_err *e)
{
	const char *s = kv_list_get(labels, name);
	_cleanup_(json_decrefp) json_t *o = NULL;
	char what[64];
	int r;

	if (!s)
		return 0;
	snprintf(what, sizeof(what), "label %s", name);
	r = image_json_load(s, strlen(s), what, &o, e);
	if (r < 0)
		return r;
	r = image_json_string_map(o, what, ret, e);
	if (r < 0)
		return r;
	for (size_t i = 0; i < ret->n; i++)
		if (!ret->items[i].key[0] || !ret->items[i].value[0])
			return img_fail(e, -EINVAL, "%s: empty name or type (\"%s\": \"%s\")", what,
					ret->items[i].key, ret->items[i].value);
	return 0;
}

static int old_labels(const struct kv_list *labels, struct image_labels *l, struct img_err *e)
{
	const char *fn = kv_list_get(labels, LABEL_FUNCTION);
	const char *type = kv_list_get(labels, LABEL_TYPE);

	if (!fn || !*fn)
		return img_fail(e, -EINVAL,
				"image config: label %s is %s (the older single-program labels need "
				"it with %s)",
				LABEL_FUNCTION, fn ? "empty" : "missing", LABEL_TYPE);
	if (!type || !*type)
		return img_fail(e, -EINVAL, "image config: label %s is %s (program %s)", LABEL_TYPE,
				type ? "empty" : "missing", fn);
	return kv_list_set(&l->programs, fn, type);
}

int image_config_labels(const void *config, size_t len, struct image_labels *ret,
			struct img_err *e)
{
	_cleanup_(json_decrefp) json_t *root = NULL;
	struct kv_list labels = { 0 };
	struct image_labels l = { 0 };
	const char *filename;
	json_t *cfg, *lab;
	int r;

	r = image_json_load(config, len, "image config", &root, e);
	if (r < 0)
		return r;
	cfg = json_object_get(root, "config");
	if (cfg && !json_is_null(cfg) && !json_is_object(cfg))
		return img_fail(e, -EINVAL, "image config: config: not a JSON object");
	lab = cfg ? json_object_get(cfg, "Labels") : NULL;
	if (!lab || json_is_null(lab))
		return img_fail(e, -EINVAL,
				"image config: no labels; a bytecode image needs " LABEL_PROGRAMS
				" (or the older " LABEL_FUNCTION " and " LABEL_TYPE ")");
	r = image_json_string_map(lab, "image config: config.Labels", &labels, e);
	if (r < 0)
		goto out;

	if (kv_list_get(&labels, LABEL_PROGRAMS)) {
		r = json_in_label(&labels, LABEL_PROGRAMS, &l.programs, e);
		if (r < 0)
			goto out;
		if (l.programs.n == 0) {
			r = img_fail(e, -EINVAL, "image config: label " LABEL_PROGRAMS
						 " lists no program");
			goto out;
		}
		r = json_in_label(&labels, LABEL_MAPS, &l.maps, e);
		if (r < 0)
			goto out;
	} else if (kv_list_get(&labels, LABEL_FUNCTION) || kv_list_get(&labels, LABEL_TYPE) ||
		   kv_list_get(&labels, LABEL_PROGRAM_NAME)) {
		r = old_labels(&labels, &l, e);
		if (r < 0)
			goto out;
	} else {
		r = img_fail(e, -EINVAL,
			     "image config: no label " LABEL_PROGRAMS " (nor the older " LABEL_FUNCTION
			     " and " LABEL_TYPE "): not a bytecode image");
		goto out;
	}
	filename = kv_list_get(&labels, LABEL_FILENAME);
	if (filename && *filename) {
		l.filename = strdup(filename);
		if (!l.filename) {
			r = -ENOMEM;
			goto out;
		}
	}
	*ret = l;
	memset(&l, 0, sizeof(l));
	r = 0;
out:
	kv_list_clear(&labels);
	image_labels_clear(&l);
	return r;
}
