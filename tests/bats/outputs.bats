#!/usr/bin/env bats
# outputs.bats — the text output formats of `selfattn run` (-f table, -f csv;
# JSON is run.bats's) and -o FILE.  The pictures (-f svg, -f heatmap, plot)
# are pictures.bats's, npy and npz formats.bats's; what -o leaves when a run
# fails, and write errors, robust.bats's.

load ../helpers

# ---- table format -----------------------------------------------------

@test "-f table: a header line and titled tables with token labels" {
    run --separate-stderr selfattn run -f table -p weights,output --digits 2 "${CLASSIC[@]}"
    assert_success
    assert_output "n = 3, d_model = 4, heads = 1, d_head = 3, d_out = 3, scale = 1
weights: classic.weights.json

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
    assert_line --index 2 "output (3 × 3)"
    assert_line --index 3 "        0       1       2"
    assert_line --index 4 "0  1.9366  6.6831  1.5951"
}

@test "-f table: --digits 0 and 9" {
    run --separate-stderr selfattn run -f table --digits 0 "${CLASSIC[@]}"
    assert_success
    assert_line --index 4 "x1  2  7  2"
    run --separate-stderr selfattn run -f table --digits 9 "${CLASSIC[@]}"
    assert_success
    assert_output --regexp 'x1  1\.[0-9]{9}  6\.[0-9]{9}  1\.[0-9]{9}'
}

@test "-f table: steps come in the order of the computation, masked scores are -inf" {
    run --separate-stderr selfattn run -f table -p output,steps --causal "${CLASSIC[@]}"
    assert_success
    assert_equal "$(grep -E '^[A-Za-z_]+(, head [0-9]+)? \(' <<< "$output")" "Q, head 1 (3 × 3)
K, head 1 (3 × 3)
V, head 1 (3 × 3)
raw_scores, head 1 (3 × 3)
scores, head 1 (3 × 3)
exp, head 1 (3 × 3)
rowsum, head 1 (3 × 1)
softmax, head 1 (3 × 3)
head_output, head 1 (3 × 3)
concat (3 × 3)
output (3 × 3)"
    assert_line "x1  2.0000     -inf     -inf"
    assert_output --partial "n = 3, d_model = 4, heads = 1, d_head = 3, d_out = 3, scale = 1, causal"
}

@test "-f table: averaged weights are titled with the number of heads" {
    run --separate-stderr selfattn run -f table -H 2 --average-heads --mask mask.json classic.json
    assert_success
    assert_line --index 0 "n = 3, d_model = 4, heads = 2, d_head = 2, d_out = 4, scale = 0.70710677, mask mask.json"
    assert_line --index 1 "weights: generated, seed 0"
    assert_line --index 2 "weights, average of 2 heads (3 × 3)"
    assert_equal "$(grep -c ', head ' <<<"$output")" 0
}

@test "-f table: -p weights --average-heads prints each head, then the average" {
    run --separate-stderr selfattn run -f table -H 2 -p weights --average-heads classic.json
    assert_success
    assert_equal "$(grep -E '^weights, ' <<<"$output")" "weights, head 1 (3 × 3)
weights, head 2 (3 × 3)
weights, average of 2 heads (3 × 3)"
}

@test "-f table: --head 2 prints head 2's weights and steps alone" {
    run --separate-stderr selfattn run -f table -H 2 --head 2 -p weights,steps classic.json
    assert_success
    assert_equal "$(grep -E '^[A-Za-z_]+, head' <<<"$output")" "Q, head 2 (3 × 2)
K, head 2 (3 × 2)
V, head 2 (3 × 2)
raw_scores, head 2 (3 × 3)
scores, head 2 (3 × 3)
exp, head 2 (3 × 3)
rowsum, head 2 (3 × 1)
softmax, head 2 (3 × 3)
head_output, head 2 (3 × 2)"
    assert_line "concat (3 × 4)"
}

