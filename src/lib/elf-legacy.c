/* Reading is libelf's; the rewrite itself is one byte per symbol (st_info) at the offset
 * libelf's section header gives, so the copy keeps every size and offset of the original
 * and libbpf reads it exactly as it would the file.
 *
 * Symbol order: ELF wants local symbols before global ones (.symtab's sh_info is the index
 * of the first non-local). A rewritten symbol stays where it is, among the locals, and
 * sh_info is not changed: libbpf 1.1 walks every symbol and looks only at each one's own
 * binding, and the kernel never sees the table (measured: tests/integration/test-legacy.sh
 * loads such objects; tests/unit/test-elf-legacy.c checks the rewrite). */
#include <errno.h>
#include <gelf.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "elf-legacy.h"

DEFINE_TRIVIAL_CLEANUP_FUNC(Elf *, elf_end)

static Elf *elf_open_image(const void *image, size_t size)
{
	Elf *elf;

	if (elf_version(EV_CURRENT) == EV_NONE || !image || size == 0)
		return NULL;
	/* elf_memory() takes a non-const image but only reads it (ELF_C_READ_MMAP) */
	elf = elf_memory((char *)image, size);
	if (elf && elf_kind(elf) != ELF_K_ELF) {
		elf_end(elf);
		return NULL;
	}
	return elf;
}

int elf_has_legacy_maps(const void *image, size_t size)
{
	_cleanup_(elf_endp) Elf *elf = elf_open_image(image, size);
	Elf_Scn *scn = NULL;
	size_t shstrndx;

	if (!elf || elf_getshdrstrndx(elf, &shstrndx) != 0)
		return -EINVAL;
	while ((scn = elf_nextscn(elf, scn))) {
		const char *name;
		GElf_Shdr sh;

		if (!gelf_getshdr(scn, &sh) || !(name = elf_strptr(elf, shstrndx, sh.sh_name)))
			return -EINVAL;
		if (strcmp(name, ELF_LEGACY_MAPS_SECTION) == 0)
			return 1;
	}
	return 0;
}

/* Is section ndx one libbpf makes programs of: executable code other than .text? */
static bool is_program_section(Elf *elf, size_t shstrndx, size_t ndx)
{
	Elf_Scn *scn = elf_getscn(elf, ndx);
	const char *name;
	GElf_Shdr sh;

	if (!scn || !gelf_getshdr(scn, &sh) || !(name = elf_strptr(elf, shstrndx, sh.sh_name)))
		return false;
	return sh.sh_type == SHT_PROGBITS && (sh.sh_flags & SHF_EXECINSTR) &&
	       strcmp(name, ".text") != 0;
}

/* Finds the static program symbols; their st_info bytes' offsets in the image go to
 * *ret_at (n of them in *ret_n). */
static int find_static_programs(const void *image, size_t size, size_t **ret_at, size_t *ret_n)
{
	_cleanup_(elf_endp) Elf *elf = elf_open_image(image, size);
	_cleanup_free_ size_t *at = NULL;
	Elf_Scn *scn = NULL;
	size_t shstrndx, n = 0;

	if (!elf || gelf_getclass(elf) != ELFCLASS64 || elf_getshdrstrndx(elf, &shstrndx) != 0)
		return -EINVAL;
	while ((scn = elf_nextscn(elf, scn))) {
		GElf_Shdr sh;
		Elf_Data *data;
		size_t count;

		if (!gelf_getshdr(scn, &sh))
			return -EINVAL;
		if (sh.sh_type != SHT_SYMTAB)
			continue;
		if (sh.sh_entsize != sizeof(Elf64_Sym) || sh.sh_offset > size ||
		    sh.sh_size > size - sh.sh_offset || !(data = elf_getdata(scn, NULL)))
			return -EINVAL;
		count = sh.sh_size / sh.sh_entsize;
		for (size_t i = 0; i < count; i++) {
			size_t off = sh.sh_offset + i * sizeof(Elf64_Sym) +
				     offsetof(Elf64_Sym, st_info);
			GElf_Sym sym;
			size_t *t;

			if (!gelf_getsym(data, (int)i, &sym))
				return -EINVAL;
			if (GELF_ST_TYPE(sym.st_info) != STT_FUNC ||
			    GELF_ST_BIND(sym.st_info) != STB_LOCAL ||
			    sym.st_shndx == SHN_UNDEF || sym.st_shndx >= SHN_LORESERVE ||
			    !is_program_section(elf, shstrndx, sym.st_shndx))
				continue;
			/* what libelf read must be the byte to rewrite */
			if (((const uint8_t *)image)[off] != sym.st_info)
				return -EINVAL;
			t = reallocarray(at, n + 1, sizeof(*at));
			if (!t)
				return -ENOMEM;
			at = t;
			at[n++] = off;
		}
	}
	*ret_at = TAKE_PTR(at);
	*ret_n = n;
	return 0;
}

int elf_globalize_static_programs(void *image, size_t size)
{
	_cleanup_free_ size_t *at = NULL;
	size_t n = 0;
	int r;

	/* found with the image untouched, then rewritten once libelf let go of it */
	r = find_static_programs(image, size, &at, &n);
	if (r < 0)
		return r;
	for (size_t i = 0; i < n; i++) {
		uint8_t *info = (uint8_t *)image + at[i];

		*info = GELF_ST_INFO(STB_GLOBAL, GELF_ST_TYPE(*info));
	}
	return (int)n;
}
