/* Pulling a bytecode image into the cache (image-pull.h).
 *
 * The steps: resolve the reference to a manifest (or an index, then the host's manifest),
 * check its signature per [signing], check it is a bytecode image (one tar+gzip layer),
 * read the labels of its config, download the layer into a temp file of the cache, extract
 * the object from it into another temp file. Only when every step passed are the blobs
 * committed, bottom-up (layer, object, config, manifests), and the reference is recorded
 * last: a reader never finds a reference whose blobs are missing, and a failure before the
 * commits leaves only temp files, which are aborted. A failure after some commits (a full
 * disk) removes the blobs this pull added that no reference uses.
 *
 * Everything that talks to a registry runs without the cache lock: downloads go to the
 * pull's own temp files in tmp/ and are verified there (image_cache_blob_seal). The lock is
 * taken only for the commits and the ref (image-cache.h: from the first committed blob to
 * the ref), so a registry that stalls holds up only its own pull, not other pulls or an
 * `image rm`. Two pulls of one image at once both download and both commit the same
 * verified bytes (a commit replaces an identical blob). */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/sendfile.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "cleanup.h"
#include "cosign.h"
#include "image-pull.h"
#include "image-ref.h"
#include "image-layer.h"

#define MAX_OBJECT_DEFAULT (64ull << 20)
#define MAX_ADDED 8

struct pull {
	const struct image_pull_opts *o;
	struct image_ref ref;
	char *canonical;
	struct image_cache *cache;
	struct registry *reg;
	/* blobs this pull committed that were not in the cache before it */
	char *added[MAX_ADDED];
	size_t n_added;
};

static void pull_clear(struct pull *p)
{
	for (size_t i = 0; i < p->n_added; i++)
		free(p->added[i]);
	registry_free(p->reg);
	image_cache_free(p->cache); /* also releases the lock */
	free(p->canonical);
	image_ref_clear(&p->ref);
}

void image_pulled_clear(struct image_pulled *p)
{
	if (!p)
		return;
	image_cache_entry_clear(&p->entry);
	image_labels_clear(&p->labels);
	free(p->warning);
	memset(p, 0, sizeof(*p));
}

static size_t max_small(const struct image_pull_opts *o)
{
	return o->registry.max_manifest ? o->registry.max_manifest : REGISTRY_MAX_MANIFEST_DEFAULT;
}

/* The object is hashed while it is extracted: image_layer_extract writes into a pipe whose
 * other end a thread hashes and copies into the cache's temp file. One pass over the object
 * less than hashing the file afterwards (a 50 MiB object: ~15% of a pull). */
struct hash_tee {
	int in, out;
	EVP_MD_CTX *ctx;
	uint64_t size;
	int err; /* the first negative errno; the pipe is drained regardless */
};

static void *hash_tee_run(void *data)
{
	struct hash_tee *t = data;
	unsigned char buf[65536];

	for (;;) {
		ssize_t n = read(t->in, buf, sizeof(buf));

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			if (!t->err)
				t->err = -errno;
			break; /* the writer then gets EPIPE: extraction fails */
		}
		if (n == 0)
			break;
		if (t->err)
			continue;
		EVP_DigestUpdate(t->ctx, buf, (size_t)n);
		t->size += (uint64_t)n;
		for (ssize_t off = 0; off < n;) {
			ssize_t w = write(t->out, buf + off, (size_t)(n - off));

			if (w < 0 && errno == EINTR)
				continue;
			if (w < 0) {
				t->err = -errno;
				break;
			}
			off += w;
		}
	}
	return NULL;
}

static char *digest_hex(EVP_MD_CTX *ctx)
{
	unsigned char md[32];
	char *hex = malloc(7 + 64 + 1);

	if (!hex)
		return NULL;
	EVP_DigestFinal_ex(ctx, md, NULL);
	strcpy(hex, "sha256:");
	for (int i = 0; i < 32; i++)
		sprintf(hex + 7 + 2 * i, "%02x", md[i]);
	return hex;
}

