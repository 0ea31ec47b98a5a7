# Loading from OCI images and the image cache, against the real registry (docker-registry)
# with images written by an independent tool (tests/helpers/make-oci-image.py) and pushed
# by skopeo. Each test starts its own registry; every failure must leave nothing behind: no
# program, no pin, no record, no cache blob.
. "$HERE/registry-lib.sh"

MAKE_IMAGE="$HERE/../helpers/make-oci-image.py"
CACHE="$BPFMAN_ROOT/var/cache/bpfman"
TP_LABEL='{"tracepoint_counter":"tracepoint","kprobe_counter":"kprobe"}'

# The peers: a real registry and skopeo (the qemu guests get both, tests/vm/run-vm.sh).
need_image_tools() {
	command -v docker-registry >/dev/null || skip "docker-registry is not installed (scripts/install-deps.sh test)"
	command -v skopeo >/dev/null || skip "skopeo is not installed (scripts/install-deps.sh test)"
}

# push_image REPO:TAG [make-oci-image.py options...]: writes the image and pushes it to
# $REG (with $PUSH_CREDS when set); prints the digest the registry has for it
push_image() {
	local ref=$1 dir creds=()
	shift
	dir=$(mktemp -d "$TEST_TMP/oci-$TEST_ID.XXXXXX")
	/usr/bin/python3 "$MAKE_IMAGE" --out "$dir" --tag t "$@" >/dev/null || fail "make-oci-image.py $*"
	[ -n "${PUSH_CREDS:-}" ] && creds=(--dest-creds "$PUSH_CREDS")
	skopeo copy -q --all --dest-tls-verify=false "${creds[@]}" "oci:$dir:t" "docker://$REG/$ref" ||
		fail "skopeo could not push $ref"
	creds=()
	[ -n "${PUSH_CREDS:-}" ] && creds=(--creds "$PUSH_CREDS")
	skopeo inspect --raw --tls-verify=false "${creds[@]}" "docker://$REG/$ref" | sha256sum |
		awk '{print "sha256:" $1}'
	rm -rf "${dir:?}"
}

cache_blobs() { find "$CACHE/blobs" -type f 2>/dev/null | sort; }
cache_tmp_count() { find "$CACHE/tmp" -type f 2>/dev/null | wc -l; }

# Nothing of a failed load: no program, no pin, no record, the cache as it was ($1: the
# blob list before), no partial download
assert_nothing_left() {
	assert_clean_state
	assert_eq "$(cache_blobs)" "$1" "cache blobs after a failure"
	assert_eq "$(cache_tmp_count)" 0 "temp files in the cache"
}

test_load_image_counter_runs() {
	require_feature tracepoint
	need_image_tools
	start_registry
	local digest id json out link before after
	digest=$(push_image ebpf/counters:v1 --object "$COUNTERS_OBJ" --programs "$TP_LABEL")
	json=$(bpfman load image --image-url "$REG/ebpf/counters:v1" \
		--programs tracepoint:tracepoint_counter -a imgdemo -o json)
	id=$(echo "$json" | jq -r '.[0].kernel.id')
	assert_kernel_prog "$id"
	# the record: the image's reference, policy and digest; no path (not a cache blob's)
	assert_eq "$(echo "$json" | jq -r '.[0].bpfman.image_url')" "$REG/ebpf/counters:v1" "image_url"
	assert_eq "$(echo "$json" | jq -r '.[0].bpfman.path')" null "no path"
	assert_eq "$(echo "$json" | jq -r '.[0].bpfman.image_digest')" "$digest" "digest"
	out=$(bpfman get program "$id")
	assert_contains "$out" " Image URL:     $REG/ebpf/counters:v1" "get: Image URL"
	assert_contains "$out" " Pull Policy:   IfNotPresent" "get: Pull Policy"
	assert_contains "$out" " Image Digest:  $digest" "get: digest"
	! grep -q "^ Path:" <<<"$out" || fail "get shows a path for an image: $out"
	assert_eq "$(bpfman get program "$id" -o json | jq -r .bpfman.pull_policy)" IfNotPresent "json policy"
	# the program runs: a counter moves
	link=$(bpfman attach "$id" tracepoint -t syscalls/sys_enter_getpid | awk '/Link ID/ {print $3}')
	before=$(counter "$id" $SLOT_TRACEPOINT)
	trigger getpid 50
	after=$(counter "$id" $SLOT_TRACEPOINT)
	[ $((after - before)) -ge 50 ] || fail "counter moved $before -> $after"
	bpfman detach "$link"
	bpfman unload "$id"
	assert_clean_state
	# the image stays cached
	assert_eq "$(bpfman image list -o json | jq -r '.[0].digest')" "$digest" "cached image"
}

