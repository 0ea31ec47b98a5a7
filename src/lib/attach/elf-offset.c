/* Function name -> file offset in an ELF file, for uprobes.
 *
 * The kernel places a uprobe at an offset into the file (it patches the page cache page
 * of the inode), while symbol tables hold virtual addresses. The PT_LOAD segment that
 * holds the address gives the translation: offset = st_value - p_vaddr + p_offset. */
#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cleanup.h"
#include "probe-target.h"

DEFINE_TRIVIAL_CLEANUP_FUNC(Elf *, elf_end)
#define _cleanup_elf_end_ _cleanup_(elf_endp)

/* Only functions that are defined in this file: an undefined (imported) symbol or one
 * with no address has nothing to probe. */
static bool sym_is_function(const GElf_Sym *sym)
{
	int type = GELF_ST_TYPE(sym->st_info);

	if (type != STT_FUNC && type != STT_GNU_IFUNC)
		return false;
	return sym->st_value != 0 && sym->st_shndx != SHN_UNDEF;
}

/* Searches every section of type sh_type (SHT_SYMTAB or SHT_DYNSYM). A global or weak
 * definition wins; a local one (a static function, of which several translation units
 * may each have their own) is used only if there is nothing else. */
static int find_function(Elf *elf, Elf64_Word sh_type, const char *fn, GElf_Sym *ret)
{
	size_t sym_size = gelf_fsize(elf, ELF_T_SYM, 1, EV_CURRENT);
	Elf_Scn *scn = NULL;
	GElf_Sym local;
	bool have_local = false;

	if (sym_size == 0)
		return -ENOEXEC;

	while ((scn = elf_nextscn(elf, scn))) {
		GElf_Shdr shdr;
		Elf_Data *data;
		size_t n;

		if (!gelf_getshdr(scn, &shdr) || shdr.sh_type != sh_type)
			continue;
		data = elf_getdata(scn, NULL);
		if (!data)
			continue;
		n = data->d_size / sym_size;
		if (n > INT_MAX) /* gelf_getsym() takes an int index */
			n = INT_MAX;
		for (size_t i = 0; i < n; i++) {
			GElf_Sym sym;
			const char *name;

			if (!gelf_getsym(data, (int)i, &sym) || !sym_is_function(&sym))
				continue;
			/* elf_strptr() checks st_name against the string section's size */
			name = elf_strptr(elf, shdr.sh_link, sym.st_name);
			if (!name || strcmp(name, fn) != 0)
				continue;
			if (GELF_ST_BIND(sym.st_info) != STB_LOCAL) {
				*ret = sym;
				return 0;
			}
			if (!have_local) {
				local = sym;
				have_local = true;
			}
		}
	}
	if (!have_local)
		return -ENOENT;
	*ret = local;
	return 0;
}

/* Only the file-backed part of a segment (p_filesz, not p_memsz) has a file offset. */
static int vaddr_to_offset(Elf *elf, uint64_t vaddr, uint64_t *ret)
{
	size_t n;

	if (elf_getphdrnum(elf, &n) < 0 || n == 0)
		return -ENOEXEC; /* a relocatable object: nothing the kernel can map */
	if (n > INT_MAX)
		n = INT_MAX;

	for (size_t i = 0; i < n; i++) {
		GElf_Phdr phdr;
		uint64_t delta;

		if (!gelf_getphdr(elf, (int)i, &phdr) || phdr.p_type != PT_LOAD)
			continue;
		if (vaddr < phdr.p_vaddr)
			continue;
		delta = vaddr - phdr.p_vaddr;
		if (delta >= phdr.p_filesz || phdr.p_offset > UINT64_MAX - delta)
			continue;
		*ret = phdr.p_offset + delta;
		return 0;
	}
	return -EBADMSG; /* a symbol outside every loadable segment: a broken file */
}

static int open_elf_file(const char *path, int *ret_fd)
{
	_cleanup_close_ int fd = -EBADF;
	struct stat st;

	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) < 0)
		return -errno;
	if (S_ISDIR(st.st_mode))
		return -EISDIR;
	/* a FIFO or device would block or be endless; too short cannot hold an ELF header */
	if (!S_ISREG(st.st_mode) || st.st_size < EI_NIDENT)
		return -ENOEXEC;
	*ret_fd = TAKE_FD(fd);
	return 0;
}

int elf_function_offset(const char *path, const char *fn, uint64_t *ret_offset)
{
	_cleanup_close_ int fd = -EBADF;
	_cleanup_elf_end_ Elf *elf = NULL;
	GElf_Sym sym;
	int r;

	if (!path || !fn || !*fn || !ret_offset)
		return -EINVAL;
	if (elf_version(EV_CURRENT) == EV_NONE)
		return -ENOTSUP;

	r = open_elf_file(path, &fd);
	if (r < 0)
		return r;
	/* ELF_C_READ, not READ_MMAP: libelf pread()s the parts it needs, so a file truncated
	 * under us (a container image being replaced) gives an error instead of SIGBUS */
	elf = elf_begin(fd, ELF_C_READ, NULL);
	if (!elf || elf_kind(elf) != ELF_K_ELF)
		return -ENOEXEC;

	/* .symtab is complete when present (unstripped); .dynsym only has exports */
	r = find_function(elf, SHT_SYMTAB, fn, &sym);
	if (r == -ENOENT)
		r = find_function(elf, SHT_DYNSYM, fn, &sym);
	if (r < 0)
		return r;
	return vaddr_to_offset(elf, sym.st_value, ret_offset);
}
