#!/usr/bin/env bats
# numpy_batch.bats — NumPy batches: a (B, n, d) .npy input, or an .npz
# array, is B sequences, each computed as `run` computes it alone (the
# same weights, generated once, and options), with a context and a mask
# per sequence or one for all; every output format has the batch axis;
# integer .npy arrays are read where float32 holds them exactly.  The
# errors (a 4-D array, a B that differs, an integer past 2^24) are
# tests/bad/catalogue.tsv's; the batched NumPy reference case is
# reference.bats's.

load ../helpers

# The fixtures, made once: a batch of 3 sequences of 4 tokens of width 8
# (b.npy) and each sequence alone (s0.npy ...), contexts of 5 rows of width
# 6 per sequence (c.npy, and c0.npy ... alone) and for all (ctx2d.npy),
# masks per sequence (m.npy, query 2 of sequence 1 seeing nothing; m0.npy
# ... alone) and for all (mask2.npy), a bias for all (bias.npy), and the batch as
# small integers in every integer dtype (int_<dtype>.npy) beside the same
# values as float32 (int_f4.npy).
setup_file() {
    cd "$BATS_FILE_TMPDIR" && /usr/bin/python3 -c '
import numpy as np
rng = np.random.default_rng(2026)
x = rng.standard_normal((3, 4, 8)).astype(np.float32)
ctx = rng.standard_normal((3, 5, 6)).astype(np.float32)
mask = (rng.random((3, 4, 5)) < 0.6).astype(np.uint8)
mask[:, :, 0] = 1
mask[1, 2, :] = 0
np.save("b.npy", x)
np.save("c.npy", ctx)
np.save("ctx2d.npy", ctx[2])
np.save("m.npy", mask)
np.save("mask2.npy", mask[0, :, :4].astype(bool))
np.save("bias.npy", rng.standard_normal((4, 4)).astype(np.float32))
for b in range(3):
    np.save("s%d.npy" % b, x[b])
    np.save("c%d.npy" % b, ctx[b])
    np.save("m%d.npy" % b, mask[b])
ints = rng.integers(0, 100, (3, 4, 8))
np.save("int_f4.npy", ints.astype(np.float32))
for t in ("i1", "<i2", ">i2", "<i4", ">i4", "<i8", ">i8",
          "u1", "<u2", ">u2", "<u4", ">u4", "<u8", ">u8"):
    np.save("int_%s.npy" % t.replace("<", "le").replace(">", "be"), ints.astype(t))
np.save("int_fortran.npy", np.asfortranarray(ints.astype("<i4")))
np.savez("only.npz", x)
np.savez("named_x.npz", x=x, mask=mask)
np.savez("named_input.npz", input=x, other=ctx)
'
}

setup() {
    set -o pipefail
    cd "$BATS_FILE_TMPDIR" || return 1
    T="$BATS_TEST_TMPDIR"
}

# py CODE: Debian's python3 with NumPy, in the fixtures' directory.
py() {
    /usr/bin/python3 -c "import numpy as np, json
$1"
}

# sequence_of FILE B: sequence B of a batch result's output, weights and
# average_weights, as the JSON document of one sequence.
sequence_of() {
    jq --argjson b "$2" 'with_entries(select(.key == "output" or .key == "weights"
        or .key == "average_weights")) | map_values(.[$b])' "$1"
}

