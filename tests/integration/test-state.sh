# state: map sharing, reconciliation, crash safety, concurrency, resource balance

map_ids() { bpfman get program "$1" -o json | jq -c '.kernel.map_ids'; }

test_map_sharing_owner_first() {
	require_feature tracepoint
	local a b dir
	a=$(load_id --programs tracepoint:tracepoint_counter -p "$COUNTERS_OBJ")
	b=$(load_id --programs tracepoint:tracepoint_counter -p "$COUNTERS_OBJ" --map-owner-id "$a")
	dir="$FS/maps/$a"
	# every shared map has one kernel id for both (data sections stay per program, as in
	# the reference: they hold each program's own global data)
	local shared
	for m in counters; do
		shared=$(bpftool map show pinned "$dir/$m" -j | jq .id)
		echo "$(map_ids "$a")" | jq -e "index($shared)" >/dev/null || fail "owner lacks map $m"
		echo "$(map_ids "$b")" | jq -e "index($shared)" >/dev/null || fail "sharer lacks map $m ($shared)"
		bpftool prog show id "$b" -j | jq -e ".map_ids | index($shared)" >/dev/null || fail "bpftool: sharer lacks $m"
	done
	assert_eq "$(bpfman get program "$b" -o json | jq -r .bpfman.map_pin_path)" "$dir" "sharer's map pin path"
	assert_eq "$(bpfman get program "$a" -o json | jq -c .bpfman.map_used_by)" "[$a,$b]" "maps used by"
	bpfman get program "$b" | grep_all "Map Owner ID:  $a" || fail "owner shown"
	# pin-by-name maps go to the manager's directory, not /sys/fs/bpf
	[ -e "$dir/shared_by_name" ] || fail "pin-by-name map not in $dir"
	[ ! -e /sys/fs/bpf/shared_by_name ] || fail "pinned under /sys/fs/bpf"
	bpfman attach "$b" tracepoint -t syscalls/sys_enter_getpid >/dev/null
	# the owner goes first; the sharer keeps the maps
	bpfman unload "$a"
	[ -e "$dir/counters" ] || fail "map directory removed while a sharer remains"
	local before after
	before=$("$TESTS_HELPERS/map-sum" "$dir/counters" $SLOT_TRACEPOINT)
	trigger getpid 10
	after=$("$TESTS_HELPERS/map-sum" "$dir/counters" $SLOT_TRACEPOINT)
	[ $((after - before)) -ge 10 ] || fail "sharer's counter after owner unload"
	bpfman unload "$b"
	[ ! -e "$dir" ] || fail "map directory left after the last user"
	assert_clean_state
}

test_reconcile_repairs() {
	require_feature tracepoint
	local a b c
	a=$(load_id --programs tracepoint:tracepoint_counter -p "$COUNTERS_OBJ")
	b=$(load_id --programs tracepoint:tracepoint_counter -p "$COUNTERS_OBJ")
	l=$(bpfman attach "$b" tracepoint -t syscalls/sys_enter_getpid | awk '/Link ID/ {print $3}')
	# someone removes a's pin behind our back: its record must go
	rm "$FS/prog_$a"
	# a link pin vanishes: its record must go
	rm "$FS/links/$l"
	# a pin without a record (a load that died before its commit)
	c=$(bpftool prog show id "$b" >/dev/null && echo x)
	bpftool prog pin id "$b" "$FS/prog_999999"
	mkdir "$FS/maps/999999"
	OUT=$(bpfman detach 1 2>&1) || true
	assert_contains "$OUT" "program $a: kernel program or pin is gone" "repair logged"
	assert_contains "$OUT" "link $l: its pin or interface is gone" "link repair logged"
	assert_contains "$OUT" "prog_999999: program pin without a record" "stray pin logged"
	[ ! -e "$FS/prog_999999" ] || fail "stray pin kept"
	[ ! -e "$FS/maps/999999" ] || fail "stray map dir kept"
	[ ! -e "$FS/maps/$a" ] || fail "map dir of the vanished program kept"
	assert_eq "$(bpfman list programs -o json | jq -r '.[].kernel.id')" "$b" "records after repair"
	assert_eq "$(bpfman list links -o json | jq length)" 0 "links after repair"
	bpfman unload "$b"
	assert_clean_state
}

