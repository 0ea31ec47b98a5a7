#!/bin/bash
# Runs every example of examples/ against a real bpfman-rpc, as root: the CI check that
# they work. Starts its own server (own socket, own BPFMAN_ROOT, so it can run beside
# other tests), then for each example:
#   - skips it when the kernel lacks what it needs (probe-feature, with the reason),
#   - runs it with -socket <ours> -count 2 -interval 1, bounded by `timeout 60`,
#   - once it printed that its programs are attached, makes its events happen again and
#     again until it exits (build/tests/helpers/trigger getpid/unlink, or a bounded ping
#     between two network namespaces joined by a veth pair, for xdp/tc/tcx), and checks
#     that a round of events ended before its last report (else runs it once more),
#   - checks it exited 0, that its last report line shows non-zero counts (at least what
#     one round of events makes), and that the manager has no program left afterwards.
# Then stops the server with SIGTERM (it must exit 0), unmounts its bpffs, deletes the
# namespaces and the temporary files (also on failure or interruption). Prints
#   ok examples/NAME: its last report | FAIL examples/NAME: why (+ its output)
#   skip examples/NAME: reason
# and ends with
#   RESULT kernel=examples passed=N failed=N skipped=N
# Exit status 0 iff nothing failed (77 when not root or nothing is built).
#
# Usage: run.sh [NAME]...   (default: every example)
# Environment:
#   BPFMAN_BUILD  build directory (default: <repo>/build)
set -u -o pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
TOP=$(cd "$HERE/../.." && pwd)
BUILD=${BPFMAN_BUILD:-$TOP/build}
RPC=$BUILD/src/rpc/bpfman-rpc
CLI=$BUILD/src/cli/bpfman
EXAMPLES=$BUILD/examples
HELPERS=$BUILD/tests/helpers
COUNT=2 # reports per example, one a second
export LC_ALL=C

result() { # passed failed skipped
	echo "RESULT kernel=examples passed=$1 failed=$2 skipped=$3"
}

if [ "$(id -u)" != 0 ]; then
	echo "the examples need root (the server loads programs)" >&2
	result 0 0 0
	exit 77
fi
for f in "$RPC" "$CLI" "$HELPERS/trigger" "$HELPERS/probe-feature"; do
	if [ ! -x "$f" ]; then
		echo "no $f (build first: ninja -C $BUILD)" >&2
		result 0 0 0
		exit 77
	fi
done

