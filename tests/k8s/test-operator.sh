# bpfman-operator against a real control plane (no kubelet, no agent): the test plays the
# agent by writing State / BpfProgram objects with kubectl (labels, owner, finalizer,
# conditions) on Node objects made through the API, and checks what the operator writes:
# application conditions (bpfman-k8s.md 1.5, 2, 4.3, operator #542 and #539), finalizers,
# and what the Config bpfman-config deploys (4.1, 4.2, 5.1): bootstrap, drift put back,
# unmanaged overrides, cleanup on deletion. Sourced by tests/k8s/run.sh.

OPERATOR=${OPERATOR:-$TOP/build/src/operator/bpfman-operator}
AGENT_FIN_CL=bpfman.io.clbpfapplicationcontroller/finalizer
AGENT_FIN_NS=bpfman.io.nsbpfapplicationcontroller/finalizer
AGENT_FIN_XDP=bpfman.io.xdpprogramcontroller/finalizer
OP_FIN=bpfman.io.operator/finalizer

# The CRDs (dist/k8s/crds), once per cluster; server-side apply is idempotent.
op_crds() {
	k apply --server-side --force-conflicts -f "$TOP/dist/k8s/crds/" >/dev/null ||
		fail "applying the CRDs"
	k wait --for=condition=Established --timeout=60s crd --all >/dev/null || fail "CRDs not established"
}

# op_start NAMESPACE [ARGS...]: the operator as a host process of this test; its bootstrap
# Config deploys into NAMESPACE (a namespace of this test, so teardown removes it all).
op_start() {
	local ns=$1
	shift
	[ -x "$OPERATOR" ] || fail "$OPERATOR is not built"
	op_crds
	k8s_track config bpfman-config
	k8s_track csidriver csi.bpfman.io
	k8s_track clusterrole bpfman-agent-role
	k8s_track clusterrolebinding bpfman-agent-rolebinding
	BPFMAN_IMG=example.com/bpfman:test BPFMAN_AGENT_IMG=example.com/bpfman-agent:test \
		start_bg operator "$OPERATOR" --kubeconfig "$KUBECONFIG" --namespace "$ns" --resync 30 --log-level debug "$@"
	OP_PID=$BG_PID
	wait_for 30 k get config bpfman-config -o name
}

# cond KIND NAME [NS]: "type reason" of the object's (only) condition, "n=COUNT" when there
# is not exactly one
cond() {
	k get "$1" "$2" ${3:+-n "$3"} -o json | jq -r '.status.conditions // [] |
		if length == 1 then "\(.[0].type) \(.[0].reason)" else "n=\(length)" end'
}
cond_msg() {
	k get "$1" "$2" ${3:+-n "$3"} -o jsonpath='{.status.conditions[0].message}'
}
msg_has() { # KIND NAME NEEDLE [NS]
	case $(cond_msg "$1" "$2" "${4:-}") in *"$3"*) return 0 ;; esac
	return 1
}
has_fin() { # KIND NAME FINALIZER [NS]
	k get "$1" "$2" ${4:+-n "$4"} -o json | jq -e --arg f "$3" '.metadata.finalizers // [] | index($f) != null' >/dev/null
}

# A ClusterBpfApplication / BpfApplication / XdpProgram the agent would act on (never runs here).
make_app() { # KIND NAME [NS]
	local kind=$1 name=$2 ns=${3:-} nsfield="" netns=""
	if [ -n "$ns" ]; then
		nsfield=", \"namespace\": \"$ns\""
		netns=", \"networkNamespaces\": {\"pods\": {}}"
	fi
	case $kind in
	XdpProgram)
		k create -f - >/dev/null <<JSON || fail "creating $kind $name"
{"apiVersion": "bpfman.io/v1alpha1", "kind": "XdpProgram", "metadata": {"name": "$name"},
 "spec": {"bpffunctionname": "xdp_pass", "nodeselector": {}, "priority": 50,
  "interfaceselector": {"interfaces": ["eth0"]}, "bytecode": {"path": "/opt/xdp.o"}}}
JSON
		;;
	*)
		k create -f - >/dev/null <<JSON || fail "creating $kind $name"
{"apiVersion": "bpfman.io/v1alpha1", "kind": "$kind", "metadata": {"name": "$name"$nsfield},
 "spec": {"nodeSelector": {}, "byteCode": {"path": "/opt/xdp.o"},
  "programs": [{"name": "xdp_pass", "type": "XDP", "xdp": {"links": [{"interfaceSelector": {"interfaces": ["eth0"]},
   "priority": 50$netns}]}}]}}
