# End to end on the single-node test cluster (real etcd, API server, controller manager,
# scheduler, containerd and kubelet): the bpfman.io CRDs installed, bpfman-operator,
# bpfman-agent and bpfman-rpc --csi-support running for the node, bytecode shipped as an
# image through a registry on 127.0.0.1 (built and pushed by `bpfman image build --push`).
# The article's XdpProgram and a current ClusterBpfApplication are applied with kubectl; the
# programs run in the kernel (bpftool, counters that move with traffic between the test's
# namespaces); `kubectl get` shows the columns and conditions; a hostNetwork pod reads the
# application's live map through a CSI volume; deleting the objects unloads everything
# and the pod's volume is unpublished.
#
# The agent, operator and bpfman-rpc run as host processes with the test's own bpfman root
# (the Config marks the DaemonSet unmanaged: its pods would manage the same node from the
# host's /run/bpfman). The article's XdpProgram attaches to the node's primary interface;
# here that is the host's real interface, which a test must not touch, so its copy names the
# test's veth instead (the primary-interface resolution is tested in test-agent.sh with a
# Node whose InternalIP is on a veth).
K8S_NEEDS_NODE=1

. "$(dirname "${BASH_SOURCE[0]}")/csi-pod-lib.sh"
E2E_IT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")/../integration" && pwd)
. "$E2E_IT_DIR/registry-lib.sh"
E2E_TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
E2E_BUILD=$(cd "$(dirname "$BPFMAN")/../.." && pwd)

# Two veth pairs: HIF and HIF2 in the host's namespace (where the XDP programs go: one per
# interface, as kernels without freplace allow no more), their peers in the test namespace
# NS_P; ping from NS_P reaches HOST_IP on HIF and HOST_IP2 on HIF2.
e2e_veth() {
	NS_P=$(make_netns p)
	local base=$(( (TEST_ID % 30) * 8 )) i
	HOST_IP=192.0.2.$((base + 1)) HOST_IP2=192.0.2.$((base + 5))
	HIF="be${TEST_ID}x$RANDOM"
	HIF=${HIF:0:13}a HIF2=${HIF:0:13}b
	for i in 1 2; do
		local h=$HIF p=veth-p o=$base
		[ $i = 1 ] || { h=$HIF2 p=veth-q o=$((base + 4)); }
		ip link add "$h" type veth peer name "$p" netns "$NS_P"
		ip addr add "192.0.2.$((o + 1))/30" dev "$h"
		ip link set "$h" up
		ip -n "$NS_P" addr add "192.0.2.$((o + 2))/30" dev "$p"
		ip -n "$NS_P" link set "$p" up
	done
}

# Teardown, before the CSI one: the agent stops first (so it recreates nothing), then the
# per-node objects it wrote for this node (a State for every application it saw, selected or
# not) lose their finalizers and are gone before the next test: a node holding such objects
# counts as running the agent for bpfman-operator, which would then wait for its reports.
e2e_teardown() {
	local rc=$? o kind name ns
	set +e
	[ -z "${E2E_AGENT_PID:-}" ] || stop_bg "$E2E_AGENT_PID"
	for o in $(k get clusterbpfapplicationstates,bpfapplicationstates,bpfprograms -A \
		-l "kubernetes.io/hostname=$K8S_NODE_NAME" \
		-o jsonpath='{range .items[*]}{.kind}/{.metadata.name}/{.metadata.namespace}{"\n"}{end}' 2>/dev/null); do
		IFS=/ read -r kind name ns <<<"$o"
		k patch "$kind" "$name" ${ns:+-n "$ns"} --type=merge -p '{"metadata":{"finalizers":null}}' >/dev/null 2>&1
		k delete "$kind" "$name" ${ns:+-n "$ns"} --wait=false >/dev/null 2>&1
	done
	for _ in $(seq 100); do
		[ -z "$(k get clusterbpfapplicationstates,bpfapplicationstates,bpfprograms -A \
			-l "kubernetes.io/hostname=$K8S_NODE_NAME" -o name 2>/dev/null)" ] && break
		sleep 0.2
	done
	(exit $rc)
	csi_kubelet_teardown
}

e2e_prog() { # APP-ID FUNCTION: the kernel id of that program of that application
	bpfman list programs -o json | jq -r --arg a "$1" --arg f "$2" \
		'[.[] | select(.bpfman.metadata["bpfman.io/application-id"] == $a and .bpfman.name == $f)][0].kernel.id // empty'
}
e2e_has_prog() { [ -n "$(e2e_prog "$1" "$2")" ]; }

