# Hostile registries (issue 10, item 3): every kind of bad input a registry can send is
# refused by `bpfman image pull` and by `bpfman load image`, each with a non-zero exit within
# a time bound and a message naming the problem, and leaves the image cache exactly as it was
# (the same files with the same sizes, modes and contents; tmp/ empty) and no program, pin or
# record behind.
#
# The bad images come from tests/helpers/hostile-registry.py (one scenario per repository
# name: a good image with exactly one thing wrong) and, with the real registry
# (registry-lib.sh), from blobs spoiled in docker-registry's own storage. Each test first
# pulls the control image "good" from the same server: the client works against it, and the
# cache it is compared against is not empty.

. "$HERE/registry-lib.sh"

HOSTILE_OBJ_NAME=xdp_pass.bpf.o
HOSTILE_FN=xdp_pass
HOSTILE_TYPE=xdp
CACHE="$BPFMAN_ROOT/var/cache/bpfman"
# bound of one refused command; a command still running then is killed and fails the test
REFUSE_LIMIT=$((30 * TIME_SCALE))

# start_hostile [OPTIONS...]: hostile-registry.py on 127.0.0.1 with a free port; sets
# HOSTILE (host:port) and HOSTILE_LOG (its request log)
start_hostile() {
	local d="$TEST_TMP/hostile-$TEST_ID" i pid
	mkdir -p "$d"
	HOSTILE_LOG="$d/requests.log"
	/usr/bin/python3 "$TOP/tests/helpers/hostile-registry.py" --object "$(obj "$HOSTILE_OBJ_NAME")" \
		--function "$HOSTILE_FN" --type "$HOSTILE_TYPE" --port-file "$d/port" \
		--log "$HOSTILE_LOG" --stall-seconds 120 "$@" >/dev/null 2>"$d/err" &
	pid=$!
	PIDS_STARTED+=("$pid")
	for i in $(seq 1 100); do
		if [ -s "$d/port" ]; then
			HOSTILE="127.0.0.1:$(cat "$d/port")"
			curl -sf --max-time 5 "http://$HOSTILE/v2/" >/dev/null && return 0
		fi
		kill -0 "$pid" 2>/dev/null || fail "hostile-registry.py exited: $(cat "$d/err")"
		sleep 0.1
	done
	fail "hostile-registry.py did not answer within 10 s: $(cat "$d/err")"
}

# hostile_ref SCENARIO: the reference to pull (host:port/name:tag or @digest). Asking builds
# the scenario's payloads first (the gzip bomb takes seconds), so timings leave that out.
hostile_ref() {
	local r
	r=$(curl -sf --max-time 120 "http://$HOSTILE/hostile/ref/$1") || fail "no scenario $1 on the hostile registry"
	echo "$HOSTILE/$r"
}

# The cache as a text: every path with its type, mode and size, then every file's sha256.
cache_snapshot() {
	if [ ! -d "$CACHE" ]; then
		echo "(no cache directory)"
		return 0
	fi
	(
		cd "$CACHE"
		# (no size for directories: a directory's size may grow with entries made and removed)
		find . -mindepth 1 \( -type d -printf '%p d %m\n' \) -o -printf '%p %y %s %m\n' | sort
		find . -type f -print0 | sort -z | xargs -0r sha256sum
	)
}

# run_bounded LIMIT COMMAND...: RC, STDOUT, OUT (stderr then stdout), ELAPSED_MS. Still
# running after LIMIT seconds: killed, and the test fails (a hang is a failure, not a stuck
# suite).
run_bounded() {
	local limit=$1 t0 t1 errf="$TEST_TMP/stderr-$TEST_ID"
	shift
	t0=$(date +%s%N)
	RC=0
	STDOUT=$(timeout -k 5 "$limit" "$@" 2>"$errf") || RC=$?
	OUT="$(cat "$errf")${STDOUT:+$'\n'}$STDOUT"
	rm -f "$errf"
	t1=$(date +%s%N)
	ELAPSED_MS=$(((t1 - t0) / 1000000))
	case $RC in
	124 | 137) fail "still running after $limit s, killed: $*; output: $OUT" ;;
	esac
}

