#!/usr/bin/python3
"""make_corpus.py — writes the seed corpora tests/fuzz/corpus/NAME/ of the
libFuzzer harnesses from the repository's small test files plus a few
hand-made edge cases.  Python's standard library only, plus ./selfattn
(built) for the saved results that `plot` reads.  Rerun from the
repository root after the fixtures change:

    /usr/bin/python3 tests/fuzz/make_corpus.py

It deletes and rewrites every file under tests/fuzz/corpus/.  Each file is
under 100 kB; each corpus a few to ~40 files.
"""
import glob
import json
import os
import shutil
import struct
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "lib"))
from fixture_io import npy_file, npy_header, safetensors_file, zip_file  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
os.chdir(ROOT)
OUT = "tests/fuzz/corpus"
LIMIT = 100_000
corpora = {}


def add(name, label, data):
    if isinstance(data, str):
        data = data.encode()
    assert len(data) < LIMIT, (name, label, len(data))
    corpora.setdefault(name, {})[label] = data


def add_file(name, path, label=None):
    with open(path, "rb") as f:
        add(name, label or os.path.basename(path), f.read())


# ---- .npy, zip and safetensors helpers -------------------------------------
def npy(descr, shape, payload, fortran=False):
    return npy_file(npy_header(descr, shape, fortran), payload)


def f32(values, big=False):
    return struct.pack((">" if big else "<") + "%df" % len(values), *values)


def safetensors(tensors, metadata=None):
    """tensors: list of (name, dtype, shape, bytes)."""
    header, at, blob = {}, 0, b""
    if metadata is not None:
        header["__metadata__"] = metadata
    for name, dtype, shape, data in tensors:
        header[name] = {"dtype": dtype, "shape": shape,
                        "data_offsets": [at, at + len(data)]}
        at += len(data)
        blob += data
    return safetensors_file(header, blob)


# ---- json_matrix -----------------------------------------------------------
for p in ["data/classic.json", "data/sentence.json", "tests/formats/input.json"] + \
        sorted(glob.glob("tests/bats/fixtures/*.json")) + \
        ["tests/reference/cases/torch_tokens.input.json",
         "tests/reference/cases/numpy_classic.input.json",
         "tests/reference/cases/torch_n1_d4_h2.input.json"]:
    if "weights" not in p and not os.path.basename(p).startswith("w_"):
        add_file("json_matrix", p)
add("json_matrix", "bom_object",
    '\ufeff {"tokens": ["a", "\\u00e9"], "embeddings": [[1, 2.5e-3], [-0.0, 1e-45]]}\r\n')
add("json_matrix", "tokens_null", '{"tokens": null, "embeddings": [[1]]}')
add("json_matrix", "too_big", "[[1e39, 3.4028235e38]]")
add("json_matrix", "weights_not_input", '{"Wq": [[1]], "in_proj_weight": [[1]]}')
add("json_matrix", "bools", "[[true, false], [null, 1]]")
add("json_matrix", "nested", "[[[1]], [[2]]]")
add("json_matrix", "trailing", "[[1, 2]] x")
add("json_matrix", "empty_row", "[[]]")
add("json_matrix", "nul", b"[[1, 2]\x00]")

# ---- csv -------------------------------------------------------------------
for p in ["data/sentence.csv"] + sorted(glob.glob("tests/bats/fixtures/*.csv")):
    add_file("csv", p, "fixture_" + os.path.basename(p))
add("csv", "pandas_index", ",0,1,2\na,1,2,3\nb,4,5,6\n")
add("csv", "bom_crlf_comments", "\ufeff# comment\r\n\r\n1,2\r\n  # indented\r\n3,4\r\n")
add("csv", "quoted", 'token,x,y\n"a, ""quoted""",1,2\n"b" ,3 , 4\n')
add("csv", "labels", "the,1,2\ncat,3,4\n")
add("csv", "header_only_value", "x\n1\n2\n")
add("csv", "specials", "1e39,nan,inf\n0x1p3,-0,1e-45\n")
add("csv", "blanks", "  1 ,\t2\t\n\n3,4")
add("csv", "tabs", "token\te0\te1\nthe\t1\t2\n\tcat\t3\t4 \n")
add("csv", "semicolons", "1;2;3\n\"4;x\";5;6\n")
add("csv", "index_names", "0,1,2\n0.5,1,2\n3,4,5\n")
add("csv", "mixed", "1,2\n3\t4\n")
add("csv", "trailing_comma", "1,2,\n3,4,\n")
add("csv", "label_no_values", "a\nb\n")
add("csv", "unterminated", '1,"2\n3,4\n')
add("csv", "json_guess", '[[1, 2]]')

