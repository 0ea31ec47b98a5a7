/* The image cache on a real directory: blobs are verified when written (wrong digest or
 * size refused, nothing left behind) and when opened (a blob changed on disk is removed and
 * reported absent); refs round-trip; remove collects unused blobs; stale temp files of a
 * killed writer go, live ones stay; the lock excludes other processes; forked writers
 * committing the same and different blobs at once all succeed and leave intact blobs, and a
 * pull and a removal racing under the lock never lose the pull's blobs. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "image-cache.h"
#include "test-util.h"

#define CHECK_CONTAINS(hay, needle)                                                          \
	do {                                                                                 \
		if (!strstr((hay), (needle))) {                                              \
			fprintf(stderr, "%s:%d: '%s' does not contain '%s'\n", __FILE__,     \
				__LINE__, (hay), (needle));                                  \
			test_failures++;                                                     \
		}                                                                            \
	} while (0)

static char scratch[] = "/tmp/test-image-cache-XXXXXX";
static char cache_dir[256];

static void digest_of(const void *p, size_t n, char out[72])
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int len = 0;

	EVP_Digest(p, n, md, &len, EVP_sha256(), NULL);
	strcpy(out, "sha256:");
	for (unsigned i = 0; i < len; i++)
		sprintf(out + 7 + 2 * i, "%02x", md[i]);
}

static unsigned char *pattern(size_t n, unsigned seed)
{
	unsigned char *p = malloc(n);

	for (size_t i = 0; i < n; i++) {
		seed = seed * 1103515245u + 12345u;
		p[i] = (unsigned char)(seed >> 16);
	}
	return p;
}

static size_t count_dir(const char *sub)
{
	char path[512];
	struct dirent *de;
	size_t n = 0;
	DIR *d;

	snprintf(path, sizeof(path), "%s/%s", cache_dir, sub);
	d = opendir(path);
	if (!d)
		return (size_t)-1;
	while ((de = readdir(d)))
		if (de->d_name[0] != '.')
			n++;
	closedir(d);
	return n;
}

static bool blob_file_exists(const char *digest)
{
	char path[512];

	snprintf(path, sizeof(path), "%s/blobs/sha256/%s", cache_dir, digest + 7);
	return access(path, F_OK) == 0;
}

static void rm_rf(const char *top)
{
	char cmd[600];

	/* Only ever our own mkdtemp directory. */
	if (strncmp(top, "/tmp/test-image-cache-", 22) != 0)
		return;
	snprintf(cmd, sizeof(cmd), "rm -rf -- '%s'", top);
	if (system(cmd) != 0)
		fprintf(stderr, "cleanup of %s failed\n", top);
}

