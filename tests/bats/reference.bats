#!/usr/bin/env bats
# reference.bats — the CLI against the committed PyTorch/NumPy fixtures of
# tests/reference: for each case NAME, `selfattn run` with the options of
# NAME.case.json on NAME.input.json (or the batch NAME.input.npy) must give
# NAME.expected.json's output and weights within
# jsoncmp's default tolerance (|got - want| <= 1e-6 + 1e-5 |want|).
# A test goes through all its cases and names every one that fails.  The
# fixtures of tests/reference/variants are variants.bats's.

load ../helpers

# check_cases DIR GLOB [CONVENTION]: runs every case DIR/GLOB.case.json;
# prints "NAME: why" for each failure and "cases: N" at the end.  With
# CONVENTION, the report's config.convention must be that.
check_cases() {
    local dir="$1" glob="$2" convention="${3:-}" file name got input status count=0
    local -a options
    cd "$dir" || return 1
    for file in $glob.case.json; do
        [[ -e "$file" ]] || continue
        name="${file%.case.json}"
        count=$((count + 1))
        mapfile -t options < <(case_options "$file" "$name")
        got="$BATS_TEST_TMPDIR/$name.got.json"
        input="$name.input.json"  # or a batch: B x n x d in NAME.input.npy
        [[ -e "$name.input.npy" ]] && input="$name.input.npy"
        status=0
        selfattn run "${options[@]}" -p output,weights -w "$name.weights.json" \
            "$input" > "$got" 2> "$BATS_TEST_TMPDIR/stderr" || status=$?
        if ((status != 0)); then
            echo "$name: exit $status with ${options[*]}: $(head -n 1 "$BATS_TEST_TMPDIR/stderr")"
            continue
        fi
        # an average_heads case expects the average under "weights"
        jq 'if has("average_weights") then .weights = .average_weights else . end' \
            "$got" > "$got.cmp"
        if ! jsoncmp "$got.cmp" "$name.expected.json" > "$BATS_TEST_TMPDIR/cmp" 2>&1; then
            echo "$name: differs with ${options[*]}: $(tr '\n' ' ' < "$BATS_TEST_TMPDIR/cmp")"
            continue
        fi
        if [[ -n "$convention" && "$(jq -r .config.convention "$got")" != "$convention" ]]; then
            echo "$name: convention $(jq -r .config.convention "$got"), not $convention"
        fi
    done
    echo "cases: $count"
}

@test "NumPy reference cases (math-convention weights)" {
    run check_cases "$REFERENCE" 'numpy_*' math
    refute_output --regexp '^cases: 0$'
    assert_output --regexp '^cases: [0-9]+$'
}

@test "a batch (numpy_batch_causal, 3 x 4 x 8 in .npy): output 3 x 4 x 8 and weights 3 x 2 x 4 x 4 as NumPy's" {
    cd "$REFERENCE"
    run check_cases "$REFERENCE" 'numpy_batch_*' math
    assert_output "cases: 1"
    selfattn run -H 2 --causal -p output,weights -w numpy_batch_causal.weights.json \
        numpy_batch_causal.input.npy > "$T/got.json"
    assert_equal "$(jq -c '[.config.batch, (.output | length), (.output[0] | length),
        (.weights | length), (.weights[0] | length)]' "$T/got.json")" '[3,3,4,3,2]'
    run jsoncmp "$T/got.json" numpy_batch_causal.expected.json
    assert_success
}

@test "torch state dicts reproduce nn.MultiheadAttention (the torch_* cases)" {
    run check_cases "$REFERENCE" 'torch_*' torch
    refute_output --regexp '^cases: 0$'
    assert_output --regexp '^cases: [0-9]+$'
}

@test "every reference case is one of the above" {
    run bash -c 'cd "$0" && ls *.case.json | grep -v -e "^numpy_" -e "^torch_"' "$REFERENCE"
    assert_output ""
}

@test "every intermediate of -p steps against NumPy float64, softmax = exp / rowsum, concat = the heads" {
    # tests/reference/check_steps.py computes raw_scores, scores, exp,
    # rowsum, softmax, head_output and concat of each case in float64
    run /usr/bin/python3 "$REPO_ROOT/tests/reference/check_steps.py" "$SELFATTN" "$REFERENCE"
    assert_success
    [[ $output =~ ^cases:\ ([0-9]+)\ checked$ ]] && (( BASH_REMATCH[1] >= 15 ))
    run /usr/bin/python3 "$REPO_ROOT/tests/reference/check_steps.py" "$SELFATTN" "$REPO_ROOT/tests/reference/variants"
    assert_success
    [[ $output =~ ^cases:\ ([0-9]+)\ checked$ ]] && (( BASH_REMATCH[1] >= 12 ))
}
