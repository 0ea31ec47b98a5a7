/* The content-addressed image cache (layout in image-cache.h).
 *
 * Invariants:
 *  1. Every file under blobs/sha256/ is named by the sha256 of its content: it got there by
 *     rename(2) from tmp/ only after its digest and size were checked, and it is checked again
 *     each time it is opened (a disk or a hand can still change it); a blob that fails the
 *     check is removed and reported as absent.
 *  2. Every file under refs/ is a complete JSON record (written to tmp/, fsynced, renamed),
 *     named by the sha256 of the reference it records.
 *  3. A temp file in tmp/ is flocked by its writer for its whole life; one that is unlocked
 *     and old is a leftover of a killed writer and is removed when the cache is opened.
 *  4. Blobs are only deleted (garbage collection) under the cache lock, which every writer
 *     of blobs and refs holds from its first blob to its ref: a collection never sees a pull's
 *     blobs before their ref exists.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>
#include <openssl/evp.h>

#include "cleanup.h"
#include "image-cache.h"
#include "image-parse.h"

/* A temp file unlocked for this long belongs to no live writer. */
#define STALE_TMP_SEC (10 * 60)
/* A ref record is a few hundred bytes; anything much bigger is not ours. */
#define MAX_REF_RECORD (64 * 1024)

DEFINE_TRIVIAL_CLEANUP_FUNC(DIR *, closedir);


struct image_cache {
	char *dir;
	int dfd;
	int lock_fd;
	unsigned lock_depth;
};

/* ---- hashing ---- */

static void hex_of(const unsigned char *md, size_t n, char *out)
{
	static const char hx[] = "0123456789abcdef";

	for (size_t i = 0; i < n; i++) {
		out[2 * i] = hx[md[i] >> 4];
		out[2 * i + 1] = hx[md[i] & 15];
	}
	out[2 * n] = '\0';
}

/* "sha256:<hex>" of fd's whole content (read from offset 0) into out[72], size into *ret. */
static int sha256_fd(int fd, char out[72], uint64_t *ret_size)
{
	unsigned char buf[64 * 1024], md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;
	uint64_t total = 0;
	EVP_MD_CTX *ctx;
	off_t off = 0;
	int r = 0;

	ctx = EVP_MD_CTX_new();
	if (!ctx)
		return -ENOMEM;
	if (EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) != 1) {
		r = -EIO;
		goto out;
	}
	for (;;) {
		ssize_t n = pread(fd, buf, sizeof(buf), off);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			r = -errno;
			goto out;
		}
		if (n == 0)
			break;
		if (EVP_DigestUpdate(ctx, buf, (size_t)n) != 1) {
			r = -EIO;
			goto out;
		}
		off += n;
		total += (uint64_t)n;
	}
	if (EVP_DigestFinal_ex(ctx, md, &mdlen) != 1 || mdlen != 32) {
		r = -EIO;
		goto out;
	}
	memcpy(out, "sha256:", 7);
	hex_of(md, mdlen, out + 7);
	*ret_size = total;
out:
	EVP_MD_CTX_free(ctx);
	return r;
}

static int sha256_mem(const void *p, size_t n, char out[72])
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;

	if (EVP_Digest(p, n, md, &mdlen, EVP_sha256(), NULL) != 1 || mdlen != 32)
		return -EIO;
	memcpy(out, "sha256:", 7);
	hex_of(md, mdlen, out + 7);
	return 0;
}

/* ---- paths and files ---- */

static void blob_path(const char *digest, char out[96])
{
	snprintf(out, 96, "blobs/sha256/%s", digest + 7);
}

static int ref_path(const char *ref, char out[96])
{
	char d[72];
	int r = sha256_mem(ref, strlen(ref), d);

	if (r < 0)
		return r;
	snprintf(out, 96, "refs/%s", d + 7);
	return 0;
}

