/* kube-probe: the Kubernetes client library (src/k8s) from the command line, for
 * tests/k8s/test-kube-client.sh.
 *
 *   kube-probe [--kubeconfig F | --in-cluster-dir D] [--field-manager M] CMD ARGS
 *
 * RES is a plural of kube.h (nodes, pods, configmaps, namespaces, secrets, ...) or
 * GROUP/VERSION/PLURAL/KIND/(namespaced|cluster); NS is a namespace or "-".
 *   get RES NS NAME                   print the object
 *   list RES NS [LABELSEL [FIELDSEL]] print the names, one a line, then "rv=RV"
 *   create RES NS FILE                FILE: JSON ("-": stdin); prints the created object
 *   apply RES NS NAME FILE [--status] [--force]   server-side apply
 *   patch RES NS NAME JSON [--status] merge patch
 *   replace RES NS NAME FILE [--status]
 *   delete RES NS NAME [PROPAGATION]
 *   add-finalizer|remove-finalizer RES NS NAME FINALIZER
 *   informer RES NS EVENTS SECONDS [LABELSEL]
 *       prints "synced N", then one line per change seen in the cache ("ADDED key rv",
 *       "MODIFIED key rv", "DELETED key"), until EVENTS changes or SECONDS; then
 *       "lists=N watches=N"
 *   relist RES NS RV SECONDS
 *       syncs, then makes the informer watch from RV (an old one gets a real 410 from the
 *       server) and waits for the relist; prints "relisted ms=N lists=N"
 *   stop-time RES NS   syncs, stops; prints "stop ms=N"
 *   bench RES NS NAME N [THREADS]
 *       N GETs one after another on each of THREADS threads (1) sharing one client; prints
 *       "gets=N ms=TOTAL per=MS" (per: wall time per GET)
 *   poll RES NS NAME SECONDS
 *       a GET every 100 ms for SECONDS; prints "ok=N failed=N last=ok|ENAME"
 *
 * Failures print "error ENAME: message" on stderr and exit 1 (2: usage). */
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include "kube-internal.h"
#include "kube.h"

static const struct kube_res *known[] = {
	&KUBE_NODE,	    &KUBE_POD,		&KUBE_SECRET,		  &KUBE_NAMESPACE,
	&KUBE_CONFIGMAP,    &KUBE_DAEMONSET,	&KUBE_CSIDRIVER,	  &KUBE_SERVICEACCOUNT,
	&KUBE_CLUSTERROLE, &KUBE_CLUSTERROLEBINDING, &KUBE_CRD,
};

static struct kube_res custom;
static char custom_buf[512];

static const struct kube_res *parse_res(const char *s)
{
	char *parts[5], *save = NULL, *p;
	int n = 0;

	for (size_t i = 0; i < sizeof(known) / sizeof(known[0]); i++)
		if (strcmp(known[i]->plural, s) == 0)
			return known[i];
	snprintf(custom_buf, sizeof(custom_buf), "%s", s);
	for (p = strtok_r(custom_buf, "/", &save); p && n < 5; p = strtok_r(NULL, "/", &save))
		parts[n++] = p;
	if (n != 5)
		return NULL;
	custom = (struct kube_res){ parts[0], parts[1], parts[2], parts[3],
				    strcmp(parts[4], "namespaced") == 0 };
	return &custom;
}

static long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int usage(void);

static int fail(int r, char *msg)
{
	fprintf(stderr, "error %s: %s\n", strerrorname_np(-r) ? strerrorname_np(-r) : "?",
		msg ? msg : strerror(-r));
	free(msg);
	return 1;
}

static json_t *load(const char *file)
{
	json_error_t e;
	json_t *j = strcmp(file, "-") == 0 ? json_loadf(stdin, 0, &e) : json_load_file(file, 0, &e);

	if (!j)
		fprintf(stderr, "%s: %s\n", file, e.text);
	return j;
}

static int print(json_t *j)
{
	json_dumpf(j, stdout, JSON_INDENT(1) | JSON_SORT_KEYS);
	putchar('\n');
	json_decref(j);
	return 0;
}

