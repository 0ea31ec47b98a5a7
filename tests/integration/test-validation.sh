# Request checks and defaults (src/lib/validate.c) through the CLI: every bad value is
# refused with a message naming it and leaves nothing behind; the default priority is the
# one the hook is placed by. tests/grpc/test_validation.py sends the same values over gRPC.

attach_link() {
	bpfman attach "$@" | awk '/Link ID/ {print $3}'
}

# refused MESSAGE COMMAND...: fails, says MESSAGE, and no program, link or pin more than
# before is left (the kernel frees what nothing pins when the CLI exits; the kernel-wide
# program count is not compared: other tests may load programs at the same time)
pins() { tree_count "$FS" -not -type d -not -name '*.debug'; }

refused() {
	local want=$1 progs links pins
	shift
	progs=$(bpfman list programs -o json | jq length)
	links=$(bpfman list links -o json | jq length)
	pins=$(pins)
	expect_fail "$@"
	assert_contains "$OUT" "$want" "error message of: $*"
	assert_eq "$(bpfman list programs -o json | jq length)" "$progs" "programs after: $*"
	assert_eq "$(bpfman list links -o json | jq length)" "$links" "links after: $*"
	assert_eq "$(pins)" "$pins" "pins after: $*"
}

# Item 1 of issue 8: A -p 50, B without a priority, C -p 100 must run A, C, B. The hook
# placed B by the request's 0 (first) while its record said 1000.
test_tcx_default_priority_is_placed_last() {
	require_feature tcx
	make_veth_pair
	local json a b c la lb lc ns="/var/run/netns/$NS_A"
	json=$(bpfman load file -o json -p "$COUNTERS_OBJ" --programs tcx:tcx_a tcx:tcx_b tcx:tcx_c)
	a=$(echo "$json" | jq -r '.[0].kernel.id')
	b=$(echo "$json" | jq -r '.[1].kernel.id')
	c=$(echo "$json" | jq -r '.[2].kernel.id')
	la=$(attach_link "$a" tcx -i "$IF_A" -d ingress -p 50 -n "$ns")
	lb=$(attach_link "$b" tcx -i "$IF_A" -d ingress -n "$ns")
	lc=$(attach_link "$c" tcx -i "$IF_A" -d ingress -p 100 -n "$ns")
	assert_eq "$(bpfman get link "$lb" -o json | jq -r .priority)" 1000 "recorded default"
	# positions are the kernel's (a tcx query of the hook), not the records'
	pos() { bpfman get link "$1" -o json | jq -r .position; }
	assert_eq "$(pos "$la") $(pos "$lc") $(pos "$lb")" "0 1 2" "positions a c b"
	for id in $a $b $c; do bpfman unload "$id"; done
	assert_clean_state
}

test_attach_values_refused() {
	make_veth_pair
	local x ns="/var/run/netns/$NS_A"
	x=$(load_id --programs xdp:xdp_counter -p "$COUNTERS_OBJ")
	refused "invalid priority 0: expected 1 to 1000" bpfman attach "$x" xdp -i "$IF_A" -n "$ns" -p 0
	refused "invalid priority -1: expected 1 to 1000" bpfman attach "$x" xdp -i "$IF_A" -n "$ns" -p -1
	refused "invalid priority 1001: expected 1 to 1000" bpfman attach "$x" xdp -i "$IF_A" -n "$ns" -p 1001
	refused "invalid priority -2147483648: expected 1 to 1000" bpfman attach "$x" xdp -i "$IF_A" -n "$ns" -p -2147483648
	refused "invalid priority '2147483648'" bpfman attach "$x" xdp -i "$IF_A" -n "$ns" -p 2147483648
	refused "17 proceed-on values: at most 16" bpfman attach "$x" xdp -i "$IF_A" -n "$ns" \
		--proceed-on $(for i in $(seq 17); do echo pass; done)
	refused "the netns path is empty" bpfman attach "$x" xdp -i "$IF_A" -n ""
	refused "invalid metadata ',': expected KEY=VALUE" bpfman attach "$x" xdp -i "$IF_A" -n "$ns" -m ,
	refused "invalid metadata '=v'" bpfman attach "$x" xdp -i "$IF_A" -n "$ns" -m =v
	refused "metadata value of 'k' is not valid UTF-8" bpfman attach "$x" xdp -i "$IF_A" -n "$ns" -m $'k=\xc3\x28'
	refused "the interface name is not valid UTF-8" bpfman attach "$x" xdp -i $'\xff' -n "$ns"
	bpfman unload "$x"
	assert_clean_state
}

