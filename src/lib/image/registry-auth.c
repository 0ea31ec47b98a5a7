/* Registry authentication: the WWW-Authenticate challenge, basic credentials, bearer tokens
 * (distribution's token spec: GET <realm>?service=..&scope=.., with basic credentials when
 * we have them; the answer's `access_token` or `token`), cached per scope until they
 * expire.
 *
 * Secrets (password, the basic header, tokens) live only in memory, are wiped before they
 * are freed, and never reach a message. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>
#include <openssl/evp.h>

#include "cleanup.h"
#include "registry-internal.h"

#define TOKEN_MIN_LIFETIME 60 /* the spec's default, and a floor for what servers say */
#define TOKEN_MAX_LEN 16384

static time_t now_mono(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec;
}

void registry_challenge_clear(struct registry_challenge *c)
{
	free(c->realm);
	free(c->service);
	free(c->scope);
	free(c->error);
	*c = (struct registry_challenge){ 0 };
}

static bool is_tchar(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       (c && strchr("!#$%&'*+-.^_`|~", c));
}

static const char *skip_ows(const char *p)
{
	while (*p == ' ' || *p == '\t')
		p++;
	return p;
}

/* A quoted-string (p on the opening quote) or a token68-like bare value. */
static int parse_param_value(const char **pp, char **ret)
{
	const char *p = *pp;
	_cleanup_free_ char *out = NULL;
	size_t n = 0;

	out = malloc(strlen(p) + 1);
	if (!out)
		return -ENOMEM;
	if (*p == '"') {
		for (p++;; p++) {
			if (!*p)
				return -EINVAL; /* unterminated */
			if (*p == '"')
				break;
			if (*p == '\\') {
				if (!p[1])
					return -EINVAL;
				p++;
			}
			out[n++] = *p;
		}
		p++;
	} else {
		while (*p && *p != ',' && *p != ' ' && *p != '\t')
			out[n++] = *p++;
		if (!n)
			return -EINVAL;
	}
	out[n] = '\0';
	*pp = p;
	*ret = TAKE_PTR(out);
	return 0;
}

int registry_challenge_parse(const char *header, struct registry_challenge *ret)
{
	struct registry_challenge c = { 0 };
	const char *p = skip_ows(header ? header : ""), *start = p;
	int rc = 0;

	while (is_tchar(*p))
		p++;
	if (p == start || (*p && *p != ' ' && *p != '\t'))
		return -EINVAL;
	if (p - start == 5 && !strncasecmp(start, "Basic", 5))
		c.scheme = AUTH_BASIC;
	else if (p - start == 6 && !strncasecmp(start, "Bearer", 6))
		c.scheme = AUTH_BEARER;
	else
		c.scheme = AUTH_NONE;

	for (;;) {
		const char *name;
		size_t name_len;
		char *value = NULL, **slot = NULL;

		while (*p == ' ' || *p == '\t' || *p == ',')
			p++;
		if (!*p)
			break;
		name = p;
		while (is_tchar(*p) && *p != '=')
			p++;
		name_len = (size_t)(p - name);
		p = skip_ows(p);
		if (!name_len || *p != '=') {
			/* the start of a second challenge ("Basic ..., Bearer ..."): we use the
			 * first only */
			if (name_len && c.scheme != AUTH_NONE && (c.scheme == AUTH_BASIC || c.realm))
				break;
			rc = -EINVAL;
			goto fail;
		}
		p = skip_ows(p + 1);
		rc = parse_param_value(&p, &value);
		if (rc < 0)
			goto fail;
#define IS(s) (name_len == sizeof(s) - 1 && !strncasecmp(name, s, name_len))
		if (IS("realm"))
			slot = &c.realm;
		else if (IS("service"))
			slot = &c.service;
		else if (IS("scope"))
			slot = &c.scope;
		else if (IS("error"))
			slot = &c.error;
#undef IS
		if (slot && !*slot)
			*slot = value;
		else
			free(value);
		p = skip_ows(p);
		if (*p && *p != ',') {
			rc = -EINVAL;
			goto fail;
		}
	}
	if (c.scheme == AUTH_BEARER && (!c.realm || !*c.realm)) {
		rc = -EINVAL;
		goto fail;
	}
	*ret = c;
	return 0;
fail:
	registry_challenge_clear(&c);
	return rc;
}