# Tools, installed only when missing
need=()
command -v ip >/dev/null || need+=(iproute2)
command -v ping >/dev/null || need+=(iputils-ping)
command -v jq >/dev/null || need+=(jq)
if [ ${#need[@]} -gt 0 ]; then
	echo "installing ${need[*]}" >&2
	"$TOP/scripts/install-deps.sh" test ||
		{ echo "installing ${need[*]} failed" >&2; result 0 1 0; exit 1; }
fi

T=$(mktemp -d "${TMPDIR:-/tmp}/bpfman-examples.XXXXXX")
ROOT=$T/root
SOCK=$T/bpfman.sock
FS=$ROOT/run/bpfman/fs
# names unique per run: the two namespaces (pid and the temporary directory's suffix) and
# the veth ends, made right inside them (pid only: at most 15 characters)
NS_A=bpfmex-$$-${T##*.}-a
NS_B=bpfmex-$$-${T##*.}-b
IF_A=bpfmex$$a
IF_B=bpfmex$$b
SERVER_PID=
EX_PID=
LOOP_PID=

stop_pid() { # pid: TERM, then KILL after 5 s
	local i
	kill -0 "$1" 2>/dev/null || { wait "$1" 2>/dev/null; return 0; }
	kill -TERM "$1" 2>/dev/null
	for i in $(seq 1 50); do
		kill -0 "$1" 2>/dev/null || break
		sleep 0.1
	done
	kill -KILL "$1" 2>/dev/null
	wait "$1" 2>/dev/null
	return 0
}

# Idempotent: what the run made goes away, whatever state it stopped in.
cleanup() {
	[ -n "$EX_PID" ] && stop_pid "$EX_PID"
	if [ -n "$LOOP_PID" ]; then
		# a round of events ends within seconds (ping is bounded): let it, so no ping
		# or trigger outlives the run
		touch "$T/stop"
		for _ in $(seq 1 50); do
			kill -0 "$LOOP_PID" 2>/dev/null || break
			sleep 0.1
		done
		stop_pid "$LOOP_PID"
	fi
	[ -n "$SERVER_PID" ] && stop_pid "$SERVER_PID"
	LOOP_PID= EX_PID= SERVER_PID=
	while mountpoint -q "$FS" 2>/dev/null; do
		umount "$FS" || break
	done
	ip netns del "$NS_A" 2>/dev/null
	ip netns del "$NS_B" 2>/dev/null
	if mountpoint -q "$FS" 2>/dev/null; then
		echo "cannot unmount $FS; leaving $T" >&2
	else
		rm -rf "$T"
	fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM HUP

# ---- the server ----

mkdir -p "$ROOT"
BPFMAN_ROOT=$ROOT "$RPC" --socket-path "$SOCK" --timeout 0 2>"$T/server.log" &
SERVER_PID=$!
for _ in $(seq 1 100); do
	[ -S "$SOCK" ] && break
	kill -0 "$SERVER_PID" 2>/dev/null || break
	sleep 0.1
done
if [ ! -S "$SOCK" ]; then
	echo "FAIL examples: the server did not start (no socket at $SOCK)"
	sed 's/^/    | /' "$T/server.log" | tail -n 20
	result 0 1 0
	exit 1
fi

# ---- the network for xdp/tc/tcx: NS_B (192.0.2.2) pings NS_A (192.0.2.1) ----

net_ok=
net_why=
setup_net() {
	ip netns add "$NS_A" && ip netns add "$NS_B" &&
		ip link add "$IF_A" netns "$NS_A" type veth peer name "$IF_B" netns "$NS_B" &&
		ip -n "$NS_A" addr add 192.0.2.1/24 dev "$IF_A" &&
		ip -n "$NS_B" addr add 192.0.2.2/24 dev "$IF_B" &&
		ip -n "$NS_A" link set "$IF_A" up &&
		ip -n "$NS_B" link set "$IF_B" up
}
if net_why=$(setup_net 2>&1); then
	net_ok=1
	# the veth needs a moment to come up: wait until a ping gets through (at most ~10 s)
	for _ in $(seq 1 10); do
		ip netns exec "$NS_B" ping -c 1 -W 1 -q 192.0.2.1 >/dev/null 2>&1 && break
	done
fi
ping_a() {
	ip netns exec "$NS_B" ping -c 5 -i 0.2 -W 2 -q 192.0.2.1
}

# ---- the examples ----

# Each example: the feature it needs (for probe-feature; "-" none), how many programs it
# attaches (their "Attached"/"attaching ... failed" lines mean it is ready for events),
# its own flags, what makes its events happen (TRIGGER, run once makes at least
# MIN_VALUE events per counter), and the least number of counts its report must show.
# Sets FEATURE N_ATTACH ARGS TRIGGER MIN_VALUE MIN_COUNTS NEEDS_NET (the veth pair);
# returns 1 for an unknown one, 2 when a probe it needs failed (WHY_NOT says why).
describe() {
	local netns=/var/run/netns/$NS_A
	FEATURE=- N_ATTACH=1 ARGS=() TRIGGER=() MIN_VALUE=1 MIN_COUNTS=1 NEEDS_NET=
	case $1 in
	tracepoint-counter | uprobe-counter | uretprobe-counter)
		FEATURE=tracepoint TRIGGER=("$HELPERS/trigger" getpid 200) MIN_VALUE=200
		[ "$1" = tracepoint-counter ] || FEATURE=uprobe
		;;
	kprobe-counter) FEATURE=kprobe TRIGGER=("$HELPERS/trigger" unlink 20) MIN_VALUE=20 ;;
	app-counter)
		# the tracepoint and the uprobe must count; the kprobe too when the kernel
		# has kprobes, else it reports "not attached"
		FEATURE=tracepoint N_ATTACH=3 TRIGGER=(app_trigger) MIN_VALUE=200 MIN_COUNTS=2
		skip_reason kprobe || return 2
		[ -n "$WHY_NOT" ] || MIN_COUNTS=3
		;;
	xdp-counter | tc-counter | tcx-counter)
		# 5 echo requests reach the interface in NS_A
		FEATURE=- NEEDS_NET=1 ARGS=(-iface "$IF_A" -netns "$netns") TRIGGER=(ping_a) MIN_VALUE=5
		[ "$1" = xdp-counter ] || ARGS+=(-direction ingress)
		[ "$1" = tcx-counter ] && FEATURE=tcx
		;;
	*) return 1 ;;
	esac
	return 0
}
app_trigger() {
	"$HELPERS/trigger" getpid 200 && "$HELPERS/trigger" unlink 200
}

