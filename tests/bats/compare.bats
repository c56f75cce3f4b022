#!/usr/bin/env bats
# Comparing runs: `plot` of several results (svg, heatmap, html) on one
# colour scale, `run --sweep` in every format (each value's run is the run
# with that option, within jsoncmp's tolerance), and the trained heads of
# data/ meeting their rules (data/README.md), checked with tolerance-free
# inequalities on the tool's own output.  The usage errors are cases of
# tests/bad/catalogue.tsv.

load ../helpers

SENTENCE="$REPO_ROOT/data/sentence.json"   # 6 tokens: the cat sat on the mat
DATA="$REPO_ROOT/data"

need() {
    command -v "$1" >/dev/null || skip "$1 is not installed"
}

# panel_titles SVG: the bold title of every panel, in drawing order.
panel_titles() {
    sed -n 's/.*font-weight="bold">\([^<]*\)<\/text>/\1/p' "$1"
}

# legend_top SVG: the number at the top of the colour legend.
legend_top() {
    sed -n 's/^<text x="22" y="8">\(.*\)<\/text>$/\1/p' "$1"
}

# sig3 NUMBER: NUMBER to 3 significant digits, as the legends print it.
sig3() {
    printf '%g' "$(printf '%.3g' "$1")"
}

# two_scales: results of the sentence at --scale 0.125 and 2 in $T.
two_scales() {
    selfattn run --causal -p weights --scale 0.125 "$SENTENCE" > "$T/low.json"
    selfattn run --causal -p weights --scale 2 "$SENTENCE" > "$T/high.json"
}

# ---- plot of several results ---------------------------------------------

