/* The watch stream parser (src/k8s/kube-watch.c) given the same stream cut at every byte
 * (two pieces, and one byte at a time) must see the same events; malformed and oversized
 * events are errors. Also: backoff delays stay within their bounds, and HTTP statuses map to
 * the errno values kube.h promises. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kube-internal.h"
#include "test-util.h"

static const char stream[] =
	"{\"type\":\"ADDED\",\"object\":{\"metadata\":{\"name\":\"a\",\"resourceVersion\":\"10\"}}}\n"
	"{\"type\":\"MODIFIED\",\"object\":{\"metadata\":{\"name\":\"a\",\"resourceVersion\":\"11\"},"
	"\"data\":{\"k\":\"line\\nbreak \\u00e9\"}}}\r\n"
	"\n"
	"{\"type\":\"BOOKMARK\",\"object\":{\"metadata\":{\"resourceVersion\":\"12\"}}}\n"
	"{\"type\":\"DELETED\",\"object\":{\"metadata\":{\"name\":\"a\",\"resourceVersion\":\"13\"}}}\n"
	"{\"type\":\"ERROR\",\"object\":{\"kind\":\"Status\",\"code\":410,\"reason\":\"Expired\"}}\n";

static const char *want = "ADDED a 10|MODIFIED a 11|BOOKMARK - 12|DELETED a 13|ERROR - -|";

struct seen {
	char log[1024];
	int stop_after; /* return -EPIPE at this event (0: never) */
	int n;
};

static int on_event(const char *type, json_t *obj, void *ctx)
{
	struct seen *s = ctx;
	json_t *meta = json_object_get(obj, "metadata");
	const char *name = json_string_value(json_object_get(meta, "name"));
	const char *rv = json_string_value(json_object_get(meta, "resourceVersion"));
	size_t len = strlen(s->log);

	snprintf(s->log + len, sizeof(s->log) - len, "%s %s %s|", type, name ? name : "-",
		 rv ? rv : "-");
	if (strcmp(type, "MODIFIED") == 0)
		CHECK_STREQ(json_string_value(json_object_get(json_object_get(obj, "data"), "k")),
			    "line\nbreak \xc3\xa9");
	return ++s->n == s->stop_after ? -EPIPE : 0;
}

static void test_splits(void)
{
	size_t len = strlen(stream);

	for (size_t i = 0; i <= len; i++) {
		struct kube_watch_parser p = { 0 };
		struct seen s = { 0 };

		CHECK_EQ_INT(kube_watch_feed(&p, stream, i, on_event, &s), 0);
		CHECK_EQ_INT(kube_watch_feed(&p, stream + i, len - i, on_event, &s), 0);
		if (strcmp(s.log, want) != 0) {
			fprintf(stderr, "split at %zu: %s\n", i, s.log);
			test_failures++;
		}
		CHECK_EQ_INT(p.len, 0);
		kube_watch_parser_clear(&p);
	}
	{
		struct kube_watch_parser p = { 0 };
		struct seen s = { 0 };

		for (size_t i = 0; i < len; i++)
			CHECK_EQ_INT(kube_watch_feed(&p, stream + i, 1, on_event, &s), 0);
		CHECK_STREQ(s.log, want);
		kube_watch_parser_clear(&p);
	}
	/* three pieces: every pair of cut points over the first two events */
	for (size_t i = 0; i < 200; i++) {
		for (size_t j = i; j < 200; j++) {
			struct kube_watch_parser p = { 0 };
			struct seen s = { 0 };

			kube_watch_feed(&p, stream, i, on_event, &s);
			kube_watch_feed(&p, stream + i, j - i, on_event, &s);
			kube_watch_feed(&p, stream + j, len - j, on_event, &s);
			if (strcmp(s.log, want) != 0) {
				fprintf(stderr, "split at %zu,%zu: %s\n", i, j, s.log);
				test_failures++;
			}
			kube_watch_parser_clear(&p);
		}
	}
	/* an event without its newline yet is not delivered */
	{
		struct kube_watch_parser p = { 0 };
		struct seen s = { 0 };
		const char *nl = strchr(stream, '\n');

		CHECK_EQ_INT(kube_watch_feed(&p, stream, (size_t)(nl - stream), on_event, &s), 0);
		CHECK_EQ_INT(s.n, 0);
		CHECK_EQ_INT(kube_watch_feed(&p, "\n", 1, on_event, &s), 0);
		CHECK_EQ_INT(s.n, 1);
		kube_watch_parser_clear(&p);
	}
}

