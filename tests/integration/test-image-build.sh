# bpfman image build / generate-build-args against real tools: the image written as an OCI
# layout is read by skopeo and copied by it to the real registry (docker-registry); the image
# pushed by bpfman is inspected and copied back by skopeo; the layer is unpacked with tar;
# the labels are compared with an independent reading of the object (object-labels.py:
# its own ELF reading and bpftool's BTF dump, no libbpf).
. "$HERE/registry-lib.sh"

OBJECT_LABELS="$HERE/../helpers/object-labels.py"
MT_MANIFEST=application/vnd.oci.image.manifest.v1+json
MT_INDEX=application/vnd.oci.image.index.v1+json
MT_CONFIG=application/vnd.oci.image.config.v1+json
MT_LAYER=application/vnd.oci.image.layer.v1.tar+gzip

need_image_tools() {
	command -v docker-registry >/dev/null || skip "docker-registry is not installed (scripts/install-deps.sh test)"
	command -v skopeo >/dev/null || skip "skopeo is not installed (scripts/install-deps.sh test)"
}

# A scratch directory of this test (under its root: test_teardown removes it); builds that
# only push stage their files under $W/tmp, which must be empty afterwards
work_dir() {
	W="$BPFMAN_ROOT/work"
	mkdir -p "$W/tmp"
	export TMPDIR="$W/tmp"
}

host_goarch() {
	case $(uname -m) in
	x86_64) echo amd64 ;;
	aarch64) echo arm64 ;;
	s390x) echo s390x ;;
	ppc64le) echo ppc64le ;;
	riscv64) echo riscv64 ;;
	*) skip "no GOARCH name known here for $(uname -m)" ;;
	esac
}

# expected_labels OBJECT programs|maps: the label as sorted JSON, read without libbpf
expected_labels() { /usr/bin/python3 "$OBJECT_LABELS" "$1" | jq -cS ".$2"; }
# label_of JSON-FROM-SKOPEO-INSPECT programs|maps: the label's JSON, sorted
label_of() { echo "$1" | jq -r ".Labels[\"io.ebpf.$2\"]" | jq -cS .; }
sha_of() { sha256sum | awk '{print "sha256:" $1}'; }
digest_in() { awk -v w="$1" '$1 == w {print $NF}'; } # "Wrote ...: DIGEST" / "Pushed ...: DIGEST"

# assert_layer_holds BLOB OBJECT: the layer is a tar+gzip of one file, OBJECT's bytes, at the
# root, owned by 0:0, mode 0644, mtime 0
assert_layer_holds() {
	local blob=$1 object=$2 x listing
	x=$(mktemp -d "$W/x.XXXXXX")
	tar -xzf "$blob" -C "$x" || fail "tar cannot unpack the layer $blob"
	assert_eq "$(ls -A "$x")" "$(basename "$object")" "files in the layer"
	cmp "$x/$(basename "$object")" "$object" || fail "the layer's file differs from $object"
	listing=$(tar -tvzf "$blob" --numeric-owner --full-time)
	assert_contains "$listing" "-rw-r--r-- 0/0" "layer entry mode and owner"
	assert_contains "$listing" "1970-01-01 00:00:00 $(basename "$object")" "layer entry mtime"
	# gzip header: no mtime (bytes 4..7), no file name (FLG without FNAME)
	assert_eq "$(od -An -tx1 -j3 -N5 "$blob" | tr -d ' ')" "0000000000" "gzip header flags and mtime"
	rm -rf "${x:?}"
}

# check_labels INSPECT-JSON OBJECT
check_labels() {
	assert_eq "$(label_of "$1" programs)" "$(expected_labels "$2" programs)" "io.ebpf.programs of $2"
	assert_eq "$(label_of "$1" maps)" "$(expected_labels "$2" maps)" "io.ebpf.maps of $2"
}

