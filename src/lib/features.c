/* Kernel feature probes: each one tries the real thing (load a trivial program of the
 * kind, or ask the hook) and caches a definitive answer for the life of the process. No
 * version strings: kernels backport, and sandboxes take features away.
 *
 * Only proof is cached: "supported", or a refusal the kernel gives for a missing feature
 * (probe_errno_definitive). A transient failure (EINTR, ENOMEM, EMFILE...) is returned to
 * the caller as an error and the next call probes again: caching it would change how every
 * later XDP/TC program of a server is loaded. The cache is shared by the server's threads,
 * so it is filled under a mutex (which also makes concurrent first callers probe once). */
#include <errno.h>
#include <net/if.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>

#include "attach/tcx.h"
#include "bpfman.h"
#include "cleanup.h"
#include "dispatcher/dispatcher.h"
#include "layout.h"
#include "probe-errno.h"

static const struct bpf_insn ret0[] = {
	{ .code = 0xb7, .dst_reg = 0, .imm = 0 }, /* r0 = 0 */
	{ .code = 0x95 }, /* exit */
};

#define WHY_LEN 160

static int load_trivial(enum bpf_prog_type type, enum bpf_attach_type at, const char *btf_fn,
			int btf_kind, const char **why, char *buf, size_t len)
{
	LIBBPF_OPTS(bpf_prog_load_opts, o);
	_cleanup_close_ int fd = -EBADF, link = -EBADF;

	if (btf_fn) {
		struct btf *vmlinux = btf__load_vmlinux_btf();
		int id;

		if (!vmlinux) {
			int e = errno;

			snprintf(buf, len, "no kernel BTF (/sys/kernel/btf/vmlinux): %s",
				 strerror(e));
			*why = buf;
			return probe_errno_definitive(e) ? 0 : -e;
		}
		id = btf__find_by_name_kind(vmlinux, btf_fn, btf_kind);
		btf__free(vmlinux);
		if (id < 0) {
			snprintf(buf, len, "kernel BTF has no %s", btf_fn);
			*why = buf;
			return 0;
		}
		o.attach_btf_id = id;
		o.expected_attach_type = at;
	}
	fd = bpf_prog_load(type, NULL, "GPL", ret0, ELEMENTSOF(ret0), &o);
	if (fd < 0) {
		int e = errno;

		snprintf(buf, len, "loading a %s program fails: %s", libbpf_bpf_prog_type_str(type),
			 strerror(e));
		*why = buf;
		return probe_errno_definitive(e) ? 0 : -e;
	}
	if (btf_fn) {
		link = bpf_raw_tracepoint_open(NULL, fd);
		if (link < 0) {
			int e = errno;

			snprintf(buf, len, "attaching a %s program fails: %s",
				 libbpf_bpf_prog_type_str(type), strerror(e));
			*why = buf;
			return probe_errno_definitive(e) ? 0 : -e;
		}
	}
	*why = "supported";
	return 1;
}

/* 1 supported, 0 not (proven), or a negative errno that proves nothing. *why points to
 * a literal or to buf. */
