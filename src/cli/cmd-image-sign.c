/* bpfman image sign / verify: cosign-format signatures of an image in its registry
 * (ours; the reference has neither). Signing writes the classic `.sig` format with a PEM
 * private key; verifying checks the classic format and cosign 3's bundles, offline, with
 * the keys given by --key or else the config's [signing] trusted_keys. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <openssl/evp.h>

#include "cleanup.h"
#include "cli.h"
#include "config.h"
#include "cosign.h"
#include "image-ref.h"
#include "layout.h"
#include "log.h"
#include "registry.h"

OPT_TABLE(image_sign_options,
	  { "key", 'k', 1, "KEY", "the cosign private key (PEM; required)" },
	  { "password-env", 0, 1, "VAR", "environment variable holding the key's password" },
	  { "registry-auth", 'r', 1, "BASE64", "base64 of USER:PASS for the registry" },
	  { "output", 'o', 1, "table|json", "output format (default table)" });

OPT_TABLE(image_verify_options,
	  { "key", 'k', 1, "PUBLIC_KEY", "a trusted public key (repeatable; default: [signing] trusted_keys)" },
	  { "registry-auth", 'r', 1, "BASE64", "base64 of USER:PASS for the registry" },
	  { "output", 'o', 1, "table|json", "output format (default table)" });

/* What a registry client needs from the config, and the config itself (for the keys). */
struct sign_ctx {
	struct bpfman_config config;
	struct image_ref ref;
	struct registry *reg;
	char *user, *password; /* from --registry-auth; wiped when done */
	char *digest;
};

static void sign_ctx_done(struct sign_ctx *c)
{
	c->reg = registry_free(c->reg);
	image_ref_clear(&c->ref);
	config_free(&c->config);
	if (c->password)
		explicit_bzero(c->password, strlen(c->password));
	free(c->user); /* user and password share one buffer */
	free(c->digest);
}

/* --registry-auth is base64 of "user:password", as the reference takes it. */
static int parse_auth(const char *b64, struct sign_ctx *c)
{
	size_t len = strlen(b64), n;
	unsigned char *buf = malloc(len / 4 * 3 + 4);
	char *colon;
	int d;

	if (!buf)
		return log_error_errno(-ENOMEM, "registry auth");
	d = EVP_DecodeBlock(buf, (const unsigned char *)b64, (int)len);
	if (d < 0 || len % 4) {
		free(buf);
		cli_usage_error("--registry-auth is not base64 of USER:PASSWORD");
		return -EINVAL;
	}
	n = (size_t)d;
	while (n > 0 && len >= 1 && b64[len - 1] == '=' && buf[n - 1] == '\0') {
		n--;
		len--;
	}
	buf[n] = '\0';
	colon = strchr((char *)buf, ':');
	if (!colon || colon == (char *)buf) {
		explicit_bzero(buf, n);
		free(buf);
		cli_usage_error("--registry-auth is not base64 of USER:PASSWORD");
		return -EINVAL;
	}
	*colon = '\0';
	c->user = (char *)buf;
	c->password = colon + 1;
	return 0;
}

/* Reads the config (under --root), parses the reference, opens its repository and
 * resolves the reference to the digest that is signed (the index for a multi-arch image). */
static int sign_ctx_open(struct sign_ctx *c, const struct parsed *p, const char *url)
{
	struct registry_opts ro = {};
	struct layout l = {};
	struct img_buf body = {};
	struct img_err e = {};
	_cleanup_free_ char *cfg_err = NULL, *mt = NULL;
	const char *auth = opt_value(p, "registry-auth");
	int r;

	config_init(&c->config);
	r = layout_init(&l, arg_root);
	if (r < 0)
		return log_error_errno(r, "bad root");
	r = config_load(&c->config, l.config_path, &cfg_err);
	layout_free(&l);
	if (r < 0) {
		log_error("%s", cfg_err ? cfg_err : "cannot read the config");
		return r;
	}
	r = image_ref_parse(url, &c->ref, &e);
	if (r < 0) {
		log_error("%s", e.msg[0] ? e.msg : "bad image reference");
		return r;
	}
	if (auth) {
		r = parse_auth(auth, c);
		if (r < 0)
			return r;
	}
	ro.insecure = c->config.registries_insecure;
	ro.ca_file = c->config.registries_ca_file;
	ro.connect_timeout_sec = c->config.registries_connect_timeout_sec;
	ro.stall_timeout_sec = c->config.registries_stall_timeout_sec;
	ro.total_timeout_sec = c->config.registries_total_timeout_sec;
	ro.username = c->user;
	ro.password = c->password;
	r = registry_open(&ro, &c->ref, &c->reg, &e);
	if (r < 0) {
		log_error("%s: %s", url, e.msg[0] ? e.msg : strerror(-r));
		return r;
	}
	/* by digest: still fetched, so a signature is never made for an image that is not there */
	r = registry_get_manifest(c->reg, c->ref.digest ? c->ref.digest : c->ref.tag, &body, &mt,
				  &c->digest, &e);
	img_buf_clear(&body);
	if (r < 0) {
		log_error("%s: %s", url, e.msg[0] ? e.msg : strerror(-r));
		return r;
	}
	return 0;
}

/* The docker-reference a cosign payload names: registry and repository without tag, with
 * Docker Hub spelled as cosign (go-containerregistry) spells it. */
