# Declared applications (ClusterBpfApplication files) through the library's reconciler,
# driven by tests/helpers/apply-run: apply, idempotence, minimal changes, pending links,
# reboot, failures that leave the application as it was, delete. Real kernel, real veth
# pairs in network namespaces, counters that move.

apply_run() { "$TESTS_HELPERS/apply-run" "$@"; }

# write_app FILE TCX_A_PRIORITY FLAGS [EXTRA-PROGRAM-YAML]: the application `web`: a
# tracepoint, tcx_a and tcx_b on IF_A ingress in NS_A, xdp_counter on IF_B in NS_B (the
# namespaces named by the host label bpfman.io/netns); FLAGS: u = a uprobe on the trigger,
# c = tcx_c as a TC program on IF_B ingress. APP_INCREMENT (base64): globalData increment.
write_app() {
	local file=$1 prio_a=$2 flags=$3 extra=${4:-}
	cat >"$file" <<YAML
apiVersion: bpfman.io/v1alpha1
kind: ClusterBpfApplication
metadata:
  name: web
spec:
  nodeSelector: {}
  byteCode:
    path: $COUNTERS_OBJ
  globalData:
    increment: ${APP_INCREMENT:-AQAAAAAAAAA=}
  programs:
    - name: tracepoint_counter
      type: TracePoint
      tracepoint:
        links:
          - name: syscalls/sys_enter_getpid
    - name: tcx_a
      type: $AB_TYPE
      $AB_KEY:
        links:
          - interfaceSelector: {interfaces: [$IF_A]}
            networkNamespaces: {pods: {matchLabels: {bpfman.io/netns: $NS_A}}}
            direction: Ingress$AB_PROCEED
            priority: $prio_a
    - name: tcx_b
      type: $AB_TYPE
      $AB_KEY:
        links:
          - interfaceSelector: {interfaces: [$IF_A]}
            networkNamespaces: {pods: {matchLabels: {bpfman.io/netns: $NS_A}}}
            direction: Ingress$AB_PROCEED
            priority: 10
    - name: xdp_counter
      type: XDP
      xdp:
        links:
          - interfaceSelector: {interfaces: [$IF_B]}
            networkNamespaces: {pods: {matchLabels: {bpfman.io/netns: $NS_B}}}
            priority: 50
YAML
	case $flags in
	*c*) cat >>"$file" <<YAML
    - name: tcx_c
      type: TC
      tc:
        links:
          - interfaceSelector: {interfaces: [$IF_B]}
            networkNamespaces: {pods: {matchLabels: {bpfman.io/netns: $NS_B}}}
            direction: Ingress
            priority: 40
            proceedOn: [Pipe, DispatcherReturn]
YAML
	;;
	esac
	if [[ $flags == *u* ]]; then
		cat >>"$file" <<YAML
    - name: uprobe_counter
      type: UProbe
      uprobe:
        links:
          - target: $TESTS_HELPERS/trigger
            function: bpfman_test_target
YAML
	fi
	[ -z "$extra" ] || printf '%s\n' "$extra" >>"$file"
}

# tcx_a and tcx_b are TCX programs where the kernel has tcx, TC programs (under a
# dispatcher, or cls_bpf filters) where it has not; they return -1 (UnSpec) so every program
# of the chain runs (APPLY_FORCE_TC=1: TC also where tcx exists, to run that path anywhere)
require_apply_features() {
	require_feature uprobe
	require_feature tracepoint
	if [ -z "${APPLY_FORCE_TC:-}" ] && probe_feature tcx; then
		AB_TYPE=TCX AB_KEY=tcx AB_PROCEED=
	else
		AB_TYPE=TC AB_KEY=tc AB_PROCEED=$'\n            proceedOn: [UnSpec, Pipe, DispatcherReturn]'
	fi
}

