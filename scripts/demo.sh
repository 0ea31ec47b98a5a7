#!/bin/bash
# The main job, end to end, as root:
#   0. build; probe what this kernel can do (tests/helpers/probe-feature), one line per
#      feature, and say which parts of the demo that changes;
#   1. with the CLI alone: load a tracepoint counter, attach it, make the event happen, read
#      the count from the pinned map, show `bpfman list` / `get`, unload;
#   2. start a registry on loopback (Debian's docker-registry), build and push the counter
#      as an OCI image with `bpfman image build --push`, load it from there, count, unload;
#   3. start the server (bpfman-rpc, with its Prometheus endpoint on loopback) and let a
#      client program (examples/xdp-counter) load and attach an XDP counter over gRPC on a
#      veth pair between two network namespaces (192.0.2.1/2) while pings cross it; then
#      two XDP programs on one interface (a dispatcher where the kernel allows freplace,
#      else the reason why not);
#   4. `bpfman apply -f` a small declared application (tracepoint + XDP, TCX where the
#      kernel has it), `bpfman status`, apply again (nothing changes);
#   5. scrape the metrics (the XDP program's run count, the gRPC calls by method), stop the
#      server (the programs outlive it), `bpfman delete -f` with the CLI.
# Runs on the real paths (/run/bpfman, /run/bpfman-sock, /var/cache/bpfman) unless
# BPFMAN_ROOT names another root. Everything it makes goes again at the end, also on
# failure and on Ctrl-C (SIGINT: exit 130, SIGTERM: 143).
set -eu -o pipefail
TOP=$(cd "$(dirname "$0")/.." && pwd)
BUILD_DIR=${BUILD_DIR:-$TOP/build}
BPFMAN=$BUILD_DIR/src/cli/bpfman
OBJ=$BUILD_DIR/bpf/counters.bpf.o
HELPERS=$BUILD_DIR/tests/helpers
NS_A=bpfman-demo-a NS_B=bpfman-demo-b
ROOT=${BPFMAN_ROOT:-}
SOCK=${ROOT%/}/run/bpfman-sock/bpfman.sock

step() { printf '\n\033[1m$ %s\033[0m\n' "$*"; }
part() { printf '\n\033[1;4m%s\033[0m\n' "$*"; }
say() { printf '%s\n' "$*"; }
die() { echo "demo: $*" >&2; exit 1; }

# ---- cleanup: one path for success, failure and interruption ------------------------
# What the demo made is recorded as it is made; cleanup undoes it in reverse and is safe
# to run twice (the EXIT trap runs it again after a signal's handler).
DEMO_TMP= SERVER_PID= REG_PID= PING_PID= IMG= APP_FILE= BEFORE_IDS= CLEANED=
cleanup() {
	set +e
	[ -z "$CLEANED" ] || return 0
	CLEANED=1
	[ -z "$PING_PID" ] || kill "$PING_PID" 2>/dev/null
	# the server first: its retry of pending links (on link events) applies the declarations
	# it read before a delete, and would bring a just-deleted application back
	if [ -n "$SERVER_PID" ]; then
		kill -TERM "$SERVER_PID" 2>/dev/null
		wait "$SERVER_PID" 2>/dev/null
	fi
	[ -z "$APP_FILE" ] || "$BPFMAN" delete -f "$APP_FILE" >/dev/null 2>&1
	# every program of the demo's CLI loads (-a demo) and of the gRPC client (application
	# xdp-counter) that was not there before the demo began
	if [ -x "$BPFMAN" ] && [ -n "$DEMO_TMP" ]; then
		for id in $("$BPFMAN" list programs -o json 2>/dev/null | jq -r '.[] |
			select(.bpfman.metadata.bpfman_application == "demo" or
			       .bpfman.metadata.bpfman_application == "xdp-counter") | .kernel.id'); do
			case " $BEFORE_IDS " in *" $id "*) ;; *) "$BPFMAN" unload "$id" >/dev/null 2>&1 ;; esac
		done
	fi
	if [ -n "$REG_PID" ]; then
		kill -TERM "$REG_PID" 2>/dev/null
		wait "$REG_PID" 2>/dev/null
	fi
	[ -z "$IMG" ] || "$BPFMAN" image rm "$IMG" >/dev/null 2>&1
	ip netns del "$NS_A" 2>/dev/null
	ip netns del "$NS_B" 2>/dev/null
	case $DEMO_TMP in /tmp/bpfman-demo.*) rm -rf "${DEMO_TMP:?}" ;; esac
	return 0
}
interrupted() { # SIGNAL EXIT-STATUS
	trap '' INT TERM # a second Ctrl-C does not cut the cleanup short
	echo
	echo "demo: $1, removing what the demo made" >&2
	cleanup
	exit "$2"
}
trap cleanup EXIT
trap 'interrupted interrupted 130' INT
trap 'interrupted terminated 143' TERM

