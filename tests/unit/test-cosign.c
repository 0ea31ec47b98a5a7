/* cosign formats without a registry: keys, the simple-signing payload, signatures made by
 * the openssl CLI (an independent signer) and by us, DSSE and Sigstore bundles, and the
 * `.sig` manifest. Test vectors are made at run time in a scratch directory. */
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include "cosign-internal.h"
#include "test-util.h"

static char dir[] = "/tmp/test-cosign.XXXXXX";

static const char DIGEST[] = "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
static const char OTHER[] = "sha256:fedcba9876543210fedcba9876543210fedcba9876543210fedcba9876543210";

static char *path(const char *name)
{
	static char buf[8][256];
	static int i;
	char *p = buf[i++ % 8];

	snprintf(p, 256, "%s/%s", dir, name);
	return p;
}

/* Runs a shell command in the scratch directory; fails the test when it fails. */
static int sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int sh(const char *fmt, ...)
{
	char cmd[2048];
	int n;
	va_list ap;

	n = snprintf(cmd, sizeof(cmd), "cd '%s' && ", dir);
	va_start(ap, fmt);
	vsnprintf(cmd + n, sizeof(cmd) - n, fmt, ap);
	va_end(ap);
	if (system(cmd) != 0) {
		fprintf(stderr, "command failed: %s\n", cmd);
		test_failures++;
		return -1;
	}
	return 0;
}

static void write_file(const char *name, const void *data, size_t len)
{
	FILE *f = fopen(path(name), "we");

	CHECK(f && fwrite(data, 1, len, f) == len);
	if (f)
		fclose(f);
}

static char *read_file(const char *name, size_t *ret_len)
{
	FILE *f = fopen(path(name), "re");
	char *buf = calloc(1, 1 << 16);
	size_t n = 0;

	CHECK(f != NULL);
	if (f) {
		n = fread(buf, 1, (1 << 16) - 1, f);
		fclose(f);
	}
	if (ret_len)
		*ret_len = n;
	return buf;
}

static char *file_b64(const char *name)
{
	size_t len;
	char *data = read_file(name, &len), *b64 = cosign_b64_encode(data, len);

	free(data);
	return b64;
}

static struct cosign_keys *keys(const char *a, const char *b)
{
	char *paths[3] = { a ? path(a) : NULL, b ? path(b) : NULL, NULL };
	struct cosign_keys *k = NULL;
	struct img_err e = {};

	CHECK_EQ_INT(cosign_keys_load(paths, &k, &e), 0);
	return k;
}

static void make_keys(void)
{
	sh("openssl ecparam -name prime256v1 -genkey -noout -out ec.key 2>/dev/null");
	sh("openssl ec -in ec.key -pubout -out ec.pub 2>/dev/null");
	sh("openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out ec2.key 2>/dev/null");
	sh("openssl pkey -in ec2.key -pubout -out ec2.pub");
	sh("openssl genpkey -algorithm ed25519 -out ed.key");
	sh("openssl pkey -in ed.key -pubout -out ed.pub");
	sh("openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-384 -out p384.key 2>/dev/null");
	sh("openssl pkey -in p384.key -pubout -out p384.pub");
	sh("openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:1024 -out rsa.key 2>/dev/null");
	sh("openssl pkey -in rsa.key -pubout -out rsa.pub");
	sh("openssl pkcs8 -topk8 -v2 aes-256-cbc -in ec2.key -passout pass:s3cret -out ec2-enc.key");
}

