/* Loading: one object, several programs, one set of maps, all or nothing.
 *
 * The plan, each step with its undo (run in reverse on failure):
 *   check the request        -
 *   open the object          close it
 *   select programs, types   -
 *   apply global data        -
 *   reuse the owner's maps   -
 *   load into the kernel     close the object (the kernel frees what nothing pins)
 *   pin each program         unpin
 *   pin the maps             unpin (remove the directory if we made it)
 *   record, commit           (last step: nothing to undo)
 * A crash between the steps leaves only pins without records, which reconcile removes. */
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>

#include "btf-target.h"
#include "elf-legacy.h"
#include "object-check.h"
#include "cleanup.h"
#include "dispatcher/dispatcher.h"
#include "kernel.h"
#include "libbpf-errno.h"
#include "load-image.h"
#include "manager.h"
#include "validate.h"

DEFINE_TRIVIAL_CLEANUP_FUNC(struct bpf_object *, bpf_object__close)

struct selected {
	struct bpf_program *prog;
	const struct bpfman_prog_request *req;
	bool retprobe;
	uint32_t id;
	char *pin;
};

static bool starts_with(const char *s, const char *prefix)
{
	return s && strncmp(s, prefix, strlen(prefix)) == 0;
}

/* The kernel's program type and expected attach type for each requested type. */
static const struct {
	enum bpf_prog_type type;
	enum bpf_attach_type attach;
} kernel_types[_BPFMAN_PROG_TYPE_MAX] = {
	[BPFMAN_PROG_XDP] = { BPF_PROG_TYPE_XDP, BPF_XDP },
	[BPFMAN_PROG_TC] = { BPF_PROG_TYPE_SCHED_CLS, 0 },
	[BPFMAN_PROG_TCX] = { BPF_PROG_TYPE_SCHED_CLS, 0 },
	[BPFMAN_PROG_TRACEPOINT] = { BPF_PROG_TYPE_TRACEPOINT, 0 },
	[BPFMAN_PROG_KPROBE] = { BPF_PROG_TYPE_KPROBE, 0 },
	[BPFMAN_PROG_UPROBE] = { BPF_PROG_TYPE_KPROBE, 0 },
	[BPFMAN_PROG_FENTRY] = { BPF_PROG_TYPE_TRACING, BPF_TRACE_FENTRY },
	[BPFMAN_PROG_FEXIT] = { BPF_PROG_TYPE_TRACING, BPF_TRACE_FEXIT },
	[BPFMAN_PROG_LSM] = { BPF_PROG_TYPE_LSM, BPF_LSM_MAC },
};

/* Section names are a family (the part before the first '/') and a hint. Older loaders
 * (libbpf < 1.0, aya, cilium/ebpf) took the family as a prefix; libbpf 1.1 knows only some
 * forms and leaves the others without a type after the open (measured: "classifier/stats",
 * "tc/ingress", "tcx/ingress", "xdp/stats", "xdp_stats"; it does know "classifier", "tc",
 * "xdp", "tracepoint/a/b", "tp/a/b", "kprobe/f", "kretprobe/f", "uprobe/x", "uretprobe/x").
 * For those, the request's type wins unless the family names another kind of program. */
enum bpf_prog_type object_section_family(const char *sec)
{
	static const struct {
		const char *family;
		enum bpf_prog_type type;
	} families[] = {
		{ "classifier", BPF_PROG_TYPE_SCHED_CLS }, { "tc", BPF_PROG_TYPE_SCHED_CLS },
		{ "tcx", BPF_PROG_TYPE_SCHED_CLS },	   { "action", BPF_PROG_TYPE_SCHED_ACT },
		{ "xdp", BPF_PROG_TYPE_XDP },		   { "tracepoint", BPF_PROG_TYPE_TRACEPOINT },
		{ "tp", BPF_PROG_TYPE_TRACEPOINT },	   { "kprobe", BPF_PROG_TYPE_KPROBE },
		{ "kretprobe", BPF_PROG_TYPE_KPROBE },	   { "uprobe", BPF_PROG_TYPE_KPROBE },
		{ "uretprobe", BPF_PROG_TYPE_KPROBE },	   { "fentry", BPF_PROG_TYPE_TRACING },
		{ "fexit", BPF_PROG_TYPE_TRACING },	   { "lsm", BPF_PROG_TYPE_LSM },
	};
	size_t n = strcspn(sec, "/");

