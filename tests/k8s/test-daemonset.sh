# The operator's DaemonSet on the real test node, running this build's programs: the build
# is packed into an image (testbed/bpfman-image.sh) and imported into the node's containerd;
# bpfman-operator (a host process) deploys bpfman-daemon from it with a pull policy that
# never pulls. Its pod (init mount-bpfman-fs, bpfman-rpc --csi-support, bpfman-agent) gets
# Running; a ClusterBpfApplication from a registry image is loaded by the agent IN THE POD
# (bpftool sees the programs, the counters move, the application is Success); a pod reads
# the map through the pod's CSI driver; deleting the application unloads everything,
# deleting the Config removes the DaemonSet, and nothing is left on the node.
#
# The DaemonSet's bpfman root is this test's BPFMAN_ROOT (the operator's BPFMAN_HOST_ROOT),
# never the host's /run/bpfman: the host's CLI then sees the pod's store. Its
# <root>/run/bpfman is bind-mounted onto itself and made rshared, as the kubelet's dir is
# (/ is a private mount here; Bidirectional needs a shared one). The agent reaches the API
# server through BPFMAN_API_SERVER (no service proxy on this node).
K8S_NEEDS_NODE=1

. "$(dirname "${BASH_SOURCE[0]}")/csi-pod-lib.sh"
. "$(dirname "${BASH_SOURCE[0]}")/../integration/registry-lib.sh"
DS_TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
DS_BUILD=$(cd "$(dirname "$BPFMAN")/../.." && pwd)
DS_IMAGE=localhost/bpfman:daemonset-test
# host dirs the DaemonSet's hostPath volumes (DirectoryOrCreate) would make when missing
DS_HOST_DIRS="/run/crio /var/run/bpfman-agent /run/netns /run/containerd"

