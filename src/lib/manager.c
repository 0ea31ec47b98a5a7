/* The manager context: open/close, errors, the writer lock, libbpf log capture. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <time.h>
#include <unistd.h>

#include <bpf/libbpf.h>

#include "cleanup.h"
#include "manager.h"
#include "netns.h"

int manager_error(struct bpfman *m, int r, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(m->error, sizeof(m->error), fmt, ap);
	va_end(ap);
	return r;
}

void manager_notice(struct bpfman *m, int level, const char *fmt, ...)
{
	char buf[1024];
	va_list ap;

	if (!m->notice)
		return;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	m->notice(level, buf, m->notice_data);
}

const char *bpfman_error(struct bpfman *m)
{
	return m ? m->error : "";
}

/* The pid holding a flock on the file open at fd, from /proc/locks (flock owners are
 * listed with the pid that took them; "->" lines are waiters). 0 when not found. */
static pid_t lock_holder(int fd)
{
	_cleanup_fclose_ FILE *f = NULL;
	char line[256];
	struct stat st;

	if (fstat(fd, &st) < 0)
		return 0;
	f = fopen("/proc/locks", "re");
	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f)) {
		unsigned maj, min;
		unsigned long long ino;
		char kind[16], arrow[4];
		int pid;

		if (sscanf(line, "%*d: %3s", arrow) == 1 && strcmp(arrow, "->") == 0)
			continue;
		if (sscanf(line, "%*d: %15s %*s %*s %d %x:%x:%llu", kind, &pid, &maj, &min, &ino) != 5)
			continue;
		if (strcmp(kind, "FLOCK") == 0 && maj == major(st.st_dev) &&
		    min == minor(st.st_dev) && ino == (unsigned long long)st.st_ino)
			return pid;
	}
	return 0;
}

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* Waits at most [database] lock_timeout_sec: a holder that hangs (a FIFO or a dead mount
 * opened under the lock, a stuck process) must not stall every other writer forever, and
 * the error names it. Polls with LOCK_NB instead of a blocking flock() so the wait is
 * bounded without signals (the server's threads have none to spare). */
int manager_lock(struct bpfman *m)
{
	_cleanup_close_ int fd = -EBADF;
	uint64_t start, limit;
	useconds_t pause = 1000;

	if (m->lock_fd >= 0)
		return 0;
	if (netns_thread_check() < 0)
		return manager_error(m, -ENOTRECOVERABLE,
				     "this thread could not return to its own network namespace "
				     "after an earlier operation and refuses every change; "
				     "restart bpfman");
	fd = open(m->layout.lock_path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK,
		  0600);
	if (fd < 0)
		return manager_error(m, -errno, "cannot open the lock %s: %s", m->layout.lock_path,
				     strerror(errno));
	start = now_ms();
	limit = (uint64_t)m->config.lock_timeout_sec * 1000;
	while (flock(fd, LOCK_EX | LOCK_NB) < 0) {
		uint64_t waited;

		if (errno == EINTR)
			continue;
		if (errno != EWOULDBLOCK)
			return manager_error(m, -errno, "cannot take the lock %s: %s",
					     m->layout.lock_path, strerror(errno));
		waited = now_ms() - start;
		if (waited >= limit) {
			pid_t pid = lock_holder(fd);
			char who[32] = "";

			if (pid > 0)
				snprintf(who, sizeof(who), " (pid %d)", (int)pid);
			return manager_error(m, -EAGAIN,
					     "another bpfman%s holds the lock on %s; waited %.1f s",
					     who, m->layout.lock_path, (double)waited / 1000);
		}
		if (pause > (limit - waited) * 1000)
			pause = (useconds_t)((limit - waited) * 1000);
		usleep(pause);
		if (pause < 50000)
			pause *= 2;
	}
	m->lock_fd = TAKE_FD(fd);
	return 0;
}

void manager_unlock(struct bpfman *m)
{
	if (m->lock_hold > 0)
		return;
	if (m->lock_fd >= 0) {
		close(m->lock_fd); /* releases the flock */
		m->lock_fd = -EBADF;
	}
}

int manager_lock_hold(struct bpfman *m)
{
	int r = manager_lock(m);

	if (r == 0)
		m->lock_hold++;
	return r;
}

void manager_lock_release(struct bpfman *m)
{
	if (m->lock_hold > 0 && --m->lock_hold == 0)
		manager_unlock(m);
}

void bpfman_set_cancel_check(struct bpfman *m, bpfman_cancel_fn fn, void *data)
{
	m->cancelled = fn;
	m->cancel_data = data;
}

int manager_check_cancel(struct bpfman *m)
{
	if (m->cancelled && m->cancelled(m->cancel_data))
		return manager_error(m, -ECANCELED, "the request was cancelled: nothing changed");
	return 0;
}

static __thread char *log_buf;
static __thread size_t log_len;
static __thread bool log_active;

static int capture_print(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	char line[4096];
	int n;
	char *t;

	if (!log_active || level == LIBBPF_DEBUG)
		return 0;
	n = vsnprintf(line, sizeof(line), fmt, ap);
	if (n <= 0)
		return 0;
	if ((size_t)n >= sizeof(line))
		n = sizeof(line) - 1;
	/* keep at most the last 64 KiB: the verifier log's tail is what names the problem */
	if (log_len + n > 65536) {
		size_t drop = log_len + n - 65536;

		if (drop > log_len)
			drop = log_len;
		memmove(log_buf, log_buf + drop, log_len - drop);
		log_len -= drop;
	}
	t = realloc(log_buf, log_len + n + 1);
	if (!t)
		return 0;
	log_buf = t;
	memcpy(log_buf + log_len, line, n);
	log_len += n;
	log_buf[log_len] = '\0';
	return 0;
}

void libbpf_log_capture_begin(void)
{
	/* also for code that opens objects without a manager (image labels): libbpf would
	 * print to stderr otherwise */
	libbpf_set_print(capture_print);
	log_len = 0;
	if (log_buf)
		log_buf[0] = '\0';
	log_active = true;
}

const char *libbpf_log_capture_tail(size_t max)
{
	if (!log_buf || !log_len)
		return "";
	return log_len > max ? log_buf + log_len - max : log_buf;
}

/* Frees the buffer: it is thread-local, and a server worker that exits would leak it. */
void libbpf_log_capture_end(void)
{
	log_active = false;
	free(log_buf);
	log_buf = NULL;
	log_len = 0;
}

/* layout_prepare() and store_open_at() follow no link in the state tree */
static const char *state_link_hint(int r)
{
	switch (r) {
	case -ELOOP:
		return " (a symbolic link in the state tree, refused)";
	case -EXDEV:
		return " (a directory of the state tree is not on the manager's bpffs)";
	default:
		return "";
	}
}

/* Readers (list/get) take neither the writer lock nor a write transaction: they read a WAL
 * snapshot beside any writer. No database yet means nothing is recorded: an empty
 * in-memory one answers, rather than a reader creating the file beside a writer. Only an
 * older schema makes a reader wait for the lock, once, to migrate it. */
static int open_reader_store(struct bpfman *m, int db_fd)
{
	int r = store_open_reader_at(db_fd, &m->store);

	if (r == -ENOENT)
		r = store_open(":memory:", &m->store);
	else if (r == -ESTALE) {
		r = manager_lock(m);
		if (r < 0)
			return r;
		r = store_open_at(db_fd, &m->store);
		manager_unlock(m);
	}
	if (r < 0)
		return manager_error(m, r, "cannot open the state database %s: %s%s",
				     m->layout.db_path, strerror(-r), state_link_hint(r));
	return 0;
}

int bpfman_open(const struct bpfman_open_opts *opts, bpfman_notice_fn notice, void *userdata,
		struct bpfman **ret)
{
	struct bpfman *m = calloc(1, sizeof(*m));
	_cleanup_free_ char *cfg_err = NULL;
	_cleanup_close_ int db_fd = -EBADF;
	int r;

	if (!m)
		return -ENOMEM;
	m->lock_fd = -EBADF;
	m->notice = notice;
	m->notice_data = userdata;
	m->read_only = opts && opts->read_only;
	config_init(&m->config);
	libbpf_set_print(capture_print);

	r = layout_init(&m->layout, opts ? opts->root : NULL);
	if (r == -EINVAL) {
		manager_error(m, r, "the root directory must be an absolute path, not '%s'",
			      opts->root);
		goto fail;
	}
	if (r < 0) {
		free(m);
		return r;
	}
	r = config_load(&m->config, m->layout.config_path, &cfg_err);
	if (r < 0) {
		r = manager_error(m, r, "%s", cfg_err ? cfg_err : "cannot read config");
		goto fail;
	}
	db_fd = layout_open_dir(&m->layout, m->layout.db_dir, true);
	if (db_fd < 0) {
		r = manager_error(m, db_fd, "cannot create %s: %s%s", m->layout.db_dir,
				  strerror(-db_fd), state_link_hint(db_fd));
		goto fail;
	}
	if (m->read_only) {
		r = open_reader_store(m, db_fd);
		if (r < 0)
			goto fail;
		goto done;
	}
	/* A server's worker (no reconcile): its process prepared the bpffs and the database at
	 * start, under the lock. When the database is there at the current schema nothing is
	 * left to do under the lock, and a worker's first call, even a List, must not wait for
	 * a change in progress. */
	if (opts && opts->no_reconcile && store_open_reader_at(db_fd, &m->store) == 0)
		goto done;
	/* Under the lock: two commands starting at once on a fresh host must not both mount a
	 * bpffs (the second would hide the first's pins), nor both create the database (SQLite
	 * answers the second's switch to WAL with BUSY, without waiting), nor reconcile beside
	 * a change. */
	r = manager_lock(m);
	if (r < 0)
		goto fail;
	r = layout_prepare(&m->layout);
	if (r < 0) {
		manager_error(m, r, "cannot prepare %s (bpffs): %s%s", m->layout.fs, strerror(-r),
			      state_link_hint(r));
	} else {
		r = store_open_at(db_fd, &m->store);
		if (r < 0)
			manager_error(m, r, "cannot open the state database %s: %s%s",
				      m->layout.db_path, strerror(-r), state_link_hint(r));
		else if (!(opts && opts->no_reconcile))
			r = manager_reconcile(m);
	}
	manager_unlock(m);
	if (r < 0)
		goto fail;
done:
	*ret = m;
	return 0;
fail:
	/* keep the message for the caller: hand the half-open context back on error */
	*ret = m;
	return r;
}

struct bpfman *bpfman_close(struct bpfman *m)
{
	if (!m)
		return NULL;
	m->lock_hold = 0;
	manager_unlock(m);
	store_close(m->store);
	config_free(&m->config);
	layout_free(&m->layout);
	free(m);
	return NULL;
}