static void test_key_loading(void)
{
	struct cosign_keys *k = NULL;
	struct img_err e = {};
	EVP_PKEY *key = NULL;
	char *v[2] = { NULL, NULL };

	k = keys("ec.pub", "ed.pub");
	CHECK(k && k->n == 2);
	k = cosign_keys_free(k);
	k = keys(NULL, NULL); /* none configured: an empty set */
	CHECK(k && k->n == 0);
	k = cosign_keys_free(k);

	v[0] = path("p384.pub");
	CHECK_EQ_INT(cosign_keys_load(v, &k, &e), -EINVAL);
	CHECK(strstr(e.msg, "secp384r1") && strstr(e.msg, "p384.pub"));
	img_err_clear(&e);
	v[0] = path("rsa.pub");
	CHECK_EQ_INT(cosign_keys_load(v, &k, &e), -EINVAL);
	CHECK(strstr(e.msg, "RSA"));
	img_err_clear(&e);
	v[0] = path("ec.key"); /* a private key is not a public key file */
	CHECK_EQ_INT(cosign_keys_load(v, &k, &e), -EINVAL);
	CHECK(strstr(e.msg, "not a PEM public key"));
	img_err_clear(&e);
	v[0] = path("absent.pub");
	CHECK_EQ_INT(cosign_keys_load(v, &k, &e), -ENOENT);
	CHECK(strstr(e.msg, "absent.pub"));

	/* private keys: SEC1, PKCS#8, encrypted PKCS#8 */
	CHECK_EQ_INT(cosign_privkey_load(path("ec.key"), NULL, &key, &e), 0);
	EVP_PKEY_free(key);
	CHECK_EQ_INT(cosign_privkey_load(path("ed.key"), NULL, &key, &e), 0);
	EVP_PKEY_free(key);
	CHECK_EQ_INT(cosign_privkey_load(path("ec2-enc.key"), "s3cret", &key, &e), 0);
	EVP_PKEY_free(key);
	img_err_clear(&e);
	CHECK_EQ_INT(cosign_privkey_load(path("ec2-enc.key"), "wrong", &key, &e), -EINVAL);
	CHECK(strstr(e.msg, "wrong password"));
	img_err_clear(&e);
	CHECK_EQ_INT(cosign_privkey_load(path("ec2-enc.key"), NULL, &key, &e), -EINVAL);
	CHECK(strstr(e.msg, "--password-env"));
	img_err_clear(&e);
	CHECK_EQ_INT(cosign_privkey_load(path("p384.key"), NULL, &key, &e), -EINVAL);
	img_err_clear(&e);
	{
		static const char ck[] = "-----BEGIN ENCRYPTED SIGSTORE PRIVATE KEY-----\neyJrZGYiOnt9fQ==\n"
					 "-----END ENCRYPTED SIGSTORE PRIVATE KEY-----\n";

		write_file("cosign.key", ck, strlen(ck));
	}
	CHECK_EQ_INT(cosign_privkey_load(path("cosign.key"), "x", &key, &e), -EINVAL);
	CHECK(strstr(e.msg, "cosign's own encrypted key format"));
}


static void test_base64(void)
{
	unsigned char *out = NULL;
	size_t len = 0;
	char *enc;

	CHECK_EQ_INT(cosign_b64_decode("aGVsbG8=", &out, &len), 0);
	CHECK(len == 5 && !memcmp(out, "hello", 5));
	free(out);
	CHECK_EQ_INT(cosign_b64_decode("aGVsbG8", &out, &len), 0); /* unpadded */
	CHECK(len == 5 && !memcmp(out, "hello", 5));
	free(out);
	CHECK_EQ_INT(cosign_b64_decode("-_8", &out, &len), 0); /* URL-safe */
	CHECK(len == 2 && out[0] == 0xfb && out[1] == 0xff);
	free(out);
	CHECK_EQ_INT(cosign_b64_decode("+/8=", &out, &len), 0);
	CHECK(len == 2 && out[0] == 0xfb && out[1] == 0xff);
	free(out);
	CHECK_EQ_INT(cosign_b64_decode("", &out, &len), 0);
	CHECK(len == 0);
	free(out);
	CHECK_EQ_INT(cosign_b64_decode("aGVsbG8==", &out, &len), -EINVAL); /* too much padding */
	CHECK_EQ_INT(cosign_b64_decode("aGV*bG8=", &out, &len), -EINVAL);
	CHECK_EQ_INT(cosign_b64_decode("a", &out, &len), -EINVAL);
	CHECK_EQ_INT(cosign_b64_decode("aGVs\nbG8=", &out, &len), -EINVAL);
	enc = cosign_b64_encode("hello", 5);
	CHECK_STREQ(enc, "aGVsbG8=");
	free(enc);
}