void registry_auth_reset(struct registry *r)
{
	for (size_t i = 0; i < REGISTRY_TOKEN_CACHE; i++) {
		free(r->tokens[i].scope);
		registry_secret_free(r->tokens[i].token);
		r->tokens[i] = (struct registry_token){ 0 };
	}
	free(r->realm);
	free(r->service);
	r->realm = r->service = NULL;
}

static int basic_header(struct registry *r, char **ret)
{
	_cleanup_free_ char *plain = NULL;
	_cleanup_free_ unsigned char *b64 = NULL;
	size_t n;
	int len;

	*ret = NULL;
	if (asprintf(&plain, "%s:%s", r->username, r->password ? r->password : "") < 0) {
		plain = NULL;
		return -ENOMEM;
	}
	n = strlen(plain);
	b64 = malloc(4 * ((n + 2) / 3) + 1);
	if (!b64) {
		explicit_bzero(plain, n);
		return -ENOMEM;
	}
	len = EVP_EncodeBlock(b64, (unsigned char *)plain, (int)n);
	explicit_bzero(plain, n);
	if (asprintf(ret, "Basic %s", b64) < 0)
		*ret = NULL;
	explicit_bzero(b64, (size_t)len);
	return *ret ? 0 : -ENOMEM;
}

static char *default_scope(struct registry *r, const char *actions)
{
	char *s;

	if (asprintf(&s, "repository:%s:%s", r->repository, actions ? actions : "pull") < 0)
		return NULL;
	return s;
}

static struct registry_token *token_lookup(struct registry *r, const char *scope)
{
	for (size_t i = 0; i < REGISTRY_TOKEN_CACHE; i++)
		if (r->tokens[i].scope && !strcmp(r->tokens[i].scope, scope))
			return &r->tokens[i];
	return NULL;
}

static void token_drop(struct registry_token *t)
{
	free(t->scope);
	registry_secret_free(t->token);
	*t = (struct registry_token){ 0 };
}

/* Keeps the token; the slot is its scope's, an empty one, else the one expiring first. */
static void token_store(struct registry *r, char *scope, char *token, time_t expires)
{
	struct registry_token *slot = token_lookup(r, scope);

	for (size_t i = 0; !slot && i < REGISTRY_TOKEN_CACHE; i++)
		if (!r->tokens[i].scope)
			slot = &r->tokens[i];
	if (!slot) {
		slot = &r->tokens[0];
		for (size_t i = 1; i < REGISTRY_TOKEN_CACHE; i++)
			if (r->tokens[i].expires < slot->expires)
				slot = &r->tokens[i];
	}
	token_drop(slot);
	*slot = (struct registry_token){ .scope = scope, .token = token, .expires = expires };
}

/* Header values must not smuggle a CR/LF (or anything unprintable) into the request. */
static bool token_printable(const char *t)
{
	size_t n = strlen(t);

	if (!n || n > TOKEN_MAX_LEN)
		return false;
	for (; *t; t++)
		if ((unsigned char)*t <= 0x20 || (unsigned char)*t >= 0x7f)
			return false;
	return true;
}

static int token_url(struct registry *r, const char *scope, char **ret)
{
	CURLU *u = curl_url();
	_cleanup_free_ char *part = NULL, *scopes = NULL;
	char *save = NULL, *s;
	int rc = -ENOMEM;

	if (!u)
		return -ENOMEM;
	if (curl_url_set(u, CURLUPART_URL, r->realm, 0) != CURLUE_OK) {
		rc = -EINVAL;
		goto out;
	}
	if (r->service) {
		if (asprintf(&part, "service=%s", r->service) < 0) {
			part = NULL;
			goto out;
		}
		if (curl_url_set(u, CURLUPART_QUERY, part, CURLU_APPENDQUERY | CURLU_URLENCODE))
			goto out;
	}
	/* one scope parameter per scope (a challenge may list several, space-separated) */
	scopes = strdup(scope);
	if (!scopes)
		goto out;
	for (s = strtok_r(scopes, " ", &save); s; s = strtok_r(NULL, " ", &save)) {
		free(part);
		if (asprintf(&part, "scope=%s", s) < 0) {
			part = NULL;
			goto out;
		}
		if (curl_url_set(u, CURLUPART_QUERY, part, CURLU_APPENDQUERY | CURLU_URLENCODE))
			goto out;
	}
	rc = curl_url_get(u, CURLUPART_URL, ret, 0) == CURLUE_OK ? 0 : -ENOMEM;
out:
	curl_url_cleanup(u);
	return rc;
}

