#!/usr/bin/env bats
# run.bats — what `selfattn run` computes and reports: the JSON report and
# --print, --causal, --scale, --mask, queries with no visible key,
# --average-heads, --head, the settings a weights file's config gives,
# generated weights (--seed, --d-head, --out-proj, and `init`, which writes
# them), the weights conventions, --stats, --threads and SELFATTN_KERNELS.  Input formats are inputs.bats's, output formats and
# -o outputs.bats's; every malformed input and usage error is a case of
# tests/bad/catalogue.tsv (catalogue.bats).
#
# CLASSIC (helpers.bash) is the "Illustrated: Self-Attention" example.

load ../helpers

# ---- the JSON report ---------------------------------------------------

@test "default output is JSON with config, tokens and output, in that order" {
    run --separate-stderr selfattn run classic.json
    assert_success
    assert_equal "$stderr" ""
    assert_equal "$(jq -c 'keys_unsorted' <<< "$output")" '["config","tokens","output"]'
    assert_equal "$(jq -c '.tokens' <<< "$output")" '["x1","x2","x3"]'
    assert_equal "$(jq -c '[.output | length, (.[0] | length)]' <<< "$output")" '[3,4]'
}

@test "input without tokens: no tokens key" {
    run --separate-stderr selfattn run plain.json
    assert_success
    assert_equal "$(jq -c 'keys_unsorted' <<< "$output")" '["config","output"]'
}

@test "config describes the run" {
    run --separate-stderr selfattn run -H 2 --causal --mask mask.json --seed 5 classic.json
    assert_success
    assert_equal "$(jq -c '.config | {n, d_model, heads, d_head, d_out, scale, causal, mask, weights, convention, seed, out_proj, biases, average_heads}' <<< "$output")" \
        '{"n":3,"d_model":4,"heads":2,"d_head":2,"d_out":4,"scale":0.70710677,"causal":true,"mask":"mask.json","weights":null,"convention":"seed","seed":5,"out_proj":false,"biases":false,"average_heads":false}'
    run --separate-stderr selfattn run -w classic.weights.json classic.json
    assert_success
    assert_equal "$(jq -c '.config | [.weights, .convention, .seed, .d_head, .scale]' <<< "$output")" \
        '["classic.weights.json","math",null,3,0.57735026]'
}

@test "the illustrated example: output as published" {
    run --separate-stderr selfattn run -p output,weights "${CLASSIC[@]}"
    assert_success
    jq '{output: [[1.9366, 6.6831, 1.5951], [1.9999, 7.9640, 0.0540], [1.9997, 7.7599, 0.3584]],
         weights: [[[0.0634, 0.4683, 0.4683], [0.0, 0.9820, 0.0180], [0.0003, 0.8805, 0.1192]]]}' \
        -n > "$T/want.json"
    echo "$output" > "$T/got.json"
    run jsoncmp --atol 1e-4 "$T/got.json" "$T/want.json"
    assert_success
}

@test "-p weights: weights only, one n x n matrix per head" {
    run --separate-stderr selfattn run -H 2 -p weights classic.json
    assert_success
    assert_equal "$(jq -c 'keys_unsorted' <<< "$output")" '["config","tokens","weights"]'
    assert_equal "$(jq -c '[.weights | length, (.[0] | length), (.[0][0] | length)]' <<< "$output")" '[2,3,3]'
    # each row is a distribution
    assert_equal "$(jq '[.weights[][] | add | . - 1 | fabs < 1e-6] | all' <<< "$output")" true
}

@test "-p lists in any order print keys in the order output, weights, steps" {
    run --separate-stderr selfattn run -p steps,weights,output plain.json
    assert_success
    assert_equal "$(jq -c 'keys_unsorted' <<< "$output")" '["config","output","weights","steps"]'
}

