# apply-cli: `bpfman apply / delete / status` and the boot mode over declared applications
# (Kubernetes ClusterBpfApplication documents), proven on the kernel by counters that move;
# pending interfaces completed by a running bpfman-rpc; the boot unit verified.

# manifest NAME FILE [PRIORITY] [IFACE] [NETNS]: an application with a tracepoint program and
# an xdp program (priority PRIORITY, default 50) on IFACE (default $IF_A) in the namespace
# NETNS (default $NS_A; "-" = the host's)
manifest() {
	local name=$1 file=$2 prio=${3:-50} iface=${4:-${IF_A:-}} ns=${5:-${NS_A:-}}
	{
		cat <<EOF
apiVersion: bpfman.io/v1alpha1
kind: ClusterBpfApplication
metadata:
  name: $name
spec:
  nodeSelector: {}
  byteCode:
    path: $COUNTERS_OBJ
  programs:
    - name: tracepoint_counter
      type: TracePoint
      tracepoint:
        links:
          - name: syscalls/sys_enter_getpid
    - name: xdp_counter
      type: XDP
      xdp:
        links:
          - interfaceSelector:
              interfaces: [$iface]
            priority: $prio
EOF
		if [ "$ns" != - ]; then
			cat <<EOF
            networkNamespaces:
              pods:
                matchLabels:
                  bpfman.io/netns: $ns
EOF
		fi
	} >"$file"
}

# prog_of FUNCTION [APP]: the kernel id of the managed program of that function
prog_of() {
	bpfman list programs -o json |
		jq -r --arg f "$1" '[.[] | select(.bpfman.name == $f) | .kernel.id] | .[0] // empty'
}

# link ids of every applied link of the status, "what=id" sorted
status_links() {
	bpfman status -o json | jq -r '.applications[].links[] | "\(.program) \(.what)=\(.link_id // "-") \(.state)"' | sort
}

# tp_moves ID: the tracepoint program's counter moves by >= 20 for 20 getpid calls
tp_moves() {
	local before after
	before=$(counter "$1" $SLOT_TRACEPOINT)
	trigger getpid 20
	after=$(counter "$1" $SLOT_TRACEPOINT)
	[ $((after - before)) -ge 20 ] || fail "tracepoint counter of $1 moved $before -> $after"
}

# xdp_moves ID: pings from B to A reach the xdp program on IF_A
xdp_moves() {
	local before after
	before=$(counter "$1" $SLOT_XDP)
	ip netns exec "$NS_B" ping -c 5 -i 0.2 -W 2 192.0.2.1 >/dev/null || fail "ping"
	after=$(counter "$1" $SLOT_XDP)
	[ $((after - before)) -ge 5 ] || fail "xdp counter of $1 moved $before -> $after"
}