	for (size_t i = 0; i < ELEMENTSOF(families); i++)
		if (strlen(families[i].family) == n && strncmp(sec, families[i].family, n) == 0)
			return families[i].type;
	return BPF_PROG_TYPE_UNSPEC;
}

/* Does the program's ELF section fit the requested type? 1 if so (a section libbpf gave
 * no type gets the request's), 0 if not, or a negative errno. Sets *retprobe for probes:
 * entry or return comes from the section, as in the reference. */
static int section_fits(struct bpf_program *p, enum bpfman_prog_type t, bool *retprobe)
{
	const char *sec = bpf_program__section_name(p);
	enum bpf_prog_type kt = bpf_program__type(p);
	enum bpf_attach_type at = bpf_program__expected_attach_type(p);

	*retprobe = false;
	if ((unsigned)t >= _BPFMAN_PROG_TYPE_MAX)
		return 0;
	if (kt == BPF_PROG_TYPE_UNSPEC) {
		enum bpf_prog_type family = object_section_family(sec);
		int r;

		if (family != BPF_PROG_TYPE_UNSPEC && family != kernel_types[t].type)
			return 0;
		r = bpf_program__set_type(p, kernel_types[t].type);
		if (r == 0)
			r = bpf_program__set_expected_attach_type(p, kernel_types[t].attach);
		if (r < 0)
			return r;
		*retprobe = starts_with(sec, "kretprobe") || starts_with(sec, "uretprobe");
		return 1;
	}
	switch (t) {
	case BPFMAN_PROG_XDP:
		return kt == BPF_PROG_TYPE_XDP;
	case BPFMAN_PROG_TC:
	case BPFMAN_PROG_TCX:
		return kt == BPF_PROG_TYPE_SCHED_CLS;
	case BPFMAN_PROG_TRACEPOINT:
		return kt == BPF_PROG_TYPE_TRACEPOINT;
	case BPFMAN_PROG_KPROBE:
		*retprobe = starts_with(sec, "kretprobe");
		return kt == BPF_PROG_TYPE_KPROBE &&
		       (starts_with(sec, "kprobe") || starts_with(sec, "kretprobe"));
	case BPFMAN_PROG_UPROBE:
		*retprobe = starts_with(sec, "uretprobe");
		return kt == BPF_PROG_TYPE_KPROBE &&
		       (starts_with(sec, "uprobe") || starts_with(sec, "uretprobe"));
	case BPFMAN_PROG_FENTRY:
		return kt == BPF_PROG_TYPE_TRACING && at == BPF_TRACE_FENTRY;
	case BPFMAN_PROG_FEXIT:
		return kt == BPF_PROG_TYPE_TRACING && at == BPF_TRACE_FEXIT;
	case BPFMAN_PROG_LSM:
		return kt == BPF_PROG_TYPE_LSM;
	default:
		return 0;
	}
}

/* On kernels with freplace, xdp and tc programs are loaded as extensions of a dispatcher
 * slot, so that their id is known (and stays) before any attach: loaded against a one-slot
 * template dispatcher of the kind, linked to the real revisions at attach time. The
 * template stays in the kernel only until the program's first attach. */
static int as_extension(struct bpfman *m, struct bpf_program *prog, enum bpfman_prog_type type,
			struct bpf_object **tmpl)
{
	int r;

	if (!*tmpl) {
		r = dispatcher_template(type == BPFMAN_PROG_XDP ? DISPATCHER_XDP
								: DISPATCHER_TC_INGRESS,
					tmpl);
		if (r < 0)
			return manager_error(m, r, "cannot load the %s dispatcher: %s",
					     bpfman_prog_type_to_string(type), strerror(-r));
	}
	/* An EXT program takes the context and helpers of the function it replaces; the
	 * kernel wants no expected attach type for it. */
	r = bpf_program__set_type(prog, BPF_PROG_TYPE_EXT);
	if (r == 0)
		r = bpf_program__set_expected_attach_type(prog, 0);
	if (r == 0)
		r = bpf_program__set_attach_target(prog, dispatcher_template_fd(*tmpl), "prog0");
	if (r < 0)
		return manager_error(m, r, "cannot prepare '%s' for the dispatcher: %s",
				     bpf_program__name(prog), strerror(-r));
	return 0;
}

