/* The manifests that hold cosign signatures: the classic `.sig` manifest (one
 * simple-signing layer per signature; copy tools may rewrite its config and digest, so only
 * the layers are read) and the referrers index that leads to bundles. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "cleanup.h"
#include "cosign-internal.h"
#include "image-manifest.h"

/* go-containerregistry's zero time, which cosign's empty signature image carries */
#define ZERO_TIME "0001-01-01T00:00:00Z"

void cosign_sig_manifest_clear(struct cosign_sig_manifest *m)
{
	for (size_t i = 0; i < m->n; i++) {
		free(m->layers[i].digest);
		free(m->layers[i].signature);
	}
	free(m->layers);
	free(m->artifact_type);
	memset(m, 0, sizeof(*m));
}

int cosign_sig_manifest_parse(const void *body, size_t len, struct cosign_sig_manifest *ret,
			      struct img_err *e)
{
	_cleanup_(json_decrefp) json_t *j = json_loadb(body, len, JSON_REJECT_DUPLICATES, NULL);
	struct cosign_sig_manifest m = {};
	json_t *layers = json_object_get(j, "layers"), *l;
	const char *at;
	size_t i;

	if (!json_is_object(j) || !json_is_array(layers))
		return img_fail(e, -EINVAL, "the signature manifest is not an image manifest");
	if (json_array_size(layers) > COSIGN_MAX_LAYERS)
		return img_fail(e, -E2BIG, "the signature manifest has %zu layers (at most %d)",
				json_array_size(layers), COSIGN_MAX_LAYERS);
	m.layers = calloc(json_array_size(layers) + 1, sizeof(*m.layers));
	if (!m.layers)
		return -ENOMEM;
	at = json_string_value(json_object_get(j, "artifactType"));
	if (at && !(m.artifact_type = strdup(at)))
		goto nomem;
	json_array_foreach(layers, i, l) {
		struct cosign_sig_layer *sl = &m.layers[m.n];
		const char *mt = json_string_value(json_object_get(l, "mediaType"));
		const char *digest = json_string_value(json_object_get(l, "digest"));
		json_t *size = json_object_get(l, "size"), *ann = json_object_get(l, "annotations");
		const char *sig = json_string_value(json_object_get(ann, COSIGN_ANN_SIGNATURE));

		/* other layers (attestations, SBOMs put here by other tools) are not ours */
		bool bundle = mt && !strncmp(mt, "application/vnd.dev.sigstore.bundle", 35);

		if (!bundle && (!mt || strcmp(mt, COSIGN_MT_SIMPLESIGNING)))
			continue;
		if (!cosign_digest_valid(digest) || !json_is_integer(size) ||
		    json_integer_value(size) < 0) {
			cosign_sig_manifest_clear(&m);
			return img_fail(e, -EINVAL, "a signature layer has a bad digest or size");
		}
		sl->size = (unsigned long long)json_integer_value(size);
		sl->has_cert = json_object_get(ann, COSIGN_ANN_CERTIFICATE) != NULL;
		sl->bundle = bundle;
		if (!(sl->digest = strdup(digest)) || (sig && !(sl->signature = strdup(sig))))
			goto nomem;
		m.n++;
	}
	*ret = m;
	return 0;
nomem:
	for (size_t k = 0; k <= m.n; k++) {
		free(m.layers[k].digest);
		free(m.layers[k].signature);
	}
	m.n = 0;
	cosign_sig_manifest_clear(&m);
	return -ENOMEM;
}

static json_t *descriptor(const char *mt, const char *digest, size_t size)
{
	return json_pack("{s:s, s:I, s:s}", "mediaType", mt, "size", (json_int_t)size, "digest",
			 digest);
}

static int dump(json_t *j, char **ret, size_t *ret_len)
{
	char *s = json_dumps(j, JSON_COMPACT);

	if (!s)
		return -ENOMEM;
	*ret = s;
	*ret_len = strlen(s);
	return 0;
}