test_apply_dry_run_again_change_delete() {
	require_feature tracepoint
	make_veth_pair
	local f="$TEST_TMP/app.$TEST_ID.yaml" progs0 links0 out tp xdp before after
	manifest demo "$f" 50
	progs0=$(kernel_ids prog)
	links0=$(kernel_ids link)

	# dry run: the plan, nothing done
	out=$(bpfman apply -f "$f" --dry-run)
	echo "$out"
	assert_contains "$out" "would load" "dry run plan"
	assert_contains "$out" "would attach" "dry run plan"
	assert_eq "$(bpfman apply -f "$f" --dry-run -o json | jq -r '.dry_run, .changed' | tr '\n' ' ')" "true true " "dry-run json"
	assert_eq "$(bpfman list programs -o json | jq length)" 0 "programs after a dry run"
	# (a dry run may probe kernel features with a program freed after an RCU grace period)
	eventually_eq kernel_new_prog_after 0 "kernel programs after a dry run"

	# apply: both programs run
	out=$(bpfman apply -f "$f")
	echo "$out"
	assert_contains "$out" "ClusterBpfApplication/demo" "apply names the application"
	assert_contains "$out" "applied" "link states shown"
	tp=$(prog_of tracepoint_counter)
	xdp=$(prog_of xdp_counter)
	[ -n "$tp" ] && [ -n "$xdp" ] || fail "programs not loaded: $(bpfman list programs)"
	tp_moves "$tp"
	xdp_moves "$xdp"
	before=$(status_links)
	echo "$before"
	assert_eq "$(echo "$before" | grep -c ' applied$')" 2 "two links applied"
	assert_contains "$(bpfman status)" "ClusterBpfApplication/demo: applied" "status"

	# again: nothing changes, the same link ids, and it says so
	out=$(bpfman apply -f "$f")
	echo "$out"
	assert_contains "$out" "Nothing changed" "second apply"
	assert_eq "$(bpfman apply -f "$f" -o json | jq -r '.changed')" false "second apply json"
	assert_eq "$(status_links)" "$before" "links after a second apply"
	assert_eq "$(prog_of xdp_counter) $(prog_of tracepoint_counter)" "$xdp $tp" "programs after a second apply"

	# one priority changes: only the xdp link moves
	manifest demo "$f" 60
	out=$(bpfman apply -f "$f" -o json)
	echo "$out"
	assert_eq "$(echo "$out" | jq -r '[.applications[].actions[] | select(.program != "xdp_counter")] | length')" 0 \
		"actions on programs other than xdp_counter"
	after=$(status_links)
	assert_eq "$(echo "$after" | grep tracepoint_counter)" "$(echo "$before" | grep tracepoint_counter)" \
		"the tracepoint link is untouched"
	assert_ne "$(echo "$after" | grep xdp_counter)" "$(echo "$before" | grep xdp_counter)" "the xdp link moved"
	xdp_moves "$(prog_of xdp_counter)"

	# delete: dry run first, then for real
	out=$(bpfman delete -f "$f" --dry-run)
	echo "$out"
	assert_contains "$out" "would unload" "delete dry run"
	assert_eq "$(bpfman list programs -o json | jq length)" 2 "programs after a delete dry run"
	bpfman delete -f "$f"
	assert_clean_state
	assert_contains "$(bpfman status)" "No application" "status after delete"
	eventually_eq "kernel_new_prog_after" 0 "kernel programs after delete"
	[ "$(kernel_new link "$links0")" = 0 ] || fail "kernel links left: $(bpftool link show)"
}
# new kernel programs since the test's $progs0 (a local of the caller)
kernel_new_prog_after() { kernel_new prog "$progs0"; }

test_malformed_files_apply_nothing() {
	require_feature tracepoint
	local d="$TEST_TMP/mal.$TEST_ID" progs0
	mkdir -p "$d"
	progs0=$(kernel_ids prog)
	tp_manifest good "$d/10-good.yaml"
	# a field of the wrong type on line 11
	tp_manifest bad "$d/20-bad.yaml"
	sed -i 's/      type: TracePoint/      type: [TracePoint]/' "$d/20-bad.yaml"
	grep -n 'type: \[' "$d/20-bad.yaml"
	expect_fail bpfman apply -f "$d"
	echo "$OUT"
	assert_contains "$OUT" "20-bad.yaml:11" "line of the broken field"
	assert_contains "$OUT" "type" "the field named"
	assert_contains "$OUT" "nothing was applied" "says nothing was applied"
	# with -o json the errors are JSON on stdout
	OUT=$(bpfman apply -f "$d" -o json 2>/dev/null) && fail "apply -o json of a broken file succeeded"
	assert_contains "$(echo "$OUT" | jq -r .error)" "20-bad.yaml:11" "the line in JSON"
	# two -f: the good one is not applied either
	expect_fail bpfman apply -f "$d/10-good.yaml" -f "$d/20-bad.yaml"
	assert_contains "$OUT" "20-bad.yaml:11" "line with two -f"
	# broken YAML syntax: an unclosed flow sequence
	printf 'apiVersion: bpfman.io/v1alpha1\nkind: ClusterBpfApplication\nmetadata:\n  name: [x\n' >"$d/30-syntax.yml"
	expect_fail bpfman apply -f "$d/30-syntax.yml"
	echo "$OUT"
	assert_contains "$OUT" "30-syntax.yml:" "syntax error located"
	# an unknown field
	tp_manifest unknown "$d/40-unknown.yaml"
	sed -i 's/^  byteCode:/  bogusField: 1\n  byteCode:/' "$d/40-unknown.yaml"
	expect_fail bpfman apply -f "$d/40-unknown.yaml"
	echo "$OUT"
	assert_contains "$OUT" "40-unknown.yaml:7" "unknown field located"
	assert_contains "$OUT" "bogusField" "unknown field named"
	assert_eq "$(bpfman list programs -o json | jq length)" 0 "programs after malformed files"
	eventually_eq kernel_new_prog_after 0 "kernel programs after malformed files"
	assert_clean_state
}

