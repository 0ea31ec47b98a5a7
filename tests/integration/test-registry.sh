# The registry client (src/lib/image/registry*.c) against the real registry (Debian's
# docker-registry 2.8: plain, TLS with a test CA, htpasswd, bearer tokens from a small token
# server), checked with skopeo, and against a misbehaving HTTP server for what a registry
# must not be able to do to us (stall, redirect loops, truncated or wrong bytes, huge
# manifests, echoing credentials). Drives registry.h through tests/helpers/registry-client.
# Scratch files live under $BPFMAN_ROOT, which test_teardown removes (the registries'
# own directories are registry-lib.sh's, under $TEST_TMP).
# shellcheck shell=bash
. "$(dirname "${BASH_SOURCE[0]}")/registry-lib.sh"

RC_BIN="$TESTS_HELPERS/registry-client"
HOSTILE_PY="$(dirname "${BASH_SOURCE[0]}")/registry-hostile.py"
TOKEN_PY="$(dirname "${BASH_SOURCE[0]}")/registry-token-server.py"

# RC_WRAP: e.g. "valgrind -q --leak-check=full --errors-for-leak-kinds=definite --error-exitcode=9"
rc() { ${RC_WRAP:-} "$RC_BIN" "$@"; }

need_tools() {
	[ -x "$RC_BIN" ] || fail "registry-client not built ($RC_BIN)"
	command -v skopeo >/dev/null || skip "skopeo is not installed"
}

sha() { echo "sha256:$(sha256sum "$1" | cut -d' ' -f1)"; }
size() { stat -c %s "$1"; }

# make_image DIR: a layer (tar+gzip of a file of random bytes), a config with eBPF labels
# and an OCI manifest naming them, in DIR (layer.tgz config.json manifest.json).
make_image() {
	local d=$1
	mkdir -p "$d/src"
	head -c 200000 /dev/urandom >"$d/src/prog.o"
	tar -C "$d/src" --owner=0 --group=0 --numeric-owner --mtime=@0 -cf - prog.o | gzip -n >"$d/layer.tgz"
	printf '{"architecture":"amd64","os":"linux","config":{"Labels":{"io.ebpf.programs":"{\\"xdp_counter\\":\\"xdp\\"}","io.ebpf.maps":"{}"}},"rootfs":{"type":"layers","diff_ids":["%s"]}}' \
		"$(gzip -dc "$d/layer.tgz" | sha256sum | sed 's/^/sha256:/; s/ .*//')" >"$d/config.json"
	printf '{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"%s","size":%s},"layers":[{"mediaType":"application/vnd.oci.image.layer.v1.tar+gzip","digest":"%s","size":%s}]}' \
		"$(sha "$d/config.json")" "$(size "$d/config.json")" "$(sha "$d/layer.tgz")" "$(size "$d/layer.tgz")" >"$d/manifest.json"
}

# push_image DIR REPO TAG [client options...]
push_image() {
	local d=$1 repo=$2 tag=$3
	shift 3
	rc "$@" put-blob "$repo" "$d/config.json" >/dev/null
	rc "$@" put-blob "$repo" "$d/layer.tgz" >/dev/null
	rc "$@" put-manifest "$repo:$tag" "$d/manifest.json" application/vnd.oci.image.manifest.v1+json
}

# pull_check DIR REPO TAG [client options...]: everything comes back byte for byte
pull_check() {
	local d=$1 repo=$2 tag=$3 out
	shift 3
	out=$(rc "$@" get-manifest "$repo:$tag" "$d/m.out")
	assert_eq "$out" "$(sha "$d/manifest.json") application/vnd.oci.image.manifest.v1+json" "manifest digest and type"
	cmp -s "$d/m.out" "$d/manifest.json" || fail "manifest bytes differ"
	rc "$@" get-blob "$repo" "$(sha "$d/layer.tgz")" "$(size "$d/layer.tgz")" "$d/l.out"
	cmp -s "$d/l.out" "$d/layer.tgz" || fail "layer bytes differ"
	rc "$@" get-blob-mem "$repo" "$(sha "$d/config.json")" "$(size "$d/config.json")" "$d/c.out"
	cmp -s "$d/c.out" "$d/config.json" || fail "config bytes differ"
	rm -f "$d/m.out" "$d/l.out" "$d/c.out"
}