/* Prints what changed between two snapshots (key -> resourceVersion); returns how many. */
static int diff(json_t *before, json_t *after)
{
	const char *key;
	json_t *v;
	int n = 0;

	json_object_foreach(after, key, v) {
		json_t *old = json_object_get(before, key);

		if (!old)
			printf("ADDED %s %s\n", key, json_string_value(v)), n++;
		else if (!json_equal(old, v))
			printf("MODIFIED %s %s\n", key, json_string_value(v)), n++;
	}
	json_object_foreach(before, key, v) {
		if (!json_object_get(after, key))
			printf("DELETED %s\n", key), n++;
	}
	fflush(stdout);
	return n;
}

static json_t *snapshot(struct kube_informer *inf)
{
	json_t *items = kube_informer_items(inf), *snap = json_object(), *o;
	size_t i;

	json_array_foreach(items, i, o) {
		const char *ns = kube_obj_namespace(o);
		char key[600];

		snprintf(key, sizeof(key), "%s%s%s", ns ? ns : "", ns ? "/" : "", kube_obj_name(o));
		json_object_set_new(snap, key,
				    json_incref(json_object_get(json_object_get(o, "metadata"),
								"resourceVersion")));
	}
	json_decref(items);
	return snap;
}

static int wait_synced(struct kube_informer *inf, long deadline)
{
	while (!kube_informer_synced(inf)) {
		if (now_ms() > deadline) {
			char *e = kube_informer_last_error(inf);
			return fail(-ETIMEDOUT, e ? e : strdup("informer did not sync"));
		}
		usleep(20000);
	}
	return 0;
}

static int cmd_informer(struct kube *k, const struct kube_res *r, const char *ns, int events,
			int seconds, const char *labels)
{
	struct kube_sel sel = { labels, NULL };
	struct kube_informer *inf = NULL;
	long deadline = now_ms() + seconds * 1000L;
	json_t *snap;
	char *err = NULL;
	int efd, e, seen = 0;

	efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (efd < 0)
		return fail(-errno, NULL);
	e = kube_informer_start(k, r, ns, labels ? &sel : NULL, efd, &inf, &err);
	if (e < 0)
		return fail(e, err);
	if (wait_synced(inf, deadline)) {
		kube_informer_stop(inf);
		return 1;
	}
	snap = snapshot(inf);
	printf("synced %zu\n", json_object_size(snap));
	fflush(stdout);
	while (seen < events && now_ms() < deadline) {
		struct pollfd p = { efd, POLLIN, 0 };
		uint64_t v;
		json_t *next;

		if (poll(&p, 1, 200) <= 0)
			continue;
		if (read(efd, &v, sizeof(v)) < 0)
			continue;
		next = snapshot(inf);
		seen += diff(snap, next);
		json_decref(snap);
		snap = next;
	}
	json_decref(snap);
	printf("lists=%u watches=%u\n", kube_informer_lists(inf), kube_informer_watches(inf));
	kube_informer_stop(inf);
	close(efd);
	return seen >= events ? 0 : fail(-ETIMEDOUT, strdup("fewer events than expected"));
}

static int cmd_relist(struct kube *k, const struct kube_res *r, const char *ns, const char *rv,
		      int seconds)
{
	struct kube_informer *inf = NULL;
	long deadline = now_ms() + seconds * 1000L, t0;
	char *err = NULL;
	int e;

	e = kube_informer_start(k, r, ns, NULL, -1, &inf, &err);
	if (e < 0)
		return fail(e, err);
	if (wait_synced(inf, deadline)) {
		kube_informer_stop(inf);
		return 1;
	}
	t0 = now_ms();
	kube_informer_test_set_rv(inf, rv);
	while (kube_informer_lists(inf) < 2 && now_ms() < deadline)
		usleep(5000);
	e = kube_informer_lists(inf) >= 2;
	printf("%s ms=%ld lists=%u watches=%u\n", e ? "relisted" : "not-relisted", now_ms() - t0,
	       kube_informer_lists(inf), kube_informer_watches(inf));
	err = kube_informer_last_error(inf);
	if (err)
		printf("last-error %s\n", err);
	free(err);
	kube_informer_stop(inf);
	return e ? 0 : 1;
}

