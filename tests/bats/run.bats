#!/usr/bin/env bats
# run.bats — what `selfattn run` and `selfattn init` do for a user: options,
# input formats, output formats, -o, --help and --version.
#
# classic.json with classic.weights.json and --scale 1 is the "Illustrated:
# Self-Attention" example: Q, K, V and the scores are small integers, and
# the output of x1 is (1.94, 6.68, 1.60).

load ../helpers

CLASSIC=(--scale 1 -w classic.weights.json classic.json)

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

@test "-p steps: Q, K, V, scores and softmax per head" {
    run --separate-stderr selfattn run -p steps "${CLASSIC[@]}"
    assert_success
    assert_equal "$(jq -c '.steps | keys_unsorted' <<< "$output")" '["Q","K","V","scores","softmax"]'
    assert_equal "$(jq -c '.steps.Q' <<< "$output")" '[[[1,0,2],[2,2,2],[2,1,3]]]'
    assert_equal "$(jq -c '.steps.K' <<< "$output")" '[[[0,1,1],[4,4,0],[2,3,1]]]'
    assert_equal "$(jq -c '.steps.V' <<< "$output")" '[[[1,2,3],[2,8,0],[2,6,3]]]'
    assert_equal "$(jq -c '.steps.scores' <<< "$output")" '[[[2,4,4],[4,16,12],[4,12,10]]]'
}

