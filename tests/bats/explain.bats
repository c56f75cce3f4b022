#!/usr/bin/env bats
# explain.bats — `selfattn explain`: the classic example's walk with the
# numbers of the README, what --row and --head choose, the options in use
# told (and only those), the refusal of inputs too large to narrate, and
# the width of the text.  Its usage errors are in tests/bad/catalogue.tsv.

load ../helpers

# assert_prose TEXT: the last output, its lines joined by spaces, has TEXT
# (paragraphs are wrapped to the width).
assert_prose() {
    local joined="${output//$'\n'/ }"
    [[ $joined == *"$1"* ]] || fail "the text does not say: $1"
}

# refute_prose TEXT: ... and has not.
refute_prose() {
    local joined="${output//$'\n'/ }"
    [[ $joined != *"$1"* ]] || fail "the text says: $1"
}

# max_width: the widest line of standard input, in code points.
max_width() {
    /usr/bin/python3 -c 'import sys; print(max(len(l.rstrip("\n")) for l in sys.stdin.buffer.read().decode().splitlines()))'
}

@test "explain: the classic walk has the README's numbers, in the order a tutorial teaches" {
    run --separate-stderr selfattn explain "${CLASSIC[@]}"
    assert_success
    assert_equal "$stderr" ""
    # X and the weights, then Q, K, V, the raw scores, the scale, the softmax
    run grep -E '^[0-9]+\. ' <<< "$output"
    assert_output "$(printf '%s\n' '1. THE INPUT X' '2. THE WEIGHTS' \
        '3. QUERIES, KEYS AND VALUES' '4. RAW SCORES: QUERY·KEY' '5. THE SCALE' \
        '6. THE SOFTMAX OF ROW 0' '7. THE WEIGHTS' "8. THE HEAD'S OUTPUT" \
        '9. CONCATENATION AND OUTPUT')"
    run selfattn explain "${CLASSIC[@]}"
    assert_line "  x1  1.0000  0.0000  1.0000  0.0000"          # X
    assert_line "  x1  2.0000   4.0000   4.0000"                # raw scores of x1
    assert_line "s[0][1] = q0·k1 = 1×4 + 0×4 + 2×0 = 4.0000"   # one cell in full
    assert_line "scores = raw_scores × scale, with scale = 1.0000 (--scale; the default is"
    assert_line "  x1   2.0000      -2.0000  0.1353  0.0634"     # score, - max, exp, weight
    assert_line "rowsum = 0.1353 + 1 + 1 = 2.1353 (max = 4.0000)"
    assert_line "weight = exp / rowsum: w[0][1] = 1.0000 / 2.1353 = 0.4683"
    assert_line "  x1  0.0634  0.4683  0.4683"                  # the weights
    assert_line "  x2  0.0000  0.9820  0.0180"
    assert_line "  x3  0.0003  0.8805  0.1192"
    assert_line "  x1  1.9366  6.6831  1.5951"                  # head output, output
    assert_line "O[0][0] = w0·V[:,0] = 0.0634×1 + 0.4683×2 + 0.4683×2 = 1.9366"
    assert_prose "Why scale: q·k adds d_head products"
    assert_prose "The row's maximum is subtracted first"
    assert_prose "No positions are used"
    refute_output --partial "hides"   # no mask, no causal: none told
}

@test "explain --row I works query row I in full, from 0" {
    run selfattn explain --row 2 "${CLASSIC[@]}"
    assert_success
    assert_line "6. THE SOFTMAX OF ROW 2"
    assert_line "s[2][1] = q2·k1 = 2×4 + 1×4 + 3×0 = 12.0000"
    assert_line "Q[2][0] = x2·Wq[:,0] = 1×1 + 1×1 + 1×0 + 1×0 = 2.0000"
    assert_line "weight = exp / rowsum: w[2][1] = 1.0000 / 1.1357 = 0.8805"
}

@test "explain --head H works head H, its columns named; several heads explained" {
    run selfattn explain -H 2 --seed 3 --head 2 classic.json
    assert_success
    assert_prose "head 1 columns 0 to 1, head 2 columns 2 to 3"
    assert_prose "Why several heads"
    assert_line --regexp '^raw_scores, head 2 \(3 × 3\)$'
    assert_line --regexp '^Q\[0\]\[2\] = x0·Wq\[:,2\] = '
    assert_line --regexp '^concat \(3 × 4\)$'
    assert_prose "The 2 heads' outputs side by side make concat"
    # the worked head's numbers are run's: its weights, row x1
    local want shown
    want="$(selfattn run -H 2 --seed 3 -p weights --head 2 classic.json |
            jq -r '.weights[0][0][]' | xargs printf '%.4f ')"
    shown="$(sed -n '/^weights, head 2/,/^$/p' <<< "$output" |
             awk '$1 == "x1" && $2 ~ /^-?[0-9]/ {print $2, $3, $4}')"
    assert_equal "$shown" "${want% }"
}

