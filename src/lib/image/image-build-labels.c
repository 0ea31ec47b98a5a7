/* The io.ebpf.* labels of a bytecode image, computed from the object the way the
 * reference's `image generate-build-args` does: every program's function name and its
 * kernel type name (contract table 4.2: kprobe -> "probe", fentry -> "tracing"), every map
 * except the data sections (.rodata, .data, .bss, .kconfig) with its type name as the
 * reference spells it ("per_cpu_array", not libbpf's "percpu_array").
 *
 * The object is only opened (libbpf parses it), never loaded: no privilege is needed. */
#include <bpf/libbpf.h>
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bpfman.h"
#include "cleanup.h"
#include "image-build.h"
#include "libbpf-errno.h"
#include "manager.h"
#include "object-check.h"

/* The reference's MapType names, by kernel map type number. */
static const char *const map_type_names[] = {
	"unspec",		 "hash",		"array",
	"prog_array",		 "perf_event_array",	"per_cpu_hash",
	"per_cpu_array",	 "stack_trace",		"cgroup_array",
	"lru_hash",		 "lru_per_cpu_hash",	"lpm_trie",
	"array_of_maps",	 "hash_of_maps",	"devmap",
	"sockmap",		 "cpumap",		"xskmap",
	"sockhash",		 "cgroup_storage",	"reuseport_sockarray",
	"per_cpu_cgroup_storage", "queue",		"stack",
	"sk_storage",		 "devmap_hash",		"struct_ops",
	"ringbuf",		 "inode_storage",	"task_storage",
	"bloom_filter",		 "user_ringbuf",	"cgrp_storage",
	"arena",
};

const char *image_map_type_name(unsigned int type)
{
	if (type < ELEMENTSOF(map_type_names))
		return map_type_names[type];
	return "unspec";
}

int image_object_byte_order(const char *path, int *ret, struct img_err *e)
{
	_cleanup_close_ int fd = -EBADF;
	unsigned char h[EI_NIDENT + 4];
	unsigned type, machine;
	ssize_t n;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return img_fail(e, -errno, "cannot open %s: %s", path, strerror(errno));
	n = pread(fd, h, sizeof(h), 0);
	if (n < 0)
		return img_fail(e, -errno, "cannot read %s: %s", path, strerror(errno));
	if ((size_t)n < sizeof(h) || memcmp(h, ELFMAG, SELFMAG))
		return img_fail(e, -ENOEXEC, "%s is not an ELF file", path);
	if (h[EI_DATA] != ELFDATA2LSB && h[EI_DATA] != ELFDATA2MSB)
		return img_fail(e, -ENOEXEC, "%s: ELF byte order %u is neither little nor big endian",
				path, h[EI_DATA]);
	/* e_type and e_machine follow e_ident, in the file's byte order */
	if (h[EI_DATA] == ELFDATA2LSB) {
		type = h[EI_NIDENT] | h[EI_NIDENT + 1] << 8;
		machine = h[EI_NIDENT + 2] | h[EI_NIDENT + 3] << 8;
	} else {
		type = h[EI_NIDENT] << 8 | h[EI_NIDENT + 1];
		machine = h[EI_NIDENT + 2] << 8 | h[EI_NIDENT + 3];
	}
	if (h[EI_CLASS] != ELFCLASS64 || type != ET_REL || machine != EM_BPF)
		return img_fail(e, -ENOEXEC,
				"%s is not an eBPF object (a 64-bit relocatable ELF file for "
				"machine BPF; this one has class %u, type %u, machine %u)",
				path, h[EI_CLASS], type, machine);
	*ret = h[EI_DATA];
	return 0;
}

int image_host_byte_order(void)
{
	return __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__ ? ELFDATA2LSB : ELFDATA2MSB;
}

const char *image_byte_order_name(int order)
{
	return order == ELFDATA2LSB ? "little-endian" : "big-endian";
}

static bool is_data_section(const struct bpf_map *map)
{
	const char *name = bpf_map__name(map);

	/* the reference skips names containing these; libbpf knows its own internal maps */
	return bpf_map__is_internal(map) || strstr(name, ".rodata") || strstr(name, ".data") ||
	       strstr(name, ".bss") || strstr(name, ".kconfig");
}

static int collect(struct bpf_object *obj, const char *path, struct image_labels *l,
		   struct img_err *e)
{
	struct bpf_program *prog;
	struct bpf_map *map;

	bpf_object__for_each_program(prog, obj) {
		enum bpf_prog_type kt = bpf_program__type(prog);
		const char *type;

		/* the type older loaders give a legacy section name ("classifier/stats": tc),
		 * which libbpf 1.1 leaves unset */
		if (kt == BPF_PROG_TYPE_UNSPEC)
			kt = object_section_family(bpf_program__section_name(prog));
		type = bpfman_kernel_type_to_string(kt);

		if (kv_list_set(&l->programs, bpf_program__name(prog), type) < 0)
			return img_fail(e, -ENOMEM, "out of memory");
	}
	if (!l->programs.n)
		return img_fail(e, -ENOEXEC, "no programs found in %s", path);
	bpf_object__for_each_map(map, obj) {
		if (is_data_section(map))
			continue;
		if (kv_list_set(&l->maps, bpf_map__name(map),
				image_map_type_name(bpf_map__type(map))) < 0)
			return img_fail(e, -ENOMEM, "out of memory");
	}
	return 0;
}

int image_labels_from_object(const char *path, struct image_labels *ret, struct img_err *e)
{
	struct image_labels l = { 0 };
	struct bpf_object *obj = NULL;
	void *image = NULL;
	int order, r;

	r = image_object_byte_order(path, &order, e);
	if (r < 0)
		return r;
	if (order != image_host_byte_order())
		/* libbpf 1.1 opens only objects of the host's byte order */
		return img_fail(e, -EPROTO,
				"%s is a %s object: its programs cannot be read on this %s host",
				path, image_byte_order_name(order),
				image_byte_order_name(image_host_byte_order()));

	/* the load path's checks and open: libbpf 1.1 crashes on some malformed objects, and
	 * refuses static programs the load makes global (they report through a manager's
	 * error buffer, so a scratch one collects it) */
	{
		struct bpfman *scratch = calloc(1, sizeof(*scratch));
		int fd;

		if (!scratch)
			return img_fail(e, -ENOMEM, "out of memory");
		fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
		if (fd < 0)
			r = img_fail(e, -errno, "cannot open %s: %s", path, strerror(errno));
		else {
			r = object_check(scratch, path, path);
			if (r == 0) {
				libbpf_log_capture_begin();
				r = object_open(scratch, fd, path, NULL, &image, &obj);
				libbpf_log_capture_end();
			}
			if (r < 0)
				img_fail(e, r, "%s", scratch->error);
			close(fd);
		}
		free(scratch);
		if (r < 0)
			return r;
	}

	r = collect(obj, path, &l, e);
	bpf_object__close(obj);
	free(image);
	if (r < 0) {
		kv_list_clear(&l.programs);
		kv_list_clear(&l.maps);
		return r;
	}
	*ret = l;
	return 0;
}
