#!/usr/bin/env bats
# The interactive page (-f html) in a real browser: Debian's Chromium,
# headless, driven over the DevTools protocol by tests/tools/browser.py.
# After its scripts ran: the views, one element per head, no console
# message or error, nothing requested but the page itself, a screenshot
# that is not blank, tooltips on hover and on the keyboard, hostile
# tokens as text, the dark colour scheme.  No test measures time.
#
# Needs chromium (make check installs it and sets SELFATTN_NEED_BROWSER=1,
# which turns a missing browser into a failure); elsewhere a missing
# browser skips these tests with a message.

load ../helpers

SENTENCE="$REPO_ROOT/data/sentence.json"   # 6 tokens: the cat sat on the mat
GPT2="$REPO_ROOT/tests/formats/gpt2.safetensors"
INPUT5="$REPO_ROOT/tests/formats/input.json"
PNG_INFO="$REPO_ROOT/tests/bats/fixtures/pictures/png_info.py"

setup() {
    set -o pipefail
    cd "$FIXTURES" || return 1
    T="$BATS_TEST_TMPDIR"
    if ! command -v chromium >/dev/null; then
        [[ ${SELFATTN_NEED_BROWSER:-} == 1 ]] &&
            fail "chromium is not installed (make test-deps installs it)"
        skip "chromium is not installed: apt-get install chromium"
    fi
}

# browse PAGE STEPS: what browser.py saw, as JSON in $output (and $T/b.json)
browse() {
    /usr/bin/python3 "$REPO_ROOT/tests/tools/browser.py" "$1" "$2" > "$T/b.json"
    output="$(cat "$T/b.json")"
}

# assert_clean PAGE: no console message, no error, and the page itself the
# only request
assert_clean() {
    jq -e --arg url "file://$1" '.console == [] and .errors == [] and .requests == [$url]' "$T/b.json" ||
        fail "not clean: $(jq -c '{console, errors, requests}' "$T/b.json")"
}

# result K: the Kth result of the last browse, compact JSON
result() { jq -c ".results[$1]" "$T/b.json"; }

# The middle of cell (I, J) of the first canvas SELECTOR matches, in the
# window's coordinates: a "js" point for browser.py
cell_at() {
    printf '(() => { const c = document.querySelector(%s); const r = c.getBoundingClientRect(); return [r.left + +c.dataset.x0 + (%d + 0.5) * +c.dataset.cw, r.top + +c.dataset.y0 + (%d + 0.5) * +c.dataset.ch]; })()' \
        "$(jq -Rn --arg s "$1" '$s')" "$3" "$2"
}

@test "browser: run -H 4 --causal -p weights,steps: four heads in each view, no error, nothing fetched" {
    selfattn run -t 1 -H 4 --causal -p weights,steps -f html -o "$T/p.html" "$SENTENCE"
    selfattn run -t 1 -H 4 --causal -p weights,steps "$SENTENCE" > "$T/p.json"
    browse "$T/p.html" '[
      {"eval": "[...document.querySelectorAll(\"main > section.view\")].map(s => s.id)"},
      {"eval": "[...document.querySelectorAll(\"#view-head .head-lines\")].map(e => e.dataset.head)"},
      {"eval": "[...document.querySelectorAll(\"#view-matrix .matrix\")].map(e => e.dataset.head)"},
      {"eval": "[...document.querySelectorAll(\"#view-model .thumb\")].map(e => e.dataset.head)"},
      {"eval": "[...document.querySelectorAll(\".head-toggle\")].map(e => e.dataset.head)"},
      {"eval": "document.querySelectorAll(\"#view-steps .steps[data-head] canvas\").length"},
      {"eval": "JSON.parse(document.getElementById(\"selfattn-data\").textContent)"},
      {"eval": "[document.getElementById(\"view-head\").hidden, document.getElementById(\"tab-head\").getAttribute(\"aria-selected\")]"}
    ]'
    assert_clean "$T/p.html"
    assert_equal "$(result 0)" '["view-head","view-matrix","view-model","view-steps"]'
    for k in 1 2 3 4; do
        assert_equal "$(result $k)" '["0","1","2","3"]'
    done
    # Q, K, V, scores, softmax and each head's output
    assert_equal "$(result 5)" 6
    # the data the scripts read back is -f json's document
    jq -e --slurpfile want "$T/p.json" '.results[6] == $want[0]' "$T/b.json"
    assert_equal "$(result 7)" '[false,"true"]'
}

