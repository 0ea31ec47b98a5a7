/* uprobe targets: an absolute path, or a bare library name looked up the way the dynamic
 * loader finds it, in /etc/ld.so.cache.
 *
 * glibc offers no API for the cache and "ldconfig -p" would mean a fork+exec per lookup
 * (inside a container's mount namespace, of a binary that may not be there), so the file
 * is parsed here. Its layout is glibc's sysdeps/generic/dl-cache.h. The file is untrusted
 * input: every count and offset in it is checked against the bytes actually read. */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cleanup.h"
#include "probe-target.h"

#define LD_SO_CACHE "/etc/ld.so.cache"

/* Real caches are tens of KiB; anything this big is not one. */
#define LD_SO_CACHE_MAX ((size_t)64 << 20)

/* Sizes spelled out rather than taken from structs, so padding never matters.
 * Old format (glibc < 2.2, still written in front of the new one by some ldconfigs):
 *   char magic[11] "ld.so-1.7.0", 1 byte padding, uint32 nlibs,
 *   then nlibs * { int32 flags; uint32 key; uint32 value; }
 * New format, alone or 8-byte aligned after the old entries:
 *   char magic[20] "glibc-ld.so.cache1.1", uint32 nlibs, uint32 len_strings,
 *   uint8 flags, 3 bytes padding, uint32 extension_offset, uint32 unused[3],
 *   then nlibs * { int32 flags; uint32 key; uint32 value; uint32 osversion; uint64 hwcap; }
 * key (the soname) and value (the path) of a new entry are offsets from the start of the
 * new header, which is also the start of the file when there is no old block. */
#define OLD_MAGIC "ld.so-1.7.0"
#define OLD_HEADER_SIZE 16
#define OLD_NLIBS_OFFSET 12
#define OLD_ENTRY_SIZE 12

#define NEW_MAGIC "glibc-ld.so.cache1.1"
#define NEW_HEADER_SIZE 48
#define NEW_NLIBS_OFFSET 20
#define NEW_FLAGS_OFFSET 28
#define NEW_ALIGN 8
#define NEW_ENTRY_SIZE 24
#define ENTRY_FLAGS 0
#define ENTRY_KEY 4
#define ENTRY_VALUE 8
#define ENTRY_HWCAP 16

/* Header flags, bits 0-1: the byte order ldconfig wrote (0: not recorded, older glibc). */
#define CACHE_ENDIAN_MASK 0x3
#define CACHE_ENDIAN_LITTLE 0x2
#define CACHE_ENDIAN_BIG 0x3

/* Entry flags (glibc's ldconfig.h): low byte the library type, high byte the ABI. A
 * multiarch host lists libc.so.6 once per ABI (x86-64, x32, i386 on Debian), and only the
 * one our own processes load is a useful default. */
#define FLAG_TYPE_MASK 0x00ff
#define FLAG_ELF_LIBC6 0x0003
#if defined(__x86_64__) && defined(__ILP32__)
#define HOST_ABI_FLAGS (0x0800 | FLAG_ELF_LIBC6) /* FLAG_X8664_LIBX32 */
#elif defined(__x86_64__)
#define HOST_ABI_FLAGS (0x0300 | FLAG_ELF_LIBC6) /* FLAG_X8664_LIB64 */
#elif defined(__aarch64__) && defined(__LP64__)
#define HOST_ABI_FLAGS (0x0a00 | FLAG_ELF_LIBC6) /* FLAG_AARCH64_LIB64 */
#elif defined(__powerpc64__)
#define HOST_ABI_FLAGS (0x0500 | FLAG_ELF_LIBC6) /* FLAG_POWERPC_LIB64 */
#elif defined(__s390x__)
#define HOST_ABI_FLAGS (0x0400 | FLAG_ELF_LIBC6) /* FLAG_S390_LIB64 */
#elif defined(__arm__) && defined(__ARM_PCS_VFP)
#define HOST_ABI_FLAGS (0x0900 | FLAG_ELF_LIBC6) /* FLAG_ARM_LIBHF */
#elif defined(__i386__)
#define HOST_ABI_FLAGS FLAG_ELF_LIBC6
#else
/* An ABI we have no table entry for: accept any glibc library rather than none. */
#define HOST_ABI_ANY_LIBC6 1
#endif

