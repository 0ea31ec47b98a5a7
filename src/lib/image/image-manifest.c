/* Manifests and indexes (OCI and Docker schema 2) parsed strictly with jansson: whatever
 * comes from a registry is untrusted, so every field we use is checked for presence, type and
 * range, and the first problem is reported with the field's path ("layers[0].digest"). */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "cleanup.h"
#include "image-manifest.h"
#include "image-parse.h"

int image_json_load(const void *body, size_t len, const char *what, json_t **ret,
		    struct img_err *e)
{
	json_error_t jerr;
	json_t *j;

	if (!body || len == 0)
		return img_fail(e, -EINVAL, "%s: empty document", what);
	j = json_loadb(body, len, JSON_REJECT_DUPLICATES, &jerr);
	if (!j)
		return img_fail(e, -EINVAL, "%s: not valid JSON: %s (line %d, column %d)", what,
				jerr.text, jerr.line, jerr.column);
	if (!json_is_object(j)) {
		json_decref(j);
		return img_fail(e, -EINVAL, "%s: not a JSON object", what);
	}
	*ret = j;
	return 0;
}

/* Optional string member: 0 with *ret NULL when absent, -EINVAL when not a string. */
static int opt_string(json_t *o, const char *key, const char *path, char **ret,
		      struct img_err *e)
{
	json_t *v = json_object_get(o, key);

	*ret = NULL;
	if (!v)
		return 0;
	if (!json_is_string(v))
		return img_fail(e, -EINVAL, "%s%s: not a string", path, key);
	*ret = strdup(json_string_value(v));
	return *ret ? 0 : -ENOMEM;
}

static int req_string(json_t *o, const char *key, const char *path, char **ret,
		      struct img_err *e)
{
	int r = opt_string(o, key, path, ret, e);

	if (r < 0)
		return r;
	if (!*ret)
		return img_fail(e, -EINVAL, "%s%s: missing", path, key);
	if (!**ret) {
		*ret = (free(*ret), NULL);
		return img_fail(e, -EINVAL, "%s%s: empty", path, key);
	}
	return 0;
}

int image_json_string_map(json_t *o, const char *path, struct kv_list *ret, struct img_err *e)
{
	const char *k;
	json_t *v;
	int r;

	if (!json_is_object(o))
		return img_fail(e, -EINVAL, "%s: not a JSON object", path);
	json_object_foreach(o, k, v) {
		if (!json_is_string(v))
			return img_fail(e, -EINVAL, "%s: value of \"%s\" is not a string", path, k);
		r = kv_list_append(ret, k, json_string_value(v));
		if (r < 0)
			return r;
	}
	kv_list_normalize(ret);
	return 0;
}

static int check_schema_version(json_t *root, const char *what, struct img_err *e)
{
	json_t *v = json_object_get(root, "schemaVersion");

	if (!v)
		return img_fail(e, -EINVAL, "%s: schemaVersion: missing", what);
	if (json_is_integer(v) && json_integer_value(v) == 1)
		/* schema 1 (signed "prettyjws" manifests) was retired by Docker in 2019 */
		return img_fail(e, -EINVAL,
				"%s: a Docker schema 1 manifest (schemaVersion 1), which is not "
				"supported: push the image again with a current tool (OCI or Docker "
				"schema 2)",
				what);
	if (!json_is_integer(v) || json_integer_value(v) != 2)
		return img_fail(e, -EINVAL, "%s: schemaVersion: must be 2", what);
	return 0;
}

/* path ends with '.' (e.g. "manifest: layers[0].") so member names can follow it. */
static int parse_descriptor(json_t *o, const char *path, bool in_index,
			    struct image_descriptor *d, struct img_err *e)
{
	json_t *size, *platform, *ann;
	char sub[128];
	json_int_t n;
	int r;

