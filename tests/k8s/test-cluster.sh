# The test cluster's own checks: what the client library, agent and operator rely on from a
# real API server and controller manager, and (with the node) that the kubelet runs a pod.
K8S_NEEDS_NODE=1

# curl as the cluster's admin: curl_api [CURL-ARGS...] URL-PATH
curl_api() {
	local path=${*: -1}
	curl -sS --cacert "$K8S_CA" --cert "$K8S_ADMIN_CERT" --key "$K8S_ADMIN_KEY" "${@:1:$#-1}" "$K8S_API$path"
}

# A cluster-scoped test CRD of its own group per test (deleted in teardown), kind Gadget:
# spec.priority 1..1000, spec.iface, a status subresource, printer columns.
# Sets GROUP and GADGETS (the collection's URL path).
make_gadget_crd() {
	GROUP=t$TEST_ID.testbed.example.com
	GADGETS=/apis/$GROUP/v1/gadgets
	k apply -f - >/dev/null <<YAML
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: gadgets.$GROUP
spec:
  group: $GROUP
  scope: Cluster
  names: {plural: gadgets, singular: gadget, kind: Gadget, listKind: GadgetList}
  versions:
  - name: v1
    served: true
    storage: true
    subresources: {status: {}}
    additionalPrinterColumns:
    - {name: Priority, type: integer, jsonPath: .spec.priority}
    - {name: Phase, type: string, jsonPath: .status.phase}
    schema:
      openAPIV3Schema:
        type: object
        properties:
          spec:
            type: object
            required: [priority]
            properties:
              priority: {type: integer, minimum: 1, maximum: 1000}
              iface: {type: string}
          status:
            type: object
            properties:
              phase: {type: string}
              conditions:
                type: array
                items:
                  type: object
                  properties:
                    type: {type: string}
                    status: {type: string}
                    reason: {type: string}
                    message: {type: string}
YAML
	k8s_track crd "gadgets.$GROUP"
	k wait --for condition=established --timeout=30s "crd/gadgets.$GROUP" >/dev/null
	# served once discovery has it
	wait_for 30 curl_api -f "$GADGETS"
}

gadget() { # NAME PRIORITY: a Gadget's YAML
	printf 'apiVersion: %s/v1\nkind: Gadget\nmetadata: {name: %s}\nspec: {priority: %s, iface: lo}\n' "$GROUP" "$1" "$2"
}

test_crd_established_and_validated() {
	make_gadget_crd
	k api-resources --api-group="$GROUP" -o name | grep_all -x "gadgets.$GROUP" || fail "gadgets not in discovery"
	gadget g1 10 | k create -f - >/dev/null
	# printer columns
	out=$(k get "gadgets.$GROUP" g1)
	assert_contains "$out" "PRIORITY" "printer column header"
	assert_eq "$(echo "$out" | awk 'NR == 2 {print $2}')" 10 "printer column Priority"
	# schema validation: out of range and missing fields are refused with the field's name
	expect_fail k create -f - <<<"$(gadget g2 0)"
	assert_contains "$OUT" "spec.priority" "validation message"
	expect_fail k create -f - <<<"$(printf 'apiVersion: %s/v1\nkind: Gadget\nmetadata: {name: g3}\nspec: {iface: lo}\n' "$GROUP")"
	assert_contains "$OUT" "spec.priority: Required value" "required field"
	k_gone "gadgets.$GROUP" g2 || fail "an invalid Gadget was stored"
}

