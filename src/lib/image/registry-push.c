/* The registry client's push side: blob uploads (monolithic: POST then one PUT; chunked:
 * POST, a PATCH per chunk, then the closing PUT) and manifests.
 *
 * The pitfalls this follows (measured on registry 2.8): the upload Location carries state
 * (?_state=...) and changes after every PATCH, so the newest one is always used and the
 * digest is appended with '&' when it already has a query; a relative Location is resolved
 * against the registry; blob bodies go as application/octet-stream, never as the form type
 * libcurl would add; a manifest's Content-Type must equal its mediaType. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cleanup.h"
#include "registry-internal.h"

#define DEFAULT_CHUNK (8u << 20)

DEFINE_TRIVIAL_CLEANUP_FUNC(EVP_MD_CTX *, EVP_MD_CTX_free);

/* location resolved against the registry, with digest=<digest> appended when given. */
static int upload_url(struct registry *r, const char *location, const char *digest,
		      char **ret)
{
	_cleanup_free_ char *q = NULL;
	CURLU *u = curl_url();
	char *s = NULL;
	int rc = -EPROTO;

	if (!u)
		return -ENOMEM;
	if (curl_url_set(u, CURLUPART_URL, r->base, 0) != CURLUE_OK ||
	    curl_url_set(u, CURLUPART_URL, location, 0) != CURLUE_OK)
		goto out;
	if (digest) {
		if (asprintf(&q, "digest=%s", digest) < 0) {
			q = NULL;
			rc = -ENOMEM;
			goto out;
		}
		if (curl_url_set(u, CURLUPART_QUERY, q, CURLU_APPENDQUERY | CURLU_URLENCODE) !=
		    CURLUE_OK)
			goto out;
	}
	if (curl_url_get(u, CURLUPART_URL, &s, 0) != CURLUE_OK)
		goto out;
	*ret = strdup(s);
	curl_free(s);
	rc = *ret ? 0 : -ENOMEM;
out:
	curl_url_cleanup(u);
	return rc;
}

/* The bytes to upload must be the blob the caller names: hashing them first means a
 * wrong digest is caught here, not as a DIGEST_INVALID after the whole upload. */
static int check_source(int fd, uint64_t size, const char *digest, const char *what,
			struct img_err *e)
{
	_cleanup_(EVP_MD_CTX_freep) EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	unsigned char buf[65536], md[EVP_MAX_MD_SIZE];
	char hex[72];
	unsigned int n = 0;
	uint64_t off = 0;

	if (!ctx || EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) != 1)
		return -ENOMEM;
	while (off < size) {
		size_t want = size - off < sizeof(buf) ? (size_t)(size - off) : sizeof(buf);
		ssize_t got = pread(fd, buf, want, (off_t)off);

		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0)
			return img_fail(e, -errno, "%s: cannot read the data: %s", what,
					strerror(errno));
		if (got == 0)
			return img_fail(e, -EBADMSG, "%s: the data has %llu bytes, not %llu", what,
					(unsigned long long)off, (unsigned long long)size);
		EVP_DigestUpdate(ctx, buf, (size_t)got);
		off += (uint64_t)got;
	}
	if (EVP_DigestFinal_ex(ctx, md, &n) != 1 || n != 32)
		return -EIO;
	memcpy(hex, "sha256:", 7);
	for (unsigned i = 0; i < n; i++)
		snprintf(hex + 7 + 2 * i, 3, "%02x", md[i]);
	if (strcmp(hex, digest))
		return img_fail(e, -EBADMSG, "%s: the data hashes to %s, not to its digest", what,
				hex);
	return 0;
}

/* Takes the answer's Location as the next upload URL. */
static int next_location(struct registry *r, struct registry_req *q, char **location,
			 struct img_err *e)
{
	if (!q->location || !*q->location)
		return img_fail(e, -EPROTO, "%s: registry %s answered %ld without a Location",
				q->what, r->host, q->status);
	free(*location);
	*location = TAKE_PTR(q->location);
	return 0;
}

/* Cancels an upload that failed (best effort: the registry also expires it). */
static void upload_cancel(struct registry *r, const char *location, const char *what)
{
	_cleanup_free_ char *url = NULL;
	struct registry_req q = { .method = "DELETE", .actions = "pull,push", .what = what };

	if (upload_url(r, location, NULL, &url) < 0)
		return;
	q.url = url;
	(void)registry_request(r, &q, NULL);
	registry_req_clear(&q);
}

