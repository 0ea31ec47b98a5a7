/* Building a bytecode image without a container engine: for each platform a layer holding
 * the object, an OCI config with the io.ebpf.* labels, a manifest; for several platforms an
 * index over them. Everything is written into a staging OCI layout (image-build-stage.c),
 * then pushed and/or renamed into place. Nothing in it depends on the time or the machine:
 * the same objects give the same digests. */
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <libgen.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cleanup.h"
#include "image-build-stage.h"
#include "image-build.h"

/* The reference's architectures (GOARCH names, GOOS=linux) and their byte order. */
static const struct {
	const char *arch;
	int order;
	const char *variant; /* the variant buildx records for the bare name */
} arches[] = {
	{ "386", ELFDATA2LSB, NULL },	     { "amd64", ELFDATA2LSB, NULL },
	{ "arm", ELFDATA2LSB, "v7" },	     { "arm64", ELFDATA2LSB, "v8" },
	{ "loong64", ELFDATA2LSB, NULL },    { "mips", ELFDATA2MSB, NULL },
	{ "mipsle", ELFDATA2LSB, NULL },     { "mips64", ELFDATA2MSB, NULL },
	{ "mips64le", ELFDATA2LSB, NULL },   { "ppc64", ELFDATA2MSB, NULL },
	{ "ppc64le", ELFDATA2LSB, NULL },    { "riscv64", ELFDATA2LSB, NULL },
	{ "s390x", ELFDATA2MSB, NULL },
};

int image_arch_byte_order(const char *arch)
{
	for (size_t i = 0; i < ELEMENTSOF(arches); i++)
		if (!strcmp(arch, arches[i].arch))
			return arches[i].order;
	return -EINVAL;
}

static const char *arch_default_variant(const char *arch)
{
	for (size_t i = 0; i < ELEMENTSOF(arches); i++)
		if (!strcmp(arch, arches[i].arch))
			return arches[i].variant;
	return NULL;
}

char *image_labels_json(const struct kv_list *l)
{
	json_t *o = json_object();
	char *s;

	if (!o)
		return NULL;
	for (size_t i = 0; i < l->n; i++)
		if (json_object_set_new(o, l->items[i].key, json_string(l->items[i].value)) < 0) {
			json_decref(o);
			return NULL;
		}
	s = json_dumps(o, JSON_COMPACT);
	json_decref(o);
	return s;
}

struct platform {
	const char *object;
	const char *os, *arch, *variant;
	int order;
	struct kv_list programs, maps; /* the labels */
	struct stage_blob layer, config, manifest;
	char *manifest_json;
};

static void platforms_free(struct platform *p, size_t n)
{
	for (size_t i = 0; p && i < n; i++) {
		kv_list_clear(&p[i].programs);
		kv_list_clear(&p[i].maps);
		free(p[i].manifest_json);
	}
	free(p);
}

static int copy_kv(struct kv_list *dst, const struct kv_list *src)
{
	for (size_t i = 0; i < src->n; i++)
		if (kv_list_set(dst, src->items[i].key, src->items[i].value) < 0)
			return -ENOMEM;
	return 0;
}

