/* SQLite-backed state store.
 *
 * NOTES ON THE DESIGN
 * 1. The database lives under /run on purpose: it shares the lifetime of the kernel objects
 *    it indexes, so a reboot never leaves records of programs that are gone.
 * 2. WAL mode: readers (list/get) never block the writer and see a consistent snapshot.
 *    They open with store_open_reader(): no file creation, no WAL switch, no migration, no
 *    write transaction, so a writer's long transaction never makes them wait.
 * 3. Writers are already serialized by the manager's flock; BEGIN IMMEDIATE and a busy
 *    timeout make a second writer that bypasses it wait instead of failing.
 * 4. The schema version is PRAGMA user_version; migrations[i] takes version i to i+1.
 * 5. Only prepared statements with bound parameters. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sqlite3.h>

#include "cleanup.h"
#include "store.h"

/* Prepared statements are kept for the life of the connection: a List of 1,000 programs
 * runs the same few queries thousands of times, and parsing them again each time was most
 * of SQLite's share of it. Keyed by the SQL literal's address (every query is a literal). */
#define STMT_CACHE_SIZE 48

struct store {
	sqlite3 *db;
	int dir_fd; /* store_open_at(): the directory SQLite reaches through /proc/self/fd */
	struct {
		const char *sql;
		sqlite3_stmt *st;
	} cache[STMT_CACHE_SIZE];
};

static const char *const migrations[] = {
	/* 0 -> 1 */
	"CREATE TABLE programs ("
	"  id INTEGER PRIMARY KEY,"
	"  name TEXT NOT NULL,"
	"  type INTEGER NOT NULL,"
	"  attach_fn TEXT,"
	"  retprobe INTEGER NOT NULL DEFAULT 0,"
	"  path TEXT,"
	"  image_url TEXT,"
	"  pull_policy INTEGER NOT NULL DEFAULT 1,"
	"  map_owner_id INTEGER,"
	"  map_pin_path TEXT NOT NULL);"
	"CREATE INDEX programs_map_pin_path ON programs(map_pin_path);"
	"CREATE TABLE program_globals ("
	"  prog_id INTEGER NOT NULL REFERENCES programs(id) ON DELETE CASCADE,"
	"  name TEXT NOT NULL, value BLOB NOT NULL, PRIMARY KEY (prog_id, name));"
	"CREATE TABLE program_metadata ("
	"  prog_id INTEGER NOT NULL REFERENCES programs(id) ON DELETE CASCADE,"
	"  key TEXT NOT NULL, value TEXT NOT NULL, PRIMARY KEY (prog_id, key));"
	"CREATE TABLE links ("
	"  id INTEGER PRIMARY KEY,"
	"  seq INTEGER NOT NULL,"
	"  prog_id INTEGER NOT NULL REFERENCES programs(id) ON DELETE CASCADE,"
	"  type INTEGER NOT NULL,"
	"  kernel_link_id INTEGER NOT NULL DEFAULT 0,"
	"  iface TEXT, direction INTEGER NOT NULL DEFAULT 0,"
	"  priority INTEGER NOT NULL DEFAULT 0, position INTEGER NOT NULL DEFAULT -1,"
	"  netns TEXT, proceed_on TEXT, tracepoint TEXT, fn_name TEXT,"
	"  offset INTEGER NOT NULL DEFAULT 0, target TEXT,"
	"  pid INTEGER NOT NULL DEFAULT 0, container_pid INTEGER NOT NULL DEFAULT 0,"
	"  retprobe INTEGER NOT NULL DEFAULT 0);"
	"CREATE INDEX links_prog ON links(prog_id);"
	"CREATE TABLE link_metadata ("
	"  link_id INTEGER NOT NULL REFERENCES links(id) ON DELETE CASCADE,"
	"  key TEXT NOT NULL, value TEXT NOT NULL, PRIMARY KEY (link_id, key));",
	/* 1 -> 2: TC filters without a dispatcher (no bpf_link: a handle instead), and the
	 * clsact qdiscs the manager created (removed when its last TC program leaves) */
	"ALTER TABLE links ADD COLUMN tc_handle INTEGER NOT NULL DEFAULT 0;"
	"CREATE TABLE tc_qdiscs (netns TEXT NOT NULL, iface TEXT NOT NULL,"
	"  PRIMARY KEY (netns, iface));",
	/* 2 -> 3: xdp/tc links that are dispatcher members (no pin of their own) */
	"ALTER TABLE links ADD COLUMN dispatched INTEGER NOT NULL DEFAULT 0;",
	/* 3 -> 4: the manifest digest a program's image reference resolved to at load */
	"ALTER TABLE programs ADD COLUMN image_digest TEXT;",
	/* 4 -> 5: declared applications as last applied (JSON), for status and retries */
	"CREATE TABLE applications (app TEXT PRIMARY KEY, decl TEXT NOT NULL);",
};