int registry_put_blob(struct registry *r, const char *digest, int fd, uint64_t size,
		      bool chunked, size_t chunk_size, struct img_err *e)
{
	_cleanup_free_ char *what = NULL, *post_url = NULL, *location = NULL, *url = NULL,
			    *range = NULL;
	struct registry_req q = { 0 };
	uint64_t off = 0;
	int rc;

	if (!image_digest_valid(digest))
		return img_fail(e, -EINVAL, "invalid blob digest '%.80s'", digest ? digest : "");
	if (asprintf(&what, "upload of blob %s to %s", digest, r->display) < 0) {
		what = NULL;
		return -ENOMEM;
	}
	rc = check_source(fd, size, digest, what, e);
	if (rc < 0)
		return rc;
	rc = registry_blob_exists_as(r, digest, "pull,push", e);
	if (rc != 0)
		return rc < 0 ? rc : 0; /* already there: nothing to send */

	if (asprintf(&post_url, "%s/v2/%s/blobs/uploads/", r->base, r->repository) < 0) {
		post_url = NULL;
		return -ENOMEM;
	}
	q = (struct registry_req){ .method = "POST", .url = post_url, .what = what,
				   .actions = "pull,push" };
	rc = registry_request(r, &q, e);
	if (rc < 0)
		goto out;
	if (q.status != 202) {
		rc = registry_status_error(r, &q, e);
		goto out;
	}
	rc = next_location(r, &q, &location, e);
	if (rc < 0)
		goto out;

	if (chunked) {
		if (!chunk_size)
			chunk_size = DEFAULT_CHUNK;
		while (off < size) {
			uint64_t n = size - off < chunk_size ? size - off : chunk_size;

			free(url);
			free(range);
			url = range = NULL;
			rc = upload_url(r, location, NULL, &url);
			if (rc < 0 ||
			    asprintf(&range, "%llu-%llu", (unsigned long long)off,
				     (unsigned long long)(off + n - 1)) < 0) {
				range = NULL;
				rc = img_fail(e, rc < 0 ? rc : -ENOMEM,
					      "%s: the registry's upload Location is not a URL", what);
				goto cancel;
			}
			registry_req_clear(&q);
			q = (struct registry_req){ .method = "PATCH", .url = url, .what = what,
						   .actions = "pull,push",
						   .content_type = "application/octet-stream",
						   .content_range = range, .body_fd = fd,
						   .body_off = off, .body_len = n };
			rc = registry_request(r, &q, e);
			if (rc < 0)
				goto cancel;
			if (q.status != 202) {
				rc = registry_status_error(r, &q, e);
				goto cancel;
			}
			rc = next_location(r, &q, &location, e);
			if (rc < 0)
				goto cancel;
			off += n;
			if (r->progress)
				r->progress(what, off, size, r->progress_data);
		}
	}

	free(url);
	url = NULL;
	rc = upload_url(r, location, digest, &url);
	if (rc < 0) {
		rc = img_fail(e, rc, "%s: the registry's upload Location is not a URL", what);
		goto cancel;
	}
	registry_req_clear(&q);
	/* monolithic: the whole blob in the closing PUT; chunked: an empty one */
	q = (struct registry_req){ .method = "PUT", .url = url, .what = what,
				   .actions = "pull,push",
				   .content_type = "application/octet-stream", .body_fd = fd,
				   .body_len = chunked ? 0 : size, .progress = !chunked };
	rc = registry_request(r, &q, e);
	if (rc < 0)
		goto cancel;
	if (q.status != 201 && q.status != 204 && q.status != 200) {
		rc = registry_status_error(r, &q, e);
		goto cancel;
	}
	rc = 0;
	goto out;
cancel:
	upload_cancel(r, location, what);
out:
	registry_req_clear(&q);
	return rc;
}

int registry_put_manifest(struct registry *r, const char *reference, const char *media_type,
			  const void *body, size_t len, struct img_err *e)
{
	_cleanup_free_ char *url = NULL, *what = NULL;
	struct registry_req q = { .method = "PUT", .actions = "pull,push" };
	int rc;

	if (!reference || (!image_digest_valid(reference) && strchr(reference, ':')) ||
	    !*reference || strlen(reference) > 128 || strpbrk(reference, "/?#% \t\r\n"))
		return img_fail(e, -EINVAL, "invalid tag or digest '%.80s' for %s",
				reference ? reference : "", r->display);
	if (!media_type || !*media_type || strpbrk(media_type, "\r\n"))
		return img_fail(e, -EINVAL, "a manifest needs a media type");
	if (len > r->max_manifest)
		return img_fail(e, -EFBIG, "the manifest for %s is %zu bytes, over the limit of %zu",
				r->display, len, r->max_manifest);
	rc = registry_ping(r, e);
	if (rc < 0)
		return rc;
	url = registry_url(r, "manifests", reference);
	if (!url || asprintf(&what, "upload of manifest %s%s%s", r->display,
			     strchr(reference, ':') ? "@" : ":", reference) < 0) {
		what = NULL;
		return -ENOMEM;
	}
	q.url = url;
	q.what = what;
	q.content_type = media_type;
	q.body = body ? body : "";
	q.body_len = len;
	rc = registry_request(r, &q, e);
	if (rc >= 0 && (q.status < 200 || q.status >= 300))
		rc = registry_status_error(r, &q, e);
	registry_req_clear(&q);
	return rc < 0 ? rc : 0;
}
