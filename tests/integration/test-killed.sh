# killed: SIGKILL (and EINTR) at every step of attach, detach and unload on every direct
# path (tc filter, xdp link, tcx, perf links); after each, the next command must leave the
# kernel, the pins and the records agreeing exactly. Steps are the CLI's own system calls,
# counted by strace, so every run hits the same step: deterministic, and bounded by the
# number of calls (the index grows until the command completes without the injection).
set -o pipefail

# bpf(), netlink and the file-system calls that change state (SQLite's writes and syncs,
# pins, directories)
KILL_CALLS="bpf sendmsg sendto recvmsg recvfrom unlink unlinkat mkdir mkdirat rename renameat renameat2 pwrite64 fdatasync fsync ftruncate"
# calls whose failure the code must handle: an EINTR there is an error like any other
EINTR_CALLS="bpf sendto recvfrom recvmsg"

# Which matrices run (KILL_MATRIX: kinds, default all) and every how many steps (KILL_STRIDE,
# default 1: every step). The qemu guests set both: under TCG emulation one kill and its
# check take seconds, so the host kernel runs every step of the kinds it has and the guests
# every sixth step of those the host may lack (6.12 kprobe, 6.1 fentry).
KILL_STRIDE=${KILL_STRIDE:-1}
want_matrix() { # KIND
	[ -z "${KILL_MATRIX+x}" ] && return 0
	[[ " $KILL_MATRIX " == *" $1 "* ]] && return 0
	skip "kill matrix of $1 not selected here (KILL_MATRIX=\"$KILL_MATRIX\"): under emulation its kills take minutes; it runs on the host kernel, or for kprobe and fentry (which the host may lack) in one of the guests (6.12 kprobe, 6.1 fentry)"
}

OURS=""   # every program id this test loaded: "ours" even once its record is gone
HOOK_NS=""  # the namespace (path and name) and interface of the xdp/tc/tcx hooks
HOOK_NS_NAME=""
HOOK_IF=""
WHY=""

# inject MODE CALL N COMMAND...: runs COMMAND with its Nth CALL killed (MODE kill) or
# failed with EINTR (MODE eintr). Succeeds when the injection happened, fails when COMMAND
# made fewer than N such calls (it then ran to its end, untouched).
inject() {
	local mode=$1 call=$2 n=$3 spec out="$TEST_TMP/strace.$TEST_ID"
	shift 3
	if [ "$mode" = kill ]; then
		spec="$call:signal=SIGKILL:when=$n"
	else
		spec="$call:error=EINTR:when=$n"
	fi
	{ no_lsan strace -f -qq -o "$out" -e trace="$call" -e inject="$spec" "$@" >/dev/null 2>&1; } 2>/dev/null || true
	grep -qE 'INJECTED|killed by SIGKILL' "$out"
}

# ---- agreement: records, pins, kernel ----

