# The multi-program XDP dispatcher (bpf/xdp_dispatcher.bpf.c), driven by
# tests/helpers/dispatch-probe with the components of bpf/xdp_dispatcher_test.bpf.o:
# chain order, proceed-on, ten slots, and sharing an interface with libxdp's xdp-loader.
# `dispatch-probe run` prints the verdict of one test packet, then "FUNC HITS" for each
# component in command-line order.

DISP_TEST_OBJ="$BPF_OBJ_DIR/xdp_dispatcher_test.bpf.o"

DPROBE="$TESTS_HELPERS/dispatch-probe"
dprobe() { "$DPROBE" "$@"; }

# Components are EXT (freplace) programs: kernels that refuse those skip.
require_freplace() {
	local why
	why=$(dprobe freplace-ok 2>&1) || skip "freplace: $why"
}

# expect_run "VERDICT FUNC HITS FUNC HITS..." COMPONENT...: the output of one run, its
# lines joined by spaces
expect_run() {
	local want=$1 out
	shift
	out=$(dprobe run "$DISP_TEST_OBJ" "$@") || fail "dispatch-probe run $*: exit $?"
	assert_eq "$(echo $out)" "$want" "run $*"
}

test_order_by_priority() {
	require_freplace
	# drop at 10 ends the chain before pass at 20 runs, whatever the command-line order
	expect_run "XDP_DROP disp_pass 0 disp_drop 1" disp_pass:20 disp_drop:10
	expect_run "XDP_DROP disp_drop 1 disp_pass 0" disp_drop:10 disp_pass:20
	# pass at 5 goes first and proceeds (default proceed-on: pass)
	expect_run "XDP_DROP disp_pass 1 disp_drop 1" disp_pass:5 disp_drop:10
	# equal priorities: by name, as libxdp orders them (disp_drop < disp_tx)
	expect_run "XDP_DROP disp_tx 0 disp_drop 1" disp_tx:10 disp_drop:10
	# no priority given: 50
	expect_run "XDP_TX disp_drop 0 disp_tx 1" disp_drop disp_tx:49
}

test_proceed_on() {
	require_freplace
	expect_run "XDP_DROP disp_pass 1 disp_drop 1" disp_pass:10:pass disp_drop:20
	expect_run "XDP_PASS disp_pass 1 disp_drop 0" disp_pass:10:none disp_drop:20
	expect_run "XDP_PASS disp_pass 1 disp_drop 0" disp_pass:10: disp_drop:20
	# each slot has its own mask: drop proceeds on drop, tx does not proceed on tx
	expect_run "XDP_TX disp_drop 1 disp_tx 1 disp_pass 0" disp_drop:10:drop,tx disp_tx:20:drop disp_pass:30
	expect_run "XDP_REDIRECT disp_aborted 1 disp_redirect 1" disp_aborted:1:aborted disp_redirect:2
	expect_run "XDP_ABORTED disp_aborted 1 disp_redirect 0" disp_aborted:1:pass,drop disp_redirect:2
	# a return value no mask bit can name ends the chain, even with every action set
	expect_run "63 disp_bogus 1 disp_pass 0" \
		disp_bogus:1:aborted,drop,pass,tx,redirect,dispatcher_return disp_pass:2
}

test_ten_components() {
	require_freplace
	local comps=() want="XDP_TX" out i
	for i in 1 2 3 4 5 6 7 8 9; do
		comps+=("disp_pass:$((100 - i))")
		want="$want disp_pass 3"
	done
	comps+=(disp_tx:100)
	want="$want disp_tx 3"
	out=$(dprobe run --repeat 3 "$DISP_TEST_OBJ" "${comps[@]}")
	assert_eq "$(echo $out)" "$want" "ten components, three packets"
	expect_fail dprobe run "$DISP_TEST_OBJ" "${comps[@]}" disp_drop:1
	assert_contains "$OUT" "at most 10" "eleven components"
}

test_empty_dispatcher_passes() {
	require_freplace
	assert_eq "$(dprobe run)" XDP_PASS "no components"
	assert_eq "$(dprobe run --repeat 5)" XDP_PASS "no components, five packets"
}

# ---- sharing an interface with xdp-loader ------------------------------------------
# Everything happens in NS_A with a private bpffs for libxdp's state (LIBXDP_BPFFS, and
# --pin for dispatch-probe). nsenter, not "ip netns exec": the latter remounts /sys,
# which hides the bpffs under /sys/fs/bpf.

