/* NodePublishVolume / NodeUnpublishVolume: a pod's volume is a bpffs of its own, holding
 * new pins of an application's live maps (the same kernel maps, no copy), bind-mounted on
 * the pod's target path. Upstream's Go driver is the model (proper codes, idempotency,
 * undo, a lock per volume), plus: path checks on the volume id and map names, readonly
 * honoured, and the pod's namespace checked against a namespaced application. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <dirent.h>

#include "cleanup.h"
#include "csi-check.h"
#include "csi-internal.h"
#include "csi-mount.h"
#include "csi.pb-c.h"
#include "layout.h"
#include "log.h"
#include "parse-util.h"

#define ATTR_PROGRAM "csi.bpfman.io/program"
#define ATTR_MAPS "csi.bpfman.io/maps"
#define ATTR_POD_NS "csi.storage.k8s.io/pod.namespace"
#define MODE_SINGLE_NODE_READER_ONLY \
	CSI__V1__VOLUME_CAPABILITY__ACCESS_MODE__MODE__SINGLE_NODE_READER_ONLY
#define MODE_MULTI_NODE_READER_ONLY \
	CSI__V1__VOLUME_CAPABILITY__ACCESS_MODE__MODE__MULTI_NODE_READER_ONLY

struct publish {
	const char *volume_id;
	const char *target;
	const char *program;
	const char *pod_ns; /* NULL: not given */
	struct csi_maps maps;
	bool readonly;
	long group; /* -1: none */
};

static const char *attr(const Csi__V1__NodePublishVolumeRequest *req, const char *key)
{
	for (size_t i = 0; i < req->n_volume_context; i++)
		if (req->volume_context[i]->key && !strcmp(req->volume_context[i]->key, key))
			return req->volume_context[i]->value;
	return NULL;
}

/* The names in the program's map directory, for a NOT_FOUND that says what there is. */
static void list_maps(const char *dir, char *buf, size_t len)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	size_t used = 0;

	buf[0] = '\0';
	if (!d)
		return;
	while ((de = readdir(d)) && used + 2 < len) {
		int n;

		if (de->d_name[0] == '.')
			continue;
		n = snprintf(buf + used, len - used, "%s%s", used ? ", " : "", de->d_name);
		if (n < 0)
			break;
		used += (size_t)n < len - used ? (size_t)n : len - used - 1;
	}
	closedir(d);
}

/* Opens every requested map of the program before anything is created, so a wrong name
 * leaves nothing behind. */
static int open_maps(const struct publish *p, const char *map_dir, int *fds,
		     struct unary_reply *out)
{
	for (size_t i = 0; i < p->maps.n; i++) {
		_cleanup_free_ char *path = NULL;
		struct bpf_map_info info = { 0 };
		__u32 len = sizeof(info);

		if (asprintf(&path, "%s/%s", map_dir, p->maps.names[i]) < 0) {
			unary_reply_error(out, GRPC_STATUS_RESOURCE_EXHAUSTED, "out of memory");
			return -ENOMEM;
		}
		fds[i] = bpf_obj_get(path);
		if (fds[i] < 0 || bpf_obj_get_info_by_fd(fds[i], &info, &len) < 0) {
			char have[512];

			list_maps(map_dir, have, sizeof(have));
			unary_reply_error(out, GRPC_STATUS_NOT_FOUND,
					  "program '%s' has no map '%s' (its maps: %s)", p->program,
					  p->maps.names[i], have[0] ? have : "none");
			return -ENOENT;
		}
	}
	return 0;
}

static bool record_matches(const struct csi_record *r, const struct publish *p, const char *maps)
{
	return !strcmp(r->program, p->program) && !strcmp(r->maps, maps) &&
	       r->readonly == p->readonly && r->group == p->group;
}

