/* Plumbing shared by the examples (see example.h). */
#include <errno.h>
#include <libgen.h>
#include <limits.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "example.h"

/* ---- flags, in the style of Go's flag package: -name value, -name=value, --name ---- */

static void usage(const char *prog, const struct ex_flag *flags, int status)
{
	fprintf(status ? stderr : stdout, "usage: %s [flags]\n", prog);
	for (const struct ex_flag *f = flags; f->name; f++)
		fprintf(status ? stderr : stdout, "  -%-14s %s\n", f->name, f->help);
	exit(status);
}

static int set_flag(const struct ex_flag *f, const char *s)
{
	char *end;

	errno = 0;
	switch (f->kind) {
	case EX_STR:
		*(const char **)f->value = s;
		return 0;
	case EX_INT: {
		long v = strtol(s, &end, 0);

		if (errno || *end || end == s || v < INT32_MIN || v > INT32_MAX)
			return -EINVAL;
		*(int32_t *)f->value = (int32_t)v;
		return 0;
	}
	case EX_UINT: {
		unsigned long v = strtoul(s, &end, 0);

		if (errno || *end || end == s || *s == '-' || v > UINT32_MAX)
			return -EINVAL;
		*(uint32_t *)f->value = (uint32_t)v;
		return 0;
	}
	case EX_DOUBLE:
		*(double *)f->value = strtod(s, &end);
		return errno || *end || end == s ? -EINVAL : 0;
	}
	return -EINVAL;
}

static void parse_flags(int argc, char **argv, const struct ex_flag *flags)
{
	for (int i = 1; i < argc; i++) {
		const char *arg = argv[i], *val;
		const struct ex_flag *f;
		size_t len;

		if (arg[0] != '-')
			usage(argv[0], flags, 2);
		arg += arg[1] == '-' ? 2 : 1;
		if (!strcmp(arg, "h") || !strcmp(arg, "help"))
			usage(argv[0], flags, 0);
		val = strchr(arg, '=');
		len = val ? (size_t)(val - arg) : strlen(arg);
		for (f = flags; f->name; f++)
			if (strlen(f->name) == len && !strncmp(f->name, arg, len))
				break;
		if (!f->name || (!val && i + 1 >= argc)) {
			fprintf(stderr, "%s: unknown flag or no value: %s\n", argv[0], argv[i]);
			usage(argv[0], flags, 2);
		}
		if (set_flag(f, val ? val + 1 : argv[++i]) < 0) {
			fprintf(stderr, "%s: bad value for -%s\n", argv[0], f->name);
			usage(argv[0], flags, 2);
		}
	}
}

void ex_init(struct example *ex, const char *name, int argc, char **argv,
	     const struct ex_flag *extra)
{
	struct ex_flag flags[EX_MAX_FLAGS + 1] = {
		{ "socket", EX_STR, &ex->socket, "server socket (" BPFMAN_DEFAULT_SOCKET ")" },
		{ "file", EX_STR, &ex->file, "BPF object (default: the one next to this program)" },
		{ "id", EX_UINT, &ex->id, "use this loaded program instead of loading one" },
		{ "map_owner_id", EX_UINT, &ex->map_owner_id, "share the maps of this program" },
		{ "count", EX_INT, &ex->count, "exit after this many reports (default 0: never)" },
		{ "interval", EX_DOUBLE, &ex->interval, "seconds between reports (default 3)" },
		{ "image", EX_STR, &ex->image,
		  "load from this OCI image (pulled by the server if not cached) instead of -file" },
	};
	size_t n = 7;
	sigset_t set;

	*ex = (struct example){ .name = name, .interval = 3 };
	for (; extra && extra->name && n < EX_MAX_FLAGS; extra++)
		flags[n++] = *extra;
	parse_flags(argc, argv, flags);
	if (ex->interval <= 0)
		ex->interval = 3;
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigprocmask(SIG_BLOCK, &set, NULL);
	/* reports appear at once even when piped */
	setvbuf(stdout, NULL, _IOLBF, 0);
}

/* ---- loading ---- */

