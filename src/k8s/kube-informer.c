/* An informer: one thread that keeps a cache of one kind of object (in a namespace or all,
 * filtered by selectors) equal to the API server's, the way client-go's reflector does:
 *
 *   list ──> watch from the list's resourceVersion ──> events update the cache and the RV
 *     ^         │ stream ended (timeoutSeconds)    -> watch again from the RV, at once
 *     │         │ stream broke / HTTP or ERROR      -> watch again from the RV, after backoff
 *     └─────────┘ 410 Gone (RV compacted away)     -> list again (the cache is replaced)
 *
 * BOOKMARK events only move the RV forward (so a re-watch after a quiet hour does not start
 * from a compacted RV). Every request of the thread runs on its own curl multi handle, so
 * kube_informer_stop() can wake it from any wait (curl_multi_wakeup) and it ends at once,
 * not at the next progress callback. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cleanup.h"
#include "kube-internal.h"

/* The server ends each watch after timeoutSeconds, chosen in [MIN, 2*MIN) as client-go does
 * so that many watchers do not reconnect at once; the client gives up SLACK seconds later. */
#define WATCH_MIN_TIMEOUT_S 300
#define WATCH_SLACK_S 30
#define BACKOFF_MAX_MS 30000

struct kube_informer {
	struct kube *k;
	struct kube_res res; /* strings owned: the caller's struct may not outlive us */
	char *ns, *labels, *fields;
	int notify_fd;
	CURLM *multi;
	pthread_t thread;
	bool started;
	atomic_bool stop;
	long watch_timeout_s; /* 0: random in [MIN, 2*MIN) */

	pthread_mutex_t lock; /* guards what follows */
	json_t *cache;        /* "ns/name" (or "name") -> object */
	char *rv;
	bool synced;
	unsigned lists;
	unsigned watches;
	char *last_err;
	bool force_rewatch; /* test hook: end the current watch */

	/* the current watch (thread only) */
	struct kube_watch_parser parser;
	bool gone;     /* 410 seen */
	bool forced;   /* ended by force_rewatch */
	bool changed;  /* the cache changed during this write callback */
	int event_err; /* what stopped the stream parser */
};

static void notify(struct kube_informer *inf)
{
	uint64_t one = 1;

	/* level-triggered readers re-read the cache: a full counter or pipe loses nothing */
	if (inf->notify_fd >= 0 && write(inf->notify_fd, &one, sizeof(one)) < 0) {
		/* EAGAIN: already signalled */
	}
}

static void set_error(struct kube_informer *inf, char *msg)
{
	pthread_mutex_lock(&inf->lock);
	free(inf->last_err);
	inf->last_err = msg;
	pthread_mutex_unlock(&inf->lock);
}

static char *cache_key(json_t *obj)
{
	const char *ns = kube_obj_namespace(obj), *name = kube_obj_name(obj);

	if (!name)
		return NULL;
	return ns ? kube_strf("%s/%s", ns, name) : strdup(name);
}

static const char *obj_rv(json_t *obj)
{
	return json_string_value(
		json_object_get(json_object_get(obj, "metadata"), "resourceVersion"));
}

/* Called with lock held. */
static int set_rv(struct kube_informer *inf, const char *rv)
{
	char *s;

	if (!rv || !*rv)
		return 0;
	s = strdup(rv);
	if (!s)
		return -ENOMEM;
	free(inf->rv);
	inf->rv = s;
	return 0;
}

/* Waits ms, or less if stopped. */
static void sleep_ms(struct kube_informer *inf, long ms)
{
	struct timespec now, end;

	clock_gettime(CLOCK_MONOTONIC, &end);
	end.tv_sec += ms / 1000;
	end.tv_nsec += (ms % 1000) * 1000000;
	if (end.tv_nsec >= 1000000000) {
		end.tv_sec++;
		end.tv_nsec -= 1000000000;
	}
	while (!atomic_load(&inf->stop)) {
		long left;

		clock_gettime(CLOCK_MONOTONIC, &now);
		left = (end.tv_sec - now.tv_sec) * 1000 + (end.tv_nsec - now.tv_nsec) / 1000000;
		if (left <= 0)
			return;
		/* no transfers: this just waits for the time-out or curl_multi_wakeup() */
		curl_multi_poll(inf->multi, NULL, 0, (int)(left > 1000 ? 1000 : left), NULL);
	}
}

/* Ends a watch early when kube_informer_test_set_rv() asked for it. */
static bool take_force_rewatch(struct kube_informer *inf)
{
	bool force;

	pthread_mutex_lock(&inf->lock);
	force = inf->force_rewatch;
	inf->force_rewatch = false;
	pthread_mutex_unlock(&inf->lock);
	return force;
}

