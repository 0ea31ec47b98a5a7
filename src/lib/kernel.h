/* The kernel's view of BPF objects: program info, id walks, link info. */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "bpfman.h"

/* Fills ki from bpf_prog_info of fd (map_ids malloc'd). want_full_name: look the function
 * name up in the program's BTF when the kernel's 15 characters cut it short (callers that
 * know the name from their record skip that cost). */
int kernel_prog_info(int prog_fd, struct bpfman_kernel_info *ki, bool want_full_name);
/* Same for a program id: -ENOENT if the kernel has no such program. */
int kernel_prog_info_by_id(uint32_t id, struct bpfman_kernel_info *ki, bool want_full_name);
/* Every program id the kernel has, ascending. */
int kernel_prog_ids(uint32_t **ret_ids, size_t *ret_n);
int kernel_prog_id_of_fd(int prog_fd, uint32_t *ret_id);
int kernel_link_id_of_fd(int link_fd, uint32_t *ret_id);
