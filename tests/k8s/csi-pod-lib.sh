# The CSI driver on the test node, shared by test-csi-kubelet.sh and test-e2e.sh: bpfman-rpc
# --csi-support registered with the kubelet through its own registration socket, and a
# hostNetwork busybox pod that reads an application's map through an inline CSI volume.
CSI_GID=2000

# Starts bpfman-rpc with the driver (host process, the test's own root) and the CSIDriver
# object, and waits for the kubelet to list the driver on its CSINode. Sets SCRATCH (0755,
# short paths: the CSI socket and the helper the pods run), RPC_LOG.
csi_kubelet_setup() {
	require_node
	trap 'csi_kubelet_teardown' EXIT
	SCRATCH=$(mktemp -d /tmp/bpfman-csik.XXXXXX)
	chmod 0755 "$SCRATCH"
	mkdir -p "$SCRATCH/helpers"
	cp "$TESTS_HELPERS/map-access" "$SCRATCH/helpers/"
	file -L "$SCRATCH/helpers/map-access" | grep_all 'statically linked' ||
		skip "map-access is not linked statically (a sanitizer build): a busybox pod cannot run it"
	k apply -f - >/dev/null <<YAML
apiVersion: storage.k8s.io/v1
kind: CSIDriver
metadata: {name: csi.bpfman.io}
spec:
  attachRequired: false
  podInfoOnMount: true
  volumeLifecycleModes: [Ephemeral]
  fsGroupPolicy: ReadWriteOnceWithFSType
  requiresRepublish: false
  seLinuxMount: false
  storageCapacity: false
YAML
	k8s_track csidriver csi.bpfman.io
	local rpc
	rpc="$(dirname "$BPFMAN")/../rpc/bpfman-rpc"
	start_bg rpc env KUBE_NODE_NAME="$K8S_NODE_NAME" "$rpc" --socket-path "$SCRATCH/bpfman.sock" \
		--csi-support --csi-socket "$SCRATCH/csi.sock" \
		--csi-registration-dir "$K8S_KUBELET_ROOT/plugins_registry" --log-level info
	RPC_PID=$BG_PID
	RPC_LOG=$(bg_log rpc)
	wait_for 30 test -S "$SCRATCH/csi.sock"
	# the kubelet's plugin watcher found the registration socket, asked GetInfo, called
	# NodeGetInfo on the CSI socket and wrote the driver into its CSINode
	wait_for_eq 60 csi.bpfman.io k get csinode "$K8S_NODE_NAME" -o jsonpath='{.spec.drivers[*].name}'
	assert_eq "$(k get csinode "$K8S_NODE_NAME" -o jsonpath='{.spec.drivers[0].nodeID}')" "$K8S_NODE_NAME" "node id"
	wait_for 30 grep -q "kubelet registered csi.bpfman.io" "$RPC_LOG"
}

# Pods first (their volumes are unpublished by the kubelet while the driver still runs),
# then the driver, then what the test made.
csi_kubelet_teardown() {
	local rc=$? m ns
	set +e
	for ns in ${CSI_NS:-}; do
		k delete pods --all -n "$ns" --grace-period=1 --wait=false >/dev/null 2>&1
	done
	for ns in ${CSI_NS:-}; do
		for _ in $(seq 150); do
			[ -z "$(k get pods -n "$ns" -o name 2>/dev/null)" ] && break
			sleep 0.2
		done
	done
	for m in $(findmnt -rn -o TARGET | grep -E "^${BPFMAN_ROOT}/run/bpfman/csi/" | sort -r); do
		umount "$m" 2>/dev/null || umount -l "$m"
	done
	[ -z "${SCRATCH:-}" ] || rm -rf "${SCRATCH:?}"
	(exit $rc)
	k8s_test_teardown
}

# reader_pod NS NAME PROGRAM: a hostNetwork busybox pod (uid 65534, fsGroup CSI_GID) with
# the maps of PROGRAM at /maps, read-only. It reports through files in $SCRATCH/out-NAME (a
# hostPath; kubectl logs/exec need node addresses the loopback-only test node has not):
# `write` (an attempt to write the map, and its exit status), `mount`, `ls`, then, again and
# again, slots 0 and 5 of `counters` in `s0` and `s5`.
reader_pod() {
	mkdir -p "$SCRATCH/out-$2"
	chmod 0777 "$SCRATCH/out-$2"
	k apply -f - >/dev/null <<YAML
apiVersion: v1
kind: Pod
metadata: {name: $2, namespace: $1}
spec:
  hostNetwork: true
  restartPolicy: Never
  terminationGracePeriodSeconds: 1
  securityContext: {runAsUser: 65534, runAsGroup: 65534, fsGroup: $CSI_GID}
  containers:
  - name: reader
    image: $K8S_BUSYBOX_IMAGE
    imagePullPolicy: Never
    command:
    - /bin/sh
    - -c
    - |
      /helpers/map-access /maps/counters 5 set 1 >/out/write 2>&1; echo "rc=\$?" >>/out/write
      grep ' /maps ' /proc/mounts >/out/mount
      ls -ln /maps >/out/ls
      while :; do
        for s in 0 5; do
          /helpers/map-access /maps/counters \$s get-ro >/out/.s\$s 2>&1 && mv /out/.s\$s /out/s\$s
        done
        sleep 0.2
      done
    volumeMounts:
    - {name: maps, mountPath: /maps, readOnly: true}
    - {name: helpers, mountPath: /helpers, readOnly: true}
    - {name: out, mountPath: /out}
  volumes:
  - name: maps
    csi:
      driver: csi.bpfman.io
      readOnly: true
      volumeAttributes: {csi.bpfman.io/program: $3, csi.bpfman.io/maps: counters}
  - name: helpers
    hostPath: {path: $SCRATCH/helpers, type: Directory}
  - name: out
    hostPath: {path: $SCRATCH/out-$2, type: Directory}
YAML
}

pod_phase() { k get pod -n "$1" "$2" -o jsonpath='{.status.phase}'; }
# pod_event NS POD TEXT: an event about the pod says TEXT
pod_event() { k get events -n "$1" --field-selector "involvedObject.name=$2" -o jsonpath='{.items[*].message}' | grep_all -F "$3"; }
# what the pod NAME last read from slot SLOT (empty until it has)
pod_read() { cat "$SCRATCH/out-$1/s$2" 2>/dev/null; }
pod_read_at_least() { [ "$(pod_read "$1" "$2")" -ge "$3" ] 2>/dev/null; }
