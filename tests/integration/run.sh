#!/bin/bash
# Integration test runner: real kernel, as root. Runs every test_* function of every
# test-*.sh file in this directory (or those named on the command line: FILE, FILE:FUNC or
# FUNC, FILE a base name or a path; a name that selects nothing is an error, exit 2),
# each in its own subshell with its own bpfman root (a private bpffs), and reports:
#   ok NAME (SECONDS s) | FAIL NAME (exit N, SECONDS s) | skip NAME: reason
# ending with one machine-readable line:
#   RESULT kernel=<release> passed=N failed=N skipped=N
#
# Environment:
#   BPFMAN       the bpfman CLI binary (default: build/src/cli/bpfman)
#   BPF_OBJ_DIR  directory with the test BPF objects (default: build/bpf)
#   TEST_TMP     scratch directory (default: mktemp -d)
#   EXCLUDE      test files (base names) to leave out when nothing is selected
set -u -o pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
TOP=$(cd "$HERE/../.." && pwd)
export BPFMAN=${BPFMAN:-$TOP/build/src/cli/bpfman}
export BPF_OBJ_DIR=${BPF_OBJ_DIR:-$TOP/build/bpf}
export TESTS_HELPERS=${TESTS_HELPERS:-$TOP/build/tests/helpers}
if [ -z "${TEST_TMP:-}" ]; then
	TEST_TMP=$(mktemp -d /tmp/bpfman-it.XXXXXX)
	trap 'rm -rf "$TEST_TMP"' EXIT
fi
export TEST_TMP
export LC_ALL=C

if [ "$(id -u)" != 0 ]; then
	echo "integration tests need root" >&2
	echo "RESULT kernel=$(uname -r) passed=0 failed=0 skipped=0"
	exit 77
fi

. "$HERE/lib.sh"
setup_host_once

. "$HERE/runner.sh"
RUNNER_LIBS=("$HERE/lib.sh")
RUNNER_TEARDOWN=test_teardown
# each test its own bpfman root (a private bpffs)
runner_test_env() {
	export BPFMAN_ROOT="$TEST_TMP/root-$1-$BASHPID"
	mkdir -p "$BPFMAN_ROOT"
}
select_tests "$HERE" "$@" || exit 2
for p in "${PLAN[@]}"; do
	run_one "${p%:*}" "${p##*:}"
done

[ ${#failed_names[@]} -gt 0 ] && echo "failed: ${failed_names[*]}"
echo "RESULT kernel=$(uname -r) passed=$passed failed=$failed skipped=$skipped"
[ "$failed" = 0 ]