# refused_cmd LIMIT PATTERN... -- COMMAND...: COMMAND fails (an exit status, not a signal)
# within LIMIT s, its output matches every PATTERN (extended regular expressions, any
# case), and the cache, the kernel and the bpffs are as they were.
refused_cmd() {
	local limit=$1 pats=() before
	shift
	while [ "$1" != -- ]; do
		pats+=("$1")
		shift
	done
	shift
	before=$(cache_snapshot)
	run_bounded "$limit" "$@"
	check_refused "$before" "${pats[@]}" -- "$@"
}

# check_refused SNAPSHOT PATTERN... -- COMMAND...: the checks of refused_cmd on the RC and OUT
# of COMMAND, which ran when the cache was SNAPSHOT. With HOSTILE_MESSAGES set (a file), each
# refusal's time and message is appended there (to read how the product words them).
check_refused() {
	local before=$1 pats=() after p
	shift
	while [ "$1" != -- ]; do
		pats+=("$1")
		shift
	done
	shift
	[ "$RC" != 0 ] || fail "accepted: $*; output: $OUT"
	[ "$RC" -lt 128 ] || fail "killed by a signal (exit $RC): $*; output: $OUT"
	for p in "${pats[@]}"; do
		grep -Eqi -- "$p" <<<"$OUT" || fail "the message of '$*' does not say /$p/: $OUT"
	done
	after=$(cache_snapshot)
	[ "$before" = "$after" ] ||
		fail "the cache changed ($*): $(diff <(echo "$before") <(echo "$after") || true)"
	assert_eq "$(tree_count "$CACHE/tmp")" 0 "files left in the cache's tmp/ ($*)"
	assert_clean_state
	echo "refused in $ELAPSED_MS ms (exit $RC): $*: $(head -c 400 <<<"$OUT")"
	if [ -n "${HOSTILE_MESSAGES:-}" ]; then
		printf '%s\t%s ms\t%s\t%s\n' "$TEST_NAME" "$ELAPSED_MS" "$2 $3" \
			"$(tr '\n' ' ' <<<"$OUT")" >>"$HOSTILE_MESSAGES"
	fi
}

# refused SCENARIO PATTERN...: `image pull` and `load image` of the scenario's image are each
# refused (refused_cmd, within REFUSE_LIMIT s).
refused() {
	local ref
	ref=$(hostile_ref "$1")
	shift
	refused_cmd "$REFUSE_LIMIT" "$@" -- "$BPFMAN" image pull -i "$ref"
	refused_cmd "$REFUSE_LIMIT" "$@" -- \
		"$BPFMAN" load image --programs "$HOSTILE_TYPE:$HOSTILE_FN" -i "$ref"
}

# hostile_setup [OPTIONS...]: the server, and the control image pulled into the cache.
hostile_setup() {
	start_hostile "$@"
	run_bounded "$REFUSE_LIMIT" "$BPFMAN" image pull -i "$(hostile_ref good)"
	[ "$RC" = 0 ] || fail "the control image was refused (exit $RC): $OUT"
	[ "$(tree_count "$CACHE/blobs" -type f)" -gt 0 ] ||
		fail "the control image's pull left no blob in $CACHE: $(tree_entries "$BPFMAN_ROOT")"
}

# --- the control images: the server's images are good except for their one fault -------

test_control_images_are_accepted() {
	hostile_setup
	local ref id
	# by tag, through an index, by digest, and loaded: the program is in the kernel
	run_bounded "$REFUSE_LIMIT" "$BPFMAN" image pull -i "$(hostile_ref good-index)"
	[ "$RC" = 0 ] || fail "the index image was refused: $OUT"
	ref=$(hostile_ref good)
	run_bounded "$REFUSE_LIMIT" "$BPFMAN" load image -o json --programs "$HOSTILE_TYPE:$HOSTILE_FN" -i "$ref"
	[ "$RC" = 0 ] || fail "the control image did not load: $OUT"
	id=$(jq -r '.[0].kernel.id' <<<"$STDOUT")
	kernel_prog_exists "$id" || fail "program $id of the control image is not in the kernel"
	bpfman unload "$id"
	assert_clean_state
}