test_if_not_present_uses_cache_offline() {
	require_feature tracepoint
	need_image_tools
	start_registry
	local id blobs
	push_image ebpf/counters:v1 --object "$COUNTERS_OBJ" --programs "$TP_LABEL" >/dev/null
	bpfman image pull -i "$REG/ebpf/counters:v1" >/dev/null
	# (its `wait` answers 143 for the killed registry, which set -e would take for a failure)
	stop_registry || true
	id=$(bpfman load image -i "$REG/ebpf/counters:v1" -p IfNotPresent \
		--programs tracepoint:tracepoint_counter -o json | jq -r '.[0].kernel.id')
	assert_kernel_prog "$id"
	bpfman unload "$id"
	# Never too
	id=$(bpfman load image -i "$REG/ebpf/counters:v1" -p Never \
		--programs tracepoint:tracepoint_counter -o json | jq -r '.[0].kernel.id')
	assert_kernel_prog "$id"
	bpfman unload "$id"
	# Always needs the registry, which is gone: a clean failure
	blobs=$(cache_blobs)
	expect_fail bpfman load image -i "$REG/ebpf/counters:v1" -p Always \
		--programs tracepoint:tracepoint_counter
	assert_contains "$OUT" "$REG" "Always offline names the registry"
	assert_nothing_left "$blobs"
	assert_eq "$(bpfman image list -o json | jq length)" 1 "cached image kept"
}

test_never_fails_when_not_cached() {
	need_image_tools
	start_registry
	push_image ebpf/counters:v1 --object "$COUNTERS_OBJ" --programs "$TP_LABEL" >/dev/null
	expect_fail bpfman load image -i "$REG/ebpf/counters:v1" -p Never \
		--programs tracepoint:tracepoint_counter
	assert_contains "$OUT" "image $REG/ebpf/counters:v1 is not in the cache and the pull policy is Never" "Never"
	assert_nothing_left ""
	expect_fail bpfman image pull -i "$REG/ebpf/counters:v1" -p Never
	assert_contains "$OUT" "pull policy is Never" "image pull Never"
	assert_nothing_left ""
}

test_function_not_in_labels() {
	need_image_tools
	start_registry
	push_image ebpf/counters:v1 --object "$COUNTERS_OBJ" \
		--programs '{"tracepoint_counter":"tracepoint"}' >/dev/null
	expect_fail bpfman load image -i "$REG/ebpf/counters:v1" --programs kprobe:kprobe_counter
	assert_contains "$OUT" "function 'kprobe_counter' is not in image $REG/ebpf/counters:v1" "missing function named"
	assert_contains "$OUT" "lists tracepoint_counter" "what the image has"
	# checked before anything was downloaded
	assert_nothing_left ""
	# and when the image is cached already
	bpfman image pull -i "$REG/ebpf/counters:v1" >/dev/null
	local blobs
	blobs=$(cache_blobs)
	expect_fail bpfman load image -i "$REG/ebpf/counters:v1" --programs kprobe:kprobe_counter
	assert_contains "$OUT" "function 'kprobe_counter' is not in image" "cached: missing function"
	assert_nothing_left "$blobs"
}

