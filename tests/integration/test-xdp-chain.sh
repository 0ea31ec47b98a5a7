# Several XDP programs on one interface through bpfman's dispatcher (kernels with
# freplace): order, proceed-on, limits, rebuilds, namespaces, the swap under traffic,
# per-slot counts, sharing the interface with xdp-loader. Verdicts come from
# BPF_PROG_TEST_RUN on the attached dispatcher; every member counts its runs.

. "$HERE/chain-lib.sh"


test_xdp_chain_order() {
	setup_xdp_chain
	local a b c la lb
	a=$(member xdp xdp_a $XDP_PASS 0)
	b=$(member xdp xdp_b $XDP_DROP 1 "$a")
	c=$(member xdp xdp_c $XDP_PASS 2 "$a")
	# loaded as extensions: ids known before attach, and still "xdp" to the user
	assert_eq "$(bpfman get program "$a" -o json | jq -r .kernel.program_type_name)" xdp "type"
	la=$(xdp_attach "$a" -p 20)
	lb=$(xdp_attach "$b" -p 10)
	assert_eq "$(positions)" "xdp_b@0 xdp_a@1" "priority order"
	# drop at 10 ends the chain before pass at 20
	assert_eq "$(run_chain)" $XDP_DROP "verdict"
	assert_eq "$(hits "$a" 0)/$(hits "$a" 1)" "0/1" "hits"
	bpfman get link "$lb" | grep_all "Mode:  *dispatcher $(disp_id)" || fail "mode in get link"
	# equal priority: by name (xdp_a before xdp_b), whatever the attach order
	bpfman detach "$la"
	la=$(xdp_attach "$a" -p 10)
	assert_eq "$(positions)" "xdp_a@0 xdp_b@1" "tie by name"
	assert_eq "$(run_chain)" $XDP_DROP "verdict after the tie"
	assert_eq "$(hits "$a" 0)/$(hits "$a" 1)" "1/2" "hits after the tie"
	# same name and priority: attach order (a second load of xdp_a, attached later)
	local a2
	a2=$(member xdp xdp_a $XDP_DROP 3 "$a")
	xdp_attach "$a2" -p 10 >/dev/null
	assert_eq "$(bpfman list links -o json | jq -r "sort_by(.position) | map(.program_id) | join(\" \")")" \
		"$a $a2 $b" "tie by attach order"
	# a lower priority goes first; the default (1000) last
	xdp_attach "$c" >/dev/null
	assert_eq "$(positions)" "xdp_a@0 xdp_a@1 xdp_b@2 xdp_c@3" "default priority last"
	# the CLI closes only what it opened (an empty chain struct once closed fd 0)
	local closes
	closes=$(no_lsan strace -f -e trace=close "$BPFMAN" dispatcher show "$IF_A" -n "$NSP" 2>&1 >/dev/null </dev/null |
		grep -c '^close(0)\|] close(0)' || true)
	assert_eq "$closes" 0 "close(0) calls"
	# the kernel sees one dispatcher with our members, not our programs on the interface
	assert_eq "$(ip -n "$NS_A" -j link show "$IF_A" | jq -r '.[0].xdp.prog.id // .[0].xdp.prog.name // empty' | head -1)" \
		"$(disp_id)" "dispatcher on the interface"
}

# proceed_case FIRST_ACTION PROCEED_ON... : member 0 returns FIRST_ACTION with that
# proceed-on, member 1 returns the "end" action; prints the verdict
proceed_case() {
	local act=$1 end l1 l2
	shift
	end=$XDP_TX
	[ "$act" = $XDP_TX ] && end=$XDP_DROP
	[ -n "${FIRST[$act]:-}" ] || FIRST[$act]=$(member xdp xdp_a "$act" 0 "$OWNER")
	[ -n "${END[$end]:-}" ] || END[$end]=$(member xdp xdp_b "$end" 1 "$OWNER")
	l1=$(xdp_attach "${FIRST[$act]}" -p 1 "$@")
	l2=$(xdp_attach "${END[$end]}" -p 2)
	run_chain
	bpfman detach "$l1"
	bpfman detach "$l2"
}

