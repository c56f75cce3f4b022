#!/usr/bin/python3
"""`make bench`: selfattn against NumPy and PyTorch on the same data, in one
run on this machine, with the machine's sgemm peak measured alongside.

    /usr/bin/python3 tests/bench/bench.py [--runs N] [--dir DIR]

Workloads (see docs/performance.md):
  A  n = 4096, d = 512, 8 heads, nn.MultiheadAttention with biases, from
     .npy input and .safetensors weights; whole selfattn process against
     NumPy's (and torch's) in-process compute
  B  n = 16384, d = 64, 1 head, output only; also selfattn's peak memory
  C  the classic 3 x 3 example; whole selfattn process against a whole
     python3 + NumPy process doing the same
  D  n = 65536, d = 64, output only; time and peak memory (NumPy would need
     a 16 GiB score matrix)
Times are medians after a 5-second pause, each timed run after an untimed
one; for A and B, rounds alternate selfattn with NumPy and torch, so a slow
spell of the machine hits both.  When the environment names OpenBLAS's
kernels (OPENBLAS_CORETYPE, as on the development machine), A and B are
measured again, selfattn and NumPy alike, with the kernels OpenBLAS chooses
itself (rows A/own and B/own), as is the sgemm peak; the fraction of peak
is of the faster sgemm.  This is a benchmark, not a test: it fails only if
a command fails.
"""
import argparse
import os
import re
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
SELFATTN = os.path.join(ROOT, "selfattn")


SETTLE = 5.0  # seconds of quiet before each measurement


def settle():
    """Waits SETTLE seconds.  On the development VM, after a process frees
    gigabytes (torch on A), other processes run 10-20% slower for a few
    seconds while the host takes the memory back; every measurement, of
    selfattn or of the libraries, starts after this pause."""
    time.sleep(SETTLE)


def run_timed(cmd, runs, pause=True, env=None):
    """Median wall time of runs runs of cmd, and the stderr of the last,
    after a pause (settle, unless pause is False) and one untimed run: the
    first run after other work pays for memory the virtual machine has not
    handed out lately (docs/performance.md), as NumPy's first
    in-process call does (numpy_attention.py makes one untimed call too)."""
    if pause:
        settle()
    times, err = [], ""
    for run in range(runs + 1):
        t = time.perf_counter()
        p = subprocess.run(cmd, capture_output=True, text=True, env=env)
        if run > 0:
            times.append(time.perf_counter() - t)
        if p.returncode != 0:
            sys.exit(f"bench: {' '.join(cmd)} failed: {p.stderr}")
        err = p.stderr
    return statistics.median(times), err


def peak_mib(stats):
    m = re.search(r"peak memory ([0-9.]+) MiB", stats)
    return float(m.group(1)) if m else float("nan")


def flops(n, d, heads, dh, d_out, out_proj):
    P = heads * dh
    return 2 * (n * d * P + 2 * n * d * P + (n * P * d_out if out_proj else 0)) \
        + 4 * heads * n * n * dh


def interleaved(cmd, folder, workload, runs, env=None):
    """A and B: runs rounds, each one untimed and one timed selfattn run,
    then one untimed and one timed NumPy (and torch) call, so that a slow
    spell of the machine (they last minutes here) hits both sides, and each
    side's timed run follows its own warm-up; the medians over the rounds,
    after a pause.  With env (OpenBLAS's own kernels), NumPy alone."""
    settle()
    ours, theirs, err = [], {}, ""
    for _ in range(runs):
        t, err = run_timed(cmd, 1, pause=False, env=env)
        ours.append(t)
        for lib, seconds in library_times(folder, workload, 1, env).items():
            theirs.setdefault(lib, []).append(seconds)
    return (statistics.median(ours), {k: statistics.median(v) for k, v in theirs.items()},
            err)


def own_blas_env():
    """The environment without OPENBLAS_CORETYPE (OpenBLAS then picks its
    kernels for the CPU), or None if it is not set."""
    if "OPENBLAS_CORETYPE" not in os.environ:
        return None
    return {k: v for k, v in os.environ.items() if k != "OPENBLAS_CORETYPE"}


def library_times(folder, workload, runs, env=None):
    """NumPy's and torch's times; with env, NumPy's alone."""
    script = [sys.executable, os.path.join(HERE, "numpy_attention.py"), folder,
              workload, str(runs)] + (["numpy"] if env is not None else [])
    out = subprocess.run(script, capture_output=True, text=True, check=True,
                         env=env).stdout
    return {k: float(v) for k, v in (line.split() for line in out.splitlines())}


def sgemm_peak(env=None):
    return float(subprocess.run([os.path.join(HERE, "sgemm_peak")], capture_output=True,
                                text=True, check=True, env=env).stdout)


