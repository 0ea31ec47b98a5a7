/* One rtnetlink socket (RTMGRP_LINK) per named network namespace, for the link watch.
 *
 * A socket lives in the namespace of the thread that created it, so each is made by a
 * short-lived thread that enters the namespace (setns) and exits: no long-lived thread
 * ever changes namespace, so none can be left in the wrong one.
 * A socket holds a reference on its namespace: `ip netns del` would not free it (nor the
 * interfaces in it) while we keep it, so the directory is watched (inotify) and a socket is
 * closed as soon as its name goes, and none is kept while nothing is pending. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <sys/inotify.h>
#include <sys/socket.h>

#include "cleanup.h"
#include "netns-socks.h"

struct opener {
	int nsfd;
	int fd;
	int err;
};

static void *open_in_ns(void *arg)
{
	struct opener *o = arg;
	struct sockaddr_nl sa = { .nl_family = AF_NETLINK, .nl_groups = RTMGRP_LINK };

	if (setns(o->nsfd, CLONE_NEWNET) < 0) {
		o->err = -errno;
		return NULL;
	}
	o->fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC | SOCK_NONBLOCK, NETLINK_ROUTE);
	if (o->fd < 0 || bind(o->fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		o->err = -errno;
		o->fd = safe_close(o->fd);
	}
	return NULL; /* the thread ends here, in that namespace: nothing else runs on it */
}

static int socket_in(const char *dir, const char *name)
{
	struct opener o = { .fd = -EBADF };
	_cleanup_free_ char *path = NULL;
	pthread_t t;
	int r;

	if (asprintf(&path, "%s/%s", dir, name) < 0)
		return -ENOMEM;
	/* O_NONBLOCK: a FIFO planted there must not block the watch */
	o.nsfd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	if (o.nsfd < 0)
		return -errno;
	r = pthread_create(&t, NULL, open_in_ns, &o);
	if (r == 0)
		pthread_join(t, NULL);
	safe_close(o.nsfd);
	if (r != 0)
		return -r;
	return o.fd >= 0 ? o.fd : o.err;
}

static void add_dir_watch(struct netns_socks *s)
{
	if (s->ino >= 0 && s->wd_dir < 0)
		s->wd_dir = inotify_add_watch(s->ino, s->dir,
					      IN_CREATE | IN_DELETE | IN_MOVED_TO | IN_MOVED_FROM |
						      IN_DELETE_SELF | IN_ONLYDIR);
}

int netns_socks_init(struct netns_socks *s, const char *dir)
{
	_cleanup_free_ char *parent = strdup(dir);
	char *slash = parent ? strrchr(parent, '/') : NULL;

	memset(s, 0, sizeof(*s));
	s->dir = dir;
	s->wd_dir = -1;
	s->ino = inotify_init1(IN_CLOEXEC | IN_NONBLOCK);
	if (s->ino < 0)
		return -errno;
	/* the parent tells when the directory itself appears (the first `ip netns add`) */
	if (slash && slash != parent) {
		*slash = '\0';
		(void)inotify_add_watch(s->ino, parent, IN_CREATE | IN_MOVED_TO | IN_ONLYDIR);
	}
	add_dir_watch(s);
	return 0;
}

bool netns_socks_changed(struct netns_socks *s)
{
	char buf[4096] __attribute__((aligned(__alignof__(struct inotify_event))));
	bool changed = false;
	ssize_t n;

	if (s->ino < 0)
		return false;
	while ((n = read(s->ino, buf, sizeof(buf))) > 0) {
		for (char *p = buf; p < buf + n;) {
			const struct inotify_event *e = (const void *)p;

			if (e->wd == s->wd_dir && (e->mask & (IN_DELETE_SELF | IN_IGNORED)))
				s->wd_dir = -1;
			changed = true;
			p += sizeof(*e) + e->len;
		}
	}
	add_dir_watch(s);
	return changed;
}

static void drop(struct netns_socks *s, size_t i)
{
	safe_close(s->v[i].fd);
	free(s->v[i].name);
	s->v[i] = s->v[--s->n];
}

size_t netns_socks_sync(struct netns_socks *s, bool want)
{
	struct dirent *de;
	size_t opened = 0;
	DIR *d;

	if (!want) {
		while (s->n)
			drop(s, s->n - 1);
		return 0;
	}
	add_dir_watch(s);
	d = opendir(s->dir);
	if (!d) {
		while (s->n)
			drop(s, s->n - 1);
		return 0;
	}
	/* gone names: their sockets go at once (they hold the namespace) */
	for (size_t i = 0; i < s->n;) {
		if (faccessat(dirfd(d), s->v[i].name, F_OK, AT_SYMLINK_NOFOLLOW) < 0)
			drop(s, i);
		else
			i++;
	}
	while ((de = readdir(d)) && s->n < NETNS_SOCKS_MAX) {
		bool known = false;
		int fd;

		if (de->d_name[0] == '.')
			continue;
		for (size_t i = 0; i < s->n && !known; i++)
			known = !strcmp(s->v[i].name, de->d_name);
		if (known)
			continue;
		/* not a namespace (yet: `ip netns add` creates the file, then mounts on it) */
		fd = socket_in(s->dir, de->d_name);
		if (fd < 0)
			continue;
		s->v[s->n].name = strdup(de->d_name);
		if (!s->v[s->n].name) {
			safe_close(fd);
			break;
		}
		s->v[s->n++].fd = fd;
		opened++;
	}
	closedir(d);
	return opened;
}

void netns_socks_clear(struct netns_socks *s)
{
	netns_socks_sync(s, false);
	s->ino = safe_close(s->ino);
}