test_boot_mode_broken_file_does_not_stop_others() {
	require_feature tracepoint
	local d="$BPFMAN_ROOT/etc/bpfman/applications.d" rc=0 out
	mkdir -p "$d"
	tp_manifest first "$d/10-first.yaml"
	tp_manifest broken "$d/20-broken.yaml"
	sed -i 's/- name: syscalls\/sys_enter_getpid/- nmae: syscalls\/sys_enter_getpid/' "$d/20-broken.yaml"
	tp_manifest third "$d/30-third.yaml"
	echo "not an application" >"$d/README" # not *.yaml: ignored
	# the default directory is under --root (BPFMAN_ROOT)
	out=$(bpfman apply --boot 2>&1) || rc=$?
	echo "$out"
	[ "$rc" != 0 ] || fail "boot mode exited 0 with a broken file"
	assert_contains "$out" "20-broken.yaml:14" "the broken file's line"
	assert_contains "$out" "nmae" "the broken field"
	assert_contains "$out" "2 file(s)" "the count of applied files"
	out=$(bpfman status)
	echo "$out"
	assert_contains "$out" "ClusterBpfApplication/first: applied" "first applied"
	assert_contains "$out" "ClusterBpfApplication/third: applied" "third applied"
	case "$out" in *broken*) fail "the broken application was applied" ;; esac
	assert_eq "$(bpfman list programs -o json | jq length)" 2 "two programs"
	for id in $(bpfman list programs -o json | jq -r '.[].kernel.id'); do tp_moves "$id"; done
	# fixed, the boot mode succeeds and leaves the others untouched
	sed -i 's/nmae:/name:/' "$d/20-broken.yaml"
	bpfman apply --boot >/dev/null
	assert_eq "$(bpfman list programs -o json | jq length)" 3 "three programs"
	# no directory: nothing to do, success
	bpfman apply --boot -d "$TEST_TMP/none.$TEST_ID"
}

test_reboot_restores_the_same_set() {
	reboot_case wipe-run
}

# The database survives (a root whose /run is persistent, or the database moved): its
# records name kernel objects that are gone, and the boot apply must still restore the set.
test_reboot_with_database_kept() {
	reboot_case keep-db
}

