#!/usr/bin/env bats
# Pictures: `run -f svg` and `plot` (self-contained SVG heatmaps), the
# terminal heatmap (`-f heatmap`), and when colour is used (--color,
# NO_COLOR, TERM, a terminal).  Their usage errors and the results plot
# refuses are cases of tests/bad/catalogue.tsv.
#
# Needs xmllint (libxml2-utils), rsvg-convert (librsvg2-bin), script
# (util-linux) and python3; a test whose tool is missing is skipped.

load ../helpers

SENTENCE="$REPO_ROOT/data/sentence.json"   # 6 tokens: the cat sat on the mat
PICTURES="$FIXTURES/pictures"

# The heat map's colours are 24-bit only when COLORTERM says so: the tests
# set it where they need it, whatever the terminal running them says.
unset COLORTERM

# need TOOL: skip the test when TOOL is not installed.
need() {
    command -v "$1" >/dev/null || skip "$1 is not installed"
}

# cell_titles SVG: the tooltip of every cell, one a line, in drawing order.
cell_titles() {
    grep -o '<title>[^<]*</title></rect>' "$1" | sed 's/<title>//; s/<\/title><\/rect>//'
}

# masked_per_panel SVG: for each panel (<g> with cells), the number of its
# cells filled with the hatched pattern.
masked_per_panel() {
    awk '/^<g transform="translate\(/ { cells = 0; n = 0 }
         /<\/title><\/rect>$/ { cells++ }
         /fill="url\(#masked\)"><title>/ { n++ }
         /^<\/g>$/ && cells { print n }' "$1"
}

# sig3 NUMBER: NUMBER to 3 significant digits, as the legends print it.
sig3() {
    printf '%g' "$(printf '%.3g' "$1")"
}

# legend SVG: the numbers of the legend, top, middle and bottom, one a line.
legend() {
    sed -n 's/^<text x="22" y="\(8\|104\|200\)">\([^<]*\)<\/text>$/\2/p' "$1"
}

# svg_attr SVG NAME: the value of attribute NAME of the root <svg>.
svg_attr() {
    sed -n 's/^<svg .* '"$2"'="\([^"]*\)".*/\1/p' "$1"
}

# on_pty [NAME=VALUE ...] -- ARGS: selfattn ARGS on a pseudo-terminal
# (script(1)), with TERM=xterm, NO_COLOR and COLORTERM unset unless given.  Its lines
# end in \r\n.
on_pty() {
    local vars=() cmd
    while [[ $1 != -- ]]; do vars+=("$1"); shift; done
    shift
    printf -v cmd '%q ' "$SELFATTN" "$@"
    env -u NO_COLOR -u COLORTERM TERM=xterm SHELL=/bin/bash "${vars[@]}" \
        script -qec "$cmd" /dev/null </dev/null
}

ESC=$'\e'

# ---- run -f svg -------------------------------------------------------------

@test "run -f svg -o FILE writes valid SVG with a viewBox, one panel per head" {
    need xmllint
    run --separate-stderr selfattn run -H 4 -f svg -o "$T/a.svg" "$SENTENCE"
    assert_success
    assert_output ""
    assert_equal "$stderr" ""
    assert_no_temp_files "$T"
    run xmllint --noout "$T/a.svg"
    assert_success
    run sed -n 2p "$T/a.svg"
    assert_output --regexp '^<svg xmlns="http://www.w3.org/2000/svg" '
    local w h
    w="$(svg_attr "$T/a.svg" width)" h="$(svg_attr "$T/a.svg" height)"
    [[ $w =~ ^[0-9]+$ && $h =~ ^[0-9]+$ ]]
    assert_equal "$(svg_attr "$T/a.svg" viewBox)" "0 0 $w $h"
    run grep -o 'font-weight="bold">head [0-9]* ([0-9]* × [0-9]*)' "$T/a.svg"
    assert_output 'font-weight="bold">head 1 (6 × 6)
font-weight="bold">head 2 (6 × 6)
font-weight="bold">head 3 (6 × 6)
font-weight="bold">head 4 (6 × 6)'
}

@test "run -f svg --print weights draws the same as -f svg alone" {
    selfattn run -H 2 -f svg -o "$T/default.svg" "$SENTENCE"
    selfattn run -H 2 -f svg --print weights -o "$T/weights.svg" "$SENTENCE"
    assert_same_file "$T/default.svg" "$T/weights.svg"
}

@test "run -f svg without -o writes the SVG to standard output" {
    selfattn run -H 2 -f svg -o "$T/file.svg" "$SENTENCE"
    selfattn run -H 2 -f svg "$SENTENCE" >"$T/stdout.svg"
    assert_same_file "$T/file.svg" "$T/stdout.svg"
}

@test "run -f svg --average-heads draws one panel: average of N heads" {
    selfattn run -H 4 --average-heads -f svg -o "$T/a.svg" "$SENTENCE"
    run grep -c 'font-weight="bold"' "$T/a.svg"
    assert_output 1
    run grep -o 'font-weight="bold">[^<]*<' "$T/a.svg"
    assert_output 'font-weight="bold">average of 4 heads (6 × 6)<'
    run cell_titles "$T/a.svg"
    assert_equal "${#lines[@]}" 36
}

