# Objects written the way the reference's users write them (bpf/legacy_*.bpf.c): sections
# libbpf 1.x does not know by themselves ("classifier/stats", "xdp/xdp_stats"), prefixed
# probe and tracepoint sections, static program functions, and a legacy "maps" section
# (refused with what to change). Each program is loaded through the CLI, shown with the
# names and types the reference shows, attached, and proven to run by its counter.

LEGACY_SECTIONS_OBJ="$BPF_OBJ_DIR/legacy_sections.bpf.o" # global programs, one static
LEGACY_STATIC_OBJ="$BPF_OBJ_DIR/legacy_static.bpf.o"     # every program static
# bpf/legacy_slots.h
L_TC=0 L_TCX=1 L_XDP=2 L_TRACEPOINT=3 L_KPROBE=4 L_KRETPROBE=5 L_UPROBE=6 L_URETPROBE=7
L_TCX_INGRESS=8 L_GENERIC=9

# moved PROG_ID SLOT MIN COMMAND...: runs COMMAND; the program's counter moves by >= MIN
moved() {
	local id=$1 slot=$2 min=$3 before after
	shift 3
	before=$(counter "$id" "$slot")
	"$@" >/dev/null
	after=$(counter "$id" "$slot")
	[ $((after - before)) -ge "$min" ] ||
		fail "program $id: counter $slot moved $before -> $after, want >= $min after: $*"
}

attach_link() {
	bpfman attach "$@" | awk '/Link ID/ {print $3}'
}

# shown_as PROG_ID NAME TYPE: `bpfman get program` names the function and the type as the
# reference does (kretprobe/uretprobe from the section), and the kernel's name is the
# function's (cut to 15 characters by kernels that have no BTF name for it)
shown_as() {
	local out kname
	out=$(bpfman get program "$1")
	grep -qE "^ *BPF Function: +$2\$" <<<"$out" || fail "program $1 not named $2: $out"
	grep -qE "^ *Program Type: +$3\$" <<<"$out" || fail "program $1 not of type $3: $out"
	kname=$(bpfman get program "$1" -o json | jq -r .kernel.name)
	case "$2" in
	"$kname"*) ;;
	*) fail "program $1: kernel name '$kname' is not that of $2" ;;
	esac
}

ping_b_to_a() { ip netns exec "$NS_B" ping -c 5 -i 0.2 -W 2 192.0.2.1; }

test_tc_classifier_section() {
	make_veth_pair
	local obj id l
	for obj in "$LEGACY_SECTIONS_OBJ" "$LEGACY_STATIC_OBJ"; do
		id=$(load_id -p "$obj" --programs tc:stats)
		shown_as "$id" stats tc
		l=$(attach_link "$id" tc -i "$IF_A" -d ingress -n "/var/run/netns/$NS_A")
		moved "$id" $L_TC 5 ping_b_to_a
		bpfman detach "$l"
		bpfman unload "$id"
	done
	assert_clean_state
}

test_tcx_classifier_section() {
	require_feature tcx
	make_veth_pair
	local obj id l
	for obj in "$LEGACY_SECTIONS_OBJ" "$LEGACY_STATIC_OBJ"; do
		id=$(load_id -p "$obj" --programs tcx:tcx_stats)
		shown_as "$id" tcx_stats tcx
		l=$(attach_link "$id" tcx -i "$IF_A" -d ingress -n "/var/run/netns/$NS_A")
		moved "$id" $L_TCX 5 ping_b_to_a
		bpfman detach "$l"
		bpfman unload "$id"
	done
	assert_clean_state
}