reboot_case() { # wipe-run | keep-db
	require_feature tracepoint
	make_veth_pair
	local d="$TEST_TMP/boot.$TEST_ID" before after old_ids id
	mkdir -p "$d"
	manifest net "$d/net.yaml" 40
	tp_manifest tp "$d/tp.yaml"
	bpfman apply --boot -d "$d"
	before=$(bpfman status -o json | jq -r '.applications[] | .application as $a | .links[] | "\($a) \(.program) \(.what) \(.state)"' | sort)
	echo "$before"
	assert_eq "$(echo "$before" | grep -c ' applied$')" 3 "three links applied"
	old_ids=$(bpfman list programs -o json | jq -r '.[].kernel.id')

	# reboot: the bpffs and the run state vanish, so do the kernel objects and interfaces
	umount "$FS"
	if [ "$1" = wipe-run ]; then
		rm -rf "${BPFMAN_ROOT:?}/run"
	else
		[ -d "$BPFMAN_ROOT/run/bpfman/db" ] || fail "no database to keep"
	fi
	ip netns del "$NS_A"
	ip netns del "$NS_B"
	for id in $old_ids; do
		for _ in $(seq 50); do kernel_prog_exists "$id" || break; sleep 0.1; done
		! kernel_prog_exists "$id" || fail "program $id survived the simulated reboot"
	done
	make_veth_pair

	bpfman apply --boot -d "$d"
	after=$(bpfman status -o json | jq -r '.applications[] | .application as $a | .links[] | "\($a) \(.program) \(.what) \(.state)"' | sort)
	echo "$after"
	assert_eq "$after" "$before" "the set after the reboot"
	tp_moves "$(bpfman list programs -o json | jq -r '[.[] | select(.bpfman.name == "tracepoint_counter") | .kernel.id] | .[0]')"
	xdp_moves "$(prog_of xdp_counter)"
}

start_rpc() { # [SERVER OPTIONS...]
	local rpc
	RPC_SOCK="$BPFMAN_ROOT/rpc.sock"
	rpc="$(dirname "$BPFMAN")/../rpc/bpfman-rpc"
	[ -x "$rpc" ] || skip "no bpfman-rpc next to $BPFMAN"
	"$rpc" --socket-path "$RPC_SOCK" --log-level info "$@" 2>"$TEST_TMP/rpc.$TEST_ID" &
	RPC_PID=$!
	PIDS_STARTED+=("$RPC_PID")
	for _ in $(seq 100); do [ -S "$RPC_SOCK" ] && break; sleep 0.1; done
	[ -S "$RPC_SOCK" ] || fail "the server did not start: $(cat "$TEST_TMP/rpc.$TEST_ID")"
}

# xdp_on DEV: whether an xdp program runs on the host interface DEV
xdp_on() { ip -d link show dev "$1" 2>/dev/null | grep_all 'prog/xdp'; }

test_pending_interface_completed_by_server() {
	require_feature tracepoint
	local dev="bt${TEST_ID}xn" f="$TEST_TMP/pend.$TEST_ID.yaml" t0 t1 ms out
	dev=${dev:0:15}
	manifest late "$f" 50 "$dev" -
	start_rpc
	out=$(bpfman apply -f "$f")
	echo "$out"
	assert_contains "$out" "pending" "the link is pending"
	assert_contains "$(bpfman status)" "ClusterBpfApplication/late: pending" "status pending"
	t0=$(date +%s%N)
	ip link add "$dev" type veth peer name "${dev:0:13}p"
	while ! xdp_on "$dev"; do
		t1=$(date +%s%N)
		[ $(((t1 - t0) / 1000000)) -lt $((3000 * TIME_SCALE)) ] || fail "no xdp program on $dev 3 s after it appeared; server log: $(cat "$TEST_TMP/rpc.$TEST_ID")"
		sleep 0.01
	done
	t1=$(date +%s%N)
	ms=$(((t1 - t0) / 1000000))
	echo "MEASURE pending link completed ${ms} ms after the interface appeared"
	[ "$ms" -lt $((1000 * TIME_SCALE)) ] || fail "the pending link took $ms ms"
	assert_contains "$(bpfman status)" "ClusterBpfApplication/late: applied" "status applied"
	grep -q "changed state" "$TEST_TMP/rpc.$TEST_ID" || fail "the server did not log the change"
	kill -TERM "$RPC_PID"
	wait "$RPC_PID" || fail "the server exited with $?"
	bpfman delete -f "$f"
	assert_clean_state
}