@test "-p steps with heads: Q, K, V are n x d_head per head" {
    run --separate-stderr selfattn run -H 2 -p steps plain.json
    assert_success
    assert_equal "$(jq -c '[.steps[] | [length, (.[0] | length), (.[0][0] | length)]]' <<< "$output")" \
        '[[2,3,2],[2,3,2],[2,3,2],[2,3,3],[2,3,3]]'
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

@test "-H that does not divide d: 64 with a message" {
    run --separate-stderr selfattn run -H 3 classic.json
    assert_usage_error "--heads 3 does not divide d_model 4; set --d-head"
}

# ---- --average-heads ---------------------------------------------------

@test "--average-heads prints the mean of the heads' weights" {
    selfattn run -H 4 -p weights sentence.csv > "$T/heads.json"
    jq '.weights as $w | ($w | length) as $H
        | {weights: [range($w[0] | length) as $i
                     | [range($w[0][0] | length) as $j | ([$w[][$i][$j]] | add / $H)]]}' \
        "$T/heads.json" > "$T/want.json"
    run --separate-stderr selfattn run -H 4 -p weights --average-heads sentence.csv
    assert_success
    echo "$output" > "$T/got.json"
    assert_equal "$(jq -c '[.config.average_heads, (.weights | length), (.weights[0] | length)]' "$T/got.json")" '[true,6,6]'
    run jsoncmp "$T/got.json" "$T/want.json" weights
    assert_success
}

@test "--average-heads needs weights in --print: 64" {
    run --separate-stderr selfattn run -H 2 --average-heads -p output classic.json
    assert_usage_error "--average-heads averages the weights: add weights to --print"
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

@test "weights files may carry a config and _comment keys" {
    jq '. + {config: {"any": "thing"}, _note: [1, 2]}' classic.weights.json > "$T/w.json"
    selfattn run --scale 1 -w "$T/w.json" classic.json | jq -c .output > "$T/with"
    selfattn run "${CLASSIC[@]}" | jq -c .output > "$T/without"
    assert_same_file "$T/with" "$T/without"
}

# ---- table format -----------------------------------------------------

@test "-f table: a header line and titled tables with token labels" {
    run --separate-stderr selfattn run -f table -p weights,output --digits 2 "${CLASSIC[@]}"
    assert_success
    assert_output "n = 3, d_model = 4, heads = 1, d_head = 3, d_out = 3, scale = 1

weights, head 1 (3 × 3)
      x1    x2    x3
x1  0.06  0.47  0.47
x2  0.00  0.98  0.02
x3  0.00  0.88  0.12

output (3 × 3)
       0     1     2
x1  1.94  6.68  1.60
x2  2.00  7.96  0.05
x3  2.00  7.76  0.36"
}

@test "-f table: index labels without tokens, 4 digits by default" {
    run --separate-stderr selfattn run -f table -p output --scale 1 -w classic.weights.json plain.json
    assert_success
    assert_line --index 1 "output (3 × 3)"
    assert_line --index 2 "        0       1       2"
    assert_line --index 3 "0  1.9366  6.6831  1.5951"
}

@test "-f table: --digits 0 and 9" {
    run --separate-stderr selfattn run -f table --digits 0 "${CLASSIC[@]}"
    assert_success
    assert_line --index 3 "x1  2  7  2"
    run --separate-stderr selfattn run -f table --digits 9 "${CLASSIC[@]}"
    assert_success
    assert_output --regexp 'x1  1\.[0-9]{9}  6\.[0-9]{9}  1\.[0-9]{9}'
}

@test "-f table: steps come in the order of the computation, masked scores are -inf" {
    run --separate-stderr selfattn run -f table -p output,steps --causal "${CLASSIC[@]}"
    assert_success
    assert_equal "$(grep -E '^[A-Za-z]+(, head [0-9]+)? \(' <<< "$output")" "Q, head 1 (3 × 3)
K, head 1 (3 × 3)
V, head 1 (3 × 3)
scores, head 1 (3 × 3)
softmax, head 1 (3 × 3)
output (3 × 3)"
    assert_line "x1  2.0000     -inf     -inf"
    assert_output --partial "n = 3, d_model = 4, heads = 1, d_head = 3, d_out = 3, scale = 1, causal"
}

@test "-f table: averaged weights are titled with the number of heads" {
    run --separate-stderr selfattn run -f table -H 2 -p weights --average-heads --mask mask.json classic.json
    assert_success
    assert_line --index 0 "n = 3, d_model = 4, heads = 2, d_head = 2, d_out = 4, scale = 0.70710677, mask mask.json"
    assert_line --index 1 "weights, average of 2 heads (3 × 3)"
}

@test "-f table: long token labels are cut" {
    printf '{"tokens": ["a", "supercalifragilisticexpialidocious"], "embeddings": [[1, 0], [0, 1]]}' > "$T/long.json"
    run --separate-stderr selfattn run -f table -p weights "$T/long.json"
    assert_success
    assert_output --partial "supercalifragili...  "
    refute_output --partial "supercalifragilis"
}

# ---- CSV format -------------------------------------------------------

@test "-f csv: '# name (r x c)' blocks separated by two blank lines, tokens as a comment" {
    run --separate-stderr selfattn run -f csv -p output,weights "${CLASSIC[@]}"
    assert_success
    assert_line --index 0 '# tokens: "x1","x2","x3"'
    assert_line --index 1 '# output (3 x 3)'
    assert_equal "$(grep '^#' <<< "$output")" '# tokens: "x1","x2","x3"
# output (3 x 3)
# weights, head 1 (3 x 3)'
    # lines 6 and 7 are blank, then the next block
    assert_equal "$(sed -n '6,8p' <<< "$output")" '

# weights, head 1 (3 x 3)'
}

@test "-f csv: masked scores are -inf" {
    run --separate-stderr selfattn run -f csv -p steps --causal "${CLASSIC[@]}"
    assert_success
    assert_equal "$(sed -n '/^# scores/,/^$/p' <<< "$output")" '# scores, head 1 (3 x 3)
2,-inf,-inf
4,16,-inf
4,12,10'
}

@test "-f csv: no tokens line without tokens" {
    run --separate-stderr selfattn run -f csv plain.json
    assert_success
    assert_line --index 0 '# output (3 x 4)'
    refute_output --partial '# tokens'
}

@test "-f csv: the output reads back as an input with the same numbers" {
    selfattn run -f csv -p output -H 2 sentence.csv > "$T/out.csv"
    selfattn run -p output -H 2 sentence.csv | jq '.output' > "$T/out.json"
    selfattn run -H 2 --seed 3 "$T/out.csv" > "$T/from_csv"
    selfattn run -H 2 --seed 3 "$T/out.json" > "$T/from_json"
    assert_same_file "$T/from_csv" "$T/from_json"
}

# ---- -o FILE ----------------------------------------------------------

@test "-o FILE: the report goes to FILE and nothing to stdout" {
    run --separate-stderr selfattn run -o "$T/out.json" -p output,weights classic.json
    assert_success
    assert_equal "$output" ""
    assert_equal "$stderr" ""
    selfattn run -p output,weights classic.json > "$T/stdout.json"
    assert_same_file "$T/out.json" "$T/stdout.json"
    assert_no_temp_files "$T"
}

@test "-o FILE replaces an existing file, in table and csv formats too" {
    echo old > "$T/out.txt"
    selfattn run -f table -o "$T/out.txt" classic.json
    selfattn run -f table classic.json > "$T/stdout.txt"
    assert_same_file "$T/out.txt" "$T/stdout.txt"
    selfattn run -f csv -o "$T/out.txt" classic.json
    selfattn run -f csv classic.json > "$T/stdout.txt"
    assert_same_file "$T/out.txt" "$T/stdout.txt"
    assert_no_temp_files "$T"
}

@test "-o FILE is created with mode 0666 minus the umask" {
    run bash -c 'umask 027; "$0" run -o "$1" classic.json' "$SELFATTN" "$T/out.json"
    assert_success
    assert_equal "$(stat -c %a "$T/out.json")" 640
}

@test "-o - writes to stdout" {
    run --separate-stderr selfattn run -o - classic.json
    assert_success
    assert_equal "$output" "$(selfattn run classic.json)"
}

@test "init -o FILE writes the weights there" {
    run --separate-stderr selfattn init --d-model 4 -o "$T/w.json"
    assert_success
    assert_equal "$output" ""
    selfattn init --d-model 4 > "$T/stdout.json"
    assert_same_file "$T/w.json" "$T/stdout.json"
}

@test "-o onto a FIFO writes into the FIFO, not over it" {
    mkfifo "$T/pipe"
    # a reader, so opening for writing does not block (bats owns fd 3)
    exec 7<>"$T/pipe"
    run --separate-stderr selfattn run -o "$T/pipe" plain.json
    assert_success
    assert [ -p "$T/pipe" ]
    local want
    want="$(selfattn run plain.json)"
    run timeout 2 head -c "$(( ${#want} + 1 ))" <&7
    exec 7<&-
    assert_output "$want"
}

# ---- input formats ----------------------------------------------------

@test "stdin '-' as JSON" {
    run --separate-stderr selfattn run - < plain.json
    assert_success
    assert_equal "$output" "$(selfattn run plain.json)"
}

@test "stdin '-' as CSV, the format chosen by the first character" {
    run --separate-stderr selfattn run - < plain.csv
    assert_success
    assert_equal "$output" "$(selfattn run plain.json)"
    # a leading comment is CSV too
    run --separate-stderr selfattn run - < sentence.csv
    assert_success
    assert_equal "$output" "$(selfattn run sentence.csv)"
}

@test "JSON with leading blanks on stdin is JSON" {
    run --separate-stderr selfattn run - < <(printf '\n \t [[1, 0, 1, 0], [0, 2, 0, 2], [1, 1, 1, 1]]')
    assert_success
    assert_equal "$output" "$(selfattn run plain.json)"
}

@test "JSON object input with tokens: tokens are passed through" {
    printf '{"tokens": ["a \\"b\\"", "c\\\\d", "é"], "embeddings": [[1, 0, 1, 0], [0, 2, 0, 2], [1, 1, 1, 1]]}' > "$T/tok.json"
    run --separate-stderr selfattn run "$T/tok.json"
    assert_success
    assert_equal "$(jq -c .tokens <<< "$output")" '["a \"b\"","c\\d","é"]'
    assert_equal "$(jq -c .output <<< "$output")" "$(selfattn run plain.json | jq -c .output)"
}

@test "JSON object input with tokens null: no tokens" {
    printf '{"tokens": null, "embeddings": [[1, 0, 1, 0], [0, 2, 0, 2], [1, 1, 1, 1]]}' > "$T/tok.json"
    run --separate-stderr selfattn run "$T/tok.json"
    assert_success
    assert_equal "$(jq -c 'keys_unsorted' <<< "$output")" '["config","output"]'
}

@test "CSV: header, comments, blank lines, token column and quoted labels" {
    printf '# made by hand\ntoken,a,b\n"x, 1",1,0\n\n  # indented comment\n"say ""hi""",0,1\nz , 1 , 1 \n' > "$T/in.csv"
    run --separate-stderr selfattn run "$T/in.csv"
    assert_success
    assert_equal "$(jq -c .tokens <<< "$output")" '["x, 1","say \"hi\"","z"]'
    printf '[[1, 0], [0, 1], [1, 1]]' > "$T/in.json"
    assert_equal "$(jq -c .output <<< "$output")" "$(selfattn run "$T/in.json" | jq -c .output)"
}

@test "CSV: CRLF line endings and a byte order mark read as LF" {
    printf 'token,a,b\nx,1,0\ny,0,1\n' > "$T/lf.csv"
    printf '\357\273\277token,a,b\r\nx,1,0\r\ny,0,1\r\n' > "$T/crlf.csv"
    run --separate-stderr selfattn run "$T/crlf.csv"
    assert_success
    assert_equal "$output" "$(selfattn run "$T/lf.csv")"
    assert_equal "$(jq -c .tokens <<< "$output")" '["x","y"]'
}

@test "JSON: a byte order mark is skipped" {
    printf '\357\273\277[[1, 0, 1, 0], [0, 2, 0, 2], [1, 1, 1, 1]]' > "$T/bom.json"
    run --separate-stderr selfattn run "$T/bom.json"
    assert_success
    assert_equal "$output" "$(selfattn run plain.json)"
    run --separate-stderr selfattn run - < "$T/bom.json"
    assert_success
    assert_equal "$output" "$(selfattn run plain.json)"
}

@test "CSV: numbers without labels, no trailing newline" {
    printf '1,0,1,0\n0,2,0,2\n1,1,1,1' > "$T/in.csv"
    run --separate-stderr selfattn run "$T/in.csv"
    assert_success
    assert_equal "$output" "$(selfattn run plain.json)"
}

@test "CSV: a pandas-style header with an empty first field is a header, not a row" {
    # DataFrame.to_csv() writes ",0,1" above rows labelled by their index
    printf ',0,1\n0,1,0\n1,0,1\n' > "$T/pandas.csv"
    run --separate-stderr selfattn run "$T/pandas.csv"
    assert_success
    assert_equal "$(jq -c '[.config.n, .tokens]' <<< "$output")" '[2,["0","1"]]'
}

@test "the format comes from the extension before the content" {
    cp plain.csv "$T/matrix.json"
    run --separate-stderr selfattn run "$T/matrix.json"
    assert_error 65 "selfattn: $T/matrix.json:1:2: invalid JSON near ',0,1,0'"
}

@test "numbers round-trip float32: the printed output read back gives the same bits" {
    # identity projections make V equal to the input, bit for bit
    printf '{"Wq": [[1,0,0,0],[0,1,0,0],[0,0,1,0],[0,0,0,1]], "Wk": [[1,0,0,0],[0,1,0,0],[0,0,1,0],[0,0,0,1]], "Wv": [[1,0,0,0],[0,1,0,0],[0,0,1,0],[0,0,0,1]]}' > "$T/id.json"
    selfattn run --seed 11 sentence.csv | jq '.output | map(.[0:4])' > "$T/x.json"
    run --separate-stderr selfattn run -p steps -w "$T/id.json" "$T/x.json"
    assert_success
    assert_equal "$(jq -c '.steps.V[0]' <<< "$output")" "$(jq -c . "$T/x.json")"
    # and the text is the same, not just the values
    assert_equal "$(sed -n '/"V"/,/]$/p' <<< "$output" | grep -o '\[[^][]*\]' | tr -d ' ')" \
                 "$(selfattn run --seed 11 sentence.csv | jq -c '.output[] | .[0:4]' | tr -d ' ')"
}

@test "numbers round-trip float32: a second run on the first run's JSON output is exact" {
    selfattn run -p output --seed 4 sentence.csv | jq .output > "$T/x.json"
    selfattn run -f csv -p output --seed 4 sentence.csv > "$T/x.csv"
    selfattn run --seed 5 "$T/x.json" > "$T/from_json"
    selfattn run --seed 5 "$T/x.csv" > "$T/from_csv"
    assert_same_file "$T/from_json" "$T/from_csv"
}

# ---- --help, --version ------------------------------------------------

@test "--help prints usage on stdout, exit 0, every option listed" {
    run --separate-stderr selfattn --help
    assert_success
    assert_equal "$stderr" ""
    assert_line --index 0 --partial "Usage: selfattn run [OPTIONS] INPUT"
    local option
    for option in --weights --seed --d-head --out-proj --heads --scale --causal \
                  --mask --print --average-heads --format --output --digits \
                  --d-model --help --version; do
        assert_output --regexp "(^|[ ,])$option( |$)"
    done
    for option in -w -H -p -f -o -h; do
        assert_output --partial "  $option, --"
    done
}

@test "--help lists every long option that run and init accept" {
    local usage option options missing=""
    usage="$(selfattn --help)"
    # the getopt_long tables: {"name", no_argument|required_argument, ...}
    options="$(sed -n 's/^ *{"\([a-z-]*\)", *\(no\|required\)_argument.*/\1/p' \
                   "$REPO_ROOT"/src/*.c | sort -u)"
    assert [ "$(wc -l <<< "$options")" -ge 15 ]
    for option in $options; do
        grep -qE -- "(^|[ ,])--$option( |$)" <<< "$usage" || missing+=" --$option"
    done
    assert_equal "${missing:-none}" none
}

@test "-h, help, run --help and init --help print the same usage" {
    local usage
    usage="$(selfattn --help)"
    run --separate-stderr selfattn -h
    assert_output "$usage"
    run --separate-stderr selfattn help
    assert_output "$usage"
    run --separate-stderr selfattn run --help
    assert_success
    assert_output "$usage"
    run --separate-stderr selfattn init --help
    assert_success
    assert_output "$usage"
}

@test "--help documents the exit codes" {
    run --separate-stderr selfattn --help
    assert_output --partial "Exit status: 0 success, 64 usage, 65 bad data, 66 input missing"
}

@test "--version prints 'selfattn X.Y.Z' on stdout" {
    run --separate-stderr selfattn --version
    assert_success
    assert_equal "$stderr" ""
    assert_output --regexp '^selfattn [0-9]+\.[0-9]+\.[0-9]+$'
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
