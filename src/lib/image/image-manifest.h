/* Manifests, indexes and image configs (jansson): OCI and Docker media types, choice of the
 * host's platform in an index, and the io.ebpf.* labels of the config. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "image-error.h"
#include "strv.h"

#define MT_OCI_INDEX "application/vnd.oci.image.index.v1+json"
#define MT_OCI_MANIFEST "application/vnd.oci.image.manifest.v1+json"
#define MT_OCI_CONFIG "application/vnd.oci.image.config.v1+json"
#define MT_OCI_LAYER_TGZ "application/vnd.oci.image.layer.v1.tar+gzip"
#define MT_DOCKER_LIST "application/vnd.docker.distribution.manifest.list.v2+json"
#define MT_DOCKER_MANIFEST "application/vnd.docker.distribution.manifest.v2+json"
#define MT_DOCKER_CONFIG "application/vnd.docker.container.image.v1+json"
#define MT_DOCKER_LAYER_TGZ "application/vnd.docker.image.rootfs.diff.tar.gzip"

/* Descriptor sizes above this are refused as nonsense (no bytecode image comes near it);
 * the pull bounds what it fetches much lower. */
#define IMAGE_DESCRIPTOR_MAX_SIZE (1ull << 40)

struct image_descriptor {
	char *media_type;
	char *digest;
	uint64_t size;
	char *os, *architecture, *variant; /* index entries only */
	char *artifact_type; /* referrers */
	struct kv_list annotations;
};

struct image_manifest {
	char *media_type;
	struct image_descriptor config;
	struct image_descriptor *layers;
	size_t n_layers;
	struct image_descriptor subject; /* digest NULL when absent */
	struct kv_list annotations;
};

struct image_index {
	char *media_type;
	struct image_descriptor *manifests;
	size_t n_manifests;
};

void image_descriptor_clear(struct image_descriptor *d);
void image_manifest_clear(struct image_manifest *m);
void image_index_clear(struct image_index *x);

/* Is this body (with the Content-Type it came with, may be NULL) an index? Content-Type
 * parameters (";charset=...") are ignored; an unknown or missing type is decided from the
 * body's mediaType, then from a "manifests" array. */
bool image_is_index(const char *media_type, const void *body, size_t len);
/* Strict: bad JSON, duplicate keys, schemaVersion other than 2, a mediaType that is not a
 * manifest's, missing or mistyped fields, a digest that is not sha256:<64 hex>, a size that is
 * negative, not an integer or over IMAGE_DESCRIPTOR_MAX_SIZE give -EINVAL with a message
 * naming the field ("layers[0].digest"). Unknown fields are ignored. A manifest without
 * mediaType gets MT_OCI_MANIFEST (the OCI spec makes the field optional). *ret is written
 * only on success. */
int image_manifest_parse(const void *body, size_t len, struct image_manifest *ret,
			 struct img_err *e);
/* The same for an index (OCI index or Docker manifest list; no mediaType: MT_OCI_INDEX).
 * Entries of unknown media types are kept (image_index_pick skips them). */
int image_index_parse(const void *body, size_t len, struct image_index *ret, struct img_err *e);
/* The host's platform: os "linux", architecture in GOARCH terms (amd64, arm64, arm, 386,
 * ppc64le, s390x, riscv64...), variant (v8 for arm64, v7/v6 for arm) or NULL. */
void image_host_platform(const char **os, const char **arch, const char **variant);
/* The best entry for the host (containerd's rules: exact variant first, arm64 without
 * variant = v8, ...). -ENOENT naming the platforms the index has when none fits. */
int image_index_pick(const struct image_index *x, const struct image_descriptor **ret,
		     struct img_err *e);
/* The same for a given platform (variant may be NULL): what image_index_pick does with the
 * host's, and what a build or a test for another architecture uses. Names are normalised
 * as containerd does (x86_64 -> amd64, aarch64 -> arm64, armhf -> arm/v7...). Only manifest
 * media types are picked; entries without a platform come last. */
int image_index_pick_platform(const struct image_index *x, const char *os, const char *arch,
			      const char *variant, const struct image_descriptor **ret,
			      struct img_err *e);

/* The eBPF labels of an image config: io.ebpf.programs {"fn":"type"} and io.ebpf.maps
 * {"map":"type"} (JSON objects in strings), or the older single-program labels
 * io.ebpf.program_name / io.ebpf.bpf_function_name / io.ebpf.program_type /
 * io.ebpf.filename, which are turned into the same form. */
struct image_labels {
	struct kv_list programs; /* function -> kernel type name ("xdp", "tc", "kprobe"...) */
	struct kv_list maps; /* map -> map type name */
	char *filename; /* io.ebpf.filename, or NULL */
};
void image_labels_clear(struct image_labels *l);
int image_config_labels(const void *config, size_t len, struct image_labels *ret,
			struct img_err *e);
