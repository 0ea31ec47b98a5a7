# cosign signatures against a real registry (Debian's docker-registry): `bpfman image sign`
# and `bpfman image verify`, cross-checked with signatures made independently by the openssl
# CLI (tests/integration/cosign-tool.py: the classic .sig format and cosign 3's bundle under
# the referrers fallback tag), and our signatures checked by the openssl CLI.
. "$(dirname "${BASH_SOURCE[0]}")/registry-lib.sh"

TOOL="$(dirname "${BASH_SOURCE[0]}")/cosign-tool.py"

# sign_setup: a registry with one image (REF, its DIGEST), keys in $K: ec (trusted), ed
# (Ed25519, trusted), other (EC, not trusted), each KEY.key and KEY.pub.
sign_setup() {
	command -v skopeo >/dev/null || skip "skopeo is not installed"
	start_registry
	K="$REG_DIR/keys"
	mkdir -p "$K" "$REG_DIR/layout"
	openssl ecparam -name prime256v1 -genkey -noout -out "$K/ec.key" 2>/dev/null
	openssl ec -in "$K/ec.key" -pubout -out "$K/ec.pub" 2>/dev/null
	openssl genpkey -algorithm ed25519 -out "$K/ed.key"
	openssl pkey -in "$K/ed.key" -pubout -out "$K/ed.pub"
	openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$K/other.key" 2>/dev/null
	openssl pkey -in "$K/other.key" -pubout -out "$K/other.pub"
	DIGEST=$(/usr/bin/python3 "$TOOL" layout "$REG_DIR/layout" v1)
	skopeo copy -q --dest-tls-verify=false "oci:$REG_DIR/layout:v1" "docker://$REG/ebpf/signed:v1" >/dev/null
	REF="$REG/ebpf/signed:v1"
	assert_eq "$(skopeo inspect --tls-verify=false "docker://$REF" | jq -r .Digest)" "$DIGEST" \
		"the pushed image keeps the layout's digest"
}

# The test's own digest for "another image".
OTHER_DIGEST=sha256:fedcba9876543210fedcba9876543210fedcba9876543210fedcba9876543210

# verify_refused MESSAGE-PART ARGS...: bpfman image verify fails naming the reason
verify_refused() {
	local why=$1
	shift
	expect_fail bpfman image verify "$@" "$REF"
	assert_contains "$OUT" "$why" "verify's message"
}

test_sign_then_verify() {
	sign_setup
	OUT=$(bpfman image sign --key "$K/ec.key" "$REF")
	assert_contains "$OUT" "$DIGEST" "sign names the digest"
	OUT=$(bpfman image verify --key "$K/ec.pub" "$REF")
	assert_contains "$OUT" "verified" "verify accepts our signature"
	# by digest too, and in JSON
	OUT=$(bpfman image verify --key "$K/ec.pub" -o json "$REG/ebpf/signed@$DIGEST")
	assert_eq "$(echo "$OUT" | jq -r .result)" verified "JSON result"
	assert_eq "$(echo "$OUT" | jq -r .digest)" "$DIGEST" "JSON digest"
	# our signature as the openssl CLI sees it: the payload of the fact sheet, DER ECDSA
	mkdir -p "$REG_DIR/fetched"
	assert_eq "$(/usr/bin/python3 "$TOOL" fetch-classic "$REG" ebpf/signed "$DIGEST" "$REG_DIR/fetched")" 1 \
		"one signature layer"
	openssl dgst -sha256 -verify "$K/ec.pub" -signature "$REG_DIR/fetched/0.sig" \
		"$REG_DIR/fetched/0.payload" >/dev/null || fail "openssl does not verify our signature"
	assert_eq "$(cat "$REG_DIR/fetched/0.payload")" \
		"{\"critical\":{\"identity\":{\"docker-reference\":\"$REG/ebpf/signed\"},\"image\":{\"docker-manifest-digest\":\"$DIGEST\"},\"type\":\"cosign container image signature\"},\"optional\":null}" \
		"the payload cosign writes, byte for byte"
}