static void test_payload(void)
{
	static const char want[] =
		"{\"critical\":{\"identity\":{\"docker-reference\":\"127.0.0.1:5000/ebpf/x\"},"
		"\"image\":{\"docker-manifest-digest\":\"sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef\"},"
		"\"type\":\"cosign container image signature\"},\"optional\":null}";
	struct img_err e = {};
	char *p = NULL;
	size_t len = 0;

	CHECK_EQ_INT(cosign_payload_build("127.0.0.1:5000/ebpf/x", DIGEST, &p, &len), 0);
	CHECK_STREQ(p, want);
	CHECK_EQ_INT(len, strlen(want));
	CHECK_EQ_INT(cosign_payload_check(p, len, DIGEST, &e), 0);
	CHECK_EQ_INT(cosign_payload_check(p, len, OTHER, &e), -ESRCH);
	CHECK(strstr(e.msg, DIGEST) && strstr(e.msg, OTHER));
	free(p);
	/* Go's encoder escapes these; a verifier never re-serialises, a signer must match */
	CHECK_EQ_INT(cosign_payload_build("a<b>&\"\\", DIGEST, &p, &len), 0);
	CHECK(strstr(p, "\"a\\u003cb\\u003e\\u0026\\\"\\\\\""));
	free(p);
	CHECK_EQ_INT(cosign_payload_build("a\nb", DIGEST, &p, &len), -EINVAL);
	CHECK_EQ_INT(cosign_payload_build("x", "sha256:ABC", &p, &len), -EINVAL);
	img_err_clear(&e);
	CHECK_EQ_INT(cosign_payload_check("{\"critical\":{\"type\":\"other\"}}", 29, DIGEST, &e),
		     -EINVAL);
	CHECK_EQ_INT(cosign_payload_check("not json", 8, DIGEST, &e), -EINVAL);
}

/* Classic signatures made with the openssl CLI, checked by us. */
static void test_classic_openssl(void)
{
	struct cosign_keys *k = keys("ec.pub", NULL), *ked = keys("ed.pub", NULL);
	struct cosign_keys *k2 = keys("ec2.pub", NULL), *none = keys(NULL, NULL);
	struct img_err e = {};
	char *p, *sig, *sig_ed, *sig_other, *other_payload;
	size_t len, other_len;

	CHECK_EQ_INT(cosign_payload_build("127.0.0.1:5000/ebpf/x", DIGEST, &p, &len), 0);
	write_file("payload.json", p, len);
	CHECK_EQ_INT(cosign_payload_build("127.0.0.1:5000/ebpf/x", OTHER, &other_payload, &other_len),
		     0);
	write_file("other.json", other_payload, other_len);
	sh("openssl dgst -sha256 -sign ec.key -out sig.der payload.json");
	sh("openssl dgst -sha256 -sign ec.key -out other.der other.json");
	sh("openssl pkeyutl -sign -rawin -inkey ed.key -in payload.json -out sig.ed");
	sig = file_b64("sig.der");
	sig_ed = file_b64("sig.ed");
	sig_other = file_b64("other.der");

	CHECK_EQ_INT(cosign_check_simple(k, p, len, sig, false, DIGEST, &e), COSIGN_REJECT_NONE);
	CHECK_EQ_INT(cosign_check_simple(ked, p, len, sig_ed, false, DIGEST, &e),
		     COSIGN_REJECT_NONE);
	/* a trusted key among untrusted ones */
	CHECK_EQ_INT(cosign_check_simple(k2, p, len, sig, false, DIGEST, &e), COSIGN_REJECT_NO_KEY);
	CHECK(strstr(e.msg, "no trusted key verifies"));
	img_err_clear(&e);
	CHECK_EQ_INT(cosign_check_simple(none, p, len, sig, false, DIGEST, &e),
		     COSIGN_REJECT_NO_KEY);
	CHECK(strstr(e.msg, "no trusted public key is configured"));
	img_err_clear(&e);
	/* one byte of the payload changed */
	p[len - 3] ^= 1;
	CHECK_EQ_INT(cosign_check_simple(k, p, len, sig, false, DIGEST, &e), COSIGN_REJECT_NO_KEY);
	p[len - 3] ^= 1;
	/* one byte of the signature changed (in its base64 text: another value) */
	sig[10] = sig[10] == 'A' ? 'B' : 'A';
	CHECK_EQ_INT(cosign_check_simple(k, p, len, sig, false, DIGEST, &e), COSIGN_REJECT_NO_KEY);
	CHECK_EQ_INT(cosign_check_simple(k, p, len, "%%%", false, DIGEST, &e),
		     COSIGN_REJECT_MALFORMED);
	CHECK_EQ_INT(cosign_check_simple(k, p, len, NULL, false, DIGEST, &e),
		     COSIGN_REJECT_MALFORMED);
	/* a good signature of another image */
	img_err_clear(&e);
	CHECK_EQ_INT(cosign_check_simple(k, other_payload, other_len, sig_other, false, DIGEST, &e),
		     COSIGN_REJECT_OTHER_DIGEST);
	CHECK(strstr(e.msg, OTHER));
	/* a Fulcio certificate and no key of ours */
	img_err_clear(&e);
	CHECK_EQ_INT(cosign_check_simple(k2, p, len, sig_ed, true, DIGEST, &e),
		     COSIGN_REJECT_KEYLESS);
	CHECK(strstr(e.msg, "keyless") && strstr(e.msg, "internet"));
	/* an Ed25519 signature does not pass as ECDSA, nor the reverse */
	CHECK_EQ_INT(cosign_check_simple(k, p, len, sig_ed, false, DIGEST, &e),
		     COSIGN_REJECT_NO_KEY);
	CHECK_EQ_INT(cosign_check_simple(ked, p, len, sig_other, false, DIGEST, &e),
		     COSIGN_REJECT_NO_KEY);

	free(p);
	free(other_payload);
	free(sig);
	free(sig_ed);
	free(sig_other);
	cosign_keys_free(k);
	cosign_keys_free(ked);
	cosign_keys_free(k2);
	cosign_keys_free(none);
}

