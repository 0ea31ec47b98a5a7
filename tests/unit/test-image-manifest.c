/* Manifests, indexes and config labels: both media-type families parse; every malformed
 * document is refused with -EINVAL and a message naming the field; the index pick follows
 * containerd's platform rules for amd64, arm64, arm and others, and names what the index
 * offers when nothing fits. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "image-manifest.h"
#include "test-util.h"

#define CHECK_CONTAINS(hay, needle)                                                          \
	do {                                                                                 \
		if (!strstr((hay), (needle))) {                                              \
			fprintf(stderr, "%s:%d: '%s' does not contain '%s'\n", __FILE__,     \
				__LINE__, (hay), (needle));                                  \
			test_failures++;                                                     \
		}                                                                            \
	} while (0)

#define H64(c) c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c \
	c c c c c c c c c c c c c c c c c c c c c c c c
#define DA "sha256:" H64("a")
#define DB "sha256:" H64("b")
#define DC "sha256:" H64("c")
#define DD "sha256:" H64("d")
#define DE "sha256:" H64("e")

static const char oci_manifest[] =
	"{\"schemaVersion\":2,\"mediaType\":\"" MT_OCI_MANIFEST "\","
	"\"config\":{\"mediaType\":\"" MT_OCI_CONFIG "\",\"digest\":\"" DA "\",\"size\":233},"
	"\"layers\":[{\"mediaType\":\"" MT_OCI_LAYER_TGZ "\",\"digest\":\"" DB "\",\"size\":4096,"
	"\"annotations\":{\"org.opencontainers.image.title\":\"prog.o\"}}],"
	"\"annotations\":{\"k\":\"v\"},\"unknownField\":[1,2]}";

static const char docker_manifest[] =
	"{\"schemaVersion\":2,\"mediaType\":\"" MT_DOCKER_MANIFEST "\","
	"\"config\":{\"mediaType\":\"" MT_DOCKER_CONFIG "\",\"digest\":\"" DA "\",\"size\":10},"
	"\"layers\":[{\"mediaType\":\"" MT_DOCKER_LAYER_TGZ "\",\"digest\":\"" DB "\",\"size\":0}]}";

static const char referrer_manifest[] =
	"{\"schemaVersion\":2,\"artifactType\":\"application/vnd.dev.sigstore.bundle.v0.3+json\","
	"\"config\":{\"mediaType\":\"application/vnd.oci.empty.v1+json\",\"digest\":\"" DA
	"\",\"size\":2},\"layers\":[],"
	"\"subject\":{\"mediaType\":\"" MT_OCI_MANIFEST "\",\"digest\":\"" DC "\",\"size\":500}}";

static void test_manifest_good(void)
{
	struct image_manifest m = { 0 };
	struct img_err e = { { 0 } };

	CHECK_EQ_INT(image_manifest_parse(oci_manifest, strlen(oci_manifest), &m, &e), 0);
	CHECK_STREQ(m.media_type, MT_OCI_MANIFEST);
	CHECK_STREQ(m.config.digest, DA);
	CHECK_EQ_INT(m.config.size, 233);
	CHECK_EQ_INT(m.n_layers, 1);
	CHECK_STREQ(m.layers[0].media_type, MT_OCI_LAYER_TGZ);
	CHECK_EQ_INT(m.layers[0].size, 4096);
	CHECK_STREQ(kv_list_get(&m.layers[0].annotations, "org.opencontainers.image.title"),
		    "prog.o");
	CHECK_STREQ(kv_list_get(&m.annotations, "k"), "v");
	CHECK(m.subject.digest == NULL);
	image_manifest_clear(&m);

	CHECK_EQ_INT(image_manifest_parse(docker_manifest, strlen(docker_manifest), &m, &e), 0);
	CHECK_STREQ(m.media_type, MT_DOCKER_MANIFEST);
	CHECK_STREQ(m.config.media_type, MT_DOCKER_CONFIG);
	CHECK_STREQ(m.layers[0].media_type, MT_DOCKER_LAYER_TGZ);
	CHECK_EQ_INT(m.layers[0].size, 0);
	image_manifest_clear(&m);

	/* No mediaType (allowed by OCI), an empty layer list and a subject: a referrer. */
	CHECK_EQ_INT(image_manifest_parse(referrer_manifest, strlen(referrer_manifest), &m, &e), 0);
	CHECK_STREQ(m.media_type, MT_OCI_MANIFEST);
	CHECK_EQ_INT(m.n_layers, 0);
	CHECK_STREQ(m.subject.digest, DC);
	CHECK_EQ_INT(m.subject.size, 500);
	image_manifest_clear(&m);
	CHECK_STREQ(e.msg, "");
}

