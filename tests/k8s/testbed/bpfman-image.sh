#!/bin/bash
# Packs this build's programs (bpfman, bpfman-rpc, bpfman-agent, bpfman-operator) with the
# shared libraries they load into a one-layer OCI image archive that `ctr images import`
# takes, so that the operator's DaemonSet runs the code under test on the test node (no
# registry, no download, no docker).
#
#   tests/k8s/testbed/bpfman-image.sh BUILD_DIR IMAGE-NAME OUT.tar
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
BUILD=${1:?BUILD_DIR} NAME=${2:?IMAGE-NAME} OUT=${3:?OUT.tar}

root=$(mktemp -d /tmp/bpfman-image.XXXXXX)
trap 'rm -rf "${root:?}"' EXIT
mkdir -p "$root/bin" "$root/etc" "$root/tmp" "$root/run" "$root/var/run" "$root/proc" "$root/sys"
chmod 1777 "$root/tmp"
bins=("$BUILD/src/cli/bpfman" "$BUILD/src/rpc/bpfman-rpc" "$BUILD/src/agent/bpfman-agent"
      "$BUILD/src/operator/bpfman-operator")
# in /bin: the PATH of the image config mkoci.py writes
for b in "${bins[@]}"; do
	[ -x "$b" ] || { echo "bpfman-image: $b is missing (build first)" >&2; exit 1; }
	cp "$b" "$root/bin/"
done
# every library the loader resolves for them, at the same path (ld.so's own path included)
for lib in $(ldd "${bins[@]}" | grep -oE '/[^ ]+\.so[^ ]*' | sort -u); do
	mkdir -p "$root$(dirname "$lib")"
	cp -L "$lib" "$root$lib"
done
# the system CA store, for registries over HTTPS
[ -d /etc/ssl/certs ] && mkdir -p "$root/etc/ssl" && cp -rL /etc/ssl/certs "$root/etc/ssl/"
printf 'root:x:0:0:root:/:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/false\n' >"$root/etc/passwd"
printf 'root:x:0:\nnogroup:x:65534:\n' >"$root/etc/group"
python3 "$HERE/mkoci.py" "$root" "$NAME" "$OUT" /bin/bpfman-rpc >/dev/null
echo "bpfman-image: $NAME -> $OUT ($(du -h "$OUT" | cut -f1))"