@test "every cell is a <rect> whose <title> holds its exact value (H x n x m cells)" {
    selfattn run -H 2 -p weights "$SENTENCE" >"$T/w.json"
    selfattn run -H 2 -f svg -o "$T/a.svg" "$SENTENCE"
    run cell_titles "$T/a.svg"
    assert_equal "${#lines[@]}" 72
    # head 2, query 2 ("sat"), key 3 ("on"): the 36 + 2*6 + 3 = 51st cell
    local value
    value="$(jq '.weights[1][2][3]' "$T/w.json")"
    assert_equal "${lines[51]}" "sat (2) → on (3): $value"
    # and every value of the JSON, in order
    run diff <(jq -r '.weights[][][] | tostring' "$T/w.json") \
             <(cell_titles "$T/a.svg" | sed 's/.*: //')
    assert_success
}

@test "tokens are cell and axis labels, XML-escaped" {
    need xmllint
    selfattn run -f svg -o "$T/a.svg" "$PICTURES/tokens.json"
    run xmllint --noout "$T/a.svg"
    assert_success
    # escaped in the file: a row label, a column label and 5 cell titles
    run grep -c '&lt;b&gt;&amp;&quot;x&apos;' "$T/a.svg"
    assert_output 7
    run grep -c '>a&lt;c<' "$T/a.svg"
    assert_output 2
    # and read back by an XML parser as the token itself
    run xmllint --xpath 'string((//*[local-name()="text"][@text-anchor="end"])[1])' "$T/a.svg"
    assert_output "<b>&\"x'"
    run xmllint --xpath 'string((//*[local-name()="rect"]/*[local-name()="title"])[2])' "$T/a.svg"
    assert_output --regexp "^<b>&\"x' \(0\) → a<c \(1\): [0-9.e-]+$"
}

@test "--causal: masked cells are hatched, n(n-1)/2 per head" {
    selfattn run -H 2 --causal -f svg -o "$T/a.svg" "$SENTENCE"
    run masked_per_panel "$T/a.svg"
    assert_output $'15\n15'
    run cell_titles "$T/a.svg"
    assert_equal "${lines[1]}" "the (0) → cat (1): masked"
    # the pattern is defined once and used by the cells and the legend
    run grep -c '<pattern id="masked"' "$T/a.svg"
    assert_output 1
    run grep -o 'url(#masked)' "$T/a.svg"
    assert_equal "${#lines[@]}" 31
}

@test "--mask: the masked cells are hatched" {
    # mask.json: 3 zeros
    selfattn run --mask mask.json -f svg -o "$T/a.svg" plain.json
    run masked_per_panel "$T/a.svg"
    assert_output 3
}

@test "the legend shows the range: the largest weight and 0, to 3 significant digits" {
    selfattn run -H 2 -p weights "$SENTENCE" >"$T/w.json"
    selfattn run -H 2 -f svg -o "$T/a.svg" "$SENTENCE"
    local max
    max="$(sig3 "$(jq '[.weights[][][]] | max' "$T/w.json")")"
    run sed -n '/^<text y="-10">weights<\/text>$/,/^<\/g>$/p' "$T/a.svg"
    assert_line --index 2 "<text x=\"22\" y=\"8\">$max</text>"
    assert_line --index 4 '<text x="22" y="200">0</text>'
    assert_line '<text x="22" y="232">masked</text>'
}

@test "the SVG is self-contained: no links, imports or remote URLs" {
    selfattn run -H 2 --causal -f svg -o "$T/a.svg" "$SENTENCE"
    run grep -Ei 'href=|@import|url\((http|//|file)|<image|<script' "$T/a.svg"
    assert_failure 1
    # the only url()s are the two local definitions
    run bash -c "grep -o 'url([^)]*)' '$T/a.svg' | sort -u"
    assert_output $'url(#masked)\nurl(#scale)'
}

@test "numbers use '.' even under a German locale" {
    local locpath=""
    if ! locale -a 2>/dev/null | grep -qix 'de_DE\.utf-\?8'; then
        # not installed: build it in the temp dir when the sources are there
        command -v localedef >/dev/null && [ -e /usr/share/i18n/locales/de_DE ] ||
            skip "no de_DE.UTF-8 locale"
        localedef -i de_DE -f UTF-8 "$T/de_DE.UTF-8" >/dev/null 2>&1 || true
        locpath="$T"
    fi
    run env ${locpath:+LOCPATH="$locpath"} LC_ALL=de_DE.UTF-8 locale -k decimal_point
    [ "$output" = 'decimal_point=","' ] || skip "no de_DE.UTF-8 locale"
    selfattn run -H 2 --causal -f svg -o "$T/c.svg" "$SENTENCE"
    env ${locpath:+LOCPATH="$locpath"} LC_ALL=de_DE.UTF-8 \
        "$SELFATTN" run -H 2 --causal -f svg -o "$T/de.svg" "$SENTENCE"
    assert_same_file "$T/c.svg" "$T/de.svg"
    run grep -c '<title>[^<]*: [-0-9.e+]*</title></rect>' "$T/de.svg"
    assert_output 42
    selfattn run --causal -f heatmap "$SENTENCE" >"$T/c.txt"
    env ${locpath:+LOCPATH="$locpath"} LC_ALL=de_DE.UTF-8 \
        "$SELFATTN" run --causal -f heatmap "$SENTENCE" >"$T/de.txt"
    assert_same_file "$T/c.txt" "$T/de.txt"
}

