/* Unit tests of the pull's offline paths (no registry): policies against a cache made here
 * with the cache module's own calls, the label check before anything is used, the object
 * handed to a load, and the small helpers (--registry-auth, policy names). The network
 * paths are tested against a real registry (tests/integration/test-image-load.sh). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "bpfman.h"
#include "image-cache.h"
#include "image-pull.h"
#include "test-util.h"

static void digest_of(const void *data, size_t len, char out[72])
{
	unsigned char md[32];
	unsigned int n = 0;

	EVP_Digest(data, len, md, &n, EVP_sha256(), NULL);
	strcpy(out, "sha256:");
	for (int i = 0; i < 32; i++)
		sprintf(out + 7 + 2 * i, "%02x", md[i]);
}

static void put(struct image_cache *c, const char *data, char out[72])
{
	struct img_err e = { 0 };

	digest_of(data, strlen(data), out);
	CHECK_EQ_INT(image_cache_put(c, out, data, strlen(data), &e), 0);
}

/* A cached reference whose config lists fn_a and fn_b; the "object" is any bytes: the pull
 * hands it on, the load checks it. */
static void make_cached_image(const char *dir, const char *ref, char obj_digest[72])
{
	static const char config[] =
		"{\"architecture\":\"amd64\",\"os\":\"linux\",\"config\":{\"Labels\":"
		"{\"io.ebpf.programs\":\"{\\\"fn_a\\\":\\\"xdp\\\",\\\"fn_b\\\":\\\"kprobe\\\"}\"}}}";
	char cfg[72], man[72], layer[72];
	struct image_cache *c = NULL;
	struct img_err e = { 0 };
	struct image_cache_entry en = { 0 };

	CHECK_EQ_INT(image_cache_open(dir, &c, &e), 0);
	if (!c)
		return;
	put(c, config, cfg);
	put(c, "not really a layer", layer);
	put(c, "\177ELF not really an object", obj_digest);
	put(c, "{\"schemaVersion\":2}", man);
	en.ref = (char *)ref;
	en.manifest_digest = en.image_digest = man;
	en.config_digest = cfg;
	en.layer_digest = layer;
	en.object_digest = obj_digest;
	en.object_name = "x.bpf.o";
	en.object_size = strlen("\177ELF not really an object");
	en.pulled_at = 1;
	CHECK_EQ_INT(image_cache_ref_set(c, &en, &e), 0);
	if (e.msg[0])
		fprintf(stderr, "ref_set: %s\n", e.msg);
	image_cache_free(c);
}

static size_t count_blobs(const char *dir)
{
	char cmd[512];
	FILE *f;
	size_t n = 0;

	snprintf(cmd, sizeof(cmd), "find %s/blobs -type f 2>/dev/null | wc -l", dir);
	f = popen(cmd, "r");
	if (f) {
		if (fscanf(f, "%zu", &n) != 1)
			n = 0;
		pclose(f);
	}
	return n;
}