@test "browser: each view's screenshot is a picture, not a blank page" {
    selfattn run -H 2 --causal -p weights,steps -f html -o "$T/p.html" "$SENTENCE"
    browse "$T/p.html" "[
      {\"screenshot\": \"$T/head.png\"},
      {\"click\": \"#tab-matrix\"}, {\"screenshot\": \"$T/matrix.png\"},
      {\"click\": \"#tab-model\"}, {\"screenshot\": \"$T/model.png\"},
      {\"click\": \"#tab-steps\"}, {\"screenshot\": \"$T/steps.png\"}
    ]"
    assert_clean "$T/p.html"
    for view in head matrix model steps; do
        read -r width height colours < <(/usr/bin/python3 "$PNG_INFO" "$T/$view.png")
        assert_equal "$width x $height" "1200 x 900"
        # text, lines and viridis cells: far more than a blank page's one or two
        (( colours > 30 )) || fail "$view.png has $colours colours"
    done
}

@test "browser: pointing at a cell of the matrix view shows its exact value; so do the arrow keys" {
    selfattn run -t 1 -H 2 --causal -f html -o "$T/p.html" "$SENTENCE"
    selfattn run -t 1 -H 2 --causal -p weights "$SENTENCE" > "$T/p.json"
    local head2='#view-matrix .matrix[data-head="1"] canvas'
    browse "$T/p.html" "[
      {\"click\": \"#tab-matrix\"},
      {\"hover\": \"\", \"js\": $(jq -Rn --arg s "$(cell_at "$head2" 1 0)" '$s')},
      {\"eval\": \"[document.getElementById('tooltip').hidden, document.getElementById('tooltip').textContent]\"},
      {\"hover\": \"\", \"js\": $(jq -Rn --arg s "$(cell_at "$head2" 1 4)" '$s')},
      {\"eval\": \"document.getElementById('tooltip').textContent\"},
      {\"key\": \"ArrowDown\", \"on\": \"#view-matrix .matrix[data-head='0'] canvas\"},
      {\"key\": \"ArrowRight\"},
      {\"eval\": \"[document.getElementById('tooltip').hidden, document.getElementById('tooltip').textContent]\"}
    ]"
    assert_clean "$T/p.html"
    assert_equal "$(result 0)" "$(jq -c '[false, "cat (1) → the (0): \(.weights[1][1][0])\nhead 2, weights"]' "$T/p.json")"
    assert_equal "$(result 1)" '"cat (1) → the (4): masked (causal: key 4 comes after query 1)\nhead 2, weights"'
    assert_equal "$(result 2)" "$(jq -c '[false, "cat (1) → cat (1): \(.weights[0][1][1])\nhead 1, weights"]' "$T/p.json")"
}

@test "browser: pointing at a query in the head view shows its lines alone, and its best keys" {
    selfattn run -H 2 --causal -f html -o "$T/p.html" "$SENTENCE"
    browse "$T/p.html" '[
      {"hover": "#view-head .token[data-side=\"q\"][data-index=\"2\"]"},
      {"eval": "[document.querySelector(\"#view-head .focus-lines\").hidden, [...document.querySelectorAll(\"#view-head .head-lines\")].map(c => c.hidden), document.querySelector(\".token.focus\").textContent]"},
      {"eval": "document.getElementById(\"tooltip\").textContent.split(\"\\n\")[0]"},
      {"eval": "[...document.querySelectorAll(\"#view-head .token[data-side=\\\"k\\\"]\")].map(t => t.style.background !== \"\")"},
      {"hover": "#tab-head"},
      {"eval": "[document.querySelector(\"#view-head .focus-lines\").hidden, [...document.querySelectorAll(\"#view-head .head-lines\")].map(c => c.hidden)]"}
    ]'
    assert_clean "$T/p.html"
    assert_equal "$(result 0)" '[false,[true,true],"sat"]'
    assert_equal "$(result 1)" '"query sat (2)"'
    # causal: sat sees the, cat and itself only
    assert_equal "$(result 2)" '[true,true,true,false,false,false]'
    assert_equal "$(result 3)" '[true,[false,false]]'
}

@test "browser: a head toggle hides that head in the head and matrix views" {
    selfattn run -H 3 --d-head 2 -f html -o "$T/p.html" "$SENTENCE"
    browse "$T/p.html" '[
      {"click": ".head-toggle[data-head=\"1\"]"},
      {"eval": "[[...document.querySelectorAll(\"#view-head .head-lines\")].map(c => c.hidden), [...document.querySelectorAll(\"#view-matrix .matrix\")].map(c => c.hidden), document.querySelector(\".head-toggle[data-head=\\\"1\\\"]\").getAttribute(\"aria-pressed\")]"},
      {"key": "Enter", "on": ".head-toggle[data-head=\"1\"]"},
      {"eval": "[...document.querySelectorAll(\"#view-matrix .matrix\")].map(c => c.hidden)"}
    ]'
    assert_clean "$T/p.html"
    assert_equal "$(result 0)" '[[false,true,false],[false,true,false],"false"]'
    assert_equal "$(result 1)" '[false,false,false]'
}

@test "browser: the steps view explains a weight from its q and k rows to the row sum" {
    selfattn run -t 1 -H 2 --causal -p weights,steps -f html -o "$T/p.html" "$SENTENCE"
    selfattn run -t 1 -H 2 --causal -p weights,steps "$SENTENCE" > "$T/p.json"
    local softmax='#view-steps figure[data-step="softmax"] canvas'
    browse "$T/p.html" "[
      {\"click\": \"#tab-steps\"},
      {\"hover\": \"\", \"js\": $(jq -Rn --arg s "$(cell_at "$softmax" 2 1)" '$s')},
      {\"eval\": \"[...document.querySelectorAll('#steps-detail b')].map(b => b.textContent)\"},
      {\"eval\": \"document.getElementById('steps-detail').textContent\"},
      {\"eval\": \"document.getElementById('tooltip').textContent\"}
    ]"
    assert_clean "$T/p.html"
    assert_equal "$(result 0)" '["q = Q[2]: ","k = K[1]: ","q·k: ","× scale: ","score s: ","exp(s − max): ","row sum: ","weight: "]'
    local weight
    weight="$(jq '.steps.softmax[0][2][1]' "$T/p.json")"
    [[ $(result 1) == *"over 3 visible keys"*"(stored: $weight)"* ]] || fail "detail: $(result 1)"
    assert_equal "$(result 2)" "\"softmax[2][1] = $weight  (sat → cat)\""
}

@test "browser: plot -f html of three layers: the model view has each layer x head, and a click opens one" {
    for layer in 0 1 2; do
        selfattn run -H 2 -w "$GPT2" --layer "$layer" -p weights,steps -o "$T/l$layer.json" "$INPUT5"
    done
    selfattn plot -f html -o "$T/p.html" "$T/l0.json" "$T/l1.json" "$T/l2.json"
    browse "$T/p.html" '[
      {"eval": "[...document.querySelectorAll(\"#view-model .thumb\")].map(b => b.dataset.layer + \":\" + b.dataset.head)"},
      {"eval": "[...document.querySelectorAll(\"#layer-select option\")].map(o => o.textContent)"},
      {"click": "#tab-model"},
      {"click": "#view-model .thumb[data-layer=\"2\"][data-head=\"1\"]"},
      {"eval": "[document.getElementById(\"layer-select\").value, document.getElementById(\"view-head\").hidden, [...document.querySelectorAll(\".head-toggle\")].map(b => b.getAttribute(\"aria-pressed\")), document.getElementById(\"steps-head\").value]"}
    ]'
    assert_clean "$T/p.html"
    assert_equal "$(result 0)" '["0:0","0:1","1:0","1:1","2:0","2:1"]'
    assert_equal "$(result 1)" "[\"layer 0 ($T/l0.json)\",\"layer 1 ($T/l1.json)\",\"layer 2 ($T/l2.json)\"]"
    assert_equal "$(result 2)" '["2",false,["false","true"],"1"]'
}

@test "browser: hostile tokens stay text: no element made of them, no script run" {
    cat > "$T/x.json" <<'EOF'
{"tokens": ["</script><b>bold</b>", "<img src=x onerror=\"document.title='owned'\">", "&lt;", "<!--"],
 "embeddings": [[1, 0], [0, 1], [1, 1], [0.5, 2]]}
EOF
    selfattn run -H 2 --d-head 1 -p weights,steps -f html -o "$T/x.html" "$T/x.json"
    browse "$T/x.html" '[
      {"eval": "[...document.querySelectorAll(\"#view-head .token[data-side=\\\"q\\\"]\")].map(t => t.textContent)"},
      {"eval": "[document.querySelectorAll(\"b, img\").length, document.title]"}
    ]'
    assert_clean "$T/x.html"
    assert_equal "$(result 0)" "$(jq -c .tokens "$T/x.json")"
    assert_equal "$(result 1)" '[0,"selfattn: attention"]'
}

@test "browser: the dark colour scheme darkens the page and still draws it" {
    selfattn run -H 2 --causal -f html -o "$T/p.html" "$SENTENCE"
    browse "$T/p.html" "[
      {\"eval\": \"getComputedStyle(document.body).backgroundColor\"},
      {\"scheme\": \"dark\"},
      {\"eval\": \"getComputedStyle(document.body).backgroundColor\"},
      {\"click\": \"#tab-matrix\"}, {\"screenshot\": \"$T/dark.png\"}
    ]"
    assert_clean "$T/p.html"
    assert_equal "$(result 0)" '"rgb(255, 255, 255)"'
    assert_equal "$(result 1)" '"rgb(23, 24, 26)"'
    read -r _ _ colours < <(/usr/bin/python3 "$PNG_INFO" "$T/dark.png")
    (( colours > 30 )) || fail "dark.png has $colours colours"
}

@test "browser: a page of 200 tokens and 4 heads is drawn in every view" {
    /usr/bin/python3 -c '
import json, math
n, d = 200, 16
print(json.dumps({"tokens": ["t%d" % i for i in range(n)],
                  "embeddings": [[round(math.sin(i * 0.37 + j), 4) for j in range(d)] for i in range(n)]}))' > "$T/x.json"
    selfattn run -H 4 --causal -p weights,steps -f html -o "$T/p.html" "$T/x.json"
    browse "$T/p.html" '[
      {"click": "#tab-matrix"},
      {"hover": "#view-matrix .matrix[data-head=\"3\"] canvas", "at": [0.5, 0.9]},
      {"eval": "[document.querySelectorAll(\"#view-head .head-lines\").length, document.querySelectorAll(\"#view-head .token\").length, document.querySelectorAll(\"#view-matrix .matrix canvas\").length, document.querySelectorAll(\"#view-model .thumb\").length, document.getElementById(\"tooltip\").hidden]"}
    ]'
    assert_clean "$T/p.html"
    assert_equal "$(result 0)" '[4,400,4,4,false]'
}

@test "browser: the address may open a view and a head" {
    selfattn run -H 2 -p weights,steps -f html -o "$T/p.html" "$SENTENCE"
    browse "$T/p.html#view=steps&head=1" '[
      {"eval": "[document.getElementById(\"view-steps\").hidden, document.getElementById(\"steps-head\").value, [...document.querySelectorAll(\".head-toggle\")].map(b => b.getAttribute(\"aria-pressed\"))]"}
    ]'
    assert_clean "$T/p.html"
    assert_equal "$(result 0)" '[false,"1",["false","true"]]'
}