test_plain_push_pull_and_skopeo() {
	need_tools
	start_registry
	local d="$BPFMAN_ROOT/img" insp dg
	make_image "$d"
	push_image "$d" "$REG/ebpf/mono" v1
	# skopeo, an independent client, sees what we pushed
	insp=$(skopeo inspect --tls-verify=false "docker://$REG/ebpf/mono:v1")
	assert_eq "$(jq -r .Digest <<<"$insp")" "$(sha "$d/manifest.json")" "skopeo digest"
	assert_eq "$(jq -r '.Labels["io.ebpf.programs"]' <<<"$insp")" '{"xdp_counter":"xdp"}' "skopeo sees the labels"
	assert_eq "$(jq -r '.Layers[0]' <<<"$insp")" "$(sha "$d/layer.tgz")" "skopeo layer"
	pull_check "$d" "$REG/ebpf/mono" v1
	# by digest, too
	dg=$(sha "$d/manifest.json")
	rc get-manifest "$REG/ebpf/mono@$dg" "$d/m2" >/dev/null
	cmp -s "$d/m2" "$d/manifest.json" || fail "manifest by digest differs"
	assert_eq "$(rc exists "$REG/ebpf/mono" "$(sha "$d/layer.tgz")")" 1 "blob present"
	assert_eq "$(rc exists "$REG/ebpf/mono" "sha256:$(printf x | sha256sum | cut -d' ' -f1)")" 0 "blob absent"
	# a second push of the same blobs is skipped by HEAD and still succeeds
	push_image "$d" "$REG/ebpf/mono" v1
	# unknown tag: -ENOENT naming the image
	expect_fail rc get-manifest "$REG/ebpf/mono:nope" "$d/x"
	assert_contains "$OUT" "error: ENOENT" "unknown tag"
	assert_contains "$OUT" "$REG/ebpf/mono:nope" "the message names the image"
	expect_fail rc get-blob "$REG/ebpf/mono" "sha256:$(printf y | sha256sum | cut -d' ' -f1)" 1 "$d/x"
	assert_contains "$OUT" "error: ENOENT" "unknown blob"
	[ ! -e "$d/x" ] || fail "a failed download left its file"
	# registry 2.8 has no referrers API
	expect_fail rc referrers "$REG/ebpf/mono" "$dg"
	assert_contains "$OUT" "error: ENOENT: registry $REG has no OCI 1.1 referrers API" "referrers on 2.8"
	# the progress callback sees the whole layer
	rc --progress get-blob "$REG/ebpf/mono" "$(sha "$d/layer.tgz")" "$(size "$d/layer.tgz")" "$d/l2" 2>"$d/prog"
	assert_contains "$(tail -n1 "$d/prog")" "$(size "$d/layer.tgz")/$(size "$d/layer.tgz")" "last progress report"
}

test_chunked_push() {
	need_tools
	start_registry
	local d="$BPFMAN_ROOT/img" n
	make_image "$d"
	# 200 KB layer in 64 KiB chunks: 4 PATCHes and the closing PUT
	rc put-blob "$REG/ebpf/chunked" "$d/config.json" >/dev/null
	rc --chunked --chunk-size 65536 --progress put-blob "$REG/ebpf/chunked" "$d/layer.tgz" 2>"$d/prog" >/dev/null
	n=$(grep -c '^progress: upload' "$d/prog")
	assert_eq "$n" 4 "one progress report per chunk"
	rc put-manifest "$REG/ebpf/chunked:v1" "$d/manifest.json" application/vnd.oci.image.manifest.v1+json
	# skopeo copies it out; the layer is what we uploaded
	skopeo copy --src-tls-verify=false "docker://$REG/ebpf/chunked:v1" "dir:$d/out" >/dev/null
	cmp -s "$d/out/$(sha "$d/layer.tgz" | cut -d: -f2)" "$d/layer.tgz" || fail "chunked layer differs"
	pull_check "$d" "$REG/ebpf/chunked" v1
}

