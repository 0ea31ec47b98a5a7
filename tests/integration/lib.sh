# Helpers for integration tests (sourced by run.sh into each test's subshell).
# Every test runs with its own BPFMAN_ROOT, so its bpffs, database and lock are private;
# test_teardown removes whatever the test made, also when it failed.

setup_host_once() {
	mountpoint -q /sys/fs/bpf || mount -t bpf bpf /sys/fs/bpf
	if [ ! -e /sys/kernel/tracing/events ] && [ -d /sys/kernel/tracing ]; then
		mount -t tracefs tracefs /sys/kernel/tracing 2>/dev/null || true
	fi
}

# TIME_SCALE: how much slower than the host this machine runs a process (the qemu guests,
# emulated without KVM, set 4): tests that bound how long something may take (to tell
# "refused promptly" from "blocked") multiply their bounds by it, never their minimums.
TIME_SCALE=${TIME_SCALE:-1}

# bpfman with this test's root.
bpfman() {
	"$BPFMAN" "$@"
}

# skip REASON: the test cannot run here. A reason that names a feature of
# REQUIRED_FEATURES ("FEATURE: why", as probe-feature words it) is a failure instead: the
# qemu runner pins what each guest kernel has, so a probe that stops finding it (a broken
# probe, a module not loaded) cannot pass unnoticed as skips.
skip() {
	local f
	for f in ${REQUIRED_FEATURES:-}; do
		case "$*" in
		"$f: "*) fail "$f is required on this kernel (REQUIRED_FEATURES=\"$REQUIRED_FEATURES\"), but: $*" ;;
		esac
	done
	echo "SKIP: $*"
	exit 77
}

# tp_manifest NAME FILE: a ClusterBpfApplication NAME with only the counters object's
# tracepoint program (no interface), for the apply, CSI and Kubernetes tests
tp_manifest() {
	cat >"$2" <<EOF
apiVersion: bpfman.io/v1alpha1
kind: ClusterBpfApplication
metadata:
  name: $1
spec:
  nodeSelector: {}
  byteCode:
    path: $COUNTERS_OBJ
  programs:
    - name: tracepoint_counter
      type: TracePoint
      tracepoint:
        links:
          - name: syscalls/sys_enter_getpid
EOF
}

# app_cluster NAME: tp_manifest NAME applied (the CSI tests: a program whose maps are there)
app_cluster() {
	tp_manifest "$1" "$BPFMAN_ROOT/$1.yaml"
	bpfman apply -f "$BPFMAN_ROOT/$1.yaml" >/dev/null
}

# app_namespaced NS NAME: a BpfApplication with an XDP program whose link waits for an
# interface that never comes (the program is loaded; the maps are what matters here)
app_namespaced() {
	local f="$BPFMAN_ROOT/$1-$2.yaml"
	cat >"$f" <<EOF
apiVersion: bpfman.io/v1alpha1
kind: BpfApplication
metadata:
  name: $2
  namespace: $1
spec:
  nodeSelector: {}
  byteCode:
    path: $COUNTERS_OBJ
  programs:
    - name: xdp_counter
      type: XDP
      xdp:
        links:
          - interfaceSelector: {interfaces: [bt${TEST_ID}none]}
            networkNamespaces: {pods: {matchLabels: {bpfman.io/netns: none-$TEST_ID}}}
            priority: 50
EOF
	bpfman apply -f "$f" >/dev/null
}

# app_map_dir APP-ID: the map directory of the application's program
app_map_dir() {
	bpfman list programs -o json |
		jq -r --arg a "$1" '[.[] | select(.bpfman.metadata["bpfman.io/application-id"] == $a)][0].bpfman.map_pin_path'
}

# grep_all ARGS: grep's exit status, reading ALL of its input. `cmd | grep -q` stops reading
# at the first match, and under pipefail a command still writing then dies of SIGPIPE and
# fails the pipeline: a test that passes or fails with the machine's load.
grep_all() { grep "$@" >/dev/null; }

fail() {
	echo "FAIL: $*" >&2
	exit 1
}

assert_eq() { # actual expected message
	[ "$1" = "$2" ] || fail "$3: got '$1', want '$2'"
}

