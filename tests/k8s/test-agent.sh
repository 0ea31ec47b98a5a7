# bpfman-agent against a real API server (tests/k8s/run.sh starts it): Node objects made
# through the API (no kubelet), the agent as a host process with its own node name and
# bpfman root, real programs in the kernel, real veth pairs and traffic between the test's
# namespaces (192.0.2.0/24). Programs are counted as new ones only.

AGENT=${BPFMAN_AGENT:-$(dirname "$(dirname "$BPFMAN")")/agent/bpfman-agent}
CRD_DIR=${CRD_DIR:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)/dist/k8s/crds}
AGENT_IT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")/../integration" && pwd)
. "$AGENT_IT_DIR/registry-lib.sh"

# The bpfman.io CRDs of this tree (apply is idempotent; a cluster kept from an older tree
# gets the current ones), established.
install_crds() {
	k apply --server-side --force-conflicts -f "$CRD_DIR" >/dev/null
	# (by name: the directory also holds a ValidatingAdmissionPolicy, which has no such condition)
	k wait --for condition=established --timeout=60s $(k get crd -o name | grep '\.bpfman\.io$') >/dev/null
}

# agent_setup: CRDs, a veth pair whose host end HIF holds the Node's InternalIP HOST_IP
# (its peer PIF in the test namespace NS_P at PEER_IP: traffic from there reaches HIF), the
# Node object NODE labelled bpfman-test/sel=yes, the agent started (AGENT_PID).
agent_setup() {
	[ -x "$AGENT" ] || skip "no bpfman-agent binary at $AGENT"
	install_crds
	NODE=agent-node-$TEST_ID
	NS_P=$(make_netns p)
	HIF="bt${TEST_ID}x$RANDOM"
	HIF=${HIF:0:15}
	PIF=veth-p
	# a /30 of 192.0.2.0/24 of its own: two tests never share addresses
	local q=$(( (TEST_ID % 60) * 4 ))
	HOST_IP=192.0.2.$((q + 1)) PEER_IP=192.0.2.$((q + 2))
	ip link add "$HIF" type veth peer name "$PIF" netns "$NS_P"
	ip addr add "$HOST_IP/30" dev "$HIF"
	ip link set "$HIF" up
	ip -n "$NS_P" addr add "$PEER_IP/30" dev "$PIF"
	ip -n "$NS_P" link set "$PIF" up
	wrap_teardown
	create_node_object "$NODE" bpfman-test/sel=yes --ip "$HOST_IP"
	start_agent
}

start_agent() {
	start_bg agent "$AGENT" --kubeconfig "$KUBECONFIG" --node "$NODE" --root "$BPFMAN_ROOT" \
		--resync "${RESYNC:-5}"
	AGENT_PID=$BG_PID
}

APP=app-$TEST_ID
# write_app FILE [PRIORITY] [IFACE-SELECTOR-YAML]: ClusterBpfApplication APP: xdp_counter on
# HIF, tracepoint_counter on getpid, selecting nodes labelled bpfman-test/sel=yes and
# this test's node
app_yaml() {
	local prio=${1:-50} sel=${2:-"{interfaces: [$HIF]}"}
	local nsel='{matchLabels: {bpfman-test/sel: "yes", kubernetes.io/hostname: '"$NODE"'}}'
	[ -z "${APP_NODE_SELECTOR:-}" ] || nsel=$APP_NODE_SELECTOR
	cat <<YAML
apiVersion: bpfman.io/v1alpha1
kind: ClusterBpfApplication
metadata:
  name: $APP
spec:
  nodeSelector: $nsel
  byteCode:
    path: $COUNTERS_OBJ
  programs:
    - name: xdp_counter
      type: XDP
      xdp:
        links:
          - interfaceSelector: $sel
            priority: $prio
    - name: tracepoint_counter
      type: TracePoint
      tracepoint:
        links:
          - name: syscalls/sys_enter_getpid
YAML
}
apply_app() {
	app_yaml "$@" | k apply -f - >/dev/null
	k8s_track clusterbpfapplication "$APP"
}

# state FIELD-JSONPATH: of this node's State of APP
state() {
	k get clusterbpfapplicationstates -l "bpfman.io/ownedByProgram=$APP,kubernetes.io/hostname=$NODE" \
		-o jsonpath="{.items[*]$1}"
}
state_cond() { state '.status.conditions[0].type'; }
state_load() { state '.status.appLoadStatus'; }
# "name=id" of the State's programs
state_ids() { state '.status.programs[*].programId'; }
state_link_ids() {
	k get clusterbpfapplicationstates -l "bpfman.io/ownedByProgram=$APP,kubernetes.io/hostname=$NODE" \
		-o json | jq -r '[.items[0].status.programs[] | (.xdp // .tracepoint).links[] | .linkId] | map(tostring) | join(" ")'
}
app_progs() {
	bpfman list programs -o json |
		jq -r ".[] | select(.bpfman.metadata[\"bpfman.io/application-id\"] == \"ClusterBpfApplication/$APP\") | .kernel.id" | sort -n | tr '\n' ' ' | sed 's/ $//'
}
app_loaded() { [ "$(app_progs | wc -w)" = 2 ]; }
prog_named() { bpfman list programs -o json | jq -r ".[] | select(.bpfman.name == \"$1\") | .kernel.id"; }
xdp_count() { counter "$(prog_named tracepoint_counter)" $SLOT_XDP; }
traffic() { ip netns exec "$NS_P" ping -c "${1:-5}" -i 0.2 -W 1 -q "$HOST_IP" >/dev/null 2>&1 || true; }
# figures: printed, and appended to AGENT_MEASURE_FILE when set (the runner shows a passing
# test's output to nobody)
measure() {
	echo "FIGURE: agent: $TEST_NAME $*"
	[ -z "${AGENT_MEASURE_FILE:-}" ] || echo "MEASURE $TEST_NAME $*" >>"$AGENT_MEASURE_FILE"
}
# the agent's resident memory, kB
agent_rss() { awk '/^VmRSS/ {print $2}' "/proc/$AGENT_PID/status"; }

