/* The Kubernetes client's configuration (src/k8s/kube-config.c, kube-http.c): kubeconfig
 * files with certificate files (absolute and relative to the kubeconfig's directory) or
 * inline base64 data, tokens and token files, the errors for what is missing or unsupported,
 * in-cluster settings (IPv6 host in brackets), and a rotated token file being re-read.
 * Files live in a mkdtemp directory removed at the end. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "kube-internal.h"
#include "test-util.h"

static char dir[] = "/tmp/test-kube-config.XXXXXX";

static void write_file(const char *rel, const char *text)
{
	char path[512];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, rel);
	f = fopen(path, "w");
	CHECK(f != NULL);
	if (!f)
		return;
	fputs(text, f);
	fclose(f);
}

/* Parses text as a kubeconfig at dir/sub/config; expects r and, on failure, msg_part in the
 * message. */
static int parse(const char *text, struct kube_config *c, char **err)
{
	char path[512];

	write_file("sub/config", text);
	snprintf(path, sizeof(path), "%s/sub/config", dir);
	memset(c, 0, sizeof(*c));
	*err = NULL;
	return kube_config_from_file(path, c, err);
}

#define EXPECT_ERR(text, want_r, msg_part)                                               \
	do {                                                                             \
		struct kube_config _c;                                                   \
		char *_e;                                                                \
		int _r = parse(text, &_c, &_e);                                          \
		CHECK_EQ_INT(_r, want_r);                                                \
		CHECK(_e && strstr(_e, msg_part));                                       \
		if (!_e || !strstr(_e, msg_part))                                        \
			fprintf(stderr, "  message: %s\n", _e ? _e : "(none)");          \
		CHECK(_c.server == NULL);                                                \
		free(_e);                                                                \
	} while (0)

#define HEAD                                                                   \
	"apiVersion: v1\nkind: Config\ncurrent-context: c1\n"                  \
	"contexts:\n- name: c1\n  context: {cluster: k1, user: u1}\n"

static void test_files(void)
{
	struct kube_config c;
	char *err = NULL, want[600];
	int r;

	/* relative paths are relative to the kubeconfig's directory, not to ours */
	r = parse(HEAD "clusters:\n- name: k1\n  cluster:\n    server: https://127.0.0.1:6443/\n"
		       "    certificate-authority: ../pki/ca.crt\n"
		       "users:\n- name: u1\n  user:\n    client-certificate: certs/u.crt\n"
		       "    client-key: CERTS_ABS\n",
		  &c, &err);
	/* CERTS_ABS is not a file: the error names the resolved path */
	CHECK_EQ_INT(r, -ENOENT);
	snprintf(want, sizeof(want), "client-key %s/sub/CERTS_ABS", dir);
	CHECK(err && strstr(err, want));
	free(err);

	snprintf(want, sizeof(want),
		 HEAD "clusters:\n- name: k1\n  cluster:\n    server: https://127.0.0.1:6443/\n"
		      "    certificate-authority: ../pki/ca.crt\n"
		      "users:\n- name: u1\n  user:\n    client-certificate: certs/u.crt\n"
		      "    client-key: %s/sub/certs/u.key\n",
		 dir);
	r = parse(want, &c, &err);
	CHECK_EQ_INT(r, 0);
	CHECK_STREQ(c.server, "https://127.0.0.1:6443"); /* trailing '/' dropped */
	snprintf(want, sizeof(want), "%s/sub/../pki/ca.crt", dir);
	CHECK_STREQ(c.ca_file, want);
	snprintf(want, sizeof(want), "%s/sub/certs/u.crt", dir);
	CHECK_STREQ(c.cert_file, want);
	snprintf(want, sizeof(want), "%s/sub/certs/u.key", dir);
	CHECK_STREQ(c.key_file, want);
	CHECK(!c.ca_data && !c.cert_data && !c.key_data && !c.token && !c.token_file);
	CHECK(!c.insecure);
	CHECK(c.origin && strstr(c.origin, "(context c1)"));
	kube_config_clear(&c);
}

static void test_data(void)
{
	struct kube_config c;
	char *err = NULL;
	int r;

	/* "-----CA-----\n", "CERT", "KEY!" in base64; data wins over a file */
	r = parse(HEAD "clusters:\n- name: k1\n  cluster:\n    server: https://[::1]:6443\n"
		       "    certificate-authority-data: LS0tLS1DQS0tLS0tCg==\n"
		       "    certificate-authority: /nonexistent/ca.crt\n"
		       "users:\n- name: u1\n  user:\n    client-certificate-data: Q0VSVA==\n"
		       "    client-key-data: |\n      S0VZ\n      IQ==\n",
		  &c, &err);
	CHECK_EQ_INT(r, 0);
	CHECK(err == NULL);
	CHECK_STREQ(c.server, "https://[::1]:6443");
	CHECK_EQ_INT(c.ca_len, 13);
	CHECK(c.ca_data && memcmp(c.ca_data, "-----CA-----\n", 13) == 0);
	CHECK(!c.ca_file);
	CHECK_EQ_INT(c.cert_len, 4);
	CHECK(c.cert_data && memcmp(c.cert_data, "CERT", 4) == 0);
	CHECK_EQ_INT(c.key_len, 4);
	CHECK(c.key_data && memcmp(c.key_data, "KEY!", 4) == 0);
	kube_config_clear(&c);

	EXPECT_ERR(HEAD "clusters:\n- name: k1\n  cluster:\n    server: https://h\n"
			"    certificate-authority-data: not*base64\nusers:\n- name: u1\n",
		   -EINVAL, "certificate-authority-data is not valid base64");
}

