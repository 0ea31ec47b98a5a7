/* bpfman image build / generate-build-args: the reference's options (-b for the host's
 * architecture, -c for a cilium/ebpf project directory, --bc-<GOARCH>-<el|eb> per platform),
 * but the image is written here (image-build.c), with no container engine. Without -o the
 * image is pushed, as the reference's build always pushes. */
#include <dirent.h>
#include <errno.h>
#include <jansson.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cleanup.h"
#include "cli.h"
#include "config.h"
#include "image-build.h"
#include "image-ref.h"
#include "layout.h"
#include "log.h"

/* The reference's per-platform options and the Containerfile build args they stand for,
 * in the reference's order. */
static const struct bc_arch {
	const char *opt; /* --bc-... */
	const char *arch; /* GOARCH */
	const char *build_arg;
} bc_arches[] = {
	{ "bc-386-el", "386", "BC_386_EL" },
	{ "bc-amd64-el", "amd64", "BC_AMD64_EL" },
	{ "bc-arm-el", "arm", "BC_ARM_EL" },
	{ "bc-arm64-el", "arm64", "BC_ARM64_EL" },
	{ "bc-loong64-el", "loong64", "BC_LOONG64_EL" },
	{ "bc-mips-eb", "mips", "BC_MIPS_EB" },
	{ "bc-mipsle-el", "mipsle", "BC_MIPSLE_EL" },
	{ "bc-mips64-eb", "mips64", "BC_MIPS64_EB" },
	{ "bc-mips64le-el", "mips64le", "BC_MIPS64LE_EL" },
	{ "bc-ppc64-eb", "ppc64", "BC_PPC64_EB" },
	{ "bc-ppc64le-el", "ppc64le", "BC_PPC64LE_EL" },
	{ "bc-riscv64-el", "riscv64", "BC_RISCV64_EL" },
	{ "bc-s390x-eb", "s390x", "BC_S390X_EB" },
};
#define N_BC ELEMENTSOF(bc_arches)

#define BC(arch) { "bc-" arch, 0, 1, "FILE", "the object for the " arch " platform" }
#define BYTECODE_OPTS                                                                      \
	{ "bytecode", 'b', 1, "FILE", "the BPF object (the host's architecture)" },           \
		{ "cilium-ebpf-project", 'c', 1, "DIR", "the objects of a cilium/ebpf project" }, \
		BC("386-el"), BC("amd64-el"), BC("arm-el"), BC("arm64-el"), BC("loong64-el"),     \
		BC("mips-eb"), BC("mipsle-el"), BC("mips64-eb"), BC("mips64le-el"),               \
		BC("ppc64-eb"), BC("ppc64le-el"), BC("riscv64-el"), BC("s390x-eb")

OPT_TABLE(image_generate_build_args_options, BYTECODE_OPTS,
	  { "output", 'o', 1, "table|json", "output format (default: NAME=VALUE lines)" });

OPT_TABLE(image_build_options, BYTECODE_OPTS,
	  { "tag", 't', 1, "REF", "the image's name and tag (required)" },
	  { "output", 'o', 1, "DIR", "write an OCI layout directory instead of pushing" },
	  { "push", 0, 0, NULL, "push to the registry (the default without -o)" },
	  { "chunked", 0, 0, NULL, "upload in chunks" },
	  { "chunk-size", 0, 1, "BYTES", "chunk size of a chunked upload" },
	  { "registry-auth", 0, 1, "BASE64", "base64 of USER:PASS for the registry" },
	  { "container-file", 'f', 1, "FILE", "accepted for compatibility; not used" },
	  { "runtime", 'r', 1, "NAME", "accepted for compatibility; not used" });

/* One object to put in the image: its platform (NULL: the host's) and build arg. */
struct bc_file {
	const struct bc_arch *arch;
	char *path;
};

struct bc_files {
	struct bc_file v[N_BC];
	size_t n;
};

static void bc_files_clear(struct bc_files *f)
{
	for (size_t i = 0; i < f->n; i++)
		free(f->v[i].path);
	f->n = 0;
}

