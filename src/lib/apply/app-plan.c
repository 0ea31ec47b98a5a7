/* Desired application -> plan, against what the manager holds for it (its programs carry
 * the metadata APP_META_APP = app_id()).
 *
 * What is reloaded (one Load is all or nothing per object, so this is decided per app):
 * - byteCode (path or image) or globalData differs from what a loaded program of the app
 *   was loaded with: every program of the app is loaded anew in one Load, and the old ones
 *   go (their maps with them);
 * - otherwise a program is kept when a loaded program of the app has its name, type
 *   (retprobe-ness included) and fentry/fexit function; the others are loaded in one Load
 *   that shares the kept programs' maps (map owner = a kept program), and loaded programs
 *   no longer declared are unloaded.
 * Links (bpfman-k8s.md 3.6): a declared link equal to a link of its kept program stays as it
 * is (same link id, no dispatcher rebuild); any other link of the app goes, and every
 * declared link without an equal one is attached. */
#include <errno.h>
#include <limits.h>
#include <net/if.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "app-internal.h"
#include "cleanup.h"
#include "netns.h"

enum bpfman_prog_type app_bpfman_type(enum app_prog_type t)
{
	switch (t) {
	case APP_XDP:
		return BPFMAN_PROG_XDP;
	case APP_TC:
		return BPFMAN_PROG_TC;
	case APP_TCX:
		return BPFMAN_PROG_TCX;
	case APP_FENTRY:
		return BPFMAN_PROG_FENTRY;
	case APP_FEXIT:
		return BPFMAN_PROG_FEXIT;
	case APP_KPROBE:
	case APP_KRETPROBE:
		return BPFMAN_PROG_KPROBE;
	case APP_UPROBE:
	case APP_URETPROBE:
		return BPFMAN_PROG_UPROBE;
	case APP_TRACEPOINT:
		return BPFMAN_PROG_TRACEPOINT;
	}
	return _BPFMAN_PROG_TYPE_INVALID;
}

static bool is_retprobe(enum app_prog_type t)
{
	return t == APP_KRETPROBE || t == APP_URETPROBE;
}

static bool is_iface_type(enum app_prog_type t)
{
	return t == APP_XDP || t == APP_TC || t == APP_TCX;
}

static const char *app_type_name(enum app_prog_type t)
{
	static const char *const names[] = {"xdp",	 "tc",	      "tcx",	   "fentry",
					    "fexit",	 "kprobe",    "kretprobe", "uprobe",
					    "uretprobe", "tracepoint"};

	return (unsigned)t < sizeof(names) / sizeof(names[0]) ? names[t] : "?";
}

static bool str_eq(const char *a, const char *b)
{
	return strcmp(a ? a : "", b ? b : "") == 0;
}

/* The object's absolute path: a relative path is relative to the declaring file. */
char *app_object_path(const struct app_decl *d)
{
	char buf[PATH_MAX];

	if (!d->path)
		return NULL;
	if (d->path[0] != '/' && d->file && strchr(d->file, '/')) {
		_cleanup_free_ char *joined = strdup_printf(
		    "%.*s/%s", (int)(strrchr(d->file, '/') - d->file), d->file, d->path);

		if (joined && realpath(joined, buf))
			return strdup(buf);
	}
	return strdup(realpath(d->path, buf) ? buf : d->path);
}

/* Same network namespace: by inode (a path may be any link to it); NULL = the host's. */
static bool netns_same(const char *a, const char *b)
{
	struct stat sa, sb;

	if (str_eq(a, b))
		return true;
	if (stat(a && *a ? a : "/proc/1/ns/net", &sa) < 0 ||
	    stat(b && *b ? b : "/proc/1/ns/net", &sb) < 0)
		return false;
	return sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
}

static int cmp_i32(const void *a, const void *b)
{
	int32_t x = *(const int32_t *)a, y = *(const int32_t *)b;

	return (x > y) - (x < y);
}

