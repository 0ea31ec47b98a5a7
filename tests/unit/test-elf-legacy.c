/* The rewrite of static program functions (src/lib/elf-legacy.c) on objects clang built:
 * argv[1] legacy_static.bpf.o (every program static, a static subprogram in .text),
 * argv[2] legacy_sections.bpf.o (one static program), argv[3] legacy_maps.bpf.o (a legacy
 * "maps" section), argv[4] counters.bpf.o (nothing static). Checks which symbols change,
 * that nothing else does, and that libbpf 1.x opens the copy it refused before. */
#include <errno.h>
#include <gelf.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <bpf/btf.h>
#include <bpf/libbpf.h>

#include "cleanup.h"
#include "elf-legacy.h"
#include "test-util.h"

static uint8_t *read_file(const char *path, size_t *ret_size)
{
	FILE *f = fopen(path, "rb");
	struct stat st;
	uint8_t *buf;

	if (!f || fstat(fileno(f), &st) < 0 || !(buf = malloc(st.st_size)) ||
	    fread(buf, 1, st.st_size, f) != (size_t)st.st_size) {
		fprintf(stderr, "cannot read %s\n", path);
		exit(1);
	}
	fclose(f);
	*ret_size = st.st_size;
	return buf;
}

/* The binding of the FUNC symbol name in image; -1 if there is none. */
static int binding_of(const uint8_t *image, size_t size, const char *name)
{
	Elf *elf = elf_memory((char *)image, size);
	Elf_Scn *scn = NULL;
	int bind = -1;

	while (elf && (scn = elf_nextscn(elf, scn))) {
		Elf_Data *data = elf_getdata(scn, NULL);
		GElf_Shdr sh;
		GElf_Sym sym;

		if (!gelf_getshdr(scn, &sh) || sh.sh_type != SHT_SYMTAB)
			continue;
		for (size_t i = 0; i < sh.sh_size / sh.sh_entsize; i++)
			if (gelf_getsym(data, (int)i, &sym) &&
			    GELF_ST_TYPE(sym.st_info) == STT_FUNC &&
			    strcmp(elf_strptr(elf, sh.sh_link, sym.st_name), name) == 0)
				bind = GELF_ST_BIND(sym.st_info);
	}
	elf_end(elf);
	return bind;
}

/* The linkage of the BTF FUNC name in image's .BTF; -1 if there is none. */
static int linkage_of(const uint8_t *image, size_t size, const char *name)
{
	Elf *elf = elf_memory((char *)image, size);
	struct btf *btf = NULL;
	Elf_Scn *scn = NULL;
	size_t shstrndx;
	int linkage = -1, id;

	if (!elf || elf_getshdrstrndx(elf, &shstrndx) != 0)
		return -1;
	while ((scn = elf_nextscn(elf, scn))) {
		GElf_Shdr sh;

		if (gelf_getshdr(scn, &sh) && strcmp(elf_strptr(elf, shstrndx, sh.sh_name), ".BTF") == 0)
			btf = btf__new(image + sh.sh_offset, sh.sh_size);
	}
	elf_end(elf);
	if (btf && (id = btf__find_by_name_kind(btf, name, BTF_KIND_FUNC)) > 0)
		linkage = btf_vlen(btf__type_by_id(btf, id));
	btf__free(btf);
	return linkage;
}

static size_t bytes_differing(const uint8_t *a, const uint8_t *b, size_t size)
{
	size_t n = 0;

	for (size_t i = 0; i < size; i++)
		n += a[i] != b[i];
	return n;
}

/* How many programs libbpf finds in image; a negative errno if it refuses the object. */
static int libbpf_programs(const uint8_t *image, size_t size)
{
	LIBBPF_OPTS(bpf_object_open_opts, opts, .object_name = "t");
	struct bpf_object *obj = bpf_object__open_mem(image, size, &opts);
	struct bpf_program *p;
	int n = 0;

	if (!obj)
		return -errno;
	bpf_object__for_each_program(p, obj)
		n++;
	bpf_object__close(obj);
	return n;
}

static const char *const static_programs[] = {
	"stats",	 "tcx_stats",	       "xdp_stats",	"tracepoint_getpid",
	"kprobe_unlinkat", "kretprobe_unlinkat", "uprobe_target", "uretprobe_target",
};

