/* bpfman-operator: keeps the Config's DaemonSet, CSIDriver and RBAC in the cluster and rolls
 * the agents' per-node states up into each application's condition.
 *
 * One thread runs the passes; the informers' threads only fill caches and poke one of two
 * eventfds: changes of applications, states, nodes and agent pods start a status pass,
 * changes of the Config and of what it owns a deploy pass (then a status pass: the Config's
 * namespace decides which pods are agents). Every pass is level-triggered over the caches;
 * a timer resyncs both, another retries failed writes after 5 s. */
#include <errno.h>
#include <getopt.h>
#include <malloc.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/signalfd.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#include "agent-nodes.h"
#include "bootstrap.h"
#include "build-config.h"
#include "cleanup.h"
#include "deploy-objects.h"
#include "health.h"
#include "log.h"
#include "operator.h"
#include "parse-util.h"
#include "version.h"

#define RETRY_S 5

/* every line with the time: the order of events across the operator and the cluster */
static void stamped_writer(enum log_level level, const char *msg)
{
	static const char *const names[] = { "error", "warn", "info", "debug" };
	struct timespec ts;
	struct tm tm;
	char t[16];

	clock_gettime(CLOCK_REALTIME, &ts);
	strftime(t, sizeof(t), "%H:%M:%S", gmtime_r(&ts.tv_sec, &tm));
	fprintf(stderr, "%s.%03ld %s %s\n", t, ts.tv_nsec / 1000000, names[level], msg);
}

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: bpfman-operator [--kubeconfig PATH] [--namespace NS] [--resync SECONDS]\n"
		"                       [--health-probe-bind-address HOST:PORT] [--log-level LEVEL]\n"
		"       bpfman-operator [--namespace NS] default-config\n"
		"       bpfman-operator --version | --help\n"
		"Deploys bpfman (DaemonSet bpfman-daemon, ConfigMap, CSIDriver csi.bpfman.io, agent RBAC)\n"
		"from the Config bpfman-config, creating it at start when missing, and writes the\n"
		"status conditions of ClusterBpfApplication, BpfApplication and the *Program kinds\n"
		"from the agents' per-node objects.\n"
		"  --kubeconfig PATH   else $KUBECONFIG, else in-cluster, else ~/.kube/config\n"
		"  --namespace NS      spec.namespace of the bootstrap Config (default bpfman)\n"
		"  --resync SECONDS    a full pass at least this often (default 60)\n"
		"  --health-probe-bind-address HOST:PORT  /healthz and /readyz (off by default)\n"
		"  default-config      print the bootstrap Config (JSON, which is also YAML)\n"
		"Environment: BPFMAN_IMG, BPFMAN_AGENT_IMG (images of the bootstrap Config; required),\n"
		"BPFMAN_IMAGE_PULL_POLICY (forces every container's pull policy), BPFMAN_LOG (level);\n"
		"for the DaemonSet: BPFMAN_HOST_ROOT (bpfman's root on the nodes, default /),\n"
		"BPFMAN_KUBELET_DIR (default /var/lib/kubelet), BPFMAN_API_SERVER=HOST:PORT (the API\n"
		"server the agents use instead of the kubernetes Service), BPFMAN_AGENT_PROBE_HOST (the\n"
		"address of the agents' health probe, default all).\n");
}

static struct op_watch *find_watch(struct op *op, const struct kube_res *res)
{
	for (unsigned i = 0; i < op->n_watches; i++)
		if (op->watches[i].res == res)
			return &op->watches[i];
	return NULL;
}

struct kube_informer *op_informer(struct op *op, const struct kube_res *res)
{
	struct op_watch *w = find_watch(op, res);

	return w ? w->inf : NULL;
}

bool op_synced(struct op *op, const struct kube_res *res)
{
	struct kube_informer *inf = op_informer(op, res);

	return inf && kube_informer_synced(inf);
}

json_t *op_items(struct op *op, const struct kube_res *res)
{
	struct kube_informer *inf = op_informer(op, res);

	return inf ? kube_informer_items(inf) : json_array();
}

