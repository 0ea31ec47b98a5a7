/* kubelet's plugin registration (pluginregistration v1) on
 * <registration dir>/csi.bpfman.io-reg.sock: GetInfo names the CSI socket; kubelet then
 * calls NodeGetInfo there and tells us the outcome. */
#include "csi-internal.h"
#include "log.h"
#include "pluginregistration.pb-c.h"

static void get_info(void *ctx, const ProtobufCMessage *req, struct unary_reply *out)
{
	struct csi *c = ctx;
	Pluginregistration__PluginInfo resp = PLUGINREGISTRATION__PLUGIN_INFO__INIT;
	char *versions[] = { (char *)"1.0.0" };

	resp.type = (char *)"CSIPlugin";
	resp.name = (char *)CSI_DRIVER_NAME;
	resp.endpoint = c->reg_endpoint;
	resp.n_supported_versions = 1;
	resp.supported_versions = versions;
	unary_reply_ok(out, &resp.base);
}

static void notify_status(void *ctx, const ProtobufCMessage *msg, struct unary_reply *out)
{
	const Pluginregistration__RegistrationStatus *st = (const void *)msg;
	Pluginregistration__RegistrationStatusResponse resp =
		PLUGINREGISTRATION__REGISTRATION_STATUS_RESPONSE__INIT;

	if (st->plugin_registered)
		log_info("CSI: kubelet registered %s", CSI_DRIVER_NAME);
	else
		log_error("CSI: kubelet refused to register %s: %s", CSI_DRIVER_NAME,
			  st->error && *st->error ? st->error : "(no reason given)");
	unary_reply_ok(out, &resp.base);
}

const struct unary_method csi_registration_methods[] = {
	{ "/pluginregistration.Registration/GetInfo", &pluginregistration__info_request__descriptor,
	  get_info },
	{ "/pluginregistration.Registration/NotifyRegistrationStatus",
	  &pluginregistration__registration_status__descriptor, notify_status },
};
const size_t csi_n_registration_methods =
	sizeof(csi_registration_methods) / sizeof(csi_registration_methods[0]);
