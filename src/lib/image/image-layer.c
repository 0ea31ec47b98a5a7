/* Reading the one layer of a bytecode image (libarchive): a tar, gzip-compressed or not,
 * holding exactly one regular file, an eBPF relocatable object in the host's byte order.
 * The layer comes from a registry and is hostile until proven otherwise: nothing is written
 * to the file system by name (the single file goes to the caller's fd), every entry that is
 * not a plain file or directory is refused, and the uncompressed size is bounded while it
 * streams so that a gzip bomb costs at most max_size bytes of work. */
#include <elf.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <archive.h>
#include <archive_entry.h>

#include "cleanup.h"
#include "image-layer.h"

#ifndef EM_BPF
#define EM_BPF 247
#endif

/* Room for tar headers (and pax records, directories) on top of the file's bytes. */
#define LAYER_HEADER_SLACK (1u << 20)

#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
#define HOST_ELFDATA ELFDATA2LSB
#else
#define HOST_ELFDATA ELFDATA2MSB
#endif

static const char *elfdata_name(unsigned char d)
{
	return d == ELFDATA2LSB ? "little-endian (ELFDATA2LSB)" : "big-endian (ELFDATA2MSB)";
}

/* what names the object in messages ("object", "layer entry 'x.o'"). */
static int check_endian(const unsigned char *h, size_t len, const char *what, struct img_err *e)
{
	if (len < EI_NIDENT || memcmp(h, ELFMAG, SELFMAG) != 0)
		return img_fail(e, -ENOEXEC, "%s is not an ELF object (no ELF magic)", what);
	if (h[EI_DATA] != ELFDATA2LSB && h[EI_DATA] != ELFDATA2MSB)
		return img_fail(e, -ENOEXEC, "%s: invalid ELF byte order field %u", what,
				h[EI_DATA]);
	if (h[EI_DATA] != HOST_ELFDATA)
		return img_fail(e, -EINVAL,
				"%s is %s but this host is %s: build the object for this host's "
				"byte order",
				what, elfdata_name(h[EI_DATA]), elfdata_name(HOST_ELFDATA));
	return 0;
}

int image_object_check_endian(const void *head, size_t len, struct img_err *e)
{
	return check_endian(head, len, "object", e);
}

/* The whole ELF header: host byte order, 64-bit, ET_REL, EM_BPF. */
static int check_object_head(const unsigned char *h, size_t len, const char *what,
			     struct img_err *e)
{
	Elf64_Ehdr eh;
	int r = check_endian(h, len, what, e);

	if (r < 0)
		return r;
	if (h[EI_CLASS] != ELFCLASS64)
		return img_fail(e, -ENOEXEC, "%s: ELF class %u is not 64-bit; eBPF objects are ELF64",
				what, h[EI_CLASS]);
	if (len < sizeof(eh))
		return img_fail(e, -ENOEXEC, "%s: truncated ELF header (%zu bytes)", what, len);
	memcpy(&eh, h, sizeof(eh));
	if (eh.e_type != ET_REL)
		return img_fail(e, -ENOEXEC,
				"%s: ELF type %u is not a relocatable object (ET_REL): an eBPF "
				"object is what clang -c writes",
				what, eh.e_type);
	if (eh.e_machine != EM_BPF)
		return img_fail(e, -ENOEXEC, "%s: ELF machine %u is not eBPF (EM_BPF, %u)", what,
				eh.e_machine, EM_BPF);
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

/* The entry's path without leading "./"; -EINVAL for absolute paths and "..". */
static int check_name(const char *name, const char **ret, struct img_err *e)
{
	const char *p;

	if (!name || !*name)
		return img_fail(e, -EINVAL, "layer: an entry has no usable name");
	if (name[0] == '/')
		return img_fail(e, -EINVAL, "layer: entry '%s' has an absolute path", name);
	for (p = name; *p;) {
		size_t n = strcspn(p, "/");

		if (n == 2 && p[0] == '.' && p[1] == '.')
			return img_fail(e, -EINVAL, "layer: entry '%s' contains \"..\"", name);
		p += n;
		while (*p == '/')
			p++;
	}
	while (name[0] == '.' && name[1] == '/') {
		name += 2;
		while (*name == '/')
			name++;
	}
	*ret = name;
	return 0;
}

static int refuse_type(struct archive_entry *en, const char *name, struct img_err *e)
{
	const char *target;

	switch (archive_entry_filetype(en)) {
	case AE_IFLNK:
		target = archive_entry_symlink(en);
		return img_fail(e, -EINVAL, "layer: entry '%s' is a symbolic link (to '%s')", name,
				target ? target : "?");
	case AE_IFCHR:
		return img_fail(e, -EINVAL, "layer: entry '%s' is a character device", name);
	case AE_IFBLK:
		return img_fail(e, -EINVAL, "layer: entry '%s' is a block device", name);
	case AE_IFIFO:
		return img_fail(e, -EINVAL, "layer: entry '%s' is a FIFO", name);
	case AE_IFSOCK:
		return img_fail(e, -EINVAL, "layer: entry '%s' is a socket", name);
	default:
		return img_fail(e, -EINVAL, "layer: entry '%s' is of an unsupported type (0%o)",
				name, (unsigned)archive_entry_filetype(en));
	}
}

static int corrupt(struct archive *a, struct img_err *e)
{
	const char *m = archive_error_string(a);

	return img_fail(e, -EBADMSG, "layer: not a valid tar(.gz) or truncated: %s",
			m ? m : "unknown libarchive error");
}

static int over_limit(struct archive *a, uint64_t max_size, struct img_err *e)
{
	int64_t pos = archive_filter_bytes(a, 0);

	if (pos > 0 && (uint64_t)pos > max_size + LAYER_HEADER_SLACK)
		return img_fail(e, -EFBIG,
				"layer: more than %llu bytes uncompressed (the limit): refused as a "
				"possible gzip bomb",
				(unsigned long long)max_size);
	return 0;
}

/* Copies the entry's data to out_fd, checking the ELF header before the first write and the
 * size all along. */
static int copy_file(struct archive *a, const char *name, int out_fd, uint64_t max_size,
		     struct img_err *e)
{
	unsigned char head[sizeof(Elf64_Ehdr)], buf[64 * 1024];
	size_t head_len = 0;
	uint64_t total = 0;
	bool checked = false;
	char what[300];
	int r;

