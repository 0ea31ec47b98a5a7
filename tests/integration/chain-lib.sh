# Helpers for the dispatcher tests (test-xdp-chain.sh, test-tc-chain.sh, test-dispatcher.sh,
# test-tc-dispatcher.sh): members
# from bpf/chain_member.bpf.o loaded through bpfman, each returning the action and
# counting into the hits slot given as global data; verdicts from BPF_PROG_TEST_RUN on the
# attached dispatcher.

CHAIN_OBJ="$BPF_OBJ_DIR/chain_member.bpf.o"

# le32 N: N as the 8 hex digits of a little-endian 32-bit value (for -g)
le32() {
	local h
	h=$(printf '%08x' $(($1 & 0xffffffff)))
	echo "${h:6:2}${h:4:2}${h:2:2}${h:0:2}"
}

# member TYPE FUNC ACTION SLOT [OWNER_ID]: loads one member, prints its program id. The
# first member of a test owns the shared `hits` map; pass its id as OWNER_ID to the rest.
member() {
	local owner=()
	[ -n "${5:-}" ] && owner=(--map-owner-id "$5")
	load_id -p "$CHAIN_OBJ" --programs "$1:$2" -g "slot=$(le32 "$4")" "action=$(le32 "$3")" \
		"${owner[@]}"
}

# attach_id ARGS...: attaches, prints the link id
attach_id() {
	bpfman attach "$@" | awk '/Link ID/ {print $3}'
}

# hits OWNER_ID SLOT: how often the member counting into SLOT ran
hits() {
	"$TESTS_HELPERS/map-sum" "$FS/maps/$1/hits" "$2"
}

# hits_of OWNER_ID SLOT...: "N/N/..." runs of the members counting into those slots
hits_of() {
	local o=$1 s out=
	shift
	for s in "$@"; do out="$out${out:+/}$(hits "$o" "$s")"; done
	echo "$out"
}

# verdict PROG_ID [REPEAT]: return value of a test run
verdict() {
	"$TESTS_HELPERS/prog-test-run" "$@" || fail "test run of program $1"
}

# positions: "FUNC@POS ..." of every xdp/tc link, ordered by position
positions() {
	bpfman list links -o json |
		jq -r '[.[] | select(.position != null)] | sort_by(.position) | map("\(.function_name)@\(.position)") | join(" ")'
}

# This test's dispatchers in the kernel: programs named xdp_dispatcher made since the setup
# (DISP_BASE) and held by nothing of anyone else's, who run dispatchers at the same time.
xdp_dispatchers() {
	kernel_new_ours_ids prog "${DISP_BASE?}" | while read -r id; do
		bpftool prog show id "$id" -j 2>/dev/null | jq -r '.name // empty'
	done | grep -cx xdp_dispatcher || true
}

# swap_under_traffic FIRST_ID ATTACH_CMD...: 2,000 pings from NS_B to NS_A while a second
# member is attached (ATTACH_CMD, its priority appended: 5 and 20 in turn, so it lands before
# and after the first) and detached again, 100 times. No ping may be lost, and the first
# member (counting into hits slot 0) must count every packet the sender transmitted: the
# swap is atomic. Sets SENT to the number of packets sent meanwhile.
swap_under_traffic() {
	local a=$1 i l sent_before sent_after got pid
	shift
	ip netns exec "$NS_B" ping -c 3 -i 0.2 -W 2 192.0.2.1 >/dev/null || fail "ping before"
	sent_before=$(ip -n "$NS_B" -j -s link show "$IF_B" | jq '.[0].stats64.tx.packets')
	got=$(hits "$a" 0)
	ip netns exec "$NS_B" ping -q -c 2000 -i 0.005 -W 1 192.0.2.1 >"$TEST_TMP/ping.$$" 2>&1 &
	pid=$!
	PIDS_STARTED+=("$pid")
	for i in $(seq 1 100); do
		l=$("$@" -p $((i % 2 ? 5 : 20)))
		bpfman detach "$l"
	done
	wait "$pid" || fail "ping during the swaps: $(cat "$TEST_TMP/ping.$$")"
	grep -q " 0% packet loss" "$TEST_TMP/ping.$$" || fail "ping lost packets: $(cat "$TEST_TMP/ping.$$")"
	sent_after=$(ip -n "$NS_B" -j -s link show "$IF_B" | jq '.[0].stats64.tx.packets')
	SENT=$((sent_after - sent_before))
	assert_eq "$(($(hits "$a" 0) - got))" "$SENT" "packets the first member counted vs packets sent"
}

# ---- XDP members on IF_A in NS_A (make_veth_pair) ----

XDP_ABORTED=0 XDP_DROP=1 XDP_PASS=2 XDP_TX=3 XDP_REDIRECT=4

setup_xdp_chain() {
	require_feature freplace
	make_veth_pair
	NSP="/var/run/netns/$NS_A"
	DISP_BASE=$(kernel_ids prog)
}

# xdp_attach PROG [ARGS...] on IF_A in NS_A
xdp_attach() {
	local p=$1
	shift
	attach_id "$p" xdp -i "$IF_A" -n "$NSP" "$@"
}

disp_id() { bpfman dispatcher show "$IF_A" -n "$NSP" -o json | jq -r '.dispatcher_id // 0'; }
# run_chain [REPEAT]: verdict of the XDP dispatcher on IF_A
run_chain() { verdict "$(disp_id)" "$@"; }

# ---- XDP in the host's namespace, beside xdp-loader (libxdp's layout) ----

LXFS= LXIF=
xdp_chain_teardown() {
	local rc=$?
	set +e
	[ -n "$LXIF" ] && xdp-loader unload -a "$LXIF" >/dev/null 2>&1
	[ -z "$LXFS" ] || umount "$LXFS" 2>/dev/null || umount -l "$LXFS"
	return $rc
}

setup_libxdp_iface() {
	require_feature freplace
	command -v xdp-loader >/dev/null || skip "no xdp-loader"
	LXIF=$(make_host_iface)
	DISP_BASE=$(kernel_ids prog)
	# libxdp's state in a private bpffs, for bpfman and xdp-loader alike
	LXFS="$BPFMAN_ROOT/libxdp"
	mkdir -p "$LXFS"
	mount -t bpf bpf "$LXFS"
	export LIBXDP_BPFFS="$LXFS"
	trap 'xdp_chain_teardown; test_teardown' EXIT
}

# "PRIO:NAME ..." as xdp-loader lists the chain
loader_chain() {
	xdp-loader status "$LXIF" | awk '$1 == "=>" {printf "%s%s:%s", sep, $2, $3; sep = " "}'
}

# ---- TC members on IF_A in NS_A ----

TC_UNSPEC=-1 TC_OK=0 TC_SHOT=2 TC_PIPE=3

setup_tc_chain() {
	require_feature freplace
	make_veth_pair
	NSP="/var/run/netns/$NS_A"
}

tc_attach() { # PROG DIRECTION [ARGS...] on IF_A in NS_A
	local p=$1 d=$2
	shift 2
	attach_id "$p" tc -i "$IF_A" -d "$d" -n "$NSP" "$@"
}

tc_disp() { bpfman dispatcher show "$IF_A" -d "${1:-ingress}" -n "$NSP" -o json | jq -r '.dispatcher_id // 0'; }
# run_tc [DIRECTION]: verdict of the TC dispatcher on IF_A
run_tc() { verdict "$(tc_disp "${1:-ingress}")"; }