# The application's links: "function attachment link-id program-id", sorted
links_of_app() {
	bpfman list links -o json |
		jq -r '.[] | select(.metadata["bpfman.io/application-id"] == "ClusterBpfApplication/web")
			| "\(.function_name) \(.attachment) \(.id) \(.program_id)"' | sort
}
# The same without ids: what is attached where
shape_of_app() { links_of_app | awk '{$(NF)=""; $(NF-1)=""; print}' | sed 's/ *$//' | sort; }
# the kernel frees an unloaded program after an RCU grace period (cls_bpf filters later still)
eventually_gone() {
	local i
	for i in $(seq 1 50); do
		kernel_prog_exists "$1" || return 0
		sleep 0.1
	done
	fail "kernel still has program $1 after 5 s"
}
prog_of() { bpfman list programs -o json | jq -r ".[] | select(.bpfman.name == \"$1\") | .kernel.id"; }
# The XDP program the kernel runs on IF_B (the dispatcher, or the program attached directly)
# Dispatcher revisions of the app's xdp/tc links ("-" where attached directly)
dispatchers_of_app() {
	bpfman list links -o json | jq -r '.[] | select(.program_type == "xdp" or .program_type == "tc")
		| "\(.function_name) \(.mode) \(.dispatcher_id // "-")"' | sort
}
xdp_on_b() { ip -n "$NS_B" -j link show "$IF_B" | jq -r '.[0].xdp.prog.id // empty'; }
n_actions() { jq '[.results[].actions[]] | length'; }
actions_of() { jq -r '.results[].actions[] | "\(.kind) \(.program)"' | sort | tr '\n' ',' ; }

# Every declared program runs: tracepoint, uprobe, tcx (both) and xdp see events.
assert_programs_run() {
	local tp xdp a before after s
	tp=$(prog_of tracepoint_counter)
	before=$(counter "$tp" $SLOT_TRACEPOINT)
	trigger getpid 5 >/dev/null
	after=$(counter "$tp" $SLOT_TRACEPOINT)
	[ $((after - before)) -ge 5 ] || fail "tracepoint counter $before -> $after"
	if [ -n "$(prog_of uprobe_counter)" ]; then
		before=$(counter "$tp" $SLOT_UPROBE)
		trigger func 7 >/dev/null
		after=$(counter "$tp" $SLOT_UPROBE)
		[ $((after - before)) -ge 7 ] || fail "uprobe counter $before -> $after"
	fi
	local -A was
	local slots="$SLOT_TCX_A $SLOT_TCX_B $SLOT_XDP"
	[ -z "$(prog_of tcx_c)" ] || slots="$slots $SLOT_TCX_C"
	for s in $slots; do was[$s]=$(counter "$tp" "$s"); done
	ip netns exec "$NS_A" ping -c 3 -i 0.2 -W 2 192.0.2.2 >/dev/null || fail "ping"
	for s in $slots; do
		after=$(counter "$tp" "$s")
		[ $((after - was[$s])) -ge 3 ] || fail "slot $s moved ${was[$s]} -> $after"
	done
}

test_apply_then_again_changes_nothing() {
	require_apply_features
	make_veth_pair
	local f=$BPFMAN_ROOT/app.yaml out before after xdp1 plan disp
	write_app "$f" 50 uc
	plan=$(apply_run apply --dry-run "$f")
	assert_eq "$(echo "$plan" | actions_of)" "attach tcx_a,attach tcx_b,attach tcx_c,attach tracepoint_counter,attach uprobe_counter,attach xdp_counter,load tcx_a,load tcx_b,load tcx_c,load tracepoint_counter,load uprobe_counter,load xdp_counter," "dry-run plan"
	assert_eq "$(bpfman list programs -o json | jq length)" 0 "dry run loaded nothing"
	out=$(apply_run apply "$f")
	assert_eq "$(echo "$out" | jq -r '[.results[].links[].state] | unique | join(",")')" applied "link states"
	assert_eq "$(echo "$out" | n_actions)" 12 "actions of the first apply"
	assert_programs_run
	before=$(links_of_app)
	disp=$(dispatchers_of_app)
	xdp1=$(xdp_on_b)
	[ -n "$xdp1" ] || fail "no XDP program on $IF_B"
	# a second apply of the same file: zero actions, the same links, the same XDP program
	out=$(apply_run apply "$f")
	assert_eq "$(echo "$out" | n_actions)" 0 "actions of the second apply"
	assert_eq "$(links_of_app)" "$before" "links after the second apply"
	assert_eq "$(xdp_on_b)" "$xdp1" "XDP program (dispatcher or direct) on $IF_B"
	assert_eq "$(dispatchers_of_app)" "$disp" "dispatcher revisions"
	assert_eq "$(apply_run status | jq -r '.results[] | "\(.app) \(.failed) \(.actions | length)"')" \
		"ClusterBpfApplication/web false 0" "status"
	apply_run delete "$f" >/dev/null
	assert_eq "$(apply_run status | jq '.results | length')" 0 "status after delete"
	assert_clean_state
}