# A ClusterBpfApplication selecting this node: programs in the kernel (new ones), counters
# move with traffic and syscalls, the State says LoadSuccess / Success with link ids.
test_apply_loads_and_reports() {
	agent_setup
	local before t0 t1 ids tp b a
	before=$(kernel_ids prog)
	t0=${EPOCHREALTIME/./}
	apply_app
	wait_for 60 app_loaded
	t1=${EPOCHREALTIME/./}
	wait_for_eq 60 Success state_cond
	measure "apply-to-running-ms=$(( (t1 - t0) / 1000 )) agent-rss-kb=$(agent_rss)"
	assert_eq "$(state_load)" LoadSuccess "appLoadStatus"
	assert_eq "$(state '.status.node')" "$NODE" "status.node"
	[ "$(kernel_new prog "$before")" -ge 2 ] || fail "no new programs in the kernel"
	ids=$(state_ids)
	assert_eq "$(echo "$ids" | tr ' ' '\n' | sort -n | tr '\n' ' ' | sed 's/ $//')" "$(app_progs)" "State programIds"
	for id in $ids; do assert_kernel_prog "$id"; done
	[[ $(state_link_ids) =~ ^[0-9]+\ [0-9]+$ ]] || fail "link ids in the State: '$(state_link_ids)'"
	assert_eq "$(state '.status.programs[0].xdp.links[0].interfaceName')" "$HIF" "interfaceName"
	assert_eq "$(state '.status.programs[0].xdp.links[0].linkStatus')" Attached "linkStatus"
	# labels, owner, finalizer of the State
	assert_eq "$(state '.metadata.finalizers[0]')" bpfman.io.clbpfapplicationcontroller/finalizer "finalizer"
	assert_eq "$(state '.metadata.ownerReferences[0].name')" "$APP" "owner"
	[[ $(state '.metadata.name') == "$APP"-???????? ]] || fail "State name $(state '.metadata.name')"
	# counters move
	tp=$(prog_named tracepoint_counter)
	b=$(counter "$tp" $SLOT_TRACEPOINT)
	trigger getpid 5 >/dev/null
	a=$(counter "$tp" $SLOT_TRACEPOINT)
	[ $((a - b)) -ge 5 ] || fail "tracepoint counter $b -> $a"
	b=$(xdp_count)
	traffic 5
	a=$(xdp_count)
	[ $((a - b)) -ge 5 ] || fail "xdp counter $b -> $a after 5 pings"
}

# Applying the same spec again, and resyncs, change nothing: same link ids, no new write.
test_apply_twice_no_change() {
	agent_setup
	local links count
	apply_app
	wait_for_eq 60 Success state_cond
	links=$(state_link_ids)
	count=$(state '.status.updateCount')
	apply_app
	k annotate clusterbpfapplication "$APP" bpfman-test/touch=1 >/dev/null
	sleep 12 # two resyncs (--resync 5)
	assert_eq "$(state_link_ids)" "$links" "link ids after re-apply and resyncs"
	assert_eq "$(state '.status.updateCount')" "$count" "updateCount (no status write)"
	assert_eq "$(bpfman list links -o json | jq length)" 2 "links in the store"
}

# A priority edit replaces the link (new link id), the programs stay (same ids).
test_priority_edit_replaces_link() {
	agent_setup
	local progs links
	apply_app 50
	wait_for_eq 60 Success state_cond
	progs=$(app_progs)
	links=$(state_link_ids)
	apply_app 60
	wait_for_eq 60 60 state '.status.programs[0].xdp.links[0].priority'
	wait_for_eq 60 Success state_cond
	assert_eq "$(app_progs)" "$progs" "program ids"
	[ "${links%% *}" != "$(state_link_ids | cut -d' ' -f1)" ] || fail "xdp link id unchanged"
	assert_eq "${links##* }" "$(state_link_ids | cut -d' ' -f2)" "tracepoint link id"
	assert_eq "$(bpfman list links -o json | jq '[.[] | select(.program_type == "xdp")] | .[0].priority')" 60 "priority in the store"
}

