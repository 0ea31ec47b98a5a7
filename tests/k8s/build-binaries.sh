#!/bin/bash
# Builds the test cluster's binaries into K8S_BIN (default /opt/k8s/bin) from the Go module
# proxy, only those that are missing: etcd, kube-apiserver, kube-controller-manager,
# kube-scheduler, kubectl, kubelet, csi-sanity. A cold build takes ~13 min on 2 cores; after
# that this script only checks. Prints what it did.
#   KUBE_VERSION (v1.37.2), ETCD_VERSION (v3.7.3), CSI_TEST_VERSION (v5.6.0), GO (the go binary)
set -euo pipefail
KV=${KUBE_VERSION:-v1.37.2}
EV=${ETCD_VERSION:-v3.7.3}
CSV=${CSI_TEST_VERSION:-v5.6.0}
OUT=${K8S_BIN:-/opt/k8s/bin}
GO=${GO:-$(command -v go || echo /usr/local/go/bin/go)}
export GOFLAGS=-trimpath GOTOOLCHAIN=local
KUBE_CMDS=(kube-apiserver kube-controller-manager kube-scheduler kubectl kubelet)

missing() { local b; for b in "$@"; do [ -x "$OUT/$b" ] || echo "$b"; done; }
todo_kube=$(missing "${KUBE_CMDS[@]}")
todo_etcd=$(missing etcd)
todo_csi=$(missing csi-sanity)
if [ -z "$todo_kube$todo_etcd$todo_csi" ]; then
	echo "build-binaries: all present in $OUT (kube $KV, etcd $EV, csi-test $CSV): nothing to do"
	exit 0
fi
[ -x "$GO" ] || { echo "build-binaries: no go toolchain (GO=$GO)" >&2; exit 2; }
mkdir -p "$OUT"
work=$(mktemp -d /tmp/k8s-build.XXXXXX)
trap 'rm -rf "${work:?}"' EXIT
t0=${EPOCHREALTIME/./}
took() { echo "$(((${EPOCHREALTIME/./} - $1) / 1000000)) s"; }
gov=$("$GO" env GOVERSION)
gomod_go=${gov#go}
gomod_go=$(echo "$gomod_go" | cut -d. -f1,2).0

if [ -n "$todo_etcd" ]; then
	t=${EPOCHREALTIME/./}
	# etcd's own main is a few lines around etcdmain: a throwaway module builds the same
	mkdir -p "$work/etcd"
	cd "$work/etcd"
	printf 'package main\n\nimport (\n\t"os"\n\n\t"go.etcd.io/etcd/server/v3/etcdmain"\n)\n\nfunc main() { etcdmain.Main(os.Args) }\n' >main.go
	printf 'module etcdbuild\n\ngo %s\n' "$gomod_go" >go.mod
	"$GO" get "go.etcd.io/etcd/server/v3@$EV"
	"$GO" mod tidy
	nice -n 10 "$GO" build -ldflags '-s -w' -o "$OUT/etcd" .
	echo "build-binaries: built etcd $EV ($(took "$t"))"
fi

if [ -n "$todo_kube" ]; then
	t=${EPOCHREALTIME/./}
	# k8s.io/kubernetes requires its staging modules at v0.0.0 (replaced in its own tree): a
	# throwaway module replaces each with its published v0.<minor>.<patch>
	sv=v0.${KV#v1.}
	mkdir -p "$work/kube"
	cd "$work/kube"
	"$GO" mod download -json "k8s.io/kubernetes@$KV" >/dev/null
	kmod=$("$GO" env GOMODCACHE)/k8s.io/kubernetes@$KV/go.mod
	{
		printf 'module k8sbuild\n\ngo %s\n\ngodebug default=go%s\n\nrequire k8s.io/kubernetes %s\n\nreplace (\n' \
			"$gomod_go" "$(echo "$gomod_go" | cut -d. -f1,2)" "$KV"
		for m in $(sed -n 's#^\t\(k8s.io/[a-z-]*\) v0.0.0$#\1#p' "$kmod"); do
			printf '\t%s => %s %s\n' "$m" "$m" "$sv"
		done
		printf ')\n'
	} >go.mod
	"$GO" get $(for c in "${KUBE_CMDS[@]}"; do echo "k8s.io/kubernetes/cmd/$c@$KV"; done)
	minor=$(echo "$KV" | cut -d. -f2)
	vld=""
	for p in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
		vld="$vld -X $p.gitVersion=$KV -X $p.gitMajor=1 -X $p.gitMinor=$minor -X $p.gitTreeState=clean"
	done
	# all five in one go build: they share most packages
	nice -n 10 "$GO" build -ldflags "-s -w $vld" -o "$OUT/" \
		$(for c in "${KUBE_CMDS[@]}"; do echo "k8s.io/kubernetes/cmd/$c"; done)
	echo "build-binaries: built" "${KUBE_CMDS[@]}" "$KV ($(took "$t"))"
fi

if [ -n "$todo_csi" ]; then
	t=${EPOCHREALTIME/./}
	GOBIN=$OUT nice -n 10 "$GO" install -ldflags '-s -w' "github.com/kubernetes-csi/csi-test/v5/cmd/csi-sanity@$CSV"
	echo "build-binaries: built csi-sanity $CSV ($(took "$t"))"
fi
echo "build-binaries: done in $(took "$t0"); $OUT has: $(cd "$OUT" && ls | tr '\n' ' ')"
