/* The bpfman.io kinds the operator reads and writes, and the pairing of each user kind with
 * the per-node kind its agent writes (the states the operator rolls up). */
#pragma once

#include <stdbool.h>

#include "kube.h"

extern const struct kube_res OP_CLUSTERBPFAPPLICATION, OP_BPFAPPLICATION,
	OP_CLUSTERBPFAPPLICATIONSTATE, OP_BPFAPPLICATIONSTATE, OP_CONFIG, OP_BPFPROGRAM,
	OP_XDPPROGRAM, OP_TCPROGRAM, OP_TRACEPOINTPROGRAM, OP_KPROBEPROGRAM, OP_UPROBEPROGRAM,
	OP_FENTRYPROGRAM, OP_FEXITPROGRAM;

#define OP_APP_FINALIZER "bpfman.io.operator/finalizer"
#define OP_CONFIG_FINALIZER "bpfman.io/config-finalizer"
#define OP_CONFIG_NAME "bpfman-config"
#define OP_LABEL_OWNED_BY "bpfman.io/ownedByProgram"
#define OP_LABEL_HOSTNAME "kubernetes.io/hostname"
#define OP_FIELD_MANAGER "bpfman-operator"

/* G2: conditions of 1.5 over State objects; G1: conditions of 2 over BpfProgram objects */
enum op_gen { OP_GEN2, OP_GEN1 };

struct op_app_kind {
	const struct kube_res *app;
	const struct kube_res *state; /* the agent-written per-node kind */
	const char *agent_finalizer;  /* what the agent keeps on a state until it unloaded */
	enum op_gen gen;
};

/* every user kind, G2 first */
extern const struct op_app_kind OP_APP_KINDS[];
extern const unsigned OP_N_APP_KINDS;