/* Removes what a publish made, in reverse; each step tolerates "not there". */
static void undo(const char *vol_fs, const char *target, const char *target_top)
{
	if (target)
		(void)csi_umount(target);
	if (vol_fs) {
		(void)csi_umount(vol_fs);
		(void)rmdir(vol_fs);
	}
	if (target && target_top)
		csi_rmdir_upto(target, target_top);
}

/* INTERNAL "<what> <path>: <errno text>", with errno as the call left it; -errno. */
static int fail_errno(struct unary_reply *out, const char *what, const char *path)
{
	int e = errno ? errno : EIO;

	unary_reply_error(out, GRPC_STATUS_INTERNAL, "%s %s: %s", what, path, strerror(e));
	return -e;
}

/* The new bpffs with the pins, owned by the pod's fsGroup when it has one. */
static int fill_volume(const char *vol_fs, const struct publish *p, const int *fds,
		       struct unary_reply *out)
{
	mode_t pin_mode = p->group >= 0 ? (p->readonly ? 0440 : 0660) : (p->readonly ? 0400 : 0600);
	mode_t dir_mode = p->group >= 0 ? 0750 : 0755;

	if (mount("bpffs", vol_fs, "bpf", MS_NOSUID | MS_NODEV | MS_NOEXEC, "mode=0700") < 0)
		return fail_errno(out, "cannot mount a bpffs at", vol_fs);
	if ((p->group >= 0 && chown(vol_fs, 0, (gid_t)p->group) < 0) || chmod(vol_fs, dir_mode) < 0)
		return fail_errno(out, "cannot set the owner of", vol_fs);
	for (size_t i = 0; i < p->maps.n; i++) {
		_cleanup_free_ char *pin = NULL;
		int r;

		if (asprintf(&pin, "%s/%s", vol_fs, p->maps.names[i]) < 0) {
			unary_reply_error(out, GRPC_STATUS_RESOURCE_EXHAUSTED, "out of memory");
			return -ENOMEM;
		}
		r = bpf_obj_pin(fds[i], pin);
		if (r < 0) {
			errno = -r;
			return fail_errno(out, "cannot pin a map at", pin);
		}
		if ((p->group >= 0 && chown(pin, 0, (gid_t)p->group) < 0) || chmod(pin, pin_mode) < 0)
			return fail_errno(out, "cannot set the owner of", pin);
	}
	return 0;
}

static int bind_target(const char *vol_fs, const struct publish *p, struct unary_reply *out)
{
	unsigned long flags = MS_BIND | MS_REMOUNT | MS_NOSUID | MS_NODEV | MS_NOEXEC;

	if (mount(vol_fs, p->target, "none", MS_BIND, NULL) < 0)
		return fail_errno(out, "cannot bind-mount the volume on", p->target);
	/* a bind mount takes its flags only from a remount (readonly: bpfman #1670) */
	if (mount("none", p->target, "none", flags | (p->readonly ? MS_RDONLY : 0), NULL) < 0)
		return fail_errno(out, "cannot remount", p->target);
	return 0;
}

