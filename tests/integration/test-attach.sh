# attach / detach for every hook kind the kernel offers, proven by a counter that moves

# attach_link PROG_ID TYPE ARGS... -> prints the link id
attach_link() {
	bpfman attach "$@" | awk '/Link ID/ {print $3}'
}

# counted PROG_ID SLOT MIN COMMAND...: runs COMMAND, checks the counter moved by >= MIN;
# prints the delta
counted() {
	local id=$1 slot=$2 min=$3 before after
	shift 3
	before=$(counter "$id" "$slot")
	"$@" >/dev/null
	after=$(counter "$id" "$slot")
	[ $((after - before)) -ge "$min" ] || fail "counter $slot moved $before -> $after, want >= $min after: $*"
	echo $((after - before))
}

test_kprobe_and_kretprobe() {
	require_feature kprobe
	local json k kr l1 l2
	json=$(bpfman load file -o json -p "$COUNTERS_OBJ" --programs kprobe:kprobe_counter kprobe:kretprobe_counter)
	k=$(echo "$json" | jq -r '.[0].kernel.id')
	kr=$(echo "$json" | jq -r '.[1].kernel.id')
	bpfman get program "$kr" | grep_all "Program Type:  kretprobe" || fail "kretprobe from section"
	l1=$(attach_link "$k" kprobe -f do_unlinkat)
	l2=$(attach_link "$kr" kprobe -f do_unlinkat)
	counted "$k" $SLOT_KPROBE 10 trigger unlink 10 >/dev/null
	counted "$kr" $SLOT_KRETPROBE 10 trigger unlink 10 >/dev/null
	expect_fail bpfman attach "$k" kprobe -f no_such_kernel_function_xyz
	assert_contains "$OUT" "does not exist" "unknown kernel function"
	bpfman detach "$l1"
	bpfman detach "$l2"
	bpfman unload "$k"
	bpfman unload "$kr"
	assert_clean_state
}

test_uprobe_by_library_name() {
	require_feature uprobe
	local id link
	id=$(load_id --programs uprobe:uprobe_counter -p "$COUNTERS_OBJ")
	link=$(attach_link "$id" uprobe -t libc -f getpid)
	counted "$id" $SLOT_UPROBE 20 trigger getpid 20 >/dev/null
	bpfman get link "$link" | grep_all "Target:  *libc" || fail "target shown"
	bpfman unload "$id"
	assert_clean_state
}

test_uprobe_by_path_offset_and_uretprobe() {
	require_feature uprobe
	local json up ur off d
	json=$(bpfman load file -o json -p "$COUNTERS_OBJ" --programs uprobe:uprobe_counter uprobe:uretprobe_counter)
	up=$(echo "$json" | jq -r '.[0].kernel.id')
	ur=$(echo "$json" | jq -r '.[1].kernel.id')
	# by path and function: exactly our 7 calls (no other process runs this binary)
	attach_link "$up" uprobe -t "$TESTS_HELPERS/trigger" -f bpfman_test_target >/dev/null
	d=$(counted "$up" $SLOT_UPROBE 7 trigger func 7)
	assert_eq "$d" 7 "uprobe by function"
	attach_link "$ur" uprobe -t "$TESTS_HELPERS/trigger" -f bpfman_test_target >/dev/null
	d=$(counted "$ur" $SLOT_URETPROBE 5 trigger func 5)
	assert_eq "$d" 5 "uretprobe"
	bpfman unload "$up"
	# by offset alone, taken from /proc/self/maps of the target
	up=$(load_id --programs uprobe:uprobe_counter -p "$COUNTERS_OBJ" --map-owner-id "$ur")
	off=$(trigger offset)
	attach_link "$up" uprobe -t "$TESTS_HELPERS/trigger" -o "$off" >/dev/null
	d=$(counted "$up" $SLOT_UPROBE 3 trigger func 3)
	assert_eq "$d" 3 "uprobe by offset $off"
	bpfman unload "$up"
	bpfman unload "$ur"
	assert_clean_state
}

# starts `trigger wait-func` (optionally through a wrapper) and sets WAIT_PID
start_waiter() {
	local fifo="$TEST_TMP/waiter.$$.$RANDOM"
	mkfifo "$fifo"
	"$@" >"$fifo" &
	PIDS_STARTED+=($!)
	read -r WAIT_PID <"$fifo"
	rm -f "$fifo"
}