# The node leaves the selection: unloaded, State NotSelected / Success; back: loaded again.
# The Node's kubernetes.io/hostname label differs from its name here (as on EKS): the agent
# watches its Node by metadata.name, so label changes are still seen (§6).
test_node_label_unselects_and_reselects() {
	agent_setup
	local progs
	k label node "$NODE" kubernetes.io/hostname=host-of-$TEST_ID --overwrite >/dev/null
	APP_NODE_SELECTOR='{matchLabels: {bpfman-test/sel: "yes", bpfman-test/node: "'$TEST_ID'"}}'
	k label node "$NODE" bpfman-test/node=$TEST_ID >/dev/null
	apply_app
	wait_for_eq 60 Success state_cond
	progs=$(app_progs)
	k label node "$NODE" bpfman-test/sel=no --overwrite >/dev/null
	wait_for_eq 60 NotSelected state_load
	assert_eq "$(state_cond)" Success "condition when not selected"
	assert_eq "$(app_progs)" "" "programs after unselect"
	for id in $progs; do eventually_gone "$id"; done
	k label node "$NODE" bpfman-test/sel=yes --overwrite >/dev/null
	wait_for_eq 60 LoadSuccess state_load
	wait_for_eq 60 Success state_cond
	[ -n "$(app_progs)" ] && [ "$(app_progs)" != "$progs" ] || fail "not reloaded (ids $(app_progs), were $progs)"
}

eventually_gone() {
	local i
	for i in $(seq 1 50); do
		kernel_prog_exists "$1" || return 0
		sleep 0.1
	done
	fail "kernel still has program $1 after 5 s"
}

# Deleting the app unloads it, the State loses its finalizer (and the garbage collector
# removes it), nothing is left in the kernel or the store.
test_delete_unloads_and_releases() {
	agent_setup
	local before progs name
	before=$(kernel_ids prog)
	apply_app
	wait_for_eq 60 Success state_cond
	progs=$(app_progs)
	name=$(state '.metadata.name')
	k delete clusterbpfapplication "$APP" --wait=false >/dev/null
	wait_for 60 k_gone clusterbpfapplicationstate "$name"
	for id in $progs; do eventually_gone "$id"; done
	assert_eq "$(bpfman list programs -o json | jq length)" 0 "programs in the store"
	assert_eq "$(bpfman list links -o json | jq length)" 0 "links in the store"
	wait_for_eq 10 0 kernel_new_ours prog "$before"
}

# An interface that does not exist yet: link Pending (NotAttached), attached when it appears
# (netlink event: well before the 60 s resync).
test_interface_created_later() {
	RESYNC=60 agent_setup
	local late="bt${TEST_ID}xlate"
	late=${late:0:15}
	apply_app 50 "{interfaces: [$late]}"
	wait_for_eq 60 Pending state_cond
	assert_eq "$(state '.status.programs[0].xdp.links[0].linkStatus')" NotAttached "pending link"
	assert_eq "$(state '.status.programs[0].programLinkStatus')" Pending "programLinkStatus"
	# passes while it stays pending (an event on the app) do not rewrite the same status
	local count
	count=$(state '.status.updateCount')
	k annotate clusterbpfapplication "$APP" bpfman-test/touch=1 >/dev/null
	sleep 2
	assert_eq "$(state '.status.updateCount')" "$count" "updateCount while pending"
	ip link add "$late" type veth peer name "${late:0:13}p"
	ip link set "$late" up
	wait_for_eq 10 Success state_cond
	assert_eq "$(state '.status.programs[0].xdp.links[0].linkStatus')" Attached "link after the interface appeared"
	assert_eq "$(bpfman list links -o json | jq -r '.[] | select(.program_type == "xdp") | .iface')" "$late" "xdp link interface"
}

# primaryNodeInterface is the host interface holding the Node's InternalIP.
test_primary_node_interface() {
	agent_setup
	apply_app 50 "{primaryNodeInterface: true}"
	wait_for_eq 60 Success state_cond
	assert_eq "$(state '.status.programs[0].xdp.links[0].interfaceName')" "$HIF" "primary interface"
	local b a
	b=$(xdp_count)
	traffic 3
	a=$(xdp_count)
	[ $((a - b)) -ge 3 ] || fail "xdp counter $b -> $a on the primary interface"
}

# SIGKILL mid-apply, restart: converges to exactly the app's programs and links, nothing
# orphaned; after delete nothing is left. Killed at several moments: while loading the new
# app, and while changing its links (priority edits) a few ms after the change is applied.
test_agent_killed_mid_apply() {
	agent_setup
	local before i delay prio=50
	before=$(kernel_ids prog)
	apply_app $prio
	# as soon as anything of the app shows in the store
	for i in $(seq 1 200); do
		[ -n "$(app_progs)" ] && break
		sleep 0.02
	done
	kill -9 "$AGENT_PID"
	wait "$AGENT_PID" 2>/dev/null || true
	for delay in 0.05 0.15 0.3; do
		start_agent
		prio=$((prio + 1))
		apply_app $prio
		sleep "$delay"
		kill -9 "$AGENT_PID"
		wait "$AGENT_PID" 2>/dev/null || true
	done
	start_agent
	wait_for_eq 60 $prio state '.status.programs[0].xdp.links[0].priority'
	wait_for_eq 60 Success state_cond
	assert_eq "$(app_progs | wc -w)" 2 "the app's programs after restart"
	assert_eq "$(bpfman list programs -o json | jq length)" 2 "managed programs"
	assert_eq "$(k get clusterbpfapplicationstates -l "bpfman.io/ownedByProgram=$APP,kubernetes.io/hostname=$NODE" -o name | wc -l)" 1 "State objects"
	assert_eq "$(bpfman list links -o json | jq length)" 2 "links"
	assert_eq "$(bpfman list links -o json | jq '[.[] | select(.program_type == "xdp")] | .[0].priority')" $prio "xdp priority"
	k delete clusterbpfapplication "$APP" --wait=false >/dev/null
	wait_for_eq 60 "" app_progs
	wait_for_eq 10 0 kernel_new_ours prog "$before"
}

