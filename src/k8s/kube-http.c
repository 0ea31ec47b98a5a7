/* Opening a client and making requests: one libcurl easy handle per request (so a struct
 * kube is usable from several threads), TLS from the kubeconfig (files by path, inline data
 * as blobs), the bearer token (a token file re-read when it changes), and the mapping of a
 * failed request to -errno plus the API server's own message. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <openssl/crypto.h>

#include "build-config.h"
#include "cleanup.h"
#include "kube-internal.h"

#define DEFAULT_TIMEOUT_MS 30000
#define CONNECT_TIMEOUT_MS 10000L
#define MAX_TOKEN (64u << 10)

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;
static CURLcode curl_init_rc;

static void curl_init(void)
{
	curl_init_rc = curl_global_init(CURL_GLOBAL_DEFAULT);
}

int kube_open_config(struct kube_config *cfg, const struct kube_opts *o, struct kube **ret,
		     char **ret_err)
{
	struct kube *k;

	pthread_once(&curl_once, curl_init);
	if (curl_init_rc != CURLE_OK)
		return kube_fail(ret_err, -EIO, "libcurl: %s", curl_easy_strerror(curl_init_rc));
	k = calloc(1, sizeof(*k));
	if (!k)
		return -ENOMEM;
	k->field_manager = strdup(o && o->field_manager ? o->field_manager : "bpfman");
	if (!k->field_manager) {
		free(k);
		return -ENOMEM;
	}
	k->timeout_ms = o && o->timeout_ms > 0 ? o->timeout_ms : DEFAULT_TIMEOUT_MS;
	pthread_mutex_init(&k->token_lock, NULL);
	pthread_mutex_init(&k->pool_lock, NULL);
	k->cfg = *cfg;
	memset(cfg, 0, sizeof(*cfg));
	*ret = k;
	return 0;
}

int kube_open_in_cluster_dir(const char *sa_dir, const struct kube_opts *o, struct kube **ret,
			     char **ret_err)
{
	struct kube_config c = { 0 };
	int r;

	r = kube_config_in_cluster(sa_dir, secure_getenv("KUBERNETES_SERVICE_HOST"),
				   secure_getenv("KUBERNETES_SERVICE_PORT"), &c, ret_err);
	if (r < 0)
		return r;
	r = kube_open_config(&c, o, ret, ret_err);
	kube_config_clear(&c);
	return r;
}

int kube_open(const struct kube_opts *o, struct kube **ret, char **ret_err)
{
	struct kube_config c = { 0 };
	_cleanup_free_ char *path = NULL;
	const char *env = secure_getenv("KUBECONFIG"), *home;
	int r;

	if (o && o->kubeconfig) {
		path = strdup(o->kubeconfig);
	} else if (env && *env) {
		/* a list of files (kubectl merges them): we read the first */
		path = strndup(env, strcspn(env, ":"));
	} else if (secure_getenv("KUBERNETES_SERVICE_HOST")) {
		return kube_open_in_cluster_dir(KUBE_SA_DIR, o, ret, ret_err);
	} else if ((home = secure_getenv("HOME")) && *home) {
		path = kube_strf("%s/.kube/config", home);
		if (!path)
			return -ENOMEM;
		if (access(path, F_OK) < 0)
			return kube_fail(ret_err, -ENOENT,
					 "no Kubernetes configuration: no --kubeconfig, no $KUBECONFIG, not in a pod, no %s",
					 path);
	} else {
		return kube_fail(ret_err, -ENOENT,
				 "no Kubernetes configuration: no --kubeconfig, no $KUBECONFIG, not in a pod");
	}
	if (!path)
		return -ENOMEM;
	r = kube_config_from_file(path, &c, ret_err);
	if (r < 0)
		return r;
	r = kube_open_config(&c, o, ret, ret_err);
	kube_config_clear(&c);
	return r;
}

