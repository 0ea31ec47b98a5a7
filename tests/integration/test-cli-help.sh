# What a user expects around the CLI: --help on every command, usage errors (exit 2 with
# the command's usage), --version with the git revision, -o json on load and attach with
# JSON errors, and the generated man page, reference and bash completion covering every
# command of the command table (src/cli/commands.c). The generated files are read from the
# build, next to the binary; nothing is compared with a copy. Where the build's docs are
# not there (the qemu guests get the binaries only), the binary's generator writes them
# into the test's scratch directory: the same command meson runs.

HELP_TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)

# sets GEN_DIR: the build's docs/, or the generator's output in the scratch directory
generated_docs() {
	GEN_DIR=${BPFMAN%/src/cli/bpfman}/docs
	[ -s "$GEN_DIR/bpfman.8" ] && [ -s "$GEN_DIR/bpfman" ] && return 0
	GEN_DIR="$TEST_TMP/gen-$TEST_ID"
	mkdir -p "$GEN_DIR"
	bpfman __generate man >"$GEN_DIR/bpfman.8"
	bpfman __generate markdown >"$GEN_DIR/cli-reference.md"
	bpfman __generate bash-completion >"$GEN_DIR/bpfman"
}

# every command path the binary knows: the leaves its --help lists, and their groups
command_paths() {
	bpfman --help | sed -n '/^Commands:/,/^$/p' | sed -n 's/^  \([a-z-]*\( [a-z-]\+\)\?\)  .*/\1/p' |
		awk '{ print; if (NF == 2) print $1 }' | sort -u
}

# run CMD...: sets OUT (stdout), ERR (stderr) and RC
run() {
	local o="$TEST_TMP/out.$TEST_ID" e="$TEST_TMP/err.$TEST_ID"
	RC=0
	"$@" >"$o" 2>"$e" || RC=$?
	OUT=$(cat "$o")
	ERR=$(cat "$e")
	rm -f "$o" "$e"
}

test_every_command_has_help_man_and_completion() {
	local paths p n=0 man comp md
	generated_docs
	man="$GEN_DIR/bpfman.8" comp="$GEN_DIR/bpfman" md="$GEN_DIR/cli-reference.md"
	paths=$(command_paths)
	# the table has at least the reference's commands
	for p in "load file" "load image" unload attach detach "list programs" "list links" \
		"get program" "get link" "image pull" "image build" "image generate-build-args"; do
		grep -qx "$p" <<<"$paths" || fail "bpfman --help does not list '$p'"
	done
	[ -s "$man" ] && [ -s "$comp" ] && [ -s "$md" ] || fail "generated files missing in $GEN_DIR"
	while read -r p; do
		n=$((n + 1))
		# shellcheck disable=SC2086 # the path is words
		run bpfman $p --help
		assert_eq "$RC" 0 "bpfman $p --help exit status"
		assert_contains "$OUT" "Usage: bpfman $p" "bpfman $p --help"
		assert_contains "$OUT" "Options:" "bpfman $p --help"
		assert_contains "$OUT" "-h, --help" "bpfman $p --help"
		assert_eq "$ERR" "" "bpfman $p --help stderr"
		# shellcheck disable=SC2086
		run bpfman $p -h
		assert_eq "$RC" 0 "bpfman $p -h exit status"
		# leaves have an example, groups their subcommands
		case $OUT in
		*"Commands:"*) ;;
		*) assert_contains "$OUT" "Example:" "bpfman $p --help" ;;
		esac
		# every option of the help is one line: "  -x, --name VALUE  help" or "      --name"
		sed -n '/^Options:/,/^$/p' <<<"$OUT" | sed 1d | grep -v '^$' | grep -vqE '^  (-[a-zA-Z], |    )--[a-z0-9-]+' &&
			fail "bpfman $p --help: an option line that is not one"
		# the man page has its section (roff writes '-' as '\-'), the completion its words
		grep -qxF ".SS \"${p//-/\\-}\"" "$man" || fail "bpfman(8) has no section for '$p'"
		grep -qF "'$p')" "$comp" || fail "the completion has no entry for '$p'"
		grep -qxF "## bpfman $p" "$md" || fail "cli-reference.md has no section for '$p'"
	done <<<"$paths"
	[ "$n" -ge 20 ] || fail "only $n commands found in bpfman --help"
	# the generated files name no command the binary does not know
	while read -r p; do
		grep -qxF "$p" <<<"$paths" || fail "bpfman(8) documents '$p', which bpfman --help does not list"
	done < <(sed -n 's/^\.SS "\(.*\)"$/\1/p' "$man" | sed 's/\\-/-/g')
	# an option the parser takes is in that command's help (the table is the parser's)
	run bpfman load file --help
	for o in --programs --path --global --application --metadata --map-owner-id --output; do
		assert_contains "$OUT" "$o" "load file --help"
	done
	# the pages render without warnings (the markdown-made ones exist only in a build)
	command -v groff >/dev/null || return 0
	for f in "$man" "$GEN_DIR/bpfman-rpc.8" "$GEN_DIR/bpfman.toml.5"; do
		[ -s "$f" ] || [ "$f" = "$man" ] || continue
		assert_eq "$(groff -man -ww -z "$f" 2>&1)" "" "groff warnings of $f"
	done
}

