#!/usr/bin/env bats
# `selfattn batch`: one sequence per JSON line in, one compact JSON result
# per line out, in order; bad lines, --jobs, standard input and progress;
# a line's own mask and context, and --no-config.
# The line files are tests/formats/batch*.jsonl, made by
# tests/formats/make_formats.py; every test here runs in tests/formats.
# batch's usage errors and the messages of its bad lines are cases of
# tests/bad/catalogue.tsv (catalogue.bats).

load ../helpers

FORMATS="$REPO_ROOT/tests/formats"

# The helpers' setup, then into the formats fixtures.
eval "helpers_$(declare -f setup)"
setup() {
    helpers_setup || return 1
    cd "$FORMATS" || return 1
}

# The non-blank lines of batch.jsonl, by line number.
BATCH_LINES="1 2 4 6 7 8"

@test "array and object lines, blank lines skipped, line numbers and ids" {
    run --separate-stderr selfattn batch -H 2 -w weights.json batch.jsonl
    assert_success
    assert_equal "$stderr" ""
    assert_equal "${#lines[@]}" 6
    run jq -c '[.line, .id, .config.n, .tokens]' <<<"$output"
    assert_output '[1,null,3,null]
[2,"first",4,["a","b","c","d"]]
[4,7,2,null]
[6,null,5,["x","y","z","w","v"]]
[7,null,1,null]
[8,"last",6,null]'
    # no "id" key when the line has none
    run jq -c 'has("id")' <<<"$(selfattn batch -H 2 batch.jsonl)"
    assert_output 'false
true
true
false
false
true'
}

@test "each result line is what run gives for that line (numbers within float32 rounding)" {
    # batch's lines may run on other threads than run's: the same
    # document, numbers within tolerance
    selfattn batch -H 2 -w weights.json -p output,weights batch.jsonl |
        jq -c 'del(.line, .id, .config.weights)' >"$T/batch.jsonl"
    local n
    for n in $BATCH_LINES; do
        # "id" is a key of batch lines only: run refuses it
        sed -n "${n}p" batch.jsonl |
            jq -c 'if type == "object" then del(.id) else . end' >"$T/line.json"
        selfattn run -H 2 -w weights.json -p output,weights "$T/line.json" |
            jq -c 'del(.config.weights)'
    done >"$T/run.jsonl"
    assert_equal "$(wc -l <"$T/run.jsonl")" 6
    run jsoncmp --lines "$T/batch.jsonl" "$T/run.jsonl"
    assert_success
}

@test "a bad line gives {line, error} in its place, the others still run, exit 65" {
    run --separate-stderr selfattn batch -H 2 -w weights.json batch_bad.jsonl
    assert_equal "$status" 65
    assert_equal "$stderr" 'selfattn: batch_bad.jsonl:2: embeddings, row 2: 2 values, expected 8 like row 1
selfattn: batch_bad.jsonl:4:27: invalid JSON: unexpected end of input
selfattn: batch_bad.jsonl:5: weights.json: the input has 4 columns but Wq is 8 x 8, which expects 8
selfattn: batch_bad.jsonl:6: expected an "embeddings" key in the object'
    assert_equal "${#lines[@]}" 7
    run jq -c 'if .error then . else [.line, .id, .config.n] end' <<<"$output"
    assert_output '[1,null,2]
{"line":2,"error":"embeddings, row 2: 2 values, expected 8 like row 1"}
[3,"ok",3]
{"line":4,"error":"invalid JSON: unexpected end of input"}
{"line":5,"error":"the input has 4 columns but Wq is 8 x 8, which expects 8"}
{"line":6,"id":"no-emb","error":"expected an \"embeddings\" key in the object"}
[7,null,1]'
}

@test "--jobs 4 gives the output of --jobs 1 (numbers within float32 rounding) and the same messages" {
    # --jobs 4 computes each line on one thread, --jobs 1 on all of -t
    selfattn batch -H 2 -w weights.json -p output,weights --jobs 1 batch_many.jsonl >"$T/one.jsonl"
    selfattn batch -H 2 -w weights.json -p output,weights --jobs 4 batch_many.jsonl >"$T/four.jsonl"
    assert_equal "$(wc -l <"$T/one.jsonl")" 50
    run jsoncmp --lines "$T/four.jsonl" "$T/one.jsonl"
    assert_success
    run jq -s -c 'map(.line) == [range(1; 51)]' "$T/four.jsonl"
    assert_output true
    # bad lines too: the same lines in the same order, stderr in line order
    run --separate-stderr selfattn batch -H 2 -w weights.json --jobs 1 batch_bad.jsonl
    local out1="$output" err1="$stderr"
    run --separate-stderr selfattn batch -H 2 -w weights.json --jobs 4 batch_bad.jsonl
    assert_equal "$status" 65
    assert_equal "$output" "$out1"
    assert_equal "$stderr" "$err1"
}

