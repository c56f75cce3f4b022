#!/usr/bin/env bats
# grad.bats — `selfattn grad` at the shell: what its report holds and how
# each format shows the gradients, the names they take from the weights
# file, --dy, the two paths and threads, the loss against finite
# differences, NaN rows, pictures and --stats.  The values themselves are
# checked against PyTorch autograd in grad_reference.bats; bad --dy files
# and grad's usage errors are cases of tests/bad/catalogue.tsv.

load ../helpers

# random_input FILE N D SEED: an N x D JSON matrix of values in [-1, 1).
random_input() {
    /usr/bin/python3 -c '
import json, random, sys
n, d, seed = int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
r = random.Random(seed)
json.dump([[round(r.uniform(-1, 1), 4) for _ in range(d)] for _ in range(n)],
          open(sys.argv[1], "w"))' "$@"
}

@test "grad: run's document plus the loss and the gradients, by default" {
    run --separate-stderr selfattn grad -H 2 "$REPO_ROOT/data/sentence.json"
    assert_success
    assert_equal "$stderr" ""
    assert_equal "$(jq -c 'keys_unsorted' <<< "$output")" \
                 '["config","tokens","output","loss","grads"]'
    # generated weights: the math names, in their shapes
    assert_equal "$(jq -c '.grads | to_entries | map([.key, (.value | length), (.value[0] | length)])' <<< "$output")" \
                 '[["input",6,8],["Wq",8,8],["Wk",8,8],["Wv",8,8]]'
    assert_equal "$(jq -c '.config.dy' <<< "$output")" null
    # L is the sum of the outputs without --dy
    assert_equal "$(jq '[.output[][]] | add | . * 1000 | round' <<< "$output")" \
                 "$(jq '.loss * 1000 | round' <<< "$output")"
}

@test "grad's output is run's, bit for bit" {
    selfattn run -H 2 --causal "$REPO_ROOT/data/sentence.json" | jq -c .output > "$T/run"
    selfattn grad -H 2 --causal "$REPO_ROOT/data/sentence.json" | jq -c .output > "$T/grad"
    assert_same_file "$T/run" "$T/grad"
}

@test "--dy: L = sum of dY .* output, and dY's file in the config" {
    echo '[[1, 0, 0], [0, 2, 0], [0, 0, -1]]' > "$T/dy.json"
    run --separate-stderr selfattn grad --scale 1 -w classic.weights.json --dy "$T/dy.json" classic.json
    assert_success
    assert_equal "$(jq -r .config.dy <<< "$output")" "$T/dy.json"
    local want
    want="$(jq '.output | .[0][0] + 2 * .[1][1] - .[2][2]' <<< "$output")"
    run jq -n --argjson got "$(jq .loss <<< "$output")" --argjson want "$want" \
        '($got - $want) | fabs < 1e-5 * ($want | fabs)'
    assert_output true
    # and CSV or .npy dY give the same
    printf '1,0,0\n0,2,0\n0,0,-1\n' > "$T/dy.csv"
    selfattn grad "${CLASSIC[@]}" --dy "$T/dy.json" > "$T/a.json"
    selfattn grad "${CLASSIC[@]}" --dy "$T/dy.csv" > "$T/b.json"
    run diff <(jq .grads "$T/a.json") <(jq .grads "$T/b.json")
    assert_success
}

@test "the gradient of the input against finite differences of the loss" {
    # central differences of L in float32: h = 0.01 leaves an error of
    # about 1e-4 of the loss; a wrong gradient is off by its own size
    random_input "$T/x.json" 5 8 1
    random_input "$T/dy.json" 5 8 2
    local args=(-H 2 --causal --rope --alibi --dy "$T/dy.json")
    selfattn grad "${args[@]}" "$T/x.json" > "$T/g.json"
    local i j
    for i in 0 2 4; do
        for j in 1 6; do
            jq -c --argjson i $i --argjson j $j '.[$i][$j] += 0.01' "$T/x.json" > "$T/up.json"
            jq -c --argjson i $i --argjson j $j '.[$i][$j] -= 0.01' "$T/x.json" > "$T/down.json"
            run jq -n --argjson up "$(selfattn grad "${args[@]}" -p grads "$T/up.json" | jq .loss)" \
                      --argjson down "$(selfattn grad "${args[@]}" -p grads "$T/down.json" | jq .loss)" \
                      --argjson g "$(jq --argjson i $i --argjson j $j '.grads.input[$i][$j]' "$T/g.json")" \
                '(($up - $down) / 0.02 - $g) | fabs < 2e-3 * (1 + ($g | fabs))'
            assert_output true
        done
    done
}

