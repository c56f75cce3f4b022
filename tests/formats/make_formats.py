#!/usr/bin/python3
"""Generate the binary-format and batch fixtures for the `selfattn` tests.

Rerun from the repository root with Debian's NumPy (nothing else is needed):

    /usr/bin/python3 tests/formats/make_formats.py

Seeds are fixed and no timestamps are written (the DOS times numpy's zip
writer puts in .npz files are set to 1980-01-01 00:00), so a rerun gives
byte-identical files.  The script first removes what it wrote before
(`*.npy *.npz *.safetensors *.json *.jsonl` in tests/formats/), then writes:

Matrix inputs (tests/bats/formats.bats)
  input.json                  X, 5 x 8; every value is k/16 with |k| <= 32, so
                              it is exact in float16, bfloat16, float32, float64
  input_v{1,2,3}_{le,be}_{f2,f4,f8}_{C,F}.npy
                              X in every .npy format version (1.0, 2.0, 3.0),
                              byte order, float width and memory order
  bias2.npy / bias2.json      a 5 x 5 score bias (<f4), and the same as JSON
  bias3.npy / bias3.json      a 2 x 5 x 5 per-head bias (<f8); bias3_F.npy is
                              the same array stored in Fortran order
  mask_bool.npy               a 5 x 5 |b1 mask; mask_float.npy the same as <f4
                              0/1; mask.json the same as JSON 0/1
  bad_*.npy                   one defect each: object (pickled) dtype, 1-D,
                              3-D, int32, truncated data, 10**18 elements,
                              2**66 elements, bad magic, version 4.0, a
                              structured dtype, an empty array, a NaN

Weights (d = 8, two heads of 4, output projection and biases)
  weights.json                math convention Wq Wk Wv Wo bq bk bv bo, every
                              value k/16, exact in all of F16, BF16, F32, F64
  weights_{F32,F64,F16,BF16}.safetensors   the same, written by hand
  torch_F32.safetensors       the same as torch's in_proj_weight,
                              in_proj_bias, out_proj.weight, out_proj.bias
  weights_stored.npz          np.savez (stored members)
  weights_deflated.npz        np.savez_compressed (deflated members)
  bad_st_*.safetensors        one defect each (see README.md)
  bad_npz_*.npz               corrupt deflate data, a member that is not
                              .npy, a truncated archive

Checkpoints (F32 safetensors, E = 8, 2 heads; all tensors float32 random)
  gpt2.safetensors            GPT-2 names h.{i}.* for 3 layers plus the
                              embeddings, layer norms, MLP and the attn.bias
                              buffer a real checkpoint has
  gpt2_transformer.safetensors  the same tensors under "transformer." plus an
                              lm_head.weight (GPT2LMHeadModel)
  bert.safetensors            BERT names bert.encoder.layer.{i}.* for 2 layers
                              plus embeddings, layer norms, the FFN
                              (intermediate.dense, output.dense: a trap next to
                              attention.output.dense), pooler and cls head
  gpt2.layer{0,2}.expected.json, gpt2.layer2.causal.expected.json,
  bert.layer1.expected.json   {"output": n x 8}: the attention block's output
                              projection for input.json (no residual, no layer
                              norm), NumPy float64 from the Hugging Face
                              formulas:
                                GPT-2 (Conv1D): q, k, v = split(x W + b, 3)
                                                out = o W_proj + b_proj
                                BERT (nn.Linear): q = x Wq^T + bq, ...
                                                out = o Wd^T + bd
                              heads are column blocks of q, k, v; scores
                              q.k / sqrt(dh); causal: key j <= query i.

Batch (tests/bats/batch.bats)
  batch.jsonl                 array lines, object lines with tokens and an id
                              (string or number), lengths 1 to 6, blank and
                              whitespace-only lines
  batch_bad.jsonl             good lines around bad ones (ragged rows, not
                              JSON, a wrong width, no embeddings)
  batch_many.jsonl            50 lines of lengths 1 to 9 for --jobs
"""

import glob
import io
import math
import os
import struct
import sys
import zipfile

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "lib"))
from fixture_io import (compact_json, json_file, npy_file,  # noqa: E402
                        npy_header, safetensors_file, zip_file)

OUT_DIR = os.path.dirname(os.path.abspath(__file__))
N, D, H = 5, 8, 2
DH = D // H


