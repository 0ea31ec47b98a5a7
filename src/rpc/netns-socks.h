/* rtnetlink sockets inside the named network namespaces (/run/netns/NAME, what `ip netns`
 * makes and what a declared link's `bpfman.io/netns: NAME` names): the server's own socket
 * hears only about interfaces of its namespace. */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#define NETNS_SOCKS_MAX 256 /* beyond that, the link watch's periodic retry covers the rest */

struct netns_sock {
	char *name;
	int fd;
};

struct netns_socks {
	const char *dir; /* /run/netns */
	int ino; /* inotify: the directory (and its parent, until the directory exists) */
	int wd_dir;
	struct netns_sock v[NETNS_SOCKS_MAX];
	size_t n;
};

/* 0 or a negative errno (no inotify: namespaces are then only looked at by sync). */
int netns_socks_init(struct netns_socks *s, const char *dir);
/* Reads the pending inotify events; true when a namespace may have appeared or gone. */
bool netns_socks_changed(struct netns_socks *s);
/* want: one socket in every namespace of the directory (opened for new ones, closed for
 * gone ones); !want: none (a socket keeps its namespace alive, so none is held while no
 * link waits for one). Returns how many sockets it opened: what happened in those
 * namespaces before was not heard, so the caller retries once more. */
size_t netns_socks_sync(struct netns_socks *s, bool want);
void netns_socks_clear(struct netns_socks *s);
