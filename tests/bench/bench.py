#!/usr/bin/python3
"""`make bench`: selfattn against NumPy and PyTorch on the same data, in one
run on this machine, with the machine's sgemm peak measured alongside.

    /usr/bin/python3 tests/bench/bench.py [--runs N] [--dir DIR] [--only E,F]

Workloads (see docs/performance.md):
  A  n = 4096, d = 512, 8 heads, nn.MultiheadAttention with biases, from
     .npy input and .safetensors weights; whole selfattn process against
     NumPy's (and torch's) in-process compute
  B  n = 16384, d = 64, 1 head, output only; also selfattn's peak memory
  C  the classic 3 x 3 example; whole selfattn process against a whole
     python3 + NumPy process doing the same
  D  n = 65536, d = 64, output only; time and peak memory (NumPy would need
     a 16 GiB score matrix)
Text workloads, on A's input and weights written as text by Python (a
second table, with each target and whether it held):
  E  reading JSON (json.dump, 43 MB): the text's size over the time a whole
     A run with the JSON input takes beyond the same run with the .npy
     input, in MB/s; reference json.load + np.array in process; also the
     peak memory of the JSON run
  F  reading CSV (np.savetxt, 53 MB) the same way; reference np.loadtxt
  G  writing JSON: A's output (4096 x 512) as JSON instead of .npy, the
     same way; reference json.dump(out.tolist()) in process
  H  JSON in, JSON out: a whole selfattn run against a whole python3
     process doing json.load, A's NumPy attention and json.dump; the two
     outputs must agree within 1e-4
  I  batch --jobs 2 on 20000 JSON lines of 16 x 32, 4 heads, against a
     whole python3 process looping over the lines (json.loads, NumPy, and
     json.dumps); the outputs must agree within 1e-4
  J  the same batch with --jobs 2 against --jobs 1
Times are medians after a 5-second pause, each timed run after an untimed
one; for A and B, rounds alternate selfattn with NumPy and torch, so a slow
spell of the machine hits both.  When the environment names OpenBLAS's
kernels (OPENBLAS_CORETYPE, as on the development machine), A and B are
measured again, selfattn and NumPy alike, with the kernels OpenBLAS chooses
itself (rows A/own and B/own), as is the sgemm peak; the fraction of peak
is of the faster sgemm.  E to J alternate their sides in rounds as A and B
do (E, F, G: selfattn with text, selfattn with .npy and Python; I and J:
batch --jobs 2, --jobs 1 and Python), each timed run after an untimed one
on the same side; E, F and G, whose text's part is the difference of two
times, take 3 x --runs rounds (as C takes 4 x).  --only runs the
workloads named (A also runs A/own, B B/own).  This is a benchmark, not a
test: it fails only if a command fails or if H's or I's outputs disagree
with Python's.
"""
import argparse
import json
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


def run_timed(cmd, runs, pause=True, env=None, stdout=None):
    """Median wall time of runs runs of cmd, and the stderr of the last,
    after a pause (settle, unless pause is False) and one untimed run: the
    first run after other work pays for memory the virtual machine has not
    handed out lately (docs/performance.md), as NumPy's first
    in-process call does (numpy_attention.py makes one untimed call too).
    With stdout (a path), cmd's standard output goes to that file."""
    if pause:
        settle()
    times, err = [], ""
    for run in range(runs + 1):
        out = open(stdout, "wb") if stdout else subprocess.PIPE
        t = time.perf_counter()
        p = subprocess.run(cmd, stdout=out, stderr=subprocess.PIPE, text=True, env=env)
        if run > 0:
            times.append(time.perf_counter() - t)
        if stdout:
            out.close()
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


def cpu_marks():
    """The machine's busy CPU seconds (all cores, from /proc/stat), those of
    this process and of the children it has waited for, and the time."""
    with open("/proc/stat") as f:
        ticks = [int(v) for v in f.readline().split()[1:9]]
    busy = (sum(ticks) - ticks[3] - ticks[4]) / os.sysconf("SC_CLK_TCK")
    t = os.times()
    return busy, t.user + t.system + t.children_user + t.children_system, time.monotonic()


def others_load(start):
    """The CPU that processes other than the bench and its commands used
    since start (cpu_marks), in % of one core (200 = both cores of a 2-core
    machine): on a shared machine, how much of it the measurement had."""
    (busy0, ours0, t0), (busy1, ours1, t1) = start, cpu_marks()
    return max(0.0, ((busy1 - busy0) - (ours1 - ours0)) / (t1 - t0) * 100)