# auth_file_case NAME JSON REGISTRY EXPECTED: the reader's answer for one file content
auth_file_case() {
	local f="$BPFMAN_ROOT/auth.json" out
	printf '%s' "$2" >"$f"
	chmod 600 "$f"
	out=$(rc auth-file "$f" "$3" 2>&1) || true
	assert_contains "$out" "$4" "$1"
}

test_credentials_file_formats() {
	need_tools
	local a
	a=$(printf 'alice:pa:ss' | base64)
	auth_file_case "plain host" "{\"auths\":{\"quay.io\":{\"auth\":\"$a\"}}}" quay.io "user=alice password_length=5"
	auth_file_case "docker's hub key" "{\"auths\":{\"https://index.docker.io/v1/\":{\"auth\":\"$a\"}}}" docker.io "user=alice"
	auth_file_case "URL key with port" "{\"auths\":{\"http://127.0.0.1:5000\":{\"auth\":\"$a\"}}}" 127.0.0.1:5000 "user=alice"
	auth_file_case "other port" "{\"auths\":{\"127.0.0.1:5001\":{\"auth\":\"$a\"}}}" 127.0.0.1:5000 "error: ENOENT"
	auth_file_case "username/password fields" '{"auths":{"r.io":{"username":"bob","password":"xyz"}}}' r.io "user=bob password_length=3"
	auth_file_case "empty user" "{\"auths\":{\"r.io\":{\"auth\":\"$(printf ':pw' | base64)\"}}}" r.io "invalid \"auth\" value"
	auth_file_case "no colon" "{\"auths\":{\"r.io\":{\"auth\":\"$(printf 'alice' | base64)\"}}}" r.io "invalid \"auth\" value"
	auth_file_case "not base64" '{"auths":{"r.io":{"auth":"!!!!"}}}' r.io "invalid \"auth\" value"
	auth_file_case "trailing NULs trimmed" "{\"auths\":{\"r.io\":{\"auth\":\"$(printf 'al:pw\0\0' | base64)\"}}}" r.io "user=al password_length=2"
	auth_file_case "entry without credentials" '{"auths":{"r.io":{}}}' r.io "has no credentials"
	auth_file_case "not docker's format" '{"r.io":{"auth":"x"}}' r.io "not in the docker/podman format"
	auth_file_case "not JSON" 'auths = 1' r.io "not in the docker/podman format"
	ln -sf "$BPFMAN_ROOT/auth.json" "$BPFMAN_ROOT/auth-link.json"
	expect_fail rc auth-file "$BPFMAN_ROOT/auth-link.json" r.io
	assert_contains "$OUT" "error: ELOOP: credentials file $BPFMAN_ROOT/auth-link.json is a symbolic link" "a symlink is not followed"
	# a FIFO does not block the reader
	mkfifo "$BPFMAN_ROOT/auth-fifo"
	chmod 600 "$BPFMAN_ROOT/auth-fifo"
	expect_fail timeout 5 "$RC_BIN" auth-file "$BPFMAN_ROOT/auth-fifo" r.io
	assert_contains "$OUT" "is not a regular file" "a FIFO"
}