@test "data/sentence-weights.svg is what run -H 2 --causal -f svg draws today (numbers within tolerance)" {
    # the markup is identical; tooltip numbers and colours may differ in
    # their last bits on another CPU (tests/tools/numcmp.py)
    selfattn run -H 2 --causal -f svg -o "$T/a.svg" "$SENTENCE"
    run numcmp "$T/a.svg" "$REPO_ROOT/data/sentence-weights.svg"
    assert_success
}

# ---- rendering --------------------------------------------------------------

@test "rsvg-convert renders it: PNG of the SVG's size, every cell colour present" {
    need rsvg-convert
    selfattn run -H 2 --causal -f svg -o "$T/a.svg" "$SENTENCE"
    run rsvg-convert -f png -o "$T/a.png" "$T/a.svg"
    assert_success
    assert_equal "$stderr" ""
    run /usr/bin/python3 "$PICTURES/png_info.py" "$T/a.png" "$T/colours"
    assert_success
    local w h count
    read -r w h count <<<"$output"
    assert_equal "$w" "$(svg_attr "$T/a.svg" width)"
    assert_equal "$h" "$(svg_attr "$T/a.svg" height)"
    [ "$count" -gt 5 ]
    # the viridis fill of every unmasked cell shows up as a pixel colour
    run comm -23 <(grep -o 'fill="#[0-9a-f]*"><title>' "$T/a.svg" | cut -c7-13 | sort -u) \
                 "$T/colours"
    assert_success
    assert_output ""
    # white background, and the grey of the hatching
    grep -qx '#ffffff' "$T/colours"
    grep -qx '#e6e6e6' "$T/colours"
}

# ---- the legend -------------------------------------------------------------

@test "no text is cut at the right edge: the legend and the titles fit, whatever the numbers" {
    need rsvg-convert
    # the words and numbers of the legend and the panel titles against the
    # width (an estimate per character), then rendered: nothing is drawn
    # past the width when the image is made 300 pixels wider
    selfattn run -H 2 --causal -p weights,steps -o "$T/r.json" "$SENTENCE"
    printf '[[%s]]' "$(seq -s, 1 16)" >"$T/one.json"   # 1 token, d = 16
    selfattn run -H 2 --causal -f svg -o "$T/weights.svg" "$SENTENCE"
    selfattn plot --what scores -o "$T/scores.svg" "$T/r.json"
    selfattn plot --what scores --vmin -0.000123456 --vmax 1.23e-07 -o "$T/clamped.svg" "$T/r.json"
    selfattn plot --what softmax -H 2 --vmin -12345678 -o "$T/big.svg" "$T/r.json"
    selfattn run -H 16 --average-heads -f svg -o "$T/title.svg" "$T/one.json"
    run grep -c '>average of 16 heads (1 × 1)</text>' "$T/title.svg"
    assert_output 1
    run legend "$T/clamped.svg"
    assert_output $'≥ 1.23e-07\n-6.17e-05\n≤ -0.000123'
    local svg width
    for svg in weights scores clamped big title; do
        run /usr/bin/python3 "$PICTURES/svg_fits.py" "$T/$svg.svg"
        assert_success
        assert_line --partial " masked"
        width="$(svg_attr "$T/$svg.svg" width)"
        /usr/bin/python3 "$PICTURES/svg_fits.py" --widen 300 "$T/$svg.svg" "$T/wide-$svg.svg"
        rsvg-convert -f png -o "$T/$svg.png" "$T/wide-$svg.svg"
        run /usr/bin/python3 "$PICTURES/png_info.py" --ink-from "$width" "$T/$svg.png"
        assert_output 0
        # and the check sees ink where there is some: the legend's left part
        run /usr/bin/python3 "$PICTURES/png_info.py" --ink-from $((width - 60)) "$T/$svg.png"
        refute_output 0
    done
}

@test "legend numbers have 3 significant digits; the tooltips keep every digit" {
    selfattn run -H 2 --causal -p steps -o "$T/s.json" "$SENTENCE"
    selfattn plot --what scores -o "$T/s.svg" "$T/s.json"
    local min max
    min="$(jq '[.steps.scores[][][] | numbers] | min' "$T/s.json")"
    max="$(jq '[.steps.scores[][][] | numbers] | max' "$T/s.json")"
    run legend "$T/s.svg"
    assert_line --index 0 "$(sig3 "$max")"
    assert_line --index 2 "$(sig3 "$min")"
    [[ ${lines[1]} =~ ^-?0\.[0-9]{1,3}$|^-?0\.0[0-9]{1,3}$ ]]
    grep -qF ": $min</title></rect>" "$T/s.svg"
    grep -qF ": $max</title></rect>" "$T/s.svg"
    # the terminal's scale line too
    run selfattn plot --what scores -f heatmap --color never "$T/s.json"
    assert_success
    assert_equal "${lines[-1]}" "scale: $(sig3 "$min")     ░░▒▒▒▒▒▒▓▓████ $(sig3 "$max"); ·· masked"
}

