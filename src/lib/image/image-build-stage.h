/* The staging directory of an image build: an OCI image layout written into a temporary
 * directory, which becomes the user's layout by one rename when it is complete, or is
 * removed whole when the build fails (nothing half-written is ever seen at the target). A
 * push reads its blobs from here too. */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "image-error.h"

struct stage_blob {
	char digest[72]; /* "sha256:<64 hex>" */
	uint64_t size;
};

struct stage {
	char *path; /* <parent>/.<name>.tmp-XXXXXX, from mkdtemp */
	int blobs_fd; /* blobs/sha256 */
};

/* Creates the directory beside target (target NULL: under $TMPDIR, for a push only). */
int stage_open(struct stage *s, const char *target, struct img_err *e);
/* Stores a blob from memory under its digest. */
int stage_put(struct stage *s, const void *data, size_t len, struct stage_blob *ret,
	      struct img_err *e);
/* Writes the layer holding the object (file name inside the layer: name) as a blob;
 * *ret_diff_id: the uncompressed tar's digest. */
int stage_put_layer(struct stage *s, int object_fd, const char *name, struct stage_blob *ret,
		    char **ret_diff_id, struct img_err *e);
/* A blob opened read-only at offset 0. */
int stage_open_blob(struct stage *s, const struct stage_blob *b, int *ret_fd,
		    struct img_err *e);
/* Adds oci-layout and index.json (one entry: top, with the ref name annotation) and renames
 * the directory to target. On success the stage no longer owns a directory. */
int stage_commit_layout(struct stage *s, const char *media_type, const struct stage_blob *top,
			const char *ref_name, const char *target, struct img_err *e);
/* Removes what is left of the directory and closes. Safe to call twice. */
void stage_close(struct stage *s);

/* 0 when target does not exist or is an empty directory; -EEXIST or -ENOTDIR with a
 * message otherwise (checked before a build starts, so a build fails early). */
int stage_check_target(const char *target, struct img_err *e);