test_xdp_proceed_on_matrix() {
	setup_xdp_chain
	declare -A FIRST END
	OWNER=$(member xdp xdp_c $XDP_PASS 5)
	local names=(aborted drop pass tx redirect) act other
	for act in 0 1 2 3 4; do
		# its own action in the set: on to the next member
		local want=$XDP_TX
		[ $act = $XDP_TX ] && want=$XDP_DROP
		assert_eq "$(proceed_case $act --proceed-on "${names[$act]}")" "$want" \
			"${names[$act]} with proceed-on ${names[$act]}"
		# every other action but its own: the chain stops with it
		local rest=()
		for other in 0 1 2 3 4; do [ $other = $act ] || rest+=("${names[$other]}"); done
		assert_eq "$(proceed_case $act --proceed-on "${rest[@]}")" "$act" \
			"${names[$act]} with proceed-on ${rest[*]}"
	done
	# defaults (no --proceed-on): pass and dispatcher_return go on, the rest stop
	assert_eq "$(proceed_case $XDP_PASS)" $XDP_TX "default: pass proceeds"
	assert_eq "$(proceed_case $XDP_DROP)" $XDP_DROP "default: drop stops"
	assert_eq "$(proceed_case $XDP_ABORTED)" $XDP_ABORTED "default: aborted stops"
	# nothing left on the interface once the last member went
	assert_eq "$(disp_id)" 0 "dispatcher after the last detach"
}

test_xdp_ten_programs_and_rebuilds() {
	setup_xdp_chain
	local p q links=() i before
	before=$(xdp_dispatchers)
	p=$(member xdp xdp_a $XDP_PASS 0)
	for i in 1 2 3 4 5 6 7 8 9 10; do
		links+=("$(xdp_attach "$p" -p $((i * 10)))")
	done
	assert_eq "$(bpfman dispatcher show "$IF_A" -n "$NSP" -o json | jq '.programs | length')" 10 "ten members"
	assert_eq "$(run_chain)" $XDP_PASS "verdict of ten"
	assert_eq "$(hits "$p" 0)" 10 "each of the ten ran"
	# the 11th: refused by name, and nothing changed
	q=$(member xdp xdp_b $XDP_DROP 1 "$p")
	expect_fail bpfman attach "$q" xdp -i "$IF_A" -n "$NSP" -p 1
	assert_contains "$OUT" "No room to attach program" "11th program"
	assert_eq "$(bpfman list links -o json | jq length)" 10 "links after the refusal"
	assert_eq "$(run_chain)" $XDP_PASS "verdict after the refusal"
	# detach the first, a middle and the last: survivors keep their order, slots reused
	bpfman detach "${links[0]}"
	bpfman detach "${links[4]}"
	bpfman detach "${links[9]}"
	assert_eq "$(bpfman list links -o json | jq -r 'sort_by(.position) | map(.priority) | join(" ")')" \
		"20 30 40 60 70 80 90" "survivors"
	xdp_attach "$q" -p 55 >/dev/null
	assert_eq "$(bpfman list links -o json | jq -r 'sort_by(.position) | map("\(.priority)@\(.position)") | join(" ")')" \
		"20@0 30@1 40@2 55@3 60@4 70@5 80@6 90@7" "slot reuse"
	assert_eq "$(run_chain)" $XDP_DROP "drop at 55 ends the chain"
	# unloading a member rebuilds the chain with the survivors
	bpfman unload "$q"
	assert_eq "$(bpfman list links -o json | jq length)" 7 "links after unload"
	assert_eq "$(run_chain)" $XDP_PASS "verdict after unload"
	# one dispatcher on the interface, the old revisions gone
	eventually_eq xdp_dispatchers "$((before + 1))" "dispatcher revisions in the kernel"
	assert_eq "$(tree_count "$FS/xdp" -maxdepth 1)" 1 "pin trees"
	assert_eq "$(tree_count "$FS/xdp" -name 'link_*')" 7 "link pins"
	bpfman unload "$p"
	assert_eq "$(disp_id)" 0 "dispatcher after unload of all"
	eventually_eq xdp_dispatchers "$before" "dispatchers left"
	assert_clean_state
}

