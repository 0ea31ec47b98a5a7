/* Bytecode images in the library: loading from an image (the object source of bpfman_load
 * when image_url is given), and the cache calls bpfman_image_pull/list/remove.
 *
 * A load from an image pulls it per the policy (image-pull.c: signature, platform, one
 * layer, the object extracted and verified), checks that every requested function is
 * listed in the image's io.ebpf.programs label, and hands load.c the cached object as an
 * open fd: from there on it is loaded exactly like a file. The record keeps the image's
 * reference, policy and digest, never the cache blob's path (that is not the user's file,
 * and `image rm` may remove it). Credentials come with the request (never stored) or from
 * the root-only [registries] auth_file. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "cleanup.h"
#include "image-cache.h"
#include "image-pull.h"
#include "image-ref.h"
#include "load-image.h"
#include "manager.h"

const char *bpfman_pull_policy_to_string(int policy)
{
	switch (policy) {
	case BPFMAN_PULL_ALWAYS:
		return "Always";
	case BPFMAN_PULL_IF_NOT_PRESENT:
		return "IfNotPresent";
	case BPFMAN_PULL_NEVER:
		return "Never";
	}
	return NULL;
}

int bpfman_pull_policy_from_string(const char *s)
{
	for (int p = BPFMAN_PULL_ALWAYS; p <= BPFMAN_PULL_NEVER; p++)
		if (s && !strcasecmp(s, bpfman_pull_policy_to_string(p)))
			return p;
	return -EINVAL;
}

void bpfman_set_progress(struct bpfman *m, bpfman_progress_fn fn, void *data)
{
	m->progress = fn;
	m->progress_data = data;
}

void bpfman_image_clear(struct bpfman_image *i)
{
	if (!i)
		return;
	free(i->ref);
	free(i->digest);
	free(i->image_digest);
	free(i->object_name);
	kv_list_clear(&i->programs);
	kv_list_clear(&i->maps);
	memset(i, 0, sizeof(*i));
}

void bpfman_images_free(struct bpfman_image *v, size_t n)
{
	for (size_t i = 0; v && i < n; i++)
		bpfman_image_clear(&v[i]);
	free(v);
}

/* ---- credentials ---- */

struct creds {
	char *user;
	char *pass;
};

static void creds_clear(struct creds *c)
{
	free(c->user);
	registry_secret_free(c->pass);
	c->user = c->pass = NULL;
}

/* base64 "user:password" (an auth file's "auth", the CLI's --registry-auth). */
int bpfman_registry_auth_decode(const char *b64, char **ret_user, char **ret_pass)
{
	size_t len = strlen(b64), pad = 0;
	_cleanup_free_ unsigned char *buf = NULL;
	char *colon;
	int n;

	if (len == 0 || len % 4 != 0 || len > 8192)
		return -EINVAL;
	buf = malloc(len / 4 * 3 + 1);
	if (!buf)
		return -ENOMEM;
	n = EVP_DecodeBlock(buf, (const unsigned char *)b64, (int)len);
	if (n < 0)
		return -EINVAL;
	while (pad < 2 && len > pad && b64[len - 1 - pad] == '=')
		pad++;
	n -= (int)pad;
	buf[n] = '\0';
	if ((int)strlen((char *)buf) != n)
		return -EINVAL; /* a NUL inside */
	colon = strchr((char *)buf, ':');
	if (!colon || colon == (char *)buf)
		return -EINVAL;
	*ret_user = strndup((char *)buf, colon - (char *)buf);
	*ret_pass = strdup(colon + 1);
	explicit_bzero(buf, (size_t)n);
	if (!*ret_user || !*ret_pass) {
		free(*ret_user);
		free(*ret_pass);
		return -ENOMEM;
	}
	return 0;
}

/* ---- pulling with the manager's configuration ---- */