/* GET <realm>?service=..&scope=.. : *ret_token and its expiry. */
static int fetch_token(struct registry *r, const char *scope, char **ret_token,
		       time_t *ret_expires, struct img_err *e)
{
	_cleanup_free_ char *url = NULL, *what = NULL, *basic = NULL, *curl_url_s = NULL;
	struct registry_req q = { .method = "GET", .sink = SINK_MEM,
				  .max_mem = REGISTRY_MAX_ERROR_BODY };
	json_t *root = NULL, *tok;
	const char *t;
	json_int_t expires_in = TOKEN_MIN_LIFETIME;
	int rc;

	if (strncasecmp(r->realm, "https://", 8) && strncasecmp(r->realm, "http://", 7))
		return img_fail(e, -EPROTO, "registry %s names a token server that is not an "
				"http(s) URL", r->host);
	/* Credentials go over plain HTTP only where the registry itself may be plain. */
	if (!strncasecmp(r->realm, "http://", 7) && !r->plain_allowed)
		return img_fail(e, -EPERM,
				"registry %s names a plain-HTTP token server; refused (only "
				"loopback and insecure registries may use plain HTTP)", r->host);
	rc = token_url(r, scope, &curl_url_s);
	if (rc < 0)
		return img_fail(e, rc, "registry %s: invalid token server URL", r->host);
	url = strdup(curl_url_s);
	curl_free(curl_url_s);
	curl_url_s = NULL;
	if (!url || asprintf(&what, "token for %s (%s)", r->display, scope) < 0) {
		what = NULL;
		return -ENOMEM;
	}
	if (r->username) {
		rc = basic_header(r, &basic);
		if (rc < 0)
			return rc;
	}
	q.url = url;
	q.what = what;
	rc = registry_send(r, &q, basic, e);
	if (basic)
		explicit_bzero(basic, strlen(basic));
	if (rc < 0)
		goto out;
	if (q.status == 401 || q.status == 403) {
		rc = img_fail(e, -EACCES, "registry %s: the token server refused %s (%ld)", r->host,
			      r->username ? "the credentials" : "anonymous access", q.status);
		goto out;
	}
	if (q.status != 200) {
		rc = registry_status_error(r, &q, e);
		goto out;
	}
	root = json_loadb((const char *)q.resp.data, q.resp.len, 0, NULL);
	tok = json_object_get(root, "access_token"); /* wins over "token", as in docker */
	if (!json_is_string(tok) || !*json_string_value(tok))
		tok = json_object_get(root, "token");
	t = json_string_value(tok);
	if (!t || !token_printable(t)) {
		rc = img_fail(e, -EPROTO, "registry %s: the token server's answer has no usable "
			      "token", r->host);
		goto out;
	}
	if (json_is_integer(json_object_get(root, "expires_in")))
		expires_in = json_integer_value(json_object_get(root, "expires_in"));
	if (expires_in < TOKEN_MIN_LIFETIME)
		expires_in = TOKEN_MIN_LIFETIME;
	if (expires_in > 86400)
		expires_in = 86400;
	*ret_token = strdup(t);
	if (!*ret_token) {
		rc = -ENOMEM;
		goto out;
	}
	/* a few seconds early: the clocks and the request's own time */
	*ret_expires = now_mono() + (time_t)expires_in - 5;
	rc = 0;
out:
	if (q.resp.data)
		explicit_bzero(q.resp.data, q.resp.len);
	json_decref(root);
	registry_req_clear(&q);
	return rc;
}

static int bearer_for(struct registry *r, const char *scope, bool fresh, char **ret,
		      struct img_err *e)
{
	struct registry_token *t = token_lookup(r, scope);
	_cleanup_free_ char *scope_copy = NULL;
	char *token = NULL;
	time_t expires = 0;
	int rc;

	if (t && (fresh || t->expires <= now_mono())) {
		token_drop(t);
		t = NULL;
	}
	if (!t) {
		rc = fetch_token(r, scope, &token, &expires, e);
		if (rc < 0)
			return rc;
		scope_copy = strdup(scope);
		if (!scope_copy) {
			registry_secret_free(token);
			return -ENOMEM;
		}
		token_store(r, TAKE_PTR(scope_copy), token, expires);
	} else {
		token = t->token;
	}
	if (asprintf(ret, "Bearer %s", token) < 0) {
		*ret = NULL;
		return -ENOMEM;
	}
	return 0;
}

