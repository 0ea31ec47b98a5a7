/* Image references, parsed and normalised as docker's reference package does it
 * (splitDockerDomain): the first path component is a registry when it has a '.' or a ':',
 * is "localhost", or has upper case; otherwise the image is on Docker Hub ("docker.io"),
 * where a one-part name lives under "library/". No tag and no digest means "latest".
 *
 * Grammar (distribution spec):
 *   repository  [a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*(/[a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*)*
 *   tag         [a-zA-Z0-9_][a-zA-Z0-9._-]{0,127}
 *   digest      sha256:[a-f0-9]{64}   (the only algorithm we can check)
 *   registry    host components [a-zA-Z0-9]([a-zA-Z0-9-]*[a-zA-Z0-9])? joined by '.', or
 *               an IPv6 address in brackets; an optional :PORT (1-65535) */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "image-ref.h"

#define REF_MAX_NAME 255 /* registry/repository, as docker and most clients cap it */
#define TAG_MAX 128

static bool is_lower_alnum(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

static bool is_alnum(char c)
{
	return is_lower_alnum(c) || (c >= 'A' && c <= 'Z');
}

static bool is_hex_lower(char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
}

bool image_digest_valid(const char *digest)
{
	if (!digest || strncmp(digest, "sha256:", 7))
		return false;
	for (int i = 0; i < 64; i++)
		if (!is_hex_lower(digest[7 + i]))
			return false;
	return digest[71] == '\0';
}

/* One path component: alnum runs joined by '.', '_', '__' or one or more '-'. */
static bool component_valid(const char *s, size_t n)
{
	size_t i = 0;

	while (i < n) {
		size_t run = 0, sep = 0;

		while (i < n && is_lower_alnum(s[i]))
			i++, run++;
		if (!run)
			return false;
		if (i == n)
			return true;
		if (s[i] == '.') {
			sep = 1;
		} else if (s[i] == '_') {
			sep = i + 1 < n && s[i + 1] == '_' ? 2 : 1;
		} else if (s[i] == '-') {
			while (i + sep < n && s[i + sep] == '-')
				sep++;
		} else {
			return false;
		}
		i += sep;
		if (i == n) /* a separator must be followed by alnum */
			return false;
	}
	return n > 0;
}

static int repository_check(const char *repo, struct img_err *e)
{
	const char *p = repo;

	if (!*repo)
		return img_fail(e, -EINVAL, "image reference has an empty repository name");
	for (;;) {
		const char *slash = strchr(p, '/');
		size_t n = slash ? (size_t)(slash - p) : strlen(p);

		if (!component_valid(p, n)) {
			for (size_t i = 0; i < n; i++)
				if (p[i] >= 'A' && p[i] <= 'Z')
					return img_fail(e, -EINVAL,
							"repository name '%s' must be lower case", repo);
			return img_fail(e, -EINVAL,
					"invalid repository name '%s' (path components are lower-case "
					"letters and digits, separated by '.', '_', '__' or '-')",
					repo);
		}
		if (!slash)
			return 0;
		p = slash + 1;
	}
}

static int tag_check(const char *tag, struct img_err *e)
{
	size_t n = strlen(tag);

	if (n == 0)
		return img_fail(e, -EINVAL, "image reference has an empty tag");
	if (n > TAG_MAX)
		return img_fail(e, -EINVAL, "tag '%.40s...' is %zu characters long (at most %d)",
				tag, n, TAG_MAX);
	if (!(is_alnum(tag[0]) || tag[0] == '_'))
		return img_fail(e, -EINVAL, "invalid tag '%s' (must start with a letter, digit or '_')",
				tag);
	for (size_t i = 1; i < n; i++)
		if (!(is_alnum(tag[i]) || tag[i] == '_' || tag[i] == '.' || tag[i] == '-'))
			return img_fail(e, -EINVAL,
					"invalid tag '%s' (letters, digits, '_', '.' and '-' only)", tag);
	return 0;
}

static int digest_check(const char *d, struct img_err *e)
{
	const char *colon = strchr(d, ':');

	if (!colon)
		return img_fail(e, -EINVAL, "invalid digest '%s' (expected sha256:<64 hex digits>)", d);
	if (colon - d != 6 || strncmp(d, "sha256", 6))
		return img_fail(e, -EINVAL, "unsupported digest algorithm '%.*s' (only sha256)",
				(int)(colon - d), d);
	if (!image_digest_valid(d))
		return img_fail(e, -EINVAL,
				"invalid digest '%s' (expected sha256: and 64 lower-case hex digits)", d);
	return 0;
}

static int port_check(const char *reg, const char *port, struct img_err *e)
{
	unsigned long v = 0;

	if (!*port)
		return img_fail(e, -EINVAL, "registry '%s' has an empty port", reg);
	for (const char *p = port; *p; p++) {
		if (*p < '0' || *p > '9' || p - port >= 5)
			return img_fail(e, -EINVAL, "registry '%s' has an invalid port", reg);
		v = v * 10 + (unsigned long)(*p - '0');
	}
	if (v == 0 || v > 65535)
		return img_fail(e, -EINVAL, "registry '%s': port %lu is out of range (1-65535)", reg,
				v);
	return 0;
}

static int registry_check(const char *reg, struct img_err *e)
{
	const char *p = reg, *port = NULL;

	if (*p == '[') { /* [IPv6]:port */
		const char *end = strchr(p, ']');

		if (!end || end == p + 1)
			return img_fail(e, -EINVAL, "registry '%s': unterminated IPv6 address", reg);
		for (const char *q = p + 1; q < end; q++)
			if (!(is_hex_lower(*q) || (*q >= 'A' && *q <= 'F') || *q == ':' || *q == '.'))
				return img_fail(e, -EINVAL, "registry '%s': invalid IPv6 address", reg);
		if (end[1] == ':')
			port = end + 2;
		else if (end[1])
			return img_fail(e, -EINVAL, "registry '%s': unexpected text after ']'", reg);
		return port ? port_check(reg, port, e) : 0;
	}
	for (;;) {
		const char *start = p;

		while (is_alnum(*p) || *p == '-')
			p++;
		if (p == start || *start == '-' || p[-1] == '-')
			return img_fail(e, -EINVAL,
					"invalid registry host '%s' (letters, digits and inner '-' "
					"in each dot-separated part)", reg);
		if (*p == '.') {
			p++;
			continue;
		}
		if (*p == ':')
			return port_check(reg, p + 1, e);
		if (*p)
			return img_fail(e, -EINVAL, "invalid character '%c' in registry host '%s'", *p,
					reg);
		return 0;
	}
}

void image_ref_clear(struct image_ref *r)
{
	if (!r)
		return;
	free(r->registry);
	free(r->repository);
	free(r->tag);
	free(r->digest);
	*r = (struct image_ref){ 0 };
}

int image_ref_parse(const char *s, struct image_ref *ret, struct img_err *e)
{
	_cleanup_free_ char *copy = NULL, *registry = NULL, *repository = NULL, *tag = NULL,
			    *digest = NULL;
	char *name, *at, *slash, *colon;
	int r;

	if (!s || !*s)
		return img_fail(e, -EINVAL, "empty image reference");
	for (const char *p = s; *p; p++)
		if ((unsigned char)*p <= ' ' || *p == 0x7f)
			return img_fail(e, -EINVAL,
					"image reference contains a space or control character");
	if (strstr(s, "://"))
		return img_fail(e, -EINVAL,
				"image reference '%.200s' has a URL scheme: write host/repository[:tag], "
				"e.g. quay.io/org/image:v1",
				s);
	if (strlen(s) > 1024)
		return img_fail(e, -EINVAL, "image reference is too long (%zu characters)", strlen(s));
	copy = strdup(s);
	if (!copy)
		return -ENOMEM;
	name = copy;

	at = strchr(name, '@');
	if (at) {
		*at = '\0';
		r = digest_check(at + 1, e);
		if (r < 0)
			return r;
		digest = strdup(at + 1);
		if (!digest)
			return -ENOMEM;
	}
	/* A ':' after the last '/' starts the tag; one before it belongs to a registry port. */
	slash = strrchr(name, '/');
	colon = strrchr(slash ? slash : name, ':');
	if (colon) {
		*colon = '\0';
		r = tag_check(colon + 1, e);
		if (r < 0)
			return r;
		tag = strdup(colon + 1);
		if (!tag)
			return -ENOMEM;
	}

	slash = strchr(name, '/');
	if (slash) {
		bool domain = false;

		for (const char *p = name; p < slash; p++)
			if (*p == '.' || *p == ':' || *p == '[' || (*p >= 'A' && *p <= 'Z'))
				domain = true;
		if (slash - name == 9 && !strncmp(name, "localhost", 9))
			domain = true;
		if (domain) {
			*slash = '\0';
			r = registry_check(name, e);
			if (r < 0)
				return r;
			registry = strdup(name);
			name = slash + 1;
		}
	}
	if (!registry || !strcmp(registry, "index.docker.io")) {
		free(registry);
		registry = strdup("docker.io");
	}
	if (!registry)
		return -ENOMEM;

	if (!strcmp(registry, "docker.io") && !strchr(name, '/') && *name) {
		if (asprintf(&repository, "library/%s", name) < 0) {
			repository = NULL;
			return -ENOMEM;
		}
	} else {
		repository = strdup(name);
		if (!repository)
			return -ENOMEM;
	}
	r = repository_check(repository, e);
	if (r < 0)
		return r;
	if (strlen(registry) + 1 + strlen(repository) > REF_MAX_NAME)
		return img_fail(e, -EINVAL, "image name '%s/%s' is longer than %d characters",
				registry, repository, REF_MAX_NAME);
	if (!tag && !digest) {
		tag = strdup("latest");
		if (!tag)
			return -ENOMEM;
	}

	*ret = (struct image_ref){
		.registry = TAKE_PTR(registry),
		.repository = TAKE_PTR(repository),
		.tag = TAKE_PTR(tag),
		.digest = TAKE_PTR(digest),
	};
	return 0;
}

char *image_ref_format(const struct image_ref *r)
{
	char *s;

	if (asprintf(&s, "%s/%s%s%s%s%s", r->registry, r->repository, r->tag ? ":" : "",
		     r->tag ? r->tag : "", r->digest ? "@" : "", r->digest ? r->digest : "") < 0)
		return NULL;
	return s;
}

const char *image_ref_api_host(const struct image_ref *r)
{
	if (!strcmp(r->registry, "docker.io"))
		return "registry-1.docker.io";
	return r->registry;
}
