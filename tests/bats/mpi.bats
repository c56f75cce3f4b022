#!/usr/bin/env bats
# mpi.bats — `mpirun -n P selfattn run` and `batch` (docs/mpi.md) give
# what one process gives, within jsoncmp's tolerance (the ranks add the
# key blocks in another order), for P = 1 to 5, more ranks than rows
# included; what an MPI run refuses; --shard; and selfattn without
# selfattn-mpi, the program built with MPI that it runs as a rank.
# The transport is SELFATTN_MPI_BTL (Open MPI's --mca btl): make test runs
# this file over shared memory (vader,self), make test-mpi again over TCP
# on the loopback (tcp,self).  Without mpirun or selfattn-mpi, the tests
# of MPI runs skip, saying why (make deps installs Open MPI).

load ../helpers

# mpirun as root needs these (make check may run as root)
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
# Open MPI keeps memory for the process's life: not leaks of selfattn's
export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0"

# mpi P ARGS...: selfattn ARGS on P ranks
mpi() {
    local p="$1"
    shift
    # ob1: the byte transfer layers above, not UCX (and 0.2 s less to start)
    mpirun --oversubscribe --mca pml ob1 --mca btl "${SELFATTN_MPI_BTL:-vader,self}" \
        -n "$p" "$SELFATTN" "$@"
}

need_mpi() {
    command -v mpirun > /dev/null || skip "no mpirun (make deps installs Open MPI)"
    # selfattn runs selfattn-mpi from beside it; the sanitizer build has MPI
    [[ -x "${SELFATTN%/*}/selfattn-mpi" || "$(ldd "$SELFATTN")" == *libmpi* ]] ||
        skip "no selfattn-mpi beside $SELFATTN: built without MPI"
}

# x.npy: n x d float32 rows from a fixed seed
make_npy() {
    /usr/bin/python3 -c 'import numpy as np, sys
rng = np.random.default_rng(int(sys.argv[3]))
np.save(sys.argv[4], rng.standard_normal((int(sys.argv[1]), int(sys.argv[2]))).astype(np.float32))' \
        "$1" "$2" "${3:-1}" "$4"
}

# same P ARGS...: selfattn ARGS on P ranks gives one process's JSON
same() {
    local p="$1"
    shift
    selfattn run "$@" > "$T/one.json"
    mpi "$p" run "$@" > "$T/ranks.json"
    jsoncmp "$T/ranks.json" "$T/one.json"
}

@test "self-attention on 1 to 5 ranks equals one process, options and all (37 rows)" {
    need_mpi
    make_npy 37 16 1 "$T/x.npy"
    local options ranks="1 2 3 4 5"
    for options in "-H 2" "-H 2 --causal" "-H 4 --kv-heads 2 --causal --rope --alibi" \
        "-H 2 --window 3 --pos sinusoidal" "-H 4 --kv-heads 1 --softcap 2 --scale 0.5" \
        "-H 2 --causal --window 5 --rope --rope-style neox --out-proj" \
        "-H 2 --d-head 4 --masked-rows nan --seed 7"; do
        for p in $ranks; do
            # shellcheck disable=SC2086
            run same "$p" $options "$T/x.npy"
            assert_success
        done
        ranks="2 3"  # every P for the plain and causal runs, then two
    done
}

@test "more ranks than rows, and ranks that do not divide n: 3 rows on 4 ranks, 5 on 3" {
    need_mpi
    make_npy 3 8 2 "$T/x3.npy"
    make_npy 5 8 3 "$T/x5.npy"
    run same 4 -H 2 --causal "$T/x3.npy"
    assert_success
    run same 3 -H 2 --causal --rope "$T/x5.npy"
    assert_success
    run same 3 -H 2 "$T/x3.npy"
    assert_success
}

