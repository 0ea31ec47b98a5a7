/* Declared applications: the Kubernetes ClusterBpfApplication / BpfApplication documents
 * (apiVersion bpfman.io/v1alpha1, fields as the bpfman operator's current API defines them)
 * as the library sees them after parsing. `bpfman apply` on a host and the node agent on a
 * cluster both turn documents into these and hand them to the one reconciler.
 *
 * Parsing (app-yaml.c, libyaml) is strict: an error names the file, the line and the field,
 * and nothing is returned from a file that does not validate. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "bpfman.h"

enum app_kind {
	APP_CLUSTER, /* ClusterBpfApplication */
	APP_NAMESPACED, /* BpfApplication */
};

/* programs[].type, as the CRD spells them */
enum app_prog_type {
	APP_XDP,
	APP_TC,
	APP_TCX,
	APP_FENTRY,
	APP_FEXIT,
	APP_KPROBE,
	APP_KRETPROBE,
	APP_UPROBE,
	APP_URETPROBE,
	APP_TRACEPOINT,
};

/* interfaceSelector: exactly one way of naming interfaces */
struct app_iface_selector {
	char **interfaces; /* NULL-terminated names, or NULL */
	bool primary_node_interface; /* the interface holding the default route's address */
	bool auto_discovery; /* interfacesDiscoveryConfig.interfaceAutoDiscovery */
	char **exclude; /* excludeInterfaces (default {"lo"}) */
	char **allowed; /* allowedInterfaces ("/regex/" or exact), NULL = all */
};

/* One entry of <member>.links[] (before interfaces are resolved). */
struct app_link {
	unsigned line; /* of the entry, for messages */
	/* xdp, tc, tcx */
	struct app_iface_selector ifaces;
	char *netns; /* on a host: path of a network namespace file; NULL = the host's */
	/* networkNamespaces selects Kubernetes pods (no bpfman.io/netns label, see
	 * APP_NETNS_LABEL): only a cluster's agent can resolve it; a host reports it */
	bool netns_pods;
	int32_t priority; /* 1000 when not given, as the agent does */
	int32_t *proceed_on; /* xdp/tc; NULL/0: the defaults */
	size_t n_proceed_on;
	enum bpfman_direction direction; /* tc, tcx */
	/* tracepoint */
	char *tracepoint; /* "category/name" */
	/* kprobe, kretprobe, uprobe, uretprobe */
	char *function;
	uint64_t offset;
	/* uprobe, uretprobe */
	char *target;
	int32_t pid; /* 0 = none */
	bool containers; /* uprobe `containers` (pods of a cluster): a host cannot resolve it */
	/* a container's process whose mount namespace the target is found in (the node agent
	 * resolves `containers` into one link per container); 0 = none */
	int32_t container_pid;
};

/* On a host, a link's networkNamespaces names network namespaces with this reserved label
 * of its pod selector (so the file stays valid for the API server, whose schema has no
 * other place for it): `pods: {matchLabels: {bpfman.io/netns: NAME}}` is /run/netns/NAME,
 * an absolute path (host only) is used as given. On a cluster it selects pods with that
 * label. */
#define APP_NETNS_LABEL "bpfman.io/netns"
#define APP_NETNS_DIR "/run/netns"

struct app_program {
	unsigned line;
	char *name; /* the ELF function */
	enum app_prog_type type;
	char *attach_fn; /* fentry/fexit: program-level `function` (fixed at load) */
	struct app_link *links;
	size_t n_links;
};

struct app_decl {
	char *file; /* where it was read, for messages */
	unsigned line; /* of the document */
	enum app_kind kind;
	char *name; /* metadata.name */
	char *namespace; /* metadata.namespace (BpfApplication), or NULL */
	/* byteCode: exactly one of path and image_url */
	char *path;
	char *image_url;
	int pull_policy; /* 0 Always, 1 IfNotPresent (default), 2 Never */
	char *pull_secret_name; /* byteCode.image.imagePullSecret (a cluster Secret), or NULL */
	char *pull_secret_namespace;
	struct bpfman_global *globals; /* globalData (base64 in YAML, or a list of bytes) */
	size_t n_globals;
	struct app_program *programs;
	size_t n_programs;
};

void app_decl_clear(struct app_decl *d);
void app_decls_free(struct app_decl *v, size_t n);

/* Every document of the file (several per file, `---`), appended to *v / *n. A document of
 * another kind or apiVersion is an error (no silent skipping). On error nothing is appended
 * and *ret_err is a malloc'd "FILE:LINE: FIELD: what is wrong". */
int app_decl_parse_file(const char *path, struct app_decl **v, size_t *n, char **ret_err);
/* The same from memory (name: for messages). */
int app_decl_parse_text(const char *name, const char *text, size_t len, struct app_decl **v,
			size_t *n, char **ret_err);
/* A file, or every *.yaml / *.yml of a directory (not recursive, dot files skipped), in
 * byte order of the names; stops at the first broken file unless keep_going, in which case
 * broken files are reported through *ret_err (all messages, one per line) and the others are
 * returned. Two documents declaring the same application (kind, namespace, name) are an
 * error naming both places. Returns 0; -EINVAL when a file is broken (without keep_going
 * nothing is appended; with it, the good files' applications are appended all the same);
 * -ENOENT etc. when PATH cannot be read (with a message); -ENOMEM (maybe no message).
 * Every call sets *ret_err to NULL or a message the caller frees. Files are bounded to
 * 4 MiB, 64 levels of nesting and 262144 nodes per document after alias expansion. */
int app_decl_parse_path(const char *path, bool keep_going, struct app_decl **v, size_t *n,
			char **ret_err);
