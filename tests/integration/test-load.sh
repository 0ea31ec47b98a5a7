# load / get / list / unload, global data, metadata, bad input

test_load_get_unload() {
	require_feature tracepoint
	local id out
	id=$(load_id --programs tracepoint:tracepoint_counter -p "$COUNTERS_OBJ" -a demo)
	assert_kernel_prog "$id"
	[ -e "$FS/prog_$id" ] || fail "no program pin"
	[ -e "$FS/maps/$id/counters" ] || fail "no map pin"
	assert_eq "$(stat -c %a "$FS/maps/$id/counters")" 660 "map pin mode"
	# data sections are not pinned
	! ls "$FS/maps/$id" | grep_all rodata || fail "data section pinned"
	out=$(bpfman get program "$id")
	assert_contains "$out" " BPF Function:  tracepoint_counter" "get view"
	assert_contains "$out" "Kernel Type:                      tracepoint" "kernel block"
	assert_contains "$out" "bpfman_application=demo" "metadata"
	# the kernel agrees on name, type and tag
	local tag
	tag=$(bpftool prog show id "$id" -j | jq -r .tag)
	assert_eq "$(bpfman get program "$id" -o json | jq -r '.kernel.tag')" "$tag" "tag"
	assert_eq "${#tag}" 16 "tag length"
	out=$(bpfman list programs)
	assert_contains "$out" "Program ID" "list header"
	assert_contains "$out" "tracepoint_counter" "list row"
	# older forms
	bpfman list | grep_all tracepoint_counter || fail "bpfman list"
	bpfman get "$id" | grep_all "Kernel State" || fail "bpfman get ID"
	bpfman unload "$id"
	assert_no_kernel_prog "$id"
	assert_clean_state
}

test_tracepoint_counts() {
	require_feature tracepoint
	local id link before after
	id=$(load_id --programs tracepoint:tracepoint_counter -p "$COUNTERS_OBJ")
	link=$(bpfman attach "$id" tracepoint -t syscalls/sys_enter_getpid | awk '/Link ID/ {print $3}')
	before=$(counter "$id" $SLOT_TRACEPOINT)
	trigger getpid 50
	after=$(counter "$id" $SLOT_TRACEPOINT)
	[ $((after - before)) -ge 50 ] || fail "counter moved $before -> $after"
	bpfman get link "$link" | grep_all "Tracepoint:  *syscalls/sys_enter_getpid" || fail "get link"
	bpfman list links | grep_all "$link" || fail "list links"
	assert_eq "$(bpftool link show | grep -c "prog $id")" 1 "kernel link"
	bpfman detach "$link"
	before=$(counter "$id" $SLOT_TRACEPOINT)
	trigger getpid 50
	after=$(counter "$id" $SLOT_TRACEPOINT)
	assert_eq "$after" "$before" "counter after detach"
	bpfman unload "$id"
	assert_clean_state
}

test_multi_program_load() {
	require_feature tracepoint
	require_feature uprobe
	local json a b
	json=$(bpfman load file -o json -p "$COUNTERS_OBJ" \
		--programs tracepoint:tracepoint_counter uprobe:uprobe_counter tcx:tcx_a -a multi)
	assert_eq "$(echo "$json" | jq length)" 3 "programs loaded"
	a=$(echo "$json" | jq -r '.[0].kernel.id')
	b=$(echo "$json" | jq -r '.[1].kernel.id')
	# one set of maps: the same kernel map ids, one map directory
	assert_eq "$(echo "$json" | jq -c '.[0].kernel.map_ids')" "$(echo "$json" | jq -c '.[1].kernel.map_ids')" "map ids"
	assert_eq "$(echo "$json" | jq -r '.[1].bpfman.map_pin_path')" "$FS/maps/$a" "map dir"
	assert_eq "$(echo "$json" | jq -r '.[1].bpfman.map_owner_id')" "$a" "owner of second"
	assert_eq "$(echo "$json" | jq -r '.[2].bpfman.program_type')" "tcx" "third type"
	assert_eq "$(bpfman list programs --application multi -o json | jq length)" 3 "app filter"
	for id in $(echo "$json" | jq -r '.[].kernel.id'); do bpfman unload "$id"; done
	assert_clean_state
}

test_global_data() {
	require_feature tracepoint
	local id before after
	# increment is a u64 in .rodata: 5, little endian
	id=$(load_id --programs tracepoint:tracepoint_counter -p "$COUNTERS_OBJ" -g increment=0500000000000000)
	bpfman get program "$id" | grep_all "Global:  *increment=0500000000000000" || fail "global shown"
	bpfman attach "$id" tracepoint -t syscalls/sys_enter_getpid >/dev/null
	before=$(counter "$id" $SLOT_TRACEPOINT)
	trigger getpid 10
	after=$(counter "$id" $SLOT_TRACEPOINT)
	[ $(( (after - before) % 5 )) = 0 ] && [ $((after - before)) -ge 50 ] || fail "increment 5 not applied: $before -> $after"
	# .data and .bss variables too (globals_probe writes data_marker + bss_marker)
	local id2
	id2=$(load_id --programs tracepoint:globals_probe -p "$COUNTERS_OBJ" -g data_marker=64000000 -g bss_marker=02000000)
	bpfman attach "$id2" tracepoint -t syscalls/sys_enter_getppid >/dev/null
	trigger getppid 3
	after=$("$TESTS_HELPERS/map-sum" "$FS/maps/$id2/counters" 15)
	assert_eq "$after" 102 "data_marker + bss_marker set by -g"
	bpfman unload "$id2"
	bpfman unload "$id"
	assert_clean_state
}