# One pass (one interpreter: a dozen jq runs per check cost seconds on a busy host) over
# bpfman list programs/links -o json, the pins (find), bpftool prog/link/net, tc filter show.
# Prints why they disagree and fails, or prints nothing.
agree_once() {
	python3 - "$BPFMAN" "$FS" "$OURS" "${HOOK_NS_NAME:-}" "${HOOK_IF:-}" <<'PY'
import json, os, subprocess, sys

bpfman, fs, ours, ns, iface = sys.argv[1:6]
ours = {int(x) for x in ours.split()}

def run(*cmd):
    return subprocess.run(cmd, check=True, capture_output=True, text=True).stdout

def bad(why):
    print(why)
    sys.exit(1)

progs = json.loads(run(bpfman, "list", "programs", "-o", "json"))
links = json.loads(run(bpfman, "list", "links", "-o", "json"))
klinks = json.loads(run("bpftool", "link", "show", "-j"))
tc = [l for l in links if l["program_type"] == "tc" and l["mode"] == "direct"]
# members of a dispatcher have no pin of their own: the chain's tree pins them, and the
# record is whole when the chain runs its program (a position)
chained = [l for l in links if l.get("mode") == "dispatcher"]
pinned = [l for l in links if l not in tc and l not in chained]
for l in chained:
    if l.get("position") is None:
        bad(f"link {l['id']}: dispatcher member record, but its program is not in the chain")

# every program record has its pin and its kernel program
for p in progs:
    pid = p["kernel"]["id"]
    if not os.path.exists(f"{fs}/prog_{pid}"):
        bad(f"program {pid}: record without pin")
    if subprocess.run(["bpftool", "prog", "show", "id", str(pid)], capture_output=True).returncode:
        bad(f"program {pid}: record without kernel program")

# the pins are exactly those the records name (map directories with their contents)
want = {"links", "maps"} | {f"prog_{p['kernel']['id']}" for p in progs} \
    | {f"links/{l['id']}" for l in pinned}
maps = {os.path.relpath(p["bpfman"]["map_pin_path"], fs) for p in progs}
have = set()
for root, dirs, files in os.walk(fs):
    for n in dirs + files:
        rel = os.path.relpath(os.path.join(root, n), fs)
        if n.endswith(".debug") or rel.split("/")[0] in ("xdp", "tc-ingress", "tc-egress") or \
                (rel.startswith("maps/") and rel.count("/") > 1):
            continue
        if rel.startswith("maps/"):
            if rel not in maps:
                bad(f"map directory {rel} of no record (records: {sorted(maps)})")
            continue
        have.add(rel)
for m in maps:
    if not os.path.isdir(f"{fs}/{m}"):
        bad(f"record names map directory {m}, not there")
if have != want:
    bad(f"pins differ from records: extra {sorted(have - want)}, missing {sorted(want - have)}")

# every bpf_link running one of our programs is a record's, and every such record has its
# link, running its program
members = {l["program_id"] for l in chained}  # linked into the chain (freplace), by the tree
have = {(k["id"], k["prog_id"]) for k in klinks
        if k.get("prog_id") in ours and k.get("prog_id") not in members}
want = {(l["kernel_link_id"], l["program_id"]) for l in pinned}
if have != want:
    bad(f"kernel links {sorted(have)}, records {sorted(want)}")

# tc: every cls_bpf filter running one of our programs is a record's, and back; the clsact
# the manager made goes with its last filter
if iface:
    have = set()
    for d in ("ingress", "egress"):
        for f in json.loads(run("tc", "-n", ns, "-j", "filter", "show", "dev", iface, d) or "[]"):
            prog = f.get("options", {}).get("prog", {}).get("id")
            if prog in ours:
                have.add((d, f["pref"], int(f["options"]["handle"], 16), prog))
    want = {(l["direction"], l["priority"], l["id"], l["program_id"]) for l in tc}
    if have != want:
        bad(f"tc filters {sorted(have)}, records {sorted(want)}")
    if not want and not any(l["program_type"] == "tc" for l in chained) and \
            "clsact" in run("tc", "-n", ns, "qdisc", "show", "dev", iface):
        bad("clsact left without a tc record")
    # and the XDP program the interface runs is ours only through a record (tcx links are
    # in bpftool link above; this bpftool's net view does not list them)
    net = json.loads(run("ip", "netns", "exec", ns, "bpftool", "net", "show", "dev", iface, "-j"))
    have = sorted(e.get("id") for e in net[0].get("xdp", []) if e.get("id") in ours)
    want = sorted(l["program_id"] for l in pinned if l["program_type"] == "xdp")
    if have != want:
        bad(f"the interface runs XDP programs {have}, records {want}")
PY
}

# The kernel frees unpinned links after an RCU grace period: agreement within 5 s.
assert_agree() { # WHAT
	local i
	for i in $(seq 1 50); do
		WHY=$(agree_once 2>&1) && return 0
		sleep 0.1
	done
	fail "$1: $WHY"
}

# ---- the matrix ----

