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

/* The byte order of the eBPF object at path (ELFDATA2LSB or ELFDATA2MSB, from <elf.h>).
 * -ENOEXEC with a message when it is not a 64-bit relocatable ELF file for machine BPF. */
int image_object_byte_order(const char *path, int *ret, struct img_err *e);
int image_host_byte_order(void);
const char *image_byte_order_name(int order); /* "little-endian", "big-endian" */
/* The byte order objects for GOARCH arch have (ELFDATA2LSB/ELFDATA2MSB), or -EINVAL for an
 * architecture we do not know. */
int image_arch_byte_order(const char *arch);
/* The reference's name of a kernel map type ("per_cpu_array", "ringbuf"...). */
const char *image_map_type_name(unsigned int type);
/* {"name":"type",...} on one line, the form of the io.ebpf.* labels. Caller frees; NULL on
 * ENOMEM. */
char *image_labels_json(const struct kv_list *l);

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
	size_t chunk_size; /* with chunked; 0: IMAGE_BUILD_CHUNK_DEFAULT */
};

#define IMAGE_BUILD_CHUNK_DEFAULT (4u << 20)

/* Every object must be an eBPF object in its platform's byte order. The labels of each
 * platform come from its own object; an object of the other byte order (which libbpf cannot
 * read here) gets the labels of the first object in the host's order, as the reference
 * labels every platform from one object.
 *
 * The layout is written into a temporary directory beside oci_layout_dir and renamed into
 * place only when complete (oci_layout_dir must not exist, or be an empty directory);
 * nothing is left behind on failure. With push, blobs then manifests (the platform
 * manifests by digest before the index) go to the registry first.
 * *ret_digest: the digest of the top manifest or index. */
int image_build(const struct image_build_opts *o, char **ret_digest, struct img_err *e);
