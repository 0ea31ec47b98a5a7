/* Building bytecode images without a container engine: the labels from the object (what
 * `bpfman image generate-build-args` prints), the image (layer, config, manifest; an index
 * for several platforms) as an OCI image layout directory or pushed to a registry. */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "image-error.h"
#include "image-manifest.h"
#include "registry.h"

/* Reads the object at path with libbpf (open only, no load): every program's function name
 * and its kernel type name, every map (data sections excluded) and its type name. */
int image_labels_from_object(const char *path, struct image_labels *ret, struct img_err *e);

struct image_build_input {
	const char *object; /* path of the ELF object */
	const char *os; /* "linux" */
	const char *architecture; /* GOARCH name; NULL: the host's (single-object builds) */
	const char *variant; /* or NULL */
};

struct image_build_opts {
	const struct image_build_input *inputs;
	size_t n_inputs; /* 1: a manifest; more: an index with one manifest per platform */
	const char *oci_layout_dir; /* write an OCI image layout here (created), or NULL */
	const char *tag; /* tag in the layout's index.json / pushed tag */
	struct registry *push; /* push to this repository, or NULL */
	bool chunked; /* push blobs in chunks (PATCH) instead of one PUT */
};

/* *ret_digest: the digest of the top manifest or index. */
int image_build(const struct image_build_opts *o, char **ret_digest, struct img_err *e);