static void test_manifest_bad(void)
{
#define CFG "\"config\":{\"mediaType\":\"x\",\"digest\":\"" DA "\",\"size\":1}"
#define LAYER(d, s) "{\"mediaType\":\"x\",\"digest\":\"" d "\",\"size\":" s "}"
	static const struct {
		const char *doc, *msg;
	} bad[] = {
		{ "", "manifest: empty document" },
		{ "{\"schemaVersion\":2,", "manifest: not valid JSON" },
		{ "[1]", "manifest: not a JSON object" },
		{ "{\"config\":{},\"layers\":[]}", "manifest: schemaVersion: missing" },
		{ "{\"schemaVersion\":1," CFG ",\"layers\":[]}",
		  "manifest: a Docker schema 1 manifest (schemaVersion 1), which is not supported" },
		{ "{\"schemaVersion\":\"2\"," CFG ",\"layers\":[]}", "schemaVersion: must be 2" },
		{ "{\"schemaVersion\":2,\"schemaVersion\":2," CFG ",\"layers\":[]}",
		  "duplicate object key" },
		{ "{\"schemaVersion\":2,\"mediaType\":\"" MT_OCI_INDEX "\"," CFG ",\"layers\":[]}",
		  "manifest: mediaType: \"application/vnd.oci.image.index.v1+json\" is not" },
		{ "{\"schemaVersion\":2,\"mediaType\":5," CFG ",\"layers\":[]}",
		  "manifest: mediaType: not a string" },
		{ "{\"schemaVersion\":2,\"layers\":[]}", "manifest: config: missing" },
		{ "{\"schemaVersion\":2,\"config\":[],\"layers\":[]}", "manifest: config: not a JSON" },
		{ "{\"schemaVersion\":2," CFG "}", "manifest: layers: missing" },
		{ "{\"schemaVersion\":2," CFG ",\"layers\":{}}", "manifest: layers: not an array" },
		{ "{\"schemaVersion\":2," CFG ",\"layers\":[7]}",
		  "manifest: layers[0]: not a JSON object" },
		{ "{\"schemaVersion\":2," CFG ",\"layers\":[{\"digest\":\"" DB "\",\"size\":1}]}",
		  "manifest: layers[0].mediaType: missing" },
		{ "{\"schemaVersion\":2," CFG ",\"layers\":[{\"mediaType\":\"x\",\"size\":1}]}",
		  "manifest: layers[0].digest: missing" },
		{ "{\"schemaVersion\":2," CFG ",\"layers\":[" LAYER("sha256:abc", "1") "]}",
		  "layers[0].digest: \"sha256:abc\" is not sha256:<64 lower-case hex>" },
		{ "{\"schemaVersion\":2," CFG ",\"layers\":[" LAYER("sha256:" H64("A"), "1") "]}",
		  "layers[0].digest" },
		{ "{\"schemaVersion\":2," CFG ",\"layers\":[" LAYER("sha512:" H64("a"), "1") "]}",
		  "layers[0].digest" },
		{ "{\"schemaVersion\":2," CFG ",\"layers\":[" LAYER(DB "0", "1") "]}",
		  "layers[0].digest" },
		{ "{\"schemaVersion\":2," CFG ",\"layers\":[" LAYER(DB, "-1") "]}",
		  "manifest: layers[0].size: negative (-1)" },
		{ "{\"schemaVersion\":2," CFG ",\"layers\":[" LAYER(DB, "1.5") "]}",
		  "manifest: layers[0].size: not an integer" },
		{ "{\"schemaVersion\":2," CFG ",\"layers\":[" LAYER(DB, "\"1\"") "]}",
		  "manifest: layers[0].size: not an integer" },
		{ "{\"schemaVersion\":2," CFG ",\"layers\":[" LAYER(DB, "2199023255553") "]}",
		  "manifest: layers[0].size: 2199023255553 is too large" },
		{ "{\"schemaVersion\":2," CFG ",\"layers\":[" LAYER(DB, "99999999999999999999") "]}",
		  "not valid JSON" },
		{ "{\"schemaVersion\":2," CFG ",\"layers\":[{\"mediaType\":\"x\",\"digest\":\"" DB
		  "\"}]}",
		  "manifest: layers[0].size: missing" },
		{ "{\"schemaVersion\":2," CFG ",\"layers\":[],\"annotations\":{\"a\":1}}",
		  "manifest: annotations: value of \"a\" is not a string" },
		{ "{\"schemaVersion\":2," CFG ",\"layers\":[],\"subject\":{\"mediaType\":\"x\"}}",
		  "manifest: subject.digest: missing" },
	};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct image_manifest m = { 0 };
		struct img_err e = { { 0 } };
		int r = image_manifest_parse(bad[i].doc, strlen(bad[i].doc), &m, &e);

		if (r != -EINVAL)
			fprintf(stderr, "case %zu (%s): %d\n", i, bad[i].doc, r);
		CHECK_EQ_INT(r, -EINVAL);
		CHECK_CONTAINS(e.msg, bad[i].msg);
		CHECK(m.layers == NULL && m.media_type == NULL);
	}
}

