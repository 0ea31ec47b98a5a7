#!/bin/bash
# The dispatcher benchmark (bench/dispatcher/run.sh): on this machine's kernel when it
# allows freplace, else under qemu on Debian's 6.12 kernel (tests/vm/run-vm.sh; no KVM
# here, so every figure is TCG-emulated, the ratios are what counts). Prints the table.
#   KERNEL=6.12 (the guest), BPFMAN_BUILD (default <repo>/build), REPEAT, ROUNDS, PLACEMENTS
#   BENCH_ROWS=FILE: also append the measures there as TSV rows (bench/run-all.sh)
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
TOP=$(cd "$HERE/.." && pwd)
BUILD=${BPFMAN_BUILD:-$TOP/build}
[ -x "$BUILD/tests/helpers/probe-feature" ] || { echo "bench: build first (scripts/build.sh)" >&2; exit 1; }
if "$BUILD/tests/helpers/probe-feature" freplace >/dev/null 2>&1; then
	exec env BPFMAN="$BUILD/src/cli/bpfman" BPF_OBJ_DIR="$BUILD/bpf" \
		TESTS_HELPERS="$BUILD/tests/helpers" bash "$HERE/dispatcher/run.sh"
fi
echo "bench: $("$BUILD/tests/helpers/probe-feature" freplace); running under qemu (${KERNEL:-6.12})" >&2
out=$(mktemp)
trap 'rm -f "$out" "$out.env"' EXIT
printf 'export REPEAT=%s ROUNDS=%s PLACEMENTS=%s\n' "${REPEAT:-50000}" "${ROUNDS:-5}" \
	"${PLACEMENTS:-7}" >"$out.env"
# the guest prints its rows ("@row<TAB>...") to the serial log; they are copied out below
[ -z "${BENCH_ROWS:-}" ] || echo 'export BENCH_ROWS=-' >>"$out.env"
# in the background, so that a signal here is handled at once and passed on: run-vm.sh
# stops qemu and removes its files when it gets one
VM=
trap '[ -z "$VM" ] || { kill -TERM "$VM" 2>/dev/null; wait "$VM"; }; exit 130' INT TERM HUP
BPFMAN_VM_TESTS="$HERE/dispatcher" BPFMAN_VM_SUITES=integration BPFMAN_VM_ENV="$out.env" \
	bash "$TOP/tests/vm/run-vm.sh" "${KERNEL:-6.12}" "$BUILD" >"$out" 2>&1 &
VM=$!
wait "$VM"
rc=$?
VM=
rm -f "$out.env"
# the guest's serial log holds the suite's whole output
sed -n '/^Per-packet cost/,/^  the rebuild itself/p' "$BUILD/vm-${KERNEL:-6.12}.log"
if [ -n "${BENCH_ROWS:-}" ]; then
	sed -n 's/^@row\t//p' "$BUILD/vm-${KERNEL:-6.12}.log" >>"$BENCH_ROWS"
fi
grep -q 'passed=1 failed=0' "$out" || { echo "bench: the guest run failed:" >&2; tail -n 30 "$out" >&2; exit 1; }
exit $rc
