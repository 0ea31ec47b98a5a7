/* Unit tests for src/lib/attach: ld.so.cache lookups, ELF symbol -> file offset, tracepoint
 * name checks, and, as root, real perf events for tracepoints, kprobes and uprobes. The
 * probes' counters are read back after calling the probed function, which proves that the
 * fd is a live probe sitting on the right instruction, not merely an fd.
 *
 * Tests that change mounts (tracefs, a crafted /etc/ld.so.cache, a tmpfs only a "container"
 * sees) run in forked children inside their own private mount namespace: the host's mounts
 * are never touched. Without root those parts print "SKIP: ..." and pass. */
#include <dirent.h>
#include <dlfcn.h>
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <sched.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <linux/bpf.h>
#include <linux/perf_event.h>

#if __has_include(<valgrind/valgrind.h>)
#include <valgrind/valgrind.h>
#else
#define RUNNING_ON_VALGRIND 0
#endif

#include "probe-target.h"
#include "test-util.h"

#define PMU_DIR "/sys/bus/event_source/devices"

#define ELEMENTSOF_T(x) (sizeof(x) / sizeof((x)[0]))

/* Compares a 0-or-negative-errno result and names both errnos when they differ. */
#define CHECK_R(expr, expected)                                                      \
	do {                                                                         \
		int _r = (expr), _e = (expected);                                    \
		if (_r != _e) {                                                      \
			fprintf(stderr, "%s:%d: %s = %d (%s), expected %d (%s)\n",   \
				__FILE__, __LINE__, #expr, _r, errname(_r), _e,      \
				errname(_e));                                        \
			test_failures++;                                             \
		}                                                                    \
	} while (0)

#define SKIP(...)                             \
	do {                                  \
		printf("SKIP: " __VA_ARGS__); \
		printf("\n");                 \
	} while (0)

static const char *errname(int r)
{
	const char *n;

	if (r >= 0)
		return "ok";
	n = strerrorname_np(-r);
	return n ? n : "?";
}

/* The process's own libc (the one dladdr() says getpid lives in) and executable. */
static char *libc_path;
static char *exe_path;
static void *libc_handle;

/* A function of this executable: it sits in .symtab (not .dynsym), and a uprobe on it
 * touches no other process on the host. noipa: calls must reach this very symbol, not an
 * inlined copy or a constprop clone. inside() runs before it returns, which is where an
 * entry probe has fired and a return probe not yet. */
int bpfman_probe_target_test_fn(void (*inside)(void));
__attribute__((noipa)) int bpfman_probe_target_test_fn(void (*inside)(void))
{
	if (inside)
		inside();
	return 1;
}

static void *libc_sym(const char *name)
{
	return libc_handle ? dlsym(libc_handle, name) : NULL;
}

static bool same_file(const char *a, const char *b)
{
	struct stat sa, sb;

	return stat(a, &sa) == 0 && stat(b, &sb) == 0 && sa.st_dev == sb.st_dev &&
	       sa.st_ino == sb.st_ino;
}

static bool ends_with(const char *s, const char *suffix)
{
	size_t ls = strlen(s), lx = strlen(suffix);

	return ls >= lx && strcmp(s + ls - lx, suffix) == 0;
}

static int count_open_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *de;
	int n = 0;

	if (!d)
		return -1;
	while ((de = readdir(d)))
		if (de->d_name[0] != '.')
			n++;
	closedir(d);
	return n - 1; /* the directory's own fd */
}

static int write_file(const char *path, const void *data, size_t len)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	bool ok;

	if (fd < 0)
		return -errno;
	ok = write(fd, data, len) == (ssize_t)len;
	close(fd);
	return ok ? 0 : -EIO;
}

static int copy_file(const char *from, const char *to)
{
	char buf[65536];
	int in, out, r = 0;
	ssize_t n;

	in = open(from, O_RDONLY | O_CLOEXEC);
	if (in < 0)
		return -errno;
	out = open(to, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0700);
	if (out < 0) {
		close(in);
		return -errno;
	}
	while ((n = read(in, buf, sizeof(buf))) > 0)
		if (write(out, buf, (size_t)n) != n) {
			r = -EIO;
			break;
		}
	if (n < 0)
		r = -errno;
	close(in);
	close(out);
	return r;
}

/* Runs fn in a forked child and adds the child's failures to ours. */
static void run_in_child(const char *what, void (*fn)(void))
{
	int status;
	pid_t pid;

	fflush(NULL); /* or buffered output would be printed twice */
	pid = fork();
	if (pid < 0) {
		fprintf(stderr, "%s:%d: fork: %m\n", __FILE__, __LINE__);
		test_failures++;
		return;
	}
	if (pid == 0) {
		test_failures = 0;
		fn();
		fflush(NULL);
		_exit(test_failures > 100 ? 100 : test_failures);
	}
	if (waitpid(pid, &status, 0) < 0 || !WIFEXITED(status)) {
		fprintf(stderr, "%s:%d: %s: child crashed\n", __FILE__, __LINE__, what);
		test_failures++;
		return;
	}
	test_failures += WEXITSTATUS(status);
}

/* A mount namespace of our own whose changes do not propagate back to the host.
 * ("none" as the ignored fs type of propagation changes and bind mounts: valgrind
 * insists on a readable string.) */
static int enter_private_mount_ns(void)
{
	if (unshare(CLONE_NEWNS) < 0)
		return -errno;
	if (mount("none", "/", "none", MS_REC | MS_PRIVATE, NULL) < 0)
		return -errno;
	return 0;
}

/* ---- uprobe_resolve_target ---- */

static void test_resolve_target(void)
{
	char *p = NULL, *q = NULL;

	CHECK_R(uprobe_resolve_target("libc", &p), 0);
	if (p) {
		CHECK(p[0] == '/');
		CHECK(ends_with(p, "/libc.so.6"));
		CHECK(access(p, R_OK) == 0);
		/* the very file the dynamic loader mapped into this process, not the
		 * x32 or i386 libc that a multiarch cache lists too */
		CHECK(same_file(p, libc_path));
	}
	CHECK_R(uprobe_resolve_target("libc.so.6", &q), 0);
	if (p && q)
		CHECK_STREQ(q, p);
	free(q);
	q = NULL;

	CHECK_R(uprobe_resolve_target("libdoesnotexist-bpfman", &q), -ENOENT);
	CHECK_R(uprobe_resolve_target("libc.so.6.99", &q), -ENOENT);
	CHECK_R(uprobe_resolve_target("libc.s", &q), -ENOENT);
	CHECK_R(uprobe_resolve_target("lib/libc.so.6", &q), -EINVAL);
	CHECK_R(uprobe_resolve_target("./libc", &q), -EINVAL);
	CHECK_R(uprobe_resolve_target("../libc.so.6", &q), -EINVAL);
	CHECK_R(uprobe_resolve_target("", &q), -EINVAL);
	CHECK_R(uprobe_resolve_target(NULL, &q), -EINVAL);
	CHECK_R(uprobe_resolve_target("libc", NULL), -EINVAL);
	CHECK(q == NULL);

	/* an absolute path is returned as is, once it is known to exist */
	CHECK_R(uprobe_resolve_target(libc_path, &q), 0);
	if (q)
		CHECK_STREQ(q, libc_path);
	free(q);
	q = NULL;
	CHECK_R(uprobe_resolve_target("/nonexistent-bpfman/libx.so", &q), -ENOENT);
	CHECK_R(uprobe_resolve_target("/", &q), -EISDIR);
	CHECK(q == NULL);
	free(p);
}

/* ---- elf_function_offset ---- */

/* The bytes at the computed file offset must be the function's code as mapped in memory:
 * that proves the st_value -> p_offset translation, not just a plausible number. */
static void check_function_bytes(const char *path, const char *fn, const void *addr, int line)
{
	uint8_t file_bytes[16];
	uint64_t off = 0;
	int fd, r;

	if (!addr) {
		fprintf(stderr, "%s:%d: no address for %s\n", __FILE__, line, fn);
		test_failures++;
		return;
	}
	r = elf_function_offset(path, fn, &off);
	if (r < 0 || off == 0) {
		fprintf(stderr, "%s:%d: elf_function_offset(%s, %s) = %d (%s), offset %#llx\n",
			__FILE__, line, path, fn, r, errname(r), (unsigned long long)off);
		test_failures++;
		return;
	}
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || pread(fd, file_bytes, sizeof(file_bytes), (off_t)off) !=
			      (ssize_t)sizeof(file_bytes) ||
	    memcmp(file_bytes, addr, sizeof(file_bytes)) != 0) {
		fprintf(stderr, "%s:%d: %s at file offset %#llx of %s differs from memory\n",
			__FILE__, line, fn, (unsigned long long)off, path);
		test_failures++;
	}
	if (fd >= 0)
		close(fd);
}
#define CHECK_FUNCTION_BYTES(path, fn, addr) check_function_bytes(path, fn, addr, __LINE__)

