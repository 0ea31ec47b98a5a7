#!/bin/bash
# The gRPC server's benchmark, as root: every figure and its peers measured in one run.
#
#   1. load + attach + detach + unload of an XDP program, per cycle, four ways, interleaved:
#      in-process libbpf (the physical floor), over gRPC (C client), with the CLI (4 process
#      launches), with xdp-loader (load + unload -a); then the same for a tracepoint program
#      (without xdp-loader)
#   2. Get and List latency with PROGRAMS managed programs loaded (over gRPC, against the
#      same query done in-process by libbpfman, and the CLI's list)
#   3. the server's VmRSS idle, with RSS_AT programs loaded, and after
# then a table with medians, the ratios and the issue's targets marked met or MISSED.
#
# It makes and removes everything it uses: a temp dir (server root, CLI root, a bpffs for
# the floor and xdp-loader, the socket), a network namespace holding one end of a veth pair
# (no addresses, no traffic: XDP needs only the interface). It builds what is missing and
# installs xdp-tools/iproute2 with apt-get when they are missing.
#
# Environment (the defaults take under a minute on 2 cores):
#   CYCLES=100         XDP cycles per method        TP_CYCLES=100  tracepoint cycles (0: skip)
#   WARMUP=3           uncounted rounds first       PROGRAMS=1000  programs for Get/List
#   RSS_AT=100         VmRSS taken at this count    GET_ITERS=2000 Get calls (each way)
#   LIST_ITERS=50      List calls (each way)        CLI_LIST_ITERS=5  `bpfman list` launches
#   XDP_MODE=skb       skb (generic) or native, for every XDP method alike
#   BPFMAN_BUILD       build directory (default: <repo>/build); NO_BUILD=1 skips ninja
#   BENCH_TABLE=FILE   also write the table there
#   BENCH_ROWS=FILE    also append one TSV row per measure there (bench/run-all.sh reads them):
#                      measure, bpfman's value, peer, peer's value, ratio, goal, met/MISSED
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
TOP=$(cd "$HERE/.." && pwd)
BUILD=${BPFMAN_BUILD:-$TOP/build}
export LC_ALL=C

die() { echo "bench: $*" >&2; exit 1; }

num() { # NAME DEFAULT MIN MAX: a bounded integer from the environment
	local v=${!1:-$2}
	[[ $v =~ ^[0-9]+$ ]] && ((v >= $3 && v <= $4)) || die "$1=$v: expected $3..$4"
	printf '%s' "$v"
}
CYCLES=$(num CYCLES 100 1 10000) || exit 1
TP_CYCLES=$(num TP_CYCLES 100 0 10000) || exit 1
WARMUP=$(num WARMUP 3 0 100) || exit 1
PROGRAMS=$(num PROGRAMS 1000 1 20000) || exit 1
RSS_AT=$(num RSS_AT 100 1 20000) || exit 1
GET_ITERS=$(num GET_ITERS 2000 1 1000000) || exit 1
LIST_ITERS=$(num LIST_ITERS 50 1 100000) || exit 1
CLI_LIST_ITERS=$(num CLI_LIST_ITERS 5 0 1000) || exit 1
((RSS_AT <= PROGRAMS)) || die "RSS_AT ($RSS_AT) must not exceed PROGRAMS ($PROGRAMS)"
XDP_MODE=${XDP_MODE:-skb}
case $XDP_MODE in
skb) MANAGER_MODE=skb NATIVE=() ;;
native) MANAGER_MODE=drv NATIVE=(--native) ;;
*) die "XDP_MODE=$XDP_MODE: expected skb or native" ;;
esac

[ "$(id -u)" = 0 ] || die "needs root (it loads BPF programs and makes a network namespace)"

# ---- build and tools ----
CLI=$BUILD/src/cli/bpfman
RPC=$BUILD/src/rpc/bpfman-rpc
OBJ=$BUILD/bpf/counters.bpf.o
CYC=$BUILD/bench/bench-cycles
SCALE=$BUILD/bench/bench-rpc
if [ "${NO_BUILD:-0}" != 1 ]; then
	if [ ! -f "$BUILD/build.ninja" ]; then
		meson setup "$BUILD" "$TOP" >/dev/null || die "meson setup $BUILD failed"
	fi
	ninja -C "$BUILD" >/dev/null || die "the build failed (ninja -C $BUILD)"