#define ENTRY(mt, d, plat) "{\"mediaType\":\"" mt "\",\"digest\":\"" d "\",\"size\":100" plat "}"
#define PLAT(os, arch) ",\"platform\":{\"os\":\"" os "\",\"architecture\":\"" arch "\"}"
#define PLATV(os, arch, v)                                                                 \
	",\"platform\":{\"os\":\"" os "\",\"architecture\":\"" arch "\",\"variant\":\"" v "\"}"

static int parse_index(const char *doc, struct image_index *x)
{
	struct img_err e = { { 0 } };
	int r = image_index_parse(doc, strlen(doc), x, &e);

	if (r < 0)
		fprintf(stderr, "index parse: %s\n", e.msg);
	return r;
}

/* The digest the pick gives for a platform, or the error. */
static const char *pick(const struct image_index *x, const char *arch, const char *variant,
			struct img_err *e)
{
	const struct image_descriptor *d = NULL;

	img_err_clear(e);
	if (image_index_pick_platform(x, "linux", arch, variant, &d, e) < 0)
		return "ERR";
	return d->digest;
}

static void test_index(void)
{
	static const char multi[] =
		"{\"schemaVersion\":2,\"mediaType\":\"" MT_OCI_INDEX "\",\"manifests\":["
		ENTRY(MT_OCI_MANIFEST, DA, PLAT("linux", "amd64")) ","
		ENTRY(MT_OCI_MANIFEST, DB, PLATV("linux", "arm64", "v8")) ","
		ENTRY(MT_OCI_MANIFEST, DC, PLATV("linux", "arm", "v6")) ","
		ENTRY(MT_OCI_MANIFEST, DD, PLAT("windows", "s390x")) ","
		ENTRY(MT_OCI_MANIFEST, DE, PLAT("unknown", "unknown")) "]}";
	static const char docker_list[] =
		"{\"schemaVersion\":2,\"mediaType\":\"" MT_DOCKER_LIST "\",\"manifests\":["
		ENTRY(MT_DOCKER_MANIFEST, DA, PLATV("linux", "amd64", "v3")) ","
		ENTRY(MT_DOCKER_MANIFEST, DB, PLAT("Linux", "x86_64")) ","
		ENTRY(MT_DOCKER_MANIFEST, DC, PLAT("linux", "386")) ","
		ENTRY(MT_DOCKER_MANIFEST, DD, PLAT("linux", "aarch64")) "]}";
	static const char unplatformed[] =
		"{\"schemaVersion\":2,\"manifests\":["
		ENTRY(MT_OCI_INDEX, DA, PLAT("linux", "amd64")) ","
		ENTRY(MT_OCI_MANIFEST, DB, "") ","
		ENTRY(MT_OCI_MANIFEST, DC, PLAT("linux", "ppc64le")) "]}";
	struct image_index x = { 0 };
	struct img_err e;

	CHECK_EQ_INT(parse_index(multi, &x), 0);
	CHECK_STREQ(x.media_type, MT_OCI_INDEX);
	CHECK_EQ_INT(x.n_manifests, 5);
	CHECK_STREQ(x.manifests[1].variant, "v8");
	CHECK(x.manifests[0].variant == NULL);
	CHECK_STREQ(pick(&x, "amd64", NULL, &e), DA);
	CHECK_STREQ(pick(&x, "x86_64", NULL, &e), DA);
	/* arm64 with or without v8, or as aarch64: the v8 entry. */
	CHECK_STREQ(pick(&x, "arm64", "v8", &e), DB);
	CHECK_STREQ(pick(&x, "arm64", NULL, &e), DB);
	CHECK_STREQ(pick(&x, "aarch64", NULL, &e), DB);
	/* arm/v7 runs v6; arm/v5 runs nothing newer. */
	CHECK_STREQ(pick(&x, "arm", "v7", &e), DC);
	CHECK_STREQ(pick(&x, "armhf", NULL, &e), DC);
	CHECK_STREQ(pick(&x, "arm", "v5", &e), "ERR");
	CHECK_CONTAINS(e.msg, "no manifest for linux/arm/v5");
	/* windows/s390x is not linux. */
	CHECK_STREQ(pick(&x, "s390x", NULL, &e), "ERR");
	CHECK_CONTAINS(e.msg, "no manifest for linux/s390x (it has: linux/amd64, linux/arm64/v8, "
			      "linux/arm/v6, windows/s390x, unknown/unknown)");
	image_index_clear(&x);

	CHECK_EQ_INT(parse_index(docker_list, &x), 0);
	CHECK_STREQ(x.media_type, MT_DOCKER_LIST);
	/* amd64 (v1) does not run v3 but takes the x86_64 (= amd64) entry. */
	CHECK_STREQ(pick(&x, "amd64", NULL, &e), DB);
	/* amd64/v3 prefers its exact variant. */
	CHECK_STREQ(pick(&x, "amd64", "v3", &e), DA);
	/* amd64/v2 runs neither v3 nor... but runs plain amd64. */
	CHECK_STREQ(pick(&x, "amd64", "v2", &e), DB);
	CHECK_STREQ(pick(&x, "386", NULL, &e), DC);
	CHECK_STREQ(pick(&x, "arm64", NULL, &e), DD);
	image_index_clear(&x);

	/* The 386 fallback of amd64 comes after every amd64 entry. */
	{
		static const char only386[] =
			"{\"schemaVersion\":2,\"manifests\":["
			ENTRY(MT_OCI_MANIFEST, DC, PLAT("linux", "386")) ","
			ENTRY(MT_OCI_MANIFEST, DA, PLATV("linux", "amd64", "v4")) "]}";

		CHECK_EQ_INT(parse_index(only386, &x), 0);
		CHECK_STREQ(pick(&x, "amd64", NULL, &e), DC);
		CHECK_STREQ(pick(&x, "amd64", "v4", &e), DA);
		image_index_clear(&x);
	}

	/* Nested indexes are not picked; entries without a platform come after a match. */
	CHECK_EQ_INT(parse_index(unplatformed, &x), 0);
	CHECK_STREQ(x.media_type, MT_OCI_INDEX);
	CHECK_STREQ(pick(&x, "ppc64le", NULL, &e), DC);
	CHECK_STREQ(pick(&x, "amd64", NULL, &e), DB);
	image_index_clear(&x);

	/* The host's own pick. */
	{
		const char *os, *arch, *variant;
		const struct image_descriptor *d = NULL;
		char doc[1024];

		image_host_platform(&os, &arch, &variant);
		CHECK_STREQ(os, "linux");
		CHECK(strcmp(arch, "unknown") != 0);
#if defined(__x86_64__)
		CHECK_STREQ(arch, "amd64");
#elif defined(__aarch64__)
		CHECK_STREQ(arch, "arm64");
#endif
		snprintf(doc, sizeof(doc),
			 "{\"schemaVersion\":2,\"manifests\":["
			 ENTRY(MT_OCI_MANIFEST, DA, PLAT("linux", "mips64")) ","
			 "{\"mediaType\":\"" MT_OCI_MANIFEST "\",\"digest\":\"" DB "\",\"size\":1,"
			 "\"platform\":{\"os\":\"linux\",\"architecture\":\"%s\"%s%s%s}}]}",
			 arch, variant ? ",\"variant\":\"" : "", variant ? variant : "",
			 variant ? "\"" : "");
		CHECK_EQ_INT(parse_index(doc, &x), 0);
		img_err_clear(&e);
		CHECK_EQ_INT(image_index_pick(&x, &d, &e), 0);
		CHECK(d && strcmp(d->digest, DB) == 0);
		image_index_clear(&x);
	}
}

