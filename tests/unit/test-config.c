/* Unit tests for the bpfman.toml parser (src/lib/config.c).
 *
 * A standalone program: every failed check prints file:line and the expression (or the
 * expected and actual error message) and the exit status is nonzero if any failed.
 * Error messages are compared exactly, so the line numbers they name are checked too. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cleanup.h"
#include "config.h"

static int failures;

#define CHECK(expr)                                                                  \
	do {                                                                         \
		if (!(expr)) {                                                       \
			fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, \
				#expr);                                              \
			failures++;                                                  \
		}                                                                    \
	} while (0)

/* Parses text (NUL-terminated here for convenience) and expects success. */
#define PARSE_OK(c, text) check_ok(__FILE__, __LINE__, (c), (text))
/* Parses text and expects exactly the error message msg, with c left at defaults. */
#define PARSE_ERR(text, msg) check_err(__FILE__, __LINE__, (text), (msg))

static bool is_default(const struct bpfman_config *c)
{
	return c->n_interfaces == 0 && !c->interfaces && c->signing_allow_unsigned &&
	       !c->dispatcher_stats &&
	       c->signing_verify_enabled && c->database_max_retries == 10 &&
	       c->database_millisec_delay == 1000 && !c->signing_trusted_keys &&
	       !c->registries_insecure && !c->registries_ca_file && !c->registries_auth_file &&
	       !c->registries_connect_timeout_sec && !c->registries_stall_timeout_sec &&
	       !c->registries_total_timeout_sec;
}

static void check_ok(const char *file, int line, struct bpfman_config *c, const char *text)
{
	_cleanup_free_ char *err = NULL;
	int r = config_parse(c, text, strlen(text), &err);

	if (r != 0 || err) {
		fprintf(stderr, "%s:%d: parse failed: r=%d err=%s\n", file, line, r,
			err ? err : "(none)");
		failures++;
	}
}

static void check_err(const char *file, int line, const char *text, const char *msg)
{
	_cleanup_free_ char *err = NULL;
	struct bpfman_config c;
	int r;

	static const char start[] = "[interfaces.x]\nxdp_mode = \"hw\"\n"
				    "[signing]\nallow_unsigned = false\n";

	/* Start from a non-default config: an error must reset it, not half-apply. */
	config_init(&c);
	if (config_parse(&c, start, strlen(start), NULL) != 0 || c.n_interfaces != 1) {
		fprintf(stderr, "%s:%d: could not set up the starting config\n", file, line);
		failures++;
	}
	r = config_parse(&c, text, strlen(text), &err);
	if (r != -EINVAL || !err || strcmp(err, msg)) {
		fprintf(stderr, "%s:%d: expected -EINVAL \"%s\", got r=%d \"%s\"\n", file, line,
			msg, r, err ? err : "(none)");
		failures++;
	}
	if (!is_default(&c)) {
		fprintf(stderr, "%s:%d: config not at defaults after an error\n", file, line);
		failures++;
	}
	/* Without ret_err the same text must fail the same way. */
	if (config_parse(&c, text, strlen(text), NULL) != -EINVAL || !is_default(&c)) {
		fprintf(stderr, "%s:%d: failed differently without ret_err\n", file, line);
		failures++;
	}
	config_free(&c);
}

static const char example[] =
	"[interfaces.eth0]\n"
	"xdp_mode = \"drv\"          # drv | skb | hw\n"
	"[signing]\n"
	"allow_unsigned = true\n"
	"verify_enabled = true\n"
	"[database]\n"
	"max_retries = 10          # accepted for compatibility\n"
	"millisec_delay = 1000\n";

static void test_defaults(void)
{
	struct bpfman_config c;

	config_init(&c);
	CHECK(is_default(&c));
	CHECK(config_xdp_mode(&c, "eth0") == XDP_MODE_DRV);
	CHECK(config_xdp_mode(NULL, "eth0") == XDP_MODE_DRV);
	CHECK(!strcmp(xdp_mode_to_string(XDP_MODE_DRV), "drv"));
	CHECK(!strcmp(xdp_mode_to_string(XDP_MODE_SKB), "skb"));
	CHECK(!strcmp(xdp_mode_to_string(XDP_MODE_HW), "hw"));
	CHECK(!strcmp(xdp_mode_to_string((enum xdp_mode)42), "unknown"));
	config_free(&c);
	CHECK(is_default(&c));
	config_free(&c); /* twice is harmless */
}

