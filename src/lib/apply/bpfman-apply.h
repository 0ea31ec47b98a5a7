/* The reconciler of declared applications (public API; the CLI, the server and the node agent
 * call it). desired application -> plan against what the manager holds for it (programs and
 * links carrying its metadata) -> actions, each with the library's undo and commit-last
 * discipline. Links that already match are not touched (no dispatcher rebuild when nothing
 * changed). */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "app-decl.h"
#include "bpfman.h"

/* Metadata keys that tie programs and links to their application (the agent's, §3.5). */
#define APP_META_NAME "bpfman.io/ProgramName"
#define APP_META_UUID "bpfman.io/uuid"
/* Ours (a host has no State object): the application's id, app_id() below, so that a
 * ClusterBpfApplication and a BpfApplication (or two namespaces) of the same name stay
 * apart; ProgramName alone is the bare name, as the agent sets it. */
#define APP_META_APP "bpfman.io/application-id"

/* "ClusterBpfApplication/NAME" or "BpfApplication/NS/NAME" (malloc'd; NULL on ENOMEM). */
char *app_id(const struct app_decl *d);

enum app_action_kind {
	APP_ACT_LOAD,
	APP_ACT_ATTACH,
	APP_ACT_DETACH,
	APP_ACT_UNLOAD,
};

struct app_action {
	enum app_action_kind kind;
	char *program; /* function name */
	char *what; /* "xdp on eth0 priority 50 (netns ...)", "tracepoint syscalls/sys_enter_kill" */
	uint32_t prog_id; /* 0 until loaded */
	uint32_t link_id; /* detach: the link; attach: the new link once done */
};

enum app_link_state {
	APP_LINK_APPLIED,
	APP_LINK_PENDING, /* its interface (or netns) does not exist yet */
	APP_LINK_FAILED,
};

struct app_link_status {
	char *program;
	char *what;
	enum app_link_state state;
	char *reason; /* pending/failed: why */
	uint32_t link_id; /* applied */
};

struct app_result {
	char *app; /* "ClusterBpfApplication/NAME" or "BpfApplication/NS/NAME" */
	struct app_action *actions; /* what was done (or would be, with dry_run) */
	size_t n_actions;
	struct app_link_status *links; /* every declared link after the apply */
	size_t n_links;
	bool failed; /* the application stayed as it was (error says why) */
	char *error;
};

void app_results_free(struct app_result *v, size_t n);

/* Applies each application (independently: one failing does not stop the others; it is
 * left as it was or fully at the new spec). Returns 0 when every application applied (links
 * may be pending), -EIO when some failed (see their results), other negative errno when
 * nothing could be tried.
 *
 * What changes (app-plan.c): byteCode or globalData differing from what the app's programs
 * were loaded with reloads every program of the app (one Load); otherwise only programs
 * added, or whose name/type/retprobe-ness/fentry function changed, are loaded (sharing the
 * maps of the programs that stay) and programs no longer declared are unloaded. A declared
 * link equal (bpfman-k8s.md 3.6) to a link of its kept program is not touched; other links
 * of the app are detached and the missing ones attached. Order: load, detach, attach,
 * record the declaration, unload; a failure before the record undoes this apply in reverse
 * (links it detached are attached again as they were, with new link ids).
 * Results: actions in that order; links[] every concrete declared link: applied (link_id),
 * pending (its interface or netns path does not exist yet: not a failure), failed (reason).
 * With dry_run, nothing changes, and links that would be attached read "applied" with
 * link_id 0 and the reason "would be attached". The writer lock is held from plan to
 * record. */
int bpfman_apply(struct bpfman *m, const struct app_decl *apps, size_t n, bool dry_run,
		 struct app_result **ret, size_t *ret_n);
/* Unloads everything the manager holds for these applications (by kind/namespace/name). */
int bpfman_app_delete(struct bpfman *m, const struct app_decl *apps, size_t n, bool dry_run,
		      struct app_result **ret, size_t *ret_n);
/* Every application applied on this host (the declarations are kept in the state store), with
 * whether the kernel matches each declared link. Per application: actions = what an apply
 * would do now (none: the kernel matches); failed with error = it differs (partly: programs
 * not loaded, links not attached or extra, with the reasons per link); pending links alone
 * are not a difference. */
int bpfman_app_status(struct bpfman *m, struct app_result **ret, size_t *ret_n);
/* Completes pending links (an interface or a namespace appeared). Returns how many links
 * changed state. The server calls it on netlink link events. Each stored declaration is
 * planned (cheap: no change when nothing differs); one whose plan has actions is applied
 * again, which also repairs a link or program of it that went missing. Results only for the
 * applications it applied. */
int bpfman_app_retry_pending(struct bpfman *m, struct app_result **ret, size_t *ret_n);