static int pull(struct bpfman *m, const char *url, int policy, const char *user,
		const char *pass, const char *const *functions, int *object_fd,
		struct image_pulled *ret)
{
	struct image_pull_opts po = {
		.url = url,
		.policy = (enum image_pull_policy)policy,
		.cache_dir = m->layout.cache_dir,
		.verify_enabled = m->config.signing_verify_enabled,
		.allow_unsigned = m->config.signing_allow_unsigned,
		.trusted_keys = m->config.signing_trusted_keys,
		.functions = functions,
		.object_fd = object_fd,
	};
	struct creds file = { 0 };
	struct img_err e = { 0 };
	int r;

	if (!bpfman_pull_policy_to_string(policy))
		return manager_error(m, -EINVAL,
				     "invalid pull policy %d (0 Always, 1 IfNotPresent, 2 Never)",
				     policy);
	po.registry.insecure = m->config.registries_insecure;
	po.registry.ca_file = m->config.registries_ca_file;
	po.registry.connect_timeout_sec = m->config.registries_connect_timeout_sec;
	po.registry.stall_timeout_sec = m->config.registries_stall_timeout_sec;
	po.registry.total_timeout_sec = m->config.registries_total_timeout_sec;
	po.registry.progress = m->progress;
	po.registry.progress_data = m->progress_data;
	if ((user && *user) || (pass && *pass)) {
		po.registry.username = user;
		po.registry.password = pass;
	} else if (m->config.registries_auth_file && policy != BPFMAN_PULL_NEVER) {
		struct image_ref ref = { 0 };

		r = image_ref_parse(url, &ref, &e);
		if (r < 0)
			return manager_error(m, r, "%s", e.msg);
		r = registry_auth_from_file(m->config.registries_auth_file, ref.registry,
					    &file.user, &file.pass, &e);
		image_ref_clear(&ref);
		if (r == -ENOENT) { /* no entry for this registry: anonymous */
			img_err_clear(&e);
			r = 0;
		}
		if (r < 0) {
			creds_clear(&file);
			return manager_error(m, r, "%s", e.msg);
		}
		po.registry.username = file.user;
		po.registry.password = file.pass;
	}
	r = image_pull(&po, ret, &e);
	creds_clear(&file);
	if (r < 0)
		return manager_error(m, r, "%s", e.msg[0] ? e.msg : strerror(-r));
	if (ret->warning)
		manager_notice(m, 0, "%s", ret->warning);
	return 0;
}

int load_image_source(struct bpfman *m, const struct bpfman_load_opts *o, int *ret_fd,
		      char **ret_shown, char **ret_name, char **ret_digest)
{
	struct image_pulled pulled = { 0 };
	_cleanup_free_ const char **functions = calloc(o->n_progs + 1, sizeof(*functions));
	int r, fd = -EBADF;

	if (!functions)
		return -ENOMEM;
	for (size_t i = 0; i < o->n_progs; i++)
		functions[i] = o->progs[i].name;
	/* the labels are checked before anything is downloaded: a request for a function the
	 * image does not have leaves nothing in the cache */
	r = pull(m, o->image_url, o->pull_policy, o->username, o->password, functions, &fd,
		 &pulled);
	if (r < 0)
		return r;
	*ret_shown = strdup(pulled.entry.ref);
	*ret_name = strdup(pulled.entry.object_name ? pulled.entry.object_name : "image.o");
	*ret_digest = strdup(pulled.entry.manifest_digest);
	if (!*ret_shown || !*ret_name || !*ret_digest) {
		free(*ret_shown);
		free(*ret_name);
		free(*ret_digest);
		*ret_shown = *ret_name = *ret_digest = NULL;
		fd = safe_close(fd);
		r = -ENOMEM;
		goto out;
	}
	*ret_fd = fd;
out:
	image_pulled_clear(&pulled);
	return r;
}

/* ---- the cache ---- */

