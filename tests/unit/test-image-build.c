/* Unit tests for the image build's pieces: the reproducible layer (image-layer-write.c)
 * read back with libarchive and with the pull's extractor, the object byte-order check, the
 * architecture table and the label JSON (image-build*.c). */
#include <archive.h>
#include <archive_entry.h>
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "image-build.h"
#include "image-layer.h"
#include "test-util.h"

/* A file whose first bytes are an ELF header for a relocatable eBPF object. */
static int fake_object(const char *path, int order, unsigned machine, size_t size)
{
	/* the header is written whole, the file is cut to size (a short file for some tests) */
	unsigned char *b = calloc(1, size < 64 ? 64 : size);
	int fd;

	if (!b)
		return -1;
	memcpy(b, ELFMAG, SELFMAG);
	b[EI_CLASS] = ELFCLASS64;
	b[EI_DATA] = (unsigned char)order;
	b[EI_VERSION] = EV_CURRENT;
	if (order == ELFDATA2LSB) {
		b[16] = ET_REL;
		b[18] = machine & 0xff;
		b[19] = machine >> 8;
	} else {
		b[17] = ET_REL;
		b[19] = machine & 0xff;
		b[18] = machine >> 8;
	}
	for (size_t i = 64; i < size; i++) /* something that compresses, but not to nothing */
		b[i] = (unsigned char)(i * 7 % 251);
	fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0644);
	if (fd < 0 || write(fd, b, size) != (ssize_t)size) {
		free(b);
		return -1;
	}
	free(b);
	lseek(fd, 0, SEEK_SET);
	return fd;
}

static size_t fd_size(int fd)
{
	struct stat st;

	return fstat(fd, &st) ? 0 : (size_t)st.st_size;
}

static unsigned char *fd_bytes(int fd, size_t *len)
{
	size_t n = fd_size(fd);
	unsigned char *b = malloc(n ? n : 1);

	if (b && pread(fd, b, n, 0) != (ssize_t)n) {
		free(b);
		return NULL;
	}
	*len = n;
	return b;
}

static void test_layer(const char *dir)
{
	char path[512], *diff1 = NULL, *diff2 = NULL, *name = NULL;
	struct img_err e = { "" };
	size_t len1 = 0, len2 = 0, obj_len = 0;
	unsigned char *l1, *l2, *obj, md[32], tarbuf[65536 * 2];
	int ofd, lfd1, lfd2, xfd;

	snprintf(path, sizeof(path), "%s/prog.bpf.o", dir);
	ofd = fake_object(path, image_host_byte_order(), EM_BPF, 20000);
	CHECK(ofd >= 0);
	lfd1 = memfd_create("layer1", 0);
	lfd2 = memfd_create("layer2", 0);
	CHECK_EQ_INT(image_layer_create(ofd, "prog.bpf.o", lfd1, &diff1, &e), 0);
	CHECK_EQ_INT(image_layer_create(ofd, "prog.bpf.o", lfd2, &diff2, &e), 0);
	l1 = fd_bytes(lfd1, &len1);
	l2 = fd_bytes(lfd2, &len2);
	obj = fd_bytes(ofd, &obj_len);
	/* the same bytes twice: nothing of the time or the file's owner in it */
	CHECK(l1 && l2 && len1 == len2 && len1 > 18 && !memcmp(l1, l2, len1));
	CHECK_STREQ(diff1, diff2);
	free(diff2);
	diff2 = NULL;
	/* gzip: no FNAME flag, mtime 0 */
	CHECK(l1[0] == 0x1f && l1[1] == 0x8b && l1[3] == 0);
	CHECK(!l1[4] && !l1[5] && !l1[6] && !l1[7]);

	/* libarchive reads one entry with the object's bytes, owner 0:0, mode 0644, mtime 0;
	 * the diff_id is the sha256 of the uncompressed tar */
	{
		struct archive *a = archive_read_new();
		struct archive_entry *ent;
		unsigned char *data = malloc(obj_len + 1);
		char hex[72];
		la_ssize_t n;
		size_t tar_len = 0;
		struct archive *raw = archive_read_new();

		archive_read_support_filter_gzip(a);
		archive_read_support_format_tar(a);
		CHECK_EQ_INT(archive_read_open_memory(a, l1, len1), ARCHIVE_OK);
		CHECK_EQ_INT(archive_read_next_header(a, &ent), ARCHIVE_OK);
		CHECK_STREQ(archive_entry_pathname(ent), "prog.bpf.o");
		CHECK_EQ_INT(archive_entry_mode(ent), AE_IFREG | 0644);
		CHECK_EQ_INT(archive_entry_uid(ent), 0);
		CHECK_EQ_INT(archive_entry_gid(ent), 0);
		CHECK_EQ_INT(archive_entry_mtime(ent), 0);
		CHECK_EQ_INT(archive_entry_size(ent), obj_len);
		n = archive_read_data(a, data, obj_len + 1);
		CHECK_EQ_INT(n, obj_len);
		CHECK(!memcmp(data, obj, obj_len));
		CHECK_EQ_INT(archive_read_next_header(a, &ent), ARCHIVE_EOF);
		archive_read_free(a);
		free(data);

		archive_read_support_filter_gzip(raw);
		archive_read_support_format_raw(raw);
		CHECK_EQ_INT(archive_read_open_memory(raw, l1, len1), ARCHIVE_OK);
		CHECK_EQ_INT(archive_read_next_header(raw, &ent), ARCHIVE_OK);
		while ((n = archive_read_data(raw, tarbuf + tar_len, sizeof(tarbuf) - tar_len)) > 0)
			tar_len += (size_t)n;
		archive_read_free(raw);
		CHECK_EQ_INT(tar_len % 512, 0);
		EVP_Digest(tarbuf, tar_len, md, NULL, EVP_sha256(), NULL);
		strcpy(hex, "sha256:");
		for (int i = 0; i < 32; i++)
			sprintf(hex + 7 + 2 * i, "%02x", md[i]);
		CHECK_STREQ(diff1, hex);
	}

	/* the pull's extractor takes it (with its ELF checks) and gives the object back */
	xfd = memfd_create("extracted", 0);
	lseek(lfd1, 0, SEEK_SET);
	e.msg[0] = '\0';
	if (image_layer_extract(lfd1, xfd, 1 << 20, &name, &e) == 0) {
		size_t xl = 0;
		unsigned char *x = fd_bytes(xfd, &xl);

		CHECK_STREQ(name, "prog.bpf.o");
		CHECK(x && xl == obj_len && !memcmp(x, obj, obj_len));
		free(x);
	} else {
		fprintf(stderr, "image_layer_extract refused the layer: %s\n", e.msg);
		test_failures++;
	}

	/* names that cannot be a file at the layer's root */
	e.msg[0] = '\0';
	CHECK_EQ_INT(image_layer_create(ofd, "a/b.o", lfd1, &diff2, &e), -EINVAL);
	CHECK_EQ_INT(image_layer_create(ofd, "..", lfd1, &diff2, &e), -EINVAL);
	CHECK_EQ_INT(image_layer_create(ofd, "", lfd1, &diff2, &e), -EINVAL);

	free(name);
	free(l1);
	free(l2);
	free(obj);
	free(diff1);
	close(xfd);
	close(ofd);
	close(lfd1);
	close(lfd2);
	unlink(path);
}

