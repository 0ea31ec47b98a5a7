/* Unit tests for image references (src/lib/image/image-ref.c) and the registry client's
 * WWW-Authenticate parser (registry-auth.c). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "image-ref.h"
#include "registry-internal.h"
#include "test-util.h"

#define HEX64 "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

/* Parses s and expects the canonical form canon (and the parts). */
static void ref_ok(int line, const char *s, const char *registry, const char *repository,
		   const char *tag, const char *digest, const char *canon, const char *api_host)
{
	struct image_ref r = { 0 };
	struct img_err e = { 0 };
	char *f;
	int rc = image_ref_parse(s, &r, &e);

	if (rc != 0) {
		fprintf(stderr, "line %d: '%s' failed: %d %s\n", line, s, rc, e.msg);
		test_failures++;
		return;
	}
	f = image_ref_format(&r);
	if (strcmp(r.registry, registry) || strcmp(r.repository, repository) ||
	    (tag ? !r.tag || strcmp(r.tag, tag) : !!r.tag) ||
	    (digest ? !r.digest || strcmp(r.digest, digest) : !!r.digest) || !f ||
	    strcmp(f, canon) || strcmp(image_ref_api_host(&r), api_host)) {
		fprintf(stderr, "line %d: '%s' parsed as %s | %s | %s | %s -> %s (api %s)\n", line, s,
			r.registry, r.repository, r.tag ? r.tag : "-", r.digest ? r.digest : "-",
			f ? f : "-", image_ref_api_host(&r));
		test_failures++;
	}
	free(f);
	image_ref_clear(&r);
}

static void ref_bad(int line, const char *s, const char *msg_part)
{
	struct image_ref r = { 0 };
	struct img_err e = { 0 };
	int rc = image_ref_parse(s, &r, &e);

	if (rc != -EINVAL || !strstr(e.msg, msg_part) || r.registry || r.repository) {
		fprintf(stderr, "line %d: '%s': expected -EINVAL with '%s', got %d '%s'\n", line,
			s ? s : "(null)", msg_part, rc, e.msg);
		test_failures++;
	}
	image_ref_clear(&r);
}