def blas_core(env=None):
    """The kernels OpenBLAS and selfattn use here, from --stats."""
    err = subprocess.run([SELFATTN, "run", "--stats", os.path.join(ROOT, "data/classic.json")],
                         capture_output=True, text=True, check=True, env=env).stderr
    return re.search(r"vector kernels (.*), OpenBLAS (\S+)", err).groups()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--dir", default="/tmp/selfattn-bench")
    args = ap.parse_args()
    folder = args.dir
    if not os.path.exists(os.path.join(folder, "d_x.npy")):
        subprocess.run([sys.executable, os.path.join(HERE, "make_data.py"), folder],
                       check=True)
    cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo")
                if l.startswith("model name")), "unknown")
    kernels, core = blas_core()
    peak = sgemm_peak()
    print(f"machine: {os.cpu_count()} cores, {cpu}; selfattn's vector kernels: {kernels}")
    print(f"OpenBLAS sgemm 2048^3: {peak:.1f} GFLOP/s with its {core} kernels "
          f"(median of 7)", end="")
    own_env = own_blas_env()
    if own_env is not None:
        own_core = blas_core(own_env)[1]
        own_peak = sgemm_peak(own_env)
        print(f", as OPENBLAS_CORETYPE={os.environ['OPENBLAS_CORETYPE']} asks; "
              f"{own_peak:.1f} GFLOP/s with its own choice, {own_core}", end="")
        peak = max(peak, own_peak)
    print()
    configs = [("", None)] + ([("/own", own_env)] if own_env is not None else [])
    print(f"{'':6} {'selfattn':>10} {'numpy':>10} {'torch':>10} {'vs numpy':>9} "
          f"{'vs torch':>9} {'GFLOP/s':>8} {'of peak':>8} {'peak MiB':>9}")

    def row(name, ours, others, work, stats):
        def seconds(lib):
            t = others.get(lib)
            return f"{t:9.3f}s" if t else f"{'-':>10}"

        def ratio(lib, width):
            t = others.get(lib)
            return f"{t / ours:{width - 1}.2f}x" if t else f"{'-':>{width}}"
        cells = [f"{ours:9.3f}s", seconds("numpy"), seconds("torch"),
                 ratio("numpy", 9), ratio("torch", 9)]
        rate = work / ours / 1e9 if work else 0
        cells += [f"{rate:8.1f}" if work else f"{'-':>8}",
                  f"{100 * rate / peak:7.0f}%" if work else f"{'-':>8}",
                  f"{peak_mib(stats):9.1f}"]
        print(f"{name:6} " + " ".join(cells))

    # A: full nn.MultiheadAttention, whole process against in-process compute
    cmd = [SELFATTN, "run", "--stats", "-H", "8", "-w", f"{folder}/a_w.safetensors",
           "-f", "npy", "-o", f"{folder}/a_out.npy", f"{folder}/a_x.npy"]
    for suffix, env in configs:
        t, libs, stats = interleaved(cmd, folder, "A", args.runs, env)
        row("A" + suffix, t, libs, flops(4096, 512, 8, 64, 512, True), stats)

    # B: one head, d = 64, output only
    cmd = [SELFATTN, "run", "--stats", "-w", f"{folder}/bd_w.npz", "-f", "npy",
           "-o", f"{folder}/b_out.npy", f"{folder}/b_x.npy"]
    for suffix, env in configs:
        t, libs, stats = interleaved(cmd, folder, "B", args.runs, env)
        row("B" + suffix, t, libs, flops(16384, 64, 1, 64, 64, False), stats)

    # C: the classic example, whole processes
    cmd = [SELFATTN, "run", "--stats", "--scale", "1", "-w",
           os.path.join(ROOT, "data/classic.weights.json"), os.path.join(ROOT, "data/classic.json")]
    t, stats = run_timed(cmd, 4 * args.runs)
    script = ("import json, numpy as np\n"
              f"x = np.array(json.load(open('{ROOT}/data/classic.json'))['embeddings'], dtype=np.float32)\n"
              f"w = {{k: np.array(v, dtype=np.float32) for k, v in json.load(open('{ROOT}/data/classic.weights.json')).items()}}\n"
              "q, k, v = x @ w['Wq'], x @ w['Wk'], x @ w['Wv']\n"
              "s = q @ k.T; s -= s.max(1, keepdims=True); a = np.exp(s); a /= a.sum(1, keepdims=True)\n"
              "print(json.dumps({'output': (a @ v).tolist()}))\n")
    py, _ = run_timed([sys.executable, "-c", script], 4 * args.runs)
    row("C", t, {"numpy": py}, 0, stats)

    # D: 65536 tokens, output only, once
    cmd = [SELFATTN, "run", "--stats", "-w", f"{folder}/bd_w.npz", "-f", "npy",
           "-o", f"{folder}/d_out.npy", f"{folder}/d_x.npy"]
    t, stats = run_timed(cmd, 1)
    row("D", t, {}, flops(65536, 64, 1, 64, 64, False), stats)
    print("A, B: NumPy and torch timed in process without loading; selfattn as a "
          "whole process (start, read, compute, write).  C: both whole processes.")
    if len(configs) > 1:
        print("A/own, B/own: selfattn and NumPy with OpenBLAS's own choice of kernels "
              "(OPENBLAS_CORETYPE unset).")


if __name__ == "__main__":
    main()