# bpfman-rpc(8) and bpfman.toml(5), made from docs/man/*.md by the build
test_rpc_and_config_man_pages() {
	local d=${BPFMAN%/src/cli/bpfman}/docs
	[ -s "$d/bpfman-rpc.8" ] || skip "no build docs here ($d): the pages are made by meson"
	assert_contains "$(cat "$d/bpfman-rpc.8")" '.TH BPFMAN-RPC 8' "bpfman-rpc(8) title"
	assert_contains "$(cat "$d/bpfman-rpc.8")" 'metrics\-address' "bpfman-rpc(8)"
	# every option bpfman-rpc --help names is in its page
	for o in $("${BPFMAN%/cli/bpfman}/rpc/bpfman-rpc" --help | grep -o -- '--[a-z-]*' | sort -u); do
		assert_contains "$(cat "$d/bpfman-rpc.8")" "${o//-/\\-}" "bpfman-rpc(8) option $o"
	done
	assert_contains "$(cat "$d/bpfman.toml.5")" '.TH BPFMAN.TOML 5' "bpfman.toml(5) title"
	for k in xdp_mode allow_unsigned verify_enabled trusted_keys insecure ca_file auth_file \
		lock_timeout_sec stats; do
		assert_contains "$(cat "$d/bpfman.toml.5")" "$k" "bpfman.toml(5) key $k"
	done
}

test_usage_errors_exit_2() {
	local c
	while IFS='|' read -r path args; do
		# shellcheck disable=SC2086
		run bpfman $args
		assert_eq "$RC" 2 "exit status of: bpfman $args ($ERR)"
		assert_eq "$OUT" "" "stdout of: bpfman $args"
		assert_contains "$ERR" "Error: " "stderr of: bpfman $args"
		assert_contains "$ERR" "Usage: bpfman $path" "usage of: bpfman $args"
	done <<'EOF'
|frobnicate
|--frobnicate
load|load
load file|load file --programs xdp:x -p /nonexistent --bogus
load file|load file -p /nonexistent
load file|load file --programs nosuchtype:x -p /nonexistent
load image|load image --programs xdp:x
list|list programs --bogus
list|list links -o yaml
get|get program notanumber
get|get link
attach|attach 1
attach|attach 1 nosuchtype
attach|attach 1 xdp
attach|attach 1 tc -i lo -d sideways
detach|detach
unload|unload 1 2
image|image frobnicate
image build|image build -b /nonexistent
dispatcher|dispatcher show
apply|apply --boot -f x
EOF
	# a failure that is not a usage error is 1
	run bpfman get program 4000000000
	assert_eq "$RC" 1 "exit status of a missing program ($ERR)"
	run bpfman load file --programs xdp:x -p "$TEST_TMP/does-not-exist.o"
	assert_eq "$RC" 1 "exit status of a missing object ($ERR)"
	# with -o json the error is JSON on stdout, usage error or not
	run bpfman get program notanumber -o json
	assert_eq "$RC" 2 "json usage error exit"
	assert_contains "$(jq -r .error <<<"$OUT")" "invalid program id 'notanumber'" "json usage error"
	run bpfman list programs --bogus -o json
	assert_eq "$RC" 2 "json unknown option exit"
	assert_contains "$(jq -r .error <<<"$OUT")" "unknown option '--bogus'" "json unknown option"
	# also the older forms (`bpfman list`, `bpfman get ID`)
	run bpfman list --bogus -o json
	assert_eq "$RC" 2 "json unknown option of 'list' exit"
	assert_contains "$(jq -r .error <<<"$OUT")" "unknown option '--bogus'" "json error of 'list'"
	run bpfman get 4000000000 -o json
	assert_eq "$RC" 1 "json failure of 'get ID' exit"
	jq -e '.error | length > 0' <<<"$OUT" >/dev/null || fail "not a JSON error: $OUT"
	run bpfman get link 4000000000 -o json
	assert_eq "$RC" 1 "json failure exit"
	jq -e '.error | length > 0' <<<"$OUT" >/dev/null || fail "not a JSON error: $OUT"
	c=$(jq -s length <<<"$OUT")
	assert_eq "$c" 1 "one JSON document"
}

