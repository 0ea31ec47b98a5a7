/* What the dispatcher test helpers (dispatch-probe, tc-dispatch-probe) share: finding our
 * BPF objects, loading one function of an object as an extension (freplace) of a
 * dispatcher slot, and linking it there. */
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>

#include "dispatch-common.h"

bool arg_verbose;
bool arg_quiet;

int dispatch_libbpf_print(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	if (arg_quiet || (level == LIBBPF_DEBUG && !arg_verbose))
		return 0;
	return vfprintf(stderr, fmt, ap);
}

/* BTF id of function `name` in the BTF the kernel holds for program prog_fd: what
 * BPF_LINK_CREATE wants as target_btf_id. Works for any dispatcher, also one we did not
 * load (libxdp's). */
int prog_func_btf_id(int prog_fd, const char *name, __u32 *ret)
{
	struct bpf_prog_info info;
	__u32 len = sizeof(info);
	struct btf *btf;
	int id;

	memset(&info, 0, sizeof(info));
	if (bpf_obj_get_info_by_fd(prog_fd, &info, &len) < 0)
		return -errno;
	if (!info.btf_id)
		return -ENOENT;
	btf = btf__load_from_kernel_by_id(info.btf_id);
	if (!btf)
		return -errno;
	id = btf__find_by_name_kind(btf, name, BTF_KIND_FUNC);
	btf__free(btf);
	if (id < 0)
		return id;
	*ret = (__u32)id;
	return 0;
}

/* A BPF object of ours: in $BPF_OBJ_DIR, or ../../bpf next to this binary (the build tree). */
int bpf_obj_path(const char *name, char *buf, size_t len)
{
	const char *dir = getenv("BPF_OBJ_DIR");
	char exe[PATH_MAX], *slash;
	ssize_t n;

	if (dir && *dir)
		return snprintf(buf, len, "%s/%s", dir, name) < (int)len ? 0 : -ENAMETOOLONG;
	n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (n < 0)
		return -errno;
	exe[n] = '\0';
	slash = strrchr(exe, '/');
	if (slash)
		*slash = '\0';
	return snprintf(buf, len, "%s/../../bpf/%s", exe, name) < (int)len ? 0 : -ENAMETOOLONG;
}

/* Sets the __u32 variable `name` in the object's .rodata, if it has one. */
int set_rodata_u32(struct bpf_object *obj, const char *name, __u32 value)
{
	struct bpf_map *map = bpf_object__find_map_by_name(obj, ".rodata");
	struct btf *btf = bpf_object__btf(obj);
	const struct btf_var_secinfo *vsi;
	const struct btf_type *sec;
	const void *init;
	size_t size;
	int id;

	if (!map || !btf)
		return 0;
	id = btf__find_by_name_kind(btf, ".rodata", BTF_KIND_DATASEC);
	if (id < 0)
		return 0;
	sec = btf__type_by_id(btf, id);
	vsi = btf_var_secinfos(sec);
	for (int i = 0; i < btf_vlen(sec); i++, vsi++) {
		const struct btf_type *var = btf__type_by_id(btf, vsi->type);
		unsigned char *copy;
		int r;

		if (strcmp(btf__name_by_offset(btf, var->name_off), name) != 0)
			continue;
		init = bpf_map__initial_value(map, &size);
		if (!init || vsi->size != sizeof(value) || vsi->offset + sizeof(value) > size)
			return -EINVAL;
		copy = malloc(size);
		if (!copy)
			return -ENOMEM;
		memcpy(copy, init, size);
		memcpy(copy + vsi->offset, &value, sizeof(value));
		r = bpf_map__set_initial_value(map, copy, size);
		free(copy);
		return r;
	}
	return 0;
}

/* Opens OBJ for one component: only FUNC is loaded, as BPF_PROG_TYPE_EXT aimed at
 * function `target` of the dispatcher. Maps that `share` (an already loaded object of the
 * same file) has under the same name are reused rather than created, and no map is
 * pinned by name. The program is loaded but not linked. */
int component_load(const char *path, const char *func, int disp_fd, const char *target,
			  __u32 slot, struct bpf_object *share, struct bpf_object **ret_obj,
			  struct bpf_program **ret_prog)
{
	struct bpf_program *prog = NULL, *p;
	struct bpf_object *obj;
	struct bpf_map *map;
	int r;

	obj = bpf_object__open_file(path, NULL);
	if (!obj) {
		r = -errno;
		if (!arg_quiet)
			fprintf(stderr, "%s: %s: %s\n", program_invocation_short_name, path, strerror(-r));
		return r;
	}
	bpf_object__for_each_program(p, obj) {
		if (strcmp(bpf_program__name(p), func) == 0)
			prog = p;
		else
			bpf_program__set_autoload(p, false);
	}
	if (!prog) {
		if (!arg_quiet)
			fprintf(stderr, "%s: %s has no program %s\n", program_invocation_short_name,
				path, func);
		r = -ENOENT;
		goto fail;
	}
	bpf_object__for_each_map(map, obj) {
		struct bpf_map *other;

		(void)bpf_map__set_pin_path(map, NULL);
		if (!share || bpf_map__is_internal(map))
			continue;
		other = bpf_object__find_map_by_name(share, bpf_map__name(map));
		if (other && (r = bpf_map__reuse_fd(map, bpf_map__fd(other))) < 0)
			goto fail;
	}
	r = set_rodata_u32(obj, "slot", slot);
	/* An EXT program takes over the context type and helpers of the function it replaces;
	 * the kernel wants no expected attach type for it. */
	if (!r)
		r = bpf_program__set_type(prog, BPF_PROG_TYPE_EXT);
	if (!r)
		r = bpf_program__set_expected_attach_type(prog, 0);
	if (!r)
		r = bpf_program__set_attach_target(prog, disp_fd, target);
	if (!r)
		r = bpf_object__load(obj);
	if (r) {
		if (!arg_quiet)
			fprintf(stderr, "%s: loading %s as EXT for %s: %s\n",
				program_invocation_short_name, func,
				target, strerror(-r));
		goto fail;
	}
	*ret_obj = obj;
	*ret_prog = prog;
	return 0;
fail:
	bpf_object__close(obj);
	return r;
}

/* Links EXT program prog_fd to function `target` of the dispatcher. The kernel ignores the
 * attach type for EXT programs; target_btf_id names the function. */
int component_link(int prog_fd, int disp_fd, const char *target)
{
	LIBBPF_OPTS(bpf_link_create_opts, opts);
	__u32 btf_id = 0;
	int r, fd;

	r = prog_func_btf_id(disp_fd, target, &btf_id);
	if (r < 0)
		return r;
	opts.target_btf_id = btf_id;
	fd = bpf_link_create(prog_fd, disp_fd, 0, &opts);
	return fd < 0 ? -errno : fd;
}