@test "plot of two results draws both, titled with their files, on one scale" {
    need xmllint
    two_scales
    cd "$T"
    run selfattn plot -o both.svg low.json high.json
    assert_success
    xmllint --noout both.svg
    run panel_titles both.svg
    assert_output "low.json (6 × 6)
high.json (6 × 6)"
    # one scale: the legend has one colour bar, and the same value has the
    # same colour in both panels (the first query's weight 1 in each)
    assert_equal "$(grep -c 'fill="url(#scale)"' both.svg)" 1
    run grep -o 'fill="#[0-9a-f]*"><title>the (0) → the (0): 1</title>' both.svg
    assert_equal "${#lines[@]}" 2
    assert_equal "${lines[0]}" "${lines[1]}"
    # cells a query below 0.5 times the top are dark in both: the scale is
    # from 0 to the largest weight of both files
    local top
    top="$(jq -s '[.[].weights[][][] | select(. != null)] | max' low.json high.json)"
    assert_equal "$(legend_top both.svg)" "$(sig3 "$top")"
    assert_equal "$(grep -c '</title></rect>$' both.svg)" 72
}

@test "plot of two results: the same cell has the same colour in both panels when equal" {
    two_scales
    cd "$T"
    selfattn plot -o twice.svg low.json low.json
    # the same result twice: each panel's cells are the other's, colour for colour
    grep -o 'fill="#[0-9a-f]*"><title>' twice.svg > fills
    assert_equal "$(wc -l < fills)" 42
    assert_equal "$(head -21 fills)" "$(tail -21 fills)"
}

@test "plot --labels titles the files' panels, and --vmin/--vmax still fix the scale" {
    two_scales
    cd "$T"
    run selfattn plot --labels 'scale 1/8,scale 2' --vmin 0 --vmax 0.5 -o l.svg low.json high.json
    assert_success
    run panel_titles l.svg
    assert_output "scale 1/8 (6 × 6)
scale 2 (6 × 6)"
    assert_equal "$(legend_top l.svg)" "≥ 0.5"
}

@test "plot of results with several heads: a row per file, each panel titled file and head" {
    selfattn run -H 2 -p weights "$SENTENCE" > "$T/a.json"
    selfattn run -H 2 --seed 1 -p weights "$SENTENCE" > "$T/b.json"
    cd "$T"
    selfattn plot -o ab.svg --labels A,B a.json b.json
    run panel_titles ab.svg
    assert_output "A, head 1 (6 × 6)
A, head 2 (6 × 6)
B, head 1 (6 × 6)
B, head 2 (6 × 6)"
    # B's panels start the second row: below A's
    run grep -c '<g transform="translate(0.0,' ab.svg
    assert_output 2
    run selfattn plot --head 2 -o b2.svg --labels A,B a.json b.json
    run panel_titles b2.svg
    assert_output "A (6 × 6)
B (6 × 6)"
}

@test "plot of results of different sizes draws each with its own tokens" {
    selfattn run -w "$DATA/prev-token.weights.json" -p weights "$DATA/prev-token.json" > "$T/p.json"
    selfattn run -w "$DATA/induction.weights.json" -p weights "$DATA/induction.json" > "$T/i.json"
    cd "$T"
    run selfattn plot -f heatmap --color never p.json i.json
    assert_success
    assert_line "weights, p.json (6 × 6)"
    assert_line "weights, i.json (10 × 10)"
    assert_line "keys: 0 the 1 cat 2 sat 3 on 4 the 5 mat"
    assert_line "keys: 0 cat 1 sat 2 on 3 a 4 mat 5 cat 6 sat 7 on 8 a 9 mat"
    assert_line --regexp '^scale: 0 .* 1; '
    # one scale line for both
    assert_equal "$(grep -c '^scale:' <<< "$output")" 1
    selfattn plot -o pi.svg p.json i.json
    assert_equal "$(grep -c '</title></rect>$' pi.svg)" 136
    grep -q '<title>mat (9) → cat (5): ' pi.svg
}

@test "plot of one result in the terminal is as before: one keys line after the panels" {
    selfattn run -H 2 -p weights "$SENTENCE" > "$T/a.json"
    run selfattn plot -f heatmap --color never "$T/a.json"
    assert_success
    assert_equal "$(grep -c '^keys:' <<< "$output")" 1
    assert_equal "${lines[-2]}" "keys: 0 the 1 cat 2 sat 3 on 4 the 5 mat"
}

@test "plot -f html of several results names its layers with --labels" {
    two_scales
    cd "$T"
    selfattn plot -f html --labels low,high -o p.html low.json high.json
    grep -q '"names": \["low", "high"\]' p.html
    assert_equal "$(grep -c 'class="selfattn-data" data-layer=' p.html)" 2
}

# ---- run --sweep ------------------------------------------------------------

@test "run --sweep scale prints a JSON array: each document is the run with that --scale" {
    selfattn run --causal -p weights,output --sweep scale=0.125,0.5,1,2 "$SENTENCE" > "$T/sweep.json"
    assert_equal "$(jq length "$T/sweep.json")" 4
    assert_equal "$(jq -c '[.[].config.scale]' "$T/sweep.json")" "[0.125,0.5,1,2]"
    local k=0
    for s in 0.125 0.5 1 2; do
        selfattn run --causal -p weights,output --scale "$s" "$SENTENCE" > "$T/one.json"
        jq ".[$k]" "$T/sweep.json" > "$T/got.json"
        run jsoncmp "$T/got.json" "$T/one.json"
        assert_success
        k=$((k + 1))
    done
}

@test "run --sweep heads, softcap and window: each document is the run with that option" {
    local param option values
    for param in heads softcap window; do
        case $param in
            heads) option=-H values="1 2 4" ;;
            softcap) option=--softcap values="0.5 2" ;;
            window) option=--window values="0 1 3" ;;
        esac
        selfattn run -p weights,output --sweep "$param=${values// /,}" "$SENTENCE" > "$T/sweep.json"
        local k=0
        for v in $values; do
            selfattn run -p weights,output "$option" "$v" "$SENTENCE" > "$T/one.json"
            jq ".[$k]" "$T/sweep.json" > "$T/got.json"
            run jsoncmp "$T/got.json" "$T/one.json"
            assert_success
            k=$((k + 1))
        done
    done
}

@test "run --sweep overrides the weights file's setting, and keeps its others" {
    run selfattn run -w "$DATA/prev-token.weights.json" -p weights --sweep heads=1,2 "$DATA/prev-token.json"
    assert_success
    assert_equal "$(jq -c '[.[].config | [.heads, .causal, .from_weights]]' <<< "$output")" \
        '[[1,true,{"causal":"config"}],[2,true,{"causal":"config"}]]'
}