# ---- plot --------------------------------------------------------------------

@test "plot - reads run's JSON from a pipe and draws what run -f svg draws" {
    run bash -c "'$SELFATTN' run -H 2 --causal '$SENTENCE' --print weights |
                 '$SELFATTN' plot - -o '$T/plot.svg'"
    assert_success
    assert_output ""
    selfattn run -H 2 --causal -f svg -o "$T/run.svg" "$SENTENCE"
    assert_same_file "$T/plot.svg" "$T/run.svg"
    assert_no_temp_files "$T"
    # and to standard output without -o
    selfattn run -H 2 --causal --print weights "$SENTENCE" >"$T/w.json"
    selfattn plot "$T/w.json" >"$T/stdout.svg"
    assert_same_file "$T/stdout.svg" "$T/run.svg"
}

@test "plot of a result with --print output,weights,steps draws the weights" {
    selfattn run -H 2 -p output,weights,steps "$SENTENCE" >"$T/all.json"
    selfattn plot -o "$T/plot.svg" "$T/all.json"
    selfattn run -H 2 -f svg -o "$T/run.svg" "$SENTENCE"
    assert_same_file "$T/plot.svg" "$T/run.svg"
}

@test "plot of an --average-heads result draws what run -f svg --average-heads draws" {
    selfattn run -H 2 --average-heads "$SENTENCE" >"$T/avg.json"
    selfattn plot -o "$T/plot.svg" "$T/avg.json"
    selfattn run -H 2 --average-heads -f svg -o "$T/run.svg" "$SENTENCE"
    assert_same_file "$T/plot.svg" "$T/run.svg"
    # with the weights too, plot draws the weights, or --what average the average
    selfattn run -H 2 --average-heads -p weights "$SENTENCE" >"$T/both.json"
    selfattn plot --what average -o "$T/what.svg" "$T/both.json"
    assert_same_file "$T/what.svg" "$T/run.svg"
    selfattn plot -o "$T/weights.svg" "$T/both.json"
    selfattn run -H 2 -f svg -o "$T/heads.svg" "$SENTENCE"
    assert_same_file "$T/weights.svg" "$T/heads.svg"
}

@test "plot still reads a result from before average_weights: n x m weights with config.average_heads" {
    selfattn run -H 2 --average-heads "$SENTENCE" |
        jq '.weights = .average_weights | del(.average_weights)' >"$T/old.json"
    selfattn run -H 2 --average-heads -f heatmap --color never "$SENTENCE" >"$T/run.txt"
    for what in "" "--what weights" "--what average"; do
        # shellcheck disable=SC2086
        run --separate-stderr selfattn plot $what -f heatmap --color never "$T/old.json"
        assert_success
        assert_equal "$output" "$(cat "$T/run.txt")"
    done
}

@test "run -f svg -p weights --average-heads: a panel per head, then the average" {
    selfattn run -H 2 -p weights --average-heads -f svg -o "$T/a.svg" "$SENTENCE"
    run grep -o 'font-weight="bold">[^<]*<' "$T/a.svg"
    assert_output 'font-weight="bold">head 1 (6 × 6)<
font-weight="bold">head 2 (6 × 6)<
font-weight="bold">average of 2 heads (6 × 6)<'
}

@test "run --head 2 draws head 2 alone, as plot --head 2 does, and plot reads the result" {
    selfattn run -H 2 --head 2 -f svg -o "$T/run.svg" "$SENTENCE"
    selfattn run -H 2 -p weights "$SENTENCE" >"$T/w.json"
    selfattn plot --head 2 -o "$T/plot.svg" "$T/w.json"
    assert_same_file "$T/run.svg" "$T/plot.svg"
    selfattn run -H 2 --head 2 -p weights "$SENTENCE" >"$T/two.json"
    selfattn plot -o "$T/two.svg" "$T/two.json"
    assert_same_file "$T/two.svg" "$T/plot.svg"
    selfattn plot --head 2 -o "$T/head2.svg" "$T/two.json"
    assert_same_file "$T/head2.svg" "$T/plot.svg"
    run --separate-stderr selfattn run -H 2 --head 1 -f heatmap --color never "$SENTENCE"
    assert_success
    assert_line --index 0 "weights, head 1 (6 × 6)"
    refute_output --partial "head 2"
}

@test "plot of a --mask result hatches the masked cells with --mask FILE or --recorded-mask" {
    selfattn run --mask mask.json -p weights plain.json >"$T/mask.json"
    selfattn plot --mask mask.json -o "$T/plot.svg" "$T/mask.json"
    run masked_per_panel "$T/plot.svg"
    assert_output 3
    selfattn plot --recorded-mask -o "$T/rec.svg" "$T/mask.json"
    run masked_per_panel "$T/rec.svg"
    assert_output 3
    # without either, no file named in the result is opened: a warning
    run --separate-stderr selfattn plot -o "$T/none.svg" "$T/mask.json"
    assert_success
    assert_equal "$stderr" "selfattn: warning: $T/mask.json was computed with a mask: give plot --mask FILE (or --recorded-mask) to hatch its cells"
    run masked_per_panel "$T/none.svg"
    assert_output 0
}