# --------------------------------------------------------------------------
# writing
# --------------------------------------------------------------------------

WRITTEN = []


def write_bytes(name, data):
    with open(os.path.join(OUT_DIR, name), "wb") as fh:
        fh.write(data)
    WRITTEN.append(name)


def write_json(name, obj):
    write_bytes(name, json_file(obj))


def npy_bytes(a, version=(1, 0)):
    buf = io.BytesIO()
    np.lib.format.write_array(buf, a, version=version, allow_pickle=False)
    return buf.getvalue()


def exact(rng, shape, k=32):
    """Values k/16 with |k| <= 32: exact in f16, bf16, f32 and f64."""
    return rng.integers(-k, k + 1, size=shape).astype(np.float64) / 16.0


# --------------------------------------------------------------------------
# safetensors, written by hand
# --------------------------------------------------------------------------

ST_DTYPES = {"F32": "<f4", "F64": "<f8", "F16": "<f2"}


def tensor_bytes(a, dtype):
    a = np.ascontiguousarray(a)
    if dtype == "BF16":
        bits = np.asarray(a, dtype="<f4").view("<u4")
        if np.any(bits & 0xFFFF):
            raise ValueError("value not exact in bfloat16")
        return (bits >> 16).astype("<u2").tobytes()
    out = np.asarray(a, dtype=ST_DTYPES[dtype])
    if not np.array_equal(out.astype(np.float64), np.asarray(a, np.float64)):
        raise ValueError("value not exact in " + dtype)
    return out.tobytes()


def safetensors(tensors, dtype="F32", metadata=None):
    """tensors: a dict name -> array, laid out in the dict's order."""
    header, buf = {}, b""
    if metadata is not None:
        header["__metadata__"] = metadata
    for name, a in tensors.items():
        data = tensor_bytes(a, dtype)
        header[name] = {"dtype": dtype, "shape": list(np.shape(a)),
                        "data_offsets": [len(buf), len(buf) + len(data)]}
        buf += data
    return safetensors_file(header, buf)


# --------------------------------------------------------------------------
# .npz: numpy's own writer, with the zip timestamps fixed
# --------------------------------------------------------------------------

def fix_zip_times(data):
    """Sets the DOS time and date of every local header and central directory
    entry to 1980-01-01 00:00 (the CRCs cover only the member data)."""
    b = bytearray(data)
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        infos = z.infolist()
    for info in infos:
        lh = info.header_offset
        assert b[lh:lh + 4] == b"PK\x03\x04"
        b[lh + 10:lh + 14] = struct.pack("<HH", 0, 0x21)
    eocd = data.rindex(b"PK\x05\x06")
    cd = struct.unpack("<I", data[eocd + 16:eocd + 20])[0]
    for _ in infos:
        assert b[cd:cd + 4] == b"PK\x01\x02"
        b[cd + 12:cd + 16] = struct.pack("<HH", 0, 0x21)
        cd += 46 + sum(struct.unpack("<HHH", bytes(b[cd + 28:cd + 34])))
    return bytes(b)


def npz(arrays, compressed):
    buf = io.BytesIO()
    (np.savez_compressed if compressed else np.savez)(buf, **arrays)
    return fix_zip_times(buf.getvalue())


# --------------------------------------------------------------------------
# the reference: multi-head attention in float64
# --------------------------------------------------------------------------

def attention(x, wq, bq, wk, bk, wv, bv, wo, bo, heads, causal=False):
    """Math convention: q = x wq + bq, ...; heads are column blocks of q, k,
    v; out = concat_h(softmax(q_h k_h^T / sqrt(dh)) v_h) wo + bo."""
    q, k, v = x @ wq + bq, x @ wk + bk, x @ wv + bv
    n, dh = x.shape[0], q.shape[1] // heads
    outs = []
    for h in range(heads):
        c = slice(h * dh, (h + 1) * dh)
        s = q[:, c] @ k[:, c].T / math.sqrt(dh)
        if causal:
            s = np.where(np.tril(np.ones((n, n), bool)), s, -np.inf)
        s = s - s.max(axis=1, keepdims=True)
        a = np.exp(s)
        a /= a.sum(axis=1, keepdims=True)
        outs.append(a @ v[:, c])
    return np.concatenate(outs, axis=1) @ wo + bo