static int probe(enum bpfman_feature f, const char **why, char *buf, size_t len)
{
	switch (f) {
	case BPFMAN_FEAT_TRACEPOINT:
		(void)tracefs_ensure();
		if (access("/sys/kernel/tracing/events", F_OK) < 0 &&
		    access("/sys/kernel/debug/tracing/events", F_OK) < 0) {
			*why = "no tracefs with events (/sys/kernel/tracing)";
			return 0;
		}
		return load_trivial(BPF_PROG_TYPE_TRACEPOINT, 0, NULL, 0, why, buf, len);
	case BPFMAN_FEAT_KPROBE:
		if (access("/sys/bus/event_source/devices/kprobe/type", F_OK) < 0) {
			*why = "kernel has no kprobe PMU (CONFIG_KPROBES off?)";
			return 0;
		}
		return load_trivial(BPF_PROG_TYPE_KPROBE, 0, NULL, 0, why, buf, len);
	case BPFMAN_FEAT_UPROBE:
		if (access("/sys/bus/event_source/devices/uprobe/type", F_OK) < 0) {
			*why = "kernel has no uprobe PMU (CONFIG_UPROBES off?)";
			return 0;
		}
		return load_trivial(BPF_PROG_TYPE_KPROBE, 0, NULL, 0, why, buf, len);
	case BPFMAN_FEAT_FENTRY:
		return load_trivial(BPF_PROG_TYPE_TRACING, BPF_TRACE_FENTRY, "bpf_fentry_test1",
				    BTF_KIND_FUNC, why, buf, len);
	case BPFMAN_FEAT_LSM: {
		_cleanup_fclose_ FILE *lsm = fopen("/sys/kernel/security/lsm", "re");
		char list[512] = "";

		if (lsm && fgets(list, sizeof(list), lsm) && !strstr(list, "bpf")) {
			*why = "the bpf LSM is not enabled (lsm= boot parameter)";
			return 0;
		}
		return load_trivial(BPF_PROG_TYPE_LSM, BPF_LSM_MAC, "bpf_lsm_file_open",
				    BTF_KIND_FUNC, why, buf, len);
	}
	case BPFMAN_FEAT_TCX: {
		uint64_t rev;
		int r = tcx_query(if_nametoindex("lo") ?: 1, BPFMAN_DIR_INGRESS, NULL, NULL, &rev);

		if (r < 0) {
			snprintf(buf, len, "tcx query fails: %s (TCX needs Linux 6.6+)",
				 strerror(-r));
			*why = buf;
			return probe_errno_definitive(r) ? 0 : r;
		}
		*why = "supported";
		return 1;
	}
	case BPFMAN_FEAT_FREPLACE:
		*why = buf;
		return dispatcher_freplace_supported(buf, len);
	default:
		*why = "unknown feature";
		return -EINVAL;
	}
}

int bpfman_feature_probe(enum bpfman_feature f, const char **ret_why)
{
	static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
	/* result + 1, so 0 means "no definitive answer yet"; written once, under the lock */
	static int cached[_BPFMAN_FEAT_MAX];
	static const char *cached_why[_BPFMAN_FEAT_MAX];
	static char why_buf[_BPFMAN_FEAT_MAX][WHY_LEN];
	/* the reason of a failed probe belongs to the thread that asked */
	static __thread char failed_why[WHY_LEN];
	char buf[WHY_LEN] = "";
	const char *why = "";
	int r;

	if ((unsigned)f >= _BPFMAN_FEAT_MAX)
		return -EINVAL;
	pthread_mutex_lock(&lock);
	if (cached[f]) {
		r = cached[f] - 1;
		why = cached_why[f];
		goto out;
	}
	r = probe(f, &why, buf, sizeof(buf));
	if (why == buf) {
		/* copied to storage that outlives this call */
		char *keep = r < 0 ? failed_why : why_buf[f];

		snprintf(keep, WHY_LEN, "%s", buf);
		why = keep;
	}
	if (r >= 0) {
		cached_why[f] = why;
		cached[f] = r + 1;
	}
out:
	pthread_mutex_unlock(&lock);
	if (ret_why)
		*ret_why = why;
	return r;
}

int bpfman_feature_from_string(const char *s)
{
	static const char *const names[_BPFMAN_FEAT_MAX] = {
		[BPFMAN_FEAT_TRACEPOINT] = "tracepoint", [BPFMAN_FEAT_KPROBE] = "kprobe",
		[BPFMAN_FEAT_UPROBE] = "uprobe",	 [BPFMAN_FEAT_FENTRY] = "fentry",
		[BPFMAN_FEAT_LSM] = "lsm",		 [BPFMAN_FEAT_TCX] = "tcx",
		[BPFMAN_FEAT_FREPLACE] = "freplace",
	};

	for (int i = 0; i < _BPFMAN_FEAT_MAX; i++)
		if (names[i] && strcmp(s, names[i]) == 0)
			return i;
	return -EINVAL;
}
