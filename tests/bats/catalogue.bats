#!/usr/bin/env bats
# catalogue.bats — the catalogue of malformed inputs (tests/bad): every case
# of tests/bad/catalogue.tsv must give its exit code and exactly its message.
#
# A manifest line is four fields separated by tabs:
#   NAME  ARGUMENTS  EXIT-CODE  STDERR
# ARGUMENTS follow `selfattn`, split as shell words (quotes allowed, nothing
# expanded).  STDERR is the whole of standard error, with \n between lines.
# In both, {DIR} is tests/bad/files, {OUT} an empty directory of the case's
# own and {TMP} a directory of files made here (unreadable.json, mode 000).
# Lines starting with # are comments.
#
# Each case runs from the repository root with `timeout 10`, standard input
# from /dev/null, and must:
#   - exit with EXIT-CODE and print exactly STDERR on standard error;
#   - print nothing on standard output and leave {OUT} empty (no -o file, no
#     temporary file) -- except `batch`, which writes its lines, error lines
#     included; there every line on standard error that names an input line
#     (FILE:N: ...) must have its {"line":N,"error":...} line on standard
#     output, and the output must end with a whole line;
#   - peak at most CATALOGUE_RSS_BASE_KB of memory plus 16 times the bytes of
#     the files it names (not measured for a sanitizer build).
# Cases that read {TMP}/unreadable.json are skipped as root, who can read it.
# The cases run in parallel (one per core); every mismatch is reported, by
# name, before the test fails.  To see what the binary says now for every
# case: /usr/bin/python3 tests/bad/record.py (see tests/bad/README.md).

load ../helpers

MANIFEST="$REPO_ROOT/tests/bad/catalogue.tsv"
BAD_FILES="tests/bad/files"

# The runner.  It runs in a child bash (see the last test): bats traces
# every command of a test, which would make the few thousand commands of
# the catalogue several times slower.  It needs SELFATTN, REPO_ROOT,
# MANIFEST, BAD_FILES and WORK (an empty directory) in the environment, and
# writes the report of the cases that fail to $WORK/report.

# case_args ARGS: sets the array ARGS to the words of a case's arguments,
# placeholders replaced; {OUT} is $WORK/out/$name (name is the caller's).
case_args() {
    local words=() word
    set -f  # quotes are honoured, globs are not
    eval "words=($1)"
    set +f
    ARGS=()
    for word in "${words[@]}"; do
        word="${word//\{DIR\}/$BAD_FILES}"
        word="${word//\{OUT\}/$WORK/out/$name}"
        ARGS+=("${word//\{TMP\}/$WORK/tmp}")
    done
}

# slurp VAR FILE: the text of FILE without its final newlines, as $(<FILE)
# gives, but without a process.
slurp() {
    IFS= read -r -d '' "$1" <"$2" || true
    while [[ "${!1}" == *$'\n' ]]; do
        printf -v "$1" '%s' "${!1%$'\n'}"
    done
}

