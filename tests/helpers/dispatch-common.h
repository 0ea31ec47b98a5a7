/* Shared by the dispatcher test helpers; see dispatch-common.c. */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include <bpf/libbpf.h>

extern bool arg_verbose; /* libbpf's debug output too */
extern bool arg_quiet;	 /* no libbpf output and no messages of ours */

int dispatch_libbpf_print(enum libbpf_print_level level, const char *fmt, va_list ap);
int bpf_obj_path(const char *name, char *buf, size_t len);
/* Sets the __u32 variable `name` in the object's .rodata, if it has one. */
int set_rodata_u32(struct bpf_object *obj, const char *name, __u32 value);
int prog_func_btf_id(int prog_fd, const char *name, __u32 *ret);
/* Loads FUNC of the object at path as an EXT program aimed at `target` of the dispatcher,
 * its .rodata `slot` set to slot, sharing the maps of `share` (may be NULL). */
int component_load(const char *path, const char *func, int disp_fd, const char *target,
		   __u32 slot, struct bpf_object *share, struct bpf_object **ret_obj,
		   struct bpf_program **ret_prog);
/* Links the EXT program to function `target` of the dispatcher; returns the link fd. */
int component_link(int prog_fd, int disp_fd, const char *target);
