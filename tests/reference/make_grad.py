#!/usr/bin/python3
"""Generate the gradient reference fixtures of `selfattn grad`.

What it makes
-------------
For every case NAME it writes, into tests/reference/grads/:

  NAME.input.json     X (n x d) as [[...], ...]
  NAME.weights.json   the weights, in the case's layout: math (Wq, Wk, Wv,
  or .safetensors     [Wo], [bq, bk, bv, bo]), torch (in_proj_weight or
                      q/k/v_proj_weight, [in_proj_bias], out_proj.weight,
                      [out_proj.bias]), or a GPT-2 or BERT checkpoint
                      (.safetensors, two layers and a tensor of another
                      part of the model); absent for generated weights
  NAME.context.json   only with "context": C (m x d_ctx)
  NAME.mask.json      only with "mask": n x m of 0/1 (1 = may attend)
  NAME.bias.json      only with "bias": n x m, or H x n x m
  NAME.dy.json        only with "dy": the upstream gradient dY (n x d_out)
  NAME.case.json      the options: "weights" (the file, or null: generated
                      from "seed", with "out_proj"), "layer", "heads",
                      "kv_heads", "causal", "scale", "context", "mask",
                      "bias", "dy", "pos", "rope", "rope_base", "rope_style",
                      "alibi", "window", "softcap", "masked_rows",
                      "average_heads", "print" (the --print list),
                      "reference", "description"
  NAME.expected.json  {"loss": L, "grads": {"input", ["context"], ["bias"],
                      then each weight tensor by its file name}, and with
                      "grad_steps" in print, "grad_steps": {"dO", "dV",
                      "dP", "dS", "dQ", "dK"} (H x rows x cols)}; a NaN is
                      null

L = sum of dY .* Y, Y the attention output, dY all ones without "dy".
Every input number is float32-exact and written as its float64 repr, as in
make_reference.py and make_variants.py; the expected values are float64.

References (PyTorch autograd, float64)
--------------------------------------
  * "mha": torch.nn.MultiheadAttention itself (standard path), whenever it
    can express the case: torch layout, default scale, no RoPE, softcap or
    GQA, and Wo, with d_out = d = H*dh.  Causal, window, mask, a bias and
    ALiBi go in as one float attn_mask (n x m, or H x n x m) built from a
    bias leaf, so its .grad is the bias's gradient; sinusoidal positions as
    a shifted query input; cross-attention through kdim/vdim (the separate
    q/k/v_proj_weight) or in_proj_weight.  The gradients are the module's
    .grad, by their own names.
  * "autograd": a float64 re-implementation in torch ops whose leaves are
    the tensors of the weights file as it is (a GPT-2 c_attn.weight is split
    into Wq, Wk, Wv by slicing it, a torch in_proj_weight by slicing and
    transposing, ...), so autograd itself lays the gradients out as the file
    has them.  It keeps the per-head steps (retain_grad on Q and K after
    RoPE, V, the weights P, the softmax input S, the head outputs O).
    RoPE uses complex numbers (roformer) and rotate_half (neox), ALiBi the
    repository's get_slopes, positions the Annotated Transformer's table.
    A query that sees no key: with masked_rows "zero" its scores are
    replaced by zeros before the softmax and its weights multiplied by 0
    (no NaN anywhere); with "nan" the mask is added as -inf, as
    nn.MultiheadAttention does, and autograd spreads the NaN.
  * Every case runs "autograd"; those that fit run "mha" too, and both must
    agree to 1e-10 (NaN in the same places).  The "autograd" gradients are
    also checked at a few elements of every input against central finite
    differences of its loss (h = 1e-6, float64), to 1e-6 relative to the
    largest gradient of that input (or to 1e-3 for dbk, which is zero in
    exact arithmetic: moving every key by one vector changes no weight).  The written values come from "mha" where it ran.

Generated weights (no "weights" file) are made here as `selfattn` makes
them (splitmix64, sa_weights_generate), and their gradients carry the math
names.

How to rerun (from the repository root)
----------------------------------------
    /usr/bin/python3 tests/reference/make_grad.py

It needs Debian's python3-torch and python3-numpy; `make check` does not.
Seeds are fixed, so reruns produce byte-identical files.  Stale files in
grads/ that the script no longer writes are removed.
"""

import math
import os
import sys

import numpy as np
import torch

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "lib"))
from fixture_io import f32, json_file, safetensors_file, tolist  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
OUT_DIR = os.path.join(HERE, "grads")
CROSS_TOL = 1e-10
FD_TOL = 1e-6

torch.set_num_threads(1)
torch.manual_seed(0)
T = lambda a: torch.tensor(np.asarray(a, dtype=np.float64))  # noqa: E731

WRITTEN = []


