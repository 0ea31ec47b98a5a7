/* Unit tests for the state store: schema, round trips, cascades, map users. No root: the
 * database is a plain file in a temporary directory. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sqlite3.h>

#include "store.h"
#include "test-util.h"

static struct bpfman_program *make_prog(uint32_t id, const char *map_dir)
{
	struct bpfman_program *p = calloc(1, sizeof(*p));

	p->id = id;
	p->name = strdup("fn");
	p->type = BPFMAN_PROG_KPROBE;
	p->retprobe = true;
	p->path = strdup("/x.o");
	p->map_pin_path = strdup(map_dir);
	p->globals = calloc(1, sizeof(*p->globals));
	p->globals[0].name = strdup("g");
	p->globals[0].data = malloc(2);
	p->globals[0].data[0] = 1;
	p->globals[0].data[1] = 2;
	p->globals[0].len = 2;
	p->n_globals = 1;
	kv_list_set(&p->metadata, "bpfman_application", "app");
	return p;
}

int main(void)
{
	char dir[] = "/tmp/bpfman-store-test.XXXXXX", path[128];
	struct store *s = NULL;
	struct bpfman_program *p, *got = NULL;
	struct bpfman_link l = { 0 }, *gl = NULL;
	uint32_t *ids = NULL;
	size_t n = 0;

	if (!mkdtemp(dir))
		return 1;
	snprintf(path, sizeof(path), "%s/store.db", dir);
	CHECK_EQ_INT(store_open(path, &s), 0);
	if (!s)
		return 1;

	p = make_prog(10, "/m/10");
	CHECK_EQ_INT(store_begin(s), 0);
	CHECK_EQ_INT(store_program_insert(s, p), 0);
	p->id = 11;
	p->has_map_owner = true;
	p->map_owner_id = 10;
	CHECK_EQ_INT(store_program_insert(s, p), 0);
	CHECK_EQ_INT(store_commit(s), 0);
	/* the same id twice is refused */
	CHECK_EQ_INT(store_program_insert(s, p), -EEXIST);

	CHECK_EQ_INT(store_program_get(s, 10, &got), 0);
	CHECK_STREQ(got->name, "fn");
	CHECK(got->retprobe);
	CHECK(!got->has_map_owner);
	CHECK_EQ_INT(got->n_globals, 1);
	CHECK_EQ_INT(got->globals[0].len, 2);
	CHECK_EQ_INT(got->globals[0].data[1], 2);
	CHECK_STREQ(kv_list_get(&got->metadata, "bpfman_application"), "app");
	CHECK_EQ_INT(got->n_map_used_by, 2);
	bpfman_program_free(got);
	got = NULL;
	CHECK_EQ_INT(store_program_get(s, 999, &got), -ENOENT);

	l.id = 5;
	l.prog_id = 11;
	l.type = BPFMAN_PROG_TCX;
	l.iface = "eth0";
	l.direction = BPFMAN_DIR_INGRESS;
	l.priority = 50;
	int32_t po[] = { 2, 31 };
	l.proceed_on = po;
	l.n_proceed_on = 2;
	CHECK_EQ_INT(store_link_insert(s, &l), 0);
	CHECK_EQ_INT(store_link_get(s, 5, &gl), 0);
	CHECK_STREQ(gl->iface, "eth0");
	CHECK_STREQ(gl->application, "app");
	CHECK_EQ_INT(gl->n_proceed_on, 2);
	CHECK_EQ_INT(gl->proceed_on[1], 31);
	bpfman_link_free(gl);

	/* deleting a program cascades to its links */
	CHECK_EQ_INT(store_program_delete(s, 11), 0);
	CHECK_EQ_INT(store_link_exists(s, 5), 0);
	CHECK_EQ_INT(store_map_users(s, "/m/10", &ids, &n), 0);
	CHECK_EQ_INT(n, 1);
	free(ids);
	CHECK_EQ_INT(store_program_delete(s, 11), -ENOENT);

	/* an image's program keeps its reference, policy and digest, and no path */
	{
		struct bpfman_program *img = make_prog(12, "/m/12");

		free(img->path);
		img->path = NULL;
		img->image_url = strdup("127.0.0.1:5000/ebpf/x:v1");
		img->pull_policy = 2;
		img->image_digest = strdup("sha256:0123");
		CHECK_EQ_INT(store_program_insert(s, img), 0);
		CHECK_EQ_INT(store_program_get(s, 12, &got), 0);
		CHECK(got->path == NULL);
		CHECK_STREQ(got->image_url, "127.0.0.1:5000/ebpf/x:v1");
		CHECK_EQ_INT(got->pull_policy, 2);
		CHECK_STREQ(got->image_digest, "sha256:0123");
		bpfman_program_free(got);
		got = NULL;
		CHECK_EQ_INT(store_program_get(s, 10, &got), 0);
		CHECK(got->image_digest == NULL);
		bpfman_program_free(got);
		got = NULL;
		CHECK_EQ_INT(store_program_delete(s, 12), 0);
		bpfman_program_free(img);
	}

	/* reopen: the schema is kept and migrations do not run twice */
	store_close(s);
	CHECK_EQ_INT(store_open(path, &s), 0);
	CHECK_EQ_INT(store_program_exists(s, 10), 1);
	store_close(s);

	/* a database of schema 3 (before image digests) gets the column, its rows kept */
	{
		sqlite3 *db = NULL;

		CHECK_EQ_INT(sqlite3_open(path, &db), SQLITE_OK);
		CHECK_EQ_INT(sqlite3_exec(db,
					  "ALTER TABLE programs DROP COLUMN image_digest;"
					  "DROP TABLE applications;"
					  "PRAGMA user_version = 3;",
					  NULL, NULL, NULL),
			     SQLITE_OK);
		sqlite3_close(db);
		CHECK_EQ_INT(store_open(path, &s), 0);
		CHECK_EQ_INT(store_program_get(s, 10, &got), 0);
		CHECK(got->image_digest == NULL);
		CHECK_STREQ(got->name, "fn");
		bpfman_program_free(got);
		got = NULL;
		store_close(s);
	}

	/* declared applications (schema 5): kept by id, replaced, listed in order, deleted */
	{
		char **apps = NULL, **decls = NULL;
		size_t n_apps = 0;

		CHECK_EQ_INT(store_open(path, &s), 0);
		CHECK_EQ_INT(store_app_put(s, "ClusterBpfApplication/b", "{\"v\":1}"), 0);
		CHECK_EQ_INT(store_app_put(s, "BpfApplication/ns/a", "{}"), 0);
		CHECK_EQ_INT(store_app_put(s, "ClusterBpfApplication/b", "{\"v\":2}"), 0);
		CHECK_EQ_INT(store_app_list(s, &apps, &decls, &n_apps), 0);
		CHECK_EQ_INT((int)n_apps, 2);
		CHECK_STREQ(apps[0], "BpfApplication/ns/a");
		CHECK_STREQ(decls[1], "{\"v\":2}");
		for (size_t i = 0; i < n_apps; i++) {
			free(apps[i]);
			free(decls[i]);
		}
		free(apps);
		free(decls);
		CHECK_EQ_INT(store_app_delete(s, "BpfApplication/ns/a"), 0);
		CHECK_EQ_INT(store_app_delete(s, "BpfApplication/ns/a"), -ENOENT);
		store_close(s);
	}

	p->id = 10;
	bpfman_program_free(p);
	snprintf(path, sizeof(path), "rm -rf %s", dir);
	(void)!system(path);
	return TEST_RESULT();
}