# same_as_alone ARGS... -- FILE_ARGS... : every sequence of `run ARGS
# FILE_ARGS b.npy` equals `run ARGS FILE_ARGS sB.npy` within jsoncmp's
# tolerance, where "{b}" in FILE_ARGS is nothing for the batch (c{b}.npy
# is c.npy, its contexts) and the sequence alone (c0.npy ...).
same_as_alone() {
    local -a common=() all=() alone=()
    local arg b
    while [[ $1 != -- ]]; do common+=("$1"); shift; done
    shift
    for arg in "$@"; do all+=("${arg//\{b\}/}"); done
    selfattn run "${common[@]}" "${all[@]}" b.npy >"$T/batch.json" 2>/dev/null || return 1
    for b in 0 1 2; do
        alone=()
        for arg in "$@"; do alone+=("${arg//\{b\}/$b}"); done
        selfattn run "${common[@]}" "${alone[@]}" "s$b.npy" >"$T/alone$b.json" \
            2>/dev/null || return 1
        sequence_of "$T/batch.json" "$b" >"$T/seq$b.json"
        jsoncmp "$T/alone$b.json" "$T/seq$b.json" >/dev/null || {
            echo "sequence $b differs from its run alone with ${common[*]} ${alone[*]}"
            return 1
        }
    done
    echo "3 sequences as alone"
}

# ---- computation ---------------------------------------------------------

@test "each sequence of a batch equals run on it alone: streaming (-p output) and dense (-p weights) paths, 1 and 2 threads" {
    run same_as_alone -H 2 --causal --
    assert_output "3 sequences as alone"
    run same_as_alone -H 2 -p output,weights --average-heads --
    assert_output "3 sequences as alone"
    run same_as_alone -t 1 -H 4 --window 1 --rope -p output,weights --
    assert_output "3 sequences as alone"
    run same_as_alone -t 2 -H 2 --pos sinusoidal --alibi --
    assert_output "3 sequences as alone"
}

@test "with given weights, a context per sequence (B x m x d_ctx), or one 2-D context for all" {
    selfattn init --d-model 8 --d-context 6 -H 2 --out-proj --seed 5 >"$T/w.json"
    run same_as_alone -H 2 -w "$T/w.json" -p output,weights -- --context 'c{b}.npy'
    assert_output "3 sequences as alone"
    run same_as_alone -H 2 -p output,weights -- --context ctx2d.npy
    assert_output "3 sequences as alone"
}

@test "a mask per sequence (B x n x m .npy), or one 2-D mask for all, and a bias for all" {
    run same_as_alone -H 2 -p output,weights -- --context 'c{b}.npy' --mask 'm{b}.npy'
    assert_output "3 sequences as alone"
    run same_as_alone -H 2 -p output,weights --bias bias.npy --mask mask2.npy --
    assert_output "3 sequences as alone"
    # the query of sequence 1 that sees no key is named by [sequence, row]
    run --separate-stderr selfattn run -H 2 --context c.npy --mask m.npy b.npy
    assert_success
    assert_equal "$stderr" "selfattn: warning: query row [1, 2] (sequence and row, counting from 0) sees no key after masking; its weights and head outputs are zero"
}

@test "the weights are generated once, from the width d, as for one sequence" {
    selfattn run -H 2 -p output b.npy | jq -c '.config | [.batch, .n, .m, .d_model, .seed, .convention]' >"$T/c"
    assert_equal "$(cat "$T/c")" '[3,4,4,8,0,"seed"]'
    selfattn init --d-model 8 -H 2 >"$T/w.json"
    selfattn run -H 2 -w "$T/w.json" b.npy >"$T/given.json"
    selfattn run -H 2 b.npy >"$T/generated.json"
    run jsoncmp "$T/given.json" "$T/generated.json" output
    assert_success
}

@test "-t 1 and -t 2 agree; a batch of one keeps its batch axis" {
    selfattn run -t 1 -H 2 -p output,weights b.npy >"$T/t1.json"
    selfattn run -t 2 -H 2 -p output,weights b.npy >"$T/t2.json"
    run jsoncmp "$T/t2.json" "$T/t1.json"
    assert_success
    py 'np.save("'"$T"'/one.npy", np.load("b.npy")[1:2])'
    selfattn run -H 2 -p output,weights "$T/one.npy" >"$T/one.json"
    assert_equal "$(jq -c '[.config.batch, (.output | length), (.weights | length)]' "$T/one.json")" '[1,1,1]'
    sequence_of "$T/one.json" 0 >"$T/seq.json"
    selfattn run -H 2 -p output,weights s1.npy >"$T/alone.json"
    run jsoncmp "$T/alone.json" "$T/seq.json"
    assert_success
}