ds_pod() { k get pods -n "$DS_NS" -l app.kubernetes.io/name=bpfman-daemon -o name 2>/dev/null | head -1; }
ds_pod_running() { # every container ready
	[ "$(k get pods -n "$DS_NS" -l app.kubernetes.io/name=bpfman-daemon -o json |
		jq -r '[.items[] | select(.status.phase == "Running") | .status.containerStatuses[] | .ready] |
			length > 0 and all')" = true ]
}
# the pids of the pod's processes on the host (hostNetwork, but its own pid namespace: the
# host sees them with the command lines the DaemonSet gives them)
ds_pid() { pgrep -f "^$1 .*$2" | head -1 || true; }
ds_restarts() { k get -n "$DS_NS" "$pod" -o jsonpath='{.status.containerStatuses[*].restartCount}'; }
ds_prog() { # APP FUNCTION: kernel id of the program, from the store the pod shares
	bpfman list programs -o json 2>/dev/null | jq -r --arg a "ClusterBpfApplication/$1" --arg f "$2" \
		'[.[] | select(.bpfman.metadata["bpfman.io/application-id"] == $a and .bpfman.name == $f)][0].kernel.id // empty'
}
ds_has_prog() { [ -n "$(ds_prog "$1" "$2")" ]; }
ds_no_pod() { [ -z "$(ds_pod)" ]; }
ds_mounts() { findmnt -rn -o TARGET | grep -E "^(${BPFMAN_ROOT}/|$K8S_KUBELET_ROOT/plugins/csi-bpfman)" || true; }

ds_setup() {
	require_node
	command -v docker-registry >/dev/null || skip "docker-registry is not installed (scripts/install-deps.sh test)"
	OPERATOR=$DS_BUILD/src/operator/bpfman-operator
	[ -x "$OPERATOR" ] || fail "no bpfman-operator at $OPERATOR"
	trap 'ds_teardown' EXIT
	DS_MADE=""
	for d in $DS_HOST_DIRS "$K8S_KUBELET_ROOT/plugins/csi-bpfman"; do
		[ -e "$d" ] || DS_MADE="$DS_MADE $d"
	done
	SCRATCH=$(mktemp -d /tmp/bpfman-ds.XXXXXX)
	chmod 0755 "$SCRATCH"
	mkdir -p "$SCRATCH/helpers"
	cp "$TESTS_HELPERS/map-access" "$SCRATCH/helpers/"
	mkdir -p "$BPFMAN_ROOT/run/bpfman"
	mount --bind "$BPFMAN_ROOT/run/bpfman" "$BPFMAN_ROOT/run/bpfman"
	mount --make-rshared "$BPFMAN_ROOT/run/bpfman"
	local t0=${EPOCHREALTIME/./}
	"$DS_TOP/tests/k8s/testbed/bpfman-image.sh" "$DS_BUILD" "$DS_IMAGE" "$SCRATCH/image.tar" >/dev/null ||
		fail "bpfman-image.sh"
	k8s_import_image "$SCRATCH/image.tar"
	rm -f "$SCRATCH/image.tar"
	echo "FIGURE: image built and imported: $(( (${EPOCHREALTIME/./} - t0) / 1000 )) ms"
	k apply --server-side --force-conflicts -f "$DS_TOP/dist/k8s/crds" >/dev/null
	k wait --for condition=established --timeout=60s $(k get crd -o name | grep '\.bpfman\.io$') >/dev/null
}

# Pods first (their CSI volumes are unpublished while the driver still runs), then the
# DaemonSet's pod, then what is left on the node: mounts under the test's root and the
# kubelet's plugin dir, host dirs the hostPath volumes made, the image.
ds_teardown() {
	local rc=$? m d ns
	set +e
	for ns in ${CSI_NS:-}; do
		k delete pods --all -n "$ns" --grace-period=1 --wait=false >/dev/null 2>&1
		for _ in $(seq 150); do
			[ -z "$(k get pods -n "$ns" -o name 2>/dev/null)" ] && break
			sleep 0.2
		done
	done
	[ -z "${OP_PID:-}" ] || stop_bg "$OP_PID"
	if [ -n "${DS_NS:-}" ]; then
		k delete config bpfman-config --wait=false >/dev/null 2>&1
		k patch config bpfman-config --type=merge -p '{"metadata":{"finalizers":null}}' >/dev/null 2>&1
		k delete daemonset -n "$DS_NS" bpfman-daemon --wait=false >/dev/null 2>&1
		for _ in $(seq 300); do
			[ -z "$(ds_pod)" ] && break
			sleep 0.2
		done
		[ -z "$(ds_pod)" ] || k delete pods -n "$DS_NS" --all --force --grace-period=0 >/dev/null 2>&1
	fi
	# the programs while the store is still there (test_teardown's unload needs the bpffs)
	for id in $("$BPFMAN" list programs -o json 2>/dev/null | jq -r '.[].kernel.id' 2>/dev/null); do
		"$BPFMAN" unload "$id" >/dev/null 2>&1
	done
	for m in $(ds_mounts | sort -r); do
		umount "$m" 2>/dev/null || umount -l "$m"
	done
	for d in $DS_MADE; do
		case $d in
		"$K8S_KUBELET_ROOT"/*) rm -f "$d/csi.sock"; rmdir "$d" ;;
		*) rmdir "$d" ;;
		esac
	done
	ctr -a "$K8S_CONTAINERD_SOCK" -n k8s.io images rm "$DS_IMAGE" >/dev/null 2>&1
	[ -z "${SCRATCH:-}" ] || rm -rf "${SCRATCH:?}"
	(exit $rc)
	k8s_test_teardown
}

test_daemonset_runs_build_loads_app_and_cleans_up() {
	ds_setup
	DS_NS=$(k8s_ns ds)
	k8s_track config bpfman-config
	k8s_track csidriver csi.bpfman.io
	k8s_track clusterrole bpfman-agent-role
	k8s_track clusterrolebinding bpfman-agent-rolebinding

	start_registry
	local url=$REG/bpfman-bytecode/counters:v1 hif ns_p t0 t1 pod rpc_pid agent_pid tp_id xdp_id b a id probe
	probe=$(free_port)
	bpfman image build -b "$COUNTERS_OBJ" -t "$url" --push >/dev/null || fail "image build --push"
	# a veth whose host end is in the host's namespace (the pod has the host's network)
	ns_p=$(make_netns p)
	hif="bt${TEST_ID}x$RANDOM"
	hif=${hif:0:13}d
	ip link add "$hif" type veth peer name veth-p netns "$ns_p"
	ip addr add 192.0.2.201/30 dev "$hif"
	ip link set "$hif" up
	ip -n "$ns_p" addr add 192.0.2.202/30 dev veth-p
	ip -n "$ns_p" link set veth-p up

	# the Config first (the operator's bootstrap would make its own): allow unsigned images
	k apply -f - >/dev/null <<YAML
apiVersion: bpfman.io/v1alpha1
kind: Config
metadata: {name: bpfman-config}
spec:
  namespace: $DS_NS
  agent: {image: $DS_IMAGE, logLevel: info, healthProbePort: $probe}
  daemon: {image: $DS_IMAGE, logLevel: info}
  configuration: |
    [signing]
    allow_unsigned = true
YAML
	t0=${EPOCHREALTIME/./}
	BPFMAN_IMG=$DS_IMAGE BPFMAN_AGENT_IMG=$DS_IMAGE BPFMAN_IMAGE_PULL_POLICY=Never \
		BPFMAN_HOST_ROOT=$BPFMAN_ROOT BPFMAN_KUBELET_DIR=$K8S_KUBELET_ROOT \
		BPFMAN_API_SERVER=${K8S_API#https://} BPFMAN_AGENT_PROBE_HOST=127.0.0.1 \
		start_bg operator "$OPERATOR" --kubeconfig "$KUBECONFIG" --resync 30
	OP_PID=$BG_PID
	wait_for 60 k get daemonset -n "$DS_NS" bpfman-daemon -o name
	assert_eq "$(k get daemonset -n "$DS_NS" bpfman-daemon -o json |
		jq -r '[.spec.template.spec.initContainers[], .spec.template.spec.containers[]] |
			map(.imagePullPolicy) | unique | join(",")')" Never "pull policy of every container"
	wait_for 120 ds_pod_running
	t1=${EPOCHREALTIME/./}
	pod=$(ds_pod)
	echo "FIGURE: operator start -> DaemonSet pod Running (init done, both containers ready): $(( (t1 - t0) / 1000 )) ms"
	assert_eq "$(k get -n "$DS_NS" "$pod" -o jsonpath='{.status.initContainerStatuses[*].state.terminated.reason}')" \
		Completed "init container"
	# the store's bpffs was mounted by the init container and reached the node
	mountpoint -q "$BPFMAN_ROOT/run/bpfman/fs" || fail "no bpffs at <root>/run/bpfman/fs on the node"
	assert_eq "$(stat -f -c %T "$BPFMAN_ROOT/run/bpfman/fs")" bpf_fs "store's filesystem"
	rpc_pid=$(ds_pid bpfman-rpc "--csi-socket $K8S_KUBELET_ROOT")
	agent_pid=$(ds_pid bpfman-agent --health-probe-bind-address)
	[ -n "$rpc_pid" ] && [ -n "$agent_pid" ] ||
		fail "the pod's bpfman-rpc ($rpc_pid) / bpfman-agent ($agent_pid) are not running (restarts: $(ds_restarts))"
	# they are the build's programs, from the image (not the host's files)
	assert_eq "$(readlink "/proc/$agent_pid/exe")" /bin/bpfman-agent "agent's executable"
	assert_eq "$(tr '\0' '\n' <"/proc/$agent_pid/environ" | grep '^BPFMAN_ROOT=')" "BPFMAN_ROOT=$BPFMAN_ROOT" "agent's root"
	# the agent's health probe, on 127.0.0.1 only
	wait_for 30 curl -fsS "http://127.0.0.1:$probe/healthz"
	assert_eq "$(ss -Hltn "sport = :$probe" | awk '{print $4}')" "127.0.0.1:$probe" "health probe address"
	# the pod's CSI driver registered with the kubelet
	wait_for_eq 60 csi.bpfman.io k get csinode "$K8S_NODE_NAME" -o jsonpath='{.spec.drivers[*].name}'

	# a ClusterBpfApplication: the agent in the pod loads it
	local app=ds-$TEST_ID
	t0=${EPOCHREALTIME/./}
	k apply -f - >/dev/null <<YAML
apiVersion: bpfman.io/v1alpha1
kind: ClusterBpfApplication
metadata: {name: $app}
spec:
  nodeSelector: {}
  byteCode: {image: {url: $url, imagePullPolicy: IfNotPresent}}
  programs:
    - name: tracepoint_counter
      type: TracePoint
      tracepoint: {links: [{name: syscalls/sys_enter_getpid}]}
    - name: xdp_counter
      type: XDP
      xdp: {links: [{interfaceSelector: {interfaces: [$hif]}, priority: 100}]}
YAML
	k8s_track clusterbpfapplication "$app"
	wait_for 90 ds_has_prog "$app" tracepoint_counter
	t1=${EPOCHREALTIME/./}
	echo "FIGURE: ClusterBpfApplication: kubectl apply -> program in the kernel (agent in the DaemonSet pod): $(( (t1 - t0) / 1000 )) ms"
	wait_for 60 ds_has_prog "$app" xdp_counter
	wait_for_eq 90 Success k get clusterbpfapplication "$app" -o jsonpath='{.status.conditions[0].reason}'
	tp_id=$(ds_prog "$app" tracepoint_counter)
	xdp_id=$(ds_prog "$app" xdp_counter)
	bpftool prog show id "$tp_id" >/dev/null || fail "bpftool does not know program $tp_id"
	bpftool prog show id "$xdp_id" >/dev/null || fail "bpftool does not know program $xdp_id"
	# it was the pod's agent: its log says so
	k logs -n "$DS_NS" "$pod" -c bpfman-agent 2>/dev/null | grep_all "$app" ||
		grep -rqs "$app" /var/log/pods/"$DS_NS"_* "$K8S_DIR"/kubelet/pod-logs/"$DS_NS"_* ||
		fail "the pod's agent log does not name $app"
	# the counters move
	b=$(counter "$tp_id" $SLOT_TRACEPOINT)
	trigger getpid 50
	a=$(counter "$tp_id" $SLOT_TRACEPOINT)
	[ $((a - b)) -ge 50 ] || fail "tracepoint counter $b -> $a after 50 getpid"
	b=$(counter "$xdp_id" $SLOT_XDP)
	ip netns exec "$ns_p" ping -c 5 -i 0.2 -W 1 -q 192.0.2.201 >/dev/null 2>&1 || true
	a=$(counter "$xdp_id" $SLOT_XDP)
	[ $((a - b)) -ge 5 ] || fail "XDP counter $b -> $a after 5 pings"

	# a pod reads the map through the DaemonSet's CSI driver
	CSI_NS=$(k8s_ns dsr)
	reader_pod "$CSI_NS" reader "$app"
	wait_for_eq 120 Running pod_phase "$CSI_NS" reader
	wait_for 30 pod_read_at_least reader 0 0
	b=$(pod_read reader 0)
	trigger getpid 100
	wait_for 10 pod_read_at_least reader 0 $((b + 100))
	[ -n "$(ls "$BPFMAN_ROOT/run/bpfman/csi/vol")" ] || fail "no CSI volume record in the shared store"
	grep -q "rc=[1-9]" "$SCRATCH/out-reader/write" || fail "the read-only volume let the pod write"

	echo "FIGURE: memory (RSS) of the pod's processes: bpfman-rpc $(awk '/^VmRSS/ {print $2}' /proc/"$rpc_pid"/status) kB," \
		"bpfman-agent $(awk '/^VmRSS/ {print $2}' /proc/"$agent_pid"/status) kB"

	assert_eq "$(ds_restarts)" "0 0" "restarts of the pod's containers"

	# the reader goes (volume unpublished), then the application (everything unloaded)
	k delete pod -n "$CSI_NS" reader --grace-period=1 >/dev/null
	wait_for 60 k_gone pod -n "$CSI_NS" reader
	wait_for_eq 30 "" ls "$BPFMAN_ROOT/run/bpfman/csi/vol"
	[ -z "$(findmnt -rn -o TARGET | grep -E "^${BPFMAN_ROOT}/run/bpfman/csi/fs/")" ] || fail "a per-volume bpffs is still mounted"
	k delete clusterbpfapplication "$app" --wait=false >/dev/null
	wait_for 60 k_gone clusterbpfapplication "$app"
	assert_eq "$(bpfman list programs -o json | jq length)" 0 "programs left after the delete"
	for id in $tp_id $xdp_id; do
		! bpftool prog show id "$id" >/dev/null 2>&1 || fail "program $id is still in the kernel"
	done
	assert_eq "$(ip -j link show "$hif" | jq -r '.[0].xdp.prog.id // empty')" "" "XDP left on $hif"
	assert_eq "$(ls -d /sys/fs/bpf/xdp/dispatch-"$(cat /sys/class/net/"$hif"/ifindex)"-* 2>/dev/null)" "" \
		"libxdp's pins for $hif"

	# deleting the Config removes the DaemonSet and its pod
	k delete config bpfman-config --wait=false >/dev/null
	wait_for 60 k_gone daemonset -n "$DS_NS" bpfman-daemon
	wait_for 60 ds_no_pod
	! kill -0 "$agent_pid" 2>/dev/null || fail "the pod's agent still runs"
	! kill -0 "$rpc_pid" 2>/dev/null || fail "the pod's bpfman-rpc still runs"
	[ ! -e "$K8S_KUBELET_ROOT/plugins_registry/csi.bpfman.io-reg.sock" ] || fail "registration socket left"
	# what stays on the node is the store's bpffs (as on a host that ran bpfman), empty
	# (maps.debug and progs.debug: the kernel's bpf_preload iterators in every bpffs)
	assert_eq "$(find "$BPFMAN_ROOT/run/bpfman/fs" -mindepth 1 -not -type d \
		-not -path "$BPFMAN_ROOT/run/bpfman/fs/maps.debug" -not -path "$BPFMAN_ROOT/run/bpfman/fs/progs.debug" |
		tr '\n' ' ')" "" "pins left"
	assert_eq "$(ds_mounts | grep -v -x -e "$BPFMAN_ROOT/run/bpfman" -e "$BPFMAN_ROOT/run/bpfman/fs" | tr '\n' ' ')" "" \
		"mounts left under the root and the kubelet's plugin dir"
}