static void test_example(void)
{
	struct bpfman_config c;

	config_init(&c);
	PARSE_OK(&c, example);
	CHECK(c.n_interfaces == 1);
	CHECK(c.n_interfaces == 1 && !strcmp(c.interfaces[0].name, "eth0"));
	CHECK(config_xdp_mode(&c, "eth0") == XDP_MODE_DRV);
	CHECK(c.signing_allow_unsigned && c.signing_verify_enabled);
	CHECK(c.database_max_retries == 10 && c.database_millisec_delay == 1000);
	config_free(&c);

	/* Non-default values in every field. */
	config_init(&c);
	PARSE_OK(&c, "[interfaces.eth0]\nxdp_mode = \"skb\"\n"
		     "[interfaces.eth1]\nxdp_mode = \"hw\"\n"
		     "[signing]\nallow_unsigned = false\nverify_enabled = false\n"
		     "[database]\nmax_retries = 3\nmillisec_delay = 250\n");
	CHECK(c.n_interfaces == 2);
	CHECK(config_xdp_mode(&c, "eth0") == XDP_MODE_SKB);
	CHECK(config_xdp_mode(&c, "eth1") == XDP_MODE_HW);
	CHECK(config_xdp_mode(&c, "eth2") == XDP_MODE_DRV);
	CHECK(config_xdp_mode(&c, NULL) == XDP_MODE_DRV);
	CHECK(!c.signing_allow_unsigned && !c.signing_verify_enabled);
	CHECK(c.database_max_retries == 3 && c.database_millisec_delay == 250);

	/* Parsing again replaces the previous result entirely (valgrind checks the free). */
	PARSE_OK(&c, "[database]\nmax_retries = 4\n");
	CHECK(c.n_interfaces == 0 && c.signing_allow_unsigned && c.database_max_retries == 4);
	config_free(&c);

	/* [dispatcher] stats: off by default, a boolean only, no other key */
	config_init(&c);
	PARSE_OK(&c, "[dispatcher]\nstats = true\n");
	CHECK(c.dispatcher_stats);
	PARSE_OK(&c, "[dispatcher]\nstats = false\n");
	CHECK(!c.dispatcher_stats);
	config_free(&c);
	PARSE_ERR("[dispatcher]\nstats = 1\n", "line 2: stats must be a boolean");
	PARSE_ERR("[dispatcher]\ncounting = true\n", "line 2: unknown key 'counting' in [dispatcher]");
	PARSE_ERR("[dispatcher]\n[dispatcher]\n", "line 2: duplicate table [dispatcher]");

	/* Tables in any order, some missing, keys optional, the [interfaces] parent allowed. */
	config_init(&c);
	PARSE_OK(&c, "[signing]\nverify_enabled = false\n"
		     "[interfaces]\n[interfaces.lo]\nxdp_mode = 'skb'\n");
	CHECK(!c.signing_verify_enabled && c.signing_allow_unsigned);
	CHECK(config_xdp_mode(&c, "lo") == XDP_MODE_SKB);
	config_free(&c);
}

static void test_empty_and_comments(void)
{
	struct bpfman_config c;

	config_init(&c);
	PARSE_OK(&c, "");
	CHECK(is_default(&c));
	CHECK(config_parse(&c, NULL, 0, NULL) == 0 && is_default(&c));
	PARSE_OK(&c, "\n\n   \n\t\n");
	CHECK(is_default(&c));
	PARSE_OK(&c, "# only a comment");
	CHECK(is_default(&c));

	PARSE_OK(&c, "# leading comment\n"
		     "   # indented comment\n"
		     "\n"
		     "[interfaces.eth0] # after a header\n"
		     "\t xdp_mode\t=\t\"skb\"#no space before the comment\n"
		     "# between tables\n"
		     "  [ signing ]  \n"
		     "allow_unsigned=false # after a boolean\n"
		     "[database]\n"
		     "millisec_delay = 5 # after an integer\n"
		     "# trailing comment without a newline");
	CHECK(config_xdp_mode(&c, "eth0") == XDP_MODE_SKB);
	CHECK(!c.signing_allow_unsigned && c.database_millisec_delay == 5);

	/* A '#' inside a string is not a comment; comments hold anything but control characters. */
	PARSE_OK(&c, "[interfaces.\"eth#0\"] # \"[x] = 'y\n xdp_mode = \"hw\" # é ✓\n");
	CHECK(config_xdp_mode(&c, "eth#0") == XDP_MODE_HW);

	/* A leading UTF-8 byte order mark is skipped. */
	PARSE_OK(&c, "\xef\xbb\xbf[signing]\nverify_enabled = false\n");
	CHECK(!c.signing_verify_enabled);
	config_free(&c);
}

