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

/* Is this body (with the Content-Type it came with, may be NULL) an index? */
bool image_is_index(const char *media_type, const void *body, size_t len);
int image_manifest_parse(const void *body, size_t len, struct image_manifest *ret,
			 struct img_err *e);
int image_index_parse(const void *body, size_t len, struct image_index *ret, struct img_err *e);
/* The host's platform: os "linux", architecture in GOARCH terms (amd64, arm64, arm, 386,
 * ppc64le, s390x, riscv64...), variant (v8 for arm64, v7/v6 for arm) or NULL. */
void image_host_platform(const char **os, const char **arch, const char **variant);
/* The best entry for the host (containerd's rules: exact variant first, arm64 without
 * variant = v8, ...). -ENOENT naming the platforms the index has when none fits. */
int image_index_pick(const struct image_index *x, const struct image_descriptor **ret,
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