/* image_layer_extract into out_fd, with *ret_digest and *ret_size of what it wrote. */
static int extract_hashed(int layer_fd, int out_fd, uint64_t max, char **ret_name,
			  char **ret_digest, uint64_t *ret_size, struct img_err *e)
{
	struct hash_tee t = { .out = out_fd, .ctx = EVP_MD_CTX_new() };
	int p[2], r, rt;
	pthread_t th;

	if (!t.ctx)
		return -ENOMEM;
	if (EVP_DigestInit_ex(t.ctx, EVP_sha256(), NULL) != 1) {
		EVP_MD_CTX_free(t.ctx);
		return img_fail(e, -EIO, "cannot start a SHA-256 digest");
	}
	if (pipe2(p, O_CLOEXEC) < 0) {
		r = -errno;
		EVP_MD_CTX_free(t.ctx);
		return img_fail(e, r, "cannot make a pipe: %s", strerror(-r));
	}
	t.in = p[0];
	rt = -pthread_create(&th, NULL, hash_tee_run, &t);
	if (rt < 0) {
		close(p[0]);
		close(p[1]);
		EVP_MD_CTX_free(t.ctx);
		return img_fail(e, rt, "cannot start a thread: %s", strerror(-rt));
	}
	r = image_layer_extract(layer_fd, p[1], max, ret_name, e);
	close(p[1]); /* EOF for the thread */
	pthread_join(th, NULL);
	close(p[0]);
	if (r == 0 && t.err)
		r = img_fail(e, t.err, "cannot write the extracted object into the cache: %s",
			     strerror(-t.err));
	if (r == 0) {
		*ret_digest = digest_hex(t.ctx);
		*ret_size = t.size;
		if (!*ret_digest)
			r = -ENOMEM;
	}
	if (r < 0) {
		free(*ret_name);
		*ret_name = NULL;
	}
	EVP_MD_CTX_free(t.ctx);
	return r;
}

static bool layer_is_tgz(const char *mt)
{
	return mt && (!strcmp(mt, MT_OCI_LAYER_TGZ) || !strcmp(mt, MT_DOCKER_LAYER_TGZ));
}

/* Every function a load wants must be in the io.ebpf.programs label. */
static int check_functions(struct pull *p, const struct image_labels *l, struct img_err *e)
{
	for (const char *const *f = p->o->functions; f && *f; f++) {
		char have[512] = "";
		size_t k = 0;

		if (kv_list_get(&l->programs, *f))
			continue;
		for (size_t i = 0; i < l->programs.n && k < sizeof(have) - 1; i++)
			k += (size_t)snprintf(have + k, sizeof(have) - k, "%s%s", i ? ", " : "",
					      l->programs.items[i].key);
		return img_fail(e, -EINVAL,
				"function '%s' is not in image %s: its io.ebpf.programs label lists %s",
				*f, p->canonical, l->programs.n ? have : "no function");
	}
	return 0;
}

/* The reference's cache entry and labels, without any network. */
static int from_cache(struct pull *p, struct image_pulled *ret, struct img_err *e)
{
	struct img_buf cfg = { 0 };
	int r;

	r = image_cache_ref_get(p->cache, p->canonical, &ret->entry, e);
	if (r < 0)
		return r;
	r = image_cache_get(p->cache, ret->entry.config_digest, max_small(p->o), &cfg, e);
	if (r < 0)
		goto fail;
	r = image_config_labels(cfg.data, cfg.len, &ret->labels, e);
	img_buf_clear(&cfg);
	if (r == 0)
		r = check_functions(p, &ret->labels, e);
	if (r < 0)
		goto fail;
	ret->from_cache = true;
	return 0;
fail:
	image_pulled_clear(ret);
	return r;
}

static int check_signature(struct pull *p, const char *digest, struct image_pulled *ret,
			   struct img_err *e)
{
	static char *const none[] = { NULL };
	struct cosign_keys *keys = NULL;
	enum cosign_result res;
	int r;

	r = cosign_keys_load(p->o->trusted_keys ? p->o->trusted_keys : none, &keys, e);
	if (r < 0)
		return r;
	r = cosign_verify(p->reg, digest, keys, &res, e);
	cosign_keys_free(keys);
	if (r < 0)
		return r; /* -EKEYREJECTED: a signature is there and does not verify */
	if (res == COSIGN_VERIFIED) {
		ret->signed_ok = true;
		return 0;
	}
	if (!p->o->allow_unsigned)
		return img_fail(e, -EKEYREJECTED,
				"image %s is not signed, and unsigned images are refused ([signing] allow_unsigned = false)",
				p->canonical);
	if (asprintf(&ret->warning, "image %s is not signed (accepted: [signing] allow_unsigned = true)",
		     p->canonical) < 0)
		return -ENOMEM;
	return 0;
}