static int errno_from_sqlite(int rc)
{
	switch (rc & 0xff) {
	case SQLITE_OK:
	case SQLITE_DONE:
	case SQLITE_ROW:
		return 0;
	case SQLITE_BUSY:
	case SQLITE_LOCKED:
		return -EBUSY;
	case SQLITE_NOMEM:
		return -ENOMEM;
	case SQLITE_READONLY:
	case SQLITE_PERM:
	case SQLITE_AUTH:
		return -EACCES;
	case SQLITE_CONSTRAINT:
		return -EEXIST;
	case SQLITE_NOTFOUND:
		return -ENOENT;
	case SQLITE_FULL:
		return -ENOSPC;
	case SQLITE_CANTOPEN:
		return -ENOENT;
	case SQLITE_CORRUPT:
	case SQLITE_NOTADB:
		return -EUCLEAN;
	default:
		return -EIO;
	}
}

/* Hands a cached statement back: reset, bindings cleared, ready for the next user. */
static void releasep(sqlite3_stmt **st)
{
	if (*st) {
		sqlite3_reset(*st);
		sqlite3_clear_bindings(*st);
	}
}
#define _cleanup_stmt_ _cleanup_(releasep)

/* A statement must not be prepared again while it is still in use (no query here nests
 * itself). */
static int prepare(struct store *s, const char *sql, sqlite3_stmt **ret)
{
	size_t i;
	int r;

	for (i = 0; i < STMT_CACHE_SIZE && s->cache[i].sql; i++)
		if (s->cache[i].sql == sql) {
			*ret = s->cache[i].st;
			return 0;
		}
	if (i == STMT_CACHE_SIZE)
		return -ENOSPC; /* more distinct queries than the cache holds: raise the size */
	r = errno_from_sqlite(sqlite3_prepare_v3(s->db, sql, -1, SQLITE_PREPARE_PERSISTENT,
						 &s->cache[i].st, NULL));
	if (r < 0)
		return r;
	s->cache[i].sql = sql;
	*ret = s->cache[i].st;
	return 0;
}

/* Runs a statement that returns no rows. */
static int step_done(sqlite3_stmt *st)
{
	int rc = sqlite3_step(st);

	return rc == SQLITE_DONE ? 0 : errno_from_sqlite(rc);
}

static void bind_text_or_null(sqlite3_stmt *st, int i, const char *v)
{
	if (v)
		sqlite3_bind_text(st, i, v, -1, SQLITE_TRANSIENT);
	else
		sqlite3_bind_null(st, i);
}

static char *column_strdup(sqlite3_stmt *st, int i)
{
	const unsigned char *t = sqlite3_column_text(st, i);

	return t ? strdup((const char *)t) : NULL;
}

static int migrate(struct store *s)
{
	_cleanup_stmt_ sqlite3_stmt *st = NULL;
	int version, r;

	r = errno_from_sqlite(sqlite3_exec(s->db, "BEGIN IMMEDIATE", NULL, NULL, NULL));
	if (r < 0)
		return r;
	r = prepare(s, "PRAGMA user_version", &st);
	if (r < 0)
		goto fail;
	if (sqlite3_step(st) != SQLITE_ROW) {
		r = -EIO;
		goto fail;
	}
	version = sqlite3_column_int(st, 0);
	sqlite3_reset(st); /* no statement may stay open across the schema changes */
	if (version > (int)ELEMENTSOF(migrations)) {
		/* written by a newer release: refuse rather than guess */
		r = -EPROTONOSUPPORT;
		goto fail;
	}
	for (int v = version; v < (int)ELEMENTSOF(migrations); v++) {
		char pragma[64];

		r = errno_from_sqlite(sqlite3_exec(s->db, migrations[v], NULL, NULL, NULL));
		if (r < 0)
			goto fail;
		snprintf(pragma, sizeof(pragma), "PRAGMA user_version = %d", v + 1);
		r = errno_from_sqlite(sqlite3_exec(s->db, pragma, NULL, NULL, NULL));
		if (r < 0)
			goto fail;
	}
	return errno_from_sqlite(sqlite3_exec(s->db, "COMMIT", NULL, NULL, NULL));
fail:
	sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
	return r;
}

/* A reader's check instead of migrate(): the schema as it is, read without any write
 * transaction (so a writer's open BEGIN IMMEDIATE does not make it wait). 0 when current,
 * -ENOENT when the file has no schema yet (being created: nothing to read), -ESTALE when a
 * writer has to migrate it first. */
