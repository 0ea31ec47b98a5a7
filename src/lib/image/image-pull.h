/* Pulling a bytecode image into the cache, the way a load uses it: resolve the reference,
 * verify its signature (per [signing]), pick the host's platform, fetch config and layer,
 * extract and verify the object, record the reference. Pull policies as the reference's:
 * Always (0) fetches, IfNotPresent (1) uses the cache when the reference is there, Never (2)
 * only uses the cache. Safe against two pulls at once (the cache lock). */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "image-cache.h"
#include "image-error.h"
#include "image-manifest.h"
#include "registry.h"

enum image_pull_policy {
	IMAGE_PULL_ALWAYS = 0,
	IMAGE_PULL_IF_NOT_PRESENT = 1,
	IMAGE_PULL_NEVER = 2,
};

struct image_pull_opts {
	const char *url; /* the reference as the user wrote it */
	enum image_pull_policy policy;
	struct registry_opts registry; /* credentials, CA, insecure list, limits, progress */
	const char *cache_dir;
	bool verify_enabled; /* [signing] */
	bool allow_unsigned;
	char *const *trusted_keys; /* public key files */
	uint64_t max_object; /* bound of the uncompressed layer; 0: 64 MiB */
	/* NULL-terminated function names a load wants, or NULL: each must be listed in the
	 * io.ebpf.programs label, checked before anything is downloaded into the cache
	 * (-EINVAL naming the missing function and listing what the image has) */
	const char *const *functions;
	/* when set, receives the cached object opened and verified (offset 0), read with
	 * the pull's own cache handle: what a load reads next */
	int *object_fd;
};

struct image_pulled {
	struct image_cache_entry entry;
	struct image_labels labels;
	bool from_cache; /* nothing was fetched */
	bool signed_ok; /* a trusted signature was verified */
	char *warning; /* e.g. "image is not signed" (accepted), or NULL */
};
void image_pulled_clear(struct image_pulled *p);

/* Nothing is left in the cache from a pull that fails. */
int image_pull(const struct image_pull_opts *o, struct image_pulled *ret, struct img_err *e);
/* The cached object of a pulled image, opened and verified (fd at 0). */
int image_pulled_open_object(const struct image_pull_opts *o, const struct image_pulled *p,
			     int *ret_fd, struct img_err *e);