test_xdp_two_interfaces_and_netns_removal() {
	setup_xdp_chain
	local a b la lb
	a=$(member xdp xdp_a $XDP_DROP 0)
	b=$(member xdp xdp_b $XDP_PASS 1 "$a")
	la=$(xdp_attach "$a")
	lb=$(attach_id "$b" xdp -i "$IF_B" -n "/var/run/netns/$NS_B")
	local da db
	da=$(disp_id)
	db=$(bpfman dispatcher show "$IF_B" -n "/var/run/netns/$NS_B" -o json | jq -r .dispatcher_id)
	assert_ne "$da" "$db" "one dispatcher per interface"
	assert_eq "$(verdict "$da")/$(verdict "$db")" "$XDP_DROP/$XDP_PASS" "independent verdicts"
	bpfman detach "$la"
	assert_eq "$(verdict "$db")" $XDP_PASS "other interface unaffected"
	assert_eq "$(bpfman dispatcher show "$IF_B" -n "/var/run/netns/$NS_B" -o json | jq -r .dispatcher_id)" "$db" \
		"other interface not rebuilt"
	# the namespace goes while attached: the next change repairs, nothing stays behind
	la=$(xdp_attach "$a")
	ip netns del "$NS_A"
	ip netns del "$NS_B"
	bpfman load file -p "$CHAIN_OBJ" --programs tc:tc_a >/dev/null # any change reconciles
	assert_eq "$(bpfman list links -o json | jq length)" 0 "links after the namespaces went"
	assert_eq "$(tree_count "$FS/xdp")" 0 "pin trees after the namespaces went"
	eventually_eq xdp_dispatchers 0 "dispatchers after the namespaces went"
}

test_xdp_foreign_program_refused() {
	setup_xdp_chain
	local a
	a=$(member xdp xdp_a $XDP_PASS 0)
	TC_BPF_MNT=/sys/fs/bpf ip -n "$NS_A" link set dev "$IF_A" xdpgeneric obj "$(obj xdp_pass.bpf.o)" sec xdp ||
		fail "ip cannot attach xdp"
	expect_fail bpfman attach "$a" xdp -i "$IF_A" -n "$NSP"
	assert_contains "$OUT" "which is not a dispatcher" "foreign xdp program"
	ip -n "$NS_A" -d link show "$IF_A" | grep_all "name xdp_pass" || fail "the foreign program was replaced"
	assert_eq "$(bpfman list links -o json | jq length)" 0 "links after the refusal"
	ip -n "$NS_A" link set dev "$IF_A" xdpgeneric off
}

# The swap is atomic: while a second member is attached and detached 100 times, the
# first one sees every packet that crossed the veth pair.
test_xdp_swap_loses_no_packet() {
	setup_xdp_chain
	local a b
	a=$(member xdp xdp_a $XDP_PASS 0)
	b=$(member xdp xdp_b $XDP_PASS 1 "$a")
	xdp_attach "$a" -p 10 >/dev/null
	swap_under_traffic "$a" xdp_attach "$b"
	[ "$SENT" -ge 2000 ] || fail "only $SENT packets sent"
}