static int check_request(struct bpfman *m, const struct bpfman_load_opts *o)
{
	char err[512];
	int r = validate_load(o, err, sizeof(err));

	return r < 0 ? manager_error(m, r, "%s", err) : 0;
}

/* Opens the object file the way it is then read: without blocking (a FIFO would wait for
 * a writer forever, and a wedged worker helps nobody) and checked to be a regular ELF file,
 * with a clear error for files that are missing or not ELF before libbpf's generic one.
 * The object is read through this fd (object_check() through /proc/self/fd/N), so the
 * checked file is the loaded one. */
static int open_object_file(struct bpfman *m, const char *path, int *ret_fd)
{
	_cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
	unsigned char magic[4];
	struct stat st;

	if (fd < 0)
		return manager_error(m, -errno, "cannot open object file '%s': %s", path,
				     strerror(errno));
	if (fstat(fd, &st) < 0)
		return manager_error(m, -errno, "cannot stat object file '%s': %s", path,
				     strerror(errno));
	if (!S_ISREG(st.st_mode))
		return manager_error(m, -EINVAL, "'%s' is not a regular file", path);
	if (pread(fd, magic, 4, 0) != 4 || memcmp(magic, "\177ELF", 4) != 0)
		return manager_error(m, -ENOEXEC, "'%s' is not an ELF object file", path);
	*ret_fd = TAKE_FD(fd);
	return 0;
}

/* The name libbpf would give the object for path (base name up to its first '.'): it
 * prefixes the internal maps' names, which must not change with the fd path. */
static void object_name_of(const char *path, char *buf, size_t len)
{
	const char *base = strrchr(path, '/');

	snprintf(buf, len, "%s", base ? base + 1 : path);
	buf[strcspn(buf, ".")] = '\0';
}

/* Object files are a few KiB to a few MiB; the copy below must not let one request take
 * the server's memory. */
#define OBJECT_MAX_BYTES (256u << 20)

/* Opens the object from its checked fd. libbpf 1.x refuses some objects older loaders took,
 * so libbpf opens an in-memory copy of the file instead, with each static program made
 * global (elf-legacy.h). An object with a legacy "maps" section cannot be fixed up that
 * way and is refused with what to change. *ret_image is the copy (libbpf reads it during
 * the open; freed by the caller after). */
int object_open(struct bpfman *m, int fd, const char *name,
		const struct bpf_object_open_opts *opts, void **ret_image, struct bpf_object **ret)
{
	_cleanup_free_ uint8_t *image = NULL;
	struct bpf_object *obj;
	struct stat st;
	size_t got = 0;
	int r;

	if (fstat(fd, &st) < 0)
		return manager_error(m, -errno, "cannot stat object file '%s': %s", name,
				     strerror(errno));
	if (st.st_size <= 0 || (uint64_t)st.st_size > OBJECT_MAX_BYTES)
		return manager_error(m, st.st_size <= 0 ? -ENOEXEC : -E2BIG,
				     "'%s' is %lld bytes: an object file has 1 byte to %u MiB", name,
				     (long long)st.st_size, OBJECT_MAX_BYTES >> 20);
	image = malloc(st.st_size);
	if (!image)
		return -ENOMEM;
	while (got < (size_t)st.st_size) {
		ssize_t n = pread(fd, image + got, st.st_size - got, got);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return manager_error(m, -errno, "cannot read object file '%s': %s", name,
					     strerror(errno));
		if (n == 0)
			return manager_error(m, -ESTALE, "object file '%s' shrank while it was read",
					     name);
		got += n;
	}

	r = elf_has_legacy_maps(image, got);
	if (r > 0)
		return manager_error(m, -EINVAL,
				     "'%s' declares its maps in a legacy \"" ELF_LEGACY_MAPS_SECTION
				     "\" section (struct bpf_map_def), which libbpf 1.0 and later do not load: declare each map as a BTF-defined map in SEC(\".maps\") instead (struct { __uint(type, ...); __uint(max_entries, ...); __type(key, ...); __type(value, ...); } name SEC(\".maps\");) and build with -g",
				     name);
	/* a file these cannot read goes to libbpf as it is: libbpf's error names the problem
	 * (the rewrite changes nothing when it fails) */
	if (r == 0)
		r = elf_globalize_static_programs(image, got);
	if (r == -ENOMEM)
		return r;

	obj = bpf_object__open_mem(image, got, opts);
	if (!obj) {
		int e = -errno;

		/* something in the file this libbpf does not support: bad input, not a request
		 * the server does not implement (its log says what) */
		if (e == -EOPNOTSUPP)
			return manager_error(m, -EINVAL,
					     "cannot open BPF object '%s': it uses a form libbpf %s does not load\n%s",
					     name, libbpf_version_string(), libbpf_log_capture_tail(1500));
		return manager_error(m, libbpf_errno(e), "cannot open BPF object '%s': %s\n%s", name,
				     libbpf_errstr(e), libbpf_log_capture_tail(1500));
	}
	*ret_image = TAKE_PTR(image);
	*ret = obj;
	return 0;
}