test_change_priority_moves_only_that_link() {
	require_apply_features
	make_veth_pair
	local f=$BPFMAN_ROOT/app.yaml out before after disp
	write_app "$f" 50 uc
	apply_run apply "$f" >/dev/null
	before=$(links_of_app)
	disp=$(dispatchers_of_app)
	write_app "$f" 20 uc
	out=$(apply_run apply "$f")
	assert_eq "$(echo "$out" | actions_of)" "attach tcx_a,detach tcx_a," "actions"
	after=$(links_of_app)
	# every other link keeps its id; tcx_a's link is new, on the same program
	assert_eq "$(echo "$after" | grep -v '^tcx_a ')" "$(echo "$before" | grep -v '^tcx_a ')" "other links"
	assert_ne "$(echo "$after" | grep '^tcx_a ' | awk '{print $(NF-1)}')" \
		"$(echo "$before" | grep '^tcx_a ' | awk '{print $(NF-1)}')" "tcx_a link id"
	assert_eq "$(echo "$after" | grep '^tcx_a ' | awk '{print $NF}')" \
		"$(echo "$before" | grep '^tcx_a ' | awk '{print $NF}')" "tcx_a program id"
	# priority 20 after tcx_b's 10: position 1 of the hook
	assert_eq "$(bpfman list links -o json | jq -r '.[] | select(.function_name == "tcx_a") | "\(.priority) \(.position)"')" \
		"20 1" "tcx_a priority and position"
	assert_eq "$(dispatchers_of_app | grep -v '^tcx_[ab] ')" "$(echo "$disp" | grep -v '^tcx_[ab] ')" \
		"dispatchers of the other hooks untouched"
	assert_programs_run
	apply_run delete "$f" >/dev/null
	assert_clean_state
}

test_remove_program_removes_only_it() {
	require_apply_features
	make_veth_pair
	local f=$BPFMAN_ROOT/app.yaml out before after up
	write_app "$f" 50 uc
	apply_run apply "$f" >/dev/null
	before=$(links_of_app)
	up=$(prog_of uprobe_counter)
	write_app "$f" 50 c
	out=$(apply_run apply "$f")
	assert_eq "$(echo "$out" | actions_of)" "detach uprobe_counter,unload uprobe_counter," "actions"
	assert_eq "$(links_of_app)" "$(echo "$before" | grep -v '^uprobe_counter ')" "remaining links"
	eventually_gone "$up"
	assert_programs_run
	# and back: only the uprobe is loaded (sharing the app's maps) and attached
	write_app "$f" 50 uc
	out=$(apply_run apply "$f")
	assert_eq "$(echo "$out" | actions_of)" "attach uprobe_counter,load uprobe_counter," "actions"
	assert_eq "$(links_of_app | grep -v '^uprobe_counter ')" "$(echo "$before" | grep -v '^uprobe_counter ')" "links kept"
	assert_programs_run
	apply_run delete "$f" >/dev/null
	assert_clean_state
}