[ "$(id -u)" = 0 ] || die "run me as root: I load BPF programs and make network namespaces"
"$TOP/scripts/install-deps.sh" build test
"$TOP/scripts/build.sh"
BEFORE_IDS=$("$BPFMAN" list programs -o json | jq -r '.[].kernel.id' | tr '\n' ' ')
DEMO_TMP=$(mktemp -d /tmp/bpfman-demo.XXXXXX) # from here on, cleanup has work to do

# a TCP port nothing listens on now (the kernel's choice for port 0)
free_port() {
	/usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

# ---- 0. what this kernel can do -------------------------------------------------------
part "0. What this kernel can do"
step "probe-feature FEATURE   # what this kernel ($(uname -r)) can do: probed, not assumed"
declare -A HAVE
for f in tracepoint kprobe uprobe fentry lsm tcx freplace; do
	rc=0
	why=$("$HELPERS/probe-feature" "$f" 2>&1) || rc=$?
	case $rc in
	0) HAVE[$f]=1; printf '  %-11s yes\n' "$f" ;;
	3) printf '  %-11s no: %s\n' "$f" "${why#"$f": }" ;;
	*) printf '  %-11s unknown: the probe failed (%s)\n' "$f" "$why" ;;
	esac
done
say "What that changes here:"
if [ -n "${HAVE[tracepoint]:-}" ]; then
	say "  - tracepoints: the counters of parts 1, 2 and 4 count getpid() calls"
else
	say "  - no tracepoints: parts 1 and 2 are skipped, part 4 declares no tracepoint"
fi
if [ -n "${HAVE[freplace]:-}" ]; then
	say "  - freplace: several XDP (and TC) programs share an interface through the dispatcher"
else
	say "  - no freplace: no dispatcher, so XDP and TC programs attach one per interface;"
	say "    part 3 shows a second XDP program refused"
fi
if [ -n "${HAVE[tcx]:-}" ]; then
	say "  - tcx: the application of part 4 adds a TCX program (several per hook, no dispatcher)"
else
	say "  - no tcx: the application of part 4 leaves its TCX program out"
fi
missing=
for f in kprobe uprobe fentry lsm; do [ -n "${HAVE[$f]:-}" ] || missing+=" $f"; done
say "  - the demo uses no kprobe, uprobe, fentry or lsm programs${missing:+; this kernel refuses:$missing}"

# ---- 1. the CLI: a tracepoint counter --------------------------------------------------
count_getpid() { # PROGRAM-ID: calls getpid() 1000 times, shows the counter move
	local map before after
	map=$("$BPFMAN" get program "$1" -o json | jq -r .bpfman.map_pin_path)/counters
	before=$("$HELPERS/map-sum" "$map" 0)
	step "trigger getpid 1000   # 1000 getpid() calls"
	"$HELPERS/trigger" getpid 1000
	after=$("$HELPERS/map-sum" "$map" 0)
	say "counter in $map: $before -> $after (+$((after - before)), at least 1000 expected)"
	[ $((after - before)) -ge 1000 ]
}

part "1. The CLI: a tracepoint counter from an object file"
if [ -n "${HAVE[tracepoint]:-}" ]; then
	step bpfman load file --programs tracepoint:tracepoint_counter -p "$OBJ" -a demo
	"$BPFMAN" load file --programs tracepoint:tracepoint_counter -p "$OBJ" -a demo
	ID=$("$BPFMAN" list programs --application demo -o json | jq -r '.[-1].kernel.id // empty')
	[ -n "$ID" ] || die "the program just loaded is not listed"

	step bpfman attach "$ID" tracepoint -t syscalls/sys_enter_getpid
	"$BPFMAN" attach "$ID" tracepoint -t syscalls/sys_enter_getpid
	count_getpid "$ID"

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
else
	say "skipped: this kernel has no tracepoint programs"
fi