def gpt2_attention(x, sd, prefix, layer, heads, causal):
    p = "%sh.%d.attn." % (prefix, layer)
    w, b = sd[p + "c_attn.weight"], sd[p + "c_attn.bias"]   # Conv1D: x W + b
    qkv = x @ w + b
    q, k, v = np.split(qkv, 3, axis=-1)
    n, dh = x.shape[0], q.shape[1] // heads
    outs = []
    for h in range(heads):
        c = slice(h * dh, (h + 1) * dh)
        s = q[:, c] @ k[:, c].T / math.sqrt(dh)
        if causal:
            s = np.where(np.tril(np.ones((n, n), bool)), s, -np.inf)
        a = np.exp(s - s.max(axis=1, keepdims=True))
        a /= a.sum(axis=1, keepdims=True)
        outs.append(a @ v[:, c])
    o = np.concatenate(outs, axis=1)
    return o @ sd[p + "c_proj.weight"] + sd[p + "c_proj.bias"]


def bert_attention(x, sd, prefix, layer, heads):
    p = "%sencoder.layer.%d.attention." % (prefix, layer)
    lin = lambda t, name: t @ sd[p + name + ".weight"].T + sd[p + name + ".bias"]
    q, k, v = lin(x, "self.query"), lin(x, "self.key"), lin(x, "self.value")
    dh = q.shape[1] // heads
    outs = []
    for h in range(heads):
        c = slice(h * dh, (h + 1) * dh)
        s = q[:, c] @ k[:, c].T / math.sqrt(dh)
        a = np.exp(s - s.max(axis=1, keepdims=True))
        a /= a.sum(axis=1, keepdims=True)
        outs.append(a @ v[:, c])
    return lin(np.concatenate(outs, axis=1), "output.dense")


def f32(rng, shape, scale=0.5):
    return (rng.standard_normal(shape) * scale).astype(np.float32)


# --------------------------------------------------------------------------
# the fixtures
# --------------------------------------------------------------------------

def make_inputs(x):
    write_json("input.json", x)
    codes = {"f2": "f2", "f4": "f4", "f8": "f8"}
    for version in (1, 2, 3):
        for order_name, order in (("le", "<"), ("be", ">")):
            for code in codes:
                a = x.astype(order + code)
                for mem in ("C", "F"):
                    b = np.asfortranarray(a) if mem == "F" else np.ascontiguousarray(a)
                    data = npy_bytes(b, (version, 0))
                    want = ("'fortran_order': True" if mem == "F"
                            else "'fortran_order': False")
                    assert want.encode() in data
                    write_bytes("input_v%d_%s_%s_%s.npy" % (version, order_name,
                                                           code, mem), data)


def make_bias_mask(rng):
    bias2 = exact(rng, (N, N))
    bias3 = exact(rng, (H, N, N))
    write_bytes("bias2.npy", npy_bytes(bias2.astype("<f4")))
    write_json("bias2.json", bias2)
    write_bytes("bias3.npy", npy_bytes(bias3.astype("<f8")))
    f = np.asfortranarray(bias3.astype("<f4"))
    data = npy_bytes(f)
    assert b"'fortran_order': True" in data
    write_bytes("bias3_F.npy", data)
    write_json("bias3.json", bias3)
    mask = rng.integers(0, 2, size=(N, N)).astype(bool)
    mask[np.arange(N), np.arange(N)] = True   # every query sees a key
    write_bytes("mask_bool.npy", npy_bytes(mask))
    assert b"'descr': '|b1'" in npy_bytes(mask)
    write_bytes("mask_float.npy", npy_bytes(mask.astype("<f4")))
    write_json("mask.json", mask.astype(int))