test_version() {
	local rev
	run bpfman --version
	assert_eq "$RC" 0 "--version exit"
	if [ -f "$HELP_TOP/meson.build" ]; then
		assert_eq "$(sed -n 1p <<<"$OUT")" "bpfman $(sed -n "s/^\tversion: '\(.*\)',/\1/p" "$HELP_TOP/meson.build")" "version line"
	else
		[[ $(sed -n 1p <<<"$OUT") =~ ^bpfman\ [0-9]+\.[0-9]+\.[0-9]+$ ]] || fail "version line: $OUT"
	fi
	rev=$(sed -n 's/^git revision: //p' <<<"$OUT")
	[ -n "$rev" ] || fail "no git revision line: $OUT"
	if ! command -v git >/dev/null || [ ! -f "$HELP_TOP/meson.build" ]; then
		# tests away from the sources (the qemu guests): the form only
		[[ $rev =~ ^[0-9a-f]{7,40}(-dirty)?$ || $rev == *"not built from a git checkout"* ]] ||
			fail "git revision: $rev"
	elif git -C "$HELP_TOP" rev-parse --git-dir >/dev/null 2>&1; then
		# a commit of this repository (built from it; -dirty when the tree had changes)
		git -C "$HELP_TOP" cat-file -e "${rev%-dirty}^{commit}" || fail "'$rev' is no commit here"
	else
		assert_contains "$rev" "not built from a git checkout" "revision outside git"
	fi
	run bpfman -V
	assert_eq "$RC" 0 "-V exit"
	assert_contains "$OUT" "git revision: " "-V"
}

test_load_attach_json() {
	local json id link out
	json=$(bpfman load file -o json -p "$COUNTERS_OBJ" --programs tracepoint:tracepoint_counter)
	jq -e 'type == "array" and length == 1' <<<"$json" >/dev/null || fail "load -o json: $json"
	id=$(jq -r '.[0].kernel.id' <<<"$json")
	out=$(bpfman attach "$id" tracepoint -t syscalls/sys_enter_getpid -o json)
	link=$(jq -r .id <<<"$out")
	assert_eq "$(jq -r .program_id <<<"$out")" "$id" "attach -o json program_id"
	assert_eq "$(bpfman get link "$link" -o json)" "$out" "attach -o json is get link -o json"
	out=$(bpfman attach "$id" tracepoint -t syscalls/sys_enter_getppid --output json)
	jq -e '.id > 0' <<<"$out" >/dev/null || fail "attach --output json: $out"
	# the table output is the reference's line, also with -o table
	out=$(bpfman attach "$id" tracepoint -t syscalls/sys_enter_gettid)
	[[ $out =~ ^Link\ ID:\ [0-9]+$ ]] || fail "attach table output: $out"
	out=$(bpfman attach "$id" tracepoint -t syscalls/sys_enter_getuid -o table)
	[[ $out =~ ^Link\ ID:\ [0-9]+$ ]] || fail "attach -o table output: $out"
	assert_eq "$(bpfman list links -o json | jq length)" 4 "links"
	# a failing attach in JSON mode: one JSON error, exit 1, nothing attached
	run bpfman attach "$id" tracepoint -t nosuchcategory/nosuchevent -o json
	assert_eq "$RC" 1 "failed attach exit ($ERR)"
	jq -e '.error | length > 0' <<<"$OUT" >/dev/null || fail "failed attach: $OUT"
	assert_eq "$(bpfman list links -o json | jq length)" 4 "links after the failure"
	run bpfman load file -o json -p "$COUNTERS_OBJ" --programs tracepoint:no_such_function
	assert_eq "$RC" 1 "failed load exit ($ERR)"
	jq -e '.error | length > 0' <<<"$OUT" >/dev/null || fail "failed load: $OUT"
	bpfman unload "$id"
	assert_clean_state
}

