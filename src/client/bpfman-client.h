/* libbpfman-client: talk to a bpfman server (bpfman-rpc) over gRPC with plain C structs, so
 * C programs never touch protobuf. The structs are libbpfman's own (bpfman.h): a program
 * loaded through the server looks exactly like one loaded through the library.
 *
 * Every call returns 0 or a negative errno mapped from the gRPC status by the table the
 * server uses the other way (src/common/status-errno.c):
 *   NOT_FOUND -ENOENT, INVALID_ARGUMENT -EINVAL, ALREADY_EXISTS -EEXIST,
 *   FAILED_PRECONDITION -EBUSY, PERMISSION_DENIED -EPERM, RESOURCE_EXHAUSTED -E2BIG,
 *   UNAVAILABLE -ECONNREFUSED, DEADLINE_EXCEEDED -ETIMEDOUT, UNIMPLEMENTED -EOPNOTSUPP,
 *   CANCELLED -ECANCELED, anything else -EIO.
 * bpfman_client_error() has the server's message for the last failed call. A client is
 * used by one thread at a time.
 *
 * The API's ProgramInfo has no program type, retprobe flag or fentry/fexit/lsm target, so
 * in the views returned here program->attach_fn is NULL, program->retprobe is false, and
 * program->type is derived from the kernel type: 6 xdp, 3 tc (tcx too), 5 tracepoint,
 * 2 kprobe (uprobes too), 26 fentry (fexit too), 29 lsm. */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "bpfman.h"

#define BPFMAN_DEFAULT_SOCKET "/run/bpfman-sock/bpfman.sock"

struct bpfman_client;

/* socket_path NULL: BPFMAN_DEFAULT_SOCKET. Fails with -ECONNREFUSED when nothing listens
 * there (checked by waiting up to timeout_ms for the channel to connect; 0 = 5000). */
int bpfman_client_connect(const char *socket_path, int timeout_ms, struct bpfman_client **ret);
void bpfman_client_close(struct bpfman_client *c);
const char *bpfman_client_error(const struct bpfman_client *c);

/* Load: opts->path is a file the *server* reads. One view per requested program, in order;
 * free with bpfman_program_views_free(). */
int bpfman_client_load(struct bpfman_client *c, const struct bpfman_load_opts *opts,
		       struct bpfman_program_view **ret_views, size_t *ret_n);
int bpfman_client_unload(struct bpfman_client *c, uint32_t prog_id);
int bpfman_client_attach(struct bpfman_client *c, uint32_t prog_id,
			 const struct bpfman_attach_opts *opts, uint32_t *ret_link_id);
int bpfman_client_detach(struct bpfman_client *c, uint32_t link_id);
/* filter->all false = managed programs only (ListRequest.bpfman_programs_only = true). */
int bpfman_client_list(struct bpfman_client *c, const struct bpfman_list_filter *filter,
		       struct bpfman_program_view **ret_views, size_t *ret_n);
/* ret->program is NULL for a program the manager did not load. Clear with
 * bpfman_program_view_clear(). */
int bpfman_client_get(struct bpfman_client *c, uint32_t prog_id, struct bpfman_program_view *ret);