def alternate(sides, runs):
    """E to J: runs rounds, each calling every side in turn (a side makes
    its own untimed run before its timed one and returns (seconds, stats)),
    after a pause; the median of each side over the rounds, each side's
    stats of every timed run, and the other processes' load meanwhile."""
    settle()
    start = cpu_marks()
    times, stats = [[] for _ in sides], [[] for _ in sides]
    for _ in range(runs):
        for i, side in enumerate(sides):
            t, err = side()
            times[i].append(t)
            stats[i].append(err)
    return [statistics.median(t) for t in times], stats, others_load(start)


def phase(stats, name):
    """The median time of a phase (read, write ...) in the --stats of runs."""
    return statistics.median(float(re.search(rf"{name} ([0-9.]+) s", s).group(1))
                             for s in stats)


def command(cmd, stdout=None):
    """A side of alternate: one untimed and one timed run of cmd."""
    return lambda: run_timed(cmd, 1, pause=False, stdout=stdout)


def python_reference(*args):
    """A side of alternate: text_reference.py's in-process time of one call
    after an untimed one."""
    def side():
        out = subprocess.run([sys.executable, os.path.join(HERE, "text_reference.py"),
                              *args, "1"], capture_output=True, text=True, check=True).stdout
        return float(out.split()[1]), ""
    return side


def max_difference(a, b):
    import numpy as np  # here, so that the bench process loads no OpenBLAS while it times
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    if a.shape != b.shape:
        return float("inf")
    return float(np.abs(a - b).max())


def batch_difference(ours_path, theirs_path):
    """The largest difference between the outputs of two batch outputs,
    line by line; inf if their lines, ids or shapes differ."""
    worst = 0.0
    with open(ours_path) as ours, open(theirs_path) as theirs:
        for a, b in zip(ours, theirs, strict=True):
            a, b = json.loads(a), json.loads(b)
            if a.get("line") != b.get("line") or a.get("id") != b.get("id") \
                    or "output" not in a or "output" not in b:
                return float("inf")
            worst = max(worst, max_difference(a["output"], b["output"]))
    return worst


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
    # "kernels avx2, OpenBLAS Zen"; before 35ba6b0, "vector kernels AVX2, ..."
    return re.search(r"kernels (.*), OpenBLAS (\S+)", err).groups()


WORKLOADS = "ABCDEFGHIJ"
DATA = ("a_x.npy", "a_w.safetensors", "b_x.npy", "d_x.npy", "bd_w.npz", "a_x.json",
        "a_x.csv", "i_x.jsonl")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--dir", default="/tmp/selfattn-bench")
    ap.add_argument("--only", default=WORKLOADS,
                    help="workloads to run, as E,F or EF (default: all, " + WORKLOADS + ")")
    args = ap.parse_args()
    only = set(args.only.replace(",", "").upper())
    if not only or only - set(WORKLOADS):
        ap.error(f"--only: workloads are {', '.join(WORKLOADS)}")
    folder = args.dir
    if not all(os.path.exists(os.path.join(folder, f)) for f in DATA):
        subprocess.run([sys.executable, os.path.join(HERE, "make_data.py"), folder],
                       check=True)
    if not os.path.exists(os.path.join(folder, "i_w.json")):
        # the weights batch generates without -w (seed 0), for Python's loop
        subprocess.run([SELFATTN, "init", "--d-model", "32", "-H", "4", "-o",
                        os.path.join(folder, "i_w.json")], check=True)
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
    if only & set("ABCD"):
        matrix_workloads(folder, args.runs, only, configs, peak)
    if only & set("EFGHIJ"):
        if not text_workloads(folder, args.runs, only):
            sys.exit("bench: selfattn's and Python's outputs disagree (see above)")


def matrix_workloads(folder, runs, only, configs, peak):
    """A to D: the first table."""
    start = cpu_marks()
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
    for suffix, env in configs if "A" in only else []:
        t, libs, stats = interleaved(cmd, folder, "A", runs, env)
        row("A" + suffix, t, libs, flops(4096, 512, 8, 64, 512, True), stats)

    # B: one head, d = 64, output only
    cmd = [SELFATTN, "run", "--stats", "-w", f"{folder}/bd_w.npz", "-f", "npy",
           "-o", f"{folder}/b_out.npy", f"{folder}/b_x.npy"]
    for suffix, env in configs if "B" in only else []:
        t, libs, stats = interleaved(cmd, folder, "B", runs, env)
        row("B" + suffix, t, libs, flops(16384, 64, 1, 64, 64, False), stats)

    if "C" in only:
        workload_c(runs, row)
    if "D" in only:
        # D: 65536 tokens, output only, once
        cmd = [SELFATTN, "run", "--stats", "-w", f"{folder}/bd_w.npz", "-f", "npy",
               "-o", f"{folder}/d_out.npy", f"{folder}/d_x.npy"]
        t, stats = run_timed(cmd, 1)
        row("D", t, {}, flops(65536, 64, 1, 64, 64, False), stats)
    print("A, B: NumPy and torch timed in process without loading; selfattn as a "
          "whole process (start, read, compute, write).  C: both whole processes.")
    if len(configs) > 1 and only & set("AB"):
        print("A/own, B/own: selfattn and NumPy with OpenBLAS's own choice of kernels "
              "(OPENBLAS_CORETYPE unset).")
    print(f"Meanwhile other processes than the bench's used {others_load(start):.0f}% of one "
          f"core on average (this machine has {os.cpu_count()}).")


