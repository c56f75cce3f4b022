#!/usr/bin/env bats
# errors.bats — every error path: its exit code (sysexits) and its exact
# message.  Usage errors are 64, bad data 65, a missing input 66, an output
# that cannot be created 73, a write error 74.  Nothing goes to stdout.

load ../helpers

# ---- usage: 64 ---------------------------------------------------------

@test "no arguments: 64, asks for a command" {
    run --separate-stderr selfattn
    assert_usage_error "missing command (run, batch, init, inspect, plot or completion)"
}

@test "unknown command: 64 naming it" {
    run --separate-stderr selfattn frob classic.json
    assert_usage_error "unknown command 'frob' (run, batch, init, inspect, plot or completion)"
}

@test "unknown option before the command: 64 naming it" {
    run --separate-stderr selfattn --frob
    assert_usage_error "unknown option '--frob'"
}

@test "run: unknown long option: 64 naming it" {
    run --separate-stderr selfattn run --frob classic.json
    assert_usage_error "unknown option '--frob'"
}

@test "run: unknown short option: 64 naming it" {
    run --separate-stderr selfattn run -x classic.json
    assert_usage_error "unknown option '-x'"
}

@test "run: unknown short option inside a group names the option, not another argument" {
    run --separate-stderr selfattn run classic.json -Zq
    assert_usage_error "unknown option '-Z'"
}

@test "run: a value given to a flag: 64 saying the option takes none" {
    # the option is known: "unknown option '--causal=1'" would mislead
    run --separate-stderr selfattn run --causal=1 classic.json
    assert_usage_error "option '--causal' takes no value"
}

@test "init: unknown option: 64 naming it" {
    run --separate-stderr selfattn init --d-model 4 --frob
    assert_usage_error "unknown option '--frob'"
}

@test "run: option without its value: 64 naming the option" {
    run --separate-stderr selfattn run classic.json --heads
    assert_usage_error "option '--heads' needs a value"
    run --separate-stderr selfattn run classic.json -w
    assert_usage_error "option '-w' needs a value"
}

@test "init: option without its value: 64" {
    run --separate-stderr selfattn init --d-model
    assert_usage_error "option '--d-model' needs a value"
}

@test "--heads that is not a positive integer: 64" {
    run --separate-stderr selfattn run --heads 0 classic.json
    assert_usage_error "--heads: '0' is not an integer from 1 to 65536"
    run --separate-stderr selfattn run -H two classic.json
    assert_usage_error "--heads: 'two' is not an integer from 1 to 65536"
    run --separate-stderr selfattn run -H -1 classic.json
    assert_usage_error "--heads: '-1' is not an integer from 1 to 65536"
    run --separate-stderr selfattn run -H 2.5 classic.json
    assert_usage_error "--heads: '2.5' is not an integer from 1 to 65536"
}

@test "--digits outside 0..9: 64" {
    run --separate-stderr selfattn run -f table --digits 10 classic.json
    assert_usage_error "--digits: '10' is not an integer from 0 to 9"
    run --separate-stderr selfattn run -f table --digits x classic.json
    assert_usage_error "--digits: 'x' is not an integer from 0 to 9"
}

@test "--seed that is not a 64-bit unsigned integer: 64" {
    run --separate-stderr selfattn run --seed -1 classic.json
    assert_usage_error "--seed: '-1' is not an integer from 0 to 18446744073709551615"
    run --separate-stderr selfattn run --seed 18446744073709551616 classic.json
    assert_usage_error "--seed: '18446744073709551616' is not an integer from 0 to 18446744073709551615"
    run --separate-stderr selfattn init --d-model 4 --seed 1x
    assert_usage_error "--seed: '1x' is not an integer from 0 to 18446744073709551615"
}

@test "--scale that is not a finite number: 64" {
    run --separate-stderr selfattn run --scale abc classic.json
    assert_usage_error "--scale: 'abc' is not a finite number"
    run --separate-stderr selfattn run --scale nan classic.json
    assert_usage_error "--scale: 'nan' is not a finite number"
    run --separate-stderr selfattn run --scale inf classic.json
    assert_usage_error "--scale: 'inf' is not a finite number"
    run --separate-stderr selfattn run --scale '' classic.json
    assert_usage_error "--scale: '' is not a finite number"
}

