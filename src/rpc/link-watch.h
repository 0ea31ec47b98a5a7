/* Completes the pending links of declared applications when interfaces appear: a thread of
 * its own listens to rtnetlink link events (RTM_NEWLINK) and calls
 * bpfman_app_retry_pending() once per burst. */
#pragma once

#include <stdbool.h>

struct link_watch;

/* Starts the thread (with a library context of its own, under root). Returns 0 or a
 * negative errno (logged already); the server serves without it then. */
int link_watch_start(const char *root, struct link_watch **ret);
/* True while the last retry left links pending (or none has run yet): the server does not
 * stop on its inactivity timeout then, or nothing would complete them. NULL: false. */
bool link_watch_pending(struct link_watch *w);
/* Tells the thread to stop (it finishes a retry in progress); returns at once. NULL is fine. */
void link_watch_signal(struct link_watch *w);
/* Signals and joins it, waiting at most a second (a thread stuck in the library, waiting for
 * the writer lock say, is left behind: the process is exiting). NULL is fine. */
void link_watch_stop(struct link_watch *w);
