/* Writing the layer of a bytecode image: a tar holding one file, gzip-compressed, with
 * nothing in it that depends on when or by whom it was built (mode 0644, owner 0:0, mtime 0,
 * a gzip header without name or time), so the same object always gives the same digests.
 *
 * Two libarchive writers in a row: the tar writer's output is hashed (the uncompressed tar's
 * sha256 is the config's rootfs.diff_id) and fed, as the data of one entry, to a "raw" writer
 * whose gzip filter writes the layer to out_fd. */
#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cleanup.h"
#include "image-layer.h"

struct tar_sink {
	EVP_MD_CTX *sha; /* of the uncompressed tar */
	struct archive *gz; /* the raw+gzip writer the tar goes into */
	int failed; /* the gzip writer's error, reported by the caller */
};

static la_ssize_t tar_out(struct archive *a, void *data, const void *buf, size_t len)
{
	struct tar_sink *s = data;
	la_ssize_t n;

	(void)a;
	if (EVP_DigestUpdate(s->sha, buf, len) != 1) {
		s->failed = 1;
		return -1;
	}
	n = archive_write_data(s->gz, buf, len);
	if (n < 0 || (size_t)n != len) {
		s->failed = 1;
		return -1;
	}
	return (la_ssize_t)len;
}

static void archive_freep(struct archive **a)
{
	if (*a)
		archive_write_free(*a);
}

static void archive_entry_freep(struct archive_entry **e)
{
	if (*e)
		archive_entry_free(*e);
}

static void md_ctx_freep(EVP_MD_CTX **c)
{
	EVP_MD_CTX_free(*c);
}

/* The gzip writer: one raw entry whose data is the tar; its size is not known up front,
 * which the raw format does not need. */
static int open_gzip_writer(int out_fd, struct archive **ret, struct img_err *e)
{
	struct archive *gz = archive_write_new();
	struct archive_entry *ent = NULL;

	if (!gz)
		return img_fail(e, -ENOMEM, "out of memory");
	/* "!timestamp": no mtime in the gzip header (libarchive writes none of the file name) */
	if (archive_write_set_format_raw(gz) != ARCHIVE_OK ||
	    archive_write_add_filter_gzip(gz) != ARCHIVE_OK ||
	    archive_write_set_filter_option(gz, "gzip", "timestamp", NULL) != ARCHIVE_OK ||
	    archive_write_set_filter_option(gz, "gzip", "compression-level", "9") != ARCHIVE_OK ||
	    archive_write_set_bytes_in_last_block(gz, 1) != ARCHIVE_OK ||
	    archive_write_open_fd(gz, out_fd) != ARCHIVE_OK)
		goto fail;
	ent = archive_entry_new();
	if (!ent)
		goto fail;
	archive_entry_set_pathname(ent, "layer.tar");
	archive_entry_set_filetype(ent, AE_IFREG);
	if (archive_write_header(gz, ent) != ARCHIVE_OK)
		goto fail;
	archive_entry_free(ent);
	*ret = gz;
	return 0;
fail:
	img_fail(e, -EIO, "cannot start the gzip stream of the layer: %s",
		 archive_error_string(gz) ?: "unknown error");
	if (ent)
		archive_entry_free(ent);
	archive_write_free(gz);
	return -EIO;
}

static int copy_object(struct archive *tar, int object_fd, const char *name, struct img_err *e)
{
	char buf[64 * 1024];
	ssize_t n;

	for (;;) {
		n = read(object_fd, buf, sizeof(buf));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return img_fail(e, -errno, "cannot read %s: %s", name, strerror(errno));
		if (n == 0)
			return 0;
		if (archive_write_data(tar, buf, (size_t)n) != n)
			return img_fail(e, -EIO, "cannot write %s into the layer: %s", name,
					archive_error_string(tar) ?: "unknown error");
	}
}

