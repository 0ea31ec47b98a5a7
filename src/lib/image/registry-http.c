/* The registry client's HTTP layer: one libcurl easy handle per registry (connections are
 * reused), every transfer bounded in size and time, bodies hashed as they stream, and the
 * auth retry (one per request) on a 401.
 *
 * Why the callbacks look at the response code: a body belongs to the caller only when the
 * final answer is 2xx. Redirect bodies are dropped, error bodies are kept (bounded) for the
 * message, so an error page never lands in a blob file or a manifest buffer. */
#include <arpa/inet.h>
#include <errno.h>
#include <openssl/ssl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "cleanup.h"
#include "registry-internal.h"

#define DEFAULT_CONNECT_TIMEOUT 15
#define DEFAULT_STALL_TIMEOUT 30
#define DEFAULT_TOTAL_TIMEOUT 600

void registry_secret_free(char *s)
{
	if (s) {
		explicit_bzero(s, strlen(s));
		free(s);
	}
}

void registry_req_clear(struct registry_req *q)
{
	free(q->location);
	free(q->content_type_resp);
	free(q->www_auth);
	free(q->range);
	q->location = q->content_type_resp = q->www_auth = q->range = NULL;
	img_buf_clear(&q->resp);
}

/* 127.0.0.0/8, ::1 and localhost: plain HTTP never leaves the machine there. */
static bool host_is_loopback(const char *hostport)
{
	_cleanup_free_ char *h = NULL;
	struct in_addr a4;
	char *colon;

	if (!strncmp(hostport, "[::1]", 5) && (hostport[5] == '\0' || hostport[5] == ':'))
		return true;
	h = strdup(hostport);
	if (!h)
		return false;
	colon = strchr(h, ':');
	if (colon)
		*colon = '\0';
	if (!strcasecmp(h, "localhost"))
		return true;
	return inet_pton(AF_INET, h, &a4) == 1 && (ntohl(a4.s_addr) >> 24) == 127;
}

/* An entry "host:port" matches exactly; an entry "host" matches that host on any port. */
static bool host_listed(char *const *list, const char *hostport)
{
	for (size_t i = 0; list && list[i]; i++) {
		size_t n = strlen(list[i]);

		if (!strcasecmp(list[i], hostport))
			return true;
		if (!strchr(list[i], ':') && !strncasecmp(list[i], hostport, n) &&
		    hostport[n] == ':')
			return true;
	}
	return false;
}

static int dup_opt(const char *s, char **ret)
{
	*ret = NULL;
	if (!s || !*s)
		return 0;
	*ret = strdup(s);
	return *ret ? 0 : -ENOMEM;
}

static CURLcode curl_init_rc;

static void curl_init_once(void)
{
	curl_init_rc = curl_global_init(CURL_GLOBAL_DEFAULT);
}

int registry_open(const struct registry_opts *opts, const struct image_ref *ref,
		  struct registry **ret, struct img_err *e)
{
	static pthread_once_t once = PTHREAD_ONCE_INIT;
	static const struct registry_opts none;
	struct registry *r;
	int rc;