# "xdp/xdp_stats" (legacy_sections) and a static function in "xdp" (legacy_static)
test_xdp_sections() {
	make_veth_pair
	local obj id l
	for obj in "$LEGACY_SECTIONS_OBJ" "$LEGACY_STATIC_OBJ"; do
		id=$(load_id -p "$obj" --programs xdp:xdp_stats)
		shown_as "$id" xdp_stats xdp
		l=$(attach_link "$id" xdp -i "$IF_A" -n "/var/run/netns/$NS_A")
		moved "$id" $L_XDP 5 ping_b_to_a
		bpfman detach "$l"
		bpfman unload "$id"
	done
	assert_clean_state
}

test_tracepoint_section() {
	require_feature tracepoint
	local obj id
	for obj in "$LEGACY_SECTIONS_OBJ" "$LEGACY_STATIC_OBJ"; do
		id=$(load_id -p "$obj" --programs tracepoint:tracepoint_getpid)
		shown_as "$id" tracepoint_getpid tracepoint
		attach_link "$id" tracepoint -t syscalls/sys_enter_getpid >/dev/null
		moved "$id" $L_TRACEPOINT 10 trigger getpid 10
		bpfman unload "$id"
	done
	assert_clean_state
}

# "tcx/ingress" (libbpf 1.3's name, unknown to 1.1) as tcx
test_tcx_ingress_section() {
	require_feature tcx
	make_veth_pair
	local id
	id=$(load_id -p "$LEGACY_SECTIONS_OBJ" --programs tcx:tcx_ingress_stats)
	shown_as "$id" tcx_ingress_stats tcx
	attach_link "$id" tcx -i "$IF_A" -d ingress -n "/var/run/netns/$NS_A" >/dev/null
	moved "$id" $L_TCX_INGRESS 5 ping_b_to_a
	bpfman unload "$id"
	assert_clean_state
}

# A section name that names no type ("count_getppid"): the request's type is the type
test_section_naming_no_type() {
	require_feature tracepoint
	local id
	id=$(load_id -p "$LEGACY_SECTIONS_OBJ" --programs tracepoint:generic_getppid)
	shown_as "$id" generic_getppid tracepoint
	attach_link "$id" tracepoint -t syscalls/sys_enter_getppid >/dev/null
	moved "$id" $L_GENERIC 10 trigger getppid 10
	bpfman unload "$id"
	assert_clean_state
}

# kprobe or kretprobe comes from the section, as in the reference
test_kprobe_sections() {
	require_feature kprobe
	local obj json k kr
	for obj in "$LEGACY_SECTIONS_OBJ" "$LEGACY_STATIC_OBJ"; do
		json=$(bpfman load file -o json -p "$obj" \
			--programs kprobe:kprobe_unlinkat kprobe:kretprobe_unlinkat)
		k=$(echo "$json" | jq -r '.[0].kernel.id')
		kr=$(echo "$json" | jq -r '.[1].kernel.id')
		shown_as "$k" kprobe_unlinkat kprobe
		shown_as "$kr" kretprobe_unlinkat kretprobe
		attach_link "$k" kprobe -f do_unlinkat >/dev/null
		attach_link "$kr" kprobe -f do_unlinkat >/dev/null
		moved "$k" $L_KPROBE 10 trigger unlink 10
		moved "$kr" $L_KRETPROBE 10 trigger unlink 10
		bpfman unload "$k"
		bpfman unload "$kr"
	done
	assert_clean_state
}

test_uprobe_sections() {
	require_feature uprobe
	local obj json u ur
	for obj in "$LEGACY_SECTIONS_OBJ" "$LEGACY_STATIC_OBJ"; do
		json=$(bpfman load file -o json -p "$obj" \
			--programs uprobe:uprobe_target uprobe:uretprobe_target)
		u=$(echo "$json" | jq -r '.[0].kernel.id')
		ur=$(echo "$json" | jq -r '.[1].kernel.id')
		shown_as "$u" uprobe_target uprobe
		shown_as "$ur" uretprobe_target uretprobe
		attach_link "$u" uprobe -t "$TESTS_HELPERS/trigger" -f bpfman_test_target >/dev/null
		attach_link "$ur" uprobe -t "$TESTS_HELPERS/trigger" -f bpfman_test_target >/dev/null
		moved "$u" $L_UPROBE 7 trigger func 7
		moved "$ur" $L_URETPROBE 7 trigger func 7
		bpfman unload "$u"
		bpfman unload "$ur"
	done
	assert_clean_state
}