def make_bad_npy(x):
    buf = io.BytesIO()
    np.save(buf, np.array([1, "a"], dtype=object), allow_pickle=True)
    write_bytes("bad_object.npy", buf.getvalue())
    write_bytes("bad_1d.npy", npy_bytes(x[0].astype("<f4")))
    write_bytes("bad_3d.npy", npy_bytes(np.stack([x, x]).astype("<f4")))
    write_bytes("bad_int32.npy", npy_bytes((x * 16).astype("<i4")))
    good = npy_bytes(x.astype("<f4"))
    write_bytes("bad_truncated.npy", good[:-20])
    write_bytes("bad_huge.npy", npy_file(
        npy_header("<f4", (10**9, 10**9)), b"\0" * 16))
    write_bytes("bad_overflow.npy", npy_file(
        npy_header("<f4", (2**33, 2**33)), b"\0" * 16))
    write_bytes("bad_magic.npy", b"\x93NUMPZ" + good[6:])
    write_bytes("bad_version.npy", b"\x93NUMPY\x04\x00" + good[8:])
    s = np.zeros(3, dtype=[("a", "<f4"), ("b", "<f4")])
    write_bytes("bad_structured.npy", npy_bytes(s))
    write_bytes("bad_empty.npy", npy_bytes(np.zeros((0, D), "<f4")))
    nan = x.astype("<f4")
    nan[1, 2] = np.nan
    write_bytes("bad_nan.npy", npy_bytes(nan))


def make_weights(rng):
    w = {name: exact(rng, (D, D)) for name in ("Wq", "Wk", "Wv", "Wo")}
    w.update({name: exact(rng, (D,)) for name in ("bq", "bk", "bv", "bo")})
    write_json("weights.json", w)
    for dtype in ("F32", "F64", "F16", "BF16"):
        meta = {"format": "pt"} if dtype == "F32" else None
        write_bytes("weights_%s.safetensors" % dtype,
                    safetensors(w, dtype, metadata=meta))
    torch = {
        "in_proj_weight": np.concatenate([w["Wq"].T, w["Wk"].T, w["Wv"].T]),
        "in_proj_bias": np.concatenate([w["bq"], w["bk"], w["bv"]]),
        "out_proj.weight": w["Wo"].T,
        "out_proj.bias": w["bo"],
    }
    write_bytes("torch_F32.safetensors", safetensors(torch, "F32"))
    w32 = {k: v.astype("<f4") for k, v in w.items()}
    write_bytes("weights_stored.npz", npz(w32, compressed=False))
    deflated = npz(w32, compressed=True)
    write_bytes("weights_deflated.npz", deflated)
    return w32, deflated


def make_bad_safetensors():
    a = np.arange(4, dtype="<f4").reshape(2, 2).tobytes()    # 16 bytes
    b = np.arange(2, dtype="<f4").tobytes()                  # 8 bytes
    ent = lambda dtype, shape, lo, hi: {"dtype": dtype, "shape": shape,
                                        "data_offsets": [lo, hi]}
    bad = {
        # the length prefix says 4096 bytes of header, the file is shorter
        "header_past_end": struct.pack("<Q", 4096) + b'{"a":1}' + b"\0" * 9,
        "not_json": safetensors_file('{"Wq": {"dtype": "F32",', a),
        "not_object": safetensors_file("[1, 2, 3]", b""),
        "gap": safetensors_file({"Wq": ent("F32", [2, 2], 0, 16),
                                 "bq": ent("F32", [2], 24, 32)},
                                a + b"\0" * 8 + b),
        "overlap": safetensors_file({"Wq": ent("F32", [2, 2], 0, 16),
                                     "bq": ent("F32", [2], 8, 16)}, a),
        "length_mismatch": safetensors_file(
            {"Wq": ent("F32", [2, 2], 0, 12)}, a[:12]),
        "past_buffer": safetensors_file({"Wq": ent("F32", [2, 2], 0, 16),
                                         "bq": ent("F32", [2], 16, 24)},
                                        a + b[:4]),
        "trailing": safetensors_file(
            {"Wq": ent("F32", [2, 2], 0, 16)}, a + b"\0" * 8),
        "i64": safetensors_file({"Wq": ent("I64", [2], 0, 16)}, a),
        "short": b"\x10\0\0\0\0",
        "duplicate": safetensors_file(
            '{"Wq":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},'
            '"Wq":{"dtype":"F32","shape":[2],"data_offsets":[8,16]}}', a),
    }
    for name, data in bad.items():
        write_bytes("bad_st_%s.safetensors" % name, data)


