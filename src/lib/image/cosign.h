/* cosign signatures, verified offline with OpenSSL against trusted public keys.
 *
 * Two formats: the classic one (a `sha256-<hex>.sig` tag in the image's repository whose
 * layers are simple-signing payloads with the signature in the annotation
 * dev.cosignproject.cosign/signature), and the Sigstore bundle cosign 3 writes (a DSSE
 * envelope with an in-toto statement, found as an OCI 1.1 referrer of the image or under the
 * `sha256-<hex>` fallback tag). Keys: PEM public keys, ECDSA P-256 (SHA-256) and Ed25519.
 * Keyless (Fulcio certificates, Rekor) needs the internet and is refused with a message
 * saying so. */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "image-error.h"
#include "registry.h"

struct cosign_keys;

/* Loads each PEM public key file. -EINVAL naming the file for an unsupported key. */
int cosign_keys_load(char *const *paths, struct cosign_keys **ret, struct img_err *e);
struct cosign_keys *cosign_keys_free(struct cosign_keys *k);

enum cosign_result {
	COSIGN_VERIFIED, /* a signature by a trusted key names this digest */
	COSIGN_UNSIGNED, /* no signature found in either format */
};

/* Looks for signatures of manifest_digest (the digest the user's reference resolved to:
 * the index for a multi-arch image) in r's repository. Returns 0 with *ret set, or
 * -EKEYREJECTED when signatures exist but none verifies with a trusted key (the message says
 * why: bad signature, other digest, untrusted key, keyless), or another negative errno when
 * the registry could not be asked. */
int cosign_verify(struct registry *r, const char *manifest_digest, const struct cosign_keys *k,
		  enum cosign_result *ret, struct img_err *e);

/* Signs manifest_digest in the classic format with the PEM private key at key_path (ECDSA
 * P-256 or Ed25519; unencrypted, or cosign's encrypted format when password is given) and
 * pushes the `.sig` manifest, adding to the signatures already there. ref_name: the
 * docker-reference the payload names. */
int cosign_sign(struct registry *r, const char *ref_name, const char *manifest_digest,
		const char *key_path, const char *password, struct img_err *e);