static int check_version(struct store *s)
{
	_cleanup_stmt_ sqlite3_stmt *st = NULL;
	int version, r;

	r = prepare(s, "PRAGMA user_version", &st);
	if (r < 0)
		return r;
	if (sqlite3_step(st) != SQLITE_ROW)
		return errno_from_sqlite(sqlite3_errcode(s->db)) ?: -EIO;
	version = sqlite3_column_int(st, 0);
	if (version > (int)ELEMENTSOF(migrations))
		return -EPROTONOSUPPORT;
	if (version == 0)
		return -ENOENT;
	return version < (int)ELEMENTSOF(migrations) ? -ESTALE : 0;
}

static int store_open_once(const char *path, bool reader, struct store **ret)
{
	struct store *s = calloc(1, sizeof(*s));
	int r;

	if (!s)
		return -ENOMEM;
	s->dir_fd = -EBADF;
	/* a reader never creates the file: that, the switch to WAL and the schema are a
	 * writer's, under the writer lock */
	r = errno_from_sqlite(sqlite3_open_v2(path, &s->db,
					      SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX |
						      (reader ? 0 : SQLITE_OPEN_CREATE),
					      NULL));
	if (r < 0)
		goto fail;
	sqlite3_busy_timeout(s->db, 30000);
	r = errno_from_sqlite(sqlite3_exec(s->db,
					   /* synchronous is per connection: a server's
					    * worker opened this way also writes */
					   reader ? "PRAGMA synchronous=NORMAL;"
						    "PRAGMA foreign_keys=ON;"
						    "PRAGMA cache_size=-128;"
						  : "PRAGMA journal_mode=WAL;"
						    "PRAGMA synchronous=NORMAL;"
						    "PRAGMA foreign_keys=ON;"
						    /* a few hundred KiB hold the whole index;
						     * the server keeps one connection per
						     * worker */
						    "PRAGMA cache_size=-128;",
					   NULL, NULL, NULL));
	if (r < 0)
		goto fail;
	r = reader ? check_version(s) : migrate(s);
	if (r < 0)
		goto fail;
	*ret = s;
	return 0;
fail:
	store_close(s);
	return r;
}

/* A reader may open the database while a writer creates it: SQLite then answers the
 * switch to WAL with BUSY at once, without its busy handler; that settles within
 * milliseconds, so a few retries are enough. */
static int store_open_retry(const char *path, bool reader, struct store **ret)
{
	int r = -EBUSY;

	for (int i = 0; i < 50 && r == -EBUSY; i++) {
		if (i)
			usleep(10000);
		r = store_open_once(path, reader, ret);
	}
	return r;
}

int store_open(const char *path, struct store **ret)
{
	return store_open_retry(path, false, ret);
}

int store_open_reader(const char *path, struct store **ret)
{
	return store_open_retry(path, true, ret);
}

/* The database in a directory the caller opened without following links
 * (layout_open_dir). SQLite opens by name, so it is given /proc/self/fd/N/store.db: that
 * names the opened directory itself, whatever has been renamed or linked on the way to it
 * since (SQLite resolves the magic link to the directory's real path when it opens, and
 * the fd stays open with the connection). The files SQLite makes beside the database are
 * opened by name in there, so none of them may be a link either. */
static int store_open_in(int dir_fd, bool reader, struct store **ret)
{
	static const char *const files[] = { STORE_DB_NAME, STORE_DB_NAME "-wal",
					     STORE_DB_NAME "-shm", STORE_DB_NAME "-journal" };
	_cleanup_close_ int fd = -EBADF;
	char path[64];
	int r;

	for (size_t i = 0; i < ELEMENTSOF(files); i++) {
		struct stat st;

		if (fstatat(dir_fd, files[i], &st, AT_SYMLINK_NOFOLLOW) < 0) {
			if (errno == ENOENT)
				continue;
			return -errno;
		}
		if (S_ISLNK(st.st_mode))
			return -ELOOP;
		if (!S_ISREG(st.st_mode))
			return -EINVAL;
	}
	fd = fcntl(dir_fd, F_DUPFD_CLOEXEC, 3);
	if (fd < 0)
		return -errno;
	snprintf(path, sizeof(path), "/proc/self/fd/%d/" STORE_DB_NAME, fd);
	r = store_open_retry(path, reader, ret);
	if (r < 0)
		return r;
	(*ret)->dir_fd = TAKE_FD(fd);
	return 0;
}

int store_open_at(int dir_fd, struct store **ret)
{
	return store_open_in(dir_fd, false, ret);
}

int store_open_reader_at(int dir_fd, struct store **ret)
{
	return store_open_in(dir_fd, true, ret);
}

