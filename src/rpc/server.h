/* The gRPC server: grpc core on a Unix socket we accept ourselves (for SO_PEERCRED and
 * systemd socket activation), N workers on one shared completion queue. */
#pragma once

#include <stdbool.h>
#include <stdint.h>

/* Two workers serve reads in parallel (and a read beside a change) and keep the server under
 * 12 MiB with 100 programs (each worker holds its own database connection); --workers
 * raises it. */
#define SERVER_DEFAULT_WORKERS 2
/* A connection without a call for that long is closed (GOAWAY): idle clients must not hold
 * the connection slots; a client's next call simply reconnects. */
#define SERVER_DEFAULT_IDLE_S 30

struct server_opts {
	const char *socket_path;
	const char *root; /* BPFMAN_ROOT / --root; NULL = real paths */
	unsigned timeout_s; /* inactivity timeout; 0 = run until signalled */
	unsigned idle_timeout_s; /* close connections without a call for that long; 0 = never */
	uint32_t workers; /* 0: SERVER_DEFAULT_WORKERS */
	const char *metrics_address; /* HOST:PORT of the Prometheus listener; NULL = off */
};

/* Runs until SIGTERM/SIGINT or the inactivity timeout. Returns 0 or a negative errno
 * (logged already). Call with SIGTERM, SIGINT, SIGHUP blocked in every thread. */
int server_run(const struct server_opts *o);