static void test_crlf(void)
{
	struct bpfman_config c;

	config_init(&c);
	PARSE_OK(&c, "[interfaces.eth0]\r\nxdp_mode = \"hw\"  # comment\r\n\r\n[signing]\r\n"
		     "allow_unsigned = false\r\n[database]\r\nmax_retries = 7\r\n");
	CHECK(config_xdp_mode(&c, "eth0") == XDP_MODE_HW);
	CHECK(!c.signing_allow_unsigned && c.database_max_retries == 7);
	config_free(&c);

	/* A carriage return that is not part of CRLF is a control character. */
	PARSE_ERR("[signing]\r\nallow_unsigned = true\r\r\n",
		  "line 2: invalid control character 0x0d");
	PARSE_ERR("[signing]\rallow_unsigned = true\n", "line 1: invalid control character 0x0d");
}

static void test_not_nul_terminated(void)
{
	/* len bounds the text: what follows it must not be read. */
	static const char text[] = "[signing]\nallow_unsigned = false\n[garbage";
	struct bpfman_config c;

	config_init(&c);
	CHECK(config_parse(&c, text, strlen(text) - strlen("[garbage"), NULL) == 0);
	CHECK(!c.signing_allow_unsigned);
	/* Cut in the middle of a line: the last line simply has no newline. */
	CHECK(config_parse(&c, text, strlen("[signing]\nallow_unsigned = false"), NULL) == 0);
	CHECK(!c.signing_allow_unsigned);
	/* Cut inside "false": "fal" is not a value. */
	CHECK(config_parse(&c, text, strlen("[signing]\nallow_unsigned = fal"), NULL) == -EINVAL);
	/* An embedded NUL byte is an error, not the end of the text. */
	CHECK(config_parse(&c, "[signing]\n\0x", 12, NULL) == -EINVAL);
	config_free(&c);
}

static void test_quoted_names(void)
{
	struct bpfman_config c;

	config_init(&c);
	PARSE_OK(&c, "[interfaces.\"eth0.100\"]\nxdp_mode = \"skb\"\n"
		     "[interfaces.'br-lan\\x']\nxdp_mode = 'hw'\n"
		     "[\"interfaces\" . eth1]\n\"xdp_mode\" = \"hw\"\n"
		     "[ interfaces . \"with space\" ]\n'xdp_mode' = \"drv\"\n"
		     "[interfaces.\"\xc3\xa9\\\"\\\\\"]\nxdp_mode = \"hw\"\n"
		     "[interfaces.42]\nxdp_mode = \"skb\"\n");
	CHECK(c.n_interfaces == 6);
	CHECK(config_xdp_mode(&c, "eth0.100") == XDP_MODE_SKB);
	CHECK(config_xdp_mode(&c, "eth0") == XDP_MODE_DRV);
	CHECK(config_xdp_mode(&c, "br-lan\\x") == XDP_MODE_HW);
	CHECK(config_xdp_mode(&c, "eth1") == XDP_MODE_HW);
	CHECK(config_xdp_mode(&c, "with space") == XDP_MODE_DRV);
	CHECK(c.n_interfaces == 6 && !strcmp(c.interfaces[3].name, "with space"));
	CHECK(config_xdp_mode(&c, "\xc3\xa9\"\\") == XDP_MODE_HW);
	CHECK(config_xdp_mode(&c, "42") == XDP_MODE_SKB);
	config_free(&c);
}

