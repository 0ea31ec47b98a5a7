#!/bin/bash
# Runs the integration suite (tests/integration/run.sh) inside one of Debian 12's kernels
# under qemu (TCG, no KVM needed), from a throwaway initramfs; on 6.12 also the gRPC API
# suite (tests/grpc/run.sh) and the examples (tests/examples/run.sh).
#
#   tests/vm/run-vm.sh KERNEL BUILD_DIR [TEST_SELECTION...]
#
# KERNEL is 6.1 (Debian 12's default kernel) or 6.12 (its newer one). TEST_SELECTION picks
# what runs: "grpc" or "examples" (a whole suite), "grpc:Class[.test]" or "examples:NAME"
# (passed to that suite's run.sh), anything else goes to the integration run.sh as is (FILE,
# FILE:FUNC or FUNC). Only the suites named run. Without a selection: the suites of
# BPFMAN_VM_SUITES (default: the kernel's), each with the tests tests/vm/guest-tests lists
# (those whose outcome depends on the kernel), or every test with BPFMAN_VM_ALL=1.
# The full serial output goes to BUILD_DIR/vm-KERNEL.log; test lines are echoed to stdout,
# one "run-vm: suite NAME: passed=N ..." line per suite, then exactly one line
#   RESULT kernel=<release> passed=N failed=N skipped=N
# summing the suites. Exit status is 0 iff that line says failed=0. See README.md.
set -euo pipefail
export PATH=$PATH:/usr/sbin:/sbin # ip, bpftool, ldconfig when not run as root

usage() { echo "usage: $0 6.1|6.12 BUILD_DIR [TEST_SELECTION...]" >&2; exit 2; }
[ $# -ge 2 ] || usage
KERNEL=$1 BUILD=$(cd "$2" && pwd) || usage
shift 2
HERE=$(cd "$(dirname "$0")" && pwd)
SUITE=$(cd "${BPFMAN_VM_TESTS:-$HERE/../integration}" && pwd)
CACHE=${BPFMAN_VM_CACHE:-/var/cache/bpfman-test/kernels}
TIMEOUT=${BPFMAN_VM_TIMEOUT:-3600}
LOG=$BUILD/vm-$KERNEL.log
# Kernel modules the tests need (all =m in Debian's kernels); dependencies are added.
MODULES=${BPFMAN_VM_MODULES:-veth dummy sch_ingress cls_bpf}
# Real tools for the guest (busybox only fills in what is missing: its ip cannot make
# veth pairs, and GNU tools keep the guest's behaviour the same as the host's).
TOOLS="bash jq bpftool ip tc xdp-loader mount umount mountpoint nsenter unshare
       grep sed find xargs awk ldconfig strace ping date stat seq mkfifo flock sqlite3
       docker-registry skopeo curl openssl htpasswd tar gzip cmp diff
       ${BPFMAN_VM_EXTRA_BINS:-}"

# What each kernel must have (docs: kernel-testing): a test that skips for one of these
# fails (tests/integration/lib.sh skip()), so a broken probe or a module that did not load
# cannot pass as a skip. lsm is not pinned: no LSM program was seen loading there yet.
case $KERNEL in
6.1) META=linux-image-amd64 GLOB='linux-image-6.1.0-*-amd64'
     REQUIRED="tracepoint uprobe kprobe fentry freplace" SUITES_DEFAULT="integration" ;;
6.12) META=linux-image-6.12-amd64 GLOB='linux-image-6.12.*-amd64'
      REQUIRED="tracepoint uprobe kprobe fentry tcx freplace" SUITES_DEFAULT="integration grpc examples" ;;
*) usage ;;
esac
REQUIRED_FEATURES=${BPFMAN_VM_REQUIRED_FEATURES-$REQUIRED}

# The selection, split per suite.
SEL_integration=() SEL_grpc=() SEL_examples=() SUITES=
want_suite() { [[ " $SUITES " == *" $1 "* ]] || SUITES="$SUITES $1"; }
for s in "$@"; do
	case $s in
	grpc | examples) want_suite "$s" ;;
	grpc:*) want_suite grpc; SEL_grpc+=("${s#grpc:}") ;;
	examples:*) want_suite examples; SEL_examples+=("${s#examples:}") ;;
	*) want_suite integration; SEL_integration+=("$s") ;;
	esac
