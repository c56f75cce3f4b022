#!/usr/bin/python3
"""`make bench`, the MPI part: ring attention (mpirun -n P selfattn run)
against one process on this machine, in one run (docs/mpi.md).

    /usr/bin/python3 tests/bench/bench_mpi.py [--runs N] [--dir DIR]

Workloads:
  K  n = 32768, d = 64, one head, -f npy -o FILE: mpirun -n 2 selfattn run
     -t 1 (mpirun's start included) against selfattn run -t 2, rounds
     alternating the two; target: the ranks take <= 1.25 x the time
  L  n = 8192 and n = 65536, d = 64, one head, 4 ranks: the largest
     rank's peak memory (--stats) grows from the one n to the other by
     <= 0.5 x what one process's grows
  R  the rate one rank attends at (query-key pairs per second per head,
     one thread), from L's --stats at n = 65536: the measured input of
     docs/mpi.md's model of 64 nodes
Times are medians of --runs timed runs, each after an untimed one.  This
is a benchmark, not a test: it fails only if a command fails or if the
ranks' output differs from one process's beyond 1e-5 relative.  Without
mpirun or an MPI build it says so and stops (exit 0).
"""
import argparse
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
SELFATTN = os.path.join(ROOT, "selfattn")
ENV = dict(os.environ, OMPI_ALLOW_RUN_AS_ROOT="1", OMPI_ALLOW_RUN_AS_ROOT_CONFIRM="1")
# On one machine Open MPI's default probes UCX and libfabric, 0.2 s of
# each MPI_Init here, to pick ob1 in the end: docs/mpi.md says to name it
MPIRUN = ["mpirun", "--oversubscribe", "--bind-to", "none", "--mca", "pml", "ob1"]


def run(cmd):
    """Runs cmd; returns (seconds, stderr); fails the benchmark if it fails.
    cmd runs in a child of sh, not of this process: Linux carries a
    process's peak memory (getrusage's ru_maxrss, what --stats prints)
    across execve, and a child forked from Python starts as a copy of
    Python's tens of MiB."""
    cmd = ["sh", "-c", '"$0" "$@"; exit $?'] + cmd
    start = time.perf_counter()
    p = subprocess.run(cmd, env=ENV, stdout=subprocess.DEVNULL,
                       stderr=subprocess.PIPE, text=True)
    seconds = time.perf_counter() - start
    if p.returncode != 0:
        sys.exit("bench_mpi: %s failed (%d): %s" % (" ".join(cmd), p.returncode, p.stderr))
    return seconds, p.stderr


def peaks(stderr):
    """The peak memory (MiB) of each rank's --stats line, or the process's."""
    found = [float(v) for v in re.findall(r"peak memory ([0-9.]+) MiB", stderr)]
    if not found:
        sys.exit("bench_mpi: no peak memory in --stats:\n" + stderr)
    return found


def workload_k(tmp, runs):
    x = os.path.join(tmp, "k.npy")
    np.save(x, np.random.default_rng(1).standard_normal((32768, 64)).astype(np.float32))
    one_out, ranks_out = os.path.join(tmp, "k1.npy"), os.path.join(tmp, "k2.npy")
    one = [SELFATTN, "run", "-t", "2", "-f", "npy", "-o", one_out, x]
    ranks = MPIRUN + ["-n", "2", SELFATTN, "run", "-t", "1", "-f", "npy", "-o", ranks_out, x]
    times = {"one": [], "ranks": []}
    for _ in range(runs):
        for name, cmd in (("one", one), ("ranks", ranks)):
            run(cmd)  # untimed
            times[name].append(run(cmd)[0])
    a, b = np.load(one_out), np.load(ranks_out)
    if not np.allclose(b, a, rtol=1e-5, atol=1e-6):
        sys.exit("bench_mpi: K: the ranks' output differs by %g" % abs(a - b).max())
    t1, t2 = statistics.median(times["one"]), statistics.median(times["ranks"])
    ratio = t2 / t1
    print("K  n=32768 d=64: 1 process x 2 threads %.2f s, 2 ranks x 1 thread %.2f s "
          "(mpirun included): %.2f x, target <= 1.25 x: %s"
          % (t1, t2, ratio, "held" if ratio <= 1.25 else "MISSED"))


def workload_l(tmp):
    sizes = (8192, 65536)
    one, ranks, rate = {}, {}, None
    for n in sizes:
        x = os.path.join(tmp, "l%d.npy" % n)
        np.save(x, np.random.default_rng(2).standard_normal((n, 64)).astype(np.float32))
        out = os.path.join(tmp, "l.npy")
        one[n] = peaks(run([SELFATTN, "run", "--stats", "-t", "1", "-f", "npy", "-o", out, x])[1])[0]
        _, err = run(MPIRUN + ["-n", "4", SELFATTN, "run", "--stats", "-t", "1",
                               "-f", "npy", "-o", out, x])
        ranks[n] = max(peaks(err))
        if n == sizes[-1]:
            rows = [float(v) for v in re.findall(r"rank \d+: (\d+) rows", err)]
            attend = [float(v) for v in re.findall(r"attend ([0-9.]+) s", err)]
            # pairs each rank computed: its rows against every key (no mask)
            rate = statistics.median(r * n / a for r, a in zip(rows, attend))
    g1, g4 = one[sizes[1]] - one[sizes[0]], ranks[sizes[1]] - ranks[sizes[0]]
    ratio = g4 / g1
    print("L  peak memory n=8192 -> 65536, d=64: one process %.1f -> %.1f MiB (+%.1f), "
          "largest of 4 ranks %.1f -> %.1f MiB (+%.1f): %.2f x, target <= 0.5 x: %s"
          % (one[sizes[0]], one[sizes[1]], g1, ranks[sizes[0]], ranks[sizes[1]], g4,
             ratio, "held" if ratio <= 0.5 else "MISSED"))
    print("R  one rank, one thread, d_head=64: %.3g query-key pairs/s (n=65536 on 4 ranks)"
          % rate)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--dir")
    args = ap.parse_args()
    # selfattn started as a rank runs selfattn-mpi, built beside it with MPI
    if not shutil.which("mpirun") or not os.access(SELFATTN + "-mpi", os.X_OK):
        print("bench_mpi: no mpirun or no selfattn-mpi (built without MPI): "
              "skipped (make deps)")
        return
    tmp = args.dir or tempfile.mkdtemp(prefix="selfattn-bench-mpi-")
    try:
        workload_k(tmp, args.runs)
        workload_l(tmp)
    finally:
        if not args.dir:
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
