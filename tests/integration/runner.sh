# The test runner of tests/integration/run.sh and tests/k8s/run.sh (sourced by both).
#
# select_tests DIR ARG...: fills PLAN with the FILE:FUNC of every test_* function of the
#   test-*.sh files of DIR, or of those the ARGs select (FILE, FILE:FUNC or FUNC, FILE a base
#   name or a path to a test of DIR); an ARG that selects nothing is an error (returns 2).
#   EXCLUDE: files (base names) left out when nothing is selected.
# run_one FILE FUNC: runs FUNC in its own subshell, which first sources each file of
#   RUNNER_LIBS, then FILE, and runs RUNNER_TEARDOWN when it exits; prints
#     ok NAME (SECONDS s) | FAIL NAME (exit N, SECONDS s) + the end of its output | skip NAME: reason
#   (a passing test's lines "FIGURE: text" follow its ok line as "    # text": measured figures)
#   and counts into passed, failed, skipped and failed_names. A test that runs longer than
#   PER_TEST_TIMEOUT (300 s) is killed.
# Before each test, run_one calls runner_test_env (if the caller defines it) inside the
# subshell: the place for a per-test environment.
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
		if declare -F runner_test_env >/dev/null; then runner_test_env "$fn"; fi
		for lib in "${RUNNER_LIBS[@]}"; do . "$lib"; done
		. "$file"
		trap "$RUNNER_TEARDOWN" EXIT
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
	0) echo "ok $name ($took)"; passed=$((passed + 1))
	   grep -a '^FIGURE: ' "$out" | sed 's/^FIGURE: /    # /' ;;
	77) echo "skip $name: $(grep '^SKIP: ' "$out" | tail -n1 | sed 's/^SKIP: //')"; skipped=$((skipped + 1)) ;;
	*) echo "FAIL $name (exit $rc, $took)"; sed 's/^/    | /' "$out" | tail -n 40
	   failed=$((failed + 1)); failed_names+=("$name") ;;
	esac
	rm -f "$out"
}

# A selection is FILE, FILE:FUNC or FUNC; FILE is a base name (test-load.sh) or a path to a
# test of DIR (tests/integration/test-load.sh). Each must select something: a typo must not
# pass as a run of nothing.
select_tests() {
	local dir=$1 s f file fns fn want i
	shift
	local selected=() matched=()
	PLAN=()
	for s in "$@"; do
		f=${s%%:*}
		case "$f" in
		*/*)
			if [ ! -f "$f" ] || [ "$(cd "$(dirname "$f")" && pwd -P)" != "$(cd "$dir" && pwd -P)" ]; then
				echo "run.sh: $f is not a test file of $dir" >&2
				return 2
			fi
			s="$(basename "$f")${s#"$f"}"
			;;
		esac
		selected+=("$s")
	done
	for file in "$dir"/test-*.sh; do
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
			PLAN+=("$file:$fn")
		done
	done
	for i in "${!selected[@]}"; do
		if [ -z "${matched[$i]:-}" ]; then
			echo "run.sh: no test matches '${selected[$i]}'" >&2
			return 2
		fi
	done
}