# Sets WHY_NOT to why an example needing FEATURE cannot run here (empty: it can). Returns
# 1 when that is a failure, not a skip: the probe helper gave no answer (missing, crashed:
# only its exit status 3 means "absent"), or the runner pinned FEATURE for this kernel
# (REQUIRED_FEATURES).
PROBE_FEATURE_ABSENT=3
skip_reason() { # feature
	local rc=0 f
	WHY_NOT=
	[ "$1" != - ] || return 0
	WHY_NOT=$("$HELPERS/probe-feature" "$1" 2>&1) || rc=$?
	case $rc in
	0) WHY_NOT= ;;
	"$PROBE_FEATURE_ABSENT")
		for f in ${REQUIRED_FEATURES:-}; do
			if [ "$f" = "$1" ]; then
				WHY_NOT="$1 is required on this kernel (REQUIRED_FEATURES), but: $WHY_NOT"
				return 1
			fi
		done ;;
	*) WHY_NOT="probe-feature $1 gave no answer (exit $rc): $WHY_NOT"; return 1 ;;
	esac
	return 0
}

# The report lines of an output: what the report functions print, not the plumbing's
# Loaded/Attached/Cleaned up lines nor error messages.
report_lines() { # file
	grep -vE '^(Loaded |Attached |Cleaned up)' "$1" | grep -E ': ([0-9]+|not attached)( |,|$)'
}

# Nothing when the report line shows at least MIN_COUNTS counts, each at least MIN_VALUE
# (the first number after each ": "), else why not.
check_counts() { # line
	local n low= count=0
	for n in $(grep -oE ': [0-9]+' <<<"$1" | sed 's/^: //'); do
		count=$((count + 1))
		[ "$n" -lt "$MIN_VALUE" ] && low=$n
	done
	if [ -n "$low" ]; then
		echo "a count is $low (< $MIN_VALUE, what one trigger makes) in its last report"
	elif [ "$count" -lt "$MIN_COUNTS" ]; then
		echo "its last report shows $count count(s), want $MIN_COUNTS"
	fi
}

passed=0 failed=0 skipped=0
ok() { echo "ok examples/$1${2:+: $2}"; passed=$((passed + 1)); }
skip() { echo "skip examples/$1: $2"; skipped=$((skipped + 1)); }
fail() { # name why [output file]
	echo "FAIL examples/$1: $2"
	[ -n "${3:-}" ] && [ -s "$3" ] && sed 's/^/    | /' "$3"
	failed=$((failed + 1))
}