/* Commits a writer's blob and remembers it when it is new to the cache. */
static int commit_blob(struct pull *p, struct image_cache_writer *w, bool *active,
		       const char *digest, uint64_t size, struct img_err *e)
{
	bool had = image_cache_blob_present(p->cache, digest);
	int r;

	*active = false;
	r = image_cache_blob_commit(p->cache, w, digest, size, e);
	if (r < 0)
		return r;
	if (!had && p->n_added < MAX_ADDED && !(p->added[p->n_added++] = strdup(digest)))
		return -ENOMEM;
	return 0;
}

struct seal_job {
	struct image_cache *cache;
	struct image_cache_writer *w;
	const char *digest;
	uint64_t size;
	struct img_err e;
	int r;
};

static void *seal_job_run(void *data)
{
	struct seal_job *j = data;

	j->r = image_cache_blob_seal(j->cache, j->w, j->digest, j->size, &j->e);
	return NULL;
}

static int extract_hashed(int layer_fd, int out_fd, uint64_t max, char **ret_name,
			  char **ret_digest, uint64_t *ret_size, struct img_err *e);

/* Verifies the downloaded layer (sync, hash) in a thread while the object is extracted from
 * it (two passes over 50 MiB at once instead of one after the other), without the cache
 * lock. The writer belongs to the thread until it is joined; a failed seal aborts it
 * (*wl_active false), a good one leaves it ready for a commit that only renames. */
static int seal_layer_while(struct pull *p, struct image_cache_writer *wl, bool *wl_active,
			    const struct image_descriptor *layer, int layer_fd, uint64_t max,
			    struct image_cache_writer *wo, char **ret_name, char **ret_digest,
			    uint64_t *ret_size, struct img_err *e)
{
	struct seal_job j = { .cache = p->cache, .w = wl, .digest = layer->digest,
			      .size = layer->size };
	pthread_t th;
	int r, rt;

	rt = -pthread_create(&th, NULL, seal_job_run, &j);
	if (rt < 0) { /* one after the other, then */
		r = image_cache_blob_seal(p->cache, wl, layer->digest, layer->size, e);
		if (r < 0) {
			*wl_active = false;
			return r;
		}
		return extract_hashed(layer_fd, wo->fd, max, ret_name, ret_digest, ret_size, e);
	}
	r = extract_hashed(layer_fd, wo->fd, max, ret_name, ret_digest, ret_size, e);
	pthread_join(th, NULL);
	if (j.r < 0)
		*wl_active = false; /* the seal aborted it */
	if (r == 0 && j.r < 0) {
		r = img_fail(e, j.r, "%s", j.e.msg[0] ? j.e.msg : strerror(-j.r));
		free(*ret_name);
		free(*ret_digest);
		*ret_name = *ret_digest = NULL;
	}
	return r;
}

/* The cached layer this pull extracted from was collected (an `image rm` ran before the
 * lock was taken): it goes back into the cache from the fd still open on it. Rare. */
static int recommit_layer(struct pull *p, const struct image_descriptor *layer, int layer_fd,
			  struct img_err *e)
{
	struct image_cache_writer w = { .fd = -EBADF };
	bool active;
	off_t off = 0;
	int r;

	r = image_cache_blob_begin(p->cache, &w, e);
	if (r < 0)
		return r;
	active = true;
	while ((uint64_t)off < layer->size) {
		ssize_t n = sendfile(w.fd, layer_fd, &off, (size_t)(layer->size - (uint64_t)off));

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			r = img_fail(e, n < 0 ? -errno : -EIO,
				     "cannot copy the layer %s back into the cache: %s", layer->digest,
				     n < 0 ? strerror(errno) : "short read");
			image_cache_blob_abort(p->cache, &w);
			return r;
		}
	}
	return commit_blob(p, &w, &active, layer->digest, layer->size, e);
}

static int put_blob(struct pull *p, const char *digest, const struct img_buf *b,
		    struct img_err *e)
{
	bool had = image_cache_blob_present(p->cache, digest);
	int r = image_cache_put(p->cache, digest, b->data, b->len, e);

	if (r < 0)
		return r;
	if (!had && p->n_added < MAX_ADDED && !(p->added[p->n_added++] = strdup(digest)))
		return -ENOMEM;
	return 0;
}

