/* Keys for cosign signatures (OpenSSL 3 EVP): trusted public keys (PEM
 * SubjectPublicKeyInfo, as `cosign.pub` and `openssl pkey -pubout` write them), private keys
 * for signing, and the two signature schemes cosign uses with them: ECDSA P-256 over SHA-256
 * with a DER signature, and Ed25519 over the message itself. */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/bio.h>
#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include "cleanup.h"
#include "cosign-internal.h"

DEFINE_TRIVIAL_CLEANUP_FUNC(EVP_PKEY *, EVP_PKEY_free)
DEFINE_TRIVIAL_CLEANUP_FUNC(BIO *, BIO_free)
DEFINE_TRIVIAL_CLEANUP_FUNC(EVP_MD_CTX *, EVP_MD_CTX_free)

/* A public key file is small; anything bigger is not one. */
#define KEY_FILE_MAX (64u << 10)

/* ECDSA P-256 or Ed25519; anything else named in the message. */
static int key_type_check(EVP_PKEY *key, const char *what, struct img_err *e)
{
	char group[64] = "";

	if (EVP_PKEY_is_a(key, "ED25519"))
		return 0;
	if (EVP_PKEY_is_a(key, "EC")) {
		if (EVP_PKEY_get_utf8_string_param(key, OSSL_PKEY_PARAM_GROUP_NAME, group,
						   sizeof(group), NULL) == 1 &&
		    !strcmp(group, "prime256v1"))
			return 0;
		return img_fail(e, -EINVAL,
				"%s: an EC key on curve %s; only P-256 (prime256v1) and Ed25519 are supported",
				what, group[0] ? group : "(unknown)");
	}
	return img_fail(e, -EINVAL, "%s: a %s key; only ECDSA P-256 and Ed25519 are supported", what,
			EVP_PKEY_get0_type_name(key) ? EVP_PKEY_get0_type_name(key) : "unknown");
}

int cosign_pubkey_from_pem(const void *pem, size_t len, const char *what, EVP_PKEY **ret,
			   struct img_err *e)
{
	_cleanup_(BIO_freep) BIO *b = NULL;
	_cleanup_(EVP_PKEY_freep) EVP_PKEY *key = NULL;
	int r;

	if (len > INT32_MAX)
		return img_fail(e, -EINVAL, "%s: too big for a key", what);
	b = BIO_new_mem_buf(pem, (int)len);
	if (!b)
		return -ENOMEM;
	key = PEM_read_bio_PUBKEY(b, NULL, NULL, NULL);
	ERR_clear_error();
	if (!key)
		return img_fail(e, -EINVAL,
				"%s: not a PEM public key (\"-----BEGIN PUBLIC KEY-----\", as cosign.pub or `openssl pkey -pubout` write it)",
				what);
	r = key_type_check(key, what, e);
	if (r < 0)
		return r;
	*ret = TAKE_PTR(key);
	return 0;
}

static int read_small_file(const char *path, char **ret, size_t *ret_len, struct img_err *e)
{
	_cleanup_fclose_ FILE *f = fopen(path, "re");
	_cleanup_free_ char *buf = NULL;
	size_t n;

	if (!f)
		return img_fail(e, -errno, "cannot open key file %s: %s", path, strerror(errno));
	buf = malloc(KEY_FILE_MAX + 1);
	if (!buf)
		return -ENOMEM;
	n = fread(buf, 1, KEY_FILE_MAX + 1, f);
	if (ferror(f))
		return img_fail(e, -EIO, "cannot read key file %s", path);
	if (n > KEY_FILE_MAX)
		return img_fail(e, -EFBIG, "key file %s is over %u bytes: not a key", path,
				KEY_FILE_MAX);
	buf[n] = '\0';
	*ret = TAKE_PTR(buf);
	*ret_len = n;
	return 0;
}

int cosign_keys_load(char *const *paths, struct cosign_keys **ret, struct img_err *e)
{
	struct cosign_keys *k;
	size_t n = 0;
	int r;

	for (; paths && paths[n]; n++)
		;
	k = calloc(1, sizeof(*k));
	if (!k)
		return -ENOMEM;
	if (n) {
		k->keys = calloc(n, sizeof(*k->keys));
		k->paths = calloc(n, sizeof(*k->paths));
		if (!k->keys || !k->paths) {
			cosign_keys_free(k);
			return -ENOMEM;
		}
	}
	for (size_t i = 0; i < n; i++) {
		_cleanup_free_ char *pem = NULL;
		size_t len;

		r = read_small_file(paths[i], &pem, &len, e);
		if (r >= 0)
			r = cosign_pubkey_from_pem(pem, len, paths[i], &k->keys[k->n], e);
		if (r >= 0) {
			k->paths[k->n] = strdup(paths[i]);
			if (!k->paths[k->n]) {
				EVP_PKEY_free(k->keys[k->n]);
				r = -ENOMEM;
			}
		}
		if (r < 0) {
			cosign_keys_free(k);
			return r;
		}
		k->n++;
	}
	*ret = k;
	return 0;
}

