#!/bin/bash
# The crash test (chaos.py): 1,000 random operations through bpfman-rpc and the CLI with
# random SIGKILLs of either, as root, on a root, socket and namespaces of its own.
#
# Usage: run.sh [--seed N] [--ops N] [--time-limit S] [--kinds tc,xdp,...] [-v]
# Environment: BPFMAN_BUILD (default <repo>/build: the CLI, the server, bpf objects, helpers)
# Ends with
#   operations=N kills=K repairs=R orphans=O lost=L
#   RESULT kernel=chaos passed=N failed=N skipped=N
set -u -o pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
TOP=$(cd "$HERE/../.." && pwd)
export BPFMAN_BUILD=${BPFMAN_BUILD:-$TOP/build}
PY=/usr/bin/python3 # Debian's: the one with python3-grpcio
export LC_ALL=C

skip() {
	echo "SKIP: $*"
	echo "RESULT kernel=chaos passed=0 failed=0 skipped=1"
	exit 77
}

[ "$(id -u)" = 0 ] || skip "the crash test needs root (it loads programs and makes namespaces)"
for f in src/cli/bpfman src/rpc/bpfman-rpc bpf/counters.bpf.o bpf/xdp_pass.bpf.o tests/helpers/trigger; do
	[ -e "$BPFMAN_BUILD/$f" ] || skip "$BPFMAN_BUILD/$f is missing (build first)"
done

# Tools, installed only when missing
need=()
command -v protoc >/dev/null || need+=(protobuf-compiler)
command -v grpc_python_plugin >/dev/null || need+=(protobuf-compiler-grpc)
$PY -c 'import grpc' 2>/dev/null || need+=(python3-grpcio)
$PY -c 'import google.protobuf' 2>/dev/null || need+=(python3-protobuf)
command -v ip >/dev/null && command -v tc >/dev/null || need+=(iproute2)
if [ ${#need[@]} -gt 0 ]; then
	echo "installing ${need[*]}" >&2
	apt-get update -qq >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null ||
		{ echo "apt-get install ${need[*]} failed"; echo "RESULT kernel=chaos passed=0 failed=1 skipped=0"; exit 1; }
fi

STUBS=$(mktemp -d /tmp/bpfman-chaos-stubs.XXXXXX)
if ! protoc -I "$TOP/proto" --python_out="$STUBS" --grpc_out="$STUBS" \
	--plugin=protoc-gen-grpc="$(command -v grpc_python_plugin)" bpfman.proto; then
	echo "could not generate the stubs from proto/bpfman.proto"
	echo "RESULT kernel=chaos passed=0 failed=1 skipped=0"
	rm -rf "$STUBS"
	exit 1
fi
# exec: a SIGTERM or SIGINT reaches chaos.py itself, which cleans up (and removes the stubs)
CHAOS_STUBS=$STUBS CHAOS_STUBS_CLEANUP=1 exec $PY "$HERE/chaos.py" "$@"
