#!/usr/bin/python3
"""Generate the catalogue of malformed inputs for `selfattn` (tests/bad/files).

Rerun from the repository root with Debian's Python (standard library and
NumPy only):

    /usr/bin/python3 tests/bad/make_bad.py [--out DIR]

(--out writes the files to DIR instead, which tests/bats/catalogue.bats uses
to check that the committed files are what the script writes.)  Every file is written from fixed bytes: the .npy headers, the zip archives
and the safetensors files are assembled by hand (no timestamps, no library
version in them), so a rerun writes byte-identical files.  The script first
removes every file it finds in tests/bad/files/, then writes each one.

The cases that use the files, with their expected exit codes and messages,
are in tests/bad/catalogue.tsv; tests/bats/catalogue.bats runs them.  A file
name starts with its category: json_ (JSON input), csv_, w_ (JSON weights),
gpt2_ and bert_ (checkpoints), npy_, npz_, st_ (safetensors), mask_, bias_,
ctx_ (--context), dy_ (grad --dy), plot_ (saved results for `plot`), batch_ (JSON Lines),
ok_ (good files the bad cases are combined with).
"""

import json
import os
import struct
import sys
import zlib

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "lib"))
from fixture_io import npy_file, npy_header, safetensors_file  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
OUT_DIR = os.path.join(HERE, "files")
if sys.argv[1:2] == ["--out"] and len(sys.argv) == 3:
    OUT_DIR = os.path.abspath(sys.argv[2])
elif len(sys.argv) > 1:
    sys.exit("usage: make_bad.py [--out DIR]")

WRITTEN = []


def write(name, data):
    if isinstance(data, str):
        data = data.encode("utf-8")
    assert name not in WRITTEN, name
    with open(os.path.join(OUT_DIR, name), "wb") as fh:
        fh.write(data)
    WRITTEN.append(name)


def js(obj):
    """Compact JSON text (with a final newline)."""
    return json.dumps(obj, separators=(", ", ": ")) + "\n"


# --------------------------------------------------------------------------
# the good data the bad files are variations of
# --------------------------------------------------------------------------

# the input: 3 tokens of width 4
X = [[0.5, -1.0, 0.25, 2.0],
     [1.0, 0.0, -0.5, 0.75],
     [-1.5, 0.5, 1.0, 0.0]]


def mat(rows, cols, start=1):
    """A rows x cols matrix of small exact values k/8."""
    return [[((start + i * cols + j) % 7 - 3) / 8.0 for j in range(cols)]
            for i in range(rows)]


def vec(n, start=1):
    return [((start + i) % 5 - 2) / 4.0 for i in range(n)]


W4 = {"Wq": mat(4, 4, 1), "Wk": mat(4, 4, 2), "Wv": mat(4, 4, 3)}


def with_(base, **changes):
    out = dict(base)
    for k, v in changes.items():
        if v is None:
            out.pop(k, None)
        else:
            out[k.replace("__", ".")] = v
    return out


# --------------------------------------------------------------------------
# binary formats, by hand
# --------------------------------------------------------------------------

def npy_array(a, descr=None, fortran=False):
    """a (a NumPy array) as an .npy file, header written by hand."""
    a = np.asarray(a)
    data = (np.asfortranarray(a) if fortran else np.ascontiguousarray(a)).tobytes(
        order="F" if fortran else "C")
    return npy_file(npy_header(descr or a.dtype.str, a.shape, fortran), data)


def f4(values):
    return np.asarray(values, dtype="<f4")


class Member:
    """One zip member; the fields can be overridden to break the archive."""

    def __init__(self, name, data, method=0, **override):
        self.name = name.encode("latin1") if isinstance(name, str) else name
        self.data = data
        self.method = method
        self.payload = data if method == 0 else deflate(data)
        self.crc = zlib.crc32(data) & 0xFFFFFFFF
        self.comp = len(self.payload)
        self.size = len(data)
        self.offset = None
        for k, v in override.items():
            assert hasattr(self, k), k
            setattr(self, k, v)


def deflate(data):
    c = zlib.compressobj(9, zlib.DEFLATED, -15)
    return c.compress(data) + c.flush()


def zip_archive(members, local_offset=None, eocd=None):
    """A zip file of Member objects: local headers and data, the central
    directory, the end record.  local_offset maps a member index to the
    local header offset written in its central directory entry; eocd
    overrides fields of the end record (count, cd_size, cd_offset)."""
    out = b""
    offsets = []
    for m in members:
        offsets.append(len(out))
        out += struct.pack("<IHHHHHIIIHH", 0x04034B50, 20, 0, m.method, 0,
                           0x21, m.crc, m.comp, m.size, len(m.name), 0)
        out += m.name + m.payload
    cd_start = len(out)
    for i, m in enumerate(members):
        off = offsets[i] if not local_offset or i not in local_offset else local_offset[i]
        out += struct.pack("<IHHHHHHIIIHHHHHII", 0x02014B50, 20, 20, 0,
                           m.method, 0, 0x21, m.crc, m.comp, m.size,
                           len(m.name), 0, 0, 0, 0, 0, off)
        out += m.name
    fields = {"count": len(members), "cd_size": len(out) - cd_start,
              "cd_offset": cd_start}
    fields.update(eocd or {})
    out += struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, fields["count"],
                       fields["count"], fields["cd_size"],
                       fields["cd_offset"], 0)
    return out


def weights_members(method=0, arrays=None):
    arrays = arrays or {k: f4(v) for k, v in W4.items()}
    return [Member(k + ".npy", npy_array(v), method) for k, v in arrays.items()]


def ent(dtype, shape, lo, hi):
    return {"dtype": dtype, "shape": shape, "data_offsets": [lo, hi]}


def st_tensors(tensors, dtype="F32"):
    """A valid file of float32 tensors, laid out in order."""
    header, buf = {}, b""
    for name, a in tensors.items():
        data = np.asarray(a, dtype="<f4").tobytes()
        header[name] = ent(dtype, list(np.shape(a)), len(buf), len(buf) + len(data))
        buf += data
    return header, buf


# --------------------------------------------------------------------------
# the files
# --------------------------------------------------------------------------

