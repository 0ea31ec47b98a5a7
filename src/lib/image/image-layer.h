/* The one layer of a bytecode image: a tar+gzip (libarchive) holding one ELF object. */
#pragma once

#include <stdint.h>

#include "image-error.h"

/* The bound of the uncompressed object when the caller gives 0. */
#define IMAGE_LAYER_MAX_DEFAULT (64ull << 20)

/* Reads the layer from layer_fd and writes its single regular file to out_fd. Refused, with
 * -EINVAL and a message naming the entry: several files or none, entries with "..", absolute
 * paths, links, devices, FIFOs; over max_size uncompressed (-EFBIG: a gzip bomb); content that
 * is not an ELF relocatable eBPF object (-ENOEXEC) or whose byte order is not the host's.
 * max_size 0: IMAGE_LAYER_MAX_DEFAULT.
 * Directories are allowed (skipped). *ret_name: the file's name inside the layer (without a
 * leading "./"). Not a tar (gzip-compressed or plain), or truncated: -EBADMSG. On failure
 * out_fd is truncated back to the offset it had on entry: nothing of a refused layer stays. */
int image_layer_extract(int layer_fd, int out_fd, uint64_t max_size, char **ret_name,
			struct img_err *e);

/* Writes a reproducible layer (one entry `name`, mode 0644, uid/gid 0, mtime 0, gzip without
 * name or time) with the contents of object_fd to out_fd. Returns 0; *ret_diff_id is the
 * sha256 of the uncompressed tar (for the config's rootfs.diff_ids). */
int image_layer_create(int object_fd, const char *name, int out_fd, char **ret_diff_id,
		       struct img_err *e);

/* 0 when the ELF's byte order is the host's, -EINVAL (with a message saying which order it
 * has and which the host needs) otherwise; -ENOEXEC when it is not ELF at all. */
int image_object_check_endian(const void *head, size_t len, struct img_err *e);