/* proceed-on as a sorted set; empty = the defaults attach records */
static size_t proceed_set(enum app_prog_type t, const int32_t *v, size_t n, int32_t *out)
{
	static const int32_t xdp_default[] = {2, 31}, tc_default[] = {3, 30};
	size_t k = 0;

	if (!n) {
		v = t == APP_XDP ? xdp_default : tc_default;
		n = 2;
	}
	if (n > 32)
		n = 32;
	memcpy(out, v, n * sizeof(*v));
	qsort(out, n, sizeof(*out), cmp_i32);
	for (size_t i = 0; i < n; i++)
		if (!k || out[k - 1] != out[i])
			out[k++] = out[i];
	return k;
}

/* bpfman-k8s.md 3.6 */
static bool link_equal(const struct bpfman_link *l, const struct plan_link *w, enum app_prog_type t)
{
	const struct bpfman_attach_opts *o = &w->opts;

	switch (t) {
	case APP_XDP:
	case APP_TC: {
		int32_t a[32], b[32];
		size_t na = proceed_set(t, l->proceed_on, l->n_proceed_on, a);
		size_t nb = proceed_set(t, o->proceed_on, o->n_proceed_on, b);

		if (na != nb || memcmp(a, b, na * sizeof(*a)))
			return false;
		if (t == APP_TC && l->direction != o->direction)
			return false;
		return str_eq(l->iface, o->iface) && l->priority == o->priority &&
		       netns_same(l->netns, o->netns);
	}
	case APP_TCX:
		return str_eq(l->iface, o->iface) && l->priority == o->priority &&
		       l->direction == o->direction && netns_same(l->netns, o->netns);
	case APP_KPROBE:
		return str_eq(l->fn_name, o->fn_name) && l->offset == o->offset;
	case APP_KRETPROBE:
		return str_eq(l->fn_name, o->fn_name);
	case APP_TRACEPOINT:
		return str_eq(l->tracepoint, o->tracepoint);
	case APP_UPROBE:
	case APP_URETPROBE:
		return str_eq(l->fn_name, o->fn_name) && l->offset == o->offset &&
		       str_eq(l->target, o->target) && l->pid == o->pid &&
		       l->container_pid == o->container_pid;
	case APP_FENTRY:
	case APP_FEXIT:
		return true;
	}
	return false;
}

/* ---- interfaces ---- */

/* 1 when iface exists in netns (NULL: the host's), 0 when it or the namespace does not
 * (*why says which), negative errno when it cannot be told. */
static int iface_present(const char *netns, const char *iface, char **why)
{
	int orig = -EBADF, r;
	unsigned idx;

	r = netns_enter(netns, &orig);
	if (r == -ENOENT) {
		*why = strdup_printf("network namespace %s does not exist", netns);
		return 0;
	}
	if (r < 0)
		return r;
	idx = if_nametoindex(iface);
	r = netns_leave(orig);
	if (r < 0)
		return r;
	if (!idx)
		*why = strdup_printf("interface %s does not exist%s%s", iface, netns ? " in " : "",
				     netns ? netns : "");
	return idx ? 1 : 0;
}

static bool name_allowed(const struct app_iface_selector *s, const char *name)
{
	for (size_t i = 0; s->exclude && s->exclude[i]; i++)
		if (strcmp(s->exclude[i], name) == 0)
			return false;
	if (!s->allowed)
		return true;
	for (size_t i = 0; s->allowed[i]; i++) {
		const char *a = s->allowed[i];
		size_t n = strlen(a);

		if (n >= 2 && a[0] == '/' && a[n - 1] == '/') {
			_cleanup_free_ char *re_s = strndup(a + 1, n - 2);
			regex_t re;
			bool ok;

			if (!re_s || regcomp(&re, re_s, REG_EXTENDED | REG_NOSUB))
				continue;
			ok = regexec(&re, name, 0, NULL, 0) == 0;
			regfree(&re);
			if (ok)
				return true;
		} else if (strcmp(a, name) == 0) {
			return true;
		}
	}
	return false;
}

/* The interface of the default route (IPv4), from /proc/net/route of the namespace. */
static char *default_route_iface(void)
{
	FILE *f = fopen("/proc/net/route", "re");
	char line[256], name[IF_NAMESIZE + 1];
	unsigned long dest, mask;
	char *ret = NULL;

	if (!f)
		return NULL;
	while (!ret && fgets(line, sizeof(line), f))
		if (sscanf(line, "%16s %lx %*x %*x %*d %*d %*d %lx", name, &dest, &mask) == 3 &&
		    dest == 0 && mask == 0)
			ret = strdup(name);
	fclose(f);
	return ret;
}