test_metadata_filters_and_all() {
	require_feature tracepoint
	local a b n
	a=$(load_id --programs tracepoint:tracepoint_counter -p "$COUNTERS_OBJ" -m owner=alice,tier=1)
	b=$(load_id --programs tracepoint:tracepoint_counter -p "$COUNTERS_OBJ" -m owner=bob -a billing)
	assert_eq "$(bpfman list programs -m owner=alice -o json | jq -r '.[].kernel.id')" "$a" "owner=alice"
	assert_eq "$(bpfman list programs -m owner=alice,tier=1 -o json | jq length)" 1 "two pairs"
	assert_eq "$(bpfman list programs -m owner=alice,tier=2 -o json | jq length)" 0 "mismatch"
	assert_eq "$(bpfman list programs --application billing -o json | jq -r '.[].kernel.id')" "$b" "application"
	assert_eq "$(bpfman list programs -p tracepoint -o json | jq length)" 2 "kernel type filter"
	assert_eq "$(bpfman list programs -p xdp -o json | jq length)" 0 "kernel type filter xdp"
	# --all adds every kernel program; a selector still restricts to managed ones. Others
	# load and unload programs meanwhile: one listing must hold every program that existed
	# both before and after it, and its managed rows are exactly ours.
	local before all after missing other out
	before=$(kernel_ids prog)
	all=$(bpfman list programs --all -o json)
	after=$(kernel_ids prog)
	missing=$(comm -12 <(printf '%s\n' "$before") <(printf '%s\n' "$after") |
		comm -23 - <(echo "$all" | jq -r '.[].kernel.id' | sort))
	[ -z "$missing" ] || fail "--all lacks kernel programs: $missing"
	assert_eq "$(echo "$all" | jq -r '.[] | select(.bpfman != null) | .kernel.id' | sort | xargs)" \
		"$(printf '%s\n' "$a" "$b" | sort | xargs)" "--all managed rows"
	assert_eq "$(bpfman list programs --all -m owner=bob -o json | jq length)" 1 "--all with selector"
	# get of a program we did not load: kernel block only (one that is unloaded meanwhile
	# is not found; the next one is tried)
	for other in $(echo "$all" | jq -r '.[] | select(.bpfman == null) | .kernel.id'); do
		if ! out=$(bpfman get program "$other" 2>&1); then
			kernel_prog_exists "$other" || continue
			fail "get of foreign program $other: $out"
		fi
		assert_contains "$out" "Kernel State" "foreign get"
		case "$out" in *"Bpfman State"*) fail "foreign program shown as managed" ;; esac
		break
	done
	bpfman unload "$a"
	bpfman unload "$b"
	assert_clean_state
}

# Every bad input: a clear error naming the problem, and nothing left behind.
expect_clean_failure() { # message-substring command...
	local want=$1
	shift
	local progs_before
	progs_before=$(kernel_ids prog)
	expect_fail "$@"
	assert_contains "$OUT" "$want" "error message of: $*"
	assert_clean_state
	assert_eq "$(kernel_new_ours prog "$progs_before")" 0 "kernel programs left by: $*"
}

