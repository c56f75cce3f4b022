#!/usr/bin/python3
"""The PyTorch side of `make bench`'s gradient targets (bench_grad.py):
nn.MultiheadAttention forward and backward in process, on workload A's
files, timed without the loading.

    /usr/bin/python3 tests/bench/torch_grad.py DIR RUNS DX_OUT

Loads DIR/a_x.npy (4096 x 512) and DIR/a_w.safetensors (a state dict of
nn.MultiheadAttention(512, 8)), sets torch to 2 threads, and times RUNS
rounds of: forward with the input as query, key and value, L = the sum of
the outputs, backward (each timed round after an untimed one).  Prints
"torch SECONDS" (the median) and saves the input's gradient, float32, in
DX_OUT (.npy) for bench_grad.py to compare with selfattn's.
"""
import statistics
import sys
import time

import numpy as np
import torch

from numpy_attention import load_safetensors


def main():
    folder, runs, dx_out = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    torch.set_num_threads(2)
    x = torch.from_numpy(np.load(f"{folder}/a_x.npy"))
    state = {k: torch.from_numpy(np.array(v)) for k, v in
             load_safetensors(f"{folder}/a_w.safetensors").items()}
    mha = torch.nn.MultiheadAttention(512, 8, batch_first=True)
    mha.load_state_dict(state)

    def step():
        mha.zero_grad()
        xi = x.unsqueeze(0).clone().requires_grad_(True)
        y, _ = mha(xi, xi, xi, need_weights=False)
        y.sum().backward()
        return xi.grad[0]

    times = []
    for _ in range(runs):
        step()  # untimed
        start = time.perf_counter()
        dx = step()
        times.append(time.perf_counter() - start)
    np.save(dx_out, dx.numpy().astype(np.float32))
    print(f"torch {statistics.median(times)}")


if __name__ == "__main__":
    main()
