/* The metrics listener's HTTP/1.x loop (see metrics-http.h). A hand-written responder: one
 * fixed resource needs no HTTP library, and the project's dependencies have none. */
#include <errno.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "metrics-http.h"

struct conn {
	int fd; /* -1: a free slot */
	long long deadline_ms;
	char in[METRICS_HTTP_MAX_REQUEST];
	size_t in_len;
	char *out; /* the whole answer, once the request is read */
	size_t out_len, out_off;
};

static long long mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

static void conn_close(struct conn *c)
{
	close(c->fd);
	free(c->out);
	c->fd = -1;
	c->out = NULL;
	c->in_len = c->out_len = c->out_off = 0;
}

/* The answer, headers and body in one buffer. */
static void respond(struct conn *c, int status, const char *reason, const char *extra,
		    const char *type, const char *body, size_t body_len)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	if (!f)
		return;
	fprintf(f, "HTTP/1.1 %d %s\r\nContent-Type: %s\r\nContent-Length: %zu\r\n%s"
		   "Connection: close\r\n\r\n",
		status, reason, type, body_len, extra);
	fwrite(body, 1, body_len, f);
	if (fclose(f) != 0) {
		free(buf);
		return;
	}
	c->out = buf;
	c->out_len = len;
}

static void respond_text(struct conn *c, int status, const char *reason, const char *extra)
{
	char body[64];
	int n = snprintf(body, sizeof(body), "%d %s\n", status, reason);

	respond(c, status, reason, extra, "text/plain; charset=utf-8", body, (size_t)n);
}

/* The request line and headers are in (they end with an empty line): decide the answer. */
static void handle_request(struct conn *c, metrics_http_render_fn render)
{
	char *line = c->in, *end = strpbrk(line, "\r\n"), *method, *target, *version, *save;
	size_t path_len;

	*end = '\0';
	method = strtok_r(line, " ", &save);
	target = method ? strtok_r(NULL, " ", &save) : NULL;
	version = target ? strtok_r(NULL, " ", &save) : NULL;
	if (!version || strtok_r(NULL, " ", &save) || strncmp(version, "HTTP/1.", 7) != 0 ||
	    (version[7] != '0' && version[7] != '1') || version[8]) {
		respond_text(c, 400, "Bad Request", "");
		return;
	}
	path_len = strcspn(target, "?#"); /* a query string changes nothing */
	if (path_len != strlen("/metrics") || strncmp(target, "/metrics", path_len) != 0) {
		respond_text(c, 404, "Not Found", "");
		return;
	}
	if (strcmp(method, "GET") != 0) {
		respond_text(c, 405, "Method Not Allowed", "Allow: GET\r\n");
		return;
	}
	{
		size_t len = 0;
		char *body = render(&len);

		if (!body) {
			respond_text(c, 500, "Internal Server Error", "");
			return;
		}
		respond(c, 200, "OK", "", "text/plain; version=0.0.4; charset=utf-8", body, len);
		free(body);
	}
}

/* Reads what arrived; answers once the headers are complete. false: close it. */
static bool conn_read(struct conn *c, metrics_http_render_fn render)
{
	ssize_t n;

	/* keep one byte for the terminating NUL */
	n = recv(c->fd, c->in + c->in_len, sizeof(c->in) - 1 - c->in_len, 0);
	if (n < 0)
		return errno == EAGAIN || errno == EINTR;
	if (n == 0)
		return false; /* the client went away before asking */
	c->in_len += (size_t)n;
	c->in[c->in_len] = '\0';
	if (memchr(c->in, '\0', c->in_len)) {
		respond_text(c, 400, "Bad Request", "");
	} else if (strstr(c->in, "\r\n\r\n") || strstr(c->in, "\n\n")) {
		handle_request(c, render);
	} else if (c->in_len == sizeof(c->in) - 1) {
		respond_text(c, 431, "Request Header Fields Too Large", "");
	} else {
		return true; /* more to come */
	}
	return c->out != NULL; /* out of memory: nothing to say */
}

