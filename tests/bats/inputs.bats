#!/usr/bin/env bats
# inputs.bats — how `selfattn run` reads JSON and CSV matrices: standard
# input, tokens, the CSV dialect (header, comments, quotes, CRLF, byte order
# mark), the extension choosing the reader, <stdin> in messages, and numbers
# that round-trip float32.  The binary formats (.npy, .npz, safetensors) are
# formats.bats's; every malformed input, with its exact message, is a case of
# tests/bad/catalogue.tsv (catalogue.bats).

load ../helpers

# ---- JSON and CSV -----------------------------------------------------

@test "stdin '-' as JSON" {
    run --separate-stderr selfattn run - < plain.json
    assert_success
    assert_equal "$output" "$(selfattn run plain.json)"
}

@test "stdin '-' as CSV, the format chosen by the first character" {
    run --separate-stderr selfattn run - < plain.csv
    assert_success
    assert_equal "$output" "$(selfattn run plain.json)"
    # a leading comment is CSV too
    run --separate-stderr selfattn run - < sentence.csv
    assert_success
    assert_equal "$output" "$(selfattn run sentence.csv)"
}

@test "JSON with leading blanks on stdin is JSON" {
    run --separate-stderr selfattn run - < <(printf '\n \t [[1, 0, 1, 0], [0, 2, 0, 2], [1, 1, 1, 1]]')
    assert_success
    assert_equal "$output" "$(selfattn run plain.json)"
}

@test "JSON object input with tokens: tokens are passed through" {
    printf '{"tokens": ["a \\"b\\"", "c\\\\d", "é"], "embeddings": [[1, 0, 1, 0], [0, 2, 0, 2], [1, 1, 1, 1]]}' > "$T/tok.json"
    run --separate-stderr selfattn run "$T/tok.json"
    assert_success
    assert_equal "$(jq -c .tokens <<< "$output")" '["a \"b\"","c\\d","é"]'
    assert_equal "$(jq -c .output <<< "$output")" "$(selfattn run plain.json | jq -c .output)"
}

@test "JSON object input with tokens null: no tokens" {
    printf '{"tokens": null, "embeddings": [[1, 0, 1, 0], [0, 2, 0, 2], [1, 1, 1, 1]]}' > "$T/tok.json"
    run --separate-stderr selfattn run "$T/tok.json"
    assert_success
    assert_equal "$(jq -c 'keys_unsorted' <<< "$output")" '["config","output"]'
}

@test "CSV: header, comments, blank lines, token column and quoted labels" {
    printf '# made by hand\ntoken,a,b\n"x, 1",1,0\n\n  # indented comment\n"say ""hi""",0,1\nz , 1 , 1 \n' > "$T/in.csv"
    run --separate-stderr selfattn run "$T/in.csv"
    assert_success
    assert_equal "$(jq -c .tokens <<< "$output")" '["x, 1","say \"hi\"","z"]'
    printf '[[1, 0], [0, 1], [1, 1]]' > "$T/in.json"
    assert_equal "$(jq -c .output <<< "$output")" "$(selfattn run "$T/in.json" | jq -c .output)"
}

@test "CSV: CRLF line endings and a byte order mark read as LF" {
    printf 'token,a,b\nx,1,0\ny,0,1\n' > "$T/lf.csv"
    printf '\357\273\277token,a,b\r\nx,1,0\r\ny,0,1\r\n' > "$T/crlf.csv"
    run --separate-stderr selfattn run "$T/crlf.csv"
    assert_success
    assert_equal "$output" "$(selfattn run "$T/lf.csv")"
    assert_equal "$(jq -c .tokens <<< "$output")" '["x","y"]'
}

@test "JSON: a byte order mark is skipped" {
    printf '\357\273\277[[1, 0, 1, 0], [0, 2, 0, 2], [1, 1, 1, 1]]' > "$T/bom.json"
    run --separate-stderr selfattn run "$T/bom.json"
    assert_success
    assert_equal "$output" "$(selfattn run plain.json)"
    run --separate-stderr selfattn run - < "$T/bom.json"
    assert_success
    assert_equal "$output" "$(selfattn run plain.json)"
}

@test "CSV: numbers without labels, no trailing newline" {
    printf '1,0,1,0\n0,2,0,2\n1,1,1,1' > "$T/in.csv"
    run --separate-stderr selfattn run "$T/in.csv"
    assert_success
    assert_equal "$output" "$(selfattn run plain.json)"
}

@test "CSV: a pandas-style header with an empty first field is a header, not a row" {
    # DataFrame.to_csv() writes ",0,1" above rows labelled by their index
    printf ',0,1\n0,1,0\n1,0,1\n' > "$T/pandas.csv"
    run --separate-stderr selfattn run "$T/pandas.csv"
    assert_success
    assert_equal "$(jq -c '[.config.n, .tokens]' <<< "$output")" '[2,["0","1"]]'
}

@test "CSV: tabs or semicolons separate the values when the first line has no comma" {
    printf 'token\ta\tb\nx\t1\t0\ny\t0\t1\n' > "$T/tabs.csv"
    printf 'token;a;b\nx;1;0\ny;0;1\n' > "$T/semicolons.csv"
    printf 'token,a,b\nx,1,0\ny,0,1\n' > "$T/commas.csv"
    local want
    want=$(selfattn run "$T/commas.csv")
    run --separate-stderr selfattn run "$T/tabs.csv"
    assert_success
    assert_equal "$output" "$want"
    run --separate-stderr selfattn run - < "$T/semicolons.csv"
    assert_success
    assert_equal "$output" "$want"
    # a mask separated by tabs too
    printf '1\t0\n1\t1\n' > "$T/mask.tsv"
    run --separate-stderr selfattn run --mask "$T/mask.tsv" -p weights "$T/tabs.csv"
    assert_success
    assert_equal "$(jq -c '.weights[0][0]' <<< "$output")" '[1,0]'
}