test_uprobe_pid_filter() {
	require_feature uprobe
	local id d
	id=$(load_id --programs uprobe:uprobe_counter -p "$COUNTERS_OBJ")
	start_waiter "$TESTS_HELPERS/trigger" wait-func
	attach_link "$id" uprobe -t "$TESTS_HELPERS/trigger" -f bpfman_test_target --pid "$WAIT_PID" >/dev/null
	# another process calling the function is not counted
	d=$(counted "$id" $SLOT_UPROBE 0 trigger func 4)
	assert_eq "$d" 0 "calls of another pid"
	local before after
	before=$(counter "$id" $SLOT_UPROBE)
	kill -USR1 "$WAIT_PID"
	wait "$WAIT_PID" 2>/dev/null || true
	after=$(counter "$id" $SLOT_UPROBE)
	assert_eq "$((after - before))" 10 "calls of the filtered pid"
	bpfman unload "$id"
	assert_clean_state
}

test_uprobe_in_container_mount_namespace() {
	require_feature uprobe
	command -v unshare >/dev/null || skip "no unshare(1) to make a mount namespace"
	local id before after private=/mnt/bpfman-ct-$$
	id=$(load_id --programs uprobe:uprobe_counter -p "$COUNTERS_OBJ")
	# a process whose binary exists only inside its own mount namespace
	start_waiter unshare -m --propagation private sh -c \
		"mkdir -p $private && mount -t tmpfs none $private && cp '$TESTS_HELPERS/trigger' $private/trigger && exec $private/trigger wait-func"
	[ ! -e "$private/trigger" ] || fail "private path visible outside"
	expect_fail bpfman attach "$id" uprobe -t "$private/trigger" -f bpfman_test_target
	attach_link "$id" uprobe -t "$private/trigger" -f bpfman_test_target -c "$WAIT_PID" >/dev/null
	before=$(counter "$id" $SLOT_UPROBE)
	kill -USR1 "$WAIT_PID"
	wait "$WAIT_PID" 2>/dev/null || true
	after=$(counter "$id" $SLOT_UPROBE)
	assert_eq "$((after - before))" 10 "calls inside the container"
	rmdir "$private" 2>/dev/null || true
	bpfman unload "$id"
	assert_clean_state
}

test_fentry_fexit() {
	require_feature fentry
	local json fe fx
	json=$(bpfman load file -o json -p "$COUNTERS_OBJ" \
		--programs fentry:fentry_counter:do_unlinkat fexit:fexit_counter:do_unlinkat)
	fe=$(echo "$json" | jq -r '.[0].kernel.id')
	fx=$(echo "$json" | jq -r '.[1].kernel.id')
	attach_link "$fe" fentry >/dev/null
	attach_link "$fx" fexit >/dev/null
	counted "$fe" $SLOT_FENTRY 10 trigger unlink 10 >/dev/null
	counted "$fx" $SLOT_FEXIT 10 trigger unlink 10 >/dev/null
	bpfman unload "$fe"
	bpfman unload "$fx"
	expect_fail bpfman load file -p "$COUNTERS_OBJ" --programs fentry:fentry_counter:no_such_function_xyz
	assert_clean_state
}

test_lsm() {
	require_feature lsm
	local id
	id=$(load_id --programs lsm:lsm_counter:file_open -p "$COUNTERS_OBJ")
	attach_link "$id" lsm >/dev/null
	counted "$id" $SLOT_LSM 10 trigger open 10 >/dev/null
	bpfman unload "$id"
	assert_clean_state
}

test_tcx_order_and_netns() {
	require_feature tcx
	make_veth_pair
	local json a b c la lb lc ld d pos
	json=$(bpfman load file -o json -p "$COUNTERS_OBJ" --programs tcx:tcx_a tcx:tcx_b tcx:tcx_c)
	a=$(echo "$json" | jq -r '.[0].kernel.id')
	b=$(echo "$json" | jq -r '.[1].kernel.id')
	c=$(echo "$json" | jq -r '.[2].kernel.id')
	la=$(attach_link "$a" tcx -i "$IF_A" -d ingress -p 50 -n "/var/run/netns/$NS_A")
	lb=$(attach_link "$b" tcx -i "$IF_A" -d ingress -p 10 -n "/var/run/netns/$NS_A")
	lc=$(attach_link "$c" tcx -i "$IF_A" -d ingress -p 50 -n "/var/run/netns/$NS_A")
	pos() { bpfman get link "$1" -o json | jq -r .position; }
	# lower priority first; equal priority: the newcomer after
	assert_eq "$(pos "$lb") $(pos "$la") $(pos "$lc")" "0 1 2" "positions b a c"
	bpfman list links | grep_all "$IF_A ingress pos-1" || fail "position in list links"
	# traffic between the namespaces reaches all three, in the namespace given
	ip netns exec "$NS_A" ping -c 5 -i 0.2 -W 2 192.0.2.2 >/dev/null || fail "ping"
	for s in $SLOT_TCX_A $SLOT_TCX_B $SLOT_TCX_C; do
		d=$("$TESTS_HELPERS/map-sum" "$FS/maps/$a/counters" $s)
		[ "$d" -ge 5 ] || fail "tcx slot $s saw $d packets"
	done
	# a program already on the hook cannot go on it twice; egress is separate
	expect_fail bpfman attach "$a" tcx -i "$IF_A" -d ingress -n "/var/run/netns/$NS_A"
	ld=$(attach_link "$a" tcx -i "$IF_A" -d egress -p 1 -n "/var/run/netns/$NS_A")
	assert_eq "$(pos "$ld")" 0 "egress position"
	# detach the middle one: the others close ranks
	bpfman detach "$la"
	assert_eq "$(pos "$lb") $(pos "$lc")" "0 1" "after detach"
	# the interface goes away: reconcile drops the links
	ip netns del "$NS_A"
	bpfman list programs >/dev/null
	bpfman load file -p "$COUNTERS_OBJ" --programs tcx:tcx_a >/dev/null # any change reconciles
	assert_eq "$(bpfman list links -o json | jq length)" 0 "links after the namespace went"
	for id in $(bpfman list programs -o json | jq -r '.[].kernel.id'); do bpfman unload "$id"; done
	assert_clean_state
}