def write_file(name, suffix, data):
    fn = name + "." + suffix
    with open(os.path.join(OUT_DIR, fn), "wb") as fh:
        fh.write(data)
    WRITTEN.append(fn)


def write_json(name, suffix, obj):
    write_file(name, suffix + ".json", json_file(obj))


def tolist_nan(a):
    """float64 array -> nested lists, NaN -> None (JSON null)."""
    a = np.asarray(a, dtype=np.float64)
    if a.ndim == 0:
        f = float(a)
        return None if math.isnan(f) else f
    return [tolist_nan(x) for x in a]


# --------------------------------------------------------------------------
# generated weights, as sa_weights_generate makes them
# --------------------------------------------------------------------------

class SplitMix64:
    """The project's PRNG (src/rng.c)."""
    MASK = (1 << 64) - 1

    def __init__(self, seed):
        self.state = seed & self.MASK

    def next(self):
        self.state = (self.state + 0x9e3779b97f4a7c15) & self.MASK
        z = self.state
        z = ((z ^ (z >> 30)) * 0xbf58476d1ce4e5b9) & self.MASK
        z = ((z ^ (z >> 27)) * 0x94d049bb133111eb) & self.MASK
        return z ^ (z >> 31)

    def uniform(self):
        return np.float32(self.next() >> 40) * np.float32(1.0 / 16777216.0)


def generate_weights(seed, d, d_ctx, H, G, dh, out_proj):
    """Wq (d, H*dh), Wk, Wv (d_ctx, G*dh), Wo (H*dh, d): each element
    a * (2u - 1) in float32, a = 1/sqrt(rows) rounded to float32."""
    rng = SplitMix64(seed)

    def matrix(rows, cols):
        a = np.float32(1.0 / math.sqrt(rows))
        return np.array([a * (np.float32(2.0) * rng.uniform() - np.float32(1.0))
                         for _ in range(rows * cols)],
                        dtype=np.float32).astype(np.float64).reshape(rows, cols)
    w = {"Wq": matrix(d, H * dh), "Wk": matrix(d_ctx, G * dh),
         "Wv": matrix(d_ctx, G * dh)}
    if out_proj:
        w["Wo"] = matrix(H * dh, d)
    return w


# --------------------------------------------------------------------------
# layouts: the file's tensors as autograd leaves, and the math convention
# derived from them
# --------------------------------------------------------------------------

def layout_tensors(w, layout, layer=0, prefix="", separate=False):
    """The weights file's tensors (name -> float64 array) for math-convention
    w (Wq (d, P), ...): the inverse of what selfattn reads."""
    if layout in ("math", "seed"):
        return {k: w[k] for k in ("Wq", "Wk", "Wv", "Wo", "bq", "bk", "bv", "bo")
                if k in w}
    if layout == "torch":
        t = {}
        if separate:
            t["q_proj_weight"] = w["Wq"].T
            t["k_proj_weight"] = w["Wk"].T
            t["v_proj_weight"] = w["Wv"].T
        else:
            t["in_proj_weight"] = np.concatenate([w["Wq"].T, w["Wk"].T, w["Wv"].T])
        if "bq" in w:
            t["in_proj_bias"] = np.concatenate([w["bq"], w["bk"], w["bv"]])
        t["out_proj.weight"] = w["Wo"].T
        if "bo" in w:
            t["out_proj.bias"] = w["bo"]
        return t
    if layout == "gpt2":
        p = "%sh.%d.attn." % (prefix, layer)
        t = {p + "c_attn.weight": np.concatenate([w["Wq"], w["Wk"], w["Wv"]], axis=1),
             p + "c_attn.bias": np.concatenate([w["bq"], w["bk"], w["bv"]]),
             p + "c_proj.weight": w["Wo"], p + "c_proj.bias": w["bo"]}
        return t
    assert layout == "bert"
    p = "%sencoder.layer.%d.attention." % (prefix, layer)
    t = {}
    for part, W, b in (("query", "Wq", "bq"), ("key", "Wk", "bk"),
                       ("value", "Wv", "bv")):
        t[p + "self.%s.weight" % part] = w[W].T
        t[p + "self.%s.bias" % part] = w[b]
    t[p + "output.dense.weight"] = w["Wo"].T
    t[p + "output.dense.bias"] = w["bo"]
    return t


