/* The CSI node plugin csi.bpfman.io, served by bpfman-rpc --csi-support on a socket of its
 * own: Identity and Node (inline ephemeral volumes that expose an application's live maps
 * to a pod), and kubelet's plugin registration on a second socket, so no
 * node-driver-registrar sidecar is needed. */
#pragma once

#define CSI_DRIVER_NAME "csi.bpfman.io"
#define CSI_REG_SOCKET_NAME CSI_DRIVER_NAME "-reg.sock"

struct csi_opts {
	const char *root; /* BPFMAN_ROOT; NULL = real paths */
	const char *socket_path; /* NULL: <root>/run/bpfman/csi/csi.sock */
	const char *registration_dir; /* NULL: no registration socket */
	/* the CSI socket's path as kubelet sees it (the daemon may run in a container that
	 * mounts the kubelet's plugin directory elsewhere); NULL: socket_path */
	const char *registration_endpoint;
	const char *node_id; /* KUBE_NODE_NAME; required */
	const char *version; /* GetPluginInfo's vendor_version */
};

struct csi;

/* Starts both servers (grpc_init() must have been called; signals blocked). 0, or a
 * negative errno after logging why. */
int csi_start(const struct csi_opts *o, struct csi **ret);
void csi_stop(struct csi *c);
