/* Request checks and defaults: the one place that says what a load or attach request may
 * hold. Nothing here touches the kernel, the bpffs or the database. */
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "validate.h"

static int refuse(char *err, size_t len, int r, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static int refuse(char *err, size_t len, int r, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, len, fmt, ap);
	va_end(ap);
	return r;
}

bool utf8_valid(const char *str)
{
	const unsigned char *s = (const unsigned char *)str;

	while (*s) {
		unsigned c = *s, n;
		uint32_t cp;

		if (c < 0x80) {
			s++;
			continue;
		}
		if (c >= 0xc2 && c <= 0xdf)
			n = 1, cp = c & 0x1f;
		else if (c >= 0xe0 && c <= 0xef)
			n = 2, cp = c & 0x0f;
		else if (c >= 0xf0 && c <= 0xf4)
			n = 3, cp = c & 0x07;
		else
			return false; /* a continuation byte first, 0xc0/0xc1 (overlong), > 0xf4 */
		for (unsigned i = 1; i <= n; i++) {
			if ((s[i] & 0xc0) != 0x80)
				return false; /* also stops at the terminating NUL */
			cp = cp << 6 | (s[i] & 0x3f);
		}
		if ((n == 2 && cp < 0x800) || (n == 3 && cp < 0x10000) || cp > 0x10ffff ||
		    (cp >= 0xd800 && cp <= 0xdfff))
			return false;
		s += n + 1;
	}
	return true;
}

/* A string field that may be absent (NULL) but, when given, must be text. */
static int check_text(const char *s, const char *field, char *err, size_t len)
{
	if (s && !utf8_valid(s))
		return refuse(err, len, -EINVAL, "%s is not valid UTF-8", field);
	return 0;
}

static int check_metadata(const struct kv_list *l, char *err, size_t len)
{
	for (size_t i = 0; l && i < l->n; i++) {
		const char *k = l->items[i].key, *v = l->items[i].value;

		if (!k || !*k)
			return refuse(err, len, -EINVAL, "metadata key %zu is empty", i + 1);
		if (!utf8_valid(k))
			return refuse(err, len, -EINVAL, "metadata key %zu is not valid UTF-8", i + 1);
		if (strchr(k, '='))
			return refuse(err, len, -EINVAL,
				      "metadata key '%s' contains '=' (KEY=VALUE pairs cannot hold it)", k);
		if (!v || !utf8_valid(v))
			return refuse(err, len, -EINVAL, "metadata value of '%s' is not valid UTF-8", k);
	}
	return 0;
}

static bool needs_target(enum bpfman_prog_type t)
{
	return t == BPFMAN_PROG_FENTRY || t == BPFMAN_PROG_FEXIT || t == BPFMAN_PROG_LSM;
}

int validate_load(const struct bpfman_load_opts *o, char *err, size_t len)
{
	int r;

	if (o->image_url) {
		if (o->path)
			return refuse(err, len, -EINVAL,
				      "both an object file and an image given: name one");
		if (!*o->image_url)
			return refuse(err, len, -EINVAL, "the image URL is empty");
		r = check_text(o->image_url, "the image URL", err, len);
		if (r < 0)
			return r;
		if (o->pull_policy < 0 || o->pull_policy > 2)
			return refuse(err, len, -EINVAL,
				      "invalid pull policy %d (0 Always, 1 IfNotPresent, 2 Never)",
				      o->pull_policy);
	} else {
		if (!o->path || !*o->path)
			return refuse(err, len, -EINVAL, "no object file given");
		r = check_text(o->path, "the object file path", err, len);
		if (r < 0)
			return r;
	}
	if (o->n_progs == 0)
		return refuse(err, len, -EINVAL, "no program to load: name at least one TYPE:FUNCTION");
	for (size_t i = 0; i < o->n_progs; i++) {
		const struct bpfman_prog_request *p = &o->progs[i];

		if ((unsigned)p->type >= _BPFMAN_PROG_TYPE_MAX)
			return refuse(err, len, -EINVAL, "invalid program type %d", p->type);
		if (!p->name || !*p->name)
			return refuse(err, len, -EINVAL, "program %zu has no function name", i + 1);
		if (!utf8_valid(p->name))
			return refuse(err, len, -EINVAL,
				      "the function name of program %zu is not valid UTF-8", i + 1);
		if (p->attach_fn && !utf8_valid(p->attach_fn))
			return refuse(err, len, -EINVAL,
				      "the attach target of '%s' is not valid UTF-8", p->name);
		if (needs_target(p->type) && (!p->attach_fn || !*p->attach_fn))
			return refuse(err, len, -EINVAL,
				      "%s program '%s' needs its %s at load time (CLI: %s:%s:TARGET; API: LoadInfo.info)",
				      bpfman_prog_type_to_string(p->type), p->name,
				      p->type == BPFMAN_PROG_LSM ? "hook name" : "target function",
				      bpfman_prog_type_to_string(p->type), p->name);
		for (size_t j = 0; j < i; j++) /* at most a few dozen programs */
			if (strcmp(o->progs[j].name, p->name) == 0)
				return refuse(err, len, -EINVAL, "function '%s' is named twice", p->name);
	}
	for (size_t i = 0; i < o->n_globals; i++) {
		const struct bpfman_global *g = &o->globals[i];

		if (!g->name || !*g->name)
			return refuse(err, len, -EINVAL, "global data name %zu is empty", i + 1);
		if (!utf8_valid(g->name))
			return refuse(err, len, -EINVAL, "global data name %zu is not valid UTF-8",
				      i + 1);
		for (size_t j = 0; j < i; j++)
			if (strcmp(o->globals[j].name, g->name) == 0)
				return refuse(err, len, -EINVAL, "global '%s' is given twice", g->name);
	}
	return check_metadata(o->metadata, err, len);
}