test_e2e_xdpprogram_app_and_csi_pod() {
	command -v docker-registry >/dev/null || skip "docker-registry is not installed (scripts/install-deps.sh test)"
	local operator=$E2E_BUILD/src/operator/bpfman-operator agent=$E2E_BUILD/src/agent/bpfman-agent
	[ -x "$operator" ] || fail "no bpfman-operator at $operator"
	[ -x "$agent" ] || fail "no bpfman-agent at $agent"
	csi_kubelet_setup # bpfman-rpc --csi-support registered with the kubelet
	trap e2e_teardown EXIT
	k apply --server-side --force-conflicts -f "$E2E_TOP/dist/k8s/crds" >/dev/null
	k wait --for condition=established --timeout=60s $(k get crd -o name | grep '\.bpfman\.io$') >/dev/null
	e2e_veth
	start_registry
	local url=$REG/bpfman-bytecode/counters:latest
	bpfman image build -b "$COUNTERS_OBJ" -t "$url" --push >/dev/null || fail "image build --push"

	# the Config first: the DaemonSet stays unmanaged (see the header)
	k apply -f - >/dev/null <<YAML
apiVersion: bpfman.io/v1alpha1
kind: Config
metadata: {name: bpfman-config}
spec:
  namespace: bpfman
  agent: {image: localhost/bpfman:e2e, logLevel: info}
  daemon: {image: localhost/bpfman:e2e, logLevel: info}
  configuration: |
    [signing]
    allow_unsigned = true
  overrides:
    - {apiVersion: apps/v1, kind: DaemonSet, namespace: bpfman, name: bpfman-daemon, unmanaged: true}
YAML
	k8s_track config bpfman-config
	start_bg operator env BPFMAN_IMG=localhost/bpfman:e2e BPFMAN_AGENT_IMG=localhost/bpfman:e2e \
		"$operator" --kubeconfig "$KUBECONFIG"
	start_bg agent "$agent" --kubeconfig "$KUBECONFIG" --node "$K8S_NODE_NAME" --root "$BPFMAN_ROOT" --resync 10
	E2E_AGENT_PID=$BG_PID
	local agent_pid=$BG_PID t0 t1 xdp_id tp_id app_id b a

	# 1. the article's XdpProgram (its image and interface replaced, see the header)
	t0=${EPOCHREALTIME/./}
	sed -e "s#quay.io/bpfman-bytecode/xdp_pass:latest#$url#" \
		-e "s#bpffunctionname: pass#bpffunctionname: xdp_counter#" \
		-e "s#primarynodeinterface: true#interfaces: [$HIF]#" \
		-e "s#name: xdp-pass-all-nodes#name: xdp-e2e-$TEST_ID#" \
		"$E2E_TOP/dist/k8s/samples/xdpprogram.yaml" | k apply -f - >/dev/null
	k8s_track xdpprogram "xdp-e2e-$TEST_ID"
	wait_for 60 e2e_has_prog "BpfApplication/XdpProgram/xdp-e2e-$TEST_ID" xdp_counter
	t1=${EPOCHREALTIME/./}
	echo "FIGURE: XdpProgram: kubectl apply -> program in the kernel: $(( (t1 - t0) / 1000 )) ms"
	xdp_id=$(e2e_prog "BpfApplication/XdpProgram/xdp-e2e-$TEST_ID" xdp_counter)
	bpftool prog show id "$xdp_id" >/dev/null || fail "bpftool does not know program $xdp_id"
	wait_for_eq 60 ReconcileSuccess k get xdpprogram "xdp-e2e-$TEST_ID" -o jsonpath='{.status.conditions[0].reason}'
	local bp=xdp-e2e-$TEST_ID-$K8S_NODE_NAME-$HIF
	bp=${bp//_/-}
	wait_for_eq 30 bpfmanLoaded k get bpfprogram "$bp" -o jsonpath='{.status.conditions[0].reason}'
	assert_eq "$(k get bpfprogram "$bp" -o jsonpath='{.metadata.annotations.bpfman\.io/ProgramId}')" "$xdp_id" "BpfProgram's ProgramId"
	# kubectl's columns
	assert_contains "$(k get xdpprograms -o wide | head -1)" "BPFFUNCTIONNAME" "XdpProgram columns"
	assert_contains "$(k get xdpprograms -o wide | grep "xdp-e2e-$TEST_ID")" "ReconcileSuccess" "XdpProgram row"
	assert_contains "$(k get xdpprograms -o wide | grep "xdp-e2e-$TEST_ID")" "$HIF" "XdpProgram row names the interface"
	assert_contains "$(k get bpfprograms | grep "$bp")" "bpfmanLoaded" "BpfProgram row"
	# it runs: traffic from the test namespace into HIF
	b=$(counter "$xdp_id" $SLOT_XDP)
	ip netns exec "$NS_P" ping -c 5 -i 0.2 -W 1 -q "$HOST_IP" >/dev/null 2>&1 || true
	a=$(counter "$xdp_id" $SLOT_XDP)
	[ $((a - b)) -ge 5 ] || fail "XdpProgram's counter $b -> $a after 5 pings"

	# 2. a current ClusterBpfApplication from the same image: XDP on the second interface and
	# a tracepoint
	t0=${EPOCHREALTIME/./}
	k apply -f - >/dev/null <<YAML
apiVersion: bpfman.io/v1alpha1
kind: ClusterBpfApplication
metadata: {name: e2e-$TEST_ID}
spec:
  nodeSelector: {}
  byteCode: {image: {url: $url, imagePullPolicy: IfNotPresent}}
  programs:
    - name: xdp_counter
      type: XDP
      xdp: {links: [{interfaceSelector: {interfaces: [$HIF2]}, priority: 100}]}
    - name: tracepoint_counter
      type: TracePoint
      tracepoint: {links: [{name: syscalls/sys_enter_getpid}]}
YAML
	k8s_track clusterbpfapplication "e2e-$TEST_ID"
	wait_for 60 e2e_has_prog "ClusterBpfApplication/e2e-$TEST_ID" tracepoint_counter
	t1=${EPOCHREALTIME/./}
	echo "FIGURE: ClusterBpfApplication: kubectl apply -> programs in the kernel: $(( (t1 - t0) / 1000 )) ms"
	wait_for_eq 60 Success k get clusterbpfapplication "e2e-$TEST_ID" -o jsonpath='{.status.conditions[0].reason}'
	assert_contains "$(k get clusterbpfapplications | grep "e2e-$TEST_ID")" "Success" "app row"
	assert_contains "$(k get clusterbpfapplicationstates | grep "e2e-$TEST_ID")" "$K8S_NODE_NAME" "State row names the node"
	tp_id=$(e2e_prog "ClusterBpfApplication/e2e-$TEST_ID" tracepoint_counter)
	app_id=$(e2e_prog "ClusterBpfApplication/e2e-$TEST_ID" xdp_counter)
	bpftool prog show id "$tp_id" >/dev/null || fail "bpftool does not know program $tp_id"
	b=$(counter "$app_id" $SLOT_XDP)
	ip netns exec "$NS_P" ping -c 5 -i 0.2 -W 1 -q "$HOST_IP2" >/dev/null 2>&1 || true
	a=$(counter "$app_id" $SLOT_XDP)
	[ $((a - b)) -ge 5 ] || fail "the application's XDP counter $b -> $a after 5 pings"

	# 3. a pod reads the application's live map through the CSI volume
	CSI_NS=$(k8s_ns e2e)
	reader_pod "$CSI_NS" reader "e2e-$TEST_ID"
	wait_for_eq 120 Running pod_phase "$CSI_NS" reader
	wait_for 30 pod_read_at_least reader 0 0
	b=$(pod_read reader 0)
	trigger getpid 100
	wait_for 10 pod_read_at_least reader 0 $((b + 100))
	local vol i
	vol=$(ls "$BPFMAN_ROOT/run/bpfman/csi/vol")
	[ -n "$vol" ] || fail "no CSI volume record"

	echo "FIGURE: memory (RSS): agent $(awk '/^VmRSS/ {print $2}' /proc/"$agent_pid"/status) kB, operator" \
		"$(awk '/^VmRSS/ {print $2}' /proc/"$(pgrep -f "^$operator" | head -1)"/status) kB"

	# 4. the pod and the objects go: volume unpublished, nothing left in the kernel
	k delete pod -n "$CSI_NS" reader --grace-period=1 >/dev/null
	wait_for 60 k_gone pod -n "$CSI_NS" reader
	wait_for_eq 30 "" ls "$BPFMAN_ROOT/run/bpfman/csi/vol"
	[ -z "$(findmnt -rn -o TARGET | grep -E "^${BPFMAN_ROOT}/run/bpfman/csi/fs/")" ] || fail "a per-volume bpffs is still mounted"
	k delete clusterbpfapplication "e2e-$TEST_ID" --wait=false >/dev/null
	k delete xdpprogram "xdp-e2e-$TEST_ID" --wait=false >/dev/null
	wait_for 60 k_gone clusterbpfapplication "e2e-$TEST_ID"
	wait_for 60 k_gone xdpprogram "xdp-e2e-$TEST_ID"
	assert_eq "$(bpfman list programs -o json | jq length)" 0 "programs left after the deletes"
	for id in $xdp_id $tp_id $app_id; do
		! bpftool prog show id "$id" >/dev/null 2>&1 || fail "program $id is still in the kernel"
	done
	for i in "$HIF" "$HIF2"; do
		assert_eq "$(ip -j link show "$i" | jq -r '.[0].xdp.prog.id // empty')" "" "XDP left on $i"
	done
}
