/* Image references: [REGISTRY[:PORT]/]REPOSITORY[:TAG][@sha256:HEX], normalised the way
 * docker and the reference's client do (no registry: docker.io, whose API host is
 * registry-1.docker.io; a one-part docker.io repository gets "library/"; no tag and no
 * digest: "latest"). */
#pragma once

#include <stdbool.h>

#include "image-error.h"

struct image_ref {
	char *registry; /* "quay.io", "127.0.0.1:5000", "docker.io" (as the user means it) */
	char *repository; /* "bpfman-bytecode/go-xdp-counter" */
	char *tag; /* NULL when only a digest was given */
	char *digest; /* "sha256:<64 hex>" or NULL */
};

/* -EINVAL with a message naming the part that is wrong (upper case in the repository, a bad
 * digest, a tag over 128 characters, ...). */
int image_ref_parse(const char *s, struct image_ref *ret, struct img_err *e);
void image_ref_clear(struct image_ref *r);
/* The canonical form "registry/repository[:tag][@digest]". Caller frees; NULL on ENOMEM. */
char *image_ref_format(const struct image_ref *r);
/* The host the API is reached at (docker.io -> registry-1.docker.io). */
const char *image_ref_api_host(const struct image_ref *r);
/* "sha256:" + 64 lower-case hex digits. */
bool image_digest_valid(const char *digest);
