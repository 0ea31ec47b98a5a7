/* bpfman.toml: the configuration file (contract section 7), parsed strictly.
 *
 * Debian 12 packages no C TOML library, so this is a small parser for the subset of TOML
 * the file uses: comments, [table] and [table.sub] headers (bare or "quoted" keys),
 * key = value with basic "strings", 'literal strings', integers, booleans, and one-line
 * arrays of strings ["a", "b"]. Anything else (other arrays, inline tables, floats, dates,
 * multi-line strings, duplicate keys or tables, unknown sections or keys) is an error that
 * names the line. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum xdp_mode {
	XDP_MODE_DRV,
	XDP_MODE_SKB,
	XDP_MODE_HW,
};

struct config_interface {
	char *name;
	enum xdp_mode xdp_mode;
};

struct bpfman_config {
	struct config_interface *interfaces;
	size_t n_interfaces;
	bool signing_allow_unsigned; /* default true */
	bool signing_verify_enabled; /* default true */
	uint32_t database_max_retries; /* default 10; accepted for compatibility */
	uint32_t database_millisec_delay; /* default 1000 */
	/* [database] lock_timeout_sec: how long a change waits for the writer lock before it
	 * fails naming the holder (default 30, at most LOCK_TIMEOUT_MAX; 0: do not wait) */
	uint32_t lock_timeout_sec;
	/* [dispatcher] stats: dispatchers count per slot (default false: a counting XDP
	 * dispatcher has a second map, and libxdp/xdp-loader then cannot share it) */
	bool dispatcher_stats;
	/* [signing] trusted_keys = ["PATH", ...]: PEM public keys (ECDSA P-256, Ed25519) a
	 * signature must verify with (NULL-terminated, or NULL when none) */
	char **signing_trusted_keys;
	/* [registries] insecure = ["host:port", ...]: where plain HTTP is allowed (loopback
	 * always is); ca_file: an extra CA bundle; auth_file: credentials in docker's
	 * config.json / containers' auth.json format (root-only) */
	char **registries_insecure;
	char *registries_ca_file;
	char *registries_auth_file;
	/* [registries] connect_timeout_sec, stall_timeout_sec (a transfer slower than 512
	 * bytes/s for this long fails), total_timeout_sec: the time limits of one registry
	 * request; 0 (the default) means the registry client's own (15, 30, 600 s) */
	uint32_t registries_connect_timeout_sec;
	uint32_t registries_stall_timeout_sec;
	uint32_t registries_total_timeout_sec;
};

#define LOCK_TIMEOUT_MAX 3600
#define REGISTRY_TIMEOUT_MAX 86400

/* Sets every default. */
void config_init(struct bpfman_config *c);
void config_free(struct bpfman_config *c);

/* Parses text (len bytes, need not be NUL-terminated). On error returns -EINVAL and, when
 * ret_err is given, a malloc'd message "line N: what is wrong" (caller frees).
 * On error c is left with defaults (nothing half-applied). */
int config_parse(struct bpfman_config *c, const char *text, size_t len, char **ret_err);

/* Reads and parses path. A missing file is not an error (defaults, returns 0).
 * Other read errors return negative errno; parse errors as config_parse, with the
 * message prefixed by the path. */
int config_load(struct bpfman_config *c, const char *path, char **ret_err);

/* The XDP mode for an interface: its [interfaces.NAME] entry, else XDP_MODE_DRV. */
enum xdp_mode config_xdp_mode(const struct bpfman_config *c, const char *ifname);
const char *xdp_mode_to_string(enum xdp_mode m);
