/* bpfman-agent: the node agent. It watches the applications (both generations), its own
 * Node, its State objects and the pods on this node through informers, hears interface
 * events from netlink, and on any of these (and every --resync seconds) runs one pass over
 * all applications (pass.c), driving the library's reconciler in-process. SIGTERM stops it
 * between passes; loaded programs stay (the kernel keeps them, as bpfman does). */
#include <errno.h>
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/timerfd.h>
#include <unistd.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>

#include "agent.h"
#include "bpfman.h"
#include "bpffs.h"
#include "health.h"
#include "log.h"
#include "parse-util.h"
#include "build-config.h"
#include "version.h"

#define COALESCE_MS 100

struct args {
	const char *kubeconfig, *node, *root, *health, *bpffs_path;
	long resync;
	bool mount_bpffs;
};

static void usage(FILE *f)
{
	fputs("Usage: bpfman-agent [OPTIONS]\n"
	      "The bpfman node agent: loads and attaches the bpfman.io applications that select\n"
	      "this node and reports them in State (and BpfProgram) objects.\n\n"
	      "  --kubeconfig PATH        kubeconfig (default $KUBECONFIG, else in-cluster)\n"
	      "  --node NAME              this node's name (default $KUBE_NODE_NAME)\n"
	      "  --root DIR               bpfman's state under DIR (default $BPFMAN_ROOT, else /)\n"
	      "  --resync SECONDS         a full pass at least this often (default 60)\n"
	      "  --mount-bpffs            mount a bpffs (unless one is there) and exit\n"
	      "  --mount-bpffs-path PATH  where (default /sys/fs/bpf)\n"
	      "  --health-probe-bind-address HOST:PORT  serve /healthz and /readyz (default off)\n"
	      "  --version, --help\n",
	      f);
}

static int parse_args(int argc, char **argv, struct args *a)
{
	static const struct option opts[] = {
		{ "kubeconfig", required_argument, NULL, 'k' },
		{ "node", required_argument, NULL, 'n' },
		{ "root", required_argument, NULL, 'r' },
		{ "resync", required_argument, NULL, 's' },
		{ "mount-bpffs", no_argument, NULL, 'm' },
		{ "mount-bpffs-path", required_argument, NULL, 'p' },
		{ "health-probe-bind-address", required_argument, NULL, 'H' },
		{ "version", no_argument, NULL, 'V' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	int c;

	a->node = getenv("KUBE_NODE_NAME");
	a->root = secure_getenv("BPFMAN_ROOT");
	a->resync = 60;
	a->bpffs_path = "/sys/fs/bpf";
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		uint32_t secs;

		switch (c) {
		case 'k': a->kubeconfig = optarg; break;
		case 'n': a->node = optarg; break;
		case 'r': a->root = optarg; break;
		case 'm': a->mount_bpffs = true; break;
		case 'p': a->bpffs_path = optarg; break;
		case 'H': a->health = optarg; break;
		case 's':
			if (safe_atou32(optarg, 10, &secs) < 0 || secs < 1 || secs > 86400) {
				log_error("--resync: expected 1..86400 seconds, got '%s'", optarg);
				return 2;
			}
			a->resync = secs;
			break;
		case 'V':
			printf("bpfman-agent %s\ngit revision: %s\n", BPFMAN_VERSION,
			       BPFMAN_GIT_REVISION);
			return 0;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind < argc) {
		log_error("unexpected argument '%s'", argv[optind]);
		return 2;
	}
	return -1;
}

static void notice(int level, const char *msg, void *userdata)
{
	(void)userdata;
	if (level == 0)
		log_warn("%s", msg);
	else if (level == 1)
		log_info("%s", msg);
	else
		log_debug("%s", msg);
}

/* rtnetlink: links and addresses (an address moving changes the primary interface) */
static int netlink_open(void)
{
	struct sockaddr_nl sa = { .nl_family = AF_NETLINK,
				  .nl_groups = RTMGRP_LINK | RTMGRP_IPV4_IFADDR | RTMGRP_IPV6_IFADDR };
	int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC | SOCK_NONBLOCK, NETLINK_ROUTE);

	if (fd < 0)
		return -errno;
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		int r = -errno;

		close(fd);
		return r;
	}
	return fd;
}