/* Our signer, checked by the openssl CLI and by our verifier. */
static void test_our_signer(void)
{
	static const char *const names[] = { "ec.key", "ed.key", "ec2-enc.key" };
	struct cosign_keys *k = keys("ec.pub", "ed.pub"), *k2 = keys("ec2.pub", NULL);
	struct img_err e = {};

	for (size_t i = 0; i < 3; i++) {
		EVP_PKEY *key = NULL;
		char *p = NULL, *sig = NULL;
		unsigned char *der = NULL;
		size_t len = 0, der_len = 0;

		CHECK_EQ_INT(cosign_privkey_load(path(names[i]), i == 2 ? "s3cret" : NULL, &key, &e),
			     0);
		if (!key)
			continue;
		CHECK_EQ_INT(cosign_simple_sign(key, "reg.example/ebpf/x", DIGEST, &p, &len, &sig), 0);
		CHECK_EQ_INT(cosign_check_simple(i == 2 ? k2 : k, p, len, sig, false, DIGEST, &e),
			     COSIGN_REJECT_NONE);
		CHECK_EQ_INT(cosign_check_simple(i == 2 ? k : k2, p, len, sig, false, DIGEST, &e),
			     COSIGN_REJECT_NO_KEY);
		write_file("ours.json", p, len);
		CHECK_EQ_INT(cosign_b64_decode(sig, &der, &der_len), 0);
		write_file("ours.sig", der, der_len);
		if (i == 0)
			sh("openssl dgst -sha256 -verify ec.pub -signature ours.sig ours.json >/dev/null");
		else if (i == 1)
			sh("openssl pkeyutl -verify -pubin -inkey ed.pub -rawin -in ours.json -sigfile ours.sig >/dev/null");
		else
			sh("openssl dgst -sha256 -verify ec2.pub -signature ours.sig ours.json >/dev/null");
		free(der);
		free(p);
		free(sig);
		EVP_PKEY_free(key);
	}
	cosign_keys_free(k);
	cosign_keys_free(k2);
}

