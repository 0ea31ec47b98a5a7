#!/bin/bash
# The image benchmark, as root: two comparisons, each measured in the same run.
#
#   1. load of tracepoint_counter from a cached image (IfNotPresent: no network) vs from the
#      object file, interleaved, each followed by an unload (not timed): with the CLI (a
#      process each), and over gRPC against one server (bench-image-load). Goal: image /
#      file <= 1.1.
#   2. pull of an image with a 50 MiB layer from a registry on loopback: `bpfman image pull
#      -p Always` into an empty cache vs `skopeo copy` of the same image into an empty
#      dir:, interleaved. Goal: skopeo / bpfman >= 1 (bpfman not slower).
#
# It makes and removes everything it uses: a temp dir with the roots, the registry's storage
# (Debian's docker-registry on 127.0.0.1, a free port) and the images, written by
# tests/helpers/make-oci-image.py and pushed with skopeo. The 50 MiB are random bytes after
# the ELF object (incompressible, so the layer is 50 MiB on the wire).
#
# Environment: LOADS=30 (loads of each kind), PULLS=5 (pulls of each kind), LAYER_MIB=50,
#   BPFMAN_BUILD (default <repo>/build), BENCH_TABLE=FILE (also write the table there),
#   BENCH_ROWS=FILE (also append one TSV row per measure there, for bench/run-all.sh:
#   measure, bpfman's value, peer, peer's value, ratio, goal, met/MISSED)
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
TOP=$(cd "$HERE/.." && pwd)
BUILD=${BPFMAN_BUILD:-$TOP/build}
CLI=$BUILD/src/cli/bpfman
OBJ=$BUILD/bpf/counters.bpf.o
export LC_ALL=C

die() { echo "bench: $*" >&2; exit 1; }
num() { # NAME DEFAULT MIN MAX
	local v=${!1:-$2}
	[[ $v =~ ^[0-9]+$ ]] && ((v >= $3 && v <= $4)) || die "$1=$v: expected $3..$4"
	printf '%s' "$v"
}
LOADS=$(num LOADS 30 1 10000) || exit 1
PULLS=$(num PULLS 5 1 100) || exit 1
LAYER_MIB=$(num LAYER_MIB 50 1 200) || exit 1

[ "$(id -u)" = 0 ] || die "needs root (it loads BPF programs)"
[ -x "$CLI" ] && [ -e "$OBJ" ] || die "build first (scripts/build.sh)"
for t in docker-registry skopeo jq; do
	command -v $t >/dev/null || die "$t is missing (scripts/install-deps.sh test)"
done