test_sign_appends() {
	sign_setup
	bpfman image sign --key "$K/ec.key" "$REF" >/dev/null
	bpfman image sign --key "$K/ed.key" "$REF" >/dev/null
	assert_eq "$(/usr/bin/python3 "$TOOL" fetch-classic "$REG" ebpf/signed "$DIGEST" "$REG_DIR")" 2 \
		"a second signature is a second layer"
	openssl pkeyutl -verify -pubin -inkey "$K/ed.pub" -rawin -in "$REG_DIR/1.payload" \
		-sigfile "$REG_DIR/1.sig" >/dev/null || fail "openssl does not verify our Ed25519 signature"
	bpfman image verify --key "$K/ed.pub" "$REF" >/dev/null
	bpfman image verify --key "$K/ec.pub" "$REF" >/dev/null
	verify_refused "no trusted key verifies" --key "$K/other.pub"
}

test_tampered_payload() {
	sign_setup
	bpfman image sign --key "$K/ec.key" "$REF" >/dev/null
	/usr/bin/python3 "$TOOL" tamper "$REG" ebpf/signed "$DIGEST" payload
	verify_refused "signature refused" --key "$K/ec.pub"
	assert_contains "$OUT" "no trusted key verifies" "why"
}

test_tampered_signature() {
	sign_setup
	bpfman image sign --key "$K/ec.key" "$REF" >/dev/null
	/usr/bin/python3 "$TOOL" tamper "$REG" ebpf/signed "$DIGEST" signature
	verify_refused "no trusted key verifies" --key "$K/ec.pub"
}

test_untrusted_key() {
	sign_setup
	bpfman image sign --key "$K/other.key" "$REF" >/dev/null
	verify_refused "no trusted key verifies" --key "$K/ec.pub" --key "$K/ed.pub"
}

test_other_digest() {
	sign_setup
	# a valid signature by a trusted key, for another image, put under this image's tag
	/usr/bin/python3 "$TOOL" classic "$REG" ebpf/signed "$DIGEST" "$K/ec.key" --names "$OTHER_DIGEST"
	verify_refused "not for $DIGEST" --key "$K/ec.pub"
	assert_contains "$OUT" "$OTHER_DIGEST" "the digest it names"
	# one valid signature beside it is enough (as cosign: at least one layer passes)
	/usr/bin/python3 "$TOOL" classic "$REG" ebpf/signed "$DIGEST" "$K/ec.key" --append
	bpfman image verify --key "$K/ec.pub" "$REF" >/dev/null
}

test_unsigned() {
	sign_setup
	OUT=$(bpfman image verify --key "$K/ec.pub" -o json "$REF" 2>/dev/null) && fail "unsigned accepted"
	assert_eq "$(echo "$OUT" | jq -r .result)" unsigned "JSON result"
	verify_refused "is not signed" --key "$K/ec.pub"
}

test_handmade_classic() {
	sign_setup
	/usr/bin/python3 "$TOOL" classic "$REG" ebpf/signed "$DIGEST" "$K/ec.key"
	bpfman image verify --key "$K/ec.pub" "$REF" >/dev/null
	verify_refused "no trusted key verifies" --key "$K/other.pub"
}

test_handmade_classic_ed25519() {
	sign_setup
	/usr/bin/python3 "$TOOL" classic "$REG" ebpf/signed "$DIGEST" "$K/ed.key"
	bpfman image verify --key "$K/ed.pub" "$REF" >/dev/null
	verify_refused "no trusted key verifies" --key "$K/ec.pub"
}