/* A small ELF64 object written by hand. Its text segment is loaded at another address
 * than its file offset (file 0x1000 -> vaddr 0x5000): in libc and in this PIE the two are
 * equal, so only here would a translation that forgot p_vaddr or p_offset show. */
#define T_TEXT_OFF 0x1000
#define T_TEXT_ADDR 0x5000
#define T_TEXT_FILESZ 0x100
#define T_TEXT_MEMSZ 0x200

struct t_sym {
	const char *name;
	unsigned char bind, type;
	bool defined;
	uint64_t value;
};

static const struct t_sym t_symtab[] = {
	{ "local_fn", STB_LOCAL, STT_FUNC, true, 0x5010 },
	{ "dup", STB_LOCAL, STT_FUNC, true, 0x5020 },
	{ "both", STB_GLOBAL, STT_FUNC, true, 0x5030 },
	{ "dup", STB_GLOBAL, STT_FUNC, true, 0x5040 },
	{ "data", STB_GLOBAL, STT_OBJECT, true, 0x5050 },
	{ "undef", STB_GLOBAL, STT_FUNC, false, 0 },
	{ "bss_fn", STB_GLOBAL, STT_FUNC, true, 0x5180 }, /* past p_filesz */
	{ "ifunc", STB_GLOBAL, STT_GNU_IFUNC, true, 0x5060 },
	{ "zero", STB_GLOBAL, STT_FUNC, true, 0 },
	{ "weak_fn", STB_WEAK, STT_FUNC, true, 0x5090 },
};

static const struct t_sym t_dynsym[] = {
	{ "both", STB_GLOBAL, STT_FUNC, true, 0x5070 }, /* .symtab wins */
	{ "dyn_only", STB_GLOBAL, STT_FUNC, true, 0x5080 },
};

static size_t t_add_str(uint8_t *tab, size_t *len, const char *str)
{
	size_t off = *len;

	strcpy((char *)tab + off, str);
	*len += strlen(str) + 1;
	return off;
}

/* Writes n symbols (after the null one) and their string table at *pos. */
static void t_put_symbols(uint8_t *buf, size_t *pos, const struct t_sym *syms, size_t n,
			  size_t *ret_sym_off, size_t *ret_str_off, size_t *ret_str_len)
{
	uint8_t strtab[256] = { 0 };
	size_t str_len = 1;

	*ret_sym_off = *pos;
	*pos += sizeof(Elf64_Sym); /* index 0: the null symbol, already zero */
	for (size_t i = 0; i < n; i++) {
		Elf64_Sym sym = {
			.st_name = (Elf64_Word)t_add_str(strtab, &str_len, syms[i].name),
			.st_info = ELF64_ST_INFO(syms[i].bind, syms[i].type),
			.st_shndx = syms[i].defined ? 1 : SHN_UNDEF,
			.st_value = syms[i].value,
			.st_size = 8,
		};

		memcpy(buf + *pos, &sym, sizeof(sym));
		*pos += sizeof(sym);
	}
	*ret_str_off = *pos;
	*ret_str_len = str_len;
	memcpy(buf + *pos, strtab, str_len);
	*pos += (str_len + 7) & ~(size_t)7;
}

static size_t build_test_elf(uint8_t *buf, bool with_phdrs)
{
	Elf64_Ehdr eh = {
		.e_ident = { ELFMAG0, ELFMAG1, ELFMAG2, ELFMAG3, ELFCLASS64,
			     __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__ ? ELFDATA2LSB : ELFDATA2MSB,
			     EV_CURRENT },
		.e_type = with_phdrs ? ET_DYN : ET_REL,
		.e_machine = EM_X86_64,
		.e_version = EV_CURRENT,
		.e_ehsize = sizeof(Elf64_Ehdr),
		.e_phentsize = sizeof(Elf64_Phdr),
		.e_shentsize = sizeof(Elf64_Shdr),
	};
	Elf64_Phdr ph[2] = {
		{ .p_type = PT_LOAD, .p_flags = PF_R, .p_offset = 0, .p_vaddr = 0,
		  .p_filesz = T_TEXT_OFF, .p_memsz = T_TEXT_OFF, .p_align = 0x1000 },
		{ .p_type = PT_LOAD, .p_flags = PF_R | PF_X, .p_offset = T_TEXT_OFF,
		  .p_vaddr = T_TEXT_ADDR, .p_filesz = T_TEXT_FILESZ, .p_memsz = T_TEXT_MEMSZ,
		  .p_align = 0x1000 },
	};
	uint8_t shstr[128] = { 0 };
	size_t shstr_len = 1, pos = T_TEXT_OFF + T_TEXT_FILESZ;
	size_t sym_off, str_off, str_len, dsym_off, dstr_off, dstr_len, shstr_off;
	Elf64_Shdr sh[7] = { { 0 } };

	memset(buf + T_TEXT_OFF, 0x90, T_TEXT_FILESZ);
	t_put_symbols(buf, &pos, t_symtab, ELEMENTSOF_T(t_symtab), &sym_off, &str_off, &str_len);
	t_put_symbols(buf, &pos, t_dynsym, ELEMENTSOF_T(t_dynsym), &dsym_off, &dstr_off,
		      &dstr_len);

	sh[1] = (Elf64_Shdr){ .sh_name = (Elf64_Word)t_add_str(shstr, &shstr_len, ".text"),
			      .sh_type = SHT_PROGBITS, .sh_flags = SHF_ALLOC | SHF_EXECINSTR,
			      .sh_addr = T_TEXT_ADDR, .sh_offset = T_TEXT_OFF,
			      .sh_size = T_TEXT_FILESZ, .sh_addralign = 16 };
	sh[2] = (Elf64_Shdr){ .sh_name = (Elf64_Word)t_add_str(shstr, &shstr_len, ".symtab"),
			      .sh_type = SHT_SYMTAB, .sh_offset = sym_off,
			      .sh_size = (ELEMENTSOF_T(t_symtab) + 1) * sizeof(Elf64_Sym),
			      .sh_link = 3, .sh_info = 3, .sh_addralign = 8,
			      .sh_entsize = sizeof(Elf64_Sym) };
	sh[3] = (Elf64_Shdr){ .sh_name = (Elf64_Word)t_add_str(shstr, &shstr_len, ".strtab"),
			      .sh_type = SHT_STRTAB, .sh_offset = str_off, .sh_size = str_len,
			      .sh_addralign = 1 };
	sh[4] = (Elf64_Shdr){ .sh_name = (Elf64_Word)t_add_str(shstr, &shstr_len, ".dynsym"),
			      .sh_type = SHT_DYNSYM, .sh_flags = SHF_ALLOC, .sh_offset = dsym_off,
			      .sh_size = (ELEMENTSOF_T(t_dynsym) + 1) * sizeof(Elf64_Sym),
			      .sh_link = 5, .sh_info = 1, .sh_addralign = 8,
			      .sh_entsize = sizeof(Elf64_Sym) };
	sh[5] = (Elf64_Shdr){ .sh_name = (Elf64_Word)t_add_str(shstr, &shstr_len, ".dynstr"),
			      .sh_type = SHT_STRTAB, .sh_flags = SHF_ALLOC, .sh_offset = dstr_off,
			      .sh_size = dstr_len, .sh_addralign = 1 };
	sh[6] = (Elf64_Shdr){ .sh_name = (Elf64_Word)t_add_str(shstr, &shstr_len, ".shstrtab"),
			      .sh_type = SHT_STRTAB, .sh_addralign = 1 };
	shstr_off = pos;
	sh[6].sh_offset = shstr_off;
	sh[6].sh_size = shstr_len;
	memcpy(buf + pos, shstr, shstr_len);
	pos += (shstr_len + 7) & ~(size_t)7;

	eh.e_shoff = pos;
	eh.e_shnum = ELEMENTSOF_T(sh);
	eh.e_shstrndx = 6;
	memcpy(buf + pos, sh, sizeof(sh));
	pos += sizeof(sh);
	if (with_phdrs) {
		eh.e_phoff = sizeof(eh);
		eh.e_phnum = ELEMENTSOF_T(ph);
		memcpy(buf + sizeof(eh), ph, sizeof(ph));
	}
	memcpy(buf, &eh, sizeof(eh));
	return pos;
}

