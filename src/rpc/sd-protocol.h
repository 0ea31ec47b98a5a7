/* The two systemd protocols the server speaks, written out: both are small and stable, and
 * libsystemd would map five more libraries (gcrypt, lz4, zstd, lzma...) into a process that
 * is meant to idle small. Logging needs no library either: under systemd, stderr is the
 * journal, and a "<N>" prefix gives each line its priority. */
#pragma once

/* Listening sockets passed by systemd (LISTEN_PID/LISTEN_FDS); the variables are unset.
 * Returns the number of fds (starting at 3), 0 when none were passed. */
int sd_proto_listen_fds(void);
/* A readiness/status datagram to $NOTIFY_SOCKET; a no-op without it. */
void sd_proto_notify(const char *state);
/* True when stderr is the journal (JOURNAL_STREAM names stderr's device and inode). */
int sd_proto_stderr_is_journal(void);
