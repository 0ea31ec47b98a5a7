# The Kubernetes client library (src/k8s) against the run's real API server, through
# build/tests/helpers/kube-probe: CRUD and the errno each failure maps to, server-side apply
# and its field managers, the status subresource, finalizers (also under concurrent writers),
# informers (events, selectors, a relist after the API server restarted, a prompt stop), and
# the TLS and token settings of kubeconfig files and of in-cluster service accounts.
# kubectl, curl and jq are the independent clients that check what the library did.

probe() { "$TESTS_HELPERS/kube-probe" "$@"; }

# expect_errno ERRNO-NAME MESSAGE-PART COMMAND...: COMMAND fails with "error ERRNO-NAME: ..."
expect_errno() {
	local want=$1 part=$2
	shift 2
	expect_fail "$@"
	assert_contains "$OUT" "error $want: " "errno of: $*"
	assert_contains "$OUT" "$part" "message of: $*"
}

# cm_json NAME [LABELS-JSON [DATA-JSON]]: a ConfigMap
cm_json() {
	echo "{\"apiVersion\":\"v1\",\"kind\":\"ConfigMap\",\"metadata\":{\"name\":\"$1\",\"labels\":${2:-{\}}},\"data\":${3:-{\}}}"
}

cm_field() { # NS NAME JSONPATH
	k get configmap -n "$1" "$2" -o jsonpath="$3"
}

test_crud() {
	local ns rv1 stale
	ns=$(k8s_ns kc)
	cm_json a '{"app":"x"}' '{"k":"1"}' | probe create configmaps "$ns" - >/dev/null
	cm_json b '{"app":"y"}' | probe create configmaps "$ns" - >/dev/null
	assert_eq "$(cm_field "$ns" a '{.data.k}')" 1 "created data (kubectl)"
	assert_eq "$(probe get configmaps "$ns" a | jq -r .data.k)" 1 "get"

	# selectors go to the server
	assert_eq "$(probe list configmaps "$ns" app=x | grep -v '^rv=')" a "label selector"
	assert_eq "$(probe list configmaps "$ns" 'app in (x,y)' | grep -v '^rv=' | sort | tr '\n' ' ')" "a b " "set selector"
	assert_eq "$(probe list configmaps "$ns" '' metadata.name=b | grep -v '^rv=')" b "field selector"
	probe list configmaps - "app=x" | grep_all -x a || fail "all-namespace list misses a"
	probe list namespaces - | grep_all -x "$ns" || fail "cluster-scoped list misses $ns"
	probe list configmaps "$ns" | grep_all -E '^rv=[0-9]+$' || fail "list has no resourceVersion"

	expect_errno EEXIST 'configmaps "a" already exists (HTTP 409 AlreadyExists)' \
		probe create configmaps "$ns" <(cm_json a)
	expect_errno ENOENT 'configmaps "nope" not found (HTTP 404 NotFound)' probe get configmaps "$ns" nope
	expect_errno EINVAL 'HTTP 422 Invalid' probe create configmaps "$ns" <(cm_json Bad_Name)
	expect_errno EINVAL 'namespaced: a namespace is needed' probe get configmaps - a
	expect_errno EINVAL 'cluster-scoped: no namespace' probe get namespaces "$ns" x

	# merge patch, then a replace from the stale copy: 409 Conflict is -EBUSY
	stale=$TEST_TMP/stale.$TEST_ID
	probe get configmaps "$ns" a >"$stale"
	rv1=$(jq -r .metadata.resourceVersion "$stale")
	probe patch configmaps "$ns" a '{"data":{"k":"2","p":"x"}}' >/dev/null
	assert_eq "$(cm_field "$ns" a '{.data.k}{.data.p}')" 2x "merge patch"
	expect_errno EBUSY 'the object has been modified' \
		probe replace configmaps "$ns" a <(jq '.data.k = "3"' "$stale")
	assert_eq "$(cm_field "$ns" a '{.data.k}')" 2 "a stale replace changed nothing"
	probe get configmaps "$ns" a | jq '.data = {"k": "4"}' >"$stale"
	probe replace configmaps "$ns" a "$stale" >/dev/null
	assert_eq "$(cm_field "$ns" a '{.data}')" '{"k":"4"}' "replace"
	assert_ne "$(cm_field "$ns" a '{.metadata.resourceVersion}')" "$rv1" "resourceVersion moved"
	# every write names the library's field manager (not the User-Agent)
	assert_eq "$(k get cm -n "$ns" a -o json --show-managed-fields | jq -r '[.metadata.managedFields[].manager] | unique | join(",")')" \
		bpfman "field managers of create/patch/replace"

	probe delete configmaps "$ns" a
	k_gone -n "$ns" configmap a || fail "a still exists after delete"
	probe delete configmaps "$ns" a # already gone: 0
	expect_errno EINVAL 'not Background, Foreground or Orphan' probe delete configmaps "$ns" b Later
	probe delete configmaps "$ns" b Foreground
	wait_for 10 k_gone -n "$ns" configmap b
}

