# Tests of the bpfman.io CRDs (dist/k8s/crds) and samples (dist/k8s/samples) on a real API
# server: they install and become Established, the samples apply (client- and server-side),
# `kubectl get` prints the printer columns with values, invalid objects are rejected with a
# message naming the field, the status subresource works, and the host examples of
# `bpfman apply` pass the same validation. test_crd_files and test_samples_host_apply need
# no cluster. Run by tests/k8s/run.sh (KUBECONFIG of its cluster); every object a test
# creates carries the label bpfman-test=crds and is deleted at its end. The CRDs stay
# installed: the other tests of the run use them, and the cluster goes with the run.

CRDS_TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
CRD_DIR=$CRDS_TOP/dist/k8s/crds
SAMPLE_DIR=$CRDS_TOP/dist/k8s/samples
G2_KINDS="clusterbpfapplications bpfapplications clusterbpfapplicationstates bpfapplicationstates configs"
G1_KINDS="xdpprograms tcprograms tracepointprograms kprobeprograms uprobeprograms fentryprograms fexitprograms bpfprograms"

# the helpers of tests/integration/lib.sh, if the runner has not given them
declare -F fail >/dev/null || fail() { echo "FAIL: $*" >&2; exit 1; }
declare -F skip >/dev/null || skip() { echo "SKIP: $*"; exit 77; }
declare -F assert_eq >/dev/null || assert_eq() { [ "$1" = "$2" ] || fail "$3: got '$1', want '$2'"; }
declare -F assert_contains >/dev/null || assert_contains() {
	case "$1" in *"$2"*) ;; *) fail "$3: '$2' not found in: $1" ;; esac
}

kc() {
	"${K8S_BIN:-/opt/k8s/bin}/kubectl" "$@"
}

need_cluster() {
	[ -n "${KUBECONFIG:-}" ] || skip "no test cluster (KUBECONFIG unset): run through tests/k8s/run.sh"
	# kubectl's discovery cache, private to the test: a new CRD must not meet a stale cache
	export KUBECACHEDIR=${TEST_TMP:-/tmp}/kcache-crds-$$
	crds_cleanup_set=1
}

# deletes what the test made, also when it failed (EXIT trap of the runner, or our own)
crds_cleanup() {
	[ -n "${crds_cleanup_set:-}" ] || return 0
	local k
	for k in $G2_KINDS $G1_KINDS; do
		kc delete "$k" -A -l bpfman-test=crds --ignore-not-found --wait=false >/dev/null 2>&1 || true
	done
	kc delete pod -A -l bpfman-test=crds --ignore-not-found --grace-period=0 --force >/dev/null 2>&1 || true
	kc delete namespace -l bpfman-test=crds --ignore-not-found --wait=false >/dev/null 2>&1 || true
	[ -n "${KUBECACHEDIR:-}" ] && rm -rf "${KUBECACHEDIR:?}"
}
# crds_cleanup runs first in the runner's teardown (tests/k8s/lib.sh, else
# tests/integration/lib.sh), which keeps the test's exit status; alone, at exit
crds_hooked=""
for crds_td in k8s_test_teardown test_teardown; do
	if declare -F "$crds_td" >/dev/null; then
		eval "crds_orig_$(declare -f "$crds_td")"
		eval "$crds_td() { local rc=\$?; crds_cleanup; (exit \$rc); crds_orig_$crds_td \"\$@\"; }"
		crds_hooked=1
		break
	fi
done
[ -n "$crds_hooked" ] || trap crds_cleanup EXIT

