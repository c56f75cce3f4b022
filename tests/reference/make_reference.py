#!/usr/bin/python3
"""Generate reference fixtures for the `selfattn` tests.

What it makes
-------------
For every case NAME it writes, into tests/reference/cases/:

  NAME.input.json     X (n x d): either [[...], ...] or
                      {"tokens": [...], "embeddings": [[...], ...]}
  NAME.weights.json   either the math convention (Wq, Wk, Wv [, Wo]
                      [, bq, bk, bv, bo]) or a torch nn.MultiheadAttention
                      state dict (in_proj_weight, [in_proj_bias,]
                      out_proj.weight[, out_proj.bias])
  NAME.mask.json      only when the case uses a mask file: n x n of 0/1
                      (1 = may attend)
  NAME.case.json      {"reference", "heads", "causal", "scale", "mask",
                       "average_heads", "description"}
  NAME.expected.json  {"output": n x d_out, "weights": H x n x n, or n x n
                       when average_heads}

Every input/weight number is drawn, rounded to float32 and written as the
exact float32 value (Python repr of the float64 that holds it), so a parser
reading either float or double gets the same value.  References are
computed in float64 from those rounded values and written with repr
(full precision).

Two references are used:
  * "torch": torch.nn.MultiheadAttention (batch_first=True, .double(),
    need_weights=True).  Every torch case is also recomputed with the plain
    NumPy float64 implementation below and must agree to 1e-10.
  * "numpy": the plain NumPy float64 implementation (needed for semantics
    torch does not have: no Wo, d_out != d, custom scale, fully masked query
    rows -> zero weights and zero head output).  Every numpy case is also
    cross-checked against nn.MultiheadAttention by embedding it into a
    (zero-padded) torch module; rows with no visible key are checked
    separately (weights all zero, output row == bo or zeros).

Any disagreement raises and the script exits non-zero.

How to rerun (from the repository root)
----------------------------------------
    /usr/bin/python3 tests/reference/make_reference.py

Seeds are fixed, so reruns produce byte-identical files.  Stale *.json
files in cases/ that the script no longer generates are removed.
"""

import math
import os
import sys

import numpy as np
import torch

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "lib"))
from fixture_io import f32, json_file, npy_file, npy_header, tolist  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
CASES_DIR = os.path.join(HERE, "cases")
CROSS_TOL = 1e-10

torch.set_num_threads(1)
torch.manual_seed(0)


# --------------------------------------------------------------------------
# writing: the JSON text is tests/lib/fixture_io.py's to_json (innermost
# arrays on one line)
# --------------------------------------------------------------------------

WRITTEN = []


def write_json(path, obj):
    with open(path, "wb") as fh:
        fh.write(json_file(obj))
    WRITTEN.append(os.path.basename(path))


# --------------------------------------------------------------------------
# Plain NumPy float64 reference, written from the formulas in the brief
# --------------------------------------------------------------------------

def allowed_matrix(n, causal, mask):
    allowed = np.ones((n, n), dtype=bool)
    if causal:
        allowed &= np.tril(np.ones((n, n), dtype=bool))
    if mask is not None:
        allowed &= np.asarray(mask) != 0
    return allowed


def numpy_attention(X, Wq, Wk, Wv, H, bq=None, bk=None, bv=None, Wo=None,
                    bo=None, scale=None, causal=False, mask=None):
    """Returns (output n x d_out, weights H x n x n)."""
    X = np.asarray(X, dtype=np.float64)
    n = X.shape[0]
    P = Wq.shape[1]
    assert Wk.shape[1] == P and Wv.shape[1] == P and P % H == 0
    dh = P // H
    if scale is None:
        scale = 1.0 / math.sqrt(dh)
    Q = X @ Wq
    K = X @ Wk
    V = X @ Wv
    if bq is not None:
        Q = Q + bq
    if bk is not None:
        K = K + bk
    if bv is not None:
        V = V + bv
    allowed = allowed_matrix(n, causal, mask)
    weights = np.zeros((H, n, n))
    concat = np.zeros((n, P))
    for h in range(H):
        cols = slice(h * dh, (h + 1) * dh)
        S = scale * (Q[:, cols] @ K[:, cols].T)
        for i in range(n):
            vis = allowed[i]
            if not vis.any():
                continue  # zero weights, zero head output
            m = S[i, vis].max()
            e = np.where(vis, np.exp(np.where(vis, S[i] - m, 0.0)), 0.0)
            weights[h, i] = e / e.sum()
        concat[:, cols] = weights[h] @ V[:, cols]
    out = concat
    if Wo is not None:
        out = concat @ Wo
    if bo is not None:
        assert Wo is not None
        out = out + bo
    return out, weights