/* cilium/ebpf's bpf2go names (bpf_x86_bpfel.o, bpf_arm64_bpfel.o...), checked in the
 * reference's order: "arm64" before "arm". */
static const struct bc_arch *cilium_arch(const char *name)
{
	static const struct {
		const char *part, *order, *arch;
	} rules[] = {
		{ "x86", "bpfel", "amd64" },	  { "arm64", "bpfel", "arm64" },
		{ "arm", "bpfel", "arm" },	  { "loongarch", "bpfel", "loong64" },
		{ "mips", "bpfeb", "mips" },	  { "powerpc", "bpfeb", "ppc64" },
		{ "powerpc", "bpfel", "ppc64le" }, { "riscv", "bpfel", "riscv64" },
		{ "s390", "bpfeb", "s390x" },
	};

	for (size_t i = 0; i < ELEMENTSOF(rules); i++)
		if (strstr(name, rules[i].part) && strstr(name, rules[i].order))
			for (size_t k = 0; k < N_BC; k++)
				if (!strcmp(bc_arches[k].arch, rules[i].arch))
					return &bc_arches[k];
	return NULL;
}

static int add_file(struct bc_files *f, const struct bc_arch *a, const char *path)
{
	for (size_t i = 0; i < f->n; i++)
		if (a && f->v[i].arch == a) {
			log_error("two objects for %s: %s and %s", a->arch, f->v[i].path, path);
			return -EINVAL;
		}
	if (f->n >= N_BC) {
		log_error("too many objects");
		return -EINVAL;
	}
	f->v[f->n].arch = a;
	f->v[f->n].path = strdup(path);
	if (!f->v[f->n].path)
		return log_error_errno(-ENOMEM, "out of memory");
	f->n++;
	return 0;
}

static int scan_cilium_project(struct bc_files *f, const char *dir)
{
	struct dirent **names = NULL;
	int n, r = 0;

	n = scandir(dir, &names, NULL, alphasort);
	if (n < 0)
		return log_error_errno(-errno, "cannot read the cilium/ebpf project %s", dir);
	for (int i = 0; i < n; i++) {
		const char *name = names[i]->d_name;
		size_t len = strlen(name);
		const struct bc_arch *a;
		_cleanup_free_ char *path = NULL;

		if (r < 0 || len < 3 || strcmp(name + len - 2, ".o"))
			continue;
		a = cilium_arch(name);
		if (!a) {
			log_error("%s/%s: not a cilium/ebpf bytecode file name (bpf_<arch>_bpfel.o or "
				  "bpf_<arch>_bpfeb.o)",
				  dir, name);
			r = -EINVAL;
			continue;
		}
		if (asprintf(&path, "%s/%s", dir, name) < 0)
			r = log_error_errno(-ENOMEM, "out of memory");
		else
			r = add_file(f, a, path);
	}
	for (int i = 0; i < n; i++)
		free(names[i]);
	free(names);
	if (r == 0 && !f->n) {
		log_error("no bytecode files (*.o) in the cilium/ebpf project %s", dir);
		r = -ENOENT;
	}
	return r;
}

static int by_arch_order(const void *a, const void *b)
{
	const struct bc_file *x = a, *y = b;

	return (int)(x->arch - bc_arches) - (int)(y->arch - bc_arches);
}

/* -b, -c or --bc-*: exactly one way of naming the objects, as in the reference. */
static int collect_files(const struct parsed *p, struct bc_files *f)
{
	const char *b = opt_value(p, "bytecode"), *c = opt_value(p, "cilium-ebpf-project");
	size_t n_bc = 0;
	int r;

	for (size_t i = 0; i < N_BC; i++)
		if (opt_value(p, bc_arches[i].opt))
			n_bc++;
	if (!!b + !!c + !!n_bc != 1) {
		cli_usage_error("give the bytecode one way: -b FILE (the host's architecture), -c "
			  "CILIUM_EBPF_PROJECT, or --bc-<arch>-<el|eb> FILE for each platform");
		return -EINVAL;
	}
	if (b)
		return add_file(f, NULL, b);
	r = 0;
	if (c)
		r = scan_cilium_project(f, c);
	else
		for (size_t i = 0; i < N_BC && r == 0; i++)
			if (opt_value(p, bc_arches[i].opt))
				r = add_file(f, &bc_arches[i], opt_value(p, bc_arches[i].opt));
	if (r < 0)
		return r;
	qsort(f->v, f->n, sizeof(f->v[0]), by_arch_order);
	return 0;
}