@test "-p steps: Q, K, V, the raw scores, scores, exp, rowsum, softmax and the heads' outputs per head, concat" {
    run --separate-stderr selfattn run -p steps "${CLASSIC[@]}"
    assert_success
    assert_equal "$(jq -c '.steps | keys_unsorted' <<< "$output")" \
        '["Q","K","V","raw_scores","scores","exp","rowsum","softmax","head_output","concat"]'
    assert_equal "$(jq -c '.steps.raw_scores' <<< "$output")" '[[[2,4,4],[4,16,12],[4,12,10]]]'
    assert_equal "$(jq -c '.steps.exp[0][0] | map(. * 10000 | round)' <<< "$output")" '[1353,10000,10000]'
    assert_equal "$(jq -c '.steps.rowsum | map(map(. * 10000 | round))' <<< "$output")" '[[21353,10183,11357]]'
    assert_equal "$(jq -c '.steps.head_output[0] == .steps.concat' <<< "$output")" true
    assert_equal "$(jq -c '.steps.Q' <<< "$output")" '[[[1,0,2],[2,2,2],[2,1,3]]]'
    assert_equal "$(jq -c '.steps.K' <<< "$output")" '[[[0,1,1],[4,4,0],[2,3,1]]]'
    assert_equal "$(jq -c '.steps.V' <<< "$output")" '[[[1,2,3],[2,8,0],[2,6,3]]]'
    assert_equal "$(jq -c '.steps.scores' <<< "$output")" '[[[2,4,4],[4,16,12],[4,12,10]]]'
}

@test "-p steps with heads: Q, K, V are n x d_head per head" {
    run --separate-stderr selfattn run -H 2 -p steps plain.json
    assert_success
    assert_equal "$(jq -c '[.steps | del(.rowsum, .concat)[] | [length, (.[0] | length), (.[0][0] | length)]]' <<< "$output")" \
        '[[2,3,2],[2,3,2],[2,3,2],[2,3,3],[2,3,3],[2,3,3],[2,3,3],[2,3,2]]'
    # rowsum is H x n, concat n x H*d_head
    assert_equal "$(jq -c '[.steps.rowsum, .steps.concat] | map([length, (.[0] | length)])' <<< "$output")" '[[2,3],[3,4]]'
}

@test "-p steps: softmax equals the printed weights" {
    run --separate-stderr selfattn run -H 2 --causal -p weights,steps sentence.csv
    assert_success
    assert_equal "$(jq '.steps.softmax == .weights' <<< "$output")" true
}

@test "-p steps with --causal: masked scores are null, the others numbers" {
    run --separate-stderr selfattn run --causal -p steps "${CLASSIC[@]}"
    assert_success
    assert_equal "$(jq -c '.steps.scores' <<< "$output")" '[[[2,null,null],[4,16,null],[4,12,10]]]'
}

@test "--causal: no weight above the diagonal, the first token sees itself only" {
    run --separate-stderr selfattn run -H 2 --causal -p weights sentence.csv
    assert_success
    assert_equal "$(jq '.config.causal' <<< "$output")" true
    assert_equal "$(jq '[.weights[] | to_entries[] | .key as $i | .value | to_entries[] | select(.key > $i) | .value == 0] | all' <<< "$output")" true
    assert_equal "$(jq -c '[.weights[][0]]' <<< "$output")" '[[1,0,0,0,0,0],[1,0,0,0,0,0]]'
}

@test "--scale 1: scores are Q K^T; the default scale is 1/sqrt(d_head)" {
    run --separate-stderr selfattn run -p steps "${CLASSIC[@]}"
    assert_success
    assert_equal "$(jq -c '[.config.scale, .steps.scores]' <<< "$output")" '[1,[[[2,4,4],[4,16,12],[4,12,10]]]]'
    run --separate-stderr selfattn run -p steps --scale 0.5 -w classic.weights.json classic.json
    assert_success
    assert_equal "$(jq -c '[.config.scale, .steps.scores]' <<< "$output")" '[0.5,[[[1,2,2],[2,8,6],[2,6,5]]]]'
    run --separate-stderr selfattn run -w classic.weights.json classic.json
    assert_equal "$(jq '.config.scale' <<< "$output")" 0.57735026
}