test_build_layout_read_and_copied_by_skopeo() {
	need_image_tools
	work_dir
	start_registry
	local out digest json raw cfgd layerd arch
	arch=$(host_goarch)
	out=$(bpfman image build -b "$COUNTERS_OBJ" -t "$REG/ebpf/counters:v1" -o "$W/layout")
	digest=$(echo "$out" | digest_in Wrote)
	assert_eq "$(find "$W/tmp" -mindepth 1 | wc -l)" 0 "temp files"
	assert_eq "$(ls -A "$W" | sort | tr '\n' ' ')" "layout tmp " "only the layout was made"
	assert_eq "$(jq -c . "$W/layout/oci-layout")" '{"imageLayoutVersion":"1.0.0"}' "oci-layout"
	assert_eq "$(jq -r '.manifests[0].annotations["org.opencontainers.image.ref.name"]' "$W/layout/index.json")" v1 "ref name"

	# skopeo reads the layout
	json=$(skopeo inspect "oci:$W/layout:v1")
	check_labels "$json" "$COUNTERS_OBJ"
	assert_eq "$(echo "$json" | jq -r .Architecture)/$(echo "$json" | jq -r .Os)" "$arch/linux" "platform"
	raw=$(skopeo inspect --raw "oci:$W/layout:v1")
	assert_eq "$(printf %s "$raw" | sha_of)" "$digest" "manifest digest printed"
	assert_eq "$(echo "$raw" | jq -r .mediaType)" "$MT_MANIFEST" "manifest media type"
	assert_eq "$(echo "$raw" | jq -r .config.mediaType)" "$MT_CONFIG" "config media type"
	assert_eq "$(echo "$raw" | jq -r '.layers | length')" 1 "one layer"
	assert_eq "$(echo "$raw" | jq -r '.layers[0].mediaType')" "$MT_LAYER" "layer media type"
	layerd=$(echo "$raw" | jq -r '.layers[0].digest')
	cfgd=$(echo "$raw" | jq -r '.config.digest')
	assert_layer_holds "$W/layout/blobs/sha256/${layerd#sha256:}" "$COUNTERS_OBJ"
	# rootfs.diff_ids: the uncompressed tar's digest
	assert_eq "$(jq -r '.rootfs.diff_ids[0]' "$W/layout/blobs/sha256/${cfgd#sha256:}")" \
		"$(gzip -dc "$W/layout/blobs/sha256/${layerd#sha256:}" | sha_of)" "diff_id"

	# skopeo copies it to the real registry unchanged, and reads it there
	skopeo copy -q --dest-tls-verify=false "oci:$W/layout:v1" "docker://$REG/ebpf/counters:v1" ||
		fail "skopeo copy of the layout to the registry"
	assert_eq "$(skopeo inspect --raw --tls-verify=false "docker://$REG/ebpf/counters:v1" | sha_of)" \
		"$digest" "digest in the registry"
	json=$(skopeo inspect --tls-verify=false "docker://$REG/ebpf/counters:v1")
	check_labels "$json" "$COUNTERS_OBJ"
	assert_eq "$(echo "$json" | jq -r .Architecture)" "$arch" "architecture in the registry"
	assert_eq "$(echo "$json" | jq -r '.Layers[0]')" "$layerd" "layer in the registry"
}

test_build_is_reproducible() {
	need_image_tools
	work_dir
	local a b c
	a=$(bpfman image build -b "$COUNTERS_OBJ" -t ebpf/counters:v1 -o "$W/a" | digest_in Wrote)
	sleep 1.1 # another second: a clock in the image would show
	b=$(bpfman image build -b "$COUNTERS_OBJ" -t ebpf/counters:v1 -o "$W/b" | digest_in Wrote)
	assert_eq "$b" "$a" "digest of a second build"
	diff -r "$W/a" "$W/b" || fail "two builds of one object differ"
	# another object: another layer, config and manifest
	c=$(bpfman image build -b "$(obj xdp_pass.bpf.o)" -t ebpf/counters:v1 -o "$W/c" | digest_in Wrote)
	assert_ne "$c" "$a" "digest of another object"
	assert_eq "$(comm -12 <(ls "$W/a/blobs/sha256") <(ls "$W/c/blobs/sha256") | wc -l)" 0 "blobs shared with another object"
}

# push_and_check OBJECT REPO:TAG [build options]: bpfman pushes, skopeo checks manifest,
# config, labels and layer, and copies the image back into an OCI layout; prints the digest
push_and_check() {
	local object=$1 ref=$2 out digest raw json cfg back layerd
	shift 2
	out=$(bpfman image build -b "$object" -t "$REG/$ref" "$@")
	digest=$(echo "$out" | digest_in Pushed)
	[ -n "$digest" ] || fail "no digest printed: $out"
	assert_eq "$(find "$W/tmp" -mindepth 1 | wc -l)" 0 "temp files after a push"
	raw=$(skopeo inspect --raw --tls-verify=false "docker://$REG/$ref")
	assert_eq "$(printf %s "$raw" | sha_of)" "$digest" "pushed manifest digest"
	assert_eq "$(echo "$raw" | jq -r .mediaType)" "$MT_MANIFEST" "manifest media type"
	assert_eq "$(echo "$raw" | jq -r .config.mediaType)" "$MT_CONFIG" "config media type"
	assert_eq "$(echo "$raw" | jq -r '.layers[0].mediaType')" "$MT_LAYER" "layer media type"
	cfg=$(skopeo inspect --config --tls-verify=false "docker://$REG/$ref")
	assert_eq "$(echo "$cfg" | jq -r .architecture)" "$(host_goarch)" "config architecture"
	assert_eq "$(echo "$cfg" | jq -r .os)" linux "config os"
	json=$(skopeo inspect --tls-verify=false "docker://$REG/$ref")
	check_labels "$json" "$object"
	# skopeo copies it back (verifying every blob) into an OCI layout
	back=$(mktemp -d "$W/back.XXXXXX")
	skopeo copy -q --src-tls-verify=false "docker://$REG/$ref" "oci:$back:t" >&2 ||
		fail "skopeo copy of the pushed image"
	layerd=$(echo "$raw" | jq -r '.layers[0].digest')
	assert_layer_holds "$back/blobs/sha256/${layerd#sha256:}" "$object"
	echo "$digest"
}

test_build_push_monolithic() {
	need_image_tools
	work_dir
	start_registry
	local d layout
	d=$(push_and_check "$COUNTERS_OBJ" ebpf/counters:mono --push)
	# the same image as a layout build of the same object (reproducible)
	layout=$(bpfman image build -b "$COUNTERS_OBJ" -t x:y -o "$W/l" | digest_in Wrote)
	assert_eq "$d" "$layout" "pushed digest vs layout digest"
	# pushing again: blobs are there, the tag is written again, same digest
	d=$(push_and_check "$COUNTERS_OBJ" ebpf/counters:mono --push)
	assert_eq "$d" "$layout" "digest of a second push"
}

test_build_push_chunked() {
	need_image_tools
	work_dir
	start_registry
	local d size mono
	# chunks of 512 bytes: the layer (~7 KiB) goes up in many PATCH requests
	size=$(stat -c %s "$COUNTERS_OBJ")
	[ "$size" -gt 2048 ] || fail "$COUNTERS_OBJ is too small for a chunked test"
	d=$(push_and_check "$COUNTERS_OBJ" ebpf/counters:chunked --push --chunked --chunk-size 512)
	# the layer went up in 512-byte PATCHes: the upload's reports (one per chunk) say so
	local layer lsize reports
	layer=$(skopeo inspect --raw --tls-verify=false "docker://$REG/ebpf/counters:chunked" | jq -r '.layers[0].digest')
	lsize=$(skopeo inspect --raw --tls-verify=false "docker://$REG/ebpf/counters:chunked" | jq -r '.layers[0].size')
	reports=$(BPFMAN_LOG=debug bpfman image build -b "$COUNTERS_OBJ" -t "$REG/fresh/counters:v1" --push \
		--chunked --chunk-size 512 2>&1 >/dev/null | grep -F "$layer" |
		sed -n "s/.*: \([0-9]*\) of $lsize bytes\$/\1/p")
	assert_eq "$(echo $reports)" "$(echo $(seq 512 512 $((lsize - 1))) "$lsize")" "chunks of the layer"
	mono=$(bpfman image build -b "$COUNTERS_OBJ" -t x:y -o "$W/l" | digest_in Wrote)
	assert_eq "$d" "$mono" "chunked push gives the same image"
	# default chunk size, another repository (nothing to skip: every blob uploaded)
	d=$(push_and_check "$(obj xdp_pass.bpf.o)" other/xdp:v1 --push --chunked)
}

# a little- and a big-endian build of one small source (clang -target bpfel/bpfeb)
make_endian_objects() {
	command -v clang >/dev/null || skip "clang is needed to make a big-endian object"
	cat >"$W/endian.c" <<-'EOF'
		#define SEC(n) __attribute__((section(n), used))
		struct { int (*type)[27]; int (*max_entries)[4096]; } events SEC(".maps");
		SEC("xdp") int endian_prog(void *ctx) { return 2; }
		char LICENSE[] SEC("license") = "GPL";
	EOF
	mkdir -p "$W/el" "$W/eb"
	clang -O2 -g -target bpfel -c "$W/endian.c" -o "$W/el/endian.o" || fail "clang bpfel"
	clang -O2 -g -target bpfeb -c "$W/endian.c" -o "$W/eb/endian.o" || fail "clang bpfeb"
}

test_build_multi_arch_index() {
	need_image_tools
	work_dir
	start_registry
	local out digest raw json m
	out=$(bpfman image build --bc-arm64-el "$(obj xdp_pass.bpf.o)" --bc-amd64-el "$COUNTERS_OBJ" \
		-t "$REG/ebpf/multi:v1" -o "$W/layout" --push)
	digest=$(echo "$out" | digest_in Pushed)
	assert_eq "$(echo "$out" | digest_in Wrote)" "$digest" "layout and pushed digests"
	raw=$(skopeo inspect --raw --tls-verify=false "docker://$REG/ebpf/multi:v1")
	assert_eq "$(printf %s "$raw" | sha_of)" "$digest" "index digest"
	assert_eq "$(echo "$raw" | jq -r .mediaType)" "$MT_INDEX" "index media type"
	# two platforms, in the reference's order (amd64 before arm64), manifests pushed by digest
	assert_eq "$(echo "$raw" | jq -r '[.manifests[] | .platform | "\(.os)/\(.architecture)/\(.variant // "")"] | join(" ")')" \
		"linux/amd64/ linux/arm64/v8" "platforms"
	for m in $(echo "$raw" | jq -r '.manifests[] | .mediaType + "@" + .digest'); do
		assert_eq "${m%@*}" "$MT_MANIFEST" "index entry media type"
		assert_eq "$(skopeo inspect --raw --tls-verify=false "docker://$REG/ebpf/multi@${m#*@}" | sha_of)" \
			"${m#*@}" "platform manifest by digest"
	done
	# each platform's own object and labels
	json=$(skopeo inspect --tls-verify=false --override-arch arm64 "docker://$REG/ebpf/multi:v1")
	assert_eq "$(echo "$json" | jq -r .Architecture)" arm64 "arm64 entry"
	check_labels "$json" "$(obj xdp_pass.bpf.o)"
	json=$(skopeo inspect --tls-verify=false --override-arch amd64 "docker://$REG/ebpf/multi:v1")
	check_labels "$json" "$COUNTERS_OBJ"
	# the layout holds the same index, skopeo copies all of it
	assert_eq "$(skopeo inspect --raw "oci:$W/layout:v1" | sha_of)" "$digest" "layout index"
	skopeo copy -q --all --dest-tls-verify=false "oci:$W/layout:v1" "docker://$REG/copy/multi:v1" ||
		fail "skopeo copy --all of the layout"
	assert_eq "$(skopeo inspect --raw --tls-verify=false "docker://$REG/copy/multi:v1" | sha_of)" \
		"$digest" "index copied by skopeo"
	skopeo copy -q --src-tls-verify=false --override-arch arm64 "docker://$REG/ebpf/multi:v1" "oci:$W/arm:t" ||
		fail "skopeo copy of the arm64 image"
	m=$(skopeo inspect --raw "oci:$W/arm:t" | jq -r '.layers[0].digest')
	assert_layer_holds "$W/arm/blobs/sha256/${m#sha256:}" "$(obj xdp_pass.bpf.o)"
}

test_build_byte_order() {
	need_image_tools
	work_dir
	make_endian_objects
	local raw json l
	# s390x takes the big-endian object; its labels come from the little-endian one
	bpfman image build --bc-s390x-eb "$W/eb/endian.o" --bc-amd64-el "$W/el/endian.o" \
		-t ebpf/endian:v1 -o "$W/layout" >/dev/null
	raw=$(skopeo inspect --raw "oci:$W/layout:v1")
	assert_eq "$(echo "$raw" | jq -r '[.manifests[].platform.architecture] | join(" ")')" "amd64 s390x" "platforms"
	json=$(skopeo inspect --override-arch s390x "oci:$W/layout:v1")
	check_labels "$json" "$W/eb/endian.o"
	skopeo copy -q --override-arch s390x "oci:$W/layout:v1" "oci:$W/s390x:t" || fail "skopeo copy s390x"
	l=$(skopeo inspect --raw "oci:$W/s390x:t" | jq -r '.layers[0].digest')
	assert_layer_holds "$W/s390x/blobs/sha256/${l#sha256:}" "$W/eb/endian.o"

	# the wrong order for the platform is refused, and nothing is written
	expect_fail bpfman image build --bc-s390x-eb "$W/el/endian.o" -t ebpf/x:v1 -o "$W/bad"
	assert_contains "$OUT" "little-endian object, but linux/s390x runs big-endian objects" "s390x with an el object"
	expect_fail bpfman image build --bc-amd64-el "$W/eb/endian.o" -t ebpf/x:v1 -o "$W/bad"
	assert_contains "$OUT" "big-endian object, but linux/amd64 runs little-endian objects" "amd64 with an eb object"
	expect_fail bpfman image build -b "$W/eb/endian.o" -t ebpf/x:v1 -o "$W/bad"
	assert_contains "$OUT" "big-endian object" "host build with an eb object"
	# only big-endian objects: their programs cannot be read on this host
	expect_fail bpfman image build --bc-s390x-eb "$W/eb/endian.o" -t ebpf/x:v1 -o "$W/bad"
	assert_contains "$OUT" "cannot be read" "labels of a big-endian object"
	assert_eq "$(ls -A "$W" | sort | tr '\n' ' ')" "eb el endian.c layout s390x tmp " "nothing left by refused builds"

	# generate-build-args checks the order the same way
	expect_fail bpfman image generate-build-args --bc-s390x-eb "$W/el/endian.o"
	assert_contains "$OUT" "little-endian object, but s390x needs big-endian objects" "generate: s390x"
	assert_eq "$(bpfman image generate-build-args --bc-s390x-eb "$W/eb/endian.o" --bc-amd64-el "$W/el/endian.o")" \
		"BC_AMD64_EL=$W/el/endian.o
BC_S390X_EB=$W/eb/endian.o
PROGRAMS={\"endian_prog\":\"xdp\"}
MAPS={\"events\":\"ringbuf\"}" "generate-build-args multi-arch"
}

test_generate_build_args_matches_objects() {
	local o out n=0 progs maps
	for o in "$BPF_OBJ_DIR"/*.o; do
		case ${o##*/} in
		legacy_maps.bpf.o | legacy_static_map.bpf.o)
			# forms no load accepts (test-legacy.sh): refused the same way here
			expect_fail bpfman image generate-build-args -b "$o"
			assert_contains "$OUT" "$o" "the refusal names the object"
			continue ;;
		esac
		out=$(bpfman image generate-build-args -b "$o")
		assert_eq "$(echo "$out" | wc -l)" 3 "lines for $o"
		assert_eq "$(echo "$out" | sed -n 1p)" "BYTECODE_FILE=$o" "first line for $o"
		progs=$(echo "$out" | sed -n 2p)
		maps=$(echo "$out" | sed -n 3p)
		assert_eq "${progs%%=*}" PROGRAMS "second line for $o"
		assert_eq "${maps%%=*}" MAPS "third line for $o"
		# one line of compact JSON, as the Containerfile's build args take it
		assert_eq "${progs#PROGRAMS=}" "$(echo "${progs#PROGRAMS=}" | jq -c .)" "compact PROGRAMS for $o"
		assert_eq "$(echo "${progs#PROGRAMS=}" | jq -cS .)" "$(expected_labels "$o" programs)" "PROGRAMS of $o"
		assert_eq "$(echo "${maps#MAPS=}" | jq -cS .)" "$(expected_labels "$o" maps)" "MAPS of $o"
		n=$((n + 1))
	done
	[ "$n" -ge 5 ] || fail "only $n objects in $BPF_OBJ_DIR"
	# the data sections of counters.bpf.o (.rodata, .data, .bss) are no maps of the label
	maps=$(bpfman image generate-build-args -b "$COUNTERS_OBJ" | sed -n 's/^MAPS=//p')
	assert_eq "$(echo "$maps" | jq -cS .)" '{"counters":"array","shared_by_name":"hash"}' "maps of counters.bpf.o"

	# a cilium/ebpf project directory: bpf_<arch>_bpfel.o names
	work_dir
	mkdir "$W/proj"
	cp "$COUNTERS_OBJ" "$W/proj/bpf_x86_bpfel.o"
	cp "$COUNTERS_OBJ" "$W/proj/bpf_arm64_bpfel.o"
	out=$(bpfman image generate-build-args -c "$W/proj")
	assert_eq "$(echo "$out" | sed -n 1,2p)" "BC_AMD64_EL=$W/proj/bpf_x86_bpfel.o
BC_ARM64_EL=$W/proj/bpf_arm64_bpfel.o" "cilium project build args"
	assert_eq "$(echo "$out" | sed -n 's/^PROGRAMS=//p' | jq -cS .)" "$(expected_labels "$COUNTERS_OBJ" programs)" "cilium project PROGRAMS"
	cp "$COUNTERS_OBJ" "$W/proj/strange.o"
	expect_fail bpfman image generate-build-args -c "$W/proj"
	assert_contains "$OUT" "strange.o: not a cilium/ebpf bytecode file name" "unknown file name in a project"
}

# every refused build: a message naming the problem, no layout, no temp directory
test_build_bad_input() {
	need_image_tools
	work_dir
	local before
	printf 'not an object\n' >"$W/text.o"
	mkdir "$W/full" && echo keep >"$W/full/file"
	before=$(ls -A "$W" | sort | tr '\n' ' ')

	expect_fail bpfman image build -b "$W/missing.o" -t ebpf/x:v1 -o "$W/out"
	assert_contains "$OUT" "$W/missing.o: No such file or directory" "missing object"
	expect_fail bpfman image build -b "$W/text.o" -t ebpf/x:v1 -o "$W/out"
	assert_contains "$OUT" "$W/text.o is not an ELF file" "not ELF"
	expect_fail bpfman image build -b "$(command -v bash)" -t ebpf/x:v1 -o "$W/out"
	assert_contains "$OUT" "is not an eBPF object" "an ELF file that is no eBPF object"
	expect_fail bpfman image build --bc-sparc64-eb "$COUNTERS_OBJ" -t ebpf/x:v1 -o "$W/out"
	assert_contains "$OUT" "unknown option '--bc-sparc64-eb'" "unknown architecture option"
	expect_fail bpfman image build -b "$COUNTERS_OBJ" --bc-amd64-el "$COUNTERS_OBJ" -t ebpf/x:v1 -o "$W/out"
	assert_contains "$OUT" "give the bytecode one way" "-b and --bc-* together"
	expect_fail bpfman image build -b "$COUNTERS_OBJ" -t ebpf/UPPER:v1 -o "$W/out"
	assert_contains "$OUT" "'ebpf/UPPER' must be lower case" "bad repository named"
	expect_fail bpfman image build -b "$COUNTERS_OBJ" -t 'ebpf/x:bad tag' -o "$W/out"
	assert_contains "$OUT" "contains a space" "bad tag"
	expect_fail bpfman image build -b "$COUNTERS_OBJ" -t "ebpf/x:$(printf 'a%.0s' $(seq 129))" -o "$W/out"
	assert_contains "$OUT" "at most 128" "tag over 128 characters"
	expect_fail bpfman image build -b "$COUNTERS_OBJ" -t "ebpf/x@sha256:$(printf '%064d' 0)" -o "$W/out"
	assert_contains "$OUT" "under a tag, not a digest" "digest instead of a tag"
	expect_fail bpfman image build -b "$COUNTERS_OBJ" -o "$W/out"
	assert_contains "$OUT" "-t/--tag REF is required" "no tag"
	expect_fail bpfman image build -b "$COUNTERS_OBJ" -t ebpf/x:v1 -o "$W/full"
	assert_contains "$OUT" "$W/full exists and is not empty" "existing layout directory"
	assert_eq "$(cat "$W/full/file")" keep "the existing directory is untouched"
	expect_fail bpfman image build -b "$COUNTERS_OBJ" -t ebpf/x:v1 -o "$W/no/such/dir"
	assert_contains "$OUT" "No such file or directory" "layout under a missing directory"
	expect_fail bpfman image generate-build-args -b "$W/text.o"
	assert_contains "$OUT" "$W/text.o is not an ELF file" "generate: not ELF"
	# objects on which libbpf 1.1 crashes (the fuzz corpus): refused, no crash
	expect_fail bpfman image build -b "$TOP/fuzz/corpus/object/regress-btf-member-type-id.elf" -t ebpf/x:v1 -o "$W/out"
	assert_contains "$OUT" "has malformed BTF" "object with bad BTF type ids"
	expect_fail bpfman image generate-build-args -b "$TOP/fuzz/corpus/object/regress-btf-nobits.elf"
	assert_contains "$OUT" "is a malformed object file" "object with a NOBITS .BTF"
	assert_eq "$(ls -A "$W" | sort | tr '\n' ' ')" "$before" "nothing left by refused builds"

	# a registry that is not there: the push fails, nothing stays in TMPDIR
	expect_fail bpfman image build -b "$COUNTERS_OBJ" -t "127.0.0.1:$(free_port)/ebpf/x:v1" --push
	assert_contains "$OUT" "127.0.0.1" "push to nothing names the registry"
	assert_eq "$(find "$W/tmp" -mindepth 1 | wc -l)" 0 "temp files after a failed push"
	# with -o too: no layout when the push failed
	expect_fail bpfman image build -b "$COUNTERS_OBJ" -t "127.0.0.1:$(free_port)/ebpf/x:v1" --push -o "$W/out"
	assert_eq "$(ls -A "$W" | sort | tr '\n' ' ')" "$before" "no layout after a failed push"
}

# HTTPS with the test's CA and htpasswd: credentials from --registry-auth or from the
# [registries] auth_file; none is refused by the registry; no secret is echoed
test_build_push_tls_auth() {
	need_image_tools
	work_dir
	start_registry --tls --htpasswd alice:s3cret-pw
	local cfg="$BPFMAN_ROOT/etc/bpfman/bpfman.toml" out d
	mkdir -p "$(dirname "$cfg")"
	printf '[registries]\nca_file = "%s"\n' "$REG_CA" >"$cfg"

	expect_fail bpfman image build -b "$COUNTERS_OBJ" -t "$REG/ebpf/auth:v1" --push
	assert_contains "$OUT" "$REG" "anonymous push names the registry"
	out=$(bpfman image build -b "$COUNTERS_OBJ" -t "$REG/ebpf/auth:v1" --push \
		--registry-auth "$(printf alice:s3cret-pw | base64)" 2>&1)
	d=$(echo "$out" | digest_in Pushed)
	assert_eq "$(skopeo inspect --raw --tls-verify=false --creds alice:s3cret-pw \
		"docker://$REG/ebpf/auth:v1" | sha_of)" "$d" "pushed over TLS with basic auth"
	expect_fail bpfman image build -b "$COUNTERS_OBJ" -t "$REG/ebpf/auth:v1" --push \
		--registry-auth "$(printf alice:wrong | base64)"
	case "$OUT" in *s3cret* | *wrong*) fail "a password in the output: $OUT" ;; esac

	# the auth file (root-only), named by the config
	printf '{"auths":{"%s":{"auth":"%s"}}}\n' "$REG" "$(printf alice:s3cret-pw | base64)" >"$W/auth.json"
	chmod 600 "$W/auth.json"
	printf '[registries]\nca_file = "%s"\nauth_file = "%s"\n' "$REG_CA" "$W/auth.json" >"$cfg"
	out=$(bpfman image build -b "$(obj xdp_pass.bpf.o)" -t "$REG/ebpf/auth:v2" --push --chunked 2>&1)
	d=$(echo "$out" | digest_in Pushed)
	[ -n "$d" ] || fail "push with the auth file: $out"
	case "$out" in *s3cret*) fail "a password in the output: $out" ;; esac
	assert_eq "$(skopeo inspect --raw --tls-verify=false --creds alice:s3cret-pw \
		"docker://$REG/ebpf/auth:v2" | sha_of)" "$d" "pushed with the auth file"
}

# What bpfman builds, bpfman loads: a multi-platform image pushed by the build, the host's
# platform picked by the pull, the program runs (a counter moves); and a layout build copied
# to the registry by skopeo loads the same way
test_built_image_loads_and_runs() {
	require_feature tracepoint
	need_image_tools
	work_dir
	start_registry
	local arch other digest json id link before after
	arch=$(host_goarch)
	other=arm64
	[ "$arch" = arm64 ] && other=amd64
	digest=$(bpfman image build "--bc-$arch-el" "$COUNTERS_OBJ" "--bc-$other-el" "$(obj xdp_pass.bpf.o)" \
		-t "$REG/ebpf/counters:multi" --push | digest_in Pushed)
	json=$(bpfman load image --image-url "$REG/ebpf/counters:multi" \
		--programs tracepoint:tracepoint_counter -o json)
	id=$(echo "$json" | jq -r '.[0].kernel.id')
	assert_kernel_prog "$id"
	assert_eq "$(echo "$json" | jq -r '.[0].bpfman.image_digest')" "$digest" "loaded image digest"
	link=$(bpfman attach "$id" tracepoint -t syscalls/sys_enter_getpid | awk '/Link ID/ {print $3}')
	before=$(counter "$id" $SLOT_TRACEPOINT)
	trigger getpid 50
	after=$(counter "$id" $SLOT_TRACEPOINT)
	[ $((after - before)) -ge 50 ] || fail "counter moved $before -> $after"
	bpfman detach "$link"
	bpfman unload "$id"
	# a function the labels do not list is refused (the labels are the object's)
	expect_fail bpfman load image --image-url "$REG/ebpf/counters:multi" --programs xdp:xdp_pass
	assert_contains "$OUT" "xdp_pass" "function not in the host platform's labels"

	bpfman image build -b "$COUNTERS_OBJ" -t ebpf/counters:lay -o "$W/layout" >/dev/null
	skopeo copy -q --dest-tls-verify=false "oci:$W/layout:lay" "docker://$REG/ebpf/counters:lay" ||
		fail "skopeo copy of the layout"
	id=$(bpfman load image --image-url "$REG/ebpf/counters:lay" \
		--programs kprobe:kprobe_counter -o json | jq -r '.[0].kernel.id')
	assert_kernel_prog "$id"
	bpfman unload "$id"
	assert_clean_state
}