static bool has_hook_priority(enum bpfman_prog_type t)
{
	return t == BPFMAN_PROG_XDP || t == BPFMAN_PROG_TC || t == BPFMAN_PROG_TCX;
}

int validate_attach(const struct bpfman_attach_opts *o, struct bpfman_attach_opts *ret, char *err,
		    size_t len)
{
	static const struct {
		size_t off;
		const char *field;
	} texts[] = {
		{ offsetof(struct bpfman_attach_opts, iface), "the interface name" },
		{ offsetof(struct bpfman_attach_opts, netns), "the netns path" },
		{ offsetof(struct bpfman_attach_opts, tracepoint), "the tracepoint" },
		{ offsetof(struct bpfman_attach_opts, fn_name), "the function name" },
		{ offsetof(struct bpfman_attach_opts, target), "the target" },
	};
	int r;

	for (size_t i = 0; i < sizeof(texts) / sizeof(texts[0]); i++) {
		r = check_text(*(const char *const *)((const char *)o + texts[i].off),
			       texts[i].field, err, len);
		if (r < 0)
			return r;
	}
	if (o->has_priority &&
	    (o->priority < BPFMAN_PRIORITY_MIN || o->priority > BPFMAN_PRIORITY_MAX))
		return refuse(err, len, -EINVAL, "invalid priority %d: expected %d to %d",
			      o->priority, BPFMAN_PRIORITY_MIN, BPFMAN_PRIORITY_MAX);
	if (o->n_proceed_on && o->type != BPFMAN_PROG_XDP && o->type != BPFMAN_PROG_TC)
		return refuse(err, len, -EINVAL, "proceed-on applies to xdp and tc only");
	if (o->n_proceed_on > BPFMAN_MAX_PROCEED_ON)
		return refuse(err, len, -EINVAL, "%zu proceed-on values: at most %d",
			      o->n_proceed_on, BPFMAN_MAX_PROCEED_ON);
	for (size_t i = 0; i < o->n_proceed_on; i++)
		if (!bpfman_proceed_on_to_string(o->type, o->proceed_on[i]))
			return refuse(err, len, -EINVAL, "invalid proceed-on value %d for %s",
				      o->proceed_on[i], bpfman_prog_type_to_string(o->type));
	/* "" is no namespace file; it must not quietly mean the host's */
	if (o->netns && !*o->netns)
		return refuse(err, len, -EINVAL,
			      "the netns path is empty: give the path of a network namespace file");
	if (o->offset > INT64_MAX)
		return refuse(err, len, -EINVAL, "invalid offset %llu: at most %lld",
			      (unsigned long long)o->offset, (long long)INT64_MAX);
	if (o->pid < 0)
		return refuse(err, len, -EINVAL, "invalid pid %d: expected a process id", o->pid);
	if (o->container_pid < 0)
		return refuse(err, len, -EINVAL, "invalid container pid %d: expected a process id",
			      o->container_pid);
	r = check_metadata(o->metadata, err, len);
	if (r < 0)
		return r;
	*ret = *o;
	if (has_hook_priority(o->type) && !o->has_priority) {
		ret->priority = BPFMAN_PRIORITY_DEFAULT;
		ret->has_priority = true;
	}
	return 0;
}
