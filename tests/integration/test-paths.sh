# paths: names from object files and links planted in the state tree never take a path
# outside the root; failed loads do not grow a long-lived process.

# A directory outside the root for links to point at; removed (and unmounted, should a
# bpffs have been mounted on it) whatever the test's outcome.
OUTSIDE="$BPFMAN_ROOT.outside"

paths_teardown() {
	local rc=$?
	set +e
	while mountpoint -q "$OUTSIDE" 2>/dev/null; do umount "$OUTSIDE" || break; done
	rm -rf "$OUTSIDE"
	(exit $rc)
	test_teardown
}

make_outside() {
	trap 'paths_teardown' EXIT
	mkdir -p "$OUTSIDE"
	echo precious >"$OUTSIDE/keep"
}

assert_outside_untouched() {
	! mountpoint -q "$OUTSIDE" || fail "a bpffs was mounted outside the root on $OUTSIDE"
	assert_eq "$(ls -A "$OUTSIDE" | tr '\n' ' ')" "keep " "files outside the root"
	assert_eq "$(cat "$OUTSIDE/keep")" precious "file outside the root"
}

# hostile_object NAME: prints a copy of hostile_map.bpf.o whose map is called NAME
hostile_object() {
	local out="$BPFMAN_ROOT/hostile-$RANDOM.o"
	"$TESTS_HELPERS/replace-bytes" "$(obj hostile_map.bpf.o)" "$out" \
		hostile_map_name_placeholder_patched_by_test "$1" >&2 ||
		fail "cannot patch the map name into $out"
	echo "$out"
}

test_map_name_with_dotdot_refused() {
	require_feature tracepoint
	local a b o before
	a=$(load_id --programs tracepoint:tracepoint_counter -p "$COUNTERS_OBJ")
	b=$(load_id --programs tracepoint:tracepoint_counter -p "$COUNTERS_OBJ")
	before=$(bpffs_entries)
	# sharing a's maps, a map named "../<b>/counters" would take b's map instead
	o=$(hostile_object "../$b/counters")
	expect_fail bpfman load file -p "$o" --programs tracepoint:hostile_map_user --map-owner-id "$a"
	assert_contains "$OUT" "map '../$b/counters' in '$o' cannot be pinned under its name" "map named in the error"
	# without an owner, its pin would land outside the map directory
	o=$(hostile_object "../../escaped")
	expect_fail bpfman load file -p "$o" --programs tracepoint:hostile_map_user
	assert_contains "$OUT" "map '../../escaped' in '$o' cannot be pinned under its name" "map named in the error"
	o=$(hostile_object "..")
	expect_fail bpfman load file -p "$o" --programs tracepoint:hostile_map_user
	assert_contains "$OUT" "map '..' in '$o' cannot be pinned under its name" "'..' as a map name"
	# nothing left: the same pins, the same two programs, b's map used by b alone
	assert_eq "$(bpffs_entries)" "$before" "pins after the refused loads"
	assert_eq "$(bpfman list programs -o json | jq -c '[.[].kernel.id] | sort')" "[$a,$b]" "programs"
	assert_eq "$(bpfman get program "$b" -o json | jq -c .bpfman.map_used_by)" "[$b]" "users of b's maps"
	bpfman unload "$a"
	bpfman unload "$b"
	assert_clean_state
}

test_db_dir_link_refused() {
	make_outside
	mkdir -p "$BPFMAN_ROOT/run/bpfman"
	ln -s "$OUTSIDE" "$BPFMAN_ROOT/run/bpfman/db"
	expect_fail bpfman list programs
	assert_contains "$OUT" "symbolic link in the state tree" "list with a linked db directory"
	expect_fail bpfman load file -p "$COUNTERS_OBJ" --programs tracepoint:tracepoint_counter
	assert_contains "$OUT" "symbolic link in the state tree" "load with a linked db directory"
	assert_outside_untouched
	# one level up: the whole run/bpfman a link
	rm "$BPFMAN_ROOT/run/bpfman/db"
	rmdir "$BPFMAN_ROOT/run/bpfman"
	ln -s "$OUTSIDE" "$BPFMAN_ROOT/run/bpfman"
	expect_fail bpfman load file -p "$COUNTERS_OBJ" --programs tracepoint:tracepoint_counter
	assert_contains "$OUT" "symbolic link in the state tree" "load with a linked run/bpfman"
	assert_outside_untouched
	rm "$BPFMAN_ROOT/run/bpfman"
}