# One run of example $1 with its events; sets WHY (empty: it passed) and LAST (its last
# report line). Returns 2 when the first round of events did not end before its last
# report, so its counts prove nothing (a very slow machine): worth another try.
attempt() { # name out
	local name=$1 out=$2 rc left n
	WHY= LAST=
	: >"$out"
	rm -f "$T/stop" "$T/triggered"
	timeout 60 "$EXAMPLES/$name" -socket "$SOCK" -count "$COUNT" -interval 1 "${ARGS[@]}" >"$out" 2>&1 &
	EX_PID=$!
	# the events start once every program is attached (or failed to) and go on until it
	# exits; the loop notes how many reports it had printed when the first round ended
	while kill -0 "$EX_PID" 2>/dev/null; do
		n=$(grep -cE '^Attached program|attaching program .* failed' "$out")
		[ "$n" -ge "$N_ATTACH" ] && break
		sleep 0.05
	done
	(
		while [ ! -e "$T/stop" ]; do
			"${TRIGGER[@]}" >/dev/null 2>&1
			[ -e "$T/triggered" ] || report_lines "$out" | wc -l >"$T/triggered"
			sleep 0.1
		done
	) &
	LOOP_PID=$!
	wait "$EX_PID"
	rc=$?
	EX_PID=
	touch "$T/stop"
	wait "$LOOP_PID"
	LOOP_PID=

	left=$(BPFMAN_ROOT=$ROOT "$CLI" list programs -o json 2>&1 | jq length 2>&1)
	LAST=$(report_lines "$out" | tail -n 1)
	n=$(cat "$T/triggered" 2>/dev/null)
	if [ "$rc" != 0 ]; then
		WHY="exit status $rc (124: still running after 60 s)"
	elif [ "$left" != 0 ]; then
		WHY="programs left after it exited: bpfman list programs -o json | jq length: $left"
	elif [ -z "$LAST" ]; then
		WHY="no report line"
	elif [ "${n:-$COUNT}" -ge "$COUNT" ]; then
		WHY="its last report came before the first round of events ended"
		return 2
	else
		WHY=$(check_counts "$LAST")
	fi
	[ -z "$WHY" ]
}

run_example() { # name
	local name=$1 out=$T/$1.out
	describe "$name"
	case $? in
	0) ;;
	2) fail "$name" "$WHY_NOT"; return ;;
	*) fail "$name" "run.sh does not know how to make its events happen (add it to describe())"
	   return ;;
	esac
	if [ ! -x "$EXAMPLES/$name" ]; then
		fail "$name" "not built ($EXAMPLES/$name)"
		return
	fi
	if ! skip_reason "$FEATURE"; then
		fail "$name" "$WHY_NOT"
		return
	fi
	if [ -n "$WHY_NOT" ]; then
		skip "$name" "$WHY_NOT"
		return
	fi
	if [ -n "$NEEDS_NET" ] && [ -z "$net_ok" ]; then
		fail "$name" "could not make the veth pair between two namespaces: $net_why"
		return
	fi
	attempt "$name" "$out"
	if [ $? = 2 ]; then
		echo "# examples/$name: $WHY; once more"
		attempt "$name" "$out"
	fi
	if [ -z "$WHY" ]; then
		ok "$name" "$LAST"
	else
		fail "$name" "$WHY" "$out"
	fi
}

names=("$@")
if [ ${#names[@]} -eq 0 ]; then
	# every example that was built: one missing from describe() fails
	for f in "$EXAMPLES"/*; do
		[ -f "$f" ] && [ -x "$f" ] && names+=("$(basename "$f")")
	done
fi
if [ ${#names[@]} -eq 0 ]; then
	echo "no examples in $EXAMPLES (build first: ninja -C $BUILD)" >&2
	result 0 0 0
	exit 77
fi
for name in "${names[@]}"; do
	run_example "$name"
done

# ---- the server ends cleanly on SIGTERM ----

kill -TERM "$SERVER_PID"
rc=
for _ in $(seq 1 100); do
	kill -0 "$SERVER_PID" 2>/dev/null || { wait "$SERVER_PID"; rc=$?; break; }
	sleep 0.1
done
if [ "$rc" = 0 ]; then
	SERVER_PID=
else
	if [ -n "$rc" ]; then
		echo "FAIL examples: the server exited $rc on SIGTERM (want 0)"
	else
		echo "FAIL examples: the server still runs 10 s after SIGTERM"
	fi
	sed 's/^/    | /' "$T/server.log" | tail -n 30
	failed=$((failed + 1))
fi
if [ "$failed" != 0 ] && [ -s "$T/server.log" ] && [ "$rc" = 0 ]; then
	echo "    server log, last lines:"
	sed 's/^/    | /' "$T/server.log" | tail -n 30
fi
cleanup
if mountpoint -q "$FS" 2>/dev/null; then
	echo "FAIL examples: cannot unmount the server's bpffs $FS"
	failed=$((failed + 1))
fi

result "$passed" "$failed" "$skipped"
[ "$failed" = 0 ]
