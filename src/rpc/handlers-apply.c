/* bpfman.apply.v1 -> the reconciler of declared applications -> ApplyResponse. Only
 * translation: parsing is app-decl's, planning and applying the library's. The response is
 * built in the reply's arena. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "app-decl.h"
#include "bpfman-apply.h"
#include "bpfman-apply.pb-c.h"
#include "cleanup.h"
#include "handlers-apply.h"
#include "status-errno.h"

static void fail(struct rpc_reply *out, int r, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void fail(struct rpc_reply *out, int r, const char *fmt, ...)
{
	va_list ap;

	out->status = status_from_errno(r);
	if (out->status == GRPC_STATUS_OK)
		out->status = GRPC_STATUS_INTERNAL;
	va_start(ap, fmt);
	vsnprintf(out->message, sizeof(out->message), fmt, ap);
	va_end(ap);
	out->response = NULL;
}

static const char *action_key(enum app_action_kind k)
{
	static const char *const names[] = {
		[APP_ACT_LOAD] = "load", [APP_ACT_ATTACH] = "attach",
		[APP_ACT_DETACH] = "detach", [APP_ACT_UNLOAD] = "unload",
	};

	return (unsigned)k < ELEMENTSOF(names) && names[k] ? names[k] : "?";
}

static const char *link_state(enum app_link_state s)
{
	return s == APP_LINK_APPLIED ? "applied" : s == APP_LINK_PENDING ? "pending" : "failed";
}

/* As `bpfman status` words it (render-apply.c): in a status, "failed" is the reconciler's
 * "differs from its declaration", which is "partly". */
static const char *app_state(const struct app_result *r, bool status)
{
	bool pending = false;

	if (r->failed)
		return status ? "partly" : "failed";
	for (size_t i = 0; i < r->n_links; i++) {
		if (r->links[i].state == APP_LINK_FAILED)
			return "partly";
		pending |= r->links[i].state == APP_LINK_PENDING;
	}
	return pending ? "pending" : "applied";
}

static Bpfman__Apply__V1__ApplicationResult *result_msg(struct arena *a, const struct app_result *r,
							bool status)
{
	Bpfman__Apply__V1__ApplicationResult *o = arena_alloc(a, sizeof(*o));

	if (!o)
		return NULL;
	bpfman__apply__v1__application_result__init(o);
	o->application = arena_strdup(a, r->app);
	o->state = arena_strdup(a, app_state(r, status));
	o->changed = !r->failed && r->n_actions > 0;
	o->error = arena_strdup(a, r->error);
	o->actions = arena_array(a, r->n_actions, sizeof(*o->actions));
	o->links = arena_array(a, r->n_links, sizeof(*o->links));
	if ((r->n_actions && !o->actions) || (r->n_links && !o->links))
		return NULL;
	for (size_t i = 0; i < r->n_actions; i++) {
		Bpfman__Apply__V1__Action *x = arena_alloc(a, sizeof(*x));

		if (!x)
			return NULL;
		bpfman__apply__v1__action__init(x);
		x->action = arena_strdup(a, action_key(r->actions[i].kind));
		x->program = arena_strdup(a, r->actions[i].program);
		x->what = arena_strdup(a, r->actions[i].what);
		x->program_id = r->actions[i].prog_id;
		x->link_id = r->actions[i].link_id;
		o->actions[o->n_actions++] = x;
	}
	for (size_t i = 0; i < r->n_links; i++) {
		Bpfman__Apply__V1__LinkStatus *x = arena_alloc(a, sizeof(*x));

		if (!x)
			return NULL;
		bpfman__apply__v1__link_status__init(x);
		x->program = arena_strdup(a, r->links[i].program);
		x->what = arena_strdup(a, r->links[i].what);
		x->state = arena_strdup(a, link_state(r->links[i].state));
		x->reason = arena_strdup(a, r->links[i].reason);
		x->link_id = r->links[i].link_id;
		o->links[o->n_links++] = x;
	}
	return o;
}

