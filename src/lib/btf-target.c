/* See btf-target.h for why this exists. */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <bpf/btf.h>

#include "btf-target.h"
#include "cleanup.h"

DEFINE_TRIVIAL_CLEANUP_FUNC(struct btf *, btf__free)

#define SYS_BTF "/sys/kernel/btf"

/* The BTF function name libbpf looks for: lsm hooks and iterators carry a prefix. */
static int func_name(const struct bpf_program *prog, const char *name, char **ret)
{
	const char *prefix = "";

	switch (bpf_program__expected_attach_type(prog)) {
	case BPF_LSM_MAC:
		prefix = "bpf_lsm_";
		break;
	case BPF_TRACE_ITER:
		prefix = "bpf_iter_";
		break;
	default:
		break;
	}
	return asprintf(ret, "%s%s", prefix, name) < 0 ? -ENOMEM : 0;
}

static bool has_func(const struct btf *btf, const char *fn)
{
	return btf__find_by_name_kind(btf, fn, BTF_KIND_FUNC) > 0;
}

/* Module BTFs are split on vmlinux's: each is read, searched and freed in turn. */
static int modules_have(struct btf *vmlinux, const char *fn)
{
	DIR *d = opendir(SYS_BTF);
	struct dirent *de;
	int found = 0;

	if (!d)
		return errno == ENOENT ? 0 : -errno;
	while (!found && (de = readdir(d))) {
		_cleanup_(btf__freep) struct btf *mod = NULL;
		_cleanup_free_ char *path = NULL;

		if (de->d_name[0] == '.' || strcmp(de->d_name, "vmlinux") == 0)
			continue;
		if (asprintf(&path, "%s/%s", SYS_BTF, de->d_name) < 0) {
			found = -ENOMEM;
			break;
		}
		mod = btf__parse_split(path, vmlinux);
		if (!mod)
			continue; /* a module going away while we read: not our target */
		found = has_func(mod, fn);
	}
	closedir(d);
	return found;
}

int btf_target_exists(const struct bpf_program *prog, const char *name)
{
	_cleanup_(btf__freep) struct btf *vmlinux = NULL;
	_cleanup_free_ char *fn = NULL;
	int r;

	r = func_name(prog, name, &fn);
	if (r < 0)
		return r;
	vmlinux = btf__load_vmlinux_btf();
	if (!vmlinux)
		return -errno;
	if (has_func(vmlinux, fn))
		return 1;
	return modules_have(vmlinux, fn);
}
