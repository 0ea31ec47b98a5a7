# Several TC programs on one hook through bpfman's TC dispatcher (kernels with freplace):
# order, the proceed-on matrix of every TC action, defaults, limits, directions, the
# clsact qdisc's life, and the swap under traffic. Verdicts come from BPF_PROG_TEST_RUN on
# the attached dispatcher.

. "$HERE/chain-lib.sh"

has_clsact() { tc -n "$NS_A" qdisc show dev "$IF_A" | grep_all clsact && echo yes || echo no; }

test_tc_chain_order_and_directions() {
	setup_tc_chain
	local a b c la lb lc
	a=$(member tc tc_a $TC_OK 0)
	b=$(member tc tc_b $TC_SHOT 1 "$a")
	c=$(member tc tc_c $TC_PIPE 2 "$a")
	assert_eq "$(has_clsact)" no "clsact before"
	la=$(tc_attach "$a" ingress -p 20)
	lb=$(tc_attach "$b" ingress -p 10)
	assert_eq "$(has_clsact)" yes "clsact made"
	assert_eq "$(positions)" "tc_b@0 tc_a@1" "priority order"
	assert_eq "$(run_tc)" $TC_SHOT "shot at 10 ends the chain"
	# the filter on the hook is the dispatcher, with its program id as handle
	tc -n "$NS_A" filter show dev "$IF_A" ingress | grep_all "tc_dispatcher" || fail "dispatcher filter"
	# egress is its own chain
	lc=$(tc_attach "$c" egress)
	assert_ne "$(tc_disp egress)" "$(tc_disp ingress)" "one dispatcher per direction"
	assert_eq "$(run_tc egress)" $TC_OK "pipe proceeds (default), the end of the chain is ok"
	assert_eq "$(hits "$a" 2)" 1 "egress member ran"
	bpfman detach "$lb"
	assert_eq "$(run_tc)" $TC_OK "after detaching shot"
	assert_eq "$(run_tc egress)" $TC_OK "egress unaffected"
	# equal priority: by name
	lb=$(tc_attach "$b" ingress -p 20)
	assert_eq "$(bpfman list links -o json | jq -r '[.[] | select(.direction == "ingress")] | sort_by(.position) | map(.function_name) | join(" ")')" \
		"tc_a tc_b" "tie by name"
	bpfman detach "$la"
	bpfman detach "$lb"
	assert_eq "$(has_clsact)" yes "clsact stays while egress has a program"
	bpfman detach "$lc"
	assert_eq "$(has_clsact)" no "clsact removed with our last program"
	assert_eq "$(($(tree_count "$FS/tc-ingress") + $(tree_count "$FS/tc-egress")))" 0 "pin trees left"
}

# tc_case ACTION PROCEED_ON...: member 0 returns ACTION, member 1 returns shot (or ok when
# ACTION is shot); prints the verdict
tc_case() {
	local act=$1 end l1 l2 k
	shift
	end=$TC_SHOT
	[ "$act" = $TC_SHOT ] && end=$TC_OK
	k=$((act + 1))
	[ -n "${FIRST[$k]:-}" ] || FIRST[$k]=$(member tc tc_a "$act" 0 "$OWNER")
	[ -n "${END[$end]:-}" ] || END[$end]=$(member tc tc_b "$end" 1 "$OWNER")
	l1=$(tc_attach "${FIRST[$k]}" ingress -p 1 "$@")
	l2=$(tc_attach "${END[$end]}" ingress -p 2)
	run_tc
	bpfman detach "$l1"
	bpfman detach "$l2"
}

test_tc_proceed_on_matrix() {
	setup_tc_chain
	declare -A FIRST END
	OWNER=$(member tc tc_c $TC_OK 5)
	local names=(unspec ok reclassify shot pipe stolen queued repeat redirect trap) i act other
	for i in 0 1 2 3 4 5 6 7 8 9; do
		act=$((i - 1))
		local want=$TC_SHOT
		[ $act = $TC_SHOT ] && want=$TC_OK
		assert_eq "$(tc_case $act --proceed-on "${names[$i]}")" "$want" \
			"${names[$i]} with proceed-on ${names[$i]}"
		local rest=()
		for other in 0 1 2 3 4 5 6 7 8 9; do [ $other = $i ] || rest+=("${names[$other]}"); done
		assert_eq "$(tc_case $act --proceed-on "${rest[@]}")" "$act" \
			"${names[$i]} with every other proceed-on"
	done
	# defaults: pipe and dispatcher_return go on, ok stops
	assert_eq "$(tc_case $TC_PIPE)" $TC_SHOT "default: pipe proceeds"
	assert_eq "$(tc_case $TC_OK)" $TC_OK "default: ok stops"
	assert_eq "$(tc_case $TC_UNSPEC)" $TC_UNSPEC "default: unspec stops"
	assert_eq "$(has_clsact)" no "clsact at the end"
}

test_tc_limits_and_qdiscs() {
	setup_tc_chain
	local p q i
	p=$(member tc tc_a $TC_PIPE 0)
	for i in 1 2 3 4 5 6 7 8 9 10; do tc_attach "$p" ingress -p "$i" >/dev/null; done
	assert_eq "$(run_tc)" $TC_OK "ten members"
	assert_eq "$(hits "$p" 0)" 10 "each of the ten ran"
	q=$(member tc tc_b $TC_OK 1 "$p")
	expect_fail bpfman attach "$q" tc -i "$IF_A" -d ingress -n "$NSP"
	assert_contains "$OUT" "No room to attach program" "11th program"
	assert_eq "$(bpfman list links -o json | jq length)" 10 "links after the refusal"
	bpfman unload "$p"
	assert_eq "$(has_clsact)" no "clsact after unload"
	# a clsact that was there before stays
	tc -n "$NS_A" qdisc add dev "$IF_A" clsact
	local l
	l=$(tc_attach "$q" ingress)
	bpfman detach "$l"
	assert_eq "$(has_clsact)" yes "someone else's clsact stays"
	tc -n "$NS_A" qdisc del dev "$IF_A" clsact
	# a legacy ingress qdisc is refused, nothing left behind
	tc -n "$NS_A" qdisc add dev "$IF_A" ingress
	expect_fail bpfman attach "$q" tc -i "$IF_A" -d ingress -n "$NSP"
	assert_contains "$OUT" "legacy 'ingress' qdisc" "legacy qdisc"
	assert_eq "$(bpfman list links -o json | jq length)" 0 "links after the refusal"
	assert_eq "$(tree_count "$FS/tc-ingress")" 0 "pin trees after the refusal"
	tc -n "$NS_A" qdisc del dev "$IF_A" ingress
}

test_tc_swap_loses_no_packet() {
	setup_tc_chain
	local a b
	a=$(member tc tc_a $TC_PIPE 0)
	b=$(member tc tc_b $TC_PIPE 1 "$a")
	tc_attach "$a" ingress -p 10 >/dev/null
	swap_under_traffic "$a" tc_attach "$b" ingress
}