fi
for f in "$CLI" "$RPC" "$OBJ"; do
	[ -e "$f" ] || die "missing $f (build the project first)"
done
for f in "$CYC" "$SCALE"; do
	[ -x "$f" ] || die "missing $f: the top-level meson.build needs subdir('bench')"
done
need=()
command -v xdp-loader >/dev/null || need+=(xdp-tools)
command -v bpftool >/dev/null || need+=(bpftool)
command -v ip >/dev/null || need+=(iproute2)
command -v mountpoint >/dev/null || need+=(util-linux)
if [ ${#need[@]} -gt 0 ]; then
	echo "installing ${need[*]}" >&2
	"$TOP/scripts/install-deps.sh" test || die "installing ${need[*]} failed"
fi
XDPL=$(command -v xdp-loader)
BPFTOOL=$(command -v bpftool)

# ---- what it makes, and its removal on every exit ----
TMP=$(mktemp -d -t bpfman-bench.XXXXXX) || die "mktemp failed"
NS=bpfman-bench-$$
IF=bpbh$$
PEER=bpbp$$
SERVER_PID=
SROOT=$TMP/server-root
CROOT=$TMP/cli-root
FS=$TMP/bpffs
SOCK=$TMP/sock/bpfman.sock
RES=$TMP/results

CHILD=
# Runs a bench program with its results appended to $RES. In the background, so that a
# signal to this script is handled at once (bash runs traps only between commands).
run() {
	"$@" >>"$RES" &
	CHILD=$!
	wait "$CHILD"
	local rc=$?
	CHILD=
	return $rc
}

cleanup() {
	local d
	if [ -n "$CHILD" ]; then
		kill -TERM "$CHILD" 2>/dev/null
		wait "$CHILD" 2>/dev/null
	fi
	if [ -n "$SERVER_PID" ] && kill -0 "$SERVER_PID" 2>/dev/null; then
		kill -TERM "$SERVER_PID" 2>/dev/null
		for _ in $(seq 50); do kill -0 "$SERVER_PID" 2>/dev/null || break; sleep 0.1; done
		kill -KILL "$SERVER_PID" 2>/dev/null
		wait "$SERVER_PID" 2>/dev/null
	fi
	if ip link show "$IF" >/dev/null 2>&1; then
		"$XDPL" unload -a "$IF" >/dev/null 2>&1
	fi
	# unmounting a bpffs releases whatever is still pinned in it
	for d in "$SROOT/run/bpfman/fs" "$CROOT/run/bpfman/fs" "$FS"; do
		while mountpoint -q "$d" 2>/dev/null; do umount "$d" || umount -l "$d" || break; done
	done
	ip netns del "$NS" 2>/dev/null
	ip link del "$IF" 2>/dev/null
	rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT TERM HUP

mkdir -p "$SROOT/etc/bpfman" "$CROOT/etc/bpfman" "$FS" "$(dirname "$SOCK")" || die "mkdir failed"
: >"$RES"
mount -t bpf bpffs "$FS" || die "cannot mount a bpffs at $FS"
mkdir -p "$FS/floor" "$FS/xdp-loader"
ip netns add "$NS" || die "cannot make network namespace $NS"
ip link add "$IF" type veth peer name "$PEER" netns "$NS" || die "cannot make veth $IF"
ip link set "$IF" up && ip -n "$NS" link set "$PEER" up || die "cannot bring $IF up"
for r in "$SROOT" "$CROOT"; do
	printf '[interfaces.%s]\nxdp_mode = "%s"\n' "$IF" "$MANAGER_MODE" >"$r/etc/bpfman/bpfman.toml"
done

BPFMAN_ROOT=$SROOT "$RPC" --socket-path "$SOCK" --timeout 0 2>"$TMP/server.log" &
SERVER_PID=$!
for _ in $(seq 100); do
	[ -S "$SOCK" ] && break
	kill -0 "$SERVER_PID" 2>/dev/null || break
	sleep 0.1
done
[ -S "$SOCK" ] || { cat "$TMP/server.log" >&2; die "the server did not come up"; }
sleep 0.5 # idle: let it settle before its resident memory is read

LOADAVG=$(cut -d' ' -f1-3 /proc/loadavg)
failed=()

# ---- 1. Get/List at scale and resident memory (first: "idle" is a fresh server) ----
echo "== Get/List with $PROGRAMS programs, VmRSS ==" >&2
run "$SCALE" --socket "$SOCK" --server-pid "$SERVER_PID" --obj "$OBJ" --root "$SROOT" \
	--programs "$PROGRAMS" --rss-at "$RSS_AT" --get-iters "$GET_ITERS" \
	--list-iters "$LIST_ITERS" --cli "$CLI" --cli-list-iters "$CLI_LIST_ITERS" \
	--bpftool "$BPFTOOL" ||
	failed+=("Get/List/RSS")

# ---- 2. load/attach/detach/unload cycles ----
echo "== XDP cycles ==" >&2
run "$CYC" --kind xdp --obj "$OBJ" --iface "$IF" "${NATIVE[@]}" --cycles "$CYCLES" \
	--warmup "$WARMUP" --methods floor,grpc,cli,xdp-loader --socket "$SOCK" --cli "$CLI" \
	--cli-root "$CROOT" --floor-fs "$FS/floor" --xdp-loader "$XDPL" \
	--xdp-loader-pin-dir "$FS/xdp-loader" || failed+=("XDP cycles")
if ((TP_CYCLES > 0)); then
	echo "== tracepoint cycles ==" >&2
	run "$CYC" --kind tracepoint --obj "$OBJ" --cycles "$TP_CYCLES" --warmup "$WARMUP" \
		--methods floor,grpc,cli --socket "$SOCK" --cli "$CLI" --cli-root "$CROOT" \
		--floor-fs "$FS/floor" --rcu-samples 0 || failed+=("tracepoint cycles")
fi
rss_end=$(awk '/^VmRSS/ {print $2}' "/proc/$SERVER_PID/status" 2>/dev/null)
kill -0 "$SERVER_PID" 2>/dev/null || failed+=("the server died: $(tail -3 "$TMP/server.log")")

# ---- the table ----
declare -A R
while read -r _ k v; do R[$k]=$v; done < <(grep '^@ ' "$RES")

v() { # KEY [DECIMALS]: a result, or n/a
	local x=${R[$1]:-}
	if [ -z "$x" ]; then printf 'n/a'; else printf "%.${2:-2}f" "$x"; fi
}
ratio() { # A B
	awk -v a="${R[$1]:-}" -v b="${R[$2]:-}" 'BEGIN { if (a == "" || b == "" || b <= 0) printf "n/a"; else printf "%.2f", a / b }'
}
mib() { # KEY (KiB)
	awk -v k="${R[$1]:-}" 'BEGIN { if (k == "") printf "n/a"; else printf "%.1f", k / 1024 }'
}
verdict() { # VALUE OP LIMIT
	awk -v x="$1" -v op="$2" -v l="$3" 'BEGIN {
		if (x == "n/a" || x == "") { printf "NOT MEASURED"; exit }
		ok = op == "<=" ? x + 0 <= l + 0 : x + 0 < l + 0
		printf ok ? "met" : "MISSED" }'
}
minus() { # A B: A - B
	awk -v a="${R[$1]:-}" -v b="${R[$2]:-}" 'BEGIN { if (a == "" || b == "") printf "n/a"; else printf "%.2f", a - b }'
}
cycle_row() { # KIND METHOD LABEL
	local p=cycle.$1.$2
	printf '  %-30s %8s %8s %7s %7s %7s %7s %8s %9s\n' "$3" "$(v "$p.total.p50")" \
		"$(v "$p.total.p99")" "$(v "$p.load.p50")" "$(v "$p.attach.p50")" \
		"$(v "$p.detach.p50")" "$(v "$p.unload.p50")" "$(v "$p.settle.p50")" \
		"$(ratio "$p.total.p50" "cycle.$1.floor.total.p50")x"
}
cycle_head() {
	printf '  %-30s %8s %8s %7s %7s %7s %7s %8s %9s\n' "method (ms)" "cycle50" "cycle99" \
		"load" "attach" "detach" "unload" "settle" "vs floor"
}

g_floor=$(ratio cycle.xdp.grpc.total.p50 cycle.xdp.floor.total.p50)
g_noatt=$(ratio cycle.xdp.grpc.noattach.p50 cycle.xdp.floor.noattach.p50)
g_tp=$(ratio cycle.tracepoint.grpc.total.p50 cycle.tracepoint.floor.total.p50)
list_p50=$(v list.grpc.p50)
# the target is judged on the larger reading with RSS_AT programs loaded
rss_at=$(awk -v a="${R[rss.at_kib]:-}" -v b="${R[rss.at_queried_kib]:-}" 'BEGIN {
	if (a == "" || b == "") { printf "n/a"; exit }
	printf "%.1f", (a > b ? a : b) / 1024 }')
{
	echo
	echo "bpfman-c benchmark: $(date -u +%Y-%m-%dT%H:%MZ), kernel $(uname -r), $(nproc) CPUs, load average $LOADAVG at start"
	echo "XDP mode $XDP_MODE on a veth (peer in netns), object counters.bpf.o; medians (p50) and p99 in ms"
	echo
	echo "1. load + attach + detach + unload of xdp_counter, $(v cycle.xdp.floor.total.n 0) cycles per method, interleaved"
	cycle_head
	cycle_row xdp floor "libbpf in-process (floor)"
	cycle_row xdp grpc "gRPC, C client (4 calls)"
	cycle_row xdp cli "CLI (4 process launches)"
	cycle_row xdp xdp-loader "xdp-loader load + unload -a"
	echo "     cycle = load+attach+detach+unload as the caller sees them; step columns are medians of"
	echo "     each step. settle (not in cycle): after the cycle, until the kernel has freed the"
	echo "     interface; a detach by unpinning completes after an RCU grace period. xdp-loader:"
	echo "     load includes the attach and unload the (synchronous, netlink) detach."
	echo "     Kernel RCU grace period (membarrier GLOBAL): p50 $(v kernel.rcu_gp.p50) ms, p99 $(v kernel.rcu_gp.p99) ms;"
	echo "     every XDP attach waits for one (the kernel's XDP dispatcher update)."
	if ((TP_CYCLES > 0)); then
		echo
		echo "2. the same for tracepoint_counter on syscalls/sys_enter_getpid (perf-event link), $(v cycle.tracepoint.floor.total.n 0) cycles"
		cycle_head
		cycle_row tracepoint floor "libbpf in-process (floor)"
		cycle_row tracepoint grpc "gRPC, C client (4 calls)"
		cycle_row tracepoint cli "CLI (4 process launches)"
	fi
	echo
	echo "3. queries with $(v scale.loaded 0) managed programs loaded (tracepoint_counter, one map directory each)"
	printf '  %-44s %8s %8s %9s\n' "(ms)" "p50" "p99" "calls"
	printf '  %-44s %8s %8s %9s\n' "Get over gRPC" "$(v get.grpc.p50 3)" "$(v get.grpc.p99 3)" "$(v get.grpc.n 0)"
	printf '  %-44s %8s %8s %9s\n' "Get in-process (libbpfman, same root)" "$(v get.lib.p50 3)" "$(v get.lib.p99 3)" "$(v get.lib.n 0)"
	printf '  %-44s %8s %8s %9s\n' "List over gRPC" "$(v list.grpc.p50)" "$(v list.grpc.p99)" "$(v list.grpc.n 0)"
	printf '  %-44s %8s %8s %9s\n' "List in-process (libbpfman, same root)" "$(v list.lib.p50)" "$(v list.lib.p99)" "$(v list.lib.n 0)"
	printf '  %-44s %8s %8s %9s\n' "bpfman list programs -o json (CLI launch)" "$(v list.cli.p50)" "$(v list.cli.p99)" "$(v list.cli.n 0)"
	printf '  %-44s %8s %8s %9s\n' "bpftool -j prog show (every kernel program)" "$(v list.bpftool.p50)" "$(v list.bpftool.p99)" "$(v list.bpftool.n 0)"
	printf '  %-44s %8s %8s %9s\n' "Load over gRPC, while filling up" "$(v scale.load.p50)" "$(v scale.load.p99)" "$(v scale.load.n 0)"
	printf '  %-44s %8s %8s %9s\n' "Unload over gRPC, while emptying" "$(v scale.unload.p50)" "$(v scale.unload.p99)" "$(v scale.unload.n 0)"
	echo
	echo "4. bpfman-rpc resident memory (MiB): VmRSS = RssAnon + RssFile (+ shmem)"
	printf '  %-40s %7s %8s %8s\n' "" "VmRSS" "RssAnon" "RssFile"
	for w in idle at at_queried all_loaded after_queries after_unload; do
		case $w in
		idle) label="idle (started, no call yet)" ;;
		at) label="$(v rss.at_programs 0) programs loaded" ;;
		at_queried) label="  same, after 5 Lists + a Get of each" ;;
		all_loaded) label="$(v scale.loaded 0) programs loaded" ;;
		after_queries) label="after the Get/List runs" ;;
		after_unload) label="all unloaded again" ;;
		esac
		printf '  %-40s %7s %8s %8s\n' "$label" "$(mib rss.${w}_kib)" "$(mib rss.${w}_anon_kib)" "$(mib rss.${w}_file_kib)"
	done
	printf '  %-40s %7s\n' "after the cycles" "$(awk -v k="${rss_end:-}" 'BEGIN { if (k == "") printf "n/a"; else printf "%.1f", k / 1024 }')"
	echo
	echo "Ratios of the XDP cycle medians"
	printf '  gRPC/floor %s   CLI/floor %s   xdp-loader/floor %s   gRPC/xdp-loader %s   CLI/xdp-loader %s\n' \
		"$g_floor" "$(ratio cycle.xdp.cli.total.p50 cycle.xdp.floor.total.p50)" \
		"$(ratio cycle.xdp.xdp-loader.total.p50 cycle.xdp.floor.total.p50)" \
		"$(ratio cycle.xdp.grpc.total.p50 cycle.xdp.xdp-loader.total.p50)" \
		"$(ratio cycle.xdp.cli.total.p50 cycle.xdp.xdp-loader.total.p50)"
	printf '  gRPC minus floor: %s ms per cycle. Without the attach step (load+detach+unload):\n' \
		"$(minus cycle.xdp.grpc.total.p50 cycle.xdp.floor.total.p50)"
	printf '    floor %s ms, gRPC %s ms, CLI %s ms: gRPC/floor %s, CLI/floor %s\n' \
		"$(v cycle.xdp.floor.noattach.p50)" "$(v cycle.xdp.grpc.noattach.p50)" \
		"$(v cycle.xdp.cli.noattach.p50)" \
		"$(ratio cycle.xdp.grpc.noattach.p50 cycle.xdp.floor.noattach.p50)" \
		"$(ratio cycle.xdp.cli.noattach.p50 cycle.xdp.floor.noattach.p50)"
	if ((TP_CYCLES > 0)); then
		printf '  tracepoint: gRPC/floor %s   CLI/floor %s\n' \
			"$(ratio cycle.tracepoint.grpc.total.p50 cycle.tracepoint.floor.total.p50)" \
			"$(ratio cycle.tracepoint.cli.total.p50 cycle.tracepoint.floor.total.p50)"
	fi
	echo
	echo "Targets (the issue's)"
	printf '  %-62s %10s  %s\n' "XDP cycle over gRPC within 2x the floor (p50)" "${g_floor}x" "$(verdict "$g_floor" '<=' 2)"
	printf '  %-62s %10s  %s\n' "  same, without the attach (kernel RCU wait)" "${g_noatt}x" "$(verdict "$g_noatt" '<=' 2)"
	if ((TP_CYCLES > 0)); then
		printf '  %-62s %10s  %s\n' "  same, tracepoint cycle" "${g_tp}x" "$(verdict "$g_tp" '<=' 2)"
	fi
	printf '  %-62s %10s  %s\n' "List of $(v scale.loaded 0) under 20 ms (p50)" "$list_p50 ms" "$(verdict "$list_p50" '<' 20)"
	printf '  %-62s %10s  %s\n' "VmRSS with $(v rss.at_programs 0) programs at most 12 MiB (larger of the two)" "$rss_at MiB" "$(verdict "$rss_at" '<=' 12)"
} | tee "$TMP/table"
if [ -n "${BENCH_TABLE:-}" ]; then cp "$TMP/table" "$BENCH_TABLE"; fi