@test "lines from standard input; messages name <stdin>:N" {
    selfattn batch -H 2 batch.jsonl >"$T/file.jsonl"
    selfattn batch -H 2 - <batch.jsonl >"$T/stdin.jsonl"
    assert_same_file "$T/stdin.jsonl" "$T/file.jsonl"
    run --separate-stderr selfattn batch -H 2 -w weights.json - <batch_bad.jsonl
    assert_equal "$status" 65
    assert_line --index 1 '{"line":2,"error":"embeddings, row 2: 2 values, expected 8 like row 1"}'
    assert_equal "$(head -n 1 <<<"$stderr")" "selfattn: <stdin>:2: embeddings, row 2: 2 values, expected 8 like row 1"
}

@test "-p weights --average-heads: H x n x n weights and an n x n average per line, as run gives them" {
    run selfattn batch -H 2 -w weights.json -p weights --average-heads batch.jsonl
    assert_success
    run jq -c '[.config.n, (.weights | length), (.weights[0] | length), (.average_weights | length),
                (.average_weights[0] | length), has("output"), .config.average_heads]' <<<"$output"
    assert_output '[3,2,3,3,3,false,true]
[4,2,4,4,4,false,true]
[2,2,2,2,2,false,true]
[5,2,5,5,5,false,true]
[1,2,1,1,1,false,true]
[6,2,6,6,6,false,true]'
    sed -n 6p batch.jsonl >"$T/line.json"
    selfattn run -H 2 -w weights.json -p weights --average-heads "$T/line.json" |
        jq -c '[.weights, .average_weights]' >"$T/run.json"
    selfattn batch -H 2 -w weights.json -p weights --average-heads batch.jsonl |
        sed -n 4p | jq -c '[.weights, .average_weights]' >"$T/got.json"
    assert_same_file "$T/got.json" "$T/run.json"
}

@test "--average-heads alone: only the average per line; --head 2: head 2 alone" {
    run selfattn batch -H 2 -w weights.json --average-heads batch.jsonl
    assert_success
    run jq -c '[has("output"), has("weights"), (.average_weights | length) == .config.n]' <<<"$output"
    assert_equal "$(sort -u <<<"$output")" '[false,false,true]'
    run selfattn batch -H 2 -w weights.json --head 2 -p weights batch.jsonl
    assert_success
    run jq -c '[.config.head, (.weights | length)]' <<<"$output"
    assert_equal "$(sort -u <<<"$output")" '[2,1]'
}

@test "a GPT-2 checkpoint layer per line" {
    jq -c . input.json >"$T/one.jsonl"
    selfattn batch -H 2 -w gpt2.safetensors --layer 2 --causal "$T/one.jsonl" >"$T/got.json"
    run jsoncmp "$T/got.json" gpt2.layer2.causal.expected.json output
    assert_success
}

@test "no progress output when standard error is not a terminal" {
    run --separate-stderr selfattn batch -H 2 batch_many.jsonl
    assert_success
    assert_equal "$stderr" ""
    assert_equal "${#lines[@]}" 50
}

@test "progress on a terminal, none with --quiet; the results are the same" {
    command -v script >/dev/null || skip "no script(1) to give a terminal"
    run script -qec "'$SELFATTN' batch -H 2 batch.jsonl >'$T/tty.jsonl'" /dev/null </dev/null
    assert_success
    assert_output --partial "selfattn: 6 lines, "
    run script -qec "'$SELFATTN' batch --quiet -H 2 batch.jsonl >'$T/quiet.jsonl'" /dev/null </dev/null
    assert_success
    assert_output ""
    selfattn batch -H 2 batch.jsonl >"$T/plain.jsonl"
    assert_same_file "$T/tty.jsonl" "$T/plain.jsonl"
    assert_same_file "$T/quiet.jsonl" "$T/plain.jsonl"
}

@test "--quiet is accepted when standard error is not a terminal" {
    run --separate-stderr selfattn batch --quiet -H 2 batch.jsonl
    assert_success
    assert_equal "$stderr" ""
    assert_equal "${#lines[@]}" 6
}