static void test_blobs(void)
{
	struct image_cache *c = NULL;
	struct img_err e = { { 0 } };
	unsigned char *big = pattern(5 << 20, 7);
	char d_small[72], d_big[72], d_other[72], path[512];
	static const char small[] = "{\"hello\":\"cache\"}";
	struct image_cache_writer w;
	struct img_buf b = { 0 };
	uint64_t size = 0;
	int fd = -1;

	digest_of(small, strlen(small), d_small);
	digest_of(big, 5 << 20, d_big);
	digest_of("other", 5, d_other);

	CHECK_EQ_INT(image_cache_open(cache_dir, &c, &e), 0);
	CHECK_EQ_INT(count_dir("blobs/sha256"), 0);
	CHECK_EQ_INT(count_dir("refs"), 0);
	CHECK_EQ_INT(count_dir("tmp"), 0);

	/* Wrong digest, wrong size, malformed digest: refused, nothing stays. */
	CHECK_EQ_INT(image_cache_put(c, d_other, small, strlen(small), &e), -EBADMSG);
	CHECK_CONTAINS(e.msg, d_other);
	CHECK_CONTAINS(e.msg, d_small); /* what the content really is */
	img_err_clear(&e);
	CHECK_EQ_INT(image_cache_put(c, d_small, small, strlen(small) - 1, &e), -EBADMSG);
	img_err_clear(&e);
	CHECK_EQ_INT(image_cache_put(c, "sha256:1234", small, strlen(small), &e), -EINVAL);
	CHECK_CONTAINS(e.msg, "is not a sha256 digest");
	img_err_clear(&e);
	CHECK_EQ_INT(count_dir("blobs/sha256"), 0);
	CHECK_EQ_INT(count_dir("tmp"), 0);

	/* Good small blob. */
	CHECK_EQ_INT(image_cache_put(c, d_small, small, strlen(small), &e), 0);
	CHECK(image_cache_has(c, d_small));
	CHECK(!image_cache_has(c, d_other));
	CHECK_EQ_INT(image_cache_get(c, d_small, 1024, &b, &e), 0);
	CHECK_EQ_INT(b.len, strlen(small));
	CHECK(b.data && memcmp(b.data, small, b.len) == 0);
	img_buf_clear(&b);
	CHECK_EQ_INT(image_cache_get(c, d_small, 4, &b, &e), -EFBIG);
	img_err_clear(&e);
	/* Putting it again is fine. */
	CHECK_EQ_INT(image_cache_put(c, d_small, small, strlen(small), &e), 0);

	/* Streaming writer: written in pieces, committed; an aborted one leaves nothing. */
	CHECK_EQ_INT(image_cache_blob_begin(c, &w, &e), 0);
	for (size_t off = 0; off < (5u << 20); off += 1u << 20)
		CHECK_EQ_INT(write(w.fd, big + off, 1u << 20), 1u << 20);
	CHECK_EQ_INT(image_cache_blob_commit(c, &w, d_big, 5u << 20, &e), 0);
	CHECK(w.tmp_path == NULL && w.fd < 0);
	CHECK_EQ_INT(image_cache_blob_begin(c, &w, &e), 0);
	CHECK_EQ_INT(write(w.fd, "partial", 7), 7);
	image_cache_blob_abort(c, &w);
	CHECK_EQ_INT(count_dir("tmp"), 0);
	CHECK_EQ_INT(count_dir("blobs/sha256"), 2);

	CHECK_EQ_INT(image_cache_blob_open(c, d_big, &fd, &size, &e), 0);
	CHECK_EQ_INT(size, 5u << 20);
	CHECK_EQ_INT(lseek(fd, 0, SEEK_CUR), 0);
	close(fd);

	/* One byte changed on disk: found on open, removed, reported absent. */
	snprintf(path, sizeof(path), "%s/blobs/sha256/%s", cache_dir, d_big + 7);
	fd = open(path, O_WRONLY | O_CLOEXEC);
	CHECK(fd >= 0);
	CHECK_EQ_INT(pwrite(fd, "X", 1, 4242), 1);
	close(fd);
	fd = -1;
	CHECK_EQ_INT(image_cache_blob_open(c, d_big, &fd, &size, &e), -ENOENT);
	CHECK_CONTAINS(e.msg, "was corrupted in the image cache");
	CHECK_CONTAINS(e.msg, d_big);
	CHECK(fd < 0);
	CHECK(!blob_file_exists(d_big));
	img_err_clear(&e);
	CHECK_EQ_INT(image_cache_blob_open(c, d_big, &fd, &size, &e), -ENOENT);
	CHECK_CONTAINS(e.msg, "is not in the image cache");
	img_err_clear(&e);

	/* A truncated small blob: get and has both see it as absent. */
	snprintf(path, sizeof(path), "%s/blobs/sha256/%s", cache_dir, d_small + 7);
	CHECK_EQ_INT(truncate(path, 3), 0);
	CHECK_EQ_INT(image_cache_get(c, d_small, 1024, &b, &e), -ENOENT);
	CHECK(!image_cache_has(c, d_small));
	img_err_clear(&e);

	CHECK_EQ_INT(image_cache_blob_open(c, "md5:abc", &fd, &size, &e), -EINVAL);
	image_cache_free(c);
	free(big);
}

struct img {
	char manifest[72], config[72], layer[72], object[72];
};