# Every program of one object in one load (one of them static in legacy_sections, all of
# them in legacy_static), each of the kinds the kernel has: they share the object's maps,
# and each runs.
test_one_object_every_type() {
	make_veth_pair
	local obj json progs=(tc:stats xdp:xdp_stats) kinds=tc+xdp base id
	if probe_feature tcx; then progs+=(tcx:tcx_stats); kinds+=+tcx; fi
	if probe_feature tracepoint; then progs+=(tracepoint:tracepoint_getpid); kinds+=+tracepoint; fi
	if probe_feature kprobe; then
		progs+=(kprobe:kprobe_unlinkat kprobe:kretprobe_unlinkat)
		kinds+=+kprobe
	fi
	if probe_feature uprobe; then
		progs+=(uprobe:uprobe_target uprobe:uretprobe_target)
		kinds+=+uprobe
	fi
	echo "kinds: $kinds"
	for obj in "$LEGACY_SECTIONS_OBJ" "$LEGACY_STATIC_OBJ"; do
		base=$(kernel_ids prog)
		json=$(bpfman load file -o json -p "$obj" --programs "${progs[@]}")
		assert_eq "$(echo "$json" | jq length)" "${#progs[@]}" "programs loaded from $obj"
		assert_eq "$(echo "$json" | jq -r '[.[].bpfman.map_pin_path] | unique | length')" 1 \
			"one map directory"
		id_of() { echo "$json" | jq -r --arg n "$1" '.[] | select(.bpfman.name == $n) | .kernel.id'; }
		id=$(id_of stats)
		shown_as "$id" stats tc
		attach_link "$id" tc -i "$IF_A" -d ingress -n "/var/run/netns/$NS_A" >/dev/null
		shown_as "$(id_of xdp_stats)" xdp_stats xdp
		attach_link "$(id_of xdp_stats)" xdp -i "$IF_A" -n "/var/run/netns/$NS_A" >/dev/null
		case $kinds in *+tcx*)
			shown_as "$(id_of tcx_stats)" tcx_stats tcx
			attach_link "$(id_of tcx_stats)" tcx -i "$IF_A" -d ingress -n "/var/run/netns/$NS_A" >/dev/null
		esac
		moved "$id" $L_TC 5 ping_b_to_a
		# one map for all: the others' counters read through the tc program's map
		[ "$(counter "$id" $L_XDP)" -ge 5 ] || fail "xdp saw no packets"
		case $kinds in *+tcx*) [ "$(counter "$id" $L_TCX)" -ge 5 ] || fail "tcx saw no packets" ;; esac
		case $kinds in *+tracepoint*)
			shown_as "$(id_of tracepoint_getpid)" tracepoint_getpid tracepoint
			attach_link "$(id_of tracepoint_getpid)" tracepoint -t syscalls/sys_enter_getpid >/dev/null
			moved "$id" $L_TRACEPOINT 10 trigger getpid 10
		esac
		case $kinds in *+kprobe*)
			shown_as "$(id_of kretprobe_unlinkat)" kretprobe_unlinkat kretprobe
			attach_link "$(id_of kretprobe_unlinkat)" kprobe -f do_unlinkat >/dev/null
			moved "$id" $L_KRETPROBE 10 trigger unlink 10
		esac
		case $kinds in *+uprobe*)
			shown_as "$(id_of uretprobe_target)" uretprobe_target uretprobe
			attach_link "$(id_of uretprobe_target)" uprobe -t "$TESTS_HELPERS/trigger" -f bpfman_test_target >/dev/null
			moved "$id" $L_URETPROBE 7 trigger func 7
		esac
		for id in $(echo "$json" | jq -r '.[].kernel.id'); do bpfman unload "$id"; done
		assert_clean_state
		eventually_eq ours_left 0 "kernel programs left after unload"
	done
}