void kube_close(struct kube *k)
{
	if (!k)
		return;
	while (k->npool > 0)
		curl_easy_cleanup(k->pool[--k->npool]);
	pthread_mutex_destroy(&k->pool_lock);
	kube_config_clear(&k->cfg);
	if (k->file_token)
		OPENSSL_cleanse(k->file_token, strlen(k->file_token));
	free(k->file_token);
	free(k->field_manager);
	pthread_mutex_destroy(&k->token_lock);
	free(k);
}

const char *kube_server(const struct kube *k)
{
	return k->cfg.server;
}

/* Reads the token file if it is not the one read last time (kubelet replaces the projected
 * token by an atomic symlink swap, so the inode changes; size and mtime catch in-place
 * rewrites). Called with token_lock held. */
static int refresh_file_token(struct kube *k, char **ret_err)
{
	_cleanup_fclose_ FILE *f = NULL;
	_cleanup_free_ char *buf = NULL;
	struct stat st;
	size_t n;

	if (stat(k->cfg.token_file, &st) < 0)
		return kube_fail(ret_err, -errno, "token file %s: %s", k->cfg.token_file,
				 strerror(errno));
	if (k->file_token && st.st_dev == k->token_dev && st.st_ino == k->token_ino &&
	    st.st_size == k->token_size && st.st_mtim.tv_sec == k->token_mtime.tv_sec &&
	    st.st_mtim.tv_nsec == k->token_mtime.tv_nsec)
		return 0;
	f = fopen(k->cfg.token_file, "re");
	if (!f)
		return kube_fail(ret_err, -errno, "token file %s: %s", k->cfg.token_file,
				 strerror(errno));
	buf = calloc(1, MAX_TOKEN + 1);
	if (!buf)
		return -ENOMEM;
	n = fread(buf, 1, MAX_TOKEN, f);
	if (ferror(f))
		return kube_fail(ret_err, -EIO, "token file %s: read error", k->cfg.token_file);
	while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == '\r' || buf[n - 1] == ' '))
		buf[--n] = 0;
	if (n == 0 || strpbrk(buf, "\r\n"))
		return kube_fail(ret_err, -EINVAL, "token file %s: empty or more than one line",
				 k->cfg.token_file);
	if (k->file_token)
		OPENSSL_cleanse(k->file_token, strlen(k->file_token));
	free(k->file_token);
	k->file_token = TAKE_PTR(buf);
	k->token_dev = st.st_dev;
	k->token_ino = st.st_ino;
	k->token_size = st.st_size;
	k->token_mtime = st.st_mtim;
	return 0;
}

int kube_bearer_token(struct kube *k, char **ret, char **ret_err)
{
	int r = 0;

	*ret = NULL;
	if (k->cfg.token) {
		*ret = strdup(k->cfg.token);
		return *ret ? 0 : -ENOMEM;
	}
	if (!k->cfg.token_file)
		return 0;
	pthread_mutex_lock(&k->token_lock);
	r = refresh_file_token(k, ret_err);
	if (r >= 0) {
		*ret = strdup(k->file_token);
		if (!*ret)
			r = -ENOMEM;
	}
	pthread_mutex_unlock(&k->token_lock);
	return r;
}

static size_t on_body(char *data, size_t size, size_t nmemb, void *userdata)
{
	struct kube_call *c = userdata;
	size_t n = size * nmemb;

	if (c->sink) {
		long status = 0;

		/* a failed watch answers with a Status object, not a stream: keep it */
		curl_easy_getinfo(c->h, CURLINFO_RESPONSE_CODE, &status);
		if (status >= 200 && status < 300)
			return c->sink(data, n, c->sink_ctx);
	}
	if (c->resp_len + n + 1 > KUBE_MAX_BODY) {
		c->too_big = true;
		return 0; /* aborts the transfer: CURLE_WRITE_ERROR */
	}
	if (c->resp_len + n + 1 > c->resp_cap) {
		size_t cap = c->resp_cap ? c->resp_cap : 16384;
		char *p;

		while (cap < c->resp_len + n + 1)
			cap *= 2;
		p = realloc(c->resp, cap);
		if (!p)
			return 0;
		c->resp = p;
		c->resp_cap = cap;
	}
	memcpy(c->resp + c->resp_len, data, n);
	c->resp_len += n;
	c->resp[c->resp_len] = 0;
	return n;
}