# G1: an XdpProgram (the article's shape) -> loaded, a BpfProgram named
# <name>-<node>-<interface> with condition bpfmanLoaded and the ProgramId annotation.
test_g1_xdpprogram() {
	agent_setup
	local name=xdp-$TEST_ID bp id
	k apply -f - >/dev/null <<YAML
apiVersion: bpfman.io/v1alpha1
kind: XdpProgram
metadata:
  name: $name
spec:
  bpffunctionname: xdp_counter
  nodeselector:
    matchLabels: {kubernetes.io/hostname: $NODE}
  interfaceselector:
    primarynodeinterface: true
  priority: 0
  bytecode:
    path: $COUNTERS_OBJ
YAML
	k8s_track xdpprogram "$name"
	bp="$name-$NODE-$HIF"
	bp=${bp//_/-}
	wait_for_eq 60 bpfmanLoaded k get bpfprogram "$bp" -o jsonpath='{.status.conditions[0].reason}'
	assert_eq "$(k get bpfprogram "$bp" -o jsonpath='{.spec.type}')" xdp "spec.type"
	assert_eq "$(k get bpfprogram "$bp" -o jsonpath='{.metadata.labels.bpfman\.io/ownedByProgram}')" "$name" "label"
	assert_eq "$(k get bpfprogram "$bp" -o jsonpath='{.metadata.finalizers[0]}')" bpfman.io.xdpprogramcontroller/finalizer "finalizer"
	id=$(k get bpfprogram "$bp" -o jsonpath='{.metadata.annotations.bpfman\.io/ProgramId}')
	assert_kernel_prog "$id"
	assert_eq "$(bpfman list programs -o json | jq -r ".[] | select(.kernel.id == $id) | .bpfman.metadata[\"bpfman.io/ProgramName\"]")" "$name" "ProgramName metadata"
	k delete xdpprogram "$name" --wait=false >/dev/null
	wait_for 60 k_gone bpfprogram "$bp"
	eventually_gone "$id"
}

# A "pod" without a kubelet: a Pod object bound to NODE, and a process in a cgroup named
# as the kubelet names a pod's (pod<uid>) running in the network namespace NETNS. Sets
# POD_PID. The cgroup and the process go in teardown.
POD_CGROUP_ROOT=/sys/fs/cgroup/pids
make_pod() { # NS NAME LABEL NETNS
	local ns=$1 name=$2 label=$3 netns=$4 uid
	wait_for 30 k get serviceaccount default -n "$ns"
	k apply -f - >/dev/null <<YAML
apiVersion: v1
kind: Pod
metadata: {name: $name, namespace: $ns, labels: {$label}}
spec:
  nodeName: $NODE
  containers: [{name: c, image: busybox}]
YAML
	POD_NAME=$name POD_NS=$ns
	uid=$(k get pod "$name" -n "$ns" -o jsonpath='{.metadata.uid}')
	[ -d "$POD_CGROUP_ROOT" ] || skip "no cgroup v1 pids hierarchy to put a pod's process in"
	POD_CG="$POD_CGROUP_ROOT/bpfman-agent-test-$TEST_ID/kubepods/pod$uid"
	mkdir -p "$POD_CG"
	ip netns exec "$netns" sleep 600 &
	POD_PID=$!
	PIDS_STARTED+=("$POD_PID")
	echo "$POD_PID" >"$POD_CG/cgroup.procs"
}
# teardown, before the usual: the agent stops first (so it recreates nothing), then this
# node's State and BpfProgram objects lose their finalizers and go (the agent makes a State
# for every app it sees, also other tests' apps), then the pod's process and cgroup
wrap_teardown() {
	declare -F agent_orig_teardown >/dev/null && return 0
	eval "agent_orig_teardown() $(declare -f k8s_test_teardown | sed 1d)"
	k8s_test_teardown() {
		local rc=$? d o
		set +e
		[ -z "${AGENT_PID:-}" ] || stop_bg "$AGENT_PID"
		if [ -n "${NODE:-}" ]; then
			for o in $(k get clusterbpfapplicationstates,bpfapplicationstates,bpfprograms -A \
				-l "kubernetes.io/hostname=$NODE" -o jsonpath='{range .items[*]}{.kind}/{.metadata.name}/{.metadata.namespace}{"\n"}{end}' 2>/dev/null); do
				IFS=/ read -r kind name ns <<<"$o"
				k patch "$kind" "$name" ${ns:+-n "$ns"} --type=merge -p '{"metadata":{"finalizers":null}}' >/dev/null 2>&1
				k delete "$kind" "$name" ${ns:+-n "$ns"} --wait=false >/dev/null 2>&1
			done
		fi
		[ -z "${POD_PID:-}" ] || { kill -9 "$POD_PID" 2>/dev/null; wait "$POD_PID" 2>/dev/null; }
		# no kubelet confirms a pod's end: without force its namespace never goes
		[ -z "${POD_NAME:-}" ] || k delete pod "$POD_NAME" -n "$POD_NS" --grace-period=0 --force >/dev/null 2>&1
		if [ -d "$POD_CGROUP_ROOT/bpfman-agent-test-$TEST_ID" ]; then
			for d in $(find "$POD_CGROUP_ROOT/bpfman-agent-test-$TEST_ID" -depth -type d); do
				rmdir "$d" 2>/dev/null
			done
		fi
		! mountpoint -q "$BPFMAN_ROOT/bpffs-test" 2>/dev/null || umount "$BPFMAN_ROOT/bpffs-test"
		(exit $rc)
		agent_orig_teardown
	}
}

# networkNamespaces: the XDP link goes into the selected pod's network namespace
# (/proc/PID/ns/net of its process, found by the pod UID in /proc/PID/cgroup); the counter
# moves with traffic between the test's namespaces; the pod gone -> link gone.
test_pod_network_namespace() {
	agent_setup
	make_veth_pair # NS_A/IF_A 192.0.2.1 <-> NS_B/IF_B 192.0.2.2
	local ns b a
	ns=$(k8s_ns agent)
	make_pod "$ns" web "app: web-$TEST_ID" "$NS_A"
	k apply -f - >/dev/null <<YAML
apiVersion: bpfman.io/v1alpha1
kind: ClusterBpfApplication
metadata:
  name: $APP
spec:
  nodeSelector: {matchLabels: {kubernetes.io/hostname: $NODE}}
  byteCode: {path: $COUNTERS_OBJ}
  programs:
    - name: xdp_counter
      type: XDP
      xdp:
        links:
          - interfaceSelector: {interfaces: [$IF_A]}
            networkNamespaces: {namespace: $ns, pods: {matchLabels: {app: web-$TEST_ID}}}
            priority: 20
    - name: tracepoint_counter
      type: TracePoint
      tracepoint: {links: [{name: syscalls/sys_enter_getpid}]}
YAML
	k8s_track clusterbpfapplication "$APP"
	wait_for_eq 60 Success state_cond
	assert_eq "$(state '.status.programs[0].xdp.links[0].netnsPath')" "/proc/$POD_PID/ns/net" "netnsPath"
	assert_eq "$(ip -n "$NS_A" -j link show "$IF_A" | jq -r '.[0].xdp.prog.id // empty' | grep -c .)" 1 "XDP on IF_A in the pod's netns"
	b=$(xdp_count)
	ip netns exec "$NS_B" ping -c 5 -i 0.2 -W 1 -q 192.0.2.1 >/dev/null 2>&1 || true
	a=$(xdp_count)
	[ $((a - b)) -ge 5 ] || fail "xdp counter $b -> $a after 5 pings into the pod's netns"
	# the pod goes: its link goes
	k delete pod web -n "$ns" --grace-period=0 --force >/dev/null 2>&1
	wait_for_eq 30 "" state '.status.programs[0].xdp.links[*].linkId'
	assert_eq "$(bpfman list links -o json | jq '[.[] | select(.program_type == "xdp")] | length')" 0 "xdp links after the pod left"
}

# uprobe `containers`: one link per matched container, its containerPid the container's
# process (found by the container id of status.containerStatuses in /proc/PID/cgroup); the
# probe counts calls; a container that is not listed in containerNames gets no link.
test_uprobe_containers() {
	require_feature uprobe
	agent_setup
	local ns cid other before after
	ns=$(k8s_ns agent)
	make_pod "$ns" web "app: web-$TEST_ID" "$NS_P"
	cid=$(printf '%064x' "$((TEST_ID * 7919 + RANDOM))")
	other=$(printf '%064x' "$((TEST_ID * 104729 + RANDOM))")
	mkdir -p "$POD_CG/$cid"
	echo "$POD_PID" >"$POD_CG/$cid/cgroup.procs"
	k patch pod web -n "$ns" --subresource=status --type=merge -p '{"status":{"phase":"Running","containerStatuses":[
		{"name":"c","containerID":"containerd://'"$cid"'","image":"busybox","imageID":"","ready":true,"restartCount":0},
		{"name":"sidecar","containerID":"containerd://'"$other"'","image":"busybox","imageID":"","ready":true,"restartCount":0}]}}' >/dev/null
	k apply -f - >/dev/null <<YAML
