/* cosign_sign: writes a signature in cosign's classic format. The payload and the `.sig`
 * manifest are built in cosign-format.c and cosign-sigman.c; this file pushes them, in the
 * order a registry needs: the payload and config blobs, then the manifest under the tag
 * `sha256-<hex>.sig` (signatures already there are kept: one layer each). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "cleanup.h"
#include "cosign-internal.h"
#include "image-manifest.h"
#include "registry.h"

DEFINE_TRIVIAL_CLEANUP_FUNC(EVP_PKEY *, EVP_PKEY_free)

/* registry_put_blob reads from an fd: a memfd holds the small blob. */
static int put_small_blob(struct registry *r, const void *data, size_t len, char digest[72],
			  struct img_err *e)
{
	_cleanup_close_ int fd = -EBADF;
	size_t done = 0;

	cosign_sha256_digest(data, len, digest);
	fd = memfd_create("cosign-blob", MFD_CLOEXEC);
	if (fd < 0)
		return img_fail(e, -errno, "memfd_create: %s", strerror(errno));
	while (done < len) {
		ssize_t n = write(fd, (const char *)data + done, len - done);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return img_fail(e, n < 0 ? -errno : -EIO, "cannot buffer a blob");
		done += (size_t)n;
	}
	if (lseek(fd, 0, SEEK_SET) < 0)
		return -errno;
	return registry_put_blob(r, digest, fd, len, false, 0, e);
}

int cosign_sign(struct registry *r, const char *ref_name, const char *manifest_digest,
		const char *key_path, const char *password, struct img_err *e)
{
	_cleanup_(EVP_PKEY_freep) EVP_PKEY *key = NULL;
	_cleanup_free_ char *payload = NULL, *sig_b64 = NULL, *man = NULL, *config = NULL;
	_cleanup_free_ char *old_mt = NULL, *old_digest = NULL;
	struct img_buf old = {};
	char tag[80], payload_digest[72], config_digest[72];
	size_t payload_len, man_len, config_len;
	bool added;
	int q;

	if (!cosign_digest_valid(manifest_digest))
		return img_fail(e, -EINVAL, "cannot sign '%s': not a sha256 digest",
				manifest_digest ? manifest_digest : "");
	q = cosign_privkey_load(key_path, password, &key, e);
	if (q < 0)
		return q;
	q = cosign_simple_sign(key, ref_name, manifest_digest, &payload, &payload_len, &sig_b64);
	if (q == -EINVAL)
		return img_fail(e, q, "cannot sign for the reference '%s'", ref_name);
	if (q < 0)
		return img_fail(e, q, "signing with %s failed", key_path);

	snprintf(tag, sizeof(tag), "sha256-%s.sig", manifest_digest + 7);
	q = registry_get_manifest(r, tag, &old, &old_mt, &old_digest, e);
	if (q < 0 && q != -ENOENT)
		return q;
	if (q == -ENOENT)
		img_err_clear(e); /* no signature yet: not an error */
	cosign_sha256_digest(payload, payload_len, payload_digest);
	q = cosign_sig_manifest_add(q < 0 ? NULL : old.data, old.len, payload_digest, payload_len,
				    sig_b64, &man, &man_len, &config, &config_len, &added, e);
	img_buf_clear(&old);
	if (q < 0)
		return q;
	q = put_small_blob(r, payload, payload_len, payload_digest, e);
	if (q < 0)
		return q;
	q = put_small_blob(r, config, config_len, config_digest, e);
	if (q < 0)
		return q;
	return registry_put_manifest(r, tag, MT_OCI_MANIFEST, man, man_len, e);
}