/* The interface names one selector stands for (NULL-terminated; may be empty). */
static int resolve_selector(const struct app_link *l, char ***ret, char **why)
{
	const struct app_iface_selector *s = &l->ifaces;
	char **v = NULL;
	size_t n = 0;
	int orig = -EBADF, r = 0;

	if (s->interfaces) {
		for (; s->interfaces[n]; n++)
			;
		v = calloc(n + 1, sizeof(*v));
		for (size_t i = 0; v && i < n; i++)
			if (!(v[i] = strdup(s->interfaces[i])))
				r = -ENOMEM;
		if (!v)
			return -ENOMEM;
		*ret = v;
		return r;
	}
	r = netns_enter(l->netns, &orig);
	if (r == -ENOENT) {
		*why = strdup_printf("network namespace %s does not exist", l->netns);
		*ret = calloc(1, sizeof(char *));
		return *ret ? 0 : -ENOMEM;
	}
	if (r < 0)
		return r;
	if (s->primary_node_interface) {
		char *name = default_route_iface();

		v = calloc(2, sizeof(*v));
		if (v)
			v[0] = name;
		if (!name)
			*why = strdup("no interface holds a default route (primaryNodeInterface)");
	} else {
		struct if_nameindex *all = if_nameindex();

		for (size_t i = 0; all && all[i].if_index; i++)
			n++;
		v = calloc(n + 1, sizeof(*v));
		n = 0;
		for (size_t i = 0; v && all && all[i].if_index; i++)
			if (name_allowed(s, all[i].if_name))
				v[n++] = strdup(all[i].if_name);
		if (all)
			if_freenameindex(all);
	}
	r = netns_leave(orig);
	if (!v)
		return -ENOMEM;
	*ret = v;
	return r;
}

/* ---- the plan ---- */

static void describe(struct plan_link *w, enum app_prog_type t)
{
	const struct app_link *l = w->decl;
	const char *tn = app_type_name(t);
	_cleanup_free_ char *ns = l->netns ? strdup_printf(" (netns %s)", l->netns) : NULL;

	switch (t) {
	case APP_XDP:
	case APP_TC:
	case APP_TCX:
		w->what =
		    strdup_printf("%s on %s%s%s priority %d%s", tn, w->iface ? w->iface : "?",
				  t == APP_XDP ? "" : " ",
				  t == APP_XDP ? "" : bpfman_direction_to_string(l->direction),
				  l->priority, ns ? ns : "");
		break;
	case APP_TRACEPOINT:
		w->what = strdup_printf("tracepoint %s", l->tracepoint ? l->tracepoint : "?");
		break;
	case APP_KPROBE:
	case APP_KRETPROBE:
		w->what = strdup_printf("%s %s+%llu", tn, l->function ? l->function : "?",
					(unsigned long long)l->offset);
		break;
	case APP_UPROBE:
	case APP_URETPROBE:
		if (l->container_pid)
			w->what = strdup_printf("%s %s:%s+%llu%s (container pid %d)", tn,
						l->target ? l->target : "?",
						l->function ? l->function : "",
						(unsigned long long)l->offset, l->pid ? " (pid)" : "",
						(int)l->container_pid);
		else
			w->what = strdup_printf("%s %s:%s+%llu%s", tn, l->target ? l->target : "?",
						l->function ? l->function : "",
						(unsigned long long)l->offset, l->pid ? " (pid)" : "");
		break;
	case APP_FENTRY:
	case APP_FEXIT:
		w->what = strdup_printf("%s", tn);
		break;
	}
}

