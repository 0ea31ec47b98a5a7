/* bpfman.toml reader: a small, strict parser for the TOML subset described in config.h.
 *
 * The file is read line by line, because everything the subset allows (a table header
 * or one key = value pair, each optionally followed by a comment) fits on one line.
 * Values are checked against a fixed table of known keys as they are read. The result
 * is built in a scratch config and only handed to the caller once the whole file
 * parsed, so an error never leaves a half-applied configuration behind.
 *
 * Arrays are allowed in one form only: on one line, of strings ([signing] trusted_keys,
 * [registries] insecure).
 *
 * Not supported, and reported as such: \uXXXX and \UXXXXXXXX escapes (nothing in this
 * file needs them, and decoding them is where the subtle bugs live), dotted keys
 * (a.b = 1), and everything config.h lists. */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cleanup.h"
#include "config.h"

#define CONFIG_MAX_SIZE (1024 * 1024)

enum table {
	TABLE_ROOT,		/* before any [header] */
	TABLE_INTERFACES,	/* [interfaces] itself: holds only sub-tables */
	TABLE_INTERFACE,	/* [interfaces.NAME] */
	TABLE_SIGNING,
	TABLE_DATABASE,
	TABLE_DISPATCHER,
	TABLE_REGISTRIES,
};

enum key_type {
	KEY_XDP_MODE,
	KEY_BOOL,
	KEY_U32,
	KEY_PATH, /* a string: an absolute path */
	KEY_STRV, /* a one-line array of strings */
};

struct key_desc {
	enum table table;
	const char *name;
	enum key_type type;
	size_t offset; /* into struct bpfman_config; unused for KEY_XDP_MODE */
};

/* Every key the file may contain. The index doubles as the bit in parser.seen. */
#define FIELD(f) offsetof(struct bpfman_config, f)
static const struct key_desc keys[] = {
	{ TABLE_INTERFACE, "xdp_mode", KEY_XDP_MODE, 0 },
	{ TABLE_SIGNING, "allow_unsigned", KEY_BOOL, FIELD(signing_allow_unsigned) },
	{ TABLE_SIGNING, "verify_enabled", KEY_BOOL, FIELD(signing_verify_enabled) },
	{ TABLE_DATABASE, "max_retries", KEY_U32, FIELD(database_max_retries) },
	{ TABLE_DATABASE, "millisec_delay", KEY_U32, FIELD(database_millisec_delay) },
	{ TABLE_DATABASE, "lock_timeout_sec", KEY_U32, FIELD(lock_timeout_sec) },
	{ TABLE_DISPATCHER, "stats", KEY_BOOL, FIELD(dispatcher_stats) },
	{ TABLE_SIGNING, "trusted_keys", KEY_STRV, FIELD(signing_trusted_keys) },
	{ TABLE_REGISTRIES, "insecure", KEY_STRV, FIELD(registries_insecure) },
	{ TABLE_REGISTRIES, "ca_file", KEY_PATH, FIELD(registries_ca_file) },
	{ TABLE_REGISTRIES, "auth_file", KEY_PATH, FIELD(registries_auth_file) },
	{ TABLE_REGISTRIES, "connect_timeout_sec", KEY_U32, FIELD(registries_connect_timeout_sec) },
	{ TABLE_REGISTRIES, "stall_timeout_sec", KEY_U32, FIELD(registries_stall_timeout_sec) },
	{ TABLE_REGISTRIES, "total_timeout_sec", KEY_U32, FIELD(registries_total_timeout_sec) },
};
#undef FIELD
#define KEY_BIT_XDP_MODE (1u << 0)
#define ARRAY_MAX_ITEMS 64

static const char *const xdp_mode_names[] = {
	[XDP_MODE_DRV] = "drv",
	[XDP_MODE_SKB] = "skb",
	[XDP_MODE_HW] = "hw",
};

struct value {
	enum { VALUE_STRING, VALUE_INTEGER, VALUE_BOOL, VALUE_ARRAY } type;
	char *str;	  /* VALUE_STRING: the decoded string */
	char **strv;	  /* VALUE_ARRAY: the decoded strings, NULL-terminated */
	size_t n_strv;
	bool boolean;	  /* VALUE_BOOL */
	bool negative;	  /* VALUE_INTEGER: sign and magnitude, the magnitude saturating */
	uint64_t integer; /*   just above UINT32_MAX: no key needs a wider range */
	const char *text; /* the value as written, for messages */
	int len;
};