test_server_side_apply() {
	local ns mf
	ns=$(k8s_ns kc)
	probe --field-manager kc-one apply configmaps "$ns" c \
		<(cm_json c '{"app":"ssa"}' '{"k":"v1","own":"one"}') >/dev/null
	mf=$(k get cm -n "$ns" c -o json --show-managed-fields | jq -c '[.metadata.managedFields[] | {manager, operation}]')
	assert_eq "$mf" '[{"manager":"kc-one","operation":"Apply"}]' "managedFields after the first apply"
	# the same apply again changes nothing
	probe --field-manager kc-one apply configmaps "$ns" c \
		<(cm_json c '{"app":"ssa"}' '{"k":"v1","own":"one"}') >/dev/null

	# another manager taking a field it does not own: 409 Conflict naming the owner
	expect_errno EBUSY 'kc-one' probe --field-manager kc-two apply configmaps "$ns" c \
		<(cm_json c '{}' '{"k":"v2"}')
	assert_eq "$(cm_field "$ns" c '{.data.k}')" v1 "conflicting apply changed nothing"
	probe --field-manager kc-two apply --force configmaps "$ns" c <(cm_json c '{}' '{"k":"v2"}') >/dev/null
	assert_eq "$(cm_field "$ns" c '{.data.k}/{.data.own}')" v2/one "forced apply"
	assert_eq "$(k get cm -n "$ns" c -o json --show-managed-fields | jq -r '.metadata.managedFields[] | select(.manager == "kc-two") | .fieldsV1."f:data" | keys | join(",")')" \
		"f:k" "kc-two owns data.k"

	# kc-one drops "own" from its apply: server-side apply removes the field it owned alone
	probe --field-manager kc-one apply configmaps "$ns" c <(cm_json c '{"app":"ssa"}' '{}') >/dev/null
	assert_eq "$(cm_field "$ns" c '{.data}')" '{"k":"v2"}' "field released by its only manager"
	expect_errno EINVAL 'needs apiVersion, kind and metadata.name' \
		probe apply configmaps "$ns" c <(echo '{"metadata":{"name":"c"}}')
}

# A namespaced test CRD with a status subresource, of a group of this test; sets WIDGETS (the
# probe's resource argument).
make_widget_crd() {
	local group=kc$TEST_ID.test.bpfman.io
	WIDGETS=$group/v1/widgets/Widget/namespaced
	probe create customresourcedefinitions - - >/dev/null <<JSON
{"apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
 "metadata": {"name": "widgets.$group"},
 "spec": {"group": "$group", "scope": "Namespaced",
  "names": {"plural": "widgets", "singular": "widget", "kind": "Widget", "listKind": "WidgetList"},
  "versions": [{"name": "v1", "served": true, "storage": true, "subresources": {"status": {}},
   "schema": {"openAPIV3Schema": {"type": "object", "properties": {
    "spec": {"type": "object", "x-kubernetes-preserve-unknown-fields": true},
    "status": {"type": "object", "x-kubernetes-preserve-unknown-fields": true}}}}}]}}
JSON
	k8s_track crd "widgets.$group"
	wait_for_eq 30 True k get crd "widgets.$group" -o 'jsonpath={.status.conditions[?(@.type=="Established")].status}'
}