/* Finds the variable name in the object's .rodata/.data/.bss (and other internal data
 * sections) and overwrites its initial value. Sizes must match exactly: a shorter value
 * would leave stale bytes, a longer one would spill into the next variable. */
static int apply_global(struct bpfman *m, struct bpf_object *obj, const struct bpfman_global *g)
{
	const struct btf *btf = bpf_object__btf(obj);
	struct bpf_map *map;

	if (!btf)
		return manager_error(m, -EINVAL,
				     "cannot set global '%s': the object has no BTF to find it in",
				     g->name);
	bpf_object__for_each_map(map, obj) {
		const char *mname = bpf_map__name(map), *sec = strchr(mname, '.');
		const struct btf_var_secinfo *vs;
		const struct btf_type *ds;
		int id;

		if (!bpf_map__is_internal(map) || !sec || strcmp(sec, ".kconfig") == 0)
			continue;
		id = btf__find_by_name_kind(btf, sec, BTF_KIND_DATASEC);
		if (id < 0)
			continue;
		ds = btf__type_by_id(btf, id);
		vs = btf_var_secinfos(ds);
		for (unsigned i = 0; i < btf_vlen(ds); i++, vs++) {
			const struct btf_type *var = btf__type_by_id(btf, vs->type);
			const char *vname = btf__name_by_offset(btf, var->name_off);
			_cleanup_free_ uint8_t *buf = NULL;
			const void *init;
			size_t size;

			if (!vname || strcmp(vname, g->name) != 0)
				continue;
			if (vs->size != g->len)
				return manager_error(m, -EINVAL,
						     "global '%s' is %u bytes, the value given has %zu",
						     g->name, vs->size, g->len);
			init = bpf_map__initial_value(map, &size);
			if (!init || vs->offset + vs->size > size)
				return manager_error(m, -EINVAL, "cannot set global '%s' in %s",
						     g->name, sec);
			buf = malloc(size);
			if (!buf)
				return -ENOMEM;
			memcpy(buf, init, size);
			memcpy(buf + vs->offset, g->data, g->len);
			return bpf_map__set_initial_value(map, buf, size);
		}
	}
	return manager_error(m, -ENOENT, "no global variable named '%s' in the object", g->name);
}

/* Where the maps go: the owner's directory (following the owner's own owner) or a new one
 * named after the first program. */
static int owner_map_dir(struct bpfman *m, const struct bpfman_load_opts *o, char **ret)
{
	struct bpfman_program *owner = NULL;
	int r;

	r = store_program_get(m->store, o->map_owner_id, &owner);
	if (r == -ENOENT)
		return manager_error(m, -ENOENT, "map owner program %u does not exist",
				     o->map_owner_id);
	if (r < 0)
		return manager_error(m, r, "cannot read map owner %u: %s", o->map_owner_id,
				     strerror(-r));
	*ret = TAKE_PTR(owner->map_pin_path);
	bpfman_program_free(owner);
	return 0;
}

static bool map_is_shared(struct bpf_map *map)
{
	return !bpf_map__is_internal(map);
}