static void test_byte_order(const char *dir)
{
	char path[512];
	struct img_err e = { "" };
	int fd, order = 0;

	snprintf(path, sizeof(path), "%s/le.o", dir);
	fd = fake_object(path, ELFDATA2LSB, EM_BPF, 128);
	close(fd);
	CHECK_EQ_INT(image_object_byte_order(path, &order, &e), 0);
	CHECK_EQ_INT(order, ELFDATA2LSB);

	snprintf(path, sizeof(path), "%s/be.o", dir);
	fd = fake_object(path, ELFDATA2MSB, EM_BPF, 128);
	close(fd);
	CHECK_EQ_INT(image_object_byte_order(path, &order, &e), 0);
	CHECK_EQ_INT(order, ELFDATA2MSB);

	snprintf(path, sizeof(path), "%s/x86.o", dir);
	fd = fake_object(path, ELFDATA2LSB, EM_X86_64, 128);
	close(fd);
	e.msg[0] = '\0';
	CHECK_EQ_INT(image_object_byte_order(path, &order, &e), -ENOEXEC);
	CHECK(strstr(e.msg, "is not an eBPF object"));

	snprintf(path, sizeof(path), "%s/short.o", dir);
	fd = fake_object(path, ELFDATA2LSB, EM_BPF, 10);
	close(fd);
	e.msg[0] = '\0';
	CHECK_EQ_INT(image_object_byte_order(path, &order, &e), -ENOEXEC);
	CHECK(strstr(e.msg, "not an ELF file"));

	snprintf(path, sizeof(path), "%s/missing.o", dir);
	e.msg[0] = '\0';
	CHECK_EQ_INT(image_object_byte_order(path, &order, &e), -ENOENT);
	CHECK(strstr(e.msg, "missing.o"));
}

static void test_tables(void)
{
	struct kv_list l = { 0 };
	char *s;

	CHECK_EQ_INT(image_arch_byte_order("amd64"), ELFDATA2LSB);
	CHECK_EQ_INT(image_arch_byte_order("arm64"), ELFDATA2LSB);
	CHECK_EQ_INT(image_arch_byte_order("s390x"), ELFDATA2MSB);
	CHECK_EQ_INT(image_arch_byte_order("ppc64"), ELFDATA2MSB);
	CHECK_EQ_INT(image_arch_byte_order("ppc64le"), ELFDATA2LSB);
	CHECK_EQ_INT(image_arch_byte_order("x86_64"), -EINVAL);
	CHECK_STREQ(image_map_type_name(6), "per_cpu_array");
	CHECK_STREQ(image_map_type_name(27), "ringbuf");
	CHECK_STREQ(image_map_type_name(1), "hash");
	CHECK_STREQ(image_map_type_name(9999), "unspec");

	s = image_labels_json(&l);
	CHECK_STREQ(s, "{}");
	free(s);
	kv_list_set(&l, "xdp_stats", "xdp");
	kv_list_set(&l, "a\"b", "tc");
	s = image_labels_json(&l);
	CHECK_STREQ(s, "{\"xdp_stats\":\"xdp\",\"a\\\"b\":\"tc\"}");
	free(s);
	kv_list_clear(&l);
}

int main(void)
{
	const char *tmp = getenv("TMPDIR");
	char dir[400];

	snprintf(dir, sizeof(dir), "%s/test-image-build.XXXXXX", tmp && *tmp ? tmp : "/tmp");
	if (!mkdtemp(dir))
		return 1;
	test_layer(dir);
	test_byte_order(dir);
	test_tables();
	{
		const char *names[] = { "le.o", "be.o", "x86.o", "short.o" };
		char p[600];

		for (size_t i = 0; i < 4; i++) {
			snprintf(p, sizeof(p), "%s/%s", dir, names[i]);
			unlink(p);
		}
	}
	rmdir(dir);
	return TEST_RESULT();
}
