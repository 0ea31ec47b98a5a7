/* The manager context: open/close, errors, the writer lock, libbpf log capture. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#include <bpf/libbpf.h>

#include "cleanup.h"
#include "manager.h"

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

int manager_lock(struct bpfman *m)
{
	int fd;

	if (m->lock_fd >= 0)
		return 0;
	fd = open(m->layout.lock_path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0)
		return -errno;
	/* Blocks: a second CLI or the server waits for the first instead of failing. */
	while (flock(fd, LOCK_EX) < 0) {
		if (errno != EINTR) {
			int r = -errno;

			close(fd);
			return r;
		}
	}
	m->lock_fd = fd;
	return 0;
}

void manager_unlock(struct bpfman *m)
{
	if (m->lock_fd >= 0) {
		close(m->lock_fd); /* releases the flock */
		m->lock_fd = -EBADF;
	}
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

int bpfman_open(const struct bpfman_open_opts *opts, bpfman_notice_fn notice, void *userdata,
		struct bpfman **ret)
{
	struct bpfman *m = calloc(1, sizeof(*m));
	_cleanup_free_ char *cfg_err = NULL;
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
	if (r < 0) {
		free(m);
		return r;
	}
	r = config_load(&m->config, m->layout.config_path, &cfg_err);
	if (r < 0) {
		r = manager_error(m, r, "%s", cfg_err ? cfg_err : "cannot read config");
		goto fail;
	}
	r = mkdir_p(m->layout.db_dir, 0755);
	if (r < 0) {
		manager_error(m, r, "cannot create %s: %s", m->layout.db_dir, strerror(-r));
		goto fail;
	}
	if (m->read_only) {
		r = store_open(m->layout.db_path, &m->store);
		if (r < 0) {
			manager_error(m, r, "cannot open the state database %s: %s",
				      m->layout.db_path, strerror(-r));
			goto fail;
		}
		goto done;
	}
	/* Under the lock: two commands starting at once on a fresh host must not both mount a
	 * bpffs (the second would hide the first's pins), nor both create the database (SQLite
	 * answers the second's switch to WAL with BUSY, without waiting), nor reconcile beside
	 * a change. */
	r = manager_lock(m);
	if (r < 0) {
		manager_error(m, r, "cannot take the lock %s: %s", m->layout.lock_path, strerror(-r));
		goto fail;
	}
	r = layout_prepare(&m->layout);
	if (r < 0) {
		manager_error(m, r, "cannot prepare %s (bpffs): %s", m->layout.fs, strerror(-r));
	} else {
		r = store_open(m->layout.db_path, &m->store);
		if (r < 0)
			manager_error(m, r, "cannot open the state database %s: %s",
				      m->layout.db_path, strerror(-r));
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
	manager_unlock(m);
	store_close(m->store);
	config_free(&m->config);
	layout_free(&m->layout);
	free(m);
	return NULL;
}
