#!/usr/bin/env bats
# Nothing lost: an interrupted run leaves neither its output nor a
# temporary file, an interrupted batch leaves only whole lines, and a full
# disk is an error.

load ../helpers

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

@test "batch to a full disk: 74" {
    printf '[[1,0],[0,1]]\n' > "$T/one.jsonl"
    run --separate-stderr bash -c '"$0" batch "$1" > /dev/full' "$SELFATTN" "$T/one.jsonl"
    assert_equal "$status" 74
    assert_equal "$stderr" "selfattn: <stdout>: write error: No space left on device"
}

@test "run to a full disk: 74 with the message" {
    run --separate-stderr bash -c '"$0" run "$1" > /dev/full' "$SELFATTN" "$REPO_ROOT/data/classic.json"
    assert_equal "$status" 74
    assert_equal "$stderr" "selfattn: <stdout>: write error: No space left on device"
}

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
