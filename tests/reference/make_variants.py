#!/usr/bin/python3
"""Generate the attention-variant reference fixtures for the `selfattn` tests.

What it makes
-------------
For every case NAME it writes, into tests/reference/variants/:

  NAME.input.json     X (n x d) as [[...], ...]
  NAME.weights.json   math convention: Wq (d x H*dh), Wk, Wv (d_ctx x G*dh),
                      [Wo (H*dh x d_out)], [bq (H*dh), bk, bv (G*dh),
                      bo (d_out)]
  NAME.context.json   only with "context": true: C (m x d_ctx)
  NAME.mask.json      only with "mask": true: n x m of 0/1 (1 = may attend)
  NAME.bias.json      only with "bias": true: n x m, or H x n x m
  NAME.case.json      {"reference", "heads", "kv_heads", "causal", "scale",
                       "context", "mask", "bias", "pos", "rope",
                       "rope_base", "rope_style", "alibi", "window",
                       "softcap", "masked_rows", "average_heads",
                       "description"}
  NAME.expected.json  {"output": n x d_out, "weights": H x n x m}; a NaN is
                      written as null

Every input number (X, C, weights, biases, bias matrices) is drawn, rounded to
float32 and written as the exact float32 value (the Python repr of the
float64 that holds it), so reading it with strtof or strtod gives the same
number.  Expected values are float64 results computed from those numbers,
written with repr (full precision).

Semantics (per head h, query i, key j; G = kv_heads, head h uses kv head
h // (H/G)):
  1. pos "sinusoidal": X += PE (input rows only, before the projections);
     PE[p, 2i] = sin(p / 10000^(2i/d)), PE[p, 2i+1] = cos(same angle).
     Without a context the keys/values come from the same X + PE.
  2. RoPE on each head's q (position i) and k (position j), after the
     projection and bias, before scaling; theta_t = base^(-2t/dh);
     "roformer" rotates (2t, 2t+1), "neox" rotates (t, t + dh/2).
  3. s = scale * q.k (default scale 1/sqrt(dh))
  4. softcap c: s = c * tanh(s / c)
  5. ALiBi: s += -m_h * |i - j| (slopes from the ALiBi paper)
  6. bias: s += B[i, j] or B[h, i, j]
  7. mask: visible iff causal (j <= i) and window (|i - j| <= W) and the
     mask file; masked s = -inf
  8. softmax over j; a row with no visible key gives zero weights and a
     zero head output ("zero") or NaN weights and output ("nan")
  9. output = concat_h(A_h V_g) Wo + bo

References
----------
  * "numpy": the plain float64 NumPy implementation below, written from the
    formulas above.
  * "torch": cases made only of features torch has.  Either
    torch.nn.MultiheadAttention (float64, standard path; masks, windows and
    bias matrices go in as a float attn_mask; cross-attention via
    kdim/vdim or a separate key/value tensor), or, for GQA/MQA, float64 torch
    ops with K/V heads repeated by repeat_interleave.
Every case is computed by three implementations where they apply:
  * the NumPy implementation,
  * an independent torch float64 implementation (complex-number RoPE for
    "roformer", rotate_half RoPE for "neox", the ALiBi repository's
    get_slopes, the Annotated Transformer's exp/log sinusoidal table,
    repeat_interleave for GQA, masked_fill(-inf) + torch.softmax),
  * nn.MultiheadAttention, when the case fits it (no RoPE, no softcap, no
    GQA, default scale, Wo and all biases present, H*dh = d = d_out); ALiBi
    and sinusoidal positions are then fed in as an additive mask / shifted
    input.
All must agree to 1e-10 (NaN in the same places), or the script raises.
Sanity checks: visible rows sum to 1, masked weights are exactly 0, rows
with no visible key are all 0 (output row == bo, or 0 without bo) or all
NaN.

How to rerun (from the repository root)
----------------------------------------
    /usr/bin/python3 tests/reference/make_variants.py

Seeds are fixed, so reruns produce byte-identical files.  Stale *.json files
in variants/ that the script no longer generates are removed.
"""

import math
import os
import sys

import numpy as np
import torch

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "lib"))
from fixture_io import f32, json_file, tolist  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
OUT_DIR = os.path.join(HERE, "variants")
CROSS_TOL = 1e-10

torch.set_num_threads(1)
torch.manual_seed(0)


# --------------------------------------------------------------------------
# writing: the JSON text is tests/lib/fixture_io.py's to_json (innermost
# arrays on one line); a NaN of an expected
# value is written as null (tolist_nan)
# --------------------------------------------------------------------------

WRITTEN = []


def write_json(name, suffix, obj):
    fn = name + "." + suffix + ".json"
    with open(os.path.join(OUT_DIR, fn), "wb") as fh:
        fh.write(json_file(obj))
    WRITTEN.append(fn)


def tolist_nan(a):
    """float64 array -> nested lists, NaN -> None (JSON null)."""
    a = np.asarray(a, dtype=np.float64)
    if a.ndim == 0:
        f = float(a)
        return None if math.isnan(f) else f
    return [tolist_nan(x) for x in a]


