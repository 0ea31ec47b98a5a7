#!/bin/bash
# cluster-down.sh DIR: stops the test cluster cluster-up.sh started in DIR (only its own
# processes, by their recorded pids) and leaves nothing behind: with a node, no pods, no
# containers, no shims, no mounts, no cgroups, no network namespaces of it either.
# Keeps DIR/logs; removes the rest of what cluster-up.sh wrote into DIR.
set -uo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
if [ $# -ne 1 ] || [ -z "$1" ]; then
	echo "usage: $0 DIR" >&2
	exit 2
fi
DIR=$(realpath -m "$1")
. "$HERE/testbed/common.sh"
. "$HERE/testbed/node.sh"
t0=$(now_us)

node_down
stop_proc scheduler 5
stop_proc kcm 5
stop_proc kube-apiserver 10
stop_proc etcd 5
for d in etcd pki kcm pids; do rm -rf "${DIR:?}/$d"; done
rm -f "$DIR/admin.kubeconfig" "$DIR/node.kubeconfig" "$DIR/env"
echo "cluster in $DIR down: $(ms_since "$t0") ms"
