/* Where the API server is and how to authenticate: a kubeconfig file (its current-context's
 * cluster and user) or the pod's service account (in-cluster). Certificates and keys given
 * inline (*-data, base64) are kept in memory and handed to libcurl as blobs, never written to
 * a file; relative file paths are relative to the kubeconfig's directory, as kubectl does. */
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <openssl/evp.h>
#include <yaml.h>

#include "cleanup.h"
#include "kube-internal.h"

/* A kubeconfig is small; these bound what hostile input can make us allocate (an alias
 * repeated inside itself expands exponentially). */
#define MAX_KUBECONFIG (4u << 20)
#define MAX_NODES 100000
#define MAX_DEPTH 64

int kube_fail(char **ret_err, int r, const char *fmt, ...)
{
	va_list ap;
	char *m = NULL;

	if (ret_err) {
		va_start(ap, fmt);
		if (vasprintf(&m, fmt, ap) < 0)
			m = NULL;
		va_end(ap);
		free(*ret_err);
		*ret_err = m;
	}
	return r;
}

char *kube_strf(const char *fmt, ...)
{
	va_list ap;
	char *s;
	int n;

	va_start(ap, fmt);
	n = vasprintf(&s, fmt, ap);
	va_end(ap);
	return n < 0 ? NULL : s;
}

void kube_config_clear(struct kube_config *c)
{
	free(c->server);
	free(c->ca_file);
	free(c->ca_data);
	free(c->cert_file);
	free(c->key_file);
	if (c->key_data) /* a private key: do not leave it in freed memory */
		OPENSSL_cleanse(c->key_data, c->key_len);
	free(c->cert_data);
	free(c->key_data);
	if (c->token)
		OPENSSL_cleanse(c->token, strlen(c->token));
	free(c->token);
	free(c->token_file);
	free(c->origin);
	memset(c, 0, sizeof(*c));
}