static void publish_locked(struct csi *c, const struct publish *p, struct unary_reply *out)
{
	_cleanup_free_ char *maps = csi_maps_join(&p->maps), *vol_fs = NULL, *target_top = NULL,
			    *other = NULL;
	struct csi_record rec = { .group = -1 };
	struct csi_program prog = { 0 };
	int fds[CSI_MAX_MAPS];
	bool made_fs = false;
	char msg[900];
	int r, st;

	for (size_t i = 0; i < CSI_MAX_MAPS; i++)
		fds[i] = -1;
	if (!maps || asprintf(&vol_fs, "%s/%s", c->fs_dir, p->volume_id) < 0) {
		unary_reply_error(out, GRPC_STATUS_RESOURCE_EXHAUSTED, "out of memory");
		goto out;
	}
	/* idempotency: the same publish again is OK, a different one is refused */
	r = csi_record_read(c, p->volume_id, &rec);
	if (r == 0) {
		if (strcmp(rec.target, p->target)) {
			unary_reply_error(out, GRPC_STATUS_FAILED_PRECONDITION,
					  "volume %s is published at %s already", p->volume_id, rec.target);
			goto out;
		}
		if (!record_matches(&rec, p, maps)) {
			unary_reply_error(out, GRPC_STATUS_ALREADY_EXISTS,
					  "volume %s is published at %s with other attributes (program %s, maps %s, readonly %d, fsGroup %ld)",
					  p->volume_id, rec.target, rec.program, rec.maps, rec.readonly,
					  rec.group);
			goto out;
		}
		if (csi_is_mount_root(p->target) == 1 && csi_same_fs(p->target, vol_fs) == 1) {
			out->status = GRPC_STATUS_OK;
			goto ok;
		}
		/* the mount went away (reboot, someone unmounted it): publish it anew (what is
		 * mounted at the target now, if anything, is not ours: left alone, refused below) */
		log_info("CSI: volume %s: its mount is gone; publishing it again", p->volume_id);
		undo(vol_fs, NULL, NULL);
		(void)csi_record_remove(c, p->volume_id);
	} else if (r != -ENOENT) {
		log_warn("CSI: volume %s: unreadable record (%s): publishing anew", p->volume_id,
			 strerror(-r));
		(void)csi_record_remove(c, p->volume_id);
	}
	csi_record_clear(&rec); /* filled again, for the new record */
	if (csi_record_find_target(c, p->target, &other) == 0) {
		unary_reply_error(out, GRPC_STATUS_ALREADY_EXISTS, "target_path %s holds volume %s already",
				  p->target, other);
		goto out;
	}
	if (csi_is_mount_root(p->target) == 1) {
		unary_reply_error(out, GRPC_STATUS_ALREADY_EXISTS, "something is mounted at %s already",
				  p->target);
		goto out;
	}

	st = csi_find_program(c, p->program, p->pod_ns, &prog, msg, sizeof(msg));
	if (st != GRPC_STATUS_OK) {
		unary_reply_error(out, st, "%s", msg);
		goto out;
	}
	if (open_maps(p, prog.map_pin_path, fds, out) < 0)
		goto out;

	/* from here every step is undone on failure, in reverse */
	r = csi_mkdir_tracked(p->target, 0750, &target_top);
	if (r < 0) {
		unary_reply_error(out, r == -ENOTDIR ? GRPC_STATUS_INVALID_ARGUMENT : GRPC_STATUS_INTERNAL,
				  "cannot create target_path %s: %s", p->target, strerror(-r));
		goto out;
	}
	r = mkdir_p(c->fs_dir, 0700);
	if (r >= 0 && mkdir(vol_fs, 0700) < 0)
		r = errno == EEXIST ? csi_umount(vol_fs) : -errno; /* left over by a crash */
	if (r < 0) {
		unary_reply_error(out, GRPC_STATUS_INTERNAL, "cannot create %s: %s", vol_fs, strerror(-r));
		if (target_top)
			csi_rmdir_upto(p->target, target_top);
		goto out;
	}
	made_fs = true;
	if (fill_volume(vol_fs, p, fds, out) < 0 || bind_target(vol_fs, p, out) < 0)
		goto fail;
	/* committed last */
	rec.target = strdup(p->target);
	rec.program = strdup(p->program);
	rec.maps = strdup(maps);
	rec.app_id = strdup(prog.app_id ? prog.app_id : "");
	rec.readonly = p->readonly;
	rec.group = p->group;
	if (!rec.target || !rec.program || !rec.maps || !rec.app_id) {
		unary_reply_error(out, GRPC_STATUS_RESOURCE_EXHAUSTED, "out of memory");
		goto fail;
	}
	r = csi_record_write(c, p->volume_id, &rec);
	if (r < 0) {
		unary_reply_error(out, GRPC_STATUS_INTERNAL, "cannot write the volume's record in %s: %s",
				  c->vol_dir, strerror(-r));
		goto fail;
	}
	log_info("CSI: published volume %s at %s: maps %s of program %u (%s)%s", p->volume_id,
		 p->target, maps, prog.prog_id, prog.app_id ? prog.app_id : p->program,
		 p->readonly ? ", read-only" : "");
ok:
	{
		Csi__V1__NodePublishVolumeResponse resp = CSI__V1__NODE_PUBLISH_VOLUME_RESPONSE__INIT;

		unary_reply_ok(out, &resp.base);
	}
	goto out;
fail:
	undo(made_fs ? vol_fs : NULL, p->target, target_top);
out:
	for (size_t i = 0; i < CSI_MAX_MAPS; i++)
		if (fds[i] >= 0)
			close(fds[i]);
	csi_program_clear(&prog);
	csi_record_clear(&rec);
}