/* results -> the response's repeated field; false when out of memory */
static bool results_msg(struct arena *a, const struct app_result *v, size_t n, bool status,
			Bpfman__Apply__V1__ApplicationResult ***ret, size_t *ret_n, bool *changed)
{
	*ret = arena_array(a, n, sizeof(**ret));
	if (n && !*ret)
		return false;
	for (size_t i = 0; i < n; i++) {
		(*ret)[i] = result_msg(a, &v[i], status);
		if (!(*ret)[i])
			return false;
		*changed |= (*ret)[i]->changed;
	}
	*ret_n = n;
	return true;
}

/* The request's documents: its text or a path on this host; exactly one. */
static int parse_request(const char *yaml, const char *path, struct app_decl **v, size_t *n,
			 struct rpc_reply *out)
{
	_cleanup_free_ char *err = NULL;
	int r;

	if (!!(yaml && *yaml) == !!(path && *path)) {
		fail(out, -EINVAL, "exactly one of yaml and path is required");
		return -EINVAL;
	}
	if (yaml && *yaml)
		r = app_decl_parse_text("request", yaml, strlen(yaml), v, n, &err);
	else
		r = app_decl_parse_path(path, false, v, n, &err);
	if (r < 0) {
		/* a document that does not validate is the client's mistake, whatever errno */
		fail(out, r == -ENOENT || r == -EACCES ? r : -EINVAL, "%s",
		     err ? err : strerror(-r));
		return r;
	}
	if (*n == 0) {
		fail(out, -EINVAL, "no ClusterBpfApplication or BpfApplication document");
		return -EINVAL;
	}
	return 0;
}

static void apply_or_delete(struct bpfman *m, const char *yaml, const char *path, bool dry_run,
			    bool delete, struct rpc_reply *out)
{
	Bpfman__Apply__V1__ApplyResponse *resp;
	struct app_decl *apps = NULL;
	struct app_result *res = NULL;
	size_t n_apps = 0, n_res = 0;
	int r = parse_request(yaml, path, &apps, &n_apps, out);

	if (r < 0)
		return;
	/* pending links of other applications: the server's link-watch completes them */
	r = delete ? bpfman_app_delete(m, apps, n_apps, dry_run, &res, &n_res)
		   : bpfman_apply(m, apps, n_apps, dry_run, &res, &n_res);
	if (r < 0 && r != -EIO) {
		const char *msg = bpfman_error(m);

		fail(out, r, "%s", msg && *msg ? msg : strerror(-r));
		goto done;
	}
	resp = arena_alloc(&out->arena, sizeof(*resp));
	if (resp) {
		bool changed = false;

		bpfman__apply__v1__apply_response__init(resp);
		if (results_msg(&out->arena, res, n_res, false, &resp->applications,
				&resp->n_applications, &changed))
			out->response = &resp->base;
		resp->changed = changed;
	}
done:
	app_results_free(res, n_res);
	app_decls_free(apps, n_apps);
}

void handle_app_apply(struct bpfman *m, const ProtobufCMessage *req, struct rpc_reply *out)
{
	const Bpfman__Apply__V1__ApplyRequest *q = (const void *)req;

	apply_or_delete(m, q->yaml, q->path, q->dry_run, false, out);
}

void handle_app_delete(struct bpfman *m, const ProtobufCMessage *req, struct rpc_reply *out)
{
	const Bpfman__Apply__V1__DeleteRequest *q = (const void *)req;

	apply_or_delete(m, q->yaml, q->path, q->dry_run, true, out);
}

void handle_app_status(struct bpfman *m, const ProtobufCMessage *req, struct rpc_reply *out)
{
	Bpfman__Apply__V1__StatusResponse *resp;
	struct app_result *res = NULL;
	size_t n_res = 0;
	bool changed = false;
	int r;

	(void)req;
	r = bpfman_app_status(m, &res, &n_res);
	if (r < 0) {
		const char *msg = bpfman_error(m);

		fail(out, r, "%s", msg && *msg ? msg : strerror(-r));
		return;
	}
	resp = arena_alloc(&out->arena, sizeof(*resp));
	if (resp) {
		bpfman__apply__v1__status_response__init(resp);
		if (results_msg(&out->arena, res, n_res, true, &resp->applications,
				&resp->n_applications, &changed))
			out->response = &resp->base;
	}
	app_results_free(res, n_res);
}