test_pending_interface_then_retry() {
	require_apply_features
	make_veth_pair
	local f=$BPFMAN_ROOT/app.yaml out late=veth-late ns_late="bpfmt-late-$TEST_ID"
	# tcx_c: an interface that is not there yet, and one in a namespace not there yet
	write_app "$f" 50 u "    - name: tcx_c
      type: $AB_TYPE
      $AB_KEY:
        links:
          - interfaceSelector: {interfaces: [$late]}
            networkNamespaces: {pods: {matchLabels: {bpfman.io/netns: $NS_A}}}
            direction: Egress
            priority: 5
          - interfaceSelector: {interfaces: [lo]}
            networkNamespaces: {pods: {matchLabels: {bpfman.io/netns: $ns_late}}}
            direction: Ingress
            priority: 5"
	out=$(apply_run apply "$f") || fail "apply with a pending link is not a failure: $out"
	assert_eq "$(echo "$out" | jq -r '.results[].links[] | select(.program == "tcx_c") | "\(.state) \(.reason)"')" \
		"pending interface $late does not exist in /run/netns/$NS_A
pending network namespace /run/netns/$ns_late does not exist" "pending links"
	assert_eq "$(echo "$out" | jq -r '.results[0].failed')" false "app failed"
	# nothing to do yet: retry changes nothing
	assert_eq "$(apply_run retry | jq .changed)" 0 "retry before the interface"
	ip -n "$NS_A" link add "$late" type veth peer name "$late-p"
	ip -n "$NS_A" link set "$late" up
	out=$(apply_run retry)
	assert_eq "$(echo "$out" | jq .changed)" 1 "links completed by retry"
	assert_eq "$(echo "$out" | actions_of)" "attach tcx_c," "retry actions"
	assert_eq "$(bpfman list links -o json | jq -r '.[] | select(.function_name == "tcx_c") | .iface')" "$late" "tcx_c link"
	assert_eq "$(apply_run status | jq -r '[.results[].links[].state] | unique | join(",")')" applied,pending "status"
	make_netns late >/dev/null
	out=$(apply_run retry)
	assert_eq "$(echo "$out" | jq .changed)" 1 "links completed by the second retry"
	assert_eq "$(bpfman list links -o json | jq -r '.[] | select(.function_name == "tcx_c") | .iface' | sort | tr '\n' ' ')" "lo $late " "tcx_c links"
	assert_eq "$(apply_run status | jq -r '[.results[].links[].state] | unique | join(",")')" applied "status"
	assert_eq "$(apply_run retry | jq .changed)" 0 "retry after"
	# the interface goes (its link with it) and comes back: pending again, then applied
	ip -n "$NS_A" link del "$late"
	apply_run retry >/dev/null
	assert_eq "$(apply_run status | jq -r '.results[].links[] | select(.what | contains("'"$late"'")) | .state')" pending "after the interface went"
	ip -n "$NS_A" link add "$late" type veth peer name "$late-p"
	assert_eq "$(apply_run retry | jq .changed)" 1 "after the interface came back"
	assert_eq "$(apply_run status | jq -r '[.results[].links[].state] | unique | join(",")')" applied "status at the end"
	apply_run delete "$f" >/dev/null
	assert_clean_state
}

# A reboot: the interfaces (and the XDP/tc hooks on them) go with the namespaces, the bpffs
# is unmounted (programs and pinned links go); $1 = keep or drop the database.
simulate_reboot() {
	ip netns del "$NS_A"
	ip netns del "$NS_B"
	while mountpoint -q "$FS"; do umount "$FS"; done
	if [ "$1" = drop ]; then rm -rf "${BPFMAN_ROOT:?}/run/bpfman"; fi
	make_veth_pair
}

old_programs_left() {
	local id n=0
	for id in $REBOOT_IDS; do ! kernel_prog_exists "$id" || n=$((n + 1)); done
	echo $n
}

reboot_case() {
	require_apply_features
	make_veth_pair
	local f=$BPFMAN_ROOT/app.yaml out shape ids
	write_app "$f" 50 uc
	apply_run apply "$f" >/dev/null
	shape=$(shape_of_app)
	ids=$(links_of_app | awk '{print $NF}' | sort -u | tr '\n' ' ')
	simulate_reboot "$1"
	# the kernel frees them after an RCU grace period
	REBOOT_IDS=$ids
	eventually_eq old_programs_left 0 "programs of before the reboot still in the kernel"
	if [ "$1" = keep ]; then
		# the kept declaration says what is missing
		out=$(apply_run status)
		assert_eq "$(echo "$out" | jq -r '.results[0].failed')" true "status after the reboot"
		assert_contains "$(echo "$out" | jq -r '.results[0].error')" "6 program(s) not loaded" "status error"
		assert_contains "$(echo "$out" | jq -r '.results[0].links[0].reason')" "is not loaded" "link reason"
	else
		assert_eq "$(apply_run status | jq '.results | length')" 0 "status without a database"
	fi
	out=$(apply_run apply "$f")
	assert_eq "$(echo "$out" | jq -r '.results[0].failed')" false "apply after reboot: $(echo "$out" | jq -r '.results[0].error')"
	assert_eq "$(shape_of_app)" "$shape" "what is attached where, after the reboot"
	assert_programs_run
	assert_eq "$(apply_run apply "$f" | n_actions)" 0 "a second apply after the reboot"
	apply_run delete "$f" >/dev/null
	assert_clean_state
}
test_reboot_database_kept() { reboot_case keep; }
test_reboot_database_removed() { reboot_case drop; }

