/* The watch stream's framing: the API server sends one JSON event per line
 * ({"type":"ADDED","object":{...}}\n); libcurl hands us the bytes in pieces that may cut an
 * event anywhere or carry several. Only the bytes after the last newline are kept between
 * pieces, and a piece is scanned once, so a large event arriving in small pieces costs
 * linear time. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "kube-internal.h"

void kube_watch_parser_clear(struct kube_watch_parser *p)
{
	free(p->buf);
	memset(p, 0, sizeof(*p));
}

static int append(struct kube_watch_parser *p, const char *data, size_t len)
{
	if (p->len + len > KUBE_MAX_EVENT)
		return -E2BIG;
	if (p->len + len > p->cap) {
		size_t cap = p->cap ? p->cap : 4096;
		char *b;

		while (cap < p->len + len)
			cap *= 2;
		b = realloc(p->buf, cap);
		if (!b)
			return -ENOMEM;
		p->buf = b;
		p->cap = cap;
	}
	memcpy(p->buf + p->len, data, len);
	p->len += len;
	return 0;
}

static int one_line(const char *line, size_t len, kube_watch_event_fn fn, void *ctx)
{
	json_t *ev, *type, *obj;
	int r;

	while (len > 0 && (line[len - 1] == '\r' || line[len - 1] == ' '))
		len--;
	if (len == 0)
		return 0;
	ev = json_loadb(line, len, 0, NULL);
	type = json_object_get(ev, "type");
	obj = json_object_get(ev, "object");
	if (!json_is_string(type) || !json_is_object(obj)) {
		json_decref(ev);
		return -EBADMSG;
	}
	r = fn(json_string_value(type), obj, ctx);
	json_decref(ev);
	return r;
}

int kube_watch_feed(struct kube_watch_parser *p, const char *data, size_t len,
		    kube_watch_event_fn fn, void *ctx)
{
	while (len > 0) {
		const char *nl = memchr(data, '\n', len);
		size_t n = nl ? (size_t)(nl - data) : len;
		int r;

		if (!nl)
			return append(p, data, len);
		if (p->len == 0) {
			r = one_line(data, n, fn, ctx);
		} else {
			r = append(p, data, n);
			if (r < 0)
				return r;
			r = one_line(p->buf, p->len, fn, ctx);
			p->len = 0;
		}
		if (r < 0)
			return r;
		data += n + 1;
		len -= n + 1;
	}
	return 0;
}