@test "every reference case under mpirun -n 3 gives its expected output and weights" {
    need_mpi
    local file name count=0 skipped=0
    cd "$REFERENCE"
    for file in *.case.json; do
        name="${file%.case.json}"
        if [[ -e "$name.input.npy" ]]; then  # a batch (3-D): refused under MPI
            skipped=$((skipped + 1))
            continue
        fi
        mapfile -t options < <(case_options "$file" "$name")
        mpi 3 run "${options[@]}" -p output,weights -w "$name.weights.json" \
            "$name.input.json" > "$T/$name.json" 2> "$T/$name.err" ||
            fail "$name: exit $?: $(cat "$T/$name.err")"
        # an average_heads case expects the average under "weights"
        jq 'if has("average_weights") then .weights = .average_weights else . end' \
            "$T/$name.json" > "$T/$name.cmp.json"
        jsoncmp "$T/$name.cmp.json" "$name.expected.json" output weights > "$T/cmp" 2>&1 ||
            fail "$name: $(cat "$T/cmp")"
        count=$((count + 1))
    done
    ((count >= 17)) || fail "only $count cases ran"
    echo "cases: $count, refused: $skipped"
}

@test "weights and steps under MPI: every rank's dense rows, gathered at rank 0, are one process's" {
    need_mpi
    make_npy 23 16 9 "$T/x.npy"
    local options
    for options in "-H 2 -p weights,steps" "-H 4 --kv-heads 2 --causal --rope --alibi -p output,steps" \
        "-H 2 --window 3 --pos sinusoidal --softcap 2 -p weights" "-H 2 --average-heads" \
        "-H 2 --causal --masked-rows nan -p output,weights,steps,input,params"; do
        # shellcheck disable=SC2086
        run same 3 $options "$T/x.npy"
        assert_success
    done
    make_npy 9 6 10 "$T/ctx.npy"
    run same 2 -H 2 --context "$T/ctx.npy" -p output,weights,steps "$T/x.npy"
    assert_success
    run same 4 -H 2 -p input "$T/x.npy"  # each rank read its rows: gathered
    assert_success
}

@test "weights under MPI in every format: npy of the weights, table, csv, svg and html are one process's" {
    need_mpi
    make_npy 12 8 11 "$T/x.npy"
    selfattn run -H 2 --causal -p weights -f npy -o "$T/one.npy" "$T/x.npy"
    run mpi 3 run -H 2 --causal -p weights -f npy -o "$T/ranks.npy" "$T/x.npy"
    assert_success
    run /usr/bin/python3 -c 'import numpy as np, sys
a, b = np.load(sys.argv[1]), np.load(sys.argv[2])
assert a.shape == b.shape == (2, 12, 12), (a.shape, b.shape)
assert np.allclose(a, b, rtol=1e-5, atol=1e-6), abs(a - b).max()
print("ok")' "$T/ranks.npy" "$T/one.npy"
    assert_output "ok"
    local format print
    for format in table csv svg html; do
        print=weights,steps
        [[ $format == svg ]] && print=weights
        selfattn run -H 2 --causal -p "$print" -f "$format" "$T/x.npy" > "$T/one.$format"
        mpi 3 run -H 2 --causal -p "$print" -f "$format" "$T/x.npy" > "$T/ranks.$format"
        run numcmp "$T/ranks.$format" "$T/one.$format"
        assert_success
    done
}

@test "cross-attention: the context split over the ranks" {
    need_mpi
    make_npy 11 8 4 "$T/x.npy"
    make_npy 17 6 5 "$T/ctx.npy"
    run same 3 -H 2 --context "$T/ctx.npy" --rope "$T/x.npy"
    assert_success
}

@test "--mask and --bias on 3 ranks (a row that sees no key is listed as one process lists it)" {
    need_mpi
    /usr/bin/python3 -c 'import json
n = 6
print(json.dumps([[int(j <= i and i != 2) for j in range(n)] for i in range(n)]))' > "$T/mask.json"
    /usr/bin/python3 -c 'import json
print(json.dumps([[0.1 * (i - j) for j in range(6)] for i in range(6)]))' > "$T/bias.json"
    make_npy 6 8 6 "$T/x.npy"
    selfattn run -H 2 --mask "$T/mask.json" --bias "$T/bias.json" "$T/x.npy" \
        > "$T/one.json" 2> "$T/one.err"
    run --separate-stderr mpi 3 run -H 2 --mask "$T/mask.json" --bias "$T/bias.json" "$T/x.npy"
    assert_success
    echo "$output" > "$T/ranks.json"
    run jsoncmp "$T/ranks.json" "$T/one.json"
    assert_success
    assert_equal "$stderr" "$(cat "$T/one.err")"
}