struct parser {
	struct bpfman_config *cfg; /* the scratch config being filled */
	char **err;
	unsigned line;
	const char *p, *eol; /* cursor and end of the current line, newline excluded */

	enum table table;
	const char *hdr; /* the current header's text between the brackets, for messages */
	int hdr_len;
	unsigned hdr_line;
	unsigned seen; /* keys set in the current table: duplicates are errors */
	unsigned tables_seen; /* bit per enum table; [interfaces.NAME] is checked by name */
};

static void strv_free(char **v)
{
	for (size_t i = 0; v && v[i]; i++)
		free(v[i]);
	free(v);
}

static void value_done(struct value *v)
{
	free(v->str);
	strv_free(v->strv);
}

/* Records "line N: ..." for the caller (only the first error counts) and returns -EINVAL. */
__attribute__((format(printf, 3, 4)))
static int fail_at(struct parser *p, unsigned line, const char *fmt, ...)
{
	_cleanup_free_ char *msg = NULL;
	va_list ap;
	int r;

	if (!p->err || *p->err)
		return -EINVAL;
	va_start(ap, fmt);
	r = vasprintf(&msg, fmt, ap);
	va_end(ap);
	if (r < 0)
		msg = NULL; /* undefined after a failure */
	if (r < 0 || asprintf(p->err, "line %u: %s", line, msg) < 0) {
		*p->err = NULL;
		return -ENOMEM;
	}
	return -EINVAL;
}
#define fail(p, ...) fail_at((p), (p)->line, __VA_ARGS__)

static void skip_ws(struct parser *p)
{
	while (p->p < p->eol && (*p->p == ' ' || *p->p == '\t'))
		p->p++;
}

static bool at_line_end(struct parser *p)
{
	skip_ws(p);
	return p->p == p->eol || *p->p == '#';
}

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static bool is_bare_key_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || is_digit(c) ||
	       c == '_' || c == '-';
}

/* A single-line "basic" (with escapes) or 'literal' (verbatim) string; p->p is on the quote. */
static int parse_string(struct parser *p, char **ret)
{
	static const char escapes[] = "btnfr\"\\", decoded[] = "\b\t\n\f\r\"\\";
	char quote = *p->p++;
	_cleanup_free_ char *buf = NULL;
	char *out;

	if (p->eol - p->p >= 2 && p->p[0] == quote && p->p[1] == quote)
		return fail(p, "multi-line strings are not supported");
	/* Decoding never makes the text longer, so the rest of the line is enough room. */
	buf = malloc(p->eol - p->p + 1);
	if (!buf)
		return -ENOMEM;
	out = buf;
	for (;;) {
		if (p->p == p->eol)
			return fail(p, "unterminated string");
		if (*p->p == quote)
			break;
		if (quote == '"' && *p->p == '\\') {
			const char *e;

			if (++p->p == p->eol)
				return fail(p, "unterminated string");
			/* strchr() also finds the NUL, but parse_line() let no NUL byte through. */
			e = strchr(escapes, *p->p);
			if (*p->p == 'u' || *p->p == 'U')
				return fail(p, "unicode escapes ('\\%c') are not supported", *p->p);
			if (!e)
				return fail(p, "invalid escape '\\%c' in string", *p->p);
			*out++ = decoded[e - escapes];
			p->p++;
		} else {
			*out++ = *p->p++;
		}
	}
	p->p++;
	*out = '\0';
	*ret = TAKE_PTR(buf);
	return 0;
}

/* A bare, "quoted" or 'literal' key. */
static int parse_key(struct parser *p, char **ret)
{
	const char *start = p->p;

	if (p->p < p->eol && (*p->p == '"' || *p->p == '\''))
		return parse_string(p, ret);
	while (p->p < p->eol && is_bare_key_char(*p->p))
		p->p++;
	if (p->p == start)
		return fail(p, "expected a key");
	*ret = strndup(start, p->p - start);
	return *ret ? 0 : -ENOMEM;
}