/* The server opens the object itself, so it needs an absolute path. By default the
 * object was built next to this program: <dir of /proc/self/exe>/<name>.bpf.o. */
static char *object_path(const struct example *ex)
{
	char exe[PATH_MAX], guess[PATH_MAX + 64];
	ssize_t len;

	if (ex->file)
		return realpath(ex->file, NULL);
	len = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (len < 0)
		return NULL;
	exe[len] = '\0';
	snprintf(guess, sizeof(guess), "%s/%s.bpf.o", dirname(exe), ex->name);
	return realpath(guess, NULL);
}

static int load(struct example *ex, const struct bpfman_prog_request *progs, size_t n)
{
	struct kv app = { "bpfman_application", (char *)ex->name };
	struct kv_list metadata = { &app, 1 };
	struct bpfman_load_opts opts = { .progs = progs, .n_progs = n, .metadata = &metadata,
					 .has_map_owner = ex->map_owner_id != 0,
					 .map_owner_id = ex->map_owner_id };
	struct bpfman_program_view *views;
	size_t n_views;
	int r;

	if (ex->image) {
		if (ex->file) {
			fprintf(stderr, "%s: -file and -image name two sources: give one\n",
				ex->name);
			return -EINVAL;
		}
		/* as the reference's examples: the server pulls it unless it has it */
		opts.image_url = ex->image;
		opts.pull_policy = BPFMAN_PULL_IF_NOT_PRESENT;
	} else if (!(opts.path = object_path(ex))) {
		r = -errno;
		fprintf(stderr, "%s: cannot find the BPF object (use -file): %s\n", ex->name,
			strerror(-r));
		return r;
	}
	r = bpfman_client_load(ex->client, &opts, &views, &n_views);
	free((char *)opts.path);
	if (r < 0) {
		fprintf(stderr, "%s: load failed: %s\n", ex->name, bpfman_client_error(ex->client));
		return r;
	}
	ex->loaded = true;
	for (size_t i = 0; i < n_views && i < EX_MAX_PROGS; i++) {
		ex->prog_ids[ex->n_progs++] = views[i].kernel.id;
		printf("Loaded %s: program id %u\n", progs[i].name, views[i].kernel.id);
	}
	if (n_views && views[0].program)
		ex->map_pin_path = strdup(views[0].program->map_pin_path);
	bpfman_program_views_free(views, n_views);
	if (!ex->map_pin_path || ex->n_progs != n) {
		fprintf(stderr, "%s: unexpected answer to the load\n", ex->name);
		return -EPROTO;
	}
	return 0;
}

/* With -id: the programs of one Load share their maps, so the siblings of -id are among
 * the programs in its map_used_by; each is picked by its function name. */
static int find_loaded(struct example *ex, const struct bpfman_prog_request *progs, size_t n)
{
	struct bpfman_program_view v, sib;
	int r = bpfman_client_get(ex->client, ex->id, &v);

	if (r == 0 && !v.program)
		r = -ENOENT;
	if (r < 0) {
		fprintf(stderr, "%s: program %u: %s\n", ex->name, ex->id,
			v.kernel.id ? "not loaded by bpfman" : bpfman_client_error(ex->client));
		bpfman_program_view_clear(&v);
		return r;
	}
	ex->map_pin_path = strdup(v.program->map_pin_path);
	for (size_t i = 0; i < n; i++) {
		if (!strcmp(v.program->name, progs[i].name))
			ex->prog_ids[i] = ex->id;
		for (size_t j = 0; j < v.program->n_map_used_by && !ex->prog_ids[i]; j++) {
			if (bpfman_client_get(ex->client, v.program->map_used_by[j], &sib) < 0)
				continue;
			if (sib.program && !strcmp(sib.program->name, progs[i].name))
				ex->prog_ids[i] = sib.kernel.id;
			bpfman_program_view_clear(&sib);
		}
		if (!ex->prog_ids[i]) {
			fprintf(stderr, "%s: neither program %u nor those sharing its maps is %s\n",
				ex->name, ex->id, progs[i].name);
			r = -ENOENT;
		}
	}
	ex->n_progs = n;
	bpfman_program_view_clear(&v);
	return r;
}