/* Puts four blobs made from tag (config shared when shared_config) and returns their digests. */
static void put_image(struct image_cache *c, const char *tag, bool shared_config, struct img *im)
{
	struct img_err e = { { 0 } };
	char buf[4][128];
	const char *cfg = shared_config ? "config-shared" : tag;

	snprintf(buf[0], sizeof(buf[0]), "manifest-%s", tag);
	snprintf(buf[1], sizeof(buf[1]), "config-%s", cfg);
	snprintf(buf[2], sizeof(buf[2]), "layer-%s", tag);
	snprintf(buf[3], sizeof(buf[3]), "object-%s", tag);
	digest_of(buf[0], strlen(buf[0]), im->manifest);
	digest_of(buf[1], strlen(buf[1]), im->config);
	digest_of(buf[2], strlen(buf[2]), im->layer);
	digest_of(buf[3], strlen(buf[3]), im->object);
	CHECK_EQ_INT(image_cache_put(c, im->manifest, buf[0], strlen(buf[0]), &e), 0);
	CHECK_EQ_INT(image_cache_put(c, im->config, buf[1], strlen(buf[1]), &e), 0);
	CHECK_EQ_INT(image_cache_put(c, im->layer, buf[2], strlen(buf[2]), &e), 0);
	CHECK_EQ_INT(image_cache_put(c, im->object, buf[3], strlen(buf[3]), &e), 0);
}

static int record(struct image_cache *c, const char *ref, struct img *im, struct img_err *e)
{
	struct image_cache_entry en = {
		.ref = (char *)ref,
		.manifest_digest = im->manifest,
		.image_digest = im->manifest,
		.config_digest = im->config,
		.layer_digest = im->layer,
		.object_digest = im->object,
		.object_name = (char *)"prog.o",
		.object_size = 99,
		.pulled_at = 1764806400,
	};

	return image_cache_ref_set(c, &en, e);
}

static void test_refs(void)
{
	static const char ref_a[] = "127.0.0.1:5000/ebpf/a:v1";
	static const char ref_b[] = "quay.io/bpfman-bytecode/b:latest";
	static const char ref_c[] = "127.0.0.1:5000/ebpf/c:v1";
	struct image_cache *c = NULL;
	struct img_err e = { { 0 } };
	struct image_cache_entry en = { 0 }, *v = NULL;
	struct img a, b, cc, missing;
	char orphan[72], path[512];
	size_t n = 0;
	int fd;

	CHECK_EQ_INT(image_cache_open(cache_dir, &c, &e), 0);
	put_image(c, "a", true, &a);
	put_image(c, "b", true, &b);
	put_image(c, "c", false, &cc);
	digest_of("orphan", 6, orphan);
	CHECK_EQ_INT(image_cache_put(c, orphan, "orphan", 6, &e), 0);

	/* A record naming a blob that is not there is refused. */
	missing = a;
	digest_of("not stored", 10, missing.object);
	CHECK_EQ_INT(record(c, ref_a, &missing, &e), -ENOENT);
	CHECK_CONTAINS(e.msg, "object_digest");
	CHECK_CONTAINS(e.msg, missing.object);
	img_err_clear(&e);
	CHECK_EQ_INT(count_dir("refs"), 0);

	CHECK_EQ_INT(record(c, ref_a, &a, &e), 0);
	CHECK_EQ_INT(record(c, ref_b, &b, &e), 0);
	CHECK_EQ_INT(record(c, ref_c, &cc, &e), 0);
	CHECK_EQ_INT(record(c, ref_c, &cc, &e), 0); /* replaces */
	CHECK_EQ_INT(count_dir("refs"), 3);
	CHECK_EQ_INT(count_dir("tmp"), 0);

	CHECK_EQ_INT(image_cache_ref_get(c, ref_a, &en, &e), 0);
	CHECK_STREQ(en.ref, ref_a);
	CHECK_STREQ(en.manifest_digest, a.manifest);
	CHECK_STREQ(en.config_digest, a.config);
	CHECK_STREQ(en.layer_digest, a.layer);
	CHECK_STREQ(en.object_digest, a.object);
	CHECK_STREQ(en.object_name, "prog.o");
	CHECK_EQ_INT(en.object_size, 99);
	CHECK_EQ_INT(en.pulled_at, 1764806400);
	image_cache_entry_clear(&en);
	CHECK_EQ_INT(image_cache_ref_get(c, "docker.io/library/never:pulled", &en, &e), -ENOENT);
	CHECK_CONTAINS(e.msg, "docker.io/library/never:pulled is not in the cache");
	img_err_clear(&e);

	/* A record that is not ours (garbage in refs/) is skipped by list. */
	snprintf(path, sizeof(path), "%s/refs/garbage", cache_dir);
	fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
	CHECK_EQ_INT(write(fd, "{not json", 9), 9);
	close(fd);
	CHECK_EQ_INT(image_cache_list(c, &v, &n, &e), 0);
	CHECK_EQ_INT(n, 3);
	if (n == 3) {
		CHECK_STREQ(v[0].ref, ref_a); /* sorted */
		CHECK_STREQ(v[1].ref, ref_c);
		CHECK_STREQ(v[2].ref, ref_b);
	}
	image_cache_entries_free(v, n);

	/* Remove a: its own blobs and the orphan go; the config b shares stays. */
	CHECK_EQ_INT(image_cache_remove(c, ref_a, &e), 0);
	CHECK(!blob_file_exists(a.manifest));
	CHECK(!blob_file_exists(a.layer));
	CHECK(!blob_file_exists(a.object));
	CHECK(!blob_file_exists(orphan));
	CHECK(blob_file_exists(a.config)); /* == b.config */
	CHECK(blob_file_exists(b.object));
	CHECK(blob_file_exists(cc.object));
	CHECK_EQ_INT(count_dir("refs"), 2); /* the garbage record went too */
	CHECK_EQ_INT(image_cache_ref_get(c, ref_a, &en, &e), -ENOENT);
	img_err_clear(&e);
	CHECK_EQ_INT(image_cache_remove(c, ref_a, &e), -ENOENT);
	CHECK_CONTAINS(e.msg, "no cached image matches");
	img_err_clear(&e);

	/* Remove by manifest digest, while holding the lock (it nests). */
	CHECK_EQ_INT(image_cache_lock(c, &e), 0);
	CHECK_EQ_INT(image_cache_remove(c, b.manifest, &e), 0);
	image_cache_unlock(c);
	CHECK(!blob_file_exists(b.config));
	CHECK(blob_file_exists(cc.config));
	CHECK_EQ_INT(count_dir("blobs/sha256"), 4);

	/* A blob of c gone behind our back: its ref reads as absent. */
	snprintf(path, sizeof(path), "%s/blobs/sha256/%s", cache_dir, cc.layer + 7);
	CHECK_EQ_INT(unlink(path), 0);
	CHECK_EQ_INT(image_cache_ref_get(c, ref_c, &en, &e), -ENOENT);
	CHECK_CONTAINS(e.msg, "layer_digest");
	img_err_clear(&e);
	CHECK_EQ_INT(image_cache_remove(c, ref_c, &e), 0);
	CHECK_EQ_INT(count_dir("blobs/sha256"), 0);
	CHECK_EQ_INT(count_dir("refs"), 0);
	image_cache_free(c);
}

