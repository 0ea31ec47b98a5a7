/* Reading is libelf's and libbpf's; the rewrite itself changes a few bytes in place, at
 * offsets those give, so the copy keeps every size and offset of the original and libbpf
 * reads it exactly as it would the file.
 *
 * Two places say a function is static, and both change for a program function:
 *   - its symbol's binding (st_info): libbpf >= 1.0 refuses a program whose symbol is
 *     local;
 *   - its BTF FUNC's linkage (the vlen of the type's info): kernels before 6.13 or so
 *     refuse a freplace extension (how xdp and tc programs are loaded) whose function is
 *     not global: "stats() is not a global function" (measured on Debian's 6.12; 6.18
 *     accepts it).
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

#include <bpf/btf.h>

#include "cleanup.h"
#include "elf-legacy.h"

DEFINE_TRIVIAL_CLEANUP_FUNC(Elf *, elf_end)
DEFINE_TRIVIAL_CLEANUP_FUNC(struct btf *, btf__free)

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

/* What to write where, once every change is known. */
struct rewrite {
	size_t *sym_at;	 /* offsets of st_info bytes */
	char **names;	 /* the functions' names, as many as sym_at */
	size_t n_syms;
	size_t *func_at; /* offsets of BTF FUNC info words */
	size_t n_funcs;
	size_t btf_off, btf_size; /* the .BTF section; size 0 if none */
};

static void rewrite_done(struct rewrite *w)
{
	for (size_t i = 0; i < w->n_syms; i++)
		free(w->names[i]);
	free(w->names);
	free(w->sym_at);
	free(w->func_at);
}

