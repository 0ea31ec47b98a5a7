/* Completes the pending links of declared applications when interfaces appear: a thread of
 * its own listens to rtnetlink link events (RTM_NEWLINK) and calls
 * bpfman_app_retry_pending() once per burst. */
#pragma once

struct link_watch;

/* Starts the thread (with a library context of its own, under root). Returns 0 or a
 * negative errno (logged already); the server serves without it then. */
int link_watch_start(const char *root, struct link_watch **ret);
/* Stops and joins it (bounded: a thread stuck in the library is left behind). NULL is fine. */
void link_watch_stop(struct link_watch *w);
