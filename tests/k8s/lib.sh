# Helpers for the Kubernetes tests (sourced into each test's subshell by run.sh, after
# tests/integration/lib.sh, whose fail/skip/assert_*/make_veth_pair/kernel_new... apply here
# too). The cluster's environment (KUBECONFIG, K8S_API, K8S_BIN, K8S_NODE_NAME when it has a
# node: see cluster-up.sh) is exported by run.sh.
#
# Everything a test makes through these helpers goes in its teardown (k8s_test_teardown),
# also when it fails: namespaces from k8s_ns, Node objects from create_node_object, objects
# passed to k8s_track, processes from start_bg; then tests/integration/lib.sh's test_teardown
# (netns, interfaces, programs of BPFMAN_ROOT).

# Label on what a test creates: which test made it.
K8S_TEST_LABEL=k8s-testbed/test
# Objects to delete in teardown, one "KIND NAME [NAMESPACE]" a line, in creation order
K8S_TRACKED=$TEST_TMP/tracked.$TEST_ID
BG_PIDS=()
K8S_TESTBED=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/testbed

# kubectl on the test cluster
k() { "$K8S_BIN/kubectl" "$@"; }

# The test needs the cluster's node (a kubelet): skipped without one. A test file whose tests
# need it says K8S_NEEDS_NODE=1 at the top level, so that run.sh starts the cluster with one.
require_node() {
	[ "${K8S_WITH_NODE:-0}" = 1 ] || skip "needs the cluster's node (kubelet); the cluster runs without one"
}

# k8s_import_image ARCHIVE: an OCI image archive (testbed/mkoci.py's) into the node's
# containerd, where pods find it by its name (imagePullPolicy IfNotPresent or Never)
k8s_import_image() {
	require_node
	ctr -a "$K8S_CONTAINERD_SOCK" -n k8s.io images import "$1" >/dev/null
}

# wait_for SECONDS COMMAND...: until COMMAND succeeds (polled every 0.2 s); fails the test
# naming COMMAND and its last output when SECONDS pass.
wait_for() {
	local secs=$1 end out
	shift
	end=$((${EPOCHREALTIME/./} + secs * 1000000))
	while :; do
		out=$("$@" 2>&1) && return 0
		[ "${EPOCHREALTIME/./}" -lt "$end" ] || fail "timed out after $secs s waiting for: $* (last output: $out)"
		sleep 0.2
	done
}

# wait_for_eq SECONDS EXPECTED COMMAND...: until COMMAND prints EXPECTED
wait_for_eq() {
	local secs=$1 want=$2 end out
	shift 2
	end=$((${EPOCHREALTIME/./} + secs * 1000000))
	while :; do
		out=$("$@" 2>&1) && [ "$out" = "$want" ] && return 0
		[ "${EPOCHREALTIME/./}" -lt "$end" ] || fail "timed out after $secs s waiting for '$want' from: $* (last output: $out)"
		sleep 0.2
	done
}

# k_gone [-n NS] KIND NAME: the object does not exist (for wait_for)
k_gone() {
	local out
	if out=$(k get "$@" -o name 2>&1); then
		return 1
	fi
	case $out in *NotFound* | *"not found"*) return 0 ;; esac
	echo "$out" >&2
	return 1
}

# k8s_track KIND NAME [NAMESPACE]: delete this object in teardown (for objects the test makes
# with plain k create/apply; cluster-scoped ones especially)
k8s_track() {
	echo "$*" >>"$K8S_TRACKED"
}

# k8s_ns [PREFIX]: prints the name of a new namespace for this test (deleted in teardown)
k8s_ns() {
	local n
	n="${1:-t}-$TEST_ID-$RANDOM"
	k create namespace "$n" >/dev/null
	k label namespace "$n" "$K8S_TEST_LABEL=$TEST_ID" >/dev/null
	k8s_track namespace "$n"
	echo "$n"
}

# create_node_object NAME [KEY=VALUE...] [--ip ADDRESS]: a Node object made through the API,
# with no kubelet behind it (what the agent and operator tests select and watch): the usual
# kubernetes.io/hostname, os and arch labels, the given labels, status Ready, and
# status.addresses Hostname NAME and, with --ip, InternalIP ADDRESS. Deleted in teardown.
create_node_object() {
	local name=$1 labels ip="" a
	shift
	labels="\"kubernetes.io/hostname\": \"$name\", \"kubernetes.io/os\": \"linux\", \"kubernetes.io/arch\": \"amd64\", \"$K8S_TEST_LABEL\": \"$TEST_ID\""
	while [ $# -gt 0 ]; do
		case $1 in
		--ip) ip=$2; shift 2 ;;
		*=*)
			for a in ${1//,/ }; do labels+=", \"${a%%=*}\": \"${a#*=}\""; done
			shift
			;;
		*) fail "create_node_object: '$1' is neither KEY=VALUE nor --ip ADDRESS" ;;
		esac
	done
	k create -f - >/dev/null <<JSON
{"apiVersion": "v1", "kind": "Node", "metadata": {"name": "$name", "labels": {$labels}}}
JSON
	k8s_track node "$name"
	set_node_ip "$name" "$ip"
}

