/* The object source of a load from an OCI image (load-image.c), for load.c. */
#pragma once

#include "bpfman.h"

/* Pulls o->image_url per o->pull_policy with the manager's configuration, checks that every
 * requested function is in the image's io.ebpf.programs label, and opens the cached object.
 * *ret_fd: the object (verified, offset 0); *ret_shown: the canonical reference, for
 * messages; *ret_name: the object's file name in the image (libbpf names the object after
 * it, as for a file); *ret_digest: the digest the reference resolved to, for the record.
 * On failure the message is in bpfman_error(m) and nothing is left in the cache. */
int load_image_source(struct bpfman *m, const struct bpfman_load_opts *o, int *ret_fd,
		      char **ret_shown, char **ret_name, char **ret_digest);