test_tcx_host_interface() {
	require_feature tcx
	local dev id l
	dev=$(make_host_iface)
	id=$(load_id --programs tcx:tcx_a -p "$COUNTERS_OBJ")
	l=$(attach_link "$id" tcx -i "$dev" -d egress)
	assert_eq "$(bpfman get link "$l" -o json | jq -r .position)" 0 "position"
	bpftool link show | grep_all "prog $id" || fail "kernel link"
	bpfman detach "$l"
	! bpftool link show | grep_all "prog $id" || fail "kernel link after detach"
	bpfman unload "$id"
	assert_clean_state
}

test_xdp_single_program() {
	require_no_feature freplace "xdp uses the dispatcher (test-xdp-chain.sh)"
	make_veth_pair
	local json x t l
	json=$(bpfman load file -o json -p "$COUNTERS_OBJ" --programs xdp:xdp_counter tcx:tcx_a)
	x=$(echo "$json" | jq -r '.[0].kernel.id')
	t=$(echo "$json" | jq -r '.[1].kernel.id')
	assert_eq "$(bpfman get program "$x" -o json | jq -r .kernel.program_type_name)" xdp "kernel type"
	expect_fail bpfman attach "$x" xdp -i "$IF_A" -n "/var/run/netns/$NS_A" --proceed-on pass bogus
	assert_contains "$OUT" "invalid proceed-on 'bogus'" "bad proceed-on"
	l=$(attach_link "$x" xdp -i "$IF_A" -n "/var/run/netns/$NS_A")
	assert_eq "$(bpfman get link "$l" -o json | jq -r .position)" 0 "position"
	bpfman get link "$l" | grep_all "Proceed On:  *pass, dispatcher_return" || fail "default proceed-on"
	bpfman list links | grep_all "$IF_A pos-0" || fail "list links"
	ip netns exec "$NS_B" ping -c 5 -i 0.2 -W 2 192.0.2.1 >/dev/null || fail "ping"
	d=$("$TESTS_HELPERS/map-sum" "$FS/maps/$x/counters" $SLOT_XDP)
	[ "$d" -ge 5 ] || fail "xdp saw $d packets"
	# one program per interface without the dispatcher: a clear refusal, nothing left
	local x2
	x2=$(load_id --programs xdp:xdp_counter -p "$COUNTERS_OBJ")
	expect_fail bpfman attach "$x2" xdp -i "$IF_A" -n "/var/run/netns/$NS_A"
	assert_contains "$OUT" "already runs XDP program $x" "second xdp program"
	assert_eq "$(bpfman list links -o json | jq length)" 1 "links after the refusal"
	# a foreign XDP program is not replaced either
	bpfman detach "$l"
	# (iproute2 makes its pin directories in the first bpffs it finds: point it at the
	# system's, not this test's)
	TC_BPF_MNT=/sys/fs/bpf ip -n "$NS_A" link set dev "$IF_A" xdpgeneric obj "$(obj xdp_pass.bpf.o)" sec xdp ||
		fail "ip cannot attach xdp"
	expect_fail bpfman attach "$x2" xdp -i "$IF_A" -n "/var/run/netns/$NS_A"
	assert_contains "$OUT" "already runs XDP program" "foreign xdp program"
	ip -n "$NS_A" link show "$IF_A" | grep_all "prog/xdp" || fail "the foreign program was replaced"
	ip -n "$NS_A" link set dev "$IF_A" xdpgeneric off
	bpfman unload "$x2"
	bpfman unload "$x"
	bpfman unload "$t"
	assert_clean_state
}

