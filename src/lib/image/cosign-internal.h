/* The cosign module's own pieces: everything that works on bytes (keys, payloads, DSSE,
 * bundles, the `.sig` manifest) is here, apart from the registry walking in cosign-verify.c
 * and cosign-sign.c, so the unit tests can check it without a registry. */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include <openssl/evp.h>

#include "cosign.h"
#include "image-error.h"

#define COSIGN_MT_SIMPLESIGNING "application/vnd.dev.cosign.simplesigning.v1+json"
#define COSIGN_MT_BUNDLE_V03 "application/vnd.dev.sigstore.bundle.v0.3+json"
/* cosign 2's "experimental OCI 1.1" mode: the classic manifest pushed as a referrer */
#define COSIGN_AT_SIG_ARTIFACT "application/vnd.dev.cosign.artifact.sig.v1+json"
#define COSIGN_ANN_SIGNATURE "dev.cosignproject.cosign/signature"
#define COSIGN_ANN_CERTIFICATE "dev.sigstore.cosign/certificate"
#define COSIGN_PAYLOAD_TYPE "cosign container image signature"
#define COSIGN_INTOTO_PAYLOAD_TYPE "application/vnd.in-toto+json"
/* cosign refuses more; so do we */
#define COSIGN_MAX_LAYERS 1000
#define COSIGN_MAX_REFERRERS 100
#define COSIGN_MAX_PAYLOAD (4u << 20)

/* The trusted public keys, with the file each came from (for messages). */
struct cosign_keys {
	EVP_PKEY **keys;
	char **paths;
	size_t n;
};

/* Why one signature was not accepted. KEYLESS is kept apart so the message can say the
 * signature needs the internet rather than that it is bad. */
enum cosign_reject {
	COSIGN_REJECT_NONE = 0,
	COSIGN_REJECT_MALFORMED, /* cannot be decoded / parsed */
	COSIGN_REJECT_NO_KEY, /* no trusted key verifies it (altered, or another key) */
	COSIGN_REJECT_OTHER_DIGEST, /* verifies, but names another image */
	COSIGN_REJECT_KEYLESS, /* Fulcio certificate: needs Fulcio/Rekor, refused */
};

/* --- keys (cosign-keys.c) --- */
/* Loads one PEM public key from memory; what: the name used in messages. -EINVAL for
 * anything but a PEM SubjectPublicKeyInfo with an ECDSA P-256 or Ed25519 key. */
int cosign_pubkey_from_pem(const void *pem, size_t len, const char *what, EVP_PKEY **ret,
			   struct img_err *e);
/* Loads a PEM private key (PKCS#8 "PRIVATE KEY", SEC1 "EC PRIVATE KEY", PKCS#8
 * "ENCRYPTED PRIVATE KEY" with password; cosign's "ENCRYPTED SIGSTORE PRIVATE KEY" is
 * refused, saying what to use), ECDSA P-256 or Ed25519. */
int cosign_privkey_load(const char *path, const char *password, EVP_PKEY **ret,
			struct img_err *e);
/* Is this PEM text cosign's own encrypted key (cosign.key)? Refused with what to use. */
bool cosign_is_cosign_key(const char *pem);
/* 0 when sig is a valid signature of data by key (ECDSA: SHA-256, DER; Ed25519: pure),
 * -EBADMSG when it is not. */
int cosign_sig_check(EVP_PKEY *key, const void *data, size_t len, const void *sig,
		     size_t sig_len);
/* The index of the first trusted key that verifies sig over data, or -EBADMSG. */
int cosign_keys_verify(const struct cosign_keys *k, const void *data, size_t len,
		       const void *sig, size_t sig_len);
/* Signs data (ECDSA P-256 with SHA-256, DER; or Ed25519). *ret malloc'd. */
int cosign_sign_bytes(EVP_PKEY *key, const void *data, size_t len, unsigned char **ret,
		      size_t *ret_len);

