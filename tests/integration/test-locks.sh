# locks: user paths that could block (FIFOs) are refused before the writer lock, the wait
# for the lock is bounded and names the holder, readers never wait for a writer.
# Timing bounds are generous (a refusal is instant, the bounds are seconds) so they do not
# flake on a loaded machine, yet each would be missed by the blocking behaviour.

# (timeout runs "$BPFMAN" itself: the bpfman shell function is not a program)
now_ms() { echo $(($(date +%s%N) / 1000000)); }

# timed_ok MAX_MS WHAT COMMAND...: COMMAND succeeds within MAX_MS
timed_ok() {
	local max=$(($1 * ${TIME_SCALE:-1})) what=$2 t0 t1
	shift 2
	t0=$(now_ms)
	timeout $((30 * ${TIME_SCALE:-1})) "$@" >/dev/null 2>"$TEST_TMP/err.$$" || fail "$what failed: $(cat "$TEST_TMP/err.$$")"
	t1=$(now_ms)
	[ $((t1 - t0)) -lt "$max" ] || fail "$what took $((t1 - t0)) ms (limit $max)"
}

# bg_refused MAX_MS NEEDLE COMMAND...: runs COMMAND in the background (output in $BG_OUT,
# pid in $BG_PID); bg_check later checks it failed within MAX_MS saying NEEDLE
bg_refused() {
	BG_MAX=$(($1 * ${TIME_SCALE:-1})) BG_NEEDLE=$2
	shift 2
	BG_OUT="$TEST_TMP/bg.$$.$RANDOM"
	BG_T0=$(now_ms)
	(timeout $((20 * ${TIME_SCALE:-1})) "$@" >"$BG_OUT" 2>&1; echo "rc=$?" >>"$BG_OUT") &
	BG_PID=$!
	PIDS_STARTED+=("$BG_PID")
}

bg_check() {
	local t1 rc
	wait "$BG_PID" || true
	t1=$(now_ms)
	rc=$(sed -n 's/^rc=//p' "$BG_OUT")
	[ "$rc" != 124 ] || fail "the refused command hung (killed after 20 s): $(cat "$BG_OUT")"
	[ "$rc" != 0 ] || fail "the command was accepted: $(cat "$BG_OUT")"
	[ $((t1 - BG_T0)) -lt "$BG_MAX" ] || fail "refusal took $((t1 - BG_T0)) ms"
	assert_contains "$(cat "$BG_OUT")" "$BG_NEEDLE" "refusal message"
}

# While a refused request runs, a reader and another writer go through.
others_not_blocked() {
	local id
	timed_ok 5000 "a concurrent list" "$BPFMAN" list programs
	timed_ok 10000 "a concurrent load" "$BPFMAN" load file -p "$COUNTERS_OBJ" --programs tracepoint:tracepoint_counter
	id=$(bpfman list programs -o json | jq -r '[.[] | select(.bpfman.name == "tracepoint_counter")][0].kernel.id')
	bpfman unload "$id"
}

test_fifo_as_uprobe_target() {
	require_feature uprobe
	local id fifo="$TEST_TMP/target.$$"
	mkfifo "$fifo"
	id=$(load_id --programs uprobe:uprobe_counter -p "$COUNTERS_OBJ")
	bg_refused 5000 "is not a regular file" "$BPFMAN" attach "$id" uprobe -t "$fifo" -f main
	others_not_blocked
	bg_check
	assert_eq "$(bpfman list links -o json | jq length)" 0 "links"
	bpfman unload "$id"
	assert_clean_state
}

test_fifo_as_netns() {
	local id dev fifo="$TEST_TMP/netns.$$" file="$TEST_TMP/plain.$$"
	mkfifo "$fifo"
	: >"$file"
	dev=$(make_host_iface)
	id=$(load_id --programs tc:tcx_a -p "$COUNTERS_OBJ")
	bg_refused 5000 "is not a network namespace" "$BPFMAN" attach "$id" tc -i "$dev" -d ingress -n "$fifo"
	others_not_blocked
	bg_check
	# a regular file is no namespace either
	expect_fail timeout 20 "$BPFMAN" attach "$id" tc -i "$dev" -d ingress -n "$file"
	assert_contains "$OUT" "'$file' is not a network namespace" "regular file as netns"
	assert_eq "$(bpfman list links -o json | jq length)" 0 "links"
	bpfman unload "$id"
	assert_clean_state
}

test_fifo_as_load_file() {
	local fifo="$TEST_TMP/obj.$$"
	mkfifo "$fifo"
	bg_refused 5000 "is not a regular file" "$BPFMAN" load file -p "$fifo" --programs tracepoint:tracepoint_counter
	others_not_blocked
	bg_check
	assert_clean_state
}

test_held_lock_names_holder() {
	local lock="$BPFMAN_ROOT/run/bpfman/.lock" holder t0 t1
	bpfman list programs >/dev/null # makes the state directory
	mkdir -p "$BPFMAN_ROOT/etc/bpfman"
	printf '[database]\nlock_timeout_sec = 2\n' >"$BPFMAN_ROOT/etc/bpfman/bpfman.toml"
	hold_lock 60
	holder=$HOLDER
	t0=$(now_ms)
	expect_fail timeout 20 "$BPFMAN" load file -p "$COUNTERS_OBJ" --programs tracepoint:tracepoint_counter
	t1=$(now_ms)
	assert_contains "$OUT" "another bpfman (pid $holder) holds the lock on $lock; waited 2." "message"
	[ $((t1 - t0)) -ge 1900 ] || fail "gave up after $((t1 - t0)) ms, before the timeout"
	[ $((t1 - t0)) -lt $((10000 * TIME_SCALE)) ] || fail "waited $((t1 - t0)) ms for a 2 s timeout"
	# readers do not care
	timed_ok 2000 "list while the lock is held" "$BPFMAN" list programs
	kill "$holder"
	wait "$holder" 2>/dev/null || true
	# free again: the change goes through
	bpfman load file -p "$COUNTERS_OBJ" --programs tracepoint:tracepoint_counter >/dev/null
	for id in $(bpfman list programs -o json | jq -r '.[].kernel.id'); do bpfman unload "$id"; done
	assert_clean_state
}