# A delete while the server retries a pending link: the retry must not apply a declaration
# it read before the delete (found by the demo: a Ctrl-C right after an apply left the
# application loaded). Each round holds the manager's lock while the pending interface
# appears, so the server's retry is under way and waiting for the lock (polling every 64 ms
# by then), and starts the delete as the lock is let go: whichever takes it first, nothing
# may be left. Before the fix the retry had read the declaration before it waited, and when
# the delete came first it applied it again (most rounds).
test_delete_while_the_server_retries() {
	require_feature tracepoint
	local dev="bt${TEST_ID}xd" f="$TEST_TMP/race.$TEST_ID.yaml" lock="$BPFMAN_ROOT/run/bpfman/.lock" fd round
	dev=${dev:0:15}
	manifest racy "$f" 50 "$dev" -
	start_rpc
	for round in 1 2 3 4 5; do
		bpfman apply -f "$f" >"$TEST_TMP/out.$TEST_ID"
		grep -q pending "$TEST_TMP/out.$TEST_ID" || fail "round $round: not pending: $(cat "$TEST_TMP/out.$TEST_ID")"
		exec {fd}<>"$lock"
		flock -x "$fd"
		ip link add "$dev" type veth peer name "${dev:0:13}p"
		sleep $((TIME_SCALE)) # the retry is waiting for the lock
		exec {fd}>&-
		bpfman delete -f "$f" >/dev/null
		# the retry goes on after the delete: what it does then is what stays
		sleep $((TIME_SCALE))
		assert_eq "$(bpfman status -o json | jq '.applications | length')" 0 "round $round: applications after the delete"
		assert_eq "$(bpfman list programs -o json | jq length)" 0 "round $round: programs after the delete"
		! xdp_on "$dev" || fail "round $round: an xdp program on $dev after the delete"
		ip link del "$dev"
	done
	kill -TERM "$RPC_PID"
	wait "$RPC_PID" || fail "the server exited with $?"
	assert_clean_state
}

test_pending_interface_without_server_at_next_status() {
	require_feature tracepoint
	local dev="bt${TEST_ID}xs" f="$TEST_TMP/pend2.$TEST_ID.yaml"
	dev=${dev:0:15}
	manifest later "$f" 50 "$dev" -
	bpfman apply -f "$f" | grep_all pending || fail "not pending"
	ip link add "$dev" type veth peer name "${dev:0:13}p"
	sleep 0.3
	! xdp_on "$dev" || fail "attached with nobody watching?"
	assert_contains "$(bpfman status)" "ClusterBpfApplication/later: applied" "status completes it"
	xdp_on "$dev" || fail "no xdp program on $dev after status"
	bpfman delete -f "$f"
	assert_clean_state
}

test_boot_unit_verifies() {
	command -v systemd-analyze >/dev/null || skip "systemd-analyze is not installed"
	local top d="$TEST_TMP/units.$TEST_ID" out
	top=$(cd "$(dirname "$BPFMAN")/../../.." && pwd)
	[ -f "$top/dist/systemd/bpfman-apply.service.in" ] || skip "no source tree next to $BPFMAN"
	mkdir -p "$d"
	sed "s|@bindir@|$(dirname "$BPFMAN")|; s|@sbindir@|$(dirname "$BPFMAN")/../rpc|" \
		"$top/dist/systemd/bpfman-apply.service.in" >"$d/bpfman-apply.service"
	sed "s|@sbindir@|$(cd "$(dirname "$BPFMAN")/../rpc" && pwd)|" \
		"$top/dist/systemd/bpfman.service.in" >"$d/bpfman.service"
	cp "$top/dist/systemd/bpfman.socket" "$d/"
	out=$(SYSTEMD_UNIT_PATH="$d:" systemd-analyze verify --man=no "$d/bpfman-apply.service" 2>&1) ||
		fail "systemd-analyze verify: $out"
	echo "$out"
	case "$out" in *bpfman-apply*) fail "warnings about the unit: $out" ;; esac
	grep -q '^Type=oneshot' "$d/bpfman-apply.service" || fail "not a oneshot"
	grep -q 'apply --boot' "$d/bpfman-apply.service" || fail "does not run the boot mode"
}