test_tls_with_test_ca_and_htpasswd() {
	need_tools
	start_registry --tls --htpasswd alice:tls-Pa55
	local d="$BPFMAN_ROOT/img"
	make_image "$d"
	push_image "$d" "$REG/ebpf/tls" v1 --ca "$REG_CA" -u alice -p tls-Pa55
	pull_check "$d" "$REG/ebpf/tls" v1 --ca "$REG_CA" -u alice -p tls-Pa55
	expect_fail rc --ca "$REG_CA" get-manifest "$REG/ebpf/tls:v1" "$d/x"
	assert_contains "$OUT" "error: EACCES: registry $REG requires authentication" "TLS, no credentials"
	# skopeo, verifying with the same CA, sees what we pushed
	mkdir -p "$d/certs"
	cp "$REG_CA" "$d/certs/ca.crt"
	assert_eq "$(skopeo inspect --cert-dir "$d/certs" --creds alice:tls-Pa55 "docker://$REG/ebpf/tls:v1" | jq -r .Digest)" \
		"$(sha "$d/manifest.json")" "skopeo over TLS"
	# without the CA: refused, naming the certificate, and no fall back to plain HTTP
	expect_fail rc get-manifest "$REG/ebpf/tls:v1" "$d/x"
	assert_contains "$OUT" "error: EPERM" "untrusted certificate"
	assert_contains "$OUT" "certificate" "the message is about the certificate"
	assert_contains "$OUT" "$REG" "the message names the registry"
	# a CA file that is not there
	expect_fail rc --ca "$d/nope.pem" get-manifest "$REG/ebpf/tls:v1" "$d/x"
	assert_contains "$OUT" "CA file $d/nope.pem" "missing CA file"
}

test_basic_auth_htpasswd() {
	need_tools
	local pw='s3cret-Pa55' bad='wr0ng-Pa55' d="$BPFMAN_ROOT/img" out
	start_registry --htpasswd "alice:$pw"
	make_image "$d"
	push_image "$d" "$REG/ebpf/basic" v1 -u alice -p "$pw"
	pull_check "$d" "$REG/ebpf/basic" v1 -u alice -p "$pw"
	REGISTRY_PASSWORD=$pw rc -u alice get-manifest "$REG/ebpf/basic:v1" "$d/x" >/dev/null
	# wrong password: refused, the message names the registry, never the password
	expect_fail rc -u alice -p "$bad" get-manifest "$REG/ebpf/basic:v1" "$d/x"
	assert_contains "$OUT" "error: EACCES: registry $REG refused the credentials" "wrong password"
	case $OUT in *"$bad"* | *"$(printf 'alice:%s' "$bad" | base64)"*) fail "the password leaked: $OUT" ;; esac
	# none at all
	expect_fail rc get-manifest "$REG/ebpf/basic:v1" "$d/x"
	assert_contains "$OUT" "registry $REG requires authentication" "no credentials"

	# the credentials file: root-only, docker's format
	printf '{"auths":{"other.io":{"auth":"%s"},"%s":{"auth":"%s"}}}' "$(printf 'bob:x' | base64)" \
		"$REG" "$(printf 'alice:%s' "$pw" | base64)" >"$d/auth.json"
	chmod 600 "$d/auth.json"
	out=$(rc auth-file "$d/auth.json" "$REG")
	assert_eq "$out" "user=alice password_length=${#pw}" "the file's entry"
	pull_check "$d" "$REG/ebpf/basic" v1 -a "$d/auth.json"
	expect_fail rc auth-file "$d/auth.json" "third.io"
	assert_contains "$OUT" "error: ENOENT: credentials file $d/auth.json has no entry for third.io" "no entry"
	chmod 640 "$d/auth.json"
	expect_fail rc -a "$d/auth.json" get-manifest "$REG/ebpf/basic:v1" "$d/x"
	assert_contains "$OUT" "error: EPERM: credentials file $d/auth.json must be owned by root and not accessible to group or others" "group-readable file"
	chmod 600 "$d/auth.json"
	chown nobody "$d/auth.json"
	expect_fail rc auth-file "$d/auth.json" "$REG"
	assert_contains "$OUT" "owned by uid $(id -u nobody)" "file not owned by root"
	case $OUT in *"$pw"*) fail "the password leaked: $OUT" ;; esac
}