# hold_lock SECONDS: a process that takes the writer lock itself (flock(1) would leave the
# lock with its child, and /proc/locks names the process that took it); sets HOLDER
hold_lock() {
	local lock="$BPFMAN_ROOT/run/bpfman/.lock"
	python3 -c 'import fcntl, sys, time
f = open(sys.argv[1], "a")
fcntl.flock(f, fcntl.LOCK_EX)
time.sleep(int(sys.argv[2]))' "$lock" "$1" &
	HOLDER=$!
	PIDS_STARTED+=("$HOLDER")
	for _ in $(seq 50); do flock -n "$lock" true || break; sleep 0.1; done
	! flock -n "$lock" true || fail "the test could not take the lock"
}

# The server's workers open their contexts on their first call: that open must not wait
# for the writer lock either, or a List waits for any change in progress.
test_server_lists_while_lock_held() {
	local rpc sock="$BPFMAN_ROOT/rpc.sock" server out secs
	rpc="$(dirname "$BPFMAN")/../rpc/bpfman-rpc"
	[ -x "$rpc" ] || skip "no bpfman-rpc next to $BPFMAN"
	"$rpc" --socket-path "$sock" 2>"$TEST_TMP/rpc.$$" &
	server=$!
	PIDS_STARTED+=("$server")
	for _ in $(seq 100); do [ -S "$sock" ] && break; sleep 0.1; done
	[ -S "$sock" ] || fail "the server did not start: $(cat "$TEST_TMP/rpc.$$")"
	hold_lock 10
	for _ in 1 2 3; do
		out=$(timeout 20 "$TESTS_HELPERS/rpc-list" "$sock") || fail "List failed: $out"
		secs=$(echo "$out" | awk '{print $4}')
		awk -v s="$secs" 'BEGIN { exit !(s < 2) }' || fail "List took $secs s while the lock was held"
	done
	kill "$HOLDER"
	kill -TERM "$server"
	wait "$server" || fail "the server exited with $?"
}

test_lock_timeout_config_is_strict() {
	mkdir -p "$BPFMAN_ROOT/etc/bpfman"
	printf '[database]\nlock_timeout_sec = 3601\n' >"$BPFMAN_ROOT/etc/bpfman/bpfman.toml"
	expect_fail bpfman list programs
	assert_contains "$OUT" "lock_timeout_sec 3601 is out of range (0 to 3600)" "range"
	printf '[database]\nlock_timeout_sec = "5"\n' >"$BPFMAN_ROOT/etc/bpfman/bpfman.toml"
	expect_fail bpfman list programs
	assert_contains "$OUT" "lock_timeout_sec must be an integer" "type"
}

test_readers_do_not_wait_for_a_write_transaction() {
	command -v sqlite3 >/dev/null || skip "no sqlite3 CLI to hold a write transaction"
	local id db="$BPFMAN_ROOT/run/bpfman/db/store.db" lock="$BPFMAN_ROOT/run/bpfman/.lock" w
	id=$(load_id --programs tracepoint:tracepoint_counter -p "$COUNTERS_OBJ")
	# a writer: the flock and an open BEGIN IMMEDIATE for 10 s (with a busy timeout: the
	# probe below may hold its own short write transaction at the moment it begins)
	flock "$lock" sh -c "(echo 'BEGIN IMMEDIATE;'; sleep 10; echo 'ROLLBACK;') | sqlite3 -cmd '.timeout 5000' '$db'" &
	w=$!
	PIDS_STARTED+=("$w")
	for _ in $(seq 50); do
		sqlite3 -cmd ".timeout 0" "$db" "BEGIN IMMEDIATE; ROLLBACK;" >/dev/null 2>&1 || break
		sleep 0.1
	done
	! sqlite3 -cmd ".timeout 0" "$db" "BEGIN IMMEDIATE; ROLLBACK;" >/dev/null 2>&1 ||
		fail "the test could not hold a write transaction"
	timed_ok 2000 "list during a write" "$BPFMAN" list programs
	timed_ok 2000 "get during a write" "$BPFMAN" get program "$id"
	assert_eq "$(bpfman list programs -o json | jq length)" 1 "programs seen during the write"
	wait "$w" || true
	bpfman unload "$id"
	assert_clean_state
}

test_reader_creates_no_database() {
	local db="$BPFMAN_ROOT/run/bpfman/db/store.db"
	assert_eq "$(bpfman list programs -o json | jq length)" 0 "programs of a fresh root"
	assert_eq "$(bpfman list links -o json | jq length)" 0 "links of a fresh root"
	[ ! -e "$db" ] || fail "a reader created $db"
	expect_fail bpfman get program 1
	# the first writer creates it
	bpfman load file -p "$COUNTERS_OBJ" --programs tracepoint:tracepoint_counter >/dev/null
	[ -e "$db" ] || fail "no database after a load"
	for id in $(bpfman list programs -o json | jq -r '.[].kernel.id'); do bpfman unload "$id"; done
	assert_clean_state
}