# set_node_ip NAME [ADDRESS]: the Node object's status.addresses: Hostname NAME and, when
# ADDRESS is given, InternalIP ADDRESS (status Ready True, as a kubelet would report it)
set_node_ip() {
	local name=$1 ip=${2:-} addrs now
	addrs="{\"type\": \"Hostname\", \"address\": \"$name\"}"
	[ -z "$ip" ] || addrs="{\"type\": \"InternalIP\", \"address\": \"$ip\"}, $addrs"
	now=$(date -u +%Y-%m-%dT%H:%M:%SZ)
	k patch node "$name" --subresource=status --type=merge -p "{\"status\": {\"addresses\": [$addrs],
		\"conditions\": [{\"type\": \"Ready\", \"status\": \"True\", \"reason\": \"KubeletReady\",
		\"message\": \"a test's Node object\", \"lastHeartbeatTime\": \"$now\", \"lastTransitionTime\": \"$now\"}]}}" >/dev/null
}

# start_bg NAME COMMAND...: runs COMMAND (a host process of the test: an agent, an operator)
# in the background, its output in $(bg_log NAME); its pid in BG_PID. Teardown stops it
# (SIGTERM, then SIGKILL after 5 s).
start_bg() {
	local name=$1
	shift
	"$@" >"$(bg_log "$name")" 2>&1 &
	BG_PID=$!
	BG_PIDS+=("$BG_PID")
}
bg_log() { echo "$TEST_TMP/bg-$1.$TEST_ID.log"; }

# stop_bg PID [SECONDS]: SIGTERM, then SIGKILL when it is still there after SECONDS (5)
stop_bg() {
	local pid=$1 i
	kill "$pid" 2>/dev/null || return 0
	for i in $(seq $((${2:-5} * 10))); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	kill -9 "$pid" 2>/dev/null || true
	# reaped, when it is a job of this shell (bash warns on others, also in an EXIT trap)
	if jobs -p | grep_all -x "$pid"; then wait "$pid" 2>/dev/null || true; fi
	return 0
}

# k8s_stop_apiserver, k8s_start_apiserver: the run's API server goes away and comes back
# (same flags and data; its watch cache starts anew, so watches resumed from an older
# resourceVersion get 410 Gone): for the clients' fault tests. k8s_start_apiserver waits
# until it is ready again. The stop is a SIGTERM, and a SIGKILL after 2 s: with clients
# connected the API server's graceful shutdown takes longer than 10 s.
k8s_stop_apiserver() {
	(DIR=$K8S_DIR; . "$K8S_TESTBED/common.sh"; stop_proc kube-apiserver 2 >/dev/null)
}
k8s_start_apiserver() {
	(DIR=$K8S_DIR; . "$K8S_TESTBED/common.sh"; restart_proc kube-apiserver; wait_up kube-apiserver 90 api_get /readyz) ||
		fail "the API server did not come back"
}
k8s_restart_apiserver() {
	k8s_stop_apiserver
	k8s_start_apiserver
}

# Deletes what the test made (see the top of this file), then test_teardown.
k8s_test_teardown() {
	local rc=$? p kind name ns left end
	set +e
	for p in "${BG_PIDS[@]}"; do stop_bg "$p"; done
	if [ -f "$K8S_TRACKED" ]; then
		# newest first: dependents before what they depend on
		tac "$K8S_TRACKED" | while read -r kind name ns; do
			k --request-timeout=10s delete "$kind" "$name" ${ns:+-n "$ns"} --wait=false --ignore-not-found </dev/null >/dev/null 2>&1
		done
		# finalizers that nobody will clear any more (the test's agent is stopped) must not
		# keep the objects: after 10 s they are cleared
		end=$((${EPOCHREALTIME/./} + 10000000))
		while :; do
			left=$(tac "$K8S_TRACKED" | while read -r kind name ns; do
				k --request-timeout=10s get "$kind" "$name" ${ns:+-n "$ns"} -o name </dev/null 2>/dev/null
			done)
			[ -n "$left" ] && [ "${EPOCHREALTIME/./}" -lt "$end" ] || break
			sleep 0.2
		done
		[ -z "$left" ] || tac "$K8S_TRACKED" | while read -r kind name ns; do
			[ "$kind" = namespace ] && k8s_clear_ns_finalizers "$name"
			k --request-timeout=10s patch "$kind" "$name" ${ns:+-n "$ns"} --type=merge -p '{"metadata":{"finalizers":null}}' >/dev/null 2>&1
		done
		rm -f "$K8S_TRACKED"
	fi
	(exit $rc)
	test_teardown
}

# The finalizers of the objects left in namespace NS (what the test's stopped agent or
# operator would have cleared), so that the namespace can go.
k8s_clear_ns_finalizers() {
	local ns=$1 kinds o
	k get namespace "$ns" -o name >/dev/null 2>&1 || return 0
	kinds=$(k api-resources --namespaced --verbs=list,patch -o name 2>/dev/null | grep -v '^events' | paste -sd,)
	for o in $(k get "$kinds" -n "$ns" -o name 2>/dev/null); do
		k patch "$o" -n "$ns" --type=merge -p '{"metadata":{"finalizers":null}}' >/dev/null 2>&1
	done
}