static void check_offset(const char *path, const char *fn, int expected_r, uint64_t expected,
			 int line)
{
	uint64_t off = 0;
	int r = elf_function_offset(path, fn, &off);

	if (r != expected_r || (r == 0 && off != expected)) {
		fprintf(stderr, "%s:%d: elf_function_offset(\"%s\") = %d (%s) offset %#llx, "
				"expected %d (%s) offset %#llx\n",
			__FILE__, line, fn, r, errname(r), (unsigned long long)off, expected_r,
			errname(expected_r), (unsigned long long)expected);
		test_failures++;
	}
}
#define CHECK_OFFSET(path, fn, r, off) check_offset(path, fn, r, off, __LINE__)

/* Byte flips in the crafted ELF: libelf and our checks must return, not crash. */
static void fuzz_elf(const char *tmp, const uint8_t *orig, size_t len, int rounds)
{
	static uint8_t buf[0x2000];
	uint32_t state = 0x9e3779b9;

	for (int i = 0; i < rounds; i++) {
		uint64_t off;
		int r;

		memcpy(buf, orig, len);
		for (int k = 0; k < 4; k++) {
			state ^= state << 13;
			state ^= state >> 17;
			state ^= state << 5;
			buf[state % len] = (uint8_t)(state >> 8);
		}
		if (write_file(tmp, buf, len) < 0)
			return;
		r = elf_function_offset(tmp, (i & 1) ? "dyn_only" : "dup", &off);
		if (r > 0) {
			fprintf(stderr, "%s:%d: fuzz round %d: %d\n", __FILE__, __LINE__, i, r);
			test_failures++;
		}
	}
}

static void test_crafted_elf(const char *tmp)
{
	static uint8_t buf[0x2000];
	size_t len;

	len = build_test_elf(memset(buf, 0, sizeof(buf)), true);
	CHECK_R(write_file(tmp, buf, len), 0);
	CHECK_OFFSET(tmp, "local_fn", 0, 0x1010);
	CHECK_OFFSET(tmp, "dup", 0, 0x1040); /* the global one, though the local comes first */
	CHECK_OFFSET(tmp, "both", 0, 0x1030); /* .symtab before .dynsym */
	CHECK_OFFSET(tmp, "weak_fn", 0, 0x1090);
	CHECK_OFFSET(tmp, "ifunc", 0, 0x1060);
	CHECK_OFFSET(tmp, "dyn_only", 0, 0x1080);
	CHECK_OFFSET(tmp, "data", -ENOENT, 0);
	CHECK_OFFSET(tmp, "undef", -ENOENT, 0);
	CHECK_OFFSET(tmp, "zero", -ENOENT, 0);
	CHECK_OFFSET(tmp, "nothing", -ENOENT, 0);
	CHECK_OFFSET(tmp, "bss_fn", -EBADMSG, 0); /* in p_memsz, not in the file */
	fuzz_elf(tmp, buf, len, RUNNING_ON_VALGRIND ? 200 : 2000);
	CHECK_R(write_file(tmp, buf, len), 0);

	/* section headers cut off: whatever libelf makes of it, no crash and no success */
	CHECK_R(write_file(tmp, buf, len - sizeof(Elf64_Shdr) * 3), 0);
	CHECK(elf_function_offset(tmp, "dyn_only", &(uint64_t){ 0 }) < 0);

	/* a relocatable object has no segments to translate through */
	len = build_test_elf(memset(buf, 0, sizeof(buf)), false);
	CHECK_R(write_file(tmp, buf, len), 0);
	CHECK_OFFSET(tmp, "local_fn", -ENOEXEC, 0);
}

static void test_elf_offset(void)
{
	static const char junk[] = "this is a text file and not an ELF object, whatever it says\n";
	char tmp[] = "/tmp/bpfman-test-probe-target-XXXXXX";
	uint8_t header[64];
	uint64_t off = 0;
	int fd;

	/* .dynsym of the (stripped) libc; getpid etc. are not IFUNCs, whose dlsym() address
	 * would be the selected implementation rather than the symbol */
	CHECK_FUNCTION_BYTES(libc_path, "getpid", libc_sym("getpid"));
	CHECK_FUNCTION_BYTES(libc_path, "malloc", libc_sym("malloc"));
	CHECK_FUNCTION_BYTES(libc_path, "free", libc_sym("free"));
	CHECK_FUNCTION_BYTES(libc_path, "socketpair", libc_sym("socketpair"));
	/* .symtab of this PIE */
	CHECK_FUNCTION_BYTES(exe_path, "bpfman_probe_target_test_fn",
			     (const void *)bpfman_probe_target_test_fn);

	CHECK_R(elf_function_offset(libc_path, "no_such_function_bpfman", &off), -ENOENT);
	/* stdout is an STT_OBJECT: a data symbol is not a probe point */
	CHECK_R(elf_function_offset(libc_path, "stdout", &off), -ENOENT);
	CHECK_R(elf_function_offset(libc_path, "", &off), -EINVAL);
	CHECK_R(elf_function_offset("/nonexistent-bpfman/x", "getpid", &off), -ENOENT);
	CHECK_R(elf_function_offset("/", "getpid", &off), -EISDIR);

	fd = mkstemp(tmp);
	CHECK(fd >= 0);
	if (fd < 0)
		return;
	close(fd);
	CHECK_R(write_file(tmp, junk, sizeof(junk) - 1), 0);
	CHECK_R(elf_function_offset(tmp, "getpid", &off), -ENOEXEC);
	CHECK_R(write_file(tmp, "", 0), 0);
	CHECK_R(elf_function_offset(tmp, "getpid", &off), -ENOEXEC);

	/* an ELF header whose program and section headers lie beyond the end of the file */
	fd = open(libc_path, O_RDONLY | O_CLOEXEC);
	CHECK(fd >= 0 && read(fd, header, sizeof(header)) == (ssize_t)sizeof(header));
	if (fd >= 0)
		close(fd);
	CHECK_R(write_file(tmp, header, sizeof(header)), 0);
	CHECK(elf_function_offset(tmp, "getpid", &off) < 0);

	test_crafted_elf(tmp);
	unlink(tmp);
}

/* ---- argument checks, no root needed ---- */

static void test_tracepoint_names(void)
{
	static const char *const bad[] = {
		"",
		"syscalls",
		"syscalls/",
		"/sys_enter_getpid",
		"syscalls/sys_enter_getpid/id",
		"syscalls//sys_enter_getpid",
		"../syscalls/sys_enter_getpid",
		"syscalls/..",
		"../..",
		"./sys_enter_getpid",
		"syscalls/.",
		"syscalls/sys enter",
		"syscalls/sys_enter_getpid\n",
		"sys*/sys_enter_getpid",
		"syscalls/sys_enter_getpid;",
	};
	int fd = -1;

	for (size_t i = 0; i < ELEMENTSOF_T(bad); i++) {
		int r = perf_open_tracepoint(bad[i], &fd);

		if (r != -EINVAL) {
			fprintf(stderr, "%s:%d: perf_open_tracepoint(\"%s\") = %d (%s), expected EINVAL\n",
				__FILE__, __LINE__, bad[i], r, errname(r));
			test_failures++;
		}
	}
	CHECK_R(perf_open_tracepoint(NULL, &fd), -EINVAL);
	CHECK_R(perf_open_tracepoint("syscalls/sys_enter_getpid", NULL), -EINVAL);
	CHECK(fd == -1);
}

