/* Which nodes run the bpfman agent, i.e. from which nodes the operator expects a State (or
 * BpfProgram) object for every application (operator #542: upstream expected one from every
 * Node, so a node the DaemonSet does not cover kept every application Pending forever).
 *
 * A Node counts when it still exists and either
 *   - a pod of the DaemonSet bpfman-daemon (label app.kubernetes.io/name=bpfman-daemon, in
 *     the Config's namespace) is bound to it (spec.nodeName) or aimed at it (the DaemonSet
 *     controller's required node affinity on metadata.name, before the scheduler binds it):
 *     an agent is there or about to start, or
 *   - it holds any State or BpfProgram object of any application (label
 *     kubernetes.io/hostname): an agent ran there, and an agent writes a state for every
 *     application, selected or not.
 * The first covers a new node before its agent wrote anything; the second keeps working
 * without pod information (a DaemonSet that is not ours, a test without kubelet). */
#pragma once

#include <jansson.h>

/* nodes: array of Node objects; pods: array of Pod objects (any namespace; NULL: none);
 * daemon_ns: the Config's spec.namespace (NULL: any); states: NULL-terminated list of
 * arrays of State/BpfProgram objects. Returns a new sorted array of node names, NULL on
 * -ENOMEM. */
json_t *agent_nodes(json_t *nodes, json_t *pods, const char *daemon_ns, json_t *const *states);

/* The node a DaemonSet pod runs on or is aimed at; NULL if neither is known. */
const char *agent_pod_node(json_t *pod);

#define AGENT_POD_LABEL_KEY "app.kubernetes.io/name"
#define AGENT_POD_LABEL_VALUE "bpfman-daemon"
