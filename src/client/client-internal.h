/* Internal interface of libbpfman-client: the arena request messages are built in, and the
 * conversions between libbpfman's structs and the bpfman.v1 messages (client-convert.c).
 * Kept apart from the gRPC code so the unit test can run them without a server. */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "bpfman.h"
#include "bpfman.pb-c.h"

/* Deadline of one call. Loads can be slow (verifier, BTF, big objects). */
#define BPFMAN_CLIENT_CALL_TIMEOUT_S 30

/* A request message is a tree of many small allocations that only lives until it is packed:
 * every piece comes from one arena and goes away with it. Strings and byte arrays are
 * borrowed from the caller's structs, never copied. */
struct pb_block;
struct pb_arena {
	struct pb_block *head;
};

/* Zeroed memory, or NULL when out of memory. */
void *pb_arena_alloc(struct pb_arena *a, size_t size);
void pb_arena_free(struct pb_arena *a);

/* Requests. Return 0, -ENOMEM, or -EINVAL with a static reason in *ret_why. */
int client_build_load_request(struct pb_arena *a, const struct bpfman_load_opts *opts,
			      Bpfman__V1__LoadRequest *req, const char **ret_why);
int client_build_attach_info(struct pb_arena *a, const struct bpfman_attach_opts *opts,
			     Bpfman__V1__AttachInfo *info, const char **ret_why);
int client_build_list_request(struct pb_arena *a, const struct bpfman_list_filter *filter,
			      Bpfman__V1__ListRequest *req);

/* Responses. The results own copies of everything; 0, -ENOMEM or -EPROTO (malformed). */
enum bpfman_prog_type client_prog_type_from_kernel(uint32_t kernel_type);
int client_kernel_info_from_pb(const Bpfman__V1__KernelProgramInfo *k,
			       struct bpfman_kernel_info *ret);
int client_program_from_pb(const Bpfman__V1__ProgramInfo *pi,
			   const struct bpfman_kernel_info *kernel, struct bpfman_program **ret);
/* pi NULL: a program the manager did not load (view->program stays NULL). */
int client_view_from_pb(const Bpfman__V1__ProgramInfo *pi,
			const Bpfman__V1__KernelProgramInfo *k, struct bpfman_program_view *ret);