test_status_subresource() {
	local ns w gen obj
	ns=$(k8s_ns kc)
	make_widget_crd
	w="{\"apiVersion\":\"${WIDGETS%%/widgets*}\",\"kind\":\"Widget\",\"metadata\":{\"name\":\"w1\"},\"spec\":{\"size\":1}}"
	echo "$w" >"$TEST_TMP/w1.$TEST_ID"
	# the new kind is served a moment after Established
	wait_for 20 probe apply "$WIDGETS" "$ns" w1 "$TEST_TMP/w1.$TEST_ID"
	gen=$(probe get "$WIDGETS" "$ns" w1 | jq -r .metadata.generation)

	# a status apply that also carries a spec change: only the status is written
	probe --field-manager kc-agent apply --status "$WIDGETS" "$ns" w1 \
		<(echo "$w" | jq -c '.spec.size = 99 | .status = {"phase": "Ready"}') >/dev/null
	obj=$(probe get "$WIDGETS" "$ns" w1)
	assert_eq "$(echo "$obj" | jq -c '[.spec.size, .status.phase, .metadata.generation]')" "[1,\"Ready\",$gen]" \
		"status apply: spec untouched, generation unchanged"
	assert_eq "$(echo "$obj" | jq -r '.metadata.managedFields[] | select(.manager == "kc-agent") | .subresource')" \
		status "kc-agent's status apply recorded on the subresource"

	# a status merge patch, and a spec patch that carries a status change
	probe patch --status "$WIDGETS" "$ns" w1 '{"status":{"phase":"Failed"},"spec":{"size":7}}' >/dev/null
	probe patch "$WIDGETS" "$ns" w1 '{"spec":{"size":2},"status":{"phase":"Bogus"}}' >/dev/null
	obj=$(probe get "$WIDGETS" "$ns" w1)
	assert_eq "$(echo "$obj" | jq -c '[.spec.size, .status.phase, .metadata.generation]')" "[2,\"Failed\",$((gen + 1))]" \
		"status patch kept spec, spec patch kept status"
}

fin_list() { # NS NAME: the finalizers, sorted, space-separated
	k get configmap -n "$1" "$2" -o json | jq -r '.metadata.finalizers // [] | sort | join(" ")'
}

test_finalizers() {
	local ns i pids=()
	ns=$(k8s_ns kc)
	cm_json f | probe create configmaps "$ns" - >/dev/null
	probe add-finalizer configmaps "$ns" f test.bpfman.io/a
	probe add-finalizer configmaps "$ns" f test.bpfman.io/a # already there: 0, not twice
	assert_eq "$(fin_list "$ns" f)" test.bpfman.io/a "one finalizer"

	# writers at the same time: each read-modify-PUT that lost the race (409) retries, none
	# overwrites another's finalizer
	for i in 1 2 3 4 5 6; do
		probe add-finalizer configmaps "$ns" f "test.bpfman.io/p$i" &
		pids+=($!)
	done
	for i in "${pids[@]}"; do wait "$i" || fail "a concurrent add-finalizer failed"; done
	assert_eq "$(fin_list "$ns" f)" "test.bpfman.io/a test.bpfman.io/p1 test.bpfman.io/p2 test.bpfman.io/p3 test.bpfman.io/p4 test.bpfman.io/p5 test.bpfman.io/p6" \
		"all concurrent finalizers kept"

	# deletion waits for the finalizers
	probe delete configmaps "$ns" f
	[ -n "$(cm_field "$ns" f '{.metadata.deletionTimestamp}')" ] || fail "no deletionTimestamp"
	probe get configmaps "$ns" f >/dev/null
	expect_errno EINVAL 'Forbidden' probe add-finalizer configmaps "$ns" f test.bpfman.io/late
	for i in 1 2 3 4 5 6; do probe remove-finalizer configmaps "$ns" f "test.bpfman.io/p$i"; done
	probe remove-finalizer configmaps "$ns" f test.bpfman.io/p1 # already gone: 0
	assert_eq "$(fin_list "$ns" f)" test.bpfman.io/a "one left"
	probe get configmaps "$ns" f >/dev/null || fail "deleted while a finalizer remained"
	probe remove-finalizer configmaps "$ns" f test.bpfman.io/a
	wait_for 10 k_gone -n "$ns" configmap f
	expect_errno ENOENT 'not found' probe remove-finalizer configmaps "$ns" f test.bpfman.io/a
	expect_errno ENOENT 'not found' probe add-finalizer configmaps "$ns" nope test.bpfman.io/a
}