# A program unloaded behind the application's back whose object is gone too: the status
# cannot restore it and says what differs (partly, with the reason per link).
test_status_partly_with_reasons() {
	require_feature tracepoint
	local o="$TEST_TMP/copy.$TEST_ID.o" f="$TEST_TMP/partly.$TEST_ID.yaml" out id
	cp "$COUNTERS_OBJ" "$o"
	COUNTERS_OBJ=$o tp_manifest partial "$f"
	bpfman apply -f "$f" >/dev/null
	assert_contains "$(bpfman status)" "ClusterBpfApplication/partial: applied" "applied first"
	id=$(prog_of tracepoint_counter)
	bpfman unload "$id"
	rm "$o"
	out=$(bpfman status)
	echo "$out"
	assert_contains "$out" "ClusterBpfApplication/partial: partly" "partly"
	assert_contains "$out" "not loaded" "the reason"
	assert_eq "$(bpfman status -o json | jq -r '.applications[0].links[0].state')" failed "link state in JSON"
	# back to the declaration once the object is there again
	cp "$COUNTERS_OBJ" "$o"
	assert_contains "$(bpfman status)" "ClusterBpfApplication/partial: applied" "restored by the status's retry"
	tp_moves "$(prog_of tracepoint_counter)"
	bpfman delete -f "$f" >/dev/null
	rm -f "$o"
	assert_clean_state
}