# An independent client (skopeo) agrees: it copies the control image, and refuses what the
# server spoils on the wire, so the refusals below are of real faults.
test_skopeo_agrees_on_the_faults() {
	command -v skopeo >/dev/null || fail "skopeo is not installed (scripts/install-deps.sh test)"
	start_hostile
	local d="$TEST_TMP/skopeo-$TEST_ID" s
	mkdir -p "$d"
	timeout 60 skopeo copy -q --src-tls-verify=false "docker://$(hostile_ref good)" "oci:$d/good:v1" ||
		fail "skopeo refused the control image"
	timeout 60 skopeo copy -q --src-tls-verify=false "docker://$(hostile_ref good-index)" "oci:$d/index:v1" ||
		fail "skopeo refused the control index"
	for s in manifest-digest index-manifest-digest config-digest layer-digest blob-longer \
		blob-shorter truncated-layer redirect-loop; do
		if OUT=$(timeout 60 skopeo copy -q --src-tls-verify=false "docker://$(hostile_ref "$s")" \
			"oci:$d/$s:v1" 2>&1); then
			fail "skopeo accepted scenario $s"
		fi
	done
}

# --- digests -----------------------------------------------------------------------------

test_manifest_digest_mismatch_by_digest() {
	hostile_setup
	refused manifest-digest 'digest' 'mismatch|not match|differ|expected|instead'
}

test_manifest_digest_mismatch_in_index() {
	hostile_setup
	refused index-manifest-digest 'digest' 'mismatch|not match|differ|expected|instead'
}

test_config_digest_mismatch() {
	hostile_setup
	refused config-digest 'digest' 'mismatch|not match|differ|expected|instead'
}

test_layer_digest_mismatch() {
	hostile_setup
	refused layer-digest 'digest' 'mismatch|not match|differ|expected|instead'
}

# The registry's Docker-Content-Digest names other bytes than it sends: the pull may refuse
# (the header disagrees with the content), or accept and record the digest of the bytes, never
# the header's (signatures are looked up, and `bpfman get` shows, that digest).
test_lying_digest_header() {
	hostile_setup
	local ref true_digest got
	ref=$(hostile_ref lying-digest-header)
	true_digest="sha256:$(curl -sf -H "Accept: application/vnd.oci.image.manifest.v1+json" \
		"http://$HOSTILE/v2/lying-digest-header/manifests/v1" | sha256sum | cut -d' ' -f1)"
	run_bounded "$REFUSE_LIMIT" "$BPFMAN" image pull -i "$ref"
	if [ "$RC" != 0 ]; then
		refused_cmd "$REFUSE_LIMIT" 'digest' -- "$BPFMAN" image pull -i "$ref"
		return 0
	fi
	got=$(bpfman image list -o json | jq -r --arg r "$ref" '.[] | select(.ref == $r) | .digest')
	assert_eq "$got" "$true_digest" "the digest recorded for $ref"
}

# --- sizes -------------------------------------------------------------------------------

test_manifest_over_limit() {
	hostile_setup
	refused manifest-huge 'manifest' 'limit|too (large|big)|exceed|larger than|over'
}

test_manifest_over_limit_without_length() {
	hostile_setup
	refused manifest-huge-unsized 'manifest' 'limit|too (large|big)|exceed|larger than|over'
}

test_blob_longer_than_descriptor() {
	hostile_setup
	refused blob-longer 'size|larger|longer|more than|exceed|bytes'
}

test_blob_shorter_than_descriptor() {
	hostile_setup
	refused blob-shorter 'size|short|truncat|fewer|less than|bytes|incomplete'
}

test_blob_descriptor_over_limit() {
	hostile_setup
	refused blob-over-limit 'limit|too (large|big)|exceed|larger than|over'
}

test_blob_sent_over_descriptor_size() {
	hostile_setup
	refused blob-over-limit-sized-small 'size|limit|larger|longer|exceed|more than'
}

# --- the layer's contents ---------------------------------------------------------------

