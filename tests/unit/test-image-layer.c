/* image_layer_extract against layers written at test time with libarchive's write API: good
 * layers (gzip and plain tar, with directories) give the object byte for byte; every hostile
 * layer (.., absolute path, links, devices, FIFO, several files, none, a gzip bomb, non-ELF,
 * wrong ELF type/machine/class, big-endian, truncated gzip, not a tar) is refused with a
 * message naming the problem, and nothing of it is left in the output file. */
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <archive.h>
#include <archive_entry.h>

#include "image-layer.h"
#include "test-util.h"

#define CHECK_CONTAINS(hay, needle)                                                          \
	do {                                                                                 \
		if (!strstr((hay), (needle))) {                                              \
			fprintf(stderr, "%s:%d: '%s' does not contain '%s'\n", __FILE__,     \
				__LINE__, (hay), (needle));                                  \
			test_failures++;                                                     \
		}                                                                            \
	} while (0)

#ifndef EM_BPF
#define EM_BPF 247
#endif

static char scratch[] = "/tmp/test-image-layer-XXXXXX";
static char layer_path[256], out_path[256];

struct ent {
	const char *name;
	unsigned type; /* AE_IF* */
	const char *link; /* symlink target */
	const char *hardlink;
	const unsigned char *data;
	size_t len;
	uint64_t zeros; /* a file of this many zero bytes (bomb) */
};

enum fmt { TGZ, TAR };

static void write_layer(const struct ent *v, size_t n, enum fmt f)
{
	struct archive *a = archive_write_new();
	static unsigned char zero[1 << 20];

	archive_write_set_format_pax_restricted(a);
	if (f == TGZ)
		archive_write_add_filter_gzip(a);
	else
		archive_write_add_filter_none(a);
	if (archive_write_open_filename(a, layer_path) != ARCHIVE_OK) {
		fprintf(stderr, "open %s: %s\n", layer_path, archive_error_string(a));
		exit(1);
	}
	for (size_t i = 0; i < n; i++) {
		struct archive_entry *en = archive_entry_new();
		uint64_t size = v[i].zeros ? v[i].zeros : v[i].len;

		archive_entry_set_pathname(en, v[i].name);
		archive_entry_set_filetype(en, v[i].type);
		archive_entry_set_perm(en, v[i].type == AE_IFDIR ? 0755 : 0644);
		if (v[i].link)
			archive_entry_set_symlink(en, v[i].link);
		if (v[i].hardlink)
			archive_entry_set_hardlink(en, v[i].hardlink);
		if (v[i].type == AE_IFCHR || v[i].type == AE_IFBLK)
			archive_entry_set_rdev(en, makedev(1, 3));
		if (v[i].type == AE_IFREG && !v[i].hardlink)
			archive_entry_set_size(en, (la_int64_t)size);
		if (archive_write_header(a, en) != ARCHIVE_OK) {
			fprintf(stderr, "header %s: %s\n", v[i].name, archive_error_string(a));
			exit(1);
		}
		if (v[i].zeros) {
			for (uint64_t done = 0; done < v[i].zeros; done += sizeof(zero))
				archive_write_data(a, zero, sizeof(zero));
		} else if (v[i].len) {
			archive_write_data(a, v[i].data, v[i].len);
		}
		archive_entry_free(en);
	}
	archive_write_close(a);
	archive_write_free(a);
}

/* A minimal ELF64 header with the given fields, followed by pseudo-random bytes. */
static unsigned char *make_elf(size_t len, unsigned char data, unsigned char cls, uint16_t type,
			       uint16_t machine)
{
	unsigned char *p = malloc(len);
	Elf64_Ehdr eh = { 0 };
	unsigned x = 12345;

	for (size_t i = 0; i < len; i++) {
		x = x * 1103515245u + 12345u;
		p[i] = (unsigned char)(x >> 16);
	}
	memcpy(eh.e_ident, ELFMAG, SELFMAG);
	eh.e_ident[EI_CLASS] = cls;
	eh.e_ident[EI_DATA] = data;
	eh.e_ident[EI_VERSION] = EV_CURRENT;
	eh.e_type = type;
	eh.e_machine = machine;
	eh.e_version = EV_CURRENT;
	eh.e_ehsize = sizeof(eh);
	if (data == ELFDATA2MSB) {
		eh.e_type = __builtin_bswap16(type);
		eh.e_machine = __builtin_bswap16(machine);
	}
	memcpy(p, &eh, sizeof(eh));
	return p;
}

