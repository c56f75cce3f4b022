#!/usr/bin/env bats
# The interactive page (`run -f html`, `plot -f html`) as a file: the JSON it
# embeds, its escaping, its layers, masks and limits, and that it can fetch
# nothing.  What a browser makes of it is tests/bats/browser.bats; the usage
# errors and refused results are cases of tests/bad/catalogue.tsv.

load ../helpers

SENTENCE="$REPO_ROOT/data/sentence.json"   # 6 tokens: the cat sat on the mat
GPT2="$REPO_ROOT/tests/formats/gpt2.safetensors"
INPUT5="$REPO_ROOT/tests/formats/input.json"

# page_data PAGE [WHAT]: an embedded element's text (tests/tools/page_data.py)
page_data() { /usr/bin/python3 "$REPO_ROOT/tests/tools/page_data.py" "$@"; }

@test "run -f html: the page embeds the very document -f json prints" {
    selfattn run -t 1 -H 4 --causal -p weights,steps -f html -o "$T/p.html" "$SENTENCE"
    selfattn run -t 1 -H 4 --causal -p weights,steps "$SENTENCE" > "$T/p.json"
    run page_data "$T/p.html"
    assert_success
    assert_equal "$output" "$(cat "$T/p.json")"
    run page_data "$T/p.html" count
    assert_output 1
    run grep -c '^<!DOCTYPE html>$' "$T/p.html"
    assert_output 1
}

@test "run -f html prints the weights by default, or what --print and --average-heads say" {
    selfattn run -H 2 -f html -o "$T/w.html" "$SENTENCE"
    run bash -c "page_data() { /usr/bin/python3 '$REPO_ROOT/tests/tools/page_data.py' \"\$@\"; }
                 page_data '$T/w.html' | jq -c '[keys, (.weights | length)]'"
    assert_output '[["config","tokens","weights"],2]'
    selfattn run -H 2 -p steps -f html -o "$T/s.html" "$SENTENCE"
    page_data "$T/s.html" | jq -e '(.steps | keys) == ["K","Q","V","concat","exp","head_output","raw_scores","rowsum","scores","softmax"] and .weights == null'
    selfattn run -H 2 --average-heads -f html -o "$T/a.html" "$SENTENCE"
    page_data "$T/a.html" | jq -e '.average_weights and .weights == null'
    selfattn run -H 2 --head 2 -p weights,output -f html -o "$T/h.html" "$SENTENCE"
    page_data "$T/h.html" | jq -e '.config.head == 2 and (.weights | length) == 1 and .output'
}

@test "run -f html writes to standard output without -o" {
    run selfattn run -H 2 -f html "$SENTENCE"
    assert_success
    assert_line --index 0 '<!DOCTYPE html>'
    assert_line --index -1 '</html>'
}

@test "run -f html: a hostile token stays text in the page's JSON" {
    cat > "$T/x.json" <<'EOF'
{"tokens": ["</script><b>bold</b>", "<!--", "&amp;", "a\u2028b"],
 "embeddings": [[1, 0], [0, 1], [1, 1], [0.5, 2]]}
EOF
    selfattn run -f html -o "$T/x.html" "$T/x.json"
    run grep -c '<b>\|<!--\|&amp;' "$T/x.html"
    assert_output 0
    # the page's own elements are the only ones that end: settings, data, script
    run grep -o '</script>' "$T/x.html"
    assert_equal "${#lines[@]}" 3
    run bash -c "/usr/bin/python3 '$REPO_ROOT/tests/tools/page_data.py' '$T/x.html' | jq -c .tokens"
    assert_output "$(selfattn run "$T/x.json" -p weights | jq -c .tokens)"
    run jq -r '.tokens[0]' <<< "$(page_data "$T/x.html")"
    assert_output '</script><b>bold</b>'
}

@test "the page can fetch nothing: no address, no request in its script, a policy that forbids both" {
    selfattn run -H 2 -p weights,steps -f html -o "$T/p.html" "$SENTENCE"
    run grep -Ec '(src|href|action)=|https?:|//[a-z]|fetch\(|XMLHttpRequest|WebSocket|EventSource|import\(|sendBeacon' "$T/p.html"
    assert_output 0
    run grep -c "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'; script-src 'sha256-" "$T/p.html"
    assert_output 1
}

@test "the policy's hash is the page's script, the one script it lets run" {
    selfattn run -H 2 -f html -o "$T/p.html" "$SENTENCE"
    run /usr/bin/python3 - "$T/p.html" <<'EOF'
import base64, hashlib, re, sys
page = open(sys.argv[1], encoding='utf-8').read()
allowed = re.search(r"script-src 'sha256-([^']+)'", page).group(1)
scripts = re.findall(r'<script>(.*?)</script>', page, re.S)
print(len(scripts), base64.b64encode(hashlib.sha256(scripts[0].encode()).digest()).decode() == allowed)
EOF
    assert_output "1 True"
}

