#!/bin/bash
# Kubernetes test runner, as root: starts ONE test cluster (cluster-up.sh; with a node when
# a selected test file says K8S_NEEDS_NODE=1), runs every test_* function of every test-*.sh
# file here (or those named: FILE, FILE:FUNC or FUNC, as tests/integration/run.sh), each in
# its own subshell with its own bpfman root, and stops the cluster again, also on failure
# or Ctrl-C. Prints, as the other suites:
#   ok NAME (SECONDS s) | FAIL NAME (exit N, SECONDS s) | skip NAME: reason
# ending with one machine-readable line:
#   RESULT kernel=k8s passed=N failed=N skipped=N
#
# Environment:
#   K8S_PORT_BASE  first of the cluster's 10 ports (default: the first free one of 26000,
#                  26010, ...; give each of several parallel runs its own)
#   WITH_NODE      auto (default: as the selected files need), 1 (always), 0 (never: tests
#                  that need the node skip)
#   K8S_CLUSTER    a DIR where cluster-up.sh already runs a cluster: use it, start none
#   K8S_KEEP=1     keep the cluster (and its dir) after the run, for a look
#   K8S_BIN, BPFMAN, BPF_OBJ_DIR, TEST_TMP, EXCLUDE, PER_TEST_TIMEOUT as tests/integration
set -u -o pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
TOP=$(cd "$HERE/../.." && pwd)
IT=$TOP/tests/integration
export BPFMAN=${BPFMAN:-$TOP/build/src/cli/bpfman}
export BPF_OBJ_DIR=${BPF_OBJ_DIR:-$TOP/build/bpf}
export TESTS_HELPERS=${TESTS_HELPERS:-$TOP/build/tests/helpers}
export K8S_BIN=${K8S_BIN:-/opt/k8s/bin}
export LC_ALL=C
t_run=${EPOCHREALTIME/./}

result() { echo "RESULT kernel=k8s passed=$1 failed=$2 skipped=$3"; }
if [ "$(id -u)" != 0 ]; then
	echo "the Kubernetes tests need root" >&2
	result 0 0 0
	exit 77
fi

. "$IT/lib.sh"
setup_host_once
. "$IT/runner.sh"
RUNNER_LIBS=("$IT/lib.sh" "$HERE/lib.sh")
RUNNER_TEARDOWN=k8s_test_teardown
runner_test_env() {
	export BPFMAN_ROOT="$TEST_TMP/root-$1-$BASHPID"
	mkdir -p "$BPFMAN_ROOT"
}
select_tests "$HERE" "$@" || exit 2
if [ ${#PLAN[@]} = 0 ]; then
	echo "run.sh: no tests in $HERE" >&2
	result 0 0 0
	exit 0
fi

with_node=${WITH_NODE:-auto}
if [ "$with_node" = auto ]; then
	with_node=0
	for p in "${PLAN[@]}"; do
		grep -q '^K8S_NEEDS_NODE=1' "${p%:*}" && with_node=1
	done
fi

own_tmp=""
if [ -z "${TEST_TMP:-}" ]; then
	TEST_TMP=$(mktemp -d /tmp/bpfman-k8s.XXXXXX)
	own_tmp=$TEST_TMP
fi
export TEST_TMP
cluster=""
finish() {
	trap - EXIT INT TERM
	if [ -n "$cluster" ] && [ -z "${K8S_CLUSTER:-}" ]; then
		if [ "${K8S_KEEP:-0}" = 1 ]; then
			echo "K8S_KEEP=1: the cluster still runs in $cluster (. $cluster/env; $HERE/cluster-down.sh $cluster)"
			own_tmp=""
		else
			"$HERE/cluster-down.sh" "$cluster" >"$TEST_TMP/cluster-down.log" 2>&1 ||
				{ echo "cluster-down failed:"; sed 's/^/    | /' "$TEST_TMP/cluster-down.log"; }
		fi
	fi
	[ -z "$own_tmp" ] || rm -rf "${own_tmp:?}"
}
trap finish EXIT
trap 'echo "interrupted: stopping the cluster"; exit 130' INT TERM

if [ -n "${K8S_CLUSTER:-}" ]; then
	cluster=$(realpath "$K8S_CLUSTER")
	[ -f "$cluster/env" ] || { echo "run.sh: no cluster runs in $cluster (no env file)" >&2; exit 2; }
else
	if [ -z "${K8S_PORT_BASE:-}" ]; then
		for b in $(seq 26000 10 26990); do
			free=1
			for p in $(seq "$b" $((b + 9))); do
				[ -z "$(ss -Hltn "sport = :$p")" ] || { free=0; break; }
			done
			[ $free = 1 ] && break
		done
		export K8S_PORT_BASE=$b
	fi
	cluster=$TEST_TMP/cluster
	if ! WITH_NODE=$with_node "$HERE/cluster-up.sh" "$cluster" >"$TEST_TMP/cluster-up.log" 2>&1; then
		echo "FAIL cluster-up (WITH_NODE=$with_node K8S_PORT_BASE=$K8S_PORT_BASE)"
		sed 's/^/    | /' "$TEST_TMP/cluster-up.log" | tail -n 40
		cluster=""
		result 0 1 0
		exit 1
	fi
	grep -E 'ready:|up|Ready:' "$TEST_TMP/cluster-up.log" | sed 's/^/# /'
fi
. "$cluster/env"

for p in "${PLAN[@]}"; do
	run_one "${p%:*}" "${p##*:}"
done

[ ${#failed_names[@]} -gt 0 ] && echo "failed: ${failed_names[*]}"
echo "# whole run: $(((${EPOCHREALTIME/./} - t_run) / 1000)) ms"
result "$passed" "$failed" "$skipped"
[ "$failed" = 0 ]