static int image_from_entry(struct image_cache *c, struct image_cache_entry *en,
			    const struct image_labels *labels, struct bpfman_image *ret)
{
	struct image_labels own = { 0 };
	struct img_buf cfg = { 0 };
	int r = 0;

	if (!labels && image_cache_get(c, en->config_digest, REGISTRY_MAX_MANIFEST_DEFAULT, &cfg,
				       NULL) == 0) {
		if (image_config_labels(cfg.data, cfg.len, &own, NULL) == 0)
			labels = &own;
		img_buf_clear(&cfg);
	}
	ret->ref = TAKE_PTR(en->ref);
	ret->digest = TAKE_PTR(en->manifest_digest);
	ret->image_digest = TAKE_PTR(en->image_digest);
	ret->object_name = TAKE_PTR(en->object_name);
	ret->object_size = en->object_size;
	ret->pulled_at = en->pulled_at;
	if (labels) {
		r = kv_list_copy(&ret->programs, &labels->programs);
		if (r == 0)
			r = kv_list_copy(&ret->maps, &labels->maps);
	}
	image_labels_clear(&own);
	return r;
}

int bpfman_image_pull(struct bpfman *m, const struct bpfman_image_pull_opts *o,
		      struct bpfman_image *ret)
{
	struct image_pulled pulled = { 0 };
	int r;

	memset(ret, 0, sizeof(*ret));
	if (!o->url || !*o->url)
		return manager_error(m, -EINVAL, "no image reference given");
	r = pull(m, o->url, o->pull_policy, o->username, o->password, NULL, NULL, &pulled);
	if (r < 0)
		return r;
	r = image_from_entry(NULL, &pulled.entry, &pulled.labels, ret);
	ret->from_cache = pulled.from_cache;
	image_pulled_clear(&pulled);
	if (r < 0)
		bpfman_image_clear(ret);
	return r;
}

int bpfman_image_list(struct bpfman *m, struct bpfman_image **ret, size_t *ret_n)
{
	struct image_cache_entry *v = NULL;
	struct image_cache *c = NULL;
	struct bpfman_image *out = NULL;
	struct img_err e = { 0 };
	size_t n = 0;
	int r;

	r = image_cache_open(m->layout.cache_dir, &c, &e);
	if (r == 0)
		r = image_cache_list(c, &v, &n, &e);
	if (r < 0) {
		r = manager_error(m, r, "cannot list the image cache %s: %s", m->layout.cache_dir,
				  e.msg[0] ? e.msg : strerror(-r));
		goto out;
	}
	out = calloc(n ? n : 1, sizeof(*out));
	if (!out) {
		r = -ENOMEM;
		goto out;
	}
	for (size_t i = 0; i < n; i++) {
		r = image_from_entry(c, &v[i], NULL, &out[i]);
		if (r < 0) {
			bpfman_images_free(out, n);
			goto out;
		}
	}
	*ret = out;
	*ret_n = n;
out:
	image_cache_entries_free(v, n);
	image_cache_free(c);
	return r;
}

int bpfman_image_remove(struct bpfman *m, const char *what)
{
	_cleanup_free_ char *key = NULL;
	struct image_cache *c = NULL;
	struct img_err e = { 0 };
	int r;

	if (!what || !*what)
		return manager_error(m, -EINVAL, "no image reference or digest given");
	if (image_digest_valid(what)) {
		key = strdup(what);
	} else {
		struct image_ref ref = { 0 };

		r = image_ref_parse(what, &ref, &e);
		if (r < 0)
			return manager_error(m, r, "%s", e.msg);
		key = image_ref_format(&ref);
		image_ref_clear(&ref);
	}
	if (!key)
		return -ENOMEM;
	r = image_cache_open(m->layout.cache_dir, &c, &e);
	if (r == 0)
		r = image_cache_lock(c, &e);
	if (r == 0)
		r = image_cache_remove(c, key, &e);
	image_cache_free(c);
	if (r == -ENOENT)
		return manager_error(m, r, "image %s is not in the cache", key);
	if (r < 0)
		return manager_error(m, r, "cannot remove %s from the cache: %s", key,
				     e.msg[0] ? e.msg : strerror(-r));
	return 0;
}