@test "run --sweep -f table and csv: a block per value under its title" {
    run selfattn run -p weights -f table --sweep window=0,1 "$SENTENCE"
    assert_success
    assert_equal "${lines[0]}" "window = 0"
    assert_line "window = 1"
    selfattn run -p weights -f table --sweep window=0,1 "$SENTENCE" > "$T/sweep.txt"
    selfattn run -p weights -f table --window 1 "$SENTENCE" > "$T/one.txt"
    sed -n '/^window = 1$/,$p' "$T/sweep.txt" | tail -n +3 > "$T/got.txt"
    run numcmp "$T/got.txt" "$T/one.txt"
    assert_success
    selfattn run -p weights -f csv --sweep softcap=1,2 "$SENTENCE" > "$T/sweep.csv"
    assert_equal "$(grep -c '^# softcap = ' "$T/sweep.csv")" 2
    selfattn run -p weights -f csv --softcap 2 "$SENTENCE" > "$T/one.csv"
    sed -n '/^# softcap = 2$/,$p' "$T/sweep.csv" | tail -n +2 > "$T/got.csv"
    run numcmp "$T/got.csv" "$T/one.csv"
    assert_success
}

@test "run --sweep -f npz: each array named after its value, as the run with that value" {
    need /usr/bin/python3
    selfattn run -H 2 -p weights,output --average-heads --sweep scale=0.5,2 -f npz -o "$T/s.npz" "$SENTENCE"
    selfattn run -H 2 -p weights,output --average-heads --scale 2 -f npz -o "$T/one.npz" "$SENTENCE"
    run /usr/bin/python3 -c '
import sys, numpy as np
s, one = np.load(sys.argv[1]), np.load(sys.argv[2])
print(" ".join(sorted(s.files)))
for k in one.files:
    assert np.allclose(s["scale=2/" + k], one[k], rtol=1e-5, atol=1e-6), k
' "$T/s.npz" "$T/one.npz"
    assert_success
    assert_output "scale=0.5/average_weights scale=0.5/output scale=0.5/weights scale=2/average_weights scale=2/output scale=2/weights"
}