static void test_tokens(void)
{
	struct kube_config c;
	char *err = NULL, want[600];
	int r;

	r = parse(HEAD "clusters:\n- name: k1\n  cluster:\n    server: https://h:1\n"
		       "    insecure-skip-tls-verify: true\n"
		       "users:\n- name: u1\n  user:\n    tokenFile: tok\n",
		  &c, &err);
	CHECK_EQ_INT(r, 0);
	CHECK(c.insecure);
	snprintf(want, sizeof(want), "%s/sub/tok", dir);
	CHECK_STREQ(c.token_file, want);
	kube_config_clear(&c);

	r = parse(HEAD "clusters:\n- name: k1\n  cluster:\n    server: https://h:1\n"
		       "users:\n- name: u1\n  user:\n    token: abc.def\n",
		  &c, &err);
	CHECK_EQ_INT(r, 0);
	CHECK_STREQ(c.token, "abc.def");
	kube_config_clear(&c);
}

static void test_errors(void)
{
	static const char *cl = "clusters:\n- name: k1\n  cluster:\n    server: https://h:1\n";

	EXPECT_ERR("apiVersion: v1\nkind: Config\nclusters: []\n", -EINVAL, "no current-context");
	EXPECT_ERR("current-context: nope\ncontexts:\n- name: c1\n  context: {cluster: k1}\n",
		   -EINVAL, "current-context \"nope\" is not in contexts");
	EXPECT_ERR(HEAD "clusters: []\n", -EINVAL, "cluster \"k1\" is not in clusters");
	{
		char text[1024];

		snprintf(text, sizeof(text), HEAD "%susers:\n- name: other\n  user: {token: x}\n",
			 cl);
		EXPECT_ERR(text, -EINVAL, "user \"u1\" is not in users");
		snprintf(text, sizeof(text),
			 HEAD "%susers:\n- name: u1\n  user:\n    exec:\n      command: aws\n", cl);
		EXPECT_ERR(text, -EOPNOTSUPP, "credential plugin");
		snprintf(text, sizeof(text),
			 HEAD "%susers:\n- name: u1\n  user:\n    client-certificate-data: Q0VSVA==\n",
			 cl);
		EXPECT_ERR(text, -EINVAL, "client certificate without a key");
	}
	EXPECT_ERR(HEAD "clusters:\n- name: k1\n  cluster:\n    server: ftp://h\n", -EINVAL,
		   "has no https:// server");
	EXPECT_ERR(HEAD "clusters:\n- name: k1\n  cluster: {}\n", -EINVAL, "has no https:// server");
	EXPECT_ERR("current-context: [unclosed\n", -EINVAL, "line ");
	EXPECT_ERR("- a\n- b\n", -EINVAL, "not a mapping");
	/* an alias bomb: 9 levels of 9 references would be 9^9 nodes */
	EXPECT_ERR("a: &a [x,x,x,x,x,x,x,x,x]\nb: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]\n"
		   "c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]\nd: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]\n"
		   "e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]\nf: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]\n"
		   "g: &g [*f,*f,*f,*f,*f,*f,*f,*f,*f]\nh: &h [*g,*g,*g,*g,*g,*g,*g,*g,*g]\n"
		   "i: &i [*h,*h,*h,*h,*h,*h,*h,*h,*h]\n",
		   -EINVAL, "too many nodes");

	/* kube_open: a missing file is named */
	{
		struct kube_opts o = { .kubeconfig = "/nonexistent/kubeconfig" };
		struct kube *k = NULL;
		char *err = NULL;

		CHECK_EQ_INT(kube_open(&o, &k, &err), -ENOENT);
		CHECK(k == NULL);
		CHECK(err && strstr(err, "/nonexistent/kubeconfig"));
		free(err);
	}
}