@test "plot follows no path written in a result: /dev/zero or a FIFO as config.mask" {
    selfattn run -p weights plain.json |
        jq '.config.mask = "/dev/zero"' >"$T/zero.json"
    mkfifo "$T/fifo"
    jq --arg f "$T/fifo" '.config.mask = $f' "$T/zero.json" >"$T/fifo.json"
    for result in zero fifo; do
        run --separate-stderr timeout 10 "$SELFATTN" plot -o "$T/$result.svg" "$T/$result.json"
        assert_success
        run --separate-stderr timeout 10 "$SELFATTN" plot --recorded-mask -o "$T/$result.svg" "$T/$result.json"
        assert_equal "$status" 66
        assert_regex "$stderr" "the mask file the result names is not a regular file$"
    done
}

@test "plot --head 2 draws head 2 only" {
    selfattn run -H 2 -p weights "$SENTENCE" >"$T/w.json"
    selfattn plot --head 2 -o "$T/a.svg" "$T/w.json"
    run grep -o 'font-weight="bold">[^<]*<' "$T/a.svg"
    assert_output 'font-weight="bold">head 2 (6 × 6)<'
    # its cells are head 2's weights
    run diff <(jq -r '.weights[1][][] | tostring' "$T/w.json") \
             <(cell_titles "$T/a.svg" | sed 's/.*: //')
    assert_success
}

@test "plot -H N still draws head N this release, with a note that -H is --head" {
    selfattn run -H 2 -p weights "$SENTENCE" >"$T/w.json"
    run --separate-stderr selfattn plot -H 1 -o "$T/b.svg" "$T/w.json"
    assert_success
    assert_equal "$stderr" "selfattn: warning: plot -H is --head; -H means the number of heads elsewhere"
    run grep -o 'font-weight="bold">[^<]*<' "$T/b.svg"
    assert_output 'font-weight="bold">head 1 (6 × 6)<'
    run --separate-stderr selfattn plot --head 1 -o "$T/c.svg" "$T/w.json"
    assert_equal "$stderr" ""
    assert_same_file "$T/b.svg" "$T/c.svg"
}

@test "plot --what scores and --what softmax draw the steps" {
    selfattn run -H 2 --causal -p steps "$SENTENCE" >"$T/s.json"
    selfattn plot --what scores -o "$T/scores.svg" "$T/s.json"
    run sed -n 3p "$T/scores.svg"
    assert_output "<title>scores</title>"
    run diff <(jq -r '.steps.scores[][][] | if . == null then "masked" else tostring end' "$T/s.json") \
             <(cell_titles "$T/scores.svg" | sed 's/.*: //')
    assert_success
    run masked_per_panel "$T/scores.svg"
    assert_output $'15\n15'
    # scores go below 0: the legend starts at the smallest score
    local min
    min="$(sig3 "$(jq '[.steps.scores[][][] | numbers] | min' "$T/s.json")")"
    grep -qF "<text x=\"22\" y=\"200\">$min</text>" "$T/scores.svg"
    selfattn plot --what softmax -o "$T/softmax.svg" "$T/s.json"
    run sed -n 3p "$T/softmax.svg"
    assert_output "<title>softmax</title>"
    run masked_per_panel "$T/softmax.svg"
    assert_output $'15\n15'
    # without --what, a result with steps but no weights draws the softmax
    selfattn plot -o "$T/default.svg" "$T/s.json"
    assert_same_file "$T/default.svg" "$T/softmax.svg"
}

@test "plot -f heatmap draws what run -f heatmap draws" {
    selfattn run -H 2 --causal -p weights "$SENTENCE" >"$T/w.json"
    run --separate-stderr selfattn plot -f heatmap "$T/w.json"
    assert_success
    assert_line --index 0 "weights, head 1 (6 × 6)"
    assert_output --partial "weights, head 2 (6 × 6)"
    selfattn run -H 2 --causal -f heatmap "$SENTENCE" >"$T/run.txt"
    assert_equal "$output" "$(cat "$T/run.txt")"
    run env COLORTERM=truecolor "$SELFATTN" plot -f heatmap --color always --head 2 "$T/w.json"
    assert_success
    assert_output --partial "${ESC}[48;2;"
    assert_output --partial "${ESC}[1mweights, head 2 (6 × 6)${ESC}[0m"
    refute_output --partial "head 1"
}

# ---- --vmin and --vmax --------------------------------------------------------

@test "run -f svg --vmin 0 --vmax 1: each cell is the viridis colour of its weight, the legend 1, 0.5, 0" {
    selfattn run -H 2 -f svg --vmin 0 --vmax 1 -o "$T/a.svg" "$SENTENCE"
    run /usr/bin/python3 "$PICTURES/cell_colours.py" "$T/a.svg" 0 1
    assert_success
    assert_output "72 cells, 0 clamped"
    run legend "$T/a.svg"
    assert_output $'1\n0.5\n0'
    # without them the scale is the data's, 0 to the largest weight (0.36)
    selfattn run -H 2 -f svg -o "$T/own.svg" "$SENTENCE"
    run /usr/bin/python3 "$PICTURES/cell_colours.py" "$T/own.svg" 0 1
    assert_failure
    run legend "$T/own.svg"
    refute_line --index 0 "1"
}

