#!/bin/bash
# The unit, integration (host kernel, root) and gRPC suites against a build with
# AddressSanitizer + UndefinedBehaviorSanitizer, LeakSanitizer on (gcc's runtimes; the BPF
# objects are built by their own clang command and get no sanitizer flags).
#
# Every sanitizer report fails the run. Reports go to files, not only to stderr: a test that
# expects a command to fail would otherwise take a sanitizer abort for the failure it wanted.
# Each report file counts as one failure and is printed. The one exception is LeakSanitizer's
# "does not work under ptrace": tests that kill the CLI at an exact step run it under strace,
# where LSan cannot stop the world; those are counted and said, ASan still checked them.
#
# Ends with: RESULT kernel=sanitizers passed=N failed=N skipped=N (the suites' sum).
#
#   scripts/test-sanitizers.sh                 configure build-san if needed, build, run
#   SAN_BUILD_DIR=DIR                          another build directory
#   SAN_SUITES="unit integration grpc"         choose suites
set -u -o pipefail
TOP=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${SAN_BUILD_DIR:-$TOP/build-san}
SUITES=${SAN_SUITES:-unit integration grpc}
start=$SECONDS

"$TOP/scripts/install-deps.sh" build test || exit 1
if [ ! -f "$BUILD/build.ninja" ]; then
	meson setup "$BUILD" "$TOP" --werror -Db_sanitize=address,undefined >/dev/null || exit 1
else
	meson configure "$BUILD" -Dwerror=true -Db_sanitize=address,undefined >/dev/null || exit 1
fi
ninja -C "$BUILD" >/dev/null || { ninja -C "$BUILD"; exit 1; }

LOGS=$(mktemp -d /tmp/bpfman-san.XXXXXX)
trap 'rm -rf "$LOGS"' EXIT
mkdir "$LOGS/reports"
# halt_on_error + exitcode: the first report ends the process with a code no test expects
export ASAN_OPTIONS="detect_leaks=1:halt_on_error=1:exitcode=86:detect_stack_use_after_return=1:log_path=$LOGS/reports/asan"
export UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1:exitcode=87:log_path=$LOGS/reports/ubsan"
export LSAN_OPTIONS="suppressions=$TOP/tests/sanitizers/lsan.supp:print_suppressions=0"

total_p=0 total_f=0 total_s=0 unchecked=0

# Moves the reports a suite left into its own directory; prints them; sets $reports.
collect_reports() {
	local suite=$1 f
	reports=0
	mkdir -p "$LOGS/$suite"
	for f in "$LOGS"/reports/*; do
		[ -e "$f" ] || continue
		if grep -q 'LeakSanitizer does not work under ptrace' "$f" &&
			! grep -q 'ERROR: \(AddressSanitizer\|LeakSanitizer: detected\)\|runtime error' "$f"; then
			unchecked=$((unchecked + 1))
			rm -f "$f"
			continue
		fi
		reports=$((reports + 1))
		echo "---- sanitizer report ($suite): $(basename "$f")"
		cat "$f"
		mv "$f" "$LOGS/$suite/"
	done
}

# add SUITE PASSED FAILED SKIPPED (a suite's counts plus its sanitizer reports as failures)
add() {
	collect_reports "$1"
	printf '%-12s %3d passed, %d failed, %d skipped, %d sanitizer reports\n' "$1:" "$2" "$3" "$4" "$reports"
	total_p=$((total_p + $2)) total_f=$((total_f + $3 + reports)) total_s=$((total_s + $4))
}

# counts of the "RESULT kernel=... passed=N failed=N skipped=N" line of file $2
add_result() {
	local line
	line=$(grep -a '^RESULT kernel=' "$2" | tail -n 1)
	if [ -z "$line" ]; then
		add "$1" 0 1 0
		return
	fi
	add "$1" "$(sed -E 's/.*passed=([0-9]+).*/\1/' <<<"$line")" \
		"$(sed -E 's/.*failed=([0-9]+).*/\1/' <<<"$line")" \
		"$(sed -E 's/.*skipped=([0-9]+).*/\1/' <<<"$line")"
}

for suite in $SUITES; do
	case $suite in
	unit)
		echo "== unit tests (sanitized)"
		meson test -C "$BUILD" --suite unit --print-errorlogs >"$LOGS/unit.log" 2>&1
		grep -E '^ *[0-9]+/[0-9]+ ' "$LOGS/unit.log"
		up=$(awk '/^Ok:/ {print $2}' "$LOGS/unit.log")
		uf=$(awk '/^(Fail|Timeout|Unexpected Pass):/ {s += $2} END {print s + 0}' "$LOGS/unit.log")
		us=$(awk '/^Skipped:/ {print $2}' "$LOGS/unit.log")
		[ -n "$up" ] || uf=$((uf + 1)) # no summary: the runner itself failed
		add unit "${up:-0}" "$uf" "${us:-0}"
		;;
	integration)
		echo "== integration tests (sanitized CLI), host kernel $(uname -r)"
		# the plain build's CLI, for the one test that runs it under valgrind
		[ -x "${BUILD_DIR:-$TOP/build}/src/cli/bpfman" ] && export BPFMAN_UNSANITIZED="${BUILD_DIR:-$TOP/build}/src/cli/bpfman"
		# test-killed.sh kills the CLI under strace at every step, where LSan cannot run: its
		# crash-consistency matrix runs against the plain build (SAN_EXCLUDE, scripts/test.sh)
		EXCLUDE=${SAN_EXCLUDE:-} BPFMAN="$BUILD/src/cli/bpfman" BPF_OBJ_DIR="$BUILD/bpf" TESTS_HELPERS="$BUILD/tests/helpers" \
			"$TOP/tests/integration/run.sh" 2>&1 | tee "$LOGS/integration.log"
		add_result integration "$LOGS/integration.log"
		;;
	grpc)
		echo "== gRPC API tests (Python clients, sanitized server)"
		BPFMAN_BUILD="$BUILD" "$TOP/tests/grpc/run.sh" 2>&1 | tee "$LOGS/grpc.log"
		add_result grpc "$LOGS/grpc.log"
		;;
	*)
		echo "test-sanitizers: unknown suite '$suite' (unit, integration, grpc)" >&2
		add "$suite" 0 1 0
		;;
	esac
done

[ "$unchecked" = 0 ] ||
	echo "note: $unchecked processes ran under strace, where LeakSanitizer cannot run (ASan and UBSan did)"
echo "sanitizer suites took $((SECONDS - start)) s"
echo "RESULT kernel=sanitizers passed=$total_p failed=$total_f skipped=$total_s"
[ "$total_f" = 0 ]