int cosign_sig_manifest_add(const void *old, size_t old_len, const char *payload_digest,
			    size_t payload_size, const char *sig_b64, char **ret_manifest,
			    size_t *ret_manifest_len, char **ret_config, size_t *ret_config_len,
			    bool *ret_added, struct img_err *e)
{
	_cleanup_(json_decrefp) json_t *layers = json_array(), *diff_ids = json_array(),
				       *history = json_array(), *config = NULL, *man = NULL;
	_cleanup_free_ char *config_s = NULL, *man_s = NULL;
	char config_digest[72];
	size_t config_len, man_len, i;
	bool added = true;
	json_t *l;
	int r;

	if (!layers || !diff_ids || !history)
		return -ENOMEM;
	if (old) {
		_cleanup_(json_decrefp) json_t *o = json_loadb(old, old_len, 0, NULL);
		json_t *ol = json_object_get(o, "layers");

		if (!json_is_array(ol))
			return img_fail(e, -EINVAL,
					"the existing signature manifest is not an image manifest");
		json_array_foreach(ol, i, l) {
			const char *d = json_string_value(json_object_get(l, "digest"));
			const char *s = json_string_value(json_object_get(
				json_object_get(l, "annotations"), COSIGN_ANN_SIGNATURE));

			if (d && s && !strcmp(d, payload_digest) && !strcmp(s, sig_b64))
				added = false;
			json_array_append(layers, l);
		}
	}
	if (added) {
		json_t *nl = descriptor(COSIGN_MT_SIMPLESIGNING, payload_digest, payload_size);

		if (!nl || json_object_set_new(nl, "annotations",
					       json_pack("{s:s}", COSIGN_ANN_SIGNATURE, sig_b64)) ||
		    json_array_append_new(layers, nl))
			return -ENOMEM;
	}
	if (json_array_size(layers) > COSIGN_MAX_LAYERS)
		return img_fail(e, -E2BIG, "the signature manifest would have over %d signatures",
				COSIGN_MAX_LAYERS);
	/* simple-signing layers are not compressed: the diff id is the digest */
	json_array_foreach(layers, i, l) {
		json_array_append(diff_ids, json_object_get(l, "digest"));
		json_array_append_new(history, json_pack("{s:s}", "created", ZERO_TIME));
	}
	config = json_pack("{s:s, s:s, s:O, s:s, s:{s:s, s:O}, s:{}}", "architecture", "",
			   "created", ZERO_TIME, "history", history, "os", "", "rootfs", "type",
			   "layers", "diff_ids", diff_ids, "config");
	if (!config)
		return -ENOMEM;
	r = dump(config, &config_s, &config_len);
	if (r < 0)
		return r;
	cosign_sha256_digest(config_s, config_len, config_digest);
	man = json_pack("{s:i, s:s, s:o, s:O}", "schemaVersion", 2, "mediaType", MT_OCI_MANIFEST,
			"config", descriptor(MT_OCI_CONFIG, config_digest, config_len), "layers",
			layers);
	if (!man)
		return -ENOMEM;
	r = dump(man, &man_s, &man_len);
	if (r < 0)
		return r;
	*ret_manifest = TAKE_PTR(man_s);
	*ret_manifest_len = man_len;
	*ret_config = TAKE_PTR(config_s);
	*ret_config_len = config_len;
	*ret_added = added;
	return 0;
}

static bool wanted_artifact(const char *at)
{
	return at && (!strncmp(at, "application/vnd.dev.sigstore.bundle", 35) ||
		      !strcmp(at, COSIGN_AT_SIG_ARTIFACT));
}

static void strv_free_n(char **v, size_t n)
{
	for (size_t i = 0; v && i < n; i++)
		free(v[i]);
	free(v);
}

int cosign_referrers_parse(const void *body, size_t len, char ***ret_digests,
			   char ***ret_types, size_t *ret_n, struct img_err *e)
{
	_cleanup_(json_decrefp) json_t *j = json_loadb(body, len, JSON_REJECT_DUPLICATES, NULL);
	json_t *ms = json_object_get(j, "manifests"), *d;
	char **digests, **types;
	size_t n = 0, i;

	if (!json_is_array(ms))
		return img_fail(e, -EINVAL, "the referrers list is not an image index");
	digests = calloc(COSIGN_MAX_REFERRERS, sizeof(*digests));
	types = calloc(COSIGN_MAX_REFERRERS, sizeof(*types));
	if (!digests || !types)
		goto nomem;
	json_array_foreach(ms, i, d) {
		const char *at = json_string_value(json_object_get(d, "artifactType"));
		const char *dg = json_string_value(json_object_get(d, "digest"));

		if (!wanted_artifact(at) || !cosign_digest_valid(dg))
			continue;
		if (n == COSIGN_MAX_REFERRERS)
			break;
		digests[n] = strdup(dg);
		types[n] = strdup(at);
		n++;
		if (!digests[n - 1] || !types[n - 1])
			goto nomem;
	}
	*ret_digests = digests;
	*ret_types = types;
	*ret_n = n;
	return 0;
nomem:
	strv_free_n(digests, n);
	strv_free_n(types, n);
	return -ENOMEM;
}
