/* libbpf 1.1 (Debian 12's) trusts an object file's structure: found by fuzz/fuzz-object,
 * bpf_object__open crashes the process on BTF whose type ids point past the type table (one
 * struct member's type changed to 0xf7fffffb), and btf__parse_elf copies from a NULL buffer
 * when a .BTF section is NOBITS (no bytes in the file). A load names a file anyone may have
 * written, and the server must not die of it, so these are checked here first (libbpf checks
 * the type ids itself from 1.3 on). The corpus of fuzz-object keeps each crashing file. */
#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <bpf/btf.h>

#include "cleanup.h"
#include "manager.h"
#include "object-check.h"

static bool id_ok(const struct btf *btf, uint32_t id)
{
	return id < btf__type_cnt(btf);
}

static bool kind_is(const struct btf *btf, uint32_t id, unsigned kind)
{
	return id_ok(btf, id) && btf_kind(btf__type_by_id(btf, id)) == kind;
}

static bool type_refs_ok(const struct btf *btf, const struct btf_type *t)
{
	switch (btf_kind(t)) {
	case BTF_KIND_PTR:
	case BTF_KIND_TYPEDEF:
	case BTF_KIND_VOLATILE:
	case BTF_KIND_CONST:
	case BTF_KIND_RESTRICT:
	case BTF_KIND_TYPE_TAG:
	case BTF_KIND_VAR:
	case BTF_KIND_DECL_TAG:
		return id_ok(btf, t->type);
	case BTF_KIND_FUNC:
		return kind_is(btf, t->type, BTF_KIND_FUNC_PROTO);
	case BTF_KIND_ARRAY:
		return id_ok(btf, btf_array(t)->type) && id_ok(btf, btf_array(t)->index_type);
	case BTF_KIND_STRUCT:
	case BTF_KIND_UNION: {
		const struct btf_member *mb = btf_members(t);

		for (unsigned i = 0; i < btf_vlen(t); i++, mb++)
			if (!id_ok(btf, mb->type))
				return false;
		return true;
	}
	case BTF_KIND_FUNC_PROTO: {
		const struct btf_param *p = btf_params(t);

		if (!id_ok(btf, t->type))
			return false;
		for (unsigned i = 0; i < btf_vlen(t); i++, p++)
			if (!id_ok(btf, p->type))
				return false;
		return true;
	}
	case BTF_KIND_DATASEC: {
		const struct btf_var_secinfo *v = btf_var_secinfos(t);

		for (unsigned i = 0; i < btf_vlen(t); i++, v++)
			if (!kind_is(btf, v->type, BTF_KIND_VAR))
				return false;
		return true;
	}
	default: /* INT, ENUM, ENUM64, FWD, FLOAT: no references */
		return true;
	}
}

int btf_check_refs(const struct btf *btf, uint32_t *ret_id)
{
	for (uint32_t id = 1; id < btf__type_cnt(btf); id++)
		if (!type_refs_ok(btf, btf__type_by_id(btf, id))) {
			*ret_id = id;
			return -EINVAL;
		}
	return 0;
}

/* A function symbol must lie inside its section: libbpf 1.1 sizes each program from its
 * symbol, and its bounds check (offset + size > section size) wraps around for a huge size,
 * after which it tries to allocate that much (found by fuzz-object). */
static const char *symbols_problem(Elf *elf, char *buf, size_t len)
{
	Elf_Scn *scn = NULL;

	while ((scn = elf_nextscn(elf, scn))) {
		Elf_Data *data;
		GElf_Shdr sh;

		if (!gelf_getshdr(scn, &sh) || sh.sh_type != SHT_SYMTAB || !sh.sh_entsize)
			continue;
		data = elf_getdata(scn, NULL);
		for (size_t i = 0; data && i < sh.sh_size / sh.sh_entsize; i++) {
			Elf_Scn *in;
			GElf_Shdr ish;
			GElf_Sym sym;

			if (!gelf_getsym(data, (int)i, &sym) || GELF_ST_TYPE(sym.st_info) != STT_FUNC ||
			    sym.st_shndx == SHN_UNDEF || sym.st_shndx >= SHN_LORESERVE)
				continue;
			in = elf_getscn(elf, sym.st_shndx);
			if (!in || !gelf_getshdr(in, &ish) || sym.st_value > ish.sh_size ||
			    sym.st_size > ish.sh_size - sym.st_value) {
				snprintf(buf, len, "function symbol %zu lies outside its section", i);
				return buf;
			}
		}
	}
	return NULL;
}

