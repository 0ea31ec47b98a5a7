/* Shared between the registry client's files (registry.c: requests and pulls,
 * registry-push.c: uploads, registry-auth.c: challenges, tokens, credentials). Not part of
 * the module's contract. */
#pragma once

#include <curl/curl.h>
#include <openssl/evp.h>
#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include "registry.h"

#define REGISTRY_MAX_REDIRECTS 10
#define REGISTRY_MAX_ERROR_BODY (64u << 10) /* error and token bodies */
#define REGISTRY_TOKEN_CACHE 8
#define REGISTRY_STALL_BYTES_PER_SEC 512 /* slower than this for stall_timeout: a stall */

enum registry_auth_scheme {
	AUTH_UNKNOWN, /* not pinged yet */
	AUTH_NONE,
	AUTH_BASIC,
	AUTH_BEARER,
};

/* A WWW-Authenticate challenge, parsed. */
struct registry_challenge {
	enum registry_auth_scheme scheme; /* AUTH_NONE: a scheme we do not speak */
	char *realm;
	char *service;
	char *scope;
	char *error;
};
void registry_challenge_clear(struct registry_challenge *c);
/* Parses one challenge (RFC 7235 auth-params, quoted strings with escapes). -EINVAL when
 * it is not one. Exposed for the unit test. */
int registry_challenge_parse(const char *header, struct registry_challenge *ret);

struct registry_token {
	char *scope; /* the scope string asked for, e.g. "repository:a/b:pull,push" */
	char *token;
	time_t expires; /* monotonic seconds */
};

struct registry {
	char *host; /* host[:port] the API is reached at */
	char *display; /* registry/repository, for messages */
	char *repository;
	char *base; /* "https://host" or "http://host" once pinged */
	bool plain_allowed; /* loopback or listed insecure */

	char *ca_file, *username, *password;
	long connect_timeout, stall_timeout, total_timeout;
	size_t max_manifest;
	uint64_t max_blob;
	registry_progress_fn progress;
	void *progress_data;

	CURL *curl; /* one handle: its connections are kept alive between requests */

	enum registry_auth_scheme scheme;
	char *realm, *service; /* bearer: from the last challenge */
	struct registry_token tokens[REGISTRY_TOKEN_CACHE];
};

/* What one request sends and where its answer goes. */
enum sink_kind {
	SINK_NONE, /* body ignored (HEAD, PUT answers) */
	SINK_MEM, /* into resp, at most max_mem bytes */
	SINK_FD, /* into out_fd, at most max_fd bytes */
};

struct registry_req {
	/* in */
	const char *method; /* GET HEAD POST PUT PATCH DELETE */
	const char *url; /* absolute */
	const char *accept;
	const char *content_type; /* of the request body */
	const char *content_range; /* PATCH */
	const char *actions; /* "pull" or "pull,push": the token scope */
	const char *what; /* "manifest quay.io/a/b:v1", for messages */
	bool follow; /* follow redirects (GET/HEAD) */
	bool progress; /* report to the registry's progress callback */
	uint64_t total_hint; /* the size to report as the total (0: what the server says) */
	/* request body: from memory or from an fd (pread, from body_off) */
	const void *body;
	uint64_t body_len;
	int body_fd;
	uint64_t body_off;
	uint64_t upload_pos; /* bytes of the body sent so far (libcurl may rewind) */
	/* response body */
	enum sink_kind sink;
	size_t max_mem;
	int out_fd;
	uint64_t max_fd;
	EVP_MD_CTX *hash; /* the 2xx body is hashed into this, when set */

	/* out */
	long status;
	char *location, *content_type_resp, *www_auth, *range;
	struct img_buf resp; /* SINK_MEM body, or the (bounded) body of a non-2xx answer */
	uint64_t received; /* 2xx body bytes */
	bool over_limit;
	bool body_cut; /* an unread or error body was cut short: the answer still counts */
	int write_errno;
	CURLcode curl_rc;
	CURL *curl_handle; /* set by registry_send, for the callbacks */
	char curl_err[CURL_ERROR_SIZE];
};
void registry_req_clear(struct registry_req *q);

/* Sends q with the registry's auth: on a 401 it answers the challenge (basic or a bearer
 * token for q->actions) and retries once. Returns 0 when an HTTP answer came (q->status
 * says which), or a negative errno with a message for transport errors, limits and auth
 * that cannot be satisfied. */
int registry_request(struct registry *r, struct registry_req *q, struct img_err *e);
/* One attempt, with the given Authorization header value (or NULL). */
int registry_send(struct registry *r, struct registry_req *q, const char *authorization,
		  struct img_err *e);
/* Fails with a message from the status and the registry's error body (codes and messages,
 * sanitised and truncated). 404 -> -ENOENT, 401/403 -> -EACCES, 413 -> -EFBIG, else -EPROTO. */
int registry_status_error(struct registry *r, const struct registry_req *q, struct img_err *e);
/* The first GET /v2/: chooses https or (when allowed) http, learns the auth scheme. */
int registry_ping(struct registry *r, struct img_err *e);
/* "base/v2/<repository>/<kind>/<ref>"; NULL on ENOMEM or before registry_ping(). */
char *registry_url(struct registry *r, const char *kind, const char *ref);
/* True when url has the registry's scheme, host and port (Authorization may go there). */
bool registry_same_origin(struct registry *r, const char *url);

/* Authorization header value for a request needing actions ("Basic ...", "Bearer ...") or
 * NULL (anonymous). *ret stays NULL when no credentials apply. */
int registry_auth_header(struct registry *r, const char *actions, char **ret,
			 struct img_err *e);
/* After a 401 with this WWW-Authenticate: gets what the retry needs (fresh token for the
 * challenge's scope). -EACCES with a message when no credentials can satisfy it. */
int registry_auth_answer(struct registry *r, const char *www_authenticate, const char *actions,
			 char **ret_header, struct img_err *e);
void registry_auth_reset(struct registry *r);
int registry_blob_exists_as(struct registry *r, const char *digest, const char *actions,
			    struct img_err *e);