@test "run -f html: --vmin and --vmax go into the page's settings" {
    selfattn run -H 2 -f html --vmin 0 --vmax 1 -o "$T/p.html" "$SENTENCE"
    run bash -c "/usr/bin/python3 '$REPO_ROOT/tests/tools/page_data.py' '$T/p.html' page | jq -c '[.vmin, .vmax, .names]'"
    assert_output '[0,1,[null]]'
}

@test "run -f html --mask: the page holds the mask, to mark its cells" {
    printf '[[1, 0, 1], [0, 1, 1], [1, 1, 0]]\n' > "$T/mask.json"
    printf '[[1, 0], [0, 1], [1, 1]]\n' > "$T/x.json"
    selfattn run -f html --mask "$T/mask.json" -o "$T/p.html" "$T/x.json"
    run page_data "$T/p.html" mask 0
    assert_output $'[\n[1,0,1],\n[0,1,1],\n[1,1,0]]'
    selfattn run -p weights --mask "$T/mask.json" -o "$T/r.json" "$T/x.json"
    selfattn plot -f html --mask "$T/mask.json" -o "$T/q.html" "$T/r.json"
    run page_data "$T/q.html" mask 0
    assert_output $'[\n[1,0,1],\n[0,1,1],\n[1,1,0]]'
}

@test "plot -f html: each saved result is a layer, embedded as it was saved" {
    for layer in 0 1 2; do
        selfattn run -H 2 -w "$GPT2" --layer "$layer" -p weights,steps -o "$T/l$layer.json" "$INPUT5"
    done
    selfattn plot -f html -o "$T/p.html" "$T/l0.json" "$T/l1.json" "$T/l2.json"
    run page_data "$T/p.html" count
    assert_output 3
    for layer in 0 1 2; do
        run page_data "$T/p.html" "$layer"
        assert_equal "$output" "$(cat "$T/l$layer.json")"
    done
    run bash -c "/usr/bin/python3 '$REPO_ROOT/tests/tools/page_data.py' '$T/p.html' page | jq -c .names"
    assert_output "[\"$T/l0.json\",\"$T/l1.json\",\"$T/l2.json\"]"
}

@test "plot -f html of a saved result holds what run -f html holds" {
    selfattn run -t 1 -H 2 --causal -p weights,steps -o "$T/r.json" "$SENTENCE"
    selfattn run -t 1 -H 2 --causal -p weights,steps -f html -o "$T/run.html" "$SENTENCE"
    selfattn plot -f html -o "$T/plot.html" "$T/r.json"
    assert_equal "$(page_data "$T/plot.html")" "$(page_data "$T/run.html")"
    # from standard input too, called <stdin>
    selfattn plot -f html -o "$T/stdin.html" - < "$T/r.json"
    assert_equal "$(page_data "$T/stdin.html")" "$(page_data "$T/run.html")"
    run bash -c "/usr/bin/python3 '$REPO_ROOT/tests/tools/page_data.py' '$T/stdin.html' page | jq -c .names"
    assert_output '["<stdin>"]'
}

@test "plot -f html: a result computed with a mask gets the warning that svg gives" {
    printf '[[1, 0], [1, 1]]\n' > "$T/mask.json"
    printf '[[1, 0], [0, 1]]\n' > "$T/x.json"
    selfattn run -p weights --mask "$T/mask.json" -o "$T/r.json" "$T/x.json"
    run --separate-stderr selfattn plot -f html -o "$T/p.html" "$T/r.json"
    assert_success
    assert_equal "$stderr" "selfattn: warning: $T/r.json was computed with a mask: give plot --mask FILE (or --recorded-mask) to hatch its cells"
    selfattn plot -f html --recorded-mask -o "$T/p.html" "$T/r.json"
    run page_data "$T/p.html" mask 0
    assert_output $'[\n[1,0],\n[1,1]]'
}

@test "plot -f html: more cells than a page shows, over all its results, is a usage error" {
    # two heads of 600 x 600 zeros: 720000 cells a result, 2160000 for three
    /usr/bin/python3 -c '
import sys
row = "[" + ",".join(["0"] * 600) + "]"
head = "[" + ",".join([row] * 600) + "]"
sys.stdout.write("{\"config\": {\"n\": 600, \"heads\": 2}, \"weights\": [" + head + "," + head + "]}")' > "$T/big.json"
    selfattn plot -f html -o "$T/two.html" "$T/big.json" "$T/big.json"
    run --separate-stderr selfattn plot -f html -o "$T/three.html" "$T/big.json" "$T/big.json" "$T/big.json"
    assert_usage_error "the results have 2160000 cells, too many for a page (at most 2000000): run with --head N or fewer tokens, or give fewer results"
    assert [ ! -e "$T/three.html" ]
    assert_no_temp_files "$T"
}