apiVersion: bpfman.io/v1alpha1
kind: ClusterBpfApplication
metadata:
  name: $APP
spec:
  nodeSelector: {matchLabels: {kubernetes.io/hostname: $NODE}}
  byteCode: {path: $COUNTERS_OBJ}
  programs:
    - name: uprobe_counter
      type: UProbe
      uprobe:
        links:
          - target: $TESTS_HELPERS/trigger
            function: bpfman_test_target
            containers: {namespace: $ns, pods: {matchLabels: {app: web-$TEST_ID}}, containerNames: [c, sidecar]}
YAML
	k8s_track clusterbpfapplication "$APP"
	wait_for_eq 60 Success state_cond
	# the sidecar has no process on this node: one link, the container's
	assert_eq "$(state '.status.programs[0].uprobe.links[*].containerPid')" "$POD_PID" "containerPid"
	assert_eq "$(bpfman list links -o json | jq '[.[] | select(.program_type == "uprobe")] | length')" 1 "uprobe links"
	before=$(counter "$(prog_named uprobe_counter)" $SLOT_UPROBE)
	trigger func 10
	after=$(counter "$(prog_named uprobe_counter)" $SLOT_UPROBE)
	[ $((after - before)) -ge 10 ] || fail "uprobe counter $before -> $after after 10 calls"
}