@test "explain tells the masks, positions and terms in use, and why" {
    run selfattn explain --causal "${CLASSIC[@]}"
    assert_prose "--causal hides every key after the query (j > i)"
    assert_prose "Why a hidden key's score becomes −inf"
    assert_line "  x1  2.0000     -inf     -inf"
    assert_line "  x1  1.0000  0.0000  0.0000"
    run selfattn explain --mask mask.json classic.json
    assert_success
    assert_prose "--mask mask.json hides the keys its 0s mark."
    run selfattn explain --window 1 --alibi --softcap 5 --pos sinusoidal classic.json
    assert_success
    assert_prose "--window 1 hides the keys more than 1 places"
    assert_prose "--alibi adds −m·|i − j| with this head's slope m = 0.0039"
    assert_prose "--softcap 5: each score s becomes C·tanh(s/C)"
    assert_prose "--pos sinusoidal first adds a vector PE"
    assert_line --regexp '^X \+ PE \(3 × 4\)$'
    assert_line --regexp '^  softcap: C·tanh\(s/C\) = '
    assert_line --regexp '^  ALiBi: −0.0039 × [0-9]+ gives '
    run selfattn explain --rope -H 2 classic.json
    assert_prose "--rope then rotates each pair of columns (2t and 2t+1)"
    refute_prose "No positions are used"
}

@test "explain: a row that sees no key is told, not divided by zero" {
    printf '[[1,1,1],[0,0,0],[1,1,1]]' > "$T/mask.json"
    run selfattn explain --mask "$T/mask.json" --row 1 "${CLASSIC[@]}"
    assert_success
    assert_prose "Row 1 sees no key: every score is −inf"
    assert_line "  x2  0.0000  0.0000  0.0000"
}

@test "explain refuses inputs too large to narrate, pointing at run" {
    /usr/bin/python3 -c 'import json; print(json.dumps([[i, 1.0] for i in range(17)]))' > "$T/tall.json"
    run --separate-stderr selfattn explain "$T/tall.json"
    assert_error 64 "selfattn: explain narrates small inputs: n (the input's rows) is 17, more than 16; selfattn run -p steps -f table prints every step of any size"
    /usr/bin/python3 -c 'import json; print(json.dumps([[1.0] * 17] * 2))' > "$T/wide.json"
    run --separate-stderr selfattn explain "$T/wide.json"
    assert_error 64 "selfattn: explain narrates small inputs: d (the input's width) is 17, more than 16; selfattn run -p steps -f table prints every step of any size"
    run --separate-stderr selfattn explain --d-head 17 classic.json
    assert_error 64 "selfattn: explain narrates small inputs: H*dh (the columns of Wq) is 17, more than 16; selfattn run -p steps -f table prints every step of any size"
    # 16 is told
    /usr/bin/python3 -c 'import json; print(json.dumps([[(i * j) % 5 - 2.0 for j in range(16)] for i in range(16)]))' > "$T/square.json"
    run selfattn explain "$T/square.json"
    assert_success
}

@test "explain fits the width: COLUMNS, else 80 in a pipe; matrices cut into columns" {
    /usr/bin/python3 -c 'import json; print(json.dumps([[(i * j) % 5 - 2.0 for j in range(16)] for i in range(4)]))' > "$T/wide.json"
    run bash -c 'unset COLUMNS; "$1" explain "$2" | '"$(declare -f max_width | sed -n '3p')" bash "$SELFATTN" "$T/wide.json"
    assert_success
    assert [ "$output" -le 80 ]
    assert [ "$output" -ge 70 ]
    run env COLUMNS=50 "$SELFATTN" explain "$T/wide.json"
    assert_success
    assert_output --partial "  columns 0 to "
    assert [ "$(max_width <<< "$output")" -le 50 ]
    run env COLUMNS=160 "$SELFATTN" explain "$T/wide.json"
    assert [ "$(max_width <<< "$output")" -gt 100 ]
    refute_output --partial "  columns 0 to "
}

@test "explain: no colour in a pipe; bold headings with --color always" {
    run selfattn explain classic.json
    refute_output --partial $'\e['
    run selfattn explain --color always classic.json
    assert_output --partial $'\e[1m1. THE INPUT X\e[0m'
}

@test "explain --help lists its options; the manual explains why" {
    run selfattn explain --help
    assert_success
    assert_output --partial "Usage: selfattn explain [OPTIONS] INPUT"
    assert_output --partial "--row I"
    assert_output --partial "--head H"
    run grep -c '^\.SH THE COMPUTATION, EXPLAINED' "$REPO_ROOT/man/selfattn.1"
    assert_output 1
}
