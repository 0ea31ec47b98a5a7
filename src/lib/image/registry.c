/* The registry client's pull side: manifests, blobs, referrers. Every body is hashed here
 * and checked against the digest it was asked by (Docker-Content-Digest is never trusted:
 * it is optional, and absent after a redirect to storage), and every blob's size against
 * its descriptor (registries do not check descriptor sizes). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <jansson.h>

#include "cleanup.h"
#include "registry-internal.h"

DEFINE_TRIVIAL_CLEANUP_FUNC(EVP_MD_CTX *, EVP_MD_CTX_free);

static const char *const manifest_types[] = {
	"application/vnd.oci.image.index.v1+json",
	"application/vnd.oci.image.manifest.v1+json",
	"application/vnd.docker.distribution.manifest.list.v2+json",
	"application/vnd.docker.distribution.manifest.v2+json",
};

/* A tag or a sha256 digest: what may follow /manifests/ (nothing that changes the path). */
static bool reference_valid(const char *ref)
{
	size_t n = ref ? strlen(ref) : 0;

	if (!strncmp(ref ? ref : "", "sha256:", 7))
		return image_digest_valid(ref);
	if (!n || n > 128 || ref[0] == '.' || ref[0] == '-')
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = ref[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '_' || c == '.' || c == '-'))
			return false;
	}
	return true;
}

/* "sha256:<hex>" of what ctx hashed. */
static int digest_final(EVP_MD_CTX *ctx, char ret[72])
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int n = 0;

	if (EVP_DigestFinal_ex(ctx, md, &n) != 1 || n != 32)
		return -EIO;
	memcpy(ret, "sha256:", 7);
	for (unsigned i = 0; i < n; i++)
		snprintf(ret + 7 + 2 * i, 3, "%02x", md[i]);
	return 0;
}

/* The media type without parameters ("; charset=utf-8") or spaces; NULL when absent. */
static char *media_type_bare(const char *ct)
{
	size_t n;

	if (!ct)
		return NULL;
	while (*ct == ' ')
		ct++;
	n = strcspn(ct, "; \t");
	return n ? strndup(ct, n) : NULL;
}

/* type/subtype with the characters RFC 6838 allows: it is shown to users and logged */
static bool media_type_sane(const char *t)
{
	size_t n = strlen(t);

	if (!n || n > 255 || !strchr(t, '/'))
		return false;
	for (; *t; t++)
		if (!((*t >= 'a' && *t <= 'z') || (*t >= 'A' && *t <= 'Z') || (*t >= '0' && *t <= '9') ||
		      strchr("!#$&^_.+-/", *t)))
			return false;
	return true;
}

static bool is_manifest_type(const char *t)
{
	for (size_t i = 0; t && i < sizeof(manifest_types) / sizeof(manifest_types[0]); i++)
		if (!strcasecmp(t, manifest_types[i]))
			return true;
	return false;
}

