/* What objects built for older loaders carry that libbpf 1.x (Debian 12 has 1.1) refuses,
 * found in, and where it can be, rewritten in an in-memory copy of the object file.
 *
 * Static program functions: clang gives a `static` function the binding STB_LOCAL, and
 * libbpf >= 1.0 refuses the whole object when a program is local ("program '...' is static
 * and not supported"); its BTF FUNC says static too, and kernels up to at least 6.12 refuse
 * a freplace extension whose function is not global. So both are rewritten to global for
 * program functions. Functions in .text are subprograms, not programs: they stay static
 * (a global subprogram is verified on its own, with other rules).
 *
 * Legacy maps: a section named "maps" of struct bpf_map_def, which libbpf 1.x dropped (it
 * answers ENOTSUP). Nothing rewrites those: the object is refused with a clear reason. */
#pragma once

#include <stddef.h>

/* The section libbpf < 1.0 took struct bpf_map_def map definitions from. */
#define ELF_LEGACY_MAPS_SECTION "maps"

/* 1 when the ELF image has a section named "maps", 0 when not; -EINVAL when image is not
 * an ELF file libelf can read. */
int elf_has_legacy_maps(const void *image, size_t size);

/* Rewrites in image the binding of every STB_LOCAL function symbol in an executable
 * section other than .text (a program) to STB_GLOBAL, and the linkage of the static BTF
 * FUNC of the same name (if the object has BTF) to global; nothing else changes (sizes,
 * offsets, the order of the symbol table). Returns how many symbols were rewritten (0: the
 * object has no static program), -EINVAL when image is not a 64-bit ELF file with a
 * well-formed symbol table, or -ENOMEM (then image is unchanged). */
int elf_globalize_static_programs(void *image, size_t size);