static char *docker_reference(const struct image_ref *ref)
{
	char *s = NULL;
	const char *reg = strcmp(ref->registry, "docker.io") ? ref->registry : "index.docker.io";

	if (asprintf(&s, "%s/%s", reg, ref->repository) < 0)
		return NULL;
	return s;
}

int cmd_image_sign(int argc, char **argv)
{
	static const char usage[] =
		"usage: bpfman image sign --key KEY [--password-env VAR] [-r BASE64] REF";
	_cleanup_free_ char *docker_ref = NULL;
	struct sign_ctx c = {};
	struct parsed p;
	struct img_err e = {};
	const char *key, *pw_env, *password = NULL;
	enum output_format fmt = OUTPUT_TABLE;
	int r;

	r = parse_table(&image_sign_options, argc, argv, &p);
	if (r < 0)
		return r;
	r = output_format_from(&p, &fmt);
	if (r < 0)
		goto out;
	key = opt_value(&p, "key");
	pw_env = opt_value(&p, "password-env");
	if (!key || p.n_pos != 1) {
		cli_usage_error("%s", usage);
		r = -EINVAL;
		goto out;
	}
	if (pw_env) {
		/* a password never comes on the command line, where ps shows it */
		password = secure_getenv(pw_env);
		if (!password) {
			cli_usage_error("--password-env %s: that variable is not set", pw_env);
			r = -EINVAL;
			goto out;
		}
	}
	r = sign_ctx_open(&c, &p, p.pos[0]);
	if (r < 0)
		goto out;
	docker_ref = docker_reference(&c.ref);
	if (!docker_ref) {
		r = log_error_errno(-ENOMEM, "sign");
		goto out;
	}
	r = cosign_sign(c.reg, docker_ref, c.digest, key, password, &e);
	if (r < 0) {
		log_error("cannot sign %s: %s", p.pos[0], e.msg[0] ? e.msg : strerror(-r));
		goto out;
	}
	if (fmt == OUTPUT_JSON)
		cli_print_json(json_pack("{s:s, s:s}", "signed", docker_ref, "digest", c.digest));
	else
		printf("signed %s@%s\n", docker_ref, c.digest);
out:
	sign_ctx_done(&c);
	parsed_free(&p);
	return r;
}

static void print_verify(enum output_format f, const char *ref, const char *digest,
			 const char *result, const char *why)
{
	if (f == OUTPUT_JSON) {
		json_t *o = json_pack("{s:s, s:s?, s:s}", "reference", ref, "digest", digest,
				      "result", result);
		if (o && why)
			json_object_set_new(o, "error", json_string(why));
		if (o)
			cli_print_json(o);
		return;
	}
	if (!why)
		printf("%s@%s: %s\n", ref, digest ? digest : "?", result);
}

int cmd_image_verify(int argc, char **argv)
{
	static const char usage[] =
		"usage: bpfman image verify [--key PUBLIC_KEY]... [-r BASE64] [-o json] REF";
	struct cosign_keys *keys = NULL;
	struct sign_ctx c = {};
	struct parsed p;
	struct img_err e = {};
	enum cosign_result res;
	enum output_format f;
	char **key_paths = NULL;
	int r;

	r = parse_table(&image_verify_options, argc, argv, &p);
	if (r < 0)
		return r;
	r = output_format_from(&p, &f);
	if (r < 0)
		goto out;
	if (p.n_pos != 1) {
		cli_usage_error("%s", usage);
		r = -EINVAL;
		goto out;
	}
	r = sign_ctx_open(&c, &p, p.pos[0]);
	if (r < 0)
		goto out;
	/* --key replaces the configured keys: a check against exactly the keys named */
	if (opt_values(&p, "key", &key_paths) > 0) {
		size_t n = opt_values(&p, "key", &key_paths);
		char **v = calloc(n + 1, sizeof(*v));

		if (!v) {
			r = log_error_errno(-ENOMEM, "keys");
			goto out;
		}
		memcpy(v, key_paths, n * sizeof(*v));
		r = cosign_keys_load(v, &keys, &e);
		free(v);
	} else {
		if (!c.config.signing_trusted_keys || !c.config.signing_trusted_keys[0]) {
			log_error("no key to verify with: give --key PUBLIC_KEY or set [signing] trusted_keys in the config");
			r = -ENOKEY;
			goto out;
		}
		r = cosign_keys_load(c.config.signing_trusted_keys, &keys, &e);
	}
	if (r < 0) {
		log_error("%s", e.msg[0] ? e.msg : strerror(-r));
		goto out;
	}
	r = cosign_verify(c.reg, c.digest, keys, &res, &e);
	if (r == -EKEYREJECTED) {
		print_verify(f, p.pos[0], c.digest, "rejected", e.msg);
		log_error("%s: signature refused: %s", p.pos[0], e.msg);
	} else if (r < 0) {
		log_error("cannot verify %s: %s", p.pos[0], e.msg[0] ? e.msg : strerror(-r));
	} else if (res == COSIGN_UNSIGNED) {
		print_verify(f, p.pos[0], c.digest, "unsigned", "the image is not signed");
		log_error("%s@%s is not signed (no .sig tag, no signature referrer)", p.pos[0],
			  c.digest);
		r = -ENOENT;
	} else {
		print_verify(f, p.pos[0], c.digest, "verified", NULL);
	}
out:
	cosign_keys_free(keys);
	sign_ctx_done(&c);
	parsed_free(&p);
	return r;
}
