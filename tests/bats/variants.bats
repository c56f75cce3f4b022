#!/usr/bin/env bats
# The attention variants of `selfattn run`: cross-attention, GQA, positions,
# RoPE, ALiBi, windows, softcap, score bias and NaN rows, against the
# fixtures of tests/reference/variants (NumPy float64 from the papers, torch
# where it has the feature).  Their errors (option values, shapes that do
# not fit) are cases of tests/bad/catalogue.tsv (catalogue.bats).

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

@test "--rope-base and --rope-style imply --rope" {
    run selfattn run --rope-style neox "$REPO_ROOT/data/sentence.json"
    assert_success
    assert_equal "$(jq -c .config.rope <<<"$output")" '{"base":10000,"style":"neox"}'
    a="$(selfattn run --rope-base 500 "$REPO_ROOT/data/sentence.json" | jq -c .output)"
    b="$(selfattn run --rope --rope-base 500 "$REPO_ROOT/data/sentence.json" | jq -c .output)"
    assert_equal "$a" "$b"
}