@test "-f table: the second line says where the weights came from" {
    run --separate-stderr selfattn run -f table --seed 7 classic.json
    assert_line --index 1 "weights: generated, seed 7"
    selfattn init --d-model 4 -H 2 -o "$T/w.json"
    run --separate-stderr selfattn run -f table -w "$T/w.json" classic.json
    assert_line --index 0 "n = 3, d_model = 4, heads = 2, d_head = 2, d_out = 4, scale = 0.70710677"
    assert_line --index 1 "weights: $T/w.json; from its config: heads, kv_heads"
    run --separate-stderr selfattn run -f table -w "$T/w.json" -H 1 --kv-heads 1 classic.json
    assert_line --index 1 "weights: $T/w.json"
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

@test "-f csv: -p weights --average-heads writes each head's block, then the average's" {
    run --separate-stderr selfattn run -f csv -H 2 -p weights --average-heads classic.json
    assert_success
    assert_equal "$(grep '^#' <<< "$output")" '# tokens: "x1","x2","x3"
# weights, head 1 (3 x 3)
# weights, head 2 (3 x 3)
# weights, average of 2 heads (3 x 3)'
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

@test "-p input,params: the input rows as given and the weights as used (math convention), so that Q = X Wq + bq" {
    local case="$REFERENCE/torch_n5_d8_h2"
    run --separate-stderr selfattn run -H 2 -p input,params,steps -w "$case.weights.json" "$case.input.json"
    assert_success
    assert_equal "$(jq -c 'keys' <<< "$output")" '["config","input","params","steps"]'
    assert_equal "$(jq -c '.params | keys_unsorted' <<< "$output")" '["Wq","Wk","Wv","Wo","bq","bk","bv","bo"]'
    # torch's in_proj_weight is [Wq Wk Wv]^T: printed transposed back, as used
    /usr/bin/python3 -c '
import json, sys
import numpy as np
doc, w = json.loads(sys.argv[1]), json.load(open(sys.argv[2]))
x = json.load(open(sys.argv[3]))
x = np.array(x["embeddings"] if isinstance(x, dict) else x)
p = {k: np.array(v) for k, v in doc["params"].items()}
P = p["Wq"].shape[1]
f32 = lambda a: np.array(a, dtype=np.float32)
assert np.array_equal(f32(doc["input"]), f32(x))
assert np.array_equal(f32(p["Wq"]), f32(w["in_proj_weight"])[:P].T)
assert np.array_equal(f32(p["Wo"]), f32(w["out_proj.weight"]).T)
q = x @ p["Wq"] + p["bq"]
steps_q = np.concatenate(list(np.array(doc["steps"]["Q"])), axis=1)
assert np.allclose(steps_q, q, rtol=1e-5, atol=1e-5), abs(steps_q - q).max()
print("ok")' "$output" "$case.weights.json" "$case.input.json"
    run selfattn run -p input,params -f table "${CLASSIC[@]}"
    assert_success
    assert_equal "$(grep -E '^[A-Za-z_]+ \(' <<< "$output")" "input (3 × 4)
Wq (4 × 3)
Wk (4 × 3)
Wv (4 × 3)"
    run selfattn run -p input,params -f csv "${CLASSIC[@]}"
    assert_line "# input (3 x 4)"
    assert_line "# Wq (4 x 3)"
    run --separate-stderr selfattn run -p params -f npy -o "$T/w.npy" "${CLASSIC[@]}"
    assert_error 64 "selfattn: --format npy writes one array: params are several; use npz
Try 'selfattn run --help' for more information."
    run selfattn run -p input -f npy -o "$T/x.npy" "${CLASSIC[@]}"
    assert_success
}

@test "-p input with --context prints the context's rows too; npz names the weights' arrays" {
    printf "[[1,0,0,1],[0,1,1,0]]" > "$T/context.json"
    run selfattn run -p input,params,output -f npz -o "$T/out.npz" --context "$T/context.json" --out-proj classic.json
    assert_success
    run /usr/bin/python3 -c 'import numpy as np, sys; z = np.load(sys.argv[1]); print(sorted(z.files))' "$T/out.npz"
    assert_output "['Wk', 'Wo', 'Wq', 'Wv', 'context', 'input', 'output']"
}