load_prog() { # SPEC: loads, sets ID, remembered as ours (no subshell: OURS must keep it)
	ID=$(load_id --programs "$1" -p "$COUNTERS_OBJ")
	[ -n "$ID" ] && [ "$ID" != null ] || fail "load $1 failed"
	OURS="$OURS $ID"
	OURS=${OURS# }
}

detach_all() {
	local l
	for l in $(bpfman list links | awk 'NR > 1 {print $2}'); do bpfman detach "$l" >/dev/null; done
}

unload_all() {
	local id
	for id in $(bpfman list programs | awk 'NR > 1 {print $1}'); do bpfman unload "$id" >/dev/null; done
}

# after an injection: the next command reconciles, then everything must agree
next_and_check() { # WHAT
	bpfman detach 1 >/dev/null 2>&1 || true
	assert_agree "$1"
}

# The three operations, each with the state it starts from and how to get back to it.
# CMD prints the command line (the program and link are found by the setup).
setup_attach() { :; }
cmd_attach() { echo "$BPFMAN attach $PROG ${ATTACH[*]}"; }
reset_attach() { detach_all; }
setup_detach() {
	LINK=$(bpfman attach "$PROG" "${ATTACH[@]}" | awk '/Link ID/ {print $3}')
	[ -n "$LINK" ] || fail "attach for the detach steps failed"
}
cmd_detach() { echo "$BPFMAN detach $LINK"; }
reset_detach() { detach_all; }
setup_unload() {
	load_prog "$SPEC"
	PROG=$ID
	bpfman attach "$PROG" "${ATTACH[@]}" >/dev/null
}
cmd_unload() { echo "$BPFMAN unload $PROG"; }
reset_unload() { unload_all; }

# Calls of an untouched run that failed (mkdir of a directory that exists...) changed
# nothing: a kill there is the kill at the call before. Prints "CALL N" for each.
failed_calls() { # COMMAND...
	local out="$TEST_TMP/clean.$TEST_ID"
	no_lsan strace -f -qq -o "$out" -e trace="${KILL_CALLS// /,}" "$@" >/dev/null 2>&1 || fail "untouched, $* failed"
	awk '{ if (!match($0, /^[0-9]+ +[a-z0-9_]+\(/)) next
	       c = substr($0, RSTART, RLENGTH - 1); sub(/^[0-9]+ +/, "", c); n[c]++
	       if ($0 ~ / = -1 /) print c, n[c] }' "$out"
}

# op_steps OP: kills OP at every step (and fails each bpf()/netlink call with EINTR), the
# next command must repair; prints the counts
op_steps() {
	local op=$1 skip mode call n total
	"setup_$op"
	skip=$(failed_calls $("cmd_$op"))
	"reset_$op"
	assert_agree "$op $SPEC ran untouched"
	for mode in kill eintr; do
		total=0
		for call in $([ $mode = kill ] && echo "$KILL_CALLS" || echo "$EINTR_CALLS"); do
			for ((n = 1; ; n += KILL_STRIDE)); do
				grep -qx "$call $n" <<<"$skip" && continue
				"setup_$op"
				inject $mode "$call" $n $("cmd_$op") || break
				next_and_check "$op $SPEC, $mode at $call #$n"
				"reset_$op"
				total=$((total + 1))
			done
			"reset_$op" # the untouched run of the last round
		done
		assert_agree "$op $SPEC after the ${mode}s"
		echo "$op $SPEC: $total ${mode}s"
	done
}

# run_matrix SPEC ATTACH-ARGS...: attach, detach and unload of SPEC's program, killed at
# every step
run_matrix() {
	SPEC=$1
	shift
	ATTACH=("$@")
	bpfman detach 1 >/dev/null 2>&1 || true # the bpffs is mounted, the root prepared
	load_prog "$SPEC"
	PROG=$ID
	op_steps attach
	op_steps detach
	op_steps unload
	unload_all
	assert_clean_state
}

hook_netns() {
	make_veth_pair
	HOOK_NS_NAME=$NS_A
	HOOK_NS=/var/run/netns/$NS_A
	HOOK_IF=$IF_A
}

test_tc_filter() {
	require_no_feature freplace "tc uses the dispatcher (test-tc-chain.sh)"
	want_matrix tc
	command -v strace >/dev/null || skip "no strace to kill the CLI at an exact step"
	hook_netns
	run_matrix tc:tcx_a tc -i "$HOOK_IF" -d ingress -p 40 -n "$HOOK_NS"
}