@test "torch weights: the gradients carry torch's names and shapes" {
    run selfattn grad -H 2 -w "$REFERENCE/torch_n5_d8_h2.weights.json" \
        "$REFERENCE/torch_n5_d8_h2.input.json"
    assert_success
    assert_equal "$(jq -c '.grads | to_entries | map([.key, (.value | length), (.value[0] | if type == "array" then length else 0 end)])' <<< "$output")" \
                 '[["input",5,8],["in_proj_weight",24,8],["in_proj_bias",24,0],["out_proj.weight",8,8],["out_proj.bias",8,0]]'
}

@test "checkpoints: the gradients of --layer's tensors, by the file's names" {
    run selfattn grad -H 2 --causal -w "$REPO_ROOT/tests/formats/gpt2.safetensors" --layer 2 \
        "$REPO_ROOT/tests/formats/input.json"
    assert_success
    assert_equal "$(jq -c '.grads | keys_unsorted' <<< "$output")" \
                 '["input","h.2.attn.c_attn.weight","h.2.attn.c_attn.bias","h.2.attn.c_proj.weight","h.2.attn.c_proj.bias"]'
    assert_equal "$(jq -c '.grads["h.2.attn.c_attn.weight"] | [length, (.[0] | length)]' <<< "$output")" '[8,24]'
    run selfattn grad -H 2 -w "$REPO_ROOT/tests/formats/bert.safetensors" --layer 1 \
        "$REPO_ROOT/tests/formats/input.json"
    assert_success
    assert_equal "$(jq -c '.grads | keys_unsorted | .[1:3]' <<< "$output")" \
                 '["bert.encoder.layer.1.attention.self.query.weight","bert.encoder.layer.1.attention.self.query.bias"]'
}

@test "--context and --bias: their gradients, in their shapes" {
    random_input "$T/ctx.json" 7 4 3
    random_input "$T/bias.json" 3 7 4
    run selfattn grad -H 2 --context "$T/ctx.json" --bias "$T/bias.json" classic.json
    assert_success
    assert_equal "$(jq -c '.grads | to_entries | map([.key, (.value | length), (.value[0] | length)])' <<< "$output")" \
                 '[["input",3,4],["context",7,4],["bias",3,7],["Wq",4,4],["Wk",4,4],["Wv",4,4]]'
}

@test "-f table: the backward steps per head, then each gradient, titled" {
    run --separate-stderr selfattn grad "${CLASSIC[@]}" -p grad_steps,grads -f table --digits 2
    assert_success
    local title
    for title in "dO, head 1 (3 × 3)" "dV, head 1 (3 × 3)" "dP, head 1 (3 × 3)" \
                 "dS, head 1 (3 × 3)" "dQ, head 1 (3 × 3)" "dK, head 1 (3 × 3)" \
                 "input.grad (3 × 4)" "Wq.grad (4 × 3)" "Wk.grad (4 × 3)" "Wv.grad (4 × 3)"; do
        assert_line "$title"
    done
    # dP = dO V^T with dO all ones: each row is V's row sums 6, 10, 11
    assert_output --partial $'dP, head 1 (3 × 3)\n      x1     x2     x3\nx1  6.00  10.00  11.00'
    # a weight's gradient has numbered rows; a vector's title gives its length
    assert_output --partial $'Wq.grad (4 × 3)\n       0      1     2\n0   0.13   0.33  0.20'
    run selfattn grad -H 2 -w "$REFERENCE/torch_n5_d8_h2.weights.json" -p grads -f table \
        "$REFERENCE/torch_n5_d8_h2.input.json"
    assert_line "in_proj_bias.grad (24)"
    assert_line "out_proj.weight.grad (8 × 8)"
}

@test "-f csv: the gradients' blocks after the forward's" {
    run selfattn grad "${CLASSIC[@]}" -f csv
    assert_success
    assert_equal "$(grep '^# ' <<< "$output" | tr '\n' '|')" \
                 '# tokens: "x1","x2","x3"|# output (3 x 3)|# input.grad (3 x 4)|# Wq.grad (4 x 3)|# Wk.grad (4 x 3)|# Wv.grad (4 x 3)|'
}

@test "-f npz: one array per gradient and step, as JSON has them" {
    selfattn grad -H 2 --kv-heads 1 -p output,grads,grad_steps -f npz -o "$T/g.npz" \
        "$REPO_ROOT/data/sentence.json"
    selfattn grad -H 2 --kv-heads 1 -p output,grads,grad_steps "$REPO_ROOT/data/sentence.json" > "$T/g.json"
    run /usr/bin/python3 -c '
import json, sys, numpy as np
z, j = np.load(sys.argv[1]), json.load(open(sys.argv[2]))
print(" ".join("%s%s" % (k, z[k].shape) for k in z.files))
same = all(np.array_equal(z[k], np.float32(j["grads"][k])) for k in ("input", "Wq", "Wk", "Wv"))
same &= all(np.array_equal(z[k], np.float32(j["grad_steps"][k])) for k in ("dO", "dV", "dP", "dS", "dQ", "dK"))
print(same)' "$T/g.npz" "$T/g.json"
    assert_output $'output(6, 8) input(6, 8) Wq(8, 8) Wk(8, 4) Wv(8, 4) dO(2, 6, 4) dV(2, 6, 4) dP(2, 6, 6) dS(2, 6, 6) dQ(2, 6, 4) dK(2, 6, 4)\nTrue'
    # one array: the output alone as .npy
    selfattn grad -H 2 -p output -f npy -o "$T/out.npy" "$REPO_ROOT/data/sentence.json"
    selfattn run -H 2 -f npy -o "$T/run.npy" "$REPO_ROOT/data/sentence.json"
    assert_same_file "$T/out.npy" "$T/run.npy"
}

