/* Internals of the Kubernetes client shared by its files (and by its unit tests and the
 * kube-probe test helper): the connection settings read from a kubeconfig or the pod's
 * service account, the request machinery, the watch-stream parser. Not an API for the agent
 * or the operator: they use kube.h. */
#pragma once

#include <curl/curl.h>
#include <jansson.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>
#include <time.h>

#include "kube.h"

/* Where the pod's service-account credentials are mounted. */
#define KUBE_SA_DIR "/var/run/secrets/kubernetes.io/serviceaccount"

/* Largest response body (a List of many objects) and largest single watch event we accept. */
#define KUBE_MAX_BODY (256u << 20)
#define KUBE_MAX_EVENT (32u << 20)

/* How to reach and authenticate to one API server. Files are absolute paths (a kubeconfig's
 * relative paths are resolved against its directory); *_data are decoded PEM blobs. */
struct kube_config {
	char *server; /* "https://host:port[/prefix]", no trailing '/' */
	char *ca_file;
	unsigned char *ca_data;
	size_t ca_len;
	bool insecure; /* insecure-skip-tls-verify */
	char *cert_file, *key_file;
	unsigned char *cert_data, *key_data;
	size_t cert_len, key_len;
	char *token;      /* a fixed bearer token */
	char *token_file; /* re-read when it changes (bound service-account tokens rotate) */
	char *origin;     /* for messages: "kubeconfig F (context C)" or "in-cluster (DIR)" */
};

void kube_config_clear(struct kube_config *c);
/* Parses a kubeconfig file: current-context -> cluster + user. */
int kube_config_from_file(const char *path, struct kube_config *ret, char **ret_err);
/* Same, from text already read; dir resolves relative file paths, name is for messages. */
int kube_config_from_text(const char *text, size_t len, const char *dir, const char *name,
			  struct kube_config *ret, char **ret_err);
/* In-cluster: token + ca.crt under sa_dir, server from host and port (the values of
 * $KUBERNETES_SERVICE_HOST / _PORT; an IPv6 host gets brackets). */
int kube_config_in_cluster(const char *sa_dir, const char *host, const char *port,
			   struct kube_config *ret, char **ret_err);
/* Decodes standard base64 (whitespace ignored). -EINVAL if it is not base64. */
int kube_base64_decode(const char *in, unsigned char **ret, size_t *ret_len);

/* Idle easy handles kept for their open connections (curl_easy_reset keeps those): a new
 * TLS handshake with a client certificate costs ~8 ms here, a reused connection ~1 ms.
 * (libcurl 7.88 cannot share one connection cache between threads safely; a handle used by
 * one request at a time can keep its own.) */
#define KUBE_POOL_MAX 8

struct kube {
	struct kube_config cfg;
	pthread_mutex_t pool_lock;
	CURL *pool[KUBE_POOL_MAX];
	unsigned npool;
	char *field_manager;
	long timeout_ms;
	/* the token file's last content, and what it was read from */
	pthread_mutex_t token_lock;
	char *file_token;
	dev_t token_dev;
	ino_t token_ino;
	off_t token_size;
	struct timespec token_mtime;
};

/* Opens with settings already made (kube_open resolves which ones); takes over *cfg. */
int kube_open_config(struct kube_config *cfg, const struct kube_opts *o, struct kube **ret,
		     char **ret_err);
/* The in-cluster variant of kube_open with another service-account directory (tests). */
int kube_open_in_cluster_dir(const char *sa_dir, const struct kube_opts *o, struct kube **ret,
			     char **ret_err);
/* The bearer token to send now (the token file re-read if it changed): malloc'd, or NULL
 * when there is none. -errno when the token file cannot be read. */
int kube_bearer_token(struct kube *k, char **ret, char **ret_err);

/* Builds "/api/v1/namespaces/NS/pods/NAME[/status]" (group "" -> /api, else /apis/G);
 * ns and name may be NULL. -EINVAL for a namespace on a cluster-scoped kind. */
int kube_res_path(const struct kube_res *r, const char *ns, const char *name, bool status,
		  char **ret, char **ret_err);

/* One request: its handle, header list, response buffer. */
struct kube_call {
	CURL *h;
	struct kube *k; /* set: h goes back to k's pool when done */
	struct curl_slist *headers;
	char *method; /* for messages */
	char *path;   /* for messages */
	char *body;   /* request body (owned) */
	char *resp;
	size_t resp_len, resp_cap;
	bool too_big;
	char errbuf[CURL_ERROR_SIZE];
	/* when set, response bytes go here instead of the buffer (watch streams) */
	size_t (*sink)(const char *data, size_t len, void *ctx);
	void *sink_ctx;
};

/* Prepares a request: path+query under the server, content type and body may be NULL.
 * pooled: take the handle from (and give it back to) the client's pool; false for requests
 * that run on another multi handle (the informer's). */
int kube_call_init(struct kube *k, struct kube_call *c, const char *method,
		   const char *path_query, const char *content_type, const char *body,
		   bool pooled, char **ret_err);
void kube_call_done(struct kube_call *c);
/* Maps a finished transfer (curl result, HTTP status, body) to 0 or -errno + message, and
 * on success parses the body into *ret (ret may be NULL). */
int kube_call_result(struct kube_call *c, CURLcode cc, json_t **ret, char **ret_err);
/* Runs a prepared request to completion on the calling thread. */
int kube_call_perform(struct kube_call *c, json_t **ret, char **ret_err);
/* One request in one call: method on path_query, body JSON (NULL: none). */
int kube_request(struct kube *k, const char *method, const char *path_query,
		 const char *content_type, json_t *body, json_t **ret, char **ret_err);

/* The path (and selector query) of a collection. */
int kube_list_path(const struct kube_res *r, const char *ns, const struct kube_sel *sel,
		   char **ret, char **ret_err);

/* HTTP status (and the Status object's reason, may be NULL) -> negative errno. */
int kube_http_errno(long http_status, const char *reason);

/* The watch stream: newline-delimited JSON events that may arrive split anywhere. */
struct kube_watch_parser {
	char *buf;
	size_t len, cap;
};
/* Called once per complete event: its parsed {type, object}. Return <0 to stop feeding. */
typedef int (*kube_watch_event_fn)(const char *type, json_t *object, void *ctx);
/* Feeds bytes; calls fn for each complete line. -EBADMSG for a line that is not a watch
 * event, -E2BIG for one longer than KUBE_MAX_EVENT, or what fn returned. */
int kube_watch_feed(struct kube_watch_parser *p, const char *data, size_t len,
		    kube_watch_event_fn fn, void *ctx);
void kube_watch_parser_clear(struct kube_watch_parser *p);

/* Sets *ret_err (if ret_err) to a formatted message; returns r. */
int kube_fail(char **ret_err, int r, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* asprintf that returns the string, NULL on failure (asprintf leaves its pointer undefined
 * then, which a cleanup handler would free). */
char *kube_strf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* A cheap per-thread pseudo-random number (jitter, not secrets). */
unsigned long kube_random(void);

/* Informer internals for tests: how many watches it started; set its resourceVersion and end
 * the current watch, so that the next one starts from rv (an old rv provokes a real 410). */
unsigned kube_informer_watches(struct kube_informer *inf);
int kube_informer_test_set_rv(struct kube_informer *inf, const char *rv);