static void drain(int fd)
{
	char buf[16384];

	while (recv(fd, buf, sizeof(buf), MSG_DONTWAIT) > 0 || errno == ENOBUFS)
		;
}

static int start_informers(struct agent *a)
{
	char hostsel[300], nodesel[300];
	struct kube_sel by_host = { .labels = hostsel }, node_sel = { .fields = nodesel };
	struct kube_sel pod_sel = { .fields = nodesel + 5 };
	struct {
		const struct kube_res *r;
		const struct kube_sel *sel;
	} w[INF_MAX] = {
		[INF_CAPP] = { &RES_CAPP, NULL },
		[INF_NAPP] = { &RES_NAPP, NULL },
		[INF_CSTATE] = { &RES_CSTATE, &by_host },
		[INF_NSTATE] = { &RES_NSTATE, &by_host },
		[INF_NODE] = { &KUBE_NODE, &node_sel },
		[INF_PODS] = { &KUBE_POD, &pod_sel },
		[INF_BPFPROG] = { &RES_BPFPROGRAM, &by_host },
	};
	char podsel[300];

	snprintf(hostsel, sizeof(hostsel), LABEL_HOST "=%s", a->node);
	/* the Node by metadata.name, not by its hostname label (they differ on some
	 * clusters, §6) */
	snprintf(nodesel, sizeof(nodesel), "metadata.name=%s", a->node);
	snprintf(podsel, sizeof(podsel), "spec.nodeName=%s", a->node);
	pod_sel.fields = podsel;
	for (int i = 0; i < N_G1; i++)
		w[INF_G1 + i].r = &G1_KINDS[i].res;
	for (int i = 0; i < INF_MAX; i++) {
		char *err = NULL;
		int r = kube_informer_start(a->k, w[i].r, NULL, w[i].sel, a->efd, &a->inf[i], &err);

		if (r < 0) {
			log_error("watching %s: %s", w[i].r->plural, err ? err : strerror(-r));
			free(err);
			return r;
		}
	}
	return 0;
}

static void arm(int tfd, long ms, long interval_ms)
{
	struct itimerspec t = {
		.it_value = { ms / 1000, (ms % 1000) * 1000000 },
		.it_interval = { interval_ms / 1000, (interval_ms % 1000) * 1000000 },
	};

	timerfd_settime(tfd, 0, &t, NULL);
}

