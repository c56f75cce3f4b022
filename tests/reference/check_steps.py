#!/usr/bin/python3
"""check_steps — every intermediate of `selfattn run -p steps` against a
NumPy float64 reference, and the identities between them.

    check_steps.py SELFATTN CASES_DIR

For each case NAME of CASES_DIR (tests/reference/cases: NAME.case.json,
NAME.input.json, NAME.weights.json, ...) without RoPE, positions, a
context or a batch, runs `SELFATTN run -p output,steps` with the case's
options and compares each key of "steps" (Q, K, V, raw_scores, scores,
exp, rowsum, softmax, head_output, concat) and "output" with the float64
computation below, within |got - want| <= 1e-6 + 1e-5 |want| (raw_scores,
scores, head_output, concat and output within 1e-5 + 1e-5 |want|: they are
float32 sums of products).  It also checks, on the printed numbers alone,
softmax == exp / rowsum (rows that see a key) and concat == [head_output_1
... head_output_H].  Prints "NAME: why" for each failure and "cases: N
checked"; exits 1 if anything failed.
"""
import json
import math
import os
import subprocess
import sys

import numpy as np


def alibi_slopes(heads):
    """ALiBi's slopes as selfattn's sa_alibi_slopes makes them."""
    def power_of_two(n):
        return [2.0 ** (-8.0 * (h + 1) / n) for h in range(n)]
    n2 = 1 << (heads.bit_length() - 1)
    if n2 == heads:
        return power_of_two(heads)
    return power_of_two(n2) + power_of_two(2 * n2)[0::2][:heads - n2]


def load_weights(path, d):
    """Wq, Wk, Wv, Wo, bq, bk, bv, bo in the math convention (Q = X Wq)."""
    w = json.load(open(path))
    get = lambda k: np.array(w[k], dtype=np.float64) if k in w else None
    if "in_proj_weight" in w:
        ipw = get("in_proj_weight")
        P = ipw.shape[0] // 3
        ipb = get("in_proj_bias")
        out = {"Wq": ipw[:P].T, "Wk": ipw[P:2 * P].T, "Wv": ipw[2 * P:].T,
               "Wo": get("out_proj.weight").T if "out_proj.weight" in w else None,
               "bo": get("out_proj.bias")}
        out.update({"bq": ipb[:P], "bk": ipb[P:2 * P], "bv": ipb[2 * P:]}
                   if ipb is not None else {"bq": None, "bk": None, "bv": None})
        return out
    return {k: get(k) for k in ("Wq", "Wk", "Wv", "Wo", "bq", "bk", "bv", "bo")}


def reference(x, W, case, mask, bias):
    """Every step of one sequence in float64."""
    n = x.shape[0]
    H = case.get("heads", 1)
    G = case.get("kv_heads") or H
    P = W["Wq"].shape[1]
    dh = P // H
    proj = lambda w, b: x @ w + (b if b is not None else 0.0)
    Q, K, V = proj(W["Wq"], W["bq"]), proj(W["Wk"], W["bk"]), proj(W["Wv"], W["bv"])
    scale = case.get("scale")
    scale = 1.0 / math.sqrt(dh) if scale is None else scale
    slopes = alibi_slopes(H)
    steps = {k: [] for k in ("Q", "K", "V", "raw_scores", "scores", "exp",
                             "rowsum", "softmax", "head_output")}
    i_idx, j_idx = np.meshgrid(np.arange(n), np.arange(n), indexing="ij")
    for h in range(H):
        g = h // (H // G)
        q, k, v = Q[:, h * dh:(h + 1) * dh], K[:, g * dh:(g + 1) * dh], V[:, g * dh:(g + 1) * dh]
        raw = q @ k.T
        s = raw * np.float64(np.float32(scale))
        if case.get("softcap"):
            C = case["softcap"]
            s = C * np.tanh(s / C)
        if case.get("alibi"):
            s = s - slopes[h] * np.abs(i_idx - j_idx)
        if bias is not None:
            s = s + (bias[h] if bias.ndim == 3 else bias)
        hidden = np.zeros((n, n), dtype=bool)
        if case.get("causal"):
            hidden |= j_idx > i_idx
        if case.get("window") is not None:
            hidden |= np.abs(i_idx - j_idx) > case["window"]
        if mask is not None:
            hidden |= mask == 0
        s = np.where(hidden, -np.inf, s)
        mx = np.max(s, axis=1, keepdims=True)
        empty = np.isinf(mx[:, 0])
        e = np.where(hidden, 0.0, np.exp(s - np.where(np.isinf(mx), 0.0, mx)))
        rs = e.sum(axis=1)
        p = np.divide(e, rs[:, None], out=np.zeros_like(e), where=rs[:, None] > 0)
        if case.get("masked_rows") == "nan":
            p[empty] = np.nan
        o = p @ v
        for key, val in zip(steps, (q, k, v, raw, s, e, rs, p, o)):
            steps[key].append(val)
    steps = {k: np.array(v) for k, v in steps.items()}
    steps["concat"] = np.concatenate(list(steps["head_output"]), axis=1)
    out = steps["concat"] @ W["Wo"] if W["Wo"] is not None else steps["concat"].copy()
    if W["bo"] is not None:
        out = out + W["bo"]
    return steps, out