# installs (or updates) every CRD and the admission policy, waits until all are Established
crds_install() {
	kc apply --server-side --force-conflicts -f "$CRD_DIR" >/dev/null
	kc wait --for=condition=Established --timeout=60s \
		$(for f in "$CRD_DIR"/bpfman.io_*.yaml; do
			b=${f##*/bpfman.io_}
			echo "crd/${b%.yaml}.bpfman.io"
		done) >/dev/null
}

# sample FILE: the sample with the test's label added (so the cleanup finds it)
sample() {
	kc label --local -f "$SAMPLE_DIR/$1" bpfman-test=crds -o yaml
}

# expect_rejected WHAT NEEDLE... (the object on stdin): the API server must refuse to create
# it, with each NEEDLE in its message
expect_rejected() {
	local what=$1 out
	shift
	if out=$(kc create -f - 2>&1); then
		fail "$what: accepted, should be rejected: $out"
	fi
	for n in "$@"; do
		assert_contains "$out" "$n" "$what"
	done
}

# app KIND NAME PROGRAMS [BYTECODE] [MORE-SPEC]: an application as JSON (kubectl reads it
# as YAML), with the test's label; BpfApplications go into namespace default
app() {
	local ns=""
	[ "$1" = BpfApplication ] && ns=',"namespace":"default"'
	printf '{"apiVersion":"bpfman.io/v1alpha1","kind":"%s","metadata":{"name":"%s"%s,"labels":{"bpfman-test":"crds"}},"spec":{"nodeSelector":{},"byteCode":%s,"programs":%s%s}}\n' \
		"$1" "$2" "$ns" "${4:-"{\"image\":{\"url\":\"quay.io/bpfman-bytecode/app-test:latest\"}}"}" "$3" "${5:-}"
}

XDP_LINK='{"interfaceSelector":{"interfaces":["eth0"]}}'

# g1 KIND NAME OWN-FIELDS: a first-generation object as JSON
g1() {
	printf '{"apiVersion":"bpfman.io/v1alpha1","kind":"%s","metadata":{"name":"%s","labels":{"bpfman-test":"crds"}},"spec":{"bpffunctionname":"prog","nodeselector":{},"bytecode":{"path":"/x/prog.o"}%s}}\n' \
		"$1" "$2" "$3"
}

# set_status RESOURCE NAME [-n NS] -- STATUS-JSON: writes the status through the subresource
set_status() {
	local res=$1 name=$2
	shift 2
	local ns=()
	[ "$1" = -n ] && { ns=(-n "$2"); shift 2; }
	kc patch "$res" "$name" "${ns[@]}" --subresource=status --type=merge -p "{\"status\":$1}" >/dev/null
}

condition() { # TYPE REASON MESSAGE
	printf '{"type":"%s","status":"True","reason":"%s","message":"%s","lastTransitionTime":"2026-12-04T12:00:00Z"}' "$1" "$2" "$3"
}

# ---- tests ----

# No cluster: the files are what tools/k8s-crds.py writes, with the kinds, scopes, plurals,
# columns, status subresources and structural schemas of the contract; samples parse.
test_crd_files() {
	python3 -c 'import yaml' 2>/dev/null || skip "python3-yaml is not installed"
	"$CRDS_TOP/tests/k8s/check-crds.py" "$CRDS_TOP"
}

# Every CRD installs, becomes Established, and the API server serves each kind with the
# scope and plural of the contract (section 1.1 and 2).
test_crds_established() {
	need_cluster
	crds_install
	local want="bpfapplications:BpfApplication:true
bpfapplicationstates:BpfApplicationState:true
bpfprograms:BpfProgram:false
clusterbpfapplications:ClusterBpfApplication:false
clusterbpfapplicationstates:ClusterBpfApplicationState:false
configs:Config:false
fentryprograms:FentryProgram:false
fexitprograms:FexitProgram:false
kprobeprograms:KprobeProgram:false
tcprograms:TcProgram:false
tracepointprograms:TracepointProgram:false
uprobeprograms:UprobeProgram:false
xdpprograms:XdpProgram:false"
	local got
	# columns: NAME [SHORTNAMES] APIVERSION NAMESPACED KIND VERBS CATEGORIES; no short names
	got=$(kc api-resources --api-group=bpfman.io --no-headers |
		awk '{ print $1 ":" $NF ":" $(NF - 1) }' | sort)
	assert_eq "$got" "$want" "served kinds (plural:kind:namespaced)"
	for f in "$CRD_DIR"/bpfman.io_*.yaml; do
		b=${f##*/bpfman.io_}
		assert_eq "$(kc get crd "${b%.yaml}.bpfman.io" \
			-o jsonpath='{.status.conditions[?(@.type=="Established")].status}{.status.conditions[?(@.type=="NamesAccepted")].status}')" \
			TrueTrue "${b%.yaml} Established and NamesAccepted"
	done
	kc get validatingadmissionpolicy bpfapplication-pullsecret-namespace.bpfman.io >/dev/null
}

# Every sample applies, client-side and server-side, and the API server fills in the
# defaults of the schema. The CSI pod is checked with a server-side dry run (a real pod
# would wait for the CSI driver).
test_samples_apply() {
	need_cluster
	crds_install
	local f
	for f in xdpprogram.yaml clusterbpfapplication.yaml bpfapplication.yaml config.yaml; do
		# Config is a single cluster object the operator's tests may own: dry run only
		if [ "$f" = config.yaml ]; then
			sample "$f" | kc apply --dry-run=server -f - >/dev/null
			sample "$f" | kc apply --server-side --dry-run=server -f - >/dev/null
			continue
		fi
		sample "$f" | kc apply -f - >/dev/null
		sample "$f" | kc delete -f - --wait=true >/dev/null
		sample "$f" | kc apply --server-side -f - >/dev/null
		# applying the same again changes nothing
		sample "$f" | kc apply --server-side -f - | grep_all 'serverside-applied' ||
			fail "$f: second server-side apply"
	done
	sample csi-pod.yaml | kc apply --dry-run=server -f - >/dev/null
	sample csi-pod.yaml | kc apply --server-side --dry-run=server -f - >/dev/null
	# defaults of the schema
	assert_eq "$(kc get xdpprogram xdp-pass-all-nodes -o jsonpath='{.spec.proceedon}{.spec.bytecode.image.imagepullpolicy}')" \
		'["pass","dispatcher_return"]IfNotPresent' "XdpProgram defaults"
	assert_eq "$(kc get clusterbpfapplication app-example -o jsonpath='{.spec.programs[2].kprobe.links[0].offset}')" \
		0 "kprobe offset"
	assert_eq "$(kc -n default get bpfapplication tc-web-example -o jsonpath='{.spec.byteCode.image.imagePullPolicy}')" \
		IfNotPresent "BpfApplication imagePullPolicy default"
	# a Config's defaults, on a dry run
	assert_eq "$(printf '{"apiVersion":"bpfman.io/v1alpha1","kind":"Config","metadata":{"name":"defaults-probe"},"spec":{"agent":{"image":"a"},"daemon":{"image":"d"},"configuration":"x"}}' |
		kc create --dry-run=server -f - -o jsonpath='{.spec.agent.healthProbePort} {.spec.namespace}')" \
		"8175 bpfman" "Config defaults"
}

# The G2 samples are also what bpfman apply reads on a host (its own parser).
test_samples_host_apply() {
	local cli=${BPFMAN:-$CRDS_TOP/build/src/cli/bpfman} root f out
	[ -x "$cli" ] || skip "no bpfman CLI at $cli (build first)"
	root=$(mktemp -d "${TEST_TMP:-/tmp}/crds-root.XXXXXX")
	for f in clusterbpfapplication.yaml bpfapplication.yaml; do
		out=$(BPFMAN_ROOT=$root "$cli" apply --dry-run -f "$SAMPLE_DIR/$f" 2>&1) ||
			{ rm -rf "${root:?}"; fail "bpfman apply --dry-run $f: $out"; }
		assert_contains "$out" "0 failed" "$f"
	done
	rm -rf "${root:?}"
}

# kubectl get prints the columns of the contract, with values (G1: -o wide adds columns)
test_printer_columns() {
	need_cluster
	crds_install
	local out
	sample xdpprogram.yaml | kc apply --server-side -f - >/dev/null
	sample clusterbpfapplication.yaml | kc apply --server-side -f - >/dev/null
	sample bpfapplication.yaml | kc apply --server-side -f - >/dev/null
	set_status xdpprogram xdp-pass-all-nodes \
		"{\"conditions\":[$(condition ReconcileSuccess ReconcileSuccess 'bpfProgramReconciliation Succeeded on all nodes')]}"
	set_status clusterbpfapplication app-example \
		"{\"conditions\":[$(condition Success Success 'BPF application configuration successfully applied on all nodes')]}"
	set_status bpfapplication tc-web-example -n default \
		"{\"conditions\":[$(condition Pending Pending 'Waiting for Bpf Application Object to be reconciled on all nodes')]}"

	out=$(kc get xdpprogram xdp-pass-all-nodes)
	assert_eq "$(echo "$out" | head -n1 | tr -s ' ')" "NAME BPFFUNCTIONNAME NODESELECTOR STATUS" "XdpProgram header"
	assert_eq "$(echo "$out" | sed -n 2p | tr -s ' ')" "xdp-pass-all-nodes pass {} ReconcileSuccess" "XdpProgram row"
	out=$(kc get xdpprogram xdp-pass-all-nodes -o wide)
	assert_eq "$(echo "$out" | head -n1 | tr -s ' ')" \
		"NAME BPFFUNCTIONNAME NODESELECTOR STATUS PRIORITY INTERFACESELECTOR PROCEEDON" "XdpProgram wide header"
	assert_eq "$(echo "$out" | sed -n 2p | tr -s ' ')" \
		'xdp-pass-all-nodes pass {} ReconcileSuccess 0 {"primarynodeinterface":true} ["pass","dispatcher_return"]' \
		"XdpProgram wide row"

	out=$(kc get clusterbpfapplication app-example)
	assert_eq "$(echo "$out" | head -n1 | tr -s ' ')" "NAME NODESELECTOR STATUS AGE" "ClusterBpfApplication header"
	assert_contains "$(echo "$out" | sed -n 2p | tr -s ' ')" "app-example {} Success " "ClusterBpfApplication row"
	out=$(kc -n default get bpfapplication tc-web-example)
	assert_contains "$(echo "$out" | sed -n 2p | tr -s ' ')" "tc-web-example {} Pending " "BpfApplication row"
	# a selector with labels prints them (upstream's column stayed empty)
	app ClusterBpfApplication labelled-sel "[{\"name\":\"xdp_prog\",\"type\":\"XDP\",\"xdp\":{\"links\":[$XDP_LINK]}}]" \
		'' '' | sed 's/"nodeSelector":{}/"nodeSelector":{"matchLabels":{"role":"edge"}}/' | kc create -f - >/dev/null
	assert_contains "$(kc get clusterbpfapplication labelled-sel --no-headers)" '{"matchLabels":{"role":"edge"}}' \
		"NodeSelector column"

	# State objects: status only; the Node column
	printf '{"apiVersion":"bpfman.io/v1alpha1","kind":"ClusterBpfApplicationState","metadata":{"name":"app-example-0a1b2c3d","labels":{"bpfman-test":"crds","bpfman.io/ownedByProgram":"app-example","kubernetes.io/hostname":"node-a"}}}\n' |
		kc create -f - >/dev/null
	set_status clusterbpfapplicationstate app-example-0a1b2c3d \
		"{\"node\":\"node-a\",\"appLoadStatus\":\"LoadSuccess\",\"updateCount\":3,\"conditions\":[$(condition Success Success 'The BPF application has been successfully loaded and attached')]}"
	out=$(kc get clusterbpfapplicationstate app-example-0a1b2c3d)
	assert_eq "$(echo "$out" | head -n1 | tr -s ' ')" "NAME NODE STATUS AGE" "State header"
	assert_contains "$(echo "$out" | sed -n 2p | tr -s ' ')" "app-example-0a1b2c3d node-a Success " "State row"

	# the other G1 kinds: their -o wide columns (and their status subresource)
	g1_with_status() { # KIND NAME OWN-FIELDS
		g1 "$@" | kc create -f - >/dev/null
		set_status "${1,,}" "$2" "{\"conditions\":[$(condition ReconcileSuccess ReconcileSuccess 'bpfProgramReconciliation Succeeded on all nodes')]}"
	}
	g1_with_status TcProgram tc-cols ',"interfaceselector":{"interfaces":["eth0"]},"priority":5,"direction":"ingress"'
	assert_eq "$(kc get tcprogram tc-cols -o wide | head -n1 | tr -s ' ')" \
		"NAME BPFFUNCTIONNAME NODESELECTOR STATUS PRIORITY DIRECTION INTERFACESELECTOR PROCEEDON" "TcProgram wide header"
	assert_eq "$(kc get tcprogram tc-cols -o wide --no-headers | tr -s ' ')" \
		'tc-cols prog {} ReconcileSuccess 5 ingress {"interfaces":["eth0"]} ["pipe","dispatcher_return"]' "TcProgram wide row"
	g1_with_status TracepointProgram tp-cols ',"names":["syscalls/sys_enter_openat"]'
	assert_eq "$(kc get tracepointprogram tp-cols -o wide | tr -s ' ')" \
		'NAME BPFFUNCTIONNAME NODESELECTOR STATUS TRACEPOINT
tp-cols prog {} ReconcileSuccess ["syscalls/sys_enter_openat"]' "TracepointProgram wide"
	g1_with_status KprobeProgram kp-cols ',"func_name":"try_to_wake_up","offset":16'
	assert_eq "$(kc get kprobeprogram kp-cols -o wide | tr -s ' ')" \
		'NAME BPFFUNCTIONNAME NODESELECTOR STATUS FUNCTIONNAME OFFSET RETPROBE
kp-cols prog {} ReconcileSuccess try_to_wake_up 16 false' "KprobeProgram wide"
	g1_with_status UprobeProgram up-cols ',"func_name":"malloc","target":"libc","pid":42'
	assert_eq "$(kc get uprobeprogram up-cols -o wide | tr -s ' ')" \
		'NAME BPFFUNCTIONNAME NODESELECTOR STATUS FUNCTIONNAME OFFSET TARGET RETPROBE PID
up-cols prog {} ReconcileSuccess malloc 0 libc false 42' "UprobeProgram wide"
	for k in FentryProgram FexitProgram; do
		g1_with_status $k "${k,,}-cols" ',"func_name":"do_unlinkat"'
		assert_eq "$(kc get "${k,,}" "${k,,}-cols" -o wide | tr -s ' ')" \
			"NAME BPFFUNCTIONNAME NODESELECTOR STATUS FUNCTIONNAME
${k,,}-cols prog {} ReconcileSuccess do_unlinkat" "$k wide"
	done
	printf '{"apiVersion":"bpfman.io/v1alpha1","kind":"BpfProgram","metadata":{"name":"xdp-pass-all-nodes-node-a-eth0","labels":{"bpfman-test":"crds"}},"spec":{"type":"xdp"}}\n' |
		kc create -f - >/dev/null
	set_status bpfprogram xdp-pass-all-nodes-node-a-eth0 \
		"{\"conditions\":[$(condition Loaded bpfmanLoaded 'Successfully loaded bpfProgram')]}"
	out=$(kc get bpfprogram xdp-pass-all-nodes-node-a-eth0)
	assert_eq "$(echo "$out" | head -n1 | tr -s ' ')" "NAME TYPE STATUS AGE" "BpfProgram header"
	assert_contains "$(echo "$out" | sed -n 2p | tr -s ' ')" "xdp-pass-all-nodes-node-a-eth0 xdp bpfmanLoaded " "BpfProgram row"
	# a Config of another name than bpfman-config: the operator leaves it alone
	printf '{"apiVersion":"bpfman.io/v1alpha1","kind":"Config","metadata":{"name":"crds-cols-probe","labels":{"bpfman-test":"crds"}},"spec":{"agent":{"image":"a"},"daemon":{"image":"d"},"configuration":"x"}}\n' |
		kc create -f - >/dev/null
	out=$(kc get config crds-cols-probe)
	assert_eq "$(echo "$out" | head -n1 | tr -s ' ')" "NAME AGE" "Config header"
	assert_contains "$(echo "$out" | sed -n 2p | tr -s ' ')" "crds-cols-probe " "Config row"
}

# Invalid objects are refused, each with a message naming the field
test_invalid_rejected() {
	need_cluster
	crds_install
	local xdp="{\"name\":\"xdp_prog\",\"type\":\"XDP\",\"xdp\":{\"links\":[$XDP_LINK]}}"
	app ClusterBpfApplication bad1 '[{"name":"xdp_prog","type":"XDP"}]' |
		expect_rejected "type XDP without xdp" "spec.programs[0].xdp" \
			"xdp configuration is required when type is xdp, and forbidden otherwise"
	app ClusterBpfApplication bad2 "[{\"name\":\"xdp_prog\",\"type\":\"XDP\",\"xdp\":{},\"kprobe\":{}}]" |
		expect_rejected "kprobe member on an XDP program" "spec.programs[0].kprobe" \
			"kprobe configuration is required when type is kprobe, and forbidden otherwise"
	app ClusterBpfApplication bad3 '[{"name":"xdp_prog","type":"XDP","xdp":{"links":[{"interfaceSelector":{"interfaces":["eth0"]},"priority":1001}]}}]' |
		expect_rejected "priority 1001" "spec.programs[0].xdp.links[0].priority" "1000"
	app ClusterBpfApplication bad4 '[{"name":"xdp_prog","type":"Xdp"}]' |
		expect_rejected "type Xdp" "spec.programs[0].type" 'Unsupported value: "Xdp"'
	app ClusterBpfApplication bad5 "[$xdp]" '{"image":{"url":"quay.io/x/y:1"},"path":"/x/y.o"}' |
		expect_rejected "two byteCode sources" "spec.byteCode" "at most 1"
	app ClusterBpfApplication bad6 '[]' | expect_rejected "programs: []" "spec.programs" "at least 1"
	app ClusterBpfApplication bad7 "[$xdp]" '{}' | expect_rejected "no byteCode source" "spec.byteCode" "at least 1"
	app ClusterBpfApplication bad8 "[$xdp]" '{"path":"relative/x.o"}' |
		expect_rejected "relative byteCode.path" "spec.byteCode.path"
	app ClusterBpfApplication bad9 "[$xdp]" '{"image":{"url":"quay.io/x/y:1","imagePullPolicy":"Sometimes"}}' |
		expect_rejected "imagePullPolicy Sometimes" "spec.byteCode.image.imagePullPolicy" 'Unsupported value: "Sometimes"'
	app ClusterBpfApplication bad10 '[{"name":"xd","type":"XDP","xdp":{}}]' |
		expect_rejected "name of two characters" "spec.programs[0].name"
	app ClusterBpfApplication bad11 "[$xdp]" '' ',"mapOwnerSelector":{"matchLabels":{"a":"b"}}' |
		expect_rejected "mapOwnerSelector" "spec.mapOwnerSelector" "mapOwnerSelector is not supported"
	app ClusterBpfApplication bad12 '[{"name":"xdp_prog","type":"XDP","xdp":{"links":[{"interfaceSelector":{"primaryNodeInterface":false}}]}}]' |
		expect_rejected "primaryNodeInterface false" "primaryNodeInterface" "can only be true"
	app ClusterBpfApplication bad13 '[{"name":"xdp_prog","type":"XDP","xdp":{"links":[{"interfaceSelector":{"interfaces":["eth0"],"primaryNodeInterface":true}}]}}]' |
		expect_rejected "two interface selections" "spec.programs[0].xdp.links[0].interfaceSelector" "at most 1"
	app ClusterBpfApplication bad14 '[{"name":"tc_prog","type":"TC","tc":{"links":[{"interfaceSelector":{"interfaces":["eth0"]}}]}}]' |
		expect_rejected "tc link without direction" "spec.programs[0].tc.links[0].direction" "Required value"
	app ClusterBpfApplication bad15 '[{"name":"fentry_prog","type":"FEntry","fentry":{"function":"do_unlinkat","links":[{"mode":"Attach"},{"mode":"Attach"}]}}]' |
		expect_rejected "two fentry links" "spec.programs[0].fentry.links" "at most 1"
	app ClusterBpfApplication bad16 '[{"name":"fentry_prog","type":"FEntry","fentry":{}}]' |
		expect_rejected "fentry without function" "spec.programs[0].fentry.function" "Required value"
	app ClusterBpfApplication bad17 '[{"name":"xdp_prog","type":"XDP","xdp":{"links":[{"interfaceSelector":{"interfaces":["eth0"]},"proceedOn":["Pipe"]}]}}]' |
		expect_rejected "tc proceedOn on xdp" "spec.programs[0].xdp.links[0].proceedOn[0]" 'Unsupported value: "Pipe"'
	app ClusterBpfApplication bad18 '[{"name":"kprobe_prog","type":"KProbe","kprobe":{"links":[{"offset":4}]}}]' |
		expect_rejected "kprobe link without function" "spec.programs[0].kprobe.links[0].function" "Required value"
	app ClusterBpfApplication bad19 "[$xdp]" | sed 's/"nodeSelector":{},//' |
		expect_rejected "no nodeSelector" "spec.nodeSelector" "Required value"
	# namespaced: fewer types, pod selection required
	app BpfApplication bad20 '[{"name":"kprobe_prog","type":"KProbe"}]' |
		expect_rejected "KProbe in a namespaced application" "spec.programs[0].type" 'Unsupported value: "KProbe"'
	app BpfApplication bad21 "[$xdp]" |
		expect_rejected "namespaced xdp link without networkNamespaces" \
			"spec.programs[0].xdp.links[0].networkNamespaces" "Required value"
	app BpfApplication bad22 '[{"name":"xdp_prog","type":"XDP","xdp":{"links":[{"interfaceSelector":{"interfaces":["eth0"]},"networkNamespaces":{"namespace":"other","pods":{}}}]}}]' |
		expect_rejected "namespace in a namespaced pod selection" "networkNamespaces" "namespace"
	app BpfApplication bad23 '[{"name":"tcx_prog","type":"TC","tcx":{}}]' |
		expect_rejected "namespaced tcx member on TC" "spec.programs[0].tcx" \
			"tcx configuration is required when type is TCX, and forbidden otherwise"
	# G1
	g1 KprobeProgram bad-g1-1 ',"func_name":"try_to_wake_up","retprobe":true,"offset":8' |
		expect_rejected "kretprobe with offset" "spec.offset" "offset cannot be set for kretprobes"
	g1 XdpProgram bad-g1-2 ',"interfaceselector":{"interfaces":["eth0"]}' |
		expect_rejected "XdpProgram without priority" "spec.priority" "Required value"
	g1 XdpProgram bad-g1-3 ',"interfaceselector":{"interfaces":["eth0"]},"priority":1001' |
		expect_rejected "XdpProgram priority 1001" "spec.priority" "1000"
	g1 XdpProgram bad-g1-4 ',"interfaceselector":{"interfaces":["eth0"]},"priority":1,"proceedon":["Pass"]' |
		expect_rejected "XdpProgram proceedon Pass" "spec.proceedon[0]" 'Unsupported value: "Pass"'
	g1 TcProgram bad-g1-5 ',"interfaceselector":{"interfaces":["eth0"]},"priority":1,"direction":"Ingress"' |
		expect_rejected "TcProgram direction Ingress" "spec.direction" 'Unsupported value: "Ingress"'
	g1 XdpProgram bad-g1-6 ',"interfaceselector":{"interfaces":["eth0"]},"priority":1,"proceedon":["pass","drop","tx","aborted","redirect","dispatcher_return","pass"]' |
		expect_rejected "XdpProgram 7 proceedon" "spec.proceedon" "at most 6"
	g1 UprobeProgram bad-g1-7 ',"func_name":"malloc"' |
		expect_rejected "UprobeProgram without target" "spec.target" "Required value"
	g1 TracepointProgram bad-g1-8 '' | expect_rejected "TracepointProgram without names" "spec.names" "Required value"
	# Config
	printf '{"apiVersion":"bpfman.io/v1alpha1","kind":"Config","metadata":{"name":"bad-config","labels":{"bpfman-test":"crds"}},"spec":{"agent":{"image":"","healthProbePort":0},"daemon":{"image":"d"},"configuration":"x"}}\n' |
		expect_rejected "Config with empty agent image, port 0" "spec.agent.image" "spec.agent.healthProbePort"
	# nothing of the above exists
	for k in clusterbpfapplications bpfapplications xdpprograms tcprograms kprobeprograms uprobeprograms tracepointprograms configs; do
		assert_eq "$(kc get "$k" -A -l bpfman-test=crds -o name | grep -c bad || true)" 0 "$k left behind"
	done
}

# A namespaced application names a pull Secret of its own namespace only (admission policy)
test_pull_secret_namespace() {
	need_cluster
	crds_install
	local xdp='[{"name":"xdp_prog","type":"XDP","xdp":{"links":[{"interfaceSelector":{"interfaces":["eth0"]},"networkNamespaces":{"pods":{}}}]}}]'
	local other='{"image":{"url":"quay.io/x/y:1","imagePullSecret":{"name":"regcred","namespace":"kube-system"}}}'
	local own='{"image":{"url":"quay.io/x/y:1","imagePullSecret":{"name":"regcred","namespace":"default"}}}'
	local i out
	# the policy is enforced once the API server has read it: up to a few seconds
	for i in $(seq 1 50); do
		if out=$(app BpfApplication secret-probe "$xdp" "$other" | kc create --dry-run=server -f - 2>&1); then
			sleep 0.2
			continue
		fi
		break
	done
	app BpfApplication secret-other "$xdp" "$other" |
		expect_rejected "pull secret of another namespace" "spec.byteCode.image.imagePullSecret.namespace" \
			'must be the BpfApplication'"'"'s own namespace "default"'
	app BpfApplication secret-own "$xdp" "$own" | kc create -f - >/dev/null
	# a ClusterBpfApplication may name any namespace
	app ClusterBpfApplication secret-cluster \
		'[{"name":"xdp_prog","type":"XDP","xdp":{"links":[{"interfaceSelector":{"interfaces":["eth0"]}}]}}]' "$other" |
		kc create -f - >/dev/null
}

# The status subresource: status is written only through it, and spec only through the
# object; the status schema holds (reasons without spaces, enums, uint32 ids)
test_status_subresource() {
	need_cluster
	crds_install
	local gen
	app ClusterBpfApplication status-probe \
		'[{"name":"xdp_prog","type":"XDP","xdp":{"links":[{"interfaceSelector":{"interfaces":["eth0"]}}]}}]' |
		kc create -f - >/dev/null
	gen=$(kc get clusterbpfapplication status-probe -o jsonpath='{.metadata.generation}')
	set_status clusterbpfapplication status-probe "{\"conditions\":[$(condition Pending Pending 'Waiting')]}"
	assert_eq "$(kc get clusterbpfapplication status-probe -o jsonpath='{.status.conditions[0].reason} {.metadata.generation}')" \
		"Pending $gen" "status written, generation unchanged"
	# a status in an update of the object is dropped
	kc patch clusterbpfapplication status-probe --type=merge \
		-p "{\"status\":{\"conditions\":[$(condition Success Success done)]}}" >/dev/null
	assert_eq "$(kc get clusterbpfapplication status-probe -o jsonpath='{.status.conditions[0].reason}')" \
		Pending "status through the object ignored"
	# a spec in a status update is dropped
	kc patch clusterbpfapplication status-probe --subresource=status --type=merge \
		-p '{"spec":{"nodeSelector":{"matchLabels":{"x":"y"}}}}' >/dev/null
	assert_eq "$(kc get clusterbpfapplication status-probe -o jsonpath='{.spec.nodeSelector}')" "{}" \
		"spec through status ignored"
	# reasons must be valid Condition reasons: upstream's "Unload Error" is refused
	expect_fail_msg "reason with a space" "reason" \
		kc patch clusterbpfapplication status-probe --subresource=status --type=merge \
		-p "{\"status\":{\"conditions\":[$(condition UnloadError 'Unload Error' 'Unload failed')]}}"
	# State: required fields, enums, and link ids above 2^31
	printf '{"apiVersion":"bpfman.io/v1alpha1","kind":"BpfApplicationState","metadata":{"name":"status-probe-12345678","namespace":"default","labels":{"bpfman-test":"crds"}}}\n' |
		kc create -f - >/dev/null
	local ok_status='{"node":"node-a","appLoadStatus":"LoadSuccess","updateCount":1,"programs":[{"name":"xdp_prog","type":"XDP","programId":4294967295,"programLinkStatus":"Success","xdp":{"links":[{"shouldAttach":true,"uuid":"6f1c0c3e-3f9a-4c58-9b0e-1d2a3b4c5d6e","linkId":3000000000,"linkStatus":"Attached","interfaceName":"eth0","netnsPath":"/host/proc/42/ns/net","priority":1000,"proceedOn":["Pass","DispatcherReturn"]}]}}]}'
	set_status bpfapplicationstate status-probe-12345678 -n default "$ok_status"
	assert_eq "$(kc -n default get bpfapplicationstate status-probe-12345678 -o jsonpath='{.status.programs[0].xdp.links[0].linkId}')" \
		3000000000 "linkId above 2^31"
	expect_fail_msg "appLoadStatus Loaded" "status.appLoadStatus" \
		kc -n default patch bpfapplicationstate status-probe-12345678 --subresource=status --type=merge \
		-p '{"status":{"appLoadStatus":"Loaded"}}'
	expect_fail_msg "namespaced link without netnsPath" "netnsPath" \
		kc -n default patch bpfapplicationstate status-probe-12345678 --subresource=status --type=json \
		-p '[{"op":"remove","path":"/status/programs/0/xdp/links/0/netnsPath"}]'
	expect_fail_msg "linkId above 2^32" "linkId" \
		kc -n default patch bpfapplicationstate status-probe-12345678 --subresource=status --type=json \
		-p '[{"op":"replace","path":"/status/programs/0/xdp/links/0/linkId","value":4294967296}]'
	# every kind has the subresource
	local k
	for k in $G2_KINDS $G1_KINDS; do
		kc get --raw "/apis/bpfman.io/v1alpha1" | grep_all "\"name\":\"$k/status\"" ||
			fail "$k has no status subresource"
	done
}

# expect_fail_msg WHAT NEEDLE CMD...: CMD must fail with NEEDLE in its output
expect_fail_msg() {
	local what=$1 needle=$2 out
	shift 2
	if out=$("$@" 2>&1); then
		fail "$what: accepted: $out"
	fi
	assert_contains "$out" "$needle" "$what"
}

# One format for host and cluster: every application of the host examples (examples/apply,
# which bpfman apply's own parser accepts in the unit tests) passes the CRDs' validation
test_host_examples_accepted() {
	need_cluster
	crds_install
	local f ns out
	for ns in $(grep -h '^  namespace: ' "$CRDS_TOP"/examples/apply/*.yaml | awk '{ print $2 }' | sort -u); do
		if ! kc get namespace "$ns" >/dev/null 2>&1; then
			kc create namespace "$ns" >/dev/null
			kc label namespace "$ns" bpfman-test=crds >/dev/null
		fi
	done
	for f in "$CRDS_TOP"/examples/apply/*.yaml; do
		out=$(kc create --dry-run=server -f "$f" 2>&1) || fail "$f rejected: $out"
	done
}
