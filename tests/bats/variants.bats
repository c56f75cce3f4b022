#!/usr/bin/env bats
# The attention variants of `selfattn run`: cross-attention, GQA, positions,
# RoPE, ALiBi, windows, softcap, score bias and NaN rows, against the
# fixtures of tests/reference/variants (NumPy float64 from the papers, torch
# where it has the feature), and their errors.

load ../helpers

VARIANTS="$REPO_ROOT/tests/reference/variants"

# variant_args NAME: the command-line options NAME.case.json describes.
variant_args() {
    local b="$VARIANTS/$1"
    jq -r --arg b "$b" '
        ["-H", (.heads | tostring)]
        + (if .kv_heads then ["--kv-heads", (.kv_heads | tostring)] else [] end)
        + (if .causal then ["--causal"] else [] end)
        + (if .scale then ["--scale", (.scale | tostring)] else [] end)
        + (if .context then ["--context", "\($b).context.json"] else [] end)
        + (if .mask then ["--mask", "\($b).mask.json"] else [] end)
        + (if .bias then ["--bias", "\($b).bias.json"] else [] end)
        + (if .pos then ["--pos", .pos] else [] end)
        + (if .rope then ["--rope"] else [] end)
        + (if .rope_base then ["--rope-base", (.rope_base | tostring)] else [] end)
        + (if .rope_style then ["--rope-style", .rope_style] else [] end)
        + (if .alibi then ["--alibi"] else [] end)
        + (if .window != null then ["--window", (.window | tostring)] else [] end)
        + (if .softcap then ["--softcap", (.softcap | tostring)] else [] end)
        + ["--masked-rows", (.masked_rows // "zero")]
        | .[]' "$b.case.json"
}

@test "every variant fixture agrees with its reference within 1e-5 relative" {
    local failed="" count=0 name args
    for spec in "$VARIANTS"/*.case.json; do
        name="$(basename "$spec" .case.json)"
        mapfile -t args < <(variant_args "$name")
        if ! selfattn run "${args[@]}" -p output,weights \
                -w "$VARIANTS/$name.weights.json" "$VARIANTS/$name.input.json" \
                >"$T/$name.json" 2>"$T/$name.err" ||
           ! jsoncmp "$T/$name.json" "$VARIANTS/$name.expected.json" output weights \
                >"$T/$name.cmp" 2>&1; then
            failed="$failed $name"
        fi
        count=$((count + 1))
    done
    [ "$count" -ge 26 ]
    assert_equal "$failed" ""
}

@test "config records every variant option in force" {
    run selfattn run -H 4 --kv-heads 2 --rope --rope-base 500 --rope-style neox \
        --alibi --window 2 --softcap 30 --pos sinusoidal --masked-rows nan \
        --bias "$VARIANTS/bias_shared.bias.json" "$VARIANTS/bias_shared.input.json"
    assert_success
    run jq -c '.config | [.kv_heads, .rope, .alibi, .window, .softcap, .pos,
        .masked_rows, (.bias | endswith("bias_shared.bias.json"))]' <<<"$output"
    assert_output '[2,{"base":500,"style":"neox"},true,2,30,"sinusoidal","nan",true]'
}

@test "defaults: no variant in config" {
    run selfattn run "$REPO_ROOT/data/sentence.json"
    assert_success
    run jq -c '.config | [.m, .kv_heads, .rope, .alibi, .window, .softcap, .pos,
        .context, .bias, .masked_rows]' <<<"$output"
    assert_output '[6,1,null,false,null,null,null,null,null,"zero"]'
}

@test "--context: weights are n x m, key tokens labelled, context named" {
    run selfattn run --context "$REPO_ROOT/data/classic.json" -p weights "$REPO_ROOT/data/sentence.json"
    assert_success
    run jq -c '[.config.n, .config.m, .config.d_context, (.weights[0] | length),
        (.weights[0][0] | length), .key_tokens]' <<<"$output"
    assert_output '[6,3,4,6,3,["x1","x2","x3"]]'
}

@test "--context in a table labels the columns with the context's tokens" {
    run selfattn run --context "$REPO_ROOT/data/classic.json" -p weights -f table \
        "$REPO_ROOT/data/sentence.json"
    assert_success
    assert_line --index 0 --partial "m = 3 (context $REPO_ROOT/data/classic.json)"
    assert_line --regexp '^ +x1 +x2 +x3$'
}

@test "--kv-heads 1: every query head uses the same K and V (multi-query)" {
    run selfattn run -H 4 --kv-heads 1 -p steps "$REPO_ROOT/data/sentence.json"
    assert_success
    run jq -c '[.steps.K[0] == .steps.K[3], .steps.V[1] == .steps.V[2],
        .steps.Q[0] == .steps.Q[1]]' <<<"$output"
    assert_output '[true,true,false]'
}

@test "--window with --causal: only the last W+1 keys, steps show null scores" {
    run selfattn run --causal --window 1 -p steps "$REPO_ROOT/data/sentence.json"
    assert_success
    run jq -c '.steps.scores[0][3] | map(. == null)' <<<"$output"
    assert_output '[true,true,false,false,true,true]'
}

@test "--masked-rows nan: an empty row is null (NaN) in JSON and nan in CSV" {
    args=(--mask "$VARIANTS/masked_rows_nan.mask.json" --masked-rows nan -H 2
          -w "$VARIANTS/masked_rows_nan.weights.json" "$VARIANTS/masked_rows_nan.input.json")
    run --separate-stderr selfattn run -p weights,output "${args[@]}"
    assert_success
    assert_equal "$stderr" "selfattn: warning: query row 3 (counting from 0) sees no key after masking; its weights and head outputs are NaN"
    run jq -c '[.weights[0][3][0], .output[3][0], .weights[0][2][0] != null]' <<<"$output"
    assert_output '[null,null,true]'
    run selfattn run -p weights -f csv "${args[@]}"
    assert_line 'nan,nan,nan,nan,nan,nan'
}

@test "--bias per head (H x n x m JSON) differs from a shared bias" {
    run selfattn run -H 3 -p weights --bias "$VARIANTS/bias_per_head.bias.json" \
        -w "$VARIANTS/bias_per_head.weights.json" "$VARIANTS/bias_per_head.input.json"
    assert_success
    per_head="$output"
    run selfattn run -H 3 -p weights -w "$VARIANTS/bias_per_head.weights.json" \
        "$VARIANTS/bias_per_head.input.json"
    assert [ "$output" != "$per_head" ]
}

@test "--bias from CSV equals the same bias from JSON" {
    jq -r '.[] | map(tostring) | join(",")' "$VARIANTS/bias_shared.bias.json" >"$T/bias.csv"
    from_csv="$(selfattn run -H 2 -p output,weights --bias "$T/bias.csv" \
        -w "$VARIANTS/bias_shared.weights.json" "$VARIANTS/bias_shared.input.json" |
        jq -c '[.output, .weights]')"
    from_json="$(selfattn run -H 2 -p output,weights --bias "$VARIANTS/bias_shared.bias.json" \
        -w "$VARIANTS/bias_shared.weights.json" "$VARIANTS/bias_shared.input.json" |
        jq -c '[.output, .weights]')"
    assert_equal "$from_csv" "$from_json"
}

@test "init --kv-heads --d-context writes weights that run --seed reproduces" {
    run selfattn init --d-model 8 --d-context 4 -H 4 --kv-heads 2 --seed 9 -o "$T/w.json"
    assert_success
    run jq -c '[(.Wq | length), (.Wq[0] | length), (.Wk | length), (.Wk[0] | length)]' "$T/w.json"
    assert_output '[8,8,4,4]'
    a="$(selfattn run -H 4 --kv-heads 2 --context "$REPO_ROOT/data/classic.json" -w "$T/w.json" "$REPO_ROOT/data/sentence.json" | jq -c .output)"
    b="$(selfattn run -H 4 --kv-heads 2 --context "$REPO_ROOT/data/classic.json" --seed 9 "$REPO_ROOT/data/sentence.json" | jq -c .output)"
    assert_equal "$a" "$b"
}

@test "error: --kv-heads that does not divide --heads" {
    run --separate-stderr selfattn run -H 4 --kv-heads 3 plain.json
    assert_usage_error "--kv-heads 3 does not divide --heads 4"
}

@test "error: --causal with --context" {
    run --separate-stderr selfattn run --causal --context plain.json plain.json
    assert_usage_error "--causal is for self-attention: queries and context keys have no common order"
}

@test "error: negative --window" {
    run --separate-stderr selfattn run --window -1 plain.json
    assert_usage_error "--window: '-1' is not an integer from 0 to 9223372036854775807"
}

@test "error: non-positive --softcap" {
    run --separate-stderr selfattn run --softcap 0 plain.json
    assert_usage_error "--softcap: '0' must be positive"
    run --separate-stderr selfattn run --softcap -2 plain.json
    assert_usage_error "--softcap: '-2' must be positive"
}

@test "error: unknown values of --pos, --rope-style, --masked-rows" {
    run --separate-stderr selfattn run --pos learned plain.json
    assert_usage_error "--pos: 'learned' is not one of sinusoidal"
    run --separate-stderr selfattn run --rope-style llama plain.json
    assert_usage_error "--rope-style: 'llama' is not one of roformer, neox"
    run --separate-stderr selfattn run --masked-rows inf plain.json
    assert_usage_error "--masked-rows: 'inf' is not one of zero, nan"
}

@test "error: --rope-base not above 1" {
    run --separate-stderr selfattn run --rope --rope-base 1 plain.json
    assert_usage_error "--rope-base: '1' must be greater than 1"
}

@test "error: --rope with an odd head width" {
    run --separate-stderr selfattn run --rope "$REPO_ROOT/data/classic.json" --d-head 3
    assert_usage_error "--rope needs an even head width, not 3"
}

@test "error: a bias of the wrong shape names both shapes" {
    run --separate-stderr selfattn run --bias mask_2x2.json "$REPO_ROOT/data/classic.json"
    assert_error 65 "selfattn: mask_2x2.json: bias is 2 x 2 but must be 3 x 3 (queries x keys) or 1 x 3 x 3 (heads x queries x keys)"
}

@test "error: a per-head bias with the wrong number of heads" {
    run --separate-stderr selfattn run -H 2 --bias "$VARIANTS/bias_per_head.bias.json" \
        "$VARIANTS/bias_shared.input.json"
    assert_error 65 "selfattn: $VARIANTS/bias_per_head.bias.json: bias has 3 matrices but there are 2 heads"
}

@test "error: a mask of the wrong shape for cross-attention" {
    run --separate-stderr selfattn run --context "$REPO_ROOT/data/classic.json" \
        --mask "$VARIANTS/masked_rows_nan.mask.json" "$REPO_ROOT/data/sentence.json"
    assert_error 65 "selfattn: $VARIANTS/masked_rows_nan.mask.json: mask is 6 x 6 but must be 6 x 3 (queries x keys)"
}

@test "error: context width that disagrees with Wk names both shapes" {
    run --separate-stderr selfattn run -H 2 --context "$REPO_ROOT/data/classic.json" \
        -w "$VARIANTS/cross.weights.json" "$VARIANTS/cross.input.json"
    assert_error 65 "selfattn: $VARIANTS/cross.weights.json: the context has 4 columns but Wk is 6 x 8, which expects 6"
}

@test "error: Wk columns that do not fit --kv-heads" {
    run --separate-stderr selfattn run -H 4 --kv-heads 1 -w "$VARIANTS/gqa.weights.json" \
        "$VARIANTS/gqa.input.json"
    assert_error 65 "selfattn: $VARIANTS/gqa.weights.json: Wk has 6 columns but 1 key/value head(s) of width 3 need 3"
}

@test "--rope-base and --rope-style imply --rope" {
    run selfattn run --rope-style neox "$REPO_ROOT/data/sentence.json"
    assert_success
    assert_equal "$(jq -c .config.rope <<<"$output")" '{"base":10000,"style":"neox"}'
    a="$(selfattn run --rope-base 500 "$REPO_ROOT/data/sentence.json" | jq -c .output)"
    b="$(selfattn run --rope --rope-base 500 "$REPO_ROOT/data/sentence.json" | jq -c .output)"
    assert_equal "$a" "$b"
}

@test "error: standard input named twice" {
    run --separate-stderr selfattn run --mask - - < plain.json
    assert_usage_error "only one file can be - (standard input)"
}
