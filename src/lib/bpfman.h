/* libbpfman: the public API shared by the CLI and the server.
 *
 * One library does the work; the CLI and the server only translate their input into these
 * structs and render the results. Every function returns 0 (or a count) on success and a
 * negative errno on failure; details for the user come back in bpfman_error() of the
 * context (a message naming the problem), the library never logs. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "strv.h"

/* Program types of the API (numbering of bpfman.v1 BpfmanProgramType). */
enum bpfman_prog_type {
	BPFMAN_PROG_XDP = 0,
	BPFMAN_PROG_TC = 1,
	BPFMAN_PROG_TRACEPOINT = 2,
	BPFMAN_PROG_KPROBE = 3,
	BPFMAN_PROG_UPROBE = 4,
	BPFMAN_PROG_FENTRY = 5,
	BPFMAN_PROG_FEXIT = 6,
	BPFMAN_PROG_TCX = 7,
	BPFMAN_PROG_LSM = 8,
	_BPFMAN_PROG_TYPE_MAX,
	_BPFMAN_PROG_TYPE_INVALID = -22,
};

const char *bpfman_prog_type_to_string(enum bpfman_prog_type t);
int bpfman_prog_type_from_string(const char *s);
/* Kernel program type names of the contract (table 4.2): "xdp", "tc", "probe", ... */
const char *bpfman_kernel_type_to_string(uint32_t kernel_type);
int bpfman_kernel_type_from_string(const char *s);
/* The kernel type a managed program reports (xdp 6, tc 3, probe 2, ...). */
uint32_t bpfman_prog_type_kernel_type(enum bpfman_prog_type t);

struct bpfman;

/* Where state lives. root "" or NULL means "/". */
struct bpfman_open_opts {
	const char *root;
	bool read_only; /* list/get: no lock, no reconcile, no bpffs mount */
	bool no_reconcile; /* a server reconciles once at start, not per request */
};

/* Callback for repairs and notices (reconciliation). The library never prints; a program
 * that wants these passes a function. level: 0 warn, 1 info, 2 debug. */
typedef void (*bpfman_notice_fn)(int level, const char *msg, void *userdata);

/* On failure *ret is still set, so the caller can read bpfman_error(); close it either way. */
int bpfman_open(const struct bpfman_open_opts *opts, bpfman_notice_fn notice, void *userdata,
		struct bpfman **ret);
struct bpfman *bpfman_close(struct bpfman *m);
/* The last error's message, or "" (valid until the next call on m). */
const char *bpfman_error(struct bpfman *m);
/* A change asks fn(data) once more right before it becomes permanent (before the record is
 * committed; before anything is detached or unloaded): when it answers true, the change is
 * undone and the call returns -ECANCELED. A server passes "the client cancelled or the
 * deadline passed", so a request nobody waits for leaves nothing behind. NULL: never. */
typedef bool (*bpfman_cancel_fn)(void *data);
void bpfman_set_cancel_check(struct bpfman *m, bpfman_cancel_fn fn, void *data);

/* ---- programs ---- */

struct bpfman_global {
	char *name;
	uint8_t *data;
	size_t len;
};

struct bpfman_prog_request {
	enum bpfman_prog_type type;
	char *name; /* function name */
	char *attach_fn; /* fentry/fexit target function, lsm hook */
};

struct bpfman_load_opts {
	const char *path; /* object file */
	const char *image_url; /* or an OCI image reference (exactly one of path, image_url) */
	int pull_policy; /* enum bpfman_pull_policy */
	const char *username; /* registry credentials for this request (never stored); NULL: */
	const char *password; /* [registries] auth_file, else anonymous */
	const struct bpfman_prog_request *progs;
	size_t n_progs;
	const struct bpfman_global *globals;
	size_t n_globals;
	const struct kv_list *metadata;
	bool has_map_owner;
	uint32_t map_owner_id;
};

