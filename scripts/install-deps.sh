#!/bin/bash
# Installs the Debian packages a step needs: build | test | vm | k8s (several may be given).
# Only what is missing is installed; apt-get update runs at most once. Every suite that
# installs what it lacks comes through here (one place that waits for apt's locks).
set -eu -o pipefail

build_pkgs=(meson ninja-build gcc clang llvm pkg-config libbpf-dev libelf-dev zlib1g-dev
	libsqlite3-dev libjansson-dev libgrpc-dev libprotobuf-c-dev protobuf-c-compiler
	libsystemd-dev libcurl4-openssl-dev libarchive-dev libssl-dev
	libyaml-dev)
test_pkgs=(jq bpftool iproute2 iputils-ping strace util-linux valgrind sqlite3 python3-grpcio
	python3-protobuf protobuf-compiler protobuf-compiler-grpc xdp-tools docker-registry skopeo
	apache2-utils curl openssl python3-prometheus-client)
vm_pkgs=(qemu-system-x86 busybox-static cpio gzip xz-utils kmod)
# the Kubernetes test node (tests/k8s): a container runtime, CNI's loopback plugin, busybox
k8s_pkgs=(containerd runc containernetworking-plugins busybox-static openssl curl jq)

want=()
for step in "$@"; do
	case $step in
	build) want+=("${build_pkgs[@]}") ;;
	test) want+=("${test_pkgs[@]}") ;;
	vm) want+=("${vm_pkgs[@]}") ;;
	k8s) want+=("${k8s_pkgs[@]}") ;;
	*) echo "install-deps: unknown step '$step' (build, test, vm, k8s)" >&2; exit 2 ;;
	esac
done

missing=()
for p in "${want[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
if [ "$(id -u)" != 0 ]; then
	echo "install-deps: need root to install: ${missing[*]}" >&2
	exit 1
fi
export DEBIAN_FRONTEND=noninteractive
# Another apt-get (unattended-upgrades on a fresh machine) may hold the dpkg lock: wait for
# it up to 10 minutes instead of failing at once.
APT=(apt-get -o DPkg::Lock::Timeout=600)
# apt-get update takes the lists lock, which DPkg::Lock::Timeout does not cover (Debian 12's
# apt 2.6): wait for that one by retrying, as long.
apt_update() {
	local i err
	for i in $(seq 1 120); do
		err=$("${APT[@]}" update -qq 2>&1) && return 0
		case $err in
		*"Could not get lock"*) sleep 5 ;;
		*) break ;;
		esac
	done
	echo "$err" >&2
	return 1
}
apt_update
"${APT[@]}" install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
