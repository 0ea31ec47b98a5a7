#include <errno.h>
#include <netdb.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "health.h"

int health_listen(const char *addr)
{
	struct addrinfo hints = { .ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM,
				  .ai_flags = AI_PASSIVE };
	struct addrinfo *res = NULL;
	const char *colon = strrchr(addr, ':');
	char host[256];
	int fd = -1, one = 1, r;

	if (!colon || (size_t)(colon - addr) >= sizeof(host))
		return -EINVAL;
	memcpy(host, addr, colon - addr);
	host[colon - addr] = 0;
	r = getaddrinfo(*host ? host : NULL, colon + 1, &hints, &res);
	if (r)
		return -EINVAL;
	fd = socket(res->ai_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0 ||
	    bind(fd, res->ai_addr, res->ai_addrlen) < 0 || listen(fd, 16) < 0) {
		r = -errno;
		if (fd >= 0)
			close(fd);
		freeaddrinfo(res);
		return r;
	}
	freeaddrinfo(res);
	return fd;
}

void health_serve(int lfd, bool ready)
{
	char req[512], resp[160];
	struct pollfd p;
	ssize_t n;
	int fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
	bool readyz, ok;

	if (fd < 0)
		return;
	p = (struct pollfd){ .fd = fd, .events = POLLIN };
	/* a probe sends its request at once; one that does not gets no answer */
	if (poll(&p, 1, 200) <= 0 || (n = recv(fd, req, sizeof(req) - 1, MSG_DONTWAIT)) <= 0) {
		close(fd);
		return;
	}
	req[n] = 0;
	readyz = !strncmp(req, "GET /readyz", 11);
	ok = readyz ? ready : (!strncmp(req, "GET /healthz", 12) || !strncmp(req, "GET / ", 6));
	n = snprintf(resp, sizeof(resp),
		     "HTTP/1.1 %s\r\nContent-Type: text/plain\r\nContent-Length: %d\r\n"
		     "Connection: close\r\n\r\n%s",
		     ok ? "200 OK" : readyz ? "503 Service Unavailable" : "404 Not Found",
		     ok ? 2 : 3, ok ? "ok\n" : "no\n");
	if (send(fd, resp, n, MSG_NOSIGNAL) < 0) {
		/* the prober went away: nothing to do */
	}
	close(fd);
}