@test "--mask: a JSON mask hides the keys marked 0" {
    run --separate-stderr selfattn run -H 2 -p weights --mask mask.json classic.json
    assert_success
    assert_equal "$(jq -c '.config.mask' <<< "$output")" '"mask.json"'
    assert_equal "$(jq -c '[.weights[] | [.[0][1], .[1][2], .[2][0]]]' <<< "$output")" '[[0,0,0],[0,0,0]]'
    assert_equal "$(jq '[.weights[][][]] | map(. > 0) | map(select(.)) | length' <<< "$output")" 12
}

@test "--mask: CSV and JSON booleans give the same result as JSON 0/1" {
    selfattn run -H 2 -p output,weights --mask mask.json classic.json | jq 'del(.config.mask)' > "$T/json.json"
    selfattn run -H 2 -p output,weights --mask mask.csv classic.json | jq 'del(.config.mask)' > "$T/csv.json"
    selfattn run -H 2 -p output,weights --mask mask_bool.json classic.json | jq 'del(.config.mask)' > "$T/bool.json"
    assert_same_file "$T/json.json" "$T/csv.json"
    assert_same_file "$T/json.json" "$T/bool.json"
}

@test "--mask combined with --causal: both apply" {
    run --separate-stderr selfattn run --causal --mask mask.json -p weights "${CLASSIC[@]}"
    assert_success
    # row 0 sees only key 0; row 1 keys 0, 1; row 2 key 1, 2 minus the mask's 0
    assert_equal "$(jq -c '[.weights[0][] | map(. > 0)]' <<< "$output")" \
        '[[true,false,false],[true,true,false],[false,true,true]]'
}

@test "a query with no visible key: zero weights, zero output row, one warning naming it" {
    run --separate-stderr selfattn run -p output,weights --mask mask_empty_row.json "${CLASSIC[@]}"
    assert_success
    assert_equal "$stderr" "selfattn: warning: query row 1 (counting from 0) sees no key after masking; its weights and head outputs are zero"
    refute_output --partial nan
    assert_equal "$(jq -c '[.weights[0][1], .output[1]]' <<< "$output")" '[[0,0,0],[0,0,0]]'
    assert_equal "$(jq -c '.weights[0][0]' <<< "$output")" '[1,0,0]'
}

@test "a query with no visible key and a bias: its output row is bo, one warning for all heads" {
    cd "$REFERENCE"
    run --separate-stderr selfattn run -H 2 -p output,weights --mask numpy_empty_row.mask.json \
        -w numpy_empty_row.weights.json numpy_empty_row.input.json
    assert_success
    assert_equal "$stderr" "selfattn: warning: query row 2 (counting from 0) sees no key after masking; its weights and head outputs are zero"
    assert_equal "$(jq -c '[.weights[][2][]] | unique' <<< "$output")" '[0]'
    jq '{row: .output[2]}' <<< "$output" > "$T/got.json"
    jq '{row: .bo}' numpy_empty_row.weights.json > "$T/want.json"
    run jsoncmp --rtol 1e-7 --atol 0 "$T/got.json" "$T/want.json"
    assert_success
}

@test "several queries with no visible key: one warning listing them" {
    printf '[[0, 0, 0], [1, 1, 1], [0, 0, 0]]' > "$T/mask.json"
    run --separate-stderr selfattn run -H 2 --mask "$T/mask.json" classic.json
    assert_success
    assert_equal "$stderr" "selfattn: warning: query rows 0, 2 (counting from 0) see no key after masking; their weights and head outputs are zero"
    refute_output --partial nan
}

# ---- --average-heads ---------------------------------------------------

@test "--average-heads prints the mean of the heads' weights" {
    selfattn run -H 4 -p weights sentence.csv > "$T/heads.json"
    jq '.weights as $w | ($w | length) as $H
        | {weights: [range($w[0] | length) as $i
                     | [range($w[0][0] | length) as $j | ([$w[][$i][$j]] | add / $H)]]}' \
        "$T/heads.json" > "$T/want.json"
    run --separate-stderr selfattn run -H 4 --average-heads sentence.csv
    assert_success
    jq '{weights: .average_weights}' <<<"$output" > "$T/got.json"
    assert_equal "$(jq -c '[.config.average_heads, has("weights"), has("output"), (.average_weights | length), (.average_weights[0] | length)]' <<<"$output")" \
        '[true,false,false,6,6]'
    run jsoncmp "$T/got.json" "$T/want.json" weights
    assert_success
}