/* What the kernel says about a program (bpf_prog_info). */
struct bpfman_kernel_info {
	uint32_t id;
	char name[128]; /* the whole function name where BTF has it */
	uint32_t type; /* kernel type number */
	char loaded_at[40]; /* %Y-%m-%dT%H:%M:%S%z local time */
	char tag[17]; /* 16 lowercase hex digits */
	bool gpl_compatible;
	uint32_t *map_ids;
	uint32_t n_map_ids;
	uint32_t btf_id;
	uint32_t bytes_xlated;
	bool jited;
	uint32_t bytes_jited;
	uint32_t bytes_memlock;
	uint32_t verified_insns;
	/* kernel.bpf_stats: counted only while someone holds BPF_ENABLE_STATS (or the sysctl) */
	uint64_t run_cnt;
	uint64_t run_time_ns;
};

/* What the manager knows about a program it loaded. */
struct bpfman_program {
	uint32_t id;
	char *name; /* function name */
	enum bpfman_prog_type type;
	char *attach_fn; /* fentry/fexit/lsm target, or NULL */
	bool retprobe; /* kretprobe / uretprobe (from the ELF section) */
	char *path; /* object file, or NULL for an image */
	char *image_url;
	int pull_policy;
	char *image_digest; /* the manifest digest image_url resolved to when it was loaded */
	struct bpfman_global *globals;
	size_t n_globals;
	struct kv_list metadata;
	bool has_map_owner;
	uint32_t map_owner_id;
	char *map_pin_path;
	uint32_t *map_used_by; /* program ids sharing map_pin_path */
	size_t n_map_used_by;
	uint32_t *links; /* manager link ids */
	size_t n_links;
};

/* One row of a listing / the result of a get: kernel view, plus the manager's record for
 * managed programs (program == NULL otherwise). */
struct bpfman_program_view {
	struct bpfman_kernel_info kernel;
	struct bpfman_program *program;
};

void bpfman_program_free(struct bpfman_program *p);
void bpfman_program_view_clear(struct bpfman_program_view *v);
void bpfman_program_views_free(struct bpfman_program_view *v, size_t n);

/* Loads every requested program from one object (all or nothing). On success *ret_views
 * holds one view per request, in order. */
int bpfman_load(struct bpfman *m, const struct bpfman_load_opts *opts,
		struct bpfman_program_view **ret_views, size_t *ret_n);
/* Detaches every link of the program, unpins and forgets it. -ENOENT if not managed. */
int bpfman_unload(struct bpfman *m, uint32_t prog_id);

struct bpfman_list_filter {
	bool all; /* include programs not loaded by the manager */
	bool has_kernel_type;
	uint32_t kernel_type;
	const struct kv_list *metadata; /* any selector implies managed only */
};

int bpfman_list_programs(struct bpfman *m, const struct bpfman_list_filter *f,
			 struct bpfman_program_view **ret_views, size_t *ret_n);
/* Any kernel program; ->program only for managed ones. -ENOENT if no such program. */
int bpfman_get_program(struct bpfman *m, uint32_t id, struct bpfman_program_view *ret);

/* ---- images ---- */

/* Pull policies as the reference numbers them (BytecodeImage.image_pull_policy). */
enum bpfman_pull_policy {
	BPFMAN_PULL_ALWAYS = 0,
	BPFMAN_PULL_IF_NOT_PRESENT = 1,
	BPFMAN_PULL_NEVER = 2,
};
const char *bpfman_pull_policy_to_string(int policy); /* "Always", ...; NULL if invalid */
int bpfman_pull_policy_from_string(const char *s); /* -EINVAL if unknown */

/* Progress of a download (bytes done of total; total 0: unknown). The library calls it
 * during pulls (bpfman_image_pull, and bpfman_load of an image); a CLI on a terminal shows
 * it. what: the blob's digest. */