struct ldcache {
	const uint8_t *data; /* the whole file */
	size_t size;
	size_t base; /* file offset of the new-format header: string offsets count from here */
	uint32_t nlibs;
};

static uint32_t get_u32(const uint8_t *p)
{
	uint32_t v;

	memcpy(&v, p, sizeof(v));
	return v;
}

static uint64_t get_u64(const uint8_t *p)
{
	uint64_t v;

	memcpy(&v, p, sizeof(v));
	return v;
}

/* Reads at most max bytes of a regular file; the cache is replaced atomically by ldconfig,
 * but a short read is still handled by trusting only what was read. */
static int read_whole_file(const char *path, size_t max, uint8_t **ret, size_t *ret_size)
{
	_cleanup_close_ int fd = -EBADF;
	_cleanup_free_ uint8_t *buf = NULL;
	struct stat st;
	size_t have = 0;

	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) < 0)
		return -errno;
	if (!S_ISREG(st.st_mode))
		return -EBADMSG;
	if (st.st_size < 0 || (uint64_t)st.st_size > max)
		return -EFBIG;

	/* +1 so that an empty file still gets a buffer */
	buf = malloc((size_t)st.st_size + 1);
	if (!buf)
		return -ENOMEM;
	while (have < (size_t)st.st_size) {
		ssize_t n = read(fd, buf + have, (size_t)st.st_size - have);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (n == 0)
			break;
		have += (size_t)n;
	}
	*ret = TAKE_PTR(buf);
	*ret_size = have;
	return 0;
}

/* Finds the new-format header, skipping an old-format block in front of it. A cache in
 * the old format alone (ldconfig -c old, long obsolete) is refused. */
static int ldcache_find_new_header(const uint8_t *data, size_t size, size_t *ret_base)
{
	size_t base;
	uint32_t old_nlibs;

	if (size >= strlen(NEW_MAGIC) && memcmp(data, NEW_MAGIC, strlen(NEW_MAGIC)) == 0) {
		*ret_base = 0;
		return 0;
	}
	if (size < OLD_HEADER_SIZE || memcmp(data, OLD_MAGIC, strlen(OLD_MAGIC)) != 0)
		return -EBADMSG;

	old_nlibs = get_u32(data + OLD_NLIBS_OFFSET);
	if (old_nlibs > (size - OLD_HEADER_SIZE) / OLD_ENTRY_SIZE)
		return -EBADMSG;
	/* cannot overflow: bounded by size above */
	base = OLD_HEADER_SIZE + (size_t)old_nlibs * OLD_ENTRY_SIZE;
	base = (base + NEW_ALIGN - 1) & ~(size_t)(NEW_ALIGN - 1);
	if (base > size || size - base < strlen(NEW_MAGIC) ||
	    memcmp(data + base, NEW_MAGIC, strlen(NEW_MAGIC)) != 0)
		return -EBADMSG;
	*ret_base = base;
	return 0;
}

/* A cache written on a host of the other byte order would give garbage offsets. */
static bool ldcache_endian_ok(uint8_t flags)
{
	switch (flags & CACHE_ENDIAN_MASK) {
	case 0:
		return true;
	case CACHE_ENDIAN_LITTLE:
		return __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__;
	case CACHE_ENDIAN_BIG:
		return __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__;
	default:
		return false;
	}
}

static int ldcache_parse(const uint8_t *data, size_t size, struct ldcache *ret)
{
	size_t base, avail;
	uint32_t nlibs;
	int r;

	r = ldcache_find_new_header(data, size, &base);
	if (r < 0)
		return r;
	avail = size - base;
	if (avail < NEW_HEADER_SIZE)
		return -EBADMSG;
	if (!ldcache_endian_ok(data[base + NEW_FLAGS_OFFSET]))
		return -EBADMSG;
	nlibs = get_u32(data + base + NEW_NLIBS_OFFSET);
	if (nlibs > (avail - NEW_HEADER_SIZE) / NEW_ENTRY_SIZE)
		return -EBADMSG;

	*ret = (struct ldcache){ .data = data, .size = size, .base = base, .nlibs = nlibs };
	return 0;
}