struct store *store_close(struct store *s)
{
	if (!s)
		return NULL;
	safe_close(s->dir_fd);
	for (size_t i = 0; i < STMT_CACHE_SIZE && s->cache[i].sql; i++)
		sqlite3_finalize(s->cache[i].st);
	sqlite3_close_v2(s->db);
	free(s);
	return NULL;
}

int store_begin(struct store *s)
{
	return errno_from_sqlite(sqlite3_exec(s->db, "BEGIN IMMEDIATE", NULL, NULL, NULL));
}

int store_begin_read(struct store *s)
{
	return errno_from_sqlite(sqlite3_exec(s->db, "BEGIN DEFERRED", NULL, NULL, NULL));
}

int store_commit(struct store *s)
{
	return errno_from_sqlite(sqlite3_exec(s->db, "COMMIT", NULL, NULL, NULL));
}

void store_rollback(struct store *s)
{
	(void)sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
}

static int insert_kv(struct store *s, const char *sql, uint32_t owner, const struct kv_list *l)
{
	for (size_t i = 0; i < l->n; i++) {
		_cleanup_stmt_ sqlite3_stmt *st = NULL;
		int r = prepare(s, sql, &st);

		if (r < 0)
			return r;
		sqlite3_bind_int64(st, 1, owner);
		sqlite3_bind_text(st, 2, l->items[i].key, -1, SQLITE_TRANSIENT);
		sqlite3_bind_text(st, 3, l->items[i].value, -1, SQLITE_TRANSIENT);
		r = step_done(st);
		if (r < 0)
			return r;
	}
	return 0;
}

static int read_kv(struct store *s, const char *sql, uint32_t owner, struct kv_list *l)
{
	_cleanup_stmt_ sqlite3_stmt *st = NULL;
	int r = prepare(s, sql, &st), rc;

	if (r < 0)
		return r;
	sqlite3_bind_int64(st, 1, owner);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		/* rows come ORDER BY key and keys are unique: appending keeps the list sorted */
		r = kv_list_append(l, (const char *)sqlite3_column_text(st, 0),
				   (const char *)sqlite3_column_text(st, 1));
		if (r < 0)
			return r;
	}
	return rc == SQLITE_DONE ? 0 : errno_from_sqlite(rc);
}

/* Collects the u32 first column of every row of a statement with its parameters bound. */
static int collect_ids(sqlite3_stmt *st, uint32_t **ret_ids, size_t *ret_n)
{
	_cleanup_free_ uint32_t *ids = NULL;
	size_t n = 0, cap = 0;
	int rc;

	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (n == cap) {
			size_t ncap = cap ? cap * 2 : 16;
			uint32_t *t = reallocarray(ids, ncap, sizeof(*ids));

			if (!t)
				return -ENOMEM;
			ids = t;
			cap = ncap;
		}
		ids[n++] = (uint32_t)sqlite3_column_int64(st, 0);
	}
	if (rc != SQLITE_DONE)
		return errno_from_sqlite(rc);
	*ret_ids = TAKE_PTR(ids);
	*ret_n = n;
	return 0;
}