# ---- npy -------------------------------------------------------------------
for p in sorted(glob.glob("tests/formats/*.npy")):
    b = os.path.basename(p)
    # the input in every variant: one of each version, order, width, layout
    if b.startswith("input_") and not any(k in b for k in (
            "v1_le_f4_C", "v1_be_f8_F", "v2_le_f2_F", "v2_be_f4_C",
            "v3_le_f8_C", "v3_be_f2_F", "v1_le_f2_C", "v3_le_f4_F")):
        continue
    add_file("npy", p)
add("npy", "scalar", npy("<f4", (), f32([1.5])))
add("npy", "vector", npy("<f4", (3,), f32([1, 2, 3])))
add("npy", "fortran_3d", npy("<f4", (2, 2, 2), f32(range(8)), fortran=True))
add("npy", "bool", npy("|b1", (2, 3), bytes([1, 0, 1, 0, 1, 1])))
add("npy", "native_order", npy("=f4", (1, 2), f32([1, 2])))
add("npy", "double_quotes", npy("<f4", (1, 2), f32([1, 2])).replace(b"'", b'"'))
add("npy", "zero_dim", npy("<f4", (0, 3), b""))
add("npy", "eight_dims", npy("<f4", (1,) * 8, f32([7])))
add("npy", "nine_dims", npy("<f4", (1,) * 9, f32([7])))
add("npy", "big_f8", npy(">f8", (2, 1), struct.pack(">2d", 1e300, -2.0)))
add("npy", "header_at_end", b"\x93NUMPY\x01\x00\x10\x00{'descr': '<f4'")
# integers (exact in float32 up to 2^24) and batches of 3 dimensions
add("npy", "i1", npy("|i1", (2, 3), bytes([1, 255, 127, 128, 0, 3])))
add("npy", "u2_be", npy(">u2", (2, 2), struct.pack(">4H", 1, 2, 65535, 0)))
add("npy", "i4_range", npy("<i4", (1, 3), struct.pack("<3i", 16777216, -16777217, 5)))
add("npy", "u8_fortran", npy("<u8", (2, 2), struct.pack("<4Q", 1, 2**64 - 1, 3, 2**25),
                             fortran=True))
add("npy", "i8_be_3d", npy(">i8", (2, 1, 2), struct.pack(">4q", -1, 2, -(2**63), 4)))
add("npy", "batch_f4", npy("<f4", (2, 3, 2), f32(range(12))))
add("npy", "batch_f2_fortran", npy("<f2", (2, 2, 2), struct.pack("<8e", *range(8)),
                                   fortran=True))

# ---- npz -------------------------------------------------------------------
for p in sorted(glob.glob("tests/formats/*.npz")):
    add_file("npz", p)
eye = npy("<f4", (2, 2), f32([1, 0, 0, 1]))
vec = npy("<f4", (2,), f32([0.5, -0.5]))
math = [("Wq.npy", eye), ("Wk.npy", eye), ("Wv.npy", eye), ("Wo.npy", eye),
        ("bq.npy", vec)]
add("npz", "math_stored", zip_file(math))
add("npz", "math_deflated_comment", zip_file(math, True, b"a comment"))
six = npy("<f4", (6, 2), f32(range(12)))
add("npz", "torch", zip_file([("in_proj_weight.npy", six),
                              ("in_proj_bias.npy", npy("<f4", (6,), f32(range(6)))),
                              ("out_proj.weight.npy", eye)]))
add("npz", "gpt2_f8", zip_file([
    ("h.0.attn.c_attn.weight.npy", npy("<f8", (2, 6), struct.pack("<12d", *range(12)))),
    ("h.1.attn.c_attn.weight.npy", npy("<f4", (2, 6), f32(range(12)), fortran=True)),
    ("h.0.attn.c_proj.weight.npy", eye)], True))