/* The kernel's charset for object names (bpf_obj_name_cpy), and a file name's length:
 * a shared map's name becomes the name of its pin in the map directory. */
static bool map_name_valid(const char *name)
{
	size_t n = strlen(name);

	if (n == 0 || n > NAME_MAX || strcmp(name, ".") == 0 || strcmp(name, "..") == 0)
		return false;
	for (const char *c = name; *c; c++)
		if (!isalnum((unsigned char)*c) && *c != '_' && *c != '.')
			return false;
	return true;
}

/* Refuses the object before any map name is joined into a path ("../" would pin or reuse
 * outside the map directory). The name is shown with unprintable bytes escaped. */
static int check_map_names(struct bpfman *m, struct bpf_object *obj, const char *path)
{
	struct bpf_map *map;

	bpf_object__for_each_map(map, obj) {
		const char *name = bpf_map__name(map);
		char shown[4 * 64 + 4] = "";
		size_t k = 0;

		if (!map_is_shared(map) || map_name_valid(name))
			continue;
		for (const char *c = name; *c && k < sizeof(shown) - 8; c++)
			k += snprintf(shown + k, sizeof(shown) - k,
				      isprint((unsigned char)*c) ? "%c" : "\\x%02x",
				      (unsigned char)*c);
		if (name[0] && strlen(name) > 64)
			snprintf(shown + k, sizeof(shown) - k, "...");
		return manager_error(m, -EINVAL,
				     "map '%s' in '%s' cannot be pinned under its name: a map name is 1 to %d letters, digits, '_' or '.', and not '.' or '..'",
				     shown, path, NAME_MAX);
	}
	return 0;
}

static int reuse_owner_maps(struct bpfman *m, struct bpf_object *obj, const char *dir)
{
	struct bpf_map *map;

	bpf_object__for_each_map(map, obj) {
		_cleanup_free_ char *path = NULL;
		_cleanup_close_ int fd = -EBADF;

		if (!map_is_shared(map))
			continue;
		if (asprintf(&path, "%s/%s", dir, bpf_map__name(map)) < 0)
			return -ENOMEM;
		fd = bpf_obj_get(path);
		if (fd < 0) {
			if (errno == ENOENT)
				continue; /* the owner has no such map: ours is new */
			return manager_error(m, -errno, "cannot open shared map %s: %s", path,
					     strerror(errno));
		}
		if (bpf_map__reuse_fd(map, fd) < 0)
			return manager_error(m, -errno,
					     "map '%s' does not match the owner's map of that name: %s",
					     bpf_map__name(map), strerror(errno));
	}
	return 0;
}

/* Pins the maps that are not in dir yet. Newly made pins are appended to *made. */
static int pin_maps(struct bpfman *m, struct bpf_object *obj, const char *dir, char ***made,
		    size_t *n_made)
{
	struct bpf_map *map;

	bpf_object__for_each_map(map, obj) {
		_cleanup_free_ char *path = NULL;
		char **t;

		if (!map_is_shared(map))
			continue;
		if (asprintf(&path, "%s/%s", dir, bpf_map__name(map)) < 0)
			return -ENOMEM;
		if (access(path, F_OK) == 0)
			continue; /* reused from the owner */
		if (bpf_obj_pin(bpf_map__fd(map), path) < 0)
			return manager_error(m, -errno, "cannot pin map %s: %s", path,
					     strerror(errno));
		(void)chmod(path, 0660);
		t = reallocarray(*made, *n_made + 1, sizeof(*t));
		if (!t) {
			(void)unlink(path);
			return -ENOMEM;
		}
		*made = t;
		t[(*n_made)++] = TAKE_PTR(path);
	}
	return 0;
}

/* Names each fentry/fexit/lsm target to libbpf, once it is known to exist. */
static int set_targets(struct bpfman *m, const struct bpfman_load_opts *o,
		       const struct selected *sel)
{
	for (size_t i = 0; i < o->n_progs; i++) {
		const struct bpfman_prog_request *req = sel[i].req;
		int r;

		if (!req->attach_fn)
			continue;
		r = btf_target_exists(sel[i].prog, req->attach_fn);
		if (r == 0)
			return manager_error(m, -ENOENT,
					     "cannot target '%s' with '%s': the kernel has no such %s",
					     req->attach_fn, req->name,
					     req->type == BPFMAN_PROG_LSM ? "LSM hook" : "function");
		if (r < 0)
			return manager_error(m, r, "cannot read the kernel's BTF for '%s': %s",
					     req->attach_fn, strerror(-r));
		r = bpf_program__set_attach_target(sel[i].prog, 0, req->attach_fn);
		if (r < 0)
			return manager_error(m, r, "cannot target '%s' with '%s': %s",
					     req->attach_fn, req->name, strerror(-r));
	}
	return 0;
}