test_layer_with_two_files() {
	hostile_setup
	refused layer-two-files 'second\.o|prog\.o' 'several|more than one|multiple|two|2 files|only one|one file'
}

test_layer_with_no_file() {
	hostile_setup
	refused layer-no-file 'no (regular )?file|none|empty|no (eBPF )?object|not contain|without'
}

test_layer_empty_tar() {
	hostile_setup
	refused layer-empty-tar 'no (regular )?file|none|empty|no (eBPF )?object|not contain|without'
}

test_tar_entry_dotdot() {
	hostile_setup
	refused tar-dotdot '\.\./escape\.o'
}

test_tar_entry_dotdot_inside() {
	hostile_setup
	refused tar-dotdot-inner 'escape\.o' '\.\.'
}

test_tar_entry_absolute() {
	hostile_setup
	refused tar-absolute '/abs/escape\.o' 'absolute'
}

test_tar_entry_symlink() {
	hostile_setup
	refused tar-symlink 'sym-entry' 'link'
}

test_tar_only_a_symlink() {
	hostile_setup
	refused tar-symlink-only 'prog\.o' 'link'
}

test_tar_entry_hardlink() {
	hostile_setup
	refused tar-hardlink 'hard-entry' 'link'
}

test_tar_entry_char_device() {
	hostile_setup
	refused tar-chardev 'chr-entry' 'device'
}

test_tar_entry_block_device() {
	hostile_setup
	refused tar-blockdev 'blk-entry' 'device'
}

test_tar_entry_fifo() {
	hostile_setup
	refused tar-fifo 'fifo-entry' 'fifo|pipe'
}

# 1 GiB of an object and zeros in ~1 MiB of gzip: the uncompressed size is bounded (64 MiB
# by default), and quickly: decompressing up to the bound takes well under a second.
test_gzip_bomb() {
	hostile_setup
	local ref max_ms=10000
	ref=$(hostile_ref gzip-bomb) # built before the clock starts
	refused_cmd "$REFUSE_LIMIT" 'limit|too (large|big)|exceed|larger than|over|bomb' -- \
		"$BPFMAN" image pull -i "$ref"
	[ "$ELAPSED_MS" -le $max_ms ] || fail "the gzip bomb took $ELAPSED_MS ms to refuse (bound: $max_ms)"
	echo "gzip bomb: image pull refused in $ELAPSED_MS ms"
	refused_cmd "$REFUSE_LIMIT" 'limit|too (large|big)|exceed|larger than|over|bomb' -- \
		"$BPFMAN" load image --programs "$HOSTILE_TYPE:$HOSTILE_FN" -i "$ref"
	[ "$ELAPSED_MS" -le $max_ms ] || fail "the gzip bomb took $ELAPSED_MS ms to refuse (bound: $max_ms)"
	echo "gzip bomb: load image refused in $ELAPSED_MS ms"
}

test_layer_not_gzip() {
	hostile_setup
	refused not-gzip 'gzip|compress|format'
}

test_not_elf() {
	hostile_setup
	refused not-elf 'ELF|not an? (eBPF )?object'
}

test_wrong_byte_order() {
	hostile_setup
	refused wrong-endian 'endian|byte order'
}

# --- the wire ----------------------------------------------------------------------------

test_truncated_layer() {
	hostile_setup
	refused truncated-layer 'partial|truncat|short|incomplete|closed|remaining|end of (file|data)|eof'
}

test_truncated_manifest() {
	hostile_setup
	refused truncated-manifest 'partial|truncat|short|incomplete|closed|remaining|end of (file|data)|eof'
}

test_redirect_loop_blob() {
	hostile_setup
	refused redirect-loop 'redirect'
}

test_redirect_chain_manifest() {
	hostile_setup
	refused redirect-loop-manifest 'redirect'
}

# The stall limit in effect: [registries] stall_timeout_sec when the product has that key
# (this test sets it short), else the documented default (registry.h: 30 s). Sets STALL_S.
stall_limit() {
	local conf="$BPFMAN_ROOT/etc/bpfman/bpfman.toml"
	mkdir -p "${conf%/*}"
	printf '[registries]\nstall_timeout_sec = 3\n' >"$conf"
	if OUT=$("$BPFMAN" list programs 2>&1); then
		STALL_S=3
	else
		rm -f "$conf"
		STALL_S=30
		echo "NOTE: no [registries] stall_timeout_sec ($OUT); the default stall limit of 30 s applies"
	fi
}