@test "-f npy -o FILE: every rank writes its rows; numpy.load reads one process's array" {
    need_mpi
    make_npy 29 16 7 "$T/x.npy"
    selfattn run -H 4 --causal -f npy -o "$T/one.npy" "$T/x.npy"
    run mpi 4 run -H 4 --causal -f npy -o "$T/ranks.npy" "$T/x.npy"
    assert_success
    run /usr/bin/python3 -c 'import numpy as np, sys
a, b = np.load(sys.argv[1]), np.load(sys.argv[2])
assert a.shape == b.shape == (29, 16), (a.shape, b.shape)
assert np.allclose(a, b, rtol=1e-5, atol=1e-6), abs(a - b).max()
print("ok")' "$T/ranks.npy" "$T/one.npy"
    assert_output "ok"
    [[ -z "$(ls "$T" | grep -v -e '^x.npy$' -e '^one.npy$' -e '^ranks.npy$')" ]] ||
        fail "left behind: $(ls "$T")"
}

@test "a text input is read by rank 0: the table and its tokens are one process's" {
    need_mpi
    selfattn run -H 2 --causal -f table sentence.csv > "$T/one.txt"
    run mpi 3 run -H 2 --causal -f table sentence.csv
    assert_success
    echo "$output" > "$T/ranks.txt"
    run numcmp "$T/ranks.txt" "$T/one.txt"
    assert_success
    run same 2 "${CLASSIC[@]}"
    assert_success
}

@test "--stats: a line per rank with its compute, waiting, bytes sent and overlap" {
    need_mpi
    make_npy 64 16 8 "$T/x.npy"
    run --separate-stderr mpi 3 run --stats -H 2 "$T/x.npy"
    assert_success
    assert_equal "$(grep -c '^selfattn: stats: rank [0-2]: [0-9]* rows, project .* attend .* waiting for the ring .* sent .* MiB, overlap [0-9]*%, peak memory' <<< "$stderr")" 3
    assert_equal "${stderr_lines[0]%%,*}" 'selfattn: stats: 3 ranks'
}

# mpi_fails CODE PATTERN P ARGS...: selfattn ARGS on P ranks exits CODE
# with exactly one line of stderr matching the grep PATTERN
mpi_fails() {
    local code="$1" pattern="$2"
    shift 2
    run --separate-stderr mpi "$@"
    assert_failure "$code"
    assert_equal "$(grep -c -- "$pattern" <<< "$stderr")" 1
}

@test "what an MPI run refuses: grad, explain, --sweep, a batch input (exit 64)" {
    need_mpi
    mpi_fails 64 '^selfattn: grad does not run under MPI yet: run it as one process$' \
        2 grad classic.json
    mpi_fails 64 '^selfattn: explain tells a small input as one process: run it without mpirun$' \
        2 explain classic.json
    mpi_fails 64 '^selfattn: under MPI, run takes one value of each parameter' \
        2 run --sweep scale=1,2 classic.json
    mpi_fails 64 'a batch of 3 sequences (a 3-D array): under MPI' \
        2 run -H 2 "$REFERENCE/numpy_batch_causal.input.npy"
    # every rank reads these itself: standard input reaches rank 0 alone
    local option
    for option in --context --mask --bias --weights; do
        mpi_fails 64 "^selfattn: under MPI, $option - cannot be read" \
            3 run "$option" - classic.json < classic.json
    done
}

@test "a bad input under MPI: one message, one process's exit code" {
    need_mpi
    mpi_fails 66 '^selfattn: missing.json: cannot open' 3 run missing.json
    mpi_fails 65 '^selfattn: ragged.json:' 3 run ragged.json
    # a check every rank makes alike is told once, by rank 0
    mpi_fails 65 '^selfattn: mask_2x2.json: mask is 2 x 2 but must be 3 x 3' \
        3 run --mask mask_2x2.json classic.json
    [[ "$(grep -c '^selfattn:' <<< "$stderr")" == 1 ]] || fail "$stderr"
    # a file only another rank cannot read: rank 0 says so
    run --separate-stderr mpirun --oversubscribe --mca pml ob1 \
        --mca btl "${SELFATTN_MPI_BTL:-vader,self}" \
        -n 1 "$SELFATTN" run --context classic.json classic.json : \
        -n 1 "$SELFATTN" run --context missing.json classic.json
    assert_failure 66
    assert_equal "$(grep -c '^selfattn: another rank failed where rank 0 did not' <<< "$stderr")" 1
    run --separate-stderr mpi 2 run --heads 3 classic.json
    assert_failure 64
}