@test "--scale beyond float32: 64 saying so" {
    # 1e39 is finite: "is not a finite number" would mislead
    run --separate-stderr selfattn run --scale 1e39 classic.json
    assert_usage_error "--scale: '1e39' is out of float32 range"
}

@test "--print with an unknown item: 64" {
    run --separate-stderr selfattn run -p output,attention classic.json
    assert_usage_error "--print: 'attention' is not one of output, weights, steps"
}

@test "--format with an unknown name: 64" {
    run --separate-stderr selfattn run -f xml classic.json
    assert_usage_error "--format: 'xml' is not one of json, table, csv, npy, npz, svg, heatmap"
}

@test "--seed, --d-head or --out-proj with --weights: 64" {
    local message="--seed, --d-head and --out-proj are for generated weights, not with --weights"
    run --separate-stderr selfattn run --seed 1 -w classic.weights.json classic.json
    assert_usage_error "$message"
    run --separate-stderr selfattn run --d-head 3 -w classic.weights.json classic.json
    assert_usage_error "$message"
    run --separate-stderr selfattn run --out-proj -w classic.weights.json classic.json
    assert_usage_error "$message"
}

@test "--average-heads without weights in --print: 64" {
    run --separate-stderr selfattn run -H 2 --average-heads classic.json
    assert_usage_error "--average-heads averages the weights: add weights to --print"
}

@test "run without INPUT: 64" {
    run --separate-stderr selfattn run
    assert_usage_error "run: missing INPUT (a file, or - for stdin)"
}

@test "run with two INPUTs: 64 naming the second" {
    run --separate-stderr selfattn run classic.json plain.json
    assert_usage_error "run: one INPUT expected, got 'plain.json' too"
}

@test "init without --d-model: 64" {
    run --separate-stderr selfattn init -H 2
    assert_usage_error "init: --d-model is required"
}

@test "init with an argument: 64" {
    run --separate-stderr selfattn init --d-model 4 weights.json
    assert_usage_error "init: unexpected argument 'weights.json'"
}

@test "heads not dividing d for generated weights: 64 suggesting --d-head" {
    run --separate-stderr selfattn run -H 3 classic.json
    assert_usage_error "--heads 3 does not divide d_model 4; set --d-head"
    run --separate-stderr selfattn init --d-model 6 -H 4
    assert_usage_error "--heads 4 does not divide --d-model 6; set --d-head"
}

@test "heads not dividing the width of given weights: 64" {
    run --separate-stderr selfattn run -H 2 -w classic.weights.json classic.json
    assert_usage_error "2 heads do not divide the projected width 3"
}

# ---- input missing: 66 -------------------------------------------------

@test "missing input file: 66" {
    run --separate-stderr selfattn run nosuch.json
    assert_error 66 "selfattn: nosuch.json: cannot open: No such file or directory"
}

@test "missing weights and mask files: 66 naming them" {
    run --separate-stderr selfattn run -w nosuch.json classic.json
    assert_error 66 "selfattn: nosuch.json: cannot open: No such file or directory"
    run --separate-stderr selfattn run --mask nosuch.csv classic.json
    assert_error 66 "selfattn: nosuch.csv: cannot open: No such file or directory"
}

@test "a directory as input: 66" {
    run --separate-stderr selfattn run "$T"
    assert_error 66 "selfattn: $T: is a directory"
}

@test "an unreadable input file: 66" {
    if [[ "$(id -u)" -eq 0 ]]; then
        skip "root reads files whatever their mode"
    fi
    cp classic.json "$T/secret.json"
    chmod 000 "$T/secret.json"
    run --separate-stderr selfattn run "$T/secret.json"
    assert_error 66 "selfattn: $T/secret.json: cannot open: Permission denied"
}

# ---- bad input data: 65 ------------------------------------------------

