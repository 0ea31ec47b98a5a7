/* The bpfman.io kinds the agent reads and writes (bpfman-k8s.md 1.1, 2). */
#include "agent.h"

#define BPFMAN_GV "bpfman.io", "v1alpha1"

const struct kube_res RES_CAPP = { BPFMAN_GV, "clusterbpfapplications", "ClusterBpfApplication",
				   false };
const struct kube_res RES_NAPP = { BPFMAN_GV, "bpfapplications", "BpfApplication", true };
const struct kube_res RES_CSTATE = { BPFMAN_GV, "clusterbpfapplicationstates",
				     "ClusterBpfApplicationState", false };
const struct kube_res RES_NSTATE = { BPFMAN_GV, "bpfapplicationstates", "BpfApplicationState",
				     true };
const struct kube_res RES_BPFPROGRAM = { BPFMAN_GV, "bpfprograms", "BpfProgram", false };

const struct g1_kind G1_KINDS[N_G1] = {
	{ { BPFMAN_GV, "xdpprograms", "XdpProgram", false }, "xdp" },
	{ { BPFMAN_GV, "tcprograms", "TcProgram", false }, "tc" },
	{ { BPFMAN_GV, "tracepointprograms", "TracepointProgram", false }, "tracepoint" },
	{ { BPFMAN_GV, "kprobeprograms", "KprobeProgram", false }, "kprobe" },
	{ { BPFMAN_GV, "uprobeprograms", "UprobeProgram", false }, "uprobe" },
	{ { BPFMAN_GV, "fentryprograms", "FentryProgram", false }, "fentry" },
	{ { BPFMAN_GV, "fexitprograms", "FexitProgram", false }, "fexit" },
};
