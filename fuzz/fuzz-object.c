/* libFuzzer harness: object files handed to `load`, as far as the load path goes without a
 * kernel: the ELF magic check, the checks of object-check.c ( on the file as load passes it: a
 * memfd here), libbpf's bpf_object__open_mem, and load.c's own inspection of
 * the opened object (section_fits() for every program and type, apply_global() on every
 * DATASEC variable, the pin-by-name switch-off).
 *
 * load.c's helpers are static and load.c is being changed by others, so the harness
 * includes the file rather than splitting it: this object then defines bpfman_load() itself
 * and the archive's load.o is never linked in. */
#include <sys/mman.h>

#include "load.c"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int quiet(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	return 0;
}

static int memfd = -1;
static char memfd_path[32];

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	libbpf_set_print(quiet);
	memfd = memfd_create("fuzz-object", MFD_CLOEXEC);
	if (memfd < 0)
		abort();
	snprintf(memfd_path, sizeof(memfd_path), "/proc/self/fd/%d", memfd);
	return 0;
}

/* The input as a file, for the checks load runs on the path. */
static bool as_file(const uint8_t *data, size_t size)
{
	return ftruncate(memfd, 0) == 0 && pwrite(memfd, data, size, 0) == (ssize_t)size;
}

/* The names of the object's BTF variables (what `-g NAME=HEX` can name), at most max. */
static size_t btf_var_names(const struct btf *btf, const char **names, size_t max)
{
	size_t n = 0;

	for (uint32_t id = 1; btf && id < btf__type_cnt(btf) && n < max; id++) {
		const struct btf_type *t = btf__type_by_id(btf, id);

		if (t && btf_is_var(t))
			names[n++] = btf__name_by_offset(btf, t->name_off);
	}
	return n;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct bpfman m; /* only its error buffer is used */
	LIBBPF_OPTS(bpf_object_open_opts, opts, .object_name = "fuzz.bpf.o");
	static const uint8_t value[8] = { 1, 2, 3, 4, 5, 6, 7, 8 };
	struct bpf_object *obj;
	struct bpf_program *p;
	struct bpf_map *map;
	const char *names[8];
	uint8_t *copy;
	size_t n;

	/* check_object_file()'s rule: anything else never reaches libbpf */
	if (size < 4 || memcmp(data, "\177ELF", 4) != 0)
		return 0;
	if (!as_file(data, size))
		abort();
	if (object_check(&m, memfd_path, memfd_path) < 0)
		return 0; /* refused with a message, as load does */
	/* libbpf (libelf) may write to the buffer; libFuzzer's is not ours to change */
	copy = malloc(size);
	if (!copy)
		return 0;
	memcpy(copy, data, size);
	obj = bpf_object__open_mem(copy, size, &opts);
	if (!obj) {
		free(copy);
		return 0;
	}
	bpf_object__for_each_map(map, obj)
		if (bpf_map__pin_path(map))
			(void)bpf_map__set_pin_path(map, NULL);
	bpf_object__for_each_program(p, obj) {
		bool retprobe;

		bpf_program__set_autoload(p, false);
		(void)bpf_object__find_program_by_name(obj, bpf_program__name(p));
		for (int t = 0; t < _BPFMAN_PROG_TYPE_MAX; t++)
			(void)section_fits(p, (enum bpfman_prog_type)t, &retprobe);
	}
	n = btf_var_names(bpf_object__btf(obj), names, ELEMENTSOF(names));
	for (size_t i = 0; i < n; i++)
		for (size_t len = 1; len <= sizeof(value); len *= 2) {
			struct bpfman_global g = { .name = (char *)names[i],
						   .data = (uint8_t *)value,
						   .len = len };

			(void)apply_global(&m, obj, &g);
		}
	bpf_object__close(obj);
	free(copy);
	return 0;
}
