/* Link events -> bpfman_app_retry_pending().
 *
 * Why a thread of its own rather than the main poll loop: a retry takes the writer lock and
 * may wait behind a long change (an image pull, a dispatcher rebuild); the main thread must
 * keep accepting connections and answering signals meanwhile. The thread has its own
 * library context (each thread of the server does), so it serializes with the workers and
 * the CLI on the same flock like any other change.
 *
 * Coalescing: creating a veth pair, renaming an interface or bringing it up sends several
 * RTM_NEWLINK messages within a few milliseconds. The first event arms a short delay
 * (COALESCE_MS); every event until it expires joins the same retry. One retry per burst
 * keeps a flapping interface from hammering the lock, and the delay is well inside the
 * "within a second" the issue promises.
 *
 * Other namespaces: the socket hears only the server's own namespace. While links are
 * pending, netns-socks.c keeps a socket in every named namespace (/run/netns, what
 * `bpfman.io/netns: NAME` names) and watches that directory, so an interface created in
 * one, or the namespace itself appearing, is heard as quickly. What neither can tell
 * (a namespace named by another path, /proc/PID/ns/net) and pending links the server has
 * not seen yet (applied by the CLI) are found by a retry every RECHECK_MS.
 * A receive buffer overrun (ENOBUFS: events were lost) counts as an event. */
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <sys/eventfd.h>
#include <sys/socket.h>

#include "bpfman.h"
#include "bpfman-apply.h"
#include "cleanup.h"
#include "link-watch.h"
#include "netns-socks.h"
#include "log.h"

#define COALESCE_MS 50
/* Every so often anyway: links that became pending by an apply of the CLI (the server only
 * learns of them by looking), and namespaces named by a path no event tells of. A retry
 * that has nothing to do only plans (reads), it takes no lock. */
#define RECHECK_MS 2000
#define STOP_JOIN_MS 1000

struct link_watch {
	pthread_t thread;
	int nl; /* rtnetlink, RTMGRP_LINK */
	int stop; /* eventfd: written once by link_watch_stop */
	char *root;
	struct bpfman *m;
	struct netns_socks ns; /* the named namespaces, while links are pending */
	atomic_bool pending; /* read by the main thread */
};

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

/* Reads every queued message; true when one of them is a new or changed link (or events
 * were lost). */
static bool drain(int nl)
{
	char buf[16384] __attribute__((aligned(NLMSG_ALIGNTO)));
	bool link = false;

	for (;;) {
		ssize_t n = recv(nl, buf, sizeof(buf), MSG_DONTWAIT);

		if (n < 0) {
			if (errno == ENOBUFS)
				link = true; /* overrun: something may have appeared unseen */
			else if (errno != EINTR)
				return link; /* EAGAIN: drained */
			continue;
		}
		if (n == 0)
			return link;
		for (struct nlmsghdr *h = (struct nlmsghdr *)buf; NLMSG_OK(h, (size_t)n);
		     h = NLMSG_NEXT(h, n))
			if (h->nlmsg_type == RTM_NEWLINK)
				link = true;
	}
}

/* One retry. Returns whether to try again at the fallback interval (links still pending, or
 * the retry itself failed); w->pending says only the former, which keeps the server up. */
static bool retry(struct link_watch *w)
{
	struct app_result *res = NULL;
	size_t n = 0;
	bool pending = false;
	int r;

	if (!w->m) {
		struct bpfman_open_opts o = { .root = w->root, .no_reconcile = true };

		r = bpfman_open(&o, NULL, NULL, &w->m);
		if (r < 0) {
			log_warn("link events: cannot open the manager: %s", bpfman_error(w->m));
			w->m = bpfman_close(w->m);
			atomic_store(&w->pending, false);
			return true;
		}
	}
	r = bpfman_app_retry_pending(w->m, &res, &n);
	if (r < 0)
		log_warn("link events: completing pending links: %s",
			 bpfman_error(w->m)[0] ? bpfman_error(w->m) : strerror(-r));
	/* the retry answers only for the applications it changed: log what it did */
	for (size_t i = 0; i < n; i++) {
		if (res[i].failed)
			log_warn("%s: %s", res[i].app, res[i].error ? res[i].error : "failed");
		for (size_t k = 0; k < res[i].n_actions; k++) {
			const struct app_action *a = &res[i].actions[k];

			log_info("%s: %s %s %s", res[i].app,
				 a->kind == APP_ACT_ATTACH ? "attached" :
				 a->kind == APP_ACT_LOAD ? "loaded" :
				 a->kind == APP_ACT_DETACH ? "detached" : "unloaded",
				 a->program ? a->program : "", a->what ? a->what : "");
		}
	}
	if (r > 0)
		log_info("link events: %d pending link(s) changed state", r);
	app_results_free(res, n);
	/* what is still pending, over every application */
	res = NULL;
	n = 0;
	if (bpfman_app_status(w->m, &res, &n) >= 0)
		for (size_t i = 0; i < n && !pending; i++)
			for (size_t k = 0; k < res[i].n_links; k++)
				pending |= res[i].links[k].state == APP_LINK_PENDING;
	app_results_free(res, n);
	atomic_store(&w->pending, pending);
	return pending || r < 0;
}