# A registry with `auth.token` and our token server (registry-token-server.py), as
# oci-and-cosign.md section 5 describes: ES256 JWTs with the signing certificate in x5c,
# that certificate the registry's rootcertbundle. Sets REG, TOKEN_LOG.
start_token_registry() {
	local dir="$BPFMAN_ROOT/tokreg" tport i
	mkdir -p "$dir/storage"
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2 \
		-subj "/CN=bpfman test token issuer" -keyout "$dir/token.key" -out "$dir/token.pem" >/dev/null 2>&1 ||
		fail "openssl: cannot make the token certificate"
	TOKEN_LOG="$dir/token.log"
	: >"$TOKEN_LOG"
	/usr/bin/python3 "$TOKEN_PY" "$dir/token.port" "$dir/token.key" "$dir/token.pem" alice "$1" \
		bpfman-test bpfman-test-issuer "$TOKEN_LOG" >"$dir/token.out" 2>&1 &
	PIDS_STARTED+=("$!")
	for i in $(seq 1 100); do [ -s "$dir/token.port" ] && break; sleep 0.1; done
	tport=$(cat "$dir/token.port") || fail "token server did not start: $(cat "$dir/token.out")"
	REG="127.0.0.1:$(free_port)"
	cat >"$dir/config.yml" <<-EOF
		version: 0.1
		log: {level: error}
		storage:
		  filesystem: {rootdirectory: $dir/storage}
		http:
		  addr: $REG
		auth:
		  token:
		    realm: http://127.0.0.1:$tport/token
		    service: bpfman-test
		    issuer: bpfman-test-issuer
		    rootcertbundle: $dir/token.pem
	EOF
	docker-registry serve "$dir/config.yml" >"$dir/log" 2>&1 &
	PIDS_STARTED+=("$!")
	for i in $(seq 1 100); do
		[ "$(curl -s -o /dev/null -w '%{http_code}' "http://$REG/v2/")" = 401 ] && return 0
		sleep 0.1
	done
	fail "token registry did not answer: $(cat "$dir/log")"
}

test_bearer_token_flow() {
	need_tools
	local pw='t0ken-Pa55' d="$BPFMAN_ROOT/img"
	start_token_registry "$pw"
	make_image "$d"
	push_image "$d" "$REG/ebpf/tok" v1 -u alice -p "$pw"
	# three processes (two blob uploads: HEAD, POST, PUT each; one manifest PUT), one
	# pull,push token each: the token is cached for its scope across the requests
	assert_eq "$(grep -c "^auth=ok scope=repository:ebpf/tok:pull,push service=bpfman-test\$" "$TOKEN_LOG")" 3 \
		"push tokens: $(cat "$TOKEN_LOG")"
	assert_eq "$(wc -l <"$TOKEN_LOG")" 3 "token requests: $(cat "$TOKEN_LOG")"
	: >"$TOKEN_LOG"
	# anonymous pulls: a pull-only token each (three processes)
	pull_check "$d" "$REG/ebpf/tok" v1
	assert_eq "$(grep -c "^auth=none scope=repository:ebpf/tok:pull service=bpfman-test\$" "$TOKEN_LOG")" 3 \
		"pull tokens: $(cat "$TOKEN_LOG")"
	assert_eq "$(wc -l <"$TOKEN_LOG")" 3 "token requests: $(cat "$TOKEN_LOG")"
	# anonymous push: the token has no push, the registry says 401 again
	expect_fail rc put-blob "$REG/ebpf/tok2" "$d/config.json"
	assert_contains "$OUT" "error: EACCES" "anonymous push"
	assert_contains "$OUT" "$REG" "the message names the registry"
	# wrong password: the token server says 401; nothing leaks
	expect_fail rc -u alice -p wr0ng get-manifest "$REG/ebpf/tok:v1" "$d/x"
	assert_contains "$OUT" "error: EACCES: registry $REG: the token server refused the credentials" "wrong password"
	case $OUT in *wr0ng*) fail "the password leaked: $OUT" ;; esac
	# skopeo pulls what we pushed through the same token flow
	skopeo inspect --tls-verify=false --creds "alice:$pw" "docker://$REG/ebpf/tok:v1" >/dev/null
}