static void test_errors(void)
{
	static const char *bad[] = {
		"not json\n",
		"{\"type\":\"ADDED\"}\n",
		"{\"type\":1,\"object\":{}}\n",
		"{\"type\":\"ADDED\",\"object\":[]}\n",
		"[]\n",
	};
	struct kube_watch_parser p = { 0 };
	struct seen s = { 0 };
	char *big;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		CHECK_EQ_INT(kube_watch_feed(&p, bad[i], strlen(bad[i]), on_event, &s), -EBADMSG);
		kube_watch_parser_clear(&p);
	}
	/* the callback's error stops the feed: later events are not delivered */
	s = (struct seen){ .stop_after = 2 };
	CHECK_EQ_INT(kube_watch_feed(&p, stream, strlen(stream), on_event, &s), -EPIPE);
	CHECK_EQ_INT(s.n, 2);
	kube_watch_parser_clear(&p);

	/* an event longer than KUBE_MAX_EVENT without a newline */
	big = malloc(1 << 20);
	if (!big)
		return;
	memset(big, ' ', 1 << 20);
	s = (struct seen){ 0 };
	int r = 0;
	for (unsigned i = 0; i <= KUBE_MAX_EVENT >> 20 && r == 0; i++)
		r = kube_watch_feed(&p, big, 1 << 20, on_event, &s);
	CHECK_EQ_INT(r, -E2BIG);
	kube_watch_parser_clear(&p);
	free(big);
}

static void test_backoff(void)
{
	struct kube_backoff b = { .max_ms = 1000 };
	static const long base[] = { 100, 200, 400, 800, 1000, 1000, 1000 };

	for (int round = 0; round < 200; round++) {
		for (size_t i = 0; i < sizeof(base) / sizeof(base[0]); i++) {
			long d = kube_backoff_next(&b);

			if (d < base[i] - base[i] / 4 || d > base[i]) {
				fprintf(stderr, "backoff step %zu: %ld not in [%ld, %ld]\n", i, d,
					base[i] - base[i] / 4, base[i]);
				test_failures++;
			}
		}
		kube_backoff_reset(&b);
	}
	/* max 0 means 30 s; a max below 100 ms caps the first delay too */
	b = (struct kube_backoff){ 0 };
	for (int i = 0; i < 20; i++) {
		long d = kube_backoff_next(&b);
		CHECK(d > 0 && d <= 30000);
	}
	CHECK(kube_backoff_next(&b) >= 22500);
	b = (struct kube_backoff){ .max_ms = 40 };
	CHECK(kube_backoff_next(&b) <= 40);
}

static void test_errno(void)
{
	CHECK_EQ_INT(kube_http_errno(200, NULL), 0);
	CHECK_EQ_INT(kube_http_errno(201, NULL), 0);
	CHECK_EQ_INT(kube_http_errno(400, "BadRequest"), -EINVAL);
	CHECK_EQ_INT(kube_http_errno(401, "Unauthorized"), -EACCES);
	CHECK_EQ_INT(kube_http_errno(403, "Forbidden"), -EACCES);
	CHECK_EQ_INT(kube_http_errno(404, "NotFound"), -ENOENT);
	CHECK_EQ_INT(kube_http_errno(405, "MethodNotAllowed"), -EOPNOTSUPP);
	CHECK_EQ_INT(kube_http_errno(409, "AlreadyExists"), -EEXIST);
	CHECK_EQ_INT(kube_http_errno(409, "Conflict"), -EBUSY);
	CHECK_EQ_INT(kube_http_errno(409, NULL), -EBUSY);
	CHECK_EQ_INT(kube_http_errno(410, "Expired"), -ESTALE);
	CHECK_EQ_INT(kube_http_errno(413, NULL), -E2BIG);
	CHECK_EQ_INT(kube_http_errno(415, NULL), -EINVAL);
	CHECK_EQ_INT(kube_http_errno(422, "Invalid"), -EINVAL);
	CHECK_EQ_INT(kube_http_errno(429, "TooManyRequests"), -EIO);
	CHECK_EQ_INT(kube_http_errno(500, "InternalError"), -EIO);
	CHECK_EQ_INT(kube_http_errno(503, "ServiceUnavailable"), -EIO);
	CHECK_EQ_INT(kube_http_errno(504, "Timeout"), -EIO);
	CHECK_EQ_INT(kube_http_errno(408, NULL), -ETIMEDOUT);
	CHECK_EQ_INT(kube_http_errno(302, NULL), -EPROTO);
	CHECK_EQ_INT(kube_http_errno(418, NULL), -EPROTO);
}

int main(void)
{
	test_splits();
	test_errors();
	test_backoff();
	test_errno();
	return TEST_RESULT();
}