/* ready: the informers every decision needs have listed once */
static bool op_ready(void *userdata)
{
	struct op *op = userdata;
	const struct kube_res *need[] = { &KUBE_NODE, &OP_CONFIG, &OP_CLUSTERBPFAPPLICATION, &OP_BPFAPPLICATION,
					  &OP_CLUSTERBPFAPPLICATIONSTATE, &OP_BPFAPPLICATIONSTATE };

	for (size_t i = 0; i < ELEMENTSOF(need); i++)
		if (!op_synced(op, need[i]))
			return false;
	return true;
}

struct watch_spec {
	const struct kube_res *res;
	const char *labels;
	bool deploy; /* pokes the deploy eventfd, else the status one */
};

static int start_watches(struct op *op, int status_fd, int deploy_fd)
{
	static const char managed[] = DEPLOY_MANAGED_LABEL "=" DEPLOY_MANAGED_VALUE;
	static const char agent_pods[] = AGENT_POD_LABEL_KEY "=" AGENT_POD_LABEL_VALUE;
	const struct watch_spec specs[] = {
		{ &KUBE_NODE, NULL, false },
		{ &KUBE_POD, agent_pods, false },
		{ &OP_CLUSTERBPFAPPLICATION, NULL, false },
		{ &OP_BPFAPPLICATION, NULL, false },
		{ &OP_CLUSTERBPFAPPLICATIONSTATE, NULL, false },
		{ &OP_BPFAPPLICATIONSTATE, NULL, false },
		{ &OP_BPFPROGRAM, NULL, false },
		{ &OP_XDPPROGRAM, NULL, false },
		{ &OP_TCPROGRAM, NULL, false },
		{ &OP_TRACEPOINTPROGRAM, NULL, false },
		{ &OP_KPROBEPROGRAM, NULL, false },
		{ &OP_UPROBEPROGRAM, NULL, false },
		{ &OP_FENTRYPROGRAM, NULL, false },
		{ &OP_FEXITPROGRAM, NULL, false },
		{ &OP_CONFIG, NULL, true },
		{ &KUBE_NAMESPACE, managed, true },
		{ &KUBE_CONFIGMAP, managed, true },
		{ &KUBE_SERVICEACCOUNT, managed, true },
		{ &KUBE_CLUSTERROLE, managed, true },
		{ &KUBE_CLUSTERROLEBINDING, managed, true },
		{ &KUBE_CSIDRIVER, managed, true },
		{ &KUBE_DAEMONSET, managed, true },
	};

	op->watches = calloc(ELEMENTSOF(specs), sizeof(*op->watches));
	if (!op->watches)
		return -ENOMEM;
	for (size_t i = 0; i < ELEMENTSOF(specs); i++) {
		struct kube_sel sel = { .labels = specs[i].labels };
		_cleanup_free_ char *err = NULL;
		struct op_watch *w = &op->watches[op->n_watches++];
		int k;

		w->res = specs[i].res;
		k = kube_informer_start(op->k, specs[i].res, NULL, &sel, specs[i].deploy ? deploy_fd : status_fd,
					&w->inf, &err);
		/* a kind the cluster does not serve (e.g. no G1 CRDs) is left out, not fatal */
		if (k < 0)
			log_warn("not watching %s: %s", specs[i].res->plural, err ? err : strerror(-k));
	}
	return 0;
}

static void stop_watches(struct op *op)
{
	for (unsigned i = 0; i < op->n_watches; i++)
		kube_informer_stop(op->watches[i].inf);
	free(op->watches);
	op->watches = NULL;
	op->n_watches = 0;
}

static void create_bootstrap(struct op *op)
{
	_cleanup_free_ char *err = NULL;
	json_t *cfg = bootstrap_config(op->bpfman_img, op->agent_img, op->bootstrap_ns);
	int k;

	if (!cfg) {
		log_error("building the bootstrap Config: out of memory");
		return;
	}
	k = kube_create(op->k, &OP_CONFIG, NULL, cfg, NULL, &err);
	json_decref(cfg);
	if (k == 0)
		log_info("created the bootstrap Config %s", OP_CONFIG_NAME);
	else if (k != -EEXIST)
		log_error_errno(k, "creating the bootstrap Config %s: %s", OP_CONFIG_NAME, err ? err : "");
}