static int parse_opts(const struct opt_table *opts, int argc, char **argv, struct parsed *p)
{
	int r = parse_table(opts, argc, argv, p);

	if (r < 0)
		return r;
	if (p->n_pos) {
		cli_usage_error("unexpected argument '%s'", p->pos[0]);
		return -EINVAL;
	}
	return 0;
}

int cmd_image_generate_build_args(int argc, char **argv)
{
	struct parsed p;
	struct bc_files f = { .n = 0 };
	struct image_labels l = { 0 };
	struct img_err e = { "" };
	_cleanup_free_ char *progs = NULL, *maps = NULL;
	const char *label_from = NULL;
	enum output_format fmt = OUTPUT_TABLE;
	int r;

	r = parse_opts(&image_generate_build_args_options, argc, argv, &p);
	if (r)
		goto out;
	r = output_format_from(&p, &fmt);
	if (r < 0)
		goto out;
	r = collect_files(&p, &f);
	if (r < 0)
		goto out;
	/* every object in its platform's byte order; labels from the first one libbpf can read
	 * here (the host's order), as the reference reads one file */
	for (size_t i = 0; i < f.n; i++) {
		int order, want;

		r = image_object_byte_order(f.v[i].path, &order, &e);
		if (r < 0)
			goto fail;
		want = f.v[i].arch ? image_arch_byte_order(f.v[i].arch->arch)
				   : image_host_byte_order();
		if (order != want) {
			r = img_fail(&e, -EINVAL, "%s is a %s object, but %s needs %s objects",
				     f.v[i].path, image_byte_order_name(order),
				     f.v[i].arch ? f.v[i].arch->arch : "this host",
				     image_byte_order_name(want));
			goto fail;
		}
		if (!label_from && order == image_host_byte_order())
			label_from = f.v[i].path;
	}
	if (!label_from) {
		r = img_fail(&e, -EPROTO,
			     "no object is %s like this host, so its programs cannot be read: add "
			     "one for a %s platform",
			     image_byte_order_name(image_host_byte_order()),
			     image_byte_order_name(image_host_byte_order()));
		goto fail;
	}
	r = image_labels_from_object(label_from, &l, &e);
	if (r < 0)
		goto fail;
	progs = image_labels_json(&l.programs);
	maps = image_labels_json(&l.maps);
	if (!progs || !maps) {
		r = log_error_errno(-ENOMEM, "out of memory");
		goto out;
	}
	if (fmt == OUTPUT_JSON) {
		/* the same names and values, as one object (PROGRAMS and MAPS as objects) */
		json_t *o = json_object();

		for (size_t i = 0; i < f.n; i++)
			json_object_set_new(o, f.v[i].arch ? f.v[i].arch->build_arg : "BYTECODE_FILE",
					    json_string(f.v[i].path));
		json_object_set_new(o, "PROGRAMS", json_loads(progs, 0, NULL));
		json_object_set_new(o, "MAPS", json_loads(maps, 0, NULL));
		cli_print_json(o);
	} else {
		for (size_t i = 0; i < f.n; i++)
			printf("%s=%s\n", f.v[i].arch ? f.v[i].arch->build_arg : "BYTECODE_FILE",
			       f.v[i].path);
		printf("PROGRAMS=%s\nMAPS=%s\n", progs, maps);
	}
	r = 0;
	goto out;
fail:
	log_error("%s", e.msg[0] ? e.msg : strerror(-r));
out:
	kv_list_clear(&l.programs);
	kv_list_clear(&l.maps);
	free(l.filename);
	bc_files_clear(&f);
	parsed_free(&p);
	return r < 0 ? r : 0;
}

