/* byteCode.image.imagePullSecret (bpfman-k8s.md 3.4): a namespaced application may name only
 * a Secret of its own namespace (upstream reads any Secret cluster-wide on its behalf, §6).
 * The Secret (kubernetes.io/dockerconfigjson `.dockerconfigjson`, or kubernetes.io/dockercfg
 * `.dockercfg`) gives the credentials of the image's registry: the entry whose key is the
 * registry host exactly (Docker Hub: "https://index.docker.io/v1/"), `username`/`password`
 * or base64 `auth`. The reconciler takes no credentials, so the agent pulls the image into
 * the cache with them first (pass.c); the reconciler then finds it there. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <openssl/evp.h>

#include "agent.h"
#include "bpfman.h"

__attribute__((format(printf, 3, 4))) static int fail(char **why, int r, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	if (vasprintf(why, fmt, ap) < 0)
		*why = NULL;
	va_end(ap);
	return r;
}

/* base64 (as the API returns Secret data) -> a NUL-terminated string */
static char *b64_decode(const char *in)
{
	size_t n = strlen(in);
	unsigned char *out = malloc(n / 4 * 3 + 4);
	int len;

	if (!out || n % 4) {
		free(out);
		return NULL;
	}
	len = EVP_DecodeBlock(out, (const unsigned char *)in, (int)n);
	if (len < 0) {
		free(out);
		return NULL;
	}
	/* EVP_DecodeBlock counts the padding as zero bytes */
	for (size_t i = n; i > 0 && in[i - 1] == '='; i--)
		len--;
	out[len] = 0;
	return (char *)out;
}

/* the registry host of an image reference, as docker config keys name it */
static char *registry_key(const char *url)
{
	const char *slash = strchr(url, '/');
	size_t n = slash ? (size_t)(slash - url) : 0;

	if (!slash || (!memchr(url, '.', n) && !memchr(url, ':', n) && strncmp(url, "localhost", n)))
		return strdup("https://index.docker.io/v1/");
	if (n == 9 && !strncmp(url, "docker.io", 9))
		return strdup("https://index.docker.io/v1/");
	return strndup(url, n);
}

int pull_secret_creds(struct agent *a, const struct app_decl *d, char **ret_user,
		      char **ret_pass, char **why)
{
	json_t *s = NULL, *auths = NULL, *entry;
	const char *ns = d->pull_secret_namespace, *type, *key, *data;
	char *err = NULL, *cfg = NULL, *reg = NULL;
	int r;

	*why = NULL;
	*ret_user = *ret_pass = NULL;
	if (!d->pull_secret_name || !d->image_url)
		return 0;
	if (d->kind == APP_NAMESPACED && strcmp(ns ? ns : "", d->namespace ? d->namespace : ""))
		return fail(why, -EPERM,
			    "imagePullSecret in namespace %s: a BpfApplication may only use a "
			    "Secret of its own namespace (%s)",
			    ns ? ns : "", d->namespace ? d->namespace : "");
	r = kube_get(a->k, &KUBE_SECRET, ns, d->pull_secret_name, &s, &err);
	if (r < 0) {
		r = fail(why, r, "imagePullSecret %s: %s", d->pull_secret_name,
			 err ? err : strerror(-r));
		free(err);
		return r;
	}
	type = jstr(s, "type") ?: "";
	key = !strcmp(type, "kubernetes.io/dockercfg") ? ".dockercfg" : ".dockerconfigjson";
	data = json_string_value(json_object_get(jget(s, "data"), key));
	if (!data || !(cfg = b64_decode(data))) {
		json_decref(s);
		return fail(why, -EINVAL, "imagePullSecret %s: no %s in the Secret",
			    d->pull_secret_name, key);
	}
	json_decref(s);
	auths = json_loads(cfg, 0, NULL);
	explicit_bzero(cfg, strlen(cfg));
	free(cfg);
	if (!auths)
		return fail(why, -EINVAL, "imagePullSecret %s: %s is not JSON",
			    d->pull_secret_name, key);
	if (!strcmp(key, ".dockerconfigjson"))
		entry = json_object_get(json_object_get(auths, "auths"), (reg = registry_key(d->image_url)) ?: "");
	else
		entry = json_object_get(auths, (reg = registry_key(d->image_url)) ?: "");
	free(reg);
	r = 0;
	if (json_is_string(json_object_get(entry, "username"))) {
		*ret_user = strdup(jstr(entry, "username"));
		*ret_pass = strdup(jstr(entry, "password") ?: "");
	} else if (jstr(entry, "auth")) {
		r = bpfman_registry_auth_decode(jstr(entry, "auth"), ret_user, ret_pass);
		if (r < 0)
			r = fail(why, r, "imagePullSecret %s: the auth of its entry is not base64 "
					 "of USER:PASSWORD",
				 d->pull_secret_name);
	}
	/* no entry for this registry: anonymous, as upstream (empty credentials) */
	json_decref(auths);
	return r;
}

int pull_with_secret(struct agent *a, struct app_decl *d, char **why)
{
	struct bpfman_image img = { 0 };
	struct bpfman_image_pull_opts o = { .url = d->image_url };
	char *user = NULL, *pass = NULL;
	int r;

	*why = NULL;
	if (!d->pull_secret_name || !d->image_url)
		return 0;
	r = pull_secret_creds(a, d, &user, &pass, why);
	if (r < 0)
		return r;
	/* the cache answers when it has the image: no registry round trip every pass */
	o.pull_policy = d->pull_policy == 2 ? 2 : 1;
	o.username = user;
	o.password = pass;
	r = bpfman_image_pull(a->m, &o, &img);
	if (r < 0 && asprintf(why, "pulling %s with imagePullSecret %s: %s", d->image_url,
			      d->pull_secret_name, bpfman_error(a->m)) < 0)
		*why = NULL;
	free(user);
	if (pass)
		explicit_bzero(pass, strlen(pass));
	free(pass);
	if (r >= 0)
		d->pull_policy = 1; /* IfNotPresent: it is in the cache now */
	bpfman_image_clear(&img);
	return r < 0 ? r : 0;
}
