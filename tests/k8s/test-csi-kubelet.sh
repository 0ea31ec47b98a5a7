# The CSI driver csi.bpfman.io with a real kubelet: bpfman-rpc --csi-support registers it
# through its own registration socket in the kubelet's plugins_registry (no
# node-driver-registrar), a hostNetwork busybox pod mounts an inline CSI volume and reads the
# application's live map with the static map-access helper, deleting the pod unpublishes it,
# and a pod of the wrong namespace is refused a namespaced application's maps.
K8S_NEEDS_NODE=1

. "$(dirname "${BASH_SOURCE[0]}")/csi-pod-lib.sh"

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
	app_namespaced "$other" "$app"
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