test_failed_load_leaves_app_as_it_was() {
	require_apply_features
	make_veth_pair
	local f=$BPFMAN_ROOT/app.yaml out before xdp1
	write_app "$f" 50 uc
	apply_run apply "$f" >/dev/null
	before=$(links_of_app)
	xdp1=$(xdp_on_b)
	# a priority change plus a program the object does not have: the load fails first
	write_app "$f" 20 uc "    - name: no_such_program
      type: TracePoint
      tracepoint:
        links:
          - name: syscalls/sys_enter_getppid"
	if out=$(apply_run apply "$f"); then fail "apply of a missing program succeeded: $out"; fi
	assert_eq "$(echo "$out" | jq -r '.results[0].failed')" true "failed"
	assert_contains "$(echo "$out" | jq -r '.results[0].error')" no_such_program "error names the program"
	assert_eq "$(links_of_app)" "$before" "links (ids included) after the failed apply"
	assert_eq "$(xdp_on_b)" "$xdp1" "XDP program on $IF_B"
	assert_eq "$(bpfman list programs -o json | jq length)" 6 "programs"
	# the stored declaration is still the old one: status matches the kernel
	assert_eq "$(apply_run status | jq -r '.results[0].failed')" false "status"
	apply_run delete "$f" >/dev/null
	assert_clean_state
}

test_failed_attach_leaves_app_as_it_was() {
	require_apply_features
	make_veth_pair
	local f=$BPFMAN_ROOT/app.yaml out before shape
	write_app "$f" 50 uc
	apply_run apply "$f" >/dev/null
	before=$(links_of_app)
	shape=$(shape_of_app)
	# a priority change (detach + attach) and a uprobe on a function that does not exist:
	# that attach fails, everything this apply did is undone
	write_app "$f" 20 c "    - name: uprobe_counter
      type: UProbe
      uprobe:
        links:
          - target: $TESTS_HELPERS/trigger
            function: bpfman_test_target
          - target: $TESTS_HELPERS/trigger
            function: no_such_function_xyz"
	if out=$(apply_run apply "$f"); then fail "apply with a failing attach succeeded: $out"; fi
	assert_contains "$(echo "$out" | jq -r '.results[0].error')" no_such_function_xyz "error"
	assert_eq "$(echo "$out" | jq -r '.results[0].links[] | select(.what | contains("no_such")) | .state')" failed "link state"
	# the failing attach came before any detach: the same programs and links, ids included
	assert_eq "$(links_of_app)" "$before" "links after the failed apply"
	assert_eq "$(shape_of_app)" "$shape" "what is attached where"
	assert_programs_run
	apply_run delete "$f" >/dev/null
	assert_clean_state
}

test_retprobe_mismatch_is_an_error() {
	require_feature uprobe
	local f=$BPFMAN_ROOT/bad.yaml out
	cat >"$f" <<YAML
apiVersion: bpfman.io/v1alpha1
kind: ClusterBpfApplication
metadata:
  name: bad
spec:
  nodeSelector: {}
  byteCode:
    path: $COUNTERS_OBJ
  programs:
    - name: uprobe_counter
      type: URetProbe
      uretprobe:
        links:
          - target: $TESTS_HELPERS/trigger
            function: bpfman_test_target
YAML
	if out=$(apply_run apply "$f"); then fail "uretprobe on a uprobe section applied: $out"; fi
	assert_contains "$(echo "$out" | jq -r '.results[0].error')" "entry probe" "error"
	assert_eq "$(apply_run status | jq '.results | length')" 0 "nothing recorded"
	assert_clean_state
}