# stalled SCENARIO: refused within the stall limit (plus time to connect and answer), with a
# message saying it timed out.
stalled() {
	local ref limit said='stall|timed? ?out|timeout|too slow|no (data|progress|byte)'
	ref=$(hostile_ref "$1")
	limit=$((STALL_S + 15 * TIME_SCALE))
	refused_cmd "$limit" "$said" -- "$BPFMAN" image pull -i "$ref"
	[ "$ELAPSED_MS" -ge $((STALL_S * 1000)) ] ||
		fail "refused in $ELAPSED_MS ms, before the stall limit of $STALL_S s: is it the stall that is refused?"
	echo "$1: image pull gave up after $ELAPSED_MS ms (stall limit $STALL_S s)"
	refused_cmd "$limit" "$said" -- \
		"$BPFMAN" load image --programs "$HOSTILE_TYPE:$HOSTILE_FN" -i "$ref"
	echo "$1: load image gave up after $ELAPSED_MS ms"
}

test_stall_after_layer_headers() {
	stall_limit
	hostile_setup
	stalled stall-layer
}

test_stall_in_the_middle_of_the_layer() {
	stall_limit
	hostile_setup
	stalled stall-layer-mid
}

test_trickle_of_the_layer() {
	stall_limit
	hostile_setup
	stalled trickle-layer
}

test_stall_after_manifest_headers() {
	stall_limit
	hostile_setup
	stalled stall-manifest
}

# A pull stalled by one registry does not hold up a pull of another image: while the
# stalled pull waits for its layer (up to the stall limit; a registry that drips a byte now
# and then keeps it going up to the total limit), another image is pulled in a few seconds.
test_stalled_pull_does_not_hold_up_others() {
	hostile_setup
	local stalled good layer i stalled_pid
	stalled=$(hostile_ref stall-layer)
	good=$(hostile_ref good-index)
	layer=$(curl -sf -H "Accept: application/vnd.oci.image.manifest.v1+json" \
		"http://$HOSTILE/v2/stall-layer/manifests/v1" | jq -r '.layers[0].digest')
	timeout -k 5 120 "$BPFMAN" image pull -i "$stalled" >/dev/null 2>&1 &
	stalled_pid=$!
	PIDS_STARTED+=("$stalled_pid")
	for i in $(seq 1 100); do
		grep -q "/v2/stall-layer/blobs/$layer" "$HOSTILE_LOG" && break
		sleep 0.1
	done
	grep -q "/v2/stall-layer/blobs/$layer" "$HOSTILE_LOG" ||
		fail "the stalled pull did not reach its layer within 10 s: $(cat "$HOSTILE_LOG")"
	run_bounded 60 "$BPFMAN" image pull -i "$good"
	[ "$RC" = 0 ] || fail "the pull of another image failed during a stalled pull: $OUT"
	echo "another image pulled in $ELAPSED_MS ms during a stalled pull"
	[ "$ELAPSED_MS" -le $((10000 * TIME_SCALE)) ] ||
		fail "another image took $ELAPSED_MS ms to pull while a pull from a stalling registry was waiting (the cache lock held during the download?)"
	# image rm takes the cache lock too (it collects blobs): not held up either
	run_bounded 60 "$BPFMAN" image rm "$good"
	[ "$RC" = 0 ] || fail "image rm failed during a stalled pull: $OUT"
	echo "image rm took $ELAPSED_MS ms during a stalled pull"
	[ "$ELAPSED_MS" -le $((10000 * TIME_SCALE)) ] ||
		fail "image rm took $ELAPSED_MS ms while a pull from a stalling registry was waiting"
	kill -0 "$stalled_pid" 2>/dev/null ||
		fail "the stalled pull ended before the others were measured: nothing was tested"
}

# --- manifests, indexes and configs ------------------------------------------------------