static void test_argument_checks(void)
{
	struct uprobe_spec spec = { .target = "libc", .fn = "getpid" };
	int fd = -1;

	CHECK_R(perf_open_kprobe(NULL, 0, false, &fd), -EINVAL);
	CHECK_R(perf_open_kprobe("", 0, false, &fd), -EINVAL);
	CHECK_R(perf_open_kprobe("vfs_read", 0, false, NULL), -EINVAL);

	CHECK_R(perf_open_uprobe(NULL, &fd), -EINVAL);
	CHECK_R(perf_open_uprobe(&spec, NULL), -EINVAL);
	spec.target = NULL;
	CHECK_R(perf_open_uprobe(&spec, &fd), -EINVAL);
	spec.target = "libc";
	spec.fn = "";
	CHECK_R(perf_open_uprobe(&spec, &fd), -EINVAL);
	spec.fn = "getpid";
	spec.pid = -1;
	CHECK_R(perf_open_uprobe(&spec, &fd), -EINVAL);
	spec.pid = 0;
	spec.container_pid = -1;
	CHECK_R(perf_open_uprobe(&spec, &fd), -EINVAL);
	spec.container_pid = 0;

	/* these get past the PMU lookup to the target: sysfs is world-readable */
	if (access(PMU_DIR "/uprobe", F_OK) == 0) {
		spec.target = "lib/libc.so.6";
		CHECK_R(perf_open_uprobe(&spec, &fd), -EINVAL);
		spec.target = "libdoesnotexist-bpfman";
		CHECK_R(perf_open_uprobe(&spec, &fd), -ENOENT);
		spec.target = libc_path;
		spec.fn = "no_such_function_bpfman";
		CHECK_R(perf_open_uprobe(&spec, &fd), -ENOENT);
	}
	CHECK(fd == -1);
}

/* ---- live perf events (root) ---- */

static void trigger_test_fn(void)
{
	int (*volatile fp)(void (*)(void)) = bpfman_probe_target_test_fn;

	fp(NULL);
}

static void trigger_libc_getpid(void)
{
	pid_t (*volatile fp)(void) = (pid_t(*)(void))libc_sym("getpid");

	if (fp)
		fp();
}

static void trigger_sys_getpid(void)
{
	syscall(SYS_getpid);
}

/* An fd that only a perf event would accept PERF_EVENT_IOC_ID on, with O_CLOEXEC set. */
static void check_perf_fd(int fd, int line)
{
	uint64_t id = 0;
	int flags = fcntl(fd, F_GETFD);

	if (flags < 0 || !(flags & FD_CLOEXEC) || ioctl(fd, PERF_EVENT_IOC_ID, &id) < 0) {
		fprintf(stderr, "%s:%d: fd %d is not a perf event with FD_CLOEXEC (flags %d): %m\n",
			__FILE__, line, fd, flags);
		test_failures++;
	}
}
#define CHECK_PERF_FD(fd) check_perf_fd(fd, __LINE__)

static uint64_t read_counter(int fd)
{
	uint64_t v = 0;

	if (read(fd, &v, sizeof(v)) != (ssize_t)sizeof(v))
		return UINT64_MAX;
	return v;
}

/* Calls trigger and expects the probe's counter to go up at least as often. An event with
 * no pid filter is bound to cpu 0, so it only counts while we run there. Under valgrind the
 * client's code is JIT-translated from memory, where it would find the uprobe's int3 and
 * deliver itself a SIGTRAP: the call is skipped there. */
static void check_hits(int fd, void (*trigger)(void), bool on_cpu0, bool is_uprobe, int line)
{
	const int calls = 5;
	cpu_set_t saved, cpu0;
	uint64_t before, after;

	if (is_uprobe && RUNNING_ON_VALGRIND) {
		SKIP("%s:%d: uprobe hit count under valgrind", __FILE__, line);
		return;
	}
	if (on_cpu0) {
		CPU_ZERO(&cpu0);
		CPU_SET(0, &cpu0);
		if (sched_getaffinity(0, sizeof(saved), &saved) < 0 ||
		    sched_setaffinity(0, sizeof(cpu0), &cpu0) < 0) {
			SKIP("%s:%d: cannot run on cpu 0 to count hits", __FILE__, line);
			return;
		}
	}
	before = read_counter(fd);
	for (int i = 0; i < calls; i++)
		trigger();
	after = read_counter(fd);
	if (on_cpu0)
		sched_setaffinity(0, sizeof(saved), &saved);

	if (before == UINT64_MAX || after == UINT64_MAX || after - before < (uint64_t)calls) {
		fprintf(stderr, "%s:%d: probe counted %llu -> %llu over %d calls\n", __FILE__, line,
			(unsigned long long)before, (unsigned long long)after, calls);
		test_failures++;
	}
}

/* ---- hits of a tracepoint event, counted by a BPF program of ours ----
 *
 * A tracepoint's perf counter cannot prove that the event fires: all perf events and BPF
 * programs on one tracepoint hang off one kernel event, and when any BPF program attached
 * there by anyone on the host (bpfman's own tests and examples attach counters that return
 * 0 to syscalls/sys_enter_getpid) returns 0, the kernel drops the event for every perf
 * listener of that tracepoint and the counter stays put. Every attached BPF program runs regardless, and
 * running one is what bpfman opens this fd for. So the hits are counted by a program linked
 * to the fd as src/lib/attach links it (BPF_LINK_CREATE, BPF_PERF_EVENT), which counts only
 * this process's calls and returns 1, so that it drops nobody else's events either. */

#define INSN(c, d, s, o, i) ((struct bpf_insn){ .code = (c), .dst_reg = (d), .src_reg = (s), \
						.off = (o), .imm = (i) })
#define LD_IMM64(d, src, v) INSN(BPF_LD | BPF_DW | BPF_IMM, d, src, 0, (int32_t)(uint32_t)(v)), \
			    INSN(0, 0, 0, 0, (int32_t)(uint32_t)((uint64_t)(v) >> 32))

struct tp_counter {
	int map_fd, prog_fd, link_fd;
};

/* Loads the counter for this process (tgid as seen in its own pid namespace: the program's
 * plain bpf_get_current_pid_tgid() would give the initial namespace's) and links it to the
 * tracepoint event perf_fd. 0 or a negative errno. */
static int tp_counter_attach(struct tp_counter *c, int perf_fd)
{
	struct stat ns;
	int e;

	*c = (struct tp_counter){ -1, -1, -1 };
	if (stat("/proc/self/ns/pid", &ns) < 0)
		return -errno;
	c->map_fd = bpf_map_create(BPF_MAP_TYPE_ARRAY, "tp_hits", sizeof(uint32_t),
				   sizeof(uint64_t), 1, NULL);
	if (c->map_fd < 0)
		return -errno;

	const struct bpf_insn prog[] = {
		/* struct bpf_pidns_info at fp-8: { pid, tgid } */
		LD_IMM64(BPF_REG_1, 0, (uint64_t)ns.st_dev),
		LD_IMM64(BPF_REG_2, 0, (uint64_t)ns.st_ino),
		INSN(BPF_ALU64 | BPF_MOV | BPF_X, BPF_REG_3, BPF_REG_10, 0, 0),
		INSN(BPF_ALU64 | BPF_ADD | BPF_K, BPF_REG_3, 0, 0, -8),
		INSN(BPF_ALU64 | BPF_MOV | BPF_K, BPF_REG_4, 0, 0, 8),
		INSN(BPF_JMP | BPF_CALL, 0, 0, 0, BPF_FUNC_get_ns_current_pid_tgid),
		INSN(BPF_JMP | BPF_JNE | BPF_K, BPF_REG_0, 0, 11, 0), /* -> out */
		INSN(BPF_LDX | BPF_MEM | BPF_W, BPF_REG_1, BPF_REG_10, -4, 0),
		INSN(BPF_JMP | BPF_JNE | BPF_K, BPF_REG_1, 0, 9, getpid()), /* -> out */
		INSN(BPF_ST | BPF_MEM | BPF_W, BPF_REG_10, 0, -12, 0), /* key 0 */
		INSN(BPF_ALU64 | BPF_MOV | BPF_X, BPF_REG_2, BPF_REG_10, 0, 0),
		INSN(BPF_ALU64 | BPF_ADD | BPF_K, BPF_REG_2, 0, 0, -12),
		LD_IMM64(BPF_REG_1, BPF_PSEUDO_MAP_FD, c->map_fd),
		INSN(BPF_JMP | BPF_CALL, 0, 0, 0, BPF_FUNC_map_lookup_elem),
		INSN(BPF_JMP | BPF_JEQ | BPF_K, BPF_REG_0, 0, 2, 0), /* -> out */
		INSN(BPF_ALU64 | BPF_MOV | BPF_K, BPF_REG_1, 0, 0, 1),
		INSN(BPF_STX | BPF_ATOMIC | BPF_DW, BPF_REG_0, BPF_REG_1, 0, BPF_ADD),
		/* out: */
		INSN(BPF_ALU64 | BPF_MOV | BPF_K, BPF_REG_0, 0, 0, 1),
		INSN(BPF_JMP | BPF_EXIT, 0, 0, 0, 0),
	};

	c->prog_fd = bpf_prog_load(BPF_PROG_TYPE_TRACEPOINT, "tp_hits", "GPL", prog,
				   ELEMENTSOF_T(prog), NULL);
	if (c->prog_fd < 0)
		goto fail;
	c->link_fd = bpf_link_create(c->prog_fd, perf_fd, BPF_PERF_EVENT, NULL);
	if (c->link_fd < 0)
		goto fail;
	return 0;
fail:
	e = errno;
	if (c->prog_fd >= 0)
		close(c->prog_fd);
	close(c->map_fd);
	*c = (struct tp_counter){ -1, -1, -1 };
	return -e;
}