# --------------------------------------------------------------------------
# Plain NumPy float64 reference, written from the formulas
# --------------------------------------------------------------------------

def sinusoidal_pe(n, d):
    """PE[p, 2i] = sin(p / 10000^(2i/d)), PE[p, 2i+1] = cos(same); for odd d
    the last column (index d-1, even) is a sin column with 2i = d-1."""
    pe = np.zeros((n, d))
    for p in range(n):
        for c in range(d):
            two_i = c - (c % 2)
            angle = p / 10000.0 ** (two_i / d)
            pe[p, c] = math.sin(angle) if c % 2 == 0 else math.cos(angle)
    return pe


def rope_rotate(x, positions, base, style):
    """Rotate the rows of x (rows x dh) by RoPE at the given positions."""
    rows, dh = x.shape
    assert dh % 2 == 0, "RoPE needs an even head size"
    half = dh // 2
    out = x.copy()
    for r in range(rows):
        p = positions[r]
        for t in range(half):
            theta = base ** (-2.0 * t / dh)
            c = math.cos(p * theta)
            s = math.sin(p * theta)
            if style == "roformer":
                ia, ib = 2 * t, 2 * t + 1
            elif style == "neox":
                ia, ib = t, t + half
            else:
                raise ValueError(style)
            a, b = x[r, ia], x[r, ib]
            out[r, ia] = a * c - b * s
            out[r, ib] = a * s + b * c
    return out


def alibi_slopes(H):
    """m_h = 2^(-8(h+1)/H) for H a power of two; otherwise the ALiBi paper's
    recipe: pow2(n2) + pow2(2*n2)[0::2][:H-n2], n2 = the largest power of
    two <= H."""
    def pow2(k):
        return [2.0 ** (-8.0 * (h + 1) / k) for h in range(k)]
    if H & (H - 1) == 0:
        return pow2(H)
    n2 = 1 << (H.bit_length() - 1)
    return pow2(n2) + pow2(2 * n2)[0::2][:H - n2]


def allowed_matrix(n, m, causal, window, mask):
    allowed = np.ones((n, m), dtype=bool)
    for i in range(n):
        for j in range(m):
            if causal and j > i:
                allowed[i, j] = False
            if window is not None and abs(i - j) > window:
                allowed[i, j] = False
            if mask is not None and mask[i][j] == 0:
                allowed[i, j] = False
    return allowed


def numpy_attention(X, w, H, G=None, C=None, scale=None, causal=False,
                    window=None, mask=None, bias=None, pos=None, rope=False,
                    rope_base=None, rope_style=None, alibi=False,
                    softcap=None, masked_rows="zero", info=None,
                    _kv_map="interleave", _slopes=None,
                    _softcap_after_bias=False, _pe_on_context=False):
    """Returns (output n x d_out, weights H x n x m).  The _underscore
    arguments are deliberately wrong alternatives, used only to show that a
    fixture tells the right semantics apart from a plausible wrong one."""
    X = np.asarray(X, dtype=np.float64)
    n, d = X.shape
    G = H if G is None else G
    assert H % G == 0
    P = w["Wq"].shape[1]
    assert P % H == 0
    dh = P // H
    assert w["Wk"].shape[1] == G * dh and w["Wv"].shape[1] == G * dh
    if scale is None:
        scale = 1.0 / math.sqrt(dh)
    if pos == "sinusoidal":
        X = X + sinusoidal_pe(n, d)
    else:
        assert pos is None
    src = X if C is None else np.asarray(C, dtype=np.float64)
    if _pe_on_context:
        src = src + sinusoidal_pe(src.shape[0], src.shape[1])
    m = src.shape[0]
    Q = X @ w["Wq"]
    K = src @ w["Wk"]
    V = src @ w["Wv"]
    if "bq" in w:
        Q = Q + w["bq"]
    if "bk" in w:
        K = K + w["bk"]
    if "bv" in w:
        V = V + w["bv"]
    base = 10000.0 if rope_base is None else float(rope_base)
    style = "roformer" if rope_style is None else rope_style
    slopes = alibi_slopes(H) if alibi else None
    if _slopes is not None:
        slopes = _slopes
    allowed = allowed_matrix(n, m, causal, window, mask)
    weights = np.zeros((H, n, m))
    concat = np.zeros((n, P))
    max_abs_raw = 0.0
    for h in range(H):
        g = h // (H // G) if _kv_map == "interleave" else h % G
        q = Q[:, h * dh:(h + 1) * dh]
        k = K[:, g * dh:(g + 1) * dh]
        v = V[:, g * dh:(g + 1) * dh]
        if rope:
            q = rope_rotate(q, list(range(n)), base, style)
            k = rope_rotate(k, list(range(m)), base, style)
        S = scale * (q @ k.T)
        max_abs_raw = max(max_abs_raw, float(np.max(np.abs(S))))
        if softcap is not None and not _softcap_after_bias:
            S = softcap * np.tanh(S / softcap)
        if alibi:
            for i in range(n):
                for j in range(m):
                    S[i, j] += -slopes[h] * abs(i - j)
        if bias is not None:
            B = np.asarray(bias, dtype=np.float64)
            S = S + (B if B.ndim == 2 else B[h])
        if softcap is not None and _softcap_after_bias:
            S = softcap * np.tanh(S / softcap)
        for i in range(n):
            vis = allowed[i]
            if not vis.any():
                if masked_rows == "nan":
                    weights[h, i, :] = np.nan
                else:
                    assert masked_rows == "zero"
                continue
            mx = S[i, vis].max()
            e = np.where(vis, np.exp(np.where(vis, S[i] - mx, 0.0)), 0.0)
            weights[h, i] = e / e.sum()
        concat[:, h * dh:(h + 1) * dh] = weights[h] @ v
    out = concat
    if "Wo" in w:
        out = out @ w["Wo"]
    if "bo" in w:
        out = out + w["bo"]
    if info is not None:
        info["max_abs_raw_score"] = max_abs_raw
    return out, weights