test_xdp_slot_counts() {
	setup_xdp_chain
	mkdir -p "$BPFMAN_ROOT/etc/bpfman"
	printf '[dispatcher]\nstats = true\n' >"$BPFMAN_ROOT/etc/bpfman/bpfman.toml"
	local a b la lb
	a=$(member xdp xdp_a $XDP_PASS 0)
	b=$(member xdp xdp_b $XDP_DROP 1 "$a")
	la=$(xdp_attach "$a" -p 10)
	lb=$(xdp_attach "$b" -p 20)
	assert_eq "$(run_chain 7)" $XDP_DROP "verdict"
	assert_eq "$(bpfman get link "$la" -o json | jq -c .counts)" '{"packets":7,"actions":{"pass":7}}' "counts of a"
	assert_eq "$(bpfman get link "$lb" -o json | jq -c .counts)" '{"packets":7,"actions":{"drop":7}}' "counts of b"
	bpfman get link "$lb" | grep_all "Returned:  *drop: 7" || fail "counts in get link"
	assert_eq "$(bpfman get program "$b" -o json | jq -c '.dispatcher_counts | map([.link_id, .packets])')" \
		"[[$lb,7]]" "counts in get program"
	bpfman get program "$b" | grep_all "Link $lb (.*): 7 packets; drop: 7" || fail "counts in get program"
	# counts follow the programs through a rebuild (a third member goes in front)
	xdp_attach "$a" -p 5 --proceed-on pass >/dev/null
	assert_eq "$(bpfman get link "$lb" -o json | jq .counts.packets)" 7 "counts after a rebuild"
	assert_eq "$(bpfman dispatcher show "$IF_A" -n "$NSP" -o json | jq -c '[.counting, (.programs | map(.counts.packets))]')" \
		'[true,[0,7,7]]' "dispatcher show"
}

# ---- sharing an interface with xdp-loader (libxdp's layout: the host's namespace) ----

our_chain() {
	bpfman dispatcher show "$LXIF" -o json | jq -r '.programs | map("\(.priority):\(.function_name)") | join(" ")'
}

test_xdp_loader_joins_our_chain() {
	setup_libxdp_iface
	local a c la lc out xid
	a=$(member xdp xdp_a $XDP_PASS 0)
	c=$(member xdp xdp_c $XDP_PASS 2 "$a")
	la=$(attach_id "$a" xdp -i "$LXIF" -p 10)
	lc=$(attach_id "$c" xdp -i "$LXIF" -p 30)
	ls "$LXFS/xdp" | grep_all "^dispatch-" || fail "no libxdp pin tree"
	assert_eq "$(loader_chain)" "10:xdp_a 30:xdp_c" "xdp-loader status of our chain"
	# xdp-loader adds its program between ours, with its priority
	out=$(xdp-loader load -P 20 "$LXIF" "$(obj xdp_pass.bpf.o)" 2>&1) || fail "xdp-loader load: $out"
	assert_eq "$(loader_chain)" "10:xdp_a 20:xdp_pass 30:xdp_c" "xdp-loader status after its load"
	assert_eq "$(our_chain)" "10:xdp_a 20:xdp_pass 30:xdp_c" "our view after its load"
	# we rebuild with its program kept where it is
	local b
	b=$(member xdp xdp_b $XDP_PASS 1 "$a")
	attach_id "$b" xdp -i "$LXIF" -p 25 >/dev/null
	assert_eq "$(loader_chain)" "10:xdp_a 20:xdp_pass 25:xdp_b 30:xdp_c" "xdp-loader status after our attach"
	assert_eq "$(verdict "$(bpfman dispatcher show "$LXIF" -o json | jq .dispatcher_id)")" $XDP_PASS "verdict"
	assert_eq "$(hits "$a" 0)/$(hits "$a" 1)/$(hits "$a" 2)" "1/1/1" "every member ran"
	# xdp-loader takes its program out again; ours stay
	xid=$(bpfman dispatcher show "$LXIF" -o json | jq -r '.programs[] | select(.link_id == null) | .program_id')
	out=$(xdp-loader unload -i "$xid" "$LXIF" 2>&1) || fail "xdp-loader unload -i: $out"
	assert_eq "$(our_chain)" "10:xdp_a 25:xdp_b 30:xdp_c" "our chain after its unload"
	# xdp-loader takes one of ours out: the next change forgets that link
	out=$(xdp-loader unload -i "$c" "$LXIF" 2>&1) || fail "xdp-loader unload -i ours: $out"
	bpfman detach "$la"
	assert_eq "$(bpfman list links -o json | jq -r 'map(.function_name) | join(" ")')" "xdp_b" "links left"
	assert_eq "$(loader_chain)" "25:xdp_b" "xdp-loader status at the end"
}

