#!/usr/bin/python3
"""`make bench`, the gradients: `selfattn grad` against its targets (issue
16), in one run on this machine, after bench.py.

    /usr/bin/python3 tests/bench/bench_grad.py [--runs N] [--dir DIR]

Targets (docs/performance.md):
  B  n = 16384, d = 64, one head (bench.py's workload B): `selfattn grad`
     as a whole process at most 4 times `selfattn run` on the same files,
     and its peak resident memory at most 150 MiB.
  A  n = 4096, d = 512, 8 heads, torch weights (bench.py's workload A):
     `selfattn grad` as a whole process at least 1.5 times faster than
     PyTorch's nn.MultiheadAttention forward and backward in process (2
     threads, torch_grad.py), and its dX within 1e-3 of torch's, relative
     to the largest |dX| of torch's.
Times are medians of --runs rounds after a 5-second pause; each round runs
one side, then the other, each timed run after an untimed one of its own,
so a slow spell of the machine hits both.  selfattn writes its result as
.npz (output and gradients; grad's default --print) and run its output as
.npy.  The data is bench.py's (make_data.py), in DIR (default
/tmp/selfattn-bench).  Prints a table of the targets and whether each held;
it fails only if a command fails, like bench.py.
"""
import argparse
import os
import statistics
import subprocess
import sys
import time

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
SELFATTN = os.path.join(ROOT, "selfattn")
SETTLE = 5.0  # as bench.py: the VM hands memory back for a few seconds


def run(cmd):
    """Runs cmd; its wall time, and its peak resident memory in MiB from
    GNU time."""
    timed = ["/usr/bin/time", "-f", "%M"] + cmd
    start = time.perf_counter()
    p = subprocess.run(timed, capture_output=True, text=True)
    seconds = time.perf_counter() - start
    if p.returncode != 0:
        sys.exit(f"bench_grad: {' '.join(cmd)} failed: {p.stderr}")
    return seconds, int(p.stderr.strip().splitlines()[-1]) / 1024.0


def alternate(sides, runs):
    """sides: name -> (a function returning (seconds, peak MiB) of one timed
    run, whether to run it once untimed first).  runs rounds of each side in
    turn; the medians of time and the largest peak per side."""
    time.sleep(SETTLE)
    times = {name: [] for name in sides}
    peaks = {name: 0.0 for name in sides}
    for _ in range(runs):
        for name, (fn, warm) in sides.items():
            if warm:
                fn()
            seconds, peak = fn()
            times[name].append(seconds)
            peaks[name] = max(peaks[name], peak)
    return {name: statistics.median(t) for name, t in times.items()}, peaks


def torch_side(folder, dx_out):
    """One round of torch_grad.py: its in-process time of one forward and
    backward, after an untimed one in the same process (so no untimed run
    of the process is needed); the peak is not compared."""
    def fn():
        out = subprocess.run([sys.executable, os.path.join(HERE, "torch_grad.py"),
                              folder, "1", dx_out], capture_output=True, text=True,
                             cwd=HERE)
        if out.returncode != 0:
            sys.exit(f"bench_grad: torch_grad.py failed: {out.stderr}")
        return float(out.stdout.split()[1]), 0.0
    return fn


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--dir", default="/tmp/selfattn-bench")
    args = ap.parse_args()
    folder = args.dir
    if not os.path.exists(os.path.join(folder, "a_x.npy")):
        subprocess.run([sys.executable, os.path.join(HERE, "make_data.py"), folder],
                       check=True)
    rows = []

    # B: grad against run, one head, d = 64
    run_b = [SELFATTN, "run", "-w", f"{folder}/bd_w.npz", "-f", "npy",
             "-o", f"{folder}/b_out.npy", f"{folder}/b_x.npy"]
    grad_b = [SELFATTN, "grad", "-w", f"{folder}/bd_w.npz", "-f", "npz",
              "-o", f"{folder}/b_grad.npz", f"{folder}/b_x.npy"]
    t, peak = alternate({"run": (lambda: run(run_b), True),
                         "grad": (lambda: run(grad_b), True)}, args.runs)
    ratio = t["grad"] / t["run"]
    rows.append(("B", "n 16384, d 64, 1 head: grad / run", f"{t['grad']:.3f} s",
                 f"{t['run']:.3f} s (run)", f"{ratio:.2f}x", "<= 4x", ratio <= 4))
    rows.append(("B", "peak memory of grad", f"{peak['grad']:.1f} MiB", "", "",
                 "<= 150 MiB", peak["grad"] <= 150))

    # A: grad against torch's forward and backward, 8 heads, d = 512
    try:
        import torch  # noqa: F401
    except ImportError:
        print("torch is not installed (python3-torch): target A not measured")
        torch = None
    if torch is not None:
        dx_torch = os.path.join(folder, "a_dx_torch.npy")
        grad_a = [SELFATTN, "grad", "-H", "8", "-w", f"{folder}/a_w.safetensors",
                  "-f", "npz", "-o", f"{folder}/a_grad.npz", f"{folder}/a_x.npy"]
        t, _ = alternate({"grad": (lambda: run(grad_a), True),
                          "torch": (torch_side(folder, dx_torch), False)}, args.runs)
        ratio = t["torch"] / t["grad"]
        rows.append(("A", "n 4096, d 512, 8 heads: torch / grad", f"{t['grad']:.3f} s",
                     f"{t['torch']:.3f} s (torch)", f"{ratio:.2f}x", ">= 1.5x",
                     ratio >= 1.5))
        ours = np.load(f"{folder}/a_grad.npz")["input"]
        theirs = np.load(dx_torch)
        diff = float(np.max(np.abs(ours - theirs)) / np.max(np.abs(theirs)))
        rows.append(("A", "dX against torch's, of its largest", f"{diff:.1e}", "", "",
                     "<= 1e-3", diff <= 1e-3))

    cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo")
                if l.startswith("model name")), "unknown")
    print(f"gradients: {os.cpu_count()} cores, {cpu}; medians of {args.runs} "
          f"alternating rounds")
    print(f"{'':2} {'target':38} {'selfattn':>11} {'other':>20} {'ratio':>7} "
          f"{'wanted':>11} held")
    for w, what, ours, other, ratio, wanted, held in rows:
        print(f"{w:2} {what:38} {ours:>11} {other:>20} {ratio:>7} {wanted:>11} "
              f"{'yes' if held else 'NO'}")
    print("selfattn grad and run as whole processes (start, read, compute, write "
          "the .npz or .npy); torch in process without loading.")


if __name__ == "__main__":
    main()