test_xdp_link() {
	require_no_feature freplace "xdp uses the dispatcher (test-xdp-chain.sh)"
	want_matrix xdp
	command -v strace >/dev/null || skip "no strace to kill the CLI at an exact step"
	hook_netns
	run_matrix xdp:xdp_counter xdp -i "$HOOK_IF" -n "$HOOK_NS"
}

test_tcx_link() {
	require_feature tcx
	want_matrix tcx
	command -v strace >/dev/null || skip "no strace to kill the CLI at an exact step"
	hook_netns
	run_matrix tcx:tcx_a tcx -i "$HOOK_IF" -d egress -n "$HOOK_NS"
}

test_tracepoint_link() {
	require_feature tracepoint
	want_matrix tracepoint
	command -v strace >/dev/null || skip "no strace to kill the CLI at an exact step"
	run_matrix tracepoint:tracepoint_counter tracepoint -t syscalls/sys_enter_getpid
}

test_uprobe_link() {
	require_feature uprobe
	want_matrix uprobe
	command -v strace >/dev/null || skip "no strace to kill the CLI at an exact step"
	run_matrix uprobe:uprobe_counter uprobe -t "$TESTS_HELPERS/trigger" -f bpfman_test_target
}

test_kprobe_link() {
	require_feature kprobe
	want_matrix kprobe
	command -v strace >/dev/null || skip "no strace to kill the CLI at an exact step"
	run_matrix kprobe:kprobe_counter kprobe -f do_unlinkat
}

test_fentry_link() {
	require_feature fentry
	want_matrix fentry
	command -v strace >/dev/null || skip "no strace to kill the CLI at an exact step"
	run_matrix fentry:fentry_counter:do_unlinkat fentry
}

# An unrelated command whose reconcile meets a transient error (EINTR at each of its bpf()
# and netlink calls) must delete nothing: only proof of absence removes a record.
test_transient_error_deletes_nothing() {
	require_feature tracepoint
	want_matrix transient
	command -v strace >/dev/null || skip "no strace to inject EINTR at an exact step"
	local tp tc before after call n total=0
	hook_netns
	bpfman detach 1 >/dev/null 2>&1 || true
	load_prog tracepoint:tracepoint_counter
	tp=$ID
	bpfman attach "$tp" tracepoint -t syscalls/sys_enter_getpid >/dev/null
	load_prog tc:tcx_a
	tc=$ID
	bpfman attach "$tc" tc -i "$HOOK_IF" -d ingress -n "$HOOK_NS" >/dev/null
	# (grep -c of nothing exits 1: under a dispatcher the filter runs the dispatcher, not $tc)
	state() {
		bpfman list programs
		bpfman list links
		ls "$FS" "$FS/links"
		bpftool link show | grep -cw "prog $tp" || true
		tc -n "$HOOK_NS_NAME" filter show dev "$HOOK_IF" ingress | grep -c "id $tc " || true
	}
	before=$(state)
	for call in $EINTR_CALLS; do
		for ((n = 1; ; n += KILL_STRIDE)); do
			inject eintr "$call" $n "$BPFMAN" detach 1 || break
			after=$(state)
			[ "$after" = "$before" ] ||
				fail "EINTR at $call #$n of an unrelated command changed the state from:
$before
to:
$after"
			total=$((total + 1))
		done
	done
	assert_agree "after the injections"
	[ "$total" -gt 0 ] || fail "no call to inject into"
	echo "injections: $total"
	bpfman unload "$tp"
	bpfman unload "$tc"
	assert_clean_state
}