static void test_index_bad(void)
{
	static const struct {
		const char *doc, *msg;
	} bad[] = {
		{ "{\"schemaVersion\":2}", "index: manifests: missing" },
		{ "{\"schemaVersion\":3,\"manifests\":[]}", "index: schemaVersion: must be 2" },
		{ "{\"schemaVersion\":2,\"mediaType\":\"" MT_OCI_MANIFEST "\",\"manifests\":[]}",
		  "index: mediaType" },
		{ "{\"schemaVersion\":2,\"manifests\":[" ENTRY("x", DA, ",\"platform\":{\"os\":\"linux\"}") "]}",
		  "index: manifests[0].platform.architecture: missing" },
		{ "{\"schemaVersion\":2,\"manifests\":[" ENTRY("x", DA, ",\"platform\":7") "]}",
		  "index: manifests[0].platform: not a JSON object" },
		{ "{\"schemaVersion\":2,\"manifests\":[" ENTRY("x", "sha256:zz", "") "]}",
		  "index: manifests[0].digest" },
		{ "{\"schemaVersion\":2,\"manifests\":[{\"mediaType\":\"x\",\"digest\":\"" DA
		  "\",\"size\":-5}]}",
		  "index: manifests[0].size: negative" },
		{ "not json", "index: not valid JSON" },
	};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct image_index x = { 0 };
		struct img_err e = { { 0 } };

		CHECK_EQ_INT(image_index_parse(bad[i].doc, strlen(bad[i].doc), &x, &e), -EINVAL);
		CHECK_CONTAINS(e.msg, bad[i].msg);
		CHECK(x.manifests == NULL);
	}
}

