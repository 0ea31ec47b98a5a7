/* The default Config; its TOML is the one upstream ships (bpfman-k8s.md 4.1). */
#include "bootstrap.h"
#include "kinds.h"

#define DEFAULT_TOML                 \
	"[database]\n"               \
	"max_retries = 30\n"         \
	"millisec_delay = 10000\n"   \
	"\n"                         \
	"[signing]\n"                \
	"allow_unsigned = true\n"    \
	"verify_enabled = true\n"

json_t *bootstrap_config(const char *daemon_img, const char *agent_img, const char *ns)
{
	return json_pack("{s:s, s:s, s:{s:s}, s:{s:s, s:{s:s, s:s, s:i}, s:{s:s, s:s}, s:s}}",
			 "apiVersion", "bpfman.io/v1alpha1", "kind", "Config", "metadata", "name",
			 OP_CONFIG_NAME, "spec", "namespace", ns, "agent", "image", agent_img, "logLevel",
			 "info", "healthProbePort", 8175, "daemon", "image", daemon_img, "logLevel", "info",
			 "configuration", DEFAULT_TOML);
}