static int cmd_stop_time(struct kube *k, const struct kube_res *r, const char *ns)
{
	struct kube_informer *inf = NULL;
	char *err = NULL;
	long t0;
	int e;

	e = kube_informer_start(k, r, ns, NULL, -1, &inf, &err);
	if (e < 0)
		return fail(e, err);
	if (wait_synced(inf, now_ms() + 30000)) {
		kube_informer_stop(inf);
		return 1;
	}
	usleep(300000); /* let it sit in its watch */
	t0 = now_ms();
	kube_informer_stop(inf);
	printf("stop ms=%ld\n", now_ms() - t0);
	return 0;
}

struct bench {
	struct kube *k;
	const struct kube_res *r;
	const char *ns, *name;
	int count, failed;
};

static void *bench_thread(void *arg)
{
	struct bench *b = arg;

	for (int i = 0; i < b->count; i++) {
		json_t *out = NULL;
		char *err = NULL;
		int e = kube_get(b->k, b->r, b->ns, b->name, &out, &err);

		if (e < 0) {
			fail(e, err);
			b->failed++;
		}
		json_decref(out);
	}
	return NULL;
}

static int cmd_bench(struct kube *k, const struct kube_res *r, const char *ns, const char *name,
		     int count, int threads)
{
	struct bench b[64];
	pthread_t t[64];
	long t0 = now_ms(), ms;
	int failed = 0;

	if (threads < 1 || threads > 64 || count < 1)
		return usage();
	for (int i = 0; i < threads; i++) {
		b[i] = (struct bench){ k, r, ns, name, count, 0 };
		if (pthread_create(&t[i], NULL, bench_thread, &b[i]) != 0)
			return fail(-EAGAIN, NULL);
	}
	for (int i = 0; i < threads; i++) {
		pthread_join(t[i], NULL);
		failed += b[i].failed;
	}
	ms = now_ms() - t0;
	printf("gets=%d ms=%ld per=%.2f failed=%d\n", count * threads, ms,
	       (double)ms / (count * threads), failed);
	return failed ? 1 : 0;
}

static int cmd_poll(struct kube *k, const struct kube_res *r, const char *ns, const char *name,
		    int seconds)
{
	long end = now_ms() + seconds * 1000L;
	int ok = 0, failed = 0, last = 0;

	while (now_ms() < end) {
		json_t *out = NULL;
		char *err = NULL;

		last = kube_get(k, r, ns, name, &out, &err);
		if (last < 0)
			failed++;
		else
			ok++;
		json_decref(out);
		free(err);
		usleep(100000);
	}
	printf("ok=%d failed=%d last=%s\n", ok, failed,
	       last < 0 ? strerrorname_np(-last) : "ok");
	return 0;
}

static int usage(void)
{
	fprintf(stderr, "usage: kube-probe [--kubeconfig F | --in-cluster-dir D] "
			"[--field-manager M] CMD ARGS (see the source)\n");
	return 2;
}