def as_array(value):
    """JSON numbers to float64, null (masked, NaN) as -inf there and NaN."""
    return np.array(json.loads(json.dumps(value).replace("null", "NaN")), dtype=np.float64)


def compare(name, key, got, want, atol):
    """Why got differs from want, or None."""
    if got.shape != want.shape:
        return f"{key}: shape {got.shape}, want {want.shape}"
    # masked scores are null in JSON (read as NaN): -inf in the reference
    want = np.where(np.isneginf(want), np.nan, want)
    both_nan = np.isnan(got) & np.isnan(want)
    diff = np.where(both_nan, 0.0, np.abs(got - want))
    bad = ~both_nan & ~(diff <= atol + 1e-5 * np.abs(np.nan_to_num(want)))
    if bad.any():
        at = tuple(int(i) for i in np.argwhere(bad)[0])
        return f"{key}{list(at)}: got {got[at]!r}, want {want[at]!r}"
    return None


def identities(steps):
    """softmax == exp / rowsum and concat == the heads side by side."""
    exp, rowsum, soft = steps["exp"], steps["rowsum"], steps["softmax"]
    seen = rowsum > 0
    ratio = np.divide(exp, rowsum[..., None], out=np.zeros_like(exp),
                      where=rowsum[..., None] > 0)
    if not np.all(np.abs(ratio - soft)[seen] <= 1e-6 + 1e-5 * np.abs(soft[seen])):
        return "softmax != exp / rowsum"
    if not np.allclose(steps["concat"], np.concatenate(list(steps["head_output"]), axis=1),
                       rtol=1e-5, atol=1e-6, equal_nan=True):
        return "concat != [head_output ...]"
    return None


def options(case, name):
    opts = ["-H", str(case.get("heads", 1))]
    for key, flag in (("kv_heads", "--kv-heads"), ("scale", "--scale"),
                      ("window", "--window"), ("softcap", "--softcap"),
                      ("masked_rows", "--masked-rows")):
        if case.get(key) is not None:
            opts += [flag, str(case[key])]
    for key, flag in (("causal", "--causal"), ("alibi", "--alibi")):
        if case.get(key):
            opts.append(flag)
    if case.get("mask"):
        opts += ["--mask", f"{name}.mask.json"]
    if case.get("bias"):
        opts += ["--bias", f"{name}.bias.json"]
    return opts


def check_case(selfattn, name, case):
    x = json.load(open(f"{name}.input.json"))
    x = np.array(x["embeddings"] if isinstance(x, dict) else x, dtype=np.float64)
    W = load_weights(f"{name}.weights.json", x.shape[1])
    mask = np.array(json.load(open(f"{name}.mask.json")), dtype=np.float64) \
        if case.get("mask") else None
    bias = np.array(json.load(open(f"{name}.bias.json")), dtype=np.float64) \
        if case.get("bias") else None
    run = subprocess.run([selfattn, "run", *options(case, name), "-p", "output,steps",
                          "-w", f"{name}.weights.json", f"{name}.input.json"],
                         capture_output=True, text=True)
    if run.returncode != 0:
        return f"exit {run.returncode}: {run.stderr.strip()}"
    doc = json.loads(run.stdout)
    steps = {k: as_array(v) for k, v in doc["steps"].items()}
    want, out = reference(x, W, case, mask, bias)
    for key in want:
        atol = 1e-5 if key in ("raw_scores", "scores", "head_output", "concat") else 1e-6
        why = compare(name, key, steps.get(key, np.array([])), want[key], atol)
        if why:
            return why
    return compare(name, "output", as_array(doc["output"]), out, 1e-5) or identities(steps)


def main():
    selfattn, cases = os.path.abspath(sys.argv[1]), sys.argv[2]
    os.chdir(cases)
    checked = failed = 0
    for file in sorted(os.listdir(".")):
        if not file.endswith(".case.json"):
            continue
        name = file[:-len(".case.json")]
        case = json.load(open(file))
        if (case.get("rope") or case.get("pos") or case.get("context") or
                case.get("average_heads") or not os.path.exists(f"{name}.input.json")):
            continue
        checked += 1
        why = check_case(selfattn, name, case)
        if why:
            failed += 1
            print(f"{name}: {why}")
    print(f"cases: {checked} checked")
    return 1 if failed or checked == 0 else 0


if __name__ == "__main__":
    sys.exit(main())
