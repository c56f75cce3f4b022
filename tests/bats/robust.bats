#!/usr/bin/env bats
# robust.bats — nothing lost: a run that fails leaves an existing -o target
# as it was and no temporary file; a write error or a full disk is exit 74;
# an interrupted run leaves neither its output nor a temporary file, an
# interrupted batch only whole lines; an input over --max-input is refused
# (a batch line of it is an error line); weights too big for memory are
# refused before anything is written.  (That a failing run creates no -o file is
# also checked for every case of the catalogue, catalogue.bats.)

load ../helpers

SENTENCE="$REPO_ROOT/data/sentence.json"   # 6 tokens of 8 numbers

# "${WITH_DEFAULT_SIGNALS[@]}" CMD...: exec CMD with the default action for
# every signal these tests send, and no core file.  A shell's background job
# ignores SIGINT and SIGQUIT, Python ignores SIGPIPE and SIGXFSZ, and
# selfattn keeps an ignore it inherits: without this a test could pass
# because the signal never reached selfattn's handler.
WITH_DEFAULT_SIGNALS=(/usr/bin/python3 -c 'import os, resource, signal, sys
for name in ("SIGINT", "SIGTERM", "SIGHUP", "SIGQUIT", "SIGALRM", "SIGUSR1",
             "SIGUSR2", "SIGPIPE", "SIGXFSZ"):
    signal.signal(getattr(signal, name), signal.SIG_DFL)
resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
os.execv(sys.argv[1], sys.argv[1:])')

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
    assert_error 65 "selfattn: syntax.json:2:7: invalid JSON near ',]]': a trailing comma before ']'"
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

@test "-o with standard output closed: 0 and the file written; without -o: 74" {
    selfattn run "$SENTENCE" > "$T/want.json"
    # with fd 1 closed the first file opened gets fd 1: the result must
    # still go to the -o file, whole
    run --separate-stderr bash -c '"$0" run -o "$1" "$2" >&-' "$SELFATTN" "$T/out.json" "$SENTENCE"
    assert_equal "$stderr" ""
    assert_equal "$status" 0
    run jq -e .output "$T/out.json"
    assert_success
    assert_same_file "$T/want.json" "$T/out.json"
    assert_no_temp_files "$T"
    run --separate-stderr bash -c '"$0" run "$1" >&-' "$SELFATTN" "$SENTENCE"
    assert_error 74 "selfattn: <stdout>: write error: Bad file descriptor"
}

@test "-o to a name of 255 bytes (NAME_MAX): written, no temporary file" {
    local name
    name="$(printf 'n%.0s' {1..250}).json"
    assert_equal "${#name}" 255
    mkdir "$T/out"
    selfattn run "$SENTENCE" > "$T/want.json"
    # a temporary name made by adding to the target's would be too long
    run --separate-stderr selfattn run -o "$T/out/$name" "$SENTENCE"
    assert_equal "$stderr" ""
    assert_equal "$status" 0
    assert_same_file "$T/want.json" "$T/out/$name"
    assert_equal "$(ls -A "$T/out")" "$name"
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

@test "SIGXFSZ past ulimit -f: run -o is 74, the target as it was, no temporary file" {
    # 300 rows: the weights alone are 90000 numbers, far past 64 KiB.  Here
    # SIGXFSZ has its default action (kill and dump core), so selfattn must
    # handle it itself to report the error and remove its temporary file.
    awk 'BEGIN { for (i = 0; i < 300; i++) { for (j = 0; j < 8; j++)
        printf "%s%d", (j ? "," : ""), (i * 7 + j) % 13; print "" } }' > "$T/rows.csv"
    mkdir "$T/out"
    local target
    for target in absent kept; do
        if [[ $target == kept ]]; then echo keep > "$T/out/out.json"; fi
        run --separate-stderr bash -c 'ulimit -f 64; exec "$@"' bash \
            "${WITH_DEFAULT_SIGNALS[@]}" "$SELFATTN" run -f json -p weights -o "$T/out/out.json" "$T/rows.csv"
        assert_error 74 "selfattn: $T/out/out.json: write error: File too large"
        if [[ $target == kept ]]; then
            assert_equal "$(ls -A "$T/out")" out.json
            assert_equal "$(cat "$T/out/out.json")" keep
        else
            assert_equal "$(ls -A "$T/out")" ""
        fi
    done
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

# batch_mid_write DIR: start `selfattn batch -o DIR/out.jsonl` reading a
# FIFO, give it a good line and wait (up to 5 s) until a file appears in
# DIR, its temporary file: selfattn is then running with the output open,
# waiting for more input.  Sets pid, and fd, the FIFO's writing end, for the
# caller to close.  Fails if no file appears.
batch_mid_write() {
    local dir="$1" before i
    before="$(ls -A "$dir" | wc -l)"
    rm -f "$T/in.fifo"
    mkfifo "$T/in.fifo"
    "${WITH_DEFAULT_SIGNALS[@]}" "$SELFATTN" batch -o "$dir/out.jsonl" "$T/in.fifo" 3>&- &
    pid=$!
    # read and write: the open does not wait for a reader
    exec {fd}<>"$T/in.fifo"
    echo '{"embeddings":[[1,2],[3,4]]}' >&"$fd"
    for ((i = 0; i < 100; i++)); do
        (( $(ls -A "$dir" | wc -l) > before )) && return 0
        sleep 0.05
    done
    return 1
}

# died_of SIGNAL STATUS: STATUS (of `wait`) is that of a process killed by
# SIGNAL, or a failure exit code.
died_of() {
    local signum
    signum="$(kill -l "$1")"
    (( $2 == 128 + signum || ($2 > 0 && $2 < 128) ))
}

@test "every terminating signal during batch -o: the target as it was, no temporary file" {
    # each signal whose default ends the process, with no target and with
    # an existing one; the directory must hold afterwards what it held before
    local signal target dir before rc
    for signal in INT TERM HUP QUIT ALRM USR1 USR2; do
        for target in absent kept; do
            dir="$T/$signal-$target"
            mkdir "$dir"
            if [[ $target == kept ]]; then echo keep > "$dir/out.jsonl"; fi
            before="$(ls -A "$dir")"
            batch_mid_write "$dir" || fail "SIG$signal, $target target: no temporary file appeared"
            kill -s "$signal" "$pid"
            exec {fd}>&-
            rc=0
            wait "$pid" || rc=$?
            died_of "$signal" "$rc" || fail "SIG$signal, $target target: exit status $rc"
            [[ "$(ls -A "$dir")" == "$before" ]] ||
                fail "SIG$signal, $target target: the directory holds '$(ls -A "$dir")', not '$before'"
            if [[ $target == kept ]]; then
                [[ "$(cat "$dir/out.jsonl")" == keep ]] || fail "SIG$signal: the target changed"
            fi
        done
    done
}

@test "SIGTERMs in quick succession during batch -o: no temporary file" {
    # timeout(1) sends two at once; more arrive while the handler of the
    # first is cleaning up: none may cut the cleanup short.  Then a SIGTERM
    # followed by each other signal of the list.
    local i dir rc second
    for i in {1..10}; do
        dir="$T/$i"
        mkdir "$dir"
        batch_mid_write "$dir" || fail "round $i: no temporary file appeared"
        # two at once, then more until it is dead (a zombie, or reaped by
        # the shell), at most 10000 if it ignored them; from Python, to be
        # quick enough to land during the cleanup
        /usr/bin/python3 -c 'import os, signal, sys
pid = int(sys.argv[1])
try:
    os.kill(pid, signal.SIGTERM)
    os.kill(pid, signal.SIGTERM)
    for _ in range(10000):
        with open(f"/proc/{pid}/stat") as stat:
            if stat.read().rsplit(")", 1)[1].split()[0] == "Z":
                break
        os.kill(pid, signal.SIGTERM)
except (FileNotFoundError, ProcessLookupError):
    pass' "$pid"
        exec {fd}>&-
        rc=0
        wait "$pid" || rc=$?
        died_of TERM "$rc" || fail "round $i: exit status $rc"
        [[ -z "$(ls -A "$dir")" ]] || fail "round $i: left '$(ls -A "$dir")'"
    done
    for second in INT HUP QUIT ALRM USR1 USR2; do
        dir="$T/TERM-$second"
        mkdir "$dir"
        batch_mid_write "$dir" || fail "SIGTERM, SIG$second: no temporary file appeared"
        kill -s TERM "$pid"
        kill -s "$second" "$pid" 2> /dev/null || true  # unless already dead
        exec {fd}>&-
        rc=0
        wait "$pid" || rc=$?
        died_of TERM "$rc" || died_of "$second" "$rc" || fail "SIGTERM, SIG$second: exit status $rc"
        [[ -z "$(ls -A "$dir")" ]] || fail "SIGTERM, SIG$second: left '$(ls -A "$dir")'"
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

# ---- input limits ------------------------------------------------------

@test "--max-input: a JSON file over the limit is 65, naming both sizes" {
    # a valid 60 x 8 matrix padded with blanks to 5000 bytes
    /usr/bin/python3 -c "
import json, sys
text = json.dumps([[i + j / 8 for j in range(8)] for i in range(60)])
assert len(text) < 5000
open(sys.argv[1], 'w').write(text.ljust(5000))" "$T/m.json"
    run --separate-stderr selfattn run "$T/m.json"
    assert_success
    run --separate-stderr selfattn run --max-input 1K "$T/m.json"
    assert_error 65 "selfattn: $T/m.json: the file is 4.9 KiB, more than the input limit of 1 KiB (see --max-input)"
    # the same on standard input: a file, then a pipe (size unknown)
    run --separate-stderr bash -c '"$0" run --max-input 1K - < "$1"' "$SELFATTN" "$T/m.json"
    assert_equal "$status" 65
    assert_equal "$output" ""
    assert_regex "$stderr" '^selfattn: <stdin>: .* (more|longer) than the input limit of 1 KiB \(see --max-input\)$'
    run --separate-stderr bash -c 'cat "$1" | "$0" run --max-input 1K -' "$SELFATTN" "$T/m.json"
    assert_equal "$status" 65
    assert_equal "$output" ""
    assert_regex "$stderr" '^selfattn: <stdin>: .* (more|longer) than the input limit of 1 KiB \(see --max-input\)$'
}

@test "--max-input: a .npy file over the limit is read all the same" {
    # the limit is on text inputs; this one is 2176 bytes
    /usr/bin/python3 -c "
import numpy as np, sys
np.save(sys.argv[1], np.random.default_rng(3).standard_normal((64, 8)).astype(np.float32))" "$T/m.npy"
    assert [ "$(stat -c %s "$T/m.npy")" -gt 1024 ]
    selfattn run "$T/m.npy" > "$T/want.json"
    run --separate-stderr selfattn run --max-input 1K -o "$T/got.json" "$T/m.npy"
    assert_equal "$stderr" ""
    assert_equal "$status" 0
    assert_same_file "$T/want.json" "$T/got.json"
}

@test "--max-input: sizes it takes and sizes it refuses" {
    # a positive integer with an optional K, M, G or T (KiB, ... accepted)
    local size
    for size in 0 1.5G 12Q; do
        run --separate-stderr selfattn run --max-input "$size" classic.json
        assert_usage_error "--max-input: '$size' is not a size (a positive integer of bytes, or with K, M, G or T: 512M, 4G)"
    done
    for size in 512K 64M 4G 1GiB; do
        run --separate-stderr selfattn run --max-input "$size" classic.json
        assert_equal "$stderr" ""
        assert_equal "$status" 0
    done
}

@test "batch: a line over --max-input is an error line, the next line still runs" {
    # a 5 KB line, then a good one
    run --separate-stderr bash -c '{ printf "{\"embeddings\":["; yes "[1,2]," | head -c 5000 | tr -d "\n"; echo
        echo "{\"embeddings\":[[1,2],[3,4]],\"id\":\"good\"}"; } | "$0" batch --max-input 1K -' "$SELFATTN"
    assert_equal "$status" 65
    assert_equal "${#lines[@]}" 2
    assert_equal "${lines[0]}" '{"line":1,"error":"the line is 4.2 KiB, more than the input limit of 1 KiB (see --max-input)"}'
    run jq -e '.line == 2 and .id == "good" and has("output")' <<< "${lines[1]}"
    assert_success
}

@test "batch: a line of 1.3 GiB, past the default limit of 1 GiB, is an error line" {
    # generated as it is read (never a file); the memory limit of 2.9 GB
    # keeps a selfattn that stored such lines from taking all the memory
    # (not for the sanitizer build: ASan reserves terabytes of address space)
    [[ "$SELFATTN" != *-san ]] || skip "ulimit -v leaves ASan no address space"
    run --separate-stderr bash -c '{ printf "{\"embeddings\":["; yes "[1,2]," | head -c 1500M | tr -d "\n"; echo
        echo "{\"embeddings\":[[1,2],[3,4]],\"id\":\"good\"}"; } | ( ulimit -v 3000000; exec "$0" batch - )' "$SELFATTN"
    assert_equal "$status" 65
    assert_equal "${#lines[@]}" 2
    assert_regex "${lines[0]}" '^\{"line":1,"error":"the line is [0-9.]+ GiB, more than the input limit of 1 GiB \(see --max-input\)"\}$'
    assert_regex "$stderr" '^selfattn: <stdin>:1: the line is [0-9.]+ GiB, more than the input limit of 1 GiB \(see --max-input\)$'
    run jq -e '.line == 2 and .id == "good" and has("output")' <<< "${lines[1]}"
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

@test "a size stated up front past the machine's memory: 71, nothing written" {
    # 65536 heads of 1048576: 6 TiB of generated weights
    run --separate-stderr selfattn run -H 65536 --d-head 1048576 -o "$T/out.json" "$SENTENCE"
    assert_equal "$status" 71
    assert_equal "$output" ""
    assert_regex "$stderr" '^selfattn: .*needs .*, more than the .* of memory this machine has$'
    assert [ ! -e "$T/out.json" ]
    assert_no_temp_files "$T"
    run --separate-stderr selfattn run -H 65536 --d-head 1048576 "$SENTENCE"
    assert_equal "$status" 71
    assert_equal "$output" ""
    assert_regex "$stderr" 'needs .*more than the .* of memory this machine has'
}