static void test_in_cluster(void)
{
	struct kube_config c = { 0 };
	struct kube *k = NULL;
	char sa[512], p1[600], p2[600], *err = NULL, *tok = NULL;
	int r;

	snprintf(sa, sizeof(sa), "%s/sa", dir);
	r = kube_config_in_cluster(sa, "10.0.0.1", "443", &c, &err);
	CHECK_EQ_INT(r, -ENOENT); /* no token file yet */
	CHECK(err && strstr(err, "/sa/token"));
	free(err);
	err = NULL;
	CHECK_EQ_INT(kube_config_in_cluster(sa, NULL, "443", &c, &err), -ENOENT);
	CHECK(err && strstr(err, "KUBERNETES_SERVICE_HOST"));
	free(err);
	err = NULL;

	CHECK_EQ_INT(mkdir(sa, 0700), 0);
	write_file("sa/token", "first-token\n");
	write_file("sa/ca.crt", "ca");
	r = kube_config_in_cluster(sa, "fd00::1", "6443", &c, &err);
	CHECK_EQ_INT(r, 0);
	CHECK_STREQ(c.server, "https://[fd00::1]:6443");
	snprintf(p1, sizeof(p1), "%s/ca.crt", sa);
	CHECK_STREQ(c.ca_file, p1);
	kube_config_clear(&c);

	r = kube_config_in_cluster(sa, "10.0.0.1", "443", &c, &err);
	CHECK_EQ_INT(r, 0);
	CHECK_STREQ(c.server, "https://10.0.0.1:443");
	r = kube_open_config(&c, NULL, &k, &err);
	CHECK_EQ_INT(r, 0);
	kube_config_clear(&c);
	if (r < 0)
		return;
	CHECK_STREQ(kube_server(k), "https://10.0.0.1:443");
	CHECK_EQ_INT(kube_bearer_token(k, &tok, &err), 0);
	CHECK_STREQ(tok, "first-token");
	free(tok);

	/* kubelet rotates the token by swapping in a new file: the next request reads it */
	write_file("sa/token.new", "second-token");
	snprintf(p1, sizeof(p1), "%s/token.new", sa);
	snprintf(p2, sizeof(p2), "%s/token", sa);
	CHECK_EQ_INT(rename(p1, p2), 0);
	CHECK_EQ_INT(kube_bearer_token(k, &tok, &err), 0);
	CHECK_STREQ(tok, "second-token");
	free(tok);

	/* and a token file that went away is an error naming it */
	CHECK_EQ_INT(unlink(p2), 0);
	CHECK_EQ_INT(kube_bearer_token(k, &tok, &err), -ENOENT);
	CHECK(err && strstr(err, "/sa/token"));
	free(err);
	kube_close(k);
}

static void test_paths(void)
{
	static const struct kube_res crd = { "bpfman.io", "v1alpha1", "bpfapplications",
					     "BpfApplication", true };
	char *p = NULL, *err = NULL;

	CHECK_EQ_INT(kube_res_path(&KUBE_POD, "kube-system", "a", false, &p, &err), 0);
	CHECK_STREQ(p, "/api/v1/namespaces/kube-system/pods/a");
	free(p);
	CHECK_EQ_INT(kube_res_path(&crd, "ns", "x", true, &p, &err), 0);
	CHECK_STREQ(p, "/apis/bpfman.io/v1alpha1/namespaces/ns/bpfapplications/x/status");
	free(p);
	CHECK_EQ_INT(kube_res_path(&KUBE_NODE, NULL, NULL, false, &p, &err), 0);
	CHECK_STREQ(p, "/api/v1/nodes");
	free(p);
	CHECK_EQ_INT(kube_res_path(&KUBE_NODE, NULL, "a b/c", false, &p, &err), 0);
	CHECK_STREQ(p, "/api/v1/nodes/a%20b%2Fc");
	free(p);
	CHECK_EQ_INT(kube_res_path(&KUBE_NODE, "ns", "n", false, &p, &err), -EINVAL);
	CHECK(err && strstr(err, "cluster-scoped"));
	free(err);
	err = NULL;
	CHECK_EQ_INT(kube_list_path(&KUBE_POD, NULL, &(struct kube_sel){ "app=x,tier in (a,b)",
									 "spec.nodeName=n1" },
				    &p, &err),
		     0);
	CHECK_STREQ(p, "/api/v1/pods?labelSelector=app%3Dx%2Ctier%20in%20%28a%2Cb%29"
		       "&fieldSelector=spec.nodeName%3Dn1");
	free(p);
}

int main(void)
{
	char cmd[600];

	if (!mkdtemp(dir)) {
		perror("mkdtemp");
		return 1;
	}
	snprintf(cmd, sizeof(cmd), "%s/sub", dir);
	mkdir(cmd, 0700);
	snprintf(cmd, sizeof(cmd), "%s/sub/certs", dir);
	mkdir(cmd, 0700);
	snprintf(cmd, sizeof(cmd), "%s/pki", dir);
	mkdir(cmd, 0700);
	write_file("pki/ca.crt", "ca");
	write_file("sub/certs/u.crt", "crt");
	write_file("sub/certs/u.key", "key");
	write_file("sub/tok", "t");
	/* relative paths must not depend on the working directory */
	if (chdir("/") < 0)
		return 1;

	test_files();
	test_data();
	test_tokens();
	test_errors();
	test_in_cluster();
	test_paths();

	/* dir is the mkdtemp result: never empty */
	snprintf(cmd, sizeof(cmd), "rm -rf -- '%s'", dir);
	if (system(cmd) != 0)
		fprintf(stderr, "could not remove %s\n", dir);
	return TEST_RESULT();
}