int kube_base64_decode(const char *in, unsigned char **ret, size_t *ret_len)
{
	_cleanup_free_ char *clean = NULL;
	unsigned char *out;
	size_t n = 0, pad = 0;
	int len;

	clean = malloc(strlen(in) + 1);
	if (!clean)
		return -ENOMEM;
	for (const char *p = in; *p; p++) {
		if (*p == ' ' || *p == '\n' || *p == '\r' || *p == '\t')
			continue;
		if (!((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') ||
		      (*p >= '0' && *p <= '9') || *p == '+' || *p == '/' || *p == '='))
			return -EINVAL;
		if (pad && *p != '=') /* data after padding */
			return -EINVAL;
		if (*p == '=')
			pad++;
		clean[n++] = *p;
	}
	clean[n] = 0;
	if (n == 0 || n % 4 != 0 || pad > 2 || n > INT_MAX)
		return -EINVAL;
	out = malloc(n / 4 * 3 + 1);
	if (!out)
		return -ENOMEM;
	/* EVP_DecodeBlock counts the padding as data bytes: take them off */
	len = EVP_DecodeBlock(out, (const unsigned char *)clean, (int)n);
	if (len < 0 || (size_t)len < pad) {
		free(out);
		return -EINVAL;
	}
	*ret = out;
	*ret_len = (size_t)len - pad;
	return 0;
}

/* libyaml's document tree -> jansson (every scalar a string: we only read strings and
 * "true"/"false"). */
static json_t *yaml_to_json(yaml_document_t *doc, yaml_node_t *n, int depth, unsigned *count)
{
	json_t *j;

	if (!n || depth > MAX_DEPTH || ++*count > MAX_NODES)
		return NULL;
	switch (n->type) {
	case YAML_SCALAR_NODE:
		return json_stringn((const char *)n->data.scalar.value, n->data.scalar.length);
	case YAML_SEQUENCE_NODE:
		j = json_array();
		for (yaml_node_item_t *i = n->data.sequence.items.start;
		     j && i < n->data.sequence.items.top; i++) {
			json_t *v = yaml_to_json(doc, yaml_document_get_node(doc, *i), depth + 1,
						 count);
			if (!v || json_array_append_new(j, v) < 0) {
				json_decref(j);
				return NULL;
			}
		}
		return j;
	case YAML_MAPPING_NODE:
		j = json_object();
		for (yaml_node_pair_t *p = n->data.mapping.pairs.start;
		     j && p < n->data.mapping.pairs.top; p++) {
			yaml_node_t *kn = yaml_document_get_node(doc, p->key);
			json_t *v;

			if (!kn || kn->type != YAML_SCALAR_NODE) {
				json_decref(j);
				return NULL;
			}
			v = yaml_to_json(doc, yaml_document_get_node(doc, p->value), depth + 1,
					 count);
			if (!v || json_object_setn_new(j, (const char *)kn->data.scalar.value,
						       kn->data.scalar.length, v) < 0) {
				json_decref(j);
				return NULL;
			}
		}
		return j;
	default:
		return NULL;
	}
}

static int parse_yaml(const char *text, size_t len, json_t **ret, char **err_detail)
{
	yaml_parser_t parser;
	yaml_document_t doc;
	yaml_node_t *root;
	unsigned count = 0;
	json_t *j;

	if (!yaml_parser_initialize(&parser))
		return -ENOMEM;
	yaml_parser_set_input_string(&parser, (const unsigned char *)text, len);
	if (!yaml_parser_load(&parser, &doc)) {
		*err_detail = kube_strf("line %zu: %s", parser.problem_mark.line + 1,
					 parser.problem ? parser.problem : "malformed YAML");
		yaml_parser_delete(&parser);
		return -EINVAL;
	}
	root = yaml_document_get_root_node(&doc);
	j = root ? yaml_to_json(&doc, root, 0, &count) : json_object();
	yaml_document_delete(&doc);
	yaml_parser_delete(&parser);
	if (!j) {
		*err_detail = strdup(count > MAX_NODES ? "too many nodes" : "unexpected structure");
		return -EINVAL;
	}
	*ret = j;
	return 0;
}

/* The entry of a named list ("clusters", "users", "contexts") whose name is name, and its
 * inner object (the "cluster", "user", "context" key). */
static json_t *named_entry(json_t *root, const char *list, const char *inner, const char *name)
{
	json_t *a = json_object_get(root, list), *e;
	size_t i;

	json_array_foreach(a, i, e) {
		if (json_is_string(json_object_get(e, "name")) &&
		    strcmp(json_string_value(json_object_get(e, "name")), name) == 0) {
			json_t *o = json_object_get(e, inner);
			return json_is_object(o) ? o : json_object();
		}
	}
	return NULL;
}

static const char *str_field(json_t *o, const char *key)
{
	json_t *v = json_object_get(o, key);
	return json_is_string(v) && json_string_length(v) > 0 ? json_string_value(v) : NULL;
}

static int abs_path(const char *dir, const char *p, char **ret)
{
	*ret = p[0] == '/' || !dir ? strdup(p) : kube_strf("%s/%s", dir, p);
	return *ret ? 0 : -ENOMEM;
}

/* One certificate / key / CA: a file (path resolved) or base64 data (decoded); data wins, as
 * in kubectl. */
static int file_or_data(json_t *o, const char *file_key, const char *data_key, const char *dir,
			const char *origin, char **ret_file, unsigned char **ret_data,
			size_t *ret_len, char **ret_err)
{
	const char *data = str_field(o, data_key), *file = str_field(o, file_key);
	int r;

	if (data) {
		r = kube_base64_decode(data, ret_data, ret_len);
		if (r < 0)
			return kube_fail(ret_err, r, "%s: %s is not valid base64", origin,
					 data_key);
		return 0;
	}
	if (file) {
		r = abs_path(dir, file, ret_file);
		if (r < 0)
			return r;
		if (access(*ret_file, R_OK) < 0)
			return kube_fail(ret_err, -errno, "%s: %s %s: %s", origin, file_key,
					 *ret_file, strerror(errno));
	}
	return 0;
}

int kube_config_from_text(const char *text, size_t len, const char *dir, const char *name,
			  struct kube_config *ret, char **ret_err)
{
	_cleanup_free_ char *detail = NULL;
	struct kube_config c = { 0 };
	json_t *root = NULL, *ctx, *cluster, *user, *v;
	const char *cur, *cluster_name, *user_name, *s;
	int r;

	r = parse_yaml(text, len, &root, &detail);
	if (r < 0)
		return kube_fail(ret_err, r, "kubeconfig %s: %s", name, detail ? detail : "");
	if (!json_is_object(root)) {
		r = kube_fail(ret_err, -EINVAL, "kubeconfig %s: not a mapping", name);
		goto out;
	}
	cur = str_field(root, "current-context");
	if (!cur) {
		r = kube_fail(ret_err, -EINVAL, "kubeconfig %s: no current-context", name);
		goto out;
	}
	ctx = named_entry(root, "contexts", "context", cur);
	if (!ctx) {
		r = kube_fail(ret_err, -EINVAL, "kubeconfig %s: current-context \"%s\" is not in contexts",
			      name, cur);
		goto out;
	}
	c.origin = kube_strf("kubeconfig %s (context %s)", name, cur);
	if (!c.origin) {
		r = -ENOMEM;
		goto out;
	}
	cluster_name = str_field(ctx, "cluster");
	user_name = str_field(ctx, "user");
	if (!cluster_name) {
		r = kube_fail(ret_err, -EINVAL, "%s: the context names no cluster", c.origin);
		goto out;
	}
	cluster = named_entry(root, "clusters", "cluster", cluster_name);
	if (!cluster) {
		r = kube_fail(ret_err, -EINVAL, "%s: cluster \"%s\" is not in clusters", c.origin,
			      cluster_name);
		goto out;
	}
	s = str_field(cluster, "server");
	if (!s || (strncmp(s, "https://", 8) != 0 && strncmp(s, "http://", 7) != 0)) {
		r = kube_fail(ret_err, -EINVAL, "%s: cluster \"%s\" has no https:// server",
			      c.origin, cluster_name);
		goto out;
	}
	c.server = strdup(s);
	if (!c.server) {
		r = -ENOMEM;
		goto out;
	}
	for (size_t n = strlen(c.server); n > 0 && c.server[n - 1] == '/'; n--)
		c.server[n - 1] = 0;
	v = json_object_get(cluster, "insecure-skip-tls-verify");
	c.insecure = json_is_string(v) && strcmp(json_string_value(v), "true") == 0;
	r = file_or_data(cluster, "certificate-authority", "certificate-authority-data", dir,
			 c.origin, &c.ca_file, &c.ca_data, &c.ca_len, ret_err);
	if (r < 0)
		goto out;

	/* a context without a user is anonymous */
	if (user_name) {
		user = named_entry(root, "users", "user", user_name);
		if (!user) {
			r = kube_fail(ret_err, -EINVAL, "%s: user \"%s\" is not in users", c.origin,
				      user_name);
			goto out;
		}
		if (json_object_get(user, "exec") || json_object_get(user, "auth-provider")) {
			r = kube_fail(ret_err, -EOPNOTSUPP,
				      "%s: user \"%s\" uses a credential plugin (exec/auth-provider), which is not supported; use a token or client certificate",
				      c.origin, user_name);
			goto out;
		}
		r = file_or_data(user, "client-certificate", "client-certificate-data", dir,
				 c.origin, &c.cert_file, &c.cert_data, &c.cert_len, ret_err);
		if (r < 0)
			goto out;
		r = file_or_data(user, "client-key", "client-key-data", dir, c.origin, &c.key_file,
				 &c.key_data, &c.key_len, ret_err);
		if (r < 0)
			goto out;
		if ((c.cert_file || c.cert_data) != (c.key_file || c.key_data)) {
			r = kube_fail(ret_err, -EINVAL,
				      "%s: user \"%s\" has a client certificate without a key or a key without a certificate",
				      c.origin, user_name);
			goto out;
		}
		s = str_field(user, "token");
		if (s && !(c.token = strdup(s))) {
			r = -ENOMEM;
			goto out;
		}
		s = str_field(user, "tokenFile");
		if (s && !c.token) {
			r = abs_path(dir, s, &c.token_file);
			if (r < 0)
				goto out;
		}
	}
	*ret = c;
	memset(&c, 0, sizeof(c));
	r = 0;
out:
	kube_config_clear(&c);
	json_decref(root);
	return r;
}

int kube_config_from_file(const char *path, struct kube_config *ret, char **ret_err)
{
	_cleanup_fclose_ FILE *f = NULL;
	_cleanup_free_ char *text = NULL, *dir = NULL;
	struct stat st;
	size_t n;
	char *slash;

	f = fopen(path, "re");
	if (!f)
		return kube_fail(ret_err, -errno, "kubeconfig %s: %s", path, strerror(errno));
	if (fstat(fileno(f), &st) < 0)
		return kube_fail(ret_err, -errno, "kubeconfig %s: %s", path, strerror(errno));
	if (!S_ISREG(st.st_mode) || st.st_size > MAX_KUBECONFIG)
		return kube_fail(ret_err, -EINVAL, "kubeconfig %s: not a regular file of at most %u bytes",
				 path, MAX_KUBECONFIG);
	text = malloc((size_t)st.st_size + 1);
	if (!text)
		return -ENOMEM;
	n = fread(text, 1, (size_t)st.st_size, f);
	if (ferror(f))
		return kube_fail(ret_err, -EIO, "kubeconfig %s: read error", path);
	text[n] = 0;

	/* relative paths in it are relative to its directory (not to our working directory) */
	dir = realpath(path, NULL);
	if (!dir)
		return kube_fail(ret_err, -errno, "kubeconfig %s: %s", path, strerror(errno));
	slash = strrchr(dir, '/');
	if (slash == dir)
		slash[1] = 0;
	else if (slash)
		*slash = 0;
	return kube_config_from_text(text, n, dir, path, ret, ret_err);
}

int kube_config_in_cluster(const char *sa_dir, const char *host, const char *port,
			   struct kube_config *ret, char **ret_err)
{
	struct kube_config c = { 0 };
	bool v6;
	int r;

	if (!host || !*host || !port || !*port)
		return kube_fail(ret_err, -ENOENT,
				 "in-cluster: KUBERNETES_SERVICE_HOST and KUBERNETES_SERVICE_PORT are not set");
	v6 = strchr(host, ':') && host[0] != '[';
	c.server = kube_strf(v6 ? "https://[%s]:%s" : "https://%s:%s", host, port);
	c.token_file = kube_strf("%s/token", sa_dir);
	c.ca_file = kube_strf("%s/ca.crt", sa_dir);
	c.origin = kube_strf("in-cluster (%s)", sa_dir);
	if (!c.server || !c.token_file || !c.ca_file || !c.origin) {
		kube_config_clear(&c);
		return -ENOMEM;
	}
	if (access(c.token_file, R_OK) < 0) {
		r = kube_fail(ret_err, -errno, "in-cluster: %s: %s", c.token_file, strerror(errno));
		kube_config_clear(&c);
		return r;
	}
	if (access(c.ca_file, R_OK) < 0) {
		r = kube_fail(ret_err, -errno, "in-cluster: %s: %s", c.ca_file, strerror(errno));
		kube_config_clear(&c);
		return r;
	}
	*ret = c;
	return 0;
}