/* Uploads: a progress line on a terminal once a push takes more than a moment, and at
 * debug level (BPFMAN_LOG=debug) one line per report (each chunk of a chunked upload). */
struct push_progress {
	bool tty, shown;
	struct timespec start, last;
};

static double seconds_between(const struct timespec *a, const struct timespec *b)
{
	return (double)(b->tv_sec - a->tv_sec) + (double)(b->tv_nsec - a->tv_nsec) / 1e9;
}

static void push_progress_cb(const char *what, uint64_t done, uint64_t total, void *data)
{
	struct push_progress *p = data;
	const char *hex = what ? strchr(what, ':') : NULL;
	struct timespec now;

	log_debug("%s: %llu of %llu bytes", what ? what : "upload", (unsigned long long)done,
		  (unsigned long long)total);
	if (!p->tty)
		return;
	clock_gettime(CLOCK_MONOTONIC, &now);
	if (seconds_between(&p->start, &now) < 0.5 ||
	    (p->shown && seconds_between(&p->last, &now) < 0.1 && done != total))
		return;
	p->last = now;
	p->shown = true;
	fprintf(stderr, "\rpushing %.12s  %6.1f / %.1f MiB ", hex ? hex + 1 : "",
		done / 1048576.0, total / 1048576.0);
	fflush(stderr);
}

/* "user:pass" from base64, as the reference's --registry-auth */
static int decode_auth(const char *b64, char **ret_user, char **ret_pass)
{
	size_t len = strlen(b64);
	_cleanup_free_ unsigned char *buf = malloc(len / 4 * 3 + 4);
	int n;
	char *colon;

	if (!buf)
		return -ENOMEM;
	n = EVP_DecodeBlock(buf, (const unsigned char *)b64, (int)len);
	if (n < 0 || len % 4)
		return -EINVAL;
	while (n > 0 && b64[len - 1] == '=' && len--) /* padding decodes to NUL bytes */
		n--;
	buf[n] = '\0';
	if (strlen((char *)buf) != (size_t)n)
		return -EINVAL;
	colon = strchr((char *)buf, ':');
	if (!colon || colon == (char *)buf)
		return -EINVAL;
	*colon = '\0';
	*ret_user = strdup((char *)buf);
	*ret_pass = strdup(colon + 1);
	OPENSSL_cleanse(buf, (size_t)n);
	if (!*ret_user || !*ret_pass)
		return -ENOMEM;
	return 0;
}

/* The [registries] settings of the config under --root: insecure hosts, CA file. */
static int load_config(struct bpfman_config *c)
{
	struct layout l = { 0 };
	_cleanup_free_ char *err = NULL;
	int r;

	config_init(c);
	r = layout_init(&l, arg_root);
	if (r < 0)
		return log_error_errno(r, "bad root directory '%s'", arg_root ? arg_root : "/");
	r = config_load(c, l.config_path, &err);
	layout_free(&l);
	if (r < 0)
		log_error("%s", err ? err : "cannot read the config file");
	return r;
}