/* A TOML decimal integer: optional sign, no leading zeros, '_' only between digits. */
static bool parse_integer(const char *s, int n, struct value *v)
{
	int i = n > 0 && (s[0] == '+' || s[0] == '-');

	if (i == n || !is_digit(s[i]) || (s[i] == '0' && i + 1 < n))
		return false;
	v->negative = s[0] == '-';
	for (; i < n; i++) {
		if (s[i] == '_' && is_digit(s[i - 1]) && i + 1 < n && is_digit(s[i + 1]))
			continue;
		if (!is_digit(s[i]))
			return false;
		if (v->integer <= UINT32_MAX)
			v->integer = v->integer * 10 + (uint64_t)(s[i] - '0');
	}
	v->type = VALUE_INTEGER;
	return true;
}

/* A one-line array of strings: [ "a", 'b', ] (a trailing comma is allowed, nothing
 * else: no nesting, no other types, no continuation lines). p->p is on the '['. */
static int parse_array(struct parser *p, const char *key, struct value *v)
{
	v->type = VALUE_ARRAY;
	v->strv = calloc(1, sizeof(char *));
	if (!v->strv)
		return -ENOMEM;
	p->p++;
	for (;;) {
		char *item = NULL, **a;
		int r;

		skip_ws(p);
		if (p->p == p->eol || *p->p == '#')
			return fail(p, "unterminated array for key '%s' (arrays must be on one line)",
				    key);
		if (*p->p == ']')
			break;
		if (*p->p != '"' && *p->p != '\'')
			return fail(p, "array items must be quoted strings (key '%s')", key);
		if (v->n_strv >= ARRAY_MAX_ITEMS)
			return fail(p, "too many items for key '%s' (at most %d)", key,
				    ARRAY_MAX_ITEMS);
		r = parse_string(p, &item);
		if (r < 0)
			return r;
		a = reallocarray(v->strv, v->n_strv + 2, sizeof(char *));
		if (!a) {
			free(item);
			return -ENOMEM;
		}
		v->strv = a;
		a[v->n_strv++] = item;
		a[v->n_strv] = NULL;
		skip_ws(p);
		if (p->p < p->eol && *p->p == ',') {
			p->p++;
			continue;
		}
		if (p->p < p->eol && *p->p == ']')
			break;
		if (p->p == p->eol || *p->p == '#')
			return fail(p, "unterminated array for key '%s' (arrays must be on one line)",
				    key);
		return fail(p, "expected ',' or ']' in the array for key '%s'", key);
	}
	p->p++;
	return 0;
}

static int parse_value(struct parser *p, const char *key, struct value *v)
{
	const char *start = v->text = p->p;
	int n;

	if (p->p == p->eol || *p->p == '#')
		return fail(p, "missing value for key '%s'", key);
	if (*p->p == '"' || *p->p == '\'') {
		v->type = VALUE_STRING;
		return parse_string(p, &v->str);
	}
	if (*p->p == '[')
		return parse_array(p, key, v);
	if (*p->p == '{')
		return fail(p, "inline tables are not supported (key '%s')", key);

	while (p->p < p->eol && *p->p != ' ' && *p->p != '\t' && *p->p != '#')
		p->p++;
	n = v->len = (int)(p->p - start);
	if ((n == 4 && !memcmp(start, "true", 4)) || (n == 5 && !memcmp(start, "false", 5))) {
		v->type = VALUE_BOOL;
		v->boolean = n == 4;
		return 0;
	}
	if (parse_integer(start, n, v))
		return 0;
	if (is_digit(*start) || *start == '+' || *start == '-')
		return fail(p, "invalid integer '%.*s' (only decimal integers without leading zeros)",
			    n, start);
	return fail(p, "invalid value '%.*s' (strings must be quoted)", n, start);
}

static const char *type_name(enum key_type t)
{
	return t == KEY_BOOL ? "a boolean" :
	       t == KEY_U32  ? "an integer" :
	       t == KEY_STRV ? "an array of strings" :
			       "a string";
}

/* "host", "host:port" or "[v6]:port": what [registries] insecure lists. */
static bool registry_host_valid(const char *s)
{
	if (!*s)
		return false;
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
		      (*s >= '0' && *s <= '9') || strchr(".-:[]", *s)))
			return false;
	return true;
}

/* Every item of an array key, checked for what that key holds. */
static int check_items(struct parser *p, const char *key, char **items)
{
	bool paths = !strcmp(key, "trusted_keys");

	for (size_t i = 0; items && items[i]; i++) {
		if (paths && items[i][0] != '/')
			return fail(p, "%s: '%s' is not an absolute path", key, items[i]);
		if (!paths && !registry_host_valid(items[i]))
			return fail(p, "%s: '%s' is not a registry host[:port]", key, items[i]);
	}
	return 0;
}