static void test_integers(void)
{
	struct bpfman_config c;

	config_init(&c);
	PARSE_OK(&c, "[database]\nmax_retries = +1_000\nmillisec_delay = 4_294_967_295\n");
	CHECK(c.database_max_retries == 1000 && c.database_millisec_delay == UINT32_MAX);
	PARSE_OK(&c, "[database]\nmax_retries = 0\nmillisec_delay = -0\n");
	CHECK(c.database_max_retries == 0 && c.database_millisec_delay == 0);
	config_free(&c);

	PARSE_ERR("[database]\nmax_retries = 4294967296\n",
		  "line 2: max_retries 4294967296 is out of range (0 to 4294967295)");
	PARSE_ERR("[database]\n\nmillisec_delay = -1\n",
		  "line 3: millisec_delay -1 is out of range (0 to 4294967295)");
	PARSE_ERR("[database]\nmax_retries = 99_999_999_999_999_999_999_999\n",
		  "line 2: max_retries 99_999_999_999_999_999_999_999 is out of range "
		  "(0 to 4294967295)");
	PARSE_ERR("[database]\nmax_retries = 010\n",
		  "line 2: invalid integer '010' (only decimal integers without leading zeros)");
	PARSE_ERR("[database]\nmax_retries = 0x10\n",
		  "line 2: invalid integer '0x10' (only decimal integers without leading zeros)");
	PARSE_ERR("[database]\nmax_retries = 1__0\n",
		  "line 2: invalid integer '1__0' (only decimal integers without leading zeros)");
	PARSE_ERR("[database]\nmax_retries = 10_\n",
		  "line 2: invalid integer '10_' (only decimal integers without leading zeros)");
	PARSE_ERR("[database]\nmax_retries = +\n",
		  "line 2: invalid integer '+' (only decimal integers without leading zeros)");
	PARSE_ERR("[database]\nmax_retries = 1.5\n",
		  "line 2: invalid integer '1.5' (only decimal integers without leading zeros)");
	PARSE_ERR("[database]\nmax_retries = _1\n",
		  "line 2: invalid value '_1' (strings must be quoted)");
}

