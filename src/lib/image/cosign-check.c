/* One signature, checked from its bytes: a classic simple-signing layer, or a Sigstore
 * bundle with a DSSE envelope. As cosign does, the signature is checked first (over the
 * exact bytes stored), then what it claims: the digest it names must be the image's. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "cleanup.h"
#include "cosign-internal.h"

static enum cosign_reject no_key(const struct cosign_keys *k, struct img_err *e)
{
	if (!k || k->n == 0)
		img_fail(e, -EKEYREJECTED,
			 "no trusted public key is configured ([signing] trusted_keys, or --key)");
	else
		img_fail(e, -EKEYREJECTED,
			 "no trusted key verifies the signature (it was altered, or made with a key that is not trusted)");
	return COSIGN_REJECT_NO_KEY;
}

static enum cosign_reject keyless(struct img_err *e)
{
	img_fail(e, -EKEYREJECTED,
		 "keyless signature (a Fulcio certificate): verifying it needs Fulcio and Rekor over the internet, which bpfman does not do; sign with a key");
	return COSIGN_REJECT_KEYLESS;
}

static enum cosign_reject claims(int r)
{
	return r == -ESRCH ? COSIGN_REJECT_OTHER_DIGEST : COSIGN_REJECT_MALFORMED;
}

enum cosign_reject cosign_check_simple(const struct cosign_keys *k, const void *payload,
				       size_t len, const char *sig_b64, bool has_cert,
				       const char *digest, struct img_err *e)
{
	_cleanup_free_ unsigned char *sig = NULL;
	size_t sig_len;
	int r;

	if (!sig_b64) {
		img_fail(e, -EKEYREJECTED, "a signature layer has no %s annotation",
			 COSIGN_ANN_SIGNATURE);
		return COSIGN_REJECT_MALFORMED;
	}
	if (cosign_b64_decode(sig_b64, &sig, &sig_len) < 0 || sig_len == 0) {
		img_fail(e, -EKEYREJECTED, "the signature annotation is not base64");
		return COSIGN_REJECT_MALFORMED;
	}
	if (cosign_keys_verify(k, payload, len, sig, sig_len) < 0)
		return has_cert ? keyless(e) : no_key(k, e);
	r = cosign_payload_check(payload, len, digest, e);
	return r < 0 ? claims(r) : COSIGN_REJECT_NONE;
}

/* True when any signature of the envelope verifies over its PAE with a trusted key. */
static bool dsse_verifies(const struct cosign_keys *k, json_t *sigs, const void *pae,
			  size_t pae_len)
{
	json_t *s;
	size_t i;

	json_array_foreach(sigs, i, s) {
		_cleanup_free_ unsigned char *sig = NULL;
		const char *b64 = json_string_value(json_object_get(s, "sig"));
		size_t sig_len;

		if (i >= 16)
			break;
		if (b64 && cosign_b64_decode(b64, &sig, &sig_len) >= 0 && sig_len &&
		    cosign_keys_verify(k, pae, pae_len, sig, sig_len) >= 0)
			return true;
	}
	return false;
}

enum cosign_reject cosign_check_bundle(const struct cosign_keys *k, const void *bundle,
				       size_t len, const char *digest, struct img_err *e)
{
	_cleanup_(json_decrefp) json_t *j = json_loadb(bundle, len, JSON_REJECT_DUPLICATES, NULL);
	_cleanup_free_ unsigned char *payload = NULL, *pae = NULL;
	json_t *vm, *env;
	const char *mt, *type, *b64;
	size_t payload_len, pae_len;
	int r;

	mt = json_string_value(json_object_get(j, "mediaType"));
	if (!mt || strncmp(mt, "application/vnd.dev.sigstore.bundle", 35)) {
		img_fail(e, -EKEYREJECTED, "a referrer is not a Sigstore bundle");
		return COSIGN_REJECT_MALFORMED;
	}
	/* a certificate instead of a public key hint: keyless, bound to an identity that only
	 * Fulcio's roots and Rekor's log can vouch for */
	vm = json_object_get(j, "verificationMaterial");
	if (json_object_get(vm, "certificate") || json_object_get(vm, "x509CertificateChain"))
		return keyless(e);
	env = json_object_get(j, "dsseEnvelope");
	if (!json_is_object(env)) {
		img_fail(e, -EKEYREJECTED, "the bundle has no DSSE envelope (%s)",
			 json_object_get(j, "messageSignature") ?
				 "a message signature is for blobs, not images" :
				 "nothing to check");
		return COSIGN_REJECT_MALFORMED;
	}
	type = json_string_value(json_object_get(env, "payloadType"));
	b64 = json_string_value(json_object_get(env, "payload"));
	if (!type || strcmp(type, COSIGN_INTOTO_PAYLOAD_TYPE) || !b64 ||
	    cosign_b64_decode(b64, &payload, &payload_len) < 0) {
		img_fail(e, -EKEYREJECTED, "the bundle's DSSE envelope is not an in-toto statement");
		return COSIGN_REJECT_MALFORMED;
	}
	r = cosign_dsse_pae(type, payload, payload_len, &pae, &pae_len);
	if (r < 0) {
		img_fail(e, -EKEYREJECTED, "out of memory");
		return COSIGN_REJECT_MALFORMED;
	}
	if (!dsse_verifies(k, json_object_get(env, "signatures"), pae, pae_len))
		return no_key(k, e);
	r = cosign_statement_check(payload, payload_len, digest, e);
	return r < 0 ? claims(r) : COSIGN_REJECT_NONE;
}