test_plain_http_only_loopback_or_insecure() {
	need_tools
	start_registry
	local d="$BPFMAN_ROOT/img" port=${REG#*:}
	make_image "$d"
	push_image "$d" "$REG/ebpf/ins" v1
	# "127.1" reaches the same server but is not a loopback name we recognise: https only
	expect_fail rc get-manifest "127.1:$port/ebpf/ins:v1" "$d/x"
	assert_contains "$OUT" "error: EPROTO: registry 127.1:$port: TLS handshake failed" "no plain HTTP"
	# listed as insecure: plain HTTP allowed
	rc --insecure "127.1:$port" get-manifest "127.1:$port/ebpf/ins:v1" "$d/x" >/dev/null
	rc --insecure "127.1" get-manifest "127.1:$port/ebpf/ins:v1" "$d/x" >/dev/null
	cmp -s "$d/x" "$d/manifest.json" || fail "manifest differs"
}

# The misbehaving server; sets HOST (127.0.0.1:PORT), OTHER_PORT, HLOG.
start_hostile() {
	local dir="$BPFMAN_ROOT/hostile" i port
	mkdir -p "$dir"
	HLOG="$dir/log"
	: >"$HLOG"
	/usr/bin/python3 "$HOSTILE_PY" "$dir/port" "$HLOG" >"$dir/out" 2>&1 &
	PIDS_STARTED+=("$!")
	for i in $(seq 1 100); do [ -s "$dir/port" ] && break; sleep 0.1; done
	read -r port OTHER_PORT <"$dir/port" || [ -n "${OTHER_PORT:-}" ] ||
		fail "hostile server did not start: $(cat "$dir/out")"
	HOST="127.0.0.1:$port"
	# the blob every repository of it serves (registry-hostile.py's BLOB)
	BLOB_DIGEST=$(/usr/bin/python3 -c 'import hashlib,sys; sys.stdout.write("sha256:"+hashlib.sha256(bytes(range(256))*64).hexdigest())')
}

test_hostile_stall_times_out() {
	need_tools
	start_hostile
	local t0 t1 limit
	t0=$(date +%s)
	expect_fail rc --stall-timeout 2 get-blob "$HOST/stall/x" "$BLOB_DIGEST" 100000 "$BPFMAN_ROOT/x"
	t1=$(date +%s)
	assert_contains "$OUT" "error: ETIMEDOUT" "stall"
	assert_contains "$OUT" "stalled (less than 512 bytes/s for 2 s" "the message names the limit"
	limit=$((10 * TIME_SCALE))
	[ -z "${RC_WRAP:-}" ] || limit=30 # under valgrind, OpenSSL's start alone takes seconds
	[ $((t1 - t0)) -lt $limit ] || fail "the stall took $((t1 - t0)) s"
	[ ! -e "$BPFMAN_ROOT/x" ] || fail "partial file left"
	expect_fail rc --stall-timeout 2 get-manifest "$HOST/stall/x:v1" "$BPFMAN_ROOT/x"
	assert_contains "$OUT" "error: ETIMEDOUT" "stalled manifest"
	# a trickle is a stall, too
	t0=$(date +%s)
	expect_fail rc --stall-timeout 2 get-blob "$HOST/trickle/x" "$BLOB_DIGEST" 16384 "$BPFMAN_ROOT/x"
	t1=$(date +%s)
	assert_contains "$OUT" "error: ETIMEDOUT" "trickle"
	[ $((t1 - t0)) -lt $limit ] || fail "the trickle took $((t1 - t0)) s"
	# the total limit, too
	expect_fail rc --stall-timeout 30 --total-timeout 2 get-manifest "$HOST/stall/x:v1" "$BPFMAN_ROOT/x"
	assert_contains "$OUT" "did not finish within 2 s" "total limit"
}

test_hostile_redirect_loop_and_endless_errors() {
	need_tools
	start_hostile
	local t0 t1
	expect_fail rc get-manifest "$HOST/loop/x:v1" "$BPFMAN_ROOT/x"
	assert_contains "$OUT" "error: ELOOP: manifest $HOST/loop/x:v1: redirect loop (more than 10 redirects)" "loop"
	# an endless error body: the start is enough for the message, the rest is not waited for
	t0=$(date +%s)
	expect_fail rc get-manifest "$HOST/huge404/x:v1" "$BPFMAN_ROOT/x"
	t1=$(date +%s)
	assert_contains "$OUT" "error: ENOENT: manifest $HOST/huge404/x:v1: not found (404: MANIFEST_UNKNOWN endless)" "endless 404"
	[ $((t1 - t0)) -lt 10 ] || fail "the endless error body took $((t1 - t0)) s"
}

test_hostile_truncated_and_wrong_bytes() {
	need_tools
	start_hostile
	local x="$BPFMAN_ROOT/x"
	expect_fail rc get-blob "$HOST/trunc/x" "$BLOB_DIGEST" 16384 "$x"
	assert_contains "$OUT" "error: EBADMSG" "truncated (Content-Length)"
	assert_contains "$OUT" "truncated download" "truncated message"
	[ ! -e "$x" ] || fail "partial file left"
	expect_fail rc get-blob "$HOST/short/x" "$BLOB_DIGEST" 16384 "$x"
	assert_contains "$OUT" "error: EBADMSG: blob $BLOB_DIGEST of $HOST/short/x: got 8192 bytes, expected 16384" "truncated (no length)"
	expect_fail rc get-blob "$HOST/long/x" "$BLOB_DIGEST" 16384 "$x"
	assert_contains "$OUT" "error: EBADMSG" "too long"
	assert_contains "$OUT" "more than its size of 16384" "too long message"
	expect_fail rc get-blob "$HOST/badblob/x" "$BLOB_DIGEST" 16384 "$x"
	assert_contains "$OUT" "error: EBADMSG" "wrong bytes, lying Docker-Content-Digest"
	assert_contains "$OUT" "does not match its digest" "digest message"
	expect_fail rc get-blob-mem "$HOST/badblob/x" "$BLOB_DIGEST" 16384 "$x"
	assert_contains "$OUT" "does not match its digest" "in memory too"
	expect_fail rc get-manifest "$HOST/wrongdigest/x@$BLOB_DIGEST" "$x"
	assert_contains "$OUT" "error: EBADMSG: manifest $HOST/wrongdigest/x@$BLOB_DIGEST: the content does not match its digest" "manifest by digest"
	# JSON that is not an object is no manifest: a malformed image (EINVAL), not damaged bytes
	expect_fail rc get-manifest "$HOST/refs/x:v1" "$x"
	assert_contains "$OUT" "error: EINVAL: manifest $HOST/refs/x:v1 is not a JSON object" "not an object"
	# over the size limits
	expect_fail rc get-manifest "$HOST/big/x:v1" "$x"
	assert_contains "$OUT" "error: EFBIG: manifest $HOST/big/x:v1 is larger than the limit of 4194304 bytes" "big manifest"
	expect_fail rc --max-blob 1000 get-blob "$HOST/redir/x" "$BLOB_DIGEST" 16384 "$x"
	assert_contains "$OUT" "error: EFBIG" "blob over the limit (descriptor)"
	expect_fail rc --max-blob 1000 get-blob "$HOST/redir/x" "$BLOB_DIGEST" 0 "$x"
	assert_contains "$OUT" "larger than the limit of 1000 bytes" "blob over the limit (streamed)"
}

test_hostile_redirect_drops_credentials() {
	need_tools
	start_hostile
	local x="$BPFMAN_ROOT/x"
	touch "$HLOG.basic" # the server now asks for basic auth
	rc -u alice -p s3cret get-blob "$HOST/redir/x" "$BLOB_DIGEST" 16384 "$x"
	[ "$(size "$x")" = 16384 ] || fail "redirected blob not fetched"
	grep -q "^GET /v2/redir/x/blobs/$BLOB_DIGEST auth=yes" "$HLOG" || fail "no auth to the registry: $(cat "$HLOG")"
	grep -q "^GET /storage/$BLOB_DIGEST auth=no" "$HLOG" || fail "credentials went to the redirect target: $(cat "$HLOG")"
	# a registry that echoes what it was sent cannot put the password in our message
	expect_fail rc -u alice -p 'Echo-Pa55' get-manifest "$HOST/echo/x:v1" "$x"
	assert_contains "$OUT" "error: EPROTO" "echo"
	case $OUT in *Echo-Pa55*) fail "the password leaked: $OUT" ;; esac
}

