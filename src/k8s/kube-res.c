/* The kinds of resource the agent and the operator touch (group, version, plural, kind,
 * scope), so that a typo in a plural shows at compile time and not as a 404. */
#include "kube.h"

const struct kube_res KUBE_NODE = { "", "v1", "nodes", "Node", false };
const struct kube_res KUBE_POD = { "", "v1", "pods", "Pod", true };
const struct kube_res KUBE_SECRET = { "", "v1", "secrets", "Secret", true };
const struct kube_res KUBE_NAMESPACE = { "", "v1", "namespaces", "Namespace", false };
const struct kube_res KUBE_CONFIGMAP = { "", "v1", "configmaps", "ConfigMap", true };
const struct kube_res KUBE_SERVICEACCOUNT = { "", "v1", "serviceaccounts", "ServiceAccount",
					      true };
const struct kube_res KUBE_DAEMONSET = { "apps", "v1", "daemonsets", "DaemonSet", true };
const struct kube_res KUBE_CSIDRIVER = { "storage.k8s.io", "v1", "csidrivers", "CSIDriver",
					 false };
const struct kube_res KUBE_CLUSTERROLE = { "rbac.authorization.k8s.io", "v1", "clusterroles",
					   "ClusterRole", false };
const struct kube_res KUBE_CLUSTERROLEBINDING = { "rbac.authorization.k8s.io", "v1",
						  "clusterrolebindings", "ClusterRoleBinding",
						  false };
const struct kube_res KUBE_CRD = { "apiextensions.k8s.io", "v1", "customresourcedefinitions",
				   "CustomResourceDefinition", false };
