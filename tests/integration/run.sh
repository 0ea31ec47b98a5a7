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

passed=0 failed=0 skipped=0
failed_names=()
per_test_timeout=${PER_TEST_TIMEOUT:-300}

run_one() {
	local file=$1 fn=$2 name out rc t0 took
	t0=${EPOCHREALTIME/./}
	name="$(basename "$file" .sh | sed 's/^test-//')/${fn#test_}"
	out="$TEST_TMP/log.$$.$RANDOM"
	(
		export TEST_NAME=$name
		export TEST_ID=$BASHPID
		export BPFMAN_ROOT="$TEST_TMP/root-${fn}-$BASHPID"
		mkdir -p "$BPFMAN_ROOT"
		. "$HERE/lib.sh"
		. "$file"
		trap 'test_teardown' EXIT
		# every test: a failing command ends it, also one early in a pipeline
		set -e -o pipefail
		"$fn"
	) >"$out" 2>&1 &
	local pid=$!
	# watchdog: its sleep is killed with it, and it holds no pipe of ours open
	(
		trap 'kill "$s" 2>/dev/null; exit 0' TERM
		sleep "$per_test_timeout" &
		s=$!
		wait "$s"
		kill -TERM "$pid" 2>/dev/null
	) >/dev/null 2>&1 &
	local watchdog=$!
	wait "$pid"
	rc=$?
	kill "$watchdog" 2>/dev/null
	wait "$watchdog" 2>/dev/null
	# wall time in tenths of a second: where a run's time goes (CI has a time limit)
	took=$(((${EPOCHREALTIME/./} - t0) / 100000))
	took="$((took / 10)).$((took % 10)) s"
	case $rc in
	0) echo "ok $name ($took)"; passed=$((passed + 1)) ;;
	77) echo "skip $name: $(grep '^SKIP: ' "$out" | tail -n1 | sed 's/^SKIP: //')"; skipped=$((skipped + 1)) ;;
	*) echo "FAIL $name (exit $rc, $took)"; sed 's/^/    | /' "$out" | tail -n 40
	   failed=$((failed + 1)); failed_names+=("$name") ;;
	esac
	rm -f "$out"
}

# A selection is FILE, FILE:FUNC or FUNC; FILE is a base name (test-load.sh) or a path to a
# test of this directory (tests/integration/test-load.sh). Each must select something: a
# typo must not pass as a run of nothing.
selected=()
for s in "$@"; do
	f=${s%%:*}
	case "$f" in
	*/*)
		if [ ! -f "$f" ] || [ "$(cd "$(dirname "$f")" && pwd -P)" != "$(cd "$HERE" && pwd -P)" ]; then
			echo "run.sh: $f is not a test file of $HERE" >&2
			exit 2
		fi
		s="$(basename "$f")${s#"$f"}"
		;;
	esac
	selected+=("$s")
done

plan=()
matched=()
for file in "$HERE"/test-*.sh; do
	# EXCLUDE: files left out of a run without a selection (another run covers them)
	[[ ${#selected[@]} -eq 0 && " ${EXCLUDE:-} " == *" $(basename "$file") "* ]] && continue
	fns=$(grep -oE '^test_[a-zA-Z0-9_]+' "$file")
	for fn in $fns; do
		if [ ${#selected[@]} -gt 0 ]; then
			want=0
			for i in "${!selected[@]}"; do
				case "${selected[$i]}" in
				"$(basename "$file")"|"$(basename "$file"):$fn"|"$fn") want=1; matched[$i]=1 ;;
				esac
			done
			[ $want = 1 ] || continue
		fi
		plan+=("$file:$fn")
	done
done
for i in "${!selected[@]}"; do
	if [ -z "${matched[$i]:-}" ]; then
		echo "run.sh: no test matches '${selected[$i]}'" >&2
		exit 2
	fi
done

for p in "${plan[@]}"; do
	run_one "${p%:*}" "${p##*:}"
done

[ ${#failed_names[@]} -gt 0 ] && echo "failed: ${failed_names[*]}"
echo "RESULT kernel=$(uname -r) passed=$passed failed=$failed skipped=$skipped"
[ "$failed" = 0 ]