# How many programs the kernel has that were not there at $base, are held by nothing of
# anyone else's (others load programs at the same time, this very test among them) and bear
# the name of a function of ours.
ours_left() {
	kernel_new_ours_ids prog "$base" | while read -r id; do
		bpftool prog show id "$id" -j 2>/dev/null | jq -r .name
	done | grep -cE '^(stats|tcx_stats|tcx_ingress_sta|generic_getppi|xdp_stats|tracepoint_getp|kprobe_unlinkat|kretprobe_unlin|uprobe_target|uretprobe_targe|xdp_legacy_map)' || true
}

# A section whose prefix names another kind of program is still refused; nothing is left.
test_section_of_another_type_refused() {
	local base
	base=$(kernel_ids prog)
	expect_fail bpfman load file -p "$LEGACY_SECTIONS_OBJ" --programs xdp:stats
	assert_contains "$OUT" "function 'stats' is in section 'classifier/stats', which is not a xdp program" "classifier as xdp"
	expect_fail bpfman load file -p "$LEGACY_SECTIONS_OBJ" --programs tracepoint:xdp_stats
	assert_contains "$OUT" "in section 'xdp/xdp_stats', which is not a tracepoint program" "xdp/ as tracepoint"
	expect_fail bpfman load file -p "$LEGACY_STATIC_OBJ" --programs tc:xdp_stats
	assert_contains "$OUT" "in section 'xdp', which is not a tc program" "static xdp as tc"
	expect_fail bpfman load file -p "$LEGACY_SECTIONS_OBJ" --programs kprobe:uprobe_target
	assert_contains "$OUT" "in section 'uprobe/bpfman_test_target', which is not a kprobe program" "uprobe as kprobe"
	expect_fail bpfman load file -p "$LEGACY_SECTIONS_OBJ" --programs xdp:tcx_ingress_stats
	assert_contains "$OUT" "in section 'tcx/ingress', which is not a xdp program" "tcx/ as xdp"
	# a good program next to a refused one: the load is all or nothing
	expect_fail bpfman load file -p "$LEGACY_STATIC_OBJ" --programs tc:stats xdp:stats
	assert_clean_state
	eventually_eq ours_left 0 "kernel programs left"
}

test_legacy_maps_section_refused() {
	local base
	base=$(kernel_ids prog)
	expect_fail bpfman load file -p "$(obj legacy_maps.bpf.o)" --programs xdp:xdp_legacy_map
	assert_contains "$OUT" "legacy \"maps\" section (struct bpf_map_def)" "what is unsupported"
	assert_contains "$OUT" "BTF-defined map in SEC(\".maps\")" "what to change"
	case "$OUT" in
	*"Operation not supported"* | *"not supported by libbpf"*) fail "libbpf's bare refusal: $OUT" ;;
	esac
	assert_clean_state
	eventually_eq ours_left 0 "kernel programs left"
	assert_eq "$(tree_count "$FS/maps")" 0 "map directories left"
}

# What libbpf itself does not support (here a static BTF map) is bad input with libbpf's
# reason, not "Operation not supported" (which gRPC would answer UNIMPLEMENTED)
test_unsupported_object_refused_as_bad_input() {
	expect_fail bpfman load file -p "$(obj legacy_static_map.bpf.o)" --programs xdp:xdp_static_map
	assert_contains "$OUT" "uses a form libbpf" "refusal"
	assert_contains "$OUT" "map 'static_counters': unsupported map linkage static" "libbpf's reason"
	case "$OUT" in *"Operation not supported"*) fail "bare ENOTSUP: $OUT" ;; esac
	assert_clean_state
}