/* The NUL-terminated string at offset off of the string table, or NULL when off points
 * outside the file or the string runs off its end. */
static const char *ldcache_string(const struct ldcache *c, uint32_t off)
{
	size_t avail = c->size - c->base;
	const uint8_t *p;

	if (off >= avail)
		return NULL;
	p = c->data + c->base + off;
	if (!memchr(p, '\0', avail - off))
		return NULL;
	return (const char *)p;
}

static bool ldcache_abi_ok(int32_t flags)
{
#ifdef HOST_ABI_ANY_LIBC6
	return (flags & FLAG_TYPE_MASK) == FLAG_ELF_LIBC6;
#else
	return flags == HOST_ABI_FLAGS;
#endif
}

/* "libc" matches "libc.so" and "libc.so.<anything>"; any name matches itself exactly. */
static bool soname_matches(const char *soname, const char *name)
{
	size_t len = strlen(name);

	if (strcmp(soname, name) == 0)
		return true;
	if (strncmp(soname, name, len) != 0 || strncmp(soname + len, ".so", 3) != 0)
		return false;
	return soname[len + 3] == '\0' || soname[len + 3] == '.';
}

/* First matching entry in file order, which ldconfig sorts newest version first. Entries
 * with a hwcap are the optimised copies in glibc-hwcaps subdirectories that only some CPUs
 * load; the baseline library is preferred and those are only a fallback. */
static int ldcache_lookup(const struct ldcache *c, const char *name, const char **ret)
{
	const char *fallback = NULL;

	for (uint32_t i = 0; i < c->nlibs; i++) {
		const uint8_t *e = c->data + c->base + NEW_HEADER_SIZE + (size_t)i * NEW_ENTRY_SIZE;
		const char *soname, *path;

		if (!ldcache_abi_ok((int32_t)get_u32(e + ENTRY_FLAGS)))
			continue;
		soname = ldcache_string(c, get_u32(e + ENTRY_KEY));
		if (!soname || !soname_matches(soname, name))
			continue;
		path = ldcache_string(c, get_u32(e + ENTRY_VALUE));
		if (!path || path[0] != '/')
			continue;
		if (get_u64(e + ENTRY_HWCAP) == 0) {
			*ret = path;
			return 0;
		}
		if (!fallback)
			fallback = path;
	}
	if (!fallback)
		return -ENOENT;
	*ret = fallback;
	return 0;
}

static int resolve_library(const char *name, char **ret_path)
{
	_cleanup_free_ uint8_t *data = NULL;
	struct ldcache cache;
	const char *path;
	size_t size = 0;
	char *copy;
	int r;

	r = read_whole_file(LD_SO_CACHE, LD_SO_CACHE_MAX, &data, &size);
	if (r < 0)
		return r;
	r = ldcache_parse(data, size, &cache);
	if (r < 0)
		return r;
	r = ldcache_lookup(&cache, name, &path);
	if (r < 0)
		return r;
	/* path points into data, which goes away with this function */
	copy = strdup(path);
	if (!copy)
		return -ENOMEM;
	*ret_path = copy;
	return 0;
}

static int resolve_absolute(const char *path, char **ret_path)
{
	struct stat st;
	char *copy;

	if (stat(path, &st) < 0)
		return -errno;
	if (S_ISDIR(st.st_mode))
		return -EISDIR;
	copy = strdup(path);
	if (!copy)
		return -ENOMEM;
	*ret_path = copy;
	return 0;
}

int uprobe_resolve_target(const char *target, char **ret_path)
{
	if (!target || !*target || !ret_path)
		return -EINVAL;
	if (target[0] == '/')
		return resolve_absolute(target, ret_path);
	/* "lib/libfoo.so" would depend on the daemon's working directory */
	if (strchr(target, '/'))
		return -EINVAL;
	return resolve_library(target, ret_path);
}