int registry_get_manifest(struct registry *r, const char *reference, struct img_buf *ret_body,
			  char **ret_media_type, char **ret_digest, struct img_err *e)
{
	_cleanup_(EVP_MD_CTX_freep) EVP_MD_CTX *ctx = NULL;
	_cleanup_free_ char *url = NULL, *what = NULL, *ct = NULL, *mt = NULL, *dg = NULL;
	struct registry_req q = { .method = "GET", .accept = REGISTRY_MANIFEST_ACCEPT,
				  .actions = "pull", .follow = true, .sink = SINK_MEM };
	char digest[72];
	json_error_t jerr;
	json_t *root;
	int rc;

	if (!reference_valid(reference))
		return img_fail(e, -EINVAL, "invalid tag or digest '%.80s' for %s",
				reference ? reference : "", r->display);
	rc = registry_ping(r, e);
	if (rc < 0)
		return rc;
	ctx = EVP_MD_CTX_new();
	url = registry_url(r, "manifests", reference);
	if (!ctx || !url ||
	    asprintf(&what, "manifest %s%s%s", r->display, strchr(reference, ':') ? "@" : ":",
		     reference) < 0) {
		what = NULL;
		return -ENOMEM;
	}
	q.url = url;
	q.what = what;
	q.max_mem = r->max_manifest;
	q.hash = ctx;
	rc = registry_request(r, &q, e);
	if (rc < 0)
		goto out;
	if (q.status != 200) {
		rc = registry_status_error(r, &q, e);
		goto out;
	}
	rc = digest_final(ctx, digest);
	if (rc < 0)
		goto out;
	if (!strncmp(reference, "sha256:", 7) && strcmp(reference, digest)) {
		rc = img_fail(e, -EBADMSG, "%s: the content does not match its digest (it hashes "
			      "to %s)", what, digest);
		goto out;
	}
	ct = media_type_bare(q.content_type_resp);
	root = json_loadb((const char *)q.resp.data, q.resp.len, 0, &jerr);
	if (!root) {
		/* the bytes arrived whole (a transfer cut short fails above; a digest was
		 * checked): a malformed manifest, refused as the image config is */
		rc = img_fail(e, -EINVAL, "%s is not valid JSON: %s (line %d, column %d)", what,
			      jerr.text, jerr.line, jerr.column);
		goto out;
	}
	if (!json_is_object(root)) {
		json_decref(root);
		rc = img_fail(e, -EINVAL, "%s is not a JSON object", what);
		goto out;
	}
	if (json_is_string(json_object_get(root, "mediaType")))
		mt = strdup(json_string_value(json_object_get(root, "mediaType")));
	json_decref(root);
	if (mt && !media_type_sane(mt)) {
		rc = img_fail(e, -EBADMSG, "%s has an invalid mediaType", what);
		goto out;
	}
	/* the spec's rule: a mediaType that contradicts the Content-Type is refused */
	if (mt && is_manifest_type(ct) && strcasecmp(mt, ct)) {
		rc = img_fail(e, -EBADMSG, "%s: its mediaType %.100s contradicts the Content-Type %s",
			      what, mt, ct);
		goto out;
	}
	if (!mt && ct && !media_type_sane(ct)) {
		free(ct);
		ct = NULL; /* no usable type at all: the caller looks at the body */
	}
	dg = strdup(digest);
	if (!dg || (!mt && ct && !(mt = strdup(ct)))) {
		rc = -ENOMEM;
		goto out;
	}
	if (ret_body) {
		*ret_body = q.resp;
		q.resp = (struct img_buf){ 0 };
	}
	if (ret_media_type)
		*ret_media_type = TAKE_PTR(mt);
	if (ret_digest)
		*ret_digest = TAKE_PTR(dg);
	rc = 0;
out:
	registry_req_clear(&q);
	return rc;
}

/* GET of a blob into q's sink, then the size and digest checks. */
static int get_blob(struct registry *r, const char *digest, uint64_t size,
		    struct registry_req *q, uint64_t limit, struct img_err *e)
{
	_cleanup_(EVP_MD_CTX_freep) EVP_MD_CTX *ctx = NULL;
	_cleanup_free_ char *url = NULL, *what = NULL;
	struct img_err err = { 0 };
	char got[72];
	int rc;

	if (!image_digest_valid(digest))
		return img_fail(e, -EINVAL, "invalid blob digest '%.80s' for %s",
				digest ? digest : "", r->display);
	if (asprintf(&what, "blob %s of %s", digest, r->display) < 0) {
		what = NULL;
		return -ENOMEM;
	}
	if (size > limit)
		return img_fail(e, -EFBIG, "%s is %llu bytes, over the limit of %llu", what,
				(unsigned long long)size, (unsigned long long)limit);
	rc = registry_ping(r, e);
	if (rc < 0)
		return rc;
	ctx = EVP_MD_CTX_new();
	url = registry_url(r, "blobs", digest);
	if (!ctx || !url)
		return -ENOMEM;
	q->method = "GET";
	q->url = url;
	q->what = what;
	q->actions = "pull";
	q->follow = true;
	q->hash = ctx;
	q->total_hint = size;
	/* a size from the descriptor bounds the body exactly: more is a mismatch */
	if (q->sink == SINK_FD)
		q->max_fd = size ? size : limit;
	else
		q->max_mem = size ? (size_t)size : (size_t)limit;
	rc = registry_request(r, q, &err);
	if (rc == -EFBIG && size && q->over_limit)
		return img_fail(e, -EBADMSG, "%s: the registry sent more than its size of %llu bytes",
				what, (unsigned long long)size);
	if (rc < 0)
		return err.msg[0] ? img_fail(e, rc, "%s", err.msg) : rc;
	if (q->status != 200)
		return registry_status_error(r, q, e);
	if (size && q->received != size)
		return img_fail(e, -EBADMSG, "%s: got %llu bytes, expected %llu (truncated download)",
				what, (unsigned long long)q->received, (unsigned long long)size);
	rc = digest_final(ctx, got);
	if (rc < 0)
		return rc;
	if (strcmp(got, digest))
		return img_fail(e, -EBADMSG, "%s: the content does not match its digest (it hashes "
				"to %s)", what, got);
	return 0;
}