static int add_header(struct kube_call *c, const char *h)
{
	struct curl_slist *l = curl_slist_append(c->headers, h);

	if (!l)
		return -ENOMEM;
	c->headers = l;
	return 0;
}

static int set_blob(CURL *h, CURLoption opt, unsigned char *data, size_t len)
{
	struct curl_blob b = { .data = data, .len = len, .flags = CURL_BLOB_COPY };

	return curl_easy_setopt(h, opt, &b) == CURLE_OK ? 0 : -EIO;
}

static CURL *pool_take(struct kube *k)
{
	CURL *h = NULL;

	pthread_mutex_lock(&k->pool_lock);
	if (k->npool > 0)
		h = k->pool[--k->npool];
	pthread_mutex_unlock(&k->pool_lock);
	if (!h)
		return curl_easy_init();
	curl_easy_reset(h); /* options back to defaults; its connections stay open */
	return h;
}

static void pool_give(struct kube *k, CURL *h)
{
	pthread_mutex_lock(&k->pool_lock);
	if (k->npool < KUBE_POOL_MAX) {
		k->pool[k->npool++] = h;
		h = NULL;
	}
	pthread_mutex_unlock(&k->pool_lock);
	if (h)
		curl_easy_cleanup(h);
}

int kube_call_init(struct kube *k, struct kube_call *c, const char *method,
		   const char *path_query, const char *content_type, const char *body,
		   bool pooled, char **ret_err)
{
	const struct kube_config *cfg = &k->cfg;
	_cleanup_free_ char *url = NULL, *token = NULL, *auth = NULL, *ctype = NULL;
	int r = -ENOMEM;

	memset(c, 0, sizeof(*c));
	c->method = strdup(method);
	c->path = strdup(path_query);
	if (body)
		c->body = strdup(body);
	if (!c->method || !c->path || (body && !c->body))
		goto fail;
	url = kube_strf("%s%s", cfg->server, path_query);
	if (!url)
		goto fail;
	r = kube_bearer_token(k, &token, ret_err);
	if (r < 0)
		goto fail;
	r = -ENOMEM;
	c->h = pooled ? pool_take(k) : curl_easy_init();
	if (!c->h)
		goto fail;
	if (pooled)
		c->k = k;
	if (add_header(c, "Accept: application/json") < 0 || add_header(c, "Expect:") < 0)
		goto fail;
	if (content_type) {
		ctype = kube_strf("Content-Type: %s", content_type);
		if (!ctype)
			goto fail;
		if (add_header(c, ctype) < 0)
			goto fail;
	}
	if (token) {
		auth = kube_strf("Authorization: Bearer %s", token);
		if (!auth)
			goto fail;
		r = add_header(c, auth);
		OPENSSL_cleanse(auth, strlen(auth));
		OPENSSL_cleanse(token, strlen(token));
		if (r < 0)
			goto fail;
	}

	/* threads: no signals for DNS time-outs */
	if (curl_easy_setopt(c->h, CURLOPT_NOSIGNAL, 1L) != CURLE_OK ||
	    curl_easy_setopt(c->h, CURLOPT_URL, url) != CURLE_OK ||
	    curl_easy_setopt(c->h, CURLOPT_PROTOCOLS_STR, "https,http") != CURLE_OK ||
	    curl_easy_setopt(c->h, CURLOPT_ERRORBUFFER, c->errbuf) != CURLE_OK ||
	    curl_easy_setopt(c->h, CURLOPT_HTTPHEADER, c->headers) != CURLE_OK ||
	    curl_easy_setopt(c->h, CURLOPT_USERAGENT, "bpfman-c/" BPFMAN_VERSION) != CURLE_OK ||
	    curl_easy_setopt(c->h, CURLOPT_WRITEFUNCTION, on_body) != CURLE_OK ||
	    curl_easy_setopt(c->h, CURLOPT_WRITEDATA, c) != CURLE_OK ||
	    curl_easy_setopt(c->h, CURLOPT_CONNECTTIMEOUT_MS, CONNECT_TIMEOUT_MS) != CURLE_OK ||
	    curl_easy_setopt(c->h, CURLOPT_TIMEOUT_MS, k->timeout_ms) != CURLE_OK ||
	    curl_easy_setopt(c->h, CURLOPT_TCP_KEEPALIVE, 1L) != CURLE_OK)
		goto fail_setopt;
	if (strcmp(method, "GET") != 0 &&
	    curl_easy_setopt(c->h, CURLOPT_CUSTOMREQUEST, method) != CURLE_OK)
		goto fail_setopt;
	if (c->body && (curl_easy_setopt(c->h, CURLOPT_POSTFIELDS, c->body) != CURLE_OK ||
			curl_easy_setopt(c->h, CURLOPT_POSTFIELDSIZE_LARGE,
					 (curl_off_t)strlen(c->body)) != CURLE_OK))
		goto fail_setopt;

	if (cfg->insecure) {
		if (curl_easy_setopt(c->h, CURLOPT_SSL_VERIFYPEER, 0L) != CURLE_OK ||
		    curl_easy_setopt(c->h, CURLOPT_SSL_VERIFYHOST, 0L) != CURLE_OK)
			goto fail_setopt;
	} else if (cfg->ca_data) {
		if (set_blob(c->h, CURLOPT_CAINFO_BLOB, cfg->ca_data, cfg->ca_len) < 0)
			goto fail_setopt;
	} else if (cfg->ca_file) {
		if (curl_easy_setopt(c->h, CURLOPT_CAINFO, cfg->ca_file) != CURLE_OK)
			goto fail_setopt;
	}
	if (cfg->cert_data) {
		if (set_blob(c->h, CURLOPT_SSLCERT_BLOB, cfg->cert_data, cfg->cert_len) < 0)
			goto fail_setopt;
	} else if (cfg->cert_file) {
		if (curl_easy_setopt(c->h, CURLOPT_SSLCERT, cfg->cert_file) != CURLE_OK)
			goto fail_setopt;
	}
	if (cfg->key_data) {
		if (set_blob(c->h, CURLOPT_SSLKEY_BLOB, cfg->key_data, cfg->key_len) < 0)
			goto fail_setopt;
	} else if (cfg->key_file) {
		if (curl_easy_setopt(c->h, CURLOPT_SSLKEY, cfg->key_file) != CURLE_OK)
			goto fail_setopt;
	}
	return 0;
fail_setopt:
	kube_call_done(c);
	return kube_fail(ret_err, -EIO, "%s %s: cannot set up the request (libcurl option)", method,
			 path_query);
fail:
	kube_call_done(c);
	return r;
}

