# The TC dispatcher's rules at run time, proven through bpfman (the product's engine: load,
# attach with priorities and proceed-on, detach) with members of bpf/chain_member.bpf.o:
# each slot's own proceed-on mask, dispatcher_return, return values no mask can name, the
# verdict of a chain whose every member proceeds, many packets through ten members, and real
# traffic. Order, the proceed-on matrix of every action, limits and the clsact qdisc are in
# test-tc-chain.sh. Verdicts come from BPF_PROG_TEST_RUN on the attached dispatcher;
# kernels without freplace skip (the qemu runner pins freplace where it exists).

. "$HERE/chain-lib.sh"

TC_REDIRECT=7 TC_DISPATCHER_RETURN=30

test_tc_each_member_has_its_own_mask() {
	setup_tc_chain
	local o r e
	o=$(member tc tc_a $TC_OK 0)
	r=$(member tc tc_b $TC_REDIRECT 1 "$o")
	e=$(member tc tc_c $TC_OK 2 "$o")
	tc_attach "$o" ingress -p 1 --proceed-on ok redirect >/dev/null
	tc_attach "$r" ingress -p 2 --proceed-on ok >/dev/null
	tc_attach "$e" ingress -p 3 >/dev/null
	# ok proceeds (its mask), redirect stops (its mask has ok only)
	assert_eq "$(run_tc)" $TC_REDIRECT "verdict"
	assert_eq "$(hits_of "$o" 0 1 2)" "1/1/0" "members that ran"
}

test_tc_dispatcher_return_always_proceeds() {
	setup_tc_chain
	local r e
	r=$(member tc tc_a $TC_DISPATCHER_RETURN 0)
	e=$(member tc tc_b $TC_SHOT 1 "$r")
	tc_attach "$r" ingress -p 1 --proceed-on ok >/dev/null
	tc_attach "$e" ingress -p 2 >/dev/null
	assert_eq "$(run_tc)" $TC_SHOT "verdict"
	assert_eq "$(hits_of "$r" 0 1)" "1/1" "members that ran"
}

test_tc_unknown_return_ends_the_chain() {
	setup_tc_chain
	local b e
	b=$(member tc tc_a 63 0)
	e=$(member tc tc_b $TC_OK 1 "$b")
	tc_attach "$b" ingress -p 1 --proceed-on unspec ok reclassify shot pipe stolen queued repeat \
		redirect trap dispatcher_return >/dev/null
	tc_attach "$e" ingress -p 2 >/dev/null
	assert_eq "$(run_tc)" 63 "verdict"
	assert_eq "$(hits_of "$b" 0 1)" "1/0" "members that ran"
}

# When every member proceeds the chain's verdict is TC_ACT_OK, not the last member's pipe
# (pipe would make the kernel go on to the next filter).
test_tc_chain_that_proceeds_ends_ok() {
	setup_tc_chain
	local p l
	p=$(member tc tc_a $TC_PIPE 0)
	l=$(tc_attach "$p" ingress)
	assert_eq "$(run_tc)" $TC_OK "one member that proceeds (default proceed-on)"
	bpfman detach "$l"
	tc_attach "$p" egress -p 1 >/dev/null
	tc_attach "$p" egress -p 2 >/dev/null
	assert_eq "$(run_tc egress)" $TC_OK "two members that proceed"
	assert_eq "$(hits "$p" 0)" 3 "runs"
}

test_tc_ten_members_many_packets() {
	setup_tc_chain
	local p s i
	p=$(member tc tc_a $TC_PIPE 0)
	s=$(member tc tc_b $TC_SHOT 1 "$p")
	for i in 1 2 3 4 5 6 7 8 9; do tc_attach "$p" ingress -p $((100 - i)) >/dev/null; done
	tc_attach "$s" ingress -p 100 >/dev/null
	assert_eq "$(verdict "$(tc_disp)" 3)" $TC_SHOT "verdict of three packets"
	assert_eq "$(hits_of "$p" 0 1)" "27/3" "runs: nine members that proceed and the last, three packets each"
}

test_tc_traffic_through_the_chain() {
	setup_tc_chain
	local a b s ls before
	a=$(member tc tc_a $TC_PIPE 0)
	b=$(member tc tc_b $TC_OK 1 "$a")
	tc_attach "$a" ingress -p 10 >/dev/null
	tc_attach "$b" ingress -p 20 >/dev/null
	ip netns exec "$NS_B" ping -c 3 -i 0.2 -W 2 192.0.2.1 >/dev/null || fail "ping through the chain"
	[ "$(hits "$a" 0)" -ge 3 ] || fail "the first member saw $(hits "$a" 0) packets for 3 pings"
	[ "$(hits "$a" 1)" -ge 3 ] || fail "the second member saw $(hits "$a" 1) packets for 3 pings"
	# a shot in front: nothing gets through, the members behind it see nothing
	s=$(member tc tc_c $TC_SHOT 2 "$a")
	ls=$(tc_attach "$s" ingress -p 5)
	before=$(hits "$a" 0)
	ip netns exec "$NS_B" ping -c 2 -i 0.2 -W 1 192.0.2.1 >/dev/null 2>&1 && fail "ping got through a shot"
	[ "$(hits "$a" 2)" -ge 2 ] || fail "the shot saw $(hits "$a" 2) packets"
	assert_eq "$(hits "$a" 0)" "$before" "packets behind the shot"
	bpfman detach "$ls"
	ip netns exec "$NS_B" ping -c 2 -i 0.2 -W 2 192.0.2.1 >/dev/null || fail "ping after the shot went"
}