static void test_pae(void)
{
	static const char want[] = "DSSEv1 28 application/vnd.in-toto+json 5 hello";
	unsigned char *pae = NULL;
	size_t len = 0;

	CHECK_EQ_INT(cosign_dsse_pae(COSIGN_INTOTO_PAYLOAD_TYPE, "hello", 5, &pae, &len), 0);
	CHECK_EQ_INT(len, strlen(want));
	CHECK(pae && !memcmp(pae, want, len));
	free(pae);
	/* the empty body and a body with NULs: lengths are bytes */
	CHECK_EQ_INT(cosign_dsse_pae("t", "a\0b", 3, &pae, &len), 0);
	CHECK(len == 16 && !memcmp(pae, "DSSEv1 1 t 3 a\0b", 16));
	free(pae);
}

/* A bundle as cosign 3 writes one (DSSE envelope, in-toto statement), signed by the openssl
 * CLI over the PAE our test computes by hand. */
static char *make_bundle(const char *key, const char *subject_digest, const char *material,
			 const char *payload_type, bool tamper)
{
	char stmt[1024], *stmt_b64, *sig_b64, *out;
	size_t stmt_len;
	FILE *f;

	stmt_len = (size_t)snprintf(
		stmt, sizeof(stmt),
		"{\"_type\":\"https://in-toto.io/Statement/v1\",\"subject\":[{\"name\":\"x\",\"digest\":{\"sha256\":\"%s\"}}],"
		"\"predicateType\":\"https://sigstore.dev/cosign/sign/v1\",\"predicate\":{}}",
		subject_digest + 7);
	f = fopen(path("pae.bin"), "we");
	fprintf(f, "DSSEv1 %zu %s %zu ", strlen(payload_type), payload_type, stmt_len);
	fwrite(stmt, 1, stmt_len, f);
	fclose(f);
	if (!strcmp(key, "ed.key"))
		sh("openssl pkeyutl -sign -rawin -inkey ed.key -in pae.bin -out pae.sig");
	else
		sh("openssl dgst -sha256 -sign %s -out pae.sig pae.bin", key);
	if (tamper)
		stmt[stmt_len - 3] = ' ';
	stmt_b64 = cosign_b64_encode(stmt, stmt_len);
	sig_b64 = file_b64("pae.sig");
	CHECK(asprintf(&out,
		       "{\"mediaType\":\"application/vnd.dev.sigstore.bundle.v0.3+json\","
		       "\"verificationMaterial\":%s,"
		       "\"dsseEnvelope\":{\"payload\":\"%s\",\"payloadType\":\"%s\",\"signatures\":[{\"sig\":\"%s\"}]}}",
		       material, stmt_b64, payload_type, sig_b64) > 0);
	free(stmt_b64);
	free(sig_b64);
	return out;
}

