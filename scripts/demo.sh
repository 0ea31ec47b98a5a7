#!/bin/bash
# The main job, end to end: build, load a tracepoint counter, attach it, make the event
# happen, read the count from the pinned map, show `bpfman list` / `get`, unload.
# Runs as root on the real paths (/run/bpfman) unless BPFMAN_ROOT names another root.
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
cleanup() { "$BPFMAN" unload "$ID" 2>/dev/null || true; }
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
trap - EXIT
echo
echo "demo: ok"