@test "--average-heads with -p weights: .weights stays H x n x m, the average beside it" {
    run --separate-stderr selfattn run -H 4 -p output,weights --average-heads sentence.csv
    assert_success
    assert_equal "$(jq -c '[keys_unsorted[1:], (.weights | length), (.weights[0] | length), (.average_weights | length)]' <<<"$output")" \
        '[["tokens","output","weights","average_weights"],4,6,6]'
    selfattn run -H 4 -p weights sentence.csv | jq -c .weights > "$T/plain"
    jq -c .weights <<<"$output" > "$T/with"
    assert_same_file "$T/with" "$T/plain"
}

# ---- --head --------------------------------------------------------------

@test "--head N: head N's weights and steps as 1 x n x m arrays, the config names it" {
    selfattn run -H 3 --d-head 2 -p output,weights,steps sentence.csv > "$T/all.json"
    run --separate-stderr selfattn run -H 3 --d-head 2 --head 2 -p output,weights,steps sentence.csv
    assert_success
    echo "$output" > "$T/two.json"
    assert_equal "$(jq -c '[.config.heads, .config.head, (.weights | length), (.steps | del(.concat) | map_values(length) | [.[]] | unique)]' "$T/two.json")" \
        '[3,2,1,[1]]'
    assert_equal "$(jq -c '[.output, .weights[1], (.steps | del(.concat) | map_values(.[1])), .steps.concat]' "$T/all.json")" \
        "$(jq -c '[.output, .weights[0], (.steps | del(.concat) | map_values(.[0])), .steps.concat]' "$T/two.json")"
    assert_equal "$(jq -c .config.head "$T/all.json")" null
}

# ---- settings from the weights file's config -------------------------------

@test "init's config gives run its heads: the numbers of -H, and from_weights says so" {
    selfattn init --d-model 8 -H 4 --d-head 2 -o "$T/w.json"
    selfattn run -w "$T/w.json" -p output,weights sentence.csv > "$T/config.json"
    selfattn run -H 4 -w "$T/w.json" -p output,weights sentence.csv > "$T/explicit.json"
    run jsoncmp "$T/config.json" "$T/explicit.json" output weights
    assert_success
    assert_equal "$(jq -c '.config | [.heads, .kv_heads, .d_head, .from_weights]' "$T/config.json")" \
        '[4,4,2,{"heads":"config","kv_heads":"config"}]'
    assert_equal "$(jq -c '.config | [.heads, .from_weights]' "$T/explicit.json")" '[4,{}]'
    # grouped-query: kv_heads from the config too
    selfattn init --d-model 8 -H 4 --kv-heads 2 -o "$T/gqa.json"
    run --separate-stderr selfattn run -w "$T/gqa.json" sentence.csv
    assert_success
    assert_equal "$(jq -c '.config | [.heads, .kv_heads, .d_head]' <<<"$output")" '[4,2,2]'
    # --kv-heads alone is checked against the file's heads, not the default 1
    run --separate-stderr selfattn run --kv-heads 2 -w "$T/gqa.json" sentence.csv
    assert_success
    assert_equal "$(jq -c '.config | [.heads, .kv_heads, .from_weights]' <<<"$output")" '[4,2,{"heads":"config"}]'
    # the command line's -H without --kv-heads means as many key/value heads
    run --separate-stderr selfattn run -H 2 -w "$T/w.json" sentence.csv
    assert_success
    assert_equal "$(jq -c '.config | [.heads, .kv_heads, .d_head, .from_weights]' <<<"$output")" '[2,2,4,{}]'
}

