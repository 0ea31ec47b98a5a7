/* Prometheus metrics of bpfman-rpc: the request counters the server records, and a text
 * exposition (format 0.0.4) built on each scrape from the library's listings. The listener
 * runs in a thread of its own (metrics-http.c), with a library context of its own. */
#include <errno.h>
#include <netdb.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <bpf/bpf.h>

#include "bpfman.h"
#include "cleanup.h"
#include "handlers.h"
#include "log.h"
#include "metrics-http.h"
#include "metrics.h"

/* Latency buckets of bpfman_rpc_request_duration_seconds: a List answers in well under a
 * millisecond, an image pull may take many seconds. */
static const double buckets_s[] = { 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05,
				     0.1,    0.25,  0.5,    1,     2.5,  5,     10 };
#define N_BUCKETS (sizeof(buckets_s) / sizeof(buckets_s[0]))
#define N_CODES 17 /* grpc status codes 0..16 */
#define MAX_METHODS 32 /* rows: rpc_methods (10 now), then one for unknown methods */

static const char *const code_names[N_CODES] = {
	"OK", "CANCELLED", "UNKNOWN", "INVALID_ARGUMENT", "DEADLINE_EXCEEDED", "NOT_FOUND",
	"ALREADY_EXISTS", "PERMISSION_DENIED", "RESOURCE_EXHAUSTED", "FAILED_PRECONDITION",
	"ABORTED", "OUT_OF_RANGE", "UNIMPLEMENTED", "INTERNAL", "UNAVAILABLE", "DATA_LOSS",
	"UNAUTHENTICATED",
};

struct call_stats {
	uint64_t count;
	uint64_t sum_ns;
	uint64_t buckets[N_BUCKETS]; /* non-cumulative: calls in (bucket i-1, bucket i] */
};

static struct {
	atomic_bool on;
	pthread_mutex_t lock; /* calls */
	struct call_stats calls[MAX_METHODS][N_CODES];
	const char *root;
	int stats_fd; /* BPF_ENABLE_STATS: run times are counted while it is open */
	int lfd, stop_fd;
	pthread_t thread;
	struct bpfman *ctx; /* the listener thread's */
} M = { .lock = PTHREAD_MUTEX_INITIALIZER, .stats_fd = -1, .lfd = -1, .stop_fd = -1 };

/* The row of unknown methods: after the known ones, or the last row if they are too many. */
static unsigned unknown_row(void)
{
	return rpc_n_methods < MAX_METHODS ? rpc_n_methods : MAX_METHODS - 1;
}

static unsigned method_row(int method)
{
	return method >= 0 && (unsigned)method < unknown_row() ? (unsigned)method : unknown_row();
}

static const char *method_name(unsigned row)
{
	return row < unknown_row() ? strrchr(rpc_methods[row].path, '/') + 1 : "unknown";
}

void metrics_record_call(int method, grpc_status_code code, uint64_t latency_ns)
{
	struct call_stats *s;
	size_t b = 0;

	if (!atomic_load(&M.on))
		return;
	if ((unsigned)code >= N_CODES)
		code = GRPC_STATUS_UNKNOWN;
	while (b < N_BUCKETS && (double)latency_ns > buckets_s[b] * 1e9)
		b++;
	pthread_mutex_lock(&M.lock);
	s = &M.calls[method_row(method)][code];
	s->count++;
	s->sum_ns += latency_ns;
	if (b < N_BUCKETS)
		s->buckets[b]++;
	pthread_mutex_unlock(&M.lock);
}

/* ---- the exposition ---- */

/* A label value: backslash, double quote and newline escaped (interface names and netns
 * paths are the user's). */
static void label(FILE *f, const char *name, const char *value, bool first)
{
	fprintf(f, "%s%s=\"", first ? "" : ",", name);
	for (const char *p = value ? value : ""; *p; p++) {
		if (*p == '\\' || *p == '"')
			fprintf(f, "\\%c", *p);
		else if (*p == '\n')
			fputs("\\n", f);
		else
			fputc(*p, f);
	}
	fputc('"', f);
}