static void test_all_static(const char *path)
{
	size_t size;
	uint8_t *orig = read_file(path, &size), *copy = malloc(size);

	memcpy(copy, orig, size);
	CHECK_EQ_INT(elf_has_legacy_maps(copy, size), 0);
	/* what the rewrite is for: libbpf 1.x refuses the object as it is */
	CHECK_EQ_INT(libbpf_programs(copy, size), -EOPNOTSUPP);
	CHECK_EQ_INT(elf_globalize_static_programs(copy, size), (int)ELEMENTSOF(static_programs));
	for (size_t i = 0; i < (size_t)ELEMENTSOF(static_programs); i++) {
		CHECK_EQ_INT(binding_of(orig, size, static_programs[i]), STB_LOCAL);
		CHECK_EQ_INT(binding_of(copy, size, static_programs[i]), STB_GLOBAL);
		CHECK_EQ_INT(linkage_of(orig, size, static_programs[i]), BTF_FUNC_STATIC);
		CHECK_EQ_INT(linkage_of(copy, size, static_programs[i]), BTF_FUNC_GLOBAL);
	}
	/* the subprogram in .text is no program: it stays static */
	CHECK_EQ_INT(binding_of(copy, size, "bump"), STB_LOCAL);
	CHECK_EQ_INT(linkage_of(copy, size, "bump"), BTF_FUNC_STATIC);
	/* per program one byte of st_info and one of the BTF info word, nothing else */
	CHECK_EQ_INT(bytes_differing(orig, copy, size), 2 * ELEMENTSOF(static_programs));
	CHECK_EQ_INT(libbpf_programs(copy, size), (int)ELEMENTSOF(static_programs));
	/* a second pass finds nothing left to do */
	CHECK_EQ_INT(elf_globalize_static_programs(copy, size), 0);
	free(orig);
	free(copy);
}

static void test_one_static(const char *path)
{
	size_t size;
	uint8_t *image = read_file(path, &size);

	CHECK_EQ_INT(libbpf_programs(image, size), -EOPNOTSUPP);
	CHECK_EQ_INT(elf_globalize_static_programs(image, size), 1);
	CHECK_EQ_INT(binding_of(image, size, "tracepoint_getpid"), STB_GLOBAL);
	CHECK_EQ_INT(linkage_of(image, size, "tracepoint_getpid"), BTF_FUNC_GLOBAL);
	CHECK_EQ_INT(binding_of(image, size, "stats"), STB_GLOBAL);
	CHECK_EQ_INT(linkage_of(image, size, "stats"), BTF_FUNC_GLOBAL);
	CHECK_EQ_INT(libbpf_programs(image, size), 10);
	free(image);
}

static void test_legacy_maps(const char *path)
{
	size_t size;
	uint8_t *image = read_file(path, &size);

	CHECK_EQ_INT(elf_has_legacy_maps(image, size), 1);
	CHECK_EQ_INT(libbpf_programs(image, size), -EOPNOTSUPP); /* libbpf's own answer */
	free(image);
}

static void test_nothing_static(const char *path)
{
	size_t size;
	uint8_t *orig = read_file(path, &size), *copy = malloc(size);

	memcpy(copy, orig, size);
	CHECK_EQ_INT(elf_has_legacy_maps(copy, size), 0);
	CHECK_EQ_INT(elf_globalize_static_programs(copy, size), 0);
	CHECK_EQ_INT(bytes_differing(orig, copy, size), 0);
	free(orig);
	free(copy);
}

static void test_not_elf(void)
{
	uint8_t junk[256], orig[256];

	for (size_t i = 0; i < sizeof(junk); i++)
		junk[i] = (uint8_t)(i * 7 + 1);
	memcpy(orig, junk, sizeof(junk));
	CHECK_EQ_INT(elf_has_legacy_maps(junk, sizeof(junk)), -EINVAL);
	CHECK_EQ_INT(elf_globalize_static_programs(junk, sizeof(junk)), -EINVAL);
	CHECK_EQ_INT(elf_globalize_static_programs(junk, 0), -EINVAL);
	CHECK(memcmp(junk, orig, sizeof(junk)) == 0);
}

/* A symbol table whose header says it runs past the end of the image is refused, and
 * the image is left as it was. */
static void test_symtab_past_end(const char *path)
{
	size_t size;
	uint8_t *image = read_file(path, &size), *orig = malloc(size);
	Elf *elf = elf_memory((char *)image, size);
	Elf64_Shdr *symtab = NULL;
	Elf_Scn *scn = NULL;
	GElf_Ehdr eh;
	GElf_Shdr sh;

	CHECK(gelf_getehdr(elf, &eh) != NULL);
	while ((scn = elf_nextscn(elf, scn)))
		if (gelf_getshdr(scn, &sh) && sh.sh_type == SHT_SYMTAB)
			symtab = (Elf64_Shdr *)(image + eh.e_shoff + elf_ndxscn(scn) * eh.e_shentsize);
	elf_end(elf);
	CHECK(symtab != NULL);
	if (symtab)
		symtab->sh_size = size; /* from its offset on: past the end */
	memcpy(orig, image, size);
	CHECK_EQ_INT(elf_globalize_static_programs(image, size), -EINVAL);
	CHECK(memcmp(image, orig, size) == 0);
	free(orig);
	free(image);
}

int main(int argc, char **argv)
{
	if (argc != 5) {
		fprintf(stderr, "usage: %s legacy_static.o legacy_sections.o legacy_maps.o counters.o\n",
			argv[0]);
		return 2;
	}
	(void)elf_version(EV_CURRENT);
	libbpf_set_print(NULL);
	test_all_static(argv[1]);
	test_one_static(argv[2]);
	test_legacy_maps(argv[3]);
	test_nothing_static(argv[4]);
	test_not_elf();
	test_symtab_past_end(argv[1]);
	return TEST_RESULT();
}