static void make_tmp_file(const char *name, time_t age, int *keep_locked_fd)
{
	char path[512];
	struct timespec ts[2];
	int fd;

	snprintf(path, sizeof(path), "%s/tmp/%s", cache_dir, name);
	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	CHECK(fd >= 0);
	CHECK_EQ_INT(write(fd, "partial", 7), 7);
	ts[0].tv_sec = ts[1].tv_sec = time(NULL) - age;
	ts[0].tv_nsec = ts[1].tv_nsec = 0;
	CHECK_EQ_INT(futimens(fd, ts), 0);
	if (keep_locked_fd) {
		CHECK_EQ_INT(flock(fd, LOCK_EX), 0);
		*keep_locked_fd = fd;
	} else {
		close(fd);
	}
}

/* A writer killed mid-blob (SIGKILL: no abort runs) leaves its temp file; returns its path. */
static char *killed_writer(void)
{
	char buf[512] = "", *path;
	int p[2], st;
	ssize_t n;
	pid_t pid;

	CHECK_EQ_INT(pipe2(p, O_CLOEXEC), 0);
	pid = fork();
	if (pid == 0) {
		struct image_cache *c = NULL;
		struct image_cache_writer w;
		struct img_err e = { { 0 } };

		close(p[0]);
		if (image_cache_open(cache_dir, &c, &e) < 0 || image_cache_blob_begin(c, &w, &e) < 0)
			_exit(1);
		(void)!write(w.fd, "half a blob", 11);
		(void)!write(p[1], w.tmp_path, strlen(w.tmp_path));
		close(p[1]);
		pause();
		_exit(0);
	}
	close(p[1]);
	n = read(p[0], buf, sizeof(buf) - 1);
	close(p[0]);
	CHECK(n > 0);
	buf[n > 0 ? n : 0] = '\0';
	kill(pid, SIGKILL);
	CHECK_EQ_INT(waitpid(pid, &st, 0), pid);
	CHECK(WIFSIGNALED(st));
	path = strdup(buf);
	return path;
}