def workload_c(runs, row):
    # C: the classic example, whole processes
    cmd = [SELFATTN, "run", "--stats", "--scale", "1", "-w",
           os.path.join(ROOT, "data/classic.weights.json"), os.path.join(ROOT, "data/classic.json")]
    t, stats = run_timed(cmd, 4 * runs)
    script = ("import json, numpy as np\n"
              f"x = np.array(json.load(open('{ROOT}/data/classic.json'))['embeddings'], dtype=np.float32)\n"
              f"w = {{k: np.array(v, dtype=np.float32) for k, v in json.load(open('{ROOT}/data/classic.weights.json')).items()}}\n"
              "q, k, v = x @ w['Wq'], x @ w['Wk'], x @ w['Wv']\n"
              "s = q @ k.T; s -= s.max(1, keepdims=True); a = np.exp(s); a /= a.sum(1, keepdims=True)\n"
              "print(json.dumps({'output': (a @ v).tolist()}))\n")
    py, _ = run_timed([sys.executable, "-c", script], 4 * runs)
    row("C", t, {"numpy": py}, 0, stats)


def rate_of(size, seconds):
    """size (MB, or a reference's seconds) over seconds; None without a
    size, or if the time is not positive (the text's part lost in the
    noise)."""
    if size is None or seconds is None or seconds <= 0:
        return None
    return size / seconds


def at_least(value, bound):
    """Whether a target holds: None if value could not be measured."""
    return None if value is None else value >= bound