add("npz", "bert_f2", zip_file([
    ("bert.encoder.layer.%d.attention.self.%s.weight.npy" % (l, part),
     npy("<f2", (2, 2), struct.pack("<4e", 1, 0, 0, 1)))
    for l in (0, 1) for part in ("query", "key", "value")]))
add("npz", "empty_archive", zip_file([]))
add("npz", "bool_member", zip_file([("m.npy", npy("|b1", (1, 2), b"\x01\x00"))]))
# inputs: a batch under x, integers under input, one 2-D array of any name
add("npz", "input_x_batch", zip_file([("x.npy", npy("<f4", (2, 2, 3), f32(range(12)))),
                                      ("mask.npy", npy("|u1", (2, 2, 2), bytes(8)))]))
add("npz", "input_ints", zip_file([("input.npy", npy("<i2", (2, 2), struct.pack("<4h", 1, -2, 3, 4))),
                                   ("other.npy", eye)], True))
add("npz", "input_only", zip_file([("arr_0.npy", eye)]))

# ---- safetensors -----------------------------------------------------------
for p in sorted(glob.glob("tests/formats/*.safetensors")):
    add_file("safetensors", p)
one = f32([1, 0, 0, 1])
add("safetensors", "math_meta", safetensors(
    [("Wq", "F32", [2, 2], one), ("Wk", "F32", [2, 2], one), ("Wv", "F32", [2, 2], one),
     ("bo", "F32", [2], f32([1, 2]))], {"format": "pt"}))
add("safetensors", "math_config", safetensors(
    [("Wq", "F32", [2, 2], one), ("Wk", "F32", [2, 2], one), ("Wv", "F32", [2, 2], one)],
    {"format": "pt", "selfattn.config": json.dumps(
        {"heads": 2, "kv_heads": 1, "causal": True, "rope": {"style": "neox"}})}))
add("safetensors", "torch_separate", safetensors(
    [("q_proj_weight", "BF16", [2, 2], b"\x80\x3f\x00\x00\x00\x00\x80\x3f"),
     ("k_proj_weight", "F16", [2, 3], struct.pack("<6e", *range(6))),
     ("v_proj_weight", "F64", [2, 3], struct.pack("<6d", *range(6)))]))
add("safetensors", "bool_and_empty", safetensors(
    [("mask", "BOOL", [2, 2], b"\x01\x00\x01\x01"), ("none", "F32", [0, 4], b""),
     ("scalar", "F32", [], f32([3]))]))
add("safetensors", "empty_header", safetensors([]))
add("safetensors", "gpt2_small", safetensors(
    [("transformer.h.%d.attn.c_attn.weight" % l, "F32", [2, 6], f32(range(12)))
     for l in (0, 1)] + [("transformer.h.0.attn.c_proj.bias", "F32", [2], f32([1, 1]))]))

# ---- json_weights ----------------------------------------------------------
for p in ["tests/formats/weights.json", "data/classic.weights.json"] + \
        sorted(glob.glob("tests/bats/fixtures/w_*.json")) + \
        ["tests/reference/cases/%s.weights.json" % c for c in (
            "torch_n1_d4_h2", "torch_nobias", "numpy_Wo_dout", "numpy_noWo",
            "torch_n5_d8_h2")]:
    add_file("json_weights", p, p.split("/")[-1] if "cases" not in p else
             "case_" + os.path.basename(p))
add("json_weights", "torch_separate", json.dumps({
    "q_proj_weight": [[1, 0], [0, 1]], "k_proj_weight": [[1, 0, 1], [0, 1, 0]],
    "v_proj_weight": [[1, 2, 3], [4, 5, 6]], "out_proj.weight": [[1, 1]],
    "out_proj.bias": [0.5]}))
add("json_weights", "config_and_comment", json.dumps({
    "config": {"heads": 2}, "_comment": "ignored", "Wq": [[1, 2], [3, 4]],
    "Wk": [[1, 0], [0, 1]], "Wv": [[-0.0, 1e-45], [3.4028235e38, -1]],
    "bq": [1, 2], "bk": [0, 0], "bv": [1, 1]}))
