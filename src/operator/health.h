/* --health-probe-bind-address: /healthz (the process answers) and /readyz (every informer
 * has listed once), plain HTTP/1.0 on a thread of its own. */
#pragma once

#include <stdbool.h>

struct health;

/* addr "HOST:PORT" or ":PORT" (all addresses). ready() is called from the health thread.
 * 0 or negative errno. */
int health_start(const char *addr, bool (*ready)(void *), void *userdata, struct health **ret);
void health_stop(struct health *h);
