/* Finding a BTF attach target (fentry/fexit function, lsm hook) before libbpf is asked to.
 *
 * Why: libbpf 1.1's bpf_program__set_attach_target() loads the kernel's BTF into the
 * object (about 6 MB) and frees it only in bpf_object__load(), never in
 * bpf_object__close(), so every load that stopped between the two (a target that does
 * not exist, most often) leaked it for the life of the process. The target is looked up
 * here in a BTF this function owns and frees, and load.c names a target to libbpf only
 * once it is known to exist, as the last step before bpf_object__load(). */
#pragma once

#include <bpf/libbpf.h>

/* 1 if the kernel's BTF (vmlinux, then modules, as libbpf searches) has the function that
 * prog would attach to under name; 0 if not; negative errno if the BTF cannot be read. */
int btf_target_exists(const struct bpf_program *prog, const char *name);
