# The test cluster's node (sourced by cluster-up.sh and cluster-down.sh, after common.sh):
# kube-scheduler, containerd (its own socket and state, root under DIR) and a kubelet.
# Traps of this kind of machine, each handled below:
#  - cgroup v1 only: the kubelet refuses it unless failCgroupV1 is false;
#  - oom_score_adj cannot always be lowered in a sandbox: containerd's restrict_oom_score_adj;
#  - no pod network: a loopback-only CNI config makes the runtime report NetworkReady (so the
#    node becomes Ready), and pods must use hostNetwork: true;
#  - / is a private mount (no systemd): the kubelet's dir is made a shared mount of its own;
#  - no registry or download: the pause and busybox images are built here and imported.
TESTBED=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
IMAGE_CACHE=${K8S_IMAGE_CACHE:-/opt/k8s/images}
PAUSE_IMAGE=localhost/pause:local
BUSYBOX_IMAGE=localhost/busybox:local
# made by the kubelet (device plugins' socket, links to pod logs) and containerd 1.6 (shim
# sockets, runc state) at fixed paths
NODE_HOST_DIRS="/var/lib/kubelet /var/log/containers /run/containerd"

# What the node needs from the host (Debian packages)
node_check_host() {
	local missing=""
	command -v containerd >/dev/null && command -v ctr >/dev/null || missing+=" containerd"
	command -v runc >/dev/null || missing+=" runc"
	[ -x /usr/lib/cni/loopback ] || missing+=" containernetworking-plugins"
	[ -x /bin/busybox ] && file -L /bin/busybox | grep -q 'statically linked' || missing+=" busybox-static"
	[ -z "$missing" ] && return 0
	echo "the node needs:$missing (apt-get install$missing)" >&2
	return 1
}

# Takes the machine's one node slot for DIR, or says who has it.
node_lock() {
	local other rc=0
	# the check and the take-over of a stale lock under one flock: two cluster-ups at once
	# must not both find it stale and both take it
	exec {lockfd}>"$NODE_LOCK.flock"
	flock "$lockfd"
	if ! (set -o noclobber; echo "$DIR" >"$NODE_LOCK") 2>/dev/null; then
		other=$(cat "$NODE_LOCK" 2>/dev/null)
		# held: its kubelet or containerd runs, or its cluster-up took it in the last two
		# minutes and may not have started them yet
		if [ "$other" != "$DIR" ] && { (DIR=$other; pid_alive kubelet || pid_alive containerd) ||
			[ $(($(date +%s) - $(stat -c %Y "$NODE_LOCK" 2>/dev/null || echo 0))) -lt 120 ]; }; then
			echo "a node cluster already runs in $other, and only one can run on a machine:" \
				"stop it with cluster-down.sh $other, or start this one without WITH_NODE=1" >&2
			rc=1
		else
			# its cluster is gone (or is this one): the slot is free
			echo "$DIR" >"$NODE_LOCK"
		fi
	fi
	exec {lockfd}>&-
	return $rc
}