static void test_errors(void)
{
	/* The error classes named by the contract. */
	PARSE_ERR("[interfaces.eth0]\n\nxdp_mode \"drv\"\n",
		  "line 3: expected '=' after key 'xdp_mode'");
	PARSE_ERR("# c\n[signing]\nallow_unsigned = true\n\n\n\nfoo = 1\n",
		  "line 7: unknown key 'foo' in [signing]");
	PARSE_ERR("[interfaces.eth0]\nxdp_mode = \"fast\"\n",
		  "line 2: invalid xdp_mode 'fast' (expected drv, skb or hw)");
	PARSE_ERR("[interfaces.eth0]\nxdp_mode = \"DRV\"\n",
		  "line 2: invalid xdp_mode 'DRV' (expected drv, skb or hw)");
	PARSE_ERR("[signing]\nverify_enabled = true\nallow_unsigned = true\n\n"
		  "verify_enabled = false\n",
		  "line 5: duplicate key 'verify_enabled'");
	PARSE_ERR("[interfaces.eth0]\nxdp_mode = \"drv\"\nxdp_mode = \"drv\"\n",
		  "line 3: duplicate key 'xdp_mode'");
	PARSE_ERR("\n\n\n\n\n\n\n[interfaces.eth0]\nxdp_mode = \"drv\n",
		  "line 9: unterminated string");
	PARSE_ERR("[interfaces.eth0]\nxdp_mode = 'drv", "line 2: unterminated string");
	PARSE_ERR("[interfaces.eth0]\nxdp_mode = \"drv\\\"\n", "line 2: unterminated string");
	PARSE_ERR("[interfaces.eth0]\nxdp_mode = \"drv\\", "line 2: unterminated string");
	PARSE_ERR("[interfaces.\"eth0]\n", "line 1: unterminated string");
	PARSE_ERR("\n\n\n[foo]\n", "line 4: unknown table [foo]");
	PARSE_ERR("[signing.extra]\n", "line 1: unknown table [signing.extra]");
	PARSE_ERR("[interfaces.eth0.x]\n", "line 1: unknown table [interfaces.eth0.x]");
	PARSE_ERR("[interfaces.eth0.x.y.z]\n", "line 1: unknown table [interfaces.eth0.x.y.z]");

	/* Wrong types. */
	PARSE_ERR("[signing]\n\nallow_unsigned = \"yes\"\n",
		  "line 3: allow_unsigned must be a boolean");
	PARSE_ERR("[signing]\nverify_enabled = 1\n", "line 2: verify_enabled must be a boolean");
	PARSE_ERR("[database]\nmax_retries = \"10\"\n", "line 2: max_retries must be an integer");
	PARSE_ERR("[database]\nmillisec_delay = true\n",
		  "line 2: millisec_delay must be an integer");
	PARSE_ERR("[interfaces.eth0]\nxdp_mode = 1\n", "line 2: xdp_mode must be a string");
	PARSE_ERR("[signing]\nallow_unsigned = True\n",
		  "line 2: invalid value 'True' (strings must be quoted)");
	PARSE_ERR("[interfaces.eth0]\nxdp_mode = drv\n",
		  "line 2: invalid value 'drv' (strings must be quoted)");

	/* Keys in the wrong place. */
	PARSE_ERR("allow_unsigned = true\n",
		  "line 1: unknown key 'allow_unsigned' outside any table");
	PARSE_ERR("[database]\nxdp_mode = \"drv\"\n",
		  "line 2: unknown key 'xdp_mode' in [database]");
	PARSE_ERR("[interfaces]\neth0 = \"drv\"\n", "line 2: unknown key 'eth0' in [interfaces]");
	PARSE_ERR("[interfaces.\"a.b\"]\nmode = \"drv\"\n",
		  "line 2: unknown key 'mode' in [interfaces.\"a.b\"]");

	/* Tables. */
	PARSE_ERR("[signing]\n[database]\n[signing]\n", "line 3: duplicate table [signing]");
	PARSE_ERR("[interfaces]\n[interfaces]\n", "line 2: duplicate table [interfaces]");
	PARSE_ERR("[interfaces.eth0]\nxdp_mode = \"drv\"\n[interfaces.\"eth0\"]\n",
		  "line 3: duplicate table [interfaces.\"eth0\"]");
	PARSE_ERR("[interfaces.\"\"]\n", "line 1: empty interface name");
	PARSE_ERR("[interfaces.eth0]\n# xdp_mode = \"skb\"\n[signing]\n",
		  "line 1: [interfaces.eth0] has no xdp_mode");
	PARSE_ERR("[signing]\n[interfaces.eth1]\n", "line 2: [interfaces.eth1] has no xdp_mode");
	PARSE_ERR("[signing\n", "line 1: expected ']' to end the table header");
	PARSE_ERR("[signing database]\n", "line 1: expected ']' to end the table header");
	PARSE_ERR("[]\n", "line 1: expected a key");
	PARSE_ERR("[interfaces.]\n", "line 1: expected a key");
	PARSE_ERR("[signing] x\n", "line 1: unexpected text after the table header");
	PARSE_ERR("[[interfaces]]\n", "line 1: arrays of tables ([[...]]) are not supported");

	/* Key/value syntax. */
	PARSE_ERR("[signing]\n= true\n", "line 2: expected a key");
	PARSE_ERR("[signing]\nallow_unsigned\n", "line 2: expected '=' after key 'allow_unsigned'");
	PARSE_ERR("[signing]\nallow_unsigned =\n",
		  "line 2: missing value for key 'allow_unsigned'");
	PARSE_ERR("[signing]\nallow_unsigned = # no\n",
		  "line 2: missing value for key 'allow_unsigned'");
	PARSE_ERR("[signing]\nallow_unsigned = true false\n",
		  "line 2: unexpected text after the value of 'allow_unsigned'");
	PARSE_ERR("[interfaces.eth0]\nxdp_mode = \"drv\"\"\"\n",
		  "line 2: unexpected text after the value of 'xdp_mode'");
	PARSE_ERR("signing.allow_unsigned = true\n",
		  "line 1: dotted keys are not supported; use a [table] header for 'signing'");
	PARSE_ERR("[interfaces.eth0]\nxdp_mode = [\"drv\"]\n", "line 2: xdp_mode must be a string");
	PARSE_ERR("[interfaces]\neth0 = { xdp_mode = \"drv\" }\n",
		  "line 2: inline tables are not supported (key 'eth0')");
	PARSE_ERR("[interfaces.eth0]\nxdp_mode = \"\"\"drv\"\"\"\n",
		  "line 2: multi-line strings are not supported");
	PARSE_ERR("[interfaces.eth0]\nxdp_mode = '''drv'''\n",
		  "line 2: multi-line strings are not supported");

	/* String escapes; \u and \U are deliberately not supported. */
	PARSE_ERR("[interfaces.\"a\\qb\"]\n", "line 1: invalid escape '\\q' in string");
	PARSE_ERR("[interfaces.\"a\\ b\"]\n", "line 1: invalid escape '\\ ' in string");
	PARSE_ERR("[interfaces.eth0]\nxdp_mode = \"\\u0073kb\"\n",
		  "line 2: unicode escapes ('\\u') are not supported");
	PARSE_ERR("[interfaces.\"\\U00000041\"]\n",
		  "line 1: unicode escapes ('\\U') are not supported");

	/* Control characters, in comments too. */
	PARSE_ERR("# bell \a\n", "line 1: invalid control character 0x07");
	PARSE_ERR("[signing]\n\n# del \x7f\n", "line 3: invalid control character 0x7f");
	PARSE_ERR("[interfaces.\"a\x01\"]\n", "line 1: invalid control character 0x01");

	/* Only the first error is reported. */
	PARSE_ERR("[foo]\n[bar]\n", "line 1: unknown table [foo]");
}

