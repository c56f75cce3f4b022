#!/bin/bash
# make memcheck: the main cases under valgrind's memcheck; any invalid read
# or write, use of uninitialised memory, or definite leak fails the run.
#
#   tests/alloc/memcheck.sh ./selfattn
set -u
bin=${1:?usage: memcheck.sh SELFATTN}
root=$(cd "$(dirname "$0")/../.." && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
f=$root/tests/formats
printf '[[1,0,1,0],[0,2,0,2]]\n{"id": 7, "embeddings": [[1,1,1,1]]}\nbad\n' > "$work/lines.jsonl"
"$bin" run -f npy -o "$work/x.npy" "$root/data/sentence.json"  # a float32 .npy input
cases=(
    "run --scale 1 -w $root/data/classic.weights.json -p weights,output,steps -f table $root/data/classic.json"
    "run -H 2 --causal -p steps -f csv $root/data/sentence.csv"
    "run -H 2 -t 2 $root/data/sentence.json"
    "run -H 2 --d-head 16 --causal $root/data/sentence.json"
    "run -H 3 --d-head 32 --kv-heads 1 -t 2 $work/x.npy"
    "run -H 2 -w $f/weights_deflated.npz -f npz -o $work/out.npz $f/input_v2_be_f8_F.npy"
    "run -H 2 --kv-heads 1 --rope --alibi --window 2 --bias $f/bias3.npy --mask $f/mask_bool.npy $f/input.json"
    "run -H 2 -w $f/weights_BF16.safetensors -p weights -f svg -o $work/out.svg $f/input.json"
    "run -H 2 --layer 2 --causal -w $f/gpt2.safetensors $f/input.json"
    "batch --jobs 2 $work/lines.jsonl"
    "inspect -f table $f/bert.safetensors"
    "plot -f heatmap $root/tests/reference/cases/torch_n5_d8_h2.expected.json"
    "run -w $f/bad_st_overlap.safetensors $f/input.json"
)
failures=0
for line in "${cases[@]}"; do
    valgrind -q --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite \
        $bin $line >/dev/null 2>"$work/log"
    status=$?
    if [[ $status -eq 99 ]]; then
        echo "memcheck: errors in '${line//$root\//}':"; grep '==' "$work/log" | head -20
        failures=$((failures + 1))
    else
        echo "memcheck: clean (exit $status): ${line//$root\//}"
    fi
done
echo "memcheck: $failures of ${#cases[@]} cases with errors"
[[ $failures -eq 0 ]]