JSON
		;;
	esac
	[ -n "$ns" ] || k8s_track "$kind" "$name"
}

# make_state KIND NAME APP_KIND APP NODE FINALIZER [NS]: what an agent creates (labels, owner,
# finalizer); no status yet
make_state() {
	local kind=$1 name=$2 akind=$3 app=$4 node=$5 fin=$6 ns=${7:-} uid nsfield="" spec=""
	[ -z "$ns" ] || nsfield=", \"namespace\": \"$ns\""
	[ "$kind" != BpfProgram ] || spec=', "spec": {"type": "xdp"}'
	uid=$(k get "$akind" "$app" ${ns:+-n "$ns"} -o jsonpath='{.metadata.uid}')
	[ -n "$uid" ] || fail "no uid for $akind $app"
	k create -f - >/dev/null <<JSON || fail "creating $kind $name"
{"apiVersion": "bpfman.io/v1alpha1", "kind": "$kind",
 "metadata": {"name": "$name"$nsfield,
  "labels": {"bpfman.io/ownedByProgram": "$app", "kubernetes.io/hostname": "$node"},
  "finalizers": ["$fin"],
  "ownerReferences": [{"apiVersion": "bpfman.io/v1alpha1", "kind": "$akind", "name": "$app", "uid": "$uid",
   "controller": true, "blockOwnerDeletion": true}]}$spec}
JSON
	[ -n "$ns" ] || k8s_track "$kind" "$name"
}

# set_state KIND NAME CONDITION [NS]: the agent's status write (one condition)
set_state() {
	local kind=$1 name=$2 c=$3 ns=${4:-} now node status
	now=$(date -u +%Y-%m-%dT%H:%M:%SZ)
	node=$(k get "$kind" "$name" ${ns:+-n "$ns"} -o jsonpath='{.metadata.labels.kubernetes\.io/hostname}')
	if [ "$kind" = BpfProgram ]; then
		status="{\"conditions\": [{\"type\": \"$c\", \"status\": \"True\", \"reason\": \"$c\", \"message\": \"test\", \"lastTransitionTime\": \"$now\"}]}"
	else
		status="{\"node\": \"$node\", \"appLoadStatus\": \"LoadSuccess\", \"updateCount\": 1,
		  \"conditions\": [{\"type\": \"$c\", \"status\": \"True\", \"reason\": \"$c\", \"message\": \"test\", \"lastTransitionTime\": \"$now\"}]}"
	fi
	k patch "$kind" "$name" ${ns:+-n "$ns"} --subresource=status --type=merge -p "{\"status\": $status}" >/dev/null ||
		fail "status of $kind $name"
}

release() { # KIND NAME [NS]: the agent unloaded and drops its finalizer
	k patch "$1" "$2" ${3:+-n "$3"} --type=json -p '[{"op": "remove", "path": "/metadata/finalizers"}]' >/dev/null ||
		fail "releasing $1 $2"
}

# ms_until SECONDS EXPECTED COMMAND...: like wait_for_eq, prints the milliseconds it took
ms_until() {
	local t0=${EPOCHREALTIME/./}
	wait_for_eq "$@" >&2
	echo $(((${EPOCHREALTIME/./} - t0) / 1000))
}

# figure TEXT: a measured figure, in the test's output and, with OPERATOR_FIGURES=FILE, in FILE
figure() {
	echo "FIGURE: operator: $*"
	[ -z "${OPERATOR_FIGURES:-}" ] || echo "$*" >>"$OPERATOR_FIGURES"
}

# now_ms: milliseconds since midnight UTC (the operator's log lines carry HH:MM:SS.mmm UTC)
now_ms() { echo $(((${EPOCHREALTIME/./} / 1000) % 86400000)); }

# log_ms PATTERN: the time (ms since midnight UTC) of the operator's last log line matching PATTERN
log_ms() {
	grep -- "$1" "$(bg_log operator)" | tail -n1 |
		awk '{split($1, t, /[:.]/); print ((t[1] * 60 + t[2]) * 60 + t[3]) * 1000 + t[4]}'
}

rss_kb() { awk '/^VmRSS/ {print $2}' "/proc/$1/status"; }