static size_t strv_len(char **v)
{
	size_t n = 0;

	while (v && v[n])
		n++;
	return n;
}

/* [registries], [signing] trusted_keys and the one-line string arrays they use. */
static void test_registries_and_arrays(void)
{
	struct bpfman_config c;

	config_init(&c);
	PARSE_OK(&c, "[signing]\ntrusted_keys = [\"/etc/bpfman/keys/a.pub\", '/k/b.pub']\n"
		     "[registries]\n"
		     "insecure = [ \"registry.lab:5000\" ,\"10.0.0.1\", \"[fd00::1]:5000\", ] # x\n"
		     "ca_file = \"/etc/bpfman/ca.pem\"\n"
		     "auth_file = '/etc/bpfman/auth.json'\n");
	CHECK(strv_len(c.signing_trusted_keys) == 2);
	CHECK(c.signing_trusted_keys && !strcmp(c.signing_trusted_keys[0], "/etc/bpfman/keys/a.pub"));
	CHECK(c.signing_trusted_keys && !strcmp(c.signing_trusted_keys[1], "/k/b.pub"));
	CHECK(strv_len(c.registries_insecure) == 3);
	CHECK(c.registries_insecure && !strcmp(c.registries_insecure[0], "registry.lab:5000"));
	CHECK(c.registries_insecure && !strcmp(c.registries_insecure[2], "[fd00::1]:5000"));
	CHECK(c.registries_ca_file && !strcmp(c.registries_ca_file, "/etc/bpfman/ca.pem"));
	CHECK(c.registries_auth_file && !strcmp(c.registries_auth_file, "/etc/bpfman/auth.json"));
	CHECK(c.signing_allow_unsigned && c.signing_verify_enabled);

	/* An empty array is no list; escapes work inside items. */
	PARSE_OK(&c, "[registries]\ninsecure = []\n[signing]\ntrusted_keys=[\"/a\\\"b\"]\n");
	CHECK(!c.registries_insecure);
	CHECK(strv_len(c.signing_trusted_keys) == 1);
	CHECK(c.signing_trusted_keys && !strcmp(c.signing_trusted_keys[0], "/a\"b"));
	config_free(&c);
	CHECK(is_default(&c));

	PARSE_ERR("[registries]\ninsecure = [\"a\",\n", "line 2: unterminated array for key 'insecure' "
		  "(arrays must be on one line)");
	PARSE_ERR("[registries]\ninsecure = [\"a\" # no\n", "line 2: unterminated array for key "
		  "'insecure' (arrays must be on one line)");
	PARSE_ERR("[registries]\ninsecure = [1, 2]\n",
		  "line 2: array items must be quoted strings (key 'insecure')");
	PARSE_ERR("[registries]\ninsecure = [[\"a\"]]\n",
		  "line 2: array items must be quoted strings (key 'insecure')");
	PARSE_ERR("[registries]\ninsecure = [\"a\" \"b\"]\n",
		  "line 2: expected ',' or ']' in the array for key 'insecure'");
	PARSE_ERR("[registries]\ninsecure = [\"a\",,]\n",
		  "line 2: array items must be quoted strings (key 'insecure')");
	PARSE_ERR("[registries]\ninsecure = [\"a\"] x\n",
		  "line 2: unexpected text after the value of 'insecure'");
	PARSE_ERR("[registries]\ninsecure = \"a:5000\"\n",
		  "line 2: insecure must be an array of strings");
	PARSE_ERR("[registries]\ninsecure = [\"https://a:5000\"]\n",
		  "line 2: insecure: 'https://a:5000' is not a registry host[:port]");
	PARSE_ERR("[registries]\ninsecure = [\"\"]\n", "line 2: insecure: '' is not a registry host[:port]");
	PARSE_ERR("[registries]\nca_file = [\"/a\"]\n", "line 2: ca_file must be a string");
	PARSE_ERR("[registries]\nca_file = \"ca.pem\"\n",
		  "line 2: ca_file: 'ca.pem' is not an absolute path");
	PARSE_ERR("[registries]\nauth_file = \"\"\n", "line 2: auth_file: '' is not an absolute path");
	PARSE_ERR("[registries]\nca_file = \"/a\"\nca_file = \"/b\"\n", "line 3: duplicate key 'ca_file'");
	PARSE_ERR("[registries]\nmirror = \"x\"\n", "line 2: unknown key 'mirror' in [registries]");
	PARSE_ERR("[registries]\n[registries]\n", "line 2: duplicate table [registries]");
	PARSE_ERR("[signing]\ntrusted_keys = [\"key.pub\"]\n",
		  "line 2: trusted_keys: 'key.pub' is not an absolute path");
	PARSE_ERR("[signing]\ntrusted_keys = [\"/a\"]\ntrusted_keys = []\n",
		  "line 3: duplicate key 'trusted_keys'");
	PARSE_ERR("[database]\nmax_retries = [\"1\"]\n", "line 2: max_retries must be an integer");
}

