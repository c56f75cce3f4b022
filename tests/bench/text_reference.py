#!/usr/bin/python3
"""The Python side of `make bench`'s text workloads (E to J): the same
reading, writing and attention as selfattn, in Python and NumPy.

    /usr/bin/python3 tests/bench/text_reference.py read-json FILE RUNS
    /usr/bin/python3 tests/bench/text_reference.py read-csv FILE RUNS
    /usr/bin/python3 tests/bench/text_reference.py write-json NPY OUT RUNS
    /usr/bin/python3 tests/bench/text_reference.py mha X.json W.safetensors OUT
    /usr/bin/python3 tests/bench/text_reference.py batch LINES W.json OUT

read-json, read-csv and write-json time themselves in process (the median
of RUNS timed calls after one untimed call, as numpy_attention.py does) and
print "python SECONDS".  mha and batch are the scripts that bench.py times
as whole processes (python3 start-up and NumPy's import included) and print
nothing.
"""
import json
import sys

import numpy as np

from numpy_attention import load_safetensors, median_time, numpy_mha


def read_json(path):
    """E's reference: json.load, then np.array."""
    with open(path) as f:
        return np.array(json.load(f), dtype=np.float32)


def read_csv(path):
    """F's reference."""
    return np.loadtxt(path, delimiter=",", dtype=np.float32)


def write_json(matrix, path):
    """G's reference: the same matrix as selfattn writes, as json.dump writes it."""
    with open(path, "w") as f:
        json.dump(matrix.tolist(), f)


def mha_script(x_path, w_path, out_path):
    """H: a JSON matrix in, nn.MultiheadAttention's math in float32 with the
    torch-style weights (8 heads, biases, output projection, as workload A's
    NumPy side), the output out as JSON."""
    with open(x_path) as f:
        x = np.array(json.load(f), dtype=np.float32)
    out = numpy_mha(x, load_safetensors(w_path), 8)
    with open(out_path, "w") as f:
        json.dump(out.tolist(), f)


def heads_attention(x, wq, wk, wv, heads):
    """Attention of heads heads without output projection: Q, K, V
    projections, per head softmax(QK^T/sqrt(dh)) V, the heads side by side
    (the heads go through NumPy together, not one by one)."""
    n = x.shape[0]
    dh = wq.shape[1] // heads
    q, k, v = ((x @ w).reshape(n, heads, dh).transpose(1, 0, 2) for w in (wq, wk, wv))
    s = (q @ k.transpose(0, 2, 1)) * np.float32(1 / np.sqrt(dh))
    s -= s.max(axis=2, keepdims=True)
    np.exp(s, out=s)
    s /= s.sum(axis=2, keepdims=True)
    return (s @ v).transpose(1, 0, 2).reshape(n, heads * dh)


def batch_loop(lines_path, w_path, out_path, heads=4):
    """I: the plain Python loop over a JSON Lines file, one line at a time:
    json.loads, NumPy attention of 4 heads, json.dumps of line, id, output."""
    with open(w_path) as f:
        w = json.load(f)
    wq, wk, wv = (np.array(w[k], dtype=np.float32) for k in ("Wq", "Wk", "Wv"))
    with open(lines_path) as fin, open(out_path, "w") as fout:
        for n, line in enumerate(fin, 1):
            doc = json.loads(line)
            x = np.array(doc["embeddings"], dtype=np.float32)
            out = heads_attention(x, wq, wk, wv, heads)
            fout.write(json.dumps({"line": n, "id": doc["id"], "output": out.tolist()}) + "\n")


def main():
    mode, args = sys.argv[1], sys.argv[2:]
    if mode == "read-json":
        print(f"python {median_time(lambda: read_json(args[0]), int(args[1])):.4f}")
    elif mode == "read-csv":
        print(f"python {median_time(lambda: read_csv(args[0]), int(args[1])):.4f}")
    elif mode == "write-json":
        matrix = np.load(args[0])
        print(f"python {median_time(lambda: write_json(matrix, args[1]), int(args[2])):.4f}")
    elif mode == "mha":
        mha_script(*args)
    elif mode == "batch":
        batch_loop(*args)
    else:
        sys.exit(f"text_reference.py: unknown mode {mode}")


if __name__ == "__main__":
    main()
