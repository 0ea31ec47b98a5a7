/* The image cache: content-addressed, shared by the CLI and the server, under
 * <root>/var/cache/bpfman (it survives reboots, unlike the state on /run).
 *
 *   blobs/sha256/<hex>      manifests, configs, layers and extracted objects, by digest
 *   refs/<sha256 of ref>    one JSON record per pulled reference (see image_cache_entry)
 *   tmp/                    partial downloads; renamed into blobs/ only once verified
 *   .lock                   flock: writers of the same reference wait for each other
 *
 * A blob is verified (sha256 and size) when it is written and again every time it is
 * opened, and written atomically (temp file, fsync, rename): a reader never sees a partial
 * or corrupted blob, and a corrupted one is dropped and reported as absent. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "image-error.h"
#include "registry.h"

struct image_cache;

int image_cache_open(const char *dir, struct image_cache **ret, struct img_err *e);
struct image_cache *image_cache_free(struct image_cache *c);

/* Serialises writers (pulls, rm) of the whole cache. Held until unlock/free; nests (a
 * holder may call image_cache_remove, which takes it too). A writer holds it from its first
 * blob until image_cache_ref_set has recorded them: image_cache_remove deletes, under this
 * lock, every blob no reference names. */
int image_cache_lock(struct image_cache *c, struct img_err *e);
void image_cache_unlock(struct image_cache *c);

/* Writing a blob: begin gives an fd to a temp file in tmp/; the caller writes; commit checks
 * digest and size and renames it into place (an existing identical blob is kept); abort
 * removes the temp file. Exactly one of commit/abort per begin.
 *
 * begin, the writing and seal need no lock (the temp file is the writer's own, flocked for
 * its life): a pull downloads and verifies without the cache lock and takes it only for the
 * commits and its ref. */
struct image_cache_writer {
	int fd;
	char *tmp_path;
	/* set by image_cache_blob_seal: the digest and size already verified */
	char sealed_digest[72];
	uint64_t sealed_size;
};
int image_cache_blob_begin(struct image_cache *c, struct image_cache_writer *w,
			   struct img_err *e);
int image_cache_blob_commit(struct image_cache *c, struct image_cache_writer *w,
			    const char *digest, uint64_t size, struct img_err *e);
void image_cache_blob_abort(struct image_cache *c, struct image_cache_writer *w);
/* The checks of commit (fsync, digest, size) without the rename, so that they can run before
 * the cache lock is taken: a later commit with the same digest and size only renames. On
 * failure the writer is aborted, as by a failed commit. */
int image_cache_blob_seal(struct image_cache *c, struct image_cache_writer *w,
			  const char *digest, uint64_t size, struct img_err *e);
/* Whole small blob from memory (manifest, config). */
int image_cache_put(struct image_cache *c, const char *digest, const void *data, size_t len,
		    struct img_err *e);

/* Opens a blob read-only after verifying it (fd at offset 0). -ENOENT when absent or when it
 * failed verification (it is then removed). */
int image_cache_blob_open(struct image_cache *c, const char *digest, int *ret_fd,
			  uint64_t *ret_size, struct img_err *e);
/* A verified small blob in memory, at most max bytes. */
int image_cache_get(struct image_cache *c, const char *digest, size_t max, struct img_buf *ret,
		    struct img_err *e);
/* Present and verified (a corrupted copy is removed and reported absent). */
bool image_cache_has(struct image_cache *c, const char *digest);
/* A file is there under the digest's name (not read: cheap; a commit of the same digest
 * replaces a corrupt copy anyway). */
bool image_cache_blob_present(struct image_cache *c, const char *digest);

/* What a pulled reference resolved to. */
struct image_cache_entry {
	char *ref; /* canonical reference (image_ref_format) */
	char *manifest_digest; /* the digest the reference resolved to (index or manifest) */
	char *image_digest; /* the platform manifest used (== manifest_digest if no index) */
	char *config_digest;
	char *layer_digest;
	char *object_digest; /* the extracted ELF object */
	char *object_name; /* its file name inside the layer */
	uint64_t object_size;
	time_t pulled_at;
};
void image_cache_entry_clear(struct image_cache_entry *en);
void image_cache_entries_free(struct image_cache_entry *v, size_t n);

/* Records (replaces) the entry for en->ref; the blobs it names must be in the cache.
 * manifest_digest and object_digest are required, the other digests may be NULL (then no
 * blob is kept for them). */
int image_cache_ref_set(struct image_cache *c, const struct image_cache_entry *en,
			struct img_err *e);
/* -ENOENT when the reference was never pulled (or a blob it names is gone). */
int image_cache_ref_get(struct image_cache *c, const char *ref, struct image_cache_entry *ret,
			struct img_err *e);
int image_cache_list(struct image_cache *c, struct image_cache_entry **ret, size_t *ret_n,
		     struct img_err *e);
/* Removes the reference (by canonical reference, or by a manifest digest: every reference
 * resolving to it) and every blob no remaining reference needs. -ENOENT if none matched. */
int image_cache_remove(struct image_cache *c, const char *ref_or_digest, struct img_err *e);
