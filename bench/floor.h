/* The physical floor: the kernel work of load, attach, detach and unload done in-process
 * with libbpf, step for step what the manager does, without its database, lock or RPC:
 *   load    open the object, load only the requested program, pin it, pin its maps in a
 *           map directory of their own, close the object (pins hold everything)
 *   attach  open the program's pin, create the link (XDP: after checking the interface is
 *           free; tracepoint: perf event first), pin the link, close the fds
 *   detach  as the manager: detach the link (xdp), unlink its pin, close the last fd, wait
 *           until the kernel has freed the link's id (a detach is over when it returns)
 *   unload  unlink the program's and the maps' pins, remove the map directory
 * Errors are returned as negative errno with a message in err. */
#pragma once

#include <limits.h>
#include <stddef.h>
#include <stdint.h>

#define FLOOR_MAX_MAPS 8

struct floor_prog {
	uint32_t id;
	char pin[PATH_MAX];
	char map_dir[PATH_MAX];
	char map_pins[FLOOR_MAX_MAPS][PATH_MAX];
	size_t n_map_pins;
};

/* fs: a directory on a bpffs, with subdirectories progs/, maps/ and links/ made by the
 * caller. */
int floor_load(const char *fs, const char *obj_path, const char *func, struct floor_prog *ret,
	       char *err, size_t errlen);
/* xdp_flags: XDP_FLAGS_SKB_MODE or XDP_FLAGS_DRV_MODE. The link is pinned at link_pin. */
int floor_attach_xdp(const struct floor_prog *p, int ifindex, uint32_t xdp_flags,
		     const char *link_pin, char *err, size_t errlen);
/* tracepoint: "category/name" under the tracefs. */
int floor_attach_tracepoint(const struct floor_prog *p, const char *tracepoint,
			    const char *link_pin, char *err, size_t errlen);
int floor_detach(const char *link_pin, char *err, size_t errlen);
int floor_unload(struct floor_prog *p, char *err, size_t errlen);

/* 1 when no XDP program is attached to ifindex in any mode, 0 when one is, or -errno. A
 * detach by unpinning completes asynchronously in the kernel (the pin's inode is freed
 * after an RCU grace period), so the benchmarks wait for this between cycles. */
int floor_xdp_free(int ifindex);