# --------------------------------------------------------------------------
# Independent torch float64 implementation (different formulations)
# --------------------------------------------------------------------------

def get_slopes_alibi_repo(n):
    """get_slopes() as published in the ALiBi repository (ofirpress/attention_
    with_linear_biases, models/transformer.py)."""
    def get_slopes_power_of_2(n):
        start = (2 ** (-2 ** -(math.log2(n) - 3)))
        ratio = start
        return [start * ratio ** i for i in range(n)]
    if math.log2(n).is_integer():
        return get_slopes_power_of_2(n)
    closest_power_of_2 = 2 ** math.floor(math.log2(n))
    return (get_slopes_power_of_2(closest_power_of_2)
            + get_slopes_alibi_repo(2 * closest_power_of_2)[0::2]
            [:n - closest_power_of_2])


def torch_pe(n, d):
    """The Annotated Transformer's PositionalEncoding table (odd d: the cos
    columns use the first d//2 frequencies)."""
    pe = torch.zeros(n, d, dtype=torch.float64)
    position = torch.arange(0, n, dtype=torch.float64).unsqueeze(1)
    div_term = torch.exp(torch.arange(0, d, 2, dtype=torch.float64)
                         * -(math.log(10000.0) / d))
    pe[:, 0::2] = torch.sin(position * div_term)
    pe[:, 1::2] = torch.cos(position * div_term[:d // 2])
    return pe


def torch_rope(x, base, style):
    """x: (heads, rows, dh); position = row index."""
    nh, rows, dh = x.shape
    inv_freq = 1.0 / (base ** (torch.arange(0, dh, 2, dtype=torch.float64)
                               / dh))
    t = torch.arange(rows, dtype=torch.float64)
    freqs = torch.outer(t, inv_freq)  # rows x dh/2
    if style == "roformer":
        # LLaMA-style: consecutive pairs as complex numbers times e^{i p th}
        xc = torch.view_as_complex(x.reshape(nh, rows, dh // 2, 2)
                                   .contiguous())
        rot = torch.polar(torch.ones_like(freqs), freqs)
        return torch.view_as_real(xc * rot).reshape(nh, rows, dh)
    # GPT-NeoX / HF style: rotate_half with duplicated cos/sin
    emb = torch.cat((freqs, freqs), dim=-1)
    x1 = x[..., :dh // 2]
    x2 = x[..., dh // 2:]
    rotated = torch.cat((-x2, x1), dim=-1)
    return x * emb.cos() + rotated * emb.sin()


def torch_manual(X, w, H, G=None, C=None, scale=None, causal=False,
                 window=None, mask=None, bias=None, pos=None, rope=False,
                 rope_base=None, rope_style=None, alibi=False, softcap=None,
                 masked_rows="zero"):
    T = lambda a: torch.tensor(np.asarray(a, dtype=np.float64))
    x = T(X)
    n, d = x.shape
    G = H if G is None else G
    P = w["Wq"].shape[1]
    dh = P // H
    if scale is None:
        scale = dh ** -0.5
    if pos == "sinusoidal":
        x = x + torch_pe(n, d)
    src = x if C is None else T(C)
    m = src.shape[0]
    q = x @ T(w["Wq"])
    k = src @ T(w["Wk"])
    v = src @ T(w["Wv"])
    if "bq" in w:
        q = q + T(w["bq"])
        k = k + T(w["bk"])
        v = v + T(w["bv"])
    q = q.view(n, H, dh).transpose(0, 1)          # H x n x dh
    k = k.view(m, G, dh).transpose(0, 1)          # G x m x dh
    v = v.view(m, G, dh).transpose(0, 1)
    if rope:
        base = 10000.0 if rope_base is None else float(rope_base)
        style = "roformer" if rope_style is None else rope_style
        q = torch_rope(q, base, style)
        k = torch_rope(k, base, style)
    k = k.repeat_interleave(H // G, dim=0)        # H x m x dh
    v = v.repeat_interleave(H // G, dim=0)
    s = torch.matmul(q, k.transpose(-2, -1)) * scale
    if softcap is not None:
        s = torch.tanh(s / softcap) * softcap
    ii = torch.arange(n).unsqueeze(1)
    jj = torch.arange(m).unsqueeze(0)
    if alibi:
        sl = torch.tensor(get_slopes_alibi_repo(H), dtype=torch.float64)
        s = s - sl.view(H, 1, 1) * (ii - jj).abs().to(torch.float64)
    if bias is not None:
        s = s + T(bias)
    ok = torch.ones(n, m, dtype=torch.bool)
    if causal:
        ok = ok & (jj <= ii)
    if window is not None:
        ok = ok & ((ii - jj).abs() <= window)
    if mask is not None:
        ok = ok & (torch.tensor(np.asarray(mask)) != 0)
    s = s.masked_fill(~ok, float("-inf"))
    a = torch.softmax(s, dim=-1)
    if masked_rows == "zero":
        a = a.masked_fill(~ok.any(dim=-1).view(1, n, 1), 0.0)
    o = torch.matmul(a, v).transpose(0, 1).reshape(n, P)
    if "Wo" in w:
        o = o @ T(w["Wo"])
    if "bo" in w:
        o = o + T(w["bo"])
    return o.numpy().copy(), a.numpy().copy()


# --------------------------------------------------------------------------
# nn.MultiheadAttention (float64, standard path)
# --------------------------------------------------------------------------

def mha_fits(w, H, G, scale, rope, softcap, d):
    P = w["Wq"].shape[1]
    return (G in (None, H) and scale is None and not rope and softcap is None
            and all(k in w for k in ("Wo", "bq", "bk", "bv", "bo"))
            and P == d and w["Wo"].shape[1] == d)


def torch_mha(X, w, H, C=None, causal=False, window=None, mask=None,
              bias=None, pos=None, alibi=False):
    """Run nn.MultiheadAttention; ALiBi, bias, causal, window and mask are
    given as one float attn_mask (n x m or H x n x m), sinusoidal positions
    as a shifted query input."""
    T = lambda a: torch.tensor(np.asarray(a, dtype=np.float64))
    n, E = X.shape
    kdim = E if C is None else C.shape[1]
    mha = torch.nn.MultiheadAttention(E, H, dropout=0.0, bias=True,
                                      batch_first=True, kdim=kdim,
                                      vdim=kdim).double()
    if mha._qkv_same_embed_dim:
        sd = {"in_proj_weight": T(np.concatenate([w["Wq"].T, w["Wk"].T,
                                                  w["Wv"].T]))}
    else:
        sd = {"q_proj_weight": T(w["Wq"].T), "k_proj_weight": T(w["Wk"].T),
              "v_proj_weight": T(w["Wv"].T)}
    sd["in_proj_bias"] = T(np.concatenate([w["bq"], w["bk"], w["bv"]]))
    sd["out_proj.weight"] = T(w["Wo"].T)
    sd["out_proj.bias"] = T(w["bo"])
    mha.load_state_dict(sd)
    mha.eval()
    x = T(X)
    if pos == "sinusoidal":
        x = x + torch_pe(n, E)
    src = x if C is None else T(C)
    m = src.shape[0]
    ii = torch.arange(n).unsqueeze(1)
    jj = torch.arange(m).unsqueeze(0)
    am = torch.zeros(n, m, dtype=torch.float64)
    if alibi:
        sl = torch.tensor(get_slopes_alibi_repo(H), dtype=torch.float64)
        am = am - sl.view(H, 1, 1) * (ii - jj).abs().to(torch.float64)
    if bias is not None:
        am = am + T(bias)
    ok = torch.ones(n, m, dtype=torch.bool)
    if causal:
        ok = ok & (jj <= ii)
    if window is not None:
        ok = ok & ((ii - jj).abs() <= window)
    if mask is not None:
        ok = ok & (torch.tensor(np.asarray(mask)) != 0)
    am = am.masked_fill(~ok, float("-inf"))
    # Grad stays enabled (parameters require grad): torch 1.13 then always
    # uses the documented F.multi_head_attention_forward path.
    with torch.enable_grad():
        out, wts = mha(x.unsqueeze(0), src.unsqueeze(0), src.unsqueeze(0),
                       need_weights=True, attn_mask=am,
                       average_attn_weights=False)
    return out.detach()[0].numpy().copy(), wts.detach()[0].numpy().copy()


# --------------------------------------------------------------------------
# Checks
# --------------------------------------------------------------------------

CROSS = []  # (case, what, max abs diff)


def check(name, what, a, b, tol=CROSS_TOL, rows=None):
    """|a - b| <= tol with NaN in the same places.  rows: optional boolean
    selector over the query axis (axis -2) to compare only those rows."""
    a = np.asarray(a, dtype=np.float64)
    b = np.asarray(b, dtype=np.float64)
    if a.shape != b.shape:
        raise AssertionError("%s: %s shape %s vs %s"
                             % (name, what, a.shape, b.shape))
    if rows is not None:
        a = a[..., rows, :]
        b = b[..., rows, :]
    na, nb = np.isnan(a), np.isnan(b)
    if not np.array_equal(na, nb):
        raise AssertionError("%s: %s NaN in different places" % (name, what))
    diff = float(np.max(np.abs(a[~na] - b[~nb]))) if (~na).any() else 0.0
    if not (diff <= tol):
        raise AssertionError("%s: %s differs by %g (> %g)"
                             % (name, what, diff, tol))
    CROSS.append((name, what, diff))
    return diff


def sanity(name, out, weights, allowed, masked_rows, w, d_out):
    empty = ~allowed.any(axis=1)
    full = ~empty
    if not np.all(np.isfinite(out[full])) or \
            not np.all(np.isfinite(weights[:, full, :])):
        raise AssertionError("%s: non-finite value in a normal row" % name)
    sums = weights[:, full, :].sum(axis=-1)
    if np.max(np.abs(sums - 1.0), initial=0.0) > 1e-12:
        raise AssertionError("%s: weight rows do not sum to 1" % name)
    vis_masked = np.broadcast_to(~allowed & full[:, None], weights.shape)
    if np.any(weights[vis_masked] != 0.0):
        raise AssertionError("%s: weight on a masked key" % name)
    want_row = w["bo"] if "bo" in w else np.zeros(d_out)
    for i in np.nonzero(empty)[0]:
        if masked_rows == "zero":
            if np.any(weights[:, i, :] != 0.0):
                raise AssertionError("%s: empty row %d has weights"
                                     % (name, i))
            if not np.array_equal(out[i], want_row):
                raise AssertionError("%s: empty row %d output != bo/0"
                                     % (name, i))
        else:
            if not (np.all(np.isnan(weights[:, i, :]))
                    and np.all(np.isnan(out[i]))):
                raise AssertionError("%s: empty row %d not all NaN"
                                     % (name, i))


# --------------------------------------------------------------------------
# Case builder
# --------------------------------------------------------------------------

SUMMARY = []
DIFFERS = []  # (case, overrides, max |output change|)


def make_case(name, seed, n, d, H, dh, G=None, m=None, d_ctx=None, d_out=None,
              Wo=True, bqkv=True, bo=True, wscale=1.0, scale=None,
              causal=False, window=None, mask=None, bias=None, bias_scale=1.0,
              pos=None, rope=False, rope_base=None, rope_style=None,
              alibi=False, softcap=None, masked_rows="zero",
              reference="numpy", desc="", min_raw_score=None,
              differs_from=()):
    """bias: None, "shared" (n x m) or "per_head" (H x n x m).
    reference "torch": expected values from nn.MultiheadAttention when the
    case fits it, else (GQA/MQA) from the torch-ops implementation.
    differs_from: keyword overrides (a feature switched off, or a plausible
    wrong reading); each must change the output by more than 1e-3."""
    GG = H if G is None else G
    context = m is not None
    if not context:
        m = n
        d_ctx = d
    P = H * dh
    if d_out is None:
        d_out = d if Wo else P
    rng = np.random.default_rng(seed)
    X = f32(rng.standard_normal((n, d)))
    C = f32(rng.standard_normal((m, d_ctx))) if context else None
    a = wscale / math.sqrt(d)
    ac = wscale / math.sqrt(d_ctx)
    ao = 1.0 / math.sqrt(P)
    w = {"Wq": f32(rng.uniform(-a, a, (d, P))),
         "Wk": f32(rng.uniform(-ac, ac, (d_ctx, GG * dh))),
         "Wv": f32(rng.uniform(-ac, ac, (d_ctx, GG * dh)))}
    if Wo:
        w["Wo"] = f32(rng.uniform(-ao, ao, (P, d_out)))
    if bqkv:
        w["bq"] = f32(rng.uniform(-a, a, P))
        w["bk"] = f32(rng.uniform(-ac, ac, GG * dh))
        w["bv"] = f32(rng.uniform(-ac, ac, GG * dh))
    if bo:
        w["bo"] = f32(rng.uniform(-ao, ao, d_out))
    B = None
    if bias == "shared":
        B = f32(rng.uniform(-bias_scale, bias_scale, (n, m)))
    elif bias == "per_head":
        B = f32(rng.uniform(-bias_scale, bias_scale, (H, n, m)))
    else:
        assert bias is None
    if mask is not None:
        mask = np.asarray(mask, dtype=np.int64)
        assert mask.shape == (n, m) and set(np.unique(mask)) <= {0, 1}
    assert n <= 12 and m <= 12 and d <= 16 and d_ctx <= 16
    if rope:
        assert dh % 2 == 0 and dh >= 4  # dh=2 would make neox == roformer

    kw = dict(H=H, G=G, C=C, scale=scale, causal=causal, window=window,
              mask=mask, bias=B, pos=pos, rope=rope, rope_base=rope_base,
              rope_style=rope_style, alibi=alibi, softcap=softcap,
              masked_rows=masked_rows)
    info = {}
    np_out, np_w = numpy_attention(X, w, info=info, **kw)
    assert np_out.shape == (n, d_out) and np_w.shape == (H, n, m)
    if min_raw_score is not None and not info["max_abs_raw_score"] >= \
            min_raw_score:
        raise AssertionError("%s: scores too small (%g)"
                             % (name, info["max_abs_raw_score"]))
    allowed = allowed_matrix(n, m, causal, window, mask)
    empty = ~allowed.any(axis=1)
    for ov in differs_from:
        alt_out, _ = numpy_attention(X, w, **dict(kw, **ov))
        fin = np.isfinite(alt_out) & np.isfinite(np_out)
        delta = float(np.max(np.abs(alt_out[fin] - np_out[fin])))
        if not delta > 1e-3:
            raise AssertionError("%s: output does not depend on %r (%g)"
                                 % (name, ov, delta))
        DIFFERS.append((name, ov, delta))

    # independent torch-ops implementation
    t_out, t_w = torch_manual(X, w, **kw)
    check(name, "numpy vs torch-ops output", np_out, t_out)
    check(name, "numpy vs torch-ops weights", np_w, t_w)
    checks = ["torch-ops"]

    # nn.MultiheadAttention
    fits = mha_fits(w, H, G, scale, rope, softcap, d)
    mha_out = mha_w = None
    if fits:
        mha_out, mha_w = torch_mha(X, w, H, C=C, causal=causal,
                                   window=window, mask=mask, bias=B, pos=pos,
                                   alibi=alibi)
        keep = ~empty
        check(name, "numpy vs nn.MHA output", np_out, mha_out, rows=keep)
        check(name, "numpy vs nn.MHA weights", np_w, mha_w, rows=keep)
        if empty.any() and not (np.all(np.isnan(mha_out[empty]))
                                and np.all(np.isnan(mha_w[:, empty, :]))):
            raise AssertionError("%s: nn.MHA not NaN on empty rows" % name)
        if masked_rows == "nan":
            check(name, "numpy vs nn.MHA output (all rows, NaN)", np_out,
                  mha_out)
            check(name, "numpy vs nn.MHA weights (all rows, NaN)", np_w,
                  mha_w)
        checks.append("nn.MHA")

    if reference == "torch":
        if fits:
            out, wts = mha_out, mha_w
        else:
            # only GQA/MQA (repeat_interleave + torch ops) may take this path
            assert G not in (None, H) and not rope and softcap is None \
                and not alibi and pos is None
            out, wts = t_out, t_w
    else:
        assert reference == "numpy"
        out, wts = np_out, np_w
    sanity(name, out, wts, allowed, masked_rows, w, d_out)

    write_json(name, "input", tolist(X))
    order = ["Wq", "Wk", "Wv", "Wo", "bq", "bk", "bv", "bo"]
    write_json(name, "weights", {k: tolist(w[k]) for k in order if k in w})
    if context:
        write_json(name, "context", tolist(C))
    if mask is not None:
        write_json(name, "mask", [[int(v) for v in row] for row in mask])
    if B is not None:
        write_json(name, "bias", tolist(B))
    write_json(name, "case", {
        "reference": reference, "heads": H, "kv_heads": G,
        "causal": bool(causal),
        "scale": None if scale is None else float(scale),
        "context": context, "mask": mask is not None, "bias": B is not None,
        "pos": pos, "rope": bool(rope),
        "rope_base": None if rope_base is None else float(rope_base),
        "rope_style": rope_style, "alibi": bool(alibi), "window": window,
        "softcap": None if softcap is None else float(softcap),
        "masked_rows": masked_rows, "average_heads": False,
        "description": desc})
    write_json(name, "expected", {"output": tolist_nan(out),
                                  "weights": tolist_nan(wts)})
    SUMMARY.append((name, n, m, d, d_ctx, H, GG, dh, d_out, reference,
                    "+".join(checks), info["max_abs_raw_score"]))


def random_mask(rng, n, m, density=0.6, diag=True):
    mk = (rng.random((n, m)) < density).astype(np.int64)
    if diag:
        for i in range(min(n, m)):
            mk[i, i] = 1
    return mk


# --------------------------------------------------------------------------
# The cases
# --------------------------------------------------------------------------

# The "equal spacing" reading of the slope formula, which is wrong for an H
# that is not a power of two (used only to show the fixtures tell them apart).
NAIVE3 = [2.0 ** (-8.0 * (h + 1) / 3) for h in range(3)]
NAIVE6 = [2.0 ** (-8.0 * (h + 1) / 6) for h in range(6)]


def build_all():
    # ---- each variant alone ----
    make_case("cross", 301, n=5, d=8, H=2, dh=4, m=7, d_ctx=6,
              reference="torch",
              desc="cross-attention: keys/values from a 7 x 6 context "
                   "(d_ctx=6 != d=8), torch kdim=vdim=6")
    make_case("cross_same_dim", 302, n=4, d=6, H=3, dh=2, m=9, d_ctx=6,
              reference="torch",
              desc="cross-attention with d_ctx = d = 6 and m=9 != n=4, "
                   "torch in_proj")
    make_case("gqa", 303, n=6, d=8, H=4, dh=3, G=2, reference="torch",
              differs_from=[{"_kv_map": "tile"}],
              desc="grouped-query attention: H=4 query heads share G=2 kv "
                   "heads (heads 0,1 -> kv 0; 2,3 -> kv 1); Wk, Wv are 8 x 6")
    make_case("mqa", 304, n=5, d=8, H=4, dh=2, G=1, reference="torch",
              desc="multi-query attention: 4 query heads, one kv head")
    make_case("pos_sinusoidal", 305, n=8, d=8, H=2, dh=4, pos="sinusoidal",
              differs_from=[{"pos": None}],
              desc="sinusoidal positional encoding added to X before the "
                   "projections (keys/values also from X+PE)")
    make_case("rope", 306, n=6, d=8, H=2, dh=4, rope=True,
              differs_from=[{"rope": False}, {"rope_style": "neox"}],
              desc="RoPE with defaults (roformer pairs (2t,2t+1), base "
                   "10000) on q and k after the bias")
    make_case("rope_neox", 307, n=6, d=8, H=2, dh=6, rope=True,
              rope_style="neox",
              differs_from=[{"rope_style": "roformer"}],
              desc="RoPE neox style: pairs (t, t+dh/2), dh=6, P=12 != d")
    make_case("rope_base", 308, n=12, d=8, H=2, dh=4, wscale=2.0, rope=True,
              rope_base=500, rope_style="roformer",
              differs_from=[{"rope_base": None}],
              desc="RoPE roformer (given explicitly) with base 500")
    make_case("alibi_h4", 309, n=6, d=12, H=4, dh=3, alibi=True,
              differs_from=[{"alibi": False}],
              desc="ALiBi, H=4 (power of two): slopes 2^-2 2^-4 2^-6 2^-8, "
                   "symmetric -m|i-j|")
    make_case("alibi_h3", 310, n=6, d=12, H=3, dh=4, alibi=True,
              differs_from=[{"alibi": False}, {"_slopes": NAIVE3}],
              desc="ALiBi, H=3 (not a power of two): slopes 2^-4 2^-8 2^-2")
    make_case("alibi_h6", 311, n=7, d=12, H=6, dh=2, alibi=True,
              differs_from=[{"_slopes": NAIVE6}],
              desc="ALiBi, H=6: slopes 2^-2 2^-4 2^-6 2^-8 2^-1 2^-3")
    make_case("window", 312, n=7, d=8, H=2, dh=4, window=1,
              reference="torch",
              differs_from=[{"window": None}],
              desc="sliding window W=1 without causal: |i-j| <= 1")
    make_case("window_causal", 313, n=8, d=8, H=2, dh=4, window=2,
              causal=True, reference="torch",
              differs_from=[{"window": None}, {"causal": False}],
              desc="sliding window W=2 with causal: i-2 <= j <= i")
    make_case("softcap", 314, n=6, d=8, H=2, dh=4, wscale=3.0, scale=1.0,
              softcap=2.0, min_raw_score=8.0,
              differs_from=[{"softcap": None}],
              desc="softcap 2 with scale 1 and large weights: raw scores "
                   "well beyond +-2 are squashed by 2*tanh(s/2)")
    make_case("bias_shared", 315, n=6, d=8, H=2, dh=4, bias="shared",
              bias_scale=2.0, reference="torch",
              differs_from=[{"bias": None}],
              desc="additive bias matrix n x m shared by all heads "
                   "(torch float attn_mask)")
    make_case("bias_per_head", 316, n=6, d=12, H=3, dh=4, bias="per_head",
              bias_scale=2.0, reference="torch",
              differs_from=[{"bias": None}],
              desc="additive bias H x n x m, one matrix per head "
                   "(torch 3-D float attn_mask)")
    rng = np.random.default_rng(317)
    mk = random_mask(rng, 6, 6)
    mk[3, :] = 0
    make_case("masked_rows_nan", 318, n=6, d=8, H=2, dh=4, mask=mk,
              masked_rows="nan", reference="torch",
              desc="mask row 3 all zero, masked_rows nan: weights and output "
                   "row 3 are NaN (null), as nn.MultiheadAttention")
    make_case("masked_rows_zero", 318, n=6, d=8, H=2, dh=4, mask=mk,
              masked_rows="zero",
              desc="same inputs and mask as masked_rows_nan, masked_rows "
                   "zero: weights row 3 are 0, output row 3 = bo")

    # ---- combinations ----
    make_case("rope_causal_window", 319, n=9, d=8, H=2, dh=4, rope=True,
              causal=True, window=3,
              differs_from=[{"rope": False}, {"window": None}],
              desc="RoPE (defaults) + causal + window W=3")
    make_case("gqa_alibi", 320, n=7, d=12, H=6, dh=2, G=2, alibi=True,
              differs_from=[{"_kv_map": "tile"}, {"alibi": False}],
              desc="GQA H=6, G=2 (heads 0-2 -> kv 0, 3-5 -> kv 1) with "
                   "ALiBi slopes for H=6 (per query head)")
    make_case("cross_bias", 321, n=5, d=8, H=2, dh=4, m=8, d_ctx=5,
              bias="shared", bias_scale=2.0, reference="torch",
              differs_from=[{"bias": None}],
              desc="cross-attention (m=8, d_ctx=5) + shared bias n x m")
    make_case("cross_window", 322, n=6, d=8, H=2, dh=4, m=4, d_ctx=10,
              window=2, reference="torch",
              differs_from=[{"window": None}],
              desc="cross-attention with n=6 > m=4 and window W=2 on the "
                   "raw indices: query 5 sees only key 3")
    rng = np.random.default_rng(323)
    mk = random_mask(rng, 7, 7, density=0.5)
    make_case("softcap_alibi_bias_mask", 324, n=7, d=12, H=3, dh=4,
              wscale=2.0, softcap=3.0, alibi=True, bias="per_head",
              bias_scale=1.0, mask=mk, min_raw_score=4.0,
              differs_from=[{"_softcap_after_bias": True}, {"softcap": None},
                            {"alibi": False}],
              desc="softcap 3, then ALiBi (H=3), then per-head bias, then "
                   "mask file; the cap applies to the raw scores only")
    make_case("gqa_rope_neox_causal", 325, n=8, d=8, H=4, dh=4, G=2,
              rope=True, rope_style="neox", causal=True, bqkv=False,
              bo=False,
              differs_from=[{"_kv_map": "tile"}, {"rope_style": "roformer"}],
              desc="GQA H=4 G=2 + RoPE neox + causal; Wo but no biases")
    make_case("pos_sinusoidal_causal", 326, n=9, d=7, H=2, dh=3, Wo=False,
              bo=False, pos="sinusoidal", causal=True,
              differs_from=[{"pos": None}],
              desc="sinusoidal positions with odd d=7 (column 6 is a sin "
                   "column) + causal; no Wo, output = concat (P=6)")
    make_case("cross_pos_sinusoidal", 327, n=5, d=8, H=2, dh=4, m=6,
              d_ctx=8, pos="sinusoidal",
              differs_from=[{"_pe_on_context": True}, {"pos": None}],
              desc="sinusoidal positions with a context: PE is added to X "
                   "(queries) only, not to the context")


def main():
    # Slope tables against the published ALiBi code.
    for H in range(1, 17):
        a = alibi_slopes(H)
        b = get_slopes_alibi_repo(H)
        if len(a) != H or max(abs(x - y) for x, y in zip(a, b)) > 1e-15:
            raise AssertionError("ALiBi slopes differ for H=%d" % H)
    assert alibi_slopes(6) == [0.25, 0.0625, 0.015625, 0.00390625, 0.5, 0.125]
    assert alibi_slopes(3) == [0.0625, 0.00390625, 0.25]
    # PE table against the Annotated Transformer's formulation.
    for d in (7, 8):
        if np.max(np.abs(sinusoidal_pe(12, d) - torch_pe(12, d).numpy())) \
                > 1e-14:
            raise AssertionError("PE tables differ for d=%d" % d)

    os.makedirs(OUT_DIR, exist_ok=True)
    build_all()
    for fn in sorted(os.listdir(OUT_DIR)):
        if fn.endswith(".json") and fn not in WRITTEN:
            os.remove(os.path.join(OUT_DIR, fn))
            print("removed stale %s" % fn)
    print("%-24s %3s %3s %3s %5s %2s %2s %3s %5s  %-6s %-17s %s"
          % ("case", "n", "m", "d", "d_ctx", "H", "G", "dh", "d_out", "ref",
             "checked against", "max|raw s|"))
    for row in SUMMARY:
        print("%-24s %3d %3d %3d %5d %2d %2d %3d %5d  %-6s %-17s %.3g" % row)
    print()
    worst = {}
    for name, what, diff in CROSS:
        key = (name, what.split(" ")[2])
        worst[key] = max(worst.get(key, 0.0), diff)
    for (name, what), diff in worst.items():
        print("cross-check %-24s numpy vs %-9s max |diff| = %.3g"
              % (name, what, diff))
    print()
    for name, ov, delta in DIFFERS:
        print("depends: %-24s output changes by %.3g with %s"
              % (name, delta, ", ".join("%s=%s" % kv for kv in ov.items())))
    total = sum(os.path.getsize(os.path.join(OUT_DIR, f)) for f in WRITTEN)
    print("all cross-checks within %g; %d files, %d bytes in %s"
          % (CROSS_TOL, len(WRITTEN), total, os.path.relpath(OUT_DIR)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
