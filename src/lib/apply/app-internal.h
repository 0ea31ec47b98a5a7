/* Internals of the reconciler: the plan (app-plan.c) that app-apply.c carries out and
 * app-status.c reports, and the declaration's JSON form kept in the store (app-store.c). */
#pragma once

#include "bpfman-apply.h"
#include "manager.h"

/* One desired program and what the plan does with it. */
struct plan_prog {
	const struct app_program *decl;
	uint32_t keep_id; /* a loaded program of the app that already matches, or 0 */
	uint32_t new_id;  /* loaded by this apply */
	bool load;	  /* needs a load */
};

/* One concrete desired link (a link entry times each interface its selector names). */
struct plan_link {
	size_t prog; /* index in plan.progs */
	const struct app_link *decl;
	char *iface; /* xdp/tc/tcx: resolved interface */
	char *what;
	struct bpfman_attach_opts opts; /* points into decl and iface */
	uint32_t keep_link_id;		/* an existing link equal to it (3.6): not touched */
	uint32_t new_link_id;
	enum app_link_state state;
	char *reason;  /* pending / failed: why */
	bool resolved; /* false: pending or failed before anything is tried */
};

struct plan {
	char *app; /* app_id() */
	const struct app_decl *decl;
	struct kv_list meta;	  /* APP_META_APP: selects the app's programs; on its links */
	struct kv_list load_meta; /* the programs' metadata: meta + APP_META_NAME (3.5) */
	bool reload_all;	  /* byteCode or globalData changed: every program is loaded anew */
	struct plan_prog *progs;
	size_t n_progs;
	struct plan_link *links;
	size_t n_links;
	uint32_t *unload; /* loaded programs of the app that go */
	char **unload_names;
	size_t n_unload;
	struct bpfman_link *detach; /* links that go (copies: an undo attaches them again) */
	size_t n_detach;
};

/* Builds the plan of one application against what the manager holds for it. Errors go to
 * *ret_err (malloc'd). */
int plan_build(struct bpfman *m, const struct app_decl *d, struct plan *p, char **ret_err);
void plan_clear(struct plan *p);
/* The plan's actions (what it would do / did), appended to r. */
int plan_actions(const struct plan *p, struct app_result *r);
/* Every planned link's state into r->links. */
int plan_link_states(const struct plan *p, struct app_result *r);
size_t plan_n_changes(const struct plan *p);
/* A new link that could collide with a link that goes (same hook of the same kind, or the
 * same tracing program): attached after the detaches; the others before them. */
bool plan_link_late(const struct plan *p, const struct plan_link *w);
/* The program id a link attaches to (kept or new). */
uint32_t plan_link_prog_id(const struct plan *p, const struct plan_link *l);

enum bpfman_prog_type app_bpfman_type(enum app_prog_type t);
/* byteCode.path made absolute (a relative path is relative to the declaring file). */
char *app_object_path(const struct app_decl *d);
/* Plans and carries out one application (app-apply.c). */
int app_apply_one(struct bpfman *m, const struct app_decl *d, bool dry_run, struct app_result *res);

/* The declaration <-> JSON (the form kept in the applications table). */
char *app_decl_to_json(const struct app_decl *d);
int app_decl_from_json(const char *json, struct app_decl *d);
/* The stored declarations. */
int app_store_put(struct bpfman *m, const char *app, const struct app_decl *d);
int app_store_delete(struct bpfman *m, const char *app);
int app_store_load(struct bpfman *m, struct app_decl **ret, size_t *ret_n, char **ret_err);

/* Result helpers. */
int result_add_action(struct app_result *r, enum app_action_kind kind, const char *program,
		      const char *what, uint32_t prog_id, uint32_t link_id);
int result_init(struct app_result *r, const char *app);
char *strdup_printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