int store_program_insert(struct store *s, const struct bpfman_program *p)
{
	_cleanup_stmt_ sqlite3_stmt *st = NULL;
	int r;

	r = prepare(s,
		    "INSERT INTO programs (id, name, type, attach_fn, retprobe, path, image_url,"
		    " pull_policy, map_owner_id, map_pin_path, image_digest)"
		    " VALUES (?,?,?,?,?,?,?,?,?,?,?)",
		    &st);
	if (r < 0)
		return r;
	sqlite3_bind_int64(st, 1, p->id);
	sqlite3_bind_text(st, 2, p->name, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int(st, 3, p->type);
	bind_text_or_null(st, 4, p->attach_fn);
	sqlite3_bind_int(st, 5, p->retprobe);
	bind_text_or_null(st, 6, p->path);
	bind_text_or_null(st, 7, p->image_url);
	sqlite3_bind_int(st, 8, p->pull_policy);
	if (p->has_map_owner)
		sqlite3_bind_int64(st, 9, p->map_owner_id);
	else
		sqlite3_bind_null(st, 9);
	sqlite3_bind_text(st, 10, p->map_pin_path, -1, SQLITE_TRANSIENT);
	bind_text_or_null(st, 11, p->image_digest);
	r = step_done(st);
	if (r < 0)
		return r;

	for (size_t i = 0; i < p->n_globals; i++) {
		_cleanup_stmt_ sqlite3_stmt *g = NULL;

		r = prepare(s, "INSERT INTO program_globals (prog_id, name, value) VALUES (?,?,?)",
			    &g);
		if (r < 0)
			return r;
		sqlite3_bind_int64(g, 1, p->id);
		sqlite3_bind_text(g, 2, p->globals[i].name, -1, SQLITE_TRANSIENT);
		sqlite3_bind_blob(g, 3, p->globals[i].data, (int)p->globals[i].len,
				  SQLITE_TRANSIENT);
		r = step_done(g);
		if (r < 0)
			return r;
	}
	return insert_kv(s, "INSERT INTO program_metadata (prog_id, key, value) VALUES (?,?,?)",
			 p->id, &p->metadata);
}

/* Runs a DELETE of one row by id: -ENOENT when there was none. */
static int delete_by_id(struct store *s, const char *sql, uint32_t id)
{
	_cleanup_stmt_ sqlite3_stmt *st = NULL;
	int r = prepare(s, sql, &st);

	if (r < 0)
		return r;
	sqlite3_bind_int64(st, 1, id);
	r = step_done(st);
	if (r < 0)
		return r;
	return sqlite3_changes(s->db) > 0 ? 0 : -ENOENT;
}

int store_program_delete(struct store *s, uint32_t id)
{
	return delete_by_id(s, "DELETE FROM programs WHERE id = ?", id);
}

static int exists(struct store *s, const char *sql, uint32_t id)
{
	_cleanup_stmt_ sqlite3_stmt *st = NULL;
	int r = prepare(s, sql, &st), rc;

	if (r < 0)
		return r;
	sqlite3_bind_int64(st, 1, id);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		return 1;
	return rc == SQLITE_DONE ? 0 : errno_from_sqlite(rc);
}

int store_program_exists(struct store *s, uint32_t id)
{
	return exists(s, "SELECT 1 FROM programs WHERE id = ?", id);
}

int store_link_exists(struct store *s, uint32_t id)
{
	return exists(s, "SELECT 1 FROM links WHERE id = ?", id);
}

int store_program_ids(struct store *s, uint32_t **ret_ids, size_t *ret_n)
{
	_cleanup_stmt_ sqlite3_stmt *st = NULL;
	int r = prepare(s, "SELECT id FROM programs ORDER BY id", &st);

	if (r < 0)
		return r;
	return collect_ids(st, ret_ids, ret_n);
}

int store_map_users(struct store *s, const char *map_pin_path, uint32_t **ret_ids, size_t *ret_n)
{
	_cleanup_stmt_ sqlite3_stmt *st = NULL;
	int r = prepare(s, "SELECT id FROM programs WHERE map_pin_path = ? ORDER BY id", &st);

	if (r < 0)
		return r;
	sqlite3_bind_text(st, 1, map_pin_path, -1, SQLITE_TRANSIENT);
	return collect_ids(st, ret_ids, ret_n);
}

static int read_globals(struct store *s, struct bpfman_program *p)
{
	_cleanup_stmt_ sqlite3_stmt *st = NULL;
	int r = prepare(s, "SELECT name, value FROM program_globals WHERE prog_id = ? ORDER BY name",
			&st),
	    rc;

	if (r < 0)
		return r;
	sqlite3_bind_int64(st, 1, p->id);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct bpfman_global *g = reallocarray(p->globals, p->n_globals + 1, sizeof(*g));
		int len = sqlite3_column_bytes(st, 1);

		if (!g)
			return -ENOMEM;
		p->globals = g;
		g = &p->globals[p->n_globals];
		memset(g, 0, sizeof(*g));
		p->n_globals++;
		g->name = column_strdup(st, 0);
		g->data = malloc(len > 0 ? len : 1);
		if (!g->name || !g->data)
			return -ENOMEM;
		if (len > 0)
			memcpy(g->data, sqlite3_column_blob(st, 1), len);
		g->len = len;
	}
	return rc == SQLITE_DONE ? 0 : errno_from_sqlite(rc);
}