/* Runs one request on the informer's multi handle until it ends or stop is asked. */
static CURLcode run_transfer(struct kube_informer *inf, CURL *h, bool watch)
{
	CURLcode cc = CURLE_OK;
	CURLMsg *m;
	int running = 1, left;

	if (curl_multi_add_handle(inf->multi, h) != CURLM_OK)
		return CURLE_FAILED_INIT;
	while (running) {
		if (atomic_load(&inf->stop)) {
			cc = CURLE_ABORTED_BY_CALLBACK;
			break;
		}
		if (watch && take_force_rewatch(inf)) {
			inf->forced = true;
			break;
		}
		if (curl_multi_perform(inf->multi, &running) != CURLM_OK) {
			cc = CURLE_RECV_ERROR;
			break;
		}
		if (!running)
			break;
		curl_multi_poll(inf->multi, NULL, 0, 1000, NULL);
	}
	while ((m = curl_multi_info_read(inf->multi, &left))) {
		if (m->msg == CURLMSG_DONE && m->easy_handle == h && !atomic_load(&inf->stop) &&
		    !inf->forced)
			cc = m->data.result;
	}
	curl_multi_remove_handle(inf->multi, h);
	return cc;
}

static int do_list(struct kube_informer *inf)
{
	struct kube_sel sel = { inf->labels, inf->fields };
	_cleanup_free_ char *path = NULL;
	char *err = NULL;
	struct kube_call c;
	json_t *list = NULL, *cache, *item;
	size_t i;
	int r;

	r = kube_list_path(&inf->res, inf->ns, &sel, &path, &err);
	if (r >= 0)
		r = kube_call_init(inf->k, &c, "GET", path, NULL, NULL, false, &err);
	if (r < 0) {
		set_error(inf, err);
		return r;
	}
	r = kube_call_result(&c, run_transfer(inf, c.h, false), &list, &err);
	kube_call_done(&c);
	if (r < 0) {
		set_error(inf, err);
		return r;
	}
	cache = json_object();
	if (!cache) {
		json_decref(list);
		return -ENOMEM;
	}
	json_array_foreach(json_object_get(list, "items"), i, item) {
		_cleanup_free_ char *key = cache_key(item);

		if (!key)
			continue;
		/* a List's items carry no kind: add it so that cached objects look like watched
		 * ones (and like kube_get's) */
		if (!json_object_get(item, "kind")) {
			json_object_set_new(item, "kind", json_string(inf->res.kind));
			json_object_set_new(item, "apiVersion",
					    inf->res.group[0]
						    ? json_sprintf("%s/%s", inf->res.group,
								   inf->res.version)
						    : json_string(inf->res.version));
		}
		json_object_set(cache, key, item);
	}
	pthread_mutex_lock(&inf->lock);
	json_decref(inf->cache);
	inf->cache = cache;
	r = set_rv(inf, obj_rv(list));
	inf->synced = true;
	inf->lists++;
	pthread_mutex_unlock(&inf->lock);
	json_decref(list);
	notify(inf);
	return r;
}

static int on_event(const char *type, json_t *obj, void *ctx)
{
	struct kube_informer *inf = ctx;
	_cleanup_free_ char *key = NULL;
	int r = 0;

	if (strcmp(type, "ERROR") == 0) {
		json_t *code = json_object_get(obj, "code");
		const char *msg = json_string_value(json_object_get(obj, "message"));

		if (json_integer_value(code) == 410) {
			inf->gone = true;
			return -ESTALE;
		}
		set_error(inf, kube_strf("watch %s: ERROR event: %s (code %lld)", inf->res.plural,
					 msg ? msg : "", (long long)json_integer_value(code)));
		return -EIO;
	}
	if (strcmp(type, "BOOKMARK") == 0) {
		pthread_mutex_lock(&inf->lock);
		r = set_rv(inf, obj_rv(obj));
		pthread_mutex_unlock(&inf->lock);
		return r;
	}
	if (strcmp(type, "ADDED") != 0 && strcmp(type, "MODIFIED") != 0 &&
	    strcmp(type, "DELETED") != 0)
		return 0; /* a type newer than us: skip it */
	key = cache_key(obj);
	if (!key)
		return -EBADMSG;
	pthread_mutex_lock(&inf->lock);
	if (strcmp(type, "DELETED") == 0)
		json_object_del(inf->cache, key);
	else
		r = json_object_set(inf->cache, key, obj) < 0 ? -ENOMEM : 0;
	if (r >= 0)
		r = set_rv(inf, obj_rv(obj));
	pthread_mutex_unlock(&inf->lock);
	inf->changed = true;
	return r;
}