@test "malformed JSON: 65 with FILE:LINE:COL and the text there" {
    run --separate-stderr selfattn run syntax.json
    assert_error 65 "selfattn: syntax.json:2:8: invalid JSON near ']]'"
}

@test "JSON cut short: 65 with the position of the end" {
    printf '[[1, 2],\n [3, 4]' > "$T/cut.json"
    run --separate-stderr selfattn run "$T/cut.json"
    assert_error 65 "selfattn: $T/cut.json:2:8: invalid JSON: unexpected end of input"
}

@test "malformed JSON on stdin is named <stdin>" {
    run --separate-stderr selfattn run - <<< '[[1, 2], [3, 4]]]'
    assert_error 65 "selfattn: <stdin>:1:17: invalid JSON near ']'"
}

@test "a NUL byte in JSON: 65 with its position" {
    printf '[[1, 2],\n [3,\0004]]' > "$T/nul.json"
    run --separate-stderr selfattn run "$T/nul.json"
    assert_error 65 "selfattn: $T/nul.json:2:5: a NUL byte in JSON text"
}

@test "JSON rows of different lengths: 65" {
    run --separate-stderr selfattn run ragged.json
    assert_error 65 "selfattn: ragged.json: embeddings, row 2: 1 values, expected 2 like row 1"
}

@test "empty input file: 65" {
    run --separate-stderr selfattn run empty.json
    assert_error 65 "selfattn: empty.json: empty input"
}

@test "empty standard input: 65" {
    run --separate-stderr selfattn run - < /dev/null
    assert_error 65 "selfattn: <stdin>: no rows of numbers"
}

@test "JSON without rows: 65" {
    printf '[]' > "$T/none.json"
    run --separate-stderr selfattn run "$T/none.json"
    assert_error 65 "selfattn: $T/none.json: embeddings: no rows"
    printf '[[], []]' > "$T/empty_rows.json"
    run --separate-stderr selfattn run "$T/empty_rows.json"
    assert_error 65 "selfattn: $T/empty_rows.json: embeddings, row 1: empty row"
}

@test "JSON that is neither rows nor an object with embeddings: 65" {
    printf '42\n' > "$T/number.json"
    run --separate-stderr selfattn run "$T/number.json"
    assert_error 65 "selfattn: $T/number.json: expected an array of rows or an object with \"embeddings\""
    printf '{"rows": [[1]]}\n' > "$T/object.json"
    run --separate-stderr selfattn run "$T/object.json"
    assert_error 65 "selfattn: $T/object.json: expected an \"embeddings\" key in the object"
}

@test "a string where JSON needs a number: 65" {
    run --separate-stderr selfattn run string.json
    assert_error 65 "selfattn: string.json: embeddings, row 1, column 2: expected a number"
}

@test "a JSON number beyond float32 (1e39): 65" {
    run --separate-stderr selfattn run huge.json
    assert_error 65 "selfattn: huge.json: embeddings, row 2, column 2: 1e+39 is out of float32 range"
}

@test "tokens that do not match the rows: 65" {
    run --separate-stderr selfattn run tokens_count.json
    assert_error 65 "selfattn: tokens_count.json: tokens has 3 labels but embeddings has 2 rows"
    printf '{"tokens": ["a", 2], "embeddings": [[1], [2]]}' > "$T/tok.json"
    run --separate-stderr selfattn run "$T/tok.json"
    assert_error 65 "selfattn: $T/tok.json: tokens, element 2: expected a string"
}

@test "nan in CSV: 65 with FILE:LINE:COL" {
    run --separate-stderr selfattn run nan.csv
    assert_error 65 "selfattn: nan.csv:2:3: 'nan' is not a finite number"
}

@test "-inf in CSV: 65 with FILE:LINE:COL" {
    run --separate-stderr selfattn run inf.csv
    assert_error 65 "selfattn: inf.csv:2:1: '-inf' is not a finite number"
}

@test "a CSV value beyond float32: 65 with FILE:LINE:COL" {
    printf '1,2\n3,-1e39\n' > "$T/big.csv"
    run --separate-stderr selfattn run "$T/big.csv"
    assert_error 65 "selfattn: $T/big.csv:2:3: -1e39 is out of float32 range"
}