int ex_start(struct example *ex, const struct bpfman_prog_request *progs, size_t n)
{
	const char *sock = ex->socket ? ex->socket : BPFMAN_DEFAULT_SOCKET;
	int r;

	if (n > EX_MAX_PROGS)
		return -E2BIG;
	r = bpfman_client_connect(sock, 0, &ex->client);
	if (r < 0) {
		fprintf(stderr, "%s: cannot reach bpfman at %s: %s\n", ex->name, sock,
			strerror(-r));
		return r;
	}
	return ex->id ? find_loaded(ex, progs, n) : load(ex, progs, n);
}

int ex_attach(struct example *ex, size_t i, const struct bpfman_attach_opts *opts)
{
	uint32_t link;
	int r = bpfman_client_attach(ex->client, ex->prog_ids[i], opts, &link);

	if (r < 0) {
		fprintf(stderr, "%s: attaching program %u failed: %s\n", ex->name, ex->prog_ids[i],
			bpfman_client_error(ex->client));
		return r;
	}
	ex->links[ex->n_links++] = link;
	printf("Attached program %u: link id %u\n", ex->prog_ids[i], link);
	return 0;
}

/* ---- maps ---- */

int ex_map_open(const struct example *ex, const char *map_name)
{
	char path[PATH_MAX];
	int fd;

	snprintf(path, sizeof(path), "%s/%s", ex->map_pin_path, map_name);
	fd = bpf_obj_get(path);
	if (fd < 0) {
		fd = -errno;
		fprintf(stderr, "%s: cannot open map %s: %s\n", ex->name, path, strerror(-fd));
	}
	return fd;
}

int ex_percpu_sum(int map_fd, uint32_t key, uint64_t *sums, size_t n)
{
	int ncpu = libbpf_num_possible_cpus();
	uint64_t *values;

	if (ncpu < 0)
		return ncpu;
	/* a per-CPU lookup returns one value per possible CPU, each rounded up to 8 bytes */
	values = calloc((size_t)ncpu * n, sizeof(*values));
	if (!values)
		return -ENOMEM;
	if (bpf_map_lookup_elem(map_fd, &key, values) < 0) {
		free(values);
		return -errno;
	}
	memset(sums, 0, n * sizeof(*sums));
	for (int cpu = 0; cpu < ncpu; cpu++)
		for (size_t w = 0; w < n; w++)
			sums[w] += values[cpu * n + w];
	free(values);
	return 0;
}

/* ---- run and stop ---- */

void ex_run(struct example *ex, void (*report)(void *arg), void *arg)
{
	struct timespec ts = { .tv_sec = (time_t)ex->interval,
			       .tv_nsec = (long)(fmod(ex->interval, 1) * 1e9) };
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	/* the signals are blocked: sigtimedwait is both the sleep and the signal check */
	for (int32_t n = 0; ex->count == 0 || n < ex->count; n++) {
		if (sigtimedwait(&set, NULL, &ts) > 0)
			break;
		report(arg);
	}
}

void ex_stop(struct example *ex)
{
	if (!ex->client)
		return;
	for (size_t i = 0; i < ex->n_links; i++)
		if (bpfman_client_detach(ex->client, ex->links[i]) < 0)
			fprintf(stderr, "%s: detaching link %u: %s\n", ex->name, ex->links[i],
				bpfman_client_error(ex->client));
	for (size_t i = 0; ex->loaded && i < ex->n_progs; i++)
		if (bpfman_client_unload(ex->client, ex->prog_ids[i]) < 0)
			fprintf(stderr, "%s: unloading program %u: %s\n", ex->name,
				ex->prog_ids[i], bpfman_client_error(ex->client));
	if (ex->n_links || ex->loaded)
		printf("Cleaned up: %zu link(s) detached%s\n", ex->n_links,
		       ex->loaded ? ", programs unloaded" : "");
	bpfman_client_close(ex->client);
	free(ex->map_pin_path);
	ex->client = NULL;
}