int store_program_get(struct store *s, uint32_t id, struct bpfman_program **ret)
{
	_cleanup_stmt_ sqlite3_stmt *st = NULL;
	struct bpfman_program *p;
	int r, rc;

	r = prepare(s,
		    "SELECT name, type, attach_fn, retprobe, path, image_url, pull_policy,"
		    " map_owner_id, map_pin_path, image_digest FROM programs WHERE id = ?",
		    &st);
	if (r < 0)
		return r;
	sqlite3_bind_int64(st, 1, id);
	rc = sqlite3_step(st);
	if (rc == SQLITE_DONE)
		return -ENOENT;
	if (rc != SQLITE_ROW)
		return errno_from_sqlite(rc);

	p = calloc(1, sizeof(*p));
	if (!p)
		return -ENOMEM;
	p->id = id;
	p->name = column_strdup(st, 0);
	p->type = sqlite3_column_int(st, 1);
	p->attach_fn = column_strdup(st, 2);
	p->retprobe = sqlite3_column_int(st, 3);
	p->path = column_strdup(st, 4);
	p->image_url = column_strdup(st, 5);
	p->pull_policy = sqlite3_column_int(st, 6);
	p->has_map_owner = sqlite3_column_type(st, 7) != SQLITE_NULL;
	p->map_owner_id = (uint32_t)sqlite3_column_int64(st, 7);
	p->map_pin_path = column_strdup(st, 8);
	p->image_digest = column_strdup(st, 9);
	if (!p->name || !p->map_pin_path) {
		r = -ENOMEM;
		goto fail;
	}
	r = read_globals(s, p);
	if (r < 0)
		goto fail;
	r = read_kv(s, "SELECT key, value FROM program_metadata WHERE prog_id = ? ORDER BY key",
		    id, &p->metadata);
	if (r < 0)
		goto fail;
	r = store_link_ids(s, id, &p->links, &p->n_links);
	if (r < 0)
		goto fail;
	r = store_map_users(s, p->map_pin_path, &p->map_used_by, &p->n_map_used_by);
	if (r < 0)
		goto fail;
	*ret = p;
	return 0;
fail:
	bpfman_program_free(p);
	return r;
}

static char *format_proceed_on(const int32_t *v, size_t n)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	if (!f)
		return NULL;
	for (size_t i = 0; i < n; i++)
		fprintf(f, "%s%d", i ? "," : "", v[i]);
	fclose(f);
	return buf;
}

static int parse_proceed_on(const char *s, int32_t **ret, size_t *ret_n)
{
	size_t n = 0;
	int32_t *v;
	const char *p = s;

	*ret = NULL;
	*ret_n = 0;
	if (!s || !*s)
		return 0;
	v = calloc(strlen(s) / 2 + 1, sizeof(*v));
	if (!v)
		return -ENOMEM;
	while (*p) {
		char *end;

		v[n++] = (int32_t)strtol(p, &end, 10);
		p = *end == ',' ? end + 1 : end;
		if (end == p && *p) /* stored by us; defensive against a corrupt row */
			break;
	}
	*ret = v;
	*ret_n = n;
	return 0;
}

int store_link_insert(struct store *s, const struct bpfman_link *l)
{
	_cleanup_stmt_ sqlite3_stmt *st = NULL;
	_cleanup_free_ char *proceed = NULL;
	int r;

	if (l->n_proceed_on) {
		proceed = format_proceed_on(l->proceed_on, l->n_proceed_on);
		if (!proceed)
			return -ENOMEM;
	}
	r = prepare(s,
		    "INSERT INTO links (id, seq, prog_id, type, kernel_link_id, iface, direction,"
		    " priority, position, netns, proceed_on, tracepoint, fn_name, offset, target,"
		    " pid, container_pid, retprobe, tc_handle, dispatched) VALUES (?,"
		    " (SELECT IFNULL(MAX(seq), 0) + 1 FROM links), ?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
		    &st);
	if (r < 0)
		return r;
	sqlite3_bind_int64(st, 1, l->id);
	sqlite3_bind_int64(st, 2, l->prog_id);
	sqlite3_bind_int(st, 3, l->type);
	sqlite3_bind_int64(st, 4, l->kernel_link_id);
	bind_text_or_null(st, 5, l->iface);
	sqlite3_bind_int(st, 6, l->direction);
	sqlite3_bind_int(st, 7, l->priority);
	sqlite3_bind_int(st, 8, l->position);
	bind_text_or_null(st, 9, l->netns);
	bind_text_or_null(st, 10, proceed);
	bind_text_or_null(st, 11, l->tracepoint);
	bind_text_or_null(st, 12, l->fn_name);
	sqlite3_bind_int64(st, 13, (sqlite3_int64)l->offset);
	bind_text_or_null(st, 14, l->target);
	sqlite3_bind_int(st, 15, l->pid);
	sqlite3_bind_int(st, 16, l->container_pid);
	sqlite3_bind_int(st, 17, l->retprobe);
	sqlite3_bind_int64(st, 18, l->tc_handle);
	sqlite3_bind_int(st, 19, l->dispatched);
	r = step_done(st);
	if (r < 0)
		return r;
	return insert_kv(s, "INSERT INTO link_metadata (link_id, key, value) VALUES (?,?,?)",
			 l->id, &l->metadata);
}

int store_link_delete(struct store *s, uint32_t id)
{
	return delete_by_id(s, "DELETE FROM links WHERE id = ?", id);
}

