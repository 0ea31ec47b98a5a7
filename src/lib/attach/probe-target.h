/* Perf-event based probes (tracepoint, kprobe/kretprobe, uprobe/uretprobe): everything
 * between a user's description of a probe point and a perf event fd that a BPF program can
 * be linked to (BPF_LINK_CREATE with BPF_PERF_EVENT).
 *
 * All functions return 0 or a negative errno and never log. */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

/* Resolves a uprobe target: an absolute path is checked to exist and returned as is; a bare
 * library name ("libc", "libc.so.6", "libssl") is looked up in the dynamic loader's cache
 * (/etc/ld.so.cache, glibc's "glibc-ld.so.cache1.1" format, entries of the host's ABI),
 * matching "<name>.so*" or the exact file name. -ENOENT when nothing matches, -EINVAL for a
 * relative path that is not a bare name. *ret_path is malloc'd. */
int uprobe_resolve_target(const char *target, char **ret_path);

/* File offset of function fn in ELF file path, as the kernel's uprobe wants it:
 * the symbol's value translated through the program header of the segment holding it
 * (st_value - p_vaddr + p_offset). Looks in .symtab then .dynsym; only STT_FUNC (and
 * STT_GNU_IFUNC) symbols with a non-zero value. -ENOENT if no such function, -ENOEXEC if not
 * an ELF file. */
int elf_function_offset(const char *path, const char *fn, uint64_t *ret_offset);

/* Tracepoint "category/name" -> perf event fd (PERF_TYPE_TRACEPOINT, id read from tracefs
 * at /sys/kernel/tracing/events or /sys/kernel/debug/tracing/events). -ENOENT when the
 * tracepoint does not exist, -EINVAL when the string is malformed (no '/', '..', empty). */
int perf_open_tracepoint(const char *tracepoint, int *ret_fd);

/* kprobe / kretprobe on fn+offset through the kprobe PMU
 * (/sys/bus/event_source/devices/kprobe/type; retprobe bit from its format/retprobe).
 * -ENOENT for an unknown function, -EOPNOTSUPP when the kernel has no kprobe PMU. */
int perf_open_kprobe(const char *fn, uint64_t offset, bool retprobe, int *ret_fd);

struct uprobe_spec {
	const char *target; /* library name or absolute path (uprobe_resolve_target) */
	const char *fn; /* function name, or NULL: then offset alone is the file offset */
	uint64_t offset; /* added to the function's offset when fn is set */
	bool retprobe;
	pid_t pid; /* > 0: only this process; 0: every process */
	pid_t container_pid; /* > 0: resolve the target and open the probe inside this
			      * process's mount namespace; 0: our own */
	bool target_opened; /* target_fd is the target, from uprobe_target_open() */
	int target_fd;
};

/* Resolves a uprobe target (in the mount namespace of container_pid when > 0, through a
 * forked child that setns()es into /proc/<container_pid>/ns/mnt and hands the fd back over
 * a socketpair: setns into a mount namespace is refused to multi-threaded processes such
 * as the gRPC server, and the caller's own namespace is never changed) and opens it
 * O_NONBLOCK: a FIFO or a device is refused at once instead of blocking. -EBADFD when it
 * is not a regular file, -ESRCH when container_pid does not exist, -ETIMEDOUT when the
 * child did not answer within 30 s. */
int uprobe_target_open(const char *target, pid_t container_pid, int *ret_fd);

/* uprobe / uretprobe through the uprobe PMU, on the target opened by uprobe_target_open()
 * (spec->target_fd when target_opened, else opened here). */
int perf_open_uprobe(const struct uprobe_spec *spec, int *ret_fd);