static void test_stale_tmp(void)
{
	struct image_cache *c = NULL;
	struct img_err e = { { 0 } };
	struct timespec old[2] = { { .tv_sec = time(NULL) - 3600 }, { .tv_sec = time(NULL) - 3600 } };
	char path[512], *killed;
	int live = -1;

	/* Young, its writer's lock gone: kept (it may be a writer between create and lock). */
	killed = killed_writer();
	CHECK(access(killed, F_OK) == 0);
	CHECK_EQ_INT(image_cache_open(cache_dir, &c, &e), 0);
	c = image_cache_free(c);
	CHECK(access(killed, F_OK) == 0);
	/* Old and unlocked: removed by the next open. */
	CHECK_EQ_INT(utimensat(AT_FDCWD, killed, old, 0), 0);
	CHECK_EQ_INT(image_cache_open(cache_dir, &c, &e), 0);
	c = image_cache_free(c);
	CHECK(access(killed, F_OK) < 0);
	free(killed);

	make_tmp_file("blob-killed", 3600, NULL);
	make_tmp_file("blob-fresh", 0, NULL);
	make_tmp_file("blob-live", 3600, &live);
	CHECK_EQ_INT(image_cache_open(cache_dir, &c, &e), 0);
	snprintf(path, sizeof(path), "%s/tmp/blob-killed", cache_dir);
	CHECK(access(path, F_OK) < 0);
	snprintf(path, sizeof(path), "%s/tmp/blob-fresh", cache_dir);
	CHECK(access(path, F_OK) == 0);
	unlink(path);
	snprintf(path, sizeof(path), "%s/tmp/blob-live", cache_dir);
	CHECK(access(path, F_OK) == 0);
	unlink(path);
	close(live);
	image_cache_free(c);
}

/* Another process holding the lock keeps us out until it lets go. */
static void test_lock(void)
{
	int to_child[2], to_parent[2], lf, st;
	struct image_cache *c = NULL;
	struct img_err e = { { 0 } };
	char path[512], ch;
	pid_t pid;

	CHECK_EQ_INT(pipe2(to_child, O_CLOEXEC), 0);
	CHECK_EQ_INT(pipe2(to_parent, O_CLOEXEC), 0);
	pid = fork();
	if (pid == 0) {
		struct image_cache *cc = NULL;

		close(to_child[1]); /* so that the parent closing its end means EOF here */
		if (image_cache_open(cache_dir, &cc, &e) < 0 || image_cache_lock(cc, &e) < 0)
			_exit(1);
		(void)!write(to_parent[1], "L", 1);
		(void)!read(to_child[0], &ch, 1); /* until the parent says so */
		image_cache_unlock(cc);
		(void)!write(to_parent[1], "U", 1);
		(void)!read(to_child[0], &ch, 1);
		image_cache_free(cc);
		_exit(0);
	}
	CHECK_EQ_INT(read(to_parent[0], &ch, 1), 1);
	snprintf(path, sizeof(path), "%s/.lock", cache_dir);
	lf = open(path, O_RDWR | O_CLOEXEC);
	CHECK(lf >= 0);
	CHECK(flock(lf, LOCK_EX | LOCK_NB) < 0 && errno == EWOULDBLOCK);
	CHECK_EQ_INT(write(to_child[1], "1", 1), 1);
	CHECK_EQ_INT(read(to_parent[0], &ch, 1), 1);
	CHECK_EQ_INT(flock(lf, LOCK_EX | LOCK_NB), 0);
	flock(lf, LOCK_UN);
	close(lf);
	CHECK_EQ_INT(image_cache_open(cache_dir, &c, &e), 0);
	CHECK_EQ_INT(image_cache_lock(c, &e), 0);
	image_cache_unlock(c);
	image_cache_free(c);
	close(to_child[1]);
	CHECK_EQ_INT(waitpid(pid, &st, 0), pid);
	CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	close(to_child[0]);
	close(to_parent[0]);
	close(to_parent[1]);
}

#define SHARED_SIZE (8u << 20)
#define ROUNDS 6

/* Child: commits the shared blob and one of its own, ROUNDS times, without the lock (the
 * commit itself must be safe). Exit status: number of failures. */
