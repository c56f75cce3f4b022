#!/usr/bin/python3
"""The NumPy and PyTorch side of `make bench`: the same attention as
selfattn, computed in process on the same files, timed without the loading.

    /usr/bin/python3 tests/bench/numpy_attention.py DIR WORKLOAD RUNS [numpy]

Prints one line per library: "numpy SECONDS" and, when torch imports and
the fourth argument does not ask for NumPy alone, "torch SECONDS" (the
median of RUNS runs).
"""
import statistics
import sys
import time

import numpy as np


def load_safetensors(path):
    import json
    import struct
    with open(path, "rb") as f:
        n = struct.unpack("<Q", f.read(8))[0]
        header = json.loads(f.read(n))
        data = f.read()
    out = {}
    for name, info in header.items():
        begin, end = info["data_offsets"]
        out[name] = np.frombuffer(data[begin:end], dtype="<f4").reshape(info["shape"])
    return out


def numpy_mha(x, w, heads):
    """nn.MultiheadAttention's math: in-projection, per-head softmax(QK^T/sqrt(dh)) V, out-projection."""
    E = x.shape[1]
    dh = E // heads
    qkv = x @ w["in_proj_weight"].T + w["in_proj_bias"]
    q, k, v = qkv[:, :E], qkv[:, E:2 * E], qkv[:, 2 * E:]
    out = np.empty_like(q)
    for h in range(heads):
        cols = slice(h * dh, (h + 1) * dh)
        s = (q[:, cols] @ k[:, cols].T) * np.float32(1 / np.sqrt(dh))
        s -= s.max(axis=1, keepdims=True)
        np.exp(s, out=s)
        s /= s.sum(axis=1, keepdims=True)
        out[:, cols] = s @ v[:, cols]
    return out @ w["out_proj.weight"].T + w["out_proj.bias"]


def numpy_single(x, w):
    q, k, v = x @ w["Wq"], x @ w["Wk"], x @ w["Wv"]
    s = (q @ k.T) * np.float32(1 / np.sqrt(q.shape[1]))
    s -= s.max(axis=1, keepdims=True)
    np.exp(s, out=s)
    s /= s.sum(axis=1, keepdims=True)
    return s @ v


def median_time(fn, runs):
    """The median of runs timed calls, after one untimed call (as bench.py
    does for whole processes)."""
    fn()
    times = []
    for _ in range(runs):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def main():
    folder, workload, runs = sys.argv[1], sys.argv[2], int(sys.argv[3])
    if workload == "A":
        x = np.load(f"{folder}/a_x.npy")
        w = load_safetensors(f"{folder}/a_w.safetensors")
        print(f"numpy {median_time(lambda: numpy_mha(x, w, 8), runs):.4f}")
    else:
        x = np.load(f"{folder}/{workload.lower()}_x.npy")
        w = dict(np.load(f"{folder}/bd_w.npz"))
        print(f"numpy {median_time(lambda: numpy_single(x, w), runs):.4f}")
    if sys.argv[4:] == ["numpy"]:
        return
    try:
        import torch
    except ImportError:
        return
    torch.set_grad_enabled(False)
    if workload == "A":
        m = torch.nn.MultiheadAttention(512, 8, batch_first=True)
        m.load_state_dict({k: torch.from_numpy(v.copy()) for k, v in w.items()})
        m.eval()
        xt = torch.from_numpy(x)[None]
        fn = lambda: m(xt, xt, xt, need_weights=False)
    else:
        wq, wk, wv = (torch.from_numpy(w[k]) for k in ("Wq", "Wk", "Wv"))
        xt = torch.from_numpy(x)
        def fn():
            q, k, v = xt @ wq, xt @ wk, xt @ wv
            a = torch.softmax((q @ k.T) / 8.0, dim=1)
            return a @ v
    print(f"torch {median_time(fn, runs):.4f}")


if __name__ == "__main__":
    main()