XDPFS=
dispatcher_teardown() {
	local rc=$?
	set +e
	[ -z "$XDPFS" ] || umount "$XDPFS" 2>/dev/null || umount -l "$XDPFS"
	return $rc
}

setup_shared_iface() {
	command -v xdp-loader >/dev/null || skip "no xdp-loader"
	make_veth_pair
	XDPFS="$BPFMAN_ROOT/xdpfs"
	mkdir -p "$XDPFS"
	mount -t bpf bpf "$XDPFS"
	trap 'dispatcher_teardown; test_teardown' EXIT
	export LIBXDP_BPFFS="$XDPFS"
}

in_a() { nsenter --net="/run/netns/$NS_A" "$@"; }
in_b() { nsenter --net="/run/netns/$NS_B" "$@"; }

# "PRIO:NAME ..." of the components xdp-loader lists on IF_A
loader_chain() {
	in_a xdp-loader status "$IF_A" | awk '$1 == "=>" {printf "%s%s:%s", sep, $2, $3; sep = " "}'
}

# "PRIO:NAME ..." as dispatch-probe reads the dispatcher on IF_A
probe_chain() {
	in_a "$DPROBE" --pin "$XDPFS" status "$IF_A" | awk 'NR > 1 {printf "%s%s:%s", sep, $2, $5; sep = " "}'
}

probe_ids() {
	in_a "$DPROBE" --pin "$XDPFS" status "$IF_A" | awk 'NR > 1 {print $4}'
}

dispatch_dirs() { find "$XDPFS/xdp" -mindepth 1 -maxdepth 1 -name 'dispatch-*' 2>/dev/null | wc -l; }

hits() { "$TESTS_HELPERS/map-sum" "$XDPFS/hits" "$1"; }

component_exists() { kernel_prog_exists "$COMPONENT_ID" && echo yes || echo no; }

test_xdp_loader_adds_to_and_unloads_our_dispatcher() {
	require_freplace
	setup_shared_iface
	local out ids h0 h1
	out=$(in_a "$DPROBE" --pin "$XDPFS" run --attach "$IF_A" --hits-pin "$XDPFS/hits" \
		"$DISP_TEST_OBJ" disp_pass2:20 disp_pass:10)
	assert_eq "$out" "$(printf 'XDP_PASS\ndisp_pass2 1\ndisp_pass 1')" "test run before attach"
	# libxdp's layout: one directory, two files per slot, mode 0700
	[ -d "$XDPFS/xdp" ] || fail "no $XDPFS/xdp"
	out=$(cd "$XDPFS/xdp" && ls -d dispatch-*)
	[[ $out == dispatch-*-* ]] || fail "pin directory: $out"
	assert_eq "$(ls "$XDPFS/xdp/$out" | tr '\n' ' ')" "prog0-link prog0-prog prog1-link prog1-prog " "pins"
	assert_eq "$(stat -c %a "$XDPFS/xdp/$out")" 700 "pin directory mode"
	assert_eq "$(probe_chain)" "10:disp_pass 20:disp_pass2" "our reader"
	assert_eq "$(loader_chain)" "10:disp_pass 20:disp_pass2" "xdp-loader status of our dispatcher"
	in_a xdp-loader status "$IF_A" | grep -q "xdp_dispatcher" || fail "dispatcher not listed"
	ids=$(probe_ids | tr '\n' ' ')

	# a second attach is refused and leaves no pins behind
	expect_fail in_a "$DPROBE" --pin "$XDPFS" run --attach "$IF_A" "$DISP_TEST_OBJ" disp_drop:1
	assert_eq "$(dispatch_dirs)" 1 "pin directories after a refused attach"

	# xdp-loader builds its own dispatcher with its program between ours
	out=$(in_a xdp-loader load -m skb -P 15 "$IF_A" "$(obj xdp_pass.bpf.o)" 2>&1) ||
		fail "xdp-loader load: $out"
	assert_eq "$(loader_chain)" "10:disp_pass 15:xdp_pass 20:disp_pass2" "xdp-loader status after load"
	assert_eq "$(probe_chain)" "10:disp_pass 15:xdp_pass 20:disp_pass2" "our reader of libxdp's dispatcher"
	out=$(probe_ids | sed -n '1p;3p' | tr '\n' ' ')
	assert_eq "$out" "$ids" "our components keep their program ids"
	assert_eq "$(dispatch_dirs)" 1 "old pin directory removed by libxdp"

	# packets run through all three
	h0=$(hits 0) h1=$(hits 1)
	in_b ping -c 3 -i 0.2 -W 2 192.0.2.1 >/dev/null || fail "ping through the chain"
	[ $(($(hits 0) - h0)) -ge 3 ] || fail "disp_pass ran $(($(hits 0) - h0)) times for 3 pings"
	[ $(($(hits 1) - h1)) -ge 3 ] || fail "disp_pass2 ran $(($(hits 1) - h1)) times for 3 pings"

	# xdp-loader takes one of ours out (another rebuild), then everything
	out=$(in_a xdp-loader unload -i "${ids%% *}" "$IF_A" 2>&1) || fail "xdp-loader unload -i: $out"
	assert_eq "$(loader_chain)" "15:xdp_pass 20:disp_pass2" "xdp-loader status after unload -i"
	assert_eq "$(probe_chain)" "15:xdp_pass 20:disp_pass2" "our reader after unload -i"
	out=$(in_a xdp-loader unload -a "$IF_A" 2>&1) || fail "xdp-loader unload -a: $out"
	in_a xdp-loader status "$IF_A" | grep -q "No XDP program loaded" || fail "still loaded"
	assert_eq "$(in_a "$DPROBE" --pin "$XDPFS" status "$IF_A")" none "our reader after unload"
	assert_eq "$(dispatch_dirs)" 0 "pin directories after unload"
	for COMPONENT_ID in $ids; do
		eventually_eq component_exists no "component $COMPONENT_ID freed"
	done
}