/* Platform, byte order and labels of each input, all checked before anything is written. */
static int prepare(const struct image_build_opts *o, struct platform *ps, struct img_err *e)
{
	const struct platform *labelled = NULL;
	const char *host_os, *host_arch, *host_variant;
	int r;

	image_host_platform(&host_os, &host_arch, &host_variant);
	for (size_t i = 0; i < o->n_inputs; i++) {
		const struct image_build_input *in = &o->inputs[i];
		struct platform *p = &ps[i];
		int want;

		if (!in->object)
			return img_fail(e, -EINVAL, "no object file given");
		p->object = in->object;
		p->os = in->os ?: "linux";
		if (in->architecture) {
			p->arch = in->architecture;
			p->variant = in->variant ?: arch_default_variant(in->architecture);
		} else {
			if (o->n_inputs > 1)
				return img_fail(e, -EINVAL,
						"%s: every object of a multi-platform image needs "
						"its architecture",
						in->object);
			p->arch = host_arch;
			p->variant = in->variant ?: host_variant;
		}
		want = image_arch_byte_order(p->arch);
		if (want < 0)
			return img_fail(e, -EINVAL,
					"unknown architecture '%s' (known: 386 amd64 arm arm64 "
					"loong64 mips mipsle mips64 mips64le ppc64 ppc64le riscv64 "
					"s390x)",
					p->arch);
		for (size_t j = 0; j < i; j++)
			if (!strcmp(ps[j].os, p->os) && !strcmp(ps[j].arch, p->arch) &&
			    !strcmp(ps[j].variant ?: "", p->variant ?: ""))
				return img_fail(e, -EINVAL, "two objects for the platform %s/%s",
						p->os, p->arch);
		r = image_object_byte_order(in->object, &p->order, e);
		if (r < 0)
			return r;
		if (p->order != want)
			return img_fail(e, -EINVAL,
					"%s is a %s object, but %s/%s runs %s objects: refusing to "
					"build an image its hosts would reject",
					in->object, image_byte_order_name(p->order), p->os, p->arch,
					image_byte_order_name(want));
		if (p->order == image_host_byte_order()) {
			struct image_labels l = { 0 };

			r = image_labels_from_object(in->object, &l, e);
			if (r < 0)
				return r;
			p->programs = l.programs;
			p->maps = l.maps;
			free(l.filename);
			if (!labelled)
				labelled = p;
		}
	}
	/* libbpf here reads only objects in the host's order: the others get the labels of
	 * the first one that could be read (the reference labels all platforms from one) */
	for (size_t i = 0; i < o->n_inputs; i++) {
		struct platform *p = &ps[i];

		if (p->programs.n)
			continue;
		if (!labelled)
			return img_fail(e, -EPROTO,
					"no object is %s like this host, so the programs and maps "
					"of %s cannot be read for the image's labels: add an object "
					"for a %s platform",
					image_byte_order_name(image_host_byte_order()), p->object,
					image_byte_order_name(image_host_byte_order()));
		if (copy_kv(&p->programs, &labelled->programs) < 0 ||
		    copy_kv(&p->maps, &labelled->maps) < 0)
			return img_fail(e, -ENOMEM, "out of memory");
	}
	return 0;
}

static int dump(json_t *j, char **ret, struct img_err *e)
{
	char *s = j ? json_dumps(j, JSON_COMPACT) : NULL;

	json_decref(j);
	if (!s)
		return img_fail(e, -ENOMEM, "out of memory");
	*ret = s;
	return 0;
}

static json_t *platform_json(const struct platform *p)
{
	json_t *o = json_pack("{s:s, s:s}", "architecture", p->arch, "os", p->os);

	if (o && p->variant && json_object_set_new(o, "variant", json_string(p->variant)) < 0) {
		json_decref(o);
		return NULL;
	}
	return o;
}

/* The image config: platform, labels, the layer's diff_id. "created" is fixed so that the
 * config (and with it every digest above it) depends on the object only. */
static int config_json(const struct platform *p, const char *diff_id, char **ret,
		       struct img_err *e)
{
	_cleanup_free_ char *progs = image_labels_json(&p->programs);
	_cleanup_free_ char *maps = image_labels_json(&p->maps);
	json_t *c;

	if (!progs || !maps)
		return img_fail(e, -ENOMEM, "out of memory");
	c = platform_json(p);
	if (!c || json_object_update_new(
			  c, json_pack("{s:s, s:{s:{s:s, s:s}}, s:{s:s, s:[s]}}", "created",
				       "1970-01-01T00:00:00Z", "config", "Labels",
				       "io.ebpf.programs", progs, "io.ebpf.maps", maps, "rootfs",
				       "type", "layers", "diff_ids", diff_id)) < 0) {
		json_decref(c);
		return img_fail(e, -ENOMEM, "out of memory");
	}
	return dump(c, ret, e);
}

static json_t *descriptor(const char *media_type, const struct stage_blob *b)
{
	return json_pack("{s:s, s:s, s:I}", "mediaType", media_type, "digest", b->digest, "size",
			 (json_int_t)b->size);
}

