/* Identity (name, version, no capabilities, ready) and the Node service's fixed answers. */
#include <stdbool.h>

#include "csi-internal.h"
#include "csi.pb-c.h"

static void get_plugin_info(void *ctx, const ProtobufCMessage *req, struct unary_reply *out)
{
	struct csi *c = ctx;
	Csi__V1__GetPluginInfoResponse resp = CSI__V1__GET_PLUGIN_INFO_RESPONSE__INIT;

	resp.name = (char *)CSI_DRIVER_NAME;
	resp.vendor_version = c->version;
	unary_reply_ok(out, &resp.base);
}

/* No Controller service and no topology: an empty list. */
static void get_plugin_capabilities(void *ctx, const ProtobufCMessage *req, struct unary_reply *out)
{
	Csi__V1__GetPluginCapabilitiesResponse resp = CSI__V1__GET_PLUGIN_CAPABILITIES_RESPONSE__INIT;

	unary_reply_ok(out, &resp.base);
}

/* Ready whenever it answers: every call reads the manager's state afresh. */
static void probe(void *ctx, const ProtobufCMessage *req, struct unary_reply *out)
{
	Csi__V1__ProbeResponse resp = CSI__V1__PROBE_RESPONSE__INIT;
	Csi__V1__BoolValue ready = CSI__V1__BOOL_VALUE__INIT;

	ready.value = true;
	resp.ready = &ready;
	unary_reply_ok(out, &resp.base);
}

/* VOLUME_MOUNT_GROUP: kubelet passes the pod's fsGroup (volume_mount_group) and leaves the
 * ownership to the driver (it could not chown pins on a read-only mount). */
static void node_get_capabilities(void *ctx, const ProtobufCMessage *req, struct unary_reply *out)
{
	Csi__V1__NodeGetCapabilitiesResponse resp = CSI__V1__NODE_GET_CAPABILITIES_RESPONSE__INIT;
	Csi__V1__NodeServiceCapability cap = CSI__V1__NODE_SERVICE_CAPABILITY__INIT;
	Csi__V1__NodeServiceCapability__RPC rpc = CSI__V1__NODE_SERVICE_CAPABILITY__RPC__INIT;
	Csi__V1__NodeServiceCapability *caps[] = { &cap };

	rpc.type = CSI__V1__NODE_SERVICE_CAPABILITY__RPC__TYPE__VOLUME_MOUNT_GROUP;
	cap.type_case = CSI__V1__NODE_SERVICE_CAPABILITY__TYPE_RPC;
	cap.rpc = &rpc;
	resp.n_capabilities = 1;
	resp.capabilities = caps;
	unary_reply_ok(out, &resp.base);
}

static void node_get_info(void *ctx, const ProtobufCMessage *req, struct unary_reply *out)
{
	struct csi *c = ctx;
	Csi__V1__NodeGetInfoResponse resp = CSI__V1__NODE_GET_INFO_RESPONSE__INIT;

	resp.node_id = c->node_id;
	resp.max_volumes_per_node = 0; /* no limit */
	unary_reply_ok(out, &resp.base);
}

#define M(svc, name, in, fn) { "/csi.v1." svc "/" name, in, fn }
const struct unary_method csi_methods[] = {
	M("Identity", "GetPluginInfo", &csi__v1__get_plugin_info_request__descriptor, get_plugin_info),
	M("Identity", "GetPluginCapabilities", &csi__v1__get_plugin_capabilities_request__descriptor,
	  get_plugin_capabilities),
	M("Identity", "Probe", &csi__v1__probe_request__descriptor, probe),
	M("Node", "NodeGetCapabilities", &csi__v1__node_get_capabilities_request__descriptor,
	  node_get_capabilities),
	M("Node", "NodeGetInfo", &csi__v1__node_get_info_request__descriptor, node_get_info),
	M("Node", "NodePublishVolume", &csi__v1__node_publish_volume_request__descriptor,
	  csi_node_publish),
	M("Node", "NodeUnpublishVolume", &csi__v1__node_unpublish_volume_request__descriptor,
	  csi_node_unpublish),
	/* no staging, stats or expansion: UNIMPLEMENTED by name */
	M("Node", "NodeStageVolume", NULL, NULL),
	M("Node", "NodeUnstageVolume", NULL, NULL),
	M("Node", "NodeGetVolumeStats", NULL, NULL),
	M("Node", "NodeExpandVolume", NULL, NULL),
};
const size_t csi_n_methods = sizeof(csi_methods) / sizeof(csi_methods[0]);