def text_workloads(folder, runs, only):
    """E to J: the second table, with each target and whether it held.
    False if H's or I's outputs disagree with Python's."""
    f = folder
    mb = lambda path: os.path.getsize(path) / 1e6
    a_run = [SELFATTN, "run", "--stats", "-H", "8", "-w", f"{f}/a_w.safetensors"]
    npy_run = a_run + ["-f", "npy", "-o", f"{f}/e_out.npy", f"{f}/a_x.npy"]
    print(f"{'':6} {'selfattn':>9} {'.npy run':>9} {'text':>8} {'MB':>6} {'MB/s':>6} "
          f"{'reference':>10} {'ref MB/s':>8} {'vs ref':>7} {'peak MiB':>9} {'others':>6}  "
          f"{'target':<28} held")
    agree, notes = True, []
    rounds = 3 * runs  # E, F, G: the text's part is a difference of two noisy times

    def row(name, ours, reference, load, targets, npy=None, size=None, stats=""):
        """One row.  With npy (E, F, G), ours - npy is the text's time,
        size (MB) over it the rate, and reference over it the ratio;
        otherwise the ratio is reference over ours.  load is the other
        processes' (others_load); targets are (what, held) pairs."""
        def cell(value, form, width, unit=""):
            return f"{value:{width - len(unit)}{form}}{unit}" if value is not None \
                else f"{'-':>{width}}"
        text = ours - npy if npy is not None else None
        peak = peak_mib(stats) if stats else None
        print(" ".join([
            f"{name:6}", cell(ours, ".3f", 9, "s"), cell(npy, ".3f", 9, "s"),
            cell(text, ".3f", 8, "s"), cell(size, ".1f", 6),
            cell(rate_of(size, text), ".0f", 6), cell(reference, ".3f", 10, "s"),
            cell(rate_of(size, reference) if npy is not None else None, ".0f", 8),
            cell(rate_of(reference, text if npy is not None else ours), ".2f", 7, "x"),
            cell(peak, ".1f", 9), cell(load, ".0f", 6, "%"), "",
            f"{', '.join(what for what, _ in targets):<28}",
            ", ".join({True: "yes", False: "NO", None: "noise"}[held]
                      for _, held in targets)]))

    def reading(name, text_path, reference, targets):
        """E and F: the A run from text_path against the same from .npy."""
        text_run = a_run + ["-f", "npy", "-o", f"{f}/e_out.npy", text_path]
        (npy, ours, ref), (npy_stats, stats, _), load = alternate(
            [command(npy_run), command(text_run), python_reference(reference, text_path)],
            rounds)
        size = mb(text_path)
        row(name, ours, ref, load, targets(rate_of(size, ours - npy), peak_mib(stats[-1])),
            npy, size, stats[-1])
        notes.append(f"{name}: --stats read phase {phase(stats, 'read'):.3f} s "
                     f"({size / phase(stats, 'read'):.0f} MB/s), {phase(npy_stats, 'read'):.3f} s "
                     f"with .npy (weights included in both)")

    if "E" in only:
        reading("E", f"{f}/a_x.json", "read-json", lambda rate, peak: [
            (">= 400 MB/s", at_least(rate, 400)), ("<= 120 MiB", peak <= 120)])
    if "F" in only:
        reading("F", f"{f}/a_x.csv", "read-csv", lambda rate, peak: [
            (">= 400 MB/s", at_least(rate, 400))])
    if "G" in only:
        out_npy = a_run + ["-f", "npy", "-o", f"{f}/g_out.npy", f"{f}/a_x.npy"]
        out_json = a_run + ["-o", f"{f}/g_out.json", f"{f}/a_x.npy"]
        (npy, ours, ref), (npy_stats, stats, _), load = alternate(
            [command(out_npy), command(out_json),
             python_reference("write-json", f"{f}/g_out.npy", f"{f}/g_py.json")], rounds)
        size = mb(f"{f}/g_out.json")
        row("G", ours, ref, load, [(">= 300 MB/s", at_least(rate_of(size, ours - npy), 300))],
            npy, size, stats[-1])
        notes.append(f"G: --stats write phase {phase(stats, 'write'):.3f} s "
                     f"({size / phase(stats, 'write'):.0f} MB/s), "
                     f"{phase(npy_stats, 'write'):.3f} s as .npy")
    if "H" in only:
        ours_cmd = a_run + ["-o", f"{f}/h_out.json", f"{f}/a_x.json"]
        script = [sys.executable, os.path.join(HERE, "text_reference.py"), "mha",
                  f"{f}/a_x.json", f"{f}/a_w.safetensors", f"{f}/h_py.json"]
        (ours, ref), (stats, _), load = alternate([command(ours_cmd), command(script)], runs)
        with open(f"{f}/h_out.json") as a, open(f"{f}/h_py.json") as b:
            h_diff = max_difference(json.load(a)["output"], json.load(b))
        row("H", ours, ref, load, [(">= 4x python", ref / ours >= 4),
                             ("agree < 1e-4", h_diff < 1e-4)], stats=stats[-1])
        agree &= h_diff < 1e-4
    if only & set("IJ"):
        lines = f"{f}/i_x.jsonl"
        batch = [SELFATTN, "batch", "-H", "4", "-p", "output"]
        loop = [sys.executable, os.path.join(HERE, "text_reference.py"), "batch", lines,
                f"{f}/i_w.json", f"{f}/i_py.jsonl"]
        sides = [command(batch + ["--jobs", "2", lines], stdout=f"{f}/i_out2.jsonl"),
                 command(batch + ["--jobs", "1", lines], stdout=f"{f}/i_out1.jsonl")]
        if "I" in only:
            sides.append(command(loop))
        (two, one, *py), _, load = alternate(sides, runs)
        if "I" in only:
            i_diff = max(batch_difference(f"{f}/i_out2.jsonl", f"{f}/i_py.jsonl"),
                         batch_difference(f"{f}/i_out1.jsonl", f"{f}/i_py.jsonl"))
            row("I", two, py[0], load, [(">= 10x python", py[0] / two >= 10),
                                  ("agree < 1e-4", i_diff < 1e-4)])
            agree &= i_diff < 1e-4
        if "J" in only:
            row("J", two, one, load, [(">= 1.6x --jobs 1", one / two >= 1.6)])
    print("selfattn: a whole run (E, F, G: medians of 3 x --runs rounds); E, F, G: the run "
          "with text, the same run with .npy in and out (\".npy run\"), and the text's part "
          "(the difference), whose MB over it is MB/s.")
    print("reference: E json.load + np.array, F np.loadtxt, G json.dump(out.tolist()), "
          "timed in process; H, I whole python3 processes (the script, the loop); J "
          "batch --jobs 1.  vs ref: reference time over selfattn's (E, F, G: over the "
          "text's part).")
    print("others: CPU used meanwhile by processes other than the bench's, in % of one core "
          f"(this machine has {os.cpu_count()}).")
    for note in notes:
        print(note)
    if "H" in only:
        print(f"H: largest difference between selfattn's and Python's outputs {h_diff:.2e}")
    if "I" in only:
        print(f"I: largest difference between batch's (--jobs 1 and 2) and Python's "
              f"outputs {i_diff:.2e}")
    return agree


if __name__ == "__main__":
    main()
