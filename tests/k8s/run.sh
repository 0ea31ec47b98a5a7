#!/bin/bash
# Kubernetes test runner, as root: starts a test cluster (cluster-up.sh), runs every test_*
# function of every test-*.sh file here (or those named: FILE, FILE:FUNC or FUNC, as
# tests/integration/run.sh), each in its own subshell with its own bpfman root, and stops the
# cluster again, also on failure or Ctrl-C. Files that say K8S_NEEDS_NODE=1 run on a second
# cluster, one with a node (kubelet), after the others. Prints, as the other suites:
#   ok NAME (SECONDS s) | FAIL NAME (exit N, SECONDS s) | skip NAME: reason
# ending with one machine-readable line:
#   RESULT kernel=k8s passed=N failed=N skipped=N
#
# Environment:
#   K8S_PORT_BASE  first of the cluster's 10 ports (default: the first free one of 26000,
#                  26010, ...; give each of several parallel runs its own)
#   WITH_NODE      auto (default: the files that need no node on a control plane without
#                  one, then those that need it on a cluster with the node), 1 (one cluster
#                  with a node for all), 0 (never: tests that need the node skip)
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

# Phases: with WITH_NODE=auto (the default), the files that need no node run on a control
# plane without one, then those that need the node on a cluster with it. Tests that need no
# node must not meet one: the DaemonSets they make would get pods there, and the node
# lifecycle controller taints the Node objects they create through the API.
with_node=${WITH_NODE:-auto}
plan_cp=() plan_node=()
for p in "${PLAN[@]}"; do
	if grep -q '^K8S_NEEDS_NODE=1' "${p%:*}"; then plan_node+=("$p"); else plan_cp+=("$p"); fi
done
phases=()
if [ -n "${K8S_CLUSTER:-}" ]; then
	phases=(all0) # the given cluster, whatever it has
elif [ "$with_node" = auto ]; then
	[ ${#plan_cp[@]} = 0 ] || phases+=(cp)
	[ ${#plan_node[@]} = 0 ] || phases+=(node)
else
	phases=("all$with_node")
fi

own_tmp=""
if [ -z "${TEST_TMP:-}" ]; then
	TEST_TMP=$(mktemp -d /tmp/bpfman-k8s.XXXXXX)
	own_tmp=$TEST_TMP
fi
export TEST_TMP
cluster=""
stop_cluster() {
	if [ -n "$cluster" ] && [ -z "${K8S_CLUSTER:-}" ]; then
		if [ "${K8S_KEEP:-0}" = 1 ]; then
			echo "K8S_KEEP=1: the cluster still runs in $cluster (. $cluster/env; $HERE/cluster-down.sh $cluster)"
			own_tmp=""
		else
			"$HERE/cluster-down.sh" "$cluster" >"$TEST_TMP/cluster-down.log" 2>&1 ||
				{ echo "cluster-down failed:"; sed 's/^/    | /' "$TEST_TMP/cluster-down.log"; }
		fi
	fi
	cluster=""
}
finish() {
	trap - EXIT INT TERM
	stop_cluster
	[ -z "$own_tmp" ] || rm -rf "${own_tmp:?}"
}
trap finish EXIT
trap 'echo "interrupted: stopping the cluster"; exit 130' INT TERM

# start_cluster WITH_NODE: cluster-up.sh in $TEST_TMP/cluster-N, its env sourced
n_clusters=0
start_cluster() {
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
		n_clusters=$((n_clusters + 1))
		cluster=$TEST_TMP/cluster-$n_clusters
		if ! WITH_NODE=$1 "$HERE/cluster-up.sh" "$cluster" >"$TEST_TMP/cluster-up.log" 2>&1; then
			echo "FAIL cluster-up (WITH_NODE=$1 K8S_PORT_BASE=$K8S_PORT_BASE)"
			sed 's/^/    | /' "$TEST_TMP/cluster-up.log" | tail -n 40
			cluster=""
			result "$passed" $((failed + 1)) "$skipped"
			exit 1
		fi
		grep -E 'ready:|up|Ready:' "$TEST_TMP/cluster-up.log" | sed 's/^/# /'
	fi
	. "$cluster/env"
}

for phase in "${phases[@]}"; do
	case $phase in
	cp) start_cluster 0; run=("${plan_cp[@]}") ;;
	node) start_cluster 1; run=("${plan_node[@]}") ;;
	*) start_cluster "${phase#all}"; run=("${PLAN[@]}") ;;
	esac
	for p in "${run[@]}"; do
		run_one "${p%:*}" "${p##*:}"
	done
	stop_cluster
done

[ ${#failed_names[@]} -gt 0 ] && echo "failed: ${failed_names[*]}"
echo "# whole run: $(((${EPOCHREALTIME/./} - t_run) / 1000)) ms"
result "$passed" "$failed" "$skipped"
[ "$failed" = 0 ]
