#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <jansson.h>
#include <libgen.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cleanup.h"
#include "image-build-stage.h"
#include "image-layer.h"

#define PARTIAL ".partial" /* the blob being written, inside blobs/sha256 */

static void md_ctx_freep(EVP_MD_CTX **c)
{
	EVP_MD_CTX_free(*c);
}

static void hex_digest(const unsigned char *md, char out[72])
{
	strcpy(out, "sha256:");
	for (unsigned i = 0; i < 32; i++)
		sprintf(out + 7 + 2 * i, "%02x", md[i]);
}

static int write_all(int fd, const void *data, size_t len)
{
	const char *p = data;

	while (len) {
		ssize_t n = write(fd, p, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/* sha256 and size of what fd holds, read from offset 0 */
static int hash_fd(int fd, struct stage_blob *b, struct img_err *e)
{
	_cleanup_(md_ctx_freep) EVP_MD_CTX *sha = EVP_MD_CTX_new();
	unsigned char md[EVP_MAX_MD_SIZE], buf[64 * 1024];
	unsigned int mdlen;
	uint64_t size = 0;
	off_t off = 0;

	if (!sha || EVP_DigestInit_ex(sha, EVP_sha256(), NULL) != 1)
		return img_fail(e, -ENOMEM, "cannot start sha256");
	for (;;) {
		ssize_t n = pread(fd, buf, sizeof(buf), off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return img_fail(e, -errno, "cannot read the layer back: %s", strerror(errno));
		if (n == 0)
			break;
		if (EVP_DigestUpdate(sha, buf, (size_t)n) != 1)
			return img_fail(e, -EIO, "sha256 failed");
		off += n;
		size += (uint64_t)n;
	}
	if (EVP_DigestFinal_ex(sha, md, &mdlen) != 1 || mdlen != 32)
		return img_fail(e, -EIO, "sha256 failed");
	hex_digest(md, b->digest);
	b->size = size;
	return 0;
}

/* Makes PARTIAL (fsynced, whose digest is b) the blob named by its digest. */
static int name_partial(struct stage *s, const struct stage_blob *b, struct img_err *e)
{
	if (renameat(s->blobs_fd, PARTIAL, s->blobs_fd, b->digest + 7) < 0)
		return img_fail(e, -errno, "cannot store blob %s in %s: %s", b->digest, s->path,
				strerror(errno));
	return 0;
}

static int open_partial(struct stage *s, struct img_err *e)
{
	int fd = openat(s->blobs_fd, PARTIAL, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);

	if (fd < 0)
		return img_fail(e, -errno, "cannot create a blob in %s: %s", s->path,
				strerror(errno));
	return fd;
}

int stage_put(struct stage *s, const void *data, size_t len, struct stage_blob *ret,
	      struct img_err *e)
{
	unsigned char md[32];
	_cleanup_close_ int fd = -EBADF;
	int r;

	if (!EVP_Digest(data, len, md, NULL, EVP_sha256(), NULL))
		return img_fail(e, -EIO, "sha256 failed");
	hex_digest(md, ret->digest);
	ret->size = len;
	fd = open_partial(s, e);
	if (fd < 0)
		return fd;
	r = write_all(fd, data, len);
	if (r == 0 && fsync(fd) < 0)
		r = -errno;
	if (r < 0)
		return img_fail(e, r, "cannot write a blob in %s: %s", s->path, strerror(-r));
	return name_partial(s, ret, e);
}

int stage_put_layer(struct stage *s, int object_fd, const char *name, struct stage_blob *ret,
		    char **ret_diff_id, struct img_err *e)
{
	_cleanup_close_ int fd = -EBADF;
	_cleanup_free_ char *diff_id = NULL;
	int r;

	fd = open_partial(s, e);
	if (fd < 0)
		return fd;
	r = image_layer_create(object_fd, name, fd, &diff_id, e);
	if (r < 0)
		return r;
	if (fsync(fd) < 0)
		return img_fail(e, -errno, "cannot write the layer in %s: %s", s->path,
				strerror(errno));
	r = hash_fd(fd, ret, e);
	if (r < 0)
		return r;
	r = name_partial(s, ret, e);
	if (r < 0)
		return r;
	*ret_diff_id = TAKE_PTR(diff_id);
	return 0;
}

int stage_open_blob(struct stage *s, const struct stage_blob *b, int *ret_fd,
		    struct img_err *e)
{
	int fd = openat(s->blobs_fd, b->digest + 7, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return img_fail(e, -errno, "cannot open blob %s: %s", b->digest, strerror(errno));
	*ret_fd = fd;
	return 0;
}

int stage_check_target(const char *target, struct img_err *e)
{
	struct dirent *de;
	struct stat st;
	DIR *d;

	if (lstat(target, &st) < 0) {
		if (errno == ENOENT)
			return 0;
		return img_fail(e, -errno, "cannot use %s: %s", target, strerror(errno));
	}
	if (!S_ISDIR(st.st_mode))
		return img_fail(e, -ENOTDIR, "%s exists and is not a directory", target);
	d = opendir(target);
	if (!d)
		return img_fail(e, -errno, "cannot read %s: %s", target, strerror(errno));
	while ((de = readdir(d)))
		if (strcmp(de->d_name, ".") && strcmp(de->d_name, "..")) {
			closedir(d);
			return img_fail(e, -EEXIST,
					"%s exists and is not empty: give a new directory for the "
					"image layout",
					target);
		}
	closedir(d);
	return 0;
}

/* dirname and basename of target, without trailing slashes */
static int split_target(const char *target, char **ret_dir, char **ret_base)
{
	_cleanup_free_ char *t = strdup(target), *t2 = NULL;
	size_t len;

	if (!t)
		return -ENOMEM;
	len = strlen(t);
	while (len > 1 && t[len - 1] == '/')
		t[--len] = '\0';
	t2 = strdup(t);
	if (!t2)
		return -ENOMEM;
	*ret_dir = strdup(dirname(t));
	*ret_base = strdup(basename(t2));
	if (!*ret_dir || !*ret_base) {
		free(*ret_dir);
		free(*ret_base);
		return -ENOMEM;
	}
	return 0;
}

int stage_open(struct stage *s, const char *target, struct img_err *e)
{
	_cleanup_free_ char *dir = NULL, *base = NULL;
	_cleanup_close_ int fd = -EBADF;
	char *path = NULL;
	int r;

	s->path = NULL;
	s->blobs_fd = -EBADF;
	if (target) {
		r = split_target(target, &dir, &base);
		if (r < 0)
			return img_fail(e, r, "out of memory");
		if (!strcmp(base, "/") || !strcmp(base, ".") || !strcmp(base, ".."))
			return img_fail(e, -EINVAL, "'%s' cannot be the image layout directory",
					target);
		r = asprintf(&path, "%s/.%s.tmp-XXXXXX", dir, base);
	} else {
		const char *tmp = getenv("TMPDIR");

		r = asprintf(&path, "%s/bpfman-image-build.tmp-XXXXXX", tmp && *tmp ? tmp : "/tmp");
	}
	if (r < 0)
		return img_fail(e, -ENOMEM, "out of memory");
	if (!mkdtemp(path)) {
		r = -errno;
		free(path);
		return img_fail(e, r, "cannot create a directory beside %s: %s",
				target ? target : "the temporary directory", strerror(-r));
	}
	s->path = path;
	fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0 || mkdirat(fd, "blobs", 0755) < 0 || mkdirat(fd, "blobs/sha256", 0755) < 0)
		goto fail;
	s->blobs_fd = openat(fd, "blobs/sha256", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (s->blobs_fd < 0)
		goto fail;
	return 0;
fail:
	r = img_fail(e, -errno, "cannot create %s: %s", path, strerror(errno));
	stage_close(s);
	return r;
}

static int write_file_at(int dfd, const char *name, const char *text)
{
	_cleanup_close_ int fd = openat(dfd, name, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
	int r;

	if (fd < 0)
		return -errno;
	r = write_all(fd, text, strlen(text));
	if (r == 0 && fsync(fd) < 0)
		r = -errno;
	return r;
}

static char *layout_index(const char *media_type, const struct stage_blob *top,
			  const char *ref_name)
{
	json_t *root = json_pack("{s:i, s:[{s:s, s:s, s:I, s:{s:s}}]}", "schemaVersion", 2,
				 "manifests", "mediaType", media_type, "digest", top->digest,
				 "size", (json_int_t)top->size, "annotations",
				 "org.opencontainers.image.ref.name", ref_name);
	char *s;

	if (!root)
		return NULL;
	s = json_dumps(root, JSON_COMPACT);
	json_decref(root);
	return s;
}

int stage_commit_layout(struct stage *s, const char *media_type, const struct stage_blob *top,
			const char *ref_name, const char *target, struct img_err *e)
{
	_cleanup_free_ char *index = layout_index(media_type, top, ref_name);
	_cleanup_close_ int fd = -EBADF;
	int r;

	if (!index)
		return img_fail(e, -ENOMEM, "out of memory");
	fd = open(s->path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return img_fail(e, -errno, "cannot open %s: %s", s->path, strerror(errno));
	r = write_file_at(fd, "oci-layout", "{\"imageLayoutVersion\":\"1.0.0\"}");
	if (r == 0)
		r = write_file_at(fd, "index.json", index);
	if (r == 0 && (fchmod(fd, 0755) < 0 || fsync(s->blobs_fd) < 0 || fsync(fd) < 0))
		r = -errno;
	if (r < 0)
		return img_fail(e, r, "cannot write the image layout in %s: %s", s->path,
				strerror(-r));
	/* an empty directory at target is replaced; anything else makes rename fail */
	if (rename(s->path, target) < 0) {
		r = -errno;
		if (r == -ENOTEMPTY || r == -EEXIST)
			return img_fail(e, -EEXIST, "%s exists and is not empty", target);
		return img_fail(e, r, "cannot rename %s to %s: %s", s->path, target,
				strerror(-r));
	}
	free(s->path);
	s->path = NULL;
	return 0;
}

static int remove_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	remove(path);
	return 0;
}

void stage_close(struct stage *s)
{
	s->blobs_fd = safe_close(s->blobs_fd);
	/* only ever a directory this build made with mkdtemp */
	if (s->path && strstr(s->path, ".tmp-"))
		nftw(s->path, remove_one, 16, FTW_DEPTH | FTW_PHYS);
	free(s->path);
	s->path = NULL;
}