static void tp_counter_detach(struct tp_counter *c)
{
	close(c->link_fd);
	close(c->prog_fd);
	close(c->map_fd);
	*c = (struct tp_counter){ -1, -1, -1 };
}

static uint64_t tp_counter_read(const struct tp_counter *c)
{
	uint32_t key = 0;
	uint64_t v;

	return bpf_map_lookup_elem(c->map_fd, &key, &v) < 0 ? UINT64_MAX : v;
}

/* Calls trigger on each cpu we may run on in turn and expects the program attached to the
 * tracepoint event fd to count each call: a program runs on every cpu, whichever cpu the
 * event itself was opened on. */
static void check_tp_hits(int fd, void (*trigger)(void), int line)
{
	const int calls = 5;
	struct tp_counter c;
	cpu_set_t saved, one;
	int r, cpus = 0;

	r = tp_counter_attach(&c, fd);
	if (r < 0) {
		fprintf(stderr, "%s:%d: cannot link a counting program to the event: %s\n",
			__FILE__, line, errname(r));
		test_failures++;
		return;
	}
	if (sched_getaffinity(0, sizeof(saved), &saved) < 0) {
		fprintf(stderr, "%s:%d: sched_getaffinity: %m\n", __FILE__, line);
		test_failures++;
		tp_counter_detach(&c);
		return;
	}
	for (int cpu = 0; cpu < CPU_SETSIZE; cpu++) {
		uint64_t before, after;

		if (!CPU_ISSET(cpu, &saved))
			continue;
		CPU_ZERO(&one);
		CPU_SET(cpu, &one);
		if (sched_setaffinity(0, sizeof(one), &one) < 0)
			continue; /* went offline meanwhile */
		cpus++;
		before = tp_counter_read(&c);
		for (int i = 0; i < calls; i++)
			trigger();
		after = tp_counter_read(&c);
		if (before == UINT64_MAX || after == UINT64_MAX || after - before < (uint64_t)calls) {
			fprintf(stderr, "%s:%d: program on the event counted %llu -> %llu over %d "
				"calls on cpu %d\n", __FILE__, line, (unsigned long long)before,
				(unsigned long long)after, calls, cpu);
			test_failures++;
		}
	}
	sched_setaffinity(0, sizeof(saved), &saved);
	tp_counter_detach(&c);
	if (cpus == 0) {
		fprintf(stderr, "%s:%d: could not run on any cpu to count hits\n", __FILE__, line);
		test_failures++;
	}
}
#define CHECK_TP_HITS(fd, trigger) check_tp_hits(fd, trigger, __LINE__)

static bool tracefs_visible(void)
{
	return access("/sys/kernel/tracing/events", F_OK) == 0 ||
	       access("/sys/kernel/debug/tracing/events", F_OK) == 0;
}

static void check_sys_enter_getpid(const char *via)
{
	int fd = -1;

	printf("tracepoint via %s\n", via);
	CHECK_R(perf_open_tracepoint("syscalls/sys_enter_getpid", &fd), 0);
	if (fd >= 0) {
		CHECK_PERF_FD(fd);
		CHECK_TP_HITS(fd, trigger_sys_getpid);
		close(fd);
	}
	CHECK_R(perf_open_tracepoint("syscalls/sys_enter_no_such_call_bpfman", &fd), -ENOENT);
	CHECK_R(perf_open_tracepoint("no_such_category_bpfman/x", &fd), -ENOENT);
}

/* In a private mount namespace: tracefs at /sys/kernel/tracing, then only debugfs's
 * automounted /sys/kernel/debug/tracing, the fallback. */
static void tracepoint_child(void)
{
	int r = enter_private_mount_ns();

	if (r < 0) {
		SKIP("tracepoint: no private mount namespace (%s)", errname(r));
		return;
	}
	if (access("/sys/kernel/tracing/events", F_OK) != 0 &&
	    mount("tracefs", "/sys/kernel/tracing", "tracefs", 0, NULL) < 0) {
		SKIP("tracepoint: cannot mount tracefs: %m");
		return;
	}
	check_sys_enter_getpid("/sys/kernel/tracing");

	umount2("/sys/kernel/tracing", MNT_DETACH);
	if (access("/sys/kernel/tracing/events", F_OK) == 0) {
		SKIP("tracepoint: tracefs still visible, cannot test the debugfs fallback");
		return;
	}
	if (access("/sys/kernel/debug/tracing/events", F_OK) != 0 &&
	    mount("debugfs", "/sys/kernel/debug", "debugfs", 0, NULL) < 0) {
		SKIP("tracepoint: cannot mount debugfs: %m");
		return;
	}
	if (access("/sys/kernel/debug/tracing/events", F_OK) != 0) {
		SKIP("tracepoint: debugfs has no tracing directory");
		return;
	}
	check_sys_enter_getpid("/sys/kernel/debug/tracing");

	/* neither mounted: the tracepoint cannot be found */
	umount2("/sys/kernel/debug", MNT_DETACH);
	umount2("/sys/kernel/tracing", MNT_DETACH);
	if (!tracefs_visible()) {
		int fd = -1;

		CHECK_R(perf_open_tracepoint("syscalls/sys_enter_getpid", &fd), -ENOENT);
	}
}

static void test_kprobe(bool root)
{
	int fd = -1, r;

	if (access(PMU_DIR "/kprobe", F_OK) != 0) {
		/* CONFIG_KPROBES=n: refused before any syscall, root or not */
		r = perf_open_kprobe("vfs_read", 0, false, &fd);
		CHECK(r == -EOPNOTSUPP || r == -ENOENT);
		r = perf_open_kprobe("vfs_read", 0, true, &fd);
		CHECK(r == -EOPNOTSUPP || r == -ENOENT);
		printf("kprobe: no kprobe PMU on this kernel, got %s\n", errname(r));
		return;
	}
	if (!root) {
		SKIP("kprobe: needs root");
		return;
	}
	CHECK_R(perf_open_kprobe("vfs_read", 0, false, &fd), 0);
	if (fd >= 0) {
		CHECK_PERF_FD(fd);
		close(fd);
	}
	fd = -1;
	CHECK_R(perf_open_kprobe("vfs_read", 0, true, &fd), 0);
	if (fd >= 0) {
		CHECK_PERF_FD(fd);
		close(fd);
	}
	CHECK_R(perf_open_kprobe("no_such_function_bpfman", 0, false, &fd), -ENOENT);
}

static int inside_fd = -1;
static uint64_t inside_count;

static void read_counter_inside(void)
{
	inside_count = read_counter(inside_fd);
}

/* Counts alone do not tell a uretprobe from a uprobe. While the function's body runs, an
 * entry probe has fired and a return probe has not yet. */