void csi_node_publish(void *ctx, const ProtobufCMessage *msg, struct unary_reply *out)
{
	const Csi__V1__NodePublishVolumeRequest *req = (const void *)msg;
	const Csi__V1__VolumeCapability *cap = req->volume_capability;
	struct csi *c = ctx;
	struct publish p = { .volume_id = req->volume_id, .target = req->target_path, .group = -1 };
	const char *why, *maps;
	char *bad = NULL;
	int r;

	if (!csi_volume_id_ok(req->volume_id, &why) || !csi_target_path_ok(req->target_path, &why))
		return unary_reply_error(out, GRPC_STATUS_INVALID_ARGUMENT, "%s", why);
	if (!cap)
		return unary_reply_error(out, GRPC_STATUS_INVALID_ARGUMENT, "volume_capability is missing");
	if (cap->access_type_case != CSI__V1__VOLUME_CAPABILITY__ACCESS_TYPE_MOUNT)
		return unary_reply_error(out, GRPC_STATUS_INVALID_ARGUMENT,
					 "only mount volumes are supported (access_type must be mount)");
	if (!cap->access_mode)
		return unary_reply_error(out, GRPC_STATUS_INVALID_ARGUMENT,
					 "volume_capability.access_mode is missing");
	p.program = attr(req, ATTR_PROGRAM);
	maps = attr(req, ATTR_MAPS);
	if (!p.program || !*p.program)
		return unary_reply_error(out, GRPC_STATUS_INVALID_ARGUMENT,
					 "volume attribute %s is missing (the application's name)",
					 ATTR_PROGRAM);
	if (!maps)
		return unary_reply_error(out, GRPC_STATUS_INVALID_ARGUMENT,
					 "volume attribute %s is missing (comma-separated map names)",
					 ATTR_MAPS);
	p.pod_ns = attr(req, ATTR_POD_NS);
	if (p.pod_ns && !*p.pod_ns)
		p.pod_ns = NULL;
	p.readonly = req->readonly || cap->access_mode->mode == MODE_SINGLE_NODE_READER_ONLY ||
		     cap->access_mode->mode == MODE_MULTI_NODE_READER_ONLY;
	if (cap->mount->volume_mount_group && *cap->mount->volume_mount_group) {
		uint32_t gid;

		if (safe_atou32(cap->mount->volume_mount_group, 10, &gid) < 0 || gid == UINT32_MAX)
			return unary_reply_error(out, GRPC_STATUS_INVALID_ARGUMENT,
						 "volume_mount_group '%s' is not a numeric group id",
						 cap->mount->volume_mount_group);
		p.group = gid;
	}
	r = csi_maps_parse(maps, &p.maps, &bad);
	if (r == -EINVAL) {
		unary_reply_error(out, GRPC_STATUS_INVALID_ARGUMENT,
				  "%s: '%s' is not a map name (letters, digits, '_', '.', '-'; one path element)",
				  ATTR_MAPS, bad);
		free(bad);
		return;
	}
	if (r == -E2BIG || r == -ENODATA)
		return unary_reply_error(out, GRPC_STATUS_INVALID_ARGUMENT, "%s names %s", ATTR_MAPS,
					 r == -E2BIG ? "more than 64 maps" : "no map");
	if (r < 0)
		return unary_reply_error(out, GRPC_STATUS_RESOURCE_EXHAUSTED, "out of memory");
	if (!csi_volume_trylock(c, p.volume_id)) {
		unary_reply_error(out, GRPC_STATUS_ABORTED, "an operation on volume %s is in progress",
				  p.volume_id);
	} else {
		publish_locked(c, &p, out);
		csi_volume_unlock(c, p.volume_id);
	}
	csi_maps_clear(&p.maps);
}