/* Checks key against the current table and stores its value in the scratch config. */
static int apply_key(struct parser *p, const char *key, const struct value *v)
{
	const struct key_desc *k = NULL;
	unsigned bit = 0;
	char *field;

	for (size_t i = 0; i < ELEMENTSOF(keys); i++)
		if (keys[i].table == p->table && !strcmp(keys[i].name, key)) {
			k = &keys[i];
			bit = 1u << i;
		}
	if (!k && p->table == TABLE_ROOT)
		return fail(p, "unknown key '%s' outside any table", key);
	if (!k)
		return fail(p, "unknown key '%s' in [%.*s]", key, p->hdr_len, p->hdr);
	if (p->seen & bit)
		return fail(p, "duplicate key '%s'", key);
	p->seen |= bit;

	if ((k->type == KEY_BOOL && v->type != VALUE_BOOL) ||
	    (k->type == KEY_U32 && v->type != VALUE_INTEGER) ||
	    ((k->type == KEY_XDP_MODE || k->type == KEY_PATH) && v->type != VALUE_STRING) ||
	    (k->type == KEY_STRV && v->type != VALUE_ARRAY))
		return fail(p, "%s must be %s", key, type_name(k->type));

	field = (char *)p->cfg + k->offset;
	switch (k->type) {
	case KEY_XDP_MODE: {
		/* Only [interfaces.NAME] has this key, and that table was added last. */
		struct config_interface *iface = &p->cfg->interfaces[p->cfg->n_interfaces - 1];

		for (size_t m = 0; m < ELEMENTSOF(xdp_mode_names); m++)
			if (!strcmp(v->str, xdp_mode_names[m])) {
				iface->xdp_mode = (enum xdp_mode)m;
				return 0;
			}
		return fail(p, "invalid xdp_mode '%s' (expected drv, skb or hw)", v->str);
	}
	case KEY_BOOL:
		*(bool *)field = v->boolean;
		return 0;
	case KEY_U32:
		/* "-0" is a valid TOML integer and means 0. */
		if (v->integer > UINT32_MAX || (v->negative && v->integer))
			return fail(p, "%s %.*s is out of range (0 to %u)", key, v->len, v->text,
				    UINT32_MAX);
		if (field == (char *)&p->cfg->lock_timeout_sec && v->integer > LOCK_TIMEOUT_MAX)
			return fail(p, "%s %.*s is out of range (0 to %u)", key, v->len, v->text,
				    LOCK_TIMEOUT_MAX);
		if ((field == (char *)&p->cfg->registries_connect_timeout_sec ||
		     field == (char *)&p->cfg->registries_stall_timeout_sec ||
		     field == (char *)&p->cfg->registries_total_timeout_sec) &&
		    v->integer > REGISTRY_TIMEOUT_MAX)
			return fail(p, "%s %.*s is out of range (0 to %u)", key, v->len, v->text,
				    REGISTRY_TIMEOUT_MAX);
		*(uint32_t *)field = (uint32_t)v->integer;
		return 0;
	case KEY_PATH:
		if (v->str[0] != '/')
			return fail(p, "%s: '%s' is not an absolute path", key, v->str);
		*(char **)field = strdup(v->str);
		return *(char **)field ? 0 : -ENOMEM;
	case KEY_STRV: {
		int r = check_items(p, key, v->strv);
		char **copy;

		if (r < 0)
			return r;
		if (!v->n_strv) /* [] is the same as no list */
			return 0;
		copy = calloc(v->n_strv + 1, sizeof(char *));
		if (!copy)
			return -ENOMEM;
		for (size_t i = 0; i < v->n_strv; i++)
			if (!(copy[i] = strdup(v->strv[i]))) {
				strv_free(copy);
				return -ENOMEM;
			}
		*(char ***)field = copy;
		return 0;
	}
	}
	return -EINVAL;
}

static int parse_keyval(struct parser *p)
{
	_cleanup_free_ char *key = NULL;
	_cleanup_(value_done) struct value v = { 0 };
	int r;

	r = parse_key(p, &key);
	if (r < 0)
		return r;
	skip_ws(p);
	if (p->p < p->eol && *p->p == '.')
		return fail(p, "dotted keys are not supported; use a [table] header for '%s'", key);
	if (p->p == p->eol || *p->p != '=')
		return fail(p, "expected '=' after key '%s'", key);
	p->p++;
	skip_ws(p);
	r = parse_value(p, key, &v);
	if (r < 0)
		return r;
	if (!at_line_end(p))
		return fail(p, "unexpected text after the value of '%s'", key);
	return apply_key(p, key, &v);
}