static int writer_child(unsigned id, const unsigned char *shared, const char *d_shared)
{
	struct image_cache *c = NULL;
	struct img_err e = { { 0 } };
	int fails = 0;

	if (image_cache_open(cache_dir, &c, &e) < 0)
		return 100;
	for (unsigned i = 0; i < ROUNDS; i++) {
		struct image_cache_writer w;
		unsigned char *own = pattern(1u << 20, 1000 + id * 100 + i);
		char d_own[72];

		digest_of(own, 1u << 20, d_own);
		if (image_cache_blob_begin(c, &w, &e) < 0) {
			fails++;
			free(own);
			continue;
		}
		/* Written in slices so the two writers interleave. */
		for (size_t off = 0; off < SHARED_SIZE; off += 256 * 1024)
			if (write(w.fd, shared + off, 256 * 1024) != 256 * 1024)
				fails++;
		if (image_cache_blob_commit(c, &w, d_shared, SHARED_SIZE, &e) < 0) {
			fprintf(stderr, "writer %u: %s\n", id, e.msg);
			fails++;
		}
		if (image_cache_put(c, d_own, own, 1u << 20, &e) < 0)
			fails++;
		free(own);
	}
	image_cache_free(c);
	return fails;
}

/* Child: a pull under the lock (blobs, then the ref) racing a removal under the lock. */
static int puller_child(unsigned id)
{
	struct image_cache *c = NULL;
	struct img_err e = { { 0 } };
	int fails = 0;

	if (image_cache_open(cache_dir, &c, &e) < 0)
		return 100;
	for (unsigned i = 0; i < 20; i++) {
		char ref[64], tag[32];
		struct img im;

		snprintf(ref, sizeof(ref), "127.0.0.1:5000/race/p%u:%u", id, i);
		snprintf(tag, sizeof(tag), "p%u-%u", id, i);
		if (image_cache_lock(c, &e) < 0)
			return 101;
		put_image(c, tag, true, &im);
		if (record(c, ref, &im, &e) < 0) {
			fprintf(stderr, "puller %u: %s\n", id, e.msg);
			fails++;
		}
		image_cache_unlock(c);
		/* The other child removes its previous image meanwhile (GC). */
		if (i > 0) {
			snprintf(ref, sizeof(ref), "127.0.0.1:5000/race/p%u:%u", id, i - 1);
			if (image_cache_remove(c, ref, &e) < 0) {
				fprintf(stderr, "puller %u remove: %s\n", id, e.msg);
				fails++;
			}
		}
	}
	image_cache_free(c);
	return fails;
}

static void test_concurrent(void)
{
	unsigned char *shared = pattern(SHARED_SIZE, 99);
	struct image_cache *c = NULL;
	struct img_err e = { { 0 } };
	struct image_cache_entry *v = NULL;
	char d_shared[72];
	pid_t pids[2];
	uint64_t size;
	size_t n = 0;
	int st, fd = -1;

	digest_of(shared, SHARED_SIZE, d_shared);
	for (unsigned i = 0; i < 2; i++) {
		pids[i] = fork();
		if (pids[i] == 0)
			_exit(writer_child(i, shared, d_shared));
	}
	for (unsigned i = 0; i < 2; i++) {
		CHECK_EQ_INT(waitpid(pids[i], &st, 0), pids[i]);
		CHECK(WIFEXITED(st));
		CHECK_EQ_INT(WEXITSTATUS(st), 0);
	}
	CHECK_EQ_INT(image_cache_open(cache_dir, &c, &e), 0);
	CHECK_EQ_INT(image_cache_blob_open(c, d_shared, &fd, &size, &e), 0);
	CHECK_EQ_INT(size, SHARED_SIZE);
	if (fd >= 0)
		close(fd);
	CHECK_EQ_INT(count_dir("blobs/sha256"), 1 + 2 * ROUNDS);
	CHECK_EQ_INT(count_dir("tmp"), 0);

	for (unsigned i = 0; i < 2; i++) {
		pids[i] = fork();
		if (pids[i] == 0)
			_exit(puller_child(i));
	}
	for (unsigned i = 0; i < 2; i++) {
		CHECK_EQ_INT(waitpid(pids[i], &st, 0), pids[i]);
		CHECK(WIFEXITED(st));
		CHECK_EQ_INT(WEXITSTATUS(st), 0);
	}
	/* Each puller's last image is recorded and complete; everything else was collected. */
	CHECK_EQ_INT(image_cache_list(c, &v, &n, &e), 0);
	CHECK_EQ_INT(n, 2);
	for (size_t i = 0; i < n; i++) {
		struct image_cache_entry en = { 0 };

		CHECK_EQ_INT(image_cache_ref_get(c, v[i].ref, &en, &e), 0);
		CHECK(image_cache_has(c, en.object_digest));
		CHECK(image_cache_has(c, en.config_digest));
		image_cache_entry_clear(&en);
	}
	image_cache_entries_free(v, n);
	/* 2 refs x (manifest, layer, object) + the shared config; the writers' blobs, which no
	 * ref named, went at the first removal. */
	CHECK_EQ_INT(count_dir("blobs/sha256"), 7);
	image_cache_free(c);
	free(shared);
}