static int add_link(struct plan *p, size_t prog, const struct app_link *l, const char *iface)
{
	const struct app_program *ap = p->progs[prog].decl;
	struct plan_link *w;
	void *grown = realloc(p->links, (p->n_links + 1) * sizeof(*p->links));

	if (!grown)
		return -ENOMEM;
	p->links = grown;
	w = &p->links[p->n_links++];
	memset(w, 0, sizeof(*w));
	w->prog = prog;
	w->decl = l;
	w->resolved = true;
	w->state = APP_LINK_FAILED; /* until attached or found attached */
	if (iface && !(w->iface = strdup(iface)))
		return -ENOMEM;
	w->opts.type = app_bpfman_type(ap->type);
	w->opts.metadata = &p->meta;
	switch (ap->type) {
	case APP_XDP:
	case APP_TC:
	case APP_TCX:
		w->opts.iface = w->iface;
		w->opts.priority = l->priority;
		w->opts.has_priority = true;
		w->opts.netns = l->netns;
		if (ap->type != APP_XDP)
			w->opts.direction = l->direction;
		if (ap->type != APP_TCX) {
			w->opts.proceed_on = l->proceed_on;
			w->opts.n_proceed_on = l->n_proceed_on;
		}
		break;
	case APP_TRACEPOINT:
		w->opts.tracepoint = l->tracepoint;
		break;
	case APP_KPROBE:
		w->opts.offset = l->offset;
		/* fall through */
	case APP_KRETPROBE:
		w->opts.fn_name = l->function;
		break;
	case APP_UPROBE:
	case APP_URETPROBE:
		w->opts.fn_name = l->function;
		w->opts.offset = l->offset;
		w->opts.target = l->target;
		w->opts.pid = l->pid;
		w->opts.container_pid = l->container_pid;
		break;
	case APP_FENTRY:
	case APP_FEXIT:
		break;
	}
	describe(w, ap->type);
	return w->what ? 0 : -ENOMEM;
}

/* Expands every declared link into concrete ones; interfaces that are not there make
 * pending links. */
static int expand_links(struct plan *p)
{
	for (size_t i = 0; i < p->n_progs; i++) {
		const struct app_program *ap = p->progs[i].decl;

		for (size_t k = 0; k < ap->n_links; k++) {
			const struct app_link *l = &ap->links[k];
			char **names = NULL, *why = NULL;
			int r;

			if (l->netns_pods || l->containers) {
				/* pods and containers are a cluster's: a host cannot name them */
				r = add_link(p, i, l, NULL);
				if (r < 0)
					return r;
				p->links[p->n_links - 1].resolved = false;
				p->links[p->n_links - 1].reason = strdup_printf(
				    "%s select Kubernetes pods: only a cluster's agent resolves "
				    "them",
				    l->netns_pods ? "networkNamespaces" : "containers");
				continue;
			}
			if (!is_iface_type(ap->type)) {
				r = add_link(p, i, l, NULL);
				if (r < 0)
					return r;
				continue;
			}
			r = resolve_selector(l, &names, &why);
			if (r < 0) {
				free(why);
				return r;
			}
			if (!names[0] && why) {
				/* nothing to name yet: one pending entry stands for the selector */
				r = add_link(p, i, l, NULL);
				if (r == 0) {
					struct plan_link *w = &p->links[p->n_links - 1];

					w->resolved = false;
					w->state = APP_LINK_PENDING;
					w->reason = TAKE_PTR(why);
				}
			}
			for (size_t j = 0; r == 0 && names[j]; j++) {
				char *pwhy = NULL;
				int present;

				r = add_link(p, i, l, names[j]);
				if (r < 0)
					break;
				present = iface_present(l->netns, names[j], &pwhy);
				if (present == 0) {
					struct plan_link *w = &p->links[p->n_links - 1];

					w->resolved = false;
					w->state = APP_LINK_PENDING;
					w->reason = pwhy;
				} else {
					free(pwhy);
				}
			}
			free(why);
			for (size_t j = 0; names[j]; j++)
				free(names[j]);
			free(names);
			if (r < 0)
				return r;
		}
	}
	return 0;
}

static bool globals_equal(const struct app_decl *d, const struct bpfman_program *p)
{
	if (d->n_globals != p->n_globals)
		return false;
	for (size_t i = 0; i < d->n_globals; i++) {
		bool found = false;

		for (size_t k = 0; !found && k < p->n_globals; k++)
			found = strcmp(d->globals[i].name, p->globals[k].name) == 0 &&
				d->globals[i].len == p->globals[k].len &&
				!memcmp(d->globals[i].data, p->globals[k].data, d->globals[i].len);
		if (!found)
			return false;
	}
	return true;
}