test_unknown_image_and_bad_reference() {
	need_image_tools
	start_registry
	expect_fail bpfman load image -i "$REG/ebpf/nothing:v1" --programs tracepoint:tracepoint_counter
	assert_contains "$OUT" "does not exist" "unknown image"
	expect_fail bpfman load image -i "$REG/Ebpf/UPPER:v1" --programs tracepoint:tracepoint_counter
	assert_contains "$OUT" "Ebpf" "bad reference names the part"
	expect_fail bpfman load image -i "$REG/ebpf/x:v1" -p Sometimes --programs tracepoint:tracepoint_counter
	assert_contains "$OUT" "invalid pull policy 'Sometimes'" "bad policy"
	assert_nothing_left ""
}

test_refuses_images_that_are_not_bytecode() {
	need_image_tools
	start_registry
	push_image ebpf/plain-tar:v1 --object "$COUNTERS_OBJ" --programs "$TP_LABEL" \
		--layer-media-type application/vnd.oci.image.layer.v1.tar >/dev/null
	push_image ebpf/two:v1 --object "$COUNTERS_OBJ" --programs "$TP_LABEL" --layers 2 >/dev/null
	expect_fail bpfman load image -i "$REG/ebpf/plain-tar:v1" --programs tracepoint:tracepoint_counter
	assert_contains "$OUT" "media type 'application/vnd.oci.image.layer.v1.tar'" "uncompressed layer"
	expect_fail bpfman image pull -i "$REG/ebpf/two:v1"
	assert_contains "$OUT" "has 2 layers" "two layers"
	assert_nothing_left ""
}

test_index_picks_the_host_platform() {
	require_feature tracepoint
	need_image_tools
	start_registry
	local arch digest id
	case $(uname -m) in x86_64) arch=amd64 ;; aarch64) arch=arm64/v8 ;; *) skip "no index test for $(uname -m)" ;; esac
	digest=$(push_image ebpf/multi:v1 --object "$COUNTERS_OBJ" --programs "$TP_LABEL" \
		--index --platform linux/s390x --platform "linux/$arch")
	id=$(bpfman load image -i "$REG/ebpf/multi:v1" --programs tracepoint:tracepoint_counter \
		-o json | jq -r '.[0].kernel.id')
	assert_kernel_prog "$id"
	# the record names what the reference resolved to: the index
	assert_eq "$(bpfman get program "$id" -o json | jq -r .bpfman.image_digest)" "$digest" "index digest"
	assert_ne "$(bpfman image list -o json | jq -r '.[0].image_digest')" "$digest" "platform manifest"
	bpfman unload "$id"
	assert_clean_state
}

test_basic_auth_with_registry_auth() {
	require_feature tracepoint
	need_image_tools
	start_registry --htpasswd alice:s3cret-pw
	local id b64
	PUSH_CREDS=alice:s3cret-pw push_image ebpf/private:v1 --object "$COUNTERS_OBJ" \
		--programs "$TP_LABEL" >/dev/null
	# anonymous: refused, nothing left
	expect_fail bpfman load image -i "$REG/ebpf/private:v1" --programs tracepoint:tracepoint_counter
	assert_contains "$OUT" "requires authentication" "anonymous pull of a private image"
	assert_nothing_left ""
	b64=$(printf 'alice:wrong' | base64 -w0)
	expect_fail bpfman image pull -i "$REG/ebpf/private:v1" -r "$b64"
	assert_nothing_left ""
	expect_fail bpfman image pull -i "$REG/ebpf/private:v1" -r 'not base64!'
	assert_contains "$OUT" "expected base64 of USERNAME:PASSWORD" "bad -r"
	b64=$(printf 'alice:s3cret-pw' | base64 -w0)
	id=$(bpfman load image -i "$REG/ebpf/private:v1" -r "$b64" -p Always \
		--programs tracepoint:tracepoint_counter -o json | jq -r '.[0].kernel.id')
	assert_kernel_prog "$id"
	bpfman image pull -i "$REG/ebpf/private:v1" -r "$b64" -p Always >/dev/null
	# credentials are never written anywhere under the root (database, cache)
	! grep -rqa "s3cret-pw" "$BPFMAN_ROOT/run/bpfman/db" "$CACHE" || fail "the password was stored"
	! grep -rqa "$b64" "$BPFMAN_ROOT/run/bpfman/db" "$CACHE" || fail "the credentials were stored"
	bpfman unload "$id"
	assert_clean_state
}