static void test_bundle(void)
{
	static const char key_material[] = "{\"publicKey\":{\"hint\":\"abc\"},\"tlogEntries\":[]}";
	static const char cert_material[] = "{\"certificate\":{\"rawBytes\":\"MIIB\"}}";
	static const char msg_bundle[] =
		"{\"mediaType\":\"application/vnd.dev.sigstore.bundle.v0.3+json\",\"verificationMaterial\":{\"publicKey\":{}},"
		"\"messageSignature\":{\"messageDigest\":{\"algorithm\":\"SHA2_256\",\"digest\":\"AA==\"},\"signature\":\"AA==\"}}";
	struct cosign_keys *k = keys("ec.pub", "ed.pub"), *k2 = keys("ec2.pub", NULL);
	struct img_err e = {};
	char *b;

	b = make_bundle("ec.key", DIGEST, key_material, COSIGN_INTOTO_PAYLOAD_TYPE, false);
	CHECK_EQ_INT(cosign_check_bundle(k, b, strlen(b), DIGEST, &e), COSIGN_REJECT_NONE);
	CHECK_EQ_INT(cosign_check_bundle(k2, b, strlen(b), DIGEST, &e), COSIGN_REJECT_NO_KEY);
	img_err_clear(&e);
	CHECK_EQ_INT(cosign_check_bundle(k, b, strlen(b), OTHER, &e), COSIGN_REJECT_OTHER_DIGEST);
	CHECK(strstr(e.msg, "not for"));
	free(b);
	b = make_bundle("ed.key", DIGEST, key_material, COSIGN_INTOTO_PAYLOAD_TYPE, false);
	CHECK_EQ_INT(cosign_check_bundle(k, b, strlen(b), DIGEST, &e), COSIGN_REJECT_NONE);
	free(b);
	b = make_bundle("ec.key", DIGEST, key_material, COSIGN_INTOTO_PAYLOAD_TYPE, true);
	CHECK_EQ_INT(cosign_check_bundle(k, b, strlen(b), DIGEST, &e), COSIGN_REJECT_NO_KEY);
	free(b);
	/* keyless: refused whatever the signature, with the reason */
	b = make_bundle("ec.key", DIGEST, cert_material, COSIGN_INTOTO_PAYLOAD_TYPE, false);
	img_err_clear(&e);
	CHECK_EQ_INT(cosign_check_bundle(k, b, strlen(b), DIGEST, &e), COSIGN_REJECT_KEYLESS);
	CHECK(strstr(e.msg, "Fulcio") && strstr(e.msg, "internet"));
	free(b);
	b = make_bundle("ec.key", DIGEST, key_material, "application/json", false);
	CHECK_EQ_INT(cosign_check_bundle(k, b, strlen(b), DIGEST, &e), COSIGN_REJECT_MALFORMED);
	free(b);
	img_err_clear(&e);
	CHECK_EQ_INT(cosign_check_bundle(k, msg_bundle, strlen(msg_bundle), DIGEST, &e),
		     COSIGN_REJECT_MALFORMED);
	CHECK(strstr(e.msg, "message signature"));
	CHECK_EQ_INT(cosign_check_bundle(k, "{}", 2, DIGEST, &e), COSIGN_REJECT_MALFORMED);
	cosign_keys_free(k);
	cosign_keys_free(k2);
}

static void test_sig_manifest(void)
{
	struct cosign_sig_manifest m = {};
	struct img_err e = {};
	char *man = NULL, *cfg = NULL, *man2 = NULL, *cfg2 = NULL, *man3 = NULL, *cfg3 = NULL;
	size_t man_len, cfg_len, man2_len, cfg2_len, man3_len, cfg3_len;
	char cfg_digest[72];
	bool added = false;
	json_t *j;

	CHECK_EQ_INT(cosign_sig_manifest_add(NULL, 0, DIGEST, 244, "c2ln", &man, &man_len, &cfg,
					     &cfg_len, &added, &e),
		     0);
	CHECK(added);
	j = json_loadb(man, man_len, 0, NULL);
	cosign_sha256_digest(cfg, cfg_len, cfg_digest);
	CHECK_STREQ(json_string_value(json_object_get(json_object_get(j, "config"), "digest")),
		    cfg_digest);
	CHECK_STREQ(json_string_value(json_object_get(j, "mediaType")),
		    "application/vnd.oci.image.manifest.v1+json");
	json_decref(j);
	j = json_loadb(cfg, cfg_len, 0, NULL);
	CHECK_STREQ(json_string_value(json_array_get(
			    json_object_get(json_object_get(j, "rootfs"), "diff_ids"), 0)),
		    DIGEST);
	json_decref(j);

	CHECK_EQ_INT(cosign_sig_manifest_add(man, man_len, OTHER, 250, "c2lnMg==", &man2, &man2_len,
					     &cfg2, &cfg2_len, &added, &e),
		     0);
	CHECK(added);
	CHECK_EQ_INT(cosign_sig_manifest_parse(man2, man2_len, &m, &e), 0);
	CHECK_EQ_INT(m.n, 2);
	if (m.n == 2) {
		CHECK_STREQ(m.layers[0].digest, DIGEST);
		CHECK_STREQ(m.layers[0].signature, "c2ln");
		CHECK_EQ_INT(m.layers[0].size, 244);
		CHECK_STREQ(m.layers[1].digest, OTHER);
		CHECK(!m.layers[1].has_cert && !m.layers[1].bundle);
	}
	cosign_sig_manifest_clear(&m);
	/* the same signature again is not added twice */
	CHECK_EQ_INT(cosign_sig_manifest_add(man2, man2_len, DIGEST, 244, "c2ln", &man3, &man3_len,
					     &cfg3, &cfg3_len, &added, &e),
		     0);
	CHECK(!added);
	CHECK_EQ_INT(cosign_sig_manifest_parse(man3, man3_len, &m, &e), 0);
	CHECK_EQ_INT(m.n, 2);
	cosign_sig_manifest_clear(&m);

	/* layers of other types are skipped; a layer with a bad digest is an error */
	{
		static const char mixed[] =
			"{\"schemaVersion\":2,\"layers\":[{\"mediaType\":\"application/octet-stream\",\"digest\":\"x\",\"size\":1},"
			"{\"mediaType\":\"application/vnd.dev.cosign.simplesigning.v1+json\",\"digest\":\"sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef\",\"size\":3,"
			"\"annotations\":{\"dev.sigstore.cosign/certificate\":\"PEM\"}}]}";
		static const char bad[] =
			"{\"layers\":[{\"mediaType\":\"application/vnd.dev.cosign.simplesigning.v1+json\",\"digest\":\"sha256:AB\",\"size\":3}]}";

		CHECK_EQ_INT(cosign_sig_manifest_parse(mixed, strlen(mixed), &m, &e), 0);
		CHECK_EQ_INT(m.n, 1);
		CHECK(m.n == 1 && m.layers[0].has_cert && !m.layers[0].signature);
		cosign_sig_manifest_clear(&m);
		CHECK_EQ_INT(cosign_sig_manifest_parse(bad, strlen(bad), &m, &e), -EINVAL);
		CHECK_EQ_INT(cosign_sig_manifest_parse("[]", 2, &m, &e), -EINVAL);
	}
	free(man);
	free(cfg);
	free(man2);
	free(cfg2);
	free(man3);
	free(cfg3);
}