done
[ $# -gt 0 ] || SUITES=${BPFMAN_VM_SUITES:-$SUITES_DEFAULT}
for s in $SUITES; do
	case $s in integration | grpc | examples) ;; *) echo "run-vm: unknown suite '$s'" >&2; usage ;; esac
done
has_suite() { [[ " $SUITES " == *" $1 "* ]]; }
# No selection: the tests whose outcome depends on the kernel, listed with the reasons in
# tests/vm/guest-tests (BPFMAN_VM_ALL=1: every test of the suites).
if [ $# -eq 0 ] && [ "${BPFMAN_VM_ALL:-0}" != 1 ]; then
	while read -r suite sel; do
		case $suite in
		'' | '#'*) continue ;;
		integration) has_suite integration && SEL_integration+=("$sel") ;;
		grpc) has_suite grpc && SEL_grpc+=("$sel") ;;
		examples) [ "$sel" = all ] || { has_suite examples && SEL_examples+=("$sel"); } ;;
		*) echo "run-vm: unknown suite '$suite' in $HERE/guest-tests" >&2; exit 2 ;;
		esac
	done <"$HERE/guest-tests"
fi

# Without a RESULT line from the guest, report one failure so the CI counts it.
KREL=$KERNEL
give_up() {
	echo "run-vm: $*"
	echo "RESULT kernel=$KREL passed=0 failed=1 skipped=0"
	exit 1
}
[ -x "$BUILD/src/cli/bpfman" ] || give_up "no $BUILD/src/cli/bpfman: build first"
if has_suite grpc || has_suite examples; then
	[ -x "$BUILD/src/rpc/bpfman-rpc" ] || give_up "no $BUILD/src/rpc/bpfman-rpc: build first"
fi

TMP=$(mktemp -d "${TMPDIR:-/tmp}/bpfman-vm.XXXXXX")
QPID= XTMP=
cleanup() {
	[ -z "$QPID" ] || kill "$QPID" 2>/dev/null || true
	rm -rf "$TMP" $XTMP
}
trap cleanup EXIT
trap 'exit 130' INT TERM HUP PIPE # runs cleanup, which stops qemu

# ---- the kernel: resolve the current package, download and extract it once ----------
mkdir -p "$CACHE"
PKG=$(apt-cache depends "$META" 2>/dev/null | sed -n 's/^ *Depends: \(linux-image-[^ ]*\)$/\1/p' | head -n1 || true)
if [ -z "$PKG" ]; then
	# No apt lists (offline?): fall back to the newest package already in the cache.
	PKG=$(cd "$CACHE" && ls -d $GLOB 2>/dev/null | grep -v '\.deb$' | sort -V | tail -n1 || true)
	[ -n "$PKG" ] || PKG=$(cd "$CACHE" && ls ${GLOB}_*.deb 2>/dev/null | sed 's/_.*//' | sort -V | tail -n1 || true)
	[ -n "$PKG" ] || give_up "cannot resolve $META (apt-get update?) and nothing cached in $CACHE"
	echo "run-vm: apt-cache knows no $META; using cached $PKG" >&2
fi
KROOT=$CACHE/$PKG
if [ ! -d "$KROOT" ]; then
	DEB=$(ls "$CACHE/${PKG}"_*.deb 2>/dev/null | sort -V | tail -n1 || true)
	if [ -z "$DEB" ]; then
		echo "run-vm: downloading $PKG into $CACHE" >&2
		(cd "$CACHE" && apt-get download -q "$PKG") || give_up "apt-get download $PKG failed"
		DEB=$(ls "$CACHE/${PKG}"_*.deb | sort -V | tail -n1)
	fi
	echo "run-vm: extracting $DEB" >&2
	# Extract beside the target and rename, so an interrupted or concurrent run never
	# leaves a half-extracted tree behind (mv -T fails if another run won; that's fine).
	XTMP=$(mktemp -d "$CACHE/.extract.XXXXXX")
	dpkg-deb -x "$DEB" "$XTMP" || give_up "dpkg-deb -x $DEB failed"
	mv -T "$XTMP" "$KROOT" 2>/dev/null || rm -rf "$XTMP"
	XTMP=