/* [registries] time limits: 0 (the default) leaves the registry client's own. */
static void test_registry_timeouts(void)
{
	struct bpfman_config c;

	config_init(&c);
	PARSE_OK(&c, "[registries]\nstall_timeout_sec = 3\nconnect_timeout_sec = 5\n"
		     "total_timeout_sec = 86400\n");
	CHECK(c.registries_stall_timeout_sec == 3);
	CHECK(c.registries_connect_timeout_sec == 5);
	CHECK(c.registries_total_timeout_sec == 86400);
	config_free(&c);
	config_init(&c);
	PARSE_OK(&c, "[registries]\nstall_timeout_sec = 0\n");
	CHECK(is_default(&c));
	config_free(&c);

	PARSE_ERR("[registries]\nstall_timeout_sec = 86401\n",
		  "line 2: stall_timeout_sec 86401 is out of range (0 to 86400)");
	PARSE_ERR("[registries]\ntotal_timeout_sec = -1\n",
		  "line 2: total_timeout_sec -1 is out of range (0 to 4294967295)");
	PARSE_ERR("[registries]\nconnect_timeout_sec = \"5\"\n",
		  "line 2: connect_timeout_sec must be an integer");
	PARSE_ERR("[registries]\nstall_timeout_sec = 1\nstall_timeout_sec = 2\n",
		  "line 3: duplicate key 'stall_timeout_sec'");
}

