/* The byte formats of cosign signatures: base64, the simple-signing payload (built byte for
 * byte as cosign's Go encoder writes it, and checked by parsing, never by re-serialising),
 * DSSE's pre-authentication encoding and the in-toto statement of a Sigstore bundle. */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <openssl/evp.h>

#include "cleanup.h"
#include "cosign-internal.h"

static int b64_value(unsigned char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+' || c == '-')
		return 62;
	if (c == '/' || c == '_')
		return 63;
	return -1;
}

/* Validated and normalised to standard, padded base64, then decoded by OpenSSL (whose
 * EVP_DecodeBlock does not know URL-safe base64 and counts padding as data). */
int cosign_b64_decode(const char *s, unsigned char **ret, size_t *ret_len)
{
	static const char std[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	_cleanup_free_ char *norm = NULL;
	_cleanup_free_ unsigned char *out = NULL;
	size_t len = strlen(s), body = len, pad, outlen;
	int n;

	while (body > 0 && s[body - 1] == '=')
		body--;
	if (len - body > 2 || body % 4 == 1 || body > (size_t)INT32_MAX / 2)
		return -EINVAL;
	pad = (4 - body % 4) % 4;
	/* padding, when present, must be exactly what completes the last group */
	if (len != body && len - body != pad)
		return -EINVAL;
	norm = malloc(body + pad + 1);
	out = malloc(body / 4 * 3 + 3 + 1);
	if (!norm || !out)
		return -ENOMEM;
	for (size_t i = 0; i < body; i++) {
		int v = b64_value((unsigned char)s[i]);

		if (v < 0)
			return -EINVAL;
		norm[i] = std[v];
	}
	memset(norm + body, '=', pad);
	norm[body + pad] = '\0';
	if (body + pad == 0) {
		*ret = TAKE_PTR(out);
		*ret_len = 0;
		return 0;
	}
	n = EVP_DecodeBlock(out, (unsigned char *)norm, (int)(body + pad));
	if (n < 0)
		return -EINVAL;
	outlen = (size_t)n - pad;
	*ret = TAKE_PTR(out);
	*ret_len = outlen;
	return 0;
}

char *cosign_b64_encode(const void *data, size_t len)
{
	char *out;

	if (len > (size_t)INT32_MAX / 2)
		return NULL;
	out = malloc((len + 2) / 3 * 4 + 1);
	if (!out)
		return NULL;
	EVP_EncodeBlock((unsigned char *)out, data, (int)len);
	return out;
}

void cosign_sha256_digest(const void *data, size_t len, char out[72])
{
	unsigned char md[32];
	unsigned int mdlen = 0;

	EVP_Digest(data, len, md, &mdlen, EVP_sha256(), NULL);
	strcpy(out, "sha256:");
	for (size_t i = 0; i < 32; i++)
		snprintf(out + 7 + 2 * i, 3, "%02x", md[i]);
}

/* A JSON string as Go's encoding/json writes it: besides '"' and '\', it escapes '<', '>'
 * and '&' (HTML-safe). Control characters are refused: no reference has them. */
static int go_json_string(FILE *f, const char *s)
{
	fputc('"', f);
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (c < 0x20 || c == 0x7f)
			return -EINVAL;
		if (c == '"' || c == '\\')
			fprintf(f, "\\%c", c);
		else if (c == '<' || c == '>' || c == '&')
			fprintf(f, "\\u%04x", c);
		else
			fputc(c, f);
	}
	fputc('"', f);
	return 0;
}

/* "sha256:" and 64 lower-case hex digits (the module's own check: it builds payloads without
 * the reference parser) */
bool cosign_digest_valid(const char *d)
{
	if (!d || strncmp(d, "sha256:", 7) || strlen(d) != 71)
		return false;
	for (size_t i = 7; i < 71; i++)
		if (!((d[i] >= '0' && d[i] <= '9') || (d[i] >= 'a' && d[i] <= 'f')))
			return false;
	return true;
}