static int fsync_dir(int dfd, const char *sub)
{
	_cleanup_close_ int fd = openat(dfd, sub, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (fd < 0)
		return -errno;
	return fsync(fd) < 0 ? -errno : 0;
}

static int mkdir_one(int dfd, const char *sub)
{
	if (mkdirat(dfd, sub, 0755) < 0 && errno != EEXIST)
		return -errno;
	return 0;
}

static int mkdir_p(const char *path)
{
	_cleanup_free_ char *p = strdup(path);

	if (!p)
		return -ENOMEM;
	for (char *s = p + 1; *s; s++) {
		if (*s != '/')
			continue;
		*s = '\0';
		if (mkdir(p, 0755) < 0 && errno != EEXIST)
			return -errno;
		*s = '/';
	}
	if (mkdir(p, 0755) < 0 && errno != EEXIST)
		return -errno;
	return 0;
}

static int write_all(int fd, const void *p, size_t n)
{
	const char *c = p;

	while (n > 0) {
		ssize_t w = write(fd, c, n);

		if (w < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		c += w;
		n -= (size_t)w;
	}
	return 0;
}

/* Removes tmp/ files no live writer holds (invariant 3). The age condition covers the instant
 * between a writer creating its file and locking it. */
static void clean_stale_tmp(struct image_cache *c)
{
	_cleanup_(closedirp) DIR *d = NULL;
	time_t now = time(NULL);
	struct dirent *de;
	int fd;

	fd = openat(c->dfd, "tmp", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return;
	d = fdopendir(fd);
	if (!d) {
		close(fd);
		return;
	}
	while ((de = readdir(d))) {
		_cleanup_close_ int f = -EBADF;
		struct stat st;

		if (de->d_name[0] == '.')
			continue;
		f = openat(dirfd(d), de->d_name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
		if (f < 0 || fstat(f, &st) < 0)
			continue;
		if (now - st.st_mtime < STALE_TMP_SEC)
			continue;
		if (flock(f, LOCK_EX | LOCK_NB) < 0)
			continue; /* a writer is alive */
		(void)unlinkat(dirfd(d), de->d_name, 0);
	}
}

int image_cache_open(const char *dir, struct image_cache **ret, struct img_err *e)
{
	static const char *const subdirs[] = { "blobs", "blobs/sha256", "refs", "tmp" };
	struct image_cache *c;
	int r;

	if (!dir || !*dir)
		return img_fail(e, -EINVAL, "image cache: no directory given");
	r = mkdir_p(dir);
	if (r < 0)
		return img_fail(e, r, "image cache: cannot create %s: %s", dir, strerror(-r));
	c = calloc(1, sizeof(*c));
	if (!c)
		return -ENOMEM;
	c->lock_fd = -EBADF;
	c->dir = strdup(dir);
	c->dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (!c->dir || c->dfd < 0) {
		r = c->dir ? -errno : -ENOMEM;
		image_cache_free(c);
		return img_fail(e, r, "image cache: cannot open %s: %s", dir, strerror(-r));
	}
	for (size_t i = 0; i < ELEMENTSOF(subdirs); i++) {
		r = mkdir_one(c->dfd, subdirs[i]);
		if (r < 0) {
			image_cache_free(c);
			return img_fail(e, r, "image cache: cannot create %s/%s: %s", dir,
					subdirs[i], strerror(-r));
		}
	}
	clean_stale_tmp(c);
	*ret = c;
	return 0;
}

struct image_cache *image_cache_free(struct image_cache *c)
{
	if (!c)
		return NULL;
	if (c->dfd >= 0)
		close(c->dfd);
	if (c->lock_fd >= 0)
		close(c->lock_fd);
	free(c->dir);
	free(c);
	return NULL;
}

/* ---- lock ---- */

int image_cache_lock(struct image_cache *c, struct img_err *e)
{
	int fd;

	if (c->lock_depth > 0) {
		c->lock_depth++;
		return 0;
	}
	if (c->lock_fd < 0) {
		fd = openat(c->dfd, ".lock", O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0644);
		if (fd < 0)
			return img_fail(e, -errno, "image cache: cannot open %s/.lock: %m", c->dir);
		c->lock_fd = fd;
	}
	while (flock(c->lock_fd, LOCK_EX) < 0)
		if (errno != EINTR)
			return img_fail(e, -errno, "image cache: cannot lock %s/.lock: %m", c->dir);
	c->lock_depth = 1;
	return 0;
}

void image_cache_unlock(struct image_cache *c)
{
	if (!c || c->lock_depth == 0)
		return;
	if (--c->lock_depth == 0)
		(void)flock(c->lock_fd, LOCK_UN);
}

/* ---- blobs ---- */

int image_cache_blob_begin(struct image_cache *c, struct image_cache_writer *w,
			   struct img_err *e)
{
	char *path;
	int fd;

	w->fd = -EBADF;
	w->tmp_path = NULL;
	w->sealed_digest[0] = '\0';
	w->sealed_size = 0;
	if (asprintf(&path, "%s/tmp/blob-XXXXXX", c->dir) < 0)
		return -ENOMEM;
	fd = mkostemp(path, O_CLOEXEC);
	if (fd < 0) {
		int r = -errno;

		free(path);
		return img_fail(e, r, "image cache: cannot create a temp file in %s/tmp: %s",
				c->dir, strerror(-r));
	}
	/* Invariant 3: held until commit or abort closes the fd. */
	(void)flock(fd, LOCK_EX | LOCK_NB);
	w->fd = fd;
	w->tmp_path = path;
	return 0;
}

void image_cache_blob_abort(struct image_cache *c, struct image_cache_writer *w)
{
	(void)c;
	if (w->tmp_path)
		(void)unlink(w->tmp_path);
	w->fd = safe_close(w->fd);
	free(w->tmp_path);
	w->tmp_path = NULL;
}

static bool blob_present(struct image_cache *c, const char *digest);

/* The checks before a blob may be renamed into blobs/ (invariant 1). */
static int blob_verify(struct image_cache_writer *w, const char *digest, uint64_t size,
		       struct img_err *e)
{
	char got[72];
	uint64_t got_size = 0;
	int r;

	if (!image_digest_valid(digest))
		return img_fail(e, -EINVAL, "image cache: \"%.80s\" is not a sha256 digest",
				digest ? digest : "(null)");
	if (fsync(w->fd) < 0)
		return img_fail(e, -errno, "image cache: cannot write %s: %m", w->tmp_path);
	r = sha256_fd(w->fd, got, &got_size);
	if (r < 0)
		return img_fail(e, r, "image cache: cannot read back %s: %s", w->tmp_path,
				strerror(-r));
	if (got_size != size || strcmp(got, digest) != 0)
		return img_fail(e, -EBADMSG,
				"blob %s: the content has %s and %" PRIu64 " bytes, expected %" PRIu64
				" bytes with that digest",
				digest, got, got_size, size);
	if (fchmod(w->fd, 0644) < 0)
		return img_fail(e, -errno, "image cache: cannot chmod %s: %m", w->tmp_path);
	return 0;
}

int image_cache_blob_seal(struct image_cache *c, struct image_cache_writer *w,
			  const char *digest, uint64_t size, struct img_err *e)
{
	int r = blob_verify(w, digest, size, e);

	if (r < 0) {
		image_cache_blob_abort(c, w);
		return r;
	}
	snprintf(w->sealed_digest, sizeof(w->sealed_digest), "%s", digest);
	w->sealed_size = size;
	return 0;
}

bool image_cache_blob_present(struct image_cache *c, const char *digest)
{
	return blob_present(c, digest);
}

int image_cache_blob_commit(struct image_cache *c, struct image_cache_writer *w,
			    const char *digest, uint64_t size, struct img_err *e)
{
	char path[96];
	int r;

	if (w->sealed_digest[0] && digest && !strcmp(w->sealed_digest, digest) &&
	    w->sealed_size == size)
		goto verified;
	r = blob_verify(w, digest, size, e);
	if (r < 0)
		goto fail;
verified:
	blob_path(digest, path);
	/* Replaces an existing copy (identical by name, or corrupt): either way the verified
	 * content is what readers see from now on. */
	if (renameat(AT_FDCWD, w->tmp_path, c->dfd, path) < 0) {
		r = img_fail(e, -errno, "image cache: cannot move %s into place: %m", w->tmp_path);
		goto fail;
	}
	free(w->tmp_path);
	w->tmp_path = NULL;
	w->fd = safe_close(w->fd);
	r = fsync_dir(c->dfd, "blobs/sha256");
	if (r < 0)
		return img_fail(e, r, "image cache: cannot sync %s/blobs/sha256: %s", c->dir,
				strerror(-r));
	return 0;
fail:
	image_cache_blob_abort(c, w);
	return r;
}

int image_cache_put(struct image_cache *c, const char *digest, const void *data, size_t len,
		    struct img_err *e)
{
	struct image_cache_writer w;
	int r;

	r = image_cache_blob_begin(c, &w, e);
	if (r < 0)
		return r;
	r = write_all(w.fd, data, len);
	if (r < 0) {
		img_fail(e, r, "image cache: cannot write %s: %s", w.tmp_path, strerror(-r));
		image_cache_blob_abort(c, &w);
		return r;
	}
	return image_cache_blob_commit(c, &w, digest, len, e);
}

/* Removes the blob at path if it is still the inode fd refers to (a writer may have just
 * renamed a good copy over it). */
static void drop_corrupt(struct image_cache *c, const char *path, int fd)
{
	struct stat a, b;

	if (fstat(fd, &a) == 0 && fstatat(c->dfd, path, &b, AT_SYMLINK_NOFOLLOW) == 0 &&
	    a.st_dev == b.st_dev && a.st_ino == b.st_ino)
		(void)unlinkat(c->dfd, path, 0);
}

static int open_verified(struct image_cache *c, const char *digest, int *ret_fd,
			 uint64_t *ret_size, struct img_err *e)
{
	_cleanup_close_ int fd = -EBADF;
	char path[96], got[72];
	uint64_t size = 0;
	struct stat st;
	int r;

	if (!image_digest_valid(digest))
		return img_fail(e, -EINVAL, "image cache: \"%.80s\" is not a sha256 digest",
				digest ? digest : "(null)");
	blob_path(digest, path);
	fd = openat(c->dfd, path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
	if (fd < 0) {
		if (errno == ENOENT || errno == ELOOP)
			return img_fail(e, -ENOENT, "blob %s is not in the image cache", digest);
		return img_fail(e, -errno, "image cache: cannot open %s/%s: %m", c->dir, path);
	}
	if (fstat(fd, &st) < 0)
		return img_fail(e, -errno, "image cache: cannot stat %s/%s: %m", c->dir, path);
	if (!S_ISREG(st.st_mode)) {
		return img_fail(e, -ENOENT, "blob %s in the image cache is not a regular file",
				digest);
	}
	r = sha256_fd(fd, got, &size);
	if (r < 0)
		return img_fail(e, r, "image cache: cannot read %s/%s: %s", c->dir, path,
				strerror(-r));
	if (strcmp(got, digest) != 0) {
		drop_corrupt(c, path, fd);
		return img_fail(e, -ENOENT,
				"blob %s was corrupted in the image cache (its content has %s); "
				"it has been removed",
				digest, got);
	}
	if (lseek(fd, 0, SEEK_SET) < 0)
		return -errno;
	*ret_fd = TAKE_FD(fd);
	if (ret_size)
		*ret_size = size;
	return 0;
}

int image_cache_blob_open(struct image_cache *c, const char *digest, int *ret_fd,
			  uint64_t *ret_size, struct img_err *e)
{
	return open_verified(c, digest, ret_fd, ret_size, e);
}

int image_cache_get(struct image_cache *c, const char *digest, size_t max, struct img_buf *ret,
		    struct img_err *e)
{
	_cleanup_close_ int fd = -EBADF;
	unsigned char *p;
	uint64_t size;
	size_t done = 0;
	int r;

	r = open_verified(c, digest, &fd, &size, e);
	if (r < 0)
		return r;
	if (size > max)
		return img_fail(e, -EFBIG, "blob %s: %" PRIu64 " bytes, over the limit of %zu",
				digest, size, max);
	p = malloc(size ? size : 1);
	if (!p)
		return -ENOMEM;
	while (done < size) {
		ssize_t n = read(fd, p + done, size - done);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			r = n < 0 ? -errno : -EIO;
			free(p);
			return img_fail(e, r, "image cache: cannot read blob %s", digest);
		}
		done += (size_t)n;
	}
	/* It was verified on open; a change between the hash and this read is caught here. */
	{
		char got[72];

		r = sha256_mem(p, size, got);
		if (r < 0 || strcmp(got, digest) != 0) {
			free(p);
			return img_fail(e, -ENOENT, "blob %s changed in the image cache while read",
					digest);
		}
	}
	ret->data = p;
	ret->len = size;
	return 0;
}

bool image_cache_has(struct image_cache *c, const char *digest)
{
	_cleanup_close_ int fd = -EBADF;

	return open_verified(c, digest, &fd, NULL, NULL) == 0;
}

static bool blob_present(struct image_cache *c, const char *digest)
{
	char path[96];
	struct stat st;

	if (!image_digest_valid(digest))
		return false;
	blob_path(digest, path);
	return fstatat(c->dfd, path, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISREG(st.st_mode);
}

/* ---- refs ---- */

void image_cache_entry_clear(struct image_cache_entry *en)
{
	if (!en)
		return;
	free(en->ref);
	free(en->manifest_digest);
	free(en->image_digest);
	free(en->config_digest);
	free(en->layer_digest);
	free(en->object_digest);
	free(en->object_name);
	memset(en, 0, sizeof(*en));
}

void image_cache_entries_free(struct image_cache_entry *v, size_t n)
{
	for (size_t i = 0; v && i < n; i++)
		image_cache_entry_clear(&v[i]);
	free(v);
}

/* The digests of an entry, in a fixed order; NULL ones are optional fields left out. */
#define ENTRY_DIGESTS(en)                                                                   \
	{ (en)->manifest_digest, (en)->image_digest, (en)->config_digest, (en)->layer_digest, \
	  (en)->object_digest }
static const char *const digest_keys[] = { "manifest_digest", "image_digest", "config_digest",
					   "layer_digest", "object_digest" };

static int entry_to_json(const struct image_cache_entry *en, char **ret)
{
	const char *d[] = ENTRY_DIGESTS(en);
	_cleanup_(json_decrefp) json_t *o = json_object();
	char *s;

	if (!o)
		return -ENOMEM;
	if (json_object_set_new(o, "version", json_integer(1)) < 0 ||
	    json_object_set_new(o, "ref", json_string(en->ref)) < 0)
		return -ENOMEM;
	for (size_t i = 0; i < ELEMENTSOF(digest_keys); i++)
		if (d[i] && json_object_set_new(o, digest_keys[i], json_string(d[i])) < 0)
			return -ENOMEM;
	if (en->object_name &&
	    json_object_set_new(o, "object_name", json_string(en->object_name)) < 0)
		return -ENOMEM;
	if (json_object_set_new(o, "object_size", json_integer((json_int_t)en->object_size)) <
		    0 ||
	    json_object_set_new(o, "pulled_at", json_integer((json_int_t)en->pulled_at)) < 0)
		return -ENOMEM;
	s = json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS);
	if (!s)
		return -ENOMEM;
	*ret = s;
	return 0;
}

static int json_str_dup(json_t *o, const char *key, bool required, char **ret)
{
	json_t *v = json_object_get(o, key);

	*ret = NULL;
	if (!v || json_is_null(v))
		return required ? -EINVAL : 0;
	if (!json_is_string(v))
		return -EINVAL;
	*ret = strdup(json_string_value(v));
	return *ret ? 0 : -ENOMEM;
}

/* -EINVAL for a record that is not ours or not complete. */
static int entry_from_json(const char *buf, size_t len, struct image_cache_entry *ret)
{
	_cleanup_(json_decrefp) json_t *o = NULL;
	struct image_cache_entry en = { 0 };
	char **d[] = { &en.manifest_digest, &en.image_digest, &en.config_digest,
		       &en.layer_digest, &en.object_digest };
	json_t *v;
	int r;

	o = json_loadb(buf, len, JSON_REJECT_DUPLICATES, NULL);
	if (!json_is_object(o))
		return -EINVAL;
	v = json_object_get(o, "version");
	if (!json_is_integer(v) || json_integer_value(v) != 1)
		return -EINVAL;
	r = json_str_dup(o, "ref", true, &en.ref);
	for (size_t i = 0; r >= 0 && i < ELEMENTSOF(digest_keys); i++) {
		r = json_str_dup(o, digest_keys[i], false, d[i]);
		if (r >= 0 && *d[i] && !image_digest_valid(*d[i]))
			r = -EINVAL;
	}
	if (r >= 0 && (!en.manifest_digest || !en.object_digest))
		r = -EINVAL;
	if (r >= 0)
		r = json_str_dup(o, "object_name", false, &en.object_name);
	if (r >= 0) {
		v = json_object_get(o, "object_size");
		if (!json_is_integer(v) || json_integer_value(v) < 0)
			r = -EINVAL;
		else
			en.object_size = (uint64_t)json_integer_value(v);
	}
	if (r >= 0) {
		v = json_object_get(o, "pulled_at");
		if (!json_is_integer(v))
			r = -EINVAL;
		else
			en.pulled_at = (time_t)json_integer_value(v);
	}
	if (r < 0) {
		image_cache_entry_clear(&en);
		return r;
	}
	*ret = en;
	return 0;
}

/* Reads refs/<name> and checks that it records the reference it is named after. */
static int read_ref_file(struct image_cache *c, const char *name, struct image_cache_entry *ret)
{
	_cleanup_close_ int fd = -EBADF;
	char buf[MAX_REF_RECORD], path[96], want[96];
	struct image_cache_entry en;
	size_t len = 0;
	int r;

	snprintf(path, sizeof(path), "refs/%s", name);
	fd = openat(c->dfd, path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
	if (fd < 0)
		return errno == ELOOP ? -EINVAL : -errno;
	for (;;) {
		ssize_t n = read(fd, buf + len, sizeof(buf) - len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (n == 0)
			break;
		len += (size_t)n;
		if (len == sizeof(buf))
			return -EINVAL;
	}
	r = entry_from_json(buf, len, &en);
	if (r < 0)
		return r;
	r = ref_path(en.ref, want);
	if (r < 0 || strcmp(want, path) != 0) {
		image_cache_entry_clear(&en);
		return r < 0 ? r : -EINVAL;
	}
	*ret = en;
	return 0;
}

int image_cache_ref_set(struct image_cache *c, const struct image_cache_entry *en,
			struct img_err *e)
{
	const char *d[] = ENTRY_DIGESTS(en);
	_cleanup_free_ char *json = NULL, *tmp = NULL;
	_cleanup_close_ int fd = -EBADF;
	char path[96];
	int r;

	if (!en->ref || !*en->ref)
		return img_fail(e, -EINVAL, "image cache: an entry without a reference");
	if (!en->manifest_digest || !en->object_digest)
		return img_fail(e, -EINVAL, "image cache: entry for %s lacks %s", en->ref,
				en->manifest_digest ? "object_digest" : "manifest_digest");
	for (size_t i = 0; i < ELEMENTSOF(digest_keys); i++) {
		if (!d[i])
			continue;
		if (!image_digest_valid(d[i]))
			return img_fail(e, -EINVAL, "image cache: entry for %s: %s \"%.80s\" is not "
						    "a sha256 digest",
					en->ref, digest_keys[i], d[i]);
		if (!blob_present(c, d[i]))
			return img_fail(e, -ENOENT, "image cache: entry for %s names %s %s, which "
						    "is not in the cache",
					en->ref, digest_keys[i], d[i]);
	}
	r = entry_to_json(en, &json);
	if (r < 0)
		return r;
	r = ref_path(en->ref, path);
	if (r < 0)
		return r;
	if (asprintf(&tmp, "%s/tmp/ref-XXXXXX", c->dir) < 0) {
		tmp = NULL;
		return -ENOMEM;
	}
	fd = mkostemp(tmp, O_CLOEXEC);
	if (fd < 0)
		return img_fail(e, -errno, "image cache: cannot create a temp file in %s/tmp: %m",
				c->dir);
	(void)flock(fd, LOCK_EX | LOCK_NB);
	r = write_all(fd, json, strlen(json));
	if (r >= 0 && fchmod(fd, 0644) < 0)
		r = -errno;
	if (r >= 0 && fsync(fd) < 0)
		r = -errno;
	if (r >= 0 && renameat(AT_FDCWD, tmp, c->dfd, path) < 0)
		r = -errno;
	if (r < 0) {
		(void)unlink(tmp);
		return img_fail(e, r, "image cache: cannot record %s: %s", en->ref, strerror(-r));
	}
	r = fsync_dir(c->dfd, "refs");
	if (r < 0)
		return img_fail(e, r, "image cache: cannot sync %s/refs: %s", c->dir, strerror(-r));
	return 0;
}

int image_cache_ref_get(struct image_cache *c, const char *ref, struct image_cache_entry *ret,
			struct img_err *e)
{
	struct image_cache_entry en;
	char path[96];
	int r;

	if (!ref || !*ref)
		return img_fail(e, -EINVAL, "image cache: no reference given");
	r = ref_path(ref, path);
	if (r < 0)
		return r;
	r = read_ref_file(c, path + strlen("refs/"), &en);
	if (r == -ENOENT)
		return img_fail(e, -ENOENT, "image %s is not in the cache", ref);
	if (r < 0)
		return img_fail(e, r == -EINVAL ? -ENOENT : r,
				"image cache: the record of %s is unreadable (%s)", ref,
				strerror(-r));
	{
		const char *d[] = ENTRY_DIGESTS(&en);

		for (size_t i = 0; i < ELEMENTSOF(digest_keys); i++)
			if (d[i] && !blob_present(c, d[i])) {
				r = img_fail(e, -ENOENT, "image %s: its %s %s is no longer in the "
							 "cache",
					     ref, digest_keys[i], d[i]);
				image_cache_entry_clear(&en);
				return r;
			}
	}
	*ret = en;
	return 0;
}

static int cmp_entry(const void *a, const void *b)
{
	const struct image_cache_entry *x = a, *y = b;

	return strcmp(x->ref, y->ref);
}

/* Every readable record; unreadable ones are removed when drop_bad (under the lock). */
static int load_all(struct image_cache *c, bool drop_bad, struct image_cache_entry **ret,
		    size_t *ret_n)
{
	_cleanup_(closedirp) DIR *d = NULL;
	struct image_cache_entry *v = NULL;
	size_t n = 0, cap = 0;
	struct dirent *de;
	int fd;

	fd = openat(c->dfd, "refs", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	d = fdopendir(fd);
	if (!d) {
		close(fd);
		return -errno;
	}
	while ((errno = 0, de = readdir(d))) {
		struct image_cache_entry en;
		int r;

		if (de->d_name[0] == '.')
			continue;
		r = read_ref_file(c, de->d_name, &en);
		if (r == -EINVAL && drop_bad)
			(void)unlinkat(dirfd(d), de->d_name, 0);
		if (r < 0)
			continue; /* a record removed meanwhile, or not ours */
		if (n == cap) {
			size_t ncap = cap ? cap * 2 : 8;
			struct image_cache_entry *nv = reallocarray(v, ncap, sizeof(*v));

			if (!nv) {
				image_cache_entry_clear(&en);
				image_cache_entries_free(v, n);
				return -ENOMEM;
			}
			v = nv;
			cap = ncap;
		}
		v[n++] = en;
	}
	if (errno) {
		int r = -errno;

		image_cache_entries_free(v, n);
		return r;
	}
	if (n)
		qsort(v, n, sizeof(*v), cmp_entry);
	*ret = v;
	*ret_n = n;
	return 0;
}

int image_cache_list(struct image_cache *c, struct image_cache_entry **ret, size_t *ret_n,
		     struct img_err *e)
{
	int r = load_all(c, false, ret, ret_n);

	if (r < 0)
		return img_fail(e, r, "image cache: cannot read %s/refs: %s", c->dir, strerror(-r));
	return 0;
}

static bool needed(const struct image_cache_entry *v, size_t n, const char *digest)
{
	for (size_t i = 0; i < n; i++) {
		const char *d[] = ENTRY_DIGESTS(&v[i]);

		for (size_t k = 0; k < ELEMENTSOF(d); k++)
			if (d[k] && strcmp(d[k], digest) == 0)
				return true;
	}
	return false;
}

/* Deletes every blob no record names. Caller holds the lock (invariant 4). */
static int collect_garbage(struct image_cache *c)
{
	_cleanup_(closedirp) DIR *d = NULL;
	struct image_cache_entry *v = NULL;
	struct dirent *de;
	size_t n = 0;
	int fd, r;

	r = load_all(c, true, &v, &n);
	if (r < 0)
		return r;
	fd = openat(c->dfd, "blobs/sha256", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0) {
		r = -errno;
		goto out;
	}
	d = fdopendir(fd);
	if (!d) {
		r = -errno;
		close(fd);
		goto out;
	}
	while ((de = readdir(d))) {
		char digest[8 + sizeof(de->d_name)];

		if (de->d_name[0] == '.')
			continue;
		snprintf(digest, sizeof(digest), "sha256:%s", de->d_name);
		if (image_digest_valid(digest) && needed(v, n, digest))
			continue;
		(void)unlinkat(dirfd(d), de->d_name, 0);
	}
	r = fsync(dirfd(d)) < 0 ? -errno : 0;
out:
	image_cache_entries_free(v, n);
	return r;
}

int image_cache_remove(struct image_cache *c, const char *ref_or_digest, struct img_err *e)
{
	struct image_cache_entry *v = NULL;
	size_t n = 0, removed = 0;
	bool by_digest;
	int r;

	if (!ref_or_digest || !*ref_or_digest)
		return img_fail(e, -EINVAL, "image cache: nothing to remove");
	by_digest = image_digest_valid(ref_or_digest);
	r = image_cache_lock(c, e);
	if (r < 0)
		return r;
	r = load_all(c, true, &v, &n);
	if (r < 0) {
		r = img_fail(e, r, "image cache: cannot read %s/refs: %s", c->dir, strerror(-r));
		goto out;
	}
	for (size_t i = 0; i < n; i++) {
		char path[96];

		if (by_digest ? strcmp(v[i].manifest_digest, ref_or_digest) != 0 &&
					(!v[i].image_digest ||
					 strcmp(v[i].image_digest, ref_or_digest) != 0)
			      : strcmp(v[i].ref, ref_or_digest) != 0)
			continue;
		r = ref_path(v[i].ref, path);
		if (r < 0)
			goto out;
		if (unlinkat(c->dfd, path, 0) < 0 && errno != ENOENT) {
			r = img_fail(e, -errno, "image cache: cannot remove the record of %s: %m",
				     v[i].ref);
			goto out;
		}
		removed++;
	}
	if (removed == 0) {
		r = img_fail(e, -ENOENT, "no cached image matches %s", ref_or_digest);
		goto out;
	}
	(void)fsync_dir(c->dfd, "refs");
	r = collect_garbage(c);
	if (r < 0)
		r = img_fail(e, r, "image cache: removing unused blobs failed: %s", strerror(-r));
out:
	image_cache_entries_free(v, n);
	image_cache_unlock(c);
	return r;
}