add("json_weights", "config_settings", json.dumps({
    "config": {"heads": 2, "kv_heads": 1, "scale": 0.5, "causal": True, "window": 1,
               "softcap": 30, "rope": {"base": 500, "style": "neox"}, "d_model": 2,
               "d_context": 2, "d_head": 1, "generator": "hand"},
    "Wq": [[1, 2], [3, 4]], "Wk": [[1], [0]], "Wv": [[2], [1]]}))
add("json_weights", "gqa", json.dumps({
    "Wq": [[1, 0, 0, 1], [0, 1, 1, 0]], "Wk": [[1, 0], [0, 1]], "Wv": [[1, 2], [3, 4]],
    "Wo": [[1], [2], [3], [4]], "bo": [0.25]}))
add("json_weights", "with_rows", json.dumps({
    "Wq": [[1, 0], [0, 1]], "Wk": [[0, 1], [1, 0]], "Wv": [[1, 2], [3, 4]],
    "_x": [[1, 2], [3, -4], [0.5, 0], [-1, 1]], "_ctx": [[1, 1], [2, -2]],
    "_heads": 2, "_window": 1, "_causal": False, "_compare": True}))
add("json_weights", "cross", json.dumps({
    "Wq": [[1, 0], [0, 1], [1, 1]], "Wk": [[1, 0]], "Wv": [[2, 2]]}))

# ---- mask_bias: 4 bytes (n-1, m-1, heads-1, name) then the file ----------------
NAMES = {".json": 0, ".csv": 1, ".npy": 2}


def shape_of(path, data):
    if path.endswith(".npy"):
        hl = struct.unpack("<H", data[8:10])[0]
        h = data[10:10 + hl].decode()
        s = h[h.index("(") + 1:h.index(")")]
        return [int(v) for v in s.split(",") if v.strip()]
    if path.endswith(".json"):
        v = json.loads(data)
        shape = []
        while isinstance(v, list):
            shape.append(len(v))
            v = v[0]
        return shape
    rows = [l for l in data.decode().splitlines() if l.strip() and not l.startswith("#")]
    return [len(rows), len(rows[0].split(","))]


for p in ["tests/formats/mask.json", "tests/formats/mask_bool.npy",
          "tests/formats/mask_float.npy", "tests/formats/bias2.json",
          "tests/formats/bias2.npy", "tests/formats/bias3.json",
          "tests/formats/bias3.npy", "tests/formats/bias3_F.npy"] + \
        sorted(glob.glob("tests/bats/fixtures/mask*.json")) + \
        sorted(glob.glob("tests/bats/fixtures/mask*.csv")) + \
        sorted(glob.glob("tests/reference/cases/*.mask.json"))[:2]:
    with open(p, "rb") as f:
        data = f.read()
    shape = shape_of(p, data)
    heads, n, m = (shape if len(shape) == 3 else [1] + shape)
    prefix = bytes([n - 1, m - 1, heads - 1, NAMES[os.path.splitext(p)[1]]])
    add("mask_bias", os.path.basename(p), prefix + data)
    if p.endswith(".npy"):   # also by content, without an extension
        add("mask_bias", "noext_" + os.path.basename(p), prefix[:3] + b"\x03" + data)
add("mask_bias", "bias_3d_json_heads2", bytes([1, 1, 1, 0]) + b"[[[1,2],[3,4]],[[5,6],[7,8]]]")
add("mask_bias", "bom_guess_json", bytes([0, 1, 0, 3]) + "\ufeff [[true, false]]".encode())
add("mask_bias", "csv_bias", bytes([1, 1, 0, 1]) + b"-1e3,0\n0,-inf\n")
add("mask_bias", "bias_npy_3d", bytes([0, 1, 1, 2]) + npy("<f4", (2, 1, 2), f32([1, 2, 3, 4])))
# a mask per sequence of a batch (B = heads byte + 1), of integers
add("mask_bias", "batch_mask_u1", bytes([1, 1, 1, 2]) + npy("|u1", (2, 2, 2), bytes([1, 0, 1, 1, 1, 1, 0, 1])))
add("mask_bias", "batch_mask_bad", bytes([1, 1, 2, 2]) + npy("<i8", (3, 2, 2), struct.pack("<12q", *([1] * 11 + [2]))))