# image generate-build-args -o json: the text's names and values as one object
test_generate_build_args_json() {
	local text json
	text=$(bpfman image generate-build-args -b "$COUNTERS_OBJ")
	json=$(bpfman image generate-build-args -b "$COUNTERS_OBJ" -o json)
	assert_eq "$(jq -r .BYTECODE_FILE <<<"$json")" "$(sed -n 's/^BYTECODE_FILE=//p' <<<"$text")" "BYTECODE_FILE"
	assert_eq "$(jq -cS .PROGRAMS <<<"$json")" "$(sed -n 's/^PROGRAMS=//p' <<<"$text" | jq -cS .)" "PROGRAMS"
	assert_eq "$(jq -cS .MAPS <<<"$json")" "$(sed -n 's/^MAPS=//p' <<<"$text" | jq -cS .)" "MAPS"
	run bpfman image generate-build-args -b "$TEST_TMP/none.o" -o json
	assert_eq "$RC" 1 "missing object exit"
	jq -e '.error | test("none.o")' <<<"$OUT" >/dev/null || fail "JSON error: $OUT"
}

# the completion offers the ids of this root's programs and links, asked at completion time
test_completion_ids() {
	local id link words
	generated_docs
	id=$(load_id -p "$COUNTERS_OBJ" --programs tracepoint:tracepoint_counter)
	link=$(bpfman attach "$id" tracepoint -t syscalls/sys_enter_getpid | awk '{print $3}')
	complete_words() {
		# shellcheck disable=SC1091
		PATH="$(dirname "$BPFMAN"):$PATH" bash -c '
			. "$1"; shift
			COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); COMPREPLY=()
			_bpfman; echo "${COMPREPLY[*]}"' complete "$GEN_DIR/bpfman" "$@"
	}
	words=$(complete_words bpfman attach '')
	assert_contains " $words " " $id " "program ids of attach"
	words=$(complete_words bpfman get program '')
	assert_contains " $words " " $id " "program ids of get program"
	words=$(complete_words bpfman detach '')
	assert_eq "$words" "$link" "link ids of detach"
	words=$(complete_words bpfman attach "$id" '')
	assert_contains " $words " " tracepoint " "attach types"
	words=$(complete_words bpfman attach "$id" xdp -i '')
	assert_contains " $words " " lo " "interfaces"
	words=$(complete_words bpfman list links --)
	assert_contains " $words " " --program-type " "options of list links"
	words=$(complete_words bpfman load file --programs '')
	assert_contains " $words " " xdp: " "program types"
	bpfman unload "$id"
	assert_clean_state
}

test_meson_install_destdir() {
	local dest="$TEST_TMP/destdir-$TEST_ID" build="${BPFMAN%/src/cli/bpfman}" f
	command -v meson >/dev/null || skip "meson is not installed here"
	[ -f "$build/build.ninja" ] || skip "no meson build directory at $build"
	meson install -C "$build" --no-rebuild --quiet --destdir "$dest" >/dev/null
	for f in share/man/man8/bpfman.8 share/man/man8/bpfman-rpc.8 share/man/man5/bpfman.toml.5 \
		share/bash-completion/completions/bpfman; do
		[ -n "$(find "$dest" -path "*/$f" -size +0)" ] || fail "meson install put no $f"
	done
	rm -rf "${dest:?}"
}