# A namespaced BpfApplication: its pods only from its own namespace, its State in that
# namespace with the namespace label (two same-named apps of two namespaces stay apart,
# operator #539), and the library's application id names the namespace.
test_namespaced_bpfapplication() {
	agent_setup
	make_veth_pair
	local ns ns2 st
	ns=$(k8s_ns agent)
	ns2=$(k8s_ns other)
	make_pod "$ns" web "app: web-$TEST_ID" "$NS_A"
	for n in "$ns" "$ns2"; do
		k apply -f - >/dev/null <<YAML
apiVersion: bpfman.io/v1alpha1
kind: BpfApplication
metadata: {name: $APP, namespace: $n}
spec:
  nodeSelector: {matchLabels: {kubernetes.io/hostname: $NODE}}
  byteCode: {path: $COUNTERS_OBJ}
  programs:
    - name: xdp_counter
      type: XDP
      xdp:
        links:
          - interfaceSelector: {interfaces: [$IF_A]}
            networkNamespaces: {pods: {matchLabels: {app: web-$TEST_ID}}}
            priority: 30
YAML
	done
	nstate() { k get bpfapplicationstates -n "$1" -l "bpfman.io/ownedByProgram=$APP,kubernetes.io/hostname=$NODE" -o jsonpath="{.items[*]$2}"; }
	wait_for_eq 60 Success nstate "$ns" '.status.conditions[0].type'
	assert_eq "$(nstate "$ns" '.metadata.labels.bpfman\.io/appNamespace')" "$ns" "namespace label"
	assert_eq "$(nstate "$ns" '.status.programs[0].xdp.links[0].netnsPath')" "/proc/$POD_PID/ns/net" "netnsPath"
	# the other namespace has no matching pod: loaded, no links, its own State
	wait_for_eq 60 Success nstate "$ns2" '.status.conditions[0].type'
	assert_eq "$(nstate "$ns2" '.status.programs[0].xdp.links[*].linkId')" "" "links of the app without pods"
	assert_eq "$(bpfman list programs -o json | jq -r '[.[].bpfman.metadata["bpfman.io/application-id"]] | sort | join(",")')" \
		"$(printf 'BpfApplication/%s/%s\n' "$ns" "$APP" "$ns2" "$APP" | sort | paste -sd,)" "application ids"
	assert_eq "$(bpfman list links -o json | jq length)" 1 "links"
}

# SIGTERM: the agent exits 0 promptly, the programs stay (the kernel keeps them); a new
# agent takes over without reloading or re-attaching anything.
test_sigterm_keeps_programs() {
	agent_setup
	local progs links rc=0 i
	apply_app
	wait_for_eq 60 Success state_cond
	progs=$(app_progs)
	links=$(state_link_ids)
	kill -TERM "$AGENT_PID"
	for i in $(seq 1 30); do kill -0 "$AGENT_PID" 2>/dev/null || break; sleep 0.1; done
	! kill -0 "$AGENT_PID" 2>/dev/null || fail "agent still running 3 s after SIGTERM"
	wait "$AGENT_PID" || rc=$?
	assert_eq "$rc" 0 "exit status after SIGTERM"
	assert_eq "$(app_progs)" "$progs" "programs after the agent stopped"
	for id in $progs; do assert_kernel_prog "$id"; done
	start_agent
	sleep 3
	wait_for_eq 30 Success state_cond
	assert_eq "$(app_progs)" "$progs" "program ids after restart"
	assert_eq "$(state_link_ids)" "$links" "link ids after restart"
	! grep -qE ': (load|attach|detach|unload) ' "$(bg_log agent)" || fail "the new agent changed something: $(cat "$(bg_log agent)")"
}

# Flags: --mount-bpffs mounts a bpffs only where none is (operator #477), --version, a
# missing node name is exit 2, the health probe answers /healthz and /readyz.
test_flags_bpffs_health() {
	[ -x "$AGENT" ] || skip "no bpfman-agent binary at $AGENT"
	local d="$BPFMAN_ROOT/bpffs-test" rc=0 port
	mkdir -p "$d"
	wrap_teardown
	"$AGENT" --mount-bpffs --mount-bpffs-path "$d"
	assert_eq "$(awk -v p="$d" '$5 == p' /proc/self/mountinfo | grep -c ' - bpf ')" 1 "bpffs mounted"
	"$AGENT" --mount-bpffs --mount-bpffs-path "$d"
	assert_eq "$(awk -v p="$d" '$5 == p' /proc/self/mountinfo | wc -l)" 1 "mounts at the path after a second run"
	umount "$d"
	"$AGENT" --version | grep_all '^bpfman-agent ' || fail "--version"
	env -u KUBE_NODE_NAME "$AGENT" --kubeconfig "$KUBECONFIG" >/dev/null 2>&1 || rc=$?
	assert_eq "$rc" 2 "exit status without a node name"
	install_crds
	NODE=agent-node-$TEST_ID
	create_node_object "$NODE"
	port=$((20000 + TEST_ID % 5000))
	start_bg agent "$AGENT" --kubeconfig "$KUBECONFIG" --node "$NODE" --root "$BPFMAN_ROOT" \
		--health-probe-bind-address "127.0.0.1:$port"
	AGENT_PID=$BG_PID
	wait_for 20 curl -fsS "http://127.0.0.1:$port/healthz"
	wait_for 20 curl -fsS "http://127.0.0.1:$port/readyz"
	assert_eq "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$port/nothing")" 404 "unknown path"
}