test_global_data_change_reloads_every_program() {
	require_apply_features
	make_veth_pair
	local f=$BPFMAN_ROOT/app.yaml out old tp before after id
	APP_INCREMENT=BQAAAAAAAAA= write_app "$f" 50 uc # 5
	apply_run apply "$f" >/dev/null
	old=$(links_of_app | awk '{print $NF}' | sort -u)
	tp=$(prog_of tracepoint_counter)
	before=$(counter "$tp" $SLOT_TRACEPOINT)
	trigger getpid 4 >/dev/null
	after=$(counter "$tp" $SLOT_TRACEPOINT)
	[ $((after - before)) -ge 20 ] && [ $(((after - before) % 5)) = 0 ] || fail "increment 5: $before -> $after"
	# the stored declaration (globals included) matches what runs
	assert_eq "$(apply_run status | jq '.results[0].actions | length')" 0 "status before"
	APP_INCREMENT=AgAAAAAAAAA= write_app "$f" 50 uc # 2
	out=$(apply_run apply "$f")
	assert_eq "$(echo "$out" | jq -r '[.results[].actions[] | select(.kind == "load")] | length')" 6 "every program loaded anew"
	assert_eq "$(echo "$out" | jq -r '[.results[].actions[] | select(.kind == "unload")] | length')" 6 "every old program unloaded"
	for id in $old; do eventually_gone "$id"; done
	tp=$(prog_of tracepoint_counter)
	before=$(counter "$tp" $SLOT_TRACEPOINT)
	trigger getpid 4 >/dev/null
	after=$(counter "$tp" $SLOT_TRACEPOINT)
	[ $((after - before)) -ge 8 ] && [ $(((after - before) % 2)) = 0 ] || fail "increment 2: $before -> $after"
	assert_programs_run
	# one map directory for the whole application
	assert_eq "$(bpfman list programs -o json | jq -r '[.[].bpfman.map_pin_path] | unique | length')" 1 "map directories"
	assert_eq "$(apply_run apply "$f" | n_actions)" 0 "again"
	apply_run delete "$f" >/dev/null
	assert_clean_state
}

test_interface_discovery_and_primary_interface() {
	require_feature tcx
	make_veth_pair
	local f=$BPFMAN_ROOT/sel.yaml out
	cat >"$f" <<YAML
apiVersion: bpfman.io/v1alpha1
kind: ClusterBpfApplication
metadata:
  name: web
spec:
  nodeSelector: {}
  byteCode:
    path: $COUNTERS_OBJ
  programs:
    - name: tcx_a
      type: TCX
      tcx:
        links:
          - interfaceSelector:
              interfacesDiscoveryConfig:
                interfaceAutoDiscovery: true
                allowedInterfaces: [/^veth-/]
            networkNamespaces: {pods: {matchLabels: {bpfman.io/netns: $NS_A}}}
            direction: Ingress
            priority: 5
    - name: tcx_b
      type: TCX
      tcx:
        links:
          - interfaceSelector: {primaryNodeInterface: true}
            networkNamespaces: {pods: {matchLabels: {bpfman.io/netns: $NS_A}}}
            direction: Egress
            priority: 5
YAML
	# no default route in NS_A yet: the primary interface is pending
	out=$(apply_run apply "$f")
	assert_eq "$(echo "$out" | jq -r '.results[].links[] | "\(.program) \(.state)"' | sort | tr '\n' ,)" \
		"tcx_a applied,tcx_b pending," "links before the default route"
	assert_eq "$(bpfman list links -o json | jq -r '.[] | "\(.function_name) \(.iface)"')" "tcx_a $IF_A" "discovered (lo excluded)"
	ip -n "$NS_A" route add default via 192.0.2.2
	ip -n "$NS_A" link add veth-new type veth peer name other-new
	out=$(apply_run retry)
	assert_eq "$(echo "$out" | jq .changed)" 2 "retry: the new interface and the primary one"
	assert_eq "$(bpfman list links -o json | jq -r '.[] | "\(.function_name) \(.iface) \(.direction)"' | sort | tr '\n' ,)" \
		"tcx_a $IF_A ingress,tcx_a veth-new ingress,tcx_b $IF_A egress," "links after retry"
	assert_eq "$(apply_run apply "$f" | n_actions)" 0 "again"
	apply_run delete "$f" >/dev/null
	assert_clean_state
}

