/* One ClusterBpfApplication / BpfApplication document -> struct app_decl, with the CRD's
 * validation (schema and CEL rules of bpfman-operator v0.6 / main) and its defaults. Field
 * tables: docs/apply.md "File format". Checks the CRD leaves to the agent (duplicate program
 * names) or that the agent gets wrong (`primaryNodeInterface: false` acting as true) are
 * errors here, so the file says what happens. */
#include <ctype.h>
#include <errno.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "app-yaml.h"

#define NAME_MAX_LEN 64

static const char *const type_names[] = { "XDP",    "TC",        "TCX",    "FEntry",
					   "FExit",  "KProbe",    "KRetProbe", "UProbe",
					   "URetProbe", "TracePoint", NULL };
/* the member holding each type's settings, in enum app_prog_type order */
static const char *const members[] = { "xdp",    "tc",        "tcx",    "fentry",
				       "fexit",  "kprobe",    "kretprobe", "uprobe",
				       "uretprobe", "tracepoint", NULL };
static const char *const ns_type_names[] = { "XDP", "TC", "TCX", "UProbe", "URetProbe", NULL };
static const enum app_prog_type ns_types[] = { APP_XDP, APP_TC, APP_TCX, APP_UPROBE,
					       APP_URETPROBE };

/* proceedOn as the CRD spells it, with the values of the contract's table 4.1 */
static const char *const xdp_proceed[] = { "Aborted", "Drop", "Pass", "TX", "ReDirect",
					   "DispatcherReturn", NULL };
static const int32_t xdp_proceed_val[] = { 0, 1, 2, 3, 4, 31 };
static const char *const tc_proceed[] = { "UnSpec", "OK",     "ReClassify", "Shot",
					  "Pipe",   "Stolen", "Queued",     "Repeat",
					  "ReDirect", "Trap", "DispatcherReturn", NULL };
static const int32_t tc_proceed_val[] = { -1, 0, 1, 2, 3, 4, 5, 6, 7, 8, 30 };

/* `^[a-zA-Z][a-zA-Z0-9_]+.` (unanchored at the end, so: three characters at least, the
 * first two constrained) and 1..64 long, as the CRD validates names and functions. */
static int check_name(struct yctx *c, yaml_node_t *n, const char *path, const char *s)
{
	size_t len = strlen(s);

	if (len < 1 || len > NAME_MAX_LEN)
		return yfail(c, n, path, "must be 1..%d characters (got %zu)", NAME_MAX_LEN, len);
	if (len < 3 || !isalpha((unsigned char)s[0]) ||
	    !(isalnum((unsigned char)s[1]) || s[1] == '_'))
		return yfail(c, n, path,
			     "must match ^[a-zA-Z][a-zA-Z0-9_]+. (a letter, a letter, digit or _, then at least one more character; got \"%s\")",
			     s);
	return 0;
}

static int get_name(struct yctx *c, yaml_node_t *n, const char *path, char **ret)
{
	int r = ystrdup(c, n, path, ret);

	return r < 0 ? r : check_name(c, n, path, *ret);
}

static int required(struct yctx *c, yaml_node_t *map, const char *path, const char *key,
		    yaml_node_t **ret)
{
	char sub[YPATH_MAX];

	*ret = yget(c, map, key);
	if (*ret)
		return 0;
	ypath_key(sub, path, key);
	return yfail(c, map, sub, "required");
}