static void test_referrers(void)
{
	static const char idx[] =
		"{\"schemaVersion\":2,\"mediaType\":\"application/vnd.oci.image.index.v1+json\",\"manifests\":["
		"{\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\",\"digest\":\"sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef\",\"size\":1,\"artifactType\":\"application/spdx+json\"},"
		"{\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\",\"digest\":\"sha256:fedcba9876543210fedcba9876543210fedcba9876543210fedcba9876543210\",\"size\":1,\"artifactType\":\"application/vnd.dev.sigstore.bundle.v0.3+json\"},"
		"{\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\",\"digest\":\"sha256:bad\",\"size\":1,\"artifactType\":\"application/vnd.dev.sigstore.bundle.v0.3+json\"}]}";
	struct img_err e = {};
	char **d = NULL, **t = NULL;
	size_t n = 0;

	CHECK_EQ_INT(cosign_referrers_parse(idx, strlen(idx), &d, &t, &n, &e), 0);
	CHECK_EQ_INT(n, 1);
	if (n == 1) {
		CHECK_STREQ(d[0], OTHER);
		CHECK_STREQ(t[0], COSIGN_MT_BUNDLE_V03);
		free(d[0]);
		free(t[0]);
	}
	free(d);
	free(t);
	CHECK_EQ_INT(cosign_referrers_parse("{}", 2, &d, &t, &n, &e), -EINVAL);
}

int main(void)
{
	if (system("openssl version >/dev/null 2>&1") != 0) {
		fprintf(stderr, "the openssl CLI is needed for the test vectors\n");
		return 77;
	}
	if (!mkdtemp(dir)) {
		perror("mkdtemp");
		return 1;
	}
	make_keys();
	test_key_loading();
	test_base64();
	test_payload();
	test_classic_openssl();
	test_our_signer();
	test_pae();
	test_bundle();
	test_sig_manifest();
	test_referrers();
	{
		char cmd[300];

		/* dir is the mkdtemp result: never empty */
		snprintf(cmd, sizeof(cmd), "rm -rf -- '%s'", dir);
		(void)!system(cmd);
	}
	return TEST_RESULT();
}