def make_bad_npz(w32, deflated):
    # flip bytes in the middle of the first member's deflate stream; the
    # headers, sizes and CRC are left as they were
    with zipfile.ZipFile(io.BytesIO(deflated)) as z:
        info = z.infolist()[0]
    b = bytearray(deflated)
    lh = info.header_offset
    start = lh + 30 + sum(struct.unpack("<HH", bytes(b[lh + 26:lh + 30])))
    mid = start + info.compress_size // 2
    for i in range(mid, mid + 4):
        b[i] ^= 0xFF
    write_bytes("bad_npz_corrupt.npz", bytes(b))
    write_bytes("bad_npz_member.npz", zip_file([
        ("Wq.npy", npy_bytes(w32["Wq"])), ("notes.txt", b"not an array\n")]))
    stored = npz(w32, compressed=False)
    write_bytes("bad_npz_truncated.npz", stored[:len(stored) // 2])


def make_checkpoints(rng, x):
    E, F, V, P = D, 4 * D, 16, 12
    gpt2 = {"wte.weight": f32(rng, (V, E)), "wpe.weight": f32(rng, (P, E))}
    for i in range(3):
        p = "h.%d." % i
        gpt2.update({
            p + "ln_1.weight": f32(rng, (E,)), p + "ln_1.bias": f32(rng, (E,)),
            p + "attn.bias": np.tril(np.ones((1, 1, P, P), np.float32)),
            p + "attn.c_attn.weight": f32(rng, (E, 3 * E)),
            p + "attn.c_attn.bias": f32(rng, (3 * E,), 0.2),
            p + "attn.c_proj.weight": f32(rng, (E, E)),
            p + "attn.c_proj.bias": f32(rng, (E,), 0.2),
            p + "ln_2.weight": f32(rng, (E,)), p + "ln_2.bias": f32(rng, (E,)),
            p + "mlp.c_fc.weight": f32(rng, (E, F)),
            p + "mlp.c_fc.bias": f32(rng, (F,)),
            p + "mlp.c_proj.weight": f32(rng, (F, E)),
            p + "mlp.c_proj.bias": f32(rng, (E,)),
        })
    gpt2.update({"ln_f.weight": f32(rng, (E,)), "ln_f.bias": f32(rng, (E,))})
    write_bytes("gpt2.safetensors", safetensors(
        dict(sorted(gpt2.items())), "F32", metadata={"format": "pt"}))
    tr = {"transformer." + k: v for k, v in gpt2.items()}
    tr["lm_head.weight"] = gpt2["wte.weight"]
    write_bytes("gpt2_transformer.safetensors",
                safetensors(dict(sorted(tr.items())), "F32",
                            metadata={"format": "pt"}))

    bert = {
        "bert.embeddings.word_embeddings.weight": f32(rng, (V, E)),
        "bert.embeddings.position_embeddings.weight": f32(rng, (P, E)),
        "bert.embeddings.token_type_embeddings.weight": f32(rng, (2, E)),
        "bert.embeddings.LayerNorm.weight": f32(rng, (E,)),
        "bert.embeddings.LayerNorm.bias": f32(rng, (E,)),
    }
    for i in range(2):
        p = "bert.encoder.layer.%d." % i
        for part in ("query", "key", "value"):
            bert[p + "attention.self.%s.weight" % part] = f32(rng, (E, E))
            bert[p + "attention.self.%s.bias" % part] = f32(rng, (E,), 0.2)
        bert.update({
            p + "attention.output.dense.weight": f32(rng, (E, E)),
            p + "attention.output.dense.bias": f32(rng, (E,), 0.2),
            p + "attention.output.LayerNorm.weight": f32(rng, (E,)),
            p + "attention.output.LayerNorm.bias": f32(rng, (E,)),
            p + "intermediate.dense.weight": f32(rng, (F, E)),
            p + "intermediate.dense.bias": f32(rng, (F,)),
            p + "output.dense.weight": f32(rng, (E, F)),
            p + "output.dense.bias": f32(rng, (E,)),
            p + "output.LayerNorm.weight": f32(rng, (E,)),
            p + "output.LayerNorm.bias": f32(rng, (E,)),
        })
    bert.update({
        "bert.pooler.dense.weight": f32(rng, (E, E)),
        "bert.pooler.dense.bias": f32(rng, (E,)),
        "cls.predictions.bias": f32(rng, (V,)),
        "cls.predictions.transform.dense.weight": f32(rng, (E, E)),
    })
    write_bytes("bert.safetensors", safetensors(dict(sorted(bert.items())), "F32"))

    g64 = {k: v.astype(np.float64) for k, v in gpt2.items()}
    b64 = {k: v.astype(np.float64) for k, v in bert.items()}
    write_json("gpt2.layer0.expected.json",
               {"output": gpt2_attention(x, g64, "", 0, H, False)})
    write_json("gpt2.layer2.expected.json",
               {"output": gpt2_attention(x, g64, "", 2, H, False)})
    write_json("gpt2.layer2.causal.expected.json",
               {"output": gpt2_attention(x, g64, "", 2, H, True)})
    write_json("bert.layer1.expected.json",
               {"output": bert_attention(x, b64, "bert.", 1, H)})

    # cross-check the checkpoint formulas against the math-convention
    # reference with the weights converted by hand
    p = "h.2.attn."
    w = g64[p + "c_attn.weight"]
    bb = g64[p + "c_attn.bias"]
    alt = attention(x, w[:, :E], bb[:E], w[:, E:2 * E], bb[E:2 * E],
                    w[:, 2 * E:], bb[2 * E:], g64[p + "c_proj.weight"],
                    g64[p + "c_proj.bias"], H)
    assert np.allclose(alt, gpt2_attention(x, g64, "", 2, H, False), 0, 1e-12)
    p = "bert.encoder.layer.1.attention."
    alt = attention(x, *[b64[p + "self.%s.%s" % (part, t)].T if t == "weight"
                         else b64[p + "self.%s.%s" % (part, t)]
                         for part in ("query", "key", "value")
                         for t in ("weight", "bias")],
                    b64[p + "output.dense.weight"].T,
                    b64[p + "output.dense.bias"], H)
    assert np.allclose(alt, bert_attention(x, b64, "bert.", 1, H), 0, 1e-12)


def make_batch(rng):
    def rows(n):
        return exact(rng, (n, D))

    lines = [
        compact_json(rows(3)),
        compact_json({"id": "first", "tokens": ["a", "b", "c", "d"],
                      "embeddings": rows(4)}),
        "",
        compact_json({"id": 7, "embeddings": rows(2)}),
        "  \t ",
        compact_json({"tokens": ["x", "y", "z", "w", "v"],
                      "embeddings": rows(5)}),
        compact_json(rows(1)),
        compact_json({"embeddings": rows(6), "id": "last"}),
    ]
    write_bytes("batch.jsonl", ("\n".join(lines) + "\n").encode())

    bad = [
        compact_json(rows(2)),                                  # 1 good
        "[[1, 2, 3, 4, 5, 6, 7, 8], [1, 2]]",                   # 2 ragged
        compact_json({"id": "ok", "embeddings": rows(3)}),      # 3 good
        '[[1, 2, 3, 4, 5, 6, 7, 8],',                           # 4 not JSON
        "[[1, 2, 3, 4]]",                                       # 5 width 4
        '{"id": "no-emb", "tokens": ["a"]}',                    # 6 no embeddings
        compact_json(rows(1)),                                  # 7 good
    ]
    write_bytes("batch_bad.jsonl", ("\n".join(bad) + "\n").encode())

    many = []
    for i in range(50):
        n = 1 + i % 9
        if i % 3 == 0:
            many.append(compact_json({"id": i, "embeddings": rows(n)}))
        else:
            many.append(compact_json(rows(n)))
    write_bytes("batch_many.jsonl", ("\n".join(many) + "\n").encode())


def main():
    for pattern in ("*.npy", "*.npz", "*.safetensors", "*.json", "*.jsonl"):
        for path in glob.glob(os.path.join(OUT_DIR, pattern)):
            os.remove(path)
    rng = np.random.default_rng(20240611)
    x = exact(rng, (N, D))
    make_inputs(x)
    make_bias_mask(rng)
    make_bad_npy(x)
    w32, deflated = make_weights(rng)
    make_bad_safetensors()
    make_bad_npz(w32, deflated)
    make_checkpoints(np.random.default_rng(7), x)
    make_batch(np.random.default_rng(11))
    total = sum(os.path.getsize(os.path.join(OUT_DIR, f)) for f in WRITTEN)
    print("wrote %d files, %d bytes, into %s" % (len(WRITTEN), total, OUT_DIR))


if __name__ == "__main__":
    main()
