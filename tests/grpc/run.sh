#!/bin/bash
# gRPC client tests against a real bpfman-rpc, as root.
#
# Generates Python stubs twice, from the project's proto and from the proto built out of the
# compatibility doc's tables (gen_from_contract.py; committed as contract/), and for each
# set starts its own bpfman-rpc (own socket, own BPFMAN_ROOT, so it can run beside other
# tests), runs every test_*.py here against it, stops the server with SIGTERM and checks it
# exited 0. Ends with
#   RESULT kernel=grpc passed=N failed=N skipped=N
# counted per test method (plus one "server exit" check per server).
#
# Usage: run.sh [Class | Class.test_method]...  (of test_bpfman.py or test_server_limits.py)
# Environment:
#   BPFMAN_BUILD       build directory (default: <repo>/build)
#   BPFMAN_RPC         the server binary (default: $BPFMAN_BUILD/src/rpc/bpfman-rpc)
#   BPFMAN_COMPAT_DOC  the compatibility doc (default: shared/docs/bpfman-compat.md above the
#                      repo); when found, contract/bpfman_contract.proto must match it
#   FLAVOURS           which stubs to run: "project contract" (default) or one of them
set -u -o pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
TOP=$(cd "$HERE/../.." && pwd)
export BPFMAN_BUILD=${BPFMAN_BUILD:-$TOP/build}
RPC=${BPFMAN_RPC:-$BPFMAN_BUILD/src/rpc/bpfman-rpc}
FLAVOURS=${FLAVOURS:-project contract}
PY=/usr/bin/python3 # Debian's: the one with python3-grpcio
export LC_ALL=C
export GRPC_TEST_ID=$$

result() { # passed failed skipped
	echo "RESULT kernel=grpc passed=$1 failed=$2 skipped=$3"
}

if [ "$(id -u)" != 0 ]; then
	echo "the gRPC tests need root (the server loads programs)" >&2
	result 0 0 0
	exit 77
fi
if [ ! -x "$RPC" ]; then
	echo "no server binary at $RPC (build it first)" >&2
	result 0 0 0
	exit 77
fi

