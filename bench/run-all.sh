#!/bin/bash
# Every benchmark in one run, as root, and one table of the issue's goals:
#
#   bench/run.sh         gRPC / CLI / xdp-loader / in-process libbpf cycles, Get and List
#                        of 1,000 programs (gRPC, in-process, CLI, bpftool), resident memory
#   bench/image.sh       load from a cached image vs from the file, pull vs skopeo
#   bench/dispatcher.sh  per-packet cost of bpfman's XDP dispatcher vs direct vs libxdp
#                        (under qemu, TCG, on Debian's 6.12 when this kernel has no freplace)
#
# Each writes its rows (BENCH_ROWS: measure, bpfman, peer, peer value, ratio, goal,
# met/MISSED) into one file; this prints them as one table with the machine line (kernel,
# CPU, cores, load average at start and end: a busy machine skews every figure).
#
# Time, on the 2-core VM this was written on: about 7 minutes with the defaults (run.sh
# ~1-2 min, image.sh ~20 s, dispatcher.sh ~5 min under qemu); QUICK=1 (small counts, for
# a smoke run) about 3 minutes, most of it the guest's boot.
#
# Environment:
#   QUICK=1           small counts everywhere (figures are rough; every row is still there)
#   BENCH_MD=FILE     also write the table (and the machine line) as markdown
#   BENCH_LOG=FILE    also keep the three scripts' own output (their detailed tables)
#   BPFMAN_BUILD      build directory (default <repo>/build); NO_BUILD=1 skips ninja
#   SKIP=LIST         comma-separated: run, image, dispatcher (for a partial run)
# The counts of each script can still be set (CYCLES, LOADS, PLACEMENTS, ...); QUICK only
# sets those not given.
#
# Everything the scripts make they remove on exit or interrupt (their own traps); this
# script passes SIGINT/SIGTERM on to the one running and removes its temp dir.
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
TOP=$(cd "$HERE/.." && pwd)
BUILD=${BPFMAN_BUILD:-$TOP/build}
export BPFMAN_BUILD=$BUILD LC_ALL=C

die() { echo "bench: $*" >&2; exit 1; }
[ "$(id -u)" = 0 ] || die "needs root (the benchmarks load BPF programs)"

if [ "${QUICK:-0}" = 1 ]; then
	# run.sh: List/Get/RSS still at 1,000 and 100 programs (the goals name those counts)
	: "${CYCLES:=10}" "${TP_CYCLES:=10}" "${WARMUP:=1}" "${GET_ITERS:=200}" "${LIST_ITERS:=5}"
	: "${CLI_LIST_ITERS:=3}"
	: "${LOADS:=5}" "${PULLS:=1}" "${LAYER_MIB:=10}"      # image.sh
	: "${REPEAT:=10000}" "${ROUNDS:=2}" "${PLACEMENTS:=1}" # dispatcher.sh
	export CYCLES TP_CYCLES WARMUP GET_ITERS LIST_ITERS CLI_LIST_ITERS LOADS PULLS LAYER_MIB \
		REPEAT ROUNDS PLACEMENTS
fi

# ---- build and tools ----
if [ "${NO_BUILD:-0}" != 1 ]; then
	"$TOP/scripts/install-deps.sh" build || die "installing the build's packages failed"
	if [ ! -f "$BUILD/build.ninja" ]; then
		meson setup "$BUILD" "$TOP" >/dev/null || die "meson setup $BUILD failed"
	fi
	ninja -C "$BUILD" >/dev/null || die "the build failed (ninja -C $BUILD)"
fi
steps=(test)
command -v qemu-system-x86_64 >/dev/null || steps+=(vm)
"$TOP/scripts/install-deps.sh" "${steps[@]}" || die "installing ${steps[*]} packages failed"
export NO_BUILD=1 # built once, here

# ---- its files, and passing a signal on ----
TMP=$(mktemp -d -t bpfman-bench-all.XXXXXX) || die "mktemp failed"
ROWS=$TMP/rows
: >"$ROWS"
CHILD=
cleanup() {
	if [ -n "$CHILD" ]; then
		kill -TERM "$CHILD" 2>/dev/null
		wait "$CHILD" 2>/dev/null
	fi
	rm -rf "${TMP:?}"
}
trap cleanup EXIT
trap 'exit 130' INT TERM HUP