test_bundle_fallback_tag() {
	sign_setup
	/usr/bin/python3 "$TOOL" bundle "$REG" ebpf/signed "$DIGEST" "$K/ec.key"
	# no .sig tag: only the bundle, reached through the sha256-<hex> index
	expect_fail skopeo inspect --tls-verify=false "docker://$REG/ebpf/signed:sha256-${DIGEST#sha256:}.sig"
	OUT=$(bpfman image verify --key "$K/ec.pub" "$REF")
	assert_contains "$OUT" verified "a bundle signed with a trusted key"
	verify_refused "no trusted key verifies" --key "$K/other.pub"
}

test_bundle_other_subject() {
	sign_setup
	/usr/bin/python3 "$TOOL" bundle "$REG" ebpf/signed "$DIGEST" "$K/ed.key" --subject "$OTHER_DIGEST"
	verify_refused "not for $DIGEST" --key "$K/ed.pub"
}

test_bundle_keyless() {
	sign_setup
	/usr/bin/python3 "$TOOL" bundle "$REG" ebpf/signed "$DIGEST" "$K/ec.key" --keyless
	verify_refused "keyless" --key "$K/ec.pub"
	assert_contains "$OUT" "internet" "says why it cannot be checked"
}

test_verify_config_keys() {
	sign_setup
	bpfman image sign --key "$K/ed.key" "$REF" >/dev/null
	verify_refused "no key to verify with"
	mkdir -p "$BPFMAN_ROOT/etc/bpfman"
	printf '[signing]\ntrusted_keys = ["%s", "%s"]\n' "$K/ec.pub" "$K/ed.pub" \
		>"$BPFMAN_ROOT/etc/bpfman/bpfman.toml"
	OUT=$(bpfman image verify "$REF")
	assert_contains "$OUT" verified "the configured keys are used"
	printf '[signing]\ntrusted_keys = ["%s"]\n' "$K/other.pub" >"$BPFMAN_ROOT/etc/bpfman/bpfman.toml"
	verify_refused "no trusted key verifies"
}

test_sign_bad_input() {
	sign_setup
	# an encrypted PKCS#8 key: its password only through the environment
	openssl pkcs8 -topk8 -v2 aes-256-cbc -in "$K/ec.key" -passout pass:s3cret -out "$K/enc.key"
	expect_fail bpfman image sign --key "$K/enc.key" "$REF"
	assert_contains "$OUT" "--password-env" "asks for the password"
	expect_fail env KEYPW=wrong "$BPFMAN" image sign --key "$K/enc.key" --password-env KEYPW "$REF"
	assert_contains "$OUT" "wrong password" "wrong password"
	OUT=$(KEYPW=s3cret bpfman image sign --key "$K/enc.key" --password-env KEYPW "$REF")
	case "$OUT" in *s3cret*) fail "the password is echoed" ;; esac
	bpfman image verify --key "$K/ec.pub" "$REF" >/dev/null
	# not a private key, and cosign's own key format (refused: it needs NaCl, not in OpenSSL)
	expect_fail bpfman image sign --key "$K/ec.pub" "$REF"
	assert_contains "$OUT" "not a PEM private key" "a public key"
	printf -- '-----BEGIN ENCRYPTED SIGSTORE PRIVATE KEY-----\neyJrZGYiOnt9fQ==\n-----END ENCRYPTED SIGSTORE PRIVATE KEY-----\n' >"$K/cosign.key"
	expect_fail env COSIGN_PASSWORD=x "$BPFMAN" image sign --key "$K/cosign.key" --password-env COSIGN_PASSWORD "$REF"
	assert_contains "$OUT" "cosign's own encrypted key format" "cosign.key"
	# an image that is not there is not signed
	expect_fail bpfman image sign --key "$K/ec.key" "$REG/ebpf/signed:nope"
	assert_eq "$(skopeo list-tags --tls-verify=false "docker://$REG/ebpf/signed" | jq -r '.Tags | length')" 2 \
		"v1 and one .sig tag, nothing else"
}

