/* bpf_prog_info -> struct bpfman_kernel_info, and walks over kernel ids. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <time.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/btf.h>

#include "cleanup.h"
#include "kernel.h"

/* bytes_memlock is not part of bpf_prog_info; the kernel reports it in fdinfo. One read
 * into a stack buffer: this runs once per program of a listing. */
static uint32_t fdinfo_memlock(int fd)
{
	char path[64], buf[1024];
	_cleanup_close_ int f = -EBADF;
	const char *p;
	ssize_t n;

	snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", fd);
	f = open(path, O_RDONLY | O_CLOEXEC);
	if (f < 0)
		return 0;
	n = read(f, buf, sizeof(buf) - 1);
	if (n <= 0)
		return 0;
	buf[n] = '\0';
	p = strstr(buf, "memlock:");
	return p ? (uint32_t)strtoull(p + 8, NULL, 10) : 0;
}

/* load_time is nanoseconds since boot (CLOCK_BOOTTIME); show it as local wall time. */
static void format_load_time(uint64_t load_time_ns, char *buf, size_t len)
{
	struct timespec real, boot;
	int64_t wall_ns;
	struct tm tm;
	time_t t;

	clock_gettime(CLOCK_REALTIME, &real);
	clock_gettime(CLOCK_BOOTTIME, &boot);
	wall_ns = ((int64_t)real.tv_sec - boot.tv_sec) * 1000000000LL + real.tv_nsec -
		  boot.tv_nsec + (int64_t)load_time_ns;
	t = (time_t)(wall_ns / 1000000000LL);
	localtime_r(&t, &tm);
	strftime(buf, len, "%Y-%m-%dT%H:%M:%S%z", &tm);
}

/* The kernel keeps 15 characters of a program's name; its BTF has the whole function name
 * (bpftool shows that one too). Best effort: the truncated name stays on any failure. */
static void full_name(int prog_fd, const struct bpf_prog_info *info, char *buf, size_t len)
{
	struct bpf_func_info finfo;
	struct bpf_prog_info i2;
	__u32 ilen = sizeof(i2);
	struct btf *btf;
	const struct btf_type *t;

	if (!info->btf_id || !info->nr_func_info || strlen(info->name) < BPF_OBJ_NAME_LEN - 1)
		return;
	memset(&i2, 0, sizeof(i2));
	i2.nr_func_info = 1;
	i2.func_info_rec_size = sizeof(finfo);
	i2.func_info = (uintptr_t)&finfo;
	if (bpf_obj_get_info_by_fd(prog_fd, &i2, &ilen) < 0)
		return;
	btf = btf__load_from_kernel_by_id(info->btf_id);
	if (!btf)
		return;
	t = btf__type_by_id(btf, finfo.type_id);
	if (t && btf_is_func(t) && !strncmp(btf__name_by_offset(btf, t->name_off), info->name,
					      strlen(info->name)))
		snprintf(buf, len, "%s", btf__name_by_offset(btf, t->name_off));
	btf__free(btf);
}

/* Programs rarely use more maps than this: one info call then fills everything. */
#define MAP_IDS_GUESS 16

int kernel_prog_info(int prog_fd, struct bpfman_kernel_info *ki, bool want_full_name)
{
	struct bpf_prog_info info;
	__u32 len = sizeof(info);
	_cleanup_free_ uint32_t *map_ids = calloc(MAP_IDS_GUESS, sizeof(uint32_t));
	uint32_t n_maps;

	if (!map_ids)
		return -ENOMEM;
	memset(&info, 0, sizeof(info));
	info.nr_map_ids = MAP_IDS_GUESS;
	info.map_ids = (uintptr_t)map_ids;
	if (bpf_obj_get_info_by_fd(prog_fd, &info, &len) < 0)
		return -errno;
	n_maps = info.nr_map_ids;
	if (n_maps > MAP_IDS_GUESS) {
		/* more maps than guessed: ask again with room for all of them */
		uint32_t *t = reallocarray(map_ids, n_maps, sizeof(*map_ids));

		if (!t)
			return -ENOMEM;
		map_ids = t;
		memset(&info, 0, sizeof(info));
		info.nr_map_ids = n_maps;
		info.map_ids = (uintptr_t)map_ids;
		len = sizeof(info);
		if (bpf_obj_get_info_by_fd(prog_fd, &info, &len) < 0)
			return -errno;
		if (info.nr_map_ids < n_maps)
			n_maps = info.nr_map_ids;
	}

	memset(ki, 0, sizeof(*ki));
	ki->id = info.id;
	snprintf(ki->name, sizeof(ki->name), "%s", info.name);
	if (want_full_name)
		full_name(prog_fd, &info, ki->name, sizeof(ki->name));
	ki->type = info.type;
	format_load_time(info.load_time, ki->loaded_at, sizeof(ki->loaded_at));
	for (int i = 0; i < 8; i++)
		snprintf(ki->tag + 2 * i, 3, "%02x", info.tag[i]);
	ki->gpl_compatible = info.gpl_compatible;
	ki->map_ids = TAKE_PTR(map_ids);
	ki->n_map_ids = n_maps;
	ki->btf_id = info.btf_id;
	ki->run_cnt = info.run_cnt;
	ki->run_time_ns = info.run_time_ns;
	ki->bytes_xlated = info.xlated_prog_len;
	ki->bytes_jited = info.jited_prog_len;
	ki->jited = info.jited_prog_len > 0;
	ki->bytes_memlock = fdinfo_memlock(prog_fd);
	ki->verified_insns = info.verified_insns;
	return 0;
}

int kernel_prog_info_by_id(uint32_t id, struct bpfman_kernel_info *ki, bool want_full_name)
{
	_cleanup_close_ int fd = bpf_prog_get_fd_by_id(id);

	if (fd < 0)
		return -errno;
	return kernel_prog_info(fd, ki, want_full_name);
}

int kernel_prog_ids(uint32_t **ret_ids, size_t *ret_n)
{
	_cleanup_free_ uint32_t *ids = NULL;
	size_t n = 0, cap = 0;
	__u32 id = 0;

	while (bpf_prog_get_next_id(id, &id) == 0) {
		if (n == cap) {
			size_t ncap = cap ? cap * 2 : 64;
			uint32_t *t = reallocarray(ids, ncap, sizeof(*ids));

			if (!t)
				return -ENOMEM;
			ids = t;
			cap = ncap;
		}
		ids[n++] = id;
	}
	if (errno != ENOENT)
		return -errno;
	*ret_ids = TAKE_PTR(ids);
	*ret_n = n;
	return 0;
}

int kernel_prog_id_of_fd(int prog_fd, uint32_t *ret_id)
{
	struct bpf_prog_info info;
	__u32 len = sizeof(info);

	memset(&info, 0, sizeof(info));
	if (bpf_obj_get_info_by_fd(prog_fd, &info, &len) < 0)
		return -errno;
	*ret_id = info.id;
	return 0;
}

int kernel_link_id_of_fd(int link_fd, uint32_t *ret_id)
{
	struct bpf_link_info info;
	__u32 len = sizeof(info);

	memset(&info, 0, sizeof(info));
	if (bpf_obj_get_info_by_fd(link_fd, &info, &len) < 0)
		return -errno;
	*ret_id = info.id;
	return 0;
}