#define LINK_COLUMNS                                                                          \
	"l.id, l.prog_id, l.type, l.kernel_link_id, l.iface, l.direction, l.priority,"        \
	" l.position, l.netns, l.proceed_on, l.tracepoint, l.fn_name, l.offset, l.target,"    \
	" l.pid, l.container_pid, l.retprobe, p.name,"                                        \
	" l.tc_handle,"                                                                       \
	" (SELECT value FROM program_metadata m WHERE m.prog_id = l.prog_id"                  \
	"  AND m.key = 'bpfman_application'), l.dispatched"

static int link_from_row(struct store *s, sqlite3_stmt *st, struct bpfman_link *l)
{
	int r;

	l->id = (uint32_t)sqlite3_column_int64(st, 0);
	l->prog_id = (uint32_t)sqlite3_column_int64(st, 1);
	l->type = sqlite3_column_int(st, 2);
	l->kernel_link_id = (uint32_t)sqlite3_column_int64(st, 3);
	l->iface = column_strdup(st, 4);
	l->direction = sqlite3_column_int(st, 5);
	l->priority = sqlite3_column_int(st, 6);
	l->position = sqlite3_column_int(st, 7);
	l->netns = column_strdup(st, 8);
	r = parse_proceed_on((const char *)sqlite3_column_text(st, 9), &l->proceed_on,
			     &l->n_proceed_on);
	if (r < 0)
		return r;
	l->tracepoint = column_strdup(st, 10);
	l->fn_name = column_strdup(st, 11);
	l->offset = (uint64_t)sqlite3_column_int64(st, 12);
	l->target = column_strdup(st, 13);
	l->pid = sqlite3_column_int(st, 14);
	l->container_pid = sqlite3_column_int(st, 15);
	l->retprobe = sqlite3_column_int(st, 16);
	l->prog_name = column_strdup(st, 17);
	l->tc_handle = (uint32_t)sqlite3_column_int64(st, 18);
	l->application = column_strdup(st, 19);
	l->dispatched = sqlite3_column_int(st, 20);
	return read_kv(s, "SELECT key, value FROM link_metadata WHERE link_id = ? ORDER BY key",
		       l->id, &l->metadata);
}

int store_link_get(struct store *s, uint32_t id, struct bpfman_link **ret)
{
	_cleanup_stmt_ sqlite3_stmt *st = NULL;
	struct bpfman_link *l;
	int r, rc;

	r = prepare(s,
		    "SELECT " LINK_COLUMNS " FROM links l JOIN programs p ON p.id = l.prog_id"
		    " WHERE l.id = ?",
		    &st);
	if (r < 0)
		return r;
	sqlite3_bind_int64(st, 1, id);
	rc = sqlite3_step(st);
	if (rc == SQLITE_DONE)
		return -ENOENT;
	if (rc != SQLITE_ROW)
		return errno_from_sqlite(rc);
	l = calloc(1, sizeof(*l));
	if (!l)
		return -ENOMEM;
	r = link_from_row(s, st, l);
	if (r < 0) {
		bpfman_link_free(l);
		return r;
	}
	*ret = l;
	return 0;
}

int store_link_ids(struct store *s, uint32_t prog_id, uint32_t **ret_ids, size_t *ret_n)
{
	_cleanup_stmt_ sqlite3_stmt *st = NULL;
	int r;

	if (prog_id) {
		r = prepare(s, "SELECT id FROM links WHERE prog_id = ? ORDER BY seq", &st);
		if (r < 0)
			return r;
		sqlite3_bind_int64(st, 1, prog_id);
	} else {
		r = prepare(s, "SELECT id FROM links ORDER BY seq", &st);
		if (r < 0)
			return r;
	}
	return collect_ids(st, ret_ids, ret_n);
}

int store_hook_links(struct store *s, enum bpfman_prog_type type, const char *iface,
		     const char *netns, enum bpfman_direction dir, struct bpfman_link **ret,
		     size_t *ret_n)
{
	_cleanup_stmt_ sqlite3_stmt *st = NULL;
	struct bpfman_link *v = NULL;
	size_t n = 0;
	int r, rc;

	r = prepare(s,
		    "SELECT " LINK_COLUMNS " FROM links l JOIN programs p ON p.id = l.prog_id"
		    " WHERE l.type = ? AND l.iface = ? AND l.direction = ?"
		    " AND IFNULL(l.netns, '') = ? ORDER BY l.priority, l.seq",
		    &st);
	if (r < 0)
		return r;
	sqlite3_bind_int(st, 1, type);
	sqlite3_bind_text(st, 2, iface, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int(st, 3, dir);
	sqlite3_bind_text(st, 4, netns ? netns : "", -1, SQLITE_TRANSIENT);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct bpfman_link *t = reallocarray(v, n + 1, sizeof(*v));

		if (!t) {
			r = -ENOMEM;
			goto fail;
		}
		v = t;
		memset(&v[n], 0, sizeof(v[n]));
		n++;
		r = link_from_row(s, st, &v[n - 1]);
		if (r < 0)
			goto fail;
	}
	if (rc != SQLITE_DONE) {
		r = errno_from_sqlite(rc);
		goto fail;
	}
	*ret = v;
	*ret_n = n;
	return 0;
fail:
	bpfman_links_free(v, n);
	return r;
}