@test "a batch from standard input, and the input of an .npz: its only array, x, or input" {
    selfattn run -H 2 b.npy >"$T/file.json"
    selfattn run -H 2 - <b.npy >"$T/stdin.json"
    run jsoncmp "$T/stdin.json" "$T/file.json" output
    assert_success
    for z in only named_x named_input; do
        selfattn run -H 2 "$z.npz" >"$T/$z.json"
        run jsoncmp "$T/$z.json" "$T/file.json" output
        assert_success
    done
    # a 2-D array of an .npz is one sequence
    py 'np.savez("'"$T"'/one.npz", x=np.load("s0.npy"))'
    selfattn run -H 2 "$T/one.npz" >"$T/one.json"
    selfattn run -H 2 s0.npy >"$T/s0.json"
    assert_equal "$(jq .config.batch "$T/one.json")" null
    run jsoncmp "$T/one.json" "$T/s0.json" output
    assert_success
}

# ---- integers --------------------------------------------------------------

@test "integer .npy inputs of every dtype and byte order (and Fortran order) equal the same values as float32" {
    selfattn run -H 2 -p output,weights int_f4.npy >"$T/f4.json"
    for f in int_*.npy; do
        [[ $f == int_f4.npy ]] && continue
        selfattn run -H 2 -p output,weights "$f" >"$T/got.json"
        run jsoncmp "$T/got.json" "$T/f4.json" output weights
        [[ $status == 0 ]] || echo "$f differs"
        assert_success
    done
}

@test "integer masks (u1) and integer .npz weights are read as their values" {
    py 'm = np.load("mask2.npy")
np.save("'"$T"'/u1.npy", m.astype(np.uint8))
np.save("'"$T"'/f4.npy", m.astype(np.float32))'
    selfattn run -H 2 -p weights --mask "$T/u1.npy" s0.npy >"$T/u1.json"
    selfattn run -H 2 -p weights --mask "$T/f4.npy" s0.npy >"$T/f4.json"
    run jsoncmp "$T/u1.json" "$T/f4.json" weights
    assert_success
    py '
rng = np.random.default_rng(1)
w = {k: rng.integers(-3, 4, (8, 8)) for k in ("Wq", "Wk", "Wv")}
np.savez("'"$T"'/wi.npz", **{k: v.astype("<i2") for k, v in w.items()})
np.savez("'"$T"'/wf.npz", **{k: v.astype(np.float32) / 1 for k, v in w.items()})'
    selfattn run -H 2 --scale 0.01 -w "$T/wi.npz" b.npy >"$T/wi.json"
    selfattn run -H 2 --scale 0.01 -w "$T/wf.npz" b.npy >"$T/wf.json"
    run jsoncmp "$T/wi.json" "$T/wf.json" output
    assert_success
}

# ---- output formats ------------------------------------------------------------

@test "JSON: config.batch, and a leading batch axis on output, weights, average_weights and every step" {
    run selfattn run -H 2 -p output,weights,steps --average-heads b.npy
    assert_success
    assert_equal "$(jq -c '[.config.batch, .config.n, .config.m]' <<<"$output")" '[3,4,4]'
    assert_equal "$(jq -c '[.output, .weights, .average_weights, .steps.Q, .steps.K,
        .steps.scores, .steps.softmax] | map([length, (.[0] | length), (.[0][0] | length),
        (.[0][0][0] | if type == "array" then length else "number" end)])' <<<"$output")" \
        '[[3,4,8,"number"],[3,2,4,4],[3,4,4,"number"],[3,2,4,4],[3,2,4,4],[3,2,4,4],[3,2,4,4]]'
    run selfattn run -H 2 -p weights --head 2 b.npy
    assert_equal "$(jq -c '[.weights | length, (.[0] | length)]' <<<"$output")" '[3,1]'
    run selfattn run -H 2 s0.npy
    assert_equal "$(jq -c '.config.batch' <<<"$output")" null
}

