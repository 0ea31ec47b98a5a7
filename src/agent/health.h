/* --health-probe-bind-address: /healthz and /readyz over plain HTTP, served from the main
 * loop (a probe is one short request; the answer never blocks). */
#pragma once
#include <stdbool.h>

/* A listening socket on HOST:PORT (":8175" = every address), or a negative errno. */
int health_listen(const char *addr);
/* Accepts one connection, reads its request line, answers 200 (or 503 for /readyz while
 * not ready) and closes it. */
void health_serve(int fd, bool ready);