/* RFC 1123 subdomain (max 253) or, label_only, label (max 63): Kubernetes object names. */
static bool dns_name(const char *s, bool label_only)
{
	size_t len = strlen(s), seg = 0;

	if (len == 0 || len > (label_only ? 63u : 253u))
		return false;
	for (size_t i = 0; i < len; i++) {
		char ch = s[i];
		bool alnum = (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9');

		if (ch == '.' && !label_only) {
			if (seg == 0 || s[i - 1] == '-')
				return false;
			seg = 0;
			continue;
		}
		if (!alnum && ch != '-')
			return false;
		if (ch == '-' && seg == 0)
			return false;
		seg++;
	}
	return s[len - 1] != '-' && s[len - 1] != '.';
}

/* ---- selectors ---- */

static int label_selector(struct yctx *c, yaml_node_t *n, const char *path)
{
	static const char *const known[] = { "matchLabels", "matchExpressions", NULL };
	static const char *const expr_known[] = { "key", "operator", "values", NULL };
	static const char *const ops[] = { "In", "NotIn", "Exists", "DoesNotExist", NULL };
	char sub[YPATH_MAX], item[YPATH_MAX], f[YPATH_MAX];
	yaml_node_item_t *items;
	yaml_node_t *v;
	size_t count;
	int r;

	if (ymap_check(c, n, path, known) < 0)
		return -EINVAL;
	ypath_key(sub, path, "matchLabels");
	if ((v = yget(c, n, "matchLabels")) && ymap_strings(c, v, sub, APP_YAML_MAX_ENTRIES) < 0)
		return -EINVAL;
	ypath_key(sub, path, "matchExpressions");
	if (!(v = yget(c, n, "matchExpressions")))
		return 0;
	if (yseq(c, v, sub, &items, &count) < 0)
		return -EINVAL;
	for (size_t i = 0; i < count; i++) {
		yaml_node_t *e = ynode(c, items[i]), *k;
		const char *s;
		char **values = NULL;
		int op;

		ypath_idx(item, sub, i);
		if (ymap_check(c, e, item, expr_known) < 0 || required(c, e, item, "key", &k) < 0)
			return -EINVAL;
		ypath_key(f, item, "key");
		if (ystr(c, k, f, &s) < 0 || required(c, e, item, "operator", &k) < 0)
			return -EINVAL;
		ypath_key(f, item, "operator");
		if (yenum(c, k, f, ops, &op) < 0)
			return -EINVAL;
		ypath_key(f, item, "values");
		if ((k = yget(c, e, "values"))) {
			r = ystrv(c, k, f, &values);
			strv_free_(values);
			if (r < 0)
				return r;
		}
	}
	return 0;
}

static int ifname_ok(const char *s)
{
	/* the kernel's dev_valid_name() */
	if (!*s || strlen(s) >= 16 || !strcmp(s, ".") || !strcmp(s, ".."))
		return false;
	for (; *s; s++)
		if (*s == '/' || *s == ':' || isspace((unsigned char)*s))
			return false;
	return true;
}

static int iface_list(struct yctx *c, yaml_node_t *n, const char *path, char ***ret)
{
	char sub[YPATH_MAX];
	int r = ystrv(c, n, path, ret);

	if (r < 0)
		return r;
	for (size_t i = 0; (*ret)[i]; i++)
		if (!ifname_ok((*ret)[i])) {
			ypath_idx(sub, path, i);
			return yfail(c, ynode(c, n->data.sequence.items.start[i]), sub,
				     "not an interface name (1..15 characters, no '/', ':' or space; got \"%s\")",
				     (*ret)[i]);
		}
	return 0;
}

static int discovery(struct yctx *c, yaml_node_t *n, const char *path,
		     struct app_iface_selector *sel)
{
	static const char *const known[] = { "interfaceAutoDiscovery", "excludeInterfaces",
					     "allowedInterfaces", NULL };
	char sub[YPATH_MAX];
	yaml_node_t *v;
	int r;

	if (ymap_check(c, n, path, known) < 0)
		return -EINVAL;
	ypath_key(sub, path, "interfaceAutoDiscovery");
	v = yget(c, n, "interfaceAutoDiscovery");
	if (v && ybool(c, v, sub, &sel->auto_discovery) < 0)
		return -EINVAL;
	if (!sel->auto_discovery)
		return yfail(c, v ? v : n, sub,
			     "must be true: without it this selector names no interface");
	ypath_key(sub, path, "excludeInterfaces");
	if ((v = yget(c, n, "excludeInterfaces"))) {
		if ((r = ystrv(c, v, sub, &sel->exclude)) < 0)
			return r;
	} else {
		sel->exclude = calloc(2, sizeof(char *));
		if (!sel->exclude || !(sel->exclude[0] = strdup("lo")))
			return -ENOMEM;
	}
	ypath_key(sub, path, "allowedInterfaces");
	if ((v = yget(c, n, "allowedInterfaces"))) {
		if ((r = ystrv(c, v, sub, &sel->allowed)) < 0)
			return r;
		if (!sel->allowed[0]) { /* empty = every interface: the model's NULL */
			free(sel->allowed);
			sel->allowed = NULL;
			return 0;
		}
		for (size_t i = 0; sel->allowed[i]; i++) {
			const char *a = sel->allowed[i];
			size_t len = strlen(a);
			char item[YPATH_MAX], *re;
			regex_t rx;

			if (len < 2 || a[0] != '/' || a[len - 1] != '/')
				continue; /* an exact name */
			re = strndup(a + 1, len - 2);
			if (!re)
				return -ENOMEM;
			r = regcomp(&rx, re, REG_EXTENDED | REG_NOSUB);
			free(re);
			if (r != 0) {
				ypath_idx(item, sub, i);
				return yfail(c, ynode(c, v->data.sequence.items.start[i]), item,
					     "not a valid regular expression (POSIX extended): %s", a);
			}
			regfree(&rx);
		}
	}
	return 0;
}

static int iface_selector(struct yctx *c, yaml_node_t *n, const char *path,
			  struct app_iface_selector *sel)
{
	static const char *const known[] = { "interfaces", "primaryNodeInterface",
					     "interfacesDiscoveryConfig", NULL };
	char sub[YPATH_MAX];
	yaml_node_t *v;
	int given = 0;

	if (ymap_check(c, n, path, known) < 0)
		return -EINVAL;
	for (int i = 0; known[i]; i++)
		given += yget(c, n, known[i]) != NULL;
	if (given != 1)
		return yfail(c, n, path,
			     "must have exactly one of interfaces, primaryNodeInterface, interfacesDiscoveryConfig (got %d)",
			     given);
	if ((v = yget(c, n, "interfaces"))) {
		ypath_key(sub, path, "interfaces");
		if (iface_list(c, v, sub, &sel->interfaces) < 0)
			return -EINVAL;
		if (!sel->interfaces[0])
			return yfail(c, v, sub, "must name at least one interface");
		return 0;
	}
	if ((v = yget(c, n, "primaryNodeInterface"))) {
		ypath_key(sub, path, "primaryNodeInterface");
		if (ybool(c, v, sub, &sel->primary_node_interface) < 0)
			return -EINVAL;
		if (!sel->primary_node_interface)
			return yfail(c, v, sub,
				     "must be true (the operator's agent treats false as true; remove the link instead)");
		return 0;
	}
	ypath_key(sub, path, "interfacesDiscoveryConfig");
	return discovery(c, yget(c, n, "interfacesDiscoveryConfig"), sub, sel);
}

/* `^(/[^/\0]+)+/?$`: absolute, no empty component */
static bool abs_path_ok(const char *s)
{
	if (s[0] != '/' || s[1] == '\0' || s[1] == '/')
		return false;
	for (const char *p = s + 1; *p; p++)
		if (p[0] == '/' && p[1] == '/')
			return false;
	return true;
}

static int netns_selector(struct yctx *c, yaml_node_t *n, const char *path, struct app_link *l)
{
	static const char *const cluster_known[] = { "namespace", "pods", NULL };
	static const char *const ns_known[] = { "pods", NULL };
	char sub[YPATH_MAX], lab[YPATH_MAX];
	yaml_node_t *pods, *labels, *v;
	const char *s;

	if (ymap_check(c, n, path, c->cluster ? cluster_known : ns_known) < 0)
		return -EINVAL;
	ypath_key(sub, path, "namespace");
	if ((v = yget(c, n, "namespace")) && ystr(c, v, sub, &s) < 0)
		return -EINVAL;
	if (required(c, n, path, "pods", &pods) < 0)
		return -EINVAL;
	ypath_key(sub, path, "pods");
	if (label_selector(c, pods, sub) < 0)
		return -EINVAL;
	labels = yget(c, pods, "matchLabels");
	v = labels ? yget(c, labels, APP_NETNS_LABEL) : NULL;
	if (!v) {
		l->netns_pods = true; /* Kubernetes pods: the host reconciler reports it */
		return 0;
	}
	ypath_key(lab, sub, "matchLabels");
	ypath_key(sub, lab, APP_NETNS_LABEL);
	if (ystr(c, v, sub, &s) < 0)
		return -EINVAL;
	if (s[0] == '/') {
		if (!abs_path_ok(s))
			return yfail(c, v, sub, "not a valid absolute path (got \"%s\")", s);
		l->netns = strdup(s);
	} else {
		if (!*s || strchr(s, '/') || !strcmp(s, ".") || !strcmp(s, "..") || strlen(s) > 255)
			return yfail(c, v, sub,
				     "must be the name of a network namespace in " APP_NETNS_DIR
				     " or an absolute path (got \"%s\")",
				     s);
		if (asprintf(&l->netns, "%s/%s", APP_NETNS_DIR, s) < 0)
			l->netns = NULL;
	}
	return l->netns ? 0 : -ENOMEM;
}

static int containers_selector(struct yctx *c, yaml_node_t *n, const char *path)
{
	static const char *const cluster_known[] = { "namespace", "pods", "containerNames",
						      NULL };
	static const char *const ns_known[] = { "pods", "containerNames", NULL };
	char sub[YPATH_MAX];
	char **names = NULL;
	yaml_node_t *v;
	const char *s;
	int r;

	if (ymap_check(c, n, path, c->cluster ? cluster_known : ns_known) < 0)
		return -EINVAL;
	ypath_key(sub, path, "namespace");
	if ((v = yget(c, n, "namespace")) && ystr(c, v, sub, &s) < 0)
		return -EINVAL;
	if (required(c, n, path, "pods", &v) < 0)
		return -EINVAL;
	ypath_key(sub, path, "pods");
	if (label_selector(c, v, sub) < 0)
		return -EINVAL;
	ypath_key(sub, path, "containerNames");
	if ((v = yget(c, n, "containerNames"))) {
		r = ystrv(c, v, sub, &names);
		strv_free_(names);
		if (r < 0)
			return r;
	}
	return 0;
}

/* ---- links ---- */

static int proceed_on(struct yctx *c, yaml_node_t *n, const char *path, enum app_prog_type t,
		      struct app_link *l)
{
	const char *const *names = t == APP_XDP ? xdp_proceed : tc_proceed;
	const int32_t *vals = t == APP_XDP ? xdp_proceed_val : tc_proceed_val;
	char sub[YPATH_MAX];
	yaml_node_item_t *items;
	size_t count;

	if (yseq(c, n, path, &items, &count) < 0)
		return -EINVAL;
	if (count > 32)
		return yfail(c, n, path, "at most 32 entries (got %zu)", count);
	l->proceed_on = calloc(count ? count : 1, sizeof(int32_t));
	if (!l->proceed_on)
		return -ENOMEM;
	for (size_t i = 0; i < count; i++) {
		int idx;

		ypath_idx(sub, path, i);
		if (yenum(c, ynode(c, items[i]), sub, names, &idx) < 0)
			return -EINVAL;
		l->proceed_on[i] = vals[idx];
	}
	l->n_proceed_on = count;
	return 0;
}

static int net_link(struct yctx *c, yaml_node_t *n, const char *path, enum app_prog_type t,
		    struct app_link *l)
{
	static const char *const xdp_known[] = { "interfaceSelector", "networkNamespaces",
						 "priority", "proceedOn", NULL };
	static const char *const tc_known[] = { "interfaceSelector", "networkNamespaces",
						"priority", "proceedOn", "direction", NULL };
	static const char *const tcx_known[] = { "interfaceSelector", "networkNamespaces",
						 "priority", "direction", NULL };
	static const char *const dirs[] = { "Ingress", "Egress", NULL };
	char sub[YPATH_MAX];
	yaml_node_t *v;
	int64_t prio;
	int dir;

	if (ymap_check(c, n, path, t == APP_XDP ? xdp_known : t == APP_TC ? tc_known : tcx_known) <
	    0)
		return -EINVAL;
	if (required(c, n, path, "interfaceSelector", &v) < 0)
		return -EINVAL;
	ypath_key(sub, path, "interfaceSelector");
	if (iface_selector(c, v, sub, &l->ifaces) < 0)
		return -EINVAL;
	if (t != APP_XDP) {
		if (required(c, n, path, "direction", &v) < 0)
			return -EINVAL;
		ypath_key(sub, path, "direction");
		if (yenum(c, v, sub, dirs, &dir) < 0)
			return -EINVAL;
		l->direction = dir == 0 ? BPFMAN_DIR_INGRESS : BPFMAN_DIR_EGRESS;
	}
	l->priority = 1000; /* the agent's value when absent */
	ypath_key(sub, path, "priority");
	if ((v = yget(c, n, "priority"))) {
		if (yint(c, v, sub, 0, 1000, &prio) < 0)
			return -EINVAL;
		l->priority = (int32_t)prio;
	}
	ypath_key(sub, path, "proceedOn");
	if ((v = yget(c, n, "proceedOn")) && proceed_on(c, v, sub, t, l) < 0)
		return -EINVAL;
	ypath_key(sub, path, "networkNamespaces");
	if ((v = yget(c, n, "networkNamespaces")))
		return netns_selector(c, v, sub, l);
	if (!c->cluster)
		return yfail(c, n, sub, "required");
	return 0;
}

static int probe_link(struct yctx *c, yaml_node_t *n, const char *path, enum app_prog_type t,
		      struct app_link *l)
{
	static const char *const kprobe_known[] = { "function", "offset", NULL };
	static const char *const kretprobe_known[] = { "function", NULL };
	static const char *const uprobe_cluster[] = { "function", "offset", "target", "pid",
						      "containers", NULL };
	static const char *const uprobe_ns[] = { "function", "offset", "target", "pid",
						 "containers", NULL };
	bool uprobe = t == APP_UPROBE || t == APP_URETPROBE;
	char sub[YPATH_MAX];
	yaml_node_t *v;
	int64_t x;

	if (ymap_check(c, n, path,
		       uprobe ? (c->cluster ? uprobe_cluster : uprobe_ns)
		       : t == APP_KPROBE ? kprobe_known
					 : kretprobe_known) < 0)
		return -EINVAL;
	ypath_key(sub, path, "function");
	v = yget(c, n, "function");
	if (!v && !uprobe)
		return yfail(c, n, sub, "required");
	if (v && get_name(c, v, sub, &l->function) < 0)
		return -EINVAL;
	ypath_key(sub, path, "offset");
	if ((v = yget(c, n, "offset"))) {
		if (yint(c, v, sub, 0, INT64_MAX, &x) < 0)
			return -EINVAL;
		l->offset = (uint64_t)x;
	}
	if (!uprobe)
		return 0;
	if (required(c, n, path, "target", &v) < 0)
		return -EINVAL;
	ypath_key(sub, path, "target");
	if (ystrdup(c, v, sub, &l->target) < 0)
		return -EINVAL;
	if (!*l->target)
		return yfail(c, v, sub, "must not be empty");
	ypath_key(sub, path, "pid");
	if ((v = yget(c, n, "pid"))) {
		if (yint(c, v, sub, 0, INT32_MAX, &x) < 0)
			return -EINVAL;
		l->pid = (int32_t)x;
	}
	ypath_key(sub, path, "containers");
	if ((v = yget(c, n, "containers"))) {
		l->containers = true;
		return containers_selector(c, v, sub);
	}
	if (!c->cluster)
		return yfail(c, n, sub, "required");
	return 0;
}

static int tracepoint_link(struct yctx *c, yaml_node_t *n, const char *path, struct app_link *l)
{
	static const char *const known[] = { "name", NULL };
	char sub[YPATH_MAX];
	yaml_node_t *v;
	const char *slash;

	if (ymap_check(c, n, path, known) < 0 || required(c, n, path, "name", &v) < 0)
		return -EINVAL;
	ypath_key(sub, path, "name");
	if (get_name(c, v, sub, &l->tracepoint) < 0)
		return -EINVAL;
	slash = strchr(l->tracepoint, '/');
	if (!slash || slash == l->tracepoint || !slash[1] || strchr(slash + 1, '/'))
		return yfail(c, v, sub, "must be CATEGORY/NAME (got \"%s\")", l->tracepoint);
	return 0;
}

static int attach_link(struct yctx *c, yaml_node_t *n, const char *path)
{
	static const char *const known[] = { "mode", NULL };
	static const char *const modes[] = { "Attach", NULL };
	char sub[YPATH_MAX];
	yaml_node_t *v;
	int mode;

	if (ymap_check(c, n, path, known) < 0 || required(c, n, path, "mode", &v) < 0)
		return -EINVAL;
	ypath_key(sub, path, "mode");
	return yenum(c, v, sub, modes, &mode);
}

/* ---- programs ---- */

static int member(struct yctx *c, yaml_node_t *n, const char *path, struct app_program *p)
{
	static const char *const links_only[] = { "links", NULL };
	static const char *const fn_links[] = { "function", "links", NULL };
	bool tracing = p->type == APP_FENTRY || p->type == APP_FEXIT;
	char sub[YPATH_MAX], item[YPATH_MAX];
	yaml_node_item_t *items;
	yaml_node_t *v;
	size_t count;
	int r;

	if (ymap_check(c, n, path, tracing ? fn_links : links_only) < 0)
		return -EINVAL;
	if (tracing) {
		if (required(c, n, path, "function", &v) < 0)
			return -EINVAL;
		ypath_key(sub, path, "function");
		if (get_name(c, v, sub, &p->attach_fn) < 0)
			return -EINVAL;
	}
	ypath_key(sub, path, "links");
	if (!(v = yget(c, n, "links")))
		return 0; /* loaded, not attached */
	if (yseq(c, v, sub, &items, &count) < 0)
		return -EINVAL;
	if (tracing && count > 1)
		return yfail(c, v, sub, "at most 1 entry (got %zu)", count);
	p->links = calloc(count ? count : 1, sizeof(*p->links));
	if (!p->links)
		return -ENOMEM;
	for (size_t i = 0; i < count; i++) {
		yaml_node_t *ln = ynode(c, items[i]);
		struct app_link *l = &p->links[i];

		p->n_links = i + 1;
		l->line = yline(ln);
		ypath_idx(item, sub, i);
		switch (p->type) {
		case APP_XDP:
		case APP_TC:
		case APP_TCX:
			r = net_link(c, ln, item, p->type, l);
			break;
		case APP_KPROBE:
		case APP_KRETPROBE:
		case APP_UPROBE:
		case APP_URETPROBE:
			r = probe_link(c, ln, item, p->type, l);
			break;
		case APP_TRACEPOINT:
			r = tracepoint_link(c, ln, item, l);
			break;
		default:
			r = attach_link(c, ln, item);
			break;
		}
		if (r < 0)
			return r;
	}
	return 0;
}

static int program(struct yctx *c, yaml_node_t *n, const char *path, struct app_program *p)
{
	static const char *const cluster_known[] = { "name",   "type",      "xdp",    "tc",
						     "tcx",    "fentry",    "fexit",  "kprobe",
						     "kretprobe", "uprobe", "uretprobe",
						     "tracepoint", NULL };
	static const char *const ns_known[] = { "name", "type", "xdp", "tc", "tcx", "uprobe",
						"uretprobe", NULL };
	char sub[YPATH_MAX];
	yaml_node_t *v;
	int t;

	p->line = yline(n);
	if (ymap_check(c, n, path, c->cluster ? cluster_known : ns_known) < 0)
		return -EINVAL;
	if (required(c, n, path, "name", &v) < 0)
		return -EINVAL;
	ypath_key(sub, path, "name");
	if (get_name(c, v, sub, &p->name) < 0)
		return -EINVAL;
	if (required(c, n, path, "type", &v) < 0)
		return -EINVAL;
	ypath_key(sub, path, "type");
	if (yenum(c, v, sub, c->cluster ? type_names : ns_type_names, &t) < 0)
		return -EINVAL;
	p->type = c->cluster ? (enum app_prog_type)t : ns_types[t];
	/* the CRD's CEL rules, one per member, with their messages */
	for (int i = 0; members[i]; i++) {
		bool has = yget(c, n, members[i]) != NULL;
		/* the namespaced CRD spells this one message with the type's name */
		const char *shown = !c->cluster && i == APP_TCX ? "TCX" : members[i];

		if (has != (i == (int)p->type))
			return yfail(c, n, path,
				     "%s configuration is required when type is %s, and forbidden otherwise",
				     members[i], shown);
	}
	ypath_key(sub, path, members[p->type]);
	return member(c, yget(c, n, members[p->type]), sub, p);
}

/* ---- spec ---- */

static int base64_decode(const char *s, uint8_t **ret, size_t *ret_len)
{
	size_t len = strlen(s), pad = 0;
	uint8_t *out;
	int n;

	/* the standard alphabet with padding (Go's encoding of []byte), checked here because
	 * EVP_DecodeBlock skips blanks and does not report the padding */
	if (len % 4)
		return -EINVAL;
	while (pad < 2 && pad < len && s[len - 1 - pad] == '=')
		pad++;
	for (size_t i = 0; i < len - pad; i++)
		if (!(isalnum((unsigned char)s[i]) || s[i] == '+' || s[i] == '/'))
			return -EINVAL;
	out = malloc(len / 4 * 3 + 1);
	if (!out)
		return -ENOMEM;
	n = len ? EVP_DecodeBlock(out, (const unsigned char *)s, (int)len) : 0;
	if (n < 0 || (size_t)n < pad) {
		free(out);
		return -EINVAL;
	}
	*ret = out;
	*ret_len = (size_t)n - pad;
	return 0;
}

static int global_data(struct yctx *c, yaml_node_t *n, const char *path, struct app_decl *d)
{
	char sub[YPATH_MAX], item[YPATH_MAX];
	yaml_node_pair_t *p, *q;
	size_t count;

	if (ykind_of(n) != Y_MAP)
		return yfail(c, n, path, "must be a mapping (got %s)", ykind_name(ykind_of(n)));
	count = n->data.mapping.pairs.top - n->data.mapping.pairs.start;
	if (count > APP_YAML_MAX_ENTRIES)
		return yfail(c, n, path, "more than %d entries", APP_YAML_MAX_ENTRIES);
	d->globals = calloc(count ? count : 1, sizeof(*d->globals));
	if (!d->globals)
		return -ENOMEM;
	for (p = n->data.mapping.pairs.start; p < n->data.mapping.pairs.top; p++) {
		yaml_node_t *k = ynode(c, p->key), *v = ynode(c, p->value);
		struct bpfman_global *g = &d->globals[d->n_globals];
		const char *ks, *s;
		yaml_node_item_t *items;
		size_t nb;
		int r;

		if (ykind_of(k) != Y_STR)
			return yfail(c, k, path, "a variable name must be a string");
		ks = (const char *)k->data.scalar.value;
		ypath_key(sub, path, ks);
		if (!*ks || strlen(ks) != k->data.scalar.length)
			return yfail(c, k, sub, "not a variable name");
		for (q = n->data.mapping.pairs.start; q < p; q++)
			if (!strcmp((const char *)ynode(c, q->key)->data.scalar.value, ks))
				return yfail(c, k, sub, "duplicate key");
		g->name = strdup(ks);
		if (!g->name)
			return -ENOMEM;
		d->n_globals++;
		if (ykind_of(v) == Y_SEQ) {
			/* the operator's samples write the bytes as a list of numbers */
			if (yseq(c, v, sub, &items, &nb) < 0)
				return -EINVAL;
			g->data = malloc(nb ? nb : 1);
			if (!g->data)
				return -ENOMEM;
			for (size_t i = 0; i < nb; i++) {
				int64_t x;

				ypath_idx(item, sub, i);
				if (yint(c, ynode(c, items[i]), item, 0, 255, &x) < 0)
					return -EINVAL;
				g->data[i] = (uint8_t)x;
			}
			g->len = nb;
			continue;
		}
		if (ykind_of(v) != Y_STR)
			return yfail(c, v, sub, "must be base64 bytes (a string) or a list of bytes (got %s)",
				     ykind_name(ykind_of(v)));
		if (ystr(c, v, sub, &s) < 0)
			return -EINVAL;
		r = base64_decode(s, &g->data, &g->len);
		if (r == -EINVAL)
			return yfail(c, v, sub, "not base64 (standard alphabet, padded with =)");
		if (r < 0)
			return r;
	}
	return 0;
}

static int byte_code(struct yctx *c, yaml_node_t *n, const char *path, struct app_decl *d)
{
	static const char *const known[] = { "image", "path", NULL };
	static const char *const image_known[] = { "url", "imagePullPolicy", "imagePullSecret",
						   NULL };
	static const char *const secret_known[] = { "name", "namespace", NULL };
	/* header order: 0 Always, 1 IfNotPresent, 2 Never */
	static const char *const policies[] = { "Always", "IfNotPresent", "Never", NULL };
	char sub[YPATH_MAX], f[YPATH_MAX];
	yaml_node_t *img, *pathn, *v;
	bool any = false;

	d->pull_policy = 1; /* IfNotPresent, the CRD's default */
	if (ymap_check(c, n, path, known) < 0)
		return -EINVAL;
	img = yget(c, n, "image");
	pathn = yget(c, n, "path");
	if (!img == !pathn)
		return yfail(c, n, path, "must have exactly one of image, path");
	if (pathn) {
		ypath_key(sub, path, "path");
		if (ystrdup(c, pathn, sub, &d->path) < 0)
			return -EINVAL;
		if (!abs_path_ok(d->path))
			return yfail(c, pathn, sub,
				     "must be an absolute path without empty components (got \"%s\")",
				     d->path);
		return 0;
	}
	ypath_key(sub, path, "image");
	if (ymap_check(c, img, sub, image_known) < 0 || required(c, img, sub, "url", &v) < 0)
		return -EINVAL;
	ypath_key(f, sub, "url");
	if (ystrdup(c, v, f, &d->image_url) < 0)
		return -EINVAL;
	if (strlen(d->image_url) > 525)
		return yfail(c, v, f, "at most 525 characters (got %zu)", strlen(d->image_url));
	for (const char *s = d->image_url; *s; s++)
		any |= isalnum((unsigned char)*s) || *s == '_';
	if (!any)
		return yfail(c, v, f, "not an image reference (got \"%s\")", d->image_url);
	ypath_key(f, sub, "imagePullPolicy");
	if ((v = yget(c, img, "imagePullPolicy")) && yenum(c, v, f, policies, &d->pull_policy) < 0)
		return -EINVAL;
	ypath_key(f, sub, "imagePullSecret");
	if (!(v = yget(c, img, "imagePullSecret")))
		return 0;
	if (ymap_check(c, v, f, secret_known) < 0)
		return -EINVAL;
	{
		yaml_node_t *x;
		char g[YPATH_MAX];

		if (required(c, v, f, "name", &x) < 0)
			return -EINVAL;
		ypath_key(g, f, "name");
		if (ystrdup(c, x, g, &d->pull_secret_name) < 0)
			return -EINVAL;
		if (required(c, v, f, "namespace", &x) < 0)
			return -EINVAL;
		ypath_key(g, f, "namespace");
		return ystrdup(c, x, g, &d->pull_secret_namespace);
	}
}

static int spec(struct yctx *c, yaml_node_t *n, const char *path, struct app_decl *d)
{
	static const char *const known[] = { "nodeSelector", "byteCode", "globalData",
					     "mapOwnerSelector", "programs", NULL };
	char sub[YPATH_MAX], item[YPATH_MAX];
	yaml_node_item_t *items;
	yaml_node_t *v;
	size_t count;
	int r;

	if (ymap_check(c, n, path, known) < 0)
		return -EINVAL;
	/* a host has no node labels: any selector selects it, but it must be well formed */
	if (required(c, n, path, "nodeSelector", &v) < 0)
		return -EINVAL;
	ypath_key(sub, path, "nodeSelector");
	if (label_selector(c, v, sub) < 0)
		return -EINVAL;
	if (required(c, n, path, "byteCode", &v) < 0)
		return -EINVAL;
	ypath_key(sub, path, "byteCode");
	if ((r = byte_code(c, v, sub, d)) < 0)
		return r;
	ypath_key(sub, path, "globalData");
	if ((v = yget(c, n, "globalData")) && (r = global_data(c, v, sub, d)) < 0)
		return r;
	ypath_key(sub, path, "mapOwnerSelector");
	if ((v = yget(c, n, "mapOwnerSelector")))
		return yfail(c, v, sub,
			     "not supported (the operator ignores it too): programs of one application share their maps");
	if (required(c, n, path, "programs", &v) < 0)
		return -EINVAL;
	ypath_key(sub, path, "programs");
	if (yseq(c, v, sub, &items, &count) < 0)
		return -EINVAL;
	if (count == 0)
		return yfail(c, v, sub, "must have at least 1 program");
	d->programs = calloc(count, sizeof(*d->programs));
	if (!d->programs)
		return -ENOMEM;
	for (size_t i = 0; i < count; i++) {
		yaml_node_t *pn = ynode(c, items[i]);

		d->n_programs = i + 1;
		ypath_idx(item, sub, i);
		if ((r = program(c, pn, item, &d->programs[i])) < 0)
			return r;
		for (size_t j = 0; j < i; j++)
			if (!strcmp(d->programs[j].name, d->programs[i].name)) {
				char f[YPATH_MAX];

				ypath_key(f, item, "name");
				return yfail(c, pn, f, "\"%s\" is also %s[%zu] (line %u)",
					     d->programs[i].name, sub, j, d->programs[j].line);
			}
	}
	return 0;
}

static int metadata(struct yctx *c, yaml_node_t *n, struct app_decl *d)
{
	/* what `kubectl get -o yaml` writes is accepted; only name and namespace matter */
	static const char *const known[] = { "name",
					     "namespace",
					     "labels",
					     "annotations",
					     "uid",
					     "resourceVersion",
					     "generation",
					     "creationTimestamp",
					     "deletionTimestamp",
					     "deletionGracePeriodSeconds",
					     "finalizers",
					     "ownerReferences",
					     "managedFields",
					     "generateName",
					     "selfLink",
					     NULL };
	yaml_node_t *v;

	if (ymap_check(c, n, "metadata", known) < 0)
		return -EINVAL;
	if (required(c, n, "metadata", "name", &v) < 0 ||
	    ystrdup(c, v, "metadata.name", &d->name) < 0)
		return -EINVAL;
	if (!dns_name(d->name, false))
		return yfail(c, v, "metadata.name",
			     "must be a lowercase RFC 1123 subdomain (a-z, 0-9, '-', '.'; at most 253; got \"%s\")",
			     d->name);
	if ((v = yget(c, n, "labels")) && ymap_strings(c, v, "metadata.labels", APP_YAML_MAX_ENTRIES) < 0)
		return -EINVAL;
	if ((v = yget(c, n, "annotations")) &&
	    ymap_strings(c, v, "metadata.annotations", APP_YAML_MAX_ENTRIES) < 0)
		return -EINVAL;
	v = yget(c, n, "namespace");
	if (c->cluster) {
		if (v)
			return yfail(c, v, "metadata.namespace",
				     "a ClusterBpfApplication is cluster-scoped: no namespace");
		return 0;
	}
	if (!v) {
		d->namespace = strdup("default"); /* as kubectl does in the default context */
		return d->namespace ? 0 : -ENOMEM;
	}
	if (ystrdup(c, v, "metadata.namespace", &d->namespace) < 0)
		return -EINVAL;
	if (!dns_name(d->namespace, true))
		return yfail(c, v, "metadata.namespace",
			     "must be a lowercase RFC 1123 label (a-z, 0-9, '-'; at most 63; got \"%s\")",
			     d->namespace);
	return 0;
}

static int document(struct yctx *c, yaml_node_t *root, struct app_decl *d)
{
	static const char *const known[] = { "apiVersion", "kind", "metadata", "spec", "status",
					     NULL };
	static const char *const kinds[] = { "ClusterBpfApplication", "BpfApplication", NULL };
	yaml_node_t *v;
	const char *s;
	int kind, r;

	d->line = yline(root);
	if (ymap_check(c, root, "", known) < 0)
		return -EINVAL;
	if (required(c, root, "", "apiVersion", &v) < 0 || ystr(c, v, "apiVersion", &s) < 0)
		return -EINVAL;
	if (strcmp(s, "bpfman.io/v1alpha1"))
		return yfail(c, v, "apiVersion", "must be bpfman.io/v1alpha1 (got \"%.64s\")", s);
	if (required(c, root, "", "kind", &v) < 0 || yenum(c, v, "kind", kinds, &kind) < 0)
		return -EINVAL;
	d->kind = kind == 0 ? APP_CLUSTER : APP_NAMESPACED;
	c->cluster = d->kind == APP_CLUSTER;
	if (required(c, root, "", "metadata", &v) < 0)
		return -EINVAL;
	if ((r = metadata(c, v, d)) < 0)
		return r;
	if (required(c, root, "", "spec", &v) < 0)
		return -EINVAL;
	/* `status` is the API server's: ignored */
	return spec(c, v, "spec", d);
}

int app_yaml_document(struct yctx *c, yaml_node_t *root, struct app_decl *d)
{
	int r = document(c, root, d);

	if (r < 0) {
		app_decl_clear(d);
		/* helpers pass -EINVAL up; one without a message was a failed allocation */
		if (!c->err)
			r = -ENOMEM;
	}
	return r;
}
