/* A tiny HTTP responder for the kubelet's probes: one request per connection, answered from
 * the first line only, with a short receive timeout so a slow client cannot hold it. */
#include <errno.h>
#include <netdb.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include "health.h"

struct health {
	int fd;
	int stop_fd;
	pthread_t thread;
	bool (*ready)(void *);
	void *userdata;
};

static void answer(struct health *h, int c)
{
	struct timeval tv = { .tv_sec = 2 };
	char buf[512];
	const char *status = "404 Not Found", *body = "not found\n";
	ssize_t n;

	setsockopt(c, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	n = recv(c, buf, sizeof(buf) - 1, 0);
	if (n <= 0)
		return;
	buf[n] = 0;
	if (strncmp(buf, "GET /healthz", 12) == 0) {
		status = "200 OK";
		body = "ok\n";
	} else if (strncmp(buf, "GET /readyz", 11) == 0) {
		bool r = h->ready(h->userdata);

		status = r ? "200 OK" : "503 Service Unavailable";
		body = r ? "ok\n" : "informers not synced\n";
	}
	n = snprintf(buf, sizeof(buf), "HTTP/1.0 %s\r\nContent-Type: text/plain\r\nContent-Length: %zu\r\n\r\n%s",
		     status, strlen(body), body);
	(void)!send(c, buf, (size_t)n, MSG_NOSIGNAL);
}

static void *loop(void *arg)
{
	struct health *h = arg;

	for (;;) {
		struct pollfd p[2] = { { h->fd, POLLIN, 0 }, { h->stop_fd, POLLIN, 0 } };
		int c;

		if (poll(p, 2, -1) < 0 && errno != EINTR)
			break;
		if (p[1].revents)
			break;
		if (!(p[0].revents & POLLIN))
			continue;
		c = accept4(h->fd, NULL, NULL, SOCK_CLOEXEC);
		if (c < 0)
			continue;
		answer(h, c);
		close(c);
	}
	return NULL;
}

int health_start(const char *addr, bool (*ready)(void *), void *userdata, struct health **ret)
{
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM, .ai_flags = AI_PASSIVE }, *ai = NULL;
	char host[256], *colon;
	struct health *h;
	int one = 1, k;

	if (strlen(addr) >= sizeof(host))
		return -EINVAL;
	strcpy(host, addr);
	colon = strrchr(host, ':');
	if (!colon || !colon[1])
		return -EINVAL;
	*colon = 0;
	if (host[0] == '[' && colon > host && colon[-1] == ']') {
		colon[-1] = 0;
		memmove(host, host + 1, strlen(host));
	}
	if (getaddrinfo(host[0] ? host : NULL, colon + 1, &hints, &ai) != 0)
		return -EINVAL;
	h = calloc(1, sizeof(*h));
	if (!h) {
		freeaddrinfo(ai);
		return -ENOMEM;
	}
	h->ready = ready;
	h->userdata = userdata;
	h->stop_fd = -1;
	h->fd = socket(ai->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	h->stop_fd = eventfd(0, EFD_CLOEXEC);
	if (h->fd < 0 || h->stop_fd < 0)
		goto fail_errno;
	setsockopt(h->fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(h->fd, ai->ai_addr, ai->ai_addrlen) < 0 || listen(h->fd, 16) < 0)
		goto fail_errno;
	k = pthread_create(&h->thread, NULL, loop, h);
	if (k) {
		errno = k;
		goto fail_errno;
	}
	freeaddrinfo(ai);
	*ret = h;
	return 0;
fail_errno:
	k = -errno;
	if (h->fd >= 0)
		close(h->fd);
	if (h->stop_fd >= 0)
		close(h->stop_fd);
	free(h);
	freeaddrinfo(ai);
	return k;
}

void health_stop(struct health *h)
{
	uint64_t one = 1;

	if (!h)
		return;
	(void)!write(h->stop_fd, &one, sizeof(one));
	pthread_join(h->thread, NULL);
	close(h->fd);
	close(h->stop_fd);
	free(h);
}