static bool entry_uses(const struct image_cache_entry *en, const char *digest)
{
	const char *d[] = { en->manifest_digest, en->image_digest, en->config_digest,
			    en->layer_digest, en->object_digest };

	for (size_t i = 0; i < ELEMENTSOF(d); i++)
		if (d[i] && !strcmp(d[i], digest))
			return true;
	return false;
}

/* After a failure: the blobs this pull added and no reference uses go again. The cache
 * lock is held (it is taken before the first commit), so no other pull can have started
 * using them meanwhile. The cache module has no call to drop one blob, so it is unlinked
 * at its documented place. */
static void drop_added(struct pull *p)
{
	struct image_cache_entry *v = NULL;
	size_t n = 0;

	if (!p->n_added)
		return;
	if (image_cache_list(p->cache, &v, &n, NULL) < 0)
		return; /* unsure who uses what: keeping a verified blob is harmless */
	for (size_t i = 0; i < p->n_added; i++) {
		_cleanup_free_ char *path = NULL;
		bool used = false;

		for (size_t j = 0; j < n && !used; j++)
			used = entry_uses(&v[j], p->added[i]);
		if (used || strncmp(p->added[i], "sha256:", 7) != 0)
			continue;
		if (asprintf(&path, "%s/blobs/sha256/%s", p->o->cache_dir, p->added[i] + 7) >= 0)
			(void)unlink(path);
	}
	image_cache_entries_free(v, n);
}

/* The platform manifest the reference resolves to. top: what the reference names. */
static int resolve_manifest(struct pull *p, struct img_buf *top, char **top_mt, char **top_digest,
			    struct img_buf *man, char **man_digest, struct image_manifest *m,
			    struct image_pulled *ret, struct img_err *e)
{
	const char *reference = p->ref.digest ? p->ref.digest : p->ref.tag;
	int r;

	r = registry_get_manifest(p->reg, reference, top, top_mt, top_digest, e);
	if (r == -ENOENT && e) {
		/* the registry's words as the detail; the message says what it means */
		char detail[sizeof(e->msg)];

		snprintf(detail, sizeof(detail), "%s", e->msg);
		img_err_clear(e);
		return img_fail(e, -ENOENT, "image %s does not exist in its registry (%s)",
				p->canonical, detail);
	}
	if (r < 0)
		return r;
	if (p->o->verify_enabled) {
		r = check_signature(p, *top_digest, ret, e);
		if (r < 0)
			return r;
	}
	if (image_is_index(*top_mt, top->data, top->len)) {
		struct image_index x = { 0 };
		const struct image_descriptor *d;
		_cleanup_free_ char *mt = NULL;

		r = image_index_parse(top->data, top->len, &x, e);
		if (r == 0)
			r = image_index_pick(&x, &d, e);
		if (r == 0)
			r = registry_get_manifest(p->reg, d->digest, man, &mt, man_digest, e);
		if (r == 0 && image_is_index(mt, man->data, man->len))
			r = img_fail(e, -EINVAL,
				     "image %s: the index entry for this platform (%s) is another index; a bytecode image's index lists manifests",
				     p->canonical, d->digest);
		image_index_clear(&x);
		if (r < 0)
			return r;
	} else {
		*man = *top; /* the same bytes: the manifest is what the reference names */
		*top = (struct img_buf){ 0 };
		if (!(*man_digest = strdup(*top_digest)))
			return -ENOMEM;
	}
	r = image_manifest_parse(man->data, man->len, m, e);
	if (r < 0)
		return r;
	if (m->n_layers != 1)
		return img_fail(e, -EINVAL,
				"image %s has %zu layers; a bytecode image has exactly one (a tar+gzip of the object)",
				p->canonical, m->n_layers);
	if (!layer_is_tgz(m->layers[0].media_type))
		return img_fail(e, -EINVAL,
				"the layer of image %s has media type '%s'; a bytecode image's layer is tar+gzip (%s or %s)",
				p->canonical,
				m->layers[0].media_type ? m->layers[0].media_type : "(none)",
				MT_OCI_LAYER_TGZ, MT_DOCKER_LAYER_TGZ);
	return 0;
}

/* The fetch itself: everything up to the commits without the cache lock, then the commits
 * and the ref under it. */