@test "a word in CSV: 65 with FILE:LINE:COL" {
    run --separate-stderr selfattn run word.csv
    assert_error 65 "selfattn: word.csv:2:3: 'four' is not a number"
}

@test "an empty CSV field: 65 with FILE:LINE:COL" {
    printf '1,2\n3,\n' > "$T/hole.csv"
    run --separate-stderr selfattn run "$T/hole.csv"
    assert_error 65 "selfattn: $T/hole.csv:2:3: empty value"
}

@test "a CSV row of another length: 65 with FILE:LINE:COL" {
    run --separate-stderr selfattn run ragged.csv
    assert_error 65 "selfattn: ragged.csv:2:1: 3 values, expected 2 like the first row"
}

@test "an unterminated quote in CSV: 65 at the opening quote" {
    run --separate-stderr selfattn run quote.csv
    assert_error 65 "selfattn: quote.csv:2:1: unterminated quoted field"
}

@test "text after a closing quote in CSV: 65" {
    printf '"a"b,1,2\n' > "$T/after.csv"
    run --separate-stderr selfattn run "$T/after.csv"
    assert_error 65 "selfattn: $T/after.csv:1:4: unexpected text after a quoted field"
}

@test "a CSV of only comments and a header: 65" {
    printf '# nothing\nx,y\n' > "$T/header.csv"
    run --separate-stderr selfattn run "$T/header.csv"
    assert_error 65 "selfattn: $T/header.csv: no rows of numbers"
}

@test "scores overflowing float32: 65, no NaN printed" {
    printf '[[1e20, 1e20], [1, 1]]' > "$T/big.json"
    printf '{"Wq": [[1, 0], [0, 1]], "Wk": [[1, 0], [0, 1]], "Wv": [[1, 0], [0, 1]]}' > "$T/id.json"
    run --separate-stderr selfattn run -p output,weights,steps -w "$T/id.json" "$T/big.json"
    assert_error 65 "selfattn: the scores overflow float32; scale the input or weights down"
}

# ---- bad weights: 65 ---------------------------------------------------

@test "weights: unknown key: 65 naming it and the known ones" {
    run --separate-stderr selfattn run -w w_unknown_key.json width2.json
    assert_error 65 "selfattn: w_unknown_key.json: unknown key \"Wx\" (expected Wq, Wk, Wv, Wo, bq, bk, bv, bo, or torch's in_proj_weight, in_proj_bias, q_proj_weight, k_proj_weight, v_proj_weight, out_proj.weight, out_proj.bias; or a GPT-2 or BERT checkpoint)"
}

@test "weights: math and torch keys mixed: 65" {
    run --separate-stderr selfattn run -w w_mixed.json width2.json
    assert_error 65 "selfattn: w_mixed.json: mixes math-convention keys (Wq, ...) with torch keys (in_proj_weight, ...); use one convention"
}

@test "weights: Wk missing: 65" {
    run --separate-stderr selfattn run -w w_no_wk.json width2.json
    assert_error 65 "selfattn: w_no_wk.json: missing Wk (math convention needs Wq, Wk and Wv)"
}

@test "weights: no weights at all: 65" {
    run --separate-stderr selfattn run -w w_none.json width2.json
    assert_error 65 "selfattn: w_none.json: no weights found (expected Wq, Wk, Wv or torch's in_proj_weight)"
}

@test "weights: not an object: 65" {
    run --separate-stderr selfattn run -w w_array.json width2.json
    assert_error 65 "selfattn: w_array.json: weights must be a JSON object of named matrices"
}

@test "weights: malformed JSON: 65 with FILE:LINE:COL" {
    printf '{"Wq": [[1]],\n "Wk": [[1]]\n "Wv": [[1]]}\n' > "$T/w.json"
    run --separate-stderr selfattn run -w "$T/w.json" width2.json
    assert_error 65 "selfattn: $T/w.json:3:2: invalid JSON near '\"Wv\": [[1]]}'"
}