# Applications are independent: same name in another kind or namespace is another app, and
# one failing in a file does not stop the others.
test_applications_are_independent() {
	require_feature tcx
	require_feature tracepoint
	make_veth_pair
	local f=$BPFMAN_ROOT/two.yaml g=$BPFMAN_ROOT/cluster.yaml out
	cat >"$g" <<YAML
apiVersion: bpfman.io/v1alpha1
kind: ClusterBpfApplication
metadata: {name: web}
spec:
  nodeSelector: {}
  byteCode: {path: $COUNTERS_OBJ}
  programs:
    - name: tracepoint_counter
      type: TracePoint
      tracepoint: {links: [{name: syscalls/sys_enter_getpid}]}
YAML
	cat >"$f" <<YAML
apiVersion: bpfman.io/v1alpha1
kind: BpfApplication
metadata: {name: web, namespace: team}
spec:
  nodeSelector: {}
  byteCode: {path: $COUNTERS_OBJ}
  programs:
    - name: tcx_a
      type: TCX
      tcx:
        links:
          - interfaceSelector: {interfaces: [$IF_A]}
            networkNamespaces: {pods: {matchLabels: {bpfman.io/netns: $NS_A}}}
            direction: Ingress
            priority: 5
---
apiVersion: bpfman.io/v1alpha1
kind: BpfApplication
metadata: {name: broken, namespace: team}
spec:
  nodeSelector: {}
  byteCode: {path: $COUNTERS_OBJ}
  programs:
    - name: no_such_program
      type: TCX
      tcx:
        links:
          - interfaceSelector: {interfaces: [$IF_A]}
            networkNamespaces: {pods: {matchLabels: {bpfman.io/netns: $NS_A}}}
            direction: Ingress
            priority: 6
YAML
	apply_run apply "$g" >/dev/null
	if out=$(apply_run apply "$f"); then fail "a failing application reported success: $out"; fi
	assert_eq "$(echo "$out" | jq -r '.results[] | "\(.app) \(.failed)"' | tr '\n' ,)" \
		"BpfApplication/team/web false,BpfApplication/team/broken true," "results"
	assert_eq "$(bpfman list programs -o json | jq -r '.[] | "\(.bpfman.name) \(.bpfman.metadata["bpfman.io/ProgramName"])"' | sort | tr '\n' ,)" \
		"tcx_a web,tracepoint_counter web," "both apps named web are loaded"
	# the cluster app is not touched by an apply or a delete of the namespaced one
	assert_eq "$(apply_run apply "$g" | n_actions)" 0 "cluster app again"
	apply_run delete "$f" >/dev/null
	assert_eq "$(bpfman list programs -o json | jq -r '.[].bpfman.name')" tracepoint_counter "left"
	assert_eq "$(apply_run status | jq -r '.results[].app')" ClusterBpfApplication/web "status"
	apply_run delete "$g" >/dev/null
	assert_clean_state
}

# An attach that fails after a detach (its hook's old link had to go first): the old link is
# attached again where it was, the rest untouched.
test_failed_late_attach_restores_the_old_link() {
	require_apply_features
	require_feature tcx # a tcx hook takes a program once
	AB_TYPE=TCX AB_KEY=tcx AB_PROCEED=
	make_veth_pair
	local f=$BPFMAN_ROOT/app.yaml out before shape
	write_app "$f" 50 uc
	apply_run apply "$f" >/dev/null
	before=$(links_of_app)
	shape=$(shape_of_app)
	# tcx_a moves to priority 20, and a second tcx_a link on the same hook: the kernel takes
	# a program once per tcx hook, so the second attach fails after the old link left
	write_app "$f" 20 uc
	python3 - "$f" "$IF_A" "$NS_A" <<'PY'
import sys
f, ifa, ns = sys.argv[1:]
s = open(f).read()
one = """          - interfaceSelector: {interfaces: [%s]}
            networkNamespaces: {pods: {matchLabels: {bpfman.io/netns: %s}}}
            direction: Ingress
            priority: 20
""" % (ifa, ns)
s = s.replace(one, one + one.replace("priority: 20", "priority: 30"), 1)
open(f, "w").write(s)
PY
	if out=$(apply_run apply "$f"); then fail "a second tcx_a link on the hook applied: $out"; fi
	assert_eq "$(echo "$out" | jq -r '.results[0].failed')" true "failed"
	assert_eq "$(shape_of_app)" "$shape" "what is attached where"
	assert_eq "$(links_of_app | grep -v '^tcx_a ')" "$(echo "$before" | grep -v '^tcx_a ')" "untouched links keep their ids"
	assert_eq "$(bpfman list links -o json | jq -r '.[] | select(.function_name == "tcx_a") | "\(.priority) \(.position)"')" \
		"50 1" "tcx_a back at 50"
	assert_programs_run
	apply_run delete "$f" >/dev/null
	assert_clean_state
}