/* Called when a table ends: an interface table without xdp_mode says nothing, which is
 * almost certainly a mistake (bpfman's own parser requires the key, too). */
static int finish_table(struct parser *p)
{
	if (p->table == TABLE_INTERFACE && !(p->seen & KEY_BIT_XDP_MODE))
		return fail_at(p, p->hdr_line, "[%.*s] has no xdp_mode", p->hdr_len, p->hdr);
	return 0;
}

/* Adds [interfaces.NAME], taking over name. */
static int open_interface(struct parser *p, char **name)
{
	struct bpfman_config *c = p->cfg;
	struct config_interface *a;

	if (!**name)
		return fail(p, "empty interface name");
	for (size_t i = 0; i < c->n_interfaces; i++)
		if (!strcmp(c->interfaces[i].name, *name))
			return fail(p, "duplicate table [%.*s]", p->hdr_len, p->hdr);
	a = reallocarray(c->interfaces, c->n_interfaces + 1, sizeof(*a));
	if (!a)
		return -ENOMEM;
	c->interfaces = a;
	a[c->n_interfaces++] = (struct config_interface){
		.name = TAKE_PTR(*name),
		.xdp_mode = XDP_MODE_DRV,
	};
	return 0;
}

/* "[a]" or "[a.b]"; p->p is on the '['. The parts are keys, so they may be quoted. */
static int parse_header(struct parser *p)
{
	char *parts[2] = { NULL, NULL };
	size_t n = 0;
	int r;

	r = finish_table(p);
	if (r < 0)
		return r;
	p->p++;
	if (p->p < p->eol && *p->p == '[')
		return fail(p, "arrays of tables ([[...]]) are not supported");
	skip_ws(p);
	p->hdr = p->p;
	for (;;) {
		char *part = NULL;

		r = parse_key(p, &part);
		if (r < 0)
			goto out;
		if (n < ELEMENTSOF(parts))
			parts[n] = part;
		else
			free(part); /* too deep for any table we know; reported below */
		n++;
		p->hdr_len = (int)(p->p - p->hdr);
		skip_ws(p);
		if (p->p == p->eol || *p->p != '.')
			break;
		p->p++;
		skip_ws(p);
	}
	if (p->p == p->eol || *p->p != ']') {
		r = fail(p, "expected ']' to end the table header");
		goto out;
	}
	p->p++;
	if (!at_line_end(p)) {
		r = fail(p, "unexpected text after the table header");
		goto out;
	}

	p->seen = 0;
	p->hdr_line = p->line;
	p->table = n == 1 && !strcmp(parts[0], "interfaces") ? TABLE_INTERFACES :
		   n == 2 && !strcmp(parts[0], "interfaces") ? TABLE_INTERFACE :
		   n == 1 && !strcmp(parts[0], "signing") ? TABLE_SIGNING :
		   n == 1 && !strcmp(parts[0], "database") ? TABLE_DATABASE :
		   n == 1 && !strcmp(parts[0], "dispatcher") ? TABLE_DISPATCHER :
		   n == 1 && !strcmp(parts[0], "registries") ? TABLE_REGISTRIES : TABLE_ROOT;
	if (p->table == TABLE_ROOT)
		r = fail(p, "unknown table [%.*s]", p->hdr_len, p->hdr);
	else if (p->table == TABLE_INTERFACE)
		r = open_interface(p, &parts[1]);
	else if (p->tables_seen & 1u << p->table) /* TOML forbids defining a table twice */
		r = fail(p, "duplicate table [%.*s]", p->hdr_len, p->hdr);
	p->tables_seen |= 1u << p->table;
out:
	free(parts[0]);
	free(parts[1]);
	return r;
}

static int parse_line(struct parser *p, const char *start, const char *eol)
{
	/* TOML allows no control characters but tab anywhere, comments included; this also
	 * catches NUL bytes and a carriage return that is not part of a CRLF. */
	for (const char *s = start; s < eol; s++)
		if (((unsigned char)*s < 0x20 && *s != '\t') || *s == 0x7f)
			return fail(p, "invalid control character 0x%02x", (unsigned char)*s);
	p->p = start;
	p->eol = eol;
	if (at_line_end(p))
		return 0;
	if (*p->p == '[')
		return parse_header(p);
	return parse_keyval(p);
}