@test "weights: Wk and Wv of different shapes: 65 naming both" {
    run --separate-stderr selfattn run -w w_wk_shape.json width2.json
    assert_error 65 "selfattn: w_wk_shape.json: Wv is 2 x 2 but Wk is 2 x 3; Wk and Wv must have the same shape"
}

@test "weights: Wq rows disagreeing with the input width: 65 naming both shapes" {
    run --separate-stderr selfattn run -w classic.weights.json width3.json
    assert_error 65 "selfattn: classic.weights.json: the input has 3 columns but Wq is 4 x 3, which expects 4"
}

@test "weights: in_proj_weight disagreeing with the input width: 65 naming both shapes" {
    printf '{"in_proj_weight": [[1, 0], [0, 1], [1, 0], [0, 1], [1, 0], [0, 1]]}' > "$T/w.json"
    run --separate-stderr selfattn run -w "$T/w.json" width3.json
    assert_error 65 "selfattn: $T/w.json: the input has 3 columns but the weights expect 2 (the columns of in_proj_weight or q_proj_weight)"
}

@test "weights: Wo (out_proj.weight) not matching the projection width: 65" {
    run --separate-stderr selfattn run -w w_wo_rows.json width2.json
    assert_error 65 "selfattn: w_wo_rows.json: Wo is 3 x 2 but must have 2 rows (the columns of Wq)"
    run --separate-stderr selfattn run -w w_torch_out.json width2.json
    assert_error 65 "selfattn: w_torch_out.json: out_proj.weight is 2 x 3 but must have 2 columns (the query projection's width)"
}

@test "weights: a bias of the wrong length: 65" {
    run --separate-stderr selfattn run -w w_bias_len.json width2.json
    assert_error 65 "selfattn: w_bias_len.json: bk has 3 elements but must have 2 (the columns of Wk)"
    run --separate-stderr selfattn run -w w_bo_len.json width2.json
    assert_error 65 "selfattn: w_bo_len.json: bo has 2 elements but must have 3 (the columns of Wo)"
    run --separate-stderr selfattn run -w w_torch_bias.json width2.json
    assert_error 65 "selfattn: w_torch_bias.json: in_proj_bias has 4 elements but must have 6 (three times the query projection's width)"
}

@test "weights: in_proj_weight rows not a multiple of 3: 65" {
    run --separate-stderr selfattn run -w w_torch_rows.json width2.json
    assert_error 65 "selfattn: w_torch_rows.json: in_proj_weight is 4 x 2 but its rows must be 3 blocks (q, k, v) of equal size"
}

# ---- bad masks: 65 -----------------------------------------------------

@test "mask of the wrong shape: 65 naming both shapes" {
    run --separate-stderr selfattn run --mask mask_2x2.json classic.json
    assert_error 65 "selfattn: mask_2x2.json: mask is 2 x 2 but must be 3 x 3 (queries x keys)"
}

@test "mask values other than 0 and 1: 65 naming the cell" {
    run --separate-stderr selfattn run --mask mask_value.json classic.json
    assert_error 65 "selfattn: mask_value.json: mask, row 2, column 3: 2 is not 0 or 1"
    run --separate-stderr selfattn run --mask mask_value.csv classic.json
    assert_error 65 "selfattn: mask_value.csv: mask, row 2, column 2: 0.5 is not 0 or 1"
}

@test "mask with null: 65" {
    run --separate-stderr selfattn run --mask mask_null.json classic.json
    assert_error 65 "selfattn: mask_null.json: mask, row 2, column 2: expected a number"
}

# ---- output: 73, 74, and -o never leaves a partial file ---------------

@test "-o into a missing directory: 73 and nothing created" {
    run --separate-stderr selfattn run -o "$T/nodir/out.json" classic.json
    assert_error 73 "selfattn: $T/nodir/out.json: cannot create: No such file or directory"
    assert [ ! -e "$T/nodir" ]
}

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

@test "-o: a failing run does not create the target" {
    run --separate-stderr selfattn run -o "$T/out.json" -w w_mixed.json width2.json
    assert_equal "$status" 65
    assert [ ! -e "$T/out.json" ]
    assert_no_temp_files "$T"
}

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