test_operator_flags() {
	local out rc=0
	out=$("$OPERATOR" --version) || fail "--version"
	assert_contains "$out" "bpfman-operator" "--version"
	"$OPERATOR" --help | grep_all -- --health-probe-bind-address || fail "--help does not list the flags"
	out=$(env -u BPFMAN_IMG -u BPFMAN_AGENT_IMG "$OPERATOR" default-config 2>&1) || rc=$?
	assert_eq "$rc" 2 "default-config without BPFMAN_IMG/BPFMAN_AGENT_IMG"
	assert_contains "$out" BPFMAN_IMG "the error names the variables"
	out=$(BPFMAN_IMG=d:1 BPFMAN_AGENT_IMG=a:1 "$OPERATOR" --namespace ops default-config) || fail "default-config"
	assert_eq "$(jq -r '[.kind, .metadata.name, .spec.namespace, .spec.daemon.image, .spec.agent.image] | join(" ")' <<<"$out")" \
		"Config bpfman-config ops d:1 a:1" "default-config fields"
	assert_contains "$(jq -r .spec.configuration <<<"$out")" "max_retries = 30" "default TOML"
	# the printed Config is one the API server accepts as it is
	op_crds
	k create --dry-run=server -f - >/dev/null <<<"$out" || fail "the API server rejects default-config's output"
	rc=0
	"$OPERATOR" --bogus >/dev/null 2>&1 || rc=$?
	assert_eq "$rc" 2 "unknown flag"
	# the static manifests of dist/k8s/deploy are valid for the API server
	k apply --dry-run=client --validate=strict -f "$TOP/dist/k8s/deploy/" >/dev/null || fail "dist/k8s/deploy rejected by the schema"
}

# Roll-up of a ClusterBpfApplication: Pending while a node running the agent has no state,
# Success, Error with the names, Pending with the names, and the delete sequence. n3 runs no
# agent (tainted away from the DaemonSet, no state): it must not keep the app Pending (#542).
test_operator_cluster_app() {
	local ns app=cba-$TEST_ID other=oth-$TEST_ID n1=n1-$TEST_ID n2=n2-$TEST_ID n3=n3-$TEST_ID ms rss t0
	ns=$(k8s_ns op)
	create_node_object "$n1"
	create_node_object "$n2"
	create_node_object "$n3"
	k taint node "$n3" bpfman-test/no-agent=true:NoSchedule >/dev/null
	op_start "$ns"
	# the agent on n2 has reported for another app: n2 runs the agent
	make_app ClusterBpfApplication "$other"
	make_state ClusterBpfApplicationState "$other-$n2" ClusterBpfApplication "$other" "$n2" "$AGENT_FIN_CL"
	set_state ClusterBpfApplicationState "$other-$n2" Success

	make_app ClusterBpfApplication "$app"
	wait_for 20 has_fin clusterbpfapplication "$app" "$OP_FIN"
	wait_for_eq 20 "Pending Pending" cond clusterbpfapplication "$app"
	make_state ClusterBpfApplicationState "$app-$n1" ClusterBpfApplication "$app" "$n1" "$AGENT_FIN_CL"
	set_state ClusterBpfApplicationState "$app-$n1" Success
	wait_for 20 msg_has clusterbpfapplication "$app" "no state yet from nodes: [$n2]"
	assert_eq "$(cond clusterbpfapplication "$app")" "Pending Pending" "n2 runs the agent and has no state"

	make_state ClusterBpfApplicationState "$app-$n2" ClusterBpfApplication "$app" "$n2" "$AGENT_FIN_CL"
	set_state ClusterBpfApplicationState "$app-$n2" Success
	t0=$(now_ms)
	ms=$(ms_until 20 "Success Success" cond clusterbpfapplication "$app")
	figure "state Success -> app condition Success: $(($(log_ms "$app: Success:") - t0)) ms after the State's status write returned (operator log), ${ms} ms seen by kubectl polling"
	assert_eq "$(cond_msg clusterbpfapplication "$app")" "BPF application configuration successfully applied on all nodes" "message"
	case $(cond_msg clusterbpfapplication "$app") in *"$n3"*) fail "n3 (no agent) named" ;; esac

	set_state ClusterBpfApplicationState "$app-$n1" Error
	t0=$(now_ms)
	ms=$(ms_until 20 "Error Error" cond clusterbpfapplication "$app")
	figure "state Error -> app condition Error: $(($(log_ms "$app: Error:") - t0)) ms (operator log), ${ms} ms by kubectl polling"
	assert_eq "$(cond_msg clusterbpfapplication "$app")" \
		"BpfApplication Reconciliation failed on the following BpfApplicationState objects: [$app-$n1]" "Error message"
	set_state ClusterBpfApplicationState "$app-$n1" Success
	set_state ClusterBpfApplicationState "$app-$n2" Pending
	wait_for_eq 20 "Pending Pending" cond clusterbpfapplication "$app"
	assert_contains "$(cond_msg clusterbpfapplication "$app")" "pending on the following BpfApplicationState objects: [$app-$n2]" "Pending names"
	set_state ClusterBpfApplicationState "$app-$n2" Success
	wait_for_eq 20 "Success Success" cond clusterbpfapplication "$app"

	# deletion: held by both states, then by one (the message follows), then released
	k delete clusterbpfapplication "$app" --wait=false >/dev/null
	wait_for_eq 20 "DeleteError DeleteError" cond clusterbpfapplication "$app"
	assert_contains "$(cond_msg clusterbpfapplication "$app")" "[$app-$n1 $app-$n2]" "DeleteError names both"
	release ClusterBpfApplicationState "$app-$n1"
	wait_for_eq 20 "Program Deletion failed on the following BpfApplicationState objects: [$app-$n2]" \
		cond_msg clusterbpfapplication "$app"
	has_fin clusterbpfapplication "$app" "$OP_FIN" || fail "operator finalizer gone while a state holds its own"
	release ClusterBpfApplicationState "$app-$n2"
	wait_for 20 k_gone clusterbpfapplication "$app"
	# the garbage collector removes the states through their ownerReferences
	wait_for 60 k_gone clusterbpfapplicationstate "$app-$n1"
	wait_for 60 k_gone clusterbpfapplicationstate "$app-$n2"

	rss=$(rss_kb "$OP_PID")
	figure "RSS ${rss} kB after the test, $(awk '/^RssAnon/ {print $2}' "/proc/$OP_PID/status") kB of it anonymous (22 informers, 3 nodes, 2 apps)"
	# SIGTERM stops it cleanly and promptly
	kill -TERM "$OP_PID"
	wait_for 5 bash -c "! kill -0 $OP_PID 2>/dev/null"
	wait "$OP_PID"
	assert_eq "$?" 0 "exit status after SIGTERM"
	grep -q 'signal 15: stopping' "$(bg_log operator)" || fail "no clean stop in the log"
}