@test "pictures: dS of each head, dP with --what, or their average" {
    run selfattn grad -H 2 --causal -f heatmap --color never "$REPO_ROOT/data/sentence.json"
    assert_success
    assert_line "dS, head 1 (6 × 6)"
    assert_line "dS, head 2 (6 × 6)"
    assert_line --regexp '^the .*··········$'
    run selfattn grad -H 2 --causal --what dP --average-heads -f heatmap --color never \
        "$REPO_ROOT/data/sentence.json"
    assert_line "dP, average of 2 heads (6 × 6)"
    selfattn grad -H 2 -f svg -o "$T/g.svg" "$REPO_ROOT/data/sentence.json"
    run grep -c '<title>' "$T/g.svg"
    assert [ "$output" -ge 72 ]
    if command -v xmllint >/dev/null; then
        run xmllint --noout "$T/g.svg"
        assert_success
    fi
}

@test "the streaming and dense paths agree, and -t gives the same bits each time" {
    random_input "$T/x.json" 300 32 5
    local args=(-H 4 --kv-heads 2 --causal --rope --softcap 5)
    selfattn grad "${args[@]}" -t 2 -p grads "$T/x.json" > "$T/stream.json"
    selfattn grad "${args[@]}" -t 2 -p grads "$T/x.json" > "$T/again.json"
    assert_same_file "$T/stream.json" "$T/again.json"
    selfattn grad "${args[@]}" -t 1 -p grads "$T/x.json" > "$T/one.json"
    selfattn grad "${args[@]}" -t 2 -p grads,grad_steps "$T/x.json" > "$T/dense.json"
    run jsoncmp --atol 1e-5 "$T/stream.json" "$T/one.json" grads
    assert_success
    run jsoncmp --atol 1e-5 "$T/stream.json" "$T/dense.json" grads
    assert_success
}

@test "a query that sees no key: no gradient through it, or NaN spreading with --masked-rows nan" {
    echo '[[1, 1, 0], [0, 0, 0], [1, 1, 1]]' > "$T/mask.json"
    run --separate-stderr selfattn grad "${CLASSIC[@]}" --mask "$T/mask.json"
    assert_success
    assert_equal "$stderr" "selfattn: warning: query row 1 (counting from 0) sees no key after masking; its weights and head outputs are zero"
    assert_equal "$(jq '[.grads[][][]] | map(select(. == null)) | length' <<< "$output")" 0
    run --separate-stderr selfattn grad "${CLASSIC[@]}" --mask "$T/mask.json" --masked-rows nan -p grads,grad_steps
    assert_success
    assert_equal "$(jq -c '[.loss, (.grads.input | flatten | unique), (.grads.Wq | flatten | unique)]' <<< "$output")" \
                 '[null,[null],[null]]'
    # dP stays finite; dS and dQ are NaN in row 1 only
    assert_equal "$(jq -c '[(.grad_steps.dP | flatten | map(select(. == null)) | length),
                            (.grad_steps.dS[0] | map(map(select(. == null)) | length))]' <<< "$output")" \
                 '[0,[0,3,0]]'
}

@test "--stats: the backward pass's time, its GFLOP and the path" {
    run --separate-stderr selfattn grad --stats -H 2 -p grads "$REPO_ROOT/data/sentence.json"
    assert_success
    local first='^selfattn: stats: read [0-9.]+ s, project [0-9.]+ s, attend [0-9.]+ s, backward [0-9.]+ s, write [0-9.]+ s, total [0-9.]+ s$'
    [[ "${stderr%%$'\n'*}" =~ $first ]]
    [[ "$stderr" == *"GFLOP/s in project + attend + backward, streaming path"* ]]
    run --separate-stderr selfattn grad --stats -H 2 -p grad_steps "$REPO_ROOT/data/sentence.json"
    [[ "$stderr" == *"+ backward, dense path"* ]]
}

@test "grad --help prints the usage, with grad's options" {
    run --separate-stderr selfattn grad --help
    assert_success
    assert_output "$(selfattn help grad)"
    assert_line --partial "selfattn grad [OPTIONS] [--dy FILE] INPUT"
    assert_line --regexp '^      --dy FILE '
}