@test "two runs on one scale: the same legend, and the same colour for the same weight" {
    selfattn run -H 2 --causal -f svg --vmin 0 --vmax 1 -o "$T/causal.svg" "$SENTENCE"
    selfattn run -H 2 --seed 7 -f svg --vmin 0 --vmax 1 -o "$T/seed7.svg" "$SENTENCE"
    assert_equal "$(legend "$T/causal.svg")" "$(legend "$T/seed7.svg")"
    for svg in causal seed7; do
        run /usr/bin/python3 "$PICTURES/cell_colours.py" "$T/$svg.svg" 0 1
        assert_success
    done
    # the causal weights span 0 to 1 anyway: the picture is the one without limits
    selfattn run -H 2 --causal -f svg -o "$T/auto.svg" "$SENTENCE"
    assert_same_file "$T/auto.svg" "$T/causal.svg"
}

@test "plot --vmin --vmax draws what run -f svg --vmin --vmax draws, and each head alone on that scale" {
    selfattn run -H 2 -p weights "$SENTENCE" >"$T/w.json"
    selfattn run -H 2 -f svg --vmin 0 --vmax 0.5 -o "$T/run.svg" "$SENTENCE"
    selfattn plot --vmin 0 --vmax 0.5 -o "$T/plot.svg" "$T/w.json"
    assert_same_file "$T/run.svg" "$T/plot.svg"
    selfattn plot -H 1 --vmin 0 --vmax 0.5 -o "$T/h1.svg" "$T/w.json"
    selfattn plot -H 2 --vmin 0 --vmax 0.5 -o "$T/h2.svg" "$T/w.json"
    assert_equal "$(legend "$T/h1.svg")" "$(legend "$T/run.svg")"
    assert_equal "$(legend "$T/h2.svg")" "$(legend "$T/run.svg")"
    for svg in h1 h2; do
        run /usr/bin/python3 "$PICTURES/cell_colours.py" "$T/$svg.svg" 0 0.5
        assert_success
        assert_output "36 cells, 0 clamped"
    done
    # without them, each head alone is drawn on its own range
    selfattn plot -H 1 -o "$T/own1.svg" "$T/w.json"
    selfattn plot -H 2 -o "$T/own2.svg" "$T/w.json"
    [ "$(legend "$T/own1.svg")" != "$(legend "$T/own2.svg")" ]
}

@test "--vmin alone: the top from the data; --vmax alone: the bottom from the data (0 for weights)" {
    selfattn run -H 2 --causal -p weights,steps -o "$T/r.json" "$SENTENCE"
    local max
    max="$(jq '[.steps.scores[][][] | numbers] | max' "$T/r.json")"
    selfattn plot --what scores --vmin -1 -o "$T/low.svg" "$T/r.json"
    run legend "$T/low.svg"
    assert_line --index 0 "$(sig3 "$max")"
    assert_line --index 2 "-1"
    run /usr/bin/python3 "$PICTURES/cell_colours.py" "$T/low.svg" -1 "$max"
    assert_success
    assert_output "42 cells, 0 clamped"
    # weights: the bottom is 0, and the 1s of the first row are clamped
    selfattn plot --vmax 0.5 -o "$T/high.svg" "$T/r.json"
    run legend "$T/high.svg"
    assert_output $'≥ 0.5\n0.25\n0'
    run /usr/bin/python3 "$PICTURES/cell_colours.py" "$T/high.svg" 0 0.5
    assert_success
    assert_line --regexp '^42 cells, [1-9][0-9]* clamped$'
}

@test "values beyond a fixed end take its colour; the legend's end says <= or >=, in the SVG and the terminal" {
    selfattn run -H 2 --causal -p steps -o "$T/s.json" "$SENTENCE"
    selfattn plot --what scores --vmin -0.1 --vmax 0.1 -o "$T/s.svg" "$T/s.json"
    run legend "$T/s.svg"
    assert_output $'≥ 0.1\n0\n≤ -0.1'
    run /usr/bin/python3 "$PICTURES/cell_colours.py" "$T/s.svg" -0.1 0.1
    assert_success
    assert_line --regexp '^42 cells, [1-9][0-9]* clamped$'
    # the end colours themselves: viridis 0 and 1
    grep -q 'fill="#440154"><title>' "$T/s.svg"
    grep -q 'fill="#fde725"><title>' "$T/s.svg"
    run selfattn plot --what scores --vmin -0.1 --vmax 0.1 -f heatmap --color never "$T/s.json"
    assert_success
    assert_equal "${lines[-1]}" "scale: ≤ -0.1     ░░▒▒▒▒▒▒▓▓████ ≥ 0.1; ·· masked"
}