	if (!opts)
		opts = &none;
	if (!ref || !ref->registry || !ref->repository)
		return img_fail(e, -EINVAL, "no image reference given");
	/* curl_global_init() is not thread-safe in every build; the server opens registries
	 * from several threads */
	pthread_once(&once, curl_init_once);
	if (curl_init_rc != CURLE_OK)
		return img_fail(e, -ENOMEM, "cannot initialise libcurl");
	r = calloc(1, sizeof(*r));
	if (!r)
		return -ENOMEM;
	r->host = strdup(image_ref_api_host(ref));
	r->repository = strdup(ref->repository);
	if (!r->host || !r->repository ||
	    asprintf(&r->display, "%s/%s", ref->registry, ref->repository) < 0) {
		r->display = NULL;
		rc = -ENOMEM;
		goto fail;
	}
	rc = dup_opt(opts->ca_file, &r->ca_file);
	if (rc >= 0)
		rc = dup_opt(opts->username, &r->username);
	if (rc >= 0 && r->username) /* a password alone means nothing */
		rc = dup_opt(opts->password ? opts->password : "", &r->password);
	if (rc >= 0 && r->username && !r->password)
		r->password = strdup(""), rc = r->password ? 0 : -ENOMEM;
	if (rc < 0)
		goto fail;
	if (r->ca_file && access(r->ca_file, R_OK) < 0) {
		rc = img_fail(e, -errno, "CA file %s: %s", r->ca_file, strerror(errno));
		goto fail;
	}
	r->plain_allowed = host_is_loopback(r->host) || host_listed(opts->insecure, r->host) ||
			   host_listed(opts->insecure, ref->registry);
	r->connect_timeout = opts->connect_timeout_sec > 0 ? opts->connect_timeout_sec :
							    DEFAULT_CONNECT_TIMEOUT;
	r->stall_timeout = opts->stall_timeout_sec > 0 ? opts->stall_timeout_sec :
							DEFAULT_STALL_TIMEOUT;
	r->total_timeout = opts->total_timeout_sec > 0 ? opts->total_timeout_sec :
							DEFAULT_TOTAL_TIMEOUT;
	r->max_manifest = opts->max_manifest ? opts->max_manifest : REGISTRY_MAX_MANIFEST_DEFAULT;
	r->max_blob = opts->max_blob ? opts->max_blob : REGISTRY_MAX_BLOB_DEFAULT;
	r->progress = opts->progress;
	r->progress_data = opts->progress_data;
	r->curl = curl_easy_init();
	if (!r->curl) {
		rc = img_fail(e, -ENOMEM, "cannot initialise libcurl");
		goto fail;
	}
	*ret = r;
	return 0;
fail:
	registry_free(r);
	return rc;
}

struct registry *registry_free(struct registry *r)
{
	if (!r)
		return NULL;
	if (r->curl)
		curl_easy_cleanup(r->curl);
	registry_auth_reset(r);
	free(r->host);
	free(r->display);
	free(r->repository);
	free(r->base);
	free(r->ca_file);
	registry_secret_free(r->username);
	registry_secret_free(r->password);
	free(r);
	return NULL;
}

char *registry_url(struct registry *r, const char *kind, const char *ref)
{
	char *s;

	if (!r->base) /* callers ping first */
		return NULL;
	if (asprintf(&s, "%s/v2/%s/%s/%s", r->base, r->repository, kind, ref) < 0)
		return NULL;
	return s;
}

static bool url_origin(const char *url, char **scheme, char **host, char **port)
{
	CURLU *u = curl_url();
	bool ok;

	*scheme = *host = *port = NULL;
	if (!u)
		return false;
	ok = curl_url_set(u, CURLUPART_URL, url, 0) == CURLUE_OK &&
	     curl_url_get(u, CURLUPART_SCHEME, scheme, 0) == CURLUE_OK &&
	     curl_url_get(u, CURLUPART_HOST, host, 0) == CURLUE_OK &&
	     curl_url_get(u, CURLUPART_PORT, port, CURLU_DEFAULT_PORT) == CURLUE_OK;
	curl_url_cleanup(u);
	return ok;
}

bool registry_same_origin(struct registry *r, const char *url)
{
	char *s1 = NULL, *h1 = NULL, *p1 = NULL, *s2 = NULL, *h2 = NULL, *p2 = NULL;
	bool same;

	if (!r->base)
		return false;
	same = url_origin(url, &s1, &h1, &p1) && url_origin(r->base, &s2, &h2, &p2) &&
	       !strcasecmp(s1, s2) && !strcasecmp(h1, h2) && !strcmp(p1, p2);
	curl_free(s1), curl_free(h1), curl_free(p1);
	curl_free(s2), curl_free(h2), curl_free(p2);
	return same;
}

/* Header lines of the current response; a status line starts a new response (redirects,
 * 100-continue), so only the final answer's headers remain. */