def make_ok():
    write("ok_input.json", js(X))
    write("ok_weights.json", js(W4))
    write("ok_mask.json", js([[1, 0, 0], [1, 1, 0], [1, 1, 1]]))
    write("ok_tokens.json", js({"tokens": ["a", "b", "c"], "embeddings": X}))
    write("ok_result.json", js({
        "config": {"n": 3, "m": 3, "heads": 1},
        "weights": [[[1, 0, 0], [0.5, 0.5, 0], [0.25, 0.25, 0.5]]]}))


def make_json_inputs():
    write("json_truncated.json", "[[0.5, -1, 0.25, 2],\n [1, 0, -0.5,")
    write("json_trailing_garbage.json", js(X).rstrip("\n") + " garbage\n")
    write("json_two_values.json", "[[1, 2]]\n[[3, 4]]\n")
    write("json_deep_nesting.json", "[" * 5000 + "\n")
    write("json_deep_balanced.json", "[" * 5000 + "]" * 5000 + "\n")
    write("json_string_number.json", '[[0.5, -1, "0.25", 2],\n [1, 0, -0.5, 0.75]]\n')
    write("json_overflow_1e39.json", "[[0.5, -1],\n [1e39, 2]]\n")
    write("json_overflow_neg_1e400.json", "[[0.5, -1],\n [2, -1e400]]\n")
    write("json_empty.json", "")
    write("json_blank.json", "  \n\t\n")
    write("json_bom_garbage.json", b"\xef\xbb\xbfgarbage\n")
    write("json_bom_only.json", b"\xef\xbb\xbf\n")
    write("json_nul_byte.json", b"[[0.5, -1],\n [1,\x00 2]]\n")
    write("json_ragged.json", "[[0.5, -1, 0.25],\n [1, 0],\n [2, 3, 4]]\n")
    write("json_tokens_count.json",
          js({"tokens": ["t%d" % i for i in range(1000)], "embeddings": X}))
    write("json_tokens_not_strings.json",
          js({"tokens": ["the", 7, "cat"], "embeddings": X}))
    write("json_scalar.json", "42\n")
    write("json_string.json", '"[[1, 2]]"\n')
    write("json_no_embeddings.json", js({"rows": X}))
    write("json_weights_as_input.json", js(W4))
    write("json_no_rows.json", "[]\n")
    write("json_empty_row.json", "[[], [1, 2]]\n")
    write("json_flat_array.json", "[0.5, -1, 0.25, 2]\n")
    write("json_row_not_array.json", "[[0.5, -1], 3]\n")
    write("json_bool_value.json", "[[true, 1], [0, 1]]\n")
    write("json_null_value.json", "[[1, 2], [null, 1]]\n")
    write("json_nan_literal.json", "[[1, 2],\n [NaN, 1]]\n")
    write("json_infinity_literal.json", "[[1, 2],\n [Infinity, 1]]\n")
    write("json_lone_surrogate.json",
          '{"tokens": ["a", "\\ud800"], "embeddings": [[1, 2], [3, 4]]}\n')
    write("json_embeddings_object.json", '{"embeddings": {"a": [1, 2]}}\n')
    # finite numbers whose projections q.k overflow float32
    write("json_scores_overflow.json", js([[1e25] * 4, [-1e25] * 4, [3e24] * 4]))
    # valid, but too many cells for an SVG picture (1001 x 1001 > 10^6)
    write("json_1001_rows.json", "[" + ", ".join(["[1]"] * 1001) + "]\n")
    write("json_no_extension", "[[1, 2],\n [3, x]]\n")


def make_csv():
    write("csv_ragged.csv", "token,e0,e1,e2\nthe,1,2,3\ncat,4,5\n")
    write("csv_unterminated_quote.csv", 'token,e0,e1\nthe,1,2\n"cat,3,4\n')
    write("csv_text_after_quote.csv", 'token,e0,e1\n"the"x,1,2\n')
    write("csv_nan.csv", "0.5,-1\nnan,2\n")
    write("csv_inf.csv", "0.5,-1\n1,inf\n")
    write("csv_neg_inf.csv", "0.5,-1\n-inf,1\n")
    write("csv_hex.csv", "0.5,-1\n0x10,2\n")
    write("csv_empty_field.csv", "0.5,-1,2\n1,,2\n")
    write("csv_label_only.csv", "token,e0,e1\nthe\ncat\n")
    write("csv_1e39.csv", "0.5,-1\n1e39,2\n")
    write("csv_1e400.csv", "0.5,-1\n2,-1e400\n")
    write("csv_only_header.csv", "token,e0,e1,e2\n")
    write("csv_empty.csv", "")
    write("csv_word_value.csv", "# a comment line counts\nthe,1,2\ncat,3,x\n")
    write("csv_nul_byte.csv", b"0.5,-1\n3,\x004\n")
    write("csv_crlf_ragged.csv", "1,2\r\n3,4\r\n5\r\n")
    # an escape sequence (clear the screen) where a number belongs
    write("csv_control_chars.csv", "1,2\n3,\x1b[2J\n")
    write("csv_long_word.csv", "1,2\n3," + "y" * 100 + "\n")