# case_check NAME ARGS CODE STDERR GOT_CODE: appends what is wrong with the
# case's run (its exit code GOT_CODE, its files) to $WORK/report.
case_check() {
    local name="$1" command="$2" code="$3" want="$4" got_code="$5" problems=()
    local out="$WORK/out/$name" res="$WORK/results/$name" got_err
    want="${want//\\n/$'\n'}"
    want="${want//\{DIR\}/$BAD_FILES}"
    want="${want//\{OUT\}/$out}"
    want="${want//\{TMP\}/$WORK/tmp}"
    slurp got_err "$res.err"
    [[ "$got_code" == "$code" ]] ||
        problems+=("exit code $got_code, expected $code")
    [[ "$got_err" == "$want" ]] ||
        problems+=("stderr differs:"
                   "  expected: ${want//$'\n'/$'\n'              }"
                   "  got:      ${got_err//$'\n'/$'\n'              }")
    if [[ "$command" != batch* ]]; then
        [[ ! -s "$res.out" ]] ||
            problems+=("wrote $(wc -c <"$res.out") bytes on stdout")
        local left=("$out"/*)  # nullglob, dotglob
        ((${#left[@]} == 0)) || problems+=("left in {OUT}: ${left[*]##*/}")
    else
        # every failed line named on stderr has its error line on stdout
        local named errors
        named="$(grep -cE '^selfattn: [^ ]+:[0-9]+(:[0-9]+)?: ' "$res.err")"
        errors="$(grep -c '^{"line":[0-9]*,\("id":.*,\)\?"error":' "$res.out")"
        [[ "$named" == "$errors" ]] ||
            problems+=("$named failed lines on stderr but $errors error lines on stdout")
        [[ ! -s "$res.out" || "$(tail -c 1 "$res.out")" == "" ]] ||
            problems+=("the output ends in a partial line")
    fi
    # memory: at most CATALOGUE_RSS_BASE_KB and 16 times the files it read
    # (docs/design.md, "Memory"); every case reads small files
    if [[ -s "$res.mem" ]]; then
        local kb bytes=0 word size
        kb="$(tail -n 1 "$res.mem")"
        for word in "${ARGS[@]}"; do
            [[ -f "$word" ]] && size="$(stat -c %s "$word")" && bytes=$((bytes + size))
        done
        ((kb * 1024 <= CATALOGUE_RSS_BASE_KB * 1024 + 16 * bytes)) ||
            problems+=("peak memory ${kb} KiB for ${bytes} bytes of input")
        echo "$kb KiB $name" >>"$WORK/peaks"
    fi
    if ((${#problems[@]})); then
        printf '%s: selfattn %s\n' "$name" "$command"
        printf '  %s\n' "${problems[@]}"
    fi >>"$WORK/report"
}

# catalogue_run: runs every case from the repository root, $(nproc) at a
# time, then checks them in the manifest's order.  Each case is one
# `timeout` started in the background (no shell in between, to keep the
# processes few), its exit code collected by `wait PID`.
catalogue_run() {
    local line name command code message root=false jobs i
    local names=() commands=() codes=() messages=() got=() pids=() skipped=() ARGS
    shopt -s nullglob dotglob
    cd "$REPO_ROOT" || return 1
    # peak memory (GNU time), but not of a sanitizer build (its shadow)
    local measure=true MEASURE
    [[ "$SELFATTN" != *-san ]] || measure=false
    jobs="$(nproc 2>/dev/null || echo 2)"
    [[ "$(id -u)" != 0 ]] || root=true
    while IFS= read -r line || [[ -n "$line" ]]; do
        [[ -z "$line" || "$line" == \#* ]] && continue
        IFS=$'\t' read -r name command code message <<<"$line"
        if $root && [[ "$command" == *"{TMP}/unreadable"* ]]; then
            skipped+=("$name")
            continue
        fi
        names+=("$name") commands+=("$command") codes+=("$code")
        messages+=("$message")
    done <"$MANIFEST"
    mkdir -p "$WORK/results" "$WORK/tmp" "${names[@]/#/$WORK/out/}" || return 1
    : >"$WORK/report"
    printf '[[1, 2], [3, 4]]\n' >"$WORK/tmp/unreadable.json"
    chmod 000 "$WORK/tmp/unreadable.json"
    # at most $jobs at once: case i starts when case i - jobs has ended (the
    # cases take about the same time); `wait PID` gives each its status
    for i in "${!names[@]}"; do
        name="${names[$i]}"
        case_args "${commands[$i]}"
        if ((i >= jobs)); then
            wait "${pids[i - jobs]}"
            got[i - jobs]=$?
        fi
        MEASURE=()
        $measure && MEASURE=(/usr/bin/time -f %M -o "$WORK/results/$name.mem")
        timeout 10 "${MEASURE[@]}" "$SELFATTN" "${ARGS[@]}" </dev/null \
            >"$WORK/results/$name.out" 2>"$WORK/results/$name.err" &
        pids[i]=$!
    done
    for ((i = ${#names[@]} > jobs ? ${#names[@]} - jobs : 0; i < ${#names[@]}; i++)); do
        wait "${pids[i]}"
        got[i]=$?
    done
    for i in "${!names[@]}"; do
        name="${names[$i]}"
        case_args "${commands[$i]}"
        case_check "$name" "${commands[$i]}" "${codes[$i]}" \
                   "${messages[$i]}" "${got[$i]}"
    done
    chmod 600 "$WORK/tmp/unreadable.json"
    echo "${#names[@]} cases run${skipped[*]:+; skipped as root: ${skipped[*]}}"
    [[ ! -s "$WORK/peaks" ]] || echo "largest peak memory: $(sort -n "$WORK/peaks" | tail -n 1)"
}

@test "catalogue: the manifest has at least 60 well-formed cases" {
    local count=0 line name command code message names=" "
    local bad=()
    while IFS= read -r line || [[ -n "$line" ]]; do
        [[ -z "$line" || "$line" == \#* ]] && continue
        IFS=$'\t' read -r name command code message extra <<<"$line"
        count=$((count + 1))
        [[ "$name" =~ ^[a-z0-9_]+$ ]] || bad+=("line $count: bad name '$name'")
        [[ "$names" != *" $name "* ]] || bad+=("$name: appears twice")
        names+="$name "
        [[ -n "$command" ]] || bad+=("$name: no arguments")
        [[ "$command" != *[\$\`\\]* ]] ||
            bad+=("$name: \$, \` and \\ are not for the arguments (they are eval'd)")
        [[ "$code" =~ ^(64|65|66|70|71|73|74)$ ]] ||
            bad+=("$name: exit code '$code' is not a documented failure")
        [[ "$message" == selfattn:* ]] ||
            bad+=("$name: stderr must start with 'selfattn:'")
        [[ -z "$extra" ]] || bad+=("$name: more than four fields")
    done <"$MANIFEST"
    if ((${#bad[@]})); then
        printf '%s\n' "${bad[@]}"
        false
    fi
    (( count >= 60 )) || { echo "only $count cases"; false; }
}

@test "catalogue: every file of tests/bad/files is used, every file named exists" {
    local file used missing=() unused=()
    # the {DIR}/NAME words of the cases' arguments, one per line
    used="$(grep -v '^#' "$MANIFEST" | cut -f2 | grep -o '{DIR}/[^ ]*' | sort -u)"
    used=$'\n'"${used//\{DIR\}\//}"$'\n'
    for file in $used; do
        [[ "$file" == missing* || -e "$REPO_ROOT/$BAD_FILES/$file" ]] ||
            missing+=("$file")
    done
    for file in "$REPO_ROOT/$BAD_FILES"/*; do
        file="${file##*/}"
        [[ "$used" == *$'\n'"$file"$'\n'* ]] || unused+=("$file")
    done
    [[ ${#missing[@]} -eq 0 ]] || { echo "named but missing: ${missing[*]}"; false; }
    [[ ${#unused[@]} -eq 0 ]] || { echo "not used by any case: ${unused[*]}"; false; }
}

@test "catalogue: make_bad.py writes the committed files" {
    [[ -x /usr/bin/python3 ]] && /usr/bin/python3 -c 'import numpy' 2>/dev/null ||
        skip "needs /usr/bin/python3 with NumPy"
    run /usr/bin/python3 "$REPO_ROOT/tests/bad/make_bad.py" --out "$T/files"
    assert_success
    run diff -r "$REPO_ROOT/$BAD_FILES" "$T/files"
    assert_success
}

@test "catalogue: every case gives its exit code and exact message" {
    # one BLAS thread: OpenBLAS's start-up threads double the time of each
    # (sanitizer) process, and no case computes enough to need them
    export SELFATTN REPO_ROOT MANIFEST BAD_FILES WORK="$T/work" OPENBLAS_NUM_THREADS=1 \
        CATALOGUE_RSS_BASE_KB=16384
    run bash -c "$(declare -f case_args slurp case_check catalogue_run); catalogue_run"
    assert_success
    echo "# $output" >&3
    if [[ -s "$WORK/report" ]]; then
        echo "$(grep -c '^[a-z0-9_]*: selfattn ' "$WORK/report") cases fail:"
        cat "$WORK/report"
        false
    fi
}