@test "a config's scale, causal, window, softcap and rope: as their options give, unless the command line says" {
    selfattn init --d-model 8 -H 2 -o "$T/plain.json"
    jq '.config += {scale: 0.25, causal: true, window: 1, softcap: 5, rope: {base: 100, style: "neox"}}' \
        "$T/plain.json" > "$T/w.json"
    selfattn run -w "$T/w.json" -p output,weights sentence.csv > "$T/config.json"
    selfattn run -H 2 --scale 0.25 --causal --window 1 --softcap 5 --rope-base 100 --rope-style neox \
        -w "$T/plain.json" -p output,weights sentence.csv > "$T/options.json"
    run jsoncmp "$T/config.json" "$T/options.json" output weights
    assert_success
    assert_equal "$(jq -c '.config | [.scale, .causal, .window, .softcap, .rope, (.from_weights | keys_unsorted)]' "$T/config.json")" \
        '[0.25,true,1,5,{"base":100,"style":"neox"},["heads","kv_heads","scale","causal","window","softcap","rope"]]'
    run --separate-stderr selfattn run -H 1 --scale 1 --no-causal --window 2 --softcap 9 --rope -w "$T/w.json" sentence.csv
    assert_success
    assert_equal "$stderr" ""
    assert_equal "$(jq -c '.config | [.heads, .scale, .causal, .window, .softcap, .rope, .from_weights]' <<<"$output")" \
        '[1,1,false,2,9,{"base":10000,"style":"roformer"},{}]'
}

@test "--no-causal and --causal: the last one counts" {
    run --separate-stderr selfattn run --causal --no-causal -p weights classic.json
    assert_equal "$(jq .config.causal <<<"$output")" false
    run --separate-stderr selfattn run --no-causal --causal -p weights classic.json
    assert_equal "$(jq .config.causal <<<"$output")" true
}

# ---- generated weights: --seed, --d-head, --out-proj, init ------------

@test "--seed: the same seed gives the same bits, another seed other numbers" {
    run --separate-stderr selfattn run --seed 7 sentence.csv
    assert_success
    local first="$output"
    run --separate-stderr selfattn run --seed 7 sentence.csv
    assert_equal "$output" "$first"
    run --separate-stderr selfattn run --seed 8 sentence.csv
    assert_success
    refute [ "$(jq -c .output <<< "$output")" = "$(jq -c .output <<< "$first")" ]
}

@test "--seed defaults to 0" {
    selfattn run sentence.csv > "$T/default.json"
    selfattn run --seed 0 sentence.csv > "$T/seed0.json"
    assert_same_file "$T/default.json" "$T/seed0.json"
}

@test "--d-head sets the head width: P = heads x d_head, output P wide without Wo" {
    run --separate-stderr selfattn run -H 2 --d-head 3 -p output,steps plain.json
    assert_success
    assert_equal "$(jq -c '[.config.d_head, .config.d_out, (.output[0] | length), (.steps.Q[0][0] | length)]' <<< "$output")" \
        '[3,6,6,3]'
    assert_equal "$(jq '.config.scale' <<< "$output")" 0.57735026
}

@test "--d-head lets heads not dividing d work" {
    run --separate-stderr selfattn run -H 3 --d-head 2 plain.json
    assert_success
    assert_equal "$(jq -c '[.config.heads, .config.d_head, (.output[0] | length)]' <<< "$output")" '[3,2,6]'
}

@test "--out-proj: an output projection back to d" {
    run --separate-stderr selfattn run -H 2 --d-head 3 --out-proj plain.json
    assert_success
    assert_equal "$(jq -c '[.config.out_proj, .config.d_out, (.output[0] | length)]' <<< "$output")" '[true,4,4]'
}

@test "init: Wq, Wk, Wv of d x d by default, with a config" {
    run --separate-stderr selfattn init --d-model 4
    assert_success
    assert_equal "$stderr" ""
    assert_equal "$(jq -c 'keys_unsorted' <<< "$output")" '["config","Wq","Wk","Wv"]'
    assert_equal "$(jq -c '.config | {generator, seed, d_model, heads, d_head, out_proj}' <<< "$output")" \
        '{"generator":"selfattn init","seed":0,"d_model":4,"heads":1,"d_head":4,"out_proj":false}'
    assert_equal "$(jq -c '[.Wq, .Wk, .Wv | [length, (.[0] | length)]]' <<< "$output")" '[[4,4],[4,4],[4,4]]'
}