machine() {
	printf '%s' "kernel $(uname -r), $(awk -F': ' '/^model name/ {print $2; exit}' /proc/cpuinfo), $(nproc) CPUs"
}
loadavg() { cut -d' ' -f1-3 /proc/loadavg; }
START=$(date +%s)
DATE=$(date -u +%Y-%m-%dT%H:%MZ)
LOAD_START=$(loadavg)

failed=()
# bench NAME SCRIPT: runs one script with its rows into $ROWS, its output into the log
bench() {
	local t0=$(date +%s) rc
	echo "== bench/$2 ($(date -u +%H:%M:%S), load average $(loadavg)) ==" >&2
	BENCH_ROWS=$ROWS bash "$HERE/$2" >"$TMP/$1.log" 2>&1 &
	CHILD=$!
	wait "$CHILD"
	rc=$?
	CHILD=
	echo "   done in $(($(date +%s) - t0)) s, exit $rc" >&2
	if [ "$rc" != 0 ]; then
		failed+=("bench/$2 (exit $rc)")
		tail -n 20 "$TMP/$1.log" >&2
	fi
	{
		echo "==== bench/$2 ===="
		cat "$TMP/$1.log"
	} >>"$TMP/all.log"
}
skip() { [[ ",${SKIP:-}," == *",$1,"* ]]; }
skip run || bench run run.sh
skip image || bench image image.sh
skip dispatcher || bench dispatcher dispatcher.sh
LOAD_END=$(loadavg)
ELAPSED=$(($(date +%s) - START))
[ -z "${BENCH_LOG:-}" ] || cp "$TMP/all.log" "$BENCH_LOG"

# ---- the table ----
HEAD=$'measure\tbpfman\tpeer\tpeer value\tratio\tgoal\tverdict'
title="bpfman-c benchmarks, $DATE$([ "${QUICK:-0}" = 1 ] && echo ' (QUICK=1: small counts)')"
mline="$(machine); load average $LOAD_START at start, $LOAD_END at end; ${ELAPSED} s"
{
	echo
	echo "$title"
	echo "$mline"
	echo "ratio = bpfman / peer (dispatcher: median of the per-round ratios); n/a = not measured"
	{ echo "$HEAD"; cat "$ROWS"; } | awk -F'\t' '
		{ for (i = 1; i <= NF; i++) { c[NR, i] = $i; if (length($i) > w[i]) w[i] = length($i) } n = NR }
		END { for (r = 1; r <= n; r++) {
			line = sprintf("%-" w[1] "s", c[r, 1])
			for (i = 2; i <= 7; i++) line = line sprintf("  %" (i == 3 || i == 7 ? "-" : "") w[i] "s", c[r, i])
			print line
			if (r == 1) { s = ""; for (i = 1; i <= 7; i++) { for (k = 0; k < w[i] + (i > 1 ? 2 : 0); k++) s = s "-" } print s }
		} }'
	missed=$(awk -F'\t' '$7 == "MISSED"' "$ROWS" | wc -l)
	met=$(awk -F'\t' '$7 == "met"' "$ROWS" | wc -l)
	other=$(awk -F'\t' '$6 != "-" && $7 != "met" && $7 != "MISSED"' "$ROWS" | wc -l)
	echo "goals: $met met, $missed MISSED$( ((other)) && echo ", $other not measured")"
	((${#failed[@]})) && printf 'failed: %s\n' "${failed[@]}"
} | tee "$TMP/table"

if [ -n "${BENCH_MD:-}" ]; then
	{
		echo "$title"
		echo
		echo "Machine: $mline"
		echo
		echo "| measure | bpfman | peer | peer value | ratio | goal | met/MISSED |"
		echo "|---|--:|---|--:|--:|---|---|"
		awk -F'\t' '{ v = $7 == "MISSED" ? "**MISSED**" : $7
			printf "| %s | %s | %s | %s | %s | %s | %s |\n", $1, $2, $3, $4, $5, $6, v }' "$ROWS" | sed 's/<=/≤/g'
	} >"$BENCH_MD"
fi
((${#failed[@]} == 0))