test_bad_input() {
	require_feature tracepoint
	local id
	echo "not an object" >"$TEST_TMP/notelf.$$"
	expect_clean_failure "cannot open object file" bpfman load file --programs tracepoint:x -p /nonexistent.o
	expect_clean_failure "not an ELF object file" bpfman load file --programs tracepoint:x -p "$TEST_TMP/notelf.$$"
	expect_clean_failure "no program function named 'nosuch'" bpfman load file --programs tracepoint:nosuch -p "$COUNTERS_OBJ"
	expect_clean_failure "not a kprobe program" bpfman load file --programs kprobe:tracepoint_counter -p "$COUNTERS_OBJ"
	expect_clean_failure "not a tracepoint program" bpfman load file --programs tracepoint:tracepoint_counter tracepoint:xdp_counter -p "$COUNTERS_OBJ"
	expect_clean_failure "invalid program type" bpfman load file --programs bogus:tracepoint_counter -p "$COUNTERS_OBJ"
	expect_clean_failure "no global variable named 'nosuch'" bpfman load file --programs tracepoint:tracepoint_counter -p "$COUNTERS_OBJ" -g nosuch=01
	expect_clean_failure "is 8 bytes, the value given has 4" bpfman load file --programs tracepoint:tracepoint_counter -p "$COUNTERS_OBJ" -g increment=01000000
	expect_clean_failure "not an even number of hex digits" bpfman load file --programs tracepoint:tracepoint_counter -p "$COUNTERS_OBJ" -g increment=xyz
	expect_clean_failure "needs its target function" bpfman load file --programs fentry:fentry_counter -p "$COUNTERS_OBJ"
	expect_clean_failure "map owner program 4000000000 does not exist" bpfman load file --programs tracepoint:tracepoint_counter -p "$COUNTERS_OBJ" --map-owner-id 4000000000
	expect_clean_failure "program 4000000000 does not exist" bpfman unload 4000000000
	expect_clean_failure "program 4000000000 does not exist" bpfman attach 4000000000 tracepoint -t syscalls/sys_enter_getpid
	expect_clean_failure "link 4000000000 does not exist" bpfman detach 4000000000
	expect_clean_failure "link 4000000000 does not exist" bpfman get link 4000000000
	expect_clean_failure "program 4000000000 does not exist" bpfman get program 4000000000
	expect_clean_failure "invalid program id" bpfman unload 12abc

	id=$(load_id --programs tracepoint:tracepoint_counter -p "$COUNTERS_OBJ")
	expect_fail bpfman attach "$id" tracepoint -t syscalls/no_such_tracepoint
	assert_contains "$OUT" "tracepoint 'syscalls/no_such_tracepoint' does not exist" "bad tracepoint"
	expect_fail bpfman attach "$id" tracepoint -t nocategory
	assert_contains "$OUT" "invalid tracepoint" "malformed tracepoint"
	expect_fail bpfman attach "$id" kprobe -f do_unlinkat
	assert_contains "$OUT" "is a tracepoint program; kprobe attach info given" "mismatched attach"
	assert_eq "$(bpfman list links -o json | jq length)" 0 "links after failed attaches"
	[ -z "$(ls "$FS/links")" ] || fail "link pins left"
	bpfman unload "$id"

	# a missing interface
	id=$(load_id --programs tcx:tcx_a -p "$COUNTERS_OBJ")
	expect_fail bpfman attach "$id" tcx -i nosuchif0 -d ingress
	assert_contains "$OUT" "interface 'nosuchif0' does not exist" "missing interface"
	bpfman unload "$id"
	assert_clean_state
}

# Every kernel field of `get program` is what bpftool says about the same program, and
# every link we list is a link the kernel has.
test_matches_bpftool() {
	require_feature tracepoint
	local id j b l
	id=$(load_id --programs tracepoint:tracepoint_counter -p "$COUNTERS_OBJ")
	l=$(bpfman attach "$id" tracepoint -t syscalls/sys_enter_getpid | awk '/Link ID/ {print $3}')
	j=$(bpfman get program "$id" -o json)
	b=$(bpftool prog show id "$id" -j)
	assert_eq "$(jq -r .kernel.name <<<"$j")" "$(jq -r .name <<<"$b")" "name"
	assert_eq "$(jq -r .kernel.program_type_name <<<"$j")" "$(jq -r .type <<<"$b")" "type"
	assert_eq "$(jq -r .kernel.tag <<<"$j")" "$(jq -r .tag <<<"$b")" "tag"
	assert_eq "$(jq -r .kernel.gpl_compatible <<<"$j")" "$(jq -r .gpl_compatible <<<"$b")" "gpl"
	assert_eq "$(jq -c .kernel.map_ids <<<"$j")" "$(jq -c .map_ids <<<"$b")" "map ids"
	assert_eq "$(jq -r .kernel.btf_id <<<"$j")" "$(jq -r .btf_id <<<"$b")" "btf id"
	assert_eq "$(jq -r .kernel.bytes_xlated <<<"$j")" "$(jq -r .bytes_xlated <<<"$b")" "xlated"
	assert_eq "$(jq -r .kernel.bytes_jited <<<"$j")" "$(jq -r '.bytes_jited // 0' <<<"$b")" "jited"
	assert_eq "$(jq -r .kernel.bytes_memlock <<<"$j")" "$(jq -r .bytes_memlock <<<"$b")" "memlock"
	# loaded_at: bpftool prints the same instant (its own rounding may differ by a second)
	local ours theirs
	ours=$(date -d "$(jq -r .kernel.loaded_at <<<"$j" | sed -E 's/([0-9]{2})([0-9]{2})$/\1:\2/')" +%s)
	theirs=$(jq -r .loaded_at <<<"$b")
	[ $((ours - theirs)) -le 1 ] && [ $((theirs - ours)) -le 1 ] || fail "loaded_at $ours vs $theirs"
	# the link: bpftool knows its kernel link, for this program
	local klink
	klink=$(bpfman get link "$l" -o json | jq -r .kernel_link_id)
	assert_eq "$(bpftool link show id "$klink" -j | jq -r .prog_id)" "$id" "kernel link's program"
	bpfman detach "$l"
	! bpftool link show id "$klink" >/dev/null 2>&1 || fail "kernel link $klink after detach"
	bpfman unload "$id"
	assert_clean_state
}