static void check_entry_or_return(const struct uprobe_spec *spec, int line)
{
	int (*volatile fp)(void (*)(void)) = bpfman_probe_target_test_fn;
	cpu_set_t saved, cpu0;
	uint64_t before, after;
	int fd = -1, r;

	if (RUNNING_ON_VALGRIND) {
		SKIP("%s:%d: uprobe entry/return check under valgrind", __FILE__, line);
		return;
	}
	r = perf_open_uprobe(spec, &fd);
	if (r < 0) {
		fprintf(stderr, "%s:%d: perf_open_uprobe = %d (%s)\n", __FILE__, line, r,
			errname(r));
		test_failures++;
		return;
	}
	CPU_ZERO(&cpu0);
	CPU_SET(0, &cpu0);
	if (sched_getaffinity(0, sizeof(saved), &saved) < 0 ||
	    sched_setaffinity(0, sizeof(cpu0), &cpu0) < 0) {
		SKIP("%s:%d: cannot run on cpu 0 to count hits", __FILE__, line);
		close(fd);
		return;
	}
	inside_fd = fd;
	before = read_counter(fd);
	fp(read_counter_inside);
	after = read_counter(fd);
	sched_setaffinity(0, sizeof(saved), &saved);

	if (inside_count - before != (spec->retprobe ? 0 : 1) || after - before != 1) {
		fprintf(stderr, "%s:%d: %s: counter %llu before, %llu inside, %llu after the call\n",
			__FILE__, line, spec->retprobe ? "uretprobe" : "uprobe",
			(unsigned long long)before, (unsigned long long)inside_count,
			(unsigned long long)after);
		test_failures++;
	}
	close(fd);
}
#define CHECK_ENTRY_OR_RETURN(spec) check_entry_or_return(spec, __LINE__)

/* Opens the uprobe, checks the fd and that calling trigger hits it. */
static void check_uprobe(const struct uprobe_spec *spec, void (*trigger)(void), int line)
{
	int fd = -1, r = perf_open_uprobe(spec, &fd);

	if (r < 0) {
		fprintf(stderr, "%s:%d: perf_open_uprobe(%s, %s%s, pid %d, container %d) = %d (%s)\n",
			__FILE__, line, spec->target, spec->fn ? spec->fn : "(offset)",
			spec->retprobe ? ", ret" : "", (int)spec->pid, (int)spec->container_pid, r,
			errname(r));
		test_failures++;
		return;
	}
	check_perf_fd(fd, line);
	if (trigger)
		check_hits(fd, trigger, spec->pid == 0, true, line);
	close(fd);
}
#define CHECK_UPROBE(spec, trigger) check_uprobe(spec, trigger, __LINE__)

static void test_uprobes(void)
{
	struct uprobe_spec spec = {};
	uint64_t getpid_offset = 0;
	int fd = -1;

	/* no pid filter: on a function of this executable, which nothing else runs */
	spec = (struct uprobe_spec){ .target = exe_path, .fn = "bpfman_probe_target_test_fn" };
	CHECK_UPROBE(&spec, trigger_test_fn);
	CHECK_ENTRY_OR_RETURN(&spec);
	spec.retprobe = true;
	CHECK_UPROBE(&spec, trigger_test_fn);
	CHECK_ENTRY_OR_RETURN(&spec);

	/* libc's getpid, filtered to this process so that the host's other processes are
	 * not slowed down by a breakpoint */
	spec = (struct uprobe_spec){ .target = "libc", .fn = "getpid", .pid = getpid() };
	CHECK_UPROBE(&spec, trigger_libc_getpid);
	spec.retprobe = true;
	CHECK_UPROBE(&spec, trigger_libc_getpid);

	/* no function: the offset alone */
	CHECK_R(elf_function_offset(libc_path, "getpid", &getpid_offset), 0);
	spec = (struct uprobe_spec){ .target = libc_path, .offset = getpid_offset,
				     .pid = getpid() };
	CHECK_UPROBE(&spec, trigger_libc_getpid);

	/* errors from perf_event_open itself */
	spec = (struct uprobe_spec){ .target = "libc", .fn = "getpid", .pid = INT_MAX };
	CHECK_R(perf_open_uprobe(&spec, &fd), -ESRCH);
	CHECK(fd == -1);
}

/* container_pid = ourselves: the fork/setns/SCM_RIGHTS path with a namespace we share. */
static void test_container_self(void)
{
	struct uprobe_spec spec = { .target = "libc", .fn = "getpid", .pid = getpid(),
				    .container_pid = getpid() };
	int fd = -1;

	CHECK_UPROBE(&spec, trigger_libc_getpid);
	spec.retprobe = true;
	CHECK_UPROBE(&spec, trigger_libc_getpid);
	spec.retprobe = false;

	/* errors found by the child come back through the socket */
	spec.fn = "no_such_function_bpfman";
	CHECK_R(perf_open_uprobe(&spec, &fd), -ENOENT);
	spec.fn = "getpid";
	spec.target = "libdoesnotexist-bpfman";
	CHECK_R(perf_open_uprobe(&spec, &fd), -ENOENT);
	spec.target = "libc";
	spec.pid = INT_MAX;
	CHECK_R(perf_open_uprobe(&spec, &fd), -ESRCH);
	spec.pid = 0;

	/* no such process */
	spec.container_pid = INT_MAX;
	CHECK_R(perf_open_uprobe(&spec, &fd), -ESRCH);
	CHECK(fd == -1);
}

static void *block_on_pipe(void *arg)
{
	char c;

	(void)!read(*(int *)arg, &c, 1);
	return NULL;
}

/* The daemon is multi-threaded (gRPC), and a multi-threaded process may not setns() into
 * a mount namespace: the library's child does it, so a second thread must not matter. */
static void test_container_multithreaded(void)
{
	struct uprobe_spec spec = { .target = "libc", .fn = "getpid", .pid = getpid(),
				    .container_pid = getpid() };
	pthread_t thread;
	int p[2];

	if (pipe2(p, O_CLOEXEC) < 0 || pthread_create(&thread, NULL, block_on_pipe, &p[0]) != 0) {
		fprintf(stderr, "%s:%d: cannot start a thread: %m\n", __FILE__, __LINE__);
		test_failures++;
		return;
	}
	/* what the library spares us: our own setns() is refused */
	{
		int ns = open("/proc/self/ns/mnt", O_RDONLY | O_CLOEXEC);

		CHECK(ns >= 0 && setns(ns, CLONE_NEWNS) < 0 && errno == EINVAL);
		if (ns >= 0)
			close(ns);
	}
	CHECK_UPROBE(&spec, trigger_libc_getpid);
	close(p[1]);
	pthread_join(thread, NULL);
	close(p[0]);
}

/* ---- crafted ld.so.cache files ---- */

#if defined(__x86_64__) && !defined(__ILP32__)
#define TEST_HOST_FLAGS 0x0303 /* FLAG_X8664_LIB64 | FLAG_ELF_LIBC6 */
#define TEST_OTHER_FLAGS 0x0803 /* x32 */
#endif

#ifdef TEST_HOST_FLAGS
struct fake_entry {
	int32_t flags;
	const char *soname;
	const char *path;
	uint64_t hwcap;
};

static void put_u32(uint8_t *p, uint32_t v)
{
	memcpy(p, &v, sizeof(v));
}

static void put_u64(uint8_t *p, uint64_t v)
{
	memcpy(p, &v, sizeof(v));
}

/* Writes a cache in glibc's format (see ldcache.c), optionally behind an old-format
 * block, into buf (zeroed, large enough). Returns its size. */
static size_t build_cache(uint8_t *buf, const struct fake_entry *e, size_t n, bool old_block,
			  uint8_t header_flags)
{
	size_t base = 0, strings;

	if (old_block) {
		memcpy(buf, "ld.so-1.7.0", 11);
		put_u32(buf + 12, 1); /* one 12-byte old entry, then align to 8 */
		put_u32(buf + 16, 1);
		base = 32;
	}
	memcpy(buf + base, "glibc-ld.so.cache1.1", 20);
	put_u32(buf + base + 20, (uint32_t)n);
	buf[base + 28] = header_flags;
	strings = 48 + n * 24;
	for (size_t i = 0; i < n; i++) {
		uint8_t *ent = buf + base + 48 + i * 24;

		put_u32(ent, (uint32_t)e[i].flags);
		put_u32(ent + 4, (uint32_t)strings);
		strcpy((char *)buf + base + strings, e[i].soname);
		strings += strlen(e[i].soname) + 1;
		put_u32(ent + 8, (uint32_t)strings);
		strcpy((char *)buf + base + strings, e[i].path);
		strings += strlen(e[i].path) + 1;
		put_u64(ent + 16, e[i].hwcap);
	}
	put_u32(buf + base + 24, (uint32_t)(strings - 48 - n * 24));
	return base + strings;
}

