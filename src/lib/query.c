/* Read-only views: list/get of programs and links. No lock: SQLite's WAL gives a
 * consistent snapshot, and the kernel is asked directly. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "attach/attach.h"
#include "cleanup.h"
#include "kernel.h"
#include "manager.h"

static bool view_matches(const struct bpfman_program_view *v, const struct bpfman_list_filter *f)
{
	uint32_t kt = v->program ? bpfman_prog_type_kernel_type(v->program->type) : v->kernel.type;

	if (f->has_kernel_type && kt != f->kernel_type)
		return false;
	if (f->metadata && f->metadata->n &&
	    (!v->program || !kv_list_matches(&v->program->metadata, f->metadata)))
		return false;
	return true;
}

/* A managed program reports the type it was loaded as (an extension under a dispatcher is
 * still "xdp"/"tc" to the user), and the whole function name from its record where the
 * kernel keeps only 15 characters of it. */
void view_from_record(struct bpfman_program_view *v)
{
	if (!v->program)
		return;
	v->kernel.type = bpfman_prog_type_kernel_type(v->program->type);
	if (!strncmp(v->kernel.name, v->program->name, strlen(v->kernel.name)))
		snprintf(v->kernel.name, sizeof(v->kernel.name), "%s", v->program->name);
}

static int append_view(struct bpfman_program_view **v, size_t *n, size_t *cap,
		       struct bpfman_program_view *one)
{
	if (*n == *cap) {
		size_t ncap = *cap ? *cap * 2 : 32;
		struct bpfman_program_view *t = reallocarray(*v, ncap, sizeof(**v));

		if (!t)
			return -ENOMEM;
		*v = t;
		*cap = ncap;
	}
	(*v)[(*n)++] = *one;
	memset(one, 0, sizeof(*one));
	return 0;
}

int bpfman_list_programs(struct bpfman *m, const struct bpfman_list_filter *f,
			 struct bpfman_program_view **ret_views, size_t *ret_n)
{
	static const struct bpfman_list_filter none = { 0 };
	_cleanup_free_ uint32_t *ids = NULL;
	struct bpfman_program_view *views = NULL, one;
	size_t n_ids = 0, n = 0, cap = 0;
	bool all;
	int r;

	if (!f)
		f = &none;
	/* any metadata selector excludes programs the manager did not load */
	all = f->all && !(f->metadata && f->metadata->n);
	r = store_begin_read(m->store);
	if (r < 0)
		return manager_error(m, r, "cannot list programs: %s", strerror(-r));
	r = all ? kernel_prog_ids(&ids, &n_ids) : store_program_ids(m->store, &ids, &n_ids);
	if (r < 0) {
		store_rollback(m->store);
		return manager_error(m, r, "cannot list programs: %s", strerror(-r));
	}
	for (size_t i = 0; i < n_ids; i++) {
		memset(&one, 0, sizeof(one));
		r = store_program_get(m->store, ids[i], &one.program);
		if (r < 0 && r != -ENOENT)
			goto fail;
		r = kernel_prog_info_by_id(ids[i], &one.kernel, !one.program);
		if (r == -ENOENT) {
			bpfman_program_view_clear(&one);
			continue; /* gone meanwhile; reconcile drops its record */
		}
		if (r < 0) {
			bpfman_program_view_clear(&one);
			goto fail;
		}
		view_from_record(&one);
		if (!view_matches(&one, f)) {
			bpfman_program_view_clear(&one);
			continue;
		}
		r = append_view(&views, &n, &cap, &one);
		if (r < 0) {
			bpfman_program_view_clear(&one);
			goto fail;
		}
	}
	store_rollback(m->store); /* read only: nothing to commit */
	*ret_views = views;
	*ret_n = n;
	return 0;
fail:
	store_rollback(m->store);
	bpfman_program_views_free(views, n);
	return manager_error(m, r, "cannot list programs: %s", strerror(-r));
}

int bpfman_get_program(struct bpfman *m, uint32_t id, struct bpfman_program_view *ret)
{
	struct bpfman_program_view v;
	int r;

	memset(&v, 0, sizeof(v));
	r = store_program_get(m->store, id, &v.program);
	if (r < 0 && r != -ENOENT)
		return manager_error(m, r, "cannot read program %u: %s", id, strerror(-r));
	r = kernel_prog_info_by_id(id, &v.kernel, !v.program);
	if (r < 0) {
		bpfman_program_view_clear(&v);
		if (r == -ENOENT)
			return manager_error(m, r, "program %u does not exist", id);
		return manager_error(m, r, "cannot read program %u: %s", id, strerror(-r));
	}
	view_from_record(&v);
	*ret = v;
	return 0;
}

/* tc without a dispatcher: the kernel runs filters in priority order; ours are recorded
 * in that order too. */