static off_t file_size(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 ? st.st_size : -1;
}

/* Extracts layer_path into a fresh out_path; returns the result, message in *e. */
static int run_extract(uint64_t max, char **name, struct img_err *e)
{
	int in = open(layer_path, O_RDONLY | O_CLOEXEC);
	int out = open(out_path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	int r;

	img_err_clear(e);
	*name = NULL;
	r = image_layer_extract(in, out, max, name, e);
	close(in);
	close(out);
	return r;
}

static void expect_refused(const char *what, int want_r, const char *want_msg, uint64_t max)
{
	struct img_err e;
	char *name;
	int r = run_extract(max, &name, &e);

	if (r != want_r)
		fprintf(stderr, "case '%s': got %d (%s), want %d\n", what, r, e.msg, want_r);
	CHECK_EQ_INT(r, want_r);
	CHECK_CONTAINS(e.msg, want_msg);
	CHECK(name == NULL);
	CHECK_EQ_INT(file_size(out_path), 0);
	free(name);
}

#define MAX (64ull << 20)

static void test_good(void)
{
	size_t len = 100000;
	unsigned char *obj = make_elf(len, ELFDATA2LSB, ELFCLASS64, ET_REL, EM_BPF);
	const struct ent v[] = {
		{ .name = "./", .type = AE_IFDIR },
		{ .name = "./bpf/", .type = AE_IFDIR },
		{ .name = "./bpf/xdp_counter.bpf.o", .type = AE_IFREG, .data = obj, .len = len },
	};
	const struct ent flat[] = {
		{ .name = "prog.o", .type = AE_IFREG, .data = obj, .len = len },
	};
	enum fmt fmts[] = { TGZ, TAR };

	for (size_t f = 0; f < 2; f++) {
		struct img_err e;
		char *name = NULL;
		unsigned char *got;
		int fd;

		write_layer(v, 3, fmts[f]);
		CHECK_EQ_INT(run_extract(MAX, &name, &e), 0);
		CHECK_STREQ(name, "bpf/xdp_counter.bpf.o");
		free(name);
		CHECK_EQ_INT(file_size(out_path), len);
		got = malloc(len);
		fd = open(out_path, O_RDONLY | O_CLOEXEC);
		CHECK_EQ_INT(read(fd, got, len), len);
		close(fd);
		CHECK(memcmp(got, obj, len) == 0);
		free(got);

		write_layer(flat, 1, fmts[f]);
		CHECK_EQ_INT(run_extract(MAX, &name, &e), 0);
		CHECK_STREQ(name, "prog.o");
		free(name);
		CHECK_EQ_INT(file_size(out_path), len);
	}

	/* A refused layer leaves what was in the output before it untouched. */
	{
		const struct ent two[] = {
			{ .name = "a.o", .type = AE_IFREG, .data = obj, .len = len },
			{ .name = "b.o", .type = AE_IFREG, .data = obj, .len = len },
		};
		struct img_err e;
		char *name = NULL;
		int in, out;

		write_layer(two, 2, TGZ);
		in = open(layer_path, O_RDONLY | O_CLOEXEC);
		out = open(out_path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
		CHECK_EQ_INT(write(out, "KEEP", 4), 4);
		img_err_clear(&e);
		CHECK_EQ_INT(image_layer_extract(in, out, MAX, &name, &e), -EINVAL);
		CHECK_EQ_INT(lseek(out, 0, SEEK_CUR), 4);
		close(in);
		close(out);
		CHECK_EQ_INT(file_size(out_path), 4);
	}
	free(obj);
}

static void test_hostile(void)
{
	size_t len = 4096;
	unsigned char *obj = make_elf(len, ELFDATA2LSB, ELFCLASS64, ET_REL, EM_BPF);
	unsigned char *be = make_elf(len, ELFDATA2MSB, ELFCLASS64, ET_REL, EM_BPF);
	unsigned char *exec = make_elf(len, ELFDATA2LSB, ELFCLASS64, ET_EXEC, EM_BPF);
	unsigned char *x86 = make_elf(len, ELFDATA2LSB, ELFCLASS64, ET_REL, EM_X86_64);
	unsigned char *c32 = make_elf(len, ELFDATA2LSB, ELFCLASS32, ET_REL, EM_BPF);
	static const unsigned char text[] = "#!/bin/sh\necho this is not an object\n";
	struct {
		const char *what;
		struct ent v[3];
		size_t n;
		int r;
		const char *msg;
	} cases[] = {
		{ "dotdot", { { .name = "../prog.o", .type = AE_IFREG, .data = obj, .len = len } },
		  1, -EINVAL, "'../prog.o' contains \"..\"" },
		{ "dotdot-inner",
		  { { .name = "a/../../prog.o", .type = AE_IFREG, .data = obj, .len = len } }, 1,
		  -EINVAL, "contains \"..\"" },
		{ "dotdot-dir", { { .name = "x/..", .type = AE_IFDIR } }, 1, -EINVAL,
		  "'x/../' contains" },
		{ "absolute",
		  { { .name = "/etc/prog.o", .type = AE_IFREG, .data = obj, .len = len } }, 1,
		  -EINVAL, "'/etc/prog.o' has an absolute path" },
		{ "symlink", { { .name = "prog.o", .type = AE_IFLNK, .link = "/etc/shadow" } }, 1,
		  -EINVAL, "'prog.o' is a symbolic link (to '/etc/shadow')" },
		{ "hardlink",
		  { { .name = "a.o", .type = AE_IFREG, .data = obj, .len = len },
		    { .name = "b.o", .type = AE_IFREG, .hardlink = "a.o" } },
		  2, -EINVAL, "'b.o' is a hard link (to 'a.o')" },
		{ "chardev", { { .name = "null", .type = AE_IFCHR } }, 1, -EINVAL,
		  "'null' is a character device" },
		{ "blockdev", { { .name = "sda", .type = AE_IFBLK } }, 1, -EINVAL,
		  "'sda' is a block device" },
		{ "fifo", { { .name = "pipe", .type = AE_IFIFO } }, 1, -EINVAL, "'pipe' is a FIFO" },
		{ "two files",
		  { { .name = "a.o", .type = AE_IFREG, .data = obj, .len = len },
		    { .name = "dir/", .type = AE_IFDIR },
		    { .name = "dir/b.o", .type = AE_IFREG, .data = obj, .len = len } },
		  3, -EINVAL, "several files ('a.o' and 'dir/b.o')" },
		{ "no file", { { .name = "dir/", .type = AE_IFDIR } }, 1, -EINVAL, "holds no file" },
		{ "empty", { { 0 } }, 0, -EINVAL, "holds no file" },
		{ "non-ELF",
		  { { .name = "run.sh", .type = AE_IFREG, .data = text, .len = sizeof(text) } }, 1,
		  -ENOEXEC, "'run.sh' is not an ELF object" },
		{ "empty file", { { .name = "e.o", .type = AE_IFREG, .len = 0 } }, 1, -ENOEXEC,
		  "'e.o' is not an ELF object" },
		{ "big-endian", { { .name = "be.o", .type = AE_IFREG, .data = be, .len = len } }, 1,
		  -EINVAL, "'be.o' is big-endian (ELFDATA2MSB) but this host is little-endian" },
		{ "ET_EXEC", { { .name = "x.o", .type = AE_IFREG, .data = exec, .len = len } }, 1,
		  -ENOEXEC, "not a relocatable object (ET_REL)" },
		{ "x86", { { .name = "x.o", .type = AE_IFREG, .data = x86, .len = len } }, 1,
		  -ENOEXEC, "ELF machine 62 is not eBPF" },
		{ "ELF32", { { .name = "x.o", .type = AE_IFREG, .data = c32, .len = len } }, 1,
		  -ENOEXEC, "not 64-bit" },
	};

#if __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
	fprintf(stderr, "the byte-order cases assume a little-endian host\n");
	exit(77);
#endif
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		write_layer(cases[i].v, cases[i].n, TGZ);
		expect_refused(cases[i].what, cases[i].r, cases[i].msg, MAX);
	}
	free(obj);
	free(be);
	free(exec);
	free(x86);
	free(c32);
}

/* 200 MiB of zeros (about 200 KiB gzipped) against a 64 MiB limit. */
static void test_bomb(void)
{
	const struct ent v[] = { { .name = "bomb.o", .type = AE_IFREG, .zeros = 200ull << 20 } };
	struct ent dirs[4000];
	char names[4000][16];

	write_layer(v, 1, TGZ);
	CHECK(file_size(layer_path) < (1 << 20));
	expect_refused("bomb", -EFBIG, "'bomb.o': 209715200 bytes, over the limit of 67108864",
		       MAX);
	/* 0 means the default limit, not "nothing". */
	expect_refused("bomb, default limit", -EFBIG, "over the limit of 67108864", 0);

	/* The whole stream is bounded too, not only the file: thousands of directory headers
	 * against a small limit. */
	for (size_t i = 0; i < 4000; i++) {
		snprintf(names[i], sizeof(names[i]), "d%zu/", i);
		dirs[i] = (struct ent){ .name = names[i], .type = AE_IFDIR };
	}
	write_layer(dirs, 4000, TGZ);
	expect_refused("headers", -EFBIG, "possible gzip bomb", 4096);
}

static void test_corrupt(void)
{
	size_t len = 300000;
	unsigned char *obj = make_elf(len, ELFDATA2LSB, ELFCLASS64, ET_REL, EM_BPF);
	const struct ent v[] = { { .name = "prog.o", .type = AE_IFREG, .data = obj, .len = len } };
	int fd;

	/* The pseudo-random payload does not compress: cutting the file in half cuts the
	 * object's data. */
	write_layer(v, 1, TGZ);
	CHECK_EQ_INT(truncate(layer_path, file_size(layer_path) / 2), 0);
	expect_refused("truncated gzip", -EBADMSG, "layer: not a valid tar(.gz) or truncated", MAX);

	fd = open(layer_path, O_WRONLY | O_TRUNC | O_CLOEXEC);
	CHECK_EQ_INT(write(fd, obj, len), (ssize_t)len); /* a bare object, no tar around it */
	close(fd);
	expect_refused("not a tar", -EBADMSG, "not a valid tar(.gz)", MAX);
	free(obj);
}

static void test_endian_api(void)
{
	unsigned char *le = make_elf(64, ELFDATA2LSB, ELFCLASS64, ET_REL, EM_BPF);
	unsigned char *be = make_elf(64, ELFDATA2MSB, ELFCLASS64, ET_REL, EM_BPF);
	struct img_err e = { { 0 } };

	CHECK_EQ_INT(image_object_check_endian(le, 64, &e), 0);
	CHECK_EQ_INT(image_object_check_endian(be, 64, &e), -EINVAL);
	CHECK_CONTAINS(e.msg, "big-endian (ELFDATA2MSB)");
	CHECK_CONTAINS(e.msg, "host is little-endian (ELFDATA2LSB)");
	img_err_clear(&e);
	CHECK_EQ_INT(image_object_check_endian("hello", 5, &e), -ENOEXEC);
	CHECK_CONTAINS(e.msg, "not an ELF object");
	le[EI_DATA] = 7;
	img_err_clear(&e);
	CHECK_EQ_INT(image_object_check_endian(le, 64, &e), -ENOEXEC);
	CHECK_CONTAINS(e.msg, "invalid ELF byte order field 7");
	free(le);
	free(be);
}

int main(void)
{
	if (!mkdtemp(scratch)) {
		perror("mkdtemp");
		return 1;
	}
	snprintf(layer_path, sizeof(layer_path), "%s/layer", scratch);
	snprintf(out_path, sizeof(out_path), "%s/out", scratch);
	test_good();
	test_hostile();
	test_bomb();
	test_corrupt();
	test_endian_api();
	unlink(layer_path);
	unlink(out_path);
	rmdir(scratch);
	return TEST_RESULT();
}
