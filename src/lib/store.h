/* The state database: an index of what the manager made (programs, links), in SQLite.
 * The kernel and the bpffs are the truth; reconcile.c repairs this index toward them.
 *
 * Every function returns 0 or a negative errno (SQLite codes mapped in one place);
 * -ENOENT for a missing row. Writers wrap a user-visible change in store_begin() /
 * store_commit() (BEGIN IMMEDIATE), committed as the last step of the change. */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "bpfman.h"

struct store;

#define STORE_DB_NAME "store.db"

/* A writer's open (caller holds the writer lock): creates the file, switches it to WAL,
 * migrates the schema. */
int store_open(const char *path, struct store **ret);
/* A reader's open (also a server worker's, once the process made the state): takes no
 * lock and starts no write transaction. -ENOENT when there is no
 * database or no schema yet (nothing recorded), -ESTALE when the schema is older than this
 * release (a writer migrates it), -EPROTONOSUPPORT when newer. */
int store_open_reader(const char *path, struct store **ret);
/* The same two, for the database STORE_DB_NAME in an open directory; -ELOOP if it or a
 * file of SQLite's beside it is a link. */
int store_open_at(int dir_fd, struct store **ret);
int store_open_reader_at(int dir_fd, struct store **ret);
struct store *store_close(struct store *s);

int store_begin(struct store *s);
int store_commit(struct store *s);
/* A read snapshot for a listing: one lock for thousands of queries, and one consistent view.
 * End it with store_commit() (or store_rollback()). */
int store_begin_read(struct store *s);
void store_rollback(struct store *s);

int store_program_insert(struct store *s, const struct bpfman_program *p);
int store_program_delete(struct store *s, uint32_t id);
/* Full record including links and map_used_by. */
int store_program_get(struct store *s, uint32_t id, struct bpfman_program **ret);
int store_program_exists(struct store *s, uint32_t id);
int store_program_ids(struct store *s, uint32_t **ret_ids, size_t *ret_n);
/* Programs whose map_pin_path is path (ascending id). */
int store_map_users(struct store *s, const char *map_pin_path, uint32_t **ret_ids,
		    size_t *ret_n);

int store_link_insert(struct store *s, const struct bpfman_link *l);
int store_link_delete(struct store *s, uint32_t id);
int store_link_get(struct store *s, uint32_t id, struct bpfman_link **ret);
int store_link_exists(struct store *s, uint32_t id);
/* Every link id, or those of one program (prog_id != 0), in attach order. */
int store_link_ids(struct store *s, uint32_t prog_id, uint32_t **ret_ids, size_t *ret_n);
/* Links of one type on one hook (iface + netns + direction), in priority, then attach order. */
int store_hook_links(struct store *s, enum bpfman_prog_type type, const char *iface,
		     const char *netns, enum bpfman_direction dir, struct bpfman_link **ret,
		     size_t *ret_n);
/* Remembers a clsact qdisc the manager created. */
int store_tc_qdisc_add(struct store *s, const char *netns, const char *iface);
/* When no TC link is left on the interface and the manager created its clsact: forgets it
 * and returns 1 (the caller removes the qdisc); 0 when it stays. */
int store_tc_qdisc_release(struct store *s, const char *netns, const char *iface);

/* Declared applications (src/lib/apply): the declaration as last applied, as JSON, keyed
 * by the application's id ("ClusterBpfApplication/NAME", "BpfApplication/NS/NAME"). */
int store_app_put(struct store *s, const char *app, const char *decl_json);
/* -ENOENT when there was none. */
int store_app_delete(struct store *s, const char *app);
/* Every one, ordered by id; two parallel NULL-terminated arrays the caller frees. */
int store_app_list(struct store *s, char ***ret_apps, char ***ret_decls, size_t *ret_n);
