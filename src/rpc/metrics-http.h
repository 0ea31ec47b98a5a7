/* A minimal HTTP/1.x responder for one resource: GET /metrics. Everything else is 404
 * (another path) or 405 (another method); every answer closes the connection. Connections
 * are read side by side (poll), each bounded in size and time, so a slow or malformed
 * client never holds up a scrape. */
#pragma once

#include <stddef.h>

#define METRICS_HTTP_MAX_CONNS 16
#define METRICS_HTTP_MAX_REQUEST 8192 /* bytes of request line and headers */
#define METRICS_HTTP_TIMEOUT_MS 5000 /* from accept to the last byte of the answer */

/* Builds the body (malloc'ed, *len bytes); NULL on failure (answered with 500). */
typedef char *(*metrics_http_render_fn)(size_t *len);

/* Serves lfd (listening, non-blocking) until stop_fd becomes readable. */
void metrics_http_serve(int lfd, int stop_fd, metrics_http_render_fn render);