static const struct fake_entry fake_entries[] = {
	{ TEST_OTHER_FLAGS, "libfoo.so.1", "/wrong/abi/libfoo.so.1", 0 },
	{ TEST_HOST_FLAGS, "libfoo.so.1", "/hwcap/libfoo.so.1", UINT64_C(1) << 62 },
	{ TEST_HOST_FLAGS, "libfoo.so.1", "/right/libfoo.so.1", 0 },
	{ TEST_HOST_FLAGS, "libfoobar.so.2", "/x/libfoobar.so.2", 0 },
	{ TEST_HOST_FLAGS, "libfoo-dev.so", "/x/libfoo-dev.so", 0 },
	{ TEST_HOST_FLAGS, "libbar.so.1", "relative/libbar.so.1", 0 },
	{ TEST_HOST_FLAGS, "libhw.so.1", "/hwcap/libhw.so.1", 1 },
	{ TEST_HOST_FLAGS, "libqux.sox", "/x/libqux.sox", 0 },
	{ TEST_OTHER_FLAGS, "libx32only.so.1", "/libx32/libx32only.so.1", 0 },
	{ TEST_HOST_FLAGS, "libend.so.1", "/x/libend.so.1", 0 },
};
#define N_FAKE ELEMENTSOF_T(fake_entries)

static int cache_fd = -1;

static void set_cache(const uint8_t *data, size_t len)
{
	if (ftruncate(cache_fd, 0) < 0 ||
	    (len && pwrite(cache_fd, data, len, 0) != (ssize_t)len)) {
		fprintf(stderr, "%s:%d: rewriting the cache: %m\n", __FILE__, __LINE__);
		test_failures++;
	}
}

static void check_lookup(const char *name, int expected_r, const char *expected_path, int line)
{
	char *p = NULL;
	int r = uprobe_resolve_target(name, &p);

	if (r != expected_r || (expected_path && (!p || strcmp(p, expected_path) != 0))) {
		fprintf(stderr, "%s:%d: lookup \"%s\" = %d (%s) \"%s\", expected %d (%s) \"%s\"\n",
			__FILE__, line, name, r, errname(r), p ? p : "", expected_r,
			errname(expected_r), expected_path ? expected_path : "");
		test_failures++;
	}
	free(p);
}
#define CHECK_LOOKUP(name, r, path) check_lookup(name, r, path, __LINE__)

static void check_valid_cache(void)
{
	CHECK_LOOKUP("libfoo", 0, "/right/libfoo.so.1"); /* host ABI, no hwcap preferred */
	CHECK_LOOKUP("libfoo.so.1", 0, "/right/libfoo.so.1");
	CHECK_LOOKUP("libfoobar", 0, "/x/libfoobar.so.2");
	CHECK_LOOKUP("libfoo-dev", 0, "/x/libfoo-dev.so");
	CHECK_LOOKUP("libhw", 0, "/hwcap/libhw.so.1"); /* a hwcap entry as the fallback */
	CHECK_LOOKUP("libend", 0, "/x/libend.so.1");
	CHECK_LOOKUP("libfo", -ENOENT, NULL);
	CHECK_LOOKUP("libfoo.so", -ENOENT, NULL);
	CHECK_LOOKUP("libbar", -ENOENT, NULL); /* relative path in the cache: skipped */
	CHECK_LOOKUP("libqux", -ENOENT, NULL); /* ".sox" is not ".so" */
	CHECK_LOOKUP("libx32only", -ENOENT, NULL); /* another ABI */
}

/* xorshift: reproducible without touching the libc rand() state */
static uint32_t rnd_state = 0x12345678;
static uint32_t rnd(void)
{
	rnd_state ^= rnd_state << 13;
	rnd_state ^= rnd_state >> 17;
	rnd_state ^= rnd_state << 5;
	return rnd_state;
}

/* Random byte flips and truncations: every result must be an error or an absolute,
 * terminated path, and ASan/valgrind must see no access outside the file. */
static void fuzz_cache(const uint8_t *orig, size_t len, const char *name, int rounds)
{
	uint8_t *buf = malloc(len ? len : 1);

	if (!buf)
		return;
	for (int i = 0; i < rounds; i++) {
		size_t n = len;
		char *p = NULL;
		int r;

		memcpy(buf, orig, len);
		for (uint32_t k = rnd() % 8 + 1; k > 0 && len; k--) {
			size_t pos = rnd() % len;

			/* header and entry fields first: that is where the offsets are */
			if (rnd() % 2)
				pos %= len < 512 ? len : 512;
			buf[pos] = (uint8_t)(rnd() % 4 ? rnd() : 0xff);
		}
		if (rnd() % 4 == 0)
			n = rnd() % (len + 1);
		set_cache(buf, n);
		r = uprobe_resolve_target(name, &p);
		if (r > 0 || (r == 0 && (!p || p[0] != '/')) || (r < 0 && p)) {
			fprintf(stderr, "%s:%d: fuzz round %d: %d \"%s\"\n", __FILE__, __LINE__, i,
				r, p ? p : "");
			test_failures++;
		}
		free(p);
	}
	free(buf);
}

static void check_corrupt_caches(const uint8_t *good, size_t len)
{
	uint8_t buf[4096];
	size_t n;

	set_cache(good, 0);
	CHECK_LOOKUP("libfoo", -EBADMSG, NULL);
	set_cache(good, 10);
	CHECK_LOOKUP("libfoo", -EBADMSG, NULL);
	set_cache(good, 47); /* magic, but a short header */
	CHECK_LOOKUP("libfoo", -EBADMSG, NULL);
	set_cache((const uint8_t *)"glibc-ld.so.cache1.0xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", 60);
	CHECK_LOOKUP("libfoo", -EBADMSG, NULL);

	memcpy(buf, good, len);
	put_u32(buf + 20, UINT32_MAX); /* nlibs */
	set_cache(buf, len);
	CHECK_LOOKUP("libfoo", -EBADMSG, NULL);
	put_u32(buf + 20, (uint32_t)((len - 48) / 24 + 1)); /* one entry too many */
	set_cache(buf, len);
	CHECK_LOOKUP("libfoo", -EBADMSG, NULL);

	/* every key and value pointing past the end */
	memcpy(buf, good, len);
	for (size_t i = 0; i < N_FAKE; i++) {
		put_u32(buf + 48 + i * 24 + 4, (uint32_t)len);
		put_u32(buf + 48 + i * 24 + 8, UINT32_MAX);
	}
	set_cache(buf, len);
	CHECK_LOOKUP("libfoo", -ENOENT, NULL);

	/* the last path without its NUL: it runs to the end of the file */
	set_cache(good, len - 1);
	CHECK_LOOKUP("libend", -ENOENT, NULL);
	CHECK_LOOKUP("libfoo", 0, "/right/libfoo.so.1");

	/* byte order recorded as big endian */
	memcpy(buf, good, len);
	buf[28] = 3;
	set_cache(buf, len);
	CHECK_LOOKUP("libfoo", -EBADMSG, NULL);

	/* an old-format block claiming more entries than the file has, or alone */
	n = build_cache(memset(buf, 0, sizeof(buf)), fake_entries, N_FAKE, true, 2);
	put_u32(buf + 12, UINT32_MAX);
	set_cache(buf, n);
	CHECK_LOOKUP("libfoo", -EBADMSG, NULL);
	put_u32(buf + 12, 1);
	set_cache(buf, 32);
	CHECK_LOOKUP("libfoo", -EBADMSG, NULL);
}