# A tc hook gone behind our back (clsact deleted, interface deleted) means detached: the
# next command drops the records, and unload works (it answered "Invalid argument" forever).
# A program whose pin is removed while its filter runs goes with its filter.
test_tc_hook_gone_is_detached() {
	require_no_feature freplace "tc uses the dispatcher (test-tc-chain.sh)"
	local a b
	hook_netns
	load_prog tc:tcx_a
	a=$ID
	bpfman attach "$a" tc -i "$HOOK_IF" -d ingress -n "$HOOK_NS" >/dev/null
	bpfman attach "$a" tc -i "$HOOK_IF" -d egress -p 7 -n "$HOOK_NS" >/dev/null
	tc -n "$HOOK_NS_NAME" qdisc del dev "$HOOK_IF" clsact
	bpfman unload "$a" || fail "unload after the clsact went"
	assert_agree "clsact deleted behind our back"
	load_prog tc:tcx_a
	a=$ID
	bpfman attach "$a" tc -i "$HOOK_IF" -d ingress -n "$HOOK_NS" >/dev/null
	ip -n "$HOOK_NS_NAME" link del "$HOOK_IF"
	bpfman unload "$a" || fail "unload after the interface went"
	# (the veth pair went with it: a new one)
	ip -n "$HOOK_NS_NAME" link add vk0 type veth peer name vk1
	ip -n "$HOOK_NS_NAME" link set vk0 up
	HOOK_IF=vk0
	load_prog tc:tcx_a
	b=$ID
	bpfman attach "$b" tc -i "$HOOK_IF" -d ingress -n "$HOOK_NS" >/dev/null
	rm "$FS/prog_$b"
	OUT=$(bpfman detach 1 2>&1) || true
	assert_contains "$OUT" "program $b: kernel program or pin is gone" "repair"
	assert_agree "program pin removed while its filter ran"
	assert_clean_state
}

# libxdp's pin tree is shared with xdp-loader: reconcile sweeps a tree of no hook only
# under libxdp's lock (flock on <libxdp bpffs>/xdp), as libxdp itself pins under it.
test_libxdp_tree_swept_under_libxdp_lock() {
	require_feature tracepoint
	command -v flock >/dev/null || skip "no flock(1) to hold libxdp's lock"
	local tree holder cli i
	bpfman detach 1 >/dev/null 2>&1 || true
	export LIBXDP_BPFFS="$FS/libxdp" # a directory of our own bpffs: nothing shared touched
	load_prog tracepoint:tracepoint_counter
	# a revision of an interface that does not exist, holding one of our programs
	tree="$LIBXDP_BPFFS/xdp/dispatch-99999-7"
	mkdir -p "$tree"
	bpftool prog pin id "$ID" "$tree/prog0-prog"
	flock "$LIBXDP_BPFFS/xdp" -c "touch '$TEST_TMP/held.$TEST_ID'; while [ ! -e '$TEST_TMP/release.$TEST_ID' ]; do sleep 0.05; done" &
	holder=$!
	PIDS_STARTED+=("$holder")
	# the holder's shell keeps the lock (and the bpffs busy) until told: tell it first
	release() { touch "$TEST_TMP/release.$TEST_ID"; wait "$holder" 2>/dev/null || true; }
	nope() { release; fail "$@"; }
	for i in $(seq 1 100); do [ -e "$TEST_TMP/held.$TEST_ID" ] && break; sleep 0.05; done
	[ -e "$TEST_TMP/held.$TEST_ID" ] || nope "flock(1) did not take libxdp's lock"
	"$BPFMAN" detach 1 >/dev/null 2>&1 &
	cli=$!
	PIDS_STARTED+=("$cli")
	# the sweep must wait for the lock: the kernel lists the CLI as a blocked flock waiter
	for i in $(seq 1 200); do
		grep -q -- "-> FLOCK .* $cli " /proc/locks && break
		kill -0 "$cli" 2>/dev/null || break
		sleep 0.05
	done
	grep -q -- "-> FLOCK .* $cli " /proc/locks || nope "the sweep did not wait for libxdp's lock"
	[ -d "$tree" ] || nope "tree removed while libxdp's lock was held"
	release
	wait "$cli" || true
	[ ! -e "$tree" ] || fail "the stale tree was not removed once the lock was free"
	rm -f "$TEST_TMP/held.$TEST_ID" "$TEST_TMP/release.$TEST_ID"
	unset LIBXDP_BPFFS
	bpfman unload "$ID"
	rmdir "$FS/libxdp/xdp" "$FS/libxdp"
	assert_clean_state
}