# The pause and busybox image archives, built once per content of their sources.
build_images() {
	local key w
	key=$(cat "$TESTBED/pause.go" "$TESTBED/mkoci.py" /bin/busybox | sha256sum | cut -c1-16)
	IMAGES=$IMAGE_CACHE/$key
	[ -f "$IMAGES/busybox.tar" ] && return 0
	w=$(mktemp -d "$IMAGE_CACHE.work.XXXXXX")
	mkdir -p "$w/pause-src" "$w/pause-root" "$w/bb-root/bin" "$w/bb-root/tmp" "$w/bb-root/etc"
	cp "$TESTBED/pause.go" "$w/pause-src/main.go"
	printf 'module pause\n\ngo 1.22\n' >"$w/pause-src/go.mod"
	(cd "$w/pause-src" && CGO_ENABLED=0 GOTOOLCHAIN=local GOFLAGS=-mod=mod \
		"${GO:-/usr/local/go/bin/go}" build -trimpath -ldflags '-s -w' -o "$w/pause-root/pause" .)
	cp /bin/busybox "$w/bb-root/bin/busybox"
	"$w/bb-root/bin/busybox" --install -s "$w/bb-root/bin" 2>/dev/null || true
	# --install links by absolute path; relative links work inside the image
	for l in "$w"/bb-root/bin/*; do [ -L "$l" ] && ln -sf busybox "$l"; done
	chmod 1777 "$w/bb-root/tmp"
	echo "root:x:0:0:root:/:/bin/sh" >"$w/bb-root/etc/passwd"
	echo "root:x:0:" >"$w/bb-root/etc/group"
	mkdir -p "$w/out"
	python3 "$TESTBED/mkoci.py" "$w/pause-root" "$PAUSE_IMAGE" "$w/out/pause.tar" /pause >/dev/null
	python3 "$TESTBED/mkoci.py" "$w/bb-root" "$BUSYBOX_IMAGE" "$w/out/busybox.tar" /bin/sh >/dev/null
	mkdir -p "$IMAGE_CACHE"
	rm -rf "${IMAGES:?}"
	mv "$w/out" "$IMAGES"
	rm -rf "${w:?}"
	echo "built the pause and busybox images into $IMAGES"
}

write_containerd_config() {
	mkdir -p "$DIR/containerd" "$DIR/cni/net.d"
	# loopback only: the runtime reports NetworkReady; there is no pod network
	echo '{"cniVersion":"1.0.0","name":"loopback-only","plugins":[{"type":"loopback"}]}' \
		>"$DIR/cni/net.d/10-loopback-only.conflist"
	cat >"$DIR/containerd/config.toml" <<TOML
version = 2
root = "$DIR/containerd/root"
state = "$CTRD_STATE"
disabled_plugins = ["io.containerd.snapshotter.v1.btrfs", "io.containerd.snapshotter.v1.zfs",
  "io.containerd.snapshotter.v1.devmapper", "io.containerd.snapshotter.v1.aufs"]
[grpc]
  address = "$CTRD_SOCK"
[ttrpc]
  address = "$CTRD_STATE/containerd.sock.ttrpc"
[debug]
  address = ""
[metrics]
  address = ""
[plugins."io.containerd.internal.v1.opt"]
  path = "$DIR/containerd/opt"
[plugins."io.containerd.grpc.v1.cri"]
  sandbox_image = "$PAUSE_IMAGE"
  stream_server_address = "127.0.0.1"
  stream_server_port = "0"
  restrict_oom_score_adj = true
  enable_selinux = false
  [plugins."io.containerd.grpc.v1.cri".containerd]
    snapshotter = "overlayfs"
    default_runtime_name = "runc"
    [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
      runtime_type = "io.containerd.runc.v2"
      [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]
        SystemdCgroup = false
  [plugins."io.containerd.grpc.v1.cri".cni]
    bin_dir = "/usr/lib/cni"
    conf_dir = "$DIR/cni/net.d"
TOML
}

write_kubelet_config() {
	mkdir -p "$DIR/kubelet/root" "$DIR/kubelet/pki" "$DIR/kubelet/manifests" "$DIR/kubelet/pod-logs"
	# Eviction and image garbage collection off: a test must not lose its pod or the
	# imported images because the disk is fuller than the kubelet likes.
	cat >"$DIR/kubelet/config.yaml" <<YAML
apiVersion: kubelet.config.k8s.io/v1beta1
kind: KubeletConfiguration
address: 127.0.0.1
port: $PORT_KUBELET
readOnlyPort: 0
healthzBindAddress: 127.0.0.1
healthzPort: $PORT_KUBELET_HEALTHZ
authentication:
  anonymous: {enabled: false}
  webhook: {enabled: true}
  x509: {clientCAFile: $DIR/pki/ca.crt}
authorization: {mode: Webhook}
containerRuntimeEndpoint: unix://$CTRD_SOCK
cgroupDriver: cgroupfs
failCgroupV1: false
failSwapOn: false
staticPodPath: $DIR/kubelet/manifests
podLogsDir: $DIR/kubelet/pod-logs
evictionHard: {memory.available: "0%", nodefs.available: "0%", nodefs.inodesFree: "0%", imagefs.available: "0%"}
imageGCHighThresholdPercent: 100
imageGCLowThresholdPercent: 99
serializeImagePulls: false
registerNode: true
nodeStatusUpdateFrequency: 2s
syncFrequency: 5s
fileCheckFrequency: 2s
shutdownGracePeriod: 0s
YAML
}

node_up() {
	local t
	t=$(now_us)
	build_images
	ip netns list 2>/dev/null | awk '{print $1}' | sort >"$DIR/netns.before"
	# host dirs the kubelet and containerd make at fixed places: those that are not there
	# yet go again in cluster-down
	for d in $NODE_HOST_DIRS; do [ -e "$d" ] || echo "$d"; done >"$DIR/host-dirs.made"
	start_proc scheduler "$K8S_BIN/kube-scheduler" --kubeconfig="$DIR/admin.kubeconfig" \
		--bind-address=127.0.0.1 --secure-port="$PORT_SCHED" --leader-elect=false
	write_containerd_config
	rm -rf "${CTRD_STATE:?}"
	mkdir -p "$CTRD_STATE"
	start_proc containerd containerd --config "$DIR/containerd/config.toml"
	wait_up containerd 30 ctr_k8s version
	ctr_k8s images import "$IMAGES/pause.tar" >/dev/null
	ctr_k8s images import "$IMAGES/busybox.tar" >/dev/null
	echo "containerd up, images imported: $(ms_since "$t") ms"

	sed -e "s#$DIR/pki/admin\.#$DIR/pki/node.#g; s#admin#node#g" "$DIR/admin.kubeconfig" >"$DIR/node.kubeconfig"
	write_kubelet_config
	# the kubelet's dir a shared mount of its own: pods (a CSI driver's) can then mount into
	# it with mountPropagation Bidirectional, which needs a shared host mount, and / is
	# private on a machine without systemd
	mount --bind "$DIR/kubelet/root" "$DIR/kubelet/root"
	mount --make-rshared "$DIR/kubelet/root"
	start_proc kubelet "$K8S_BIN/kubelet" --config="$DIR/kubelet/config.yaml" \
		--kubeconfig="$DIR/node.kubeconfig" --root-dir="$DIR/kubelet/root" \
		--cert-dir="$DIR/kubelet/pki" --hostname-override="$NODE_NAME" --v=1
	wait_up scheduler 60 curl -skf "https://127.0.0.1:$PORT_SCHED/healthz"
	wait_up kubelet 120 node_ready
	cat >>"$DIR/env" <<ENV
export K8S_NODE_NAME=$NODE_NAME
export K8S_KUBELET_ROOT=$DIR/kubelet/root
export K8S_CONTAINERD_SOCK=$CTRD_SOCK
export K8S_PAUSE_IMAGE=$PAUSE_IMAGE K8S_BUSYBOX_IMAGE=$BUSYBOX_IMAGE
ENV
}

node_ready() {
	[ "$("$K8S_BIN/kubectl" --kubeconfig "$DIR/admin.kubeconfig" get node "$NODE_NAME" \
		-o jsonpath='{.status.conditions[?(@.type=="Ready")].status}')" = True ]
}

# Everything of the node goes, in order: pods (so that the kubelet unmounts their volumes
# and calls CSI drivers' unpublish), the kubelet, containers and shims, containerd, then
# whatever is left mounted, the pods' cgroups and network namespaces.
node_down() {
	local i pid m n K
	K=("$K8S_BIN/kubectl" --kubeconfig "$DIR/admin.kubeconfig" --request-timeout=10s)
	if pid_alive kubelet && pid_alive kube-apiserver; then
		"${K[@]}" delete daemonsets,deployments,replicasets,jobs --all --all-namespaces --wait=false >/dev/null 2>&1
		"${K[@]}" delete pods --all --all-namespaces --grace-period=1 --wait=false >/dev/null 2>&1
		for i in $(seq 60); do
			[ -z "$("${K[@]}" get pods -A -o name 2>/dev/null)" ] && [ -z "$(ctr_k8s tasks ls -q 2>/dev/null)" ] && break
			sleep 0.5
		done
	fi
	stop_proc kubelet 10
	if pid_alive containerd; then
		for n in $(ctr_k8s tasks ls -q 2>/dev/null); do ctr_k8s tasks kill -s SIGKILL "$n" >/dev/null 2>&1; done
		for i in $(seq 20); do
			[ -z "$(ctr_k8s tasks ls 2>/dev/null | awk 'NR > 1 && $3 != "STOPPED"')" ] && break
			sleep 0.25
		done
		for n in $(ctr_k8s tasks ls -q 2>/dev/null); do ctr_k8s tasks delete -f "$n" >/dev/null 2>&1; done
		for n in $(ctr_k8s containers ls -q 2>/dev/null); do ctr_k8s containers delete "$n" >/dev/null 2>&1; done
	fi
	stop_proc containerd 10
	stop_proc scheduler 5
	# shims of our containerd that outlived it (found by its socket, killed by pid)
	for pid in $(pgrep -f -- "-address $CTRD_SOCK" 2>/dev/null); do
		grep -q containerd-shim "/proc/$pid/comm" 2>/dev/null && kill -9 "$pid" 2>/dev/null
	done
	# mounts: pod volumes, sandbox shm, container root file systems
	for m in $(awk '{print $2}' /proc/mounts | grep -E "^($DIR/|$CTRD_STATE/)" | sort -r); do
		umount "$m" 2>/dev/null || umount -l "$m" 2>/dev/null
	done
	if [ -f "$DIR/netns.before" ]; then
		for n in $(ip netns list 2>/dev/null | awk '{print $1}' | sort | comm -13 "$DIR/netns.before" - | grep '^cni-'); do
			ip netns del "$n" 2>/dev/null
		done
		rm -f "$DIR/netns.before"
	fi
	if [ "$(cat "$NODE_LOCK" 2>/dev/null)" = "$DIR" ]; then
		# the kubelet's cgroups (only one node runs on a machine: these are ours)
		for m in /sys/fs/cgroup/*/kubepods; do
			[ -d "$m" ] && find "$m" -depth -type d -exec rmdir {} + 2>/dev/null
		done
		# the kubelet's links to pod logs in DIR
		for m in /var/log/containers/*; do
			[ -L "$m" ] && case $(readlink "$m") in "$DIR"/*) rm -f "$m" ;; esac
		done
		rm -rf "${CTRD_STATE:?}"
		if [ -f "$DIR/host-dirs.made" ]; then
			for m in $NODE_HOST_DIRS; do grep -qx "$m" "$DIR/host-dirs.made" && rm -rf "$m"; done
			rm -f "$DIR/host-dirs.made"
		fi
		rm -f "$NODE_LOCK"
	fi
	if awk '{print $2}' /proc/mounts | grep -qE "^$DIR/"; then
		echo "still mounted under $DIR, so it stays:" $(awk '{print $2}' /proc/mounts | grep -E "^$DIR/") >&2
		return 1
	fi
	for m in containerd kubelet cni; do rm -rf "${DIR:?}/$m"; done
	rm -f "$DIR/node.kubeconfig"
}
