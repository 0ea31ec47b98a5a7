/* The bpfman.io resources (group bpfman.io, version v1alpha1) and the user kind → state kind
 * table. Finalizer names: bpfman-k8s.md 1.8. */
#include "kinds.h"

#define BPFMAN(plural_, kind_, ns_) \
	{ .group = "bpfman.io", .version = "v1alpha1", .plural = plural_, .kind = kind_, .namespaced = ns_ }

const struct kube_res OP_CLUSTERBPFAPPLICATION = BPFMAN("clusterbpfapplications", "ClusterBpfApplication", false);
const struct kube_res OP_BPFAPPLICATION = BPFMAN("bpfapplications", "BpfApplication", true);
const struct kube_res OP_CLUSTERBPFAPPLICATIONSTATE =
	BPFMAN("clusterbpfapplicationstates", "ClusterBpfApplicationState", false);
const struct kube_res OP_BPFAPPLICATIONSTATE = BPFMAN("bpfapplicationstates", "BpfApplicationState", true);
const struct kube_res OP_CONFIG = BPFMAN("configs", "Config", false);
const struct kube_res OP_BPFPROGRAM = BPFMAN("bpfprograms", "BpfProgram", false);
const struct kube_res OP_XDPPROGRAM = BPFMAN("xdpprograms", "XdpProgram", false);
const struct kube_res OP_TCPROGRAM = BPFMAN("tcprograms", "TcProgram", false);
const struct kube_res OP_TRACEPOINTPROGRAM = BPFMAN("tracepointprograms", "TracepointProgram", false);
const struct kube_res OP_KPROBEPROGRAM = BPFMAN("kprobeprograms", "KprobeProgram", false);
const struct kube_res OP_UPROBEPROGRAM = BPFMAN("uprobeprograms", "UprobeProgram", false);
const struct kube_res OP_FENTRYPROGRAM = BPFMAN("fentryprograms", "FentryProgram", false);
const struct kube_res OP_FEXITPROGRAM = BPFMAN("fexitprograms", "FexitProgram", false);

#define G1(res, type) { &(res), &OP_BPFPROGRAM, "bpfman.io." type "programcontroller/finalizer", OP_GEN1 }

const struct op_app_kind OP_APP_KINDS[] = {
	{ &OP_CLUSTERBPFAPPLICATION, &OP_CLUSTERBPFAPPLICATIONSTATE,
	  "bpfman.io.clbpfapplicationcontroller/finalizer", OP_GEN2 },
	{ &OP_BPFAPPLICATION, &OP_BPFAPPLICATIONSTATE, "bpfman.io.nsbpfapplicationcontroller/finalizer",
	  OP_GEN2 },
	G1(OP_XDPPROGRAM, "xdp"),
	G1(OP_TCPROGRAM, "tc"),
	G1(OP_TRACEPOINTPROGRAM, "tracepoint"),
	G1(OP_KPROBEPROGRAM, "kprobe"),
	G1(OP_UPROBEPROGRAM, "uprobe"),
	G1(OP_FENTRYPROGRAM, "fentry"),
	G1(OP_FEXITPROGRAM, "fexit"),
};
const unsigned OP_N_APP_KINDS = sizeof(OP_APP_KINDS) / sizeof(OP_APP_KINDS[0]);