# Namespaced BpfApplications: two of the same name in two namespaces (#539) roll up apart.
test_operator_namespaced_app() {
	local ns ns1 ns2 n1=n1-$TEST_ID
	ns=$(k8s_ns op)
	ns1=$(k8s_ns a)
	ns2=$(k8s_ns b)
	create_node_object "$n1"
	op_start "$ns"
	make_app BpfApplication same "$ns1"
	make_app BpfApplication same "$ns2"
	make_state BpfApplicationState same-1 BpfApplication same "$n1" "$AGENT_FIN_NS" "$ns1"
	make_state BpfApplicationState same-2 BpfApplication same "$n1" "$AGENT_FIN_NS" "$ns2"
	set_state BpfApplicationState same-1 Error "$ns1"
	set_state BpfApplicationState same-2 Success "$ns2"
	wait_for_eq 20 "Error Error" cond bpfapplication same "$ns1"
	wait_for_eq 20 "Success Success" cond bpfapplication same "$ns2"
	assert_contains "$(cond_msg bpfapplication same "$ns1")" "[same-1]" "only ns1's state named"
	has_fin bpfapplication same "$OP_FIN" "$ns2" || fail "no operator finalizer on the namespaced app"
	k delete bpfapplication same -n "$ns2" --wait=false >/dev/null
	wait_for_eq 20 "DeleteError DeleteError" cond bpfapplication same "$ns2"
	release BpfApplicationState same-2 "$ns2"
	wait_for 20 k_gone bpfapplication same -n "$ns2"
	assert_eq "$(cond bpfapplication same "$ns1")" "Error Error" "ns1's app untouched"
}

