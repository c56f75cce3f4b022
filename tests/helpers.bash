# helpers.bash — what every bats file shares: `load ../helpers`.
#
# Sets LC_ALL=C (so strerror texts and number formats are stable), the paths
# of the built binary and test tools, loads bats-support and bats-assert,
# and defines a few assertions for the tool's error conventions.  Each test
# starts in tests/bats/fixtures, so file names in messages are short; files a
# test writes go to $BATS_TEST_TMPDIR (one fresh directory per test).
#
# Build first: make selfattn tests/tools/jsoncmp

bats_require_minimum_version 1.5.0

# bats-support and bats-assert.  Their load.bash files run `dirname` once per
# source file, 30 processes per test; sourcing the same files directly keeps
# the suite several times faster.
for lib in /usr/lib/bats/bats-support/src/{output,error,lang}.bash \
           /usr/lib/bats/bats-assert/src/*.bash; do
    source "$lib" || return 1
done
unset lib

export LC_ALL=C

REPO_ROOT="$(cd "${BASH_SOURCE[0]%/*}/.." && pwd)"
SELFATTN="${SELFATTN_BIN:-$REPO_ROOT/selfattn}"  # make check-sanitize sets it
JSONCMP="$REPO_ROOT/tests/tools/jsoncmp"
REFERENCE="$REPO_ROOT/tests/reference/cases"
FIXTURES="$REPO_ROOT/tests/bats/fixtures"

for tool in "$SELFATTN" "$JSONCMP"; do
    if [[ ! -x "$tool" ]]; then
        echo "${tool#"$REPO_ROOT"/} is not built: run 'make selfattn tests/tools/jsoncmp'" >&2
        return 1
    fi
done
unset tool

# The commands under test, by the names a user types.
selfattn() { "$SELFATTN" "$@"; }
jsoncmp() { "$JSONCMP" "$@"; }
# numcmp GOT WANT: texts equal but for computed numbers within tolerance
numcmp() { /usr/bin/python3 "$REPO_ROOT/tests/tools/numcmp.py" "$@"; }

# The "Illustrated: Self-Attention" example (fixtures/classic.json with
# classic.weights.json and --scale 1): Q, K, V and the scores are small
# integers, and the output of x1 is (1.94, 6.68, 1.60).  run.bats and
# outputs.bats use it: selfattn run ... "${CLASSIC[@]}".
CLASSIC=(--scale 1 -w classic.weights.json classic.json)

# Every test starts in the fixtures directory with a private temp dir.
# pipefail: `selfattn ... | jq ...` in a test fails when selfattn fails.
setup() {
    set -o pipefail
    cd "$FIXTURES" || return 1
    T="$BATS_TEST_TMPDIR"
}

# assert_error CODE MESSAGE: the last `run --separate-stderr` exited with
# CODE, printed nothing on stdout, and exactly MESSAGE (may span lines) on
# stderr.
assert_error() {
    local code="$1" message="$2"
    assert_equal "$stderr" "$message"
    assert_equal "$status" "$code"
    assert_equal "$output" ""
}

# assert_usage_error MESSAGE: exit 64 with "selfattn: MESSAGE" and the
# pointer to the help of the command the last `run` ran ("Try 'selfattn
# plot --help' ..." after `run selfattn plot ...`), or to --help when its
# second word is not a command.
assert_usage_error() {
    local words command=""
    read -r -a words <<< "${BATS_RUN_COMMAND:-}"
    case "${words[1]:-}" in
        run|batch|init|inspect|plot|completion) command="${words[1]} " ;;
    esac
    assert_error 64 "selfattn: $1
Try 'selfattn ${command}--help' for more information."
}

# help_options COMMAND: the long options `selfattn COMMAND --help` lists in
# its table of options (not those its text mentions), one a line, sorted.
help_options() {
    selfattn "$1" --help | sed -n 's/^  \(-., \|    \)--\([a-z][a-z-]*\).*/--\2/p' | sort -u
}

# assert_no_temp_files DIR: -o left no temporary ".NAME.XXXXXX" file in DIR.
assert_no_temp_files() {
    local leftovers
    leftovers="$(find "$1" -maxdepth 1 -name '.*.??????' -print)"
    assert_equal "$leftovers" ""
}

# assert_same_file A B: A is not empty and B has the same bytes.
assert_same_file() {
    assert [ -s "$1" ]
    run diff "$1" "$2"
    assert_success
}

# The options of the reference cases of tests/reference (reference.bats,
# mpi.bats).
# case_options CASE_JSON NAME: the run options of a case, one per line.
# Keys a case does not have, or has as null or false, add nothing.
case_options() {
    jq -r --arg name "$2" '
        ["-H", .heads],
        (if .kv_heads then ["--kv-heads", .kv_heads] else empty end),
        (if .causal then ["--causal"] else empty end),
        (if .scale != null then ["--scale", .scale] else empty end),
        (if .context then ["--context", "\($name).context.json"] else empty end),
        (if .mask then ["--mask", "\($name).mask.json"] else empty end),
        (if .bias then ["--bias", "\($name).bias.json"] else empty end),
        (if .pos then ["--pos", .pos] else empty end),
        (if .rope then ["--rope"] else empty end),
        (if .rope_base != null then ["--rope-base", .rope_base] else empty end),
        (if .rope_style then ["--rope-style", .rope_style] else empty end),
        (if .alibi then ["--alibi"] else empty end),
        (if .window != null then ["--window", .window] else empty end),
        (if .softcap != null then ["--softcap", .softcap] else empty end),
        (if .masked_rows then ["--masked-rows", .masked_rows] else empty end),
        (if .average_heads then ["--average-heads"] else empty end)
        | .[] | tostring' "$1"
}