typedef void (*bpfman_progress_fn)(const char *what, uint64_t done, uint64_t total, void *data);
void bpfman_set_progress(struct bpfman *m, bpfman_progress_fn fn, void *data);
/* base64 of "USER:PASSWORD" (the CLI's --registry-auth, an auth file's "auth") into its
 * parts; -EINVAL when it is not that. The caller frees both (and wipes the password). */
int bpfman_registry_auth_decode(const char *b64, char **ret_user, char **ret_pass);

struct bpfman_image_pull_opts {
	const char *url;
	int pull_policy; /* enum bpfman_pull_policy */
	const char *username; /* as in bpfman_load_opts: never stored */
	const char *password;
};

/* An image in the cache (<root>/var/cache/bpfman). */
struct bpfman_image {
	char *ref; /* canonical reference: registry/repository:tag[@digest] */
	char *digest; /* what the reference resolved to (an index for multi-arch images) */
	char *image_digest; /* the host platform's manifest */
	char *object_name; /* the object's file name in the layer */
	uint64_t object_size;
	int64_t pulled_at; /* seconds since the epoch */
	struct kv_list programs; /* io.ebpf.programs: function -> kernel type name */
	struct kv_list maps; /* io.ebpf.maps */
	bool from_cache; /* bpfman_image_pull: nothing was fetched */
};
void bpfman_image_clear(struct bpfman_image *i);
void bpfman_images_free(struct bpfman_image *v, size_t n);

/* Into the cache per the policy, signature checked per [signing]. An unsigned image that
 * is accepted gives a warning through the notice callback. */
int bpfman_image_pull(struct bpfman *m, const struct bpfman_image_pull_opts *o,
		      struct bpfman_image *ret);
int bpfman_image_list(struct bpfman *m, struct bpfman_image **ret, size_t *ret_n);
/* By reference (as pull takes it) or by digest (sha256:...): -ENOENT if nothing matched.
 * Programs loaded from the image stay loaded (the kernel holds them). */
int bpfman_image_remove(struct bpfman *m, const char *ref_or_digest);

/* ---- links ---- */

enum bpfman_direction {
	BPFMAN_DIR_NONE = 0,
	BPFMAN_DIR_INGRESS,
	BPFMAN_DIR_EGRESS,
};

struct bpfman_attach_opts {
	enum bpfman_prog_type type; /* must match the program's */
	/* xdp, tc, tcx */
	const char *iface;
	int32_t priority; /* default 1000 when !has_priority */
	bool has_priority;
	enum bpfman_direction direction;
	const char *netns; /* path of a netns file */
	const int32_t *proceed_on; /* xdp/tc; empty: the defaults (pass|pipe, dispatcher_return) */
	size_t n_proceed_on;
	/* tracepoint */
	const char *tracepoint;
	/* kprobe, uprobe */
	const char *fn_name;
	uint64_t offset;
	const char *target;
	int32_t pid; /* 0 = none */
	int32_t container_pid; /* 0 = none */
	const struct kv_list *metadata;
};

struct bpfman_link {
	uint32_t id; /* manager handle */
	uint32_t prog_id;
	enum bpfman_prog_type type;
	uint32_t kernel_link_id;
	char *iface;
	enum bpfman_direction direction;
	int32_t priority;
	int32_t position; /* -1 when not applicable */
	char *netns;
	int32_t *proceed_on;
	size_t n_proceed_on;
	char *tracepoint;
	char *fn_name;
	uint64_t offset;
	char *target;
	int32_t pid;
	int32_t container_pid;
	bool retprobe;
	uint32_t tc_handle; /* tc without a dispatcher: the cls_bpf filter's handle */
	/* xdp/tc: a member of a dispatcher; false when attached directly (kernels without
	 * freplace: one XDP program per interface, one cls_bpf filter per TC program) */
	bool dispatched;
	struct kv_list metadata;
	/* filled by get/list: */
	char *prog_name;
	char *application; /* program's bpfman_application metadata, or NULL */
	uint32_t dispatcher_id; /* dispatched: the revision running now (0 if none) */
	bool has_counts; /* dispatched, with [dispatcher] stats on */
	struct bpfman_slot_counts {
		uint64_t packets; /* times the program ran */
		/* by the action it returned: xdp action a at [a], tc action a at [a + 1];
		 * anything else at [15] */
		uint64_t actions[16];
	} counts;
};