# Tools, installed only when missing
need=()
command -v protoc >/dev/null || need+=(protobuf-compiler)
command -v grpc_python_plugin >/dev/null || need+=(protobuf-compiler-grpc)
$PY -c 'import grpc' 2>/dev/null || need+=(python3-grpcio)
$PY -c 'import google.protobuf' 2>/dev/null || need+=(python3-protobuf)
$PY -c 'import prometheus_client' 2>/dev/null || need+=(python3-prometheus-client)
command -v bpftool >/dev/null || need+=(bpftool)
command -v ip >/dev/null || need+=(iproute2)
command -v ping >/dev/null || need+=(iputils-ping)
if [ ${#need[@]} -gt 0 ]; then
	echo "installing ${need[*]}" >&2
	"$TOP/scripts/install-deps.sh" test ||
		{ echo "installing ${need[*]} failed" >&2; result 0 1 0; exit 1; }
fi

TMP=$(mktemp -d /tmp/bpfman-grpc.XXXXXX)
SERVER_PID=
SERVER_ROOT=

# Stops the server if it still runs, unmounts its bpffs, removes its root.
release_root() {
	if [ -n "$SERVER_PID" ] && kill -0 "$SERVER_PID" 2>/dev/null; then
		kill -KILL "$SERVER_PID" 2>/dev/null
		wait "$SERVER_PID" 2>/dev/null
	fi
	SERVER_PID=
	if [ -n "$SERVER_ROOT" ]; then
		while mountpoint -q "$SERVER_ROOT/run/bpfman/fs" 2>/dev/null; do
			umount "$SERVER_ROOT/run/bpfman/fs" || break
		done
		rm -rf "$SERVER_ROOT"
	fi
	SERVER_ROOT=
}

cleanup() {
	release_root
	# namespaces a failed test may have left (TcxTest names them bpfmg-<run id>-*)
	for n in $(ip netns list 2>/dev/null | awk '{print $1}' | grep "^bpfmg-$GRPC_TEST_ID-"); do
		ip netns del "$n" 2>/dev/null
	done
	rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# Stubs: DIR/bpfman.proto -> OUT/bpfman_pb2.py, bpfman_pb2_grpc.py, descriptor.pb
gen_stubs() { # proto-dir out-dir
	mkdir -p "$2" &&
		protoc -I "$1" --python_out="$2" --grpc_out="$2" \
			--plugin=protoc-gen-grpc="$(command -v grpc_python_plugin)" bpfman.proto &&
		protoc -I "$1" --descriptor_set_out="$2/descriptor.pb" bpfman.proto
}
# The contract's proto is the committed copy (the doc lives outside the repository);
# when the doc is there, the copy must be what it gives: a stale copy is a failure.
doc_args=()
[ -n "${BPFMAN_COMPAT_DOC:-}" ] && doc_args=(--doc "$BPFMAN_COMPAT_DOC")
if ! $PY "$HERE/gen_from_contract.py" "${doc_args[@]}" --check; then
	echo "FAIL contract-proto: tests/grpc/contract/bpfman_contract.proto is stale"
	result 0 1 0
	exit 1
fi
mkdir -p "$TMP/contract-proto"
cp "$HERE/contract/bpfman_contract.proto" "$TMP/contract-proto/bpfman.proto"
if ! gen_stubs "$TMP/contract-proto" "$TMP/stubs-contract" ||
	! gen_stubs "$TOP/proto" "$TMP/stubs-project"; then
	echo "could not generate the stubs" >&2
	result 0 1 0
	exit 1
fi
export BPFMAN_GRPC_DESCRIPTORS="$TMP/stubs-project/descriptor.pb:$TMP/stubs-contract/descriptor.pb"

passed=0 failed=0 skipped=0
count() { # a SUMMARY line
	local p f s
	p=$(sed -n 's/.* passed=\([0-9]*\).*/\1/p' <<<"$1")
	f=$(sed -n 's/.* failed=\([0-9]*\).*/\1/p' <<<"$1")
	s=$(sed -n 's/.* skipped=\([0-9]*\).*/\1/p' <<<"$1")
	passed=$((passed + ${p:-0})) failed=$((failed + ${f:-1})) skipped=$((skipped + ${s:-0}))
}

# Every test_*.py here runs against each flavour's server, all with the same environment
# and each ending with its SUMMARY line. A selection (Class or Class.test_method) goes to the
# file that defines the class; a name no file defines is a failure.
test_files=("$HERE"/test_*.py)
declare -A file_args
for f in "${test_files[@]}"; do file_args[$f]=; done
for a in "$@"; do
	found=
	for f in "${test_files[@]}"; do
		if grep -q "^class ${a%%.*}(" "$f"; then
			file_args[$f]+="$a "
			found=1
		fi
	done
	if [ -z "$found" ]; then
		echo "FAIL selection: no test class ${a%%.*} in $HERE/test_*.py"
		failed=$((failed + 1))
	fi
done

for flavour in $FLAVOURS; do
	SERVER_ROOT=$(mktemp -d "$TMP/root-$flavour.XXXXXX")
	sock="$TMP/sock-$flavour/bpfman.sock"
	mkdir -p "$(dirname "$sock")"
	log="$TMP/server-$flavour.log"
	# a registry that stalls (test_image_hostile.py) is given up on after 10 s, not 30 (long enough for the test to pull another image meanwhile)
	mkdir -p "$SERVER_ROOT/etc/bpfman"
	printf '[registries]\nstall_timeout_sec = 10\n' >"$SERVER_ROOT/etc/bpfman/bpfman.toml"
	BPFMAN_ROOT=$SERVER_ROOT "$RPC" --socket-path "$sock" --timeout 0 2>"$log" &
	SERVER_PID=$!
	for _ in $(seq 1 100); do
		[ -S "$sock" ] && break
		kill -0 "$SERVER_PID" 2>/dev/null || break
		sleep 0.1
	done
	if [ ! -S "$sock" ]; then
		echo "FAIL $flavour/server-start: no socket at $sock"
		sed 's/^/    | /' "$log" | tail -n 20
		failed=$((failed + 1))
		release_root
		continue
	fi

	all_ok=1
	for f in "${test_files[@]}"; do
		[ $# -eq 0 ] || [ -n "${file_args[$f]}" ] || continue
		name=$(basename "$f" .py)
		# it starts servers of its own: once, with the project's stubs, is enough
		case $name in test_server_limits | test_metrics) [ "$flavour" = project ] || continue ;; esac
		# shellcheck disable=SC2086 # class names: no spaces
		BPFMAN_ROOT=$SERVER_ROOT BPFMAN_GRPC_SOCKET=$sock BPFMAN_GRPC_FLAVOUR=$flavour \
			BPFMAN_GRPC_STUBS="$TMP/stubs-$flavour" $PY "$f" ${file_args[$f]} 2>&1 |
			tee "$TMP/out-$flavour-$name"
		out=$(grep '^SUMMARY ' "$TMP/out-$flavour-$name")
		[ -n "$out" ] || echo "FAIL $flavour/$name: no SUMMARY line"
		count "${out:-SUMMARY passed=0 failed=1 skipped=0}"
		grep -q ' failed=0 ' <<<"${out:-}" || all_ok=
	done

	# the server ends cleanly on SIGTERM
	kill -TERM "$SERVER_PID"
	rc=
	for _ in $(seq 1 100); do
		kill -0 "$SERVER_PID" 2>/dev/null || { wait "$SERVER_PID"; rc=$?; break; }
		sleep 0.1
	done
	if [ "$rc" = 0 ]; then
		echo "ok $flavour/server-exit"
		passed=$((passed + 1))
	else
		echo "FAIL $flavour/server-exit: ${rc:-still running 10 s after SIGTERM} (want 0)"
		failed=$((failed + 1))
	fi
	SERVER_PID=
	if [ "$rc" != 0 ] || [ -z "$all_ok" ]; then
		echo "    server log ($flavour), last lines:"
		sed 's/^/    | /' "$log" | tail -n 30
	fi
	release_root
done

result "$passed" "$failed" "$skipped"
[ "$failed" = 0 ]