static int fetch(struct pull *p, struct image_pulled *ret, struct img_err *e)
{
	const struct image_pull_opts *o = p->o;
	struct img_buf top = { 0 }, man = { 0 }, cfg = { 0 };
	_cleanup_free_ char *top_mt = NULL, *top_digest = NULL, *man_digest = NULL;
	_cleanup_free_ char *obj_digest = NULL, *obj_name = NULL;
	_cleanup_close_ int layer_fd = -EBADF;
	struct image_cache_writer wl = { .fd = -EBADF }, wo = { .fd = -EBADF };
	bool wl_active = false, wo_active = false, have_layer, locked = false;
	struct image_manifest m = { 0 };
	const struct image_descriptor *layer;
	uint64_t obj_size = 0;
	int r;

	r = registry_open(&o->registry, &p->ref, &p->reg, e);
	if (r < 0)
		goto out;
	r = resolve_manifest(p, &top, &top_mt, &top_digest, &man, &man_digest, &m, ret, e);
	if (r < 0)
		goto out;
	layer = &m.layers[0];

	r = registry_get_blob_mem(p->reg, m.config.digest, m.config.size, &cfg, e);
	if (r < 0)
		goto out;
	r = image_config_labels(cfg.data, cfg.len, &ret->labels, e);
	if (r == 0)
		r = check_functions(p, &ret->labels, e);
	if (r < 0)
		goto out;

	/* the layer: from the cache when an earlier pull has it, else downloaded */
	have_layer = image_cache_blob_present(p->cache, layer->digest);
	if (have_layer) {
		uint64_t size;

		/* verified as it is opened; the open fd stays readable should an `image rm`
		 * collect the blob before this pull's commits (recommit_layer) */
		r = image_cache_blob_open(p->cache, layer->digest, &layer_fd, &size, e);
		if (r == -ENOENT) {
			have_layer = false; /* gone, or it failed verification and was dropped */
			img_err_clear(e);
		} else if (r < 0) {
			goto out;
		}
	}
	if (!have_layer) {
		r = image_cache_blob_begin(p->cache, &wl, e);
		if (r < 0)
			goto out;
		wl_active = true;
		r = registry_get_blob(p->reg, layer->digest, layer->size, wl.fd, e);
		if (r < 0)
			goto out;
		layer_fd = open(wl.tmp_path, O_RDONLY | O_CLOEXEC);
		if (layer_fd < 0) {
			r = img_fail(e, -errno, "cannot reopen the downloaded layer: %s",
				     strerror(errno));
			goto out;
		}
	}

	/* a tar+gzip layer is gzip: libarchive would read a plain tar (or another compression)
	 * as well, which is not what the manifest declares */
	{
		unsigned char magic[2];

		if (pread(layer_fd, magic, 2, 0) != 2 || magic[0] != 0x1f || magic[1] != 0x8b) {
			r = img_fail(e, -EINVAL,
				     "the layer of image %s (%s) is declared %s but is not gzip data",
				     p->canonical, layer->digest, layer->media_type);
			goto out;
		}
	}

	/* the object, checked by image_layer_extract (one regular file, ELF, byte order) */
	r = image_cache_blob_begin(p->cache, &wo, e);
	if (r < 0)
		goto out;
	wo_active = true;
	if (wl_active) {
		/* the downloaded layer is verified (synced, hashed again) while the object is
		 * extracted from it; both stay temp files until the commits below */
		r = seal_layer_while(p, &wl, &wl_active, layer, layer_fd,
				       o->max_object ? o->max_object : MAX_OBJECT_DEFAULT, &wo,
				       &obj_name, &obj_digest, &obj_size, e);
	} else {
		r = extract_hashed(layer_fd, wo.fd,
				   o->max_object ? o->max_object : MAX_OBJECT_DEFAULT, &obj_name,
				   &obj_digest, &obj_size, e);
	}
	if (r == 0) {
		r = image_cache_blob_seal(p->cache, &wo, obj_digest, obj_size, e);
		if (r < 0)
			wo_active = false; /* the seal aborted it */
	}
	if (r < 0)
		goto out;

	/* every check passed: under the lock (held until the ref is set, so that no `image rm`
	 * collects a blob in between), commit bottom-up, the reference last. Only renames and
	 * small writes happen here: nothing waits for a registry. */
	r = image_cache_lock(p->cache, e);
	if (r < 0)
		goto out;
	locked = true;
	if (wl_active)
		r = commit_blob(p, &wl, &wl_active, layer->digest, layer->size, e);
	else if (!image_cache_blob_present(p->cache, layer->digest))
		r = recommit_layer(p, layer, layer_fd, e);
	if (r == 0)
		r = commit_blob(p, &wo, &wo_active, obj_digest, obj_size, e);
	if (r == 0)
		r = put_blob(p, m.config.digest, &cfg, e);
	if (r == 0)
		r = put_blob(p, man_digest, &man, e);
	if (r == 0 && top.data) /* an index */
		r = put_blob(p, top_digest, &top, e);
	if (r < 0)
		goto out;

	ret->entry.ref = strdup(p->canonical);
	ret->entry.manifest_digest = strdup(top_digest);
	ret->entry.image_digest = strdup(man_digest);
	ret->entry.config_digest = strdup(m.config.digest);
	ret->entry.layer_digest = strdup(layer->digest);
	ret->entry.object_digest = TAKE_PTR(obj_digest);
	ret->entry.object_name = TAKE_PTR(obj_name);
	ret->entry.object_size = obj_size;
	ret->entry.pulled_at = time(NULL);
	if (!ret->entry.ref || !ret->entry.manifest_digest || !ret->entry.image_digest ||
	    !ret->entry.config_digest || !ret->entry.layer_digest) {
		r = -ENOMEM;
		goto out;
	}
	r = image_cache_ref_set(p->cache, &ret->entry, e);
out:
	if (wo_active)
		image_cache_blob_abort(p->cache, &wo);
	if (wl_active)
		image_cache_blob_abort(p->cache, &wl);
	if (r < 0 && locked)
		drop_added(p); /* nothing was committed before the lock */
	if (locked)
		image_cache_unlock(p->cache);
	image_manifest_clear(&m);
	img_buf_clear(&top);
	img_buf_clear(&man);
	img_buf_clear(&cfg);
	return r;
}