def make_json_weights():
    w = W4
    write("w_not_object.json", js(mat(4, 4)))
    write("w_none.json", js({"config": {"note": "no weights"}, "_comment": "x"}))
    # the comma after "Wk" is missing
    write("w_missing_comma.json", '{"Wq": [[1]],\n "Wk": [[1]]\n "Wv": [[1]]}\n')
    write("w_unknown_key.json", js(with_(w, Wx=mat(4, 4))))
    write("w_misspelt_key.json", js(with_(w, wq=mat(4, 4))))
    write("w_mixed.json", js(with_(w, in_proj_weight=mat(12, 4))))
    write("w_no_wk.json", js(with_(w, Wk=None)))
    write("w_value_not_array.json", js(with_(w, Wq=3)))
    write("w_wq_vector.json", js(with_(w, Wq=vec(4))))
    write("w_wq_ragged.json", js(with_(w, Wq=[[1, 2, 3, 4], [1, 2]])))
    write("w_wq_1e39.json", js(with_(w, Wq=[[1e39, 0, 0, 0]] + mat(3, 4))))
    write("w_wk_wv_shape.json", js(with_(w, Wv=mat(4, 2))))
    write("w_wo_rows.json", js(with_(w, Wo=mat(3, 4))))
    write("w_bq_len.json", js(with_(w, bq=vec(3))))
    write("w_bk_len.json", js(with_(w, bk=vec(5))))
    write("w_bq_matrix.json", js(with_(w, bq=mat(1, 4))))
    write("w_bo_len_no_wo.json", js(with_(w, bo=vec(2))))
    write("w_bo_len.json", js(with_(w, Wo=mat(4, 6), bo=vec(4))))
    write("w_input_width.json", js({"Wq": mat(5, 4), "Wk": mat(5, 4), "Wv": mat(5, 4)}))
    write("w_wk_rows.json", js(with_(w, Wk=mat(2, 4), Wv=mat(2, 4))))
    write("w_kv_width.json", js(with_(w, Wk=mat(4, 3), Wv=mat(4, 3))))
    # configs that contradict the shapes, or hold a value of the wrong type
    write("w_config_heads.json", js(with_(w, config={"heads": 3})))
    write("w_config_heads_type.json", js(with_(w, config={"heads": "two"})))
    write("w_config_kv_heads.json", js(with_(w, config={"heads": 2, "kv_heads": 4})))
    write("w_config_d_model.json", js(with_(w, config={"d_model": 5})))
    write("w_config_d_head.json", js(with_(w, config={"heads": 2, "d_head": 4})))
    write("w_config_scale.json", js(with_(w, config={"scale": "0.5"})))
    write("w_config_scale_zero.json", js(with_(w, config={"scale": 0})))
    write("w_config_window.json", js(with_(w, config={"window": -1})))
    write("w_config_rope.json", js(with_(w, config={"rope": {"style": "gptj"}})))
    write("w_config_causal.json", js(with_(w, config={"heads": 2, "causal": True})))
    # torch nn.MultiheadAttention state dicts
    t = {"in_proj_weight": mat(12, 4), "in_proj_bias": vec(12),
         "out_proj.weight": mat(4, 4), "out_proj.bias": vec(4)}
    write("ok_torch_weights.json", js(t))
    write("w_torch_rows.json", js(with_(t, in_proj_weight=mat(10, 4), in_proj_bias=None)))
    write("w_torch_out_cols.json", js(with_(t, out_proj__weight=mat(4, 3))))
    write("w_torch_in_bias_len.json", js(with_(t, in_proj_bias=vec(8))))
    write("w_torch_out_bias_len.json", js(with_(t, out_proj__bias=vec(3))))
    write("w_torch_both.json", js(with_(t, q_proj_weight=mat(4, 4))))
    write("w_torch_no_in_proj.json", js({"in_proj_bias": vec(12)}))
    sep = {"q_proj_weight": mat(4, 4), "k_proj_weight": mat(4, 4),
           "v_proj_weight": mat(4, 4)}
    write("w_torch_missing_k.json", js(with_(sep, k_proj_weight=None)))
    write("w_torch_q_mismatch.json", js(with_(sep, k_proj_weight=mat(2, 4))))
    write("w_torch_kdim_vdim.json", js(with_(sep, v_proj_weight=mat(4, 3))))
    write("w_torch_kdim.json", js(with_(sep, k_proj_weight=mat(4, 3),
                                        v_proj_weight=mat(4, 3))))
    write("w_torch_width.json", js(with_(t, in_proj_weight=mat(12, 3))))
    # checkpoints (JSON tensors under the checkpoint names)
    g = {}
    for layer in (0, 1):
        p = "h.%d.attn." % layer
        g.update({p + "c_attn.weight": mat(4, 12), p + "c_attn.bias": vec(12),
                  p + "c_proj.weight": mat(4, 4), p + "c_proj.bias": vec(4)})
    write("gpt2_ok.json", js(g))
    write("gpt2_cols.json", js(with_(g, **{"h.0.attn.c_attn.weight": mat(4, 10)})))
    write("gpt2_bias_len.json", js(dict(g, **{"h.0.attn.c_attn.bias": vec(4)})))
    write("gpt2_proj_rows.json", js(dict(g, **{"h.0.attn.c_proj.weight": mat(3, 4)})))
    write("gpt2_proj_bias_len.json", js(dict(g, **{"h.0.attn.c_proj.bias": vec(3)})))
    b = {}
    for part in ("query", "key", "value"):
        b["bert.encoder.layer.0.attention.self.%s.weight" % part] = mat(4, 4)
        b["bert.encoder.layer.0.attention.self.%s.bias" % part] = vec(4)
    b["bert.encoder.layer.0.attention.output.dense.weight"] = mat(4, 4)
    b["bert.encoder.layer.0.attention.output.dense.bias"] = vec(4)
    write("bert_ok.json", js(b))
    write("bert_missing_key.json", js({k: v for k, v in b.items() if ".key." not in k}))
    write("bert_value_shape.json", js(dict(b, **{
        "bert.encoder.layer.0.attention.self.value.weight": mat(2, 4)})))
    write("bert_dense_cols.json", js(dict(b, **{
        "bert.encoder.layer.0.attention.output.dense.weight": mat(4, 2)})))
    write("bert_dense_bias_len.json", js(dict(b, **{
        "bert.encoder.layer.0.attention.output.dense.bias": vec(5)})))
    write("bert_bias_len.json", js(dict(b, **{
        "bert.encoder.layer.0.attention.self.key.bias": vec(3)})))
    write("w_as_csv.csv", "1,2\n3,4\n")
    # what torch.save wrote before torch 1.6 (a pickle), with no extension
    # selfattn knows, and what it writes since (a zip of pickles)
    write("w_pickle.bin", b"\x80\x02\x8a\x0alq\x00\xd0\xcc\x0a\x00\x00.")
    write("w_torch_zip.bin", zip_archive([
        Member("archive/data.pkl", b"\x80\x02}q\x00."),
        Member("archive/version", b"3\n")]))