int registry_auth_header(struct registry *r, const char *actions, char **ret, struct img_err *e)
{
	_cleanup_free_ char *scope = NULL;

	*ret = NULL;
	if (r->scheme == AUTH_BASIC && r->username)
		return basic_header(r, ret);
	if (r->scheme != AUTH_BEARER || !r->realm)
		return 0;
	scope = default_scope(r, actions);
	if (!scope)
		return -ENOMEM;
	return bearer_for(r, scope, false, ret, e);
}

int registry_auth_answer(struct registry *r, const char *www_authenticate, const char *actions,
			 char **ret_header, struct img_err *e)
{
	struct registry_challenge ch = { 0 };
	_cleanup_free_ char *scope = NULL;
	int rc;

	*ret_header = NULL;
	if (!www_authenticate || registry_challenge_parse(www_authenticate, &ch) < 0 ||
	    ch.scheme == AUTH_NONE) {
		registry_challenge_clear(&ch);
		return img_fail(e, -EACCES, "registry %s asks for authentication without a "
				"challenge we support (Basic or Bearer)", r->host);
	}
	if (ch.scheme == AUTH_BASIC) {
		bool sent = r->scheme == AUTH_BASIC && r->username;

		registry_challenge_clear(&ch);
		if (!r->username)
			return img_fail(e, -EACCES, "registry %s requires authentication: give a user "
					"name and password (or a credentials file)", r->host);
		if (sent)
			return img_fail(e, -EACCES, "registry %s refused the credentials", r->host);
		r->scheme = AUTH_BASIC;
		return basic_header(r, ret_header);
	}
	r->scheme = AUTH_BEARER;
	free(r->realm);
	free(r->service);
	r->realm = TAKE_PTR(ch.realm);
	r->service = TAKE_PTR(ch.service);
	/* the challenge's scope is what this request needs (it may name several, e.g. a
	 * mount source); ours when it names none */
	scope = ch.scope ? TAKE_PTR(ch.scope) : default_scope(r, actions);
	registry_challenge_clear(&ch);
	if (!scope)
		return -ENOMEM;
	rc = bearer_for(r, scope, true, ret_header, e);
	return rc;
}

/* ---- credentials file (docker config.json / containers auth.json) ---- */

#define AUTH_FILE_MAX (1u << 20)

/* "https://index.docker.io/v1/" -> "index.docker.io"; "quay.io" stays. */
static void auth_key_host(const char *key, char *out, size_t size)
{
	const char *p = key, *end;

	if (!strncasecmp(p, "https://", 8))
		p += 8;
	else if (!strncasecmp(p, "http://", 7))
		p += 7;
	end = strchr(p, '/');
	snprintf(out, size, "%.*s", (int)(end ? end - p : (ptrdiff_t)strlen(p)), p);
}

static bool is_docker_hub(const char *h)
{
	return !strcasecmp(h, "docker.io") || !strcasecmp(h, "index.docker.io") ||
	       !strcasecmp(h, "registry-1.docker.io");
}

static bool auth_key_matches(const char *key, const char *registry)
{
	char host[512];

	auth_key_host(key, host, sizeof(host));
	if (!strcasecmp(host, registry))
		return true;
	return is_docker_hub(host) && is_docker_hub(registry);
}

/* "user:pass" base64 -> user, pass (split at the first ':'; trailing NULs trimmed). */
static int decode_auth(const char *b64, char **user, char **pass)
{
	size_t n = strlen(b64), pad = 0;
	_cleanup_free_ unsigned char *buf = NULL;
	char *colon;
	int len, rc = -EINVAL;

	if (!n || n % 4)
		return -EINVAL;
	buf = malloc(n / 4 * 3 + 1);
	if (!buf)
		return -ENOMEM;
	len = EVP_DecodeBlock(buf, (const unsigned char *)b64, (int)n);
	if (len < 0)
		goto out;
	while (pad < 2 && b64[n - 1 - pad] == '=')
		pad++;
	len -= (int)pad;
	buf[len] = '\0';
	while (len > 0 && buf[len - 1] == '\0')
		len--;
	if ((size_t)len != strlen((char *)buf))
		goto out; /* a NUL inside */
	colon = strchr((char *)buf, ':');
	if (!colon || colon == (char *)buf)
		goto out; /* an empty user is an error, as in docker */
	*colon = '\0';
	*user = strdup((char *)buf);
	*pass = strdup(colon + 1);
	if (!*user || !*pass) {
		registry_secret_free(*user);
		registry_secret_free(*pass);
		*user = *pass = NULL;
		rc = -ENOMEM;
		goto out;
	}
	rc = 0;
out:
	explicit_bzero(buf, n / 4 * 3 + 1);
	return rc;
}