	snprintf(what, sizeof(what), "layer entry '%s'", name);
	for (;;) {
		la_ssize_t n = archive_read_data(a, buf, sizeof(buf));
		size_t off = 0;

		if (n < 0)
			return corrupt(a, e);
		if (n == 0)
			break;
		total += (uint64_t)n;
		if (total > max_size)
			return img_fail(e, -EFBIG,
					"%s: more than %llu bytes uncompressed (the limit): refused "
					"as a possible gzip bomb",
					what, (unsigned long long)max_size);
		if (!checked) {
			off = sizeof(head) - head_len;
			if (off > (size_t)n)
				off = (size_t)n;
			memcpy(head + head_len, buf, off);
			head_len += off;
			if (head_len < sizeof(head))
				continue;
			r = check_object_head(head, head_len, what, e);
			if (r < 0)
				return r;
			checked = true;
			r = write_all(out_fd, head, head_len);
			if (r < 0)
				return img_fail(e, r, "layer: cannot write the object: %s", strerror(-r));
		}
		r = write_all(out_fd, buf + off, (size_t)n - off);
		if (r < 0)
			return img_fail(e, r, "layer: cannot write the object: %s", strerror(-r));
	}
	if (!checked)
		return check_object_head(head, head_len, what, e);
	return 0;
}

static int extract(struct archive *a, int out_fd, uint64_t max_size, char **ret_name,
		   struct img_err *e)
{
	_cleanup_free_ char *file = NULL;
	const char *name = NULL;
	struct archive_entry *en;
	int r;

	for (;;) {
		r = archive_read_next_header(a, &en);
		if (r == ARCHIVE_EOF)
			break;
		if (r < ARCHIVE_WARN)
			return corrupt(a, e);
		r = over_limit(a, max_size, e);
		if (r < 0)
			return r;
		r = check_name(archive_entry_pathname(en), &name, e);
		if (r < 0)
			return r;
		if (archive_entry_hardlink(en))
			return img_fail(e, -EINVAL, "layer: entry '%s' is a hard link (to '%s')",
					name, archive_entry_hardlink(en));
		if (archive_entry_filetype(en) == AE_IFDIR)
			continue;
		if (archive_entry_filetype(en) != AE_IFREG)
			return refuse_type(en, name, e);
		if (!*name)
			return img_fail(e, -EINVAL, "layer: a regular file entry has an empty name");
		if (file)
			return img_fail(e, -EINVAL,
					"layer: holds several files ('%s' and '%s'); a bytecode image "
					"has exactly one",
					file, name);
		if (archive_entry_size_is_set(en) && archive_entry_size(en) > 0 &&
		    (uint64_t)archive_entry_size(en) > max_size)
			return img_fail(e, -EFBIG,
					"layer entry '%s': %lld bytes, over the limit of %llu",
					name, (long long)archive_entry_size(en),
					(unsigned long long)max_size);
		file = strdup(name);
		if (!file)
			return -ENOMEM;
		r = copy_file(a, file, out_fd, max_size, e);
		if (r < 0)
			return r;
	}
	if (!file)
		return img_fail(e, -EINVAL, "layer: holds no file; a bytecode image has exactly one");
	*ret_name = TAKE_PTR(file);
	return 0;
}

int image_layer_extract(int layer_fd, int out_fd, uint64_t max_size, char **ret_name,
			struct img_err *e)
{
	off_t start = lseek(out_fd, 0, SEEK_CUR);
	char *name = NULL;
	struct archive *a;
	int r;

	if (max_size == 0)
		max_size = IMAGE_LAYER_MAX_DEFAULT;
	a = archive_read_new();
	if (!a)
		return -ENOMEM;
	if (archive_read_support_filter_gzip(a) != ARCHIVE_OK ||
	    archive_read_support_format_tar(a) != ARCHIVE_OK) {
		r = img_fail(e, -EOPNOTSUPP, "layer: libarchive lacks gzip or tar support: %s",
			     archive_error_string(a));
		goto out;
	}
	if (archive_read_open_fd(a, layer_fd, 64 * 1024) != ARCHIVE_OK) {
		r = corrupt(a, e);
		goto out;
	}
	r = extract(a, out_fd, max_size, &name, e);
out:
	archive_read_free(a);
	if (r < 0) {
		/* Nothing of a refused layer stays in the output. */
		if (start >= 0 && ftruncate(out_fd, start) == 0)
			(void)lseek(out_fd, start, SEEK_SET);
		return r;
	}
	*ret_name = name;
	return 0;
}