int image_pull(const struct image_pull_opts *o, struct image_pulled *ret, struct img_err *e)
{
	struct pull p = { .o = o };
	int r;

	memset(ret, 0, sizeof(*ret));
	if (!o->url || !*o->url)
		return img_fail(e, -EINVAL, "no image reference given");
	if ((unsigned)o->policy > IMAGE_PULL_NEVER)
		return img_fail(e, -EINVAL,
				"invalid pull policy %d (0 Always, 1 IfNotPresent, 2 Never)",
				(int)o->policy);
	r = image_ref_parse(o->url, &p.ref, e);
	if (r < 0)
		goto out;
	p.canonical = image_ref_format(&p.ref);
	if (!p.canonical) {
		r = -ENOMEM;
		goto out;
	}
	r = image_cache_open(o->cache_dir, &p.cache, e);
	if (r < 0)
		goto out;

	if (o->policy != IMAGE_PULL_ALWAYS) {
		r = from_cache(&p, ret, e);
		if (r != -ENOENT)
			goto out; /* found, or unreadable: a broken cache is not silently bypassed */
		img_err_clear(e);
		if (o->policy == IMAGE_PULL_NEVER) {
			r = img_fail(e, -ENOENT,
				     "image %s is not in the cache and the pull policy is Never",
				     p.canonical);
			goto out;
		}
	}
	r = fetch(&p, ret, e);
out:
	if (r == 0 && o->object_fd) {
		uint64_t size;

		r = image_cache_blob_open(p.cache, ret->entry.object_digest, o->object_fd, &size, e);
		if (r == -ENOENT)
			r = img_fail(e, -ENOENT,
				     "the object of image %s (%s) failed verification in the cache and was dropped; pull the image again",
				     p.canonical, ret->entry.object_digest);
	}
	if (r < 0)
		image_pulled_clear(ret);
	pull_clear(&p);
	return r;
}

int image_pulled_open_object(const struct image_pull_opts *o, const struct image_pulled *p,
			     int *ret_fd, struct img_err *e)
{
	struct image_cache *c = NULL;
	uint64_t size;
	int r;

	r = image_cache_open(o->cache_dir, &c, e);
	if (r < 0)
		return r;
	r = image_cache_blob_open(c, p->entry.object_digest, ret_fd, &size, e);
	if (r == -ENOENT)
		r = img_fail(e, -ENOENT,
			     "the object of image %s (%s) is no longer in the cache (removed, or it failed verification); pull the image again",
			     p->entry.ref, p->entry.object_digest);
	image_cache_free(c);
	return r;
}