int main(int argc, char **argv)
{
	struct kube_opts o = { 0 };
	const char *sa_dir = NULL, *cmd, *ns;
	const struct kube_res *r;
	struct kube *k = NULL;
	bool status = false, force = false;
	char *err = NULL, *args[8];
	json_t *out = NULL, *in;
	int e, n = 0, rc;

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--kubeconfig") == 0 && i + 1 < argc)
			o.kubeconfig = argv[++i];
		else if (strcmp(argv[i], "--in-cluster-dir") == 0 && i + 1 < argc)
			sa_dir = argv[++i];
		else if (strcmp(argv[i], "--field-manager") == 0 && i + 1 < argc)
			o.field_manager = argv[++i];
		else if (strcmp(argv[i], "--status") == 0)
			status = true;
		else if (strcmp(argv[i], "--force") == 0)
			force = true;
		else if (n < 8)
			args[n++] = argv[i];
		else
			return usage();
	}
	if (n < 3)
		return usage();
	cmd = args[0];
	r = parse_res(args[1]);
	ns = strcmp(args[2], "-") == 0 ? NULL : args[2];
	if (!r)
		return usage();
	e = sa_dir ? kube_open_in_cluster_dir(sa_dir, &o, &k, &err) : kube_open(&o, &k, &err);
	if (e < 0)
		return fail(e, err);

	rc = 2;
	if (strcmp(cmd, "get") == 0 && n == 4) {
		e = kube_get(k, r, ns, args[3], &out, &err);
		rc = e < 0 ? fail(e, err) : print(out);
	} else if (strcmp(cmd, "list") == 0 && n >= 3) {
		struct kube_sel sel = { n > 3 ? args[3] : NULL, n > 4 ? args[4] : NULL };
		json_t *item;
		size_t i;

		e = kube_list(k, r, ns, &sel, &out, &err);
		if (e < 0) {
			rc = fail(e, err);
		} else {
			json_array_foreach(json_object_get(out, "items"), i, item)
				printf("%s\n", kube_obj_name(item));
			printf("rv=%s\n", json_string_value(json_object_get(
						   json_object_get(out, "metadata"), "resourceVersion")));
			json_decref(out);
			rc = 0;
		}
	} else if (strcmp(cmd, "create") == 0 && n == 4) {
		in = load(args[3]);
		e = in ? kube_create(k, r, ns, in, &out, &err) : -EINVAL;
		json_decref(in);
		rc = e < 0 ? fail(e, err) : print(out);
	} else if (strcmp(cmd, "apply") == 0 && n == 5) {
		in = load(args[4]);
		e = in ? kube_apply(k, r, ns, args[3], in, status, force, &out, &err) : -EINVAL;
		json_decref(in);
		rc = e < 0 ? fail(e, err) : print(out);
	} else if (strcmp(cmd, "replace") == 0 && n == 5) {
		in = load(args[4]);
		e = in ? kube_replace(k, r, ns, args[3], in, status, &out, &err) : -EINVAL;
		json_decref(in);
		rc = e < 0 ? fail(e, err) : print(out);
	} else if (strcmp(cmd, "patch") == 0 && n == 5) {
		in = json_loads(args[4], 0, NULL);
		e = in ? kube_merge_patch(k, r, ns, args[3], in, status, &out, &err) : -EINVAL;
		json_decref(in);
		rc = e < 0 ? fail(e, err) : print(out);
	} else if (strcmp(cmd, "delete") == 0 && (n == 4 || n == 5)) {
		e = kube_delete(k, r, ns, args[3], n == 5 ? args[4] : NULL, &err);
		rc = e < 0 ? fail(e, err) : 0;
	} else if ((strcmp(cmd, "add-finalizer") == 0 || strcmp(cmd, "remove-finalizer") == 0) &&
		   n == 5) {
		e = cmd[0] == 'a' ? kube_add_finalizer(k, r, ns, args[3], args[4], &err)
				  : kube_remove_finalizer(k, r, ns, args[3], args[4], &err);
		rc = e < 0 ? fail(e, err) : 0;
	} else if (strcmp(cmd, "informer") == 0 && (n == 5 || n == 6)) {
		rc = cmd_informer(k, r, ns, atoi(args[3]), atoi(args[4]), n == 6 ? args[5] : NULL);
	} else if (strcmp(cmd, "relist") == 0 && n == 5) {
		rc = cmd_relist(k, r, ns, args[3], atoi(args[4]));
	} else if (strcmp(cmd, "bench") == 0 && (n == 5 || n == 6)) {
		rc = cmd_bench(k, r, ns, args[3], atoi(args[4]), n == 6 ? atoi(args[5]) : 1);
	} else if (strcmp(cmd, "poll") == 0 && n == 5) {
		rc = cmd_poll(k, r, ns, args[3], atoi(args[4]));
	} else if (strcmp(cmd, "stop-time") == 0 && n == 3) {
		rc = cmd_stop_time(k, r, ns);
	} else {
		rc = usage();
	}
	kube_close(k);
	return rc;
}
