/* Prometheus metrics of bpfman-rpc (--metrics-address; off by default): the managed
 * programs' run counts and run times (the kernel's BPF_ENABLE_STATS, held while metrics
 * are on), the dispatchers' per-slot counts, what is managed by type, and the server's own
 * requests. docs/metrics.md lists every series. */
#pragma once

#include <stdint.h>

#include <grpc/status.h>

/* Records one finished call: method is an index into rpc_methods, or -1 for an unknown
 * method. Thread-safe; a no-op while metrics are off. */
void metrics_record_call(int method, grpc_status_code code, uint64_t latency_ns);

/* Starts serving GET /metrics on address ("127.0.0.1:9102", "[::1]:9102") in a thread of
 * its own, and turns on the kernel's run-time statistics. root: the manager's root (NULL:
 * real paths). Returns 0 or a negative errno (logged). */
int metrics_start(const char *address, const char *root);
/* Stops the thread, closes the listener and gives the statistics back. */
void metrics_stop(void);

/* "host:port" -> a socket address; -EINVAL when it is none. */
struct sockaddr_storage;
int metrics_parse_address(const char *address, struct sockaddr_storage *ret, unsigned *ret_len);
