/* Checks on an object file that libbpf 1.1 (Debian 12's) does not make before using it. */
#pragma once

#include <stdint.h>

#include <bpf/libbpf.h>

struct btf;
struct bpfman;
struct bpf_object;
struct bpf_object_open_opts;

/* 0 when every type id a type refers to exists (and FUNC/DATASEC refer to the kinds they
 * must); else -EINVAL with *ret_id the first type that refers to a missing one. */
int btf_check_refs(const struct btf *btf, uint32_t *ret_id);

/* The ELF file at path: section headers inside the file, no data-less section where libbpf
 * reads data, at most one .BTF and .BTF.ext, and BTF whose references exist. 0, or a
 * negative errno with an error message naming the file and the problem. */
/* path: where to read the file (e.g. /proc/self/fd/N); name: the file as the user named it */
int object_check(struct bpfman *m, const char *path, const char *name);

/* Opens the object read from fd (checked by the caller) the way a load does: libbpf opens
 * an in-memory copy with static programs made global (elf-legacy.h); a legacy "maps"
 * section is refused with what to change. *ret_image is that copy: free it after closing
 * *ret. Messages go to m's error; libbpf's log is in the caller's capture (manager.h). */
int object_open(struct bpfman *m, int fd, const char *name, const struct bpf_object_open_opts *opts,
		void **ret_image, struct bpf_object **ret);

/* The program type the family of a section name (the part before the first '/') stands
 * for in older loaders ("classifier/stats": SCHED_CLS), or UNSPEC. libbpf 1.1 leaves such
 * programs without a type after the open; a load takes the request's type for them. */
enum bpf_prog_type object_section_family(const char *sec);