static void test_escapes_in_values(void)
{
	struct bpfman_config c;

	config_init(&c);
	/* Every supported escape, decoded. */
	PARSE_OK(&c, "[interfaces.\"<\\b\\t\\n\\f\\r\\\"\\\\>\"]\nxdp_mode = \"hw\"\n");
	CHECK(config_xdp_mode(&c, "<\b\t\n\f\r\"\\>") == XDP_MODE_HW);
	/* Escapes are decoded before the value is checked. */
	PARSE_ERR("[interfaces.eth0]\nxdp_mode = \"sk\\\\b\"\n",
		  "line 2: invalid xdp_mode 'sk\\b' (expected drv, skb or hw)");
	/* Literal strings take backslashes verbatim. */
	PARSE_OK(&c, "[interfaces.'a\\tb']\nxdp_mode = 'hw'\n");
	CHECK(config_xdp_mode(&c, "a\\tb") == XDP_MODE_HW);
	/* Basic strings decode \t, and a tab may also appear as is. */
	PARSE_OK(&c, "[interfaces.\"a\\tb\"]\nxdp_mode = 'hw'\n"
		     "[interfaces.\"c\td\"]\nxdp_mode = 'skb'\n");
	CHECK(config_xdp_mode(&c, "a\tb") == XDP_MODE_HW);
	CHECK(config_xdp_mode(&c, "c\td") == XDP_MODE_SKB);
	config_free(&c);
}

static int write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "we");

	if (!f)
		return -errno;
	fputs(text, f);
	return fclose(f) == 0 ? 0 : -EIO;
}

static void test_load(void)
{
	static char stale[] = "stale";
	char dir[] = "/tmp/test-config.XXXXXX";
	char *out = stale; /* ret_err is output-only: it is set, never freed */
	_cleanup_free_ char *path = NULL, *missing = NULL, *err = NULL, *want = NULL;
	struct bpfman_config c;

	CHECK(mkdtemp(dir) != NULL);
	CHECK(asprintf(&path, "%s/bpfman.toml", dir) > 0);
	CHECK(asprintf(&missing, "%s/does-not-exist.toml", dir) > 0);

	/* A missing file: defaults, success, no message; also resets an earlier result. */
	config_init(&c);
	PARSE_OK(&c, "[signing]\nallow_unsigned = false\n");
	CHECK(config_load(&c, missing, &out) == 0);
	CHECK(out == NULL);
	CHECK(is_default(&c));

	/* A real file. */
	CHECK(write_file(path, example) == 0);
	CHECK(config_load(&c, path, &err) == 0);
	CHECK(err == NULL);
	CHECK(c.n_interfaces == 1 && config_xdp_mode(&c, "eth0") == XDP_MODE_DRV);
	CHECK(c.database_max_retries == 10 && c.database_millisec_delay == 1000);

	CHECK(write_file(path, "[interfaces.eth0]\r\nxdp_mode = \"skb\"\r\n") == 0);
	CHECK(config_load(&c, path, NULL) == 0);
	CHECK(config_xdp_mode(&c, "eth0") == XDP_MODE_SKB);

	/* A broken file: the message names the path and the line. */
	CHECK(write_file(path, "[signing]\nallow_unsigned = maybe\n") == 0);
	CHECK(config_load(&c, path, &err) == -EINVAL);
	CHECK(asprintf(&want, "%s: line 2: invalid value 'maybe' (strings must be quoted)",
		       path) > 0);
	CHECK(err && want && !strcmp(err, want));
	if (err && want && strcmp(err, want))
		fprintf(stderr, "  got \"%s\"\n", err);
	CHECK(is_default(&c));
	free(err);
	err = NULL;
	CHECK(config_load(&c, path, NULL) == -EINVAL);

	/* An empty file. */
	CHECK(write_file(path, "") == 0);
	CHECK(config_load(&c, path, &err) == 0 && is_default(&c));

	/* Read errors other than a missing file are errors, without a parse message. */
	CHECK(config_load(&c, dir, &err) == -EISDIR);
	CHECK(err == NULL);

	config_free(&c);
	CHECK(unlink(path) == 0);
	CHECK(rmdir(dir) == 0);
}

int main(void)
{
	test_defaults();
	test_example();
	test_empty_and_comments();
	test_crlf();
	test_not_nul_terminated();
	test_quoted_names();
	test_integers();
	test_errors();
	test_escapes_in_values();
	test_registries_and_arrays();
	test_registry_timeouts();
	test_load();

	if (failures) {
		fprintf(stderr, "test-config: %d check(s) failed\n", failures);
		return 1;
	}
	printf("test-config: all checks passed\n");
	return 0;
}