# --------------------------------------------------------------------------
# torch reference
# --------------------------------------------------------------------------

def torch_mha(sd, X, H, causal=False, mask=None, average=False,
              fast_check=None):
    """Run nn.MultiheadAttention in float64 with a float64-valued state dict
    (numpy arrays).  Returns (output n x E, weights)."""
    E = sd["in_proj_weight"].shape[1]
    bias = "in_proj_bias" in sd
    mha = torch.nn.MultiheadAttention(E, H, dropout=0.0, bias=bias,
                                      batch_first=True)
    # Values of the real fixtures are float32-exact, so converting the module
    # to float64 before or after loading is the same; loading after .double()
    # also keeps the (non-float32) padded cross-check modules exact.
    mha = mha.double()
    mha.load_state_dict({k: torch.tensor(np.asarray(v, dtype=np.float64))
                         for k, v in sd.items()})
    mha.eval()
    n = X.shape[0]
    attn_mask = None
    if causal or mask is not None:
        attn_mask = ~torch.tensor(allowed_matrix(n, causal, mask))
    x = torch.tensor(np.asarray(X, dtype=np.float64)).unsqueeze(0)
    # Grad stays enabled (parameters require grad), which keeps torch 1.13
    # off its "fast path" (torch._native_multi_head_attention): that path
    # crashes with bias=False in 1.13 and is only taken for some cases, so
    # every case uses the documented F.multi_head_attention_forward path.
    with torch.enable_grad():
        out, w = mha(x, x, x, need_weights=True, attn_mask=attn_mask,
                     average_attn_weights=average)
    out, w = out.detach()[0].numpy().copy(), w.detach()[0].numpy().copy()
    if fast_check is not None:
        # Also run under no_grad, where torch may take the fast path.
        with torch.no_grad():
            o2, w2 = mha(x, x, x, need_weights=True, attn_mask=attn_mask,
                         average_attn_weights=average)
        check(fast_check, "torch no_grad(fast path) vs standard output",
              o2[0].numpy(), out)
        check(fast_check, "torch no_grad(fast path) vs standard weights",
              w2[0].numpy(), w)
    return out, w


def sd_to_math(sd):
    E = sd["in_proj_weight"].shape[1]
    W = sd["in_proj_weight"]
    m = {"Wq": W[0:E].T, "Wk": W[E:2 * E].T, "Wv": W[2 * E:3 * E].T,
         "Wo": sd["out_proj.weight"].T}
    if "in_proj_bias" in sd:
        b = sd["in_proj_bias"]
        m.update(bq=b[0:E], bk=b[E:2 * E], bv=b[2 * E:3 * E],
                 bo=sd["out_proj.bias"])
    return m