void kube_call_done(struct kube_call *c)
{
	if (c->h && c->k)
		pool_give(c->k, c->h);
	else if (c->h)
		curl_easy_cleanup(c->h);
	curl_slist_free_all(c->headers);
	free(c->method);
	free(c->path);
	free(c->body);
	free(c->resp);
	memset(c, 0, sizeof(*c));
}

int kube_http_errno(long status, const char *reason)
{
	if (status >= 200 && status < 300)
		return 0;
	switch (status) {
	case 400:
	case 422:
	case 415:
		return -EINVAL;
	case 401:
	case 403:
		return -EACCES;
	case 404:
		return -ENOENT;
	case 405:
		return -EOPNOTSUPP;
	case 408:
		return -ETIMEDOUT;
	case 409:
		/* both are 409: the Status reason tells a create of an existing name from a
		 * write with a stale resourceVersion */
		return reason && strcmp(reason, "AlreadyExists") == 0 ? -EEXIST : -EBUSY;
	case 410:
		return -ESTALE;
	case 413:
		return -E2BIG;
	case 429:
		return -EIO;
	}
	if (status >= 500)
		return -EIO;
	return -EPROTO;
}

static int transport_errno(CURLcode cc)
{
	switch (cc) {
	case CURLE_OPERATION_TIMEDOUT:
		return -ETIMEDOUT;
	case CURLE_ABORTED_BY_CALLBACK:
		return -ECANCELED;
	case CURLE_OUT_OF_MEMORY:
		return -ENOMEM;
	default:
		return -EIO;
	}
}