static bool same_object(const struct app_decl *d, const char *abs_path,
			const struct bpfman_program *p)
{
	if (d->image_url || p->image_url)
		return str_eq(d->image_url, p->image_url) && globals_equal(d, p);
	return str_eq(abs_path, p->path) && globals_equal(d, p);
}

static bool same_program(const struct app_program *ap, const struct bpfman_program *p)
{
	return strcmp(ap->name, p->name) == 0 && app_bpfman_type(ap->type) == p->type &&
	       is_retprobe(ap->type) == p->retprobe &&
	       ((ap->type != APP_FENTRY && ap->type != APP_FEXIT) ||
		str_eq(ap->attach_fn, p->attach_fn));
}

static int push_u32(uint32_t **v, size_t *n, uint32_t x)
{
	uint32_t *g = realloc(*v, (*n + 1) * sizeof(**v));

	if (!g)
		return -ENOMEM;
	g[(*n)++] = x;
	*v = g;
	return 0;
}

static int push_detach(struct plan *p, const struct bpfman_link *l)
{
	struct bpfman_link *g = realloc(p->detach, (p->n_detach + 1) * sizeof(*g));
	struct bpfman_link *c;

	if (!g)
		return -ENOMEM;
	p->detach = g;
	c = &p->detach[p->n_detach++];
	*c = *l;
	return 0;
}

int plan_build(struct bpfman *m, const struct app_decl *d, struct plan *p, char **ret_err)
{
	struct bpfman_list_filter pf = {.metadata = &p->meta};
	struct bpfman_link_filter lf = {.metadata = &p->meta};
	struct bpfman_program_view *views = NULL;
	struct bpfman_link *links = NULL;
	size_t n_views = 0, n_links = 0;
	_cleanup_free_ char *abs_path = app_object_path(d);
	bool *prog_kept = NULL, *link_kept = NULL;
	int r;

	memset(p, 0, sizeof(*p));
	p->decl = d;
	p->app = app_id(d);
	if (!p->app || (d->path && !abs_path))
		return -ENOMEM;
	r = kv_list_set(&p->meta, APP_META_APP, p->app);
	if (r == 0)
		r = kv_list_copy(&p->load_meta, &p->meta);
	if (r == 0)
		r = kv_list_set(&p->load_meta, APP_META_NAME, d->name);
	if (r < 0)
		return r;
	p->progs = calloc(d->n_programs ? d->n_programs : 1, sizeof(*p->progs));
	if (!p->progs)
		return -ENOMEM;
	p->n_progs = d->n_programs;
	for (size_t i = 0; i < d->n_programs; i++) {
		p->progs[i].decl = &d->programs[i];
		if (app_bpfman_type(d->programs[i].type) == _BPFMAN_PROG_TYPE_INVALID) {
			*ret_err = strdup_printf("program %s: unknown type", d->programs[i].name);
			return -EINVAL;
		}
	}
	r = expand_links(p);
	if (r < 0) {
		*ret_err = strdup_printf("cannot resolve the interfaces: %s", strerror(-r));
		return r;
	}

	r = bpfman_list_programs(m, &pf, &views, &n_views);
	if (r < 0) {
		*ret_err =
		    strdup_printf("cannot list the application's programs: %s", bpfman_error(m));
		return r;
	}
	r = bpfman_list_links(m, &lf, &links, &n_links);
	if (r < 0) {
		*ret_err =
		    strdup_printf("cannot list the application's links: %s", bpfman_error(m));
		goto out;
	}
	prog_kept = calloc(n_views + 1, sizeof(*prog_kept));
	link_kept = calloc(n_links + 1, sizeof(*link_kept));
	if (!prog_kept || !link_kept) {
		r = -ENOMEM;
		goto out;
	}

	for (size_t v = 0; v < n_views; v++)
		if (views[v].program && !same_object(d, abs_path, views[v].program))
			p->reload_all = true;
	for (size_t i = 0; i < p->n_progs; i++) {
		for (size_t v = 0; !p->reload_all && v < n_views; v++) {
			if (!views[v].program || prog_kept[v] ||
			    !same_program(p->progs[i].decl, views[v].program))
				continue;
			prog_kept[v] = true;
			p->progs[i].keep_id = views[v].program->id;
			break;
		}
		p->progs[i].load = !p->progs[i].keep_id;
	}
	/* links of kept programs that are equal to a declared one stay */
	for (size_t k = 0; k < p->n_links; k++) {
		struct plan_link *w = &p->links[k];
		uint32_t pid = p->progs[w->prog].keep_id;

		if (!pid || !w->resolved)
			continue;
		for (size_t e = 0; e < n_links; e++) {
			if (link_kept[e] || links[e].prog_id != pid ||
			    !link_equal(&links[e], w, p->progs[w->prog].decl->type))
				continue;
			link_kept[e] = true;
			w->keep_link_id = links[e].id;
			w->state = APP_LINK_APPLIED;
			break;
		}
	}
	/* everything else of the app goes: links first (a program that stays loses only the
	 * links no longer declared), then the programs */
	for (size_t e = 0; e < n_links; e++) {
		if (link_kept[e])
			continue;
		r = push_detach(p, &links[e]);
		if (r < 0)
			goto out;
		link_kept[e] = true; /* now owned by p->detach */
	}
	for (size_t v = 0; v < n_views; v++) {
		if (!views[v].program || prog_kept[v])
			continue;
		char **g = realloc(p->unload_names, (p->n_unload + 1) * sizeof(*g));

		if (!g) {
			r = -ENOMEM;
			goto out;
		}
		p->unload_names = g;
		g[p->n_unload] = strdup(views[v].program->name);
		r = push_u32(&p->unload, &p->n_unload, views[v].program->id);
		if (r < 0 || !g[p->n_unload - 1]) {
			r = -ENOMEM;
			goto out;
		}
	}
	r = 0;
out:
	if (links) {
		/* the ones copied into p->detach changed owner: free only the others */
		for (size_t e = 0; e < n_links; e++) {
			bool moved = false;

			for (size_t x = 0; x < p->n_detach; x++)
				moved = moved || p->detach[x].id == links[e].id;
			if (!moved)
				link_clear(&links[e]);
		}
		free(links);
	}
	bpfman_program_views_free(views, n_views);
	free(prog_kept);
	free(link_kept);
	return r;
}

