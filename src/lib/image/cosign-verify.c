/* cosign_verify: finds an image's signatures in its registry and checks them offline.
 *
 * Where they are looked for, in order, stopping at the first that verifies:
 *   1. the classic tag `sha256-<hex>.sig`: each simple-signing layer is one signature;
 *   2. OCI 1.1 referrers of the digest (the referrers API, or on a registry without one,
 *      the `sha256-<hex>` fallback tag's index): Sigstore bundles (cosign 3) and the
 *      classic manifest pushed as a referrer (cosign 2's experimental OCI 1.1 mode).
 * The checks of one signature are in cosign-check.c; this file only walks the registry
 * and tells "unsigned" (nothing found) from "rejected" (found, none accepted). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "cosign-internal.h"
#include "registry.h"

/* What was found so far, and the most telling reason a signature was not accepted. */
struct tally {
	size_t found;
	size_t by_reason[COSIGN_REJECT_KEYLESS + 1];
	enum cosign_reject worst;
	struct img_err why;
	bool verified;
};

/* The reason shown is the most specific one: a signature by a trusted key for another
 * image says more than a keyless one, which says more than a key mismatch. */
static int reject_rank(enum cosign_reject r)
{
	switch (r) {
	case COSIGN_REJECT_OTHER_DIGEST:
		return 4;
	case COSIGN_REJECT_KEYLESS:
		return 3;
	case COSIGN_REJECT_NO_KEY:
		return 2;
	case COSIGN_REJECT_MALFORMED:
		return 1;
	default:
		return 0;
	}
}

static void tally_add(struct tally *t, enum cosign_reject r, const struct img_err *why)
{
	t->found++;
	if (r == COSIGN_REJECT_NONE) {
		t->verified = true;
		return;
	}
	t->by_reason[r]++;
	if (reject_rank(r) > reject_rank(t->worst)) {
		t->worst = r;
		t->why = *why;
	}
}

/* Errors of the registry that say the content is bad (it belongs to whoever wrote the
 * signature, and rejects that signature), as opposed to the registry being unreachable
 * (which fails the verification as a whole). */
static bool content_error(int r)
{
	return r == -EBADMSG || r == -EFBIG || r == -ENOENT || r == -EINVAL || r == -E2BIG;
}

static int fetch_small_blob(struct registry *r, const struct cosign_sig_layer *l,
			    struct img_buf *ret, struct img_err *why)
{
	if (l->size > COSIGN_MAX_PAYLOAD)
		return img_fail(why, -EFBIG, "a signature blob of %llu bytes is over the %u limit",
				l->size, COSIGN_MAX_PAYLOAD);
	return registry_get_blob_mem(r, l->digest, l->size, ret, why);
}

/* Checks every signature layer of one manifest (a `.sig` manifest or a referrer). */
static int check_layers(struct registry *r, const struct cosign_sig_manifest *m,
			const struct cosign_keys *k, const char *digest, struct tally *t,
			struct img_err *e)
{
	for (size_t i = 0; i < m->n && !t->verified; i++) {
		const struct cosign_sig_layer *l = &m->layers[i];
		struct img_buf blob = {};
		struct img_err why = {};
		enum cosign_reject rj;
		int q;

		q = fetch_small_blob(r, l, &blob, &why);
		if (q < 0) {
			if (!content_error(q))
				return img_fail(e, q, "cannot read a signature of %s: %s", digest,
						why.msg);
			img_err_clear(&why);
			img_fail(&why, -EKEYREJECTED, "a signature blob (%s) is unreadable or does not match its digest",
				 l->digest);
			tally_add(t, COSIGN_REJECT_MALFORMED, &why);
			continue;
		}
		if (l->bundle)
			rj = cosign_check_bundle(k, blob.data, blob.len, digest, &why);
		else
			rj = cosign_check_simple(k, blob.data, blob.len, l->signature, l->has_cert,
						 digest, &why);
		img_buf_clear(&blob);
		tally_add(t, rj, &why);
	}
	return 0;
}

/* Fetches and checks the manifest at reference (a tag or a digest). -ENOENT when there is
 * none; a manifest that cannot be parsed counts as a malformed signature. */