def math_from_layout(leaves, layout, P):
    """The math convention (torch tensors) from the file's leaves, by the
    slicing and transposing autograd differentiates."""
    L = leaves
    if layout in ("math", "seed"):
        return dict(L)
    if layout == "torch":
        w = {}
        if "in_proj_weight" in L:
            ipw = L["in_proj_weight"]
            w["Wq"], w["Wk"], w["Wv"] = ipw[:P].T, ipw[P:2 * P].T, ipw[2 * P:].T
        else:
            w["Wq"] = L["q_proj_weight"].T
            w["Wk"] = L["k_proj_weight"].T
            w["Wv"] = L["v_proj_weight"].T
        if "in_proj_bias" in L:
            ipb = L["in_proj_bias"]
            w["bq"], w["bk"], w["bv"] = ipb[:P], ipb[P:2 * P], ipb[2 * P:]
        w["Wo"] = L["out_proj.weight"].T
        if "out_proj.bias" in L:
            w["bo"] = L["out_proj.bias"]
        return w
    w = {}
    for name, t in L.items():
        if name.endswith("c_attn.weight"):
            w["Wq"], w["Wk"], w["Wv"] = t[:, :P], t[:, P:2 * P], t[:, 2 * P:]
        elif name.endswith("c_attn.bias"):
            w["bq"], w["bk"], w["bv"] = t[:P], t[P:2 * P], t[2 * P:]
        elif name.endswith("c_proj.weight"):
            w["Wo"] = t
        elif name.endswith("c_proj.bias"):
            w["bo"] = t
        else:
            kind = {"query": "q", "key": "k", "value": "v", "dense": "o"}
            part = name.split(".")[-2]
            if name.endswith(".weight"):
                w["W" + kind[part]] = t.T
            else:
                w["b" + kind[part]] = t
    return w


# --------------------------------------------------------------------------
# The float64 re-implementation, differentiated by autograd
# --------------------------------------------------------------------------

def get_slopes(n):
    """get_slopes() of the ALiBi repository (ofirpress/attention_with_
    linear_biases)."""
    def power_of_2(n):
        start = (2 ** (-2 ** -(math.log2(n) - 3)))
        return [start * start ** i for i in range(n)]
    if math.log2(n).is_integer():
        return power_of_2(n)
    c = 2 ** math.floor(math.log2(n))
    return power_of_2(c) + get_slopes(2 * c)[0::2][:n - c]