test_two_pulls_at_once() {
	need_image_tools
	start_registry
	local digest p1 p2 rc1 rc2
	# a layer big enough that both pulls are in flight together
	digest=$(push_image ebpf/big:v1 --object "$COUNTERS_OBJ" --programs "$TP_LABEL" --pad-mib 8)
	bpfman image pull -i "$REG/ebpf/big:v1" -p Always >"$TEST_TMP/p1-$TEST_ID" 2>&1 &
	p1=$!
	bpfman image pull -i "$REG/ebpf/big:v1" -p Always >"$TEST_TMP/p2-$TEST_ID" 2>&1 &
	p2=$!
	PIDS_STARTED+=("$p1" "$p2")
	wait "$p1" && rc1=0 || rc1=$?
	wait "$p2" && rc2=0 || rc2=$?
	assert_eq "$rc1" 0 "first pull: $(cat "$TEST_TMP/p1-$TEST_ID")"
	assert_eq "$rc2" 0 "second pull: $(cat "$TEST_TMP/p2-$TEST_ID")"
	assert_eq "$(bpfman image list -o json | jq length)" 1 "one cached reference"
	assert_eq "$(bpfman image list -o json | jq -r '.[0].digest')" "$digest" "its digest"
	# manifest, config, layer, object: each once
	assert_eq "$(cache_blobs | wc -l)" 4 "blobs"
	assert_eq "$(cache_tmp_count)" 0 "temp files"
	rm -f "$TEST_TMP/p1-$TEST_ID" "$TEST_TMP/p2-$TEST_ID"
}

test_image_list_and_rm() {
	need_image_tools
	start_registry
	local d1 d2 out
	d1=$(push_image ebpf/counters:v1 --object "$COUNTERS_OBJ" --programs "$TP_LABEL")
	d2=$(push_image ebpf/other:v2 --object "$(obj xdp_pass.bpf.o)" --programs '{"xdp_pass":"xdp"}')
	bpfman image pull -i "$REG/ebpf/counters:v1" >/dev/null
	out=$(bpfman image pull -i "$REG/ebpf/other:v2")
	assert_contains "$out" "$d2" "pull prints the digest"
	out=$(bpfman image list)
	assert_contains "$out" "$REG/ebpf/counters:v1" "list: first"
	assert_contains "$out" "$REG/ebpf/other:v2" "list: second"
	assert_contains "$out" "tracepoint:tracepoint_counter" "list: programs"
	assert_eq "$(bpfman image list -o json | jq -r 'map(.ref) | sort | join(" ")')" \
		"$REG/ebpf/counters:v1 $REG/ebpf/other:v2" "json refs"
	# rm by reference (as pulled), then by digest
	bpfman image rm "$REG/ebpf/counters:v1"
	assert_eq "$(bpfman image list -o json | jq -r '.[].ref')" "$REG/ebpf/other:v2" "after rm by ref"
	bpfman image rm "$d2"
	assert_eq "$(bpfman image list -o json | jq length)" 0 "after rm by digest"
	assert_eq "$(cache_blobs)" "" "no blob left"
	expect_fail bpfman image rm "$REG/ebpf/counters:v1"
	assert_contains "$OUT" "not in the cache" "rm of an absent image"
	# the cache lives under --root too
	[ -d "$BPFMAN_ROOT/var/cache/bpfman" ] || fail "no cache under the root"
}