/* What libbpf would trip over in the section headers; NULL when there is nothing. */
static const char *sections_problem(Elf *elf, size_t file_size, char *buf, size_t len)
{
	size_t shstrndx, shnum, n_btf = 0, n_btf_ext = 0;
	Elf_Scn *scn = NULL;

	if (elf_kind(elf) != ELF_K_ELF || elf_getshdrstrndx(elf, &shstrndx) != 0 ||
	    elf_getshdrnum(elf, &shnum) != 0)
		return "its ELF header is malformed";
	while ((scn = elf_nextscn(elf, scn))) {
		const char *name;
		GElf_Shdr sh;

		if (!gelf_getshdr(scn, &sh) || !(name = elf_strptr(elf, shstrndx, sh.sh_name))) {
			snprintf(buf, len, "section %zu has a malformed header", elf_ndxscn(scn));
			return buf;
		}
		/* links to sections that do not exist, and header slots without a type: libbpf
		 * 1.1 follows the first and names the second as it walks them (found by
		 * fuzz-object: a NULL section name reached its strcmp) */
		if (sh.sh_link >= shnum ||
		    ((sh.sh_type == SHT_REL || sh.sh_type == SHT_RELA) && sh.sh_info >= shnum)) {
			snprintf(buf, len, "section '%.64s' refers to a section that does not exist",
				 name);
			return buf;
		}
		if (sh.sh_type == SHT_NULL) {
			snprintf(buf, len, "section %zu has no type", elf_ndxscn(scn));
			return buf;
		}
		n_btf += strcmp(name, ".BTF") == 0;
		n_btf_ext += strcmp(name, ".BTF.ext") == 0;
		if (sh.sh_type == SHT_NOBITS) {
			/* only zero-filled data (.bss) may have no bytes in the file */
			if (strncmp(name, ".bss", 4) != 0) {
				snprintf(buf, len, "section '%.64s' has no data in the file", name);
				return buf;
			}
		} else if (sh.sh_offset > file_size || sh.sh_size > file_size - sh.sh_offset) {
			snprintf(buf, len, "section '%.64s' extends past the end of the file", name);
			return buf;
		}
	}
	if (n_btf > 1 || n_btf_ext > 1)
		return "it has more than one .BTF or .BTF.ext section";
	return symbols_problem(elf, buf, len);
}

int object_check(struct bpfman *m, const char *path, const char *name)
{
	_cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
	char buf[160];
	const char *problem;
	struct stat st;
	struct btf *btf;
	uint32_t id = 0;
	Elf *elf;
	int r;

	if (fd < 0)
		return manager_error(m, -errno, "cannot open object file '%s': %s", name,
				     strerror(errno));
	if (fstat(fd, &st) < 0)
		return manager_error(m, -errno, "cannot stat object file '%s': %s", name,
				     strerror(errno));
	(void)elf_version(EV_CURRENT);
	elf = elf_begin(fd, ELF_C_READ, NULL);
	if (!elf)
		return manager_error(m, -EINVAL, "'%s' is not a valid ELF file: %s", name,
				     elf_errmsg(-1));
	problem = sections_problem(elf, (size_t)st.st_size, buf, sizeof(buf));
	elf_end(elf);
	if (problem)
		return manager_error(m, -EINVAL, "'%s' is a malformed object file: %s", name, problem);

	btf = btf__parse_elf(path, NULL);
	if (!btf)
		return 0; /* no BTF, or BTF libbpf cannot parse: libbpf then ignores it */
	r = btf_check_refs(btf, &id);
	btf__free(btf);
	if (r < 0)
		return manager_error(m, r, "'%s' has malformed BTF: type %u refers to a type that does not exist",
				     name, id);
	return 0;
}