fi
VMLINUZ=$(ls "$KROOT"/boot/vmlinuz-* | head -n1)
KREL=${VMLINUZ##*/vmlinuz-}
MODDIR=$KROOT/lib/modules/$KREL

# ---- the initramfs -------------------------------------------------------------------
R=$TMP/root
mkdir -p "$R"/{usr/bin,usr/sbin,usr/lib,usr/lib64,etc,proc,sys,dev,run,tmp,root,var,busybox}
# Same usr-merged layout as the host, so every host path (/lib/..., /usr/lib/...) is valid.
for d in bin sbin lib lib64; do ln -s usr/$d "$R/$d"; done
ln -s ../run "$R/var/run"
ln -s bash "$R/usr/bin/sh"

# A host file goes to the same path in the guest, except that the build dir moves to
# /bpfman/build (run.sh's default layout; $ORIGIN rpaths of meson's binaries stay valid).
# No subshells here: this runs for hundreds of files and forks are what costs time.
declare -A COPIED
put() { # host file [guest path]: copy once, following symlinks
	local dst=${2:-$1}
	[ $# -eq 2 ] || case $1 in "$BUILD"/*) dst=/bpfman/build/${1#"$BUILD"/} ;; esac
	[ -z "${COPIED[$dst]:-}" ] || return 0
	COPIED[$dst]=1
	[ -d "$R${dst%/*}" ] || mkdir -p "$R${dst%/*}"
	cp -L "$1" "$R$dst"
}
put_libs() { # every library ldd lists for a host file, and the loader
	local w out
	out=$(ldd "$1" 2>/dev/null) || return 0 # static binary or a script
	[[ $out != *"not found"* ]] || give_up "$1: missing libraries: $out"
	for w in $out; do [[ $w != /* ]] || put "$w"; done
}
put_bin() { # host executable [guest path], plus its libraries
	put "$@"
	put_libs "$1"
}
# put_tree DIR [TAR-EXCLUDE...]: a host directory at the same path, with the libraries of
# every shared object in it
put_tree() {
	local d=$1 f
	shift
	[ -d "$d" ] || give_up "$d not found on the host (see tests/vm/README.md)"
	tar -C / -cf - "${@/#/--exclude=}" "${d#/}" | tar -C "$R" -xf -
	while IFS= read -r f; do put_libs "$f"; done < <(find "$d" -name '*.so' -type f)
}

BB=$(command -v busybox) || give_up "busybox not found on the host (busybox-static)"
put_bin "$BB" /usr/bin/busybox
for t in $TOOLS; do
	p=$(command -v "$t") || give_up "$t not found on the host (see tests/vm/README.md)"
	put_bin "$p"
done
for p in $(dpkg -L coreutils | grep -E '/s?bin/[^/]+$'); do [ -x "$p" ] && put_bin "$p"; done
# libxdp (xdp-loader, bpfman) loads its dispatcher from here.
for p in /usr/lib/x86_64-linux-gnu/bpf/*.o; do put "$p"; done
# The image tests' peers: skopeo reads its trust policy, openssl its configuration (the
# test CA), libcurl the system CA bundle it adds a test's CA file to.
for f in /etc/containers/policy.json /etc/containers/registries.conf /etc/ssl/openssl.cnf \
	/usr/lib/ssl/openssl.cnf /etc/ssl/certs/ca-certificates.crt; do
	[ -e "$f" ] && put "$f"
done
# The loader cache, built in the guest by ldconfig from the host's configuration: lets
# uprobe tests resolve "libc" the way they do on the host.
cp -a /etc/ld.so.conf /etc/ld.so.conf.d "$R/etc/"
# nobody: the registry tests hand an htpasswd file to an unprivileged owner
printf 'root:x:0:0:root:/root:/bin/bash\nnobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n' >"$R/etc/passwd"
printf 'root:x:0:\nnogroup:x:65534:\n' >"$R/etc/group"

# The project: the suite and what run.sh expects in a build dir.
mkdir -p "$R/bpfman/tests" "$R/bpfman/build/bpf" "$R/bpfman/build/tests/helpers"
cp -a "$SUITE" "$R/bpfman/tests/integration"
# the tests' Python tools (independent image writer and label reader, hostile registries)
mkdir -p "$R/bpfman/tests/helpers"
cp -a "$HERE"/../helpers/*.py "$R/bpfman/tests/helpers/"
put_bin "$BUILD/src/cli/bpfman"
put_bin "$BUILD/src/rpc/bpfman-rpc"
# Python's standard library: the checks of test-killed.sh and test-locks.sh, the gRPC suite
PY=$(readlink -f /usr/bin/python3) || give_up "no python3 on the host"
put_bin "$PY"
ln -sf "${PY##*/}" "$R/usr/bin/python3"
put_tree "${PY/bin/lib}" test idlelib tkinter turtledemo ensurepip lib2to3 pydoc_data \
	'config-3*' site-packages
# the object files the fuzzers once crashed on (test-malformed-objects.sh)
mkdir -p "$R/bpfman/fuzz/corpus"
cp -a "$HERE/../../fuzz/corpus/object" "$R/bpfman/fuzz/corpus/object"
for p in "$BUILD"/bpf/*.o; do [ -e "$p" ] && put "$p"; done
for p in "$BUILD"/tests/helpers/*; do [ -f "$p" ] && [ -x "$p" ] && put_bin "$p"; done
sel_file() { # suite, its selection: one per line (an empty file for none)
	local f="$R/bpfman/selection-$1"
	shift
	: >"$f"
	[ $# -eq 0 ] || printf '%s\n' "$@" >"$f"
}
sel_file integration "${SEL_integration[@]}"
sel_file grpc "${SEL_grpc[@]}"
sel_file examples "${SEL_examples[@]}"
echo "$SUITES" >"$R/bpfman/suites"
printf 'export REQUIRED_FEATURES=%q\n' "$REQUIRED_FEATURES" >"$R/bpfman/env"
# tests that need host-only tools (the image tests: docker-registry, skopeo) skip by it
printf 'export BPFMAN_VM_GUEST=%q\n' "$KERNEL" >>"$R/bpfman/env"
# emulated without KVM, and sharing the host's cores with whatever else runs there
echo 'export TIME_SCALE=4' >>"$R/bpfman/env"
# test-killed.sh: every step of each attach, detach and unload costs seconds under TCG (a
# matrix every third step: 6-7 minutes of guest time; every sixth here), and the host kernel runs the matrices of tc, xdp,
# tcx, tracepoint and uprobe at every step; the guests share those the host may lack, one
# each (6.12 kprobe, 6.1 fentry: both kernels have both), and both run the transient-error
# check
case $KERNEL in
6.12) matrix="kprobe transient" ;;
*) matrix="fentry transient" ;;
esac
printf 'export KILL_MATRIX=%q KILL_STRIDE=%q\n' "${BPFMAN_VM_KILL_MATRIX-$matrix}" \
	"${BPFMAN_VM_KILL_STRIDE:-6}" >>"$R/bpfman/env"
# under emulation a test takes several times as long as on the host
printf 'export PER_TEST_TIMEOUT=%q\n' "${PER_TEST_TIMEOUT:-600}" >>"$R/bpfman/env"
# The gRPC suite in the guest runs the project's stubs only: the contract's flavour proves
# the wire format, which no kernel changes, and the host run covers it.
printf 'export FLAVOURS=%q\n' "${BPFMAN_VM_GRPC_FLAVOURS:-project}" >>"$R/bpfman/env"
# The gRPC suite and the examples: the server, the examples, Python with grpcio and protobuf
# (Debian's, copied from the host like every other tool), protoc and its gRPC plugin.
if has_suite grpc; then
	cp -a "$HERE/../grpc" "$R/bpfman/tests/grpc"
	cp -a "$HERE/../../proto" "$R/bpfman/proto"
	for t in protoc grpc_python_plugin; do
		p=$(command -v "$t") || give_up "$t not found on the host (protobuf-compiler, protobuf-compiler-grpc)"
		put_bin "$p"
	done
	put_tree /usr/lib/python3/dist-packages/grpc
	put_tree /usr/lib/python3/dist-packages/google
	# the metrics test reads the text with Prometheus' own parser (Debian's imports the
	# decorator module)
	if [ -d /usr/lib/python3/dist-packages/prometheus_client ]; then
		put_tree /usr/lib/python3/dist-packages/prometheus_client
		put /usr/lib/python3/dist-packages/decorator.py
	fi
fi
if has_suite examples; then
	cp -a "$HERE/../examples" "$R/bpfman/tests/examples"
	for p in "$BUILD"/examples/*; do
		[ -f "$p" ] || continue
		case $p in *.bpf.o) put "$p" ;; *) [ -x "$p" ] && put_bin "$p" ;; esac
	done
fi
# more exports for the guest's suite (the dispatcher benchmark's settings)
[ -z "${BPFMAN_VM_ENV:-}" ] || cat "$BPFMAN_VM_ENV" >>"$R/bpfman/env"

# Modules, dependencies first, numbered in load order. busybox insmod reads no .ko.xz,
# so 6.12's are decompressed here (xz -dcf passes plain .ko through unchanged). The
# dependencies are read from the .modinfo strings, so the host needs no kmod.
mkdir -p "$R/modules"
declare -A MOD_DONE
NMOD=0
add_module() {
	local name=$1 f dep
	[ -z "${MOD_DONE[$name]:-}" ] || return 0
	MOD_DONE[$name]=1
	if grep -qE "/(${name}|${name//_/-})\.ko" "$MODDIR/modules.builtin" 2>/dev/null; then return 0; fi
	f=$(find "$MODDIR/kernel" \( -name "$name.ko*" -o -name "${name//_/-}.ko*" \) | head -n1)
	[ -n "$f" ] || give_up "module $name not found in $MODDIR"
	for dep in $(xz -dcf "$f" | tr '\0' '\n' | sed -n 's/^depends=//p' | tr , ' '); do
		add_module "$dep"
	done
	NMOD=$((NMOD + 1))
	xz -dcf "$f" >"$R/modules/$(printf %02d "$NMOD")-$name.ko"
}
for m in $MODULES; do add_module "$m"; done

cat >"$R/init" <<'EOF'
#!/bin/bash
# PID 1 of the test VM. Real tools first in PATH; busybox applets only as a fallback
# (busybox's own shell would prefer its applets over PATH, hence bash here).
export PATH=/usr/sbin:/usr/bin:/busybox HOME=/root LC_ALL=C
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
mkdir -p /dev/pts /dev/shm && mount -t devpts devpts /dev/pts
# bash's process substitution (<(...)) reads /dev/fd/N; devtmpfs has no such link
[ -e /dev/fd ] || ln -s /proc/self/fd /dev/fd
mount -t tmpfs tmpfs /run && mkdir -p /run/netns # ip netns keeps its mounts here
mount -t tmpfs tmpfs /tmp
mount -t bpf bpf /sys/fs/bpf
mount -t tracefs tracefs /sys/kernel/tracing
mount -t debugfs debugfs /sys/kernel/debug
busybox --install -s /busybox
ldconfig
for m in /modules/*.ko; do [ -e "$m" ] && busybox insmod "$m"; done
ip link set lo up
echo 5 >/proc/sys/kernel/printk # from now on only warnings and worse interleave
echo "run-vm: guest $(uname -r) up after $(cut -d' ' -f1 /proc/uptime)s; running the suite"

[ ! -e /bpfman/env ] || . /bpfman/env
export BPFMAN_BUILD=/bpfman/build
mkdir -p /tmp/it && cd /tmp

passed=0 failed=0 skipped=0
# run_suite NAME COMMAND...: runs one suite with its selection, adds up its RESULT line
run_suite() {
	local name=$1 sel=() pid tailpid rc result n v
	shift
	mapfile -t sel <"/bpfman/selection-$name"
	# Into a file, followed by tail, not "| tee": the suite's per-test watchdogs leave
	# sleeping children holding its stdout, and a pipe would wait for them. The file exists
	# before tail starts: tail -f of a missing file gives up, and the lines are not echoed.
	: >"/tmp/$name.out"
	"$@" "${sel[@]}" >>"/tmp/$name.out" 2>&1 &
	pid=$!
	tail -n +1 -f --pid=$pid "/tmp/$name.out" &
	tailpid=$!
	wait $pid
	rc=$?
	wait $tailpid # it ends after reading the suite's last line
	result=$(grep '^RESULT ' "/tmp/$name.out" | tail -n1)
	if [ -z "$result" ]; then
		echo "run-vm: $name exited with $rc without a RESULT line"
		result="RESULT kernel=$name passed=0 failed=1 skipped=0"
	fi
	echo "run-vm: suite $name after $(cut -d' ' -f1 /proc/uptime)s: ${result#RESULT kernel=* }"
	# a count missing from the line: 0, but a missing failed= counts one failure
	for n in passed failed skipped; do
		v=0
		if [[ $result =~ \ $n=([0-9]+) ]]; then v=${BASH_REMATCH[1]}; elif [ $n = failed ]; then v=1; fi
		eval "$n=\$(($n + v))"
	done
}
for suite in $(cat /bpfman/suites); do
	case $suite in
	integration)
		BPFMAN=/bpfman/build/src/cli/bpfman BPF_OBJ_DIR=/bpfman/build/bpf \
		TESTS_HELPERS=/bpfman/build/tests/helpers TEST_TMP=/tmp/it \
			run_suite integration bash /bpfman/tests/integration/run.sh ;;
	grpc) run_suite grpc bash /bpfman/tests/grpc/run.sh ;;
	examples) run_suite examples bash /bpfman/tests/examples/run.sh ;;
	esac
done
result="RESULT kernel=$(uname -r) passed=$passed failed=$failed skipped=$skipped"
[ "$failed" = 0 ] || { echo "---- dmesg (tail) ----"; dmesg | tail -n 100; }
echo "run-vm: suites done after $(cut -d' ' -f1 /proc/uptime)s"
echo "$result"
sleep 1 # let the UART drain before the power goes
busybox poweroff -f
EOF
chmod +x "$R/init"

INITRD=$TMP/initrd.gz
(cd "$R" && find . | cpio -o -H newc -R 0:0 --quiet) | gzip -1 >"$INITRD"
echo "run-vm: kernel $KREL, initramfs $(du -h "$INITRD" | cut -f1), log $LOG" >&2

# ---- boot ----------------------------------------------------------------------------
# The serial console goes to the log; we follow the log for the live test lines. qemu is
# our background child, so a signal to this script (trap above) can stop it, and the
# timeout stops a hung guest; panic=-1 plus -no-reboot makes a kernel panic end qemu.
# -nodefaults: no NIC (tests must not reach any network), no VGA/floppy/CD to probe.
# -cpu max: a bit faster under TCG than the default qemu64, and a more modern CPU.
# One vCPU by default: with two, TCG sometimes runs a stale int3 of the kernel's live
# text patching on the other vCPU ("Oops: int3" in bpf_dispatcher_xdp_func, a panic seen
# here while XDP programs were swapped under traffic; QEMU's cross-modifying code, the same
# oops other projects' CI met in jump labels), which no real CPU does.
: >"$LOG"
START=$(date +%s)
timeout -k 10 "$TIMEOUT" qemu-system-x86_64 -accel tcg -cpu max -smp "${BPFMAN_VM_SMP:-1}" -m 2048 \
	-nodefaults -display none -serial "file:$LOG" -no-reboot \
	-kernel "$VMLINUZ" -initrd "$INITRD" -append "console=ttyS0 panic=-1" </dev/null &
QPID=$!
tail -n +1 -f --pid="$QPID" "$LOG" 2>/dev/null | sed -u 's/\r$//' |
	grep --line-buffered -E '^(ok |FAIL |skip |    \| |failed: |run-vm: )|Kernel panic|BUG:|Oops|WARNING:' &
set +e
wait "$QPID"
QRC=$?
set -e
QPID=
wait # for the tail pipeline, which ends once it has read qemu's last output
sed -i 's/\r$//' "$LOG"
echo "run-vm: qemu ran $(($(date +%s) - START))s" >&2

RESULT=$(grep -a '^RESULT ' "$LOG" | tail -n1 || true)
if [ -z "$RESULT" ]; then
	case $QRC in
	124 | 137) give_up "timed out after ${TIMEOUT}s (BPFMAN_VM_TIMEOUT); see $LOG" ;;
	*) grep -q 'Kernel panic' "$LOG" && give_up "guest kernel panicked; see $LOG"
	   give_up "guest ended without a RESULT line (qemu exit $QRC); see $LOG" ;;
	esac
fi
echo "$RESULT"
[[ $RESULT == *" failed=0 "* ]]