void bpfman_link_free(struct bpfman_link *l);
void bpfman_links_free(struct bpfman_link *l, size_t n);

int bpfman_attach(struct bpfman *m, uint32_t prog_id, const struct bpfman_attach_opts *opts,
		  uint32_t *ret_link_id);
int bpfman_detach(struct bpfman *m, uint32_t link_id);

struct bpfman_link_filter {
	bool has_kernel_type;
	uint32_t kernel_type;
	const struct kv_list *metadata; /* matched against the program's metadata */
};

int bpfman_list_links(struct bpfman *m, const struct bpfman_link_filter *f,
		      struct bpfman_link **ret_links, size_t *ret_n);
int bpfman_get_link(struct bpfman *m, uint32_t link_id, struct bpfman_link **ret);

/* The chain on one XDP hook (interface) or TC hook (interface + direction), as
 * `bpfman dispatcher show` draws it: what runs there now, in order, whoever attached it. */
struct bpfman_chain_slot {
	uint32_t prog_id;
	char name[128];
	uint32_t priority;
	int32_t *proceed_on; /* values of contract 4.1, without dispatcher_return */
	size_t n_proceed_on;
	uint32_t link_id; /* manager link id; 0 for a program another tool attached */
	bool has_counts;
	struct bpfman_slot_counts counts;
};

struct bpfman_chain {
	enum bpfman_prog_type type; /* xdp or tc */
	enum bpfman_direction direction;
	uint32_t dispatcher_id; /* 0: no dispatcher on the hook */
	char mode[8]; /* xdp: "native", "skb"; tc: "" */
	uint32_t foreign_id; /* xdp: a program that is not a dispatcher holds the hook */
	bool counting;
	size_t n;
	struct bpfman_chain_slot slots[10];
};

void bpfman_chain_clear(struct bpfman_chain *c);
/* type BPFMAN_PROG_XDP or BPFMAN_PROG_TC (then direction); netns may be NULL. */
int bpfman_dispatcher_show(struct bpfman *m, enum bpfman_prog_type type, const char *iface,
			   const char *netns, enum bpfman_direction direction,
			   struct bpfman_chain *ret);

/* proceed-on names of contract table 4.1 for xdp or tc ("pass" -> 2, "pipe" -> 3, ...).
 * -EINVAL for a name the type does not have; NULL for an unknown value. */
int bpfman_proceed_on_from_string(enum bpfman_prog_type type, const char *s, int32_t *ret);
const char *bpfman_proceed_on_to_string(enum bpfman_prog_type type, int32_t value);

/* Text of an attachment for listings: "eno4 pos-0", "syscalls/sys_enter_getpid", ... */
char *bpfman_link_attachment(const struct bpfman_link *l);
const char *bpfman_direction_to_string(enum bpfman_direction d);

/* Feature probes, run once per process and cached. Returns 1 supported, 0 not, and a
 * reason in *ret_why (static string or the kernel's errno text). */
enum bpfman_feature {
	BPFMAN_FEAT_TRACEPOINT,
	BPFMAN_FEAT_KPROBE,
	BPFMAN_FEAT_UPROBE,
	BPFMAN_FEAT_FENTRY,
	BPFMAN_FEAT_LSM,
	BPFMAN_FEAT_TCX,
	BPFMAN_FEAT_FREPLACE, /* xdp/tc dispatchers; without it xdp/tc attach directly */
	_BPFMAN_FEAT_MAX,
};
int bpfman_feature_probe(enum bpfman_feature f, const char **ret_why);
int bpfman_feature_from_string(const char *s);