T=$(mktemp -d /tmp/bpfman-bench-image.XXXXXX)
REG_PID= RPC_PID=
cleanup() {
	[ -n "$RPC_PID" ] && kill "$RPC_PID" 2>/dev/null && wait "$RPC_PID" 2>/dev/null
	[ -n "$REG_PID" ] && kill "$REG_PID" 2>/dev/null && wait "$REG_PID" 2>/dev/null
	for r in "$T/root-file" "$T/root-image" "$T/root-pull" "$T/root-rpc"; do
		[ -d "$r" ] || continue
		for id in $("$CLI" --root "$r" list programs -o json 2>/dev/null | jq -r '.[].kernel.id'); do
			"$CLI" --root "$r" unload "$id" >/dev/null 2>&1
		done
		while mountpoint -q "$r/run/bpfman/fs" 2>/dev/null; do umount "$r/run/bpfman/fs" || break; done
	done
	rm -rf "${T:?}"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

# ---- the registry and the images ----
port=$(/usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
REG=127.0.0.1:$port
mkdir -p "$T/storage"
printf 'version: 0.1\nlog: {level: error}\nstorage:\n  filesystem: {rootdirectory: %s}\nhttp:\n  addr: %s\n' \
	"$T/storage" "$REG" >"$T/registry.yml"
docker-registry serve "$T/registry.yml" >"$T/registry.log" 2>&1 &
REG_PID=$!
for _ in $(seq 100); do curl -sf "http://$REG/v2/" >/dev/null && break; sleep 0.1; done
curl -sf "http://$REG/v2/" >/dev/null || die "docker-registry did not start: $(cat "$T/registry.log")"

push() { # REPO:TAG make-oci-image options...
	local ref=$1
	shift
	rm -rf "$T/oci"
	/usr/bin/python3 "$TOP/tests/helpers/make-oci-image.py" --out "$T/oci" --tag t "$@" >/dev/null ||
		die "make-oci-image.py failed"
	skopeo copy -q --dest-tls-verify=false "oci:$T/oci:t" "docker://$REG/$ref" || die "skopeo push failed"
	rm -rf "$T/oci"
}
LABEL='{"tracepoint_counter":"tracepoint"}'
push bench/counters:v1 --object "$OBJ" --programs "$LABEL"
push bench/big:v1 --object "$OBJ" --programs "$LABEL" --pad-mib "$LAYER_MIB"

now() { date +%s%N; }
median() { sort -n | awk '{v[NR]=$1} END {print (NR % 2) ? v[(NR+1)/2] : (v[NR/2] + v[NR/2+1]) / 2}'; }

# ---- 1. load from a cached image vs from the file ----
"$CLI" --root "$T/root-image" image pull -i "$REG/bench/counters:v1" >/dev/null 2>&1 ||
	die "cannot pull the image"
load_once() { # KIND: prints the load's time in ns
	local root=$T/root-$1 t0 t1 out id
	if [ "$1" = file ]; then
		t0=$(now)
		out=$("$CLI" --root "$root" load file -p "$OBJ" --programs tracepoint:tracepoint_counter -o json)
		t1=$(now)
	else
		t0=$(now)
		out=$("$CLI" --root "$root" load image -i "$REG/bench/counters:v1" -p IfNotPresent \
			--programs tracepoint:tracepoint_counter -o json 2>/dev/null)
		t1=$(now)
	fi
	id=$(echo "$out" | jq -r '.[0].kernel.id')
	[ -n "$id" ] && [ "$id" != null ] || die "load from $1 failed: $out"
	"$CLI" --root "$root" unload "$id" || die "unload failed"
	echo $((t1 - t0))
}
load_once file >/dev/null
load_once image >/dev/null # warm-up: each root prepared, caches warm
: >"$T/file" && : >"$T/image"
for i in $(seq "$LOADS"); do
	if ((i % 2)); then
		load_once file >>"$T/file"
		load_once image >>"$T/image"
	else
		load_once image >>"$T/image"
		load_once file >>"$T/file"
	fi
done
file_ms=$(median <"$T/file" | awk '{printf "%.2f", $1 / 1e6}')
image_ms=$(median <"$T/image" | awk '{printf "%.2f", $1 / 1e6}')

# ---- 1b. the same over gRPC, against one long-running server ----
RPC=$BUILD/src/rpc/bpfman-rpc
BIL=$BUILD/bench/bench-image-load
grpc_file_ms=- grpc_image_ms=- r1g=-
if [ -x "$RPC" ] && [ -x "$BIL" ]; then
	BPFMAN_ROOT=$T/root-rpc "$RPC" --socket-path "$T/rpc.sock" >"$T/rpc.log" 2>&1 &
	RPC_PID=$!
	for _ in $(seq 100); do [ -S "$T/rpc.sock" ] && break; sleep 0.1; done
	"$BIL" "$T/rpc.sock" "$OBJ" "$REG/bench/counters:v1" tracepoint_counter "$LOADS" >"$T/bil" ||
		die "bench-image-load failed: $(cat "$T/bil" "$T/rpc.log")"
	grpc_file_ms=$(awk '$2 == "grpc_file.p50" {printf "%.2f", $3}' "$T/bil")
	grpc_image_ms=$(awk '$2 == "grpc_image.p50" {printf "%.2f", $3}' "$T/bil")
	kill "$RPC_PID" && wait "$RPC_PID"
	RPC_PID=
fi

# ---- 2. pull of the big layer: bpfman vs skopeo ----
pull_bpfman() {
	local t0 t1
	rm -rf "${T:?}/root-pull/var/cache/bpfman"
	t0=$(now)
	"$CLI" --root "$T/root-pull" image pull -p Always -i "$REG/bench/big:v1" >/dev/null 2>&1 ||
		die "bpfman image pull failed"
	t1=$(now)
	echo $((t1 - t0))
}
pull_skopeo() {
	local t0 t1
	rm -rf "${T:?}/skopeo-dir"
	t0=$(now)
	skopeo copy -q --src-tls-verify=false "docker://$REG/bench/big:v1" "dir:$T/skopeo-dir" ||
		die "skopeo copy failed"
	t1=$(now)
	echo $((t1 - t0))
}
pull_bpfman >/dev/null
pull_skopeo >/dev/null
: >"$T/pb" && : >"$T/ps"
for i in $(seq "$PULLS"); do
	if ((i % 2)); then
		pull_bpfman >>"$T/pb"
		pull_skopeo >>"$T/ps"
	else
		pull_skopeo >>"$T/ps"
		pull_bpfman >>"$T/pb"
	fi
done
pb_ms=$(median <"$T/pb" | awk '{printf "%.1f", $1 / 1e6}')
ps_ms=$(median <"$T/ps" | awk '{printf "%.1f", $1 / 1e6}')

ratio() { awk -v a="$1" -v b="$2" 'BEGIN {printf "%.2f", a / b}'; }
verdict() { # VALUE OP GOAL
	awk -v v="$1" -v g="$3" -v op="$2" 'BEGIN {ok = (op == "<=") ? v <= g : v >= g; print ok ? "met" : "MISSED"}'
}
r1=$(ratio "$image_ms" "$file_ms")
r2=$(ratio "$ps_ms" "$pb_ms")
[ "$grpc_file_ms" != - ] && r1g=$(ratio "$grpc_image_ms" "$grpc_file_ms")
{
	echo "Image benchmark ($(uname -r), $(nproc) CPUs; medians of the same run)"
	printf '  %-48s %10s\n' "load, tracepoint_counter (CLI, $LOADS each)" "ms"
	printf '  %-48s %10s\n' "from the file" "$file_ms"
	printf '  %-48s %10s\n' "from the cached image (IfNotPresent)" "$image_ms"
	printf '  %-48s %10s   goal <= 1.10: %s\n' "image / file" "$r1" "$(verdict "$r1" "<=" 1.10)"
	printf '  %-48s %10s\n' "load over gRPC, one server ($LOADS each)" "ms"
	printf '  %-48s %10s\n' "from the file" "$grpc_file_ms"
	printf '  %-48s %10s\n' "from the cached image (IfNotPresent)" "$grpc_image_ms"
	if [ "$r1g" != - ]; then
		printf '  %-48s %10s   goal <= 1.10: %s\n' "image / file" "$r1g" "$(verdict "$r1g" "<=" 1.10)"
	fi
	printf '  %-48s %10s\n' "pull, ${LAYER_MIB} MiB layer, loopback ($PULLS each)" "ms"
	printf '  %-48s %10s\n' "bpfman image pull -p Always (empty cache)" "$pb_ms"
	printf '  %-48s %10s\n' "skopeo copy docker:// dir: (empty dir)" "$ps_ms"
	printf '  %-48s %10s   goal >= 1.00: %s\n' "skopeo / bpfman" "$r2" "$(verdict "$r2" ">=" 1.00)"
} | tee "${BENCH_TABLE:-/dev/null}"
if [ -n "${BENCH_ROWS:-}" ]; then
	row() { printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$@" >>"$BENCH_ROWS"; }
	row "load from cached image, CLI" "$image_ms ms" "load from file, CLI" "$file_ms ms" "$r1" \
		"<= 1.10x" "$(verdict "$r1" "<=" 1.10)"
	if [ "$r1g" != - ]; then
		row "load from cached image, gRPC" "$grpc_image_ms ms" "load from file, gRPC" \
			"$grpc_file_ms ms" "$r1g" "<= 1.10x" "$(verdict "$r1g" "<=" 1.10)"
	fi
	# the goal is on skopeo / bpfman >= 1, i.e. bpfman / skopeo <= 1
	r2b=$(ratio "$pb_ms" "$ps_ms")
	row "image pull, ${LAYER_MIB} MiB layer" "$pb_ms ms" "skopeo copy" "$ps_ms ms" "$r2b" \
		"<= 1.00x" "$(verdict "$r2" ">=" 1.00)"
fi
