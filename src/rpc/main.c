/* bpfman-rpc: the bpfman.v1 gRPC server. Programs stay loaded when it exits: they are held
 * by pins, not by this process. */
#include <errno.h>
#include <getopt.h>
#include <grpc/grpc.h>
#include <malloc.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "bpfman.h"
#include "build-config.h"
#include "csi.h"
#include "layout.h"
#include "log.h"
#include "metrics.h"
#include "parse-util.h"
#include "sd-protocol.h"
#include "server.h"
#include "version.h"

/* stderr is the journal: "<N>" sets each line's priority (err, warning, info, debug) */
static void journal_writer(enum log_level level, const char *msg)
{
	static const int prio[] = { 3, 4, 6, 7 };

	fprintf(stderr, "<%d>%s\n", prio[level], msg);
}

static void notice(int level, const char *msg, void *userdata)
{
	log_msg(level == 0 ? LOG_LEVEL_WARN : level == 1 ? LOG_LEVEL_INFO : LOG_LEVEL_DEBUG, "%s", msg);
}

static void usage(FILE *f)
{
	fprintf(f, "Usage: bpfman-rpc [--socket-path PATH] [--timeout SECONDS] [--csi-support]\n"
		   "                  [--root DIR] [--log-level error|warn|info|debug] [--workers N]\n"
		   "                  [--idle-timeout SECONDS] [--metrics-address HOST:PORT]\n"
		   "                  [--csi-socket PATH] [--csi-registration-dir DIR]\n"
		   "                  [--csi-registration-endpoint PATH]\n"
		   "Serves the bpfman.v1 gRPC API on a Unix socket (default /run/bpfman-sock/bpfman.sock,\n"
		   "or the socket systemd passes). --timeout: exit after that many seconds without a\n"
		   "request (0: never). --idle-timeout: close a connection without a call for that long\n"
		   "(default %d; 0: never). BPFMAN_ROOT moves every path under a root; BPFMAN_LOG sets\n"
		   "the level. --metrics-address: serve Prometheus metrics at http://HOST:PORT/metrics\n"
		   "(off by default; an IPv6 host in brackets, e.g. [::1]:9102); while on, the kernel\n"
		   "counts run time per program (BPF_ENABLE_STATS).\n"
		   "--csi-support: also serve the CSI node plugin csi.bpfman.io (needs KUBE_NODE_NAME) on\n"
		   "--csi-socket (default <root>/run/bpfman/csi/csi.sock); --csi-registration-dir DIR\n"
		   "(e.g. /var/lib/kubelet/plugins_registry): register it with kubelet through\n"
		   "DIR/csi.bpfman.io-reg.sock, naming --csi-registration-endpoint (default: the CSI\n"
		   "socket path) as the driver's socket.\n",
		SERVER_DEFAULT_IDLE_S);
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "socket-path", required_argument, NULL, 's' },
		{ "timeout", required_argument, NULL, 't' },
		{ "idle-timeout", required_argument, NULL, 'i' },
		{ "csi-support", no_argument, NULL, 'c' },
		{ "csi-socket", required_argument, NULL, 'C' },
		{ "csi-registration-dir", required_argument, NULL, 'R' },
		{ "csi-registration-endpoint", required_argument, NULL, 'E' },
		{ "root", required_argument, NULL, 'r' },
		{ "log-level", required_argument, NULL, 'l' },
		{ "workers", required_argument, NULL, 'w' },
		{ "metrics-address", required_argument, NULL, 'm' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{}
	};
	struct server_opts o = { .root = secure_getenv("BPFMAN_ROOT"),
				 .idle_timeout_s = SERVER_DEFAULT_IDLE_S };
	const char *socket_path = NULL, *lvl = secure_getenv("BPFMAN_LOG");
	struct layout layout;
	struct bpfman *m = NULL;
	struct csi_opts co = { .node_id = secure_getenv("KUBE_NODE_NAME"), .version = BPFMAN_VERSION };
	struct csi *csi = NULL;
	bool csi_support = false;
	sigset_t mask;
	int c, r;

	if (lvl && log_level_from_string(lvl) >= 0)
		log_set_level(log_level_from_string(lvl));
	while ((c = getopt_long(argc, argv, "h", longopts, NULL)) >= 0) {
		switch (c) {
		case 's':
			socket_path = optarg;
			break;
		case 't':
			if (safe_atou32(optarg, 10, &o.timeout_s) < 0) {
				log_error("invalid timeout '%s': expected seconds", optarg);
				return 2;
			}
			break;
		case 'i':
			if (safe_atou32(optarg, 10, &o.idle_timeout_s) < 0) {
				log_error("invalid idle timeout '%s': expected seconds", optarg);
				return 2;
			}
			break;
		case 'c':
			csi_support = true;
			break;
		case 'C':
			co.socket_path = optarg;
			break;
		case 'R':
			co.registration_dir = optarg;
			break;
		case 'E':
			co.registration_endpoint = optarg;
			break;
		case 'r':
			o.root = optarg;
			break;
		case 'w':
			if (safe_atou32(optarg, 10, &o.workers) < 0 || o.workers < 1 || o.workers > 64) {
				log_error("invalid number of workers '%s' (1 to 64)", optarg);
				return 2;
			}
			break;
		case 'm':
			if (metrics_parse_address(optarg, &(struct sockaddr_storage){ 0 },
						  &(unsigned){ 0 }) < 0) {
				log_error("invalid metrics address '%s': expected HOST:PORT, e.g. 127.0.0.1:9102 or [::1]:9102",
					  optarg);
				return 2;
			}
			o.metrics_address = optarg;
			break;
		case 'l':
			if (log_level_from_string(optarg) < 0) {
				log_error("invalid log level '%s'", optarg);
				return 2;
			}
			log_set_level(log_level_from_string(optarg));
			break;
		case 'V':
			printf("bpfman-rpc %s\ngit revision: %s\n", BPFMAN_VERSION, BPFMAN_GIT_REVISION);
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
	/* a manager idles most of the time: fewer malloc arenas keep its resident memory down
	 * (each worker thread would otherwise grow an arena of its own) */
	mallopt(M_ARENA_MAX, 2);

	/* under systemd, log to the journal */
	if (sd_proto_stderr_is_journal())
		log_set_writer(journal_writer);

	/* before grpc starts any thread, so every thread inherits the mask */
	sigemptyset(&mask);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGHUP);
	pthread_sigmask(SIG_BLOCK, &mask, NULL);
	signal(SIGPIPE, SIG_IGN);

	r = layout_init(&layout, o.root);
	if (r < 0) {
		log_error("invalid root '%s'", o.root);
		return 1;
	}
	o.socket_path = socket_path ? socket_path : layout.sock_path;

	/* reconcile once, at start-up, as any command that changes state does */
	r = bpfman_open(&(struct bpfman_open_opts){ .root = o.root }, notice, NULL, &m);
	if (r < 0) {
		log_error("%s", bpfman_error(m));
		bpfman_close(m);
		layout_free(&layout);
		return 1;
	}
	bpfman_close(m);

	if (!csi_support && (co.socket_path || co.registration_dir || co.registration_endpoint))
		log_warn("--csi-socket and --csi-registration-* need --csi-support: ignored");
	if (csi_support && o.timeout_s) {
		/* kubelet's calls go to the CSI socket, which the inactivity timer does not see */
		log_warn("--timeout is ignored with --csi-support: the CSI driver must stay up");
		o.timeout_s = 0;
	}
	if (csi_support) {
		grpc_init(); /* a reference of its own: server_run's grpc_shutdown leaves it up */
		co.root = o.root;
		if (csi_start(&co, &csi) < 0) {
			grpc_shutdown();
			layout_free(&layout);
			return 1;
		}
	}
	r = server_run(&o);
	if (csi_support) {
		csi_stop(csi);
		grpc_shutdown();
	}
	layout_free(&layout);
	return r < 0 ? 1 : 0;
}