static size_t on_header(char *buf, size_t size, size_t n, void *data)
{
	struct registry_req *q = data;
	size_t len = size * n, name_len;
	char **slot = NULL;
	const char *v, *end = buf + len;

	if (len >= 5 && !strncmp(buf, "HTTP/", 5)) {
		struct img_buf keep = q->resp;

		q->resp = (struct img_buf){ 0 };
		registry_req_clear(q);
		q->resp = keep;
		return len;
	}
	v = memchr(buf, ':', len);
	if (!v)
		return len;
	name_len = (size_t)(v - buf);
#define IS(h) (name_len == sizeof(h) - 1 && !strncasecmp(buf, h, name_len))
	if (IS("location"))
		slot = &q->location;
	else if (IS("content-type"))
		slot = &q->content_type_resp;
	else if (IS("www-authenticate"))
		slot = &q->www_auth;
	else if (IS("range"))
		slot = &q->range;
#undef IS
	if (!slot || *slot) /* the first challenge wins: registries send one */
		return len;
	v++;
	while (v < end && (*v == ' ' || *v == '\t'))
		v++;
	while (end > v && (end[-1] == '\r' || end[-1] == '\n' || end[-1] == ' '))
		end--;
	*slot = strndup(v, (size_t)(end - v));
	if (!*slot)
		return 0;
	/* header values end up in messages: no control characters from a hostile server */
	for (char *c = *slot; *c; c++)
		if ((unsigned char)*c < 0x20 || (unsigned char)*c == 0x7f)
			*c = '?';
	return len;
}

static bool append(struct img_buf *b, const void *p, size_t n)
{
	unsigned char *d = realloc(b->data, b->len + n + 1);

	if (!d)
		return false;
	memcpy(d + b->len, p, n);
	b->data = d;
	b->len += n;
	d[b->len] = '\0'; /* bodies are handed to JSON parsers and printf("%s") */
	return true;
}

static size_t on_body(char *buf, size_t size, size_t n, void *data)
{
	struct registry_req *q = data;
	size_t len = size * n;
	long code = 0;

	curl_easy_getinfo(q->curl_handle, CURLINFO_RESPONSE_CODE, &code);
	if (code >= 300 && code < 400)
		return len;
	if (code < 200 || code >= 300) {
		size_t room = q->resp.len < REGISTRY_MAX_ERROR_BODY ?
				      REGISTRY_MAX_ERROR_BODY - q->resp.len : 0;

		if (room && !append(&q->resp, buf, len < room ? len : room))
			return 0;
		if (len > room) { /* enough for a message; the rest is not waited for */
			q->body_cut = true;
			return 0;
		}
		return len;
	}
	switch (q->sink) {
	case SINK_NONE:
		/* a body nobody reads (a ping's, an upload answer's) is not waited for either */
		q->received += len;
		if (q->received > REGISTRY_MAX_ERROR_BODY) {
			q->body_cut = true;
			return 0;
		}
		return len;
	case SINK_MEM:
		if (q->resp.len + len > q->max_mem) {
			q->over_limit = true;
			return 0;
		}
		if (!append(&q->resp, buf, len)) {
			q->write_errno = ENOMEM;
			return 0;
		}
		break;
	case SINK_FD:
		if (q->received + len > q->max_fd) {
			q->over_limit = true;
			return 0;
		}
		for (size_t done = 0; done < len;) {
			ssize_t w = write(q->out_fd, buf + done, len - done);

			if (w < 0 && errno == EINTR)
				continue;
			if (w <= 0) {
				q->write_errno = w < 0 ? errno : EIO;
				return 0;
			}
			done += (size_t)w;
		}
		break;
	}
	if (q->hash && EVP_DigestUpdate(q->hash, buf, len) != 1) {
		q->write_errno = ENOMEM;
		return 0;
	}
	q->received += len;
	return len;
}

static size_t on_read(char *buf, size_t size, size_t n, void *data)
{
	struct registry_req *q = data;
	uint64_t left = q->body_len - q->upload_pos;
	size_t len = size * n;

	if (len > left)
		len = (size_t)left;
	if (!len)
		return 0;
	if (q->body) {
		memcpy(buf, (const unsigned char *)q->body + q->upload_pos, len);
	} else {
		ssize_t got;

		do
			got = pread(q->body_fd, buf, len, (off_t)(q->body_off + q->upload_pos));
		while (got < 0 && errno == EINTR);
		if (got <= 0) {
			q->write_errno = got < 0 ? errno : EIO; /* the file shrank under us */
			return CURL_READFUNC_ABORT;
		}
		len = (size_t)got;
	}
	q->upload_pos += len;
	return len;
}