static size_t on_watch_data(const char *data, size_t len, void *ctx)
{
	struct kube_informer *inf = ctx;
	int r;

	inf->changed = false;
	r = kube_watch_feed(&inf->parser, data, len, on_event, inf);
	if (inf->changed)
		notify(inf);
	if (r < 0) {
		inf->event_err = r;
		return 0; /* ends the transfer */
	}
	return len;
}

/* One watch from the current RV. 0: the server ended it (time-out): watch again.
 * -ESTALE: 410, list again. -ECANCELED: stopped. Other <0: broken, back off. */
static int do_watch(struct kube_informer *inf)
{
	struct kube_sel sel = { inf->labels, inf->fields };
	_cleanup_free_ char *path = NULL, *pq = NULL, *rv = NULL;
	char *err = NULL;
	struct kube_call c;
	long timeout_s = inf->watch_timeout_s;
	CURLcode cc;
	int r;

	if (!timeout_s)
		timeout_s = WATCH_MIN_TIMEOUT_S + (long)(kube_random() % WATCH_MIN_TIMEOUT_S);
	pthread_mutex_lock(&inf->lock);
	rv = inf->rv ? strdup(inf->rv) : strdup("");
	pthread_mutex_unlock(&inf->lock);
	if (!rv)
		return -ENOMEM;
	r = kube_list_path(&inf->res, inf->ns, &sel, &path, &err);
	if (r < 0) {
		set_error(inf, err);
		return r;
	}
	pq = kube_strf("%s%cwatch=1&allowWatchBookmarks=true&resourceVersion=%s&timeoutSeconds=%ld",
		       path, strchr(path, '?') ? '&' : '?', rv, timeout_s);
	if (!pq)
		return -ENOMEM;
	r = kube_call_init(inf->k, &c, "GET", pq, NULL, NULL, false, &err);
	if (r < 0) {
		set_error(inf, err);
		return r;
	}
	c.sink = on_watch_data;
	c.sink_ctx = inf;
	kube_watch_parser_clear(&inf->parser);
	inf->gone = false;
	inf->forced = false;
	inf->event_err = 0;
	curl_easy_setopt(c.h, CURLOPT_TIMEOUT_MS, (timeout_s + WATCH_SLACK_S) * 1000L);
	/* a peer that vanished without a FIN shows within a minute */
	curl_easy_setopt(c.h, CURLOPT_TCP_KEEPIDLE, 30L);
	curl_easy_setopt(c.h, CURLOPT_TCP_KEEPINTVL, 10L);
	pthread_mutex_lock(&inf->lock);
	inf->watches++;
	pthread_mutex_unlock(&inf->lock);

	cc = run_transfer(inf, c.h, true);
	if (atomic_load(&inf->stop)) {
		r = -ECANCELED;
	} else if (inf->forced) {
		r = 0;
	} else if (inf->gone) {
		r = -ESTALE;
	} else if (cc == CURLE_WRITE_ERROR && inf->event_err) {
		r = inf->event_err;
		if (r != -EIO) /* -EIO: on_event stored the server's message */
			set_error(inf, kube_strf("watch %s: malformed event stream (%s)",
						 inf->res.plural, strerror(-r)));
	} else {
		/* HTTP 410 on the request itself is -ESTALE too */
		r = kube_call_result(&c, cc, NULL, &err);
		if (r < 0)
			set_error(inf, err);
	}
	kube_call_done(&c);
	kube_watch_parser_clear(&inf->parser);
	return r;
}

static void *informer_thread(void *arg)
{
	struct kube_informer *inf = arg;
	struct kube_backoff b = { .max_ms = BACKOFF_MAX_MS };
	bool need_list = true;
	int r;

	while (!atomic_load(&inf->stop)) {
		if (need_list) {
			r = do_list(inf);
			if (r == -ECANCELED || atomic_load(&inf->stop))
				break;
			if (r < 0) {
				sleep_ms(inf, kube_backoff_next(&b));
				continue;
			}
			need_list = false;
		}
		r = do_watch(inf);
		if (r == -ECANCELED)
			break;
		if (r == 0) {
			/* the server's time-out: the stream worked, watch on */
			kube_backoff_reset(&b);
		} else if (r == -ESTALE) {
			/* our RV is compacted away: only a new list can catch up */
			need_list = true;
		} else {
			sleep_ms(inf, kube_backoff_next(&b));
		}
	}
	return NULL;
}

