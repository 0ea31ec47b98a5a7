# The multi-program TC dispatcher (bpf/tc_dispatcher.bpf.c), driven by
# tests/helpers/tc-dispatch-probe with the components of bpf/tc_dispatcher_test.bpf.o
# (tc_act_NAME returns the TC action NAME; tc_end returns ok): chain order, proceed-on for
# every TC action, the default proceed-on, ten slots, an empty dispatcher.
# `tc-dispatch-probe run` prints the verdict of one test packet, then "FUNC HITS" for each
# component in command-line order.

TC_DISP_TEST_OBJ="$BPF_OBJ_DIR/tc_dispatcher_test.bpf.o"

tcprobe() { "$TESTS_HELPERS/tc-dispatch-probe" "$@"; }

# Components are EXT (freplace) programs: kernels that refuse those skip.
require_freplace() {
	local reason
	reason=$(tcprobe freplace-ok 2>&1) || skip "freplace: $reason"
}

# expect_run "VERDICT FUNC HITS FUNC HITS..." COMPONENT...: the output of one run, its
# lines joined by spaces
expect_run() {
	local want=$1 out
	shift
	out=$(tcprobe run "$TC_DISP_TEST_OBJ" "$@") || fail "tc-dispatch-probe run $*: exit $?"
	assert_eq "$(echo $out)" "$want" "run $*"
}

TC_ACTIONS="unspec ok reclassify shot pipe stolen queued repeat redirect trap"

test_order_by_priority() {
	require_freplace
	# shot at 10 ends the chain before ok at 20 runs, whatever the command-line order
	expect_run "TC_ACT_SHOT tc_act_ok 0 tc_act_shot 1" tc_act_ok:20 tc_act_shot:10
	expect_run "TC_ACT_SHOT tc_act_shot 1 tc_act_ok 0" tc_act_shot:10 tc_act_ok:20
	# pipe at 5 goes first and proceeds (default proceed-on: pipe)
	expect_run "TC_ACT_SHOT tc_act_pipe 1 tc_act_shot 1" tc_act_pipe:5 tc_act_shot:10
	# equal priorities: by name (tc_act_shot < tc_act_trap)
	expect_run "TC_ACT_SHOT tc_act_trap 0 tc_act_shot 1" tc_act_trap:10 tc_act_shot:10
	# no priority given: 50
	expect_run "TC_ACT_TRAP tc_act_shot 0 tc_act_trap 1" tc_act_shot tc_act_trap:49
}

# Every TC action X: with X in the mask the next component runs and, when it proceeds too,
# the verdict is TC_ACT_OK; without X (every other action set) the chain stops with X.
test_proceed_on_every_action() {
	require_freplace
	local a b others verdict value=-1
	for a in $TC_ACTIONS; do
		verdict=TC_ACT_${a^^}
		others=$(for b in $TC_ACTIONS; do [ "$b" = "$a" ] || printf '%s,' "$b"; done)
		expect_run "TC_ACT_OK tc_act_$a 1 tc_end 1" "tc_act_$a:1:$a" tc_end:2:ok
		expect_run "TC_ACT_SHOT tc_act_$a 1 tc_act_shot 1" "tc_act_$a:1:$a" tc_act_shot:2:none
		expect_run "$verdict tc_act_$a 1 tc_end 0" "tc_act_$a:1:${others%,}" tc_end:2:ok
		expect_run "$verdict tc_act_$a 1 tc_end 0" "tc_act_$a:1:none" tc_end:2
		# the action's number names it too
		expect_run "TC_ACT_OK tc_act_$a 1 tc_end 1" "tc_act_$a:1:$value" tc_end:2:ok
		value=$((value + 1))
	done
	# each slot has its own mask
	expect_run "TC_ACT_REDIRECT tc_act_ok 1 tc_act_redirect 1 tc_end 0" \
		tc_act_ok:1:ok,redirect tc_act_redirect:2:ok tc_end:3
	# dispatcher_return (30, what an empty slot returns) always proceeds
	expect_run "TC_ACT_SHOT tc_act_dispatcher_return 1 tc_act_shot 1" \
		tc_act_dispatcher_return:1:none tc_act_shot:2
	# a return value no mask bit can name ends the chain, even with every action set
	expect_run "63 tc_bogus 1 tc_end 0" \
		"tc_bogus:1:${TC_ACTIONS// /,},dispatcher_return" tc_end:2
}

test_default_proceed_on() {
	require_freplace
	# omitted or empty: [pipe, dispatcher_return]; pipe continues, ok stops
	expect_run "TC_ACT_SHOT tc_act_pipe 1 tc_act_shot 1" tc_act_pipe:1 tc_act_shot:2
	expect_run "TC_ACT_SHOT tc_act_pipe 1 tc_act_shot 1" tc_act_pipe:1: tc_act_shot:2
	expect_run "TC_ACT_OK tc_act_ok 1 tc_act_shot 0" tc_act_ok:1 tc_act_shot:2
	expect_run "TC_ACT_OK tc_act_ok 1 tc_act_shot 0" tc_act_ok:1: tc_act_shot:2
	expect_run "TC_ACT_UNSPEC tc_act_unspec 1 tc_act_shot 0" tc_act_unspec:1 tc_act_shot:2
	# every component proceeds: the verdict is TC_ACT_OK, not the last one's pipe
	expect_run "TC_ACT_OK tc_act_pipe 1" tc_act_pipe:1
}

test_ten_components() {
	require_freplace
	local comps=() want="TC_ACT_SHOT" out i
	for i in 1 2 3 4 5 6 7 8 9; do
		comps+=("tc_act_pipe:$((100 - i))")
		want="$want tc_act_pipe 3"
	done
	comps+=(tc_act_shot:100)
	want="$want tc_act_shot 3"
	out=$(tcprobe run --repeat 3 "$TC_DISP_TEST_OBJ" "${comps[@]}")
	assert_eq "$(echo $out)" "$want" "ten components, three packets"
	expect_fail tcprobe run "$TC_DISP_TEST_OBJ" "${comps[@]}" tc_act_ok:1
	assert_contains "$OUT" "at most 10" "eleven components"
}

test_empty_dispatcher() {
	require_freplace
	assert_eq "$(tcprobe run)" TC_ACT_OK "no components"
	assert_eq "$(tcprobe run --repeat 5)" TC_ACT_OK "no components, five packets"
}