static void test_is_index(void)
{
	static const char list_body[] = "{\"schemaVersion\":2,\"manifests\":[]}";
	static const char typed_body[] =
		"{\"schemaVersion\":2,\"mediaType\":\"" MT_DOCKER_LIST "\",\"manifests\":[]}";

	CHECK(image_is_index(MT_OCI_INDEX, NULL, 0));
	CHECK(image_is_index(MT_DOCKER_LIST "; charset=utf-8", NULL, 0));
	CHECK(!image_is_index(MT_OCI_MANIFEST, list_body, strlen(list_body)));
	CHECK(!image_is_index(MT_DOCKER_MANIFEST, NULL, 0));
	CHECK(image_is_index(NULL, list_body, strlen(list_body)));
	CHECK(image_is_index("application/json", typed_body, strlen(typed_body)));
	CHECK(!image_is_index(NULL, oci_manifest, strlen(oci_manifest)));
	CHECK(!image_is_index("application/json", referrer_manifest, strlen(referrer_manifest)));
	CHECK(!image_is_index(NULL, "garbage", 7));
}

static int labels(const char *config, struct image_labels *l, struct img_err *e)
{
	img_err_clear(e);
	memset(l, 0, sizeof(*l));
	return image_config_labels(config, strlen(config), l, e);
}