test_single_component_and_our_detach() {
	require_freplace
	setup_shared_iface
	local out
	# one component, on prog0 (libxdp itself would replace xdp_dispatcher as a whole)
	out=$(in_a "$DPROBE" --pin "$XDPFS" run --attach "$IF_A" --hits-pin "$XDPFS/hits" \
		"$DISP_TEST_OBJ" disp_drop:10)
	assert_eq "$out" "$(printf 'XDP_DROP\ndisp_drop 1')" "test run"
	assert_eq "$(loader_chain)" "10:disp_drop" "xdp-loader status"
	in_b ping -c 2 -i 0.2 -W 1 192.0.2.1 >/dev/null 2>&1 && fail "ping got through disp_drop"
	# the test packet, then at least one ARP request from NS_B
	[ "$(hits 0)" -ge 2 ] || fail "disp_drop ran $(hits 0) times"

	# xdp-loader adds a program in front; the drop still ends the chain
	out=$(in_a xdp-loader load -m skb -P 5 "$IF_A" "$(obj xdp_pass.bpf.o)" 2>&1) ||
		fail "xdp-loader load: $out"
	assert_eq "$(loader_chain)" "5:xdp_pass 10:disp_drop" "xdp-loader status after load"
	in_b ping -c 2 -i 0.2 -W 1 192.0.2.1 >/dev/null 2>&1 && fail "ping got through"

	# we detach libxdp's dispatcher and clean its pins
	in_a "$DPROBE" --pin "$XDPFS" detach "$IF_A"
	assert_eq "$(in_a "$DPROBE" --pin "$XDPFS" status "$IF_A")" none "after detach"
	assert_eq "$(dispatch_dirs)" 0 "pin directories after detach"
	in_a xdp-loader status "$IF_A" | grep -q "No XDP program loaded" || fail "xdp-loader still sees one"
	in_b ping -c 2 -i 0.2 -W 2 192.0.2.1 >/dev/null || fail "ping after detach"

	# and our own, attached and detached without libxdp
	in_a "$DPROBE" --pin "$XDPFS" run --attach "$IF_A" "$DISP_TEST_OBJ" disp_pass:1 disp_drop:2 >/dev/null
	assert_eq "$(probe_chain)" "1:disp_pass 2:disp_drop" "our reader"
	in_a "$DPROBE" --pin "$XDPFS" detach "$IF_A"
	assert_eq "$(dispatch_dirs)" 0 "pin directories after our detach"
	expect_fail in_a "$DPROBE" --pin "$XDPFS" detach "$IF_A"
}