test_hostile_upload_location_and_skip() {
	need_tools
	start_hostile
	local f="$BPFMAN_ROOT/blob"
	head -c 150000 /dev/urandom >"$f"
	rc put-blob "$HOST/rel/x" "$f" >/dev/null
	rc --chunked --chunk-size 50000 put-blob "$HOST/rel/x" "$f" >/dev/null
	assert_eq "$(grep -c "^$(sha "$f")\$" "$HLOG.uploaded")" 2 "both uploads completed"
	assert_eq "$(grep -c '^PATCH /v2/rel/x/blobs/uploads/.*ctype=application/octet-stream' "$HLOG")" 3 "three chunks"
	grep -q '^PUT .*_state=s[0-9a-f]*&digest=sha256%3[aA]' "$HLOG" || fail "digest not appended with &: $(cat "$HLOG")"
	grep -q 'ctype=application/x-www-form-urlencoded' "$HLOG" && fail "a form content type was sent"
	# a blob the repository has is not sent again: one HEAD, nothing else
	rc put-blob "$HOST/have/x" "$f" >/dev/null
	rc --chunked put-blob "$HOST/have/x" "$f" >/dev/null
	assert_eq "$(grep -c ' /v2/have/' "$HLOG")" 2 "requests to a repository that has the blob: $(grep ' /v2/have/' "$HLOG")"
	assert_eq "$(grep -c '^HEAD /v2/have/x/blobs/' "$HLOG")" 2 "HEADs"
}