static void test_refs(void)
{
	/* Docker Hub normalisation */
	ref_ok(__LINE__, "busybox", "docker.io", "library/busybox", "latest", NULL,
	       "docker.io/library/busybox:latest", "registry-1.docker.io");
	ref_ok(__LINE__, "bpfman/xdp:v1", "docker.io", "bpfman/xdp", "v1", NULL,
	       "docker.io/bpfman/xdp:v1", "registry-1.docker.io");
	ref_ok(__LINE__, "docker.io/busybox", "docker.io", "library/busybox", "latest", NULL,
	       "docker.io/library/busybox:latest", "registry-1.docker.io");
	ref_ok(__LINE__, "index.docker.io/library/busybox:1", "docker.io", "library/busybox", "1",
	       NULL, "docker.io/library/busybox:1", "registry-1.docker.io");
	/* other registries: no library/ */
	ref_ok(__LINE__, "quay.io/bpfman-bytecode/go-xdp-counter:latest", "quay.io",
	       "bpfman-bytecode/go-xdp-counter", "latest", NULL,
	       "quay.io/bpfman-bytecode/go-xdp-counter:latest", "quay.io");
	ref_ok(__LINE__, "quay.io/xdp", "quay.io", "xdp", "latest", NULL, "quay.io/xdp:latest",
	       "quay.io");
	/* ports, localhost, IPs */
	ref_ok(__LINE__, "127.0.0.1:5000/a/b:v2", "127.0.0.1:5000", "a/b", "v2", NULL,
	       "127.0.0.1:5000/a/b:v2", "127.0.0.1:5000");
	ref_ok(__LINE__, "localhost/x", "localhost", "x", "latest", NULL, "localhost/x:latest",
	       "localhost");
	ref_ok(__LINE__, "localhost:5000/x", "localhost:5000", "x", "latest", NULL,
	       "localhost:5000/x:latest", "localhost:5000");
	ref_ok(__LINE__, "[::1]:5000/x:y", "[::1]:5000", "x", "y", NULL, "[::1]:5000/x:y",
	       "[::1]:5000");
	ref_ok(__LINE__, "Registry.Example/x", "Registry.Example", "x", "latest", NULL,
	       "Registry.Example/x:latest", "Registry.Example");
	/* a one-part name with a colon is a repository and a tag, as in docker */
	ref_ok(__LINE__, "localhost:5000", "docker.io", "library/localhost", "5000", NULL,
	       "docker.io/library/localhost:5000", "registry-1.docker.io");
	/* digests, with and without tag */
	ref_ok(__LINE__, "quay.io/a/b@sha256:" HEX64, "quay.io", "a/b", NULL, "sha256:" HEX64,
	       "quay.io/a/b@sha256:" HEX64, "quay.io");
	ref_ok(__LINE__, "quay.io/a/b:v1@sha256:" HEX64, "quay.io", "a/b", "v1", "sha256:" HEX64,
	       "quay.io/a/b:v1@sha256:" HEX64, "quay.io");
	ref_ok(__LINE__, "127.0.0.1:5000/a@sha256:" HEX64, "127.0.0.1:5000", "a", NULL,
	       "sha256:" HEX64, "127.0.0.1:5000/a@sha256:" HEX64, "127.0.0.1:5000");
	/* repository grammar: separators */
	ref_ok(__LINE__, "r.io/a.b/c__d/e---f/g_h:T.a-g_", "r.io", "a.b/c__d/e---f/g_h", "T.a-g_",
	       NULL, "r.io/a.b/c__d/e---f/g_h:T.a-g_", "r.io");

	ref_bad(__LINE__, "", "empty image reference");
	ref_bad(__LINE__, NULL, "empty image reference");
	ref_bad(__LINE__, "quay.io/Bpfman/x", "must be lower case");
	ref_bad(__LINE__, "quay.io/a//b", "invalid repository name");
	ref_bad(__LINE__, "quay.io/a/b/", "invalid repository name");
	ref_bad(__LINE__, "quay.io/a.-b", "invalid repository name");
	ref_bad(__LINE__, "quay.io/a___b", "invalid repository name");
	ref_bad(__LINE__, "quay.io/", "empty repository name");
	ref_bad(__LINE__, "quay.io/a:", "empty tag");
	ref_bad(__LINE__, "quay.io/a:-x", "invalid tag '-x'");
	ref_bad(__LINE__, "quay.io/a:x/y", "invalid repository name");
	ref_bad(__LINE__, "quay.io/a:t!", "invalid tag 't!'");
	ref_bad(__LINE__, "quay.io/a:"
			  "t123456789012345678901234567890123456789012345678901234567890123456789"
			  "01234567890123456789012345678901234567890123456789012345678901",
		"at most 128");
	ref_bad(__LINE__, "quay.io/a@sha256:abc", "invalid digest 'sha256:abc'");
	ref_bad(__LINE__, "quay.io/a@sha256:" "0123456789ABCDEF0123456789abcdef0123456789abcdef0123456789abcdef",
		"invalid digest");
	ref_bad(__LINE__, "quay.io/a@sha512:" HEX64, "unsupported digest algorithm 'sha512'");
	ref_bad(__LINE__, "quay.io/a@" HEX64, "invalid digest");
	ref_bad(__LINE__, "quay.io/a@sha256:" HEX64 "@sha256:" HEX64, "invalid digest");
	ref_bad(__LINE__, "https://quay.io/a:v1", "has a URL scheme");
	ref_bad(__LINE__, "quay.io/a b", "space or control character");
	ref_bad(__LINE__, "quay.io/a\n", "space or control character");
	ref_bad(__LINE__, "host:0/a", "out of range");
	ref_bad(__LINE__, "host:70000/a", "out of range");
	ref_bad(__LINE__, "host:5x/a", "invalid port");
	ref_bad(__LINE__, "host:/a", "empty port");
	ref_bad(__LINE__, "-bad.io/a", "invalid registry host");
	ref_bad(__LINE__, "bad-.io/a", "invalid registry host");
	ref_bad(__LINE__, "a..io/a", "invalid registry host");
	ref_bad(__LINE__, "a_b.io/a", "invalid character '_'");
	ref_bad(__LINE__, "[::1/a", "unterminated IPv6");
	ref_bad(__LINE__, "[zz]:5/a", "invalid IPv6");

	{
		char big[400];

		memset(big, 'a', sizeof(big) - 1);
		big[sizeof(big) - 1] = '\0';
		memcpy(big, "r.io/", 5);
		ref_bad(__LINE__, big, "longer than 255");
	}

	CHECK(image_digest_valid("sha256:" HEX64));
	CHECK(!image_digest_valid("sha256:" HEX64 "0"));
	CHECK(!image_digest_valid("sha256:" HEX64 "\n"));
	CHECK(!image_digest_valid("sha384:" HEX64));
	CHECK(!image_digest_valid(NULL));
}

static void chal_ok(int line, const char *h, enum registry_auth_scheme scheme,
		    const char *realm, const char *service, const char *scope, const char *error)
{
	struct registry_challenge c = { 0 };
	int rc = registry_challenge_parse(h, &c);

#define SAME(a, b) ((a) ? (b) && !strcmp((a), (b)) : !(b))
	if (rc != 0 || c.scheme != scheme || !SAME(realm, c.realm) || !SAME(service, c.service) ||
	    !SAME(scope, c.scope) || !SAME(error, c.error)) {
		fprintf(stderr, "line %d: '%s' -> rc %d scheme %d realm '%s' service '%s' scope '%s' "
			"error '%s'\n", line, h, rc, c.scheme, c.realm ? c.realm : "-",
			c.service ? c.service : "-", c.scope ? c.scope : "-", c.error ? c.error : "-");
		test_failures++;
	}
#undef SAME
	registry_challenge_clear(&c);
}

static void chal_bad(int line, const char *h)
{
	struct registry_challenge c = { 0 };
	int rc = registry_challenge_parse(h, &c);

	if (rc != -EINVAL) {
		fprintf(stderr, "line %d: '%s' should be refused, got %d\n", line, h ? h : "(null)",
			rc);
		test_failures++;
	}
	registry_challenge_clear(&c);
}