static void crafted_cache_child(void)
{
	char tmp[] = "/tmp/bpfman-test-ldcache-XXXXXX";
	uint8_t good[4096], old[4096], noorder[4096];
	uint8_t *real = NULL;
	size_t good_len, old_len, real_len = 0;
	struct stat st;
	int r, fd;

	r = enter_private_mount_ns();
	if (r < 0) {
		SKIP("ld.so.cache: no private mount namespace (%s)", errname(r));
		return;
	}
	/* a copy of the host's cache, to fuzz the real thing too */
	fd = open("/etc/ld.so.cache", O_RDONLY | O_CLOEXEC);
	if (fd >= 0 && fstat(fd, &st) == 0 && st.st_size > 0 && (real = malloc(st.st_size)))
		real_len = read(fd, real, st.st_size) == st.st_size ? (size_t)st.st_size : 0;
	if (fd >= 0)
		close(fd);

	cache_fd = mkstemp(tmp);
	if (cache_fd < 0) {
		SKIP("ld.so.cache: mkstemp: %m");
		goto out;
	}
	r = mount(tmp, "/etc/ld.so.cache", "none", MS_BIND, NULL) < 0 ? -errno : 0;
	/* the mount and cache_fd keep the file alive; nothing is left in /tmp even if we crash */
	unlink(tmp);
	if (r < 0) {
		SKIP("ld.so.cache: cannot bind a crafted cache over /etc/ld.so.cache (%s)",
		     errname(r));
		goto out;
	}

	good_len = build_cache(memset(good, 0, sizeof(good)), fake_entries, N_FAKE, false, 2);
	set_cache(good, good_len);
	check_valid_cache();
	old_len = build_cache(memset(old, 0, sizeof(old)), fake_entries, N_FAKE, true, 2);
	set_cache(old, old_len);
	check_valid_cache();
	/* byte order not recorded (glibc < 2.33) */
	build_cache(memset(noorder, 0, sizeof(noorder)), fake_entries, N_FAKE, false, 0);
	set_cache(noorder, good_len);
	CHECK_LOOKUP("libfoo", 0, "/right/libfoo.so.1");

	check_corrupt_caches(good, good_len);

	fuzz_cache(good, good_len, "libfoo", RUNNING_ON_VALGRIND ? 300 : 3000);
	fuzz_cache(old, old_len, "libfoo", RUNNING_ON_VALGRIND ? 300 : 3000);
	if (real_len)
		fuzz_cache(real, real_len, "libc", RUNNING_ON_VALGRIND ? 50 : 500);

	/* no cache at all */
	if (umount2("/etc/ld.so.cache", MNT_DETACH) == 0 &&
	    mount("tmpfs", "/etc", "tmpfs", 0, "size=64k") == 0)
		CHECK_LOOKUP("libc", -ENOENT, NULL);
out:
	if (cache_fd >= 0)
		close(cache_fd);
	free(real);
}
#endif /* TEST_HOST_FLAGS */

/* ---- a different mount namespace for container_pid ---- */

/* A process in a mount namespace of its own where <dir> holds a private copy of libc
 * (a file the host does not see) and /etc/ld.so.cache knows it as "libbpfmantest". */
struct ns_helper {
	pid_t pid;
	int hold_fd; /* closing it lets the helper exit */
	char dir[64];
	char lib[128];
};

static int ns_helper_setup(const struct ns_helper *h)
{
	if (enter_private_mount_ns() < 0)
		return -1;
	if (mount("tmpfs", h->dir, "tmpfs", 0, "size=32m,mode=0700") < 0)
		return -1;
	if (copy_file(libc_path, h->lib) < 0)
		return -1;
#ifdef TEST_HOST_FLAGS
	{
		struct fake_entry e = { TEST_HOST_FLAGS, "libbpfmantest.so.1", h->lib, 0 };
		uint8_t cache[512] = {};
		char cache_path[128];
		size_t len = build_cache(cache, &e, 1, false, 2);

		snprintf(cache_path, sizeof(cache_path), "%s/ld.so.cache", h->dir);
		if (write_file(cache_path, cache, len) < 0 ||
		    mount(cache_path, "/etc/ld.so.cache", "none", MS_BIND, NULL) < 0)
			return -1;
	}
#endif
	return 0;
}

static int ns_helper_start(struct ns_helper *h)
{
	int ready[2], hold[2];
	char c = 0;

	h->hold_fd = -1;
	strcpy(h->dir, "/tmp/bpfman-test-ns-XXXXXX");
	if (!mkdtemp(h->dir)) {
		h->dir[0] = '\0';
		return -1;
	}
	snprintf(h->lib, sizeof(h->lib), "%s/libbpfmantest.so.1", h->dir);
	if (pipe2(ready, O_CLOEXEC) < 0)
		return -1;
	if (pipe2(hold, O_CLOEXEC) < 0) {
		close(ready[0]);
		close(ready[1]);
		return -1;
	}
	fflush(NULL);
	h->pid = fork();
	if (h->pid == 0) {
		close(ready[0]);
		close(hold[1]);
		c = ns_helper_setup(h) == 0 ? 'y' : 'n';
		if (write(ready[1], &c, 1) == 1)
			(void)!read(hold[0], &c, 1); /* until the parent closes its end */
		_exit(0);
	}
	close(ready[1]);
	close(hold[0]);
	h->hold_fd = hold[1];
	if (h->pid < 0 || read(ready[0], &c, 1) != 1)
		c = 'n';
	close(ready[0]);
	return c == 'y' ? 0 : -1;
}

static void ns_helper_stop(struct ns_helper *h)
{
	if (h->hold_fd >= 0)
		close(h->hold_fd);
	if (h->pid > 0)
		waitpid(h->pid, NULL, 0);
	if (h->dir[0])
		rmdir(h->dir);
}

static void test_container_other_ns(void)
{
	struct ns_helper h = { .hold_fd = -1 };
	struct uprobe_spec spec = {};
	char *p = NULL;
	int fd = -1;

	if (ns_helper_start(&h) < 0) {
		SKIP("container: could not set up a second mount namespace");
		ns_helper_stop(&h);
		return;
	}
	/* the file and the cache entry exist only in the helper's namespace */
	spec = (struct uprobe_spec){ .target = h.lib, .fn = "getpid" };
	CHECK_R(perf_open_uprobe(&spec, &fd), -ENOENT);
	CHECK(fd == -1);

	spec = (struct uprobe_spec){ .target = h.lib, .fn = "getpid", .container_pid = h.pid };
	CHECK_UPROBE(&spec, NULL);
	spec.retprobe = true;
	CHECK_UPROBE(&spec, NULL);
	spec.fn = "no_such_function_bpfman";
	CHECK_R(perf_open_uprobe(&spec, &fd), -ENOENT);

#ifdef TEST_HOST_FLAGS
	/* and a bare name is looked up in the helper's /etc/ld.so.cache, not ours */
	spec = (struct uprobe_spec){ .target = "libbpfmantest", .fn = "getpid" };
	CHECK_R(perf_open_uprobe(&spec, &fd), -ENOENT);
	CHECK_R(uprobe_resolve_target("libbpfmantest", &p), -ENOENT);
	CHECK(fd == -1 && p == NULL);
	spec.container_pid = h.pid;
	CHECK_UPROBE(&spec, NULL);
#endif
	ns_helper_stop(&h);
}

static int setup(void)
{
	char buf[PATH_MAX];
	Dl_info info;
	ssize_t n;

	libc_handle = dlopen("libc.so.6", RTLD_LAZY | RTLD_NOLOAD);
	if (!libc_handle || !dladdr(libc_sym("getpid"), &info) || !info.dli_fname)
		return -1;
	libc_path = realpath(info.dli_fname, NULL);
	n = readlink("/proc/self/exe", buf, sizeof(buf) - 1);
	if (!libc_path || n <= 0)
		return -1;
	buf[n] = '\0';
	exe_path = strdup(buf);
	return exe_path ? 0 : -1;
}

int main(void)
{
	bool root = geteuid() == 0;
	int fds_before;

	/* line buffered even into a pipe: forked children (ours and the library's) must not
	 * inherit half-written output, which valgrind's libc cleanup would print again */
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (setup() < 0) {
		fprintf(stderr, "%s:%d: cannot find libc or our executable\n", __FILE__, __LINE__);
		return 1;
	}
	fds_before = count_open_fds();

	test_resolve_target();
	test_elf_offset();
	test_tracepoint_names();
	test_argument_checks();
	test_kprobe(root);

	if (!root) {
		SKIP("tracepoint, uprobe, container and crafted ld.so.cache tests need root");
	} else {
		run_in_child("tracepoint", tracepoint_child);
		test_uprobes();
		test_container_self();
		test_container_multithreaded();
		test_container_other_ns();
#ifdef TEST_HOST_FLAGS
		run_in_child("crafted ld.so.cache", crafted_cache_child);
#else
		SKIP("crafted ld.so.cache tests are written for x86-64 entries");
#endif
	}

	/* every error path above closed what it opened and reaped what it forked */
	CHECK(count_open_fds() == fds_before);
	CHECK(waitpid(-1, NULL, WNOHANG) < 0 && errno == ECHILD);

	dlclose(libc_handle);
	free(libc_path);
	free(exe_path);
	if (!test_failures)
		printf("all probe-target checks passed\n");
	return TEST_RESULT();
}