static void test_labels(void)
{
	struct image_labels l;
	struct img_err e;

	/* Current form, as bpfman's images carry it. */
	CHECK_EQ_INT(labels("{\"architecture\":\"amd64\",\"config\":{\"Labels\":{"
			    "\"io.ebpf.programs\":\"{\\\"xdp_stats\\\":\\\"xdp\\\","
			    "\\\"tc_count\\\":\\\"tc\\\"}\","
			    "\"io.ebpf.maps\":\"{\\\"xdp_stats_map\\\":\\\"per_cpu_array\\\"}\","
			    "\"io.ebpf.filename\":\"prog.o\",\"other\":\"x\"}},\"rootfs\":{}}",
			    &l, &e),
		     0);
	CHECK_EQ_INT(l.programs.n, 2);
	CHECK_STREQ(kv_list_get(&l.programs, "xdp_stats"), "xdp");
	CHECK_STREQ(kv_list_get(&l.programs, "tc_count"), "tc");
	CHECK_EQ_INT(l.maps.n, 1);
	CHECK_STREQ(kv_list_get(&l.maps, "xdp_stats_map"), "per_cpu_array");
	CHECK_STREQ(l.filename, "prog.o");
	image_labels_clear(&l);

	/* No io.ebpf.maps is fine: no maps. */
	CHECK_EQ_INT(labels("{\"config\":{\"Labels\":{\"io.ebpf.programs\":"
			    "\"{\\\"kprobe_counter\\\":\\\"kprobe\\\"}\"}}}",
			    &l, &e),
		     0);
	CHECK_EQ_INT(l.maps.n, 0);
	CHECK(l.filename == NULL);
	image_labels_clear(&l);

	/* The older single-program labels. */
	CHECK_EQ_INT(labels("{\"config\":{\"Labels\":{\"io.ebpf.program_name\":\"pass\","
			    "\"io.ebpf.bpf_function_name\":\"pass\","
			    "\"io.ebpf.program_type\":\"xdp\",\"io.ebpf.filename\":\"pass.bpf.o\"}}}",
			    &l, &e),
		     0);
	CHECK_EQ_INT(l.programs.n, 1);
	CHECK_STREQ(kv_list_get(&l.programs, "pass"), "xdp");
	CHECK_STREQ(l.filename, "pass.bpf.o");
	image_labels_clear(&l);

	static const struct {
		const char *doc, *msg;
	} bad[] = {
		{ "nope", "image config: not valid JSON" },
		{ "{\"config\":{}}", "image config: no labels" },
		{ "{\"config\":{\"Labels\":null}}", "image config: no labels" },
		{ "{\"config\":7}", "image config: config: not a JSON object" },
		{ "{\"config\":{\"Labels\":{\"a\":\"b\"}}}", "no label io.ebpf.programs" },
		{ "{\"config\":{\"Labels\":{\"io.ebpf.programs\":5}}}",
		  "config.Labels: value of \"io.ebpf.programs\" is not a string" },
		{ "{\"config\":{\"Labels\":{\"io.ebpf.programs\":\"{xdp\"}}}",
		  "label io.ebpf.programs: not valid JSON" },
		{ "{\"config\":{\"Labels\":{\"io.ebpf.programs\":\"[\\\"xdp\\\"]\"}}}",
		  "label io.ebpf.programs: not a JSON object" },
		{ "{\"config\":{\"Labels\":{\"io.ebpf.programs\":\"{\\\"f\\\":1}\"}}}",
		  "label io.ebpf.programs: value of \"f\" is not a string" },
		{ "{\"config\":{\"Labels\":{\"io.ebpf.programs\":\"{}\"}}}",
		  "io.ebpf.programs lists no program" },
		{ "{\"config\":{\"Labels\":{\"io.ebpf.programs\":\"{\\\"f\\\":\\\"\\\"}\"}}}",
		  "label io.ebpf.programs: empty name or type" },
		{ "{\"config\":{\"Labels\":{\"io.ebpf.programs\":\"{\\\"f\\\":\\\"xdp\\\"}\","
		  "\"io.ebpf.maps\":\"{\\\"m\\\":\"}}}",
		  "label io.ebpf.maps: not valid JSON" },
		{ "{\"config\":{\"Labels\":{\"io.ebpf.program_type\":\"xdp\"}}}",
		  "label io.ebpf.bpf_function_name is missing" },
		{ "{\"config\":{\"Labels\":{\"io.ebpf.bpf_function_name\":\"f\"}}}",
		  "label io.ebpf.program_type is missing (program f)" },
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		CHECK_EQ_INT(labels(bad[i].doc, &l, &e), -EINVAL);
		CHECK_CONTAINS(e.msg, bad[i].msg);
		CHECK(l.programs.n == 0 && l.filename == NULL);
	}
}

int main(void)
{
	test_manifest_good();
	test_manifest_bad();
	test_index();
	test_index_bad();
	test_is_index();
	test_labels();
	return TEST_RESULT();
}