@test "-f heatmap --vmin --vmax: the shades follow the fixed scale" {
    # the weights without a mask are at most 0.36: on 0..1 they are blank
    # or light, never the full block of their own scale's top
    run selfattn run -H 2 -f heatmap --color never "$SENTENCE"
    assert_output --partial "█"
    run selfattn run -H 2 -f heatmap --color never --vmin 0 --vmax 1 "$SENTENCE"
    assert_success
    assert_equal "${lines[-1]}" "scale: 0     ░░▒▒▒▒▒▒▓▓████ 1; ·· masked"
    local line
    for line in "${lines[@]:2:6}" "${lines[@]:10:6}"; do
        [[ $line != *▒* && $line != *▓* && $line != *█* ]]
    done
    assert_output --partial "░"
    # every value under a fixed bottom: a scale one wide above it, all blank
    run selfattn run --causal -f heatmap --color never --vmin 2 "$SENTENCE"
    assert_success
    assert_line --index 2 "the   ··········"
    assert_line --index 7 "mat             "
    assert_equal "${lines[-1]}" "scale: ≤ 2     ░░▒▒▒▒▒▒▓▓████ 3; ·· masked"
}

# ---- the terminal heatmap ------------------------------------------------------

@test "-f heatmap without colour: shades, ·· for masked cells, labels, keys and scale" {
    run --separate-stderr selfattn run --causal -f heatmap --color never "$SENTENCE"
    assert_success
    assert_equal "$stderr" ""
    refute_output --partial "$ESC"
    assert_line --index 0 "weights, head 1 (6 × 6)"
    assert_line --index 1 "     0 1 2 3 4 5"
    assert_line --index 8 "keys: 0 the 1 cat 2 sat 3 on 4 the 5 mat"
    assert_line --index 9 --regexp '^scale: 0 .* 1; ·· masked$'
    assert_equal "${#lines[@]}" 10
    # row i: its token padded to 3, then i+1 shaded cells, then 5-i masked
    /usr/bin/python3 - "$output" <<'EOF'
import sys
lines = sys.argv[1].split('\n')
tokens = ['the', 'cat', 'sat', 'on', 'the', 'mat']
for i, token in enumerate(tokens):
    line = lines[2 + i]
    assert line.startswith(token.ljust(3) + ' '), line
    cells = line[4:]
    assert len(cells) == 12, line
    pairs = [cells[k:k + 2] for k in range(0, 12, 2)]
    assert pairs[i + 1:] == ['··'] * (5 - i), line
    assert all(p[0] == p[1] and p[0] in ' ░▒▓█' for p in pairs[:i + 1]), line
assert lines[2][4:6] == '██', lines[2]   # the first query sees only itself
scale = lines[9][len('scale: 0 '):-len(' 1; ·· masked')]
assert scale == '    ░░▒▒▒▒▒▒▓▓████', repr(scale)
EOF
}

@test "-f heatmap writes no control character of a token to the terminal" {
    # the row label shows ESC as '?'; the keys line must not pass it on either
    printf '{"tokens": ["a\\u001b[31mred", "b", "c"], "embeddings": [[1, 0], [0, 1], [1, 1]]}' \
        >"$T/esc.json"
    run --separate-stderr selfattn run -f heatmap --color never "$T/esc.json"
    assert_success
    assert_line --index 2 --regexp '^a\?\[31mred '
    refute_output --partial "$ESC"
}

@test "-f heatmap without a terminal uses no colour" {
    run --separate-stderr env -u NO_COLOR TERM=xterm "$SELFATTN" run -f heatmap "$SENTENCE"
    assert_success
    refute_output --partial "$ESC"
    assert_output --partial "░"
}

@test "-f heatmap --color always with COLORTERM=truecolor: 24-bit backgrounds, bold titles" {
    run --separate-stderr env COLORTERM=truecolor "$SELFATTN" run --causal -H 2 -f heatmap --color always "$SENTENCE"
    assert_success
    assert_line --index 0 "${ESC}[1mweights, head 1 (6 × 6)${ESC}[0m"
    assert_output --partial "${ESC}[48;2;"
    # masked cells are grey ··
    assert_output --partial "${ESC}[48;2;90;90;90m··${ESC}[0m"
    refute_output --partial "░"
    # the first query of a causal head sees itself only: the top of the scale
    assert_line --index 2 "the ${ESC}[48;2;253;231;37m  ${ESC}[0m$(
        printf "${ESC}[48;2;90;90;90m··${ESC}[0m%.0s" 1 2 3 4 5)"
}

@test "-f heatmap without COLORTERM: xterm's 256 colours, each the nearest to its 24-bit colour" {
    run --separate-stderr selfattn run --causal -H 2 -f heatmap --color always "$SENTENCE"
    assert_success
    refute_output --partial "${ESC}[48;2;"
    assert_line --index 0 "${ESC}[1mweights, head 1 (6 × 6)${ESC}[0m"
    # the top of the scale (#fde725) is 220 of the cube, the masked grey 90 240 of the ramp
    assert_line --index 2 "the ${ESC}[48;5;220m  ${ESC}[0m$(
        printf "${ESC}[48;5;240m··${ESC}[0m%.0s" 1 2 3 4 5)"
    # every cell, the scale and the masked sign of four heads: 4 x 36 + 9 + 1
    COLORTERM=truecolor "$SELFATTN" run -H 4 --causal -f heatmap --color always "$SENTENCE" >"$T/24.txt"
    selfattn run -H 4 --causal -f heatmap --color always "$SENTENCE" >"$T/256.txt"
    run /usr/bin/python3 "$PICTURES/xterm_nearest.py" "$T/24.txt" "$T/256.txt"
    assert_success
    assert_output "154 and 154 cells"
}