void plan_clear(struct plan *p)
{
	for (size_t i = 0; i < p->n_links; i++) {
		free(p->links[i].iface);
		free(p->links[i].what);
		free(p->links[i].reason);
	}
	free(p->links);
	for (size_t i = 0; i < p->n_detach; i++)
		link_clear(&p->detach[i]);
	free(p->detach);
	for (size_t i = 0; i < p->n_unload; i++)
		free(p->unload_names[i]);
	free(p->unload_names);
	free(p->unload);
	free(p->progs);
	kv_list_clear(&p->meta);
	kv_list_clear(&p->load_meta);
	free(p->app);
	memset(p, 0, sizeof(*p));
}

uint32_t plan_link_prog_id(const struct plan *p, const struct plan_link *l)
{
	const struct plan_prog *pp = &p->progs[l->prog];

	return pp->new_id ? pp->new_id : pp->keep_id;
}

/* Could the new link w collide with the going link l while both exist? The same hook of
 * the same kind (without freplace an interface holds one XDP program; tcx refuses a
 * program twice on a hook), or the same tracing program (fentry/fexit attach once). Such
 * links are attached after the detaches; all others before them, so that an attach that
 * fails has not detached anything yet. */
static bool collides(const struct plan *p, const struct plan_link *w, const struct bpfman_link *l)
{
	const struct bpfman_attach_opts *o = &w->opts;

	if (o->type != l->type)
		return false;
	switch (o->type) {
	case BPFMAN_PROG_XDP:
		return str_eq(o->iface, l->iface) && netns_same(o->netns, l->netns);
	case BPFMAN_PROG_TC:
	case BPFMAN_PROG_TCX:
		return str_eq(o->iface, l->iface) && netns_same(o->netns, l->netns) &&
		       o->direction == l->direction;
	case BPFMAN_PROG_FENTRY:
	case BPFMAN_PROG_FEXIT:
		return plan_link_prog_id(p, w) == l->prog_id;
	default:
		return false;
	}
}

bool plan_link_late(const struct plan *p, const struct plan_link *w)
{
	for (size_t i = 0; i < p->n_detach; i++)
		if (collides(p, w, &p->detach[i]))
			return true;
	return false;
}