test_db_file_link_refused() {
	make_outside
	mkdir -p "$BPFMAN_ROOT/run/bpfman/db"
	ln -s "$OUTSIDE/keep" "$BPFMAN_ROOT/run/bpfman/db/store.db-wal"
	expect_fail bpfman list programs
	assert_contains "$OUT" "symbolic link in the state tree" "a linked -wal file"
	assert_outside_untouched
}

test_bpffs_dir_link_refused() {
	make_outside
	mkdir -p "$BPFMAN_ROOT/run/bpfman"
	ln -s "$OUTSIDE" "$BPFMAN_ROOT/run/bpfman/fs"
	expect_fail bpfman load file -p "$COUNTERS_OBJ" --programs tracepoint:tracepoint_counter
	assert_contains "$OUT" "symbolic link in the state tree" "load with a linked bpffs directory"
	assert_outside_untouched
	rm "$BPFMAN_ROOT/run/bpfman/fs"
}

# a manager's state tree with its bpffs mounted, nothing loaded
prepared_root() {
	require_feature tracepoint
	local id
	id=$(load_id --programs tracepoint:tracepoint_counter -p "$COUNTERS_OBJ")
	bpfman unload "$id"
	mountpoint -q "$FS" || fail "no bpffs at $FS"
}

test_links_dir_link_refused() {
	make_outside
	prepared_root
	# a file named like a link id without a record: the sweep would unlink it
	echo stray >"$OUTSIDE/4242"
	rmdir "$FS/links"
	ln -s "$OUTSIDE" "$FS/links"
	expect_fail bpfman load file -p "$COUNTERS_OBJ" --programs tracepoint:tracepoint_counter
	assert_contains "$OUT" "symbolic link in the state tree" "load with a linked links directory"
	[ -e "$OUTSIDE/4242" ] || fail "reconcile deleted $OUTSIDE/4242 through the link"
	rm "$OUTSIDE/4242" "$FS/links"
	assert_outside_untouched
}

test_maps_dir_links_not_followed() {
	make_outside
	prepared_root
	# a map directory entry that is a link: the sweep of unused map directories would
	# empty its target
	ln -s "$OUTSIDE" "$FS/maps/4242"
	bpfman list programs >/dev/null
	OUT=$(bpfman unload 4242 2>&1) || true
	assert_outside_untouched
	[ -L "$FS/maps/4242" ] || fail "the planted link went"
	rm "$FS/maps/4242"
	# maps itself a link: refused
	rmdir "$FS/maps"
	ln -s "$OUTSIDE" "$FS/maps"
	expect_fail bpfman load file -p "$COUNTERS_OBJ" --programs tracepoint:tracepoint_counter
	assert_contains "$OUT" "symbolic link in the state tree" "load with a linked maps directory"
	assert_outside_untouched
	rm "$FS/maps"
}

# Loads naming an fentry/fexit/lsm target that does not exist once leaked libbpf's copy of
# the kernel's BTF (~6 MB each). The helper runs them in one process, as the server does.
test_missing_target_loads_do_not_grow() {
	[ -r /sys/kernel/btf/vmlinux ] || skip "the kernel has no BTF (/sys/kernel/btf/vmlinux)"
	local spec grew
	for spec in fentry:fentry_counter:no_such_function_bpfman \
		lsm:lsm_counter:no_such_hook_bpfman; do
		# (a sanitized build would keep what is freed in ASan's quarantine: none here)
		grew=$(ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}quarantine_size_mb=0" \
			"$TESTS_HELPERS/load-rss" "$BPFMAN_ROOT" "$COUNTERS_OBJ" "$spec" 40)
		echo "$spec: resident set grew by $grew KiB over 39 loads"
		[ "$grew" -lt 10240 ] || fail "$spec: 39 failed loads grew the process by $grew KiB"
	done
	assert_clean_state
}