@test "init: --heads, --d-head and --out-proj set the shapes" {
    run --separate-stderr selfattn init --d-model 6 --heads 2 --d-head 4 --out-proj --seed 3
    assert_success
    assert_equal "$(jq -c 'keys_unsorted' <<< "$output")" '["config","Wq","Wk","Wv","Wo"]'
    assert_equal "$(jq -c '[.Wq, .Wk, .Wv, .Wo | [length, (.[0] | length)]]' <<< "$output")" \
        '[[6,8],[6,8],[6,8],[8,6]]'
    run --separate-stderr selfattn init --d-model 6 -H 3
    assert_equal "$(jq -c '[.config.d_head, (.Wq[0] | length)]' <<< "$output")" '[2,6]'
}

@test "init: values are uniform in [-1/sqrt(rows), 1/sqrt(rows))" {
    run --separate-stderr selfattn init --d-model 16 -H 2 --d-head 4 --out-proj
    assert_success
    assert_equal "$(jq '[.Wq, .Wk, .Wv | .[][] | fabs < 0.25] | all' <<< "$output")" true
    assert_equal "$(jq '[.Wo[][] | fabs < (1 / (8 | sqrt))] | all' <<< "$output")" true
}

@test "init then run --weights gives the bits of run --seed" {
    selfattn init --d-model 8 -H 2 --d-head 3 --out-proj --seed 42 -o "$T/w.json"
    selfattn run -H 2 -p output,weights -w "$T/w.json" sentence.csv > "$T/from_file.json"
    selfattn run -H 2 -p output,weights --d-head 3 --out-proj --seed 42 sentence.csv > "$T/from_seed.json"
    run jsoncmp --rtol 0 --atol 0 "$T/from_file.json" "$T/from_seed.json" output weights
    assert_success
    assert_equal "$(jq -c .output "$T/from_file.json")" "$(jq -c .output "$T/from_seed.json")"
}

@test "init then run --weights gives the bits of run --seed with default shapes" {
    selfattn init --d-model 4 --seed 9 > "$T/w.json"
    selfattn run -p output -w "$T/w.json" plain.json | jq -c .output > "$T/from_file"
    selfattn run -p output --seed 9 plain.json | jq -c .output > "$T/from_seed"
    assert_same_file "$T/from_file" "$T/from_seed"
}

# ---- weights conventions ----------------------------------------------

@test "a torch state dict and its math-convention transpose give the same bits" {
    cd "$REFERENCE"
    jq '(."in_proj_weight" | length / 3) as $P
        | {Wq: (."in_proj_weight"[0:$P] | transpose),
           Wk: (."in_proj_weight"[$P:2*$P] | transpose),
           Wv: (."in_proj_weight"[2*$P:] | transpose),
           Wo: (."out_proj.weight" | transpose),
           bq: ."in_proj_bias"[0:$P], bk: ."in_proj_bias"[$P:2*$P],
           bv: ."in_proj_bias"[2*$P:], bo: ."out_proj.bias"}' \
        torch_n5_d8_h2.weights.json > "$T/math.json"
    selfattn run -H 2 -p output,weights -w torch_n5_d8_h2.weights.json torch_n5_d8_h2.input.json > "$T/torch.out"
    selfattn run -H 2 -p output,weights -w "$T/math.json" torch_n5_d8_h2.input.json > "$T/math.out"
    assert_equal "$(jq -c '[.config.convention, .config.biases, .config.out_proj]' "$T/torch.out")" '["torch",true,true]'
    assert_equal "$(jq -c '.config.convention' "$T/math.out")" '"math"'
    jq -c '.output, .weights' "$T/torch.out" > "$T/torch"
    jq -c '.output, .weights' "$T/math.out" > "$T/math"
    assert_same_file "$T/torch" "$T/math"
}

@test "weights files may carry a config and _comment keys: a config's other keys are notes" {
    jq '. + {config: {"any": "thing", heads: null}, _note: [1, 2]}' classic.weights.json > "$T/w.json"
    selfattn run --scale 1 -w "$T/w.json" classic.json | jq -c .output > "$T/with"
    selfattn run "${CLASSIC[@]}" | jq -c .output > "$T/without"
    assert_same_file "$T/with" "$T/without"
}