static int build_record(const struct bpfman_load_opts *o, const char *path,
			const char *image_digest, const struct selected *s,
			const char *map_dir, bool has_owner, uint32_t owner,
			struct bpfman_program **ret)
{
	struct bpfman_program *p = calloc(1, sizeof(*p));
	int r = -ENOMEM;

	if (!p)
		return -ENOMEM;
	p->id = s->id;
	p->type = s->req->type;
	p->retprobe = s->retprobe;
	p->pull_policy = o->pull_policy;
	p->has_map_owner = has_owner;
	p->map_owner_id = owner;
	p->name = strdup(s->req->name);
	p->map_pin_path = strdup(map_dir);
	if (!p->name || !p->map_pin_path)
		goto fail;
	if (s->req->attach_fn && !(p->attach_fn = strdup(s->req->attach_fn)))
		goto fail;
	if (path && !(p->path = strdup(path)))
		goto fail;
	if (o->image_url && !(p->image_url = strdup(o->image_url)))
		goto fail;
	if (image_digest && !(p->image_digest = strdup(image_digest)))
		goto fail;
	if (o->n_globals) {
		p->globals = calloc(o->n_globals, sizeof(*p->globals));
		if (!p->globals)
			goto fail;
		p->n_globals = o->n_globals;
		for (size_t i = 0; i < o->n_globals; i++) {
			p->globals[i].name = strdup(o->globals[i].name);
			p->globals[i].data = malloc(o->globals[i].len + 1);
			if (!p->globals[i].name || !p->globals[i].data)
				goto fail;
			memcpy(p->globals[i].data, o->globals[i].data, o->globals[i].len);
			p->globals[i].len = o->globals[i].len;
		}
	}
	r = kv_list_copy(&p->metadata, o->metadata);
	if (r < 0)
		goto fail;
	*ret = p;
	return 0;
fail:
	bpfman_program_free(p);
	return r;
}

int bpfman_load(struct bpfman *m, const struct bpfman_load_opts *user_opts,
		struct bpfman_program_view **ret_views, size_t *ret_n)
{
	/* for an image, messages name it where they name the file of a file load */
	struct bpfman_load_opts shown = *user_opts;
	const struct bpfman_load_opts *o = &shown;
	_cleanup_free_ char *image_ref = NULL, *image_obj = NULL, *image_digest = NULL;
	_cleanup_free_ void *obj_image = NULL; /* what obj was opened from: freed after it */
	_cleanup_(bpf_object__closep) struct bpf_object *obj = NULL;
	_cleanup_(bpf_object__closep) struct bpf_object *xdp_tmpl = NULL, *tc_tmpl = NULL;
	_cleanup_free_ struct selected *sel = NULL;
	_cleanup_free_ char *map_dir = NULL, *abs_path = NULL;
	_cleanup_close_ int obj_fd = -EBADF;
	char obj_fd_path[32], obj_name[BPF_OBJ_NAME_LEN];
	LIBBPF_OPTS(bpf_object_open_opts, open_opts, .object_name = obj_name);
	char **map_pins = NULL;
	size_t n_map_pins = 0;
	bool made_map_dir = false;
	struct bpfman_program_view *views = NULL;
	struct bpf_program *p;
	struct bpf_map *map;
	int r;

	r = check_request(m, o);
	if (r < 0)
		return r;
	if (user_opts->image_url) {
		/* pulled per the policy, its labels checked; the cached object is then read
		 * like a file (the record keeps the reference and digest, no path) */
		r = load_image_source(m, user_opts, &obj_fd, &image_ref, &image_obj, &image_digest);
		if (r < 0)
			return r;
		shown.path = image_ref;
	} else {
		r = open_object_file(m, o->path, &obj_fd);
		if (r < 0)
			return r;
		/* the record names the file absolutely: the server's and the CLI's cwd differ */
		abs_path = realpath(o->path, NULL);
		if (!abs_path)
			return manager_error(m, -errno, "cannot resolve '%s': %s", o->path,
					     strerror(errno));
	}

