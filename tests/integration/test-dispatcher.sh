# The XDP dispatcher's rules at run time, proven through bpfman (the product's engine: load,
# attach with priorities and proceed-on, detach) with members of bpf/chain_member.bpf.o:
# each slot's own proceed-on mask, dispatcher_return, return values no mask can name, many
# packets through ten members, real traffic through a chain and after its last member, and
# a chain xdp-loader took down as a whole. Order, the proceed-on matrix, limits and rebuilds
# are in test-xdp-chain.sh. Verdicts come from BPF_PROG_TEST_RUN on the attached dispatcher;
# kernels without freplace skip (the qemu runner pins freplace where it exists).

. "$HERE/chain-lib.sh"

XDP_DISPATCHER_RETURN=31

test_xdp_each_member_has_its_own_mask() {
	setup_xdp_chain
	local d t p
	d=$(member xdp xdp_a $XDP_DROP 0)
	t=$(member xdp xdp_b $XDP_TX 1 "$d")
	p=$(member xdp xdp_c $XDP_PASS 2 "$d")
	xdp_attach "$d" -p 10 --proceed-on drop tx >/dev/null
	xdp_attach "$t" -p 20 --proceed-on drop >/dev/null
	xdp_attach "$p" -p 30 >/dev/null
	# drop proceeds (its mask), tx stops (its mask has drop only): pass never runs
	assert_eq "$(run_chain)" $XDP_TX "verdict"
	assert_eq "$(hits_of "$d" 0 1 2)" "1/1/0" "members that ran"
}

test_xdp_dispatcher_return_always_proceeds() {
	setup_xdp_chain
	local r e
	r=$(member xdp xdp_a $XDP_DISPATCHER_RETURN 0)
	e=$(member xdp xdp_b $XDP_DROP 1 "$r")
	# its mask names neither pass nor dispatcher_return: the dispatcher adds the latter
	xdp_attach "$r" -p 1 --proceed-on drop >/dev/null
	xdp_attach "$e" -p 2 >/dev/null
	assert_eq "$(run_chain)" $XDP_DROP "verdict"
	assert_eq "$(hits_of "$r" 0 1)" "1/1" "members that ran"
}

test_xdp_unknown_return_ends_the_chain() {
	setup_xdp_chain
	local b e
	b=$(member xdp xdp_a 63 0)
	e=$(member xdp xdp_b $XDP_PASS 1 "$b")
	# every action in the mask, and still no bit can name 63
	xdp_attach "$b" -p 1 --proceed-on aborted drop pass tx redirect dispatcher_return >/dev/null
	xdp_attach "$e" -p 2 >/dev/null
	assert_eq "$(run_chain)" 63 "verdict"
	assert_eq "$(hits_of "$b" 0 1)" "1/0" "members that ran"
}

test_xdp_ten_members_many_packets() {
	setup_xdp_chain
	local p t i
	p=$(member xdp xdp_a $XDP_PASS 0)
	t=$(member xdp xdp_b $XDP_TX 1 "$p")
	for i in 1 2 3 4 5 6 7 8 9; do xdp_attach "$p" -p $((100 - i)) >/dev/null; done
	xdp_attach "$t" -p 100 >/dev/null
	assert_eq "$(run_chain 3)" $XDP_TX "verdict of three packets"
	assert_eq "$(hits_of "$p" 0 1)" "27/3" "runs: nine passing members and the last, three packets each"
}

test_xdp_traffic_through_the_chain_and_after_it() {
	setup_xdp_chain
	local a b la lb
	a=$(member xdp xdp_a $XDP_PASS 0)
	b=$(member xdp xdp_b $XDP_PASS 1 "$a")
	la=$(xdp_attach "$a" -p 10)
	lb=$(xdp_attach "$b" -p 20)
	ip netns exec "$NS_B" ping -c 3 -i 0.2 -W 2 192.0.2.1 >/dev/null || fail "ping through the chain"
	[ "$(hits "$a" 0)" -ge 3 ] || fail "the first member saw $(hits "$a" 0) packets for 3 pings"
	[ "$(hits "$a" 1)" -ge 3 ] || fail "the second member saw $(hits "$a" 1) packets for 3 pings"
	# a drop in front: nothing gets through, the members behind it see nothing
	local d ld before
	d=$(member xdp xdp_c $XDP_DROP 2 "$a")
	ld=$(xdp_attach "$d" -p 5)
	before=$(hits "$a" 1)
	ip netns exec "$NS_B" ping -c 2 -i 0.2 -W 1 192.0.2.1 >/dev/null 2>&1 && fail "ping got through a drop"
	[ "$(hits "$a" 2)" -ge 2 ] || fail "the drop saw $(hits "$a" 2) packets"
	assert_eq "$(hits "$a" 1)" "$before" "packets behind the drop"
	bpfman detach "$ld"
	bpfman detach "$la"
	bpfman detach "$lb"
	# the last member gone: no dispatcher on the interface, and traffic flows
	assert_eq "$(disp_id)" 0 "dispatcher after the last detach"
	assert_eq "$(ip -n "$NS_A" -j link show "$IF_A" | jq -r '.[0].xdp // "none"')" none "XDP on the interface"
	ip netns exec "$NS_B" ping -c 2 -i 0.2 -W 2 192.0.2.1 >/dev/null || fail "ping after the last detach"
}

# xdp-loader unload -a takes the whole dispatcher away, our members with it: the next
# change forgets those links, keeps the programs, and builds a new chain.
test_xdp_chain_removed_by_xdp_loader() {
	setup_libxdp_iface
	local a b out
	a=$(member xdp xdp_a $XDP_PASS 0)
	b=$(member xdp xdp_b $XDP_PASS 1 "$a")
	attach_id "$a" xdp -i "$LXIF" -p 10 >/dev/null
	attach_id "$b" xdp -i "$LXIF" -p 20 >/dev/null
	out=$(xdp-loader load -P 15 "$LXIF" "$(obj xdp_pass.bpf.o)" 2>&1) || fail "xdp-loader load: $out"
	assert_eq "$(loader_chain)" "10:xdp_a 15:xdp_pass 20:xdp_b" "xdp-loader status"
	out=$(xdp-loader unload -a "$LXIF" 2>&1) || fail "xdp-loader unload -a: $out"
	attach_id "$b" xdp -i "$LXIF" -p 30 >/dev/null
	assert_eq "$(bpfman list links -o json | jq -r 'map("\(.function_name):\(.priority)") | join(" ")')" \
		"xdp_b:30" "links after the chain went"
	assert_eq "$(bpfman list programs -o json | jq length)" 2 "programs after the chain went"
	assert_eq "$(loader_chain)" "30:xdp_b" "xdp-loader status of the new chain"
	assert_eq "$(tree_count "$LXFS/xdp" -maxdepth 1 -name 'dispatch-*')" 1 "pin trees"
	bpfman unload "$a"
	bpfman unload "$b"
	assert_eq "$(tree_count "$LXFS/xdp" -maxdepth 1 -name 'dispatch-*')" 0 "pin trees at the end"
	assert_clean_state
}