static void test_policies_offline(const char *dir)
{
	const char *ref = "127.0.0.1:1/ebpf/x:v1"; /* nothing listens on port 1 */
	const char *want_a[] = { "fn_a", NULL }, *want_c[] = { "fn_a", "fn_c", NULL };
	struct image_pull_opts o = { .url = ref, .cache_dir = dir, .verify_enabled = true };
	struct image_pulled p = { 0 };
	struct img_err e = { 0 };
	char obj[72];
	size_t blobs;
	int fd = -1;

	/* Never, not cached: the message of the contract, nothing made */
	o.policy = IMAGE_PULL_NEVER;
	CHECK_EQ_INT(image_pull(&o, &p, &e), -ENOENT);
	CHECK_STREQ(e.msg, "image 127.0.0.1:1/ebpf/x:v1 is not in the cache and the pull policy is Never");
	CHECK_EQ_INT(count_blobs(dir), 0);

	make_cached_image(dir, ref, obj);
	blobs = count_blobs(dir);
	CHECK_EQ_INT(blobs, 4);

	/* IfNotPresent and Never use the cache without any network (port 1 would refuse) */
	for (int pol = IMAGE_PULL_IF_NOT_PRESENT; pol <= IMAGE_PULL_NEVER; pol++) {
		img_err_clear(&e);
		o.policy = pol;
		o.functions = want_a;
		o.object_fd = &fd;
		CHECK_EQ_INT(image_pull(&o, &p, &e), 0);
		CHECK(p.from_cache);
		CHECK_STREQ(p.entry.object_digest, obj);
		CHECK_STREQ(kv_list_get(&p.labels.programs, "fn_b"), "kprobe");
		CHECK(fd >= 0);
		if (fd >= 0) {
			char head[4] = "";

			CHECK_EQ_INT(read(fd, head, 4), 4);
			CHECK(!memcmp(head, "\177ELF", 4));
			close(fd);
			fd = -1;
		}
		image_pulled_clear(&p);
	}

	/* a function the labels lack: named, with what the image has; the cache as it was */
	img_err_clear(&e);
	o.policy = IMAGE_PULL_IF_NOT_PRESENT;
	o.functions = want_c;
	CHECK_EQ_INT(image_pull(&o, &p, &e), -EINVAL);
	CHECK(strstr(e.msg, "function 'fn_c' is not in image 127.0.0.1:1/ebpf/x:v1") != NULL);
	CHECK(strstr(e.msg, "lists fn_a, fn_b") != NULL);
	CHECK_EQ_INT(fd, -1);
	CHECK_EQ_INT(count_blobs(dir), blobs);

	/* Always asks the registry: unreachable, an error, the cache unchanged */
	img_err_clear(&e);
	o.policy = IMAGE_PULL_ALWAYS;
	o.functions = NULL;
	o.object_fd = NULL;
	o.registry.connect_timeout_sec = 2;
	CHECK(image_pull(&o, &p, &e) < 0);
	CHECK(strstr(e.msg, "127.0.0.1:1") != NULL);
	CHECK_EQ_INT(count_blobs(dir), blobs);

	/* bad input */
	img_err_clear(&e);
	o.policy = 3;
	CHECK_EQ_INT(image_pull(&o, &p, &e), -EINVAL);
	img_err_clear(&e);
	o.policy = IMAGE_PULL_NEVER;
	o.url = "127.0.0.1:1/UPPER/x:v1";
	CHECK_EQ_INT(image_pull(&o, &p, &e), -EINVAL);
	CHECK(e.msg[0] != '\0');
}

static void test_auth_decode(void)
{
	char *u = NULL, *p = NULL;

	CHECK_EQ_INT(bpfman_registry_auth_decode("YWxpY2U6czNjcmV0", &u, &p), 0); /* alice:s3cret */
	CHECK_STREQ(u, "alice");
	CHECK_STREQ(p, "s3cret");
	free(u);
	free(p);
	u = p = NULL;
	/* a password may hold ':' (split at the first) and be empty */
	CHECK_EQ_INT(bpfman_registry_auth_decode("YTpiOmM=", &u, &p), 0); /* a:b:c */
	CHECK_STREQ(u, "a");
	CHECK_STREQ(p, "b:c");
	free(u);
	free(p);
	u = p = NULL;
	CHECK_EQ_INT(bpfman_registry_auth_decode("YTo=", &u, &p), 0); /* a: */
	CHECK_STREQ(p, "");
	free(u);
	free(p);
	CHECK_EQ_INT(bpfman_registry_auth_decode("", &u, &p), -EINVAL);
	CHECK_EQ_INT(bpfman_registry_auth_decode("not base64!", &u, &p), -EINVAL);
	CHECK_EQ_INT(bpfman_registry_auth_decode("YWxpY2U=", &u, &p), -EINVAL); /* no ':' */
	CHECK_EQ_INT(bpfman_registry_auth_decode("OnBhc3M=", &u, &p), -EINVAL); /* ":pass" */
	CHECK_EQ_INT(bpfman_registry_auth_decode("YQBiOmM=", &u, &p), -EINVAL); /* a NUL inside */
}

static void test_policy_names(void)
{
	CHECK_STREQ(bpfman_pull_policy_to_string(0), "Always");
	CHECK_STREQ(bpfman_pull_policy_to_string(1), "IfNotPresent");
	CHECK_STREQ(bpfman_pull_policy_to_string(2), "Never");
	CHECK(bpfman_pull_policy_to_string(3) == NULL);
	CHECK(bpfman_pull_policy_to_string(-1) == NULL);
	CHECK_EQ_INT(bpfman_pull_policy_from_string("ifnotpresent"), 1);
	CHECK_EQ_INT(bpfman_pull_policy_from_string("Never"), 2);
	CHECK_EQ_INT(bpfman_pull_policy_from_string("Sometimes"), -EINVAL);
	CHECK_EQ_INT(bpfman_pull_policy_from_string(NULL), -EINVAL);
}

int main(void)
{
	char dir[] = "/tmp/bpfman-image-pull-test.XXXXXX", cmd[128];

	test_auth_decode();
	test_policy_names();
	if (!mkdtemp(dir))
		return 1;
	test_policies_offline(dir);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	(void)!system(cmd);
	return TEST_RESULT();
}
