/* cosign's own private key file (`cosign.key`, `cosign generate-key-pair`): PEM
 * "ENCRYPTED SIGSTORE PRIVATE KEY" (or the older "ENCRYPTED COSIGN PRIVATE KEY") whose body
 * is JSON:
 *
 *   {"kdf":{"name":"scrypt","params":{"N":..,"r":8,"p":1},"salt":"<b64>"},
 *    "cipher":{"name":"nacl/secretbox","nonce":"<b64, 24 bytes>"},"ciphertext":"<b64>"}
 *
 * key = scrypt(password, salt, N, r, p, 32 bytes); plaintext = NaCl secretbox open (the
 * 16-byte tag first, as libsodium's _easy API expects) = the PKCS#8 DER private key.
 * OpenSSL has scrypt but no XSalsa20-Poly1305, hence libsodium. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <sodium.h>

#include "cleanup.h"
#include "cosign-internal.h"

/* N values cosign's decryption accepts (go-securesystemslib): legacy, default, and one up */
static bool scrypt_n_ok(json_int_t n)
{
	return n == 1 << 15 || n == 1 << 16 || n == 1 << 17;
}

/* 128 * r * N bytes for N = 2^17, r = 8 is 128 MiB; OpenSSL's default bound is 32 MiB */
#define SCRYPT_MAXMEM (192ull << 20)

static int b64_field(json_t *o, const char *name, unsigned char **ret, size_t *ret_len)
{
	const char *s = json_string_value(json_object_get(o, name));

	return s ? cosign_b64_decode(s, ret, ret_len) : -EINVAL;
}

bool cosign_is_cosign_key(const char *pem)
{
	return strstr(pem, "-----BEGIN ENCRYPTED SIGSTORE PRIVATE KEY-----") ||
	       strstr(pem, "-----BEGIN ENCRYPTED COSIGN PRIVATE KEY-----");
}

int cosign_cosignkey_decrypt(const char *pem, size_t len, const char *password, const char *what,
			     EVP_PKEY **ret, struct img_err *e)
{
	_cleanup_free_ unsigned char *salt = NULL, *nonce = NULL, *ct = NULL, *plain = NULL;
	char *name = NULL, *header = NULL;
	bool ours;
	unsigned char *body = NULL, key[32];
	const unsigned char *p;
	size_t salt_len, nonce_len, ct_len;
	long body_len = 0;
	json_t *j = NULL, *kdf, *params, *cipher;
	json_int_t n, r, par;
	PKCS8_PRIV_KEY_INFO *p8 = NULL;
	EVP_PKEY *pkey = NULL;
	BIO *b;
	int rc;

	b = BIO_new_mem_buf(pem, (int)len);
	if (!b)
		return -ENOMEM;
	rc = PEM_read_bio(b, &name, &header, &body, &body_len);
	BIO_free(b);
	ERR_clear_error();
	if (rc != 1)
		return img_fail(e, -EINVAL, "%s: not a PEM file", what);
	ours = !strcmp(name, "ENCRYPTED SIGSTORE PRIVATE KEY") ||
	       !strcmp(name, "ENCRYPTED COSIGN PRIVATE KEY");
	OPENSSL_free(name);
	OPENSSL_free(header);
	if (!ours) {
		OPENSSL_free(body);
		return img_fail(e, -EINVAL, "%s: the first PEM block is not a cosign key", what);
	}
	j = json_loadb((const char *)body, (size_t)body_len, 0, NULL);
	OPENSSL_free(body);
	kdf = json_object_get(j, "kdf");
	params = json_object_get(kdf, "params");
	cipher = json_object_get(j, "cipher");
	n = json_integer_value(json_object_get(params, "N"));
	r = json_integer_value(json_object_get(params, "r"));
	par = json_integer_value(json_object_get(params, "p"));
	if (!json_is_object(j) ||
	    strcmp(json_string_value(json_object_get(kdf, "name")) ?: "", "scrypt") ||
	    strcmp(json_string_value(json_object_get(cipher, "name")) ?: "", "nacl/secretbox") ||
	    b64_field(kdf, "salt", &salt, &salt_len) < 0 ||
	    b64_field(cipher, "nonce", &nonce, &nonce_len) < 0 ||
	    b64_field(j, "ciphertext", &ct, &ct_len) < 0 ||
	    nonce_len != crypto_secretbox_NONCEBYTES || ct_len <= crypto_secretbox_MACBYTES) {
		json_decref(j);
		return img_fail(e, -EINVAL,
				"%s: not a cosign key (an scrypt + nacl/secretbox JSON envelope)", what);
	}
	json_decref(j);
	if (!scrypt_n_ok(n) || r != 8 || par != 1)
		return img_fail(e, -EINVAL, "%s: scrypt parameters N=%lld r=%lld p=%lld are not cosign's",
				what, (long long)n, (long long)r, (long long)par);
	if (!password)
		return img_fail(e, -EINVAL,
				"%s: a cosign key is encrypted: give its password with --password-env (it may be empty)",
				what);
	if (sodium_init() < 0)
		return img_fail(e, -EIO, "libsodium cannot start");
	if (EVP_PBE_scrypt(password, strlen(password), salt, salt_len, (uint64_t)n, (uint64_t)r,
			   (uint64_t)par, SCRYPT_MAXMEM, key, sizeof(key)) != 1) {
		ERR_clear_error();
		return img_fail(e, -EIO, "%s: scrypt failed", what);
	}
	plain = malloc(ct_len - crypto_secretbox_MACBYTES);
	if (!plain) {
		OPENSSL_cleanse(key, sizeof(key));
		return -ENOMEM;
	}
	rc = crypto_secretbox_open_easy(plain, ct, ct_len, nonce, key);
	OPENSSL_cleanse(key, sizeof(key));
	if (rc != 0)
		return img_fail(e, -EINVAL, "%s: cannot decrypt the key (wrong password)", what);
	p = plain;
	p8 = d2i_PKCS8_PRIV_KEY_INFO(NULL, &p, (long)(ct_len - crypto_secretbox_MACBYTES));
	if (p8)
		pkey = EVP_PKCS82PKEY(p8);
	PKCS8_PRIV_KEY_INFO_free(p8);
	OPENSSL_cleanse(plain, ct_len - crypto_secretbox_MACBYTES);
	ERR_clear_error();
	if (!pkey)
		return img_fail(e, -EINVAL, "%s: the decrypted key is not a PKCS#8 private key", what);
	*ret = pkey;
	return 0;
}