static int on_seek(void *data, curl_off_t offset, int origin)
{
	struct registry_req *q = data;

	if (origin != SEEK_SET || offset < 0 || (uint64_t)offset > q->body_len)
		return CURL_SEEKFUNC_FAIL;
	q->upload_pos = (uint64_t)offset;
	return CURL_SEEKFUNC_OK;
}

struct progress_ctx {
	struct registry *r;
	struct registry_req *q;
};

static int on_progress(void *data, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal,
		       curl_off_t ulnow)
{
	struct progress_ctx *p = data;

	if (ultotal > 0 || ulnow > 0)
		p->r->progress(p->q->what, (uint64_t)ulnow, (uint64_t)ultotal, p->r->progress_data);
	else
		p->r->progress(p->q->what, p->q->received,
			       p->q->total_hint ? p->q->total_hint : (uint64_t)dltotal,
			       p->r->progress_data);
	return 0;
}

/* Adds the extra CA to the store libcurl already filled from the system bundle: setting
 * CURLOPT_CAINFO instead would replace the system CAs. */
static CURLcode add_ca_file(CURL *curl, void *ssl_ctx, void *data)
{
	X509_STORE *store = SSL_CTX_get_cert_store(ssl_ctx);

	(void)curl;
	if (!store || X509_STORE_load_file(store, data) != 1)
		return CURLE_SSL_CACERT_BADFILE;
	return CURLE_OK;
}

static int transport_error(struct registry *r, struct registry_req *q, struct img_err *e)
{
	const char *why = q->curl_err[0] ? q->curl_err : curl_easy_strerror(q->curl_rc);
	double secs = 0;

	switch (q->curl_rc) {
	case CURLE_WRITE_ERROR:
		if (q->over_limit && q->sink == SINK_MEM)
			return img_fail(e, -EFBIG, "%s is larger than the limit of %zu bytes", q->what,
					q->max_mem);
		if (q->over_limit)
			return img_fail(e, -EFBIG, "%s is larger than the limit of %llu bytes",
					q->what, (unsigned long long)q->max_fd);
		if (q->write_errno)
			return img_fail(e, -q->write_errno, "%s: cannot store the data: %s", q->what,
					strerror(q->write_errno));
		break;
	case CURLE_READ_ERROR:
	case CURLE_ABORTED_BY_CALLBACK:
		if (q->write_errno)
			return img_fail(e, -q->write_errno, "%s: cannot read the data to send: %s",
					q->what, strerror(q->write_errno));
		break;
	case CURLE_OPERATION_TIMEDOUT:
		curl_easy_getinfo(r->curl, CURLINFO_TOTAL_TIME, &secs);
		if (secs + 1 >= (double)r->total_timeout)
			return img_fail(e, -ETIMEDOUT, "%s: registry %s did not finish within %ld s",
					q->what, r->host, r->total_timeout);
		return img_fail(e, -ETIMEDOUT,
				"%s: registry %s stalled (less than %d bytes/s for %ld s, or no "
				"connection within %ld s)",
				q->what, r->host, REGISTRY_STALL_BYTES_PER_SEC, r->stall_timeout,
				r->connect_timeout);
	case CURLE_TOO_MANY_REDIRECTS:
		return img_fail(e, -ELOOP, "%s: redirect loop (more than %d redirects)", q->what,
				REGISTRY_MAX_REDIRECTS);
	case CURLE_PARTIAL_FILE:
		return img_fail(e, -EBADMSG,
				"%s: truncated download (the connection closed after %llu bytes)",
				q->what, (unsigned long long)q->received);
	case CURLE_PEER_FAILED_VERIFICATION:
	case CURLE_SSL_CACERT_BADFILE:
	case CURLE_SSL_CERTPROBLEM:
		return img_fail(e, -EPERM,
				"registry %s: TLS certificate not trusted (%s); give the CA that "
				"signed it as the CA file ([registries] ca_file)",
				r->host, why);
	case CURLE_SSL_CONNECT_ERROR:
		return img_fail(e, -EPROTO, "registry %s: TLS handshake failed: %s", r->host, why);
	case CURLE_COULDNT_RESOLVE_HOST:
		return img_fail(e, -EHOSTUNREACH, "registry %s: cannot resolve the host name: %s",
				r->host, why);
	case CURLE_COULDNT_CONNECT:
		return img_fail(e, -ECONNREFUSED, "registry %s: cannot connect: %s", r->host, why);
	case CURLE_UNSUPPORTED_PROTOCOL:
		return img_fail(e, -EPROTO, "%s: redirected to an unsupported URL scheme", q->what);
	default:
		break;
	}
	return img_fail(e, -EIO, "%s: registry %s: %s", q->what, r->host, why);
}