static void drain(int fd)
{
	uint64_t v;

	(void)!read(fd, &v, sizeof(v));
}

static void arm(int tfd, long seconds, bool periodic)
{
	struct itimerspec its = { .it_value = { .tv_sec = seconds } };

	if (periodic)
		its.it_interval.tv_sec = seconds;
	timerfd_settime(tfd, 0, &its, NULL);
}

static int run(struct op *op, unsigned resync_s, const char *health_addr)
{
	_cleanup_close_ int status_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	_cleanup_close_ int deploy_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	_cleanup_close_ int resync_fd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
	_cleanup_close_ int retry_fd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
	_cleanup_close_ int sig_fd = -1;
	struct health *health = NULL;
	bool was_ready = false;
	sigset_t mask;
	int k;

	if (status_fd < 0 || deploy_fd < 0 || resync_fd < 0 || retry_fd < 0)
		return log_error_errno(-errno, "creating event descriptors");
	sigemptyset(&mask);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	sigprocmask(SIG_BLOCK, &mask, NULL);
	sig_fd = signalfd(-1, &mask, SFD_CLOEXEC);
	if (sig_fd < 0)
		return log_error_errno(-errno, "signalfd");

	create_bootstrap(op);
	k = start_watches(op, status_fd, deploy_fd);
	if (k < 0)
		return log_error_errno(k, "starting the informers");
	if (health_addr) {
		k = health_start(health_addr, op_ready, op, &health);
		if (k < 0) {
			stop_watches(op);
			return log_error_errno(k, "health probe on %s", health_addr);
		}
	}
	arm(resync_fd, resync_s, true);
	log_info("bpfman-operator %s watching %s", BPFMAN_VERSION, kube_server(op->k));

	for (;;) {
		struct pollfd p[] = { { status_fd, POLLIN, 0 }, { deploy_fd, POLLIN, 0 },
				      { resync_fd, POLLIN, 0 }, { retry_fd, POLLIN, 0 },
				      { sig_fd, POLLIN, 0 } };
		bool do_status = false, do_deploy = false, ready;
		unsigned failed = 0;

		/* until the essential caches are filled, look again soon */
		if (poll(p, ELEMENTSOF(p), was_ready ? -1 : 200) < 0) {
			if (errno == EINTR)
				continue;
			k = log_error_errno(-errno, "poll");
			break;
		}
		if (p[4].revents) {
			struct signalfd_siginfo si;

			(void)!read(sig_fd, &si, sizeof(si));
			log_info("signal %u: stopping", si.ssi_signo);
			k = 0;
			break;
		}
		ready = op_ready(op);
		if (ready && !was_ready)
			do_status = do_deploy = true;
		was_ready = ready;
		if (p[0].revents) {
			drain(status_fd);
			do_status = true;
		}
		if (p[1].revents) {
			drain(deploy_fd);
			do_deploy = do_status = true;
		}
		if (p[2].revents || p[3].revents) {
			drain(p[2].revents ? resync_fd : retry_fd);
			if (p[2].revents && p[3].revents)
				drain(retry_fd);
			do_deploy = do_status = true;
		}
		if (!ready)
			continue;
		if (do_deploy)
			failed += deploy_pass(op);
		if (do_status)
			failed += app_status_pass(op);
		if (failed)
			arm(retry_fd, RETRY_S, false);
	}
	health_stop(health);
	stop_watches(op);
	return k;
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "kubeconfig", required_argument, NULL, 'k' },
		{ "namespace", required_argument, NULL, 'n' },
		{ "resync", required_argument, NULL, 'r' },
		{ "health-probe-bind-address", required_argument, NULL, 'H' },
		{ "log-level", required_argument, NULL, 'l' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{}
	};
	const char *kubeconfig = NULL, *health_addr = NULL, *lvl = secure_getenv("BPFMAN_LOG");
	struct op op = { .bootstrap_ns = "bpfman" };
	_cleanup_free_ char *err = NULL;
	uint32_t resync_s = 60;
	int c, k;

	if (lvl && log_level_from_string(lvl) >= 0)
		log_set_level(log_level_from_string(lvl));
	while ((c = getopt_long(argc, argv, "h", longopts, NULL)) >= 0) {
		switch (c) {
		case 'k':
			kubeconfig = optarg;
			break;
		case 'n':
			if (!*optarg) {
				log_error("--namespace: empty name");
				return 2;
			}
			op.bootstrap_ns = optarg;
			break;
		case 'r':
			if (safe_atou32(optarg, 10, &resync_s) < 0 || resync_s < 1) {
				log_error("invalid resync period '%s': expected seconds (at least 1)", optarg);
				return 2;
			}
			break;
		case 'H':
			health_addr = *optarg ? optarg : NULL;
			break;
		case 'l':
			if (log_level_from_string(optarg) < 0) {
				log_error("invalid log level '%s'", optarg);
				return 2;
			}
			log_set_level(log_level_from_string(optarg));
			break;
		case 'V':
			printf("bpfman-operator %s\ngit revision: %s\n", BPFMAN_VERSION, BPFMAN_GIT_REVISION);
			return 0;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	op.bpfman_img = secure_getenv("BPFMAN_IMG");
	op.agent_img = secure_getenv("BPFMAN_AGENT_IMG");
	op.pull_policy = secure_getenv("BPFMAN_IMAGE_PULL_POLICY");
	op.host.root = secure_getenv("BPFMAN_HOST_ROOT");
	op.host.kubelet_dir = secure_getenv("BPFMAN_KUBELET_DIR");
	op.host.api_server = secure_getenv("BPFMAN_API_SERVER");
	op.host.probe_host = secure_getenv("BPFMAN_AGENT_PROBE_HOST");
	if ((op.host.root && *op.host.root && op.host.root[0] != '/') ||
	    (op.host.kubelet_dir && *op.host.kubelet_dir && op.host.kubelet_dir[0] != '/')) {
		log_error("BPFMAN_HOST_ROOT and BPFMAN_KUBELET_DIR must be absolute paths");
		return 2;
	}
	if (op.pull_policy && strcmp(op.pull_policy, "Always") != 0 && strcmp(op.pull_policy, "Never") != 0 &&
	    strcmp(op.pull_policy, "IfNotPresent") != 0) {
		log_error("BPFMAN_IMAGE_PULL_POLICY '%s': expected Always, Never or IfNotPresent", op.pull_policy);
		return 2;
	}
	if (optind < argc && strcmp(argv[optind], "default-config") != 0) {
		log_error("unknown command '%s'", argv[optind]);
		return 2;
	}
	if (optind + 1 < argc) {
		log_error("unexpected argument '%s'", argv[optind + 1]);
		return 2;
	}
	if (!op.bpfman_img || !*op.bpfman_img || !op.agent_img || !*op.agent_img) {
		log_error("BPFMAN_IMG and BPFMAN_AGENT_IMG must name the daemon's and the agent's images");
		return 2;
	}
	if (optind < argc) {
		json_t *cfg = bootstrap_config(op.bpfman_img, op.agent_img, op.bootstrap_ns);

		if (!cfg || json_dumpf(cfg, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER) < 0) {
			json_decref(cfg);
			return 1;
		}
		putchar('\n');
		json_decref(cfg);
		return 0;
	}
	log_set_writer(stamped_writer);
	/* an operator idles most of the time: fewer malloc arenas keep its memory down */
	mallopt(M_ARENA_MAX, 2);
	k = kube_open(&(struct kube_opts){ .kubeconfig = kubeconfig, .field_manager = OP_FIELD_MANAGER }, &op.k,
		      &err);
	if (k < 0) {
		log_error_errno(k, "connecting to the API server: %s", err ? err : "");
		return 1;
	}
	k = run(&op, resync_s, health_addr);
	json_decref(op.written);
	kube_close(op.k);
	return k < 0 ? 1 : 0;
}
