/* Start and stop of the CSI driver, and the per-volume lock. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "csi-internal.h"
#include "layout.h"
#include "log.h"

#define CSI_THREADS 2

bool csi_volume_trylock(struct csi *c, const char *volume_id)
{
	bool ok = true;
	char **grown, *copy;

	pthread_mutex_lock(&c->busy_lock);
	for (size_t i = 0; i < c->n_busy && ok; i++)
		ok = strcmp(c->busy[i], volume_id) != 0;
	if (ok) {
		grown = realloc(c->busy, (c->n_busy + 1) * sizeof(*c->busy));
		copy = strdup(volume_id);
		if (grown)
			c->busy = grown;
		if (!grown || !copy) {
			free(copy);
			ok = false; /* answered ABORTED: the client retries */
		} else {
			c->busy[c->n_busy++] = copy;
		}
	}
	pthread_mutex_unlock(&c->busy_lock);
	return ok;
}

void csi_volume_unlock(struct csi *c, const char *volume_id)
{
	pthread_mutex_lock(&c->busy_lock);
	for (size_t i = 0; i < c->n_busy; i++)
		if (!strcmp(c->busy[i], volume_id)) {
			free(c->busy[i]);
			c->busy[i] = c->busy[--c->n_busy];
			break;
		}
	pthread_mutex_unlock(&c->busy_lock);
}

static void csi_free(struct csi *c)
{
	free(c->root);
	free(c->node_id);
	free(c->version);
	free(c->socket_path);
	free(c->reg_socket_path);
	free(c->reg_endpoint);
	free(c->fs_dir);
	free(c->vol_dir);
	free(c->busy);
	pthread_mutex_destroy(&c->busy_lock);
	free(c);
}

static int parent_dir(const char *path)
{
	char *dir = strdup(path), *slash;
	int r = 0;

	if (!dir)
		return -ENOMEM;
	slash = strrchr(dir, '/');
	if (slash && slash != dir) {
		*slash = '\0';
		r = mkdir_p(dir, 0755);
	}
	free(dir);
	return r;
}

int csi_start(const struct csi_opts *o, struct csi **ret)
{
	struct layout l;
	struct csi *c;
	char err[512];
	int r;

	*ret = NULL;
	if (!o->node_id || !*o->node_id) {
		log_error("--csi-support needs the node's name in KUBE_NODE_NAME (NodeGetInfo's node_id)");
		return -EINVAL;
	}
	if (layout_init(&l, o->root) < 0)
		return log_error_errno(-EINVAL, "invalid root '%s'", o->root);
	c = calloc(1, sizeof(*c));
	if (!c) {
		layout_free(&l);
		return -ENOMEM;
	}
	pthread_mutex_init(&c->busy_lock, NULL);
	c->root = strdup(o->root ? o->root : "");
	c->node_id = strdup(o->node_id);
	c->version = strdup(o->version ? o->version : "");
	r = asprintf(&c->fs_dir, "%s/csi/fs", l.run_dir) < 0 ? -ENOMEM : 0;
	if (r == 0 && asprintf(&c->vol_dir, "%s/csi/vol", l.run_dir) < 0)
		r = -ENOMEM;
	if (r == 0 && o->socket_path)
		c->socket_path = strdup(o->socket_path);
	else if (r == 0 && asprintf(&c->socket_path, "%s/csi/csi.sock", l.run_dir) < 0)
		c->socket_path = NULL;
	if (r == 0 && o->registration_dir &&
	    asprintf(&c->reg_socket_path, "%s/%s", o->registration_dir, CSI_REG_SOCKET_NAME) < 0)
		c->reg_socket_path = NULL;
	layout_free(&l);
	if (r == 0 && c->socket_path)
		c->reg_endpoint = strdup(o->registration_endpoint ? o->registration_endpoint
								  : c->socket_path);
	if (r < 0 || !c->root || !c->node_id || !c->version || !c->socket_path ||
	    !c->reg_endpoint || (o->registration_dir && !c->reg_socket_path)) {
		csi_free(c);
		return -ENOMEM;
	}
	/* the records and per-volume file systems survive a restart: publish stays idempotent */
	r = mkdir_p(c->vol_dir, 0700);
	if (r == 0)
		r = mkdir_p(c->fs_dir, 0700);
	if (r == 0)
		r = parent_dir(c->socket_path);
	if (r < 0) {
		log_error_errno(r, "cannot create the CSI driver's directories under %s", c->vol_dir);
		csi_free(c);
		return r;
	}
	r = unary_server_start(c->socket_path, csi_methods, csi_n_methods, CSI_THREADS, c, &c->csi_srv,
			       err, sizeof(err));
	if (r < 0) {
		log_error("CSI: %s", err);
		csi_free(c);
		return r;
	}
	if (c->reg_socket_path) {
		r = parent_dir(c->reg_socket_path);
		if (r == 0)
			r = unary_server_start(c->reg_socket_path, csi_registration_methods,
					       csi_n_registration_methods, 1, c, &c->reg_srv, err,
					       sizeof(err));
		else
			snprintf(err, sizeof(err), "cannot create the directory of %s", c->reg_socket_path);
		if (r < 0) {
			log_error("CSI registration: %s", err);
			unary_server_stop(c->csi_srv);
			csi_free(c);
			return r;
		}
		log_info("CSI: registration socket %s (endpoint %s)", c->reg_socket_path,
			 c->reg_endpoint);
	}
	log_info("CSI: driver %s for node %s on %s", CSI_DRIVER_NAME, c->node_id, c->socket_path);
	*ret = c;
	return 0;
}

void csi_stop(struct csi *c)
{
	if (!c)
		return;
	/* the registration first: kubelet sees the plugin go before its endpoint does */
	unary_server_stop(c->reg_srv);
	unary_server_stop(c->csi_srv);
	csi_free(c);
}