@test "-f npy and -f npz: every array with the leading batch axis, the numbers of JSON" {
    selfattn run -H 2 -p output,weights,steps --average-heads b.npy >"$T/all.json"
    selfattn run -H 2 -f npy -o "$T/out.npy" b.npy
    selfattn run -H 2 -p weights -f npy -o "$T/w.npy" b.npy
    selfattn run -H 2 -p weights --head 2 -f npy -o "$T/w2.npy" b.npy
    selfattn run -H 2 --average-heads -f npy -o "$T/avg.npy" b.npy
    selfattn run -H 2 -p output,weights,steps --average-heads -f npz -o "$T/all.npz" b.npy
    selfattn run -H 2 -p weights,steps --head 1 -f npz -o "$T/h1.npz" b.npy
    run py '
T = "'"$T"'"
j = json.load(open(T + "/all.json"))
o, w, w2, a = (np.load(T + f) for f in ("/out.npy", "/w.npy", "/w2.npy", "/avg.npy"))
z, h = np.load(T + "/all.npz"), np.load(T + "/h1.npz")
print(o.shape, w.shape, w2.shape, a.shape)
print({k: z[k].shape for k in z.files})
print({k: h[k].shape for k in h.files})
close = lambda x, y: np.allclose(x, np.array(y, dtype=np.float32), rtol=1e-6, atol=1e-7)
print(close(o, j["output"]), close(w, j["weights"]), np.array_equal(w[:, 1:], w2),
      close(a, j["average_weights"]), close(z["Q"], j["steps"]["Q"]),
      np.array_equal(h["weights"], w[:, :1]), np.array_equal(h["V"], z["V"][:, :1]))
print(all(close(z[k], j["steps"][k]) for k in ("raw_scores", "exp", "rowsum", "head_output", "concat")))'
    assert_success
    assert_line --index 0 "(3, 4, 8) (3, 2, 4, 4) (3, 1, 4, 4) (3, 4, 4)"
    assert_line --index 1 "{'output': (3, 4, 8), 'weights': (3, 2, 4, 4), 'average_weights': (3, 4, 4), 'Q': (3, 2, 4, 4), 'K': (3, 2, 4, 4), 'V': (3, 2, 4, 4), 'raw_scores': (3, 2, 4, 4), 'scores': (3, 2, 4, 4), 'exp': (3, 2, 4, 4), 'rowsum': (3, 2, 4), 'softmax': (3, 2, 4, 4), 'head_output': (3, 2, 4, 4), 'concat': (3, 4, 8)}"
    assert_line --index 2 "{'weights': (3, 1, 4, 4), 'Q': (3, 1, 4, 4), 'K': (3, 1, 4, 4), 'V': (3, 1, 4, 4), 'raw_scores': (3, 1, 4, 4), 'scores': (3, 1, 4, 4), 'exp': (3, 1, 4, 4), 'rowsum': (3, 1, 4), 'softmax': (3, 1, 4, 4), 'head_output': (3, 1, 4, 4), 'concat': (3, 4, 8)}"
    assert_line --index 3 "True True True True True True True"
    assert_line --index 4 "True"
}

@test "-f csv: a line saying so, then each block with every sequence's rows, the sequence first" {
    selfattn run -H 2 -p output,weights b.npy >"$T/b.json"
    run selfattn run -H 2 -p output,weights -f csv b.npy
    assert_success
    assert_line --index 0 "# batch: 3 sequences; each row starts with its sequence, from 0"
    assert_line --index 1 "# output (4 x 8)"
    # output: 12 rows of 1 + 8 fields, sequences 0 0 0 0 1 1 1 1 2 2 2 2
    sed -n '3,14p' <<<"$output" >"$T/rows"
    assert_equal "$(cut -d, -f1 "$T/rows" | tr '\n' ' ')" "0 0 0 0 1 1 1 1 2 2 2 2 "
    assert_equal "$(awk -F, '{print NF}' "$T/rows" | sort -u)" "9"
    assert_line --index 14 "# weights, head 1 (4 x 4)"  # (lines has no blank lines)
    assert_line --index 27 "# weights, head 2 (4 x 4)"
    assert_equal "$(grep -c '^$' <<<"$output")" 4  # two between blocks
    # row 2 of sequence 1 is the JSON's .output[1][2]
    echo "{\"r\": [$(sed -n 7p "$T/rows" | cut -d, -f2-)]}" >"$T/got.json"
    jq '{r: .output[1][2]}' "$T/b.json" >"$T/want.json"
    run jsoncmp "$T/got.json" "$T/want.json"
    assert_success
}

