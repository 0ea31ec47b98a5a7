/* Plumbing shared by the examples: flags, connecting to bpfman, loading the example's
 * programs (or reusing loaded ones with -id), reading pinned maps, the report loop and the
 * clean-up. Each example's main.c keeps what is its own: which programs, how they attach,
 * what it prints. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "bpfman-client.h"

#define EX_MAX_PROGS 8
#define EX_MAX_FLAGS 16

enum ex_flag_kind {
	EX_STR, /* const char * */
	EX_INT, /* int32_t */
	EX_UINT, /* uint32_t */
	EX_DOUBLE, /* double */
};

struct ex_flag {
	const char *name; /* without the dash */
	enum ex_flag_kind kind;
	void *value; /* holds the default, receives the flag */
	const char *help;
};

struct example {
	const char *name; /* names the object (<name>.bpf.o) and the bpfman_application */
	/* the flags every example has */
	const char *socket; /* -socket */
	const char *file; /* -file */
	const char *image; /* -image: an OCI image reference instead of the object file */
	uint32_t id; /* -id: use this loaded program instead of loading */
	uint32_t map_owner_id; /* -map_owner_id: share that program's maps */
	int32_t count; /* -count: stop after this many reports (0 = never) */
	double interval; /* -interval: seconds between reports */
	/* state */
	struct bpfman_client *client;
	uint32_t prog_ids[EX_MAX_PROGS];
	size_t n_progs;
	char *map_pin_path;
	bool loaded; /* we loaded the programs, so we unload them */
	uint32_t links[EX_MAX_PROGS];
	size_t n_links;
};

/* Blocks SIGINT/SIGTERM (before any thread exists, so grpc's threads inherit the mask and
 * the signal reaches ex_run) and parses the common flags plus `extra` (NULL-terminated).
 * Exits with usage on bad flags. */
void ex_init(struct example *ex, const char *name, int argc, char **argv,
	     const struct ex_flag *extra);
/* Connects, then loads progs from the object in one Load, or with -id finds them among
 * the loaded program and those sharing its maps. 0 or negative errno (message printed). */
int ex_start(struct example *ex, const struct bpfman_prog_request *progs, size_t n);
/* Attaches program i; the link is detached again by ex_stop(). */
int ex_attach(struct example *ex, size_t i, const struct bpfman_attach_opts *opts);
/* Opens the pinned map <map_pin_path>/<map_name>: an fd, or negative errno. */
int ex_map_open(const struct example *ex, const char *map_name);
/* Reads key of a per-CPU map whose value is n u64 words, summing each word over CPUs. */
int ex_percpu_sum(int map_fd, uint32_t key, uint64_t *sums, size_t n);
/* Calls report every interval until -count reports or SIGINT/SIGTERM. */
void ex_run(struct example *ex, void (*report)(void *arg), void *arg);
/* Detaches our links, unloads what we loaded, disconnects. */
void ex_stop(struct example *ex);