/* --- encodings and payloads (cosign-format.c) --- */
/* Standard or URL-safe base64, padded or not. -EINVAL on anything else. */
int cosign_b64_decode(const char *s, unsigned char **ret, size_t *ret_len);
/* Standard base64 with padding. NULL on ENOMEM. */
char *cosign_b64_encode(const void *data, size_t len);
bool cosign_digest_valid(const char *digest);
/* "sha256:<hex>" of data into out (72 bytes). */
void cosign_sha256_digest(const void *data, size_t len, char out[72]);
/* The simple-signing payload exactly as cosign (Go's encoding/json) writes it:
 * {"critical":{"identity":{"docker-reference":REF},"image":{"docker-manifest-digest":D},
 * "type":"cosign container image signature"},"optional":null}. */
int cosign_payload_build(const char *ref_name, const char *digest, char **ret, size_t *ret_len);
/* The payload for digest and its signature by key (standard base64). */
int cosign_simple_sign(EVP_PKEY *key, const char *ref_name, const char *digest,
		       char **ret_payload, size_t *ret_len, char **ret_sig_b64);
/* Checks a payload's claims: type, and that it names digest. -EINVAL (malformed) or
 * -ESRCH (another digest, named in the message). */
int cosign_payload_check(const void *payload, size_t len, const char *digest,
			 struct img_err *e);
/* DSSE's pre-authentication encoding: "DSSEv1 <len> <type> <len> <body>". */
int cosign_dsse_pae(const char *type, const void *body, size_t len, unsigned char **ret,
		    size_t *ret_len);
/* Checks an in-toto statement names digest among its subjects: -EINVAL / -ESRCH. */
int cosign_statement_check(const void *stmt, size_t len, const char *digest,
			   struct img_err *e);

/* --- one signature, from bytes (cosign-check.c) --- */
/* A classic layer: its payload and the base64 signature annotation (NULL when absent);
 * has_cert: the layer carries a Fulcio certificate. */
enum cosign_reject cosign_check_simple(const struct cosign_keys *k, const void *payload,
				       size_t len, const char *sig_b64, bool has_cert,
				       const char *digest, struct img_err *e);
/* A Sigstore bundle (JSON) with a DSSE envelope. */
enum cosign_reject cosign_check_bundle(const struct cosign_keys *k, const void *bundle,
				       size_t len, const char *digest, struct img_err *e);

/* --- the `.sig` manifest (cosign-sigman.c) --- */
struct cosign_sig_layer {
	char *digest;
	unsigned long long size;
	char *signature; /* annotation, or NULL */
	bool has_cert;
	bool bundle; /* a Sigstore bundle layer (of a referrer), not simple signing */
};
struct cosign_sig_manifest {
	struct cosign_sig_layer *layers; /* simple-signing and bundle layers only */
	size_t n;
	char *artifact_type; /* or NULL */
};
void cosign_sig_manifest_clear(struct cosign_sig_manifest *m);
int cosign_sig_manifest_parse(const void *body, size_t len, struct cosign_sig_manifest *ret,
			      struct img_err *e);
/* The `.sig` manifest after adding a layer (payload digest/size, base64 signature) to old
 * (NULL: none yet), with the config it names: *ret_config is that config's JSON (the
 * go-containerregistry shape cosign writes; verifiers ignore it). An identical layer already
 * there is not added twice (*ret_added false). */
int cosign_sig_manifest_add(const void *old, size_t old_len, const char *payload_digest,
			    size_t payload_size, const char *sig_b64, char **ret_manifest,
			    size_t *ret_manifest_len, char **ret_config, size_t *ret_config_len,
			    bool *ret_added, struct img_err *e);
/* Referrers (an index from the API or the fallback tag): the digests of manifests whose
 * artifactType is a bundle or a cosign signature (up to COSIGN_MAX_REFERRERS). */
int cosign_referrers_parse(const void *body, size_t len, char ***ret_digests,
			   char ***ret_types, size_t *ret_n, struct img_err *e);