	/* the user's file is read before the lock: a slow or hung file system stalls only
	 * this request, never every writer */
	snprintf(obj_fd_path, sizeof(obj_fd_path), "/proc/self/fd/%d", obj_fd);
	/* before libbpf, which crashes on some malformed files */
	r = object_check(m, obj_fd_path, o->path);
	if (r < 0)
		goto out;
	object_name_of(image_obj ? image_obj : o->path, obj_name, sizeof(obj_name));
	libbpf_log_capture_begin();
	r = object_open(m, obj_fd, o->path, &open_opts, &obj_image, &obj);
	if (r < 0)
		goto out;

	r = manager_lock(m);
	if (r < 0)
		goto out; /* manager_lock() said why */

	if (o->has_map_owner) {
		r = owner_map_dir(m, o, &map_dir);
		if (r < 0)
			goto out;
	}

	sel = calloc(o->n_progs, sizeof(*sel));
	if (!sel) {
		r = -ENOMEM;
		goto out;
	}
	bpf_object__for_each_program(p, obj)
		bpf_program__set_autoload(p, false);
	/* Maps declared pin-by-name would be pinned by libbpf under /sys/fs/bpf; they are
	 * shared like every other map instead: by name, in the owner's map directory. */
	bpf_object__for_each_map(map, obj)
		if (bpf_map__pin_path(map))
			(void)bpf_map__set_pin_path(map, NULL);
	r = check_map_names(m, obj, o->path);
	if (r < 0)
		goto out;
	for (size_t i = 0; i < o->n_progs; i++) {
		const struct bpfman_prog_request *req = &o->progs[i];

		sel[i].req = req;
		sel[i].prog = bpf_object__find_program_by_name(obj, req->name);
		if (!sel[i].prog) {
			r = manager_error(m, -ENOENT, "no program function named '%s' in '%s'",
					  req->name, o->path);
			goto out;
		}
		r = section_fits(sel[i].prog, req->type, &sel[i].retprobe);
		if (r < 0) {
			r = manager_error(m, r, "cannot set the type of '%s': %s", req->name,
					  strerror(-r));
			goto out;
		}
		if (r == 0) {
			r = manager_error(m, -EINVAL,
					  "function '%s' is in section '%s', which is not a %s program",
					  req->name, bpf_program__section_name(sel[i].prog),
					  bpfman_prog_type_to_string(req->type));
			goto out;
		}
		bpf_program__set_autoload(sel[i].prog, true);
		if (req->type == BPFMAN_PROG_XDP || req->type == BPFMAN_PROG_TC) {
			const char *why;
			int ext = bpfman_feature_probe(BPFMAN_FEAT_FREPLACE, &why);

			/* a probe that proved nothing must not pick the plain path */
			if (ext < 0) {
				r = manager_error(m, ext, "cannot tell whether the kernel supports freplace: %s",
						  why);
				goto out;
			}
			if (ext > 0) {
				r = as_extension(m, sel[i].prog, req->type,
						 req->type == BPFMAN_PROG_XDP ? &xdp_tmpl : &tc_tmpl);
				if (r < 0)
					goto out;
			}
		}
	}
	for (size_t i = 0; i < o->n_globals; i++) {
		r = apply_global(m, obj, &o->globals[i]);
		if (r < 0)
			goto out;
	}
	if (map_dir) {
		r = reuse_owner_maps(m, obj, map_dir);
		if (r < 0)
			goto out;
	}

	/* last before the load: libbpf keeps the kernel's BTF in the object from the first
	 * target until bpf_object__load() (btf-target.h) */
	r = set_targets(m, o, sel);
	if (r < 0)
		goto out;
	r = bpf_object__load(obj);
	if (r < 0) {
		const char *target = NULL;

		for (size_t i = 0; i < o->n_progs; i++)
			if (bpf_program__fd(sel[i].prog) < 0) {
				target = sel[i].req->name;
				break;
			}
		r = manager_error(m, libbpf_errno(r), "cannot load program '%s' from '%s': %s\n%s",
				  target ? target : sel[0].req->name, o->path, libbpf_errstr(r),
				  libbpf_log_capture_tail(1500));
		goto out;
	}