test_malformed_json_manifest() {
	hostile_setup
	refused bad-json 'manifest' 'not valid JSON' 'end of (file|input)'
}

test_malformed_json_config() {
	hostile_setup
	refused bad-json-config 'config' 'json|pars|invalid|malformed'
}

test_deeply_nested_json_manifest() {
	hostile_setup
	refused deep-json 'manifest' 'not valid JSON' 'depth|deep|nest'
}

test_deeply_nested_json_config() {
	hostile_setup
	refused deep-json-config 'config' 'json|pars|invalid|malformed|deep|nest'
}

test_config_over_limit() {
	hostile_setup
	refused config-huge 'limit|too (large|big)|exceed|larger than|over'
}

test_index_without_host_platform() {
	hostile_setup
	# the message lists the platforms the index has (two the host is not: see the scenario)
	refused index-no-platform 's390x' 'ppc64le|mips64le'
}

test_manifest_with_two_layers() {
	hostile_setup
	refused two-layers 'layer' '2|two|several|multiple|more than one|one layer|exactly one'
}

test_layer_media_type_not_tar_gzip() {
	hostile_setup
	refused layer-media-type 'tar\+zstd'
}

test_schema1_manifest() {
	hostile_setup
	refused schema1 'schema 1' 'unsupported|not supported'
}

# A load names a function the labels do not list: refused, nothing loaded. `image pull`
# names no function: it may accept the image (then the load finds it in the cache), or refuse
# it as no bytecode image (then like any refused pull: the cache as it was).
labels_refused() { # SCENARIO PATTERN...
	local ref before
	ref=$(hostile_ref "$1")
	shift
	before=$(cache_snapshot)
	run_bounded "$REFUSE_LIMIT" "$BPFMAN" image pull -i "$ref"
	if [ "$RC" = 0 ]; then
		echo "image pull accepted $ref (it names no function)"
	else
		check_refused "$before" "$@" -- "$BPFMAN" image pull -i "$ref"
	fi
	refused_cmd "$REFUSE_LIMIT" "$@" -- \
		"$BPFMAN" load image --programs "$HOSTILE_TYPE:$HOSTILE_FN" -i "$ref"
}

test_config_without_program_labels() {
	hostile_setup
	labels_refused no-labels 'io\.ebpf\.programs|label'
}

test_function_not_in_labels() {
	hostile_setup
	labels_refused other-function "$HOSTILE_FN" 'io\.ebpf\.programs|label|not (listed|in)'
}

# --- the real registry, its storage spoiled -----------------------------------------------

# planted_setup: the control pulled from the hostile server, and the scenario "planted" (a
# good image with digests of its own) copied by skopeo into a real registry as planted:v1,
# where skopeo reads it back. Sets PLANTED_MANIFEST (its JSON) and PLANTED_DIGEST.
planted_setup() {
	command -v skopeo >/dev/null || fail "skopeo is not installed (scripts/install-deps.sh test)"
	hostile_setup
	start_registry
	timeout 60 skopeo copy -q --src-tls-verify=false --dest-tls-verify=false \
		"docker://$(hostile_ref planted)" "docker://$REG/planted:v1" || fail "skopeo copy failed"
	timeout 60 skopeo inspect --tls-verify=false "docker://$REG/planted:v1" >/dev/null ||
		fail "skopeo cannot read the planted image back"
	PLANTED_MANIFEST=$(curl -sf -H "Accept: application/vnd.oci.image.manifest.v1+json" \
		"http://$REG/v2/planted/manifests/v1")
	PLANTED_DIGEST="sha256:$(printf '%s' "$PLANTED_MANIFEST" | sha256sum | cut -d' ' -f1)"
}

