#!/bin/bash
# The allocation-failure sweep: for each representative command, fail its
# 1st allocation, then its 2nd, ... until the command runs with none
# failed.  Every run must either succeed or exit 71 with one "out of
# memory" message, leave no output file behind, and (in the sanitizer
# build this script is given) show no crash and no leak.
#
#   tests/alloc/sweep.sh ./selfattn-allocfail   (make check-alloc; about 8
# minutes on the 2-core machine, so not part of make check)
set -u
bin=${1:?usage: sweep.sh SELFATTN_ALLOCFAIL}
root=$(cd "$(dirname "$0")/../.." && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export ASAN_OPTIONS=detect_leaks=1:exitcode=99 UBSAN_OPTIONS=halt_on_error=1:exitcode=99
f=$root/tests/formats
printf '[[1,0,1,0],[0,2,0,2]]\n{"id": 7, "tokens": ["a"], "embeddings": [[1,1,1,1]]}\n[[4,3,2,1]]\n' > "$work/lines.jsonl"
printf '1,0,0,0,0,0,0,2\n0,1,0,0,0,0,0,0\n0,0,1,0,0,0,0,0\n0,0,0,1,0,0,0,0\n0,0,0,0,1,0,0,0\n' > "$work/dy.csv"
commands=(
    "run --scale 1 -w $root/data/classic.weights.json -p weights,output -f table $root/data/classic.json"
    "run -H 2 --causal -p steps -f csv $root/data/sentence.csv"
    "run -H 2 -w $f/weights_deflated.npz -f npz -o {OUT} $f/input_v2_be_f8_F.npy"
    "run -H 2 --kv-heads 1 --rope --alibi --window 2 --bias $f/bias2.npy --mask $f/mask_bool.npy $f/input.json"
    "run -H 2 --context $root/data/sentence.json --pos sinusoidal $f/input.json"
    "run -H 2 --d-head 16 --causal -f npy -o {OUT} $f/input_v1_le_f4_C.npy"
    "run -H 2 -w $f/weights_F16.safetensors -p weights -f svg -o {OUT} $f/input.json"
    "run -H 2 --layer 1 -w $f/bert.safetensors $f/input.json"
    "grad -H 2 --kv-heads 1 --rope --softcap 4 --bias $f/bias2.npy --mask $f/mask_bool.npy -p grads,grad_steps -f table $f/input.json"
    "grad -H 2 -t 2 --context $root/data/sentence.json --masked-rows nan --dy $work/dy.csv -f npz -o {OUT} $f/input.json"
    "batch --jobs 2 $work/lines.jsonl"
    "inspect $f/gpt2.safetensors"
    "init --d-model 4 -H 2 --out-proj -o {OUT}"
)
failures=0
for cmd in "${commands[@]}"; do
    n=1
    # what the command prints when every allocation succeeds: a run that
    # survives a failed allocation (a fallback) must print the same,
    # numbers within tolerance, not a report with a hole in it
    base=${cmd//\{OUT\}/$work/out}
    $bin $base >"$work/baseline" 2>/dev/null
    while :; do
        rm -f "$work/mark" "$work/out"
        line=${cmd//\{OUT\}/$work/out}
        SA_FAIL_ALLOC=$n SA_FAIL_ALLOC_MARK=$work/mark $bin $line >"$work/stdout" 2>"$work/stderr"
        status=$?
        if [[ ! -e $work/mark ]]; then
            if [[ $status -ne 0 ]]; then
                echo "sweep: '$line' fails ($status) with no allocation failed:"; cat "$work/stderr"
                failures=$((failures + 1))
            fi
            echo "sweep: $((n - 1)) allocations failed one by one: ${line#$root/}"
            break
        fi
        if [[ $status -ne 0 && $status -ne 71 ]]; then
            echo "sweep: allocation $n of '$line': exit $status"; head -5 "$work/stderr"
            failures=$((failures + 1))
        elif [[ $status -eq 71 ]] && ! grep -q 'out of memory' "$work/stderr"; then
            echo "sweep: allocation $n of '$line': exit 71 without 'out of memory'"; head -3 "$work/stderr"
            failures=$((failures + 1))
        elif [[ $status -ne 0 && -e $work/out ]]; then
            echo "sweep: allocation $n of '$line': output file left behind"
            failures=$((failures + 1))
        elif [[ $status -eq 0 ]] && ! /usr/bin/python3 "$root/tests/tools/numcmp.py" \
                "$work/stdout" "$work/baseline" 2>"$work/numcmp"; then
            echo "sweep: allocation $n of '$line': exit 0 but another output:"
            head -3 "$work/numcmp"
            failures=$((failures + 1))
        fi
        n=$((n + 1))
        [[ $n -gt 20000 ]] && { echo "sweep: too many allocations in '$line'"; failures=$((failures + 1)); break; }
    done
done
echo "sweep: $failures failures"
[[ $failures -eq 0 ]]