int store_tc_qdisc_add(struct store *s, const char *netns, const char *iface)
{
	_cleanup_stmt_ sqlite3_stmt *st = NULL;
	int r = prepare(s, "INSERT OR IGNORE INTO tc_qdiscs (netns, iface) VALUES (?, ?)", &st);

	if (r < 0)
		return r;
	sqlite3_bind_text(st, 1, netns ? netns : "", -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(st, 2, iface, -1, SQLITE_TRANSIENT);
	return step_done(st);
}

int store_tc_qdisc_release(struct store *s, const char *netns, const char *iface)
{
	_cleanup_stmt_ sqlite3_stmt *users = NULL, *del = NULL;
	int r, rc;

	r = prepare(s,
		    "SELECT 1 FROM links WHERE type = ? AND iface = ? AND IFNULL(netns, '') = ?"
		    " LIMIT 1",
		    &users);
	if (r < 0)
		return r;
	sqlite3_bind_int(users, 1, BPFMAN_PROG_TC);
	sqlite3_bind_text(users, 2, iface, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(users, 3, netns ? netns : "", -1, SQLITE_TRANSIENT);
	rc = sqlite3_step(users);
	if (rc == SQLITE_ROW)
		return 0; /* still in use */
	if (rc != SQLITE_DONE)
		return errno_from_sqlite(rc);
	r = prepare(s, "DELETE FROM tc_qdiscs WHERE netns = ? AND iface = ?", &del);
	if (r < 0)
		return r;
	sqlite3_bind_text(del, 1, netns ? netns : "", -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(del, 2, iface, -1, SQLITE_TRANSIENT);
	r = step_done(del);
	if (r < 0)
		return r;
	return sqlite3_changes(s->db) > 0;
}

/* ---- declared applications (src/lib/apply): the declaration as last applied ---- */

int store_app_put(struct store *s, const char *app, const char *decl_json)
{
	_cleanup_stmt_ sqlite3_stmt *st = NULL;
	int r = prepare(s, "INSERT OR REPLACE INTO applications (app, decl) VALUES (?, ?)", &st);

	if (r < 0)
		return r;
	sqlite3_bind_text(st, 1, app, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, decl_json, -1, SQLITE_STATIC);
	return step_done(st);
}

int store_app_delete(struct store *s, const char *app)
{
	_cleanup_stmt_ sqlite3_stmt *st = NULL;
	int r = prepare(s, "DELETE FROM applications WHERE app = ?", &st);

	if (r < 0)
		return r;
	sqlite3_bind_text(st, 1, app, -1, SQLITE_STATIC);
	r = step_done(st);
	if (r == 0 && sqlite3_changes(s->db) == 0)
		return -ENOENT;
	return r;
}

int store_app_list(struct store *s, char ***ret_apps, char ***ret_decls, size_t *ret_n)
{
	_cleanup_stmt_ sqlite3_stmt *st = NULL;
	char **apps = NULL, **decls = NULL;
	size_t n = 0;
	int r = prepare(s, "SELECT app, decl FROM applications ORDER BY app", &st);

	if (r < 0)
		return r;
	while ((r = sqlite3_step(st)) == SQLITE_ROW) {
		char **a = realloc(apps, (n + 2) * sizeof(*a));

		if (a)
			apps = a;
		char **d = realloc(decls, (n + 2) * sizeof(*d));

		if (d)
			decls = d;
		if (!a || !d)
			goto nomem;
		apps[n] = column_strdup(st, 0);
		decls[n] = column_strdup(st, 1);
		apps[n + 1] = decls[n + 1] = NULL;
		n++;
		if (!apps[n - 1] || !decls[n - 1])
			goto nomem;
	}
	if (r != SQLITE_DONE) {
		r = errno_from_sqlite(r) ?: -EIO;
		goto fail;
	}
	*ret_apps = apps;
	*ret_decls = decls;
	*ret_n = n;
	return 0;
nomem:
	r = -ENOMEM;
fail:
	for (size_t i = 0; i < n; i++) {
		free(apps[i]);
		free(decls[i]);
	}
	free(apps);
	free(decls);
	return r;
}