# ---- 2. an image: build, push to a loopback registry, load from it ---------------------
part "2. The same counter as an OCI image, through a registry on loopback"
if [ -n "${HAVE[tracepoint]:-}" ]; then
	REG=127.0.0.1:$(free_port)
	mkdir -p "$DEMO_TMP/registry"
	printf '%s\n' "version: 0.1" "log: {level: error}" \
		"storage: {filesystem: {rootdirectory: $DEMO_TMP/registry}}" "http: {addr: $REG}" \
		>"$DEMO_TMP/registry.yml"
	step "docker-registry serve registry.yml &   # a registry on $REG, its storage in $DEMO_TMP"
	# setsid: Ctrl-C reaches the demo, which stops the registry itself in its cleanup
	setsid docker-registry serve "$DEMO_TMP/registry.yml" >"$DEMO_TMP/registry.log" 2>&1 &
	REG_PID=$!
	for _ in $(seq 1 100); do
		[ "$(curl -s -o /dev/null -w '%{http_code}' "http://$REG/v2/")" = 200 ] && break
		kill -0 "$REG_PID" 2>/dev/null || die "docker-registry exited: $(cat "$DEMO_TMP/registry.log")"
		sleep 0.1
	done
	[ "$(curl -s -o /dev/null -w '%{http_code}' "http://$REG/v2/")" = 200 ] ||
		die "docker-registry did not answer on $REG within 10 s"

	IMG=$REG/demo/counter:v1
	step bpfman image build -b "$OBJ" -t "$IMG" --push
	"$BPFMAN" image build -b "$OBJ" -t "$IMG" --push
	say "(no container engine: one layer holding the object, its programs in the io.ebpf.programs label)"

	step bpfman load image --image-url "$IMG" --programs tracepoint:tracepoint_counter -a demo
	ID=$("$BPFMAN" load image --image-url "$IMG" --programs tracepoint:tracepoint_counter -a demo \
		-o json | jq -r '.[0].kernel.id // empty')
	[ -n "$ID" ] || die "no program id from the image load"
	say "loaded program $ID from the image (pulled into the image cache; unsigned images are"
	say "accepted unless [signing] says otherwise: docs/image-signing.md)"
	step bpfman attach "$ID" tracepoint -t syscalls/sys_enter_getpid
	"$BPFMAN" attach "$ID" tracepoint -t syscalls/sys_enter_getpid
	count_getpid "$ID"
	step "bpfman get program $ID | grep Image   # where it came from"
	"$BPFMAN" get program "$ID" | grep -E 'Image|Pull Policy'
	step bpfman unload "$ID"
	"$BPFMAN" unload "$ID"
	step "bpfman image list; bpfman image rm $IMG   # the image cache"
	"$BPFMAN" image list
	"$BPFMAN" image rm "$IMG"
	IMG=
	kill -TERM "$REG_PID"
	wait "$REG_PID" 2>/dev/null || true
	REG_PID=
else
	say "skipped: this kernel has no tracepoint programs"
fi

# ---- 3. the server, a client program, traffic ------------------------------------------
part "3. The gRPC server, a client program, XDP between two network namespaces"
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

METRICS=127.0.0.1:$(free_port)
step "bpfman-rpc --timeout 0 --metrics-address $METRICS &   # the gRPC server on $SOCK"
setsid "$BUILD_DIR/src/rpc/bpfman-rpc" --timeout 0 --metrics-address "$METRICS" &
SERVER_PID=$!
# it answers on the metrics port once its socket is up (a stale socket file is no sign)
up() { [ "$(curl -s -o /dev/null -w '%{http_code}' "http://$METRICS/metrics")" = 200 ]; }
for _ in $(seq 1 100); do
	up && break
	kill -0 "$SERVER_PID" 2>/dev/null || die "the server exited"
	sleep 0.1
done
up && [ -S "$SOCK" ] || die "the server did not come up within 10 s"

step "xdp-counter -iface veth-demo-a -netns /run/netns/$NS_A -count 3 -interval 1   # a gRPC client; pings cross the veth meanwhile"
ip netns exec "$NS_B" ping -q -c 30 -i 0.1 192.0.2.1 >/dev/null &
PING_PID=$!
"$BUILD_DIR/examples/xdp-counter" -socket "$SOCK" -iface veth-demo-a -netns "/run/netns/$NS_A" \
	-count 3 -interval 1
wait "$PING_PID" || die "ping failed"
PING_PID=

step "bpfman load + attach twice on one interface   # several XDP programs: the dispatcher"
XDP_IDS=$("$BPFMAN" load file -o json -p "$BUILD_DIR/bpf/chain_member.bpf.o" --programs xdp:xdp_a xdp:xdp_b \
	-a demo | jq -r '.[].kernel.id' | tr '\n' ' ')
set -- $XDP_IDS
"$BPFMAN" attach "$1" xdp -i veth-demo-a -n "/run/netns/$NS_A" -p 10 >/dev/null
if [ -n "${HAVE[freplace]:-}" ]; then
	"$BPFMAN" attach "$2" xdp -i veth-demo-a -n "/run/netns/$NS_A" -p 20 >/dev/null
	step bpfman dispatcher show veth-demo-a -n "/run/netns/$NS_A"
	"$BPFMAN" dispatcher show veth-demo-a -n "/run/netns/$NS_A"
else
	say "this kernel refuses freplace, so XDP runs one program per interface here and a"
	say "second one is refused:"
	"$BPFMAN" attach "$2" xdp -i veth-demo-a -n "/run/netns/$NS_A" -p 20 || true
	say "(the dispatcher's tests and benchmark run under qemu: scripts/test.sh, bench/dispatcher.sh)"
fi
step bpfman list links
"$BPFMAN" list links
for id in $XDP_IDS; do "$BPFMAN" unload "$id"; done

# ---- 4. a declared application ---------------------------------------------------------
part "4. A declared application: bpfman apply"
APP=$DEMO_TMP/demo-app.yaml
{
	cat <<-EOF
		apiVersion: bpfman.io/v1alpha1
		kind: ClusterBpfApplication
		metadata:
		  name: bpfman-demo
		spec:
		  nodeSelector: {}
		  byteCode:
		    path: "$OBJ"
		  programs:
		    - name: xdp_counter
		      type: XDP
		      xdp:
		        links:
		          - interfaceSelector:
		              interfaces: [veth-demo-b]
		            networkNamespaces:
		              pods:
		                matchLabels:
		                  bpfman.io/netns: $NS_B   # the namespace /run/netns/$NS_B
		            priority: 50
	EOF
	[ -z "${HAVE[tracepoint]:-}" ] || cat <<-EOF
		    - name: tracepoint_counter
		      type: TracePoint
		      tracepoint:
		        links:
		          - name: syscalls/sys_enter_getpid
	EOF
	[ -z "${HAVE[tcx]:-}" ] || cat <<-EOF
		    - name: tcx_a
		      type: TCX
		      tcx:
		        links:
		          - interfaceSelector:
		              interfaces: [veth-demo-a]
		            networkNamespaces:
		              pods:
		                matchLabels:
		                  bpfman.io/netns: $NS_A
		            direction: Ingress
	EOF
} >"$APP"
step "cat demo-app.yaml   # the bpfman operator's format (examples/apply/ has one per program type)"
sed 's/^/    /' "$APP"
APP_FILE=$APP
step bpfman apply -f demo-app.yaml
"$BPFMAN" apply -f "$APP"
step bpfman status
"$BPFMAN" status
step "bpfman apply -f demo-app.yaml   # again: already as declared"
"$BPFMAN" apply -f "$APP"

# ---- 5. metrics --------------------------------------------------------------------------
part "5. The server's metrics"
step "ip netns exec $NS_A ping -c 20 -i 0.05 192.0.2.2   # traffic for the applied XDP counter on veth-demo-b"
ip netns exec "$NS_A" ping -q -c 20 -i 0.05 192.0.2.2 | grep -E 'packets'
step "curl -s http://$METRICS/metrics | grep ...   # the server's Prometheus endpoint"
curl -sf "http://$METRICS/metrics" >"$DEMO_TMP/metrics" || die "no answer from http://$METRICS/metrics"
grep -E '^bpfman_program_stats_enabled|^bpfman_programs\{type="xdp"\}|^bpfman_program_run_count_total\{[^}]*name="xdp_counter"|^bpfman_rpc_requests_total' \
	"$DEMO_TMP/metrics"
say "(run counts are the kernel's own, counted while the server holds BPF_ENABLE_STATS;"
say " the requests are the calls of the xdp-counter client above; docs/metrics.md has every series)"

step "kill -TERM bpfman-rpc   # it drains and exits 0; the programs outlive it"
kill -TERM "$SERVER_PID"
wait "$SERVER_PID"
SERVER_PID=
step bpfman list programs
"$BPFMAN" list programs
step "bpfman delete -f demo-app.yaml   # the CLI needs no server"
"$BPFMAN" delete -f "$APP"
APP_FILE=
cleanup
echo
echo "demo: ok"