/* An event that may complete a pending link: retry after the coalescing delay (keep an
 * earlier deadline, but never wait longer: a fallback deadline may be far away). */
static void soon(long long *due)
{
	long long t = now_ms() + COALESCE_MS;

	if (*due < 0 || *due > t)
		*due = t;
}

static void *run(void *arg)
{
	struct link_watch *w = arg;
	long long due = now_ms(); /* once at start: interfaces may have appeared while no server ran */
	bool pending = false;

	for (;;) {
		struct pollfd p[3 + NETNS_SOCKS_MAX] = {
			{ .fd = w->nl, .events = POLLIN },
			{ .fd = w->stop, .events = POLLIN },
			{ .fd = w->ns.ino, .events = POLLIN },
		};
		size_t np = 3;
		long long now = now_ms();
		int wait_ms = -1;

		for (size_t i = 0; i < w->ns.n; i++)
			p[np++] = (struct pollfd){ .fd = w->ns.v[i].fd, .events = POLLIN };
		if (due >= 0)
			wait_ms = due > now ? (int)(due - now) : 0;
		if (poll(p, np, wait_ms) < 0 && errno != EINTR) {
			log_warn("link events: poll: %s; no longer watching", strerror(errno));
			break;
		}
		if (p[1].revents)
			break;
		if ((p[0].revents & POLLIN) && drain(w->nl))
			soon(&due);
		for (size_t i = 3; i < np; i++)
			if ((p[i].revents & POLLIN) && drain(p[i].fd))
				soon(&due);
		if ((p[2].revents & POLLIN) && netns_socks_changed(&w->ns)) {
			/* a namespace came or went: a gone one's socket must not hold it alive */
			if (netns_socks_sync(&w->ns, pending))
				soon(&due);
			soon(&due);
		}
		if (due >= 0 && now_ms() >= due) {
			(void)retry(w);
			pending = atomic_load(&w->pending);
			due = now_ms() + RECHECK_MS;
			/* sockets opened now missed what happened before them: one more look */
			if (netns_socks_sync(&w->ns, pending))
				soon(&due);
		}
	}
	return NULL;
}

static void free_watch(struct link_watch *w)
{
	if (!w)
		return;
	safe_close(w->nl);
	safe_close(w->stop);
	netns_socks_clear(&w->ns);
	bpfman_close(w->m);
	free(w->root);
	free(w);
}

int link_watch_start(const char *root, struct link_watch **ret)
{
	struct sockaddr_nl sa = { .nl_family = AF_NETLINK, .nl_groups = RTMGRP_LINK };
	struct link_watch *w = calloc(1, sizeof(*w));
	int r;

	if (!w)
		return log_error_errno(-ENOMEM, "link events");
	w->nl = w->stop = -EBADF;
	w->ns.ino = -EBADF;
	atomic_store(&w->pending, true); /* until the first retry says otherwise */
	if (root && !(w->root = strdup(root))) {
		free_watch(w);
		return log_error_errno(-ENOMEM, "link events");
	}
	w->nl = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC | SOCK_NONBLOCK, NETLINK_ROUTE);
	if (w->nl < 0 || bind(w->nl, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		r = log_error_errno(-errno, "link events: rtnetlink socket");
		free_watch(w);
		return r;
	}
	/* without inotify, namespaces are looked at after each retry only */
	if (netns_socks_init(&w->ns, "/run/netns") < 0)
		log_warn("link events: no inotify; interfaces in named network namespaces are seen late");
	w->stop = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (w->stop < 0) {
		r = log_error_errno(-errno, "link events: eventfd");
		free_watch(w);
		return r;
	}
	r = pthread_create(&w->thread, NULL, run, w);
	if (r != 0) {
		free_watch(w);
		return log_error_errno(-r, "link events: thread");
	}
	*ret = w;
	return 0;
}

bool link_watch_pending(struct link_watch *w)
{
	return w && atomic_load(&w->pending);
}

void link_watch_signal(struct link_watch *w)
{
	if (w)
		(void)eventfd_write(w->stop, 1);
}

void link_watch_stop(struct link_watch *w)
{
	struct timespec until;

	if (!w)
		return;
	link_watch_signal(w);
	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += STOP_JOIN_MS / 1000;
	/* a thread still waiting for the lock is left behind with its memory: the process is
	 * exiting, and its change (if any) commits last or not at all */
	if (pthread_timedjoin_np(w->thread, NULL, &until) != 0) {
		log_warn("link events: the thread did not stop in time; leaving it");
		return;
	}
	free_watch(w);
}