# Applies of one file at once (the boot unit and an administrator, the server's retry): the
# lock is held from plan to record, so exactly one of them loads and the others find it done.
test_concurrent_applies_load_once() {
	require_apply_features
	make_veth_pair
	local f=$BPFMAN_ROOT/app.yaml i pids=() total=0 n
	write_app "$f" 50 uc
	for i in 1 2 3; do
		apply_run apply "$f" >"$BPFMAN_ROOT/out.$i" &
		pids+=($!)
	done
	for i in "${pids[@]}"; do wait "$i" || fail "an apply failed: $(cat "$BPFMAN_ROOT"/out.*)"; done
	for i in 1 2 3; do
		n=$(n_actions <"$BPFMAN_ROOT/out.$i")
		total=$((total + n))
	done
	assert_eq "$total" 12 "actions of the three applies together"
	assert_eq "$(bpfman list programs -o json | jq length)" 6 "programs"
	assert_eq "$(bpfman list links -o json | jq length)" 6 "links"
	assert_programs_run
	apply_run delete "$f" >/dev/null
	assert_clean_state
}

# byteCode.image: the same reconciler with an image from the real registry; a new image
# reference reloads the application.
test_image_bytecode() {
	require_feature tracepoint
	command -v docker-registry >/dev/null || skip "docker-registry is not installed"
	command -v skopeo >/dev/null || skip "skopeo is not installed"
	. "$HERE/registry-lib.sh"
	start_registry
	local f=$BPFMAN_ROOT/img.yaml out dir ref id1 id2 before after
	for ref in v1 v2; do
		dir=$(mktemp -d "$TEST_TMP/oci-$TEST_ID.XXXXXX")
		/usr/bin/python3 "$HERE/../helpers/make-oci-image.py" --out "$dir" --tag t \
			--object "$COUNTERS_OBJ" --programs '{"tracepoint_counter":"tracepoint"}' >/dev/null
		skopeo copy -q --dest-tls-verify=false "oci:$dir:t" "docker://$REG/ebpf/counters:$ref"
		rm -rf "${dir:?}"
	done
	write_img() {
		cat >"$f" <<YAML
apiVersion: bpfman.io/v1alpha1
kind: ClusterBpfApplication
metadata: {name: img}
spec:
  nodeSelector: {}
  byteCode:
    image: {url: "$REG/ebpf/counters:$1", imagePullPolicy: IfNotPresent}
  programs:
    - name: tracepoint_counter
      type: TracePoint
      tracepoint: {links: [{name: syscalls/sys_enter_getpid}]}
YAML
	}
	write_img v1
	out=$(apply_run apply "$f") || fail "apply of an image: $out"
	id1=$(prog_of tracepoint_counter)
	assert_eq "$(bpfman get program "$id1" -o json | jq -r .bpfman.image_url)" "$REG/ebpf/counters:v1" "image_url"
	before=$(counter "$id1" $SLOT_TRACEPOINT)
	trigger getpid 3 >/dev/null
	after=$(counter "$id1" $SLOT_TRACEPOINT)
	[ $((after - before)) -ge 3 ] || fail "counter $before -> $after"
	assert_eq "$(apply_run apply "$f" | n_actions)" 0 "again"
	write_img v2
	out=$(apply_run apply "$f")
	assert_eq "$(echo "$out" | actions_of)" "attach tracepoint_counter,detach tracepoint_counter,load tracepoint_counter,unload tracepoint_counter," "new image"
	id2=$(prog_of tracepoint_counter)
	assert_ne "$id2" "$id1" "program id"
	eventually_gone "$id1"
	apply_run delete "$f" >/dev/null
	assert_clean_state
}