/* Writes what the socket takes. false: done (or failed): close it. */
static bool conn_write(struct conn *c)
{
	ssize_t n = send(c->fd, c->out + c->out_off, c->out_len - c->out_off, MSG_NOSIGNAL);

	if (n < 0)
		return errno == EAGAIN || errno == EINTR;
	c->out_off += (size_t)n;
	return c->out_off < c->out_len;
}

/* Every slot is taken: the connection that has sent the least of a request for the
 * longest is dropped, so clients that stall (or flood) never keep a scraper out; a real
 * scraper sends its request at once and is answered in the same round. Returns the freed
 * slot, or -1 when every connection is being answered. */
static int evict_oldest(struct conn *conns)
{
	int oldest = -1;

	for (int i = 0; i < METRICS_HTTP_MAX_CONNS; i++)
		if (conns[i].fd >= 0 && !conns[i].out &&
		    (oldest < 0 || conns[i].deadline_ms < conns[oldest].deadline_ms))
			oldest = i;
	if (oldest >= 0)
		conn_close(&conns[oldest]);
	return oldest;
}

void metrics_http_serve(int lfd, int stop_fd, metrics_http_render_fn render)
{
	static struct conn conns[METRICS_HTTP_MAX_CONNS];
	struct pollfd p[2 + METRICS_HTTP_MAX_CONNS];

	for (int i = 0; i < METRICS_HTTP_MAX_CONNS; i++)
		conns[i].fd = -1;
	for (;;) {
		long long now = mono_ms(), next = -1;
		int free_slot = -1, wait_ms;

		for (int i = 0; i < METRICS_HTTP_MAX_CONNS; i++) {
			struct conn *c = &conns[i];

			p[2 + i] = (struct pollfd){ .fd = -1 };
			if (c->fd < 0) {
				free_slot = free_slot < 0 ? i : free_slot;
				continue;
			}
			if (now >= c->deadline_ms) { /* too slow, reading or being written to */
				conn_close(c);
				free_slot = free_slot < 0 ? i : free_slot;
				continue;
			}
			p[2 + i] = (struct pollfd){ .fd = c->fd, .events = c->out ? POLLOUT : POLLIN };
			if (next < 0 || c->deadline_ms < next)
				next = c->deadline_ms;
		}
		p[0] = (struct pollfd){ .fd = stop_fd, .events = POLLIN };
		p[1] = (struct pollfd){ .fd = lfd, .events = POLLIN };
		wait_ms = next < 0 ? -1 : (int)(next - now);
		if (poll(p, 2 + METRICS_HTTP_MAX_CONNS, wait_ms) < 0 && errno != EINTR)
			break;
		if (p[0].revents)
			break;
		for (int i = 0; i < METRICS_HTTP_MAX_CONNS; i++) {
			struct conn *c = &conns[i];
			bool keep;

			if (c->fd < 0 || !p[2 + i].revents)
				continue;
			keep = c->out ? conn_write(c) : conn_read(c, render);
			/* an answer built just now goes out at once: usually all of it fits */
			if (keep && c->out && !c->out_off)
				keep = conn_write(c);
			if (!keep)
				conn_close(c);
		}
		if (p[1].revents & POLLIN) {
			int fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);

			if (fd >= 0 && (free_slot < 0 || conns[free_slot].fd >= 0))
				free_slot = evict_oldest(conns);
			if (fd >= 0 && free_slot < 0) {
				close(fd); /* every slot is busy writing an answer */
			} else if (fd >= 0) {
				conns[free_slot].fd = fd;
				conns[free_slot].deadline_ms = mono_ms() + METRICS_HTTP_TIMEOUT_MS;
			}
		}
	}
	for (int i = 0; i < METRICS_HTTP_MAX_CONNS; i++)
		if (conns[i].fd >= 0)
			conn_close(&conns[i]);
}