assert_ne() {
	[ "$1" != "$2" ] || fail "$3: got '$1', wanted something else"
}

assert_contains() { # haystack needle message
	case "$1" in
	*"$2"*) ;;
	*) fail "$3: '$2' not found in: $1" ;;
	esac
}

# Runs a command that must fail; its combined output is in $OUT.
expect_fail() {
	if OUT=$("$@" 2>&1); then
		fail "expected failure: $*; output: $OUT"
	fi
}

obj() { echo "$BPF_OBJ_DIR/$1"; }

# probe_feature NAME: the library's own probe (tests/helpers/probe-feature). Returns 0 when
# the kernel has NAME, 1 when it lacks it (the probed reason in PROBE_WHY). Anything else
# (the helper missing, crashed, or its probe failing) fails the test: only a probed
# absence may turn into a skip.
PROBE_FEATURE_ABSENT=3 # probe-feature's exit status for "the kernel lacks it"
probe_feature() {
	local rc=0
	PROBE_WHY=$("$TESTS_HELPERS/probe-feature" "$1" 2>&1) || rc=$?
	case $rc in
	0) return 0 ;;
	"$PROBE_FEATURE_ABSENT") return 1 ;;
	*) fail "probe-feature $1 gave no answer (exit $rc): $PROBE_WHY" ;;
	esac
}

# Skips the test with the probed reason when the kernel lacks FEATURE.
require_feature() {
	probe_feature "$1" || skip "$PROBE_WHY"
}

# The opposite: skips when the kernel has the feature (tests of the paths without it).
require_no_feature() { # FEATURE WHAT-IS-USED-INSTEAD
	if probe_feature "$1"; then
		skip "$1 is supported on this kernel, so $2"
	fi
}

# Loads and prints the first program id: load_id ARGS...
load_id() {
	bpfman load file -o json "$@" | jq -r '.[0].kernel.id'
}

# Value of a u64 counter at key 0 of a pinned (per-CPU or plain) array map, summed.
map_counter() { # pinned map path
	"$TESTS_HELPERS/map-sum" "$1"
}

# eventually_eq FUNCTION EXPECTED MESSAGE: FUNCTION's output reaches EXPECTED within 5 s
# (for what the kernel frees after an RCU grace period)
eventually_eq() {
	local i v
	for i in $(seq 1 50); do
		v=$("$1")
		[ "$v" = "$2" ] && return 0
		sleep 0.1
	done
	fail "$3: got '$v', want '$2'"
}