/* Seal: the commit's checks before the lock, so that the commit under it only renames. */
static void test_seal(void)
{
	struct image_cache *c = NULL, *other = NULL;
	struct img_err e = { { 0 } };
	static const char body[] = "sealed before the lock";
	struct image_cache_writer w;
	char d[72], d_other[72];

	digest_of(body, strlen(body), d);
	digest_of("not it", 6, d_other);
	CHECK_EQ_INT(image_cache_open(cache_dir, &c, &e), 0);
	CHECK_EQ_INT(image_cache_open(cache_dir, &other, &e), 0);
	CHECK_EQ_INT(count_dir("tmp"), 0);

	/* while another handle holds the cache lock: nothing here waits for it */
	CHECK_EQ_INT(image_cache_lock(other, &e), 0);
	CHECK_EQ_INT(image_cache_blob_begin(c, &w, &e), 0);
	CHECK_EQ_INT(write(w.fd, body, strlen(body)), (int)strlen(body));
	CHECK_EQ_INT(image_cache_blob_seal(c, &w, d_other, strlen(body), &e), -EBADMSG);
	CHECK_CONTAINS(e.msg, d); /* what the content really is */
	img_err_clear(&e);
	CHECK_EQ_INT(w.fd, -EBADF); /* aborted, like a failed commit */
	CHECK_EQ_INT(count_dir("tmp"), 0);

	CHECK_EQ_INT(image_cache_blob_begin(c, &w, &e), 0);
	CHECK_EQ_INT(write(w.fd, body, strlen(body)), (int)strlen(body));
	CHECK_EQ_INT(image_cache_blob_seal(c, &w, d, strlen(body), &e), 0);
	CHECK_EQ_INT(count_dir("tmp"), 1);
	CHECK(!image_cache_blob_present(c, d)); /* sealed is not committed */
	image_cache_unlock(other);

	/* a commit naming another digest than the sealed one checks again */
	CHECK_EQ_INT(image_cache_blob_commit(c, &w, d_other, strlen(body), &e), -EBADMSG);
	img_err_clear(&e);
	CHECK_EQ_INT(count_dir("tmp"), 0);
	CHECK(!blob_file_exists(d_other));

	CHECK_EQ_INT(image_cache_blob_begin(c, &w, &e), 0);
	CHECK_EQ_INT(write(w.fd, body, strlen(body)), (int)strlen(body));
	CHECK_EQ_INT(image_cache_blob_seal(c, &w, d, strlen(body), &e), 0);
	CHECK_EQ_INT(image_cache_lock(c, &e), 0);
	CHECK_EQ_INT(image_cache_blob_commit(c, &w, d, strlen(body), &e), 0);
	image_cache_unlock(c);
	CHECK(image_cache_blob_present(c, d));
	CHECK(image_cache_has(c, d));
	CHECK_EQ_INT(count_dir("tmp"), 0);

	image_cache_free(other);
	image_cache_free(c);
}

int main(void)
{
	if (!mkdtemp(scratch)) {
		perror("mkdtemp");
		return 1;
	}
	/* Not created beforehand: open makes the whole path. */
	snprintf(cache_dir, sizeof(cache_dir), "%s/var/cache/bpfman", scratch);
	test_blobs();
	test_refs();
	test_stale_tmp();
	test_lock();
	test_concurrent();
	test_seal();
	rm_rf(scratch);
	return TEST_RESULT();
}
