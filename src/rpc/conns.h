/* The connections the server accepted: whose (SO_PEERCRED), how many calls in flight, idle
 * since when. Enforces the connection limits so that idle or greedy clients cannot lock
 * others out: at most CONNS_MAX open, at most CONNS_MAX_PER_PEER per process. (Closing
 * connections idle for the idle timeout is grpc's own max-connection-idle, which sends a
 * GOAWAY first: checked on 1.51 for fds handed over with grpc_server_add_channel_from_fd,
 * raw connections included.) Thread-safe: the main thread adds, workers count calls. */
#pragma once

#include <stdbool.h>
#include <sys/socket.h>
#include <sys/types.h>

#define CONNS_MAX 64
#define CONNS_MAX_PER_PEER (CONNS_MAX / 4)

/* Names one accepted connection: its fd number and the socket's inode (grpc closes the fd
 * itself and the number comes back for something else). */
struct conn_ref {
	int fd;
	ino_t ino;
};

enum conn_verdict {
	CONN_SERVE,
	CONN_REFUSE_CALLS, /* served, but its calls get RESOURCE_EXHAUSTED, so it learns why */
	CONN_CLOSE, /* close it at once: the table is full */
};

/* A new connection from cred on fd. At a limit, the oldest connection without a call in
 * flight (of the same process first) is closed to make room; only when every connection
 * is busy is the new one refused. */
enum conn_verdict conns_add(int fd, const struct ucred *cred);

/* A call starts on the connection grpc names "fd:N" (grpc_call_get_peer). Fills ref and
 * cred (uid -1 when unknown); returns whether the connection's calls are refused. */
bool conns_call_begin(const char *peer, struct conn_ref *ref, struct ucred *cred);
void conns_call_end(const struct conn_ref *ref);

/* Closes every connection without a call in flight (at shutdown: grpc would wait for the
 * clients to hang up, the whole grace period when one never does). */
void conns_close_idle(void);