@test "run --sweep -f svg: the values' panels on one scale, titled by the value" {
    need xmllint
    selfattn run --causal --sweep scale=0.125,0.5,1,2 -f svg -o "$T/s.svg" "$SENTENCE"
    xmllint --noout "$T/s.svg"
    run panel_titles "$T/s.svg"
    assert_output "scale = 0.125 (6 × 6)
scale = 0.5 (6 × 6)
scale = 1 (6 × 6)
scale = 2 (6 × 6)"
    # one legend, from the largest weight of every run
    assert_equal "$(grep -c 'fill="url(#scale)"' "$T/s.svg")" 1
    selfattn run --causal -p weights --sweep scale=0.125,0.5,1,2 "$SENTENCE" > "$T/s.json"
    assert_equal "$(legend_top "$T/s.svg")" "$(sig3 "$(jq '[.[].weights[][][]] | max' "$T/s.json")")"
}

@test "run --sweep heads -f svg: a row per value, each head titled" {
    selfattn run --sweep heads=1,2 -f svg -o "$T/h.svg" "$SENTENCE"
    run panel_titles "$T/h.svg"
    assert_output "heads = 1 (6 × 6)
heads = 2, head 1 (6 × 6)
heads = 2, head 2 (6 × 6)"
    run selfattn run --sweep heads=2,4 --average-heads -f heatmap --color never "$SENTENCE"
    assert_success
    assert_line "weights, heads = 2, average of 2 heads (6 × 6)"
    assert_line "weights, heads = 4, average of 4 heads (6 × 6)"
    run selfattn run --sweep heads=2,4 --head 2 -f heatmap --color never "$SENTENCE"
    assert_line "weights, heads = 2, head 2 (6 × 6)"
    assert_line "weights, heads = 4, head 2 (6 × 6)"
}

@test "run --sweep window -f heatmap masks each panel by its own window" {
    run selfattn run --sweep window=0,5 -f heatmap --color never "$SENTENCE"
    assert_success
    assert_line "weights, window = 0 (6 × 6)"
    assert_line "weights, window = 5 (6 × 6)"
    # window 0: 30 masked cells of 36; window 5: none
    local first second
    first="$(sed -n '/window = 0/,/window = 5/p' <<< "$output" | grep -o '··' | wc -l)"
    second="$(sed -n '/window = 5/,$p' <<< "$output" | grep -v '^scale' | { grep -o '··' || true; } | wc -l)"
    assert_equal "$first" 30
    assert_equal "$second" 0
}

@test "run --sweep -f html: a layer per value, named by it" {
    selfattn run --sweep softcap=1,5 -f html -o "$T/p.html" "$SENTENCE"
    grep -q '"names": \["softcap = 1", "softcap = 5"\]' "$T/p.html"
    assert_equal "$(grep -c 'class="selfattn-data" data-layer=' "$T/p.html")" 2
}

@test "run --sweep with a failing value writes nothing, and names the value" {
    run --separate-stderr selfattn run --sweep heads=2,3 -o "$T/x.json" "$SENTENCE"
    assert_usage_error "with heads = 3: --heads 3 does not divide d_model 8: use 1, 2, 4 or 8, or set --d-head"
    assert [ ! -e "$T/x.json" ]
    assert_no_temp_files "$T"
}

# ---- the trained heads of data/ --------------------------------------------

# weights_of NAME [WEIGHTS]: the weights of data/NAME.json with
# data/NAME.weights.json (or WEIGHTS; "random": generated, causal).
weights_of() {
    if [[ ${2:-} == random ]]; then
        selfattn run --causal -p weights "$DATA/$1.json"
    else
        selfattn run -w "$DATA/${2:-$1}.weights.json" -p weights "$DATA/$1.json"
    fi
}

# The rules, as jq programs over a result: true when some head meets it.
PREV_RULE='any(.weights[]; . as $w | all(range(1; length); $w[.][. - 1] >= 0.5))'
SAME_RULE='any(.weights[]; . as $w | all(range(0; length); $w[.][.] >= 0.5))'
# for each query i whose token occurred before, at p (the last such p < i),
# the weight on key p + 1; at least one such query
INDUCTION_RULE='.tokens as $t
  | [range(0; $t | length) as $i
     | [range(0; $i) | select($t[.] == $t[$i])] | select(length > 0)
     | {i: $i, key: (last + 1)}] as $cells
  | ($cells | length) > 0
    and any(.weights[]; . as $w | all($cells[]; $w[.i][.key] >= 0.5))'

@test "the previous-token head: every token after the first puts >= 0.5 on the one before" {
    weights_of prev-token > "$T/r.json"
    assert_equal "$(jq "$PREV_RULE" "$T/r.json")" true
}

@test "the same-token head: every token puts >= 0.5 on itself" {
    weights_of same-token > "$T/r.json"
    assert_equal "$(jq "$SAME_RULE" "$T/r.json")" true
}

@test "the induction head: a repeated token puts >= 0.5 on the token after its earlier occurrence" {
    weights_of induction > "$T/r.json"
    assert_equal "$(jq "$INDUCTION_RULE" "$T/r.json")" true
    # the rule looks at the five queries of the repeat
    assert_equal "$(jq '.tokens as $t | [range(0; $t | length) as $i | select([range(0; $i) | select($t[.] == $t[$i])] | length > 0)] | length' "$T/r.json")" 5
}

@test "random weights meet none of the rules, and no head meets another head's" {
    weights_of prev-token random > "$T/random.json"
    assert_equal "$(jq "$PREV_RULE" "$T/random.json")" false
    assert_equal "$(jq "$SAME_RULE" "$T/random.json")" false
    selfattn run --causal -p weights "$DATA/induction.json" > "$T/random-i.json"
    assert_equal "$(jq "$INDUCTION_RULE" "$T/random-i.json")" false
    weights_of prev-token same-token > "$T/same-on-prev.json"
    assert_equal "$(jq "$PREV_RULE" "$T/same-on-prev.json")" false
    weights_of prev-token > "$T/prev.json"
    assert_equal "$(jq "$SAME_RULE" "$T/prev.json")" false
}
