# The CSI driver csi.bpfman.io with a real kubelet: bpfman-rpc --csi-support registers it
# through its own registration socket in the kubelet's plugins_registry (no
# node-driver-registrar), a hostNetwork busybox pod mounts an inline CSI volume and reads the
# application's live map with the static map-access helper, deleting the pod unpublishes it,
# and a pod of the wrong namespace is refused a namespaced application's maps.
K8S_NEEDS_NODE=1

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
	file -L "$SCRATCH/helpers/map-access" | grep -q 'statically linked' ||
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
pod_event() { k get events -n "$1" --field-selector "involvedObject.name=$2" -o jsonpath='{.items[*].message}' | grep -qF "$3"; }
# what the pod NAME last read from slot SLOT (empty until it has)
pod_read() { cat "$SCRATCH/out-$1/s$2" 2>/dev/null; }
pod_read_at_least() { [ "$(pod_read "$1" "$2")" -ge "$3" ] 2>/dev/null; }

app_cluster() {
	cat >"$BPFMAN_ROOT/$1.yaml" <<EOF
apiVersion: bpfman.io/v1alpha1
kind: ClusterBpfApplication
metadata:
  name: $1
spec:
  nodeSelector: {}
  byteCode:
    path: $COUNTERS_OBJ
  programs:
    - name: tracepoint_counter
      type: TracePoint
      tracepoint:
        links:
          - name: syscalls/sys_enter_getpid
EOF
	bpfman apply -f "$BPFMAN_ROOT/$1.yaml" >/dev/null
}

app_map_dir() {
	bpfman list programs -o json |
		jq -r --arg a "$1" '[.[] | select(.bpfman.metadata["bpfman.io/application-id"] == $a)][0].bpfman.map_pin_path'
}

test_pod_reads_live_map() {
	csi_kubelet_setup
	local app=csi-e2e-$TEST_ID dir magic=$((4000 + RANDOM)) before out vol
	app_cluster "$app"
	dir=$(app_map_dir "ClusterBpfApplication/$app")
	"$TESTS_HELPERS/map-access" "$dir/counters" 5 set "$magic" >/dev/null
	CSI_NS=$(k8s_ns csi)
	reader_pod "$CSI_NS" reader "$app"
	wait_for_eq 120 Running pod_phase "$CSI_NS" reader
	wait_for_eq 30 "$magic" pod_read reader 5
	out=$SCRATCH/out-reader
	assert_contains "$(cat "$out/mount")" "bpf ro," "a read-only bpffs in the pod"
	assert_eq "$(awk '$NF == "counters" {print $1, $3, $4}' "$out/ls")" "-r--r----- 0 $CSI_GID" \
		"pin mode and group (the fsGroup), seen in the pod"
	# read-only: the pod's user cannot open the map for writing
	assert_contains "$(cat "$out/write")" "Permission denied" "write refused in the pod"
	assert_contains "$(cat "$out/write")" "rc=1" "write refused in the pod"
	assert_eq "$("$TESTS_HELPERS/map-access" "$dir/counters" 5 get)" "$magic" "value unchanged by the pod"

	# the same live map: what changes on the host the pod reads at once
	"$TESTS_HELPERS/map-access" "$dir/counters" 5 set $((magic + 1)) >/dev/null
	wait_for_eq 10 $((magic + 1)) pod_read reader 5
	before=$(pod_read reader 0)
	trigger getpid 100
	wait_for 10 pod_read_at_least reader 0 $((before + 100))

	# the kubelet's view: one published volume, in the driver's records
	vol=$(ls "$BPFMAN_ROOT/run/bpfman/csi/vol")
	[ -n "$vol" ] || fail "no volume record"
	assert_contains "$(cat "$BPFMAN_ROOT/run/bpfman/csi/vol/$vol")" "readonly=1" "published read-only"
	assert_contains "$(cat "$BPFMAN_ROOT/run/bpfman/csi/vol/$vol")" "group=$CSI_GID" "fsGroup delegated"

	# deleting the pod unpublishes the volume
	k delete pod -n "$CSI_NS" reader --grace-period=1 >/dev/null
	wait_for 60 k_gone pod -n "$CSI_NS" reader
	wait_for_eq 30 "" ls "$BPFMAN_ROOT/run/bpfman/csi/vol"
	[ -z "$(findmnt -rn -o TARGET | grep -E "^${BPFMAN_ROOT}/run/bpfman/csi/fs/")" ] || fail "a per-volume bpffs is still mounted"
	assert_contains "$(cat "$RPC_LOG")" "unpublished volume $vol" "the kubelet called NodeUnpublishVolume"
	# the program's own maps are untouched
	assert_eq "$("$TESTS_HELPERS/map-access" "$dir/counters" 5 get)" $((magic + 1)) "map intact after unpublish"
}

test_wrong_namespace_refused() {
	csi_kubelet_setup
	local app=csi-ns-$TEST_ID other
	other=$(k8s_ns owner)
	cat >"$BPFMAN_ROOT/ns-app.yaml" <<EOF
apiVersion: bpfman.io/v1alpha1
kind: BpfApplication
metadata:
  name: $app
  namespace: $other
spec:
  nodeSelector: {}
  byteCode:
    path: $COUNTERS_OBJ
  programs:
    - name: xdp_counter
      type: XDP
      xdp:
        links:
          - interfaceSelector: {interfaces: [bt${TEST_ID}none]}
            networkNamespaces: {pods: {matchLabels: {bpfman.io/netns: none-$TEST_ID}}}
            priority: 50
EOF
	bpfman apply -f "$BPFMAN_ROOT/ns-app.yaml" >/dev/null
	CSI_NS=$(k8s_ns csi)
	reader_pod "$CSI_NS" intruder "$app"
	# the kubelet reports the driver's refusal as an event and keeps retrying; the pod never runs
	wait_for 90 pod_event "$CSI_NS" intruder "may not use its maps"
	assert_eq "$(pod_phase "$CSI_NS" intruder)" Pending "the refused pod does not run"
	[ -z "$(ls "$BPFMAN_ROOT/run/bpfman/csi/vol")" ] || fail "a refused volume has a record"
	# the same application's namespace is served
	reader_pod "$other" owner "$app"
	CSI_NS="$CSI_NS $other"
	wait_for_eq 120 Running pod_phase "$other" owner
	k delete pod -n "$other" owner --grace-period=1 >/dev/null
	wait_for 60 k_gone pod -n "$other" owner
}