/* A hint for the TLS failures people hit when a kubeconfig does not fit the server. */
static const char *transport_hint(CURLcode cc)
{
	switch (cc) {
	case CURLE_PEER_FAILED_VERIFICATION:
		return " (the server's certificate is not signed by the configured certificate-authority, or does not name this host)";
	case CURLE_SSL_CACERT_BADFILE:
		return " (the certificate-authority cannot be read as PEM)";
	case CURLE_SSL_CERTPROBLEM:
		return " (the client certificate cannot be used)";
	case CURLE_SSL_CONNECT_ERROR:
		return " (TLS handshake failed: client certificate or key rejected or mismatched?)";
	default:
		return "";
	}
}

int kube_call_result(struct kube_call *c, CURLcode cc, json_t **ret, char **ret_err)
{
	long status = 0;
	json_t *j = NULL;
	json_error_t jerr;
	int r;

	if (cc != CURLE_OK) {
		if (c->too_big)
			return kube_fail(ret_err, -E2BIG, "%s %s: response larger than %u bytes",
					 c->method, c->path, KUBE_MAX_BODY);
		return kube_fail(ret_err, transport_errno(cc), "%s %s: %s%s%s%s", c->method,
				 c->path, curl_easy_strerror(cc), c->errbuf[0] ? ": " : "",
				 c->errbuf, transport_hint(cc));
	}
	curl_easy_getinfo(c->h, CURLINFO_RESPONSE_CODE, &status);
	if (c->resp_len)
		j = json_loadb(c->resp, c->resp_len, 0, &jerr);
	if (status < 200 || status >= 300) {
		/* the API server explains itself in a Status object */
		json_t *msg = json_object_get(j, "message"), *reason = json_object_get(j, "reason");
		const char *rs = json_string_value(reason);

		r = kube_http_errno(status, rs);
		if (json_is_string(msg))
			kube_fail(ret_err, r, "%s %s: %s (HTTP %ld%s%s)", c->method, c->path,
				  json_string_value(msg), status, rs ? " " : "", rs ? rs : "");
		else
			kube_fail(ret_err, r, "%s %s: HTTP %ld%s%.200s", c->method, c->path, status,
				  c->resp_len ? ": " : "", c->resp_len ? c->resp : "");
		json_decref(j);
		return r;
	}
	if (ret) {
		if (!j && c->resp_len) {
			return kube_fail(ret_err, -EBADMSG, "%s %s: the response is not JSON: %s",
					 c->method, c->path, jerr.text);
		}
		*ret = j ? j : json_object();
		return 0;
	}
	json_decref(j);
	return 0;
}

int kube_call_perform(struct kube_call *c, json_t **ret, char **ret_err)
{
	return kube_call_result(c, curl_easy_perform(c->h), ret, ret_err);
}

int kube_request(struct kube *k, const char *method, const char *path_query,
		 const char *content_type, json_t *body, json_t **ret, char **ret_err)
{
	_cleanup_free_ char *text = NULL;
	struct kube_call c;
	int r;

	if (body) {
		text = json_dumps(body, JSON_COMPACT);
		if (!text)
			return -ENOMEM;
	}
	r = kube_call_init(k, &c, method, path_query, body ? content_type : NULL, text, true,
			   ret_err);
	if (r < 0)
		return r;
	r = kube_call_perform(&c, ret, ret_err);
	kube_call_done(&c);
	return r;
}