@test "CSV: pandas' to_csv(index=False) header 0,1,... is a header, unless a comment comes first" {
    printf '0,1,2,3\n1,0,1,0\n0,2,0,2\n1,1,1,1\n' > "$T/noindex.csv"
    run --separate-stderr selfattn run "$T/noindex.csv"
    assert_success
    assert_equal "$output" "$(selfattn run plain.json)"
    # a first row that really is 0,1,2,3: a comment line first keeps it
    printf '# rows\n0,1,2,3\n1,0,1,0\n' > "$T/data.csv"
    run --separate-stderr selfattn run "$T/data.csv"
    assert_success
    assert_equal "$(jq -c .config.n <<< "$output")" 2
    # without a line of numbers after it, 0,1,2,3 is data
    printf '0,1,2,3\n' > "$T/one.csv"
    run --separate-stderr selfattn run "$T/one.csv"
    assert_success
    assert_equal "$(jq -c .config.n <<< "$output")" 1
}

@test "JSON: keys starting with _ are comments; a batch line's keys are refused in an input file" {
    printf '{"_comment": "three tokens", "embeddings": [[1, 0, 1, 0], [0, 2, 0, 2], [1, 1, 1, 1]], "_": [1]}' > "$T/commented.json"
    run --separate-stderr selfattn run "$T/commented.json"
    assert_success
    assert_equal "$output" "$(selfattn run plain.json)"
    run --separate-stderr selfattn run - <<< '{"id": 1, "embeddings": [[1, 0]]}'
    assert_error 65 'selfattn: <stdin>:1:2: unknown key "id" in the input object (accepted: tokens, embeddings): "id" is a key of batch lines'
}

@test "JSON: a trailing comma is shown at the comma, in the same words for a small and a large text" {
    run --separate-stderr selfattn run - <<< '[[1, 2], [3, 4],]'
    assert_error 65 "selfattn: <stdin>:1:16: invalid JSON near ',]': a trailing comma before ']'"
    # past 16 KiB the scanner words it, not cJSON
    local row
    row="[$(printf '0.125, %.0s' {1..999})0.125]"
    printf '{"embeddings": [%s, %s, %s], }\n' "$row" "$row" "$row" > "$T/large.json"
    [ "$(wc -c < "$T/large.json")" -gt 16384 ]
    run --separate-stderr selfattn run "$T/large.json"
    assert_error 65 "selfattn: $T/large.json:1:21022: invalid JSON near ', }': a trailing comma before '}'"
    printf '{"embeddings": [[1, 2]], }\n' > "$T/small.json"
    run --separate-stderr selfattn run "$T/small.json"
    assert_error 65 "selfattn: $T/small.json:1:24: invalid JSON near ', }': a trailing comma before '}'"
}

@test "embeddings given as -w and weights given as the input say which they hold" {
    run --separate-stderr selfattn run -w plain.json plain.json
    assert_error 65 "selfattn: plain.json: holds embeddings (an array of rows), not weights: give it as the INPUT, and weights with -w (see selfattn init)"
    run --separate-stderr selfattn run classic.weights.json
    assert_error 65 'selfattn: classic.weights.json: holds weights (an object with "Wq"), not embeddings: give it with -w, and the embeddings as the INPUT'
}

@test "the format comes from the extension before the content" {
    cp plain.csv "$T/matrix.json"
    run --separate-stderr selfattn run "$T/matrix.json"
    assert_error 65 "selfattn: $T/matrix.json:1:2: invalid JSON near ',0,1,0'"
}

@test "malformed JSON on stdin is named <stdin>" {
    run --separate-stderr selfattn run - <<< '[[1, 2], [3, 4]]]'
    assert_error 65 "selfattn: <stdin>:1:17: invalid JSON near ']'"
}

# ---- float32 round trips ----------------------------------------------

@test "numbers round-trip float32: the printed output read back gives the same bits" {
    # identity projections make V equal to the input, bit for bit
    printf '{"Wq": [[1,0,0,0],[0,1,0,0],[0,0,1,0],[0,0,0,1]], "Wk": [[1,0,0,0],[0,1,0,0],[0,0,1,0],[0,0,0,1]], "Wv": [[1,0,0,0],[0,1,0,0],[0,0,1,0],[0,0,0,1]]}' > "$T/id.json"
    selfattn run --seed 11 sentence.csv | jq '.output | map(.[0:4])' > "$T/x.json"
    run --separate-stderr selfattn run -p steps -w "$T/id.json" "$T/x.json"
    assert_success
    assert_equal "$(jq -c '.steps.V[0]' <<< "$output")" "$(jq -c . "$T/x.json")"
    # and the text is the same, not just the values
    assert_equal "$(sed -n '/"V"/,/]$/p' <<< "$output" | grep -o '\[[^][]*\]' | tr -d ' ')" \
                 "$(selfattn run --seed 11 sentence.csv | jq -c '.output[] | .[0:4]' | tr -d ' ')"
}

@test "numbers round-trip float32: a second run on the first run's JSON output is exact" {
    selfattn run -p output --seed 4 sentence.csv | jq .output > "$T/x.json"
    selfattn run -f csv -p output --seed 4 sentence.csv > "$T/x.csv"
    selfattn run --seed 5 "$T/x.json" > "$T/from_json"
    selfattn run --seed 5 "$T/x.csv" > "$T/from_csv"
    assert_same_file "$T/from_json" "$T/from_csv"
}