test_watch_events_and_bookmarks() {
	make_gadget_crd
	w=$TEST_TMP/watch.$TEST_ID
	wl=$TEST_TMP/watchlist.$TEST_ID
	start_bg watch curl_api -N -o "$w" "$GADGETS?watch=1&allowWatchBookmarks=true&timeoutSeconds=20"
	wpid=$BG_PID
	# a watch-list (sendInitialEvents): the initial state, then a bookmark marking its end
	gadget g0 5 | k create -f - >/dev/null
	start_bg watchlist curl_api -N -o "$wl" "$GADGETS?watch=1&allowWatchBookmarks=true&sendInitialEvents=true&resourceVersionMatch=NotOlderThan&timeoutSeconds=20"
	sleep 0.5
	gadget g1 10 | k create -f - >/dev/null
	k patch "gadgets.$GROUP" g1 --type=merge -p '{"spec":{"priority":11}}' >/dev/null
	k delete "gadgets.$GROUP" g1 >/dev/null
	wait_for 15 grep -q '"type":"DELETED".*"name":"g1"' "$w"
	types=$(jq -r 'select(.object.metadata.name == "g1") | .type' "$w" | tr '\n' ' ')
	assert_eq "$types" "ADDED MODIFIED DELETED " "events of g1"
	wait_for 15 grep -q '"type":"BOOKMARK"' "$wl"
	# the watch-list: the initial state (g0), then the bookmark that marks its end, then g1
	seq=$(jq -r '.type + ":" + (.object.metadata.name // "") + (.object.metadata.annotations["k8s.io/initial-events-end"] // "")' "$wl" | head -n3 | tr '\n' ' ')
	assert_eq "$seq" "ADDED:g0 BOOKMARK:true ADDED:g1 " "watch-list events"
	stop_bg "$wpid"
}

test_watch_too_old_gives_410() {
	make_gadget_crd
	gadget g1 10 | k create -f - >/dev/null
	# resourceVersion 1 is older than anything the API server's watch cache of the new
	# resource holds: the client must relist (HTTP 410, or an ERROR event with code 410)
	out=$(curl_api -N -m 10 -w '\nHTTP %{http_code}\n' "$GADGETS?watch=1&resourceVersion=1")
	case $out in
	*'"code":410'* | *'HTTP 410'*) ;;
	*) fail "watch from resourceVersion 1: $out" ;;
	esac
	assert_contains "$out" "too old resource version" "410 reason"
}

test_apiserver_restart() {
	make_gadget_crd
	gadget g1 10 | k create -f - >/dev/null
	rv=$(curl_api -f "$GADGETS" | jq -r .metadata.resourceVersion)
	w=$TEST_TMP/watch.$TEST_ID
	start_bg watch curl_api -N -o "$w" "$GADGETS?watch=1&resourceVersion=$rv"
	wpid=$BG_PID
	k8s_stop_apiserver
	# a client's watch ends with the server
	wait_for 15 bash -c "! kill -0 $wpid 2>/dev/null"
	! k get "gadgets.$GROUP" g1 -o name 2>/dev/null || fail "the API server still answers after k8s_stop_apiserver"
	k8s_start_apiserver
	assert_eq "$(k get "gadgets.$GROUP" g1 -o jsonpath='{.spec.priority}')" 10 "the Gadget after the restart"
	# the new watch cache starts at the current revision: resuming the old watch means relisting
	gadget g2 20 | k create -f - >/dev/null
	out=$(curl_api -N -m 10 -w '\nHTTP %{http_code}\n' "$GADGETS?watch=1&resourceVersion=$rv")
	case $out in
	*'"code":410'* | *'HTTP 410'*) ;;
	*) fail "watch resumed from $rv after the restart: $out" ;;
	esac
}

test_server_side_apply_and_conflict() {
	make_gadget_crd
	gadget g1 10 | k create -f - >/dev/null
	code=$(curl_api -o "$TEST_TMP/ssa.$TEST_ID" -w '%{http_code}' -X PATCH \
		-H 'Content-Type: application/apply-patch+yaml' --data-binary "$(gadget g1 60)" \
		"$GADGETS/g1?fieldManager=bpfman-operator&force=true")
	assert_eq "$code" 200 "SSA HTTP status"
	assert_eq "$(jq -r .spec.priority "$TEST_TMP/ssa.$TEST_ID")" 60 "applied priority"
	assert_eq "$(jq -r '[.metadata.managedFields[] | select(.manager == "bpfman-operator") | .operation] | join(",")' "$TEST_TMP/ssa.$TEST_ID")" \
		Apply "managedFields of bpfman-operator"
	# another manager changing the same field without force: 409 naming the owner
	code=$(curl_api -o "$TEST_TMP/ssa2.$TEST_ID" -w '%{http_code}' -X PATCH \
		-H 'Content-Type: application/apply-patch+yaml' --data-binary "$(gadget g1 70)" \
		"$GADGETS/g1?fieldManager=someone-else")
	assert_eq "$code" 409 "conflicting SSA"
	assert_contains "$(jq -r .message "$TEST_TMP/ssa2.$TEST_ID")" 'conflict with "bpfman-operator"' "conflict message"
	assert_eq "$(k get "gadgets.$GROUP" g1 -o jsonpath='{.spec.priority}')" 60 "priority after the refused apply"
	# with force it takes the field over
	gadget g1 70 | k apply --server-side --field-manager=someone-else --force-conflicts -f - >/dev/null
	assert_eq "$(k get "gadgets.$GROUP" g1 -o jsonpath='{.spec.priority}')" 70 "priority after forced apply"
}