int cosign_payload_build(const char *ref_name, const char *digest, char **ret, size_t *ret_len)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f;
	int r;

	if (!cosign_digest_valid(digest))
		return -EINVAL;
	f = open_memstream(&buf, &len);
	if (!f)
		return -ENOMEM;
	/* the field order is Go's: struct order, which is alphabetical here */
	fputs("{\"critical\":{\"identity\":{\"docker-reference\":", f);
	r = go_json_string(f, ref_name);
	fprintf(f, "},\"image\":{\"docker-manifest-digest\":\"%s\"},\"type\":\"%s\"},\"optional\":null}",
		digest, COSIGN_PAYLOAD_TYPE);
	if (fclose(f) != 0 && r == 0)
		r = -ENOMEM;
	if (r < 0) {
		free(buf);
		return r;
	}
	*ret = buf;
	*ret_len = len;
	return 0;
}

static const char *json_path_string(json_t *o, const char *a, const char *b)
{
	json_t *x = json_object_get(o, a);

	if (b)
		x = json_object_get(x, b);
	return json_string_value(x);
}

int cosign_payload_check(const void *payload, size_t len, const char *digest,
			 struct img_err *e)
{
	_cleanup_(json_decrefp) json_t *j = json_loadb(payload, len, JSON_REJECT_DUPLICATES, NULL);
	json_t *crit = json_object_get(j, "critical");
	const char *type, *named;

	if (!json_is_object(crit))
		return img_fail(e, -EINVAL, "the signed payload is not a cosign simple-signing payload");
	type = json_string_value(json_object_get(crit, "type"));
	if (!type || strcmp(type, COSIGN_PAYLOAD_TYPE))
		return img_fail(e, -EINVAL, "the signed payload's type is '%s', not '%s'",
				type ? type : "(none)", COSIGN_PAYLOAD_TYPE);
	named = json_path_string(crit, "image", "docker-manifest-digest");
	if (!named)
		return img_fail(e, -EINVAL, "the signed payload names no image digest");
	if (strcmp(named, digest))
		return img_fail(e, -ESRCH, "the signature is for %.80s, not for %s", named, digest);
	return 0;
}

int cosign_dsse_pae(const char *type, const void *body, size_t len, unsigned char **ret,
		    size_t *ret_len)
{
	char *buf = NULL;
	size_t n = 0;
	FILE *f = open_memstream(&buf, &n);

	if (!f)
		return -ENOMEM;
	fprintf(f, "DSSEv1 %zu %s %zu ", strlen(type), type, len);
	fwrite(body, 1, len, f);
	if (fclose(f) != 0) {
		free(buf);
		return -ENOMEM;
	}
	*ret = (unsigned char *)buf;
	*ret_len = n;
	return 0;
}

int cosign_statement_check(const void *stmt, size_t len, const char *digest,
			   struct img_err *e)
{
	_cleanup_(json_decrefp) json_t *j = json_loadb(stmt, len, JSON_REJECT_DUPLICATES, NULL);
	const char *type = json_string_value(json_object_get(j, "_type"));
	json_t *subjects = json_object_get(j, "subject"), *s;
	const char *other = NULL;
	size_t i;

	if (!type || (strcmp(type, "https://in-toto.io/Statement/v1") &&
		      strcmp(type, "https://in-toto.io/Statement/v0.1")))
		return img_fail(e, -EINVAL, "the bundle's payload is not an in-toto statement");
	if (!cosign_digest_valid(digest))
		return -EINVAL;
	json_array_foreach(subjects, i, s) {
		const char *hex = json_path_string(s, "digest", "sha256");

		if (hex && !strcmp(hex, digest + 7))
			return 0;
		if (hex && !other)
			other = hex;
	}
	if (!other)
		return img_fail(e, -EINVAL, "the bundle's statement has no sha256 subject");
	return img_fail(e, -ESRCH, "the signature is for sha256:%.64s, not for %s", other, digest);
}

int cosign_simple_sign(EVP_PKEY *key, const char *ref_name, const char *digest,
		       char **ret_payload, size_t *ret_len, char **ret_sig_b64)
{
	_cleanup_free_ char *payload = NULL;
	_cleanup_free_ unsigned char *sig = NULL;
	size_t len, sig_len;
	char *b64;
	int r;

	r = cosign_payload_build(ref_name, digest, &payload, &len);
	if (r < 0)
		return r;
	r = cosign_sign_bytes(key, payload, len, &sig, &sig_len);
	if (r < 0)
		return r;
	b64 = cosign_b64_encode(sig, sig_len);
	if (!b64)
		return -ENOMEM;
	*ret_payload = TAKE_PTR(payload);
	*ret_len = len;
	*ret_sig_b64 = b64;
	return 0;
}