int kube_informer_start(struct kube *k, const struct kube_res *r, const char *ns,
			const struct kube_sel *sel, int notify_fd, struct kube_informer **ret,
			char **ret_err)
{
	struct kube_informer *inf;
	int e = -ENOMEM;

	if (ns && !r->namespaced)
		return kube_fail(ret_err, -EINVAL, "%s is cluster-scoped: no namespace", r->plural);
	inf = calloc(1, sizeof(*inf));
	if (!inf)
		return -ENOMEM;
	inf->k = k;
	inf->notify_fd = notify_fd;
	inf->res = *r;
	inf->res.group = strdup(r->group);
	inf->res.version = strdup(r->version);
	inf->res.plural = strdup(r->plural);
	inf->res.kind = strdup(r->kind ? r->kind : "");
	inf->ns = ns ? strdup(ns) : NULL;
	inf->labels = sel && sel->labels ? strdup(sel->labels) : NULL;
	inf->fields = sel && sel->fields ? strdup(sel->fields) : NULL;
	inf->cache = json_object();
	inf->multi = curl_multi_init();
	pthread_mutex_init(&inf->lock, NULL);
	atomic_init(&inf->stop, false);
	if (!inf->res.group || !inf->res.version || !inf->res.plural || !inf->res.kind ||
	    (ns && !inf->ns) || (sel && sel->labels && !inf->labels) ||
	    (sel && sel->fields && !inf->fields) || !inf->cache || !inf->multi)
		goto fail;
	e = -pthread_create(&inf->thread, NULL, informer_thread, inf);
	if (e < 0) {
		kube_fail(ret_err, e, "informer for %s: cannot start its thread", r->plural);
		goto fail;
	}
	inf->started = true;
	*ret = inf;
	return 0;
fail:
	kube_informer_stop(inf);
	return e;
}

void kube_informer_stop(struct kube_informer *inf)
{
	if (!inf)
		return;
	if (inf->started) {
		atomic_store(&inf->stop, true);
		curl_multi_wakeup(inf->multi);
		pthread_join(inf->thread, NULL);
	}
	if (inf->multi)
		curl_multi_cleanup(inf->multi);
	json_decref(inf->cache);
	kube_watch_parser_clear(&inf->parser);
	pthread_mutex_destroy(&inf->lock);
	free((char *)inf->res.group);
	free((char *)inf->res.version);
	free((char *)inf->res.plural);
	free((char *)inf->res.kind);
	free(inf->ns);
	free(inf->labels);
	free(inf->fields);
	free(inf->rv);
	free(inf->last_err);
	free(inf);
}

bool kube_informer_synced(struct kube_informer *inf)
{
	bool s;

	if (!inf)
		return false;
	pthread_mutex_lock(&inf->lock);
	s = inf->synced;
	pthread_mutex_unlock(&inf->lock);
	return s;
}

json_t *kube_informer_items(struct kube_informer *inf)
{
	json_t *a = json_array(), *v;
	const char *key;

	if (!a || !inf)
		return a;
	pthread_mutex_lock(&inf->lock);
	json_object_foreach(inf->cache, key, v) {
		if (json_array_append(a, v) < 0) {
			json_decref(a);
			a = NULL;
			break;
		}
	}
	pthread_mutex_unlock(&inf->lock);
	return a;
}

json_t *kube_informer_get(struct kube_informer *inf, const char *ns, const char *name)
{
	_cleanup_free_ char *key = NULL;
	json_t *v;

	if (!inf || !name)
		return NULL;
	key = ns ? kube_strf("%s/%s", ns, name) : strdup(name);
	if (!key)
		return NULL;
	pthread_mutex_lock(&inf->lock);
	v = json_incref(json_object_get(inf->cache, key));
	pthread_mutex_unlock(&inf->lock);
	return v;
}

unsigned kube_informer_lists(struct kube_informer *inf)
{
	unsigned n;

	if (!inf)
		return 0;
	pthread_mutex_lock(&inf->lock);
	n = inf->lists;
	pthread_mutex_unlock(&inf->lock);
	return n;
}

char *kube_informer_last_error(struct kube_informer *inf)
{
	char *s;

	if (!inf)
		return NULL;
	pthread_mutex_lock(&inf->lock);
	s = inf->last_err ? strdup(inf->last_err) : NULL;
	pthread_mutex_unlock(&inf->lock);
	return s;
}

unsigned kube_informer_watches(struct kube_informer *inf)
{
	unsigned n;

	pthread_mutex_lock(&inf->lock);
	n = inf->watches;
	pthread_mutex_unlock(&inf->lock);
	return n;
}

int kube_informer_test_set_rv(struct kube_informer *inf, const char *rv)
{
	int r;

	pthread_mutex_lock(&inf->lock);
	r = set_rv(inf, rv);
	inf->force_rewatch = true;
	pthread_mutex_unlock(&inf->lock);
	curl_multi_wakeup(inf->multi);
	return r;
}