static void unpublish_locked(struct csi *c, const char *volume_id, const char *target,
			     struct unary_reply *out)
{
	_cleanup_free_ char *vol_fs = NULL;
	struct csi_record rec;
	bool ours_here, known;
	int r;

	if (asprintf(&vol_fs, "%s/%s", c->fs_dir, volume_id) < 0)
		return unary_reply_error(out, GRPC_STATUS_RESOURCE_EXHAUSTED, "out of memory");
	r = csi_record_read(c, volume_id, &rec);
	/* the volume lives on unless this is its target (or it has no record) */
	ours_here = r < 0 || !strcmp(rec.target, target);
	known = r == 0;
	if (r == 0)
		csi_record_clear(&rec);
	if (csi_is_mount_root(target) == 1) {
		if (csi_same_fs(target, vol_fs) != 1)
			return unary_reply_error(out, GRPC_STATUS_FAILED_PRECONDITION,
						 "what is mounted at %s is not volume %s", target, volume_id);
		r = csi_umount(target);
		if (r < 0)
			return unary_reply_error(out, GRPC_STATUS_INTERNAL, "cannot unmount %s: %s", target,
						 strerror(-r));
	}
	/* the spec: the plugin deletes the directory at target_path */
	if (rmdir(target) < 0 && errno != ENOENT)
		log_debug("CSI: cannot remove %s: %m", target);
	if (ours_here) {
		r = csi_umount(vol_fs);
		if (r < 0)
			return unary_reply_error(out, GRPC_STATUS_INTERNAL, "cannot unmount %s: %s", vol_fs,
						 strerror(-r));
		if (rmdir(vol_fs) < 0 && errno != ENOENT)
			return unary_reply_error(out, GRPC_STATUS_INTERNAL, "cannot remove %s: %m", vol_fs);
		r = csi_record_remove(c, volume_id);
		if (r < 0)
			return unary_reply_error(out, GRPC_STATUS_INTERNAL, "cannot remove the record of %s: %s",
						 volume_id, strerror(-r));
		if (known)
			log_info("CSI: unpublished volume %s from %s", volume_id, target);
	}
	{
		Csi__V1__NodeUnpublishVolumeResponse resp = CSI__V1__NODE_UNPUBLISH_VOLUME_RESPONSE__INIT;

		unary_reply_ok(out, &resp.base);
	}
}

void csi_node_unpublish(void *ctx, const ProtobufCMessage *msg, struct unary_reply *out)
{
	const Csi__V1__NodeUnpublishVolumeRequest *req = (const void *)msg;
	struct csi *c = ctx;
	const char *why;

	if (!csi_volume_id_ok(req->volume_id, &why) || !csi_target_path_ok(req->target_path, &why))
		return unary_reply_error(out, GRPC_STATUS_INVALID_ARGUMENT, "%s", why);
	if (!csi_volume_trylock(c, req->volume_id))
		return unary_reply_error(out, GRPC_STATUS_ABORTED, "an operation on volume %s is in progress",
					 req->volume_id);
	unpublish_locked(c, req->volume_id, req->target_path, out);
	csi_volume_unlock(c, req->volume_id);
}