int cmd_image_build(int argc, char **argv)
{
	struct image_build_input inputs[N_BC];
	struct image_build_opts bo = { 0 };
	struct bpfman_config cfg;
	struct registry_opts ro = { 0 };
	struct push_progress progress = { .tty = false };
	struct image_ref ref = { 0 };
	struct registry *reg = NULL;
	struct img_err e = { "" };
	struct bc_files f = { .n = 0 };
	struct parsed p;
	_cleanup_free_ char *user = NULL, *digest = NULL, *canon = NULL;
	char *pass = NULL;
	const char *tag, *out, *auth, *cs;
	bool push, have_cfg = false;
	int r;

	r = parse_opts(&image_build_options, argc, argv, &p);
	if (r)
		goto out;
	tag = opt_value(&p, "tag");
	out = opt_value(&p, "output");
	auth = opt_value(&p, "registry-auth");
	push = opt_flag(&p, "push") || !out;
	if (!tag) {
		cli_usage_error("-t/--tag REF is required");
		r = -EINVAL;
		goto out;
	}
	r = image_ref_parse(tag, &ref, &e);
	if (r < 0)
		goto fail;
	if (!ref.tag) {
		r = img_fail(&e, -EINVAL, "'%s': an image is built under a tag, not a digest", tag);
		goto fail;
	}
	if ((opt_flag(&p, "chunked") || opt_value(&p, "chunk-size")) && !push) {
		cli_usage_error("--chunked and --chunk-size are about the upload: they need --push");
		r = -EINVAL;
		goto out;
	}
	cs = opt_value(&p, "chunk-size");
	if (cs) {
		char *end;
		unsigned long long v;

		errno = 0;
		v = strtoull(cs, &end, 10);
		if (errno || *end || !v || v > (1ull << 30) || cs[0] == '-') {
			cli_usage_error("--chunk-size: '%s' is not a size between 1 and 1073741824 bytes", cs);
			r = -EINVAL;
			goto out;
		}
		bo.chunk_size = (size_t)v;
	}
	if (opt_value(&p, "container-file") || opt_value(&p, "runtime"))
		log_info("no container engine is used: -f/--container-file and -r/--runtime are "
			 "ignored");
	r = collect_files(&p, &f);
	if (r < 0)
		goto out;

	for (size_t i = 0; i < f.n; i++)
		inputs[i] = (struct image_build_input){
			.object = f.v[i].path,
			.os = "linux",
			.architecture = f.v[i].arch ? f.v[i].arch->arch : NULL,
		};
	bo.inputs = inputs;
	bo.n_inputs = f.n;
	bo.oci_layout_dir = out;
	bo.tag = ref.tag;
	bo.chunked = opt_flag(&p, "chunked");

	if (push) {
		if (auth) {
			r = decode_auth(auth, &user, &pass);
			if (r < 0) {
				cli_usage_error("--registry-auth: not base64 of 'user:password'");
				goto out;
			}
		}
		r = load_config(&cfg);
		if (r < 0)
			goto out;
		have_cfg = true;
		/* no --registry-auth: the [registries] auth_file entry for this registry, if any */
		if (!auth && cfg.registries_auth_file) {
			r = registry_auth_from_file(cfg.registries_auth_file, ref.registry, &user,
						    &pass, &e);
			if (r == -ENOENT) {
				img_err_clear(&e);
				r = 0;
			}
			if (r < 0)
				goto fail;
		}
		ro.insecure = cfg.registries_insecure;
		ro.ca_file = cfg.registries_ca_file;
		ro.connect_timeout_sec = cfg.registries_connect_timeout_sec;
		ro.stall_timeout_sec = cfg.registries_stall_timeout_sec;
		ro.total_timeout_sec = cfg.registries_total_timeout_sec;
		ro.username = user;
		ro.password = pass;
		progress.tty = isatty(STDERR_FILENO);
		clock_gettime(CLOCK_MONOTONIC, &progress.start);
		ro.progress = push_progress_cb;
		ro.progress_data = &progress;
		r = registry_open(&ro, &ref, &reg, &e);
		if (r < 0)
			goto fail;
		bo.push = reg;
	}
	r = image_build(&bo, &digest, &e);
	if (progress.shown)
		fputc('\n', stderr);
	if (r < 0)
		goto fail;
	if (out)
		printf("Wrote %s (tag %s): %s\n", out, ref.tag, digest);
	if (push) {
		canon = image_ref_format(&ref);
		printf("Pushed %s: %s\n", canon ? canon : tag, digest);
	}
	r = 0;
	goto out;
fail:
	log_error("%s", e.msg[0] ? e.msg : strerror(-r));
out:
	registry_free(reg);
	registry_secret_free(pass);
	if (have_cfg)
		config_free(&cfg);
	image_ref_clear(&ref);
	bc_files_clear(&f);
	parsed_free(&p);
	return r < 0 ? r : 0;
}
