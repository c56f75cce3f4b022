#!/usr/bin/env bats
# robust.bats — nothing lost: a run that fails leaves an existing -o target
# as it was and no temporary file; a write error or a full disk is exit 74;
# an interrupted run leaves neither its output nor a temporary file, an
# interrupted batch only whole lines; weights too big for memory are refused
# before anything is written.  (That a failing run creates no -o file is
# also checked for every case of the catalogue, catalogue.bats.)

load ../helpers

# ---- -o when the run fails --------------------------------------------

@test "-o onto a directory: 73 and no temporary file left" {
    mkdir "$T/out"
    run --separate-stderr selfattn run -o "$T/out" classic.json
    assert_error 73 "selfattn: $T/out: cannot create: Is a directory"
    assert_no_temp_files "$T"
}

@test "-o: a usage error leaves an existing target unchanged" {
    echo keep > "$T/out.json"
    run --separate-stderr selfattn run -o "$T/out.json" -H 3 classic.json
    assert_equal "$status" 64
    assert_equal "$(cat "$T/out.json")" keep
    assert_no_temp_files "$T"
}

@test "-o: bad input data leaves an existing target unchanged" {
    echo keep > "$T/out.json"
    run --separate-stderr selfattn run -o "$T/out.json" syntax.json
    assert_error 65 "selfattn: syntax.json:2:8: invalid JSON near ']]'"
    assert_equal "$(cat "$T/out.json")" keep
    assert_no_temp_files "$T"
}

@test "-o: a bad mask leaves an existing target unchanged" {
    echo keep > "$T/out.json"
    run --separate-stderr selfattn run -o "$T/out.json" --mask mask_2x2.json classic.json
    assert_equal "$status" 65
    assert_equal "$(cat "$T/out.json")" keep
    assert_no_temp_files "$T"
}

# ---- write errors: 74 -------------------------------------------------

@test "-o: a write error is 74, the target unchanged, no temporary file" {
    echo keep > "$T/out.json"
    # past a file size limit of 1 KiB, writes fail with EFBIG (the limit
    # leaves room for bats's capture of stderr)
    run --separate-stderr bash -c 'trap "" XFSZ; ulimit -f 1; exec "$0" run -p weights,steps -o "$1" sentence.csv' \
        "$SELFATTN" "$T/out.json"
    assert_error 74 "selfattn: $T/out.json: write error: File too large"
    assert_equal "$(cat "$T/out.json")" keep
    assert_no_temp_files "$T"
}

@test "init -o: a write error is 74, the target unchanged, no temporary file" {
    echo keep > "$T/w.json"
    run --separate-stderr bash -c 'trap "" XFSZ; ulimit -f 1; exec "$0" init --d-model 64 -o "$1"' \
        "$SELFATTN" "$T/w.json"
    assert_error 74 "selfattn: $T/w.json: write error: File too large"
    assert_equal "$(cat "$T/w.json")" keep
    assert_no_temp_files "$T"
}

@test "run writing to a full device: 74" {
    run --separate-stderr bash -c '"$0" run classic.json > /dev/full' "$SELFATTN"
    assert_error 74 "selfattn: <stdout>: write error: No space left on device"
    run --separate-stderr bash -c '"$0" run -f table -p weights,steps classic.json > /dev/full' "$SELFATTN"
    assert_error 74 "selfattn: <stdout>: write error: No space left on device"
    run --separate-stderr bash -c '"$0" run -f csv classic.json > /dev/full' "$SELFATTN"
    assert_error 74 "selfattn: <stdout>: write error: No space left on device"
}

@test "init writing to a full device: 74" {
    run --separate-stderr bash -c '"$0" init --d-model 4 > /dev/full' "$SELFATTN"
    assert_error 74 "selfattn: <stdout>: write error: No space left on device"
}

@test "--help and --version writing to a full device: 74" {
    run --separate-stderr bash -c '"$0" --help > /dev/full' "$SELFATTN"
    assert_error 74 "selfattn: write error on standard output: No space left on device"
    run --separate-stderr bash -c '"$0" --version > /dev/full' "$SELFATTN"
    assert_error 74 "selfattn: write error on standard output: No space left on device"
}

@test "batch to a full disk: 74" {
    printf '[[1,0],[0,1]]\n' > "$T/one.jsonl"
    run --separate-stderr bash -c '"$0" batch "$1" > /dev/full' "$SELFATTN" "$T/one.jsonl"
    assert_equal "$status" 74
    assert_equal "$stderr" "selfattn: <stdout>: write error: No space left on device"
}

# ---- interrupted -------------------------------------------------------

# A sequence long enough that the run is still computing after 0.3 s.
make_long_input() {
    /usr/bin/python3 -c "
import numpy as np
np.save('$T/long.npy', np.random.default_rng(1).standard_normal((12000, 64)).astype(np.float32))"
}

@test "SIGINT and SIGTERM during a run with -o: no output, no temporary file" {
    make_long_input
    for signal in INT TERM; do
        # a shell's background job ignores SIGINT (and selfattn keeps a
        # caller's ignore): start it with the default disposition
        /usr/bin/python3 -c 'import os, signal, sys
signal.signal(signal.SIGINT, signal.SIG_DFL)
os.execv(sys.argv[1], sys.argv[1:])' "$SELFATTN" run -t 1 -o "$T/out.json" "$T/long.npy" &
        local pid=$!
        sleep 0.3
        kill -s "$signal" "$pid"
        run wait "$pid"
        assert [ "$status" -ne 0 ]
        assert [ ! -e "$T/out.json" ]
        assert_no_temp_files "$T"
    done
}

@test "an interrupted batch leaves only whole result lines" {
    for i in $(seq 400); do printf '[[%d,1,0,1],[0,2,0,2],[1,1,1,1]]\n' "$i"; done > "$T/lines.jsonl"
    "$SELFATTN" batch -o "$T/out.jsonl" "$T/lines.jsonl" > "$T/stdout.jsonl" &
    local pid=$!
    sleep 0.05
    kill -s INT "$pid" 2>/dev/null || true
    wait "$pid" || true
    # stdout may hold some lines; every one of them is whole JSON
    run jq -c .line "$T/stdout.jsonl"
    assert_success
}

# ---- memory -----------------------------------------------------------

@test "weights that cannot fit in memory: 65 at once, naming the need, no output file" {
    # 300000 one-number tokens: 360 GB of weights, 720 GB with steps
    awk 'BEGIN { for (i = 0; i < 300000; i++) print (i % 7) / 7 }' > "$T/long.csv"
    run --separate-stderr selfattn run --print weights -o "$T/out.json" "$T/long.csv"
    assert_equal "$status" 65
    assert_equal "$output" ""
    assert_regex "$stderr" '^selfattn: printing weights needs 335\.3 GiB for 1 x 300000 x 300000 matrices but only [0-9.]+ GiB of memory are available; drop weights from --print to stream the attention in O\(n\) memory$'
    [ ! -e "$T/out.json" ]
    run --separate-stderr selfattn run --print steps "$T/long.csv"
    assert_equal "$status" 65
    assert_regex "$stderr" '^selfattn: printing weights and steps needs 670\.6 GiB for 1 x 300000 x 300000 matrices .*; drop weights and steps from --print'
}