int registry_get_blob(struct registry *r, const char *digest, uint64_t size, int fd,
		      struct img_err *e)
{
	struct registry_req q = { .sink = SINK_FD, .out_fd = fd, .progress = true };
	int rc;

	rc = get_blob(r, digest, size, &q, r->max_blob, e);
	registry_req_clear(&q);
	return rc;
}

int registry_get_blob_mem(struct registry *r, const char *digest, uint64_t size,
			  struct img_buf *ret, struct img_err *e)
{
	struct registry_req q = { .sink = SINK_MEM };
	int rc;

	rc = get_blob(r, digest, size, &q, r->max_manifest, e);
	if (rc >= 0) {
		*ret = q.resp;
		q.resp = (struct img_buf){ 0 };
	}
	registry_req_clear(&q);
	return rc;
}

/* HEAD a blob with the given token scope ("pull", or "pull,push" before an upload). */
int registry_blob_exists_as(struct registry *r, const char *digest, const char *actions,
			    struct img_err *e)
{
	_cleanup_free_ char *url = NULL, *what = NULL;
	struct registry_req q = { .method = "HEAD", .actions = actions, .follow = true };
	int rc;

	if (!image_digest_valid(digest))
		return img_fail(e, -EINVAL, "invalid blob digest '%.80s'", digest ? digest : "");
	rc = registry_ping(r, e);
	if (rc < 0)
		return rc;
	url = registry_url(r, "blobs", digest);
	if (!url || asprintf(&what, "blob %s of %s", digest, r->display) < 0) {
		what = NULL;
		return -ENOMEM;
	}
	q.url = url;
	q.what = what;
	rc = registry_request(r, &q, e);
	if (rc >= 0)
		rc = q.status == 200 ? 1 : q.status == 404 ? 0 : registry_status_error(r, &q, e);
	registry_req_clear(&q);
	return rc;
}

int registry_blob_exists(struct registry *r, const char *digest, struct img_err *e)
{
	return registry_blob_exists_as(r, digest, "pull", e);
}

int registry_get_referrers(struct registry *r, const char *digest, struct img_buf *ret_body,
			   struct img_err *e)
{
	_cleanup_free_ char *url = NULL, *what = NULL;
	struct registry_req q = { .method = "GET", .accept = "application/vnd.oci.image.index.v1+json",
				  .actions = "pull", .follow = true, .sink = SINK_MEM };
	json_t *root;
	int rc;

	if (!image_digest_valid(digest))
		return img_fail(e, -EINVAL, "invalid digest '%.80s'", digest ? digest : "");
	rc = registry_ping(r, e);
	if (rc < 0)
		return rc;
	url = registry_url(r, "referrers", digest);
	if (!url || asprintf(&what, "referrers of %s@%s", r->display, digest) < 0) {
		what = NULL;
		return -ENOMEM;
	}
	q.url = url;
	q.what = what;
	q.max_mem = r->max_manifest;
	rc = registry_request(r, &q, e);
	if (rc < 0)
		goto out;
	if (q.status == 404) {
		/* registry 2.8: no referrers API (a plain-text 404); a registry that has it
		 * never answers 404 */
		rc = img_fail(e, -ENOENT, "registry %s has no OCI 1.1 referrers API (404)", r->host);
		goto out;
	}
	if (q.status != 200) {
		rc = registry_status_error(r, &q, e);
		goto out;
	}
	root = json_loadb((const char *)q.resp.data, q.resp.len, 0, NULL);
	rc = json_is_object(root) ? 0 :
				    img_fail(e, -EBADMSG, "%s: the answer is not a JSON object", what);
	json_decref(root);
	if (rc >= 0) {
		*ret_body = q.resp;
		q.resp = (struct img_buf){ 0 };
	}
out:
	registry_req_clear(&q);
	return rc;
}