# G1: an XdpProgram over BpfProgram objects (bpfman-k8s.md 2).
test_operator_g1_program() {
	local ns p=xdp-$TEST_ID n1=n1-$TEST_ID n2=n2-$TEST_ID
	ns=$(k8s_ns op)
	create_node_object "$n1"
	create_node_object "$n2"
	# no DaemonSet pod on n1: only its BpfProgram, when it comes, says an agent runs there
	k taint node "$n1" bpfman-test/no-agent=true:NoSchedule >/dev/null
	op_start "$ns"
	make_app XdpProgram "$p"
	make_state BpfProgram "$p-$n2-eth0" XdpProgram "$p" "$n2" "$AGENT_FIN_XDP"
	set_state BpfProgram "$p-$n2-eth0" NotSelected
	wait_for 20 has_fin xdpprogram "$p" "$OP_FIN"
	# n2 runs the agent; with n1 reporting nothing yet, n1 is not expected (no pod, no state)
	wait_for_eq 20 "ReconcileSuccess ReconcileSuccess" cond xdpprogram "$p"
	make_state BpfProgram "$p-$n1-eth0" XdpProgram "$p" "$n1" "$AGENT_FIN_XDP"
	set_state BpfProgram "$p-$n1-eth0" NotLoaded
	wait_for_eq 20 "ReconcileError ReconcileError" cond xdpprogram "$p"
	assert_contains "$(cond_msg xdpprogram "$p")" "bpfProgram Objects: [$p-$n1-eth0]" "ReconcileError names"
	set_state BpfProgram "$p-$n1-eth0" Loaded
	wait_for_eq 20 "ReconcileSuccess ReconcileSuccess" cond xdpprogram "$p"
	k delete xdpprogram "$p" --wait=false >/dev/null
	wait_for_eq 20 "DeleteError DeleteError" cond xdpprogram "$p"
	release BpfProgram "$p-$n1-eth0"
	release BpfProgram "$p-$n2-eth0"
	wait_for 20 k_gone xdpprogram "$p"
}

cm_has() { # NS NEEDLE: the ConfigMap's bpfman.toml contains NEEDLE
	case $(k get configmap bpfman-config -n "$1" -o jsonpath='{.data.bpfman\.toml}') in *"$2"*) return 0 ;; esac
	return 1
}
ds_json() { k get daemonset bpfman-daemon -n "$1" -o json; }