# ---- machine-readable rows (bench/run-all.sh) ----
# row MEASURE VALUE PEER PEER_VALUE RATIO GOAL VERDICT; "-" where a column does not apply
row() { printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$@" >>"$BENCH_ROWS"; }
if [ -n "${BENCH_ROWS:-}" ]; then
	ms() { local x; x=$(v "$1"); [ "$x" = n/a ] && printf n/a || printf '%s ms' "$x"; }
	g_cli=$(ratio cycle.xdp.cli.total.p50 cycle.xdp.xdp-loader.total.p50)
	row "XDP cycle (load+attach+detach+unload), gRPC" "$(ms cycle.xdp.grpc.total.p50)" \
		"libbpf in-process" "$(ms cycle.xdp.floor.total.p50)" "$g_floor" "<= 2x" "$(verdict "$g_floor" '<=' 2)"
	row "  same without the attach (kernel RCU wait)" "$(ms cycle.xdp.grpc.noattach.p50)" \
		"libbpf in-process" "$(ms cycle.xdp.floor.noattach.p50)" "$g_noatt" "<= 2x" "$(verdict "$g_noatt" '<=' 2)"
	if ((TP_CYCLES > 0)); then
		row "tracepoint cycle, gRPC" "$(ms cycle.tracepoint.grpc.total.p50)" \
			"libbpf in-process" "$(ms cycle.tracepoint.floor.total.p50)" "$g_tp" "<= 2x" "$(verdict "$g_tp" '<=' 2)"
	fi
	row "XDP cycle, CLI (4 launches)" "$(ms cycle.xdp.cli.total.p50)" \
		"xdp-loader (2 launches)" "$(ms cycle.xdp.xdp-loader.total.p50)" "$g_cli" "<= 0.75x" "$(verdict "$g_cli" '<=' 0.75)"
	row "XDP cycle, gRPC" "$(ms cycle.xdp.grpc.total.p50)" "xdp-loader (2 launches)" \
		"$(ms cycle.xdp.xdp-loader.total.p50)" "$(ratio cycle.xdp.grpc.total.p50 cycle.xdp.xdp-loader.total.p50)" - -
	row "Get of 1 of $(v scale.loaded 0), gRPC" "$(ms get.grpc.p50)" "libbpfman in-process" \
		"$(ms get.lib.p50)" "$(ratio get.grpc.p50 get.lib.p50)" - -
	row "List of $(v scale.loaded 0), gRPC" "$(ms list.grpc.p50)" "libbpfman in-process" \
		"$(ms list.lib.p50)" "$(ratio list.grpc.p50 list.lib.p50)" "< 20 ms" "$(verdict "$list_p50" '<' 20)"
	list_cli=$(v list.cli.p50)
	row "List of $(v scale.loaded 0), CLI launch" "$(ms list.cli.p50)" "bpftool -j prog show" \
		"$(ms list.bpftool.p50)" "$(ratio list.cli.p50 list.bpftool.p50)" "< 50 ms" "$(verdict "$list_cli" '<' 50)"
	row "VmRSS of bpfman-rpc, $(v rss.at_programs 0) programs" "$rss_at MiB" - - - "<= 12 MiB" "$(verdict "$rss_at" '<=' 12)"
fi
if ((${#failed[@]})); then
	printf 'bench: failed: %s\n' "${failed[@]}" >&2
	exit 1
fi
exit 0