@test "batch on 1 to 4 ranks writes one process's lines in input order, bad lines too" {
    need_mpi
    local f p
    for f in batch_many.jsonl batch_bad.jsonl; do
        selfattn batch -H 2 "$REPO_ROOT/tests/formats/$f" > "$T/one.jsonl" 2> /dev/null || true
        for p in 1 2 3 4; do
            mpi "$p" batch -H 2 "$REPO_ROOT/tests/formats/$f" > "$T/ranks.jsonl" 2> /dev/null || true
            run jsoncmp --lines "$T/ranks.jsonl" "$T/one.jsonl"
            assert_success
        done
    done
    run mpi 3 batch -H 2 "$REPO_ROOT/tests/formats/batch_bad.jsonl"
    assert_failure 65
    run --separate-stderr mpi 2 batch - < "$REPO_ROOT/tests/formats/batch.jsonl"
    assert_failure 64
    assert_equal "$(grep -c 'under MPI, batch reads a file' <<< "$stderr")" 1
}

@test "batch --shard K/N: the shards' lines, merged by line, are one process's" {
    local f="$REPO_ROOT/tests/formats/batch_bad.jsonl" k
    selfattn batch -H 2 "$f" > "$T/one.jsonl" 2> /dev/null || true
    for k in 1 2 3; do
        selfattn batch -H 2 --shard "$k/3" "$f" > "$T/shard$k.jsonl" 2> /dev/null || true
        run jq -r '.line' "$T/shard$k.jsonl"
        for line in "${lines[@]}"; do
            (( (line - 1) % 3 == k - 1 )) || fail "shard $k has line $line"
        done
    done
    cat "$T"/shard*.jsonl | jq -s -c 'sort_by(.line) | .[]' > "$T/merged.jsonl"
    run jsoncmp --lines "$T/merged.jsonl" "$T/one.jsonl"
    assert_success
}

@test "batch --shard: K/N checked" {
    local bad
    for bad in 0/3 4/3 3 a/b 1/0 -1/2 1/-2 2/x; do
        run --separate-stderr selfattn batch --shard "$bad" x.jsonl
        assert_failure 64
        assert_equal "${stderr_lines[0]}" "selfattn: --shard: expected K/N with 1 <= K <= N <= 1048576 (shard K of N), not '$bad'"
    done
}

@test "selfattn without selfattn-mpi beside it, started as a rank, says so (exit 64) and runs alone as ever" {
    # selfattn itself never loads MPI's libraries: a copy on its own is a
    # build without MPI
    [[ "$(ldd "$REPO_ROOT/selfattn")" != *libmpi* ]] || fail "selfattn links MPI"
    local nompi="$T/selfattn"
    cp "$REPO_ROOT/selfattn" "$nompi"
    run --separate-stderr env OMPI_COMM_WORLD_SIZE=3 "$nompi" run classic.json
    assert_failure 64
    assert_equal "$stderr" "selfattn: started as one of 3 MPI processes, but this build of selfattn has no MPI: install an MPI (make deps installs Open MPI), rebuild (make clean all), or run one process"
    run --separate-stderr env PMI_SIZE=2 "$nompi" batch "$REPO_ROOT/tests/formats/batch.jsonl"
    assert_failure 64
    run env OMPI_COMM_WORLD_SIZE=1 "$nompi" run "${CLASSIC[@]}"
    assert_success
    selfattn run "${CLASSIC[@]}" > "$T/one.json"
    echo "$output" > "$T/nompi.json"
    run jsoncmp "$T/nompi.json" "$T/one.json"
    assert_success
}