int registry_send(struct registry *r, struct registry_req *q, const char *authorization,
		  struct img_err *e)
{
	_cleanup_free_ char *auth_hdr = NULL, *accept_hdr = NULL, *ct_hdr = NULL,
			    *range_hdr = NULL;
	struct curl_slist *headers = NULL, *h;
	struct progress_ctx pc = { r, q };
	CURL *c = r->curl;
	bool ok = true;
	int rc = 0;

	registry_req_clear(q);
	q->status = 0;
	q->received = 0;
	q->upload_pos = 0;
	q->over_limit = false;
	q->write_errno = 0;
	q->body_cut = false;
	q->curl_err[0] = '\0';
	q->curl_handle = c;
	if (q->hash && EVP_DigestInit_ex(q->hash, EVP_sha256(), NULL) != 1)
		return -ENOMEM;

	curl_easy_reset(c);
	if ((authorization && asprintf(&auth_hdr, "Authorization: %s", authorization) < 0) ||
	    (q->accept && asprintf(&accept_hdr, "Accept: %s", q->accept) < 0) ||
	    asprintf(&ct_hdr, "Content-Type:%s%s", q->content_type ? " " : "",
		     q->content_type ? q->content_type : "") < 0 ||
	    (q->content_range && asprintf(&range_hdr, "Content-Range: %s", q->content_range) < 0))
		return -ENOMEM;
#define ADD(s)                                          \
	do {                                            \
		if (ok && (s)) {                        \
			h = curl_slist_append(headers, s); \
			ok = h != NULL;                 \
			if (h)                          \
				headers = h;            \
		}                                       \
	} while (0)
	ADD(auth_hdr);
	ADD(accept_hdr);
	/* "Content-Type:" with no value removes the header libcurl would add for a POST
	 * (application/x-www-form-urlencoded, which registry 2.8 answers with
	 * DIGEST_INVALID on blob uploads). */
	ADD(ct_hdr);
	ADD(range_hdr);
#undef ADD
	if (!ok) {
		curl_slist_free_all(headers);
		return -ENOMEM;
	}

	curl_easy_setopt(c, CURLOPT_URL, q->url);
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, r->plain_allowed ? "http,https" : "https");
	/* a redirect may leave https only where plain http is allowed at all */
	curl_easy_setopt(c, CURLOPT_REDIR_PROTOCOLS_STR,
			 r->plain_allowed ? "http,https" : "https");
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_USERAGENT, "bpfman");
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers);
	curl_easy_setopt(c, CURLOPT_ERRORBUFFER, q->curl_err);
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, r->connect_timeout);
	/* a stall is also a trickle: a server that sends a byte now and then would otherwise
	 * hold the transfer until the total limit */
	curl_easy_setopt(c, CURLOPT_LOW_SPEED_LIMIT, (long)REGISTRY_STALL_BYTES_PER_SEC);
	curl_easy_setopt(c, CURLOPT_LOW_SPEED_TIME, r->stall_timeout);
	curl_easy_setopt(c, CURLOPT_TIMEOUT, r->total_timeout);
	curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, q->follow ? 1L : 0L);
	curl_easy_setopt(c, CURLOPT_MAXREDIRS, (long)REGISTRY_MAX_REDIRECTS);
	/* Never CURLOPT_UNRESTRICTED_AUTH: libcurl then drops Authorization on a redirect to
	 * another host (a storage URL needs no token, and must not see our credentials). */
	curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(c, CURLOPT_HEADERDATA, q);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, q);
	if (r->ca_file) { /* called for TLS connections only: a redirect to https included */
		curl_easy_setopt(c, CURLOPT_SSL_CTX_FUNCTION, add_ca_file);
		curl_easy_setopt(c, CURLOPT_SSL_CTX_DATA, r->ca_file);
	}
	if (q->progress && r->progress) {
		curl_easy_setopt(c, CURLOPT_NOPROGRESS, 0L);
		curl_easy_setopt(c, CURLOPT_XFERINFOFUNCTION, on_progress);
		curl_easy_setopt(c, CURLOPT_XFERINFODATA, &pc);
	}

	if (!strcmp(q->method, "HEAD")) {
		curl_easy_setopt(c, CURLOPT_NOBODY, 1L);
	} else if (!strcmp(q->method, "POST")) {
		curl_easy_setopt(c, CURLOPT_POST, 1L);
		curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)0);
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, "");
	} else if (!strcmp(q->method, "PUT") || !strcmp(q->method, "PATCH")) {
		curl_easy_setopt(c, CURLOPT_UPLOAD, 1L);
		curl_easy_setopt(c, CURLOPT_INFILESIZE_LARGE, (curl_off_t)q->body_len);
		curl_easy_setopt(c, CURLOPT_READFUNCTION, on_read);
		curl_easy_setopt(c, CURLOPT_READDATA, q);
		curl_easy_setopt(c, CURLOPT_SEEKFUNCTION, on_seek);
		curl_easy_setopt(c, CURLOPT_SEEKDATA, q);
		if (!strcmp(q->method, "PATCH"))
			curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, "PATCH");
	} else if (strcmp(q->method, "GET")) {
		curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, q->method);
	}

	q->curl_rc = curl_easy_perform(c);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, NULL);
	curl_slist_free_all(headers);
	if (auth_hdr)
		explicit_bzero(auth_hdr, strlen(auth_hdr));
	if (q->curl_rc != CURLE_OK && !(q->curl_rc == CURLE_WRITE_ERROR && q->body_cut))
		return transport_error(r, q, e);
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &q->status);
	if (q->follow && q->status >= 300 && q->status < 400)
		return img_fail(e, -EPROTO, "%s: redirect (%ld) without a usable Location",
				q->what, q->status);
	return rc;
}

