/* The feature-probe cache: probed once however many threads ask at once, transient
 * failures returned and probed again, definitive answers cached. bpf_prog_load is replaced
 * (-Wl,--wrap) by a fake whose answer each case sets, so no root and no kernel change. */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <bpf/bpf.h>

#include "bpfman.h"
#include "test-util.h"

int __wrap_bpf_prog_load(enum bpf_prog_type type, const char *name, const char *license,
			 const struct bpf_insn *insns, size_t n, struct bpf_prog_load_opts *o);

static int fake_errno; /* 0: succeed */
static int fake_calls;
static pthread_mutex_t fake_lock = PTHREAD_MUTEX_INITIALIZER;

int __wrap_bpf_prog_load(enum bpf_prog_type type, const char *name, const char *license,
			 const struct bpf_insn *insns, size_t n, struct bpf_prog_load_opts *o)
{
	int e;

	pthread_mutex_lock(&fake_lock);
	fake_calls++;
	e = fake_errno;
	pthread_mutex_unlock(&fake_lock);
	usleep(50000); /* a slow probe: concurrent first callers overlap */
	if (e) {
		errno = e;
		return -1;
	}
	return open("/dev/null", O_RDONLY | O_CLOEXEC); /* closed by the probe like a prog fd */
}

#define THREADS 8
static int results[THREADS];

static void *probe_uprobe(void *arg)
{
	int *r = arg;

	*r = bpfman_feature_probe(BPFMAN_FEAT_UPROBE, NULL);
	return NULL;
}

int main(void)
{
	pthread_t t[THREADS];
	const char *why = NULL;

	/* the probes look for the uprobe PMU and tracefs before loading anything (and
	 * tracefs_ensure() would mount tracefs when it is missing: no kernel changes here) */
	if (access("/sys/bus/event_source/devices/uprobe/type", F_OK) < 0) {
		printf("SKIP: no uprobe PMU in /sys/bus/event_source/devices\n");
		return 77;
	}
	if (access("/sys/kernel/tracing/events", F_OK) < 0 &&
	    access("/sys/kernel/debug/tracing/events", F_OK) < 0) {
		printf("SKIP: no tracefs with events mounted\n");
		return 77;
	}

	/* many threads ask first at once: one probe, one answer for all */
	for (int i = 0; i < THREADS; i++)
		CHECK(pthread_create(&t[i], NULL, probe_uprobe, &results[i]) == 0);
	for (int i = 0; i < THREADS; i++)
		pthread_join(t[i], NULL);
	CHECK_EQ_INT(fake_calls, 1);
	for (int i = 0; i < THREADS; i++)
		CHECK_EQ_INT(results[i], 1);
	CHECK_EQ_INT(bpfman_feature_probe(BPFMAN_FEAT_UPROBE, &why), 1);
	CHECK_STREQ(why, "supported");
	CHECK_EQ_INT(fake_calls, 1);

	/* transient failures prove nothing: returned, not cached */
	fake_calls = 0;
	fake_errno = EINTR;
	CHECK_EQ_INT(bpfman_feature_probe(BPFMAN_FEAT_TRACEPOINT, &why), -EINTR);
	CHECK(why && strstr(why, "Interrupted system call"));
	fake_errno = ENOMEM;
	CHECK_EQ_INT(bpfman_feature_probe(BPFMAN_FEAT_TRACEPOINT, NULL), -ENOMEM);
	fake_errno = EMFILE;
	CHECK_EQ_INT(bpfman_feature_probe(BPFMAN_FEAT_TRACEPOINT, NULL), -EMFILE);
	CHECK_EQ_INT(fake_calls, 3);

	/* the kernel's refusal is an answer: cached with its reason */
	fake_errno = EINVAL;
	CHECK_EQ_INT(bpfman_feature_probe(BPFMAN_FEAT_TRACEPOINT, &why), 0);
	CHECK(why && strstr(why, "Invalid argument"));
	fake_errno = 0;
	CHECK_EQ_INT(bpfman_feature_probe(BPFMAN_FEAT_TRACEPOINT, &why), 0);
	CHECK(why && strstr(why, "Invalid argument"));
	CHECK_EQ_INT(fake_calls, 4);
	return TEST_RESULT();
}