test_hostile_referrers_api() {
	need_tools
	start_hostile
	local out
	# a registry with the OCI 1.1 referrers API (2.8 has none: see the plain test)
	out=$(rc referrers "$HOST/refs/x" "$BLOB_DIGEST")
	assert_eq "$(jq -r '.manifests[0].artifactType' <<<"$out")" application/vnd.dev.sigstore.bundle.v0.3+json "referrers index"
	grep -q "^GET /v2/refs/x/referrers/$BLOB_DIGEST " "$HLOG" || fail "referrers path: $(cat "$HLOG")"
	expect_fail rc referrers "$HOST/refs/x" "sha256:abc"
	assert_contains "$OUT" "error: EINVAL: invalid digest 'sha256:abc'" "bad digest"
}

test_hostile_bearer_challenge_with_two_scopes() {
	need_tools
	start_hostile
	local q
	rc get-manifest "$HOST/twoscopes/x:v1" "$BPFMAN_ROOT/x" >/dev/null
	# one token request: the realm's own query kept, service and both scopes (with the space
	# and the host:port inside a name) as separate, encoded parameters
	assert_eq "$(wc -l <"$HLOG.token")" 1 "token requests"
	# decoded as a server decodes it ('+' or %20 for the space alike)
	q=$(/usr/bin/python3 -c 'import sys, urllib.parse; print(urllib.parse.parse_qsl(sys.argv[1], strict_parsing=True))' "$(cat "$HLOG.token")")
	assert_eq "$q" "[('x', '1'), ('service', 'hostile svc'), ('scope', 'repository:twoscopes/x:pull'), ('scope', 'repository:127.0.0.1:5000/src:pull')]" "token query"
	# the retried request carried the token; the first went without
	grep -q "^GET /v2/twoscopes/x/manifests/v1 auth=no" "$HLOG" || fail "first request: $(cat "$HLOG")"
	grep -q "^GET /v2/twoscopes/x/manifests/v1 auth=yes" "$HLOG" || fail "retry: $(cat "$HLOG")"
}