@test "numeric ids are echoed as given, even past double precision" {
    printf '%s\n' \
        '{"id": 12345678901234567890, "embeddings": [[1, 2]]}' \
        '{"id": 9007199254740993, "embeddings": [[1, 2]]}' \
        '{"id": "007", "embeddings": [[1, 2]]}' \
        '{"id": 42, "embeddings": [[1, 2]]}' \
        '{"id": 0617283.8901234567890, "embeddings": [[1, 2]]}' >"$T/ids.jsonl"
    run --separate-stderr selfattn batch "$T/ids.jsonl"
    assert_equal "$status" 65
    [[ "${lines[0]}" == '{"line":1,"id":12345678901234567890,"config":'* ]]
    [[ "${lines[1]}" == '{"line":2,"id":9007199254740993,"config":'* ]]
    [[ "${lines[2]}" == '{"line":3,"id":"007","config":'* ]]
    [[ "${lines[3]}" == '{"line":4,"id":42,"config":'* ]]
    # a leading zero is not JSON: the line is refused, with the place
    assert_equal "${lines[4]}" '{"line":5,"error":"invalid JSON number near '"'"'0617283.8901234567890, '"'"'"}'
    assert_equal "$stderr" "selfattn: $T/ids.jsonl:5:8: invalid JSON number near '0617283.8901234567890, '"
}

@test "CRLF line ends and a last line without a newline" {
    printf '[[1, 2]]\r\n\r\n[[3, 4], [5, 6]]' >"$T/crlf.jsonl"
    run --separate-stderr selfattn batch "$T/crlf.jsonl"
    assert_success
    run jq -c '[.line, .config.n]' <<<"$output"
    assert_output '[1,1]
[3,2]'
}

@test "an empty file gives no lines and success" {
    : >"$T/empty.jsonl"
    run --separate-stderr selfattn batch "$T/empty.jsonl"
    assert_success
    assert_output ""
    assert_equal "$stderr" ""
}

@test "-o FILE gets the lines, standard output nothing" {
    run selfattn batch -H 2 -o "$T/out.jsonl" batch.jsonl
    assert_success
    assert_output ""
    assert_equal "$(wc -l <"$T/out.jsonl")" 6
    assert_no_temp_files "$T"
}

@test "--jobs without -w: generated weights take the first line's width, every run" {
    { printf '[[1,2,3,4]]\n'; for i in $(seq 12); do printf '[[1,2,3,4,5,6]]\n[[1,2,3,4],[4,3,2,1]]\n'; done; } > "$T/mixed.jsonl"
    for attempt in 1 2 3 4 5; do
        run --separate-stderr selfattn batch --jobs 4 "$T/mixed.jsonl"
        assert_equal "$status" 65
        assert_equal "$(jq -c 'select(.error) | .line' <<<"$output" | tr '\n' ' ')" \
            "2 4 6 8 10 12 14 16 18 20 22 24 "
    done
}

# ---- a line's own mask and context, --no-config ----------------------------

# The 3 x 4 rows of the lines below, and a causal 0/1 mask for them.
ROWS='[[0.5, -1, 0.25, 2], [1, 0, -0.5, 0.75], [-1.5, 0.5, 1, 0]]'
KEYS='[[1, 2, 0, -1], [0.5, 0.5, 1, 1]]'

@test "a line's own mask: the weights of run --mask with that mask, and combined with --window" {
    printf '{"id": "m", "embeddings": %s, "mask": [[1, 0, 1], [true, true, false], [0, 1, 1]]}\n' "$ROWS" >"$T/lines.jsonl"
    printf '[[1, 0, 1], [1, 1, 0], [0, 1, 1]]\n' >"$T/mask.json"
    printf '%s\n' "$ROWS" >"$T/rows.json"
    selfattn batch -H 2 -p output,weights "$T/lines.jsonl" >"$T/batch.json"
    assert_equal "$(jq -c '[.line, .id, .config.mask, .weights[0][0][1], .weights[1][2][0]]' "$T/batch.json")" '[1,"m","line",0,0]'
    selfattn run -H 2 -p output,weights --mask "$T/mask.json" "$T/rows.json" >"$T/run.json"
    run jsoncmp "$T/batch.json" "$T/run.json" output weights
    assert_success
    # with --window 1 too: a key is seen only if both allow it
    selfattn batch -H 2 -p weights --window 1 "$T/lines.jsonl" >"$T/batch.json"
    assert_equal "$(jq -c '[.weights[0][0][2], .config.window, .config.mask]' "$T/batch.json")" '[0,1,"line"]'
    selfattn run -H 2 -p weights --window 1 --mask "$T/mask.json" "$T/rows.json" >"$T/run.json"
    run jsoncmp "$T/batch.json" "$T/run.json" weights
    assert_success
}