def math_to_padded_torch(w, d, H, scale):
    """Embed an arbitrary math-convention attention (d_in=d, P=H*dh, d_out)
    into a torch nn.MultiheadAttention of size E = H*dh2 >= max(d, P, d_out)
    by zero padding.  Returns (state dict, E)."""
    P = w["Wq"].shape[1]
    dh = P // H
    d_out = w["Wo"].shape[1] if "Wo" in w else P
    dh2 = max(dh, -(-d // H), -(-d_out // H))
    E = H * dh2
    if scale is None:
        scale = 1.0 / math.sqrt(dh)
    qfac = scale * math.sqrt(dh2)  # torch scales by 1/sqrt(dh2)

    def place(Wm, bvec, fac):
        Wt = np.zeros((E, E))  # torch rows = output features, cols = input
        bt = np.zeros(E)
        for h in range(H):
            for j in range(dh):
                Wt[h * dh2 + j, :d] = fac * Wm[:, h * dh + j]
                if bvec is not None:
                    bt[h * dh2 + j] = fac * bvec[h * dh + j]
        return Wt, bt

    Wq, bq = place(w["Wq"], w.get("bq"), qfac)
    Wk, bk = place(w["Wk"], w.get("bk"), 1.0)
    Wv, bv = place(w["Wv"], w.get("bv"), 1.0)
    Wo_math = w["Wo"] if "Wo" in w else np.eye(P)
    Wo = np.zeros((E, E))
    for h in range(H):
        for j in range(dh):
            Wo[:d_out, h * dh2 + j] = Wo_math[h * dh + j, :]
    bo = np.zeros(E)
    if "bo" in w:
        bo[:d_out] = w["bo"]
    sd = {"in_proj_weight": np.concatenate([Wq, Wk, Wv]),
          "in_proj_bias": np.concatenate([bq, bk, bv]),
          "out_proj.weight": Wo, "out_proj.bias": bo}
    return sd, E


# --------------------------------------------------------------------------
# Case builders
# --------------------------------------------------------------------------

CROSS = []  # (case name, what, max abs diff)


def maxdiff(a, b):
    a = np.asarray(a)
    b = np.asarray(b)
    if a.shape != b.shape:
        raise AssertionError("shape mismatch %s vs %s" % (a.shape, b.shape))
    if a.size == 0:
        return 0.0
    return float(np.max(np.abs(a - b)))


def check(name, what, a, b, tol=CROSS_TOL):
    diff = maxdiff(a, b)
    if not (diff <= tol):
        raise AssertionError("%s: %s differs by %g (> %g)"
                             % (name, what, diff, tol))
    CROSS.append((name, what, diff))
    return diff


def sanity(name, out, weights, allowed, average):
    if not np.all(np.isfinite(out)) or not np.all(np.isfinite(weights)):
        raise AssertionError("%s: non-finite reference values" % name)
    W = weights if not average else weights[None]
    sums = W.sum(axis=-1)
    want = np.where(allowed.any(axis=1), 1.0, 0.0)
    if maxdiff(sums, np.broadcast_to(want, sums.shape)) > 1e-12:
        raise AssertionError("%s: weight rows do not sum to 1/0" % name)
    if np.any(W[..., ~allowed] != 0.0):
        raise AssertionError("%s: weight on a masked key" % name)


def write_input(name, X, tokens=None):
    rows = tolist(X)
    if tokens is None:
        obj = rows
    else:
        assert len(tokens) == len(rows)
        obj = {"tokens": list(tokens), "embeddings": rows}
    write_json(os.path.join(CASES_DIR, name + ".input.json"), obj)


def write_case(name, reference, H, causal, scale, mask, average, desc):
    write_json(os.path.join(CASES_DIR, name + ".case.json"), {
        "reference": reference, "heads": H, "causal": bool(causal),
        "scale": None if scale is None else float(scale),
        "mask": mask is not None, "average_heads": bool(average),
        "description": desc})
    if mask is not None:
        write_json(os.path.join(CASES_DIR, name + ".mask.json"),
                   [[int(v) for v in row] for row in np.asarray(mask)])


def write_expected(name, out, weights):
    write_json(os.path.join(CASES_DIR, name + ".expected.json"),
               {"output": tolist(out), "weights": tolist(weights)})


SUMMARY = []  # (name, n, d, H, dh, d_out, reference)


def torch_case(name, seed, n, d, H, bias=True, causal=False, average=False,
               tokens=None, desc=""):
    rng = np.random.default_rng(seed)
    X = f32(rng.standard_normal((n, d)))
    a = 1.0 / math.sqrt(d)
    sd = {"in_proj_weight": f32(rng.uniform(-a, a, (3 * d, d)))}
    if bias:
        sd["in_proj_bias"] = f32(rng.uniform(-a, a, 3 * d))
    sd["out_proj.weight"] = f32(rng.uniform(-a, a, (d, d)))
    if bias:
        sd["out_proj.bias"] = f32(rng.uniform(-a, a, d))

    out, w = torch_mha(sd, X, H, causal=causal, average=average,
                       fast_check=name if bias else None)

    # cross-check with the plain NumPy implementation
    m = sd_to_math(sd)
    n_out, n_w = numpy_attention(X, H=H, causal=causal, **m)
    check(name, "numpy vs torch output", n_out, out)
    check(name, "numpy vs torch weights", n_w.mean(axis=0) if average else n_w,
          w)
    allowed = allowed_matrix(n, causal, None)
    sanity(name, out, w, allowed, average)

    write_input(name, X, tokens)
    write_json(os.path.join(CASES_DIR, name + ".weights.json"),
               {k: tolist(v) for k, v in sd.items()})
    write_case(name, "torch", H, causal, None, None, average, desc)
    write_expected(name, out, w)
    SUMMARY.append((name, n, d, H, d // H, d, "torch"))


def numpy_case(name, seed, n, d, H, dh, d_out=None, Wo=True, bqkv=True,
               bo=True, scale=None, causal=False, mask=None, average=False,
               tokens=None, desc="", fixed=None):
    """d_out only matters with Wo (without Wo, d_out = P)."""
    P = H * dh
    if fixed is not None:
        X = f32(fixed["X"])
        w = {k: f32(v) for k, v in fixed["w"].items()}
    else:
        rng = np.random.default_rng(seed)
        X = f32(rng.standard_normal((n, d)))
        a = 1.0 / math.sqrt(d)
        ao = 1.0 / math.sqrt(P)
        w = {"Wq": f32(rng.uniform(-a, a, (d, P))),
             "Wk": f32(rng.uniform(-a, a, (d, P))),
             "Wv": f32(rng.uniform(-a, a, (d, P)))}
        if Wo:
            w["Wo"] = f32(rng.uniform(-ao, ao, (P, d_out)))
        if bqkv:
            w["bq"] = f32(rng.uniform(-a, a, P))
            w["bk"] = f32(rng.uniform(-a, a, P))
            w["bv"] = f32(rng.uniform(-a, a, P))
        if bo:
            assert Wo
            w["bo"] = f32(rng.uniform(-ao, ao, d_out))
    if "Wo" not in w:
        d_out = P
    assert X.shape == (n, d) and w["Wq"].shape == (d, P)
    if mask is not None:
        mask = np.asarray(mask, dtype=np.int64)
        assert mask.shape == (n, n)
        assert set(np.unique(mask)) <= {0, 1}

    out, wts = numpy_attention(X, H=H, scale=scale, causal=causal, mask=mask,
                               **w)
    weights = wts.mean(axis=0) if average else wts
    allowed = allowed_matrix(n, causal, mask)
    sanity(name, out, weights, allowed, average)
    assert out.shape == (n, d_out)

    # Rows with no visible key: weights zero, output row == bo (or zeros).
    empty = ~allowed.any(axis=1)
    want_row = w["bo"] if "bo" in w else np.zeros(d_out)
    for i in np.nonzero(empty)[0]:
        if not np.array_equal(out[i], want_row):
            raise AssertionError("%s: empty row %d output != bo" % (name, i))
        if np.any(wts[:, i, :] != 0.0):
            raise AssertionError("%s: empty row %d has weights" % (name, i))

    # Cross-check against nn.MultiheadAttention via a zero-padded module.
    sd, E = math_to_padded_torch(w, d, H, scale)
    Xp = np.zeros((n, E))
    Xp[:, :d] = X
    t_out, t_w = torch_mha(sd, Xp, H, causal=causal, mask=mask,
                           average=average)
    keep = ~empty
    check(name, "torch(padded) vs numpy output", t_out[keep][:, :d_out],
          out[keep])
    if np.any(t_out[keep][:, d_out:] != 0.0):
        raise AssertionError("%s: padded torch columns non-zero" % name)
    check(name, "torch(padded) vs numpy weights",
          t_w[..., keep, :], weights[..., keep, :])
    if empty.any() and not np.all(np.isnan(t_out[empty])):
        raise AssertionError("%s: expected torch to give NaN on empty rows"
                             % name)

    write_input(name, X, tokens)
    order = ["Wq", "Wk", "Wv", "Wo", "bq", "bk", "bv", "bo"]
    write_json(os.path.join(CASES_DIR, name + ".weights.json"),
               {k: tolist(w[k]) for k in order if k in w})
    write_case(name, "numpy", H, causal, scale, mask, average, desc)
    write_expected(name, out, weights)
    SUMMARY.append((name, n, d, H, dh, d_out, "numpy"))


def write_npy(path, a):
    a = np.ascontiguousarray(a, dtype="<f4")
    with open(path, "wb") as fh:
        fh.write(npy_file(npy_header("<f4", a.shape), a.tobytes()))
    WRITTEN.append(os.path.basename(path))


def batch_case(name, seed, B, n, d, H, causal=False, desc=""):
    """A batch: B sequences of n tokens, NAME.input.npy (B x n x d), run as
    B sequences with the same weights (math convention, Wo and every bias,
    P = d_out = d).  Expected: output B x n x d, weights B x H x n x n, from
    the NumPy implementation sequence by sequence, cross-checked against
    nn.MultiheadAttention run on the whole batch at once."""
    rng = np.random.default_rng(seed)
    X = f32(rng.standard_normal((B, n, d)))
    a = 1.0 / math.sqrt(d)
    w = {k: f32(rng.uniform(-a, a, (d, d))) for k in ("Wq", "Wk", "Wv", "Wo")}
    w.update({k: f32(rng.uniform(-a, a, d)) for k in ("bq", "bk", "bv", "bo")})
    outs, weights = zip(*(numpy_attention(X[b], H=H, causal=causal, **w)
                          for b in range(B)))
    out, wts = np.stack(outs), np.stack(weights)
    for b in range(B):
        sanity(name, out[b], wts[b], allowed_matrix(n, causal, None), False)

    # torch takes the batch whole: (B, n, E) with batch_first
    sd, E = math_to_padded_torch(w, d, H, None)
    assert E == d
    mha = torch.nn.MultiheadAttention(E, H, dropout=0.0, batch_first=True).double()
    mha.load_state_dict({k: torch.tensor(v) for k, v in sd.items()})
    mha.eval()
    attn_mask = ~torch.tensor(allowed_matrix(n, causal, None)) if causal else None
    x = torch.tensor(np.asarray(X, dtype=np.float64))
    with torch.enable_grad():  # the standard path, as torch_mha
        t_out, t_w = mha(x, x, x, need_weights=True, attn_mask=attn_mask,
                         average_attn_weights=False)
    check(name, "torch(batch) vs numpy output", t_out.detach().numpy(), out)
    check(name, "torch(batch) vs numpy weights", t_w.detach().numpy(), wts)

    write_npy(os.path.join(CASES_DIR, name + ".input.npy"), X)
    order = ["Wq", "Wk", "Wv", "Wo", "bq", "bk", "bv", "bo"]
    write_json(os.path.join(CASES_DIR, name + ".weights.json"),
               {k: tolist(w[k]) for k in order})
    write_case(name, "numpy", H, causal, None, None, False, desc)
    write_expected(name, out, wts)
    SUMMARY.append((name, n, d, H, d // H, d, "numpy"))


def random_mask(rng, n, density=0.6, diag=True):
    m = (rng.random((n, n)) < density).astype(np.int64)
    if diag:
        np.fill_diagonal(m, 1)
    return m


# --------------------------------------------------------------------------
# The cases
# --------------------------------------------------------------------------

def build_all():
    # ---- torch cases ----
    torch_case("torch_n1_d4_h2", 101, 1, 4, 2,
               desc="single token: weights are all 1, output = V projected")
    torch_case("torch_n3_d4_h1", 102, 3, 4, 1,
               desc="tiny, one head, torch state dict with biases")
    torch_case("torch_n5_d8_h2", 103, 5, 8, 2,
               desc="two heads, dh=4, torch state dict with biases")
    torch_case("torch_n7_d12_h3", 104, 7, 12, 3,
               desc="three heads, dh=4, torch state dict with biases")
    torch_case("torch_n16_d32_h4", 105, 16, 32, 4,
               desc="four heads, dh=8, torch state dict with biases")
    torch_case("torch_n33_d64_h8", 106, 33, 64, 8,
               desc="eight heads, dh=8, odd n=33, torch state dict")
    torch_case("torch_nobias", 107, 6, 8, 2, bias=False,
               desc="bias=False: state dict has no in_proj_bias/out_proj.bias")
    torch_case("torch_causal_h2", 108, 6, 8, 2, causal=True,
               desc="causal mask, two heads, per-head weights")
    torch_case("torch_avg_h4", 109, 6, 16, 4, average=True,
               desc="average_heads: weights are the n x n mean over 4 heads")
    torch_case("torch_causal_avg", 110, 7, 12, 3, causal=True, average=True,
               desc="causal and average_heads together, three heads")
    torch_case("torch_tokens", 111, 4, 6, 2,
               tokens=["the", "cat", "sat", "down"],
               desc="token-form input {tokens, embeddings}, two heads")

    # ---- numpy cases (math convention) ----
    numpy_case("numpy_noWo", 201, 4, 6, 2, 5, Wo=False, bqkv=True, bo=False,
               desc="no Wo: output = concatenated heads (P=10 != d=6), "
                    "with bq/bk/bv")
    numpy_case("numpy_Wo_dout", 202, 6, 5, 3, 2, d_out=7, Wo=True,
               bqkv=True, bo=True,
               desc="Wo maps P=6 to d_out=7 (d=5), all biases bq bk bv bo")
    numpy_case("numpy_scale1", 203, 5, 4, 2, 3, d_out=4, Wo=True,
               bqkv=False, bo=False, scale=1.0,
               desc="scale 1 instead of 1/sqrt(dh), Wo without any biases")
    numpy_case("numpy_scale_custom", 204, 5, 8, 2, 4, d_out=8, Wo=True,
               bqkv=False, bo=True, scale=0.3,
               desc="explicit scale 0.3 (default would be 0.5), Wo and bo "
                    "only")
    rng = np.random.default_rng(205)
    mask = random_mask(rng, 6)
    numpy_case("numpy_mask", 206, 6, 8, 2, 4, d_out=8, mask=mask,
               tokens=["we", "hold", "these", "truths", "to", "be"],
               desc="mask file (diagonal always visible), token-form input")
    rng = np.random.default_rng(207)
    mask = random_mask(rng, 7, density=0.5)
    numpy_case("numpy_mask_causal", 208, 7, 6, 2, 3, d_out=6, mask=mask,
               causal=True,
               desc="mask file AND causal (mask has 1s above the diagonal "
                    "that causal removes)")
    rng = np.random.default_rng(209)
    mask = random_mask(rng, 5)
    mask[2, :] = 0
    numpy_case("numpy_empty_row", 210, 5, 6, 2, 3, d_out=6, mask=mask,
               desc="mask row 2 all zero: weights row 2 zero, output row 2 "
                    "= bo")
    rng = np.random.default_rng(211)
    mask = random_mask(rng, 5)
    mask[0, 0] = 0  # with causal, query 0 sees nothing
    numpy_case("numpy_empty_row_noWo", 212, 5, 4, 2, 3, Wo=False,
               bqkv=True, bo=False, mask=mask, causal=True,
               desc="causal AND mask leave query 0 with no key, no Wo: "
                    "output row 0 is zeros")
    numpy_case("numpy_classic", None, 3, 4, 1, 3, scale=1.0,
               tokens=["x1", "x2", "x3"],
               desc="Illustrated: Self-Attention example, one head, "
                    "scale 1, no Wo, no biases",
               fixed={"X": [[1, 0, 1, 0], [0, 2, 0, 2], [1, 1, 1, 1]],
                      "w": {"Wq": [[1, 0, 1], [1, 0, 0], [0, 0, 1],
                                   [0, 1, 1]],
                            "Wk": [[0, 0, 1], [1, 1, 0], [0, 1, 0],
                                   [1, 1, 0]],
                            "Wv": [[0, 2, 0], [0, 3, 0], [1, 0, 3],
                                   [1, 1, 0]]}})
    batch_case("numpy_batch_causal", 213, 3, 4, 8, 2, causal=True,
               desc="a batch of 3 sequences (input.npy, 3 x 4 x 8), two "
                    "heads, causal: output 3 x 4 x 8, weights 3 x 2 x 4 x 4")


def main():
    os.makedirs(CASES_DIR, exist_ok=True)
    build_all()
    # Remove stale fixtures from earlier versions of this script.
    for fn in sorted(os.listdir(CASES_DIR)):
        if fn.endswith((".json", ".npy")) and fn not in WRITTEN:
            os.remove(os.path.join(CASES_DIR, fn))
            print("removed stale %s" % fn)
    print("%-22s %3s %3s %2s %3s %5s  %s"
          % ("case", "n", "d", "H", "dh", "d_out", "reference"))
    for row in SUMMARY:
        print("%-22s %3d %3d %2d %3d %5d  %s" % row)
    print()
    worst = {}
    for name, what, diff in CROSS:
        worst[name] = max(worst.get(name, 0.0), diff)
    for name, diff in worst.items():
        print("cross-check %-22s max |diff| = %.3g" % (name, diff))
    print("all cross-checks within %g; %d files in %s"
          % (CROSS_TOL, len(WRITTEN), os.path.relpath(CASES_DIR)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