# G1 TracepointProgram with two names: one BpfProgram per tracepoint, named with `/` and `_`
# turned into `-`, both Loaded with the same program id; counters move.
test_g1_tracepointprogram() {
	agent_setup
	local name=tp-$TEST_ID bp1 bp2 id b a
	k apply -f - >/dev/null <<YAML
apiVersion: bpfman.io/v1alpha1
kind: TracepointProgram
metadata:
  name: $name
spec:
  bpffunctionname: tracepoint_counter
  nodeselector: {}
  names: [syscalls/sys_enter_getpid, syscalls/sys_enter_getppid]
  bytecode:
    path: $COUNTERS_OBJ
YAML
	k8s_track tracepointprogram "$name"
	bp1="$name-$NODE-syscalls-sys-enter-getpid"
	bp2="$name-$NODE-syscalls-sys-enter-getppid"
	wait_for_eq 60 bpfmanLoaded k get bpfprogram "$bp1" -o jsonpath='{.status.conditions[0].reason}'
	wait_for_eq 60 bpfmanLoaded k get bpfprogram "$bp2" -o jsonpath='{.status.conditions[0].reason}'
	assert_eq "$(k get bpfprogram "$bp2" -o jsonpath='{.metadata.annotations.bpfman\.io\.tracepointprogramcontroller/tracepoint}')" syscalls/sys_enter_getppid "attach annotation"
	id=$(k get bpfprogram "$bp1" -o jsonpath='{.metadata.annotations.bpfman\.io/ProgramId}')
	assert_eq "$(k get bpfprogram "$bp2" -o jsonpath='{.metadata.annotations.bpfman\.io/ProgramId}')" "$id" "one program"
	b=$(counter "$id" $SLOT_TRACEPOINT)
	trigger getpid 3 >/dev/null
	a=$(counter "$id" $SLOT_TRACEPOINT)
	[ $((a - b)) -ge 3 ] || fail "tracepoint counter $b -> $a"
	# one name less: its BpfProgram goes, its link too
	k patch tracepointprogram "$name" --type=merge -p '{"spec":{"names":["syscalls/sys_enter_getpid"]}}' >/dev/null
	wait_for 30 k_gone bpfprogram "$bp2"
	assert_eq "$(bpfman list links -o json | jq length)" 1 "links"
	k delete tracepointprogram "$name" --wait=false >/dev/null
	wait_for 60 k_gone bpfprogram "$bp1"
	eventually_gone "$id"
}

# The API server goes away while the kernel changes (an interface appears: the link
# attaches, the status write fails) and comes back: the agent retries with backoff (well
# before its 60 s resync), its watches resume (relist after 410), later edits still apply.
test_apiserver_restart() {
	RESYNC=60 agent_setup
	local late="bt${TEST_ID}xlate"
	late=${late:0:15}
	apply_app 50 "{interfaces: [$late]}"
	wait_for_eq 60 Pending state_cond
	k8s_stop_apiserver
	ip link add "$late" type veth peer name "${late:0:13}p"
	ip link set "$late" up
	sleep 3
	assert_eq "$(bpfman list links -o json | jq -r '.[] | select(.program_type == "xdp") | .iface')" "$late" "attached while the API server was down"
	k8s_start_apiserver
	wait_for_eq 40 Success state_cond
	apply_app 70 "{interfaces: [$late]}"
	wait_for_eq 30 70 state '.status.programs[0].xdp.links[0].priority'
	wait_for_eq 30 Success state_cond
	kill -0 "$AGENT_PID" || fail "the agent died"
}

# byteCode.image of an image the registry does not have yet: LoadError / Error naming it,
# nothing loaded; once pushed, the next pass (resync) loads and attaches it.
test_image_missing_then_pushed() {
	command -v docker-registry >/dev/null || skip "docker-registry is not installed (scripts/install-deps.sh test)"
	command -v skopeo >/dev/null || skip "skopeo is not installed (scripts/install-deps.sh test)"
	agent_setup
	start_registry
	local dir
	k apply -f - >/dev/null <<YAML
apiVersion: bpfman.io/v1alpha1
kind: ClusterBpfApplication
metadata: {name: $APP}
spec:
  nodeSelector: {matchLabels: {kubernetes.io/hostname: $NODE}}
  byteCode: {image: {url: $REG/ebpf/agent-counters:v1, imagePullPolicy: Always}}
  programs:
    - name: xdp_counter
      type: XDP
      xdp: {links: [{interfaceSelector: {interfaces: [$HIF]}, priority: 40}]}
    - name: tracepoint_counter
      type: TracePoint
      tracepoint: {links: [{name: syscalls/sys_enter_getpid}]}
YAML
	k8s_track clusterbpfapplication "$APP"
	wait_for_eq 60 LoadError state_load
	assert_eq "$(state_cond)" Error "condition"
	assert_contains "$(state '.status.conditions[0].message')" "agent-counters" "message names the image"
	assert_eq "$(bpfman list programs -o json | jq length)" 0 "programs while the image is missing"
	dir=$(mktemp -d "$TEST_TMP/oci-$TEST_ID.XXXXXX")
	/usr/bin/python3 "$AGENT_IT_DIR/../helpers/make-oci-image.py" --out "$dir" --tag t --object "$COUNTERS_OBJ" \
		--programs '{"xdp_counter":"xdp","tracepoint_counter":"tracepoint"}' >/dev/null
	skopeo copy -q --all --dest-tls-verify=false "oci:$dir:t" "docker://$REG/ebpf/agent-counters:v1"
	rm -rf "${dir:?}"
	wait_for_eq 30 Success state_cond
	assert_eq "$(state_load)" LoadSuccess "appLoadStatus"
	assert_eq "$(app_progs | wc -w)" 2 "programs from the image"
}

