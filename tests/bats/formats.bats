#!/usr/bin/env bats
# Binary file formats: .npy inputs, biases and masks; weights as
# safetensors (F32, F64, F16, BF16; math and torch names) and .npz (stored,
# deflated); GPT-2 and BERT checkpoints with --layer; `inspect`; and the npy
# and npz output formats.  The fixtures are tests/formats/, made by
# tests/formats/make_formats.py (see its README.md); every test here runs in
# that directory so messages name the files briefly.  Malformed files of
# every format, with their exact messages, are cases of
# tests/bad/catalogue.tsv (catalogue.bats).

load ../helpers

FORMATS="$REPO_ROOT/tests/formats"

# The helpers' setup, then into the formats fixtures.
eval "helpers_$(declare -f setup)"
setup() {
    helpers_setup || return 1
    cd "$FORMATS" || return 1
}

# A report without the config fields that name files.
STRIP='del(.config.weights, .config.mask, .config.bias, .config.context, .config.input)'

# report FILE ARGS...: `selfattn run ARGS` into FILE, without file names.
report() {
    local file="$1"
    shift
    selfattn run "$@" | jq -c "$STRIP" >"$file"
}

# py CODE: Debian's python3 with NumPy, in the test's temp dir.
py() {
    (cd "$T" && /usr/bin/python3 -c "import numpy as np, json
$1")
}

# ---- .npy inputs ---------------------------------------------------------

@test "every .npy variant of the input (v1/v2/v3, <> f2 f4 f8, C and F order) gives the output of input.json" {
    # the config names no input file, so the whole reports are compared
    selfattn run -H 2 -w weights.json -p output,weights input.json >"$T/want.json"
    local count=0 failed="" f
    for f in input_v*.npy; do
        if ! selfattn run -H 2 -w weights.json -p output,weights "$f" >"$T/got.json" ||
           ! cmp -s "$T/got.json" "$T/want.json"; then
            failed="$failed $f"
        fi
        count=$((count + 1))
    done
    assert_equal "$count" 36
    assert_equal "$failed" ""
}

@test "an .npy input from standard input (-)" {
    report "$T/want.json" -H 2 input.json
    run selfattn run -H 2 - <input_v2_be_f8_F.npy
    assert_success
    assert_equal "$(jq -c "$STRIP" <<<"$output")" "$(cat "$T/want.json")"
}

@test "a 2-D bias as .npy equals the same bias as JSON" {
    report "$T/want.json" -H 2 -p output,weights --bias bias2.json input.json
    report "$T/got.json" -H 2 -p output,weights --bias bias2.npy input.json
    assert_same_file "$T/got.json" "$T/want.json"
    run selfattn run -H 2 --bias bias2.npy input.json
    assert_equal "$(jq -r .config.bias <<<"$output")" "bias2.npy"
}

@test "a 3-D per-head bias as .npy (f8 C order, f4 Fortran order) equals the JSON one" {
    report "$T/want.json" -H 2 -p output,weights --bias bias3.json input.json
    report "$T/got.json" -H 2 -p output,weights --bias bias3.npy input.json
    assert_same_file "$T/got.json" "$T/want.json"
    report "$T/got_F.json" -H 2 -p output,weights --bias bias3_F.npy input.json
    assert_same_file "$T/got_F.json" "$T/want.json"
    # and it is not the same as no bias
    report "$T/none.json" -H 2 -p output,weights input.json
    run cmp -s "$T/none.json" "$T/want.json"
    assert_failure
}

@test "a bool (|b1) and a float 0/1 mask as .npy equal the JSON mask" {
    report "$T/want.json" -H 2 -p output,weights --mask mask.json input.json
    report "$T/bool.json" -H 2 -p output,weights --mask mask_bool.npy input.json
    report "$T/float.json" -H 2 -p output,weights --mask mask_float.npy input.json
    assert_same_file "$T/bool.json" "$T/want.json"
    assert_same_file "$T/float.json" "$T/want.json"
    # masked cells get weight 0: mask.json row 1 is [1, 0, 0, 1, 0]
    run jq -c '[.weights[][0] | .[1], .[2], .[4]] | unique' "$T/bool.json"
    assert_output '[0]'
}

@test "a .npy mask from standard input" {
    report "$T/want.json" -H 2 -p weights --mask mask.json input.json
    run selfattn run -H 2 -p weights --mask - input.json <mask_bool.npy
    assert_success
    assert_equal "$(jq -r .config.mask <<<"$output")" "<stdin>"
    assert_equal "$(jq -c "$STRIP" <<<"$output")" "$(cat "$T/want.json")"
}

# ---- safetensors and npz weights -------------------------------------------

@test "safetensors F32, F64, F16 and BF16 weights give the output of the JSON weights" {
    # every value is k/16, exact in all four dtypes: the results are identical
    report "$T/want.json" -H 2 -p output,weights -w weights.json input.json
    local dtype failed=""
    for dtype in F32 F64 F16 BF16; do
        report "$T/$dtype.json" -H 2 -p output,weights -w "weights_$dtype.safetensors" input.json &&
            cmp -s "$T/$dtype.json" "$T/want.json" || failed="$failed $dtype"
    done
    assert_equal "$failed" ""
    run jq -r '.config.convention' "$T/BF16.json"
    assert_output "math"
}

@test "safetensors with torch names (in_proj_weight, out_proj.weight, ...)" {
    report "$T/want.json" -H 2 -p output,weights -w weights.json input.json
    run selfattn run -H 2 -p output,weights -w torch_F32.safetensors input.json
    assert_success
    assert_equal "$(jq -r .config.convention <<<"$output")" "torch"
    assert_equal "$(jq -c "$STRIP | del(.config.convention)" <<<"$output")" \
        "$(jq -c 'del(.config.convention)' "$T/want.json")"
}

@test "npz weights, stored (np.savez) and deflated (np.savez_compressed)" {
    report "$T/want.json" -H 2 -p output,weights -w weights.json input.json
    report "$T/stored.json" -H 2 -p output,weights -w weights_stored.npz input.json
    report "$T/deflated.json" -H 2 -p output,weights -w weights_deflated.npz input.json
    assert_same_file "$T/stored.json" "$T/want.json"
    assert_same_file "$T/deflated.json" "$T/want.json"
}

@test "safetensors and npz weights from standard input are recognised by content" {
    report "$T/want.json" -H 2 -w weights.json input.json
    local f
    for f in weights_F16.safetensors weights_deflated.npz; do
        run selfattn run -H 2 -w - input.json <"$f"
        assert_success
        assert_equal "$(jq -c "$STRIP" <<<"$output")" "$(cat "$T/want.json")"
    done
}

# ---- checkpoints -----------------------------------------------------------

@test "GPT-2 checkpoint, layer 2, --no-causal, against NumPy (both name prefixes)" {
    local ckpt
    for ckpt in gpt2.safetensors gpt2_transformer.safetensors; do
        selfattn run -H 2 --no-causal -w "$ckpt" --layer 2 input.json >"$T/got.json"
        run jsoncmp "$T/got.json" gpt2.layer2.expected.json output
        assert_success
        assert_equal "$(jq -c '.config | [.convention, .causal, .from_weights]' "$T/got.json")" '["gpt2",false,{}]'
    done
}

@test "GPT-2 checkpoint, layer 2, --causal, against NumPy" {
    selfattn run -H 2 -w gpt2_transformer.safetensors --layer 2 --causal input.json >"$T/got.json"
    run jsoncmp "$T/got.json" gpt2.layer2.causal.expected.json output
    assert_success
    # and not causal with --no-causal
    selfattn run -H 2 --no-causal -w gpt2.safetensors --layer 2 input.json >"$T/plain.json"
    run jsoncmp "$T/plain.json" gpt2.layer2.causal.expected.json output
    assert_failure
}

@test "GPT-2 checkpoint is causal without --causal: its layout says so, and the config says where from" {
    selfattn run -H 2 -w gpt2.safetensors --layer 2 input.json >"$T/got.json"
    run jsoncmp "$T/got.json" gpt2.layer2.causal.expected.json output
    assert_success
    assert_equal "$(jq -c '.config | [.causal, .from_weights]' "$T/got.json")" '[true,{"causal":"layout"}]'
    run selfattn run -H 2 -w gpt2.safetensors --layer 2 -f table input.json
    assert_line --index 0 "n = 5, d_model = 8, heads = 2, d_head = 4, d_out = 8, scale = 0.5, causal"
    assert_line --index 1 "weights: gpt2.safetensors, gpt2 layer 2; from the layout: causal"
}

@test "GPT-2 checkpoint without --layer uses layer 0" {
    selfattn run -H 2 --no-causal -w gpt2.safetensors input.json >"$T/got.json"
    run jsoncmp "$T/got.json" gpt2.layer0.expected.json output
    assert_success
}

@test "checkpoint heads from a config.json beside it, the same numbers as -H" {
    cp gpt2.safetensors bert.safetensors input.json "$T"
    echo '{"model_type": "gpt2", "n_head": 2, "n_embd": 8, "n_layer": 3}' >"$T/config.json"
    selfattn run -w "$T/gpt2.safetensors" --layer 2 input.json >"$T/got.json"
    run jsoncmp "$T/got.json" gpt2.layer2.causal.expected.json output
    assert_success
    assert_equal "$(jq -c '.config | [.heads, .d_head, .from_weights]' "$T/got.json")" \
        '[2,4,{"heads":"config.json","causal":"layout"}]'
    selfattn run -H 2 -w "$T/gpt2.safetensors" --layer 2 -p output,weights input.json >"$T/h2.json"
    selfattn run -w "$T/gpt2.safetensors" --layer 2 -p output,weights input.json >"$T/cfg.json"
    run jsoncmp "$T/cfg.json" "$T/h2.json" output weights
    assert_success
    run selfattn run -w "$T/gpt2.safetensors" --layer 2 -f table input.json
    assert_line --index 1 "weights: $T/gpt2.safetensors, gpt2 layer 2; from config.json: heads; from the layout: causal"
    # BERT's key is num_attention_heads; a GPT-2 config.json is another model's
    echo '{"model_type": "bert", "num_attention_heads": 2, "hidden_size": 8}' >"$T/config.json"
    selfattn run -w "$T/bert.safetensors" --layer 1 input.json >"$T/bert.json"
    run jsoncmp "$T/bert.json" bert.layer1.expected.json output
    assert_success
    assert_equal "$(jq -c '.config | [.heads, .causal, .from_weights]' "$T/bert.json")" \
        '[2,false,{"heads":"config.json","causal":"layout"}]'
    run --separate-stderr selfattn run -w "$T/gpt2.safetensors" input.json
    assert_usage_error "$T/gpt2.safetensors: nothing says the heads of this gpt2 checkpoint of width 8 (no config.json beside it gives them, and no known model has that width): give -H"
}

@test "a config.json beside a checkpoint that is wrong: status 65 naming it; with -H it is not read" {
    cp gpt2.safetensors "$T"
    echo '{"n_head": 3}' >"$T/config.json"
    run --separate-stderr selfattn run -w "$T/gpt2.safetensors" input.json
    assert_error 65 "selfattn: $T/config.json: n_head 3 does not divide the width 8 of the gpt2 checkpoint"
    echo '{"n_head": 2, "n_embd": 768}' >"$T/config.json"
    run --separate-stderr selfattn run -w "$T/gpt2.safetensors" input.json
    assert_error 65 "selfattn: $T/config.json: n_embd is not 8, the width of the gpt2 checkpoint: this config.json is another model's"
    echo '{"n_head": 2.5}' >"$T/config.json"
    run --separate-stderr selfattn run -w "$T/gpt2.safetensors" input.json
    assert_error 65 "selfattn: $T/config.json: n_head must be an integer from 1 to 65536"
    printf '{"n_head": 2,\n' >"$T/config.json"
    run --separate-stderr selfattn run -w "$T/gpt2.safetensors" input.json
    assert_error 65 "selfattn: $T/config.json:2:1: invalid JSON: unexpected end of input"
    echo '[2]' >"$T/config.json"
    run --separate-stderr selfattn run -w "$T/gpt2.safetensors" input.json
    assert_error 65 "selfattn: $T/config.json: not a model's config (a JSON object)"
    run selfattn run -H 2 -w "$T/gpt2.safetensors" input.json
    assert_success
}

@test "the known models' widths give their heads: GPT-2 768 has 12, BERT 128 has 2 (heads of width 64)" {
    py '
import struct
def st(tensors, path):
    header, buf = {}, b""
    for name, a in tensors.items():
        data = a.astype("<f2").tobytes()
        header[name] = {"dtype": "F16", "shape": list(a.shape), "data_offsets": [len(buf), len(buf) + len(data)]}
        buf += data
    raw = json.dumps(header).encode()
    raw += b" " * (-len(raw) % 8)
    open(path, "wb").write(struct.pack("<Q", len(raw)) + raw + buf)
rng = np.random.default_rng(0)
st({"h.0.attn.c_attn.weight": rng.standard_normal((768, 2304)) * 0.05}, "gpt2_768.safetensors")
p = "encoder.layer.0.attention.self."
st({p + k + ".weight": rng.standard_normal((128, 128)) * 0.1 for k in ("query", "key", "value")}, "bert_128.safetensors")
np.save("x768.npy", rng.standard_normal((3, 768)).astype("<f4"))
np.save("x128.npy", rng.standard_normal((4, 128)).astype("<f4"))'
    selfattn run -p output,weights -w "$T/gpt2_768.safetensors" "$T/x768.npy" >"$T/g.json"
    assert_equal "$(jq -c '.config | [.heads, .d_head, .causal, .from_weights]' "$T/g.json")" \
        '[12,64,true,{"heads":"layout","causal":"layout"}]'
    selfattn run -H 12 --causal -p output,weights -w "$T/gpt2_768.safetensors" "$T/x768.npy" >"$T/g12.json"
    run jsoncmp "$T/g.json" "$T/g12.json" output weights
    assert_success
    selfattn run -p output,weights -w "$T/bert_128.safetensors" "$T/x128.npy" >"$T/b.json"
    assert_equal "$(jq -c '.config | [.heads, .d_head, .causal, .from_weights]' "$T/b.json")" \
        '[2,64,false,{"heads":"layout","causal":"layout"}]'
    selfattn run -H 2 -p output,weights -w "$T/bert_128.safetensors" "$T/x128.npy" >"$T/b2.json"
    run jsoncmp "$T/b.json" "$T/b2.json" output weights
    assert_success
    # -H overrides the layout without a word
    run --separate-stderr selfattn run -H 1 -w "$T/gpt2_768.safetensors" "$T/x768.npy"
    assert_success
    assert_equal "$stderr" ""
    assert_equal "$(jq -c '.config | [.heads, .from_weights]' <<<"$output")" '[1,{"causal":"layout"}]'
}

@test "a safetensors file's __metadata__ selfattn.config gives the heads, and beats config.json" {
    py '
import struct
raw = open("'"$FORMATS"'/gpt2.safetensors", "rb").read()
n = struct.unpack("<Q", raw[:8])[0]
header = json.loads(raw[8:8 + n])
header["__metadata__"] = dict(header.get("__metadata__", {}), **{"selfattn.config": json.dumps({"heads": 2, "causal": False})})
text = json.dumps(header).encode()
text += b" " * (-len(text) % 8)
open("meta.safetensors", "wb").write(struct.pack("<Q", len(text)) + text + raw[8 + n:])'
    echo '{"n_head": 3}' >"$T/config.json"  # not read: the file's own config says
    selfattn run -w "$T/meta.safetensors" --layer 2 input.json >"$T/got.json"
    run jsoncmp "$T/got.json" gpt2.layer2.expected.json output
    assert_success
    assert_equal "$(jq -c '.config | [.heads, .causal, .from_weights]' "$T/got.json")" \
        '[2,false,{"heads":"config","causal":"config"}]'
}

@test "BERT checkpoint, layer 1, against NumPy" {
    selfattn run -H 2 -w bert.safetensors --layer 1 input.json >"$T/got.json"
    run jsoncmp "$T/got.json" bert.layer1.expected.json output
    assert_success
    run jq -c '[.config.convention, .config.out_proj, .config.biases, .config.d_out]' "$T/got.json"
    assert_output '["bert",true,true,8]'
}

# ---- inspect ---------------------------------------------------------------

@test "inspect an .npy file: dtype, shape, Fortran order" {
    run selfattn inspect input_v2_be_f8_F.npy
    assert_success
    run jq -c '[.format, .kind, .tensors, has("layout")]' <<<"$output"
    assert_output '["npy","array",[{"name":"array","dtype":"F64","shape":[5,8],"order":"F"}],false]'
    run selfattn inspect mask_bool.npy
    assert_equal "$(jq -c '.tensors[0] | [.dtype, .shape]' <<<"$output")" '["BOOL",[5,5]]'
    run selfattn inspect -f table input_v2_be_f8_F.npy
    assert_success
    assert_line --index 0 "input_v2_be_f8_F.npy: npy, 1 tensor"
    assert_line --index 1 --regexp '^  array +F64 +5 x 8 \(Fortran order\)$'
}

@test "inspect npz and safetensors weights: tensors and the math layout" {
    local f
    for f in weights_deflated.npz weights_BF16.safetensors; do
        run selfattn inspect "$f"
        assert_success
        run jq -c '[.kind, (.tensors | length), .tensors[0], .layout.convention, .layout.d_model, .layout.d_out, .layout.out_proj, .layout.biases]' <<<"$output"
        if [[ $f == *.npz ]]; then
            assert_output '["tensors",8,{"name":"Wq","dtype":"F32","shape":[8,8]},"math",8,8,true,true]'
        else
            assert_output '["tensors",8,{"name":"Wq","dtype":"BF16","shape":[8,8]},"math",8,8,true,true]'
        fi
    done
    run selfattn inspect torch_F32.safetensors
    assert_equal "$(jq -r .layout.convention <<<"$output")" "torch"
}

@test "inspect checkpoints: every tensor listed, gpt2 and bert layouts" {
    run selfattn inspect gpt2_transformer.safetensors
    assert_success
    run jq -c '[.format, (.tensors | length), .layout.convention, .layout.d_model, .layout.d_proj]' <<<"$output"
    assert_output '["safetensors",44,"gpt2",8,8]'
    run selfattn inspect bert.safetensors
    run jq -c '[(.tensors | length), .layout.convention]' <<<"$output"
    assert_output '[41,"bert"]'
    run selfattn inspect -f table gpt2.safetensors
    assert_success
    assert_line --index 0 "gpt2.safetensors: safetensors, 43 tensors"
    assert_line --regexp '^  h\.2\.attn\.c_attn\.weight +F32 +8 x 24$'
    assert_line "layout: gpt2: d_model 8, d_context 8, projection 8, key/value 8, d_out 8, output projection, biases"
}

@test "inspect JSON weights, a JSON input and a CSV input" {
    run selfattn inspect weights.json
    assert_success
    run jq -c '[.format, .kind, .layout.convention]' <<<"$output"
    assert_output '["json","tensors","math"]'
    run selfattn inspect input.json
    assert_success
    run jq -c '[.format, .kind, .shape, .tokens]' <<<"$output"
    assert_output '["json","matrix",[5,8],false]'
    run selfattn inspect "$FIXTURES/plain.csv"
    assert_success
    run jq -c '[.format, .kind, .shape]' <<<"$output"
    assert_output '["csv","matrix",[3,4]]'
    run selfattn inspect -f table input.json
    assert_output "input.json: json matrix, 5 x 8"
}

# ---- npy and npz output ----------------------------------------------------

@test "--format npy -o: the output as float32, bit for bit the JSON numbers" {
    selfattn run -H 2 -w weights.json input.json >"$T/out.json"
    run selfattn run -H 2 -w weights.json -f npy -o "$T/out.npy" input.json
    assert_success
    assert_output ""
    run py '
a = np.load("out.npy", allow_pickle=False)
j = np.array(json.load(open("out.json"))["output"], dtype=np.float32)
print(a.dtype, a.shape, np.array_equal(a.view(np.uint32), j.view(np.uint32)))'
    assert_success
    assert_output "float32 (5, 8) True"
}

@test "--format npy: weights are H x n x m, 1 x n x m with --head, the average n x m" {
    selfattn run -H 2 -p weights -f npy input.json >"$T/w.npy"
    selfattn run -H 2 -p weights --head 2 -f npy input.json >"$T/w2.npy"
    selfattn run -H 2 --average-heads -f npy -o "$T/avg.npy" input.json
    selfattn run -H 2 --average-heads input.json >"$T/avg.json"
    run py '
w, w2, a = np.load("w.npy"), np.load("w2.npy"), np.load("avg.npy")
j = np.array(json.load(open("avg.json"))["average_weights"], dtype=np.float32)
print(w.shape, w2.shape, a.shape, np.array_equal(a, j), np.array_equal(w[1:], w2))'
    assert_output "(2, 5, 5) (1, 5, 5) (5, 5) True True"
}

@test "--format npz: weights and average_weights side by side with -p weights --average-heads" {
    selfattn run -H 2 -p weights --average-heads -f npz -o "$T/w.npz" input.json
    run py '
z = np.load("w.npz")
print(sorted((k, z[k].shape) for k in z.files), np.allclose(z["weights"].mean(axis=0), z["average_weights"], atol=1e-7))'
    assert_output "[('average_weights', (5, 5)), ('weights', (2, 5, 5))] True"
}

@test "--format npz: output, weights and the steps by name, masked scores -inf" {
    selfattn run -H 2 -w weights.json --causal -p output,weights,steps input.json >"$T/out.json"
    run selfattn run -H 2 -w weights.json --causal -p output,weights,steps -f npz -o "$T/out.npz" input.json
    assert_success
    run py '
z = np.load("out.npz", allow_pickle=False)
j = json.load(open("out.json"))
print(sorted(z.files))
print({k: z[k].shape for k in z.files})
def f32(x): return np.array(x, dtype=np.float32)
same = [np.array_equal(z[k], f32(j[k])) for k in ("output", "weights")]
same += [np.array_equal(z[k], f32(j["steps"][k])) for k in ("Q", "K", "V", "raw_scores", "exp", "rowsum", "softmax", "head_output", "concat")]
s = z["scores"]
upper = np.triu(np.ones((5, 5), bool), 1)
print(all(same), bool(np.all(np.isneginf(s[:, upper]))), bool(np.all(np.isfinite(s[:, ~upper]))))
js = np.array([[[np.nan if v is None else v for v in r] for r in h] for h in j["steps"]["scores"]], dtype=np.float32)
print(np.array_equal(s[:, ~upper], js[:, ~upper]))'
    assert_success
    assert_line --index 0 "['K', 'Q', 'V', 'concat', 'exp', 'head_output', 'output', 'raw_scores', 'rowsum', 'scores', 'softmax', 'weights']"
    assert_line --index 1 "{'output': (5, 8), 'weights': (2, 5, 5), 'Q': (2, 5, 4), 'K': (2, 5, 4), 'V': (2, 5, 4), 'raw_scores': (2, 5, 5), 'scores': (2, 5, 5), 'exp': (2, 5, 5), 'rowsum': (2, 5), 'softmax': (2, 5, 5), 'head_output': (2, 5, 4), 'concat': (5, 8)}"
    assert_line --index 2 "True True True"
    assert_line --index 3 "True"
}

@test "--format npz to redirected standard output" {
    selfattn run -H 2 -f npz input.json >"$T/out.npz"
    run py 'print(np.load("out.npz").files)'
    assert_output "['output']"
}

@test "a binary format to a terminal is refused" {
    command -v script >/dev/null || skip "no script(1) to give a terminal"
    run script -qec "'$SELFATTN' run -f npy input.json" /dev/null </dev/null
    assert_equal "$status" 64
    assert_output --partial "selfattn: --format npy is binary: use -o FILE or redirect standard output"
    run script -qec "'$SELFATTN' run -f npz -o - input.json" /dev/null </dev/null
    assert_equal "$status" 64
    assert_output --partial "selfattn: --format npz is binary: use -o FILE or redirect standard output"
    # -o FILE is fine on a terminal
    run script -qec "'$SELFATTN' run -f npz -o '$T/t.npz' input.json" /dev/null </dev/null
    assert_success
    [ -s "$T/t.npz" ]
}
