/* Connection table: see conns.h.
 *
 * grpc owns each accepted fd (grpc_server_add_channel_from_fd) and closes it when the
 * connection ends, so the table only remembers (fd, inode) and learns of a close by
 * fstat. To close a connection, shutdown(2) its socket: grpc reads end-of-file, ends the
 * transport and closes the fd itself; one owner, one close. */
#include <pthread.h>
#include <stdio.h>
#include <sys/stat.h>
#include <time.h>

#include "conns.h"

/* Room for connections being closed (shut down, not yet closed by grpc) besides the open. */
#define SLOTS (2 * CONNS_MAX)

struct conn {
	struct conn_ref ref;
	struct ucred cred;
	unsigned calls; /* in flight */
	long long idle_since_ms; /* accept or end of the last call */
	bool refuse_calls;
	bool closing; /* shut down by us; grpc will close the fd */
};

static struct {
	pthread_mutex_t lock;
	struct conn c[SLOTS];
	size_t n;
} T = { .lock = PTHREAD_MUTEX_INITIALIZER };

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

static bool still_ours(const struct conn_ref *r)
{
	struct stat st;

	return fstat(r->fd, &st) == 0 && S_ISSOCK(st.st_mode) && st.st_ino == r->ino;
}

/* Forgets connections grpc has closed: their fd is gone or now names another file. */
static void sweep(void)
{
	size_t k = 0;

	for (size_t i = 0; i < T.n; i++)
		if (still_ours(&T.c[i].ref))
			T.c[k++] = T.c[i];
	T.n = k;
}

static void close_conn(struct conn *c)
{
	/* checked again right before: the fd number must still name this socket */
	if (still_ours(&c->ref))
		(void)shutdown(c->ref.fd, SHUT_RDWR);
	c->closing = true;
}

/* The connection without a call in flight that has been idle longest, among those of pid
 * (or among all); NULL when every one is busy. */
static struct conn *oldest_idle(bool of_pid, pid_t pid)
{
	struct conn *best = NULL;

	for (size_t i = 0; i < T.n; i++) {
		struct conn *c = &T.c[i];

		if (c->closing || c->calls || (of_pid && c->cred.pid != pid))
			continue;
		if (!best || c->idle_since_ms < best->idle_since_ms)
			best = c;
	}
	return best;
}

enum conn_verdict conns_add(int fd, const struct ucred *cred)
{
	enum conn_verdict v = CONN_SERVE;
	unsigned open = 0, mine = 0;
	struct stat st;

	if (fstat(fd, &st) < 0)
		return CONN_CLOSE;
	pthread_mutex_lock(&T.lock);
	sweep();
	for (size_t i = 0; i < T.n; i++)
		if (!T.c[i].closing) {
			open++;
			mine += T.c[i].cred.pid == cred->pid;
		}
	if (mine >= CONNS_MAX_PER_PEER || open >= CONNS_MAX) {
		/* make room: at its own cap, the process's oldest idle connection; else anyone's */
		bool own = mine >= CONNS_MAX_PER_PEER;
		struct conn *victim = oldest_idle(own, cred->pid);

		if (victim)
			close_conn(victim);
		else
			v = CONN_REFUSE_CALLS;
	}
	if (T.n >= SLOTS)
		v = CONN_CLOSE;
	else
		T.c[T.n++] = (struct conn){ .ref = { fd, st.st_ino }, .cred = *cred,
					    .idle_since_ms = now_ms(),
					    .refuse_calls = v == CONN_REFUSE_CALLS };
	pthread_mutex_unlock(&T.lock);
	return v;
}

static struct conn *find(const struct conn_ref *r)
{
	for (size_t i = 0; i < T.n; i++)
		if (T.c[i].ref.fd == r->fd && T.c[i].ref.ino == r->ino)
			return &T.c[i];
	return NULL;
}

bool conns_call_begin(const char *peer, struct conn_ref *ref, struct ucred *cred)
{
	bool refuse = false;

	*ref = (struct conn_ref){ .fd = -1 };
	*cred = (struct ucred){ .uid = (uid_t)-1, .gid = (gid_t)-1 };
	if (!peer || sscanf(peer, "fd:%d", &ref->fd) != 1)
		return false;
	pthread_mutex_lock(&T.lock);
	for (size_t i = 0; i < T.n; i++) {
		struct conn *c = &T.c[i];

		/* the fd is still the connection's while one of its calls runs (a stale entry
		 * with the same number was swept when the number was accepted again) */
		if (c->ref.fd == ref->fd) {
			ref->ino = c->ref.ino;
			*cred = c->cred;
			refuse = c->refuse_calls;
			c->calls++;
			break;
		}
	}
	pthread_mutex_unlock(&T.lock);
	return refuse;
}

void conns_call_end(const struct conn_ref *ref)
{
	struct conn *c;

	if (ref->fd < 0)
		return;
	pthread_mutex_lock(&T.lock);
	c = find(ref);
	if (c && c->calls) {
		c->calls--;
		c->idle_since_ms = now_ms();
	}
	pthread_mutex_unlock(&T.lock);
}

void conns_close_idle(void)
{
	pthread_mutex_lock(&T.lock);
	sweep();
	for (size_t i = 0; i < T.n; i++)
		if (!T.c[i].closing && !T.c[i].calls)
			close_conn(&T.c[i]);
	pthread_mutex_unlock(&T.lock);
}