test_unsigned_images_per_signing_config() {
	require_feature tracepoint
	need_image_tools
	start_registry
	local id
	push_image ebpf/counters:v1 --object "$COUNTERS_OBJ" --programs "$TP_LABEL" >/dev/null
	mkdir -p "$BPFMAN_ROOT/etc/bpfman"
	printf '[signing]\nverify_enabled = true\nallow_unsigned = false\n' >"$BPFMAN_ROOT/etc/bpfman/bpfman.toml"
	expect_fail bpfman load image -i "$REG/ebpf/counters:v1" --programs tracepoint:tracepoint_counter
	assert_contains "$OUT" "is not signed" "unsigned refused"
	assert_nothing_left ""
	# the defaults: accepted, with a warning
	rm "$BPFMAN_ROOT/etc/bpfman/bpfman.toml"
	OUT=$(bpfman load image -i "$REG/ebpf/counters:v1" --programs tracepoint:tracepoint_counter -o json 2>"$TEST_TMP/w-$TEST_ID")
	id=$(echo "$OUT" | jq -r '.[0].kernel.id')
	assert_kernel_prog "$id"
	assert_contains "$(cat "$TEST_TMP/w-$TEST_ID")" "is not signed" "warning for an unsigned image"
	rm -f "$TEST_TMP/w-$TEST_ID"
	bpfman unload "$id"
	# verification off: no warning either
	printf '[signing]\nverify_enabled = false\nallow_unsigned = false\n' >"$BPFMAN_ROOT/etc/bpfman/bpfman.toml"
	bpfman image pull -i "$REG/ebpf/counters:v1" -p Always >/dev/null 2>"$TEST_TMP/w-$TEST_ID"
	! grep -q "not signed" "$TEST_TMP/w-$TEST_ID" || fail "warning with verification off"
	rm -f "$TEST_TMP/w-$TEST_ID"
	assert_clean_state
}

test_xdp_counter_example_takes_image() {
	need_image_tools
	local ex="$TOP/build/examples/xdp-counter" rpc="$TOP/build/src/rpc/bpfman-rpc"
	[ -x "$ex" ] && [ -x "$rpc" ] || skip "examples or bpfman-rpc not built"
	start_registry
	local sock="$BPFMAN_ROOT/rpc.sock" out="$TEST_TMP/ex-$TEST_ID" pid last
	push_image bpfman-bytecode/go-xdp-counter:latest --object "$TOP/build/examples/xdp-counter.bpf.o" \
		--programs '{"xdp_counter":"xdp"}' >/dev/null
	make_veth_pair
	BPFMAN_ROOT=$BPFMAN_ROOT "$rpc" --socket-path "$sock" >"$TEST_TMP/rpc-$TEST_ID" 2>&1 &
	PIDS_STARTED+=("$!")
	for _ in $(seq 100); do [ -S "$sock" ] && break; sleep 0.1; done
	[ -S "$sock" ] || fail "bpfman-rpc did not start: $(cat "$TEST_TMP/rpc-$TEST_ID")"
	# as the reference's go-xdp-counter -iface IFACE -image URL
	timeout 60 "$ex" -socket "$sock" -iface "$IF_A" -netns "/run/netns/$NS_A" \
		-image "$REG/bpfman-bytecode/go-xdp-counter:latest" -count 4 -interval 1 >"$out" 2>&1 &
	pid=$!
	PIDS_STARTED+=("$pid")
	for _ in $(seq 100); do grep -q "^Attached" "$out" && break; sleep 0.1; done
	grep -q "^Attached" "$out" || fail "xdp-counter -image did not attach: $(cat "$out")"
	ip netns exec "$NS_B" ping -c 5 -i 0.2 -W 2 -q 192.0.2.1 >/dev/null || true
	wait "$pid" || fail "xdp-counter -image failed: $(cat "$out")"
	assert_contains "$(cat "$out")" "Loaded xdp_counter" "loaded from the image"
	last=$(grep -E ': [0-9]+ packets' "$out" | tail -1)
	[ "$(echo "$last" | grep -oE '[0-9]+ packets' | cut -d' ' -f1)" -ge 5 ] ||
		fail "the counter did not move: $(cat "$out")"
	rm -f "$out" "$TEST_TMP/rpc-$TEST_ID"
	assert_clean_state
}