# wait_line SECONDS FILE REGEX: FILE (a background process's output) gets a matching line
wait_line() {
	wait_for "$1" grep -qE "$3" "$2"
}

# The informers below select label kc=t: the controller manager adds a kube-root-ca.crt
# ConfigMap to every new namespace, at a time of its choosing (long after an API server
# restart), which must not count as one of the test's events.
T='{"kc":"t"}'

test_informer_events() {
	local ns log pid
	ns=$(k8s_ns kc)
	cm_json pre "$T" | probe create configmaps "$ns" - >/dev/null
	start_bg inf probe informer configmaps "$ns" 3 60 kc=t
	pid=$BG_PID
	log=$(bg_log inf)
	wait_line 20 "$log" '^synced 1$'
	cm_json x "$T" | probe create configmaps "$ns" - >/dev/null
	wait_line 10 "$log" "^ADDED $ns/x [0-9]+$"
	probe patch configmaps "$ns" x '{"data":{"k":"v"}}' >/dev/null
	wait_line 10 "$log" "^MODIFIED $ns/x [0-9]+$"
	probe delete configmaps "$ns" x
	wait_line 10 "$log" "^DELETED $ns/x$"
	wait "$pid" || fail "informer probe failed: $(cat "$log")"
	assert_eq "$(grep -cE "^(ADDED|MODIFIED|DELETED) " "$log")" 3 "exactly the three changes"
	grep -q '^lists=1 ' "$log" || fail "listed more than once: $(cat "$log")"
}

test_informer_selector() {
	local ns log pid
	ns=$(k8s_ns kc)
	start_bg inf probe informer configmaps "$ns" 2 60 'app=sel'
	pid=$BG_PID
	log=$(bg_log inf)
	wait_line 20 "$log" '^synced 0$'
	cm_json other '{"app":"no"}' | probe create configmaps "$ns" - >/dev/null
	cm_json m '{"app":"sel"}' | probe create configmaps "$ns" - >/dev/null
	wait_line 10 "$log" "^ADDED $ns/m "
	# a label change that leaves the selector is a DELETED for this informer
	probe patch configmaps "$ns" m '{"metadata":{"labels":{"app":"gone"}}}' >/dev/null
	wait "$pid" || fail "informer probe failed: $(cat "$log")"
	grep -q "^DELETED $ns/m$" "$log" || fail "no DELETED for m: $(cat "$log")"
	! grep -q "$ns/other" "$log" || fail "the informer saw an object outside its selector"
}

test_informer_relist_after_apiserver_restart() {
	local ns log pid t0 t1
	ns=$(k8s_ns kc)
	cm_json before "$T" | probe create configmaps "$ns" - >/dev/null
	start_bg inf probe informer configmaps "$ns" 2 150 kc=t
	pid=$BG_PID
	log=$(bg_log inf)
	wait_line 20 "$log" '^synced 1$'
	# a write of another kind moves the cluster's resourceVersion past the informer's, so the
	# restarted API server's fresh watch cache answers its re-watch with 410 Gone
	probe create secrets "$ns" <(echo '{"apiVersion":"v1","kind":"Secret","metadata":{"name":"s"}}') >/dev/null
	t0=${EPOCHREALTIME/./}
	k8s_restart_apiserver
	t1=${EPOCHREALTIME/./}
	echo "# API server restart: $(((t1 - t0) / 1000)) ms"
	cm_json after "$T" | probe create configmaps "$ns" - >/dev/null
	wait_line 60 "$log" "^ADDED $ns/after "
	echo "# the informer saw an object made after the restart $(((${EPOCHREALTIME/./} - t1) / 1000)) ms after the API server was ready"
	probe delete configmaps "$ns" before
	wait "$pid" || fail "informer probe failed: $(cat "$log")"
	grep -q "^DELETED $ns/before$" "$log" || fail "no DELETED after the relist: $(cat "$log")"
	grep -qE '^lists=([2-9]|[1-9][0-9]+) ' "$log" || fail "no relist after the restart: $(cat "$log")"
	grep -E '^lists=' "$log" | sed 's/^/# /'
}