def make_npy():
    good = npy_array(f4(X))
    hdr = "{'descr': '<f4', 'fortran_order': False, 'shape': (3, 4), }"
    data = f4(X).tobytes()
    write("npy_bad_magic.npy", b"\x93NUMPZ" + good[6:])
    write("npy_version4.npy", b"\x93NUMPY\x04\x00" + good[8:])
    write("npy_truncated_header.npy", good[:9])
    write("npy_header_past_end.npy", good[:8] + struct.pack("<H", 0xFFFF) + good[10:80])
    write("npy_v2_header_past_end.npy", npy_file(hdr, data, version=2)[:8]
          + struct.pack("<I", 0xFFFFFFFF) + npy_file(hdr, data, version=2)[12:])
    write("npy_object.npy", npy_file(
        "{'descr': '|O', 'fortran_order': False, 'shape': (2,), }",
        b"\x80\x02]q\x00(K\x01X\x01\x00\x00\x00aq\x01e."))
    # integers are read where float32 holds them exactly: |v| <= 2^24
    big = np.asarray(X, "<f4").astype("<i8")
    big[1, 2] = 2 ** 24 + 1
    write("npy_int_range.npy", npy_array(big))
    big = np.asarray(X, "<f4").astype(">u4") % 4
    big[2, 3] = 2 ** 32 - 1
    write("npy_u4_be_range.npy", npy_array(big))
    write("npy_unicode.npy", npy_file(
        "{'descr': '<U3', 'fortran_order': False, 'shape': (2,), }", b"\0" * 24))
    write("npy_structured.npy", npy_file(
        "{'descr': [('a', '<f4'), ('b', '<f4')], 'fortran_order': False, "
        "'shape': (3,), }", b"\0" * 24))
    write("npy_f4_no_order.npy", npy_file(
        "{'descr': '|f4', 'fortran_order': False, 'shape': (3, 4), }", data))
    write("npy_huge.npy", npy_file(
        "{'descr': '<f4', 'fortran_order': False, 'shape': (1000000000, "
        "1000000000), }", b"\0" * 16))
    write("npy_overflow.npy", npy_file(
        "{'descr': '<f4', 'fortran_order': False, 'shape': (4294967296, "
        "4294967296), }", b"\0" * 16))
    write("npy_dim_too_large.npy", npy_file(
        "{'descr': '<f4', 'fortran_order': False, 'shape': "
        "(100000000000000000000, 1), }", b"\0" * 16))
    write("npy_short_data.npy", good[:-20])
    write("npy_1d.npy", npy_array(f4(X[0])))
    write("npy_3d.npy", npy_array(f4([X, X])))  # a batch of 2: good as an input
    write("npy_4d.npy", npy_array(f4([[X, X]])))
    # 1000 sequences of 32 tokens: more cells than an SVG may have (int8: small)
    write("npy_batch_cells.npy", npy_array(np.zeros((1000, 32, 1), "|i1")))
    write("npy_9d.npy", npy_file(
        "{'descr': '<f4', 'fortran_order': False, 'shape': "
        "(1, 1, 1, 1, 1, 1, 1, 1, 1), }", b"\0" * 4))
    write("npy_empty.npy", npy_file(
        "{'descr': '<f4', 'fortran_order': False, 'shape': (0, 4), }", b""))
    nan = np.asarray(X, "<f4")
    nan[1, 2] = np.nan
    write("npy_nan.npy", npy_array(nan))
    inf = np.asarray(X, "<f4")
    inf[2, 0] = -np.inf
    write("npy_inf.npy", npy_array(inf))
    big = np.asarray(X, "<f8")
    big[0, 1] = 1e300
    write("npy_f8_overflow.npy", npy_array(big))
    write("npy_fortran_garbage.npy", npy_file(
        "{'descr': '<f4', 'fortran_order': Maybe, 'shape': (3, 4), }", data))
    write("npy_no_shape.npy", npy_file(
        "{'descr': '<f4', 'fortran_order': False, }", data))
    write("npy_bad_shape.npy", npy_file(
        "{'descr': '<f4', 'fortran_order': False, 'shape': (3, x), }", data))
    # the header ends right after "'shape':" (no padding, no data)
    write("npy_cut_after_shape.npy", npy_file(
        "{'descr': '<f4', 'fortran_order': False, 'shape':", b"", pad=False))
    write("npy_no_descr.npy", npy_file(
        "{'fortran_order': False, 'shape': (3, 4), }", data))