struct cosign_keys *cosign_keys_free(struct cosign_keys *k)
{
	if (!k)
		return NULL;
	for (size_t i = 0; i < k->n; i++) {
		EVP_PKEY_free(k->keys[i]);
		free(k->paths[i]);
	}
	free(k->keys);
	free(k->paths);
	free(k);
	return NULL;
}

/* OpenSSL's password callback: the password given, or none (so an encrypted key fails
 * instead of prompting on a terminal). */
static int password_cb(char *buf, int size, int rwflag, void *u)
{
	const char *pw = u;
	size_t len;

	(void)rwflag;
	if (!pw)
		return -1;
	len = strlen(pw);
	if (len > (size_t)size)
		return -1;
	memcpy(buf, pw, len);
	return (int)len;
}

bool cosign_is_cosign_key(const char *pem)
{
	return strstr(pem, "-----BEGIN ENCRYPTED SIGSTORE PRIVATE KEY-----") ||
	       strstr(pem, "-----BEGIN ENCRYPTED COSIGN PRIVATE KEY-----");
}

int cosign_privkey_load(const char *path, const char *password, EVP_PKEY **ret,
			struct img_err *e)
{
	_cleanup_free_ char *pem = NULL;
	_cleanup_(BIO_freep) BIO *b = NULL;
	_cleanup_(EVP_PKEY_freep) EVP_PKEY *key = NULL;
	bool encrypted;
	size_t len;
	int r;

	r = read_small_file(path, &pem, &len, e);
	if (r < 0)
		return r;
	/* cosign.key is sealed with NaCl secretbox (XSalsa20-Poly1305), which OpenSSL does not
	 * have; the same signatures come from a PEM key, which cosign imports as well */
	if (cosign_is_cosign_key(pem)) {
		explicit_bzero(pem, len);
		return img_fail(e, -EINVAL,
				"'%s' is cosign's own encrypted key format (cosign.key), which this build "
				"cannot open (it needs NaCl secretbox, which OpenSSL lacks): sign with a PEM "
				"private key (openssl genpkey -algorithm ed25519, or an ECDSA P-256 key); "
				"`cosign import-key-pair --key KEY.pem` gives cosign the same key",
				path);
	}
	encrypted = strstr(pem, "-----BEGIN ENCRYPTED PRIVATE KEY-----") ||
		    strstr(pem, "Proc-Type: 4,ENCRYPTED");
	b = BIO_new_mem_buf(pem, (int)len);
	if (!b)
		return -ENOMEM;
	key = PEM_read_bio_PrivateKey(b, NULL, password_cb, (void *)password);
	ERR_clear_error();
	explicit_bzero(pem, len);
	if (!key) {
		if (encrypted)
			return img_fail(e, -EINVAL, "%s: cannot decrypt the key (%s)", path,
					password ? "wrong password" : "it is encrypted: give its password with --password-env");
		return img_fail(e, -EINVAL, "%s: not a PEM private key (PRIVATE KEY or EC PRIVATE KEY)",
				path);
	}
	r = key_type_check(key, path, e);
	if (r < 0)
		return r;
	*ret = TAKE_PTR(key);
	return 0;
}

/* Ed25519 signs the message itself (no digest); ECDSA with SHA-256, as cosign does by
 * default for every key type. */
static const EVP_MD *key_md(EVP_PKEY *key)
{
	return EVP_PKEY_is_a(key, "ED25519") ? NULL : EVP_sha256();
}

int cosign_sig_check(EVP_PKEY *key, const void *data, size_t len, const void *sig,
		     size_t sig_len)
{
	_cleanup_(EVP_MD_CTX_freep) EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	int ok;

	if (!ctx)
		return -ENOMEM;
	if (EVP_DigestVerifyInit(ctx, NULL, key_md(key), NULL, key) != 1) {
		ERR_clear_error();
		return -EBADMSG;
	}
	ok = EVP_DigestVerify(ctx, sig, sig_len, data, len);
	ERR_clear_error();
	return ok == 1 ? 0 : -EBADMSG;
}

int cosign_keys_verify(const struct cosign_keys *k, const void *data, size_t len,
		       const void *sig, size_t sig_len)
{
	for (size_t i = 0; k && i < k->n; i++)
		if (cosign_sig_check(k->keys[i], data, len, sig, sig_len) == 0)
			return (int)i;
	return -EBADMSG;
}

int cosign_sign_bytes(EVP_PKEY *key, const void *data, size_t len, unsigned char **ret,
		      size_t *ret_len)
{
	_cleanup_(EVP_MD_CTX_freep) EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	_cleanup_free_ unsigned char *sig = NULL;
	size_t sig_len = 0;

	if (!ctx)
		return -ENOMEM;
	if (EVP_DigestSignInit(ctx, NULL, key_md(key), NULL, key) != 1 ||
	    EVP_DigestSign(ctx, NULL, &sig_len, data, len) != 1)
		goto fail;
	sig = malloc(sig_len);
	if (!sig)
		return -ENOMEM;
	if (EVP_DigestSign(ctx, sig, &sig_len, data, len) != 1)
		goto fail;
	*ret = TAKE_PTR(sig);
	*ret_len = sig_len;
	return 0;
fail:
	ERR_clear_error();
	return -EIO;
}