test_informer_stop_is_prompt() {
	local ns ms i
	ns=$(k8s_ns kc)
	for i in 1 2 3; do
		ms=$(probe stop-time configmaps "$ns" | sed -n 's/^stop ms=//p')
		[ -n "$ms" ] || fail "stop-time printed nothing"
		echo "# informer stop: $ms ms"
		[ "$ms" -lt $((1000 * TIME_SCALE)) ] || fail "stopping the informer took $ms ms"
	done
}

# kubeconfig_with NAME CLUSTER-LINES USER-LINES: a kubeconfig in the test's dir
kubeconfig_with() {
	local f=$KC_DIR/$1
	cat >"$f" <<KC
apiVersion: v1
kind: Config
current-context: t
contexts:
- name: t
  context: {cluster: c, user: u}
clusters:
- name: c
  cluster:
    server: $K8S_API
$2
users:
- name: u
  user:
$3
KC
	echo "$f"
}

kc_dir() {
	KC_DIR=$TEST_TMP/kc.$TEST_ID
	mkdir -p "$KC_DIR"
}

test_tls_and_credentials() {
	local kc b64
	kc_dir
	b64() { base64 -w0 "$1"; }
	# inline data: CA, client certificate and key as base64 (handed to libcurl as blobs)
	kc=$(kubeconfig_with data.yaml "    certificate-authority-data: $(b64 "$K8S_CA")" \
		"    client-certificate-data: $(b64 "$K8S_ADMIN_CERT")
    client-key-data: $(b64 "$K8S_ADMIN_KEY")")
	probe --kubeconfig "$kc" list namespaces - | grep_all -x default || fail "inline data kubeconfig"

	# relative file paths: relative to the kubeconfig's directory
	mkdir -p "$KC_DIR/sub/pki"
	cp "$K8S_CA" "$KC_DIR/sub/pki/ca.crt"
	cp "$K8S_ADMIN_CERT" "$KC_DIR/sub/pki/admin.crt"
	cp "$K8S_ADMIN_KEY" "$KC_DIR/sub/pki/admin.key"
	kc=$(kubeconfig_with sub/rel.yaml "    certificate-authority: pki/ca.crt" \
		"    client-certificate: pki/admin.crt
    client-key: pki/admin.key")
	(cd / && probe --kubeconfig "$kc" list namespaces -) | grep_all -x default || fail "relative paths"

	# a CA that did not sign the server's certificate
	openssl req -x509 -newkey rsa:2048 -nodes -keyout "$KC_DIR/other.key" -out "$KC_DIR/other.crt" \
		-days 1 -subj /CN=other-ca 2>/dev/null
	kc=$(kubeconfig_with wrongca.yaml "    certificate-authority: $KC_DIR/other.crt" \
		"    client-certificate: $K8S_ADMIN_CERT
    client-key: $K8S_ADMIN_KEY")
	expect_errno EIO 'not signed by the configured certificate-authority' \
		probe --kubeconfig "$kc" list namespaces -
	echo "# wrong CA: $OUT"
	# insecure-skip-tls-verify accepts it
	kc=$(kubeconfig_with insecure.yaml "    insecure-skip-tls-verify: true" \
		"    client-certificate: $K8S_ADMIN_CERT
    client-key: $K8S_ADMIN_KEY")
	probe --kubeconfig "$kc" list namespaces - | grep_all -x default || fail "insecure-skip-tls-verify"

	# no client certificate: anonymous is 403 (or 401): -EACCES with the server's message
	kc=$(kubeconfig_with anon.yaml "    certificate-authority: $K8S_CA" "    {}")
	expect_errno EACCES 'HTTP 40' probe --kubeconfig "$kc" list namespaces -
	# a token the server does not know: 401
	kc=$(kubeconfig_with badtoken.yaml "    certificate-authority: $K8S_CA" "    token: not-a-real-token")
	expect_errno EACCES 'HTTP 401' probe --kubeconfig "$kc" list namespaces -
	# a missing kubeconfig, and one without current-context
	expect_errno ENOENT "$KC_DIR/none.yaml" probe --kubeconfig "$KC_DIR/none.yaml" list namespaces -
	sed '/current-context/d' "$KC_DIR/insecure.yaml" >"$KC_DIR/nocontext.yaml"
	expect_errno EINVAL 'no current-context' probe --kubeconfig "$KC_DIR/nocontext.yaml" list namespaces -
	# the server is down: a transport error naming the URL
	kc=$(kubeconfig_with down.yaml "    certificate-authority: $K8S_CA" "    token: x")
	sed -i "s#server: .*#server: https://127.0.0.1:1#" "$kc"
	expect_errno EIO 'Could' probe --kubeconfig "$kc" list namespaces -
}

# A service account's bound token: as a kubeconfig tokenFile and as an in-cluster mount
# (token + ca.crt, KUBERNETES_SERVICE_HOST/PORT), with RBAC allowing configmaps in ns only.
test_service_account_token() {
	local ns sa port kc
	ns=$(k8s_ns kc)
	kc_dir
	sa=$KC_DIR/sa
	mkdir -p "$sa"
	k create serviceaccount -n "$ns" reader >/dev/null
	k create role -n "$ns" cm-reader --verb=get,list,watch --resource=configmaps >/dev/null
	k create rolebinding -n "$ns" cm-reader --role=cm-reader --serviceaccount="$ns:reader" >/dev/null
	k create token -n "$ns" reader --duration=10m >"$sa/token"
	cp "$K8S_CA" "$sa/ca.crt"
	cm_json visible | probe create configmaps "$ns" - >/dev/null

	kc=$(kubeconfig_with tokfile.yaml "    certificate-authority: $K8S_CA" "    tokenFile: sa/token")
	wait_for 10 probe --kubeconfig "$kc" get configmaps "$ns" visible
	expect_errno EACCES 'forbidden' probe --kubeconfig "$kc" list namespaces -

	port=${K8S_API##*:}
	in_pod() { env KUBERNETES_SERVICE_HOST=127.0.0.1 KUBERNETES_SERVICE_PORT="$port" "$TESTS_HELPERS/kube-probe" --in-cluster-dir "$sa" "$@"; }
	in_pod list configmaps "$ns" | grep_all -x visible || fail "in-cluster list"
	# a rotated token file is read by the next request: a bad one is refused (401)
	echo bogus >"$sa/token.new"
	mv "$sa/token.new" "$sa/token"
	expect_errno EACCES 'HTTP 401' in_pod list configmaps "$ns"
	expect_errno ENOENT 'KUBERNETES_SERVICE_HOST' env -u KUBERNETES_SERVICE_HOST \
		"$TESTS_HELPERS/kube-probe" --in-cluster-dir "$sa" list configmaps "$ns"
}

# One client used by several threads at once (each request its own pooled handle), and one
# kept across an API server restart: its pooled connections are dead then, the next requests
# must still work.
test_threads_and_reused_connections() {
	local ns out log pid
	ns=$(k8s_ns kc)
	cm_json shared | probe create configmaps "$ns" - >/dev/null
	out=$(probe bench configmaps "$ns" shared 50 4)
	echo "# 4 threads x 50 GETs: $out"
	assert_contains "$out" "gets=200 " "all GETs made"
	assert_contains "$out" "failed=0" "no GET failed"
	echo "# 1 thread: $(probe bench configmaps "$ns" shared 100)"

	start_bg poll probe poll configmaps "$ns" shared 25
	pid=$BG_PID
	log=$(bg_log poll)
	sleep 1
	k8s_restart_apiserver
	wait "$pid" || fail "poll failed: $(cat "$log")"
	echo "# polled across the restart: $(cat "$log")"
	grep -q 'last=ok$' "$log" || fail "requests after the restart failed: $(cat "$log")"
}