/* Printable ASCII only, at most max bytes: registry text is hostile input. */
static void sanitise(char *s, size_t max)
{
	size_t i;

	for (i = 0; s[i] && i < max; i++)
		if ((unsigned char)s[i] < 0x20 || (unsigned char)s[i] > 0x7e)
			s[i] = '?';
	s[i] = '\0';
}

/* "CODE message; CODE2 message2" from {"errors":[{"code","message"}]}, or the start of a
 * plain-text body. */
static void error_summary(const struct img_buf *b, char *out, size_t size)
{
	json_t *root, *errors, *it;
	size_t i, used = 0;

	out[0] = '\0';
	if (!b->data || !b->len)
		return;
	root = json_loadb((const char *)b->data, b->len, 0, NULL);
	errors = json_is_object(root) ? json_object_get(root, "errors") : NULL;
	if (json_is_array(errors)) {
		json_array_foreach(errors, i, it)
		{
			const char *code = json_string_value(json_object_get(it, "code"));
			const char *msg = json_string_value(json_object_get(it, "message"));
			int n;

			if (i >= 3 || used >= size - 1)
				break;
			n = snprintf(out + used, size - used, "%s%s%s%s", i ? "; " : "",
				     code ? code : "", code && msg ? " " : "", msg ? msg : "");
			if (n < 0)
				break;
			used += (size_t)n < size - used ? (size_t)n : size - used - 1;
		}
	} else {
		snprintf(out, size, "%.*s", (int)(b->len < 120 ? b->len : 120),
			 (const char *)b->data);
	}
	json_decref(root);
	sanitise(out, size - 1);
}

int registry_status_error(struct registry *r, const struct registry_req *q, struct img_err *e)
{
	char detail[400];
	int rc;

	error_summary(&q->resp, detail, sizeof(detail));
	/* A hostile registry could echo what we sent; a message never carries a secret. */
	if (r->password && *r->password && strstr(detail, r->password))
		snprintf(detail, sizeof(detail), "(details withheld: they contain the password)");
	switch (q->status) {
	case 404:
		rc = -ENOENT;
		return img_fail(e, rc, "%s: not found (404%s%s)", q->what, detail[0] ? ": " : "",
				detail);
	case 401:
	case 403:
		rc = -EACCES;
		return img_fail(e, rc, "%s: access denied by registry %s (%ld%s%s)", q->what,
				r->host, q->status, detail[0] ? ": " : "", detail);
	case 413:
		rc = -EFBIG;
		break;
	case 429:
		rc = -EBUSY;
		break;
	default:
		rc = -EPROTO;
		break;
	}
	return img_fail(e, rc, "%s: registry %s answered %ld%s%s", q->what, r->host, q->status,
			detail[0] ? ": " : "", detail);
}