# The Config: bootstrap, what it deploys, drift put back, unmanaged override, deletion.
free_port() {
	/usr/bin/python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

test_operator_config() {
	local ns ns2 uid ds out port
	ns=$(k8s_ns op)
	port=$(free_port)
	op_start "$ns" --health-probe-bind-address "127.0.0.1:$port"
	wait_for_eq 10 ok curl -sf "http://127.0.0.1:$port/healthz"
	wait_for_eq 20 ok curl -sf "http://127.0.0.1:$port/readyz"
	assert_eq "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$port/nothing")" 404 "unknown path"
	uid=$(k get config bpfman-config -o jsonpath='{.metadata.uid}')
	wait_for 20 has_fin config bpfman-config bpfman.io/config-finalizer
	wait_for 30 k get daemonset bpfman-daemon -n "$ns" -o name
	wait_for 30 k get configmap bpfman-config -n "$ns" -o name
	wait_for 30 k get csidriver csi.bpfman.io -o name
	wait_for 30 k get clusterrolebinding bpfman-agent-rolebinding -o name
	ds=$(ds_json "$ns")
	assert_eq "$(jq -r '[.spec.template.spec.containers[].name] | join(",")' <<<"$ds")" "bpfman,bpfman-agent" "containers"
	assert_eq "$(jq -r '.spec.template.spec.containers[0].command | join(" ")' <<<"$ds")" \
		"bpfman-rpc --csi-support --csi-socket /var/lib/kubelet/plugins/csi-bpfman/csi.sock --csi-registration-dir /registration --csi-registration-endpoint /var/lib/kubelet/plugins/csi-bpfman/csi.sock" \
		"bpfman command"
	assert_eq "$(jq -r '.spec.template.spec.initContainers[0].command | join(" ")' <<<"$ds")" \
		"bpfman-agent --mount-bpffs" "init container"
	assert_eq "$(jq -r '.spec.template.spec.initContainers[1].command | join(" ")' <<<"$ds")" \
		"bpfman-agent --mount-bpffs --mount-bpffs-path /run/bpfman/fs" "init container of the store's bpffs"
	assert_eq "$(jq -r '[.spec.template.spec.containers[].image] | join(",")' <<<"$ds")" \
		"example.com/bpfman:test,example.com/bpfman-agent:test" "images from BPFMAN_IMG/BPFMAN_AGENT_IMG"
	assert_eq "$(jq -r '[.spec.template.spec.hostNetwork, .spec.template.spec.serviceAccountName,
		.spec.template.spec.dnsPolicy] | join(",")' <<<"$ds")" "true,bpfman-daemon,ClusterFirstWithHostNet" "pod"
	assert_eq "$(jq -r '.spec.template.spec.volumes[] | select(.name=="bpffs") | .hostPath.path' <<<"$ds")" "/sys/fs/bpf" "bpffs volume"
	assert_eq "$(jq -r '.metadata.ownerReferences[0] | "\(.kind) \(.uid) \(.controller)"' <<<"$ds")" "Config $uid true" "owner"
	assert_contains "$(k get configmap bpfman-config -n "$ns" -o jsonpath='{.data.bpfman\.toml}')" "max_retries = 30" "bpfman.toml"
	assert_eq "$(k get csidriver csi.bpfman.io -o jsonpath='{.spec.attachRequired} {.spec.podInfoOnMount} {.spec.volumeLifecycleModes[0]} {.spec.fsGroupPolicy}')" \
		"false true Ephemeral ReadWriteOnceWithFSType" "CSIDriver spec"
	assert_eq "$(k get namespace "$ns" -o jsonpath='{.metadata.labels.pod-security\.kubernetes\.io/enforce}')" privileged "namespace label"

	# a restarted operator finds everything as it should be: it sends nothing
	stop_bg "$OP_PID"
	BPFMAN_IMG=example.com/bpfman:test BPFMAN_AGENT_IMG=example.com/bpfman-agent:test \
		start_bg operator2 "$OPERATOR" --kubeconfig "$KUBECONFIG" --namespace "$ns" --log-level debug \
		--health-probe-bind-address "127.0.0.1:$port"
	OP_PID=$BG_PID
	wait_for_eq 20 ok curl -sf "http://127.0.0.1:$port/readyz"
	sleep 2
	out=$(grep -E ' (applied|deleted|created) ' "$(bg_log operator2)" || true)
	assert_eq "$out" "" "writes after a restart with nothing changed"

	# drift: edited fields are put back, a deleted object comes back
	k patch daemonset bpfman-daemon -n "$ns" --type=merge -p '{"spec": {"template": {"spec": {"terminationGracePeriodSeconds": 99}}}}' >/dev/null
	wait_for_eq 20 15 k get daemonset bpfman-daemon -n "$ns" -o jsonpath='{.spec.template.spec.terminationGracePeriodSeconds}'
	k patch configmap bpfman-config -n "$ns" --type=merge -p '{"data": {"bpfman.toml": "edited"}}' >/dev/null
	wait_for 20 cm_has "$ns" "max_retries = 30"
	k delete csidriver csi.bpfman.io >/dev/null
	wait_for 20 k get csidriver csi.bpfman.io -o name
	# a Config change reaches the DaemonSet
	k patch config bpfman-config --type=merge -p '{"spec": {"agent": {"image": "example.com/bpfman-agent:v2"}}}' >/dev/null
	wait_for_eq 20 example.com/bpfman-agent:v2 k get daemonset bpfman-daemon -n "$ns" -o jsonpath='{.spec.template.spec.containers[1].image}'

	# unmanaged: the operator leaves the ConfigMap alone
	k patch config bpfman-config --type=merge -p "{\"spec\": {\"overrides\": [{\"apiVersion\": \"v1\", \"kind\": \"ConfigMap\",
		\"namespace\": \"$ns\", \"name\": \"bpfman-config\", \"unmanaged\": true}]}}" >/dev/null
	sleep 1
	k patch configmap bpfman-config -n "$ns" --type=merge -p '{"data": {"bpfman.toml": "mine"}}' >/dev/null
	# a DaemonSet edit after it shows the operator is still working; the ConfigMap stays
	k patch daemonset bpfman-daemon -n "$ns" --type=merge -p '{"spec": {"template": {"spec": {"terminationGracePeriodSeconds": 98}}}}' >/dev/null
	wait_for_eq 20 15 k get daemonset bpfman-daemon -n "$ns" -o jsonpath='{.spec.template.spec.terminationGracePeriodSeconds}'
	sleep 2
	assert_eq "$(k get configmap bpfman-config -n "$ns" -o jsonpath='{.data.bpfman\.toml}')" mine "unmanaged ConfigMap left alone"

	# another namespace: everything moves, what stays behind is deleted (not the unmanaged
	# ConfigMap)
	ns2=$(k8s_ns op2)
	k patch config bpfman-config --type=merge -p "{\"spec\": {\"namespace\": \"$ns2\"}}" >/dev/null
	wait_for 20 k get daemonset bpfman-daemon -n "$ns2" -o name
	wait_for 20 k get configmap bpfman-config -n "$ns2" -o name
	wait_for 20 k_gone daemonset bpfman-daemon -n "$ns"
	wait_for 20 k_gone serviceaccount bpfman-daemon -n "$ns"
	assert_eq "$(k get clusterrolebinding bpfman-agent-rolebinding -o jsonpath='{.subjects[0].namespace}')" "$ns2" "binding follows"
	assert_eq "$(k get configmap bpfman-config -n "$ns" -o jsonpath='{.data.bpfman\.toml}')" mine "unmanaged ConfigMap kept"

	# deletion: the finalizer goes, the garbage collector removes what the Config owned
	k delete config bpfman-config --wait=false >/dev/null
	wait_for 20 k_gone config bpfman-config
	wait_for 60 k_gone daemonset bpfman-daemon -n "$ns2"
	wait_for 60 k_gone csidriver csi.bpfman.io
	wait_for 60 k_gone clusterrolebinding bpfman-agent-rolebinding
	wait_for 60 k_gone clusterrole bpfman-agent-role
	out=$(k get namespace "$ns2" -o jsonpath='{.metadata.labels.pod-security\.kubernetes\.io/enforce}')
	assert_eq "$out" "" "namespace labels taken back"
	# the operator does not recreate a deleted Config while it runs
	sleep 2
	k_gone config bpfman-config || fail "Config recreated after deletion"
}