# Ten applications applied at once: all loaded and reported in a few passes (statuses are
# written in the pass that applied them, not one app per pass); deleted at once: all gone.
test_many_apps_batch() {
	agent_setup
	local i t0 t1 n=10 before
	before=$(kernel_ids prog)
	for i in $(seq 1 $n); do
		cat <<YAML
---
apiVersion: bpfman.io/v1alpha1
kind: ClusterBpfApplication
metadata: {name: $APP-$i}
spec:
  nodeSelector: {matchLabels: {kubernetes.io/hostname: $NODE}}
  byteCode: {path: $COUNTERS_OBJ}
  programs:
    - name: tracepoint_counter
      type: TracePoint
      tracepoint: {links: [{name: syscalls/sys_enter_getpid}]}
YAML
	done >"$TEST_TMP/many-$TEST_ID.yaml"
	for i in $(seq 1 $n); do k8s_track clusterbpfapplication "$APP-$i"; done
	t0=${EPOCHREALTIME/./}
	k apply -f "$TEST_TMP/many-$TEST_ID.yaml" >/dev/null
	many_success() {
		k get clusterbpfapplicationstates -l "kubernetes.io/hostname=$NODE" \
			-o jsonpath='{range .items[*]}{.status.conditions[0].type}{"\n"}{end}' | grep -c '^Success$' || true
	}
	wait_for_eq 60 $n many_success
	t1=${EPOCHREALTIME/./}
	measure "apps=$n apply-to-all-reported-ms=$(( (t1 - t0) / 1000 )) agent-rss-kb=$(agent_rss)"
	assert_eq "$(bpfman list programs -o json | jq length)" $n "programs"
	k delete -f "$TEST_TMP/many-$TEST_ID.yaml" --wait=false >/dev/null
	wait_for_eq 60 0 bpfman_count
	wait_for_eq 30 "" k get clusterbpfapplicationstates -l "kubernetes.io/hostname=$NODE" -o name
	wait_for_eq 10 0 kernel_new_ours prog "$before"
}
bpfman_count() { bpfman list programs -o json | jq length; }

# byteCode.image from a registry that wants credentials: without a Secret the pull is
# refused (LoadError naming it); with a kubernetes.io/dockerconfigjson Secret (own namespace
# of a namespaced app) the agent pulls with its credentials and the app loads.
test_image_pull_secret() {
	command -v docker-registry >/dev/null || skip "docker-registry is not installed (scripts/install-deps.sh test)"
	command -v skopeo >/dev/null || skip "skopeo is not installed (scripts/install-deps.sh test)"
	agent_setup
	make_veth_pair
	start_registry --htpasswd agent:s3cret
	local ns dir cfg
	ns=$(k8s_ns agent)
	make_pod "$ns" web "app: web-$TEST_ID" "$NS_A"
	dir=$(mktemp -d "$TEST_TMP/oci-$TEST_ID.XXXXXX")
	/usr/bin/python3 "$AGENT_IT_DIR/../helpers/make-oci-image.py" --out "$dir" --tag t --object "$COUNTERS_OBJ" \
		--programs '{"xdp_counter":"xdp"}' >/dev/null
	skopeo copy -q --all --dest-tls-verify=false --dest-creds agent:s3cret "oci:$dir:t" "docker://$REG/ebpf/private:v1"
	rm -rf "${dir:?}"
	app_with_secret() { # SECRET-NAME (empty: none)
		k apply -f - >/dev/null <<YAML
apiVersion: bpfman.io/v1alpha1
kind: BpfApplication
metadata: {name: $APP, namespace: $ns}
spec:
  nodeSelector: {matchLabels: {kubernetes.io/hostname: $NODE}}
  byteCode:
    image:
      url: $REG/ebpf/private:v1
${1:+      imagePullSecret: {name: $1, namespace: $ns\}}
  programs:
    - name: xdp_counter
      type: XDP
      xdp:
        links:
          - interfaceSelector: {interfaces: [$IF_A]}
            networkNamespaces: {pods: {matchLabels: {app: web-$TEST_ID}}}
YAML
	}
	nstate() { k get bpfapplicationstates -n "$ns" -l "bpfman.io/ownedByProgram=$APP,kubernetes.io/hostname=$NODE" -o jsonpath="{.items[*]$1}"; }
	app_with_secret ""
	wait_for_eq 60 LoadError nstate '.status.appLoadStatus'
	assert_eq "$(bpfman list programs -o json | jq length)" 0 "programs without credentials"
	cfg=$(printf '{"auths":{"%s":{"auth":"%s"}}}' "$REG" "$(printf agent:s3cret | base64)")
	k create secret generic regcred -n "$ns" --type=kubernetes.io/dockerconfigjson \
		--from-literal=.dockerconfigjson="$cfg" >/dev/null
	app_with_secret regcred
	wait_for_eq 60 Success nstate '.status.conditions[0].type'
	assert_eq "$(nstate '.status.appLoadStatus')" LoadSuccess "appLoadStatus with the Secret"
	assert_eq "$(bpfman list programs -o json | jq length)" 1 "programs with the Secret"
}
