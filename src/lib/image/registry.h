/* A client of one repository on an OCI distribution (registry API v2) server, on libcurl.
 *
 * Anonymous, basic and bearer-token auth (the flow the registry announces in
 * WWW-Authenticate, token cached per scope); HTTPS with the system CA store plus an
 * optional CA file; plain HTTP only for registries listed as insecure and for loopback.
 * Every body is bounded (manifests by max_manifest, blobs by max_blob) and every transfer by
 * time (connect, stall, total); every manifest and blob is hashed and checked against the
 * digest it was asked for. Credentials are never written, logged or put in a message. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "image-error.h"
#include "image-ref.h"

/* Accept header of every manifest request: OCI and Docker manifests and indexes. */
#define REGISTRY_MANIFEST_ACCEPT                                                  \
	"application/vnd.oci.image.index.v1+json, "                               \
	"application/vnd.oci.image.manifest.v1+json, "                            \
	"application/vnd.docker.distribution.manifest.list.v2+json, "             \
	"application/vnd.docker.distribution.manifest.v2+json"

#define REGISTRY_MAX_MANIFEST_DEFAULT (4u << 20)
#define REGISTRY_MAX_BLOB_DEFAULT (256ull << 20)

/* Bytes done of total (total 0: unknown). A pull shows progress on a terminal with it. */
typedef void (*registry_progress_fn)(const char *what, uint64_t done, uint64_t total,
				     void *data);

struct registry_opts {
	char *const *insecure; /* NULL-terminated "host[:port]" where plain HTTP is allowed */
	const char *ca_file; /* extra CA bundle, besides the system store */
	const char *username; /* NULL/"" with password NULL/"": anonymous */
	const char *password;
	long connect_timeout_sec; /* 0: 15 */
	long stall_timeout_sec; /* under 512 bytes/s for this long fails the transfer; 0: 30 */
	long total_timeout_sec; /* 0: 600 */
	size_t max_manifest; /* 0: REGISTRY_MAX_MANIFEST_DEFAULT */
	uint64_t max_blob; /* 0: REGISTRY_MAX_BLOB_DEFAULT */
	registry_progress_fn progress;
	void *progress_data;
};

struct registry;

struct img_buf {
	unsigned char *data;
	size_t len;
};
void img_buf_clear(struct img_buf *b);

/* For ref's registry and repository (its tag/digest are not used here). Copies opts. */
int registry_open(const struct registry_opts *opts, const struct image_ref *ref,
		  struct registry **ret, struct img_err *e);
struct registry *registry_free(struct registry *r);

/* GET /v2/<name>/manifests/<reference> (a tag or a digest). *ret_digest: the sha256 of the
 * bytes received (checked against reference when it is a digest); *ret_media_type: the
 * Content-Type (or the body's mediaType). -ENOENT when the registry says it is unknown. */
int registry_get_manifest(struct registry *r, const char *reference, struct img_buf *ret_body,
			  char **ret_media_type, char **ret_digest, struct img_err *e);
/* GET a blob into fd (from its current offset), verifying size and digest while it streams.
 * -EBADMSG on a digest or size mismatch, -EFBIG over the limit, -ETIMEDOUT on a stall. The
 * caller discards what was written on failure. */
int registry_get_blob(struct registry *r, const char *digest, uint64_t size, int fd,
		      struct img_err *e);
/* GET a small blob (config, signature payload) into memory, bounded by max_manifest. */
int registry_get_blob_mem(struct registry *r, const char *digest, uint64_t size,
			  struct img_buf *ret, struct img_err *e);
/* 1 present, 0 absent. */
int registry_blob_exists(struct registry *r, const char *digest, struct img_err *e);
/* Uploads size bytes read from fd (from offset 0) as digest: monolithic (POST then one PUT)
 * or chunked (PATCH per chunk_size, then PUT). Skips the upload when the blob is there. */
int registry_put_blob(struct registry *r, const char *digest, int fd, uint64_t size,
		      bool chunked, size_t chunk_size, struct img_err *e);
/* PUT /v2/<name>/manifests/<reference> with that Content-Type. */
int registry_put_manifest(struct registry *r, const char *reference, const char *media_type,
			  const void *body, size_t len, struct img_err *e);
/* GET /v2/<name>/referrers/<digest> (OCI 1.1): the index JSON, or -ENOENT/-EOPNOTSUPP when
 * the registry has no referrers API (registry 2.8 answers 404). */
int registry_get_referrers(struct registry *r, const char *digest, struct img_buf *ret_body,
			   struct img_err *e);

/* Credentials for registry ("host[:port]" as in the reference; docker.io also matches
 * docker's "https://index.docker.io/v1/" key) from a file in docker's config.json /
 * containers' auth.json format: {"auths": {"host": {"auth": "base64(user:pass)"}}} (or
 * "username"/"password"). Refused (-EPERM) unless owned by root and not accessible to group
 * or others. -ENOENT when the file has no entry for registry. Caller frees *user and *pass
 * (wipe them: registry_secret_free). */
int registry_auth_from_file(const char *path, const char *registry, char **user, char **pass,
			    struct img_err *e);
/* Wipes and frees a secret (a password from registry_auth_from_file). NULL is fine. */
void registry_secret_free(char *s);