test_killed_cli_is_repaired() {
	require_feature tracepoint
	command -v strace >/dev/null || skip "no strace to kill the CLI at an exact step"
	local base n id
	base=$(kernel_ids prog)
	bpfman list programs >/dev/null
	# SIGKILL the CLI at its 1st, 2nd, ... bpf() call and at its database writes: every
	# step of a load; the next command must leave nothing behind that has no record
	local repairs=0 r
	for sc in bpf pwrite64 fdatasync unlinkat mkdir; do
		for n in $(seq 1 40); do
			no_lsan strace -f -o /dev/null -e trace="$sc" -e inject="$sc:signal=SIGKILL:when=$n" \
				"$BPFMAN" load file --programs tracepoint:tracepoint_counter tracepoint:globals_probe \
				-p "$COUNTERS_OBJ" >/dev/null 2>&1 && break
			# any change reconciles first; count what it repaired
			r=$("$BPFMAN" detach 1 2>&1 | grep -c repairing || true)
			repairs=$((repairs + r))
		done
	done
	[ "$repairs" -gt 0 ] || fail "no kill left anything to repair: the test did not reach the steps"
	echo "repairs made: $repairs"
	# every record is whole: pin, kernel program, map directory
	for id in $(bpfman list programs -o json | jq -r '.[].kernel.id'); do
		[ -e "$FS/prog_$id" ] || fail "record $id without pin"
		assert_kernel_prog "$id"
		[ -d "$(bpfman get program "$id" -o json | jq -r .bpfman.map_pin_path)" ] || fail "record $id without maps"
	done
	# every pin has a record
	for p in "$FS"/prog_*; do
		[ -e "$p" ] || continue
		id=${p##*/prog_}
		bpfman get program "$id" -o json | jq -e .bpfman >/dev/null || fail "pin $p without record"
	done
	for id in $(bpfman list programs -o json | jq -r '.[].kernel.id'); do bpfman unload "$id"; done
	assert_clean_state
	new_progs() { kernel_new_ours prog "$base"; }
	eventually_eq new_progs 0 "kernel programs left by the killed loads"
}

test_two_clis_at_once() {
	require_feature tracepoint
	local pids=() i rc=0
	# on a fresh root: the first commands race to mount the bpffs and create the database
	for i in 1 2 3 4 5 6; do
		"$BPFMAN" load file --programs tracepoint:tracepoint_counter -p "$COUNTERS_OBJ" -m n=$i >"$TEST_TMP/par.$$.$i" 2>&1 &
		pids+=($!)
		"$BPFMAN" list programs >"$TEST_TMP/par.$$.r$i" 2>&1 &
		pids+=($!)
	done
	for p in "${pids[@]}"; do wait "$p" || rc=1; done
	[ $rc = 0 ] || fail "a concurrent load failed: $(grep -h Error "$TEST_TMP"/par.$$.*)"
	rm -f "$TEST_TMP"/par.$$.*
	# they all started on a fresh root: exactly one bpffs was mounted, not one each
	assert_eq "$(grep -c " $FS bpf " /proc/mounts)" 1 "bpffs mounts at $FS"
	assert_eq "$(bpfman list programs -o json | jq length)" 6 "programs after concurrent loads"
	# and concurrent unloads
	pids=()
	for id in $(bpfman list programs -o json | jq -r '.[].kernel.id'); do
		"$BPFMAN" unload "$id" &
		pids+=($!)
	done
	for p in "${pids[@]}"; do wait "$p" || rc=1; done
	[ $rc = 0 ] || fail "a concurrent unload failed"
	assert_clean_state
}

test_hundred_cycles_leave_nothing() {
	require_feature tracepoint
	local progs maps links pins i id l
	bpfman list programs >/dev/null
	bpfman detach 1 >/dev/null 2>&1 || true # bpffs mounted, reconciled
	progs=$(kernel_ids prog)
	maps=$(kernel_ids map)
	links=$(kernel_ids link)
	pins=$(bpffs_entries)
	for i in $(seq 1 100); do
		id=$(load_id --programs tracepoint:tracepoint_counter -p "$COUNTERS_OBJ")
		l=$(bpfman attach "$id" tracepoint -t syscalls/sys_enter_getpid | awk '/Link ID/ {print $3}')
		bpfman detach "$l"
		bpfman unload "$id"
	done
	# the kernel frees programs after an RCU grace period: give it a moment
	new_progs() { kernel_new_ours prog "$progs"; }
	new_maps() { kernel_new_ours map "$maps"; }
	new_links() { kernel_new_ours link "$links"; }
	eventually_eq new_progs 0 "kernel programs left"
	eventually_eq new_maps 0 "kernel maps left"
	eventually_eq new_links 0 "kernel links left"
	assert_eq "$(bpffs_entries)" "$pins" "bpffs entries"
}

test_root_option_and_config() {
	require_feature tracepoint
	local other="$TEST_TMP/other-root-$$" id
	mkdir -p "$other"
	id=$("$BPFMAN" --root "$other" load file -o json --programs tracepoint:tracepoint_counter -p "$COUNTERS_OBJ" | jq -r '.[0].kernel.id')
	[ -e "$other/run/bpfman/fs/prog_$id" ] || fail "--root not used"
	assert_eq "$(bpfman list programs -o json | jq length)" 0 "BPFMAN_ROOT state is separate"
	"$BPFMAN" --root "$other" unload "$id"
	umount "$other/run/bpfman/fs"
	rm -rf "$other"
	# a malformed config names the line
	mkdir -p "$BPFMAN_ROOT/etc/bpfman"
	printf '[signing]\nallow_unsigned = maybe\n' >"$BPFMAN_ROOT/etc/bpfman/bpfman.toml"
	expect_fail bpfman load file --programs tracepoint:tracepoint_counter -p "$COUNTERS_OBJ"
	assert_contains "$OUT" "line 2" "config error names the line"
	rm "$BPFMAN_ROOT/etc/bpfman/bpfman.toml"
	assert_clean_state
}

# The CLI frees what it allocates and closes what it opens, on success and on error paths.
test_cli_under_valgrind() {
	require_feature tracepoint
	command -v valgrind >/dev/null || skip "valgrind is not installed here"
	# valgrind cannot run a sanitized binary: scripts/test-sanitizers.sh names the plain
	# build's CLI in BPFMAN_UNSANITIZED (it checks the sanitized one with LSan)
	local cli=${BPFMAN_UNSANITIZED:-$BPFMAN}
	! grep -qa __asan_init "$cli" || skip "the CLI is built with AddressSanitizer"
	# leaks and fds only: valgrind cannot see what bpf(2) writes into our memory, so its
	# definedness checks flag every field the kernel filled in
	local vg=(valgrind -q --undef-value-errors=no
		--leak-check=full --errors-for-leak-kinds=definite,indirect
		--error-exitcode=99 --track-fds=yes)
	local id l out
	out=$("${vg[@]}" "$cli" load file -o json --programs tracepoint:tracepoint_counter \
		tracepoint:globals_probe -p "$COUNTERS_OBJ" -g increment=0200000000000000 -m a=b 2>"$TEST_TMP/vg.$$")
	id=$(echo "$out" | jq -r '.[0].kernel.id')
	l=$("${vg[@]}" "$cli" attach "$id" tracepoint -t syscalls/sys_enter_getpid -m x=y 2>>"$TEST_TMP/vg.$$" | awk '/Link ID/ {print $3}')
	for cmd in "list programs" "list programs --all" "list links" "get program $id" "get link $l" \
		"get program $id -o json" "list links -o json"; do
		# shellcheck disable=SC2086
		"${vg[@]}" "$cli" $cmd >/dev/null 2>"$TEST_TMP/vg1.$$" ||
			fail "valgrind: $cmd (exit $?): $(cat "$TEST_TMP/vg1.$$")"
		cat "$TEST_TMP/vg1.$$" >>"$TEST_TMP/vg.$$"
	done
	# error paths
	local rc=0
	"${vg[@]}" "$cli" load file --programs tracepoint:nosuch -p "$COUNTERS_OBJ" >/dev/null 2>>"$TEST_TMP/vg.$$" || rc=$?
	[ $rc = 1 ] || fail "valgrind on a failing load (exit $rc): $(cat "$TEST_TMP/vg.$$")"
	"${vg[@]}" "$cli" detach "$l" 2>>"$TEST_TMP/vg.$$" || fail "valgrind: detach"
	"${vg[@]}" "$cli" unload "$id" 2>>"$TEST_TMP/vg.$$" || fail "valgrind: unload"
	bpfman unload "$(bpfman list programs -o json | jq -r '.[0].kernel.id')"
	# an fd we opened and did not close is listed with the stack that opened it
	if grep -A1 '== Open ' "$TEST_TMP/vg.$$" | grep_all ' at 0x'; then
		fail "fds left open: $(cat "$TEST_TMP/vg.$$")"
	fi
	rm -f "$TEST_TMP/vg.$$" "$TEST_TMP/vg1.$$"
	assert_clean_state
}