@test "a line's mask and --mask FILE: both apply, and the config names both" {
    printf '{"embeddings": %s, "mask": [[1, 1, 0], [1, 1, 1], [1, 1, 1]]}\n' "$ROWS" >"$T/lines.jsonl"
    printf '[[1, 1, 1], [1, 0, 1], [1, 1, 1]]\n' >"$T/file_mask.json"
    printf '[[1, 1, 0], [1, 0, 1], [1, 1, 1]]\n' >"$T/both.json"
    printf '%s\n' "$ROWS" >"$T/rows.json"
    selfattn batch -p weights --mask "$T/file_mask.json" "$T/lines.jsonl" >"$T/batch.json"
    assert_equal "$(jq -c '.config.mask' "$T/batch.json")" "[\"$T/file_mask.json\",\"line\"]"
    selfattn run -p weights --mask "$T/both.json" "$T/rows.json" >"$T/run.json"
    run jsoncmp "$T/batch.json" "$T/run.json" weights
    assert_success
}

@test "a line's own context: the result of run --context, its labels as key_tokens" {
    printf '{"id": 1, "embeddings": %s, "context": %s, "context_tokens": ["k1", "k2"]}\n' "$ROWS" "$KEYS" >"$T/lines.jsonl"
    printf '[[1, 0, 1, 0], [0, 1, 0, 1]]\n' >>"$T/lines.jsonl"  # self-attention again
    printf '{"tokens": ["k1", "k2"], "embeddings": %s}\n' "$KEYS" >"$T/keys.json"
    printf '%s\n' "$ROWS" >"$T/rows.json"
    run --separate-stderr selfattn batch -H 2 -p output,weights "$T/lines.jsonl"
    assert_success
    sed -n 1p <<<"$output" >"$T/batch.json"
    assert_equal "$(jq -c '[.config.context, .config.m, .key_tokens]' "$T/batch.json")" '["line",2,["k1","k2"]]'
    assert_equal "$(sed -n 2p <<<"$output" | jq -c '[.config.context, .config.m, has("key_tokens")]')" '[null,2,false]'
    selfattn run -H 2 -p output,weights --context "$T/keys.json" "$T/rows.json" >"$T/run.json"
    run jsoncmp "$T/batch.json" "$T/run.json" output weights
    assert_success
    # the line's context takes the place of --context's
    printf '[[9, 9, 9, 9], [8, 8, 8, 8], [7, 7, 7, 7]]\n' >"$T/other.json"
    selfattn batch -H 2 -p output,weights --context "$T/other.json" "$T/lines.jsonl" | sed -n 1p >"$T/batch.json"
    assert_equal "$(jq -c '.config.context' "$T/batch.json")" '"line"'
    run jsoncmp "$T/batch.json" "$T/run.json" output weights
    assert_success
}

@test "every error line of a line that is JSON carries its id: keys, shapes, a context with --causal" {
    {
        printf '{"id": "a", "embeddings": %s, "mask": [[1, 1, 1]]}\n' "$ROWS"
        printf '{"id": "b", "embeddings": %s, "token": ["x", "y", "z"]}\n' "$ROWS"
        printf '{"id": "c", "embeddings": %s, "embeddings": %s}\n' "$ROWS" "$ROWS"
        printf '{"id": "d", "embeddings": %s, "context": %s}\n' "$ROWS" "$KEYS"
        printf '{"id": "e", "embeddings": %s, "mask": [[1, 0, 0], [1, 1, 0], [1, 1, 1]]}\n' "$ROWS"
        printf '{"id": "f", "embeddings": [[1, 2], [3]]}\n'
        printf '{"id": "g", "embeddings": %s,}\n' "$ROWS"
    } >"$T/lines.jsonl"
    run --separate-stderr selfattn batch --causal "$T/lines.jsonl"
    assert_equal "$status" 65
    run jq -c '[.line, .id, has("error")]' <<<"$output"
    assert_output '[1,"a",true]
[2,"b",true]
[3,"c",true]
[4,"d",true]
[5,"e",false]
[6,"f",true]
[7,null,true]'
}

@test "--no-config leaves the config out of each batch line and of run's JSON" {
    run --separate-stderr selfattn batch --no-config -p weights batch.jsonl
    assert_success
    run jq -c 'keys_unsorted' <<<"$output"
    assert_line --index 0 '["line","weights"]'
    assert_line --index 1 '["line","id","tokens","weights"]'
    selfattn batch -p weights batch.jsonl | jq -c 'del(.config)' >"$T/with.jsonl"
    selfattn batch --no-config -p weights batch.jsonl >"$T/without.jsonl"
    assert_same_file "$T/without.jsonl" "$T/with.jsonl"
    run --separate-stderr selfattn run --no-config -p output input.json
    assert_success
    assert_equal "$(jq -c 'keys_unsorted' <<<"$output")" '["output"]'
    printf '%s\n' "$output" >"$T/without.json"
    selfattn run -p output input.json >"$T/with.json"
    run jsoncmp "$T/without.json" "$T/with.json" output
    assert_success
}