static void test_challenges(void)
{
	/* what registry 2.8 sends */
	chal_ok(__LINE__, "Basic realm=\"basic-realm\"", AUTH_BASIC, "basic-realm", NULL, NULL,
		NULL);
	chal_ok(__LINE__,
		"Bearer realm=\"http://127.0.0.1:5058/token\",service=\"reg\",scope=\"repository:ebpf/x:pull\"",
		AUTH_BEARER, "http://127.0.0.1:5058/token", "reg", "repository:ebpf/x:pull", NULL);
	/* two scopes with a space, and a host:port inside a resource name */
	chal_ok(__LINE__,
		"Bearer realm=\"https://auth.io/token\",service=\"r\",scope=\"repository:ebpf/x:push,pull repository:127.0.0.1:5000/src:pull\"",
		AUTH_BEARER, "https://auth.io/token", "r",
		"repository:ebpf/x:push,pull repository:127.0.0.1:5000/src:pull", NULL);
	chal_ok(__LINE__,
		"Bearer realm=\"https://a/t\",service=\"r\",scope=\"repository:x:pull\",error=\"insufficient_scope\"",
		AUTH_BEARER, "https://a/t", "r", "repository:x:pull", "insufficient_scope");
	/* case, spaces around '=' and ',', bare tokens, escapes, unknown params */
	chal_ok(__LINE__, "  bearer   Realm = \"https://a/t?x=1,y\" , service=reg.io ,foo=\"b\\\"ar\"",
		AUTH_BEARER, "https://a/t?x=1,y", "reg.io", NULL, NULL);
	chal_ok(__LINE__, "BASIC realm=x", AUTH_BASIC, "x", NULL, NULL, NULL);
	chal_ok(__LINE__, "Basic", AUTH_BASIC, NULL, NULL, NULL, NULL);
	/* an unknown scheme parses (the caller refuses it) */
	chal_ok(__LINE__, "Negotiate abc=d", AUTH_NONE, NULL, NULL, NULL, NULL);
	/* a second challenge after the first is ignored */
	chal_ok(__LINE__, "Basic realm=\"r\", Bearer realm=\"https://x\"", AUTH_BASIC, "r", NULL,
		NULL, NULL);

	chal_bad(__LINE__, NULL);
	chal_bad(__LINE__, "");
	chal_bad(__LINE__, "Bearer service=\"x\""); /* no realm */
	chal_bad(__LINE__, "Bearer realm=\"\"");
	chal_bad(__LINE__, "Bearer realm=\"https://x");  /* unterminated */
	chal_bad(__LINE__, "Bearer realm=\"https://x\\"); /* escape at the end */
	chal_bad(__LINE__, "Bearer realm=");
	chal_bad(__LINE__, "Bearer realm=\"a\" junk");
	chal_bad(__LINE__, "Bearer realm=\"a\"x=\"b\"");
	chal_bad(__LINE__, "Bea\"rer realm=a");
}

/* Random strings over the characters that matter to both parsers: no crash, no leak
 * (run under valgrind to see), and every accepted result is consistent. Deterministic. */
static void test_random_input(void)
{
	static const char alphabet[] = "\"\\,=: \t/@.-_aBr0zlLcsh256:[]";
	unsigned seed = 12345, refs_ok = 0, challenges_ok = 0;
	char buf[48];

	for (int i = 0; i < 50000; i++) {
		struct registry_challenge c = { 0 };
		struct image_ref r = { 0 };
		size_t n;

		seed = seed * 1103515245u + 12345u;
		n = (seed >> 16) % (sizeof(buf) - 1);
		for (size_t j = 0; j < n; j++) {
			seed = seed * 1103515245u + 12345u;
			buf[j] = alphabet[(seed >> 16) % (sizeof(alphabet) - 1)];
		}
		buf[n] = '\0';
		if (i % 2)
			memcpy(buf, "Bearer ", n >= 7 ? 7 : n);
		if (registry_challenge_parse(buf, &c) == 0) {
			CHECK(c.scheme != AUTH_BEARER || (c.realm && *c.realm));
			challenges_ok++;
		}
		registry_challenge_clear(&c);
		if (image_ref_parse(buf, &r, NULL) == 0) {
			char *f = image_ref_format(&r);

			refs_ok++;
			struct image_ref again = { 0 };

			/* the canonical form parses to itself */
			CHECK(f && image_ref_parse(f, &again, NULL) == 0);
			if (f && again.repository) {
				char *g = image_ref_format(&again);

				CHECK(g && !strcmp(f, g));
				free(g);
			}
			image_ref_clear(&again);
			free(f);
		}
		image_ref_clear(&r);
	}
	/* the input must reach the accepting paths, or this tests nothing */
	CHECK(refs_ok > 200);
	CHECK(challenges_ok > 500);
	printf("random input: %u references and %u challenges accepted of 50000\n", refs_ok,
	       challenges_ok);
}

int main(void)
{
	test_refs();
	test_challenges();
	test_random_input();
	return TEST_RESULT();
}