@test "-f table: the summary says batch = 3, then each sequence's blocks under its heading" {
    run selfattn run -H 2 -p output,weights -f table b.npy
    assert_success
    assert_line --index 0 "batch = 3, n = 4, d_model = 8, heads = 2, d_head = 4, d_out = 8, scale = 0.5"
    assert_equal "$(grep -c '^sequence [123]$' <<<"$output")" 3
    assert_equal "$(grep -A2 '^sequence 2$' <<<"$output" | tail -n 1)" "weights, head 1 (4 × 4)"
    assert_equal "$(grep -c '^output (4 × 8)$' <<<"$output")" 3
}

@test "-f heatmap and -f svg: a panel per sequence and head, each with its own mask hatched" {
    run selfattn run -H 2 --context c.npy --mask m.npy -f heatmap --color never b.npy
    assert_success
    assert_equal "$(grep -c '^weights, sequence [123], head [12] (4 × 5)$' <<<"$output")" 6
    # query 2 of sequence 1 sees no key: its row is all masked there only
    assert_equal "$(grep -A4 '^weights, sequence 2, head 1' <<<"$output" | sed -n 5p)" "2 ··········"
    assert_equal "$(grep -A4 '^weights, sequence 1, head 1' <<<"$output" | sed -n 5p | grep -c '··········')" 0
    selfattn run -H 2 --mask mask2.npy -f svg -o "$T/w.svg" b.npy
    run xmllint --noout "$T/w.svg"
    assert_success
    assert_equal "$(grep -o 'sequence [123], head [12] (4 × 4)' "$T/w.svg" | sort -u | wc -l)" 6
    # a tooltip for the image and each of 3 sequences x 2 heads x 16 cells;
    # the mask's cells hatched in each panel, and the legend's swatch
    assert_equal "$(grep -o '<title>' "$T/w.svg" | wc -l)" 97
    zeros="$(py 'print(int((np.load("mask2.npy") == 0).sum()))')"
    assert_equal "$(grep -o 'url(#masked)' "$T/w.svg" | wc -l)" "$((6 * zeros + 1))"
    # a row of panels per sequence: two panels side by side, three rows
    assert_equal "$(grep -o '<g transform="translate([0-9.]*,[0-9.]*)">' "$T/w.svg" |
        sed 's/.*(\(.*\),\(.*\)).*/\2/' | uniq -c | awk '{print $1}' | tr '\n' ' ')" "2 2 2 1 "
}

@test "memory is checked up front for the whole batch: the weights to print, and what the machine has" {
    py 'np.save("'"$T"'/big.npy", np.zeros((64, 65536, 1), "i1"))'
    run --separate-stderr selfattn run -p weights "$T/big.npy"
    assert_equal "$status" 65
    assert_equal "${stderr%% but only *}" "selfattn: printing weights needs 1024.0 GiB for 64 sequences of 1 x 65536 x 65536 matrices"
    assert_equal "${stderr#*available; }" "drop weights from --print to stream the attention in O(n) memory"
    # outputs of 65536 columns: 1 TiB for the 64, and a pass running
    run --separate-stderr selfattn run -t 1 --d-head 65536 "$T/big.npy"
    assert_equal "$status" 71
    assert_equal "${stderr%%, more than*}" "selfattn: a batch of 64 sequences of 65536 x 65536 attention with 1 heads needs 1.1 TiB"
}