int registry_auth_from_file(const char *path, const char *registry, char **user, char **pass,
			    struct img_err *e)
{
	_cleanup_close_ int fd = -EBADF;
	_cleanup_free_ char *buf = NULL;
	json_t *root = NULL, *auths, *entry;
	const char *key;
	struct stat st;
	ssize_t got;
	int rc;

	*user = *pass = NULL;
	/* not through a symlink: the owner and mode checked must be the file's own */
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY | O_NONBLOCK);
	if (fd < 0 && errno == ELOOP)
		return img_fail(e, -ELOOP, "credentials file %s is a symbolic link; name the file "
				"itself", path);
	if (fd < 0)
		return img_fail(e, -errno, "credentials file %s: %s", path, strerror(errno));
	if (fstat(fd, &st) < 0)
		return img_fail(e, -errno, "credentials file %s: %s", path, strerror(errno));
	if (!S_ISREG(st.st_mode))
		return img_fail(e, -EINVAL, "credentials file %s is not a regular file", path);
	if (st.st_uid != 0 || (st.st_mode & 077))
		return img_fail(e, -EPERM,
				"credentials file %s must be owned by root and not accessible to "
				"group or others (it is owned by uid %u, mode %04o)",
				path, (unsigned)st.st_uid, (unsigned)(st.st_mode & 07777));
	if (st.st_size > AUTH_FILE_MAX)
		return img_fail(e, -EFBIG, "credentials file %s is larger than %u bytes", path,
				AUTH_FILE_MAX);
	buf = malloc((size_t)st.st_size + 1);
	if (!buf)
		return -ENOMEM;
	do
		got = pread(fd, buf, (size_t)st.st_size, 0);
	while (got < 0 && errno == EINTR);
	if (got < 0)
		return img_fail(e, -errno, "credentials file %s: %s", path, strerror(errno));

	root = json_loadb(buf, (size_t)got, 0, NULL);
	explicit_bzero(buf, (size_t)st.st_size);
	auths = json_object_get(root, "auths");
	if (!json_is_object(auths)) {
		rc = img_fail(e, -EINVAL, "credentials file %s is not in the docker/podman format "
			      "({\"auths\": {...}})", path);
		goto out;
	}
	rc = -ENOENT;
	json_object_foreach(auths, key, entry)
	{
		const char *a, *u, *p;

		if (!auth_key_matches(key, registry) || !json_is_object(entry))
			continue;
		a = json_string_value(json_object_get(entry, "auth"));
		u = json_string_value(json_object_get(entry, "username"));
		p = json_string_value(json_object_get(entry, "password"));
		if (a && *a) {
			rc = decode_auth(a, user, pass);
			if (rc == -EINVAL)
				rc = img_fail(e, rc, "credentials file %s: the entry for %s has an "
					      "invalid \"auth\" value", path, registry);
		} else if (u && *u) {
			*user = strdup(u);
			*pass = strdup(p ? p : "");
			rc = *user && *pass ? 0 : -ENOMEM;
		} else {
			rc = img_fail(e, -EINVAL, "credentials file %s: the entry for %s has no "
				      "credentials", path, registry);
		}
		break;
	}
	if (rc == -ENOENT)
		img_fail(e, rc, "credentials file %s has no entry for %s", path, registry);
out:
	if (rc < 0) {
		registry_secret_free(*user);
		registry_secret_free(*pass);
		*user = *pass = NULL;
	}
	/* jansson keeps its own copies of the strings: wipe them before they are freed */
	if (json_is_object(auths))
		json_object_foreach(auths, key, entry)
		{
			json_t *a = json_object_get(entry, "auth");
			json_t *p = json_object_get(entry, "password");

			if (json_is_string(a))
				explicit_bzero((char *)json_string_value(a), json_string_length(a));
			if (json_is_string(p))
				explicit_bzero((char *)json_string_value(p), json_string_length(p));
		}
	json_decref(root);
	return rc;
}