static int tc_position(struct bpfman *m, const struct bpfman_link *l)
{
	struct bpfman_link *v = NULL;
	size_t n = 0;
	int pos = -1;

	if (store_hook_links(m->store, BPFMAN_PROG_TC, l->iface, l->netns, l->direction, &v, &n) < 0)
		return -1;
	for (size_t i = 0; i < n; i++)
		if (v[i].id == l->id)
			pos = (int)i;
	bpfman_links_free(v, n);
	return pos;
}

static void fill_position(struct bpfman *m, struct bpfman_link *l)
{
	if (l->dispatched)
		manager_fill_dispatched(m, l);
	else if (l->type == BPFMAN_PROG_TC)
		l->position = tc_position(m, l);
	else if (l->type == BPFMAN_PROG_TCX)
		l->position = tcx_link_position(l);
	else if (l->type == BPFMAN_PROG_XDP)
		l->position = 0; /* the only program on its interface (no dispatcher) */
}

int bpfman_get_link(struct bpfman *m, uint32_t link_id, struct bpfman_link **ret)
{
	int r = store_link_get(m->store, link_id, ret);

	if (r == -ENOENT)
		return manager_error(m, r, "link %u does not exist", link_id);
	if (r < 0)
		return manager_error(m, r, "cannot read link %u: %s", link_id, strerror(-r));
	fill_position(m, *ret);
	return 0;
}

int bpfman_list_links(struct bpfman *m, const struct bpfman_link_filter *f,
		      struct bpfman_link **ret_links, size_t *ret_n)
{
	_cleanup_free_ uint32_t *ids = NULL;
	struct bpfman_link *v = NULL;
	size_t n_ids = 0, n = 0;
	int r;

	r = store_begin_read(m->store);
	if (r < 0)
		return manager_error(m, r, "cannot list links: %s", strerror(-r));
	r = store_link_ids(m->store, 0, &ids, &n_ids);
	if (r < 0) {
		store_rollback(m->store);
		return manager_error(m, r, "cannot list links: %s", strerror(-r));
	}
	v = calloc(n_ids ? n_ids : 1, sizeof(*v));
	if (!v) {
		store_rollback(m->store);
		return -ENOMEM;
	}
	for (size_t i = 0; i < n_ids; i++) {
		struct bpfman_link *l = NULL;
		struct bpfman_program *p = NULL;
		bool keep = true;

		r = store_link_get(m->store, ids[i], &l);
		if (r == -ENOENT)
			continue;
		if (r < 0)
			goto fail;
		if (f && f->has_kernel_type && bpfman_prog_type_kernel_type(l->type) != f->kernel_type)
			keep = false;
		if (keep && f && f->metadata && f->metadata->n) {
			r = store_program_get(m->store, l->prog_id, &p);
			keep = r == 0 && kv_list_matches(&p->metadata, f->metadata);
			bpfman_program_free(p);
		}
		if (keep) {
			fill_position(m, l);
			v[n++] = *l;
			free(l); /* contents moved into v */
		} else {
			bpfman_link_free(l);
		}
	}
	store_rollback(m->store);
	*ret_links = v;
	*ret_n = n;
	return 0;
fail:
	store_rollback(m->store);
	bpfman_links_free(v, n);
	return manager_error(m, r, "cannot list links: %s", strerror(-r));
}

char *bpfman_link_attachment(const struct bpfman_link *l)
{
	char *s = NULL;
	int r = -1;

	switch (l->type) {
	case BPFMAN_PROG_XDP:
	case BPFMAN_PROG_TC:
	case BPFMAN_PROG_TCX:
		if (l->position >= 0)
			r = asprintf(&s, "%s%s%s pos-%d", l->iface ? l->iface : "?",
				     l->direction ? " " : "",
				     l->direction ? bpfman_direction_to_string(l->direction) : "",
				     l->position);
		else
			r = asprintf(&s, "%s%s%s", l->iface ? l->iface : "?",
				     l->direction ? " " : "",
				     l->direction ? bpfman_direction_to_string(l->direction) : "");
		break;
	case BPFMAN_PROG_TRACEPOINT:
		r = asprintf(&s, "%s", l->tracepoint ? l->tracepoint : "");
		break;
	case BPFMAN_PROG_KPROBE:
		r = l->offset ? asprintf(&s, "%s+0x%llx", l->fn_name ? l->fn_name : "",
					 (unsigned long long)l->offset)
			      : asprintf(&s, "%s", l->fn_name ? l->fn_name : "");
		break;
	case BPFMAN_PROG_UPROBE:
		r = asprintf(&s, "%s:%s%s%llx", l->target ? l->target : "",
			     l->fn_name ? l->fn_name : "", l->fn_name ? "+0x" : "0x",
			     (unsigned long long)l->offset);
		break;
	default:
		r = asprintf(&s, "%s", "");
		break;
	}
	return r < 0 ? NULL : s;
}