@test "COLORTERM=truecolor or 24bit: 24-bit colours; any other value: 256, for run and plot" {
    selfattn run -H 2 --causal -p weights "$SENTENCE" >"$T/w.json"
    local value
    for value in truecolor 24bit; do
        run env COLORTERM="$value" "$SELFATTN" run -f heatmap --color always "$SENTENCE"
        assert_output --partial "${ESC}[48;2;"
        refute_output --partial "${ESC}[48;5;"
        run env COLORTERM="$value" "$SELFATTN" plot -f heatmap --color always "$T/w.json"
        assert_output --partial "${ESC}[48;2;"
        refute_output --partial "${ESC}[48;5;"
    done
    for value in "" yes TRUECOLOR 256 8bit; do
        run env COLORTERM="$value" "$SELFATTN" run -f heatmap --color always "$SENTENCE"
        assert_output --partial "${ESC}[48;5;"
        refute_output --partial "${ESC}[48;2;"
        run env COLORTERM="$value" "$SELFATTN" plot -f heatmap --color always "$T/w.json"
        assert_output --partial "${ESC}[48;5;"
        refute_output --partial "${ESC}[48;2;"
    done
}

@test "COLORTERM on a terminal: it sets the depth; NO_COLOR, TERM=dumb and -o FILE still give no colour" {
    need script
    run on_pty COLORTERM=truecolor -- run -f heatmap "$SENTENCE"
    assert_success
    assert_output --partial "${ESC}[48;2;"
    run on_pty COLORTERM=24bit -- run -f heatmap "$SENTENCE"
    assert_output --partial "${ESC}[48;2;"
    run on_pty COLORTERM=truecolor NO_COLOR=1 -- run -f heatmap "$SENTENCE"
    assert_success
    refute_output --partial "$ESC"
    run on_pty COLORTERM=truecolor TERM=dumb -- run -f heatmap "$SENTENCE"
    assert_success
    refute_output --partial "$ESC"
    run on_pty COLORTERM=truecolor -- run -f heatmap -o "$T/h.txt" "$SENTENCE"
    assert_success
    run cat "$T/h.txt"
    refute_output --partial "$ESC"
}

@test "-f heatmap colour on a terminal: auto colours, NO_COLOR, TERM=dumb" {
    need script
    run on_pty -- run -f heatmap "$SENTENCE"
    assert_success
    assert_output --partial "${ESC}[48;5;"
    run on_pty NO_COLOR=1 -- run -f heatmap "$SENTENCE"
    assert_success
    refute_output --partial "$ESC"
    assert_output --partial "░"
    run on_pty NO_COLOR= -- run -f heatmap "$SENTENCE"
    assert_success
    assert_output --partial "${ESC}[48;5;"
    run on_pty TERM=dumb -- run -f heatmap "$SENTENCE"
    assert_success
    refute_output --partial "$ESC"
    assert_output --partial "░"
    run on_pty -- run -f heatmap --color never "$SENTENCE"
    assert_success
    refute_output --partial "$ESC"
    run on_pty NO_COLOR=1 TERM=dumb -- run -f heatmap --color always "$SENTENCE"
    assert_success
    assert_output --partial "${ESC}[48;5;"
}

@test "-f heatmap -o FILE on a terminal writes no colour to the file" {
    need script
    run on_pty -- run -f heatmap -o "$T/h.txt" "$SENTENCE"
    assert_success
    run cat "$T/h.txt"
    refute_output --partial "$ESC"
    assert_output --partial "keys: 0 the"
}

@test "-f table: bold titles only when colour is on" {
    need script
    run selfattn run -p output,weights -f table --color always "$SENTENCE"
    assert_success
    assert_line "${ESC}[1moutput (6 × 8)${ESC}[0m"
    refute_output --partial "${ESC}[48"
    run selfattn run -p output,weights -f table "$SENTENCE"
    assert_success
    refute_output --partial "$ESC"
    assert_line "output (6 × 8)"
    run on_pty -- run -f table "$SENTENCE"
    assert_success
    assert_output --partial "${ESC}[1m"
    run on_pty NO_COLOR=1 -- run -f table "$SENTENCE"
    assert_success
    assert_output --partial "output (6 × 8)"
    refute_output --partial "$ESC"
    run on_pty NO_COLOR= -- run -f table "$SENTENCE"
    assert_success
    assert_output --partial "${ESC}[1moutput (6 × 8)${ESC}[0m"
    run on_pty TERM=dumb -- run -f table "$SENTENCE"
    assert_success
    assert_output --partial "output (6 × 8)"
    refute_output --partial "$ESC"
    run on_pty -- run -f table --color never "$SENTENCE"
    assert_success
    assert_output --partial "output (6 × 8)"
    refute_output --partial "$ESC"
}