# ---- --stats and --threads -------------------------------------------------

# A 100 x 32 input of sines, enough for several tiles of 6 queries.
wide_input() {
    awk 'BEGIN { printf "["; for (i = 0; i < 100; i++) { printf "%s[", i ? "," : "";
                 for (c = 0; c < 32; c++) printf "%s%.6f", c ? "," : "", sin(i * 7 + c);
                 printf "]" } print "]" }' > "$T/wide.json"
}

@test "--stats: three lines on stderr, the report on stdout unchanged" {
    wide_input
    run --separate-stderr selfattn run -H 2 --seed 3 -t 2 "$T/wide.json"
    assert_success
    local plain="$output"
    run --separate-stderr selfattn run --stats -H 2 --seed 3 -t 2 "$T/wide.json"
    assert_success
    assert_equal "$output" "$plain"
    assert_equal "$(wc -l <<< "$stderr")" 3
    assert_regex "$stderr" '^selfattn: stats: read [0-9.]+ s, project [0-9.]+ s, attend [0-9.]+ s, write [0-9.]+ s, total [0-9.]+ s'
    assert_regex "$stderr" $'\nselfattn: stats: [0-9.e+-]+ GFLOP, [0-9.]+ GFLOP/s in project \+ attend, streaming path, 2 threads, peak memory [0-9.]+ MiB\n'
    assert_regex "$stderr" $'\nselfattn: stats: kernels (avx512|avx2|generic), OpenBLAS [A-Za-z0-9]+$'
    run --separate-stderr selfattn run --stats --print weights -t 1 classic.json
    assert_success
    assert_regex "$stderr" 'dense path, 1 thread, peak memory'
}

@test "--threads: the same bits every time for a given N, within float32 rounding across N; OPENBLAS_NUM_THREADS is the default" {
    wide_input
    for t in 1 2 3 2b; do
        run --separate-stderr selfattn run -H 2 --seed 3 --threads "${t%b}" -o "$T/t$t.json" "$T/wide.json"
        assert_success
    done
    cmp "$T/t2.json" "$T/t2b.json"
    jsoncmp "$T/t1.json" "$T/t2.json" output
    jsoncmp "$T/t1.json" "$T/t3.json" output
    OPENBLAS_NUM_THREADS=3 run --separate-stderr selfattn run --stats -H 2 --seed 3 "$T/wide.json"
    assert_success
    assert_regex "$stderr" 'streaming path, 3 threads'
    run --separate-stderr selfattn run -t 0 classic.json
    assert_usage_error "--threads: '0' is not an integer from 1 to 1024"
}

@test "SELFATTN_KERNELS picks the kernels: --stats names them, results agree within float32 rounding" {
    wide_input
    selfattn run -H 2 --seed 3 -t 1 -o "$T/best.json" "$T/wide.json"
    SELFATTN_KERNELS=generic run --separate-stderr selfattn run --stats -H 2 --seed 3 -t 1 \
        -o "$T/generic.json" "$T/wide.json"
    assert_success
    assert_regex "$stderr" $'\nselfattn: stats: kernels generic, OpenBLAS '
    jsoncmp "$T/generic.json" "$T/best.json" output
    # the empty value means the best the CPU has, as when unset
    SELFATTN_KERNELS= run --separate-stderr selfattn run --stats classic.json
    assert_success
    assert_regex "$stderr" $'\nselfattn: stats: kernels (avx512|avx2|generic), '
}

@test "SELFATTN_KERNELS: an unknown name, or a set the CPU lacks, is a usage error (64)" {
    SELFATTN_KERNELS=bogus run --separate-stderr selfattn run classic.json
    assert_error 64 "selfattn: SELFATTN_KERNELS: unknown kernels 'bogus' (use avx512, avx2 or generic)"
    for set in avx512 avx2; do
        SELFATTN_KERNELS=$set run --separate-stderr selfattn run classic.json
        if [[ $status -ne 0 ]]; then
            assert_equal "$status" 64
            assert_regex "$stderr" "^selfattn: SELFATTN_KERNELS: the $set kernels need a processor with "
        fi
    done
}