static void family(FILE *f, const char *name, const char *type, const char *help)
{
	fprintf(f, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

/* NAME{id="..",name="..",type=".."} of one managed program's series */
static void program_series(FILE *f, const char *name, const struct bpfman_program_view *v)
{
	fprintf(f, "%s{id=\"%u\"", name, v->kernel.id);
	label(f, "name", v->program->name, false);
	label(f, "type", bpfman_prog_type_to_string(v->program->type), false);
	fputc('}', f);
}

static void render_programs(FILE *f, struct bpfman *m)
{
	struct bpfman_program_view *v = NULL;
	size_t n = 0;
	uint64_t by_type[_BPFMAN_PROG_TYPE_MAX] = { 0 };

	if (bpfman_list_programs(m, NULL, &v, &n) < 0) {
		log_warn("metrics: %s", bpfman_error(m));
		n = 0;
	}
	family(f, "bpfman_program_run_count_total", "counter",
	       "Times a managed program ran, counted by the kernel while metrics are on.");
	for (size_t i = 0; i < n; i++) {
		if (!v[i].program)
			continue;
		program_series(f, "bpfman_program_run_count_total", &v[i]);
		fprintf(f, " %llu\n", (unsigned long long)v[i].kernel.run_cnt);
	}
	family(f, "bpfman_program_run_time_seconds_total", "counter",
	       "Time a managed program ran, in seconds, counted by the kernel while metrics are on.");
	for (size_t i = 0; i < n; i++) {
		if (!v[i].program)
			continue;
		program_series(f, "bpfman_program_run_time_seconds_total", &v[i]);
		fprintf(f, " %.9f\n", (double)v[i].kernel.run_time_ns / 1e9);
		if ((unsigned)v[i].program->type < _BPFMAN_PROG_TYPE_MAX)
			by_type[v[i].program->type]++;
	}
	family(f, "bpfman_programs", "gauge", "Managed programs, by program type.");
	for (int t = 0; t < _BPFMAN_PROG_TYPE_MAX; t++) {
		fprintf(f, "bpfman_programs{");
		label(f, "type", bpfman_prog_type_to_string(t), true);
		fprintf(f, "} %llu\n", (unsigned long long)by_type[t]);
	}
	bpfman_program_views_free(v, n);
}

static void slot_labels(FILE *f, const struct bpfman_link *l)
{
	label(f, "type", bpfman_prog_type_to_string(l->type), true);
	label(f, "interface", l->iface, false);
	label(f, "netns", l->netns, false);
	label(f, "direction", l->type == BPFMAN_PROG_XDP ? "" : bpfman_direction_to_string(l->direction),
	      false);
	fprintf(f, ",position=\"%d\",program_id=\"%u\",link_id=\"%u\"", l->position, l->prog_id, l->id);
}

/* The name of counts index i: an action of the type, or "other" (as the CLI names them). */
static const char *action_name(enum bpfman_prog_type t, int i)
{
	const char *n = i == 15 ? NULL
				: bpfman_proceed_on_to_string(t, t == BPFMAN_PROG_XDP ? i : i - 1);

	return n ? n : "other";
}

static bool seen_before(const uint32_t *ids, size_t n, uint32_t id)
{
	for (size_t i = 0; i < n; i++)
		if (ids[i] == id)
			return true;
	return false;
}

static void render_links(FILE *f, struct bpfman *m)
{
	struct bpfman_link *l = NULL;
	size_t n = 0, n_disp = 0;
	uint64_t by_type[_BPFMAN_PROG_TYPE_MAX] = { 0 }, disp_by_type[_BPFMAN_PROG_TYPE_MAX] = { 0 };
	_cleanup_free_ uint32_t *disp_ids = NULL;

	if (bpfman_list_links(m, NULL, &l, &n) < 0) {
		log_warn("metrics: %s", bpfman_error(m));
		n = 0;
	}
	disp_ids = calloc(n ? n : 1, sizeof(*disp_ids));
	family(f, "bpfman_dispatcher_slot_runs_total", "counter",
	       "Times the program in a dispatcher slot ran (dispatchers count with [dispatcher] stats = true).");
	for (size_t i = 0; i < n; i++) {
		if ((unsigned)l[i].type < _BPFMAN_PROG_TYPE_MAX)
			by_type[l[i].type]++;
		/* one dispatcher per hook: count each running revision once */
		if (disp_ids && l[i].dispatched && l[i].dispatcher_id &&
		    !seen_before(disp_ids, n_disp, l[i].dispatcher_id)) {
			disp_ids[n_disp++] = l[i].dispatcher_id;
			if ((unsigned)l[i].type < _BPFMAN_PROG_TYPE_MAX)
				disp_by_type[l[i].type]++;
		}
		if (!l[i].has_counts)
			continue;
		fprintf(f, "bpfman_dispatcher_slot_runs_total{");
		slot_labels(f, &l[i]);
		fprintf(f, "} %llu\n", (unsigned long long)l[i].counts.packets);
	}
	family(f, "bpfman_dispatcher_slot_actions_total", "counter",
	       "Verdicts the program in a dispatcher slot returned, by action.");
	for (size_t i = 0; i < n; i++) {
		if (!l[i].has_counts)
			continue;
		for (int a = 0; a < 16; a++) {
			if (!l[i].counts.actions[a])
				continue;
			fprintf(f, "bpfman_dispatcher_slot_actions_total{");
			slot_labels(f, &l[i]);
			label(f, "action", action_name(l[i].type, a), false);
			fprintf(f, "} %llu\n", (unsigned long long)l[i].counts.actions[a]);
		}
	}
	family(f, "bpfman_links", "gauge", "Links (attachments) of managed programs, by program type.");
	for (int t = 0; t < _BPFMAN_PROG_TYPE_MAX; t++) {
		fprintf(f, "bpfman_links{");
		label(f, "type", bpfman_prog_type_to_string(t), true);
		fprintf(f, "} %llu\n", (unsigned long long)by_type[t]);
	}
	family(f, "bpfman_dispatchers", "gauge", "Dispatchers running on a hook, by type (xdp, tc).");
	for (int t = BPFMAN_PROG_XDP; t <= BPFMAN_PROG_TC; t++) {
		fprintf(f, "bpfman_dispatchers{");
		label(f, "type", bpfman_prog_type_to_string(t), true);
		fprintf(f, "} %llu\n", (unsigned long long)disp_by_type[t]);
	}
	bpfman_links_free(l, n);
}

static void render_calls(FILE *f)
{
	static struct call_stats snap[MAX_METHODS][N_CODES]; /* only the listener thread renders */

	pthread_mutex_lock(&M.lock);
	memcpy(snap, M.calls, sizeof(snap));
	pthread_mutex_unlock(&M.lock);
	family(f, "bpfman_rpc_requests_total", "counter",
	       "gRPC calls answered, by method and final status code.");
	for (unsigned r = 0; r <= unknown_row(); r++)
		for (int c = 0; c < N_CODES; c++)
			if (snap[r][c].count)
				fprintf(f, "bpfman_rpc_requests_total{method=\"%s\",code=\"%s\"} %llu\n",
					method_name(r), code_names[c], (unsigned long long)snap[r][c].count);
	family(f, "bpfman_rpc_request_duration_seconds", "histogram",
	       "Time from a call's arrival to its answer, by method and final status code.");
	for (unsigned r = 0; r <= unknown_row(); r++)
		for (int c = 0; c < N_CODES; c++) {
			const struct call_stats *s = &snap[r][c];
			uint64_t cum = 0;

			if (!s->count)
				continue;
			for (size_t b = 0; b < N_BUCKETS; b++) {
				cum += s->buckets[b];
				fprintf(f, "bpfman_rpc_request_duration_seconds_bucket{method=\"%s\",code=\"%s\",le=\"%g\"} %llu\n",
					method_name(r), code_names[c], buckets_s[b], (unsigned long long)cum);
			}
			fprintf(f, "bpfman_rpc_request_duration_seconds_bucket{method=\"%s\",code=\"%s\",le=\"+Inf\"} %llu\n",
				method_name(r), code_names[c], (unsigned long long)s->count);
			fprintf(f, "bpfman_rpc_request_duration_seconds_sum{method=\"%s\",code=\"%s\"} %.9f\n",
				method_name(r), code_names[c], (double)s->sum_ns / 1e9);
			fprintf(f, "bpfman_rpc_request_duration_seconds_count{method=\"%s\",code=\"%s\"} %llu\n",
				method_name(r), code_names[c], (unsigned long long)s->count);
		}
}

static struct bpfman *ctx(void)
{
	struct bpfman_open_opts o = { .root = M.root, .read_only = true };

	if (!M.ctx) {
		struct bpfman *m = NULL;

		if (bpfman_open(&o, NULL, NULL, &m) < 0) {
			log_warn("metrics: cannot open the manager: %s", bpfman_error(m));
			bpfman_close(m);
			return NULL;
		}
		M.ctx = m;
	}
	return M.ctx;
}

static char *render(size_t *len)
{
	char *buf = NULL;
	FILE *f = open_memstream(&buf, len);
	struct bpfman *m = ctx();

	if (!f)
		return NULL;
	family(f, "bpfman_program_stats_enabled", "gauge",
	       "1 while the server holds the kernel's run-time statistics on (BPF_ENABLE_STATS).");
	fprintf(f, "bpfman_program_stats_enabled %d\n", M.stats_fd >= 0);
	family(f, "bpfman_up", "gauge", "1 when the manager's state could be read for this scrape.");
	fprintf(f, "bpfman_up %d\n", m != NULL);
	if (m) {
		render_programs(f, m);
		render_links(f, m);
	}
	render_calls(f);
	if (fclose(f) != 0) {
		free(buf);
		return NULL;
	}
	return buf;
}

/* ---- the listener ---- */

int metrics_parse_address(const char *address, struct sockaddr_storage *ret, unsigned *ret_len)
{
	struct addrinfo hints = { .ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM,
				  .ai_flags = AI_NUMERICHOST | AI_NUMERICSERV };
	_cleanup_free_ char *host = strdup(address);
	struct addrinfo *ai = NULL;
	char *colon, *port, *h;
	int r;

	if (!host)
		return -ENOMEM;
	colon = strrchr(host, ':');
	if (!colon || colon == host || !colon[1])
		return -EINVAL;
	*colon = '\0';
	port = colon + 1;
	h = host;
	if (*h == '[') { /* [::1]:9102 */
		size_t n = strlen(h);

		if (n < 3 || h[n - 1] != ']')
			return -EINVAL;
		h[n - 1] = '\0';
		h++;
	} else if (strchr(h, ':')) {
		return -EINVAL; /* an IPv6 address needs its brackets */
	}
	if (strspn(port, "0123456789") != strlen(port) || strlen(port) > 5 || atoi(port) > 65535)
		return -EINVAL;
	r = getaddrinfo(h, port, &hints, &ai);
	if (r != 0 || !ai)
		return -EINVAL;
	memcpy(ret, ai->ai_addr, ai->ai_addrlen);
	*ret_len = ai->ai_addrlen;
	freeaddrinfo(ai);
	return 0;
}

static void *listener(void *arg)
{
	metrics_http_serve(M.lfd, M.stop_fd, render);
	if (M.ctx)
		M.ctx = bpfman_close(M.ctx);
	return NULL;
}

int metrics_start(const char *address, const char *root)
{
	struct sockaddr_storage sa;
	unsigned len = 0;
	_cleanup_close_ int fd = -EBADF, stop = -EBADF;
	int r;

	r = metrics_parse_address(address, &sa, &len);
	if (r < 0)
		return log_error_errno(r, "invalid metrics address '%s': expected HOST:PORT (an IPv6 host in brackets)",
				       address);
	fd = socket(sa.ss_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return log_error_errno(-errno, "metrics: socket");
	if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &(int){ 1 }, sizeof(int)) < 0)
		return log_error_errno(-errno, "metrics: SO_REUSEADDR");
	if (bind(fd, (struct sockaddr *)&sa, len) < 0)
		return log_error_errno(-errno, "cannot listen for metrics on %s", address);
	if (listen(fd, 16) < 0)
		return log_error_errno(-errno, "metrics: listen on %s", address);
	stop = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (stop < 0)
		return log_error_errno(-errno, "metrics: eventfd");

	/* counts only while an fd of it is open: never the sysctl, which would outlive us */
	M.stats_fd = bpf_enable_stats(BPF_STATS_RUN_TIME);
	if (M.stats_fd < 0) {
		log_warn("metrics: cannot turn on the kernel's run-time statistics (%s): run counts stay 0",
			 strerror(errno));
		M.stats_fd = -1;
	}
	M.root = root;
	M.lfd = fd;
	M.stop_fd = stop;
	atomic_store(&M.on, true);
	r = pthread_create(&M.thread, NULL, listener, NULL);
	if (r != 0) {
		atomic_store(&M.on, false);
		M.lfd = M.stop_fd = -1;
		M.stats_fd = safe_close(M.stats_fd);
		return log_error_errno(-r, "metrics: cannot start the listener thread");
	}
	fd = stop = -EBADF; /* the listener's now */
	log_info("serving metrics on http://%s/metrics", address);
	return 0;
}

void metrics_stop(void)
{
	if (M.lfd < 0)
		return;
	atomic_store(&M.on, false);
	(void)eventfd_write(M.stop_fd, 1);
	pthread_join(M.thread, NULL);
	M.lfd = safe_close(M.lfd);
	M.stop_fd = safe_close(M.stop_fd);
	M.stats_fd = safe_close(M.stats_fd);
}
