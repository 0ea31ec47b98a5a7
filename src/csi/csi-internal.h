/* Shared by the CSI driver's files. */
#pragma once

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "csi.h"
#include "grpc-unary.h"

struct csi {
	char *root; /* "" for "/" */
	char *node_id;
	char *version;
	char *socket_path;
	char *reg_socket_path; /* NULL without registration */
	char *reg_endpoint; /* what GetInfo names: the CSI socket as kubelet sees it */
	char *fs_dir; /* <root>/run/bpfman/csi/fs: one bpffs per volume */
	char *vol_dir; /* <root>/run/bpfman/csi/vol: one record per published volume */
	pthread_mutex_t busy_lock;
	char **busy; /* volume ids with a call in progress */
	size_t n_busy;
	struct unary_server *csi_srv, *reg_srv;
};

/* The per-volume lock: false when a call for that volume is in progress (ABORTED, as the
 * spec asks, so the client retries later). */
bool csi_volume_trylock(struct csi *c, const char *volume_id);
void csi_volume_unlock(struct csi *c, const char *volume_id);

/* ---- program lookup (csi-lookup.c) ---- */

struct csi_program {
	uint32_t prog_id;
	char *map_pin_path;
	char *app_id; /* bpfman.io/application-id, or NULL (loaded without an application) */
};

/* The program whose bpfman.io/ProgramName is name, as the pod in pod_ns (NULL: unknown)
 * may see it: a namespaced application of the pod's namespace first, then a cluster
 * application or a program loaded without one; a namespaced application of another
 * namespace never. GRPC status; msg says why. */
int csi_find_program(struct csi *c, const char *name, const char *pod_ns, struct csi_program *ret,
		     char *msg, size_t len);
void csi_program_clear(struct csi_program *p);

/* ---- the record of a published volume (csi-record.c) ---- */

struct csi_record {
	char *target;
	char *program;
	char *maps; /* csi_maps_join() */
	char *app_id; /* "" when none */
	bool readonly;
	long group; /* -1: none */
};

/* 0, -ENOENT when the volume has no record, -EINVAL for a damaged one, -errno. */
int csi_record_read(struct csi *c, const char *volume_id, struct csi_record *ret);
/* Written to a temporary file and renamed: a record is whole or absent. */
int csi_record_write(struct csi *c, const char *volume_id, const struct csi_record *r);
int csi_record_remove(struct csi *c, const char *volume_id);
void csi_record_clear(struct csi_record *r);
/* The volume id whose record names target (malloc'd in *ret), or -ENOENT. */
int csi_record_find_target(struct csi *c, const char *target, char **ret);

/* ---- handlers ---- */
extern const struct unary_method csi_methods[];
extern const size_t csi_n_methods;
extern const struct unary_method csi_registration_methods[];
extern const size_t csi_n_registration_methods;

void csi_node_publish(void *ctx, const ProtobufCMessage *req, struct unary_reply *out);
void csi_node_unpublish(void *ctx, const ProtobufCMessage *req, struct unary_reply *out);