# Signed images through a load: the signature made independently (cosign-tool.py: the
# openssl CLI, the classic .sig format), checked with [signing] trusted_keys.
test_signed_images_through_load() {
	require_feature tracepoint
	need_image_tools
	start_registry
	local tool="$HERE/cosign-tool.py" k="$REG_DIR/keys" digest id conf="$BPFMAN_ROOT/etc/bpfman/bpfman.toml"
	mkdir -p "$k" "$BPFMAN_ROOT/etc/bpfman"
	openssl ecparam -name prime256v1 -genkey -noout -out "$k/ec.key" 2>/dev/null
	openssl ec -in "$k/ec.key" -pubout -out "$k/ec.pub" 2>/dev/null
	openssl ecparam -name prime256v1 -genkey -noout -out "$k/other.key" 2>/dev/null
	openssl ec -in "$k/other.key" -pubout -out "$k/other.pub" 2>/dev/null
	digest=$(push_image ebpf/signed:v1 --object "$COUNTERS_OBJ" --programs "$TP_LABEL")
	/usr/bin/python3 "$tool" classic "$REG" ebpf/signed "$digest" "$k/ec.key" >/dev/null ||
		fail "cosign-tool could not sign"
	# a trusted signature: accepted, also where unsigned images are refused, no warning
	printf '[signing]\nallow_unsigned = false\ntrusted_keys = ["%s"]\n' "$k/ec.pub" >"$conf"
	OUT=$(bpfman load image -i "$REG/ebpf/signed:v1" --programs tracepoint:tracepoint_counter -o json 2>"$REG_DIR/err")
	id=$(echo "$OUT" | jq -r '.[0].kernel.id')
	assert_kernel_prog "$id"
	! grep -q "not signed" "$REG_DIR/err" || fail "warning for a signed image: $(cat "$REG_DIR/err")"
	bpfman unload "$id"
	bpfman image rm "$REG/ebpf/signed:v1"
	# a signature by a key that is not trusted is refused, even with allow_unsigned
	printf '[signing]\nallow_unsigned = true\ntrusted_keys = ["%s"]\n' "$k/other.pub" >"$conf"
	expect_fail bpfman load image -i "$REG/ebpf/signed:v1" --programs tracepoint:tracepoint_counter
	assert_contains "$OUT" "no trusted key verifies" "untrusted signer refused"
	assert_nothing_left ""
	# a tampered signature is refused, even with allow_unsigned
	printf '[signing]\nallow_unsigned = true\ntrusted_keys = ["%s"]\n' "$k/ec.pub" >"$conf"
	/usr/bin/python3 "$tool" tamper "$REG" ebpf/signed "$digest" signature
	expect_fail bpfman load image -i "$REG/ebpf/signed:v1" --programs tracepoint:tracepoint_counter
	assert_contains "$OUT" "no trusted key verifies" "tampered signature refused"
	assert_nothing_left ""
	# verification off: accepted as it is
	printf '[signing]\nverify_enabled = false\n' >"$conf"
	id=$(bpfman load image -i "$REG/ebpf/signed:v1" --programs tracepoint:tracepoint_counter -o json |
		jq -r '.[0].kernel.id')
	assert_kernel_prog "$id"
	bpfman unload "$id"
	assert_clean_state
}
