#!/bin/bash
# The main job, end to end, as root:
#   1. build; with the CLI alone: load a tracepoint counter, attach it, make the event
#      happen, read the count from the pinned map, show `bpfman list` / `get`, unload;
#   2. start the server (bpfman-rpc) and let a client program (examples/xdp-counter) load
#      and attach an XDP counter over gRPC on a veth pair between two network namespaces
#      (192.0.2.1/2) while pings cross it; the CLI sees the same state; then two XDP
#      programs on one interface (a dispatcher where the kernel allows freplace, else the
#      reason why not), and the server stops.
# Runs on the real paths (/run/bpfman, /run/bpfman-sock) unless BPFMAN_ROOT names another
# root; everything it makes goes again at the end, also on failure.
set -eu
TOP=$(cd "$(dirname "$0")/.." && pwd)
BUILD_DIR=${BUILD_DIR:-$TOP/build}
"$TOP/scripts/install-deps.sh" build test
"$TOP/scripts/build.sh"

BPFMAN=$BUILD_DIR/src/cli/bpfman
OBJ=$BUILD_DIR/bpf/counters.bpf.o
HELPERS=$BUILD_DIR/tests/helpers
step() { printf '\n\033[1m$ %s\033[0m\n' "$*"; }

step bpfman load file --programs tracepoint:tracepoint_counter -p "$OBJ" -a demo
"$BPFMAN" load file --programs tracepoint:tracepoint_counter -p "$OBJ" -a demo
ID=$("$BPFMAN" list programs --application demo -o json | jq -r '.[-1].kernel.id')
NS_A=bpfman-demo-a NS_B=bpfman-demo-b
SERVER_PID=
cleanup() {
	set +e
	[ -z "${ID:-}" ] || "$BPFMAN" unload "$ID" 2>/dev/null
	for id in ${XDP_IDS:-}; do "$BPFMAN" unload "$id" 2>/dev/null; done
	if [ -n "$SERVER_PID" ]; then
		kill -TERM "$SERVER_PID" 2>/dev/null
		wait "$SERVER_PID" 2>/dev/null
	fi
	ip netns del "$NS_A" 2>/dev/null
	ip netns del "$NS_B" 2>/dev/null
	return 0
}
trap cleanup EXIT

step bpfman attach "$ID" tracepoint -t syscalls/sys_enter_getpid
"$BPFMAN" attach "$ID" tracepoint -t syscalls/sys_enter_getpid

MAP=$("$BPFMAN" get program "$ID" -o json | jq -r .bpfman.map_pin_path)/counters
before=$("$HELPERS/map-sum" "$MAP" 0)
step "trigger getpid 1000   # 1000 getpid() calls"
"$HELPERS/trigger" getpid 1000
after=$("$HELPERS/map-sum" "$MAP" 0)
echo "counter in $MAP: $before -> $after (+$((after - before)), at least 1000 expected)"
[ $((after - before)) -ge 1000 ]

step bpfman list programs
"$BPFMAN" list programs
step bpfman list links
"$BPFMAN" list links
step bpfman get program "$ID"
"$BPFMAN" get program "$ID"
step bpftool prog show id "$ID"
bpftool prog show id "$ID"

step bpfman unload "$ID"
"$BPFMAN" unload "$ID"
ID=

# ---- 2. the server, a client program, traffic ---------------------------------------
ROOT=${BPFMAN_ROOT:-}
SOCK=${ROOT%/}/run/bpfman-sock/bpfman.sock
ip netns del "$NS_A" 2>/dev/null || true
ip netns del "$NS_B" 2>/dev/null || true
ip netns add "$NS_A"
ip netns add "$NS_B"
for ns in "$NS_A" "$NS_B"; do
	ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
	ip -n "$ns" link set lo up
done
ip link add veth-demo-a netns "$NS_A" type veth peer name veth-demo-b netns "$NS_B"
ip -n "$NS_A" addr add 192.0.2.1/24 dev veth-demo-a
ip -n "$NS_B" addr add 192.0.2.2/24 dev veth-demo-b
ip -n "$NS_A" link set veth-demo-a up
ip -n "$NS_B" link set veth-demo-b up

step "bpfman-rpc --timeout 0 &   # the gRPC server on $SOCK"
"$BUILD_DIR/src/rpc/bpfman-rpc" --timeout 0 &
SERVER_PID=$!
for _ in $(seq 1 50); do [ -S "$SOCK" ] && break; sleep 0.1; done
[ -S "$SOCK" ] || { echo "demo: the server did not come up" >&2; exit 1; }

step "xdp-counter -iface veth-demo-a -netns /run/netns/$NS_A -count 3 -interval 1   # a gRPC client; pings cross the veth meanwhile"
ip netns exec "$NS_B" ping -q -c 30 -i 0.1 192.0.2.1 >/dev/null &
PING_PID=$!
"$BUILD_DIR/examples/xdp-counter" -socket "$SOCK" -iface veth-demo-a -netns "/run/netns/$NS_A" \
	-count 3 -interval 1
wait "$PING_PID" || { echo "demo: ping failed" >&2; exit 1; }

step "bpfman load + attach twice on one interface   # several XDP programs: the dispatcher"
XDP_IDS=$("$BPFMAN" load file -o json -p "$BUILD_DIR/bpf/chain_member.bpf.o" --programs xdp:xdp_a xdp:xdp_b |
	jq -r '.[].kernel.id' | tr '\n' ' ')
set -- $XDP_IDS
"$BPFMAN" attach "$1" xdp -i veth-demo-a -n "/run/netns/$NS_A" -p 10 >/dev/null
if "$HELPERS/probe-feature" freplace >/dev/null 2>&1; then
	"$BPFMAN" attach "$2" xdp -i veth-demo-a -n "/run/netns/$NS_A" -p 20 >/dev/null
	step bpfman dispatcher show veth-demo-a -n "/run/netns/$NS_A"
	"$BPFMAN" dispatcher show veth-demo-a -n "/run/netns/$NS_A"
else
	echo "this kernel refuses freplace ($("$HELPERS/probe-feature" freplace)),"
	echo "so XDP runs one program per interface here and a second one is refused:"
	"$BPFMAN" attach "$2" xdp -i veth-demo-a -n "/run/netns/$NS_A" -p 20 || true
	echo "(the dispatcher's tests and benchmark run under qemu: scripts/test.sh, bench/dispatcher.sh)"
fi
step bpfman list links
"$BPFMAN" list links
for id in $XDP_IDS; do "$BPFMAN" unload "$id"; done
XDP_IDS=

step "kill -TERM bpfman-rpc   # programs outlive the server; it drains and exits 0"
kill -TERM "$SERVER_PID"
wait "$SERVER_PID"
SERVER_PID=
trap - EXIT
echo
echo "demo: ok"