void config_init(struct bpfman_config *c)
{
	*c = (struct bpfman_config){
		.signing_allow_unsigned = true,
		.signing_verify_enabled = true,
		.database_max_retries = 10,
		.database_millisec_delay = 1000,
		.lock_timeout_sec = 30,
	};
}

/* Also resets c to defaults, so it can be reused or parsed into again. */
void config_free(struct bpfman_config *c)
{
	for (size_t i = 0; i < c->n_interfaces; i++)
		free(c->interfaces[i].name);
	free(c->interfaces);
	for (size_t i = 0; c->signing_trusted_keys && c->signing_trusted_keys[i]; i++)
		free(c->signing_trusted_keys[i]);
	free(c->signing_trusted_keys);
	for (size_t i = 0; c->registries_insecure && c->registries_insecure[i]; i++)
		free(c->registries_insecure[i]);
	free(c->registries_insecure);
	free(c->registries_ca_file);
	free(c->registries_auth_file);
	config_init(c);
}

int config_parse(struct bpfman_config *c, const char *text, size_t len, char **ret_err)
{
	struct bpfman_config tmp;
	struct parser p = { .cfg = &tmp, .err = ret_err, .table = TABLE_ROOT };
	const char *s, *end;
	int r = 0;

	if (!text)
		text = "", len = 0;
	s = text;
	end = text + len;
	if (ret_err)
		*ret_err = NULL;
	config_init(&tmp);
	/* Editors on some systems start UTF-8 files with a byte order mark; it is not content. */
	if (end - s >= 3 && !memcmp(s, "\xef\xbb\xbf", 3))
		s += 3;
	while (s < end && r >= 0) {
		const char *nl = memchr(s, '\n', end - s);
		const char *eol = nl ? nl : end;

		if (eol > s && eol[-1] == '\r') /* CRLF is a TOML newline, too */
			eol--;
		p.line++;
		r = parse_line(&p, s, eol);
		s = nl ? nl + 1 : end;
	}
	if (r >= 0)
		r = finish_table(&p);

	config_free(c);
	if (r < 0) {
		config_free(&tmp);
		return r;
	}
	*c = tmp;
	return 0;
}

/* The whole file; CONFIG_MAX_SIZE keeps a wrong path (/dev/zero) from eating memory. */
static int read_file(const char *path, char **ret, size_t *ret_len)
{
	_cleanup_close_ int fd = -EBADF;
	_cleanup_free_ char *buf = NULL;
	size_t len = 0, size = 0;
	ssize_t n = 1;

	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return -errno;
	while (n != 0) {
		if (len == size) {
			char *b;

			if (size >= CONFIG_MAX_SIZE)
				return -EFBIG;
			size = size ? size * 2 : 4096;
			b = realloc(buf, size);
			if (!b)
				return -ENOMEM;
			buf = b;
		}
		n = read(fd, buf + len, size - len);
		if (n < 0 && errno != EINTR)
			return -errno;
		if (n > 0)
			len += (size_t)n;
	}
	*ret = TAKE_PTR(buf);
	*ret_len = len;
	return 0;
}

int config_load(struct bpfman_config *c, const char *path, char **ret_err)
{
	_cleanup_free_ char *buf = NULL, *err = NULL;
	size_t len = 0;
	int r;

	if (ret_err)
		*ret_err = NULL;
	r = read_file(path, &buf, &len);
	if (r < 0) {
		config_free(c);
		return r == -ENOENT ? 0 : r;
	}
	r = config_parse(c, buf, len, ret_err ? &err : NULL);
	if (r < 0 && err && asprintf(ret_err, "%s: %s", path, err) < 0) {
		*ret_err = NULL;
		return -ENOMEM;
	}
	return r;
}

enum xdp_mode config_xdp_mode(const struct bpfman_config *c, const char *ifname)
{
	for (size_t i = 0; c && ifname && i < c->n_interfaces; i++)
		if (!strcmp(c->interfaces[i].name, ifname))
			return c->interfaces[i].xdp_mode;
	return XDP_MODE_DRV;
}

const char *xdp_mode_to_string(enum xdp_mode m)
{
	if ((size_t)m >= ELEMENTSOF(xdp_mode_names))
		return "unknown";
	return xdp_mode_names[m];
}