size_t plan_n_changes(const struct plan *p)
{
	size_t n = p->n_unload + p->n_detach;

	for (size_t i = 0; i < p->n_progs; i++)
		n += p->progs[i].load;
	for (size_t i = 0; i < p->n_links; i++)
		n += p->links[i].resolved && !p->links[i].keep_link_id;
	return n;
}

/* ---- results ---- */

int result_init(struct app_result *r, const char *app)
{
	memset(r, 0, sizeof(*r));
	r->app = strdup(app);
	return r->app ? 0 : -ENOMEM;
}

int result_add_action(struct app_result *r, enum app_action_kind kind, const char *program,
		      const char *what, uint32_t prog_id, uint32_t link_id)
{
	struct app_action *g = realloc(r->actions, (r->n_actions + 1) * sizeof(*g)), *a;

	if (!g)
		return -ENOMEM;
	r->actions = g;
	a = &r->actions[r->n_actions++];
	memset(a, 0, sizeof(*a));
	a->kind = kind;
	a->program = strdup(program ? program : "");
	a->what = strdup(what ? what : "");
	a->prog_id = prog_id;
	a->link_id = link_id;
	return a->program && a->what ? 0 : -ENOMEM;
}

static char *link_text(const struct bpfman_link *l)
{
	_cleanup_free_ char *att = bpfman_link_attachment(l);

	return strdup_printf("%s %s", bpfman_prog_type_to_string(l->type), att ? att : "");
}

/* In the order they are carried out: loads, attaches that collide with no detach,
 * detaches, the other attaches, unloads. */
int plan_actions(const struct plan *p, struct app_result *r)
{
	int e = 0;

	for (size_t i = 0; e == 0 && i < p->n_progs; i++) {
		const struct plan_prog *pp = &p->progs[i];
		_cleanup_free_ char *what = NULL;

		if (!pp->load)
			continue;
		what = strdup_printf("%s from %s", app_type_name(pp->decl->type),
				     p->decl->path ? p->decl->path : p->decl->image_url);
		e = what ? result_add_action(r, APP_ACT_LOAD, pp->decl->name, what, pp->new_id, 0)
			 : -ENOMEM;
	}
	for (int late = 0; late < 2; late++) {
		for (size_t i = 0; late && e == 0 && i < p->n_detach; i++) {
			_cleanup_free_ char *what = link_text(&p->detach[i]);

			e = result_add_action(r, APP_ACT_DETACH, p->detach[i].prog_name, what,
					      p->detach[i].prog_id, p->detach[i].id);
		}
		for (size_t i = 0; e == 0 && i < p->n_links; i++) {
			const struct plan_link *w = &p->links[i];

			if (!w->resolved || w->keep_link_id || plan_link_late(p, w) != late)
				continue;
			e = result_add_action(r, APP_ACT_ATTACH, p->progs[w->prog].decl->name,
					      w->what, plan_link_prog_id(p, w), w->new_link_id);
		}
	}
	for (size_t i = 0; e == 0 && i < p->n_unload; i++) {
		_cleanup_free_ char *what = strdup_printf("program %u", p->unload[i]);

		e = what ? result_add_action(r, APP_ACT_UNLOAD, p->unload_names[i], what,
					     p->unload[i], 0)
			 : -ENOMEM;
	}
	return e;
}

int plan_link_states(const struct plan *p, struct app_result *r)
{
	r->links = calloc(p->n_links ? p->n_links : 1, sizeof(*r->links));
	if (!r->links)
		return -ENOMEM;
	for (size_t i = 0; i < p->n_links; i++) {
		const struct plan_link *w = &p->links[i];
		struct app_link_status *s = &r->links[r->n_links++];

		s->program = strdup(p->progs[w->prog].decl->name);
		s->what = strdup(w->what);
		s->state = w->state;
		s->reason = w->reason			  ? strdup(w->reason)
			    : s->state == APP_LINK_FAILED ? strdup("not attached")
							  : NULL;
		s->link_id = w->keep_link_id ? w->keep_link_id : w->new_link_id;
		if (!s->program || !s->what || (s->state != APP_LINK_APPLIED && !s->reason))
			return -ENOMEM;
	}
	return 0;
}