# The Kubernetes sample manifests (examples/apply/) plan on a host unchanged: every
# application parses and gets a plan, and a dry run touches nothing (no pull either).
test_samples_plan_on_a_host() {
	local top n progs0
	top=$(cd "$(dirname "$BPFMAN")/../../.." && pwd)
	[ -d "$top/examples/apply" ] || skip "no examples/apply next to $BPFMAN"
	progs0=$(kernel_ids prog)
	n=$(ls "$top"/examples/apply/*.yaml | wc -l)
	[ "$n" -gt 0 ] || fail "no samples"
	OUT=$(bpfman apply -f "$top/examples/apply" --dry-run -o json)
	assert_eq "$(echo "$OUT" | jq -r '.dry_run')" true "dry run"
	assert_eq "$(echo "$OUT" | jq '[.applications[] | select(.state == "failed")] | length')" 0 "failed plans"
	[ "$(echo "$OUT" | jq '.applications | length')" -ge "$n" ] || fail "fewer applications than files"
	echo "$OUT" | jq -r '.applications[] | "\(.application): \(.actions | length) action(s)"'
	assert_eq "$(bpfman list programs -o json | jq length)" 0 "programs after the dry run"
	eventually_eq kernel_new_prog_after 0 "kernel programs after the dry run"
	assert_eq "$(tree_count "$BPFMAN_ROOT/var/cache/bpfman" -type f)" 0 "image cache files after the dry run"
}

# xdp_in NS DEV: whether an xdp program runs on DEV inside the namespace NS
xdp_in() { ip -n "$1" -d link show dev "$2" 2>/dev/null | grep_all 'prog/xdp'; }

# wait_xdp_in NS DEV T0: waits (3 s at most) for it; prints the milliseconds since T0 (ns)
wait_xdp_in() {
	local t1
	while ! xdp_in "$1" "$2"; do
		t1=$(date +%s%N)
		[ $(((t1 - $3) / 1000000)) -lt $((3000 * TIME_SCALE)) ] ||
			fail "no xdp program on $2 in $1 3 s after it appeared; server log: $(cat "$TEST_TMP/rpc.$TEST_ID")"
		sleep 0.01
	done
	t1=$(date +%s%N)
	echo $(((t1 - $3) / 1000000))
}

# Pending links in named namespaces: an interface created inside an existing namespace, and
# a namespace created (with its interface) after the apply. The server hears both within a
# second: a socket in each named namespace while links are pending, inotify on /run/netns.
test_pending_interface_in_a_namespace() {
	require_feature tracepoint
	local ns late="bpfmt-late-$TEST_ID" f="$TEST_TMP/pns.$TEST_ID.yaml" g="$TEST_TMP/pns2.$TEST_ID.yaml" t0 ms
	ns=$(make_netns p)
	manifest in-ns "$f" 50 vin "$ns"
	manifest in-late-ns "$g" 50 vlate "$late"
	start_rpc
	bpfman apply -f "$f" | grep_all pending || fail "not pending"
	bpfman apply -f "$g" | grep_all pending || fail "not pending (late namespace)"
	# the server learns of links the CLI left pending at its next look (every 2 s) and then
	# listens inside the namespace
	for _ in $(seq 60); do
		[ "$(server_sockets_in "$ns")" = 1 ] && break
		sleep 0.1
	done
	assert_eq "$(server_sockets_in "$ns")" 1 "server sockets in $ns while a link waits there"
	t0=$(date +%s%N)
	ip -n "$ns" link add vin type veth peer name vin-p
	ms=$(wait_xdp_in "$ns" vin "$t0")
	echo "MEASURE pending link in an existing namespace completed ${ms} ms after its interface appeared"
	[ "$ms" -lt $((1000 * TIME_SCALE)) ] || fail "took $ms ms"
	t0=$(date +%s%N)
	ip netns add "$late"
	ip -n "$late" link add vlate type veth peer name vlate-p
	ms=$(wait_xdp_in "$late" vlate "$t0")
	echo "MEASURE pending link in a new namespace completed ${ms} ms after the namespace appeared"
	[ "$ms" -lt $((1000 * TIME_SCALE)) ] || fail "took $ms ms"
	assert_contains "$(bpfman status)" "ClusterBpfApplication/in-late-ns: applied" "status"
	# nothing pending any more: within its next look the server holds no socket in the
	# namespaces (a socket keeps its namespace alive after `ip netns del`)
	for _ in $(seq 40); do
		[ "$(server_sockets_in "$ns")" = 0 ] && break
		sleep 0.1
	done
	assert_eq "$(server_sockets_in "$ns")" 0 "server sockets in $ns with nothing pending"
	kill -TERM "$RPC_PID"
	wait "$RPC_PID" || fail "the server exited with $?"
	bpfman delete -f "$f" >/dev/null
	bpfman delete -f "$g" >/dev/null
	assert_clean_state
}

# server_sockets_in NS: how many of the server's sockets are netlink sockets of NS
server_sockets_in() {
	local mine
	mine=$(ls -l "/proc/$RPC_PID/fd" 2>/dev/null | sed -n 's/.*socket:\[\([0-9]*\)\]$/\1/p' | sort)
	comm -12 <(echo "$mine") <(ip netns exec "$1" awk 'NR > 1 {print $NF}' /proc/net/netlink | sort) | grep -c . || true
}

# A server with an inactivity timeout (as the socket-activated unit runs it) stays up while a
# link is pending, and stops on its timeout once nothing is.
test_pending_link_keeps_the_server_up() {
	require_feature tracepoint
	local dev="bt${TEST_ID}xk" f="$TEST_TMP/keep.$TEST_ID.yaml" t0 t1
	dev=${dev:0:15}
	manifest kept "$f" 50 "$dev" -
	bpfman apply -f "$f" | grep_all pending || fail "not pending"
	start_rpc --timeout 2
	sleep 5
	kill -0 "$RPC_PID" 2>/dev/null || fail "the server stopped on its timeout with a link pending: $(cat "$TEST_TMP/rpc.$TEST_ID")"
	ip link add "$dev" type veth peer name "${dev:0:13}p"
	t0=$(date +%s)
	for _ in $(seq 100); do kill -0 "$RPC_PID" 2>/dev/null || break; sleep 0.1; done
	t1=$(date +%s)
	! kill -0 "$RPC_PID" 2>/dev/null || fail "the server still runs 10 s after nothing was pending"
	wait "$RPC_PID" || fail "the server exited with $?"
	echo "server stopped $((t1 - t0)) s after the interface appeared"
	xdp_on "$dev" || fail "no xdp program on $dev"
	bpfman delete -f "$f" >/dev/null
	assert_clean_state
}