# kprobe programs load on kernels that refuse kprobe links: the checks come before any
# attach, so they run everywhere
test_kprobe_values_refused() {
	local k
	k=$(load_id --programs kprobe:kprobe_counter -p "$COUNTERS_OBJ")
	refused "invalid offset 18446744073709551615: at most 9223372036854775807" \
		bpfman attach "$k" kprobe -f do_unlinkat -o 18446744073709551615
	refused "the function name is not valid UTF-8" bpfman attach "$k" kprobe -f $'do_\xe0\x80\x80'
	bpfman unload "$k"
	assert_clean_state
}

test_uprobe_values_refused() {
	require_feature uprobe
	local u
	u=$(load_id --programs uprobe:uprobe_counter -p "$COUNTERS_OBJ")
	refused "invalid pid -5: expected a process id" bpfman attach "$u" uprobe -t libc -f getpid --pid -5
	refused "invalid container pid -1: expected a process id" bpfman attach "$u" uprobe -t libc -f getpid -c -1
	refused "the target is not valid UTF-8" bpfman attach "$u" uprobe -t $'/tmp/\xed\xa0\x80' -f getpid
	refused "invalid offset 9223372036854775808" bpfman attach "$u" uprobe -t libc -f getpid -o 9223372036854775808
	bpfman unload "$u"
	assert_clean_state
}

test_load_values_refused() {
	require_feature tracepoint
	local tp="tracepoint:tracepoint_counter"
	head -c 200 "$COUNTERS_OBJ" >"$TEST_TMP/trunc.$$.o"
	cp "$(type -P true)" "$TEST_TMP/notbpf.$$.o"
	refused "global 'increment' is given twice" bpfman load file --programs "$tp" -p "$COUNTERS_OBJ" \
		-g increment=0100000000000000 -g increment=0200000000000000
	refused "invalid metadata ','" bpfman load file --programs "$tp" -p "$COUNTERS_OBJ" -m ,
	refused "invalid metadata 'a=1,,b=2'" bpfman load file --programs "$tp" -p "$COUNTERS_OBJ" -m a=1,,b=2
	refused "metadata key 1 is not valid UTF-8" bpfman load file --programs "$tp" -p "$COUNTERS_OBJ" -m $'\xfe=v'
	refused "metadata value of 'bpfman_application' is not valid UTF-8" \
		bpfman load file --programs "$tp" -p "$COUNTERS_OBJ" -a $'\xc0\xaf'
	refused "global data name 1 is not valid UTF-8" bpfman load file --programs "$tp" -p "$COUNTERS_OBJ" -g $'\xff=01'
	refused "the function name of program 1 is not valid UTF-8" \
		bpfman load file --programs $'tracepoint:\xf5x' -p "$COUNTERS_OBJ"
	refused "the object file path is not valid UTF-8" bpfman load file --programs "$tp" -p $'/tmp/\xff.o'
	refused "cannot open BPF object '$TEST_TMP/trunc.$$.o': BPF object format invalid" \
		bpfman load file --programs "$tp" -p "$TEST_TMP/trunc.$$.o"
	refused "BPF object format invalid" bpfman load file --programs "$tp" -p "$TEST_TMP/notbpf.$$.o"
	! grep -q "Unknown error" <<<"$OUT" || fail "libbpf code shown as an unknown errno: $OUT"
	# image options belong to `load image`, as in the reference
	for o in "--image-url quay.io/x/y:1" "--registry-auth dXNlcjpwYXNz" "--pull-policy Always"; do
		# shellcheck disable=SC2086
		refused "unknown option '${o%% *}'" bpfman load file --programs "$tp" -p "$COUNTERS_OBJ" $o
	done
	assert_clean_state
}

test_relative_root_refused() {
	expect_fail "$BPFMAN" --root relative/dir list programs
	assert_contains "$OUT" "the root directory must be an absolute path, not 'relative/dir'" "root"
	[ ! -e relative ] || fail "a relative root made something"
}

# Many metadata pairs are handled in n log n (they were quadratic: 40k pairs took 10 s);
# this checks the result, not the time: every pair kept, a repeated key keeps its last value.
test_many_metadata_pairs() {
	require_feature tracepoint
	local id args
	args=$(seq 0 19999 | sed 's/.*/k&=v&/' | tr '\n' ' ')
	# shellcheck disable=SC2086
	id=$(load_id --programs tracepoint:tracepoint_counter -p "$COUNTERS_OBJ" -m $args k7=last)
	assert_eq "$(bpfman get program "$id" -o json | jq '.bpfman.metadata | length')" 20000 "pairs kept"
	assert_eq "$(bpfman get program "$id" -o json | jq -r '.bpfman.metadata.k7')" last "last value wins"
	assert_eq "$(bpfman list programs -m k19999=v19999 k3=v3 -o json | jq length)" 1 "selector of two"
	assert_eq "$(bpfman list programs -m k3=v4 -o json | jq length)" 0 "selector mismatch"
	bpfman unload "$id"
	assert_clean_state
}