test_status_subresource() {
	make_gadget_crd
	gadget g1 10 | k create -f - >/dev/null
	# /status takes status, ignores spec
	code=$(curl_api -o /dev/null -w '%{http_code}' -X PATCH -H 'Content-Type: application/merge-patch+json' \
		-d '{"status":{"phase":"Loaded","conditions":[{"type":"Ready","status":"True","reason":"Attached","message":"ok"}]},"spec":{"priority":999}}' \
		"$GADGETS/g1/status")
	assert_eq "$code" 200 "status patch"
	assert_eq "$(k get "gadgets.$GROUP" g1 -o jsonpath='{.status.phase}/{.spec.priority}')" Loaded/10 "after the status patch"
	# the main resource ignores status
	curl_api -o /dev/null -X PATCH -H 'Content-Type: application/merge-patch+json' \
		-d '{"status":{"phase":"Bogus"}}' "$GADGETS/g1"
	assert_eq "$(k get "gadgets.$GROUP" g1 -o jsonpath='{.status.phase}')" Loaded "status after a main-resource patch"
	# SSA on /status, as an agent writes its state
	code=$(curl_api -o "$TEST_TMP/st.$TEST_ID" -w '%{http_code}' -X PATCH -H 'Content-Type: application/apply-patch+yaml' \
		--data-binary "$(printf 'apiVersion: %s/v1\nkind: Gadget\nmetadata: {name: g1}\nstatus: {phase: Attached}\n' "$GROUP")" \
		"$GADGETS/g1/status?fieldManager=bpfman-agent&force=true")
	assert_eq "$code" 200 "SSA on /status"
	assert_eq "$(k get "gadgets.$GROUP" g1 -o jsonpath='{.status.phase}')" Attached "status after SSA"
}

test_finalizer_blocks_deletion() {
	make_gadget_crd
	gadget g1 10 | k create -f - >/dev/null
	k patch "gadgets.$GROUP" g1 --type=merge -p '{"metadata":{"finalizers":["bpfman.io/finalizer"]}}' >/dev/null
	k delete "gadgets.$GROUP" g1 --wait=false >/dev/null
	sleep 1
	dts=$(k get "gadgets.$GROUP" g1 -o jsonpath='{.metadata.deletionTimestamp}')
	assert_ne "$dts" "" "deletionTimestamp of an object with a finalizer"
	k patch "gadgets.$GROUP" g1 --type=json -p '[{"op":"remove","path":"/metadata/finalizers"}]' >/dev/null
	wait_for 10 k_gone "gadgets.$GROUP" g1
}

test_owner_reference_gc() {
	# first: the garbage collector learns of a new resource type only at its next discovery
	# (every 30 s), so the custom resource part waits for that
	make_gadget_crd
	ns=$(k8s_ns gc)
	k -n "$ns" create configmap owner >/dev/null
	uid=$(k -n "$ns" get cm owner -o jsonpath='{.metadata.uid}')
	k apply -f - >/dev/null <<YAML
apiVersion: v1
kind: ConfigMap
metadata:
  name: dependent
  namespace: $ns
  ownerReferences: [{apiVersion: v1, kind: ConfigMap, name: owner, uid: $uid}]
YAML
	k -n "$ns" delete cm owner >/dev/null
	wait_for 60 k_gone -n "$ns" cm dependent
	# a cluster-scoped custom resource owning a namespaced object, foreground deletion
	gadget g1 10 | k create -f - >/dev/null
	uid=$(k get "gadgets.$GROUP" g1 -o jsonpath='{.metadata.uid}')
	k apply -f - >/dev/null <<YAML
apiVersion: v1
kind: ConfigMap
metadata:
  name: g1-cfg
  namespace: $ns
  ownerReferences: [{apiVersion: $GROUP/v1, kind: Gadget, name: g1, uid: $uid, blockOwnerDeletion: true}]
YAML
	k delete "gadgets.$GROUP" g1 --cascade=foreground --timeout=60s >/dev/null
	k_gone -n "$ns" cm g1-cfg || fail "the Gadget's ConfigMap outlived its owner's foreground deletion"
}