static int check_manifest(struct registry *r, const char *reference, const struct cosign_keys *k,
			  const char *digest, struct tally *t, struct img_err *e)
{
	_cleanup_free_ char *mt = NULL, *got = NULL;
	struct cosign_sig_manifest m = {};
	struct img_buf body = {};
	struct img_err why = {};
	int q;

	q = registry_get_manifest(r, reference, &body, &mt, &got, &why);
	if (q == -ENOENT)
		return -ENOENT;
	if (q < 0) {
		if (!content_error(q))
			return img_fail(e, q, "cannot look up the signatures of %s: %s", digest,
					why.msg);
		img_err_clear(&why);
		img_fail(&why, -EKEYREJECTED, "the signature manifest %s is unreadable", reference);
		tally_add(t, COSIGN_REJECT_MALFORMED, &why);
		return 0;
	}
	q = cosign_sig_manifest_parse(body.data, body.len, &m, &why);
	img_buf_clear(&body);
	if (q == -ENOMEM)
		return q;
	if (q < 0) {
		tally_add(t, COSIGN_REJECT_MALFORMED, &why);
		return 0;
	}
	q = check_layers(r, &m, k, digest, t, e);
	cosign_sig_manifest_clear(&m);
	return q;
}

/* The referrers of digest: from the API, else from the fallback tag. An empty body
 * (ret->len 0) when there are none. */
static int get_referrers(struct registry *r, const char *digest, struct img_buf *ret,
			 struct img_err *e)
{
	_cleanup_free_ char *mt = NULL, *got = NULL;
	char tag[80];
	struct img_err why = {};
	int q;

	q = registry_get_referrers(r, digest, ret, &why);
	if (q >= 0)
		return 0;
	if (q != -ENOENT && q != -EOPNOTSUPP)
		return img_fail(e, q, "cannot list the referrers of %s: %s", digest, why.msg);
	snprintf(tag, sizeof(tag), "sha256-%s", digest + 7);
	img_err_clear(&why);
	q = registry_get_manifest(r, tag, ret, &mt, &got, &why);
	if (q == -ENOENT) {
		*ret = (struct img_buf){};
		return 0;
	}
	if (q < 0)
		return img_fail(e, q, "cannot read the referrers tag %s: %s", tag, why.msg);
	return 0;
}

static int check_referrers(struct registry *r, const struct cosign_keys *k, const char *digest,
			   struct tally *t, struct img_err *e)
{
	struct img_buf body = {};
	struct img_err why = {};
	char **digests = NULL, **types = NULL;
	size_t n = 0;
	int q;

	q = get_referrers(r, digest, &body, e);
	if (q < 0 || body.len == 0) {
		img_buf_clear(&body);
		return q;
	}
	q = cosign_referrers_parse(body.data, body.len, &digests, &types, &n, &why);
	img_buf_clear(&body);
	if (q == -ENOMEM)
		return q;
	if (q < 0) /* a fallback tag that is not an index: not a referrers list, nothing */
		return 0;
	for (size_t i = 0; i < n && !t->verified && q >= 0; i++) {
		q = check_manifest(r, digests[i], k, digest, t, e);
		if (q == -ENOENT) { /* listed, but gone: an invalid signature */
			img_err_clear(&why);
			img_fail(&why, -EKEYREJECTED, "a listed referrer (%s) is missing",
				 digests[i]);
			tally_add(t, COSIGN_REJECT_MALFORMED, &why);
			q = 0;
		}
	}
	for (size_t i = 0; i < n; i++) {
		free(digests[i]);
		free(types[i]);
	}
	free(digests);
	free(types);
	return q;
}

int cosign_verify(struct registry *r, const char *manifest_digest, const struct cosign_keys *k,
		  enum cosign_result *ret, struct img_err *e)
{
	struct tally t = {};
	char tag[80];
	int q;

	if (!cosign_digest_valid(manifest_digest))
		return img_fail(e, -EINVAL, "cannot verify '%s': not a sha256 digest",
				manifest_digest ? manifest_digest : "");
	snprintf(tag, sizeof(tag), "sha256-%s.sig", manifest_digest + 7);
	q = check_manifest(r, tag, k, manifest_digest, &t, e);
	if (q < 0 && q != -ENOENT)
		return q;
	if (!t.verified) {
		q = check_referrers(r, k, manifest_digest, &t, e);
		if (q < 0)
			return q;
	}
	if (t.verified) {
		*ret = COSIGN_VERIFIED;
		return 0;
	}
	if (t.found == 0) {
		*ret = COSIGN_UNSIGNED;
		return 0;
	}
	if (t.found == 1)
		return img_fail(e, -EKEYREJECTED, "%s has 1 signature, not accepted: %s",
				manifest_digest, t.why.msg);
	return img_fail(e, -EKEYREJECTED,
			"%s has %zu signatures, none accepted (%zu not verified by a trusted key, %zu for another image, %zu keyless, %zu malformed); the most telling: %s",
			manifest_digest, t.found, t.by_reason[COSIGN_REJECT_NO_KEY],
			t.by_reason[COSIGN_REJECT_OTHER_DIGEST], t.by_reason[COSIGN_REJECT_KEYLESS],
			t.by_reason[COSIGN_REJECT_MALFORMED], t.why.msg);
}