# tc without a dispatcher: one cls_bpf filter per program, in priority order; the kernel
# goes on to the next filter when a program returns TC_ACT_UNSPEC (these all do)
test_tc_filters_in_priority_order() {
	require_no_feature freplace "tc uses the dispatcher (test-tc-chain.sh)"
	make_veth_pair
	local json a b c la lb lc ns="/var/run/netns/$NS_A" d
	json=$(bpfman load file -o json -p "$COUNTERS_OBJ" --programs tc:tcx_a tc:tcx_b tc:tcx_c)
	a=$(echo "$json" | jq -r '.[0].kernel.id')
	b=$(echo "$json" | jq -r '.[1].kernel.id')
	c=$(echo "$json" | jq -r '.[2].kernel.id')
	la=$(attach_link "$a" tc -i "$IF_A" -d ingress -p 50 -n "$ns")
	lb=$(attach_link "$b" tc -i "$IF_A" -d ingress -p 10 -n "$ns")
	lc=$(attach_link "$c" tc -i "$IF_A" -d ingress -p 60 -n "$ns" --proceed-on ok shot)
	bpfman get link "$la" | grep_all "Proceed On:  *pipe, dispatcher_return" || fail "tc default proceed-on"
	assert_eq "$(bpfman get link "$lc" -o json | jq -c .proceed_on)" "[0,2]" "proceed-on given"
	pos() { bpfman get link "$1" -o json | jq -r .position; }
	assert_eq "$(pos "$lb") $(pos "$la") $(pos "$lc")" "0 1 2" "positions b a c"
	# the kernel's own view: the filters and their priorities, clsact made for them
	ip netns exec "$NS_A" tc qdisc show dev "$IF_A" | grep_all clsact || fail "no clsact"
	local prios
	prios=$(ip netns exec "$NS_A" tc filter show dev "$IF_A" ingress | grep -oE 'pref [0-9]+' | sort -u | awk '{print $2}' | sort -n | tr '\n' ' ')
	assert_eq "$prios" "10 50 60 " "filter priorities"
	ip netns exec "$NS_B" ping -c 5 -i 0.2 -W 2 192.0.2.1 >/dev/null || fail "ping"
	for s in $SLOT_TCX_A $SLOT_TCX_B $SLOT_TCX_C; do
		d=$("$TESTS_HELPERS/map-sum" "$FS/maps/$a/counters" $s)
		[ "$d" -ge 5 ] || fail "tc slot $s saw $d packets"
	done
	bpfman detach "$la"
	assert_eq "$(pos "$lb") $(pos "$lc")" "0 1" "after detach"
	ip netns exec "$NS_A" tc filter show dev "$IF_A" ingress | grep_all "pref 50" && fail "filter 50 left"
	# the last one leaves: the clsact the manager made goes too
	bpfman unload "$b"
	bpfman unload "$c"
	ip netns exec "$NS_A" tc qdisc show dev "$IF_A" | grep_all clsact && fail "clsact left behind"
	bpfman unload "$a"
	assert_clean_state
}

test_tc_legacy_ingress_refused_and_clsact_kept() {
	make_veth_pair
	local id l ns="/var/run/netns/$NS_A"
	id=$(load_id --programs tc:tcx_a -p "$COUNTERS_OBJ")
	ip netns exec "$NS_B" tc qdisc add dev "$IF_B" ingress
	expect_fail bpfman attach "$id" tc -i "$IF_B" -d ingress -n "/var/run/netns/$NS_B"
	assert_contains "$OUT" "legacy 'ingress' qdisc" "legacy ingress"
	assert_eq "$(bpfman list links -o json | jq length)" 0 "links after the refusal"
	# a clsact that was there before stays after our last program leaves
	ip netns exec "$NS_A" tc qdisc add dev "$IF_A" clsact
	l=$(attach_link "$id" tc -i "$IF_A" -d egress -n "$ns")
	ip netns exec "$NS_A" tc filter show dev "$IF_A" egress | grep_all "direct-action" || fail "no filter"
	bpfman detach "$l"
	ip netns exec "$NS_A" tc qdisc show dev "$IF_A" | grep_all clsact || fail "someone else's clsact removed"
	ip netns exec "$NS_A" tc filter show dev "$IF_A" egress | grep_all "direct-action" && fail "filter left"
	bpfman unload "$id"
	assert_clean_state
}