static int build_platform(struct stage *st, struct platform *p, struct img_err *e)
{
	_cleanup_free_ char *diff_id = NULL, *config = NULL, *path = NULL;
	_cleanup_close_ int fd = -EBADF;
	const char *name;
	int r;

	fd = open(p->object, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return img_fail(e, -errno, "cannot open %s: %s", p->object, strerror(errno));
	path = strdup(p->object);
	if (!path)
		return img_fail(e, -ENOMEM, "out of memory");
	name = basename(path); /* the file sits at the layer's root, as COPY $FILE / puts it */
	r = stage_put_layer(st, fd, name, &p->layer, &diff_id, e);
	if (r < 0)
		return r;
	r = config_json(p, diff_id, &config, e);
	if (r < 0)
		return r;
	r = stage_put(st, config, strlen(config), &p->config, e);
	if (r < 0)
		return r;
	r = dump(json_pack("{s:i, s:s, s:o, s:[o]}", "schemaVersion", 2, "mediaType",
			   MT_OCI_MANIFEST, "config", descriptor(MT_OCI_CONFIG, &p->config),
			   "layers", descriptor(MT_OCI_LAYER_TGZ, &p->layer)),
		 &p->manifest_json, e);
	if (r < 0)
		return r;
	return stage_put(st, p->manifest_json, strlen(p->manifest_json), &p->manifest, e);
}

static int index_json(const struct platform *ps, size_t n, char **ret, struct img_err *e)
{
	json_t *list = json_array();

	for (size_t i = 0; list && i < n; i++) {
		json_t *d = descriptor(MT_OCI_MANIFEST, &ps[i].manifest);

		if (!d || json_object_set_new(d, "platform", platform_json(&ps[i])) < 0 ||
		    json_array_append_new(list, d) < 0) {
			json_decref(list);
			return img_fail(e, -ENOMEM, "out of memory");
		}
	}
	if (!list)
		return img_fail(e, -ENOMEM, "out of memory");
	return dump(json_pack("{s:i, s:s, s:o}", "schemaVersion", 2, "mediaType", MT_OCI_INDEX,
			      "manifests", list),
		    ret, e);
}

static int push_blob(const struct image_build_opts *o, struct stage *st,
		     const struct stage_blob *b, struct img_err *e)
{
	_cleanup_close_ int fd = -EBADF;
	int r;

	r = stage_open_blob(st, b, &fd, e);
	if (r < 0)
		return r;
	return registry_put_blob(o->push, b->digest, fd, b->size, o->chunked,
				 o->chunk_size ?: IMAGE_BUILD_CHUNK_DEFAULT, e);
}

/* Blobs before the manifests that name them; platform manifests (by digest) before the
 * index that names them; the tag last, so it never points at something incomplete. */
static int push(const struct image_build_opts *o, struct stage *st, const struct platform *ps,
		const char *index, const struct stage_blob *top, struct img_err *e)
{
	const char *ref = o->tag ?: top->digest;
	int r;

	for (size_t i = 0; i < o->n_inputs; i++) {
		const struct platform *p = &ps[i];

		r = push_blob(o, st, &p->config, e);
		if (r < 0)
			return r;
		r = push_blob(o, st, &p->layer, e);
		if (r < 0)
			return r;
		r = registry_put_manifest(o->push, index ? p->manifest.digest : ref,
					  MT_OCI_MANIFEST, p->manifest_json,
					  strlen(p->manifest_json), e);
		if (r < 0)
			return r;
	}
	if (index)
		return registry_put_manifest(o->push, ref, MT_OCI_INDEX, index, strlen(index), e);
	return 0;
}

int image_build(const struct image_build_opts *o, char **ret_digest, struct img_err *e)
{
	struct platform *ps = NULL;
	_cleanup_free_ char *index = NULL;
	struct stage st = { .blobs_fd = -EBADF };
	struct stage_blob top;
	const char *top_type = MT_OCI_MANIFEST;
	char *digest;
	int r;

	if (!o->n_inputs)
		return img_fail(e, -EINVAL, "no object file given");
	if (!o->oci_layout_dir && !o->push)
		return img_fail(e, -EINVAL, "nowhere to put the image: push it or give a directory");
	if (o->oci_layout_dir && !o->tag)
		return img_fail(e, -EINVAL, "an image layout needs a tag to name the image");
	if (o->oci_layout_dir) {
		r = stage_check_target(o->oci_layout_dir, e);
		if (r < 0)
			return r;
	}
	ps = calloc(o->n_inputs, sizeof(*ps));
	if (!ps)
		return img_fail(e, -ENOMEM, "out of memory");
	r = prepare(o, ps, e);
	if (r < 0)
		goto out;

	r = stage_open(&st, o->oci_layout_dir, e);
	if (r < 0)
		goto out;
	for (size_t i = 0; i < o->n_inputs; i++) {
		r = build_platform(&st, &ps[i], e);
		if (r < 0)
			goto out;
	}
	top = ps[0].manifest;
	if (o->n_inputs > 1) {
		r = index_json(ps, o->n_inputs, &index, e);
		if (r < 0)
			goto out;
		r = stage_put(&st, index, strlen(index), &top, e);
		if (r < 0)
			goto out;
		top_type = MT_OCI_INDEX;
	}
	if (o->push) {
		r = push(o, &st, ps, index, &top, e);
		if (r < 0)
			goto out;
	}
	if (o->oci_layout_dir) {
		r = stage_commit_layout(&st, top_type, &top, o->tag, o->oci_layout_dir, e);
		if (r < 0)
			goto out;
	}
	digest = strdup(top.digest);
	if (!digest) {
		r = img_fail(e, -ENOMEM, "out of memory");
		goto out;
	}
	*ret_digest = digest;
	r = 0;
out:
	stage_close(&st);
	platforms_free(ps, o->n_inputs);
	return r;
}