# ---- result: saved results of `selfattn run` -----------------------------------
runs = {
    "weights_steps_h2": ["-H", "2", "-p", "output,weights,steps", "data/classic.json"],
    "average_causal": ["-H", "2", "--average-heads", "-p", "weights", "--causal", "data/classic.json"],
    "steps_mask": ["-H", "2", "--mask", "tests/bats/fixtures/mask_empty_row.json",
                   "--masked-rows", "nan", "-p", "steps", "data/classic.json"],
    "cross_window": ["--window", "1", "--context", "data/classic.json", "-p", "weights",
                     "data/sentence.json"],
    "gqa_tokens": ["-H", "4", "--kv-heads", "2", "-p", "weights", "--alibi", "data/sentence.json"],
    "average_only": ["-H", "2", "--average-heads", "data/classic.json"],
    "head_two": ["-H", "2", "--head", "2", "-p", "weights,steps", "--causal", "data/classic.json"],
}
if os.access("./selfattn", os.X_OK):
    for label, args in runs.items():
        r = subprocess.run(["./selfattn", "run"] + args, capture_output=True)
        if r.returncode == 0:
            add("result", label, r.stdout)
add("result", "minimal", '{"config": {"n": 1, "heads": 1}, "weights": [[[1]]]}')
add("result", "minimal_steps",
    '{"config": {"n": 1, "m": 2, "heads": 1, "window": 0, "mask": "m.json", "causal": true,'
    ' "context": "c.json"}, "tokens": ["a"], "key_tokens": ["b", "c"],'
    ' "steps": {"scores": [[[null, 1]]], "softmax": [[[0, 1]]]}}')
add("result", "averaged", '{"config": {"n": 2, "heads": 3, "average_heads": true},'
    ' "weights": [[0.5, 0.5], [1, 0]]}')

# ---- batch_line: one JSON line each ------------------------------------------------
lines = []
for p in ["tests/formats/batch.jsonl", "tests/formats/batch_bad.jsonl"]:
    with open(p, "rb") as f:
        lines += f.read().split(b"\n")
with open("tests/formats/batch_many.jsonl", "rb") as f:
    lines += f.read().split(b"\n")[:4]
for i, line in enumerate(l for l in lines if l.strip()):
    add("batch_line", "line%02d" % i, line)
add("batch_line", "id_escapes", r'{"id": "a\"b\\", "tokens": ["x", "y"], "embeddings": [[1, 2], [3, 4]]}')
add("batch_line", "id_nested", '{"embeddings": [[1], [2], [3]], "_meta": {"id": 1}, "id": [1, {"x": "]"}]}')
add("batch_line", "id_bigint", '{ "id" :12345678901234567890 ,"embeddings":[[0.5,-0.5,2]]}\r\n')
add("batch_line", "tiles_130x1", json.dumps([[((i * 37) % 17 - 8) / 4] for i in range(130)]))
add("batch_line", "tiles_300x2", json.dumps([[(i % 7) / 8, -(i % 5) / 4] for i in range(300)]))
add("batch_line", "wide_1x64", json.dumps([[(j % 9 - 4) / 2 for j in range(64)]]))
add("batch_line", "large_values", "[[3e18, -3e18], [1e-30, 2]]")
add("batch_line", "mask_context", '{"id": 1, "embeddings": [[1, 0], [0, 1], [1, 1]], "mask": [[1, 0], '
    '[true, false], [0, 1]], "context": [[0.5, 2], [-1, 0]], "context_tokens": ["a", "b"]}')
add("batch_line", "mask_self", '{"embeddings": [[1, 2], [3, 4]], "mask": [[1, 0], [1, 1]], '
    '"context": null, "tokens": ["x", "y"]}')

# ---- write ------------------------------------------------------------------------
shutil.rmtree(OUT, ignore_errors=True)
for name, files in sorted(corpora.items()):
    os.makedirs(os.path.join(OUT, name))
    for label, data in sorted(files.items()):
        with open(os.path.join(OUT, name, label), "wb") as f:
            f.write(data)
    print("%-13s %3d files, %6d bytes" % (name, len(files), sum(map(len, files.values()))))