static int push_offset(size_t **v, size_t n, size_t off)
{
	size_t *t = reallocarray(*v, n + 1, sizeof(**v));

	if (!t)
		return -ENOMEM;
	t[n] = off;
	*v = t;
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

static int find_in_symtab(const void *image, size_t size, Elf *elf, size_t shstrndx,
			  Elf_Scn *scn, const GElf_Shdr *sh, struct rewrite *w)
{
	Elf_Data *data;
	size_t count;

	if (sh->sh_entsize != sizeof(Elf64_Sym) || sh->sh_offset > size ||
	    sh->sh_size > size - sh->sh_offset || !(data = elf_getdata(scn, NULL)))
		return -EINVAL;
	count = sh->sh_size / sh->sh_entsize;
	for (size_t i = 0; i < count; i++) {
		size_t off = sh->sh_offset + i * sizeof(Elf64_Sym) + offsetof(Elf64_Sym, st_info);
		const char *name;
		GElf_Sym sym;
		char **t;

		if (!gelf_getsym(data, (int)i, &sym))
			return -EINVAL;
		if (GELF_ST_TYPE(sym.st_info) != STT_FUNC || GELF_ST_BIND(sym.st_info) != STB_LOCAL ||
		    sym.st_shndx == SHN_UNDEF || sym.st_shndx >= SHN_LORESERVE ||
		    !is_program_section(elf, shstrndx, sym.st_shndx))
			continue;
		/* what libelf read must be the byte to rewrite */
		if (((const uint8_t *)image)[off] != sym.st_info ||
		    !(name = elf_strptr(elf, sh->sh_link, sym.st_name)))
			return -EINVAL;
		t = reallocarray(w->names, w->n_syms + 1, sizeof(*t));
		if (!t)
			return -ENOMEM;
		w->names = t;
		if (!(t[w->n_syms] = strdup(name)) || push_offset(&w->sym_at, w->n_syms, off) < 0) {
			free(t[w->n_syms]);
			return -ENOMEM;
		}
		w->n_syms++;
	}
	return 0;
}

/* Finds the static program symbols and the .BTF section. */
static int find_static_symbols(const void *image, size_t size, struct rewrite *w)
{
	_cleanup_(elf_endp) Elf *elf = elf_open_image(image, size);
	Elf_Scn *scn = NULL;
	size_t shstrndx;
	int r;

	if (!elf || gelf_getclass(elf) != ELFCLASS64 || elf_getshdrstrndx(elf, &shstrndx) != 0)
		return -EINVAL;
	while ((scn = elf_nextscn(elf, scn))) {
		const char *name;
		GElf_Shdr sh;

		if (!gelf_getshdr(scn, &sh) || !(name = elf_strptr(elf, shstrndx, sh.sh_name)))
			return -EINVAL;
		if (sh.sh_type == SHT_SYMTAB) {
			r = find_in_symtab(image, size, elf, shstrndx, scn, &sh, w);
			if (r < 0)
				return r;
		} else if (strcmp(name, ".BTF") == 0 && sh.sh_type == SHT_PROGBITS &&
			   sh.sh_offset <= size && sh.sh_size <= size - sh.sh_offset) {
			w->btf_off = sh.sh_offset;
			w->btf_size = sh.sh_size;
		}
	}
	return 0;
}

static bool is_rewritten(const struct rewrite *w, const char *name)
{
	for (size_t i = 0; i < w->n_syms; i++)
		if (strcmp(w->names[i], name) == 0)
			return true;
	return false;
}

/* Finds the BTF FUNCs of the rewritten symbols that are still static. libbpf parses the
 * section; a type's place in it is its place in libbpf's copy of the raw data, checked
 * byte for byte before it is used (any doubt: the BTF is left as it is). */
static int find_static_funcs(const uint8_t *image, struct rewrite *w)
{
	_cleanup_(btf__freep) struct btf *btf = NULL;
	const uint8_t *raw;
	__u32 raw_size;

	if (w->n_syms == 0 || w->btf_size == 0)
		return 0;
	btf = btf__new(image + w->btf_off, w->btf_size);
	if (!btf)
		return 0; /* BTF libbpf cannot read: libbpf then loads without it */
	raw = btf__raw_data(btf, &raw_size);
	if (!raw || raw_size != w->btf_size || memcmp(raw, image + w->btf_off, raw_size) != 0)
		return 0; /* not the file's bytes (another byte order): left as it is */
	for (__u32 id = 1; id < btf__type_cnt(btf); id++) {
		const struct btf_type *t = btf__type_by_id(btf, id);
		const char *name;
		size_t pos;

		if (!btf_is_func(t) || btf_vlen(t) != BTF_FUNC_STATIC)
			continue;
		name = btf__name_by_offset(btf, t->name_off);
		if (!name || !is_rewritten(w, name))
			continue;
		pos = (const uint8_t *)t - raw;
		if ((const uint8_t *)t < raw || pos > raw_size - sizeof(*t))
			continue;
		if (push_offset(&w->func_at, w->n_funcs, w->btf_off + pos +
						 offsetof(struct btf_type, info)) < 0)
			return -ENOMEM;
		w->n_funcs++;
	}
	return 0;
}

int elf_globalize_static_programs(void *image, size_t size)
{
	_cleanup_(rewrite_done) struct rewrite w = {};
	int r;

	/* found with the image untouched, then rewritten once libelf and libbpf let go */
	r = find_static_symbols(image, size, &w);
	if (r == 0)
		r = find_static_funcs(image, &w);
	if (r < 0)
		return r;
	for (size_t i = 0; i < w.n_syms; i++) {
		uint8_t *info = (uint8_t *)image + w.sym_at[i];

		*info = GELF_ST_INFO(STB_GLOBAL, GELF_ST_TYPE(*info));
	}
	for (size_t i = 0; i < w.n_funcs; i++) {
		__u32 info;

		memcpy(&info, (uint8_t *)image + w.func_at[i], sizeof(info));
		info = (info & ~0xffffu) | BTF_FUNC_GLOBAL; /* vlen: the linkage */
		memcpy((uint8_t *)image + w.func_at[i], &info, sizeof(info));
	}
	return (int)w.n_syms;
}