# With the real agent (a host process on a Node object, as in test-agent.sh): a tracepoint
# app is loaded in the kernel, the operator rolls the agent's State up to Success while a
# second node without an agent is ignored (#542 for real), and deleting the app goes through
# the agent's unload to the app being gone, with no program of it left in the kernel.
test_operator_with_agent() {
	local agent ns node=agent-$TEST_ID idle=idle-$TEST_ID app=e2e-$TEST_ID before t0
	agent=$(dirname "$(dirname "$BPFMAN")")/agent/bpfman-agent
	[ -x "$agent" ] || skip "no bpfman-agent binary at $agent"
	ns=$(k8s_ns op)
	create_node_object "$node"
	create_node_object "$idle"
	k taint node "$idle" bpfman-test/no-agent=true:NoSchedule >/dev/null
	op_start "$ns"
	start_bg agent "$agent" --kubeconfig "$KUBECONFIG" --node "$node" --root "$BPFMAN_ROOT" --resync 5
	before=$(kernel_ids prog)
	wait_for 30 k get clusterbpfapplicationstates -o name  # (none yet: the API answers)
	t0=${EPOCHREALTIME/./}
	k apply -f - >/dev/null <<YAML
apiVersion: bpfman.io/v1alpha1
kind: ClusterBpfApplication
metadata:
  name: $app
spec:
  nodeSelector: {matchLabels: {kubernetes.io/hostname: $node}}
  byteCode: {path: $COUNTERS_OBJ}
  programs:
    - name: tracepoint_counter
      type: TracePoint
      tracepoint:
        links:
          - name: syscalls/sys_enter_getpid
YAML
	k8s_track clusterbpfapplication "$app"
	wait_for_eq 60 "Success Success" cond clusterbpfapplication "$app"
	figure "with the real agent: apply -> app Success in $(((${EPOCHREALTIME/./} - t0) / 1000)) ms (load + attach + State + roll-up)"
	[ "$(kernel_new_ours prog "$before")" -ge 1 ] || fail "no new program of ours in the kernel"
	case $(cond_msg clusterbpfapplication "$app") in *"$idle"*) fail "the node without agent is named" ;; esac
	k delete clusterbpfapplication "$app" --wait=false >/dev/null
	wait_for 60 k_gone clusterbpfapplication "$app"
	wait_for_eq 30 0 kernel_new_ours prog "$before"
	grep -q "$app: unloaded on every node, finalizer removed" "$(bg_log operator)" ||
		fail "the operator did not release the app"
}