# registry_blob_file DIGEST: where docker-registry keeps that blob's bytes
registry_blob_file() {
	local hex=${1#sha256:} f
	f="$REG_DIR/storage/docker/registry/v2/blobs/sha256/${hex:0:2}/$hex/data"
	[ -f "$f" ] || fail "no blob file $f in the registry's storage"
	echo "$f"
}

# flip_byte FILE: one bit of the middle byte changed, size kept
flip_byte() {
	/usr/bin/python3 -c 'import sys
p = sys.argv[1]
b = bytearray(open(p, "rb").read())
b[len(b) // 2] ^= 1
open(p, "wb").write(b)' "$1"
}

test_real_registry_spoiled_layer() {
	planted_setup
	flip_byte "$(registry_blob_file "$(jq -r '.layers[0].digest' <<<"$PLANTED_MANIFEST")")"
	refused_cmd "$REFUSE_LIMIT" 'digest' 'mismatch|not match|differ|expected|instead' -- \
		"$BPFMAN" image pull -i "$REG/planted:v1"
	refused_cmd "$REFUSE_LIMIT" 'digest' 'mismatch|not match|differ|expected|instead' -- \
		"$BPFMAN" load image --programs "$HOSTILE_TYPE:$HOSTILE_FN" -i "$REG/planted:v1"
}

test_real_registry_spoiled_config() {
	planted_setup
	flip_byte "$(registry_blob_file "$(jq -r '.config.digest' <<<"$PLANTED_MANIFEST")")"
	refused_cmd "$REFUSE_LIMIT" 'digest' 'mismatch|not match|differ|expected|instead' -- \
		"$BPFMAN" image pull -i "$REG/planted:v1"
}

# The manifest pulled by its digest, its bytes changed in storage (the registry still names
# the old digest in Docker-Content-Digest: only hashing what arrives finds it).
test_real_registry_spoiled_manifest_by_digest() {
	planted_setup
	local f
	f=$(registry_blob_file "$PLANTED_DIGEST")
	printf ' ' >>"$f"
	[ "$(curl -sf -H "Accept: application/vnd.oci.image.manifest.v1+json" \
		"http://$REG/v2/planted/manifests/$PLANTED_DIGEST" | sha256sum | cut -d' ' -f1)" != \
		"${PLANTED_DIGEST#sha256:}" ] || fail "the registry does not serve the spoiled manifest"
	refused_cmd "$REFUSE_LIMIT" 'digest' 'mismatch|not match|differ|expected|instead' -- \
		"$BPFMAN" image pull -i "$REG/planted@$PLANTED_DIGEST"
}

# --- the cache itself spoiled --------------------------------------------------------------

# A cached object whose bytes changed on disk (same size) is never loaded: the cache verifies
# a blob every time it opens it. With Never the load fails (the object counts as absent) and
# the spoiled bytes are gone; with IfNotPresent it is fetched again and loads.
test_spoiled_cached_object_is_not_used() {
	hostile_setup
	local ref hex blob id
	ref=$(hostile_ref good)
	hex=$(sha256sum "$(obj "$HOSTILE_OBJ_NAME")" | cut -d' ' -f1)
	blob="$CACHE/blobs/sha256/$hex"
	[ -f "$blob" ] || fail "the pulled object is not at $blob: $(tree_entries "$CACHE/blobs")"
	flip_byte "$blob"
	run_bounded "$REFUSE_LIMIT" "$BPFMAN" load image -p Never --programs "$HOSTILE_TYPE:$HOSTILE_FN" -i "$ref"
	[ "$RC" != 0 ] || fail "a spoiled cached object was loaded: $OUT"
	[ "$RC" -lt 128 ] || fail "killed by a signal (exit $RC): $OUT"
	echo "spoiled object, Never: $OUT"
	assert_clean_state
	if [ -f "$blob" ]; then
		assert_eq "$(sha256sum "$blob" | cut -d' ' -f1)" "$hex" "the spoiled blob left in the cache"
	fi
	run_bounded "$REFUSE_LIMIT" "$BPFMAN" load image -o json -p IfNotPresent \
		--programs "$HOSTILE_TYPE:$HOSTILE_FN" -i "$ref"
	[ "$RC" = 0 ] || fail "IfNotPresent did not fetch the spoiled object again: $OUT"
	id=$(jq -r '.[0].kernel.id' <<<"$STDOUT")
	kernel_prog_exists "$id" || fail "program $id is not in the kernel"
	assert_eq "$(sha256sum "$blob" | cut -d' ' -f1)" "$hex" "the object fetched again"
	bpfman unload "$id"
	assert_clean_state
}