test_sign_with_basic_auth() {
	command -v skopeo >/dev/null || skip "skopeo is not installed"
	start_registry --htpasswd alice:s3cret-pw
	K="$REG_DIR/keys"
	mkdir -p "$K" "$REG_DIR/layout"
	openssl genpkey -algorithm ed25519 -out "$K/ed.key"
	openssl pkey -in "$K/ed.key" -pubout -out "$K/ed.pub"
	DIGEST=$(/usr/bin/python3 "$TOOL" layout "$REG_DIR/layout" v1)
	skopeo copy -q --dest-tls-verify=false --dest-creds alice:s3cret-pw \
		"oci:$REG_DIR/layout:v1" "docker://$REG/ebpf/private:v1" >/dev/null
	REF="$REG/ebpf/private:v1"
	local auth
	auth=$(printf 'alice:s3cret-pw' | base64 -w0)
	# without credentials the registry refuses, and nothing is signed
	expect_fail bpfman image sign --key "$K/ed.key" "$REF"
	OUT=$(bpfman image sign --key "$K/ed.key" -r "$auth" "$REF" 2>&1)
	case "$OUT" in *s3cret-pw* | *"$auth"*) fail "credentials echoed: $OUT" ;; esac
	expect_fail bpfman image verify --key "$K/ed.pub" "$REF"
	OUT=$(bpfman image verify --key "$K/ed.pub" -r "$auth" "$REF" 2>&1)
	assert_contains "$OUT" verified "verify with credentials"
	case "$OUT" in *s3cret-pw* | *"$auth"*) fail "credentials echoed: $OUT" ;; esac
	assert_eq "$(skopeo list-tags --tls-verify=false --creds alice:s3cret-pw "docker://$REG/ebpf/private" |
		jq -r '.Tags[]' | grep -c '\.sig$')" 1 "one .sig tag"
}

test_sign_cosign_key() {
	sign_setup
	# cosign's own encrypted key file needs NaCl secretbox, which OpenSSL lacks: refused,
	# saying what to use instead, and nothing is pushed
	printf -- '-----BEGIN ENCRYPTED SIGSTORE PRIVATE KEY-----\neyJrZGYiOnt9fQ==\n-----END ENCRYPTED SIGSTORE PRIVATE KEY-----\n' >"$K/real-cosign.key"
	expect_fail env COSIGN_PASSWORD=x "$BPFMAN" image sign --key "$K/real-cosign.key" --password-env COSIGN_PASSWORD "$REF"
	assert_contains "$OUT" "cosign import-key-pair" "says what to use"
	assert_eq "$(skopeo list-tags --tls-verify=false "docker://$REG/ebpf/signed" | jq -r '.Tags[]' | grep -c '\.sig$' || true)" 0 "no .sig pushed"
}

# The OCI 1.1 referrers API (registry 2.8 has none: a proxy in front of it answers it): the
# bundle is found only through the API, there is no fallback tag.
test_bundle_referrers_api() {
	sign_setup
	/usr/bin/python3 "$TOOL" bundle "$REG" ebpf/signed "$DIGEST" "$K/ed.key" --no-tag >"$REG_DIR/referrers.json"
	local port i
	port=$(free_port)
	/usr/bin/python3 "$TOOL" referrers-proxy "$port" "$REG" "$REG_DIR/referrers.json" &
	PIDS_STARTED+=("$!")
	for i in $(seq 1 50); do
		curl -sf -o /dev/null "http://127.0.0.1:$port/v2/" && break
		sleep 0.1
	done
	# straight to the registry: no .sig, no fallback tag, nothing found
	verify_refused "is not signed" --key "$K/ed.pub"
	# through the API
	OUT=$(bpfman image verify --key "$K/ed.pub" "127.0.0.1:$port/ebpf/signed:v1")
	assert_contains "$OUT" verified "a bundle listed by the referrers API"
	expect_fail bpfman image verify --key "$K/ec.pub" "127.0.0.1:$port/ebpf/signed:v1"
	assert_contains "$OUT" "no trusted key verifies" "another key"
}