def make_npz():
    arrays = {k: f4(v) for k, v in W4.items()}
    write("npz_not_zip.npz", "this is not a zip archive\n")
    good = zip_archive(weights_members())
    eocd = good.rindex(b"PK\x05\x06")
    cd = struct.unpack("<I", good[eocd + 16:eocd + 20])[0]
    # cut inside the central directory: the end record is gone
    write("npz_truncated_cd.npz", good[:cd + 30])
    # the end record is there, but says the directory is longer than the file
    write("npz_cd_outside.npz", zip_archive(weights_members(),
                                            eocd={"cd_size": 100000}))
    write("npz_zip64_eocd.npz", zip_archive(weights_members(),
                                            eocd={"cd_offset": 0xFFFFFFFF}))
    m = weights_members()
    m[0].comp = m[0].size = 0xFFFFFFFF
    write("npz_zip64_member.npz", zip_archive(m))
    # a deflated member whose first block has the reserved type 3
    m = weights_members(method=8)
    m[1].payload = bytes([m[1].payload[0] | 0x06]) + m[1].payload[1:]
    write("npz_corrupt_deflate.npz", zip_archive(m))
    # a deflated member cut short (sizes in the headers match the cut)
    m = weights_members(method=8)
    m[0].payload = m[0].payload[:len(m[0].payload) // 2]
    m[0].comp = len(m[0].payload)
    write("npz_truncated_deflate.npz", zip_archive(m))
    m = weights_members()
    m[2].crc ^= 0x1
    write("npz_crc_mismatch.npz", zip_archive(m))
    write("npz_member_not_npy.npz", zip_archive(
        weights_members() + [Member("notes.txt", b"not an array\n")]))
    write("npz_duplicate.npz", zip_archive(
        weights_members() + [Member("Wq.npy", npy_array(arrays["Wq"]))]))
    write("npz_empty.npz", zip_archive([]))
    m = weights_members(method=8)
    m[0].size = 0x7FFFFFF0
    write("npz_implausible_size.npz", zip_archive(m))
    m = weights_members()
    m[0].method = 12
    write("npz_bzip2.npz", zip_archive(m))
    write("npz_local_outside.npz", zip_archive(weights_members(),
                                               local_offset={1: 1000000}))
    m = weights_members()
    m[1].comp = m[1].size - 1
    write("npz_stored_sizes.npz", zip_archive(m))
    m = weights_members()
    m[0].name = b"W\x00q.npy"
    write("npz_name_nul.npz", zip_archive(m))
    m = weights_members()
    wq = (np.asarray(W4["Wq"], "<f4") * 8).astype("<i4")
    wq[0, 1] = -2 ** 24 - 1
    m[0] = Member("Wq.npy", npy_array(wq))
    write("npz_member_int_range.npz", zip_archive(m))
    nan = np.asarray(W4["Wk"], "<f4")
    nan[0, 3] = np.nan
    m = weights_members()
    m[1] = Member("Wk.npy", npy_array(nan))
    write("npz_member_nan.npz", zip_archive(m))
    m = weights_members()
    m[0] = Member("Wq.npy", npy_array(f4(W4["Wq"]))[:100])
    write("npz_member_truncated_npy.npz", zip_archive(m))
    # deflated members whose .npy header ends right after a key's colon:
    # nothing follows the header in the inflated member
    for key, header in (
            ("descr", "{'descr':"),
            ("fortran", "{'descr': '<f4', 'shape': (4, 4), 'fortran_order':"),
            ("shape", "{'descr': '<f4', 'fortran_order': False, 'shape':")):
        m = weights_members(method=8)
        m[0] = Member("Wq.npy", npy_file(header, b"", pad=False), 8)
        write("npz_npy_cut_after_%s.npz" % key, zip_archive(m))
    # inputs: the only array, or x (or input); not two of those, not 4-D
    write("npz_input.npz", zip_archive([Member("a.npy", npy_array(f4(X))),
                                        Member("b.npy", npy_array(f4(X)))]))
    write("npz_input_twice.npz", zip_archive([Member("x.npy", npy_array(f4(X))),
                                              Member("input.npy", npy_array(f4(X)))]))
    write("npz_input_4d.npz", zip_archive([Member("x.npy", npy_array(f4([[X]])))]))
    m = weights_members()
    m[0] = Member("Wq.npy", npy_file(
        "{'descr': '<f4', 'fortran_order': False, 'shape': (0, 4), }", b""))
    write("npz_empty_wq.npz", zip_archive(m))


def make_safetensors():
    a = np.arange(16, dtype="<f4").reshape(4, 4) / 8
    ab = a.tobytes()                     # 64 bytes
    bb = np.arange(4, dtype="<f4").tobytes()   # 16 bytes
    ok_header, ok_buf = st_tensors({k: v for k, v in W4.items()})
    write("st_short.safetensors", b"\x10\0\0\0\0")
    write("st_header_past_end.safetensors",
          struct.pack("<Q", 4096) + b'{"Wq":{}}' + b" " * 7)
    write("st_header_huge.safetensors",
          struct.pack("<Q", 1 << 63) + b'{"Wq":{}}' + b" " * 7)
    write("st_not_json.safetensors",
          safetensors_file('{"Wq": {"dtype": "F32",', ab))
    write("st_empty_header.safetensors", safetensors_file("", b"", pad=False))
    write("st_header_nul.safetensors",
          struct.pack("<Q", 8) + b'{"a"\x00:1}' + b"")
    write("st_not_object.safetensors", safetensors_file("[1, 2, 3]", b""))
    write("st_metadata_not_object.safetensors",
          safetensors_file(dict(ok_header, __metadata__="pt"), ok_buf))
    write("st_metadata_not_strings.safetensors",
          safetensors_file(dict(ok_header, __metadata__={"format": "pt", "step": 3}),
                           ok_buf))
    write("st_entry_not_object.safetensors",
          safetensors_file({"Wq": [0, 64]}, ab))
    write("st_no_dtype.safetensors",
          safetensors_file({"Wq": {"shape": [4, 4], "data_offsets": [0, 64]}}, ab))
    write("st_dtype_i64.safetensors",
          safetensors_file({"Wq": ent("I64", [2, 4], 0, 64)}, ab))
    write("st_dtype_f8.safetensors",
          safetensors_file({"Wq": ent("F8_E4M3", [8, 8], 0, 64)}, ab))
    write("st_dtype_lower.safetensors",
          safetensors_file({"Wq": ent("f32", [4, 4], 0, 64)}, ab))
    write("st_negative_offset.safetensors",
          safetensors_file({"Wq": ent("F32", [4, 4], -64, 0)}, ab))
    write("st_float_offset.safetensors",
          safetensors_file({"Wq": ent("F32", [4, 4], 0, 64.5)}, ab))
    write("st_huge_offset.safetensors",
          safetensors_file({"Wq": ent("F32", [4, 4], 0, 1e20)}, ab))
    write("st_offset_2_53.safetensors",
          safetensors_file({"Wq": ent("F32", [4, 4], 0, 9007199254740992)}, ab))
    write("st_offsets_reversed.safetensors",
          safetensors_file({"Wq": ent("F32", [4, 4], 64, 0)}, ab))
    write("st_offsets_three.safetensors",
          safetensors_file({"Wq": {"dtype": "F32", "shape": [4, 4],
                                   "data_offsets": [0, 32, 64]}}, ab))
    write("st_shape_negative.safetensors",
          safetensors_file({"Wq": ent("F32", [-4, -4], 0, 64)}, ab))
    write("st_shape_huge.safetensors",
          safetensors_file({"Wq": ent("F32", [4294967296, 4294967296], 0, 64)},
                           ab))
    write("st_shape_9d.safetensors",
          safetensors_file({"Wq": ent("F32", [1] * 8 + [16], 0, 64)}, ab))
    write("st_overlap.safetensors",
          safetensors_file({"Wq": ent("F32", [4, 4], 0, 64),
                            "bq": ent("F32", [4], 48, 64)}, ab))
    write("st_gap.safetensors",
          safetensors_file({"Wq": ent("F32", [4, 4], 0, 64),
                            "bq": ent("F32", [4], 72, 88)}, ab + b"\0" * 8 + bb))
    write("st_trailing.safetensors",
          safetensors_file({"Wq": ent("F32", [4, 4], 0, 64)}, ab + b"\0" * 8))
    write("st_length_mismatch.safetensors",
          safetensors_file({"Wq": ent("F32", [4, 4], 0, 60)}, ab[:60]))
    write("st_past_buffer.safetensors",
          safetensors_file({"Wq": ent("F32", [4, 4], 0, 64),
                            "bq": ent("F32", [4], 64, 80)}, ab + bb[:8]))
    write("st_duplicate.safetensors", safetensors_file(
        '{"Wq":{"dtype":"F32","shape":[2,4],"data_offsets":[0,32]},'
        '"Wq":{"dtype":"F32","shape":[2,4],"data_offsets":[32,64]}}', ab))
    nan = np.asarray(W4["Wk"], "<f4").copy()
    nan[2, 1] = np.nan
    h, buf = st_tensors({"Wq": W4["Wq"], "Wk": nan, "Wv": W4["Wv"]})
    write("st_nan_f32.safetensors", safetensors_file(h, buf))
    f16 = np.asarray(W4["Wv"], "<f2").copy()
    f16[0, 0] = np.inf
    h, buf = st_tensors({"Wq": W4["Wq"], "Wk": W4["Wk"]})
    h["Wv"] = ent("F16", [4, 4], len(buf), len(buf) + 32)
    write("st_f16_inf.safetensors", safetensors_file(h, buf + f16.tobytes()))
    bf = (np.asarray(W4["Wq"], "<f4").view("<u4") >> 16).astype("<u2")
    bf[3, 3] = 0x7FC0  # a bfloat16 NaN
    h = {"Wq": ent("BF16", [4, 4], 0, 32)}
    h2, buf = st_tensors({"Wk": W4["Wk"], "Wv": W4["Wv"]})
    for k, v in h2.items():
        v["data_offsets"] = [o + 32 for o in v["data_offsets"]]
        h[k] = v
    write("st_bf16_nan.safetensors", safetensors_file(h, bf.tobytes() + buf))
    h, buf = st_tensors({"Wq": vec(4), "Wk": W4["Wk"], "Wv": W4["Wv"]})
    write("st_wq_1d.safetensors", safetensors_file(h, buf))
    h, buf = st_tensors({"Wk": W4["Wk"], "Wv": W4["Wv"]})
    h["Wq"] = ent("F32", [0, 4], len(buf), len(buf))
    write("st_wq_empty.safetensors", safetensors_file(h, buf))
    h, buf = st_tensors({"x": X})
    write("st_input.safetensors", safetensors_file(h, buf))
    g = {}
    for layer in (0, 1):
        p = "transformer.h.%d.attn." % layer
        g.update({p + "c_attn.weight": mat(4, 12), p + "c_attn.bias": vec(12),
                  p + "c_proj.weight": mat(4, 4), p + "c_proj.bias": vec(4)})
    h, buf = st_tensors(g)
    write("st_gpt2.safetensors",
          safetensors_file(dict(h, __metadata__={"format": "pt"}), buf))
    # __metadata__ "selfattn.config": the config of JSON weights, as text
    h, buf = st_tensors({k: v for k, v in W4.items()})
    for name, text in (("not_json", "{heads: 2}"), ("not_object", "[2]"),
                       ("heads", '{"heads": 3}'), ("kv_heads", '{"kv_heads": 0}')):
        write("st_config_%s.safetensors" % name, safetensors_file(
            dict(h, __metadata__={"format": "pt", "selfattn.config": text}), buf))


def make_mask_bias_context():
    write("mask_wrong_shape.json", js([[1, 0], [1, 1]]))
    write("mask_value_2.json", js([[1, 0, 0], [1, 2, 0], [1, 1, 1]]))
    write("mask_value_half.csv", "1,0,0\n1,0.5,0\n1,1,1\n")
    write("mask_value_neg.json", js([[1, 0, 0], [1, 1, 0], [1, 1, -1]]))
    write("mask_nan.csv", "1,0,0\nnan,1,0\n1,1,1\n")
    m = np.tril(np.ones((3, 3), "<f4"))
    m[2, 1] = np.nan
    write("mask_nan.npy", npy_array(m))
    write("mask_value.npy", npy_array(f4([[1, 0, 0], [1, 1, 0], [1, 1, -1.8125]])))
    write("mask_3d.npy", npy_array(np.ones((1, 3, 3), "<f4")))
    write("mask_ragged.json", js([[1, 0, 0], [1, 1], [1, 1, 1]]))
    write("mask_strings.json", js([["1", "0", "0"], [1, 1, 0], [1, 1, 1]]))
    write("mask_null.json", js([[1, None, 0], [1, 1, 0], [1, 1, 1]]))
    write("mask_scalar.json", "1\n")
    write("mask_empty.json", "")
    write("mask_truncated.json", "[[1, 0, 0],\n [1, 1")
    write("bias_wrong_shape.json", js([[0, 1], [1, 0]]))
    write("bias_3d_wrong_heads.json", js([mat(3, 3)] * 3))
    write("bias_3d_wrong_shape.json", js([mat(3, 3), mat(2, 3)]))
    write("bias_3d_not_rows.json", js([mat(3, 3), 5]))
    b = np.asarray(mat(3, 3), "<f4")
    b[1, 1] = np.nan
    write("bias_nan.npy", npy_array(b))
    write("bias_nan.csv", "0,1,2\n1,nan,0\n2,1,0\n")
    write("bias_4d.npy", npy_array(np.zeros((2, 1, 3, 3), "<f4")))
    write("bias_3d_wrong_heads.npy", npy_array(np.zeros((3, 3, 3), "<f4")))
    write("bias_1e39.json", js([[0, 0, 0], [0, 1e39, 0], [0, 0, 0]]))
    # for the batch of 2 in npy_3d.npy: a context and masks of 3 sequences
    write("ctx_batch3.npy", npy_array(f4([mat(2, 4)] * 3)))
    m = np.tril(np.ones((3, 3), "<f4"))
    write("mask_batch3.npy", npy_array(np.stack([m, m, m])))
    m2 = np.stack([m, m])
    m2[1, 0, 2] = 2
    write("mask_batch_value.npy", npy_array(m2))
    write("ctx_width3.json", js(mat(2, 3)))
    write("ctx_width4.json", js(mat(2, 4)))
    write("ctx_ragged.json", "[[1, 2, 3, 4],\n [5, 6]]\n")


def make_dy():
    # grad --dy: the upstream gradient must be n x d_out (3 x 4 with
    # ok_input.json and generated weights) and finite
    write("dy_wrong_cols.json", js(mat(3, 2)))
    write("dy_wrong_rows.json", js(mat(2, 4)))
    d = np.asarray(mat(3, 4), "<f4")
    d[2, 1] = np.nan
    write("dy_nan.npy", npy_array(d))
    write("dy_nan.csv", "0,1,2,3\n1,nan,0,1\n2,1,0,1\n")
    write("dy_1e39.json", js([[0, 0, 0, 0], [0, 0, 1e39, 0], [0, 0, 0, 0]]))


def make_plot():
    w1 = [[1, 0, 0], [0.5, 0.5, 0], [0.25, 0.25, 0.5]]
    cfg = {"n": 3, "m": 3, "heads": 1}
    write("plot_not_json.json", "<svg>not a result</svg>\n")
    write("plot_array.json", js([w1]))
    write("plot_no_config.json", js({"weights": [w1]}))
    write("plot_config_not_object.json", js({"config": "n=3", "weights": [w1]}))
    write("plot_config_no_n.json", js({"config": {"heads": 1}, "weights": [w1]}))
    write("plot_wrong_heads.json", js({"config": dict(cfg, heads=2), "weights": [w1]}))
    write("plot_wrong_rows.json", js({"config": cfg, "weights": [w1[:2]]}))
    write("plot_wrong_cols.json",
          js({"config": cfg, "weights": [[w1[0], [0.5, 0.5], w1[2]]]}))
    write("plot_string_value.json",
          js({"config": cfg, "weights": [[w1[0], w1[1], [0.25, "x", 0.5]]]}))
    write("plot_1e39.json",
          js({"config": cfg, "weights": [[w1[0], [0.5, 1e39, 0], w1[2]]]}))
    write("plot_output_only.json", js({"config": cfg, "output": [[1, 2]] * 3}))
    write("plot_weights_only.json", js({"config": cfg, "weights": [w1]}))
    write("plot_steps_only.json", js({"config": cfg, "steps": {"scores": [w1]}}))
    # plot draws its softmax step, which no other result's weights share a scale with
    write("plot_softmax_only.json", js({"config": cfg, "steps": {"softmax": [w1]}}))
    write("plot_two_heads.json", js({"config": dict(cfg, heads=2), "weights": [w1, w1]}))
    write("plot_averaged.json",
          js({"config": dict(cfg, heads=2, average_heads=True), "weights": w1}))
    # run -H 2 --head 2 -p weights: head 2 alone
    write("plot_one_head.json", js({"config": dict(cfg, heads=2, head=2), "weights": [w1]}))
    write("plot_one_head_two.json",
          js({"config": dict(cfg, heads=2, head=2), "weights": [w1, w1]}))
    write("plot_head_beyond.json", js({"config": dict(cfg, heads=2, head=3), "weights": [w1]}))
    write("plot_tokens_count.json",
          js({"config": cfg, "tokens": ["a", "b"], "weights": [w1]}))
    write("plot_key_tokens.json",
          js({"config": dict(cfg, context="ctx.json"), "tokens": ["a", "b", "c"],
              "key_tokens": ["x", 2, "z"], "weights": [w1]}))
    # a config that claims a huge attention for a 1 x 1 matrix
    write("plot_huge_n.json",
          js({"config": {"n": 100000000, "heads": 1}, "weights": [[[0.5]]]}))
    write("plot_huge_heads.json",
          js({"config": {"n": 100000, "m": 100000, "heads": 100000},
              "weights": [[[0.5]]]}))
    write("plot_truncated.json", js({"config": cfg, "weights": [w1]})[:40])
    write("plot_batch.json", js({"config": dict(cfg, batch=2), "weights": [[w1], [w1]]}))


def make_batch():
    good = lambda i: js({"id": "s%d" % i, "embeddings": mat(2 + i % 2, 4, i)})
    lines = [
        good(1),
        '[[0.5, -1, 0.25, 2], [1, 0]]\n',                 # 2 ragged
        good(3),
        '[[0.5, -1, 0.25, 2], [1, 0,\n',                  # 4 cut off
        '\n',                                            # 5 blank
        '{"id": 6, "embeddings": [[1, 2, 3], [4, 5, 6]]}\n',  # 6 width 3
        '{"id": "s7", "rows": [[1, 2, 3, 4]]}\n',        # 7 no embeddings
        '[[1, 2, "3", 4]]\n',                            # 8 a string
        '[]\n',                                          # 9 no rows
        good(10),
    ]
    write("batch_bad_lines.jsonl", "".join(lines))
    write("batch_nul.jsonl", b'[[1, 2, 3, 4],\x00 [5, 6, 7, 8]]\n'
          + good(2).encode())
    write("batch_crlf_bad.jsonl", good(1).replace("\n", "\r\n")
          + '[[1, 2, 3, 4], [5, 6, 7, x]]\r\n')
    write("batch_all_bad.jsonl", "garbage\n[[1e39, 0]]\n{}\n")
    write("batch_width_change.jsonl", js(mat(2, 4)) + js(mat(2, 3)) + js(mat(3, 4)))
    write("batch_heads_usage.jsonl", js(mat(2, 3)) + js(mat(2, 4)) + js(mat(2, 3)))
    write("batch_mask_lines.jsonl", js(mat(3, 4)) + js(mat(2, 4)) + js(mat(3, 4)))
    write("batch_deep.jsonl", "[" * 3000 + "\n" + js(mat(2, 4)))


def make_hostile():
    """Inputs an attacker would send: numbers JSON does not allow in every
    JSON reader, texts that cost more memory than their size, archives
    that inflate past what they announce, lines past the input limit."""
    for name, number in (("leading_zero", "01"), ("neg_leading_zero", "-01"),
                         ("trailing_dot", "1."), ("dot_exponent", "1.e5")):
        write("json_num_%s.json" % name, "[[%s, 2, 3, 4], [5, 6, 7, 8]]\n" % number)
    write("w_num_leading_zero.json", js(W4).replace("[[", "[[01, ", 1))
    write("mask_num_trailing_dot.json", "[[1, 0, 0], [1, 1., 0], [1, 1, 1]]\n")
    w1 = [[1, 0, 0], [0.5, 0.5, 0], [0.25, 0.25, 0.5]]
    write("plot_num_leading_zero.json", js({"config": {"n": 3, "m": 3, "heads": 1},
                                            "weights": [w1]}).replace("0.25", "00.25", 1))
    write("plot_mask_from_stdin.json", js({"config": {"n": 3, "m": 3, "heads": 1,
                                                      "mask": "<stdin>"}, "weights": [w1]}))
    write("batch_num_dot_exponent.jsonl", js(mat(2, 4)) + '[[1.e5, 2, 3, 4]]\n'
          + js(mat(2, 4, 3)))
    # 12000 empty arrays: values outside arrays of numbers, one per 3 bytes
    write("w_too_many_values.json", '{"Wq": [' + ", ".join(["[]"] * 12000) + "]}\n")
    # Wq.npy announces 4 x 4 float32s (192 bytes) but the archive says, and
    # the deflate stream holds, 10 MB: a bomb of 10 KB
    wq = npy_array(f4(W4["Wq"]))
    bomb = Member("Wq.npy", wq + bytes(10 << 20), 8)
    write("npz_bomb.npz", zip_archive([bomb] + weights_members(method=8)[1:]))
    # the sizes agree with the header, the stream holds 1 MB more
    m = weights_members(method=8)
    m[0] = Member("Wq.npy", wq + bytes(1 << 20), 8, size=len(wq),
                  crc=zlib.crc32(wq) & 0xFFFFFFFF)
    write("npz_longer_stream.npz", zip_archive(m))
    # the end record declares 65531 entries in a directory of four
    write("npz_entry_count.npz", zip_archive(weights_members(), eocd={"count": 65531}))
    write("npz_deflated.npz", zip_archive(weights_members(method=8)))
    # a safetensors header of 30000 numbers (kept as doubles, not packed)
    h = ('{"Wq": {"dtype": "F32", "shape": [' + "1," * 30000
         + '1], "data_offsets": [0, 4]}}').encode()
    write("st_header_many_values.safetensors", struct.pack("<Q", len(h)) + h + bytes(4))
    long_row = "[" + ", ".join(["0.125"] * 1000) + "]"
    write("json_long_rows.json", "[%s, %s]\n" % (long_row, long_row))
    write("batch_long_line.jsonl", js(mat(2, 4)) + '{"id": "long", "embeddings": [%s]}\n'
          % long_row + js(mat(2, 4, 3)))


def make_input_keys():
    """Issue 15: input objects with keys they do not take, or twice;
    trailing commas; weights and embeddings swapped; CSV with mixed
    separators; batch lines with a mask and a context of their own."""
    rows = json.dumps(X)
    write("json_key_misspelt.json", '{"token": ["a", "b", "c"],\n "embeddings": %s}\n' % rows)
    write("json_key_twice.json", '{"tokens": ["a", "b", "c"],\n "embeddings": %s,\n'
          ' "tokens": ["d", "e", "f"]}\n' % rows)
    write("json_key_of_batch.json", '{"embeddings": %s,\n "mask": [[1, 0, 0], [1, 1, 0], '
          '[1, 1, 1]]}\n' % rows)
    write("json_only_tokens.json", js({"_note": "no rows", "tokens": ["a", "b", "c"]}))
    write("json_trailing_comma.json", '{"tokens": ["a", "b", "c"],\n "embeddings": %s,\n}\n'
          % rows)
    write("json_trailing_comma_rows.json", "[[0.5, -1],\n [1, 0],\n]\n")
    # past 16 KiB the scanner words the message itself: the same words
    long_row = "[" + ", ".join(["0.125"] * 1000) + "]"
    write("json_trailing_comma_large.json", "[%s,\n %s,\n %s, ]\n"
          % (long_row, long_row, long_row))
    write("w_trailing_comma.json", js(W4).replace("]]}\n", "]],\n}\n"))
    write("w_key_twice.json", js(W4).replace("}\n", ',\n "Wq": %s}\n'
                                             % json.dumps(mat(4, 4, 5))))
    write("w_string.json", '"Wq"\n')
    write("mask_trailing_comma.json", "[[1, 0, 0], [1, 1, 0], [1, 1, 1],]\n")
    write("csv_semicolons_then_commas.csv", "0.5;-1;0.25;2\n1,0,-0.5,0.75\n-1.5;0.5;1;0\n")
    write("csv_tabs_then_commas.csv", "token\te0\te1\te2\te3\nthe,1,2,3,4\n")
    lines = [
        {"id": "mask", "embeddings": X, "mask": [[1, 0, 0], [1, 1, 0], [1, 1, 1]]},
        {"id": "mask shape", "embeddings": X, "mask": [[1, 0, 0], [1, 1, 0]]},
        {"id": "mask 2", "embeddings": X, "mask": [[1, 0, 0], [1, 2, 0], [1, 1, 1]]},
        {"id": "context", "embeddings": X[:2], "context": mat(3, 4),
         "context_tokens": ["k1", "k2", "k3"]},
        {"id": "labels only", "embeddings": X, "context_tokens": ["k1", "k2"]},
        {"id": "labels count", "embeddings": X, "context": mat(3, 4),
         "context_tokens": ["k1", "k2"]},
        {"id": "masks", "embeddings": X, "masks": [[1, 1, 1]] * 3},
    ]
    text = "".join(js(line) for line in lines)
    text += '{"id": "twice", "context": %s, "embeddings": %s, "context": %s}\n' % (
        json.dumps(mat(2, 4)), rows, json.dumps(mat(2, 4)))
    text += js(W4)
    text += '{"id": "comma", "embeddings": %s,}\n' % rows
    text += js({"id": "context width", "embeddings": X, "context": mat(2, 3)})
    write("batch_line_parts.jsonl", text)


def main():
    os.makedirs(OUT_DIR, exist_ok=True)
    if OUT_DIR != os.path.join(HERE, "files") and os.listdir(OUT_DIR):
        sys.exit("make_bad.py: --out %s: not empty" % OUT_DIR)
    for name in os.listdir(OUT_DIR):
        path = os.path.join(OUT_DIR, name)
        if os.path.isfile(path) or os.path.islink(path):
            os.remove(path)
    make_ok()
    make_json_inputs()
    make_csv()
    make_json_weights()
    make_npy()
    make_npz()
    make_safetensors()
    make_mask_bias_context()
    make_dy()
    make_plot()
    make_batch()
    make_hostile()
    make_input_keys()
    print("wrote %d files in %s" % (len(WRITTEN), OUT_DIR))


if __name__ == "__main__":
    main()