	for (size_t i = 0; i < o->n_progs; i++) {
		int fd = bpf_program__fd(sel[i].prog);

		r = kernel_prog_id_of_fd(fd, &sel[i].id);
		if (r < 0)
			goto unpin;
		sel[i].pin = layout_prog_pin(&m->layout, sel[i].id);
		if (!sel[i].pin) {
			r = -ENOMEM;
			goto unpin;
		}
		if (bpf_obj_pin(fd, sel[i].pin) < 0) {
			r = manager_error(m, -errno, "cannot pin program at %s: %s", sel[i].pin,
					  strerror(errno));
			free(sel[i].pin);
			sel[i].pin = NULL;
			goto unpin;
		}
	}

	if (!map_dir) {
		map_dir = layout_map_dir(&m->layout, sel[0].id);
		if (!map_dir) {
			r = -ENOMEM;
			goto unpin;
		}
		if (mkdir(map_dir, 0755) < 0) {
			r = manager_error(m, -errno, "cannot create %s: %s", map_dir,
					  strerror(errno));
			goto unpin;
		}
		made_map_dir = true;
	}
	r = pin_maps(m, obj, map_dir, &map_pins, &n_map_pins);
	if (r < 0)
		goto unpin;

	views = calloc(o->n_progs, sizeof(*views));
	if (!views) {
		r = -ENOMEM;
		goto unpin;
	}
	for (size_t i = 0; i < o->n_progs; i++) {
		bool has_owner = o->has_map_owner || i > 0;
		uint32_t owner = o->has_map_owner ? o->map_owner_id : sel[0].id;

		r = build_record(o, abs_path, image_digest, &sel[i], map_dir, has_owner,
				 has_owner ? owner : 0, &views[i].program);
		if (r < 0)
			goto unpin;
		r = kernel_prog_info(bpf_program__fd(sel[i].prog), &views[i].kernel, false);
		if (r < 0)
			goto unpin;
		view_from_record(&views[i]);
	}

	r = store_begin(m->store);
	if (r < 0) {
		manager_error(m, r, "cannot start a transaction: %s", strerror(-r));
		goto unpin;
	}
	for (size_t i = 0; i < o->n_progs; i++) {
		r = store_program_insert(m->store, views[i].program);
		if (r < 0) {
			store_rollback(m->store);
			manager_error(m, r, "cannot record program %u: %s", sel[i].id, strerror(-r));
			goto unpin;
		}
	}
	r = manager_check_cancel(m); /* the last moment a cancel can still undo the load */
	if (r < 0) {
		store_rollback(m->store);
		goto unpin;
	}
	r = store_commit(m->store);
	if (r < 0) {
		store_rollback(m->store);
		manager_error(m, r, "cannot commit: %s", strerror(-r));
		goto unpin;
	}
	/* links and users as a get would show them */
	for (size_t i = 0; i < o->n_progs; i++) {
		struct bpfman_program *full = NULL;

		if (store_program_get(m->store, sel[i].id, &full) == 0) {
			bpfman_program_free(views[i].program);
			views[i].program = full;
		}
	}
	*ret_views = TAKE_PTR(views);
	*ret_n = o->n_progs;
	r = 0;
	goto out;

unpin:
	for (size_t i = n_map_pins; i > 0; i--)
		(void)unlink(map_pins[i - 1]);
	if (made_map_dir)
		(void)rmdir(map_dir);
	for (size_t i = o->n_progs; i > 0; i--)
		if (sel[i - 1].pin)
			(void)unlink(sel[i - 1].pin);
	bpfman_program_views_free(views, o->n_progs);
out:
	libbpf_log_capture_end();
	for (size_t i = 0; i < n_map_pins; i++)
		free(map_pins[i]);
	free(map_pins);
	for (size_t i = 0; sel && i < o->n_progs; i++)
		free(sel[i].pin);
	manager_unlock(m);
	return r;
}