int registry_request(struct registry *r, struct registry_req *q, struct img_err *e)
{
	_cleanup_free_ char *auth = NULL;
	bool same;
	int rc;

	rc = registry_ping(r, e);
	if (rc < 0)
		return rc;
	same = registry_same_origin(r, q->url);
	if (same) {
		rc = registry_auth_header(r, q->actions, &auth, e);
		if (rc < 0)
			return rc;
	}
	rc = registry_send(r, q, auth, e);
	if (auth)
		explicit_bzero(auth, strlen(auth));
	if (rc < 0 || q->status != 401 || !same)
		return rc;

	free(auth);
	auth = NULL;
	rc = registry_auth_answer(r, q->www_auth, q->actions, &auth, e);
	if (rc < 0)
		return rc;
	rc = registry_send(r, q, auth, e);
	if (auth)
		explicit_bzero(auth, strlen(auth));
	if (rc < 0)
		return rc;
	if (q->status == 401)
		return img_fail(e, -EACCES,
				"%s: registry %s refused the credentials%s", q->what, r->host,
				r->username ? "" : " (none were given)");
	return 0;
}

static int ping_one(struct registry *r, const char *scheme, CURLcode *ret_curl,
		    struct img_err *e)
{
	_cleanup_free_ char *url = NULL, *what = NULL;
	struct registry_req q = { .method = "GET", .follow = true, .sink = SINK_NONE };
	struct registry_challenge ch = { 0 };
	int rc;

	if (asprintf(&url, "%s://%s/v2/", scheme, r->host) < 0 ||
	    asprintf(&what, "registry %s", r->host) < 0)
		return -ENOMEM;
	q.url = url;
	q.what = what;
	rc = registry_send(r, &q, NULL, e);
	*ret_curl = q.curl_rc;
	if (rc < 0)
		goto out;
	if (q.status == 200) {
		r->scheme = AUTH_NONE;
	} else if (q.status == 401 && q.www_auth && registry_challenge_parse(q.www_auth, &ch) >= 0 &&
		   ch.scheme != AUTH_NONE) {
		r->scheme = ch.scheme;
		if (ch.scheme == AUTH_BEARER) {
			free(r->realm);
			free(r->service);
			r->realm = TAKE_PTR(ch.realm);
			r->service = TAKE_PTR(ch.service);
		}
	} else if (q.status == 401) {
		rc = img_fail(e, -EACCES,
			      "registry %s asks for authentication in a way we do not support%s%.80s",
			      r->host, q.www_auth ? ": " : "", q.www_auth ? q.www_auth : "");
		goto out;
	} else if (q.status == 404) {
		rc = img_fail(e, -EPROTO, "%s does not implement the registry API v2 (/v2/ is 404)",
			      r->host);
		goto out;
	} else {
		rc = registry_status_error(r, &q, e);
		goto out;
	}
	if (asprintf(&r->base, "%s://%s", scheme, r->host) < 0) {
		r->base = NULL;
		rc = -ENOMEM;
	}
out:
	registry_challenge_clear(&ch);
	registry_req_clear(&q);
	return rc;
}

int registry_ping(struct registry *r, struct img_err *e)
{
	struct img_err tls_err = { 0 };
	CURLcode curl_rc = CURLE_OK;
	int rc;

	if (r->base)
		return 0;
	if (!r->plain_allowed)
		return ping_one(r, "https", &curl_rc, e);
	/* Plain HTTP is tried only where it is allowed, and only when the server does not
	 * speak TLS at all: a certificate that fails verification is an error, never a
	 * reason to downgrade. */
	rc = ping_one(r, "https", &curl_rc, &tls_err);
	if (rc < 0 && curl_rc == CURLE_SSL_CONNECT_ERROR)
		return ping_one(r, "http", &curl_rc, e);
	if (rc < 0)
		return img_fail(e, rc, "%s", tls_err.msg);
	return 0;
}