test_we_join_an_xdp_loader_chain() {
	setup_libxdp_iface
	local a out
	out=$(xdp-loader load -P 20 "$LXIF" "$(obj xdp_pass.bpf.o)" 2>&1) || fail "xdp-loader load: $out"
	a=$(member xdp xdp_a $XDP_DROP 0)
	attach_id "$a" xdp -i "$LXIF" -p 30 >/dev/null
	assert_eq "$(loader_chain)" "20:xdp_pass 30:xdp_a" "xdp-loader status after our attach"
	assert_eq "$(verdict "$(bpfman dispatcher show "$LXIF" -o json | jq .dispatcher_id)")" $XDP_DROP \
		"xdp_pass proceeds, ours drops"
	bpfman unload "$a"
	assert_eq "$(loader_chain)" "20:xdp_pass" "xdp-loader's program stays"
}

# A CLI killed at every bpf() call of an attach (load revision, link, pin, swap, unpin,
# commit): the next command leaves the chain running exactly the recorded programs, one
# pin tree, and nothing of the dead revisions. First with no record on the interface (the
# first attach), then with one member there already.
test_xdp_killed_attach_is_repaired() {
	setup_libxdp_iface
	command -v strace >/dev/null || skip "no strace to kill the CLI at an exact step"
	local a b n repairs=0 r ifindex
	ifindex=$(cat "/sys/class/net/$LXIF/ifindex")
	a=$(member xdp xdp_a $XDP_PASS 0)
	b=$(member xdp xdp_b $XDP_PASS 1 "$a")
	chain_ids() { bpfman dispatcher show "$LXIF" -o json | jq -r '[.programs[].program_id] | sort | join(" ")'; }
	record_ids() { bpfman list links -o json | jq -r '[.[].program_id] | sort | join(" ")'; }
	trees() { tree_count "$LXFS/xdp" -maxdepth 1 -name "dispatch-$ifindex-*"; }
	for first in yes no; do
		for n in $(seq 1 80); do
			no_lsan strace -f -o /dev/null -e trace=bpf -e inject="bpf:signal=SIGKILL:when=$n" \
				"$BPFMAN" attach "$b" xdp -i "$LXIF" -p 20 >/dev/null 2>&1 && break
			r=$("$BPFMAN" detach 1 2>&1 | grep -c repairing || true)
			repairs=$((repairs + r))
			assert_eq "$(chain_ids)" "$(record_ids)" "chain vs records after a kill at bpf() #$n"
			[ "$(trees)" -le 1 ] || fail "pin trees after a kill at bpf() #$n: $(ls "$LXFS/xdp")"
		done
		[ "$n" -lt 80 ] || fail "the attach never got through"
		assert_eq "$(chain_ids)" "$(record_ids)" "chain vs records at the end"
		for l in $(bpfman list links -o json | jq -r '.[].id'); do bpfman detach "$l"; done
		[ $first = yes ] && attach_id "$a" xdp -i "$LXIF" -p 10 >/dev/null
	done
	echo "repairs made: $repairs"
	[ "$repairs" -gt 0 ] || fail "no kill left anything to repair: the test did not reach the steps"
	bpfman unload "$a"
	bpfman unload "$b"
	assert_eq "$(trees)" 0 "pin trees at the end"
	eventually_eq xdp_dispatchers 0 "dispatchers at the end"
}