	if (!json_is_object(o)) {
		snprintf(sub, sizeof(sub), "%s", path);
		sub[strlen(sub) ? strlen(sub) - 1 : 0] = '\0'; /* drop the trailing '.' */
		return img_fail(e, -EINVAL, "%s: not a JSON object", sub);
	}
	r = req_string(o, "mediaType", path, &d->media_type, e);
	if (r < 0)
		return r;
	r = req_string(o, "digest", path, &d->digest, e);
	if (r < 0)
		return r;
	if (!image_digest_valid(d->digest))
		return img_fail(e, -EINVAL, "%sdigest: \"%.80s\" is not sha256:<64 lower-case hex>",
				path, d->digest);
	size = json_object_get(o, "size");
	if (!size)
		return img_fail(e, -EINVAL, "%ssize: missing", path);
	if (!json_is_integer(size))
		return img_fail(e, -EINVAL, "%ssize: not an integer", path);
	n = json_integer_value(size);
	if (n < 0)
		return img_fail(e, -EINVAL, "%ssize: negative (%" JSON_INTEGER_FORMAT ")", path, n);
	if ((uint64_t)n > IMAGE_DESCRIPTOR_MAX_SIZE)
		return img_fail(e, -EINVAL, "%ssize: %" JSON_INTEGER_FORMAT " is too large", path,
				n);
	d->size = (uint64_t)n;
	r = opt_string(o, "artifactType", path, &d->artifact_type, e);
	if (r < 0)
		return r;
	ann = json_object_get(o, "annotations");
	if (ann && !json_is_null(ann)) {
		snprintf(sub, sizeof(sub), "%sannotations", path);
		r = image_json_string_map(ann, sub, &d->annotations, e);
		if (r < 0)
			return r;
	}
	platform = in_index ? json_object_get(o, "platform") : NULL;
	if (platform && !json_is_null(platform)) {
		if (!json_is_object(platform))
			return img_fail(e, -EINVAL, "%splatform: not a JSON object", path);
		snprintf(sub, sizeof(sub), "%splatform.", path);
		r = req_string(platform, "os", sub, &d->os, e);
		if (r < 0)
			return r;
		r = req_string(platform, "architecture", sub, &d->architecture, e);
		if (r < 0)
			return r;
		r = opt_string(platform, "variant", sub, &d->variant, e);
		if (r < 0)
			return r;
	}
	return 0;
}

static int parse_descriptor_array(json_t *a, const char *what, const char *field, bool in_index,
				  struct image_descriptor **ret, size_t *ret_n, struct img_err *e)
{
	struct image_descriptor *v;
	size_t n = json_array_size(a);
	char path[128];
	int r;

	if (!json_is_array(a))
		return img_fail(e, -EINVAL, "%s: %s: not an array", what, field);
	v = calloc(n ? n : 1, sizeof(*v));
	if (!v)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		snprintf(path, sizeof(path), "%s: %s[%zu].", what, field, i);
		r = parse_descriptor(json_array_get(a, i), path, in_index, &v[i], e);
		if (r < 0) {
			for (size_t j = 0; j <= i; j++)
				image_descriptor_clear(&v[j]);
			free(v);
			return r;
		}
	}
	*ret = v;
	*ret_n = n;
	return 0;
}

void image_descriptor_clear(struct image_descriptor *d)
{
	if (!d)
		return;
	free(d->media_type);
	free(d->digest);
	free(d->os);
	free(d->architecture);
	free(d->variant);
	free(d->artifact_type);
	kv_list_clear(&d->annotations);
	memset(d, 0, sizeof(*d));
}

void image_manifest_clear(struct image_manifest *m)
{
	if (!m)
		return;
	free(m->media_type);
	image_descriptor_clear(&m->config);
	for (size_t i = 0; i < m->n_layers; i++)
		image_descriptor_clear(&m->layers[i]);
	free(m->layers);
	image_descriptor_clear(&m->subject);
	kv_list_clear(&m->annotations);
	memset(m, 0, sizeof(*m));
}

void image_index_clear(struct image_index *x)
{
	if (!x)
		return;
	free(x->media_type);
	for (size_t i = 0; i < x->n_manifests; i++)
		image_descriptor_clear(&x->manifests[i]);
	free(x->manifests);
	memset(x, 0, sizeof(*x));
}

/* The mediaType member: optional, but when present it must be one of the two given. */
static int media_type(json_t *root, const char *what, const char *oci, const char *docker,
		      char **ret, struct img_err *e)
{
	char *mt = NULL, path[32];
	int r;

	snprintf(path, sizeof(path), "%s: ", what);
	r = opt_string(root, "mediaType", path, &mt, e);

	if (r < 0)
		return r;
	if (!mt)
		mt = strdup(oci);
	else if (strcmp(mt, oci) != 0 && strcmp(mt, docker) != 0) {
		r = img_fail(e, -EINVAL, "%s: mediaType: \"%.100s\" is not %s or %s", what, mt, oci,
			     docker);
		free(mt);
		return r;
	}
	if (!mt)
		return -ENOMEM;
	*ret = mt;
	return 0;
}