# LeakSanitizer cannot work under ptrace (it fails the process at exit): a sanitized binary
# run under strace leaves it out; ASan and UBSan still check. no_lsan COMMAND...
no_lsan() { ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0" "$@"; }

kernel_prog_exists() { bpftool prog show id "$1" >/dev/null 2>&1; }
# Counts of the whole kernel: they move with what others load and free, so no test asserts on
# them; see kernel_new_ours.
kernel_prog_count() { bpftool prog show 2>/dev/null | grep -cE '^[0-9]+:' || true; }
kernel_map_count() { bpftool map show 2>/dev/null | grep -cE '^[0-9]+:' || true; }
kernel_link_count() { bpftool link show 2>/dev/null | grep -cE '^[0-9]+:' || true; }
# The ids of the kernel's objects of KIND (prog, map, link), one a line, sorted as text.
kernel_ids() { bpftool "$1" show -j 2>/dev/null | jq -r '.[].id' | sort; }
# kernel_new KIND BASE: how many of the kernel's KIND objects are not among the ids BASE (a
# kernel_ids taken before): what the test made and the kernel did not free. Counts of the
# whole kernel would also move with what other processes load and free meanwhile.
kernel_new() { comm -13 <(printf '%s\n' "$2") <(kernel_ids "$1") | grep -c . || true; }
# kernel_new_ours KIND BASE: like kernel_new, but without what other processes on the host
# hold, which kernel_new also counts while others load programs at the same time. An object
# this test made outlives its commands only if something of this test holds it (a pin in
# its bpffs, a process of its own, a hook); one held by an fd of a process outside this
# test, by a pin in a bpffs outside BPFMAN_ROOT or by such a link or program is someone
# else's. Holders are scanned fds first, then pins (others pin, then close the fd), and what
# was freed meanwhile is not counted.
# kernel_new_ours_ids KIND BASE prints their ids.
kernel_new_ours() { kernel_new_ours_ids "$@" | grep -c . || true; }
kernel_new_ours_ids() {
	local kind=$1 new foreign
	new=$(comm -13 <(printf '%s\n' "$2") <(kernel_ids "$kind"))
	[ -n "$new" ] || return 0
	foreign=$( { foreign_fd_ids "$kind"; foreign_pin_ids "$kind"; } | sort -u)
	comm -23 <(printf '%s\n' "$new") <(printf '%s\n' "$foreign") | comm -12 - <(kernel_ids "$kind")
}
# Processes of this test: TEST_ID (the test's subshell) and its descendants.
test_pids() {
	ps -e -o pid=,ppid= | awk -v root="${TEST_ID:?}" '
		{ parent[$1] = $2 }
		END { for (p in parent) { q = p; while (q > 1 && q != root) q = parent[q];
		      if (q == root) print p } }'
}
# Ids of KIND held by fds of processes outside this test (a link fd also holds its program,
# a program fd its maps).
foreign_fd_ids() {
	local kind=$1 f
	local -A mine=()
	for f in $(test_pids); do mine[$f]=1; done
	for f in /proc/[0-9]*/fdinfo/*; do
		f=${f#/proc/}
		[ -z "${mine[${f%%/*}]:-}" ] || continue
		cat "/proc/$f" 2>/dev/null
	done | awk -v k="$kind" '$1 == k "_id:" { print $2 }
		k == "map" && $1 == "prog_id:" { print "prog " $2 }' | ids_with_prog_maps "$kind"
}
# Ids of KIND pinned in a bpffs outside BPFMAN_ROOT (or, for programs, a pinned link's).
foreign_pin_ids() {
	local kind=$1 mnt
	findmnt -rn -t bpf -o TARGET | while read -r mnt; do
		case "$mnt/" in "${BPFMAN_ROOT:?}"/*) continue ;; esac
		find "$mnt" -type f 2>/dev/null | while read -r f; do
			case $kind in
			prog) bpftool prog show pinned "$f" -j 2>/dev/null | jq -r '.id // empty'
			      bpftool link show pinned "$f" -j 2>/dev/null | jq -r '.prog_id // empty' ;;
			map) bpftool map show pinned "$f" -j 2>/dev/null | jq -r '.id // empty'
			     bpftool prog show pinned "$f" -j 2>/dev/null | jq -r '"prog " + (.id|tostring)' ;;
			link) bpftool link show pinned "$f" -j 2>/dev/null | jq -r '.id // empty' ;;
			esac
		done
	done | ids_with_prog_maps "$kind"
}
# Passes ids through; "prog ID" lines become that program's map ids.
ids_with_prog_maps() {
	local a b
	while read -r a b; do
		if [ "$a" = prog ]; then
			bpftool prog show id "$b" -j 2>/dev/null | jq -r '.map_ids[]?'
		else
			echo "$a"
		fi
	done
}
# Paths under DIR (nothing when DIR does not exist: under pipefail a failing find would
# end the test): tree_entries DIR [FIND-TESTS...]; tree_count prints how many.
tree_entries() {
	local d=$1
	shift
	[ ! -d "$d" ] || find "$d" -mindepth 1 "$@" | sort
}
tree_count() { tree_entries "$@" | wc -l; }
bpffs_entries() { tree_entries "$BPFMAN_ROOT/run/bpfman/fs"; }

# Network namespaces and interfaces made by a test carry its TEST_ID in their names, so
# teardown finds them all (also those made inside $(...) subshells).
# make_netns SUFFIX: prints the name of a new namespace with lo up
make_netns() {
	local n="bpfmt-$1-$TEST_ID"
	ip netns add "$n"
	# no IPv6: its router and multicast chatter would cross the veth pairs at any time,
	# and tests count every packet
	ip netns exec "$n" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1 2>/dev/null
	ip -n "$n" link set lo up
	echo "$n"
}

# veth pair between two fresh namespaces, 192.0.2.1 <-> 192.0.2.2
# Sets NS_A NS_B and interface names IF_A (in NS_A) IF_B (in NS_B).
make_veth_pair() {
	NS_A=$(make_netns a)
	NS_B=$(make_netns b)
	IF_A=veth-a
	IF_B=veth-b
	ip link add "$IF_A" netns "$NS_A" type veth peer name "$IF_B" netns "$NS_B"
	ip -n "$NS_A" addr add 192.0.2.1/24 dev "$IF_A"
	ip -n "$NS_B" addr add 192.0.2.2/24 dev "$IF_B"
	ip -n "$NS_A" link set "$IF_A" up
	ip -n "$NS_B" link set "$IF_B" up
}

# An interface in the host namespace (one end of a veth pair: kernels without the dummy
# module have veth); prints its name.
make_host_iface() {
	local n="bt${TEST_ID}x$RANDOM"
	n=${n:0:15}
	ip link add "$n" type veth peer name "${n:0:13}p"
	ip link set "$n" up
	echo "$n"
}

PIDS_STARTED=()

test_teardown() {
	local rc=$?
	set +e
	for p in "${PIDS_STARTED[@]}"; do kill -9 "$p" 2>/dev/null; done
	if [ -d "$BPFMAN_ROOT/run/bpfman" ]; then
		for id in $("$BPFMAN" list programs -o json 2>/dev/null | jq -r '.[].kernel.id' 2>/dev/null); do
			"$BPFMAN" unload "$id" >/dev/null 2>&1
		done
	fi
	for n in $(ip netns list 2>/dev/null | awk '{print $1}' | grep -- "-$TEST_ID\$"); do
		ip netns del "$n" 2>/dev/null
	done
	for i in $(ip -o link show 2>/dev/null | awk -F': ' '{print $2}' | cut -d@ -f1 | grep "^bt${TEST_ID}x"); do
		ip link del "$i" 2>/dev/null
	done
	while mountpoint -q "$BPFMAN_ROOT/run/bpfman/fs" 2>/dev/null; do
		umount "$BPFMAN_ROOT/run/bpfman/fs" || break
	done
	rm -rf "$BPFMAN_ROOT"
	exit $rc
}

# Slots of the `counters` map in bpf/counters.bpf.c
SLOT_TRACEPOINT=0 SLOT_KPROBE=1 SLOT_KRETPROBE=2 SLOT_UPROBE=3 SLOT_URETPROBE=4
SLOT_FENTRY=5 SLOT_FEXIT=6 SLOT_LSM=7 SLOT_TCX_A=8 SLOT_TCX_B=9 SLOT_TCX_C=10 SLOT_XDP=11

COUNTERS_OBJ="$BPF_OBJ_DIR/counters.bpf.o"
FS="${BPFMAN_ROOT:-}/run/bpfman/fs"

# counter PROG_ID SLOT: the program's `counters` map value at SLOT
counter() {
	local dir
	dir=$(bpfman get program "$1" -o json | jq -r '.bpfman.map_pin_path')
	"$TESTS_HELPERS/map-sum" "$dir/counters" "$2"
}

trigger() { "$TESTS_HELPERS/trigger" "$@"; }

# The kernel's view of one program id: exists or not
assert_kernel_prog() { kernel_prog_exists "$1" || fail "kernel has no program $1"; }
assert_no_kernel_prog() { ! kernel_prog_exists "$1" || fail "kernel still has program $1"; }

# Nothing of ours left: no records, no pins
assert_clean_state() {
	local n
	n=$(bpfman list programs -o json | jq length)
	assert_eq "$n" 0 "managed programs left"
	n=$(bpfman list links -o json | jq length)
	assert_eq "$n" 0 "links left"
	n=$(tree_count "$FS" -not -path "$FS/links" -not -path "$FS/maps" -not -name '*.debug' \
		-not -path "$FS/xdp" -not -path "$FS/tc-ingress" -not -path "$FS/tc-egress")
	[ "$n" = 0 ] || fail "pins left: $(tree_entries "$FS")"
}
