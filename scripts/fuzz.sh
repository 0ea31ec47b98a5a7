#!/bin/bash
# Builds the libFuzzer harnesses (fuzz/, clang with ASan + UBSan) and runs each for a bounded
# time, starting from its committed seed corpus fuzz/corpus/NAME (which holds every input
# that once crashed: each replays first, as a regression test). Prints per harness the runs
# made (libFuzzer's final stats: stat::number_of_executed_units in clang 14); a harness passes when nothing crashed.
# A crashing input is kept in $BUILD/fuzz-artifacts/ and printed: commit it into the corpus
# with its fix. Ends with: RESULT kernel=fuzz passed=N failed=N skipped=0
#
#   scripts/fuzz.sh                  every harness, 60 s each
#   FUZZ_SECONDS=N                   time per harness
#   FUZZ_HARNESSES="config cli"      choose harnesses (object rpc config cli app-yaml)
#   FUZZ_BUILD_DIR=DIR               build directory (default build-fuzz)
set -u -o pipefail
TOP=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${FUZZ_BUILD_DIR:-$TOP/build-fuzz}
SECONDS_EACH=${FUZZ_SECONDS:-60}
HARNESSES=${FUZZ_HARNESSES:-object rpc config cli app-yaml}
start=$SECONDS

"$TOP/scripts/install-deps.sh" build || exit 1
# libFuzzer's runtime comes apart from clang on Debian 12 (libclang-rt-14-dev for clang 14)
rt=libclang-rt-$(clang -dumpversion | cut -d. -f1)-dev
if ! dpkg-query -W -f='${Status}' "$rt" 2>/dev/null | grep -q "install ok installed"; then
	echo "installing $rt (libFuzzer)"
	DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 install -y -qq \
		--no-install-recommends "$rt" >/dev/null ||
		{ echo "fuzz: cannot install $rt"; echo "RESULT kernel=fuzz passed=0 failed=1 skipped=0"; exit 1; }
fi
if [ ! -f "$BUILD/build.ninja" ]; then
	CC=clang meson setup "$BUILD" "$TOP" -Dfuzz=true -Db_sanitize=address,undefined >/dev/null ||
		{ echo "RESULT kernel=fuzz passed=0 failed=1 skipped=0"; exit 1; }
else
	meson configure "$BUILD" -Dfuzz=true -Db_sanitize=address,undefined >/dev/null ||
		{ echo "RESULT kernel=fuzz passed=0 failed=1 skipped=0"; exit 1; }
fi
targets=()
for h in $HARNESSES; do targets+=("fuzz/fuzz-$h"); done
ninja -C "$BUILD" "${targets[@]}" >/dev/null || {
	ninja -C "$BUILD" "${targets[@]}"
	echo "RESULT kernel=fuzz passed=0 failed=1 skipped=0"
	exit 1
}

work=$(mktemp -d /tmp/bpfman-fuzz.XXXXXX)
trap 'rm -rf "$work"' EXIT
artifacts="$BUILD/fuzz-artifacts"
mkdir -p "$artifacts"
passed=0 failed=0

for h in $HARNESSES; do
	mkdir -p "$work/$h"
	# new inputs go to the scratch directory; the committed seeds are only read. libbpf 1.1
	# sizes some allocations from fields of the file (a malformed one asks for 2^64 bytes)
	# and answers ENOMEM when malloc fails, as it does outside the fuzzer: malloc may fail
	# here too, so only real crashes count
	ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}allocator_may_return_null=1" \
	"$BUILD/fuzz/fuzz-$h" -max_total_time="$SECONDS_EACH" -print_final_stats=1 -timeout=10 \
		-rss_limit_mb=2048 -artifact_prefix="$artifacts/$h-" \
		"$work/$h" "$TOP/fuzz/corpus/$h" >"$work/$h.log" 2>&1
	rc=$?
	runs=$(awk '/stat::number_of_executed_(runs|units):/ {print $2}' "$work/$h.log" | tail -n 1)
	if [ "$rc" = 0 ]; then
		passed=$((passed + 1))
		printf 'ok   fuzz-%-7s %10s runs in %d s\n' "$h" "${runs:-?}" "$SECONDS_EACH"
	else
		failed=$((failed + 1))
		printf 'FAIL fuzz-%-7s %10s runs, exit %d\n' "$h" "${runs:-?}" "$rc"
		grep -E 'ERROR:|SUMMARY:|^ +#[0-9]+ |Test unit written' "$work/$h.log" | head -n 40 | sed 's/^/    | /'
	fi
done
echo "fuzzing took $((SECONDS - start)) s"
echo "RESULT kernel=fuzz passed=$passed failed=$failed skipped=0"
[ "$failed" = 0 ]
