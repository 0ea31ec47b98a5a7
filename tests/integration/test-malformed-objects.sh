# Object files on which libbpf 1.1 crashed the process (found by fuzz/fuzz-object and kept in
# its corpus as regression inputs): load refuses each with a message naming the problem, and
# leaves nothing behind.

refused_object() { # file message-substring
	expect_fail bpfman load file --programs tracepoint:tracepoint_counter -p "$1"
	assert_contains "$OUT" "$2" "error for $(basename "$1")"
	assert_clean_state
}

test_malformed_objects_are_refused() {
	require_feature tracepoint
	local corpus="$TOP/fuzz/corpus/object"
	# a struct member whose type id points past the BTF type table
	refused_object "$corpus/regress-btf-member-type-id.elf" \
		"has malformed BTF: type 13 refers to a type that does not exist"
	# a second .BTF section without bytes in the file (NOBITS), sizes past the end
	refused_object "$corpus/regress-btf-nobits.elf" "is a malformed object file"
	# the objects they were made from still load
	local id
	id=$(load_id --programs tracepoint:tracepoint_counter -p "$corpus/counters.elf")
	bpfman unload "$id"
	assert_clean_state
}
