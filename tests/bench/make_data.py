#!/usr/bin/python3
"""Makes the inputs of `make bench` in the directory given (default
/tmp/selfattn-bench): NumPy .npy inputs and safetensors weights with torch
nn.MultiheadAttention names; for the text workloads, A's input as JSON
(json.dump, 43 MB) and CSV (np.savetxt, 53 MB), and a JSON Lines file of
20000 sequences of 16 x 32 (212 MB).  Deterministic; needs only Debian's
NumPy.

    /usr/bin/python3 tests/bench/make_data.py DIR
"""
import json
import os
import struct
import sys

import numpy as np


def write_safetensors(path, tensors):
    """Writes {name: float32 array} as a safetensors file."""
    header, offset, blobs = {}, 0, []
    for name, array in tensors.items():
        data = np.ascontiguousarray(array, dtype="<f4").tobytes()
        header[name] = {"dtype": "F32", "shape": list(array.shape),
                        "data_offsets": [offset, offset + len(data)]}
        offset += len(data)
        blobs.append(data)
    text = json.dumps(header).encode()
    text += b" " * (-len(text) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)))
        f.write(text)
        for blob in blobs:
            f.write(blob)


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else "/tmp/selfattn-bench"
    os.makedirs(out, exist_ok=True)
    rng = np.random.default_rng(2026)
    # A: n = 4096, d = 512, 8 heads, full nn.MultiheadAttention
    E = 512
    a_x = rng.standard_normal((4096, E)).astype(np.float32)
    np.save(f"{out}/a_x.npy", a_x)
    bound = 1 / np.sqrt(E)
    write_safetensors(f"{out}/a_w.safetensors", {
        "in_proj_weight": rng.uniform(-bound, bound, (3 * E, E)).astype(np.float32),
        "in_proj_bias": rng.uniform(-bound, bound, 3 * E).astype(np.float32),
        "out_proj.weight": rng.uniform(-bound, bound, (E, E)).astype(np.float32),
        "out_proj.bias": rng.uniform(-bound, bound, E).astype(np.float32),
    })
    # B and D: d = 64, one head, output only
    for name, n in (("b", 16384), ("d", 65536)):
        np.save(f"{out}/{name}_x.npy", rng.standard_normal((n, 64)).astype(np.float32))
    bound = 1 / 8
    np.savez(f"{out}/bd_w.npz", **{k: rng.uniform(-bound, bound, (64, 64)).astype(np.float32)
                                  for k in ("Wq", "Wk", "Wv")})
    # E to H: A's input as text, written as Python writes it
    with open(f"{out}/a_x.json", "w") as f:
        json.dump(a_x.tolist(), f)
    with open(f"{out}/a_x.csv", "w") as f:
        np.savetxt(f, a_x, delimiter=",")
    # I and J: 20000 lines of {"id": i, "embeddings": 16 x 32}, from a
    # generator of their own (A to D's data stay as they were)
    rng = np.random.default_rng(2027)
    with open(f"{out}/i_x.jsonl", "w") as f:
        for i in range(20000):
            x = rng.standard_normal((16, 32)).astype(np.float32)
            f.write(json.dumps({"id": i, "embeddings": x.tolist()}) + "\n")


if __name__ == "__main__":
    main()