int main(int argc, char **argv)
{
	struct args args = { 0 };
	struct agent a = { 0 };
	struct bpfman_open_opts bo = { 0 };
	struct kube_opts ko = { .field_manager = "bpfman-agent" };
	int r, ret = 1, sfd = -1, tfd = -1, cfd = -1, nl = -1, hfd = -1;
	const char *lvl = secure_getenv("BPFMAN_LOG");
	sigset_t mask;
	char *err = NULL;
	bool synced = false;
	struct kube_backoff again = { .max_ms = 30000 };

	if (lvl && log_level_from_string(lvl) >= 0)
		log_set_level(log_level_from_string(lvl));
	if ((r = parse_args(argc, argv, &args)) >= 0)
		return r;
	if (args.mount_bpffs)
		return bpffs_mount(args.bpffs_path) < 0 ? 1 : 0;
	if (!args.node || !*args.node) {
		log_error("no node name: pass --node or set KUBE_NODE_NAME");
		return 2;
	}
	a.node = args.node;
	sigemptyset(&mask);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	/* blocked before any thread starts, so the informers' threads never take them */
	sigprocmask(SIG_BLOCK, &mask, NULL);
	signal(SIGPIPE, SIG_IGN);
	if ((sfd = signalfd(-1, &mask, SFD_CLOEXEC)) < 0 ||
	    (a.efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)) < 0 ||
	    (tfd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK)) < 0 ||
	    (cfd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK)) < 0) {
		log_error("setting up the main loop: %s", strerror(errno));
		return 1;
	}
	if (args.health && (hfd = health_listen(args.health)) < 0) {
		log_error("--health-probe-bind-address %s: %s", args.health, strerror(-hfd));
		return 2;
	}
	bo.root = args.root;
	r = bpfman_open(&bo, notice, NULL, &a.m);
	if (r < 0) {
		log_error("%s", bpfman_error(a.m)[0] ? bpfman_error(a.m) : strerror(-r));
		goto out;
	}
	ko.kubeconfig = args.kubeconfig;
	r = kube_open(&ko, &a.k, &err);
	if (r < 0) {
		log_error("connecting to the API server: %s", err ? err : strerror(-r));
		free(err);
		goto out;
	}
	if (!(a.written = json_object()) || start_informers(&a) < 0)
		goto out;
	if ((nl = netlink_open()) < 0)
		log_warn("no interface events (netlink: %s): interfaces appearing later are "
			 "found by the resync only", strerror(-nl));
	log_info("bpfman-agent %s on node %s (API %s, resync %ld s)", BPFMAN_VERSION, a.node,
		 kube_server(a.k), args.resync);
	arm(tfd, args.resync * 1000, args.resync * 1000);
	for (;;) {
		struct pollfd p[5] = {
			{ .fd = sfd, .events = POLLIN },   { .fd = a.efd, .events = POLLIN },
			{ .fd = tfd, .events = POLLIN },   { .fd = cfd, .events = POLLIN },
			{ .fd = nl, .events = POLLIN },
		};
		uint64_t v;
		bool all_synced = true;

		if (hfd >= 0) {
			struct pollfd hp[6];

			memcpy(hp, p, sizeof(p));
			hp[5] = (struct pollfd){ .fd = hfd, .events = POLLIN };
			r = poll(hp, 6, -1);
			memcpy(p, hp, sizeof(p));
			if (r > 0 && hp[5].revents)
				health_serve(hfd, synced);
		} else {
			r = poll(p, 5, -1);
		}
		if (r < 0 && errno != EINTR) {
			log_error("poll: %s", strerror(errno));
			break;
		}
		if (p[0].revents) {
			struct signalfd_siginfo si;

			if (read(sfd, &si, sizeof(si)) > 0)
				log_info("signal %u: stopping (programs stay loaded)", si.ssi_signo);
			ret = 0;
			break;
		}
		/* events arm a short delay so that a burst (a veth pair, an apply of several
		 * objects) makes one pass; the pass itself runs when the delay fires */
		if (p[1].revents || p[4].revents || p[2].revents) {
			if (p[1].revents && read(a.efd, &v, sizeof(v)) < 0) {
				/* already drained */
			}
			if (p[2].revents && read(tfd, &v, sizeof(v)) < 0) {
			}
			if (p[4].revents)
				drain(nl);
			struct itimerspec cur;

			timerfd_gettime(cfd, &cur);
			if (!cur.it_value.tv_sec && !cur.it_value.tv_nsec)
				arm(cfd, COALESCE_MS, 0);
			continue;
		}
		if (!p[3].revents)
			continue;
		if (read(cfd, &v, sizeof(v)) < 0) {
		}
		/* ready once the current generation's caches are filled; the first
		 * generation's kinds may not be installed at all */
		for (int i = 0; i < INF_BPFPROG; i++)
			all_synced = all_synced && kube_informer_synced(a.inf[i]);
		if (all_synced && !synced)
			log_info("caches synced");
		synced = all_synced;
		a.again = false;
		agent_pass(&a);
		/* something failed to reach the API (or asked for a follow-up): again soon,
		 * backing off while it keeps failing (the API server may be down) */
		if (a.again)
			arm(cfd, kube_backoff_next(&again), 0);
		else
			kube_backoff_reset(&again);
	}
out:
	for (int i = 0; i < INF_MAX; i++)
		kube_informer_stop(a.inf[i]);
	json_decref(a.written);
	kube_close(a.k);
	bpfman_close(a.m);
	if (nl >= 0)
		close(nl);
	if (hfd >= 0)
		close(hfd);
	return ret;
}