static char *digest_string(EVP_MD_CTX *sha)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int len = 0;
	char *s;

	if (EVP_DigestFinal_ex(sha, md, &len) != 1 || len != 32)
		return NULL;
	s = malloc(sizeof("sha256:") + 64);
	if (!s)
		return NULL;
	strcpy(s, "sha256:");
	for (unsigned i = 0; i < len; i++)
		sprintf(s + 7 + 2 * i, "%02x", md[i]);
	return s;
}

int image_layer_create(int object_fd, const char *name, int out_fd, char **ret_diff_id,
		       struct img_err *e)
{
	_cleanup_(md_ctx_freep) EVP_MD_CTX *sha = EVP_MD_CTX_new();
	_cleanup_(archive_freep) struct archive *gz = NULL;
	_cleanup_(archive_freep) struct archive *tar = NULL;
	_cleanup_(archive_entry_freep) struct archive_entry *ent = NULL;
	struct tar_sink sink = { 0 };
	struct stat st;
	char *diff_id;
	int r;

	if (!name || !*name || strchr(name, '/') || !strcmp(name, ".") || !strcmp(name, ".."))
		return img_fail(e, -EINVAL, "bad file name for the layer: '%s'", name ? name : "");
	if (fstat(object_fd, &st) < 0)
		return img_fail(e, -errno, "cannot stat %s: %s", name, strerror(errno));
	if (!S_ISREG(st.st_mode))
		return img_fail(e, -EINVAL, "%s is not a regular file", name);
	if (lseek(object_fd, 0, SEEK_SET) < 0)
		return img_fail(e, -errno, "cannot read %s: %s", name, strerror(errno));
	if (!sha || EVP_DigestInit_ex(sha, EVP_sha256(), NULL) != 1)
		return img_fail(e, -ENOMEM, "cannot start sha256");

	r = open_gzip_writer(out_fd, &gz, e);
	if (r < 0)
		return r;
	sink.sha = sha;
	sink.gz = gz;

	tar = archive_write_new();
	ent = archive_entry_new();
	if (!tar || !ent)
		return img_fail(e, -ENOMEM, "out of memory");
	/* pax_restricted: plain ustar unless a long name needs an extended header; records of
	 * 10240 bytes, like GNU tar */
	if (archive_write_set_format_pax_restricted(tar) != ARCHIVE_OK ||
	    archive_write_add_filter_none(tar) != ARCHIVE_OK ||
	    archive_write_open2(tar, &sink, NULL, tar_out, NULL, NULL) != ARCHIVE_OK)
		return img_fail(e, -EIO, "cannot start the layer's tar: %s",
				archive_error_string(tar) ?: "unknown error");

	archive_entry_set_pathname(ent, name);
	archive_entry_set_filetype(ent, AE_IFREG);
	archive_entry_set_perm(ent, 0644);
	archive_entry_set_uid(ent, 0);
	archive_entry_set_gid(ent, 0);
	archive_entry_set_mtime(ent, 0, 0);
	archive_entry_set_size(ent, st.st_size);
	if (archive_write_header(tar, ent) != ARCHIVE_OK)
		return img_fail(e, -EIO, "cannot write the layer's tar header for %s: %s", name,
				archive_error_string(tar) ?: "unknown error");
	r = copy_object(tar, object_fd, name, e);
	if (r < 0)
		return r;
	if (archive_write_close(tar) != ARCHIVE_OK || sink.failed)
		return img_fail(e, -EIO, "cannot finish the layer: %s",
				archive_error_string(sink.failed ? gz : tar) ?: "write error");
	if (archive_write_close(gz) != ARCHIVE_OK)
		return img_fail(e, -EIO, "cannot finish the layer's gzip stream: %s",
				archive_error_string(gz) ?: "write error");
	diff_id = digest_string(sha);
	if (!diff_id)
		return img_fail(e, -ENOMEM, "cannot finish sha256");
	*ret_diff_id = diff_id;
	return 0;
}
