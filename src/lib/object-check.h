/* Checks on an object file that libbpf 1.1 (Debian 12's) does not make before using it. */
#pragma once

#include <stdint.h>

struct btf;
struct bpfman;

/* 0 when every type id a type refers to exists (and FUNC/DATASEC refer to the kinds they
 * must); else -EINVAL with *ret_id the first type that refers to a missing one. */
int btf_check_refs(const struct btf *btf, uint32_t *ret_id);

/* The ELF file at path: section headers inside the file, no data-less section where libbpf
 * reads data, at most one .BTF and .BTF.ext, and BTF whose references exist. 0, or a
 * negative errno with an error message naming the file and the problem. */
/* path: where to read the file (e.g. /proc/self/fd/N); name: the file as the user named it */
int object_check(struct bpfman *m, const char *path, const char *name);