def torch_pe(n, d):
    """The Annotated Transformer's PositionalEncoding table."""
    pe = torch.zeros(n, d, dtype=torch.float64)
    position = torch.arange(0, n, dtype=torch.float64).unsqueeze(1)
    div_term = torch.exp(torch.arange(0, d, 2, dtype=torch.float64)
                         * -(math.log(10000.0) / d))
    pe[:, 0::2] = torch.sin(position * div_term)
    pe[:, 1::2] = torch.cos(position * div_term[:d // 2])
    return pe


def torch_rope(x, base, style):
    """x: (heads, rows, dh), position = row index."""
    nh, rows, dh = x.shape
    inv_freq = 1.0 / (base ** (torch.arange(0, dh, 2, dtype=torch.float64) / dh))
    freqs = torch.outer(torch.arange(rows, dtype=torch.float64), inv_freq)
    if style == "roformer":
        xc = torch.view_as_complex(x.reshape(nh, rows, dh // 2, 2).contiguous())
        rot = torch.polar(torch.ones_like(freqs), freqs)
        return torch.view_as_real(xc * rot).reshape(nh, rows, dh)
    emb = torch.cat((freqs, freqs), dim=-1)
    x1, x2 = x[..., :dh // 2], x[..., dh // 2:]
    return x * emb.cos() + torch.cat((-x2, x1), dim=-1) * emb.sin()


def visible(n, m, o):
    ii = torch.arange(n).unsqueeze(1)
    jj = torch.arange(m).unsqueeze(0)
    ok = torch.ones(n, m, dtype=torch.bool)
    if o["causal"]:
        ok = ok & (jj <= ii)
    if o["window"] is not None:
        ok = ok & ((ii - jj).abs() <= o["window"])
    if o["mask"] is not None:
        ok = ok & (T(o["mask"]) != 0)
    return ok


def attention(w, x, ctx, bias, o, steps):
    """The output (n, d_out) from math-convention tensors w; steps gets the
    per-head tensors whose gradients are the steps."""
    H, G = o["heads"], o["kv_heads"]
    n, d = x.shape
    P = w["Wq"].shape[1]
    dh = P // H
    scale = o["scale"] if o["scale"] is not None else dh ** -0.5
    xp = x + torch_pe(n, d) if o["pos"] == "sinusoidal" else x
    src = xp if ctx is None else ctx
    m = src.shape[0]
    q, k, v = xp @ w["Wq"], src @ w["Wk"], src @ w["Wv"]
    if "bq" in w:
        q = q + w["bq"]
    if "bk" in w:
        k = k + w["bk"]
    if "bv" in w:
        v = v + w["bv"]
    q = q.view(n, H, dh).transpose(0, 1)
    k = k.view(m, G, dh).transpose(0, 1)
    v = v.view(m, G, dh).transpose(0, 1)
    if o["rope"]:
        base = 10000.0 if o["rope_base"] is None else o["rope_base"]
        style = o["rope_style"] or "roformer"
        q, k = torch_rope(q, base, style), torch_rope(k, base, style)
    k = k.repeat_interleave(H // G, dim=0)
    v = v.repeat_interleave(H // G, dim=0)
    s = torch.matmul(q, k.transpose(-2, -1)) * scale
    if o["softcap"] is not None:
        s = torch.tanh(s / o["softcap"]) * o["softcap"]
    ii, jj = torch.arange(n).unsqueeze(1), torch.arange(m).unsqueeze(0)
    if o["alibi"]:
        sl = torch.tensor(get_slopes(H), dtype=torch.float64)
        s = s - sl.view(H, 1, 1) * (ii - jj).abs().to(torch.float64)
    if bias is not None:
        s = s + bias
    ok = visible(n, m, o)
    empty = ~ok.any(dim=1)
    if o["masked_rows"] == "nan":
        s = s + torch.zeros(n, m, dtype=torch.float64).masked_fill(~ok, float("-inf"))
        a = torch.softmax(s, dim=-1)
    else:
        s = s.masked_fill(~ok, float("-inf"))
        s = torch.where(empty.view(1, n, 1), torch.zeros_like(s), s)
        a = torch.softmax(s, dim=-1) * (~empty).view(1, n, 1).to(torch.float64)
    out_h = torch.matmul(a, v)
    for name, t in (("dQ", q), ("dK", k), ("dV", v), ("dP", a), ("dS", s),
                    ("dO", out_h)):
        t.retain_grad()
        steps[name] = t
    out = out_h.transpose(0, 1).reshape(n, P)
    if "Wo" in w:
        out = out @ w["Wo"]
    if "bo" in w:
        out = out + w["bo"]
    return out


def autograd_case(c):
    """The loss and gradients (name -> array) by the re-implementation, and
    the steps' gradients."""
    leaves = {k: T(v).requires_grad_(True) for k, v in c["tensors"].items()}
    x = T(c["X"]).requires_grad_(True)
    ctx = T(c["C"]).requires_grad_(True) if c["C"] is not None else None
    bias = T(c["B"]).requires_grad_(True) if c["B"] is not None else None
    w = math_from_layout(leaves, c["layout"], c["P"])
    steps = {}
    out = attention(w, x, ctx, bias, c, steps)
    dy = T(c["dY"]) if c["dY"] is not None else torch.ones_like(out)
    loss = (out * dy).sum()
    loss.backward()
    grads = {"input": x.grad.numpy().copy()}
    if ctx is not None:
        grads["context"] = ctx.grad.numpy().copy()
    if bias is not None:
        grads["bias"] = bias.grad.numpy().copy()
    for k, t in leaves.items():
        grads[k] = t.grad.numpy().copy()
    step_grads = {k: t.grad.numpy().copy() for k, t in steps.items()}
    return float(loss), grads, step_grads


def autograd_loss(c, which, index, delta):
    """The re-implementation's loss with one input element moved by delta."""
    copy = lambda a: None if a is None else np.array(a, dtype=np.float64,  # noqa: E731
                                                     order="C", copy=True)
    arrays = {k: copy(v) for k, v in c["tensors"].items()}
    arrays.update(input=copy(c["X"]), context=copy(c["C"]), bias=copy(c["B"]))
    arrays[which].reshape(-1)[index] += delta
    # retain_grad in attention() needs tensors that autograd tracks
    x = T(arrays["input"]).requires_grad_(True)
    leaves = {k: T(arrays[k]).requires_grad_(True) for k in c["tensors"]}
    w = math_from_layout(leaves, c["layout"], c["P"])
    ctx = None if arrays["context"] is None else T(arrays["context"]).requires_grad_(True)
    bias = None if arrays["bias"] is None else T(arrays["bias"])
    out = attention(w, x, ctx, bias, c, {})
    dy = T(c["dY"]) if c["dY"] is not None else torch.ones_like(out)
    return float((out * dy).sum())


def check_finite_differences(name, c, grads):
    """Central differences of the re-implementation's loss at a few
    elements of every input against its autograd gradients."""
    worst = 0.0
    for which, g in grads.items():
        largest = float(np.max(np.abs(g)))
        flat = g.reshape(-1)
        for probe in range(3):
            i = (probe * 7919 + 3) % flat.size
            h = 1e-6
            fd = (autograd_loss(c, which, i, h) - autograd_loss(c, which, i, -h)) / (2 * h)
            # dbk is zero in exact arithmetic: its scale is not its own
            err = abs(fd - flat[i]) / max(largest, 1e-3)
            worst = max(worst, err)
            if not err <= FD_TOL:
                raise AssertionError("%s: d%s[%d] = %r but finite differences "
                                     "give %r" % (name, which, i, flat[i], fd))
    return worst


# --------------------------------------------------------------------------
# nn.MultiheadAttention, differentiated by autograd
# --------------------------------------------------------------------------

def mha_fits(c):
    return (c["layout"] == "torch" and c["scale"] is None and not c["rope"]
            and c["softcap"] is None and c["kv_heads"] == c["heads"]
            and c["P"] == c["d"] and c["d_out"] == c["d"])


def mha_case(c):
    """The loss and the gradients by nn.MultiheadAttention's own autograd."""
    H, n, d = c["heads"], c["n"], c["d"]
    kdim = d if c["C"] is None else c["C"].shape[1]
    bias_on = "in_proj_bias" in c["tensors"]
    mha = torch.nn.MultiheadAttention(d, H, dropout=0.0, bias=bias_on,
                                      batch_first=True, kdim=kdim,
                                      vdim=kdim).double()
    sd = {k: T(v) for k, v in c["tensors"].items()}
    mha.load_state_dict(sd)
    x = T(c["X"]).requires_grad_(True)
    xp = x + torch_pe(n, d) if c["pos"] == "sinusoidal" else x
    ctx = T(c["C"]).requires_grad_(True) if c["C"] is not None else None
    src = xp if ctx is None else ctx
    m = src.shape[0]
    ii, jj = torch.arange(n).unsqueeze(1), torch.arange(m).unsqueeze(0)
    am = torch.zeros(n, m, dtype=torch.float64)
    bias = T(c["B"]).requires_grad_(True) if c["B"] is not None else None
    if c["alibi"]:
        sl = torch.tensor(get_slopes(H), dtype=torch.float64)
        am = am - sl.view(H, 1, 1) * (ii - jj).abs().to(torch.float64)
    if bias is not None:
        am = am + bias
    am = am + torch.zeros(n, m, dtype=torch.float64).masked_fill(
        ~visible(n, m, c), float("-inf"))
    out, _ = mha(xp.unsqueeze(0), src.unsqueeze(0), src.unsqueeze(0),
                 need_weights=False, attn_mask=am)
    out = out[0]
    dy = T(c["dY"]) if c["dY"] is not None else torch.ones_like(out)
    loss = (out * dy).sum()
    loss.backward()
    grads = {"input": x.grad.numpy().copy()}
    if ctx is not None:
        grads["context"] = ctx.grad.numpy().copy()
    if bias is not None:
        grads["bias"] = bias.grad.numpy().copy()
    params = dict(mha.named_parameters())
    for k in c["tensors"]:
        grads[k] = params[k].grad.numpy().copy()
    return float(loss), grads


# --------------------------------------------------------------------------
# checks
# --------------------------------------------------------------------------

def check(name, what, a, b, tol=CROSS_TOL):
    a = np.asarray(a, dtype=np.float64)
    b = np.asarray(b, dtype=np.float64)
    if a.shape != b.shape:
        raise AssertionError("%s: %s shape %s vs %s" % (name, what, a.shape, b.shape))
    na, nb = np.isnan(a), np.isnan(b)
    if not np.array_equal(na, nb):
        raise AssertionError("%s: %s NaN in different places" % (name, what))
    diff = float(np.max(np.abs(a[~na] - b[~nb]))) if (~na).any() else 0.0
    if not diff <= tol:
        raise AssertionError("%s: %s differs by %g" % (name, what, diff))
    return diff


SUMMARY = []


def random_mask(rng, n, m, density=0.6, diag=True):
    mk = (rng.random((n, m)) < density).astype(np.int64)
    if diag:
        for i in range(min(n, m)):
            mk[i, i] = 1
    return mk


def checkpoint_file(tensors, layout, layer, prefix, rng):
    """A safetensors checkpoint: the case's layer, another layer of random
    tensors of the same shapes, and a tensor of another part of the model,
    all float32."""
    other = layer + 1 if layer == 0 else 0
    alls = {}
    for k, v in tensors.items():
        alls[k] = v
        twin = k.replace(".%d." % layer, ".%d." % other)
        alls[twin] = f32(rng.uniform(-0.5, 0.5, v.shape))
    embed = "wte.weight" if layout == "gpt2" else "embeddings.word_embeddings.weight"
    alls[prefix + embed] = f32(rng.uniform(-0.5, 0.5, (3, 4)))
    header, blobs, offset = {}, [], 0
    for k in sorted(alls):
        data = np.asarray(alls[k], dtype="<f4").tobytes()
        header[k] = {"dtype": "F32", "shape": list(np.shape(alls[k])),
                     "data_offsets": [offset, offset + len(data)]}
        offset += len(data)
        blobs.append(data)
    return safetensors_file(header, b"".join(blobs))


def make_case(name, seed, n, d, H, dh, G=None, m=None, d_ctx=None, d_out=None,
              Wo=True, bqkv=True, bo=True, wscale=1.0, scale=None,
              causal=False, window=None, mask=None, bias=None, bias_scale=1.0,
              pos=None, rope=False, rope_base=None, rope_style=None,
              alibi=False, softcap=None, masked_rows="zero", dy=True,
              layout="math", separate=False, layer=None, prefix="",
              gen_seed=None, out_proj=False, average_heads=False,
              prints=("output", "grads"), desc="", X=None, w=None):
    G = H if G is None else G
    context = m is not None
    if not context:
        m, d_ctx = n, d
    P = H * dh
    rng = np.random.default_rng(seed)
    X = f32(rng.standard_normal((n, d))) if X is None else X
    C = f32(rng.standard_normal((m, d_ctx))) if context else None
    if layout == "seed":
        w = generate_weights(gen_seed, d, d_ctx, H, G, dh, out_proj)
    elif w is None:
        a, ac, ao = wscale / math.sqrt(d), wscale / math.sqrt(d_ctx), 1 / math.sqrt(P)
        d_out = d_out or (d if Wo else P)
        w = {"Wq": f32(rng.uniform(-a, a, (d, P))),
             "Wk": f32(rng.uniform(-ac, ac, (d_ctx, G * dh))),
             "Wv": f32(rng.uniform(-ac, ac, (d_ctx, G * dh)))}
        if Wo:
            w["Wo"] = f32(rng.uniform(-ao, ao, (P, d_out)))
        if bqkv:
            w["bq"] = f32(rng.uniform(-a, a, P))
            w["bk"] = f32(rng.uniform(-ac, ac, G * dh))
            w["bv"] = f32(rng.uniform(-ac, ac, G * dh))
        if bo:
            w["bo"] = f32(rng.uniform(-ao, ao, d_out))
    d_out = w["Wo"].shape[1] if "Wo" in w else P
    B = None
    if bias == "shared":
        B = f32(rng.uniform(-bias_scale, bias_scale, (n, m)))
    elif bias == "per_head":
        B = f32(rng.uniform(-bias_scale, bias_scale, (H, n, m)))
    dY = f32(rng.standard_normal((n, d_out))) if dy else None
    tensors = layout_tensors(w, layout, layer or 0, prefix, separate)
    c = dict(heads=H, kv_heads=G, causal=causal, scale=scale, window=window,
             mask=mask, pos=pos, rope=rope, rope_base=rope_base,
             rope_style=rope_style, alibi=alibi, softcap=softcap,
             masked_rows=masked_rows, tensors=tensors, X=X, C=C, B=B, dY=dY,
             layout=layout, P=P, n=n, d=d, d_out=d_out)

    loss, grads, steps = autograd_case(c)
    fd = None
    if masked_rows != "nan":
        fd = check_finite_differences(name, c, grads)
    checks = ["autograd"] + (["finite differences"] if fd is not None else [])
    if mha_fits(c):
        loss2, grads2 = mha_case(c)
        check(name, "loss", loss, loss2)
        for k in grads:
            check(name, "d" + k, grads[k], grads2[k])
        loss, grads = loss2, grads2
        checks.append("nn.MHA")

    write_json(name, "input", tolist(X))
    if layout in ("gpt2", "bert"):
        weights_file = name + ".weights.safetensors"
        write_file(name, "weights.safetensors",
                   checkpoint_file(tensors, layout, layer, prefix, rng))
    elif layout == "seed":
        weights_file = None
    else:
        weights_file = name + ".weights.json"
        write_json(name, "weights", {k: tolist(v) for k, v in tensors.items()})
    if context:
        write_json(name, "context", tolist(C))
    if mask is not None:
        write_json(name, "mask", [[int(v) for v in row] for row in mask])
    if B is not None:
        write_json(name, "bias", tolist(B))
    if dY is not None:
        write_json(name, "dy", tolist(dY))
    write_json(name, "case", {
        "weights": weights_file, "seed": gen_seed, "out_proj": bool(out_proj),
        "layer": layer, "heads": H, "kv_heads": G, "causal": bool(causal),
        "scale": None if scale is None else float(scale),
        "context": context, "mask": mask is not None, "bias": B is not None,
        "dy": dY is not None, "pos": pos, "rope": bool(rope),
        "rope_base": None if rope_base is None else float(rope_base),
        "rope_style": rope_style, "alibi": bool(alibi), "window": window,
        "softcap": None if softcap is None else float(softcap),
        "masked_rows": masked_rows, "average_heads": bool(average_heads),
        "print": ",".join(prints), "reference": "+".join(checks),
        "description": desc})
    expected = {"loss": None if math.isnan(loss) else loss,
                "grads": {k: tolist_nan(v) for k, v in grads.items()}}
    if "grad_steps" in prints:
        expected["grad_steps"] = {k: tolist_nan(steps[k]) for k in
                                  ("dO", "dV", "dP", "dS", "dQ", "dK")}
    write_json(name, "expected", expected)
    SUMMARY.append((name, n, m, d, d_ctx, H, G, dh, d_out, layout,
                    "+".join(checks), fd))


def classic_case():
    """The README's example: data/classic.json with its weights, scale 1,
    dY all ones, with the steps (the manual works it through)."""
    root = os.path.dirname(os.path.dirname(HERE))
    import json
    with open(os.path.join(root, "data", "classic.json")) as fh:
        X = f32(json.load(fh)["embeddings"])
    with open(os.path.join(root, "data", "classic.weights.json")) as fh:
        w = {k: f32(v) for k, v in json.load(fh).items() if not k.startswith("_")}
    make_case("classic", 0, n=3, d=4, H=1, dh=3, scale=1.0, dy=False, X=X, w=w,
              prints=("output", "grads", "grad_steps"),
              desc="the classic 3 x 3 example of README.md (data/classic.json, "
                   "scale 1, no Wo), dY all ones, with the steps")


def build_all():
    rng = np.random.default_rng(400)
    mk = random_mask(rng, 6, 6)
    mk_empty = mk.copy()
    mk_empty[3, :] = 0
    # ---- nn.MultiheadAttention's own autograd, each option alone ----
    make_case("torch_basic", 401, n=5, d=8, H=2, dh=4, layout="torch",
              desc="two heads, all biases, random dY")
    make_case("torch_ones", 402, n=4, d=8, H=2, dh=4, layout="torch", dy=False,
              desc="no --dy: dY all ones, L = the sum of the outputs")
    make_case("torch_nobias", 403, n=6, d=8, H=2, dh=4, layout="torch",
              bqkv=False, bo=False,
              desc="bias=False: only in_proj_weight and out_proj.weight")
    make_case("torch_causal", 404, n=6, d=8, H=2, dh=4, layout="torch",
              causal=True, desc="causal")
    make_case("torch_window", 405, n=7, d=8, H=2, dh=4, layout="torch",
              window=1, desc="window W=1, not causal")
    make_case("torch_window_causal", 406, n=8, d=8, H=2, dh=4, layout="torch",
              window=2, causal=True, desc="window W=2 and causal")
    make_case("torch_mask", 407, n=6, d=8, H=2, dh=4, layout="torch", mask=mk,
              desc="a mask file")
    make_case("torch_masked_rows_nan", 408, n=6, d=8, H=2, dh=4,
              layout="torch", mask=mk_empty, masked_rows="nan",
              desc="mask row 3 all zero, masked_rows nan: the NaN spreads as "
                   "autograd spreads it (L null)")
    make_case("torch_bias_shared", 409, n=6, d=8, H=2, dh=4, layout="torch",
              bias="shared", bias_scale=2.0,
              desc="a bias n x m shared by the heads: its gradient sums them")
    make_case("torch_bias_per_head", 410, n=6, d=12, H=3, dh=4,
              layout="torch", bias="per_head", bias_scale=2.0,
              desc="a bias H x n x m")
    make_case("torch_cross", 411, n=5, d=8, H=2, dh=4, m=7, d_ctx=6,
              layout="torch", separate=True,
              desc="cross-attention with d_ctx != d: q/k/v_proj_weight")
    make_case("torch_cross_same_dim", 412, n=4, d=6, H=3, dh=2, m=9, d_ctx=6,
              layout="torch", desc="cross-attention with d_ctx = d: "
              "in_proj_weight")
    make_case("torch_alibi", 413, n=6, d=12, H=4, dh=3, layout="torch",
              alibi=True, desc="ALiBi (no parameter: the gradient flows "
              "through the scores)")
    make_case("torch_pos_sinusoidal", 414, n=8, d=8, H=2, dh=4,
              layout="torch", pos="sinusoidal",
              desc="sinusoidal positions: dX passes through X + PE")
    make_case("torch_average_heads", 415, n=6, d=16, H=4, dh=4,
              layout="torch", average_heads=True,
              prints=("output", "weights", "grads"),
              desc="--average-heads (the printed weights only: the same "
                   "gradients)")
    # ---- combinations nn.MultiheadAttention can express ----
    make_case("torch_cross_bias_window", 416, n=6, d=8, H=2, dh=4, m=4,
              d_ctx=10, layout="torch", separate=True, bias="shared",
              window=2, desc="context + bias + window W=2")
    make_case("torch_causal_alibi_bias_pos", 417, n=7, d=12, H=3, dh=4,
              layout="torch", causal=True, alibi=True, bias="per_head",
              pos="sinusoidal", desc="causal + ALiBi + bias per head + "
              "positions")
    # ---- the re-implementation: what nn.MultiheadAttention cannot do ----
    make_case("math_masked_rows_zero", 408, n=6, d=8, H=2, dh=4,
              mask=mk_empty, desc="mask row 3 all zero, masked_rows zero: "
              "that row passes no gradient")
    make_case("math_gqa", 418, n=6, d=8, H=4, dh=3, G=2,
              desc="GQA: the gradients of a shared K/V head sum its group's")
    make_case("math_mqa", 419, n=5, d=8, H=4, dh=2, G=1, desc="MQA")
    make_case("math_rope", 420, n=6, d=8, H=2, dh=4, rope=True,
              desc="RoPE roformer, base 10000")
    make_case("math_rope_neox", 421, n=6, d=8, H=2, dh=6, rope=True,
              rope_style="neox", desc="RoPE neox, P=12 != d")
    make_case("math_rope_base", 422, n=12, d=8, H=2, dh=4, wscale=2.0,
              rope=True, rope_base=500.0, rope_style="roformer",
              desc="RoPE base 500")
    make_case("math_softcap", 423, n=6, d=8, H=2, dh=4, wscale=3.0, scale=1.0,
              softcap=2.0, desc="softcap 2 on large raw scores: through tanh")
    make_case("math_scale", 424, n=5, d=8, H=2, dh=4, scale=0.3,
              desc="--scale 0.3")
    make_case("math_noWo", 425, n=4, d=6, H=2, dh=5, Wo=False, bo=False,
              desc="no Wo: d_out = P = 10; bq, bk, bv")
    make_case("math_Wo_dout", 426, n=6, d=5, H=3, dh=2, d_out=7,
              desc="Wo to d_out = 7, all biases")
    rng = np.random.default_rng(427)
    mk12 = random_mask(rng, 12, 12)
    make_case("math_combo", 428, n=12, d=16, H=4, dh=4, G=2, rope=True,
              causal=True, softcap=3.0, alibi=True, bias="per_head",
              window=5, mask=mk12,
              desc="GQA + RoPE + causal + softcap + ALiBi + bias per head + "
                   "window + mask")
    rng = np.random.default_rng(429)
    mk_cross = random_mask(rng, 9, 7, diag=False)
    mk_cross[4, :] = 0
    make_case("math_cross_combo_nan", 430, n=9, d=8, H=2, dh=4, G=1, m=7,
              d_ctx=6, pos="sinusoidal", rope=True, rope_style="neox",
              bias="shared", mask=mk_cross, masked_rows="nan",
              desc="context + MQA + positions + RoPE neox + bias + a mask "
                   "emptying query 4, masked_rows nan")
    # ---- generated weights: the math names ----
    make_case("seed_out_proj", 431, n=5, d=8, H=2, dh=4, layout="seed",
              gen_seed=3, out_proj=True, causal=True,
              desc="weights generated from --seed 3 with --out-proj")
    make_case("seed_gqa", 432, n=6, d=8, H=4, dh=2, G=2, layout="seed",
              gen_seed=0, desc="generated weights (seed 0), 4 heads, 2 kv "
              "heads")
    # ---- checkpoints: their own names, with --layer ----
    make_case("gpt2_layer1", 433, n=5, d=8, H=2, dh=4, layout="gpt2",
              layer=1, prefix="transformer.", causal=True,
              desc="GPT-2 layer 1 of a transformer.-prefixed checkpoint: "
                   "c_attn.weight (d, 3d) Conv1D")
    rng = np.random.default_rng(434)
    make_case("bert_layer0", 435, n=6, d=8, H=2, dh=4, layout="bert",
              layer=0, prefix="bert.", mask=random_mask(rng, 6, 6),
              desc="BERT layer 0 of a bert.-prefixed checkpoint: "
                   "query/key/value.weight (d, d) Linear")
    # ---- the steps ----
    classic_case()
    make_case("steps_gqa_rope", 436, n=7, d=16, H=4, dh=4, G=2, rope=True,
              causal=True, prints=("grads", "grad_steps"),
              desc="the steps of GQA + RoPE + causal: dK and dV per head")
    make_case("steps_nan", 408, n=6, d=8, H=2, dh=4, layout="torch",
              mask=mk_empty, masked_rows="nan",
              prints=("output", "grads", "grad_steps"),
              desc="the steps with a NaN row")


def main():
    os.makedirs(OUT_DIR, exist_ok=True)
    build_all()
    for fn in sorted(os.listdir(OUT_DIR)):
        if fn not in WRITTEN:
            os.remove(os.path.join(OUT_DIR, fn))
    print("%-28s %3s %3s %3s %4s %2s %2s %3s %5s %6s %-32s %s"
          % ("case", "n", "m", "d", "dctx", "H", "G", "dh", "d_out", "layout",
             "checked by", "finite differences"))
    for row in SUMMARY:
        print("%-28s %3d %3d %3d %4d %2d %2d %3d %5d %6s %-32s %s"
              % (row[:10] + (row[10], "-" if row[11] is None else "%.1e" % row[11])))
    print("%d cases, %d files" % (len(SUMMARY), len(WRITTEN)))


if __name__ == "__main__":
    main()