int image_manifest_parse(const void *body, size_t len, struct image_manifest *ret,
			 struct img_err *e)
{
	static const char what[] = "manifest";
	_cleanup_(json_decrefp) json_t *root = NULL;
	struct image_manifest m = { 0 };
	json_t *v;
	int r;

	r = image_json_load(body, len, what, &root, e);
	if (r < 0)
		return r;
	r = check_schema_version(root, what, e);
	if (r < 0)
		return r;
	r = media_type(root, what, MT_OCI_MANIFEST, MT_DOCKER_MANIFEST, &m.media_type, e);
	if (r < 0)
		goto fail;
	v = json_object_get(root, "config");
	if (!v) {
		r = img_fail(e, -EINVAL, "manifest: config: missing");
		goto fail;
	}
	r = parse_descriptor(v, "manifest: config.", false, &m.config, e);
	if (r < 0)
		goto fail;
	v = json_object_get(root, "layers");
	if (!v) {
		r = img_fail(e, -EINVAL, "manifest: layers: missing");
		goto fail;
	}
	r = parse_descriptor_array(v, what, "layers", false, &m.layers, &m.n_layers, e);
	if (r < 0)
		goto fail;
	v = json_object_get(root, "subject");
	if (v && !json_is_null(v)) {
		r = parse_descriptor(v, "manifest: subject.", false, &m.subject, e);
		if (r < 0)
			goto fail;
	}
	v = json_object_get(root, "annotations");
	if (v && !json_is_null(v)) {
		r = image_json_string_map(v, "manifest: annotations", &m.annotations, e);
		if (r < 0)
			goto fail;
	}
	*ret = m;
	return 0;
fail:
	image_manifest_clear(&m);
	return r;
}

int image_index_parse(const void *body, size_t len, struct image_index *ret, struct img_err *e)
{
	static const char what[] = "index";
	_cleanup_(json_decrefp) json_t *root = NULL;
	struct image_index x = { 0 };
	json_t *v;
	int r;

	r = image_json_load(body, len, what, &root, e);
	if (r < 0)
		return r;
	r = check_schema_version(root, what, e);
	if (r < 0)
		return r;
	r = media_type(root, what, MT_OCI_INDEX, MT_DOCKER_LIST, &x.media_type, e);
	if (r < 0)
		goto fail;
	v = json_object_get(root, "manifests");
	if (!v) {
		r = img_fail(e, -EINVAL, "index: manifests: missing");
		goto fail;
	}
	r = parse_descriptor_array(v, what, "manifests", true, &x.manifests, &x.n_manifests, e);
	if (r < 0)
		goto fail;
	*ret = x;
	return 0;
fail:
	image_index_clear(&x);
	return r;
}

/* "type/subtype; charset=utf-8" equals want, parameters and case of the type ignored. */
static bool media_type_is(const char *mt, const char *want)
{
	size_t n = strcspn(mt, ";");

	while (n > 0 && (mt[n - 1] == ' ' || mt[n - 1] == '\t'))
		n--;
	return n == strlen(want) && strncasecmp(mt, want, n) == 0;
}

bool image_is_index(const char *media_type, const void *body, size_t len)
{
	_cleanup_(json_decrefp) json_t *root = NULL;
	json_error_t jerr;
	json_t *mt;

	if (media_type) {
		if (media_type_is(media_type, MT_OCI_INDEX) ||
		    media_type_is(media_type, MT_DOCKER_LIST))
			return true;
		if (media_type_is(media_type, MT_OCI_MANIFEST) ||
		    media_type_is(media_type, MT_DOCKER_MANIFEST))
			return false;
	}
	if (!body || len == 0)
		return false;
	root = json_loadb(body, len, 0, &jerr);
	if (!json_is_object(root))
		return false;
	mt = json_object_get(root, "mediaType");
	if (json_is_string(mt))
		return strcmp(json_string_value(mt), MT_OCI_INDEX) == 0 ||
		       strcmp(json_string_value(mt), MT_DOCKER_LIST) == 0;
	return json_is_array(json_object_get(root, "manifests"));
}
