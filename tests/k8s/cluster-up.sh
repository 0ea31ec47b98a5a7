#!/bin/bash
# cluster-up.sh DIR: a Kubernetes control plane for tests, on 127.0.0.1 only, all of it in DIR.
#   etcd + kube-apiserver + kube-controller-manager (garbage collector, namespaces, service
#   accounts, DaemonSets, Deployments), ports from K8S_PORT_BASE (see testbed/common.sh):
#   several such clusters run side by side when their bases are 10 apart.
#   WITH_NODE=1 adds kube-scheduler, containerd and a kubelet (node name = hostname) with a
#   locally built pause and busybox image, and waits for the node to be Ready. ONLY ONE node
#   cluster can run on a machine at a time (the kubelet owns host-wide things); a second one
#   is refused.
# Writes DIR/admin.kubeconfig and DIR/env (`. DIR/env` exports KUBECONFIG, K8S_API, ...).
# Stop it with cluster-down.sh DIR. Binaries from K8S_BIN (default /opt/k8s/bin, made by
# build-binaries.sh). Prints how long each part took to start.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
if [ $# -ne 1 ] || [ -z "$1" ]; then
	echo "usage: [K8S_PORT_BASE=N] [WITH_NODE=1] $0 DIR" >&2
	exit 2
fi
DIR=$(realpath -m "$1")
WITH_NODE=${WITH_NODE:-0}
. "$HERE/testbed/common.sh"
[ "$(id -u)" = 0 ] || { echo "cluster-up.sh needs root" >&2; exit 2; }

need=(etcd kube-apiserver kube-controller-manager kubectl)
[ "$WITH_NODE" = 1 ] && need+=(kube-scheduler kubelet)
for b in "${need[@]}"; do
	[ -x "$K8S_BIN/$b" ] || { echo "$K8S_BIN/$b is missing: run tests/k8s/build-binaries.sh" >&2; exit 2; }
done
for p in etcd kube-apiserver kcm scheduler containerd kubelet; do
	if pid_alive "$p"; then
		echo "a cluster already runs in $DIR ($p): stop it first with cluster-down.sh $DIR" >&2
		exit 2
	fi
done
ports=("$PORT_ETCD" "$PORT_ETCD_PEER" "$PORT_ETCD_METRICS" "$PORT_API" "$PORT_KCM")
[ "$WITH_NODE" = 1 ] && ports+=("$PORT_SCHED" "$PORT_KUBELET" "$PORT_KUBELET_HEALTHZ")
for p in "${ports[@]}"; do
	if port_in_use "$p"; then
		echo "port $p (from K8S_PORT_BASE=$K8S_PORT_BASE) is in use: choose another base (clusters need 10 ports each)" >&2
		exit 2
	fi
done
if [ "$WITH_NODE" = 1 ]; then
	. "$HERE/testbed/node.sh"
	node_check_host || exit 2
	node_lock || exit 2
fi

# from here on, a failure stops whatever was started
up_ok=0
trap '[ $up_ok = 1 ] || { echo "cluster-up failed; stopping what was started" >&2; "$HERE/cluster-down.sh" "$DIR" >&2; }' EXIT
mkdir -p "$DIR/logs" "$DIR/pids"
t0=$(now_us)
NODE_NAME=$(hostname)
if [ "$WITH_NODE" = 1 ]; then
	"$HERE/testbed/gen-certs.sh" "$DIR/pki" "$NODE_NAME"
else
	"$HERE/testbed/gen-certs.sh" "$DIR/pki"
fi
P=$DIR/pki

t=$(now_us)
rm -rf "${DIR:?}/etcd"
start_proc etcd "$K8S_BIN/etcd" --name=test --data-dir="$DIR/etcd" \
	--listen-client-urls="http://127.0.0.1:$PORT_ETCD" --advertise-client-urls="http://127.0.0.1:$PORT_ETCD" \
	--listen-peer-urls="http://127.0.0.1:$PORT_ETCD_PEER" --initial-advertise-peer-urls="http://127.0.0.1:$PORT_ETCD_PEER" \
	--initial-cluster="test=http://127.0.0.1:$PORT_ETCD_PEER" \
	--listen-metrics-urls="http://127.0.0.1:$PORT_ETCD_METRICS" \
	--unsafe-no-fsync=true --quota-backend-bytes=2147483648 --log-level=warn
wait_up etcd 30 curl -sf "http://127.0.0.1:$PORT_ETCD_METRICS/health"
echo "etcd ready: $(ms_since "$t") ms"

t=$(now_us)
# --endpoint-reconciler-type=none: the API server would publish its own address in the
# `kubernetes` Endpoints, which nothing here uses; several API servers would fight over it
start_proc kube-apiserver "$K8S_BIN/kube-apiserver" \
	--bind-address=127.0.0.1 --advertise-address=127.0.0.1 --secure-port="$PORT_API" \
	--etcd-servers="http://127.0.0.1:$PORT_ETCD" \
	--tls-cert-file="$P/apiserver.crt" --tls-private-key-file="$P/apiserver.key" \
	--client-ca-file="$P/ca.crt" \
	--service-account-issuer=https://kubernetes.default.svc.cluster.local \
	--service-account-key-file="$P/sa.pub" --service-account-signing-key-file="$P/sa.key" \
	--service-cluster-ip-range=10.0.0.0/24 \
	--authorization-mode=Node,RBAC \
	--allow-privileged=true \
	--endpoint-reconciler-type=none \
	--enable-priority-and-fairness=false \
	--profiling=false \
	--kubelet-preferred-address-types=Hostname,InternalIP \
	--kubelet-client-certificate="$P/admin.crt" --kubelet-client-key="$P/admin.key"
wait_up kube-apiserver 90 api_get /readyz
echo "kube-apiserver ready: $(ms_since "$t") ms"

kubeconfig() { # CERT-NAME
	cat <<KC
apiVersion: v1
kind: Config
clusters:
- name: local
  cluster:
    server: https://127.0.0.1:$PORT_API
    certificate-authority: $P/ca.crt
users:
- name: $1
  user:
    client-certificate: $P/$1.crt
    client-key: $P/$1.key
contexts:
- name: local
  context: {cluster: local, user: $1}
current-context: local
KC
}
kubeconfig admin >"$DIR/admin.kubeconfig"
K() { "$K8S_BIN/kubectl" --kubeconfig "$DIR/admin.kubeconfig" "$@"; }

t=$(now_us)
controllers=garbagecollector,namespace,serviceaccount,root-ca-cert-publisher,daemonset,deployment,replicaset
# nodelifecycle only with a kubelet: it would mark the Node objects tests create through
# the API (no kubelet behind them) unreachable and taint them
[ "$WITH_NODE" = 1 ] && controllers+=,nodelifecycle
mkdir -p "$DIR/kcm"
start_proc kcm "$K8S_BIN/kube-controller-manager" \
	--kubeconfig="$DIR/admin.kubeconfig" --controllers="$controllers" \
	--root-ca-file="$P/ca.crt" \
	--bind-address=127.0.0.1 --secure-port="$PORT_KCM" --cert-dir="$DIR/kcm" \
	--leader-elect=false --use-service-account-credentials=false
wait_up kcm 60 curl -skf "https://127.0.0.1:$PORT_KCM/healthz"
# pods need their namespace's default service account: made by the controller
wait_up kcm 60 K -n default get serviceaccount default
echo "kube-controller-manager ready: $(ms_since "$t") ms"

cat >"$DIR/env" <<ENV
# . this file: the test cluster in $DIR
export K8S_DIR=$DIR
export K8S_BIN=$K8S_BIN
export K8S_PORT_BASE=$K8S_PORT_BASE
export KUBECONFIG=$DIR/admin.kubeconfig
export K8S_API=https://127.0.0.1:$PORT_API
export K8S_CA=$P/ca.crt K8S_ADMIN_CERT=$P/admin.crt K8S_ADMIN_KEY=$P/admin.key
export K8S_WITH_NODE=$WITH_NODE
ENV
echo "control plane up: $(ms_since "$t0") ms (API at https://127.0.0.1:$PORT_API)"

if [ "$WITH_NODE" = 1 ]; then
	t=$(now_us)
	node_up
	echo "node $NODE_NAME Ready: $(ms_since "$t") ms after the control plane, $(ms_since "$t0") ms in all"
fi
up_ok=1
echo "cluster up in $DIR: . $DIR/env"