test_namespace_lifecycle() {
	ns=$(k8s_ns life)
	# the service account controller makes the default account pods need
	wait_for 30 k -n "$ns" get serviceaccount default
	k -n "$ns" create configmap leftover >/dev/null
	k delete namespace "$ns" --timeout=90s >/dev/null
	k_gone namespace "$ns" || fail "namespace $ns still there"
}

test_node_object_helper() {
	n=tnode-$TEST_ID
	create_node_object "$n" role=edge,zone=a --ip 192.0.2.7
	assert_eq "$(k get nodes -l "role=edge,zone=a,kubernetes.io/hostname=$n" -o name)" "node/$n" "selected by labels"
	assert_eq "$(k get node "$n" -o jsonpath='{.status.addresses[?(@.type=="InternalIP")].address}')" 192.0.2.7 "InternalIP"
	set_node_ip "$n" 192.0.2.9
	assert_eq "$(k get node "$n" -o jsonpath='{.status.addresses[?(@.type=="InternalIP")].address}')" 192.0.2.9 "InternalIP after set_node_ip"
}

test_host_network_pod_runs() {
	require_node
	ns=$(k8s_ns pod)
	k apply -f - >/dev/null <<YAML
apiVersion: v1
kind: Pod
metadata: {name: hello, namespace: $ns}
spec:
  hostNetwork: true
  restartPolicy: Never
  nodeName: $K8S_NODE_NAME
  containers:
  - name: bb
    image: $K8S_BUSYBOX_IMAGE
    command: [sh, -c, 'echo hello from \$(hostname); cat /proc/self/cgroup | head -n1']
YAML
	wait_for_eq 90 Succeeded k -n "$ns" get pod hello -o jsonpath='{.status.phase}'
	# the logs come from the kubelet through the API server
	out=$(k -n "$ns" logs hello)
	assert_contains "$out" "hello from $(hostname)" "pod output (host network: the host's name)"
}

test_daemonset_pod_scheduled_and_privileged() {
	require_node
	ns=$(k8s_ns ds)
	probe=$K8S_KUBELET_ROOT/probe-$TEST_ID
	trap 'umount "$probe" 2>/dev/null; rmdir "$probe" 2>/dev/null; k8s_test_teardown' EXIT
	# what the operator's DaemonSet needs: the scheduler places it; privileged; the host's
	# bpffs; the kubelet's dir with Bidirectional propagation (a CSI driver mounts there)
	k apply -f - >/dev/null <<YAML
apiVersion: apps/v1
kind: DaemonSet
metadata: {name: probe, namespace: $ns}
spec:
  selector: {matchLabels: {app: probe}}
  template:
    metadata: {labels: {app: probe}}
    spec:
      hostNetwork: true
      terminationGracePeriodSeconds: 1
      containers:
      - name: bb
        image: $K8S_BUSYBOX_IMAGE
        command: [sh, -c, 'grep -q " /sys/fs/bpf bpf " /proc/mounts && mkdir -p $probe && mount -t tmpfs probe $probe && touch /tmp/ready; exec sleep 3600']
        securityContext: {privileged: true}
        readinessProbe:
          exec: {command: [cat, /tmp/ready]}
          periodSeconds: 1
        volumeMounts:
        - {name: bpffs, mountPath: /sys/fs/bpf}
        - {name: kubelet, mountPath: $K8S_KUBELET_ROOT, mountPropagation: Bidirectional}
      volumes:
      - {name: bpffs, hostPath: {path: /sys/fs/bpf}}
      - {name: kubelet, hostPath: {path: $K8S_KUBELET_ROOT}}
YAML
	wait_for_eq 90 1 k -n "$ns" get ds probe -o jsonpath='{.status.numberReady}'
	pod=$(k -n "$ns" get pods -l app=probe -o jsonpath='{.items[0].spec.nodeName}')
	assert_eq "$pod" "$K8S_NODE_NAME" "the DaemonSet pod's node"
	# its mount went out to the host: Bidirectional works
	mountpoint -q "$probe" || fail "the pod's mount at $probe did not propagate to the host"
}
