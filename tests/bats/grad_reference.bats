#!/usr/bin/env bats
# grad_reference.bats — `selfattn grad` against the committed PyTorch
# autograd references of tests/reference/grads (make_grad.py): for each
# case NAME, grad with the options of NAME.case.json must give
# NAME.expected.json's loss, gradients (named exactly as expected: the
# input, context, bias, and each weight tensor by its file's name) and, where
# printed, steps, within |got - want| <= 1e-5 + 1e-5 |want| (jsoncmp --atol
# 1e-5; tests/reference/README.md says why).  Every case runs on the
# streaming path (on 1 and 3 threads) and on the dense one.

load ../helpers

GRADS="$REPO_ROOT/tests/reference/grads"

# grad_options CASE_JSON NAME: the options of a case, one per line.
grad_options() {
    jq -r --arg name "$2" '
        ["-H", .heads],
        (if .kv_heads != .heads then ["--kv-heads", .kv_heads] else empty end),
        (if .weights then ["-w", .weights] else ["--seed", .seed] end),
        (if .out_proj then ["--out-proj"] else empty end),
        (if .layer != null then ["--layer", .layer] else empty end),
        (if .causal then ["--causal"] else empty end),
        (if .scale != null then ["--scale", .scale] else empty end),
        (if .context then ["--context", "\($name).context.json"] else empty end),
        (if .mask then ["--mask", "\($name).mask.json"] else empty end),
        (if .bias then ["--bias", "\($name).bias.json"] else empty end),
        (if .dy then ["--dy", "\($name).dy.json"] else empty end),
        (if .pos then ["--pos", .pos] else empty end),
        (if .rope then ["--rope"] else empty end),
        (if .rope_base != null then ["--rope-base", .rope_base] else empty end),
        (if .rope_style then ["--rope-style", .rope_style] else empty end),
        (if .alibi then ["--alibi"] else empty end),
        (if .window != null then ["--window", .window] else empty end),
        (if .softcap != null then ["--softcap", .softcap] else empty end),
        ["--masked-rows", .masked_rows],
        (if .average_heads then ["--average-heads"] else empty end)
        | .[] | tostring' "$1"
}

# check_grad_cases PATH [OPTION...]: runs every case on PATH ("stream":
# --print as the case has it, which streams unless it prints weights or
# steps; "dense": grad_steps added) with the options given; prints "NAME:
# why" for each failure and "cases: N" at the end.
check_grad_cases() {
    local path="$1" file name print got status count=0
    shift
    local -a options
    cd "$GRADS" || return 1
    for file in *.case.json; do
        name="${file%.case.json}"
        count=$((count + 1))
        mapfile -t options < <(grad_options "$file" "$name")
        print="$(jq -r .print "$file")"
        [[ "$path" == dense && "$print" != *grad_steps* ]] && print+=",grad_steps"
        got="$BATS_TEST_TMPDIR/$name.got.json"
        status=0
        selfattn grad "${options[@]}" "$@" -p "$print" "$name.input.json" \
            > "$got" 2> "$BATS_TEST_TMPDIR/stderr" || status=$?
        if ((status != 0)); then
            echo "$name: exit $status with ${options[*]}: $(head -n 1 "$BATS_TEST_TMPDIR/stderr")"
            continue
        fi
        if ! jsoncmp --atol 1e-5 "$got" "$name.expected.json" > "$BATS_TEST_TMPDIR/cmp" 2>&1; then
            echo "$name: differs with ${options[*]}: $(tr '\n' ' ' < "$BATS_TEST_TMPDIR/cmp")"
            continue
        fi
        # the gradients carry exactly the names autograd gave them
        if [[ "$(jq -c '.grads | keys' "$got")" != "$(jq -c '.grads | keys' "$name.expected.json")" ]]; then
            echo "$name: gradients $(jq -c '.grads | keys' "$got"), not $(jq -c '.grads | keys' "$name.expected.json")"
        fi
    done
    echo "cases: $count"
}

@test "every reference gradient on the streaming path, one thread" {
    run check_grad_cases stream -t 1
    refute_output --regexp '^cases: 0$'
    assert_output --regexp '^cases: [0-9]+$'
}

@test "every reference gradient on the streaming path, three threads" {
    run check_grad_cases stream -t 3
    assert_output --regexp '^cases: [0-9]+$'
}

@test "every reference gradient on the dense path, with the steps" {
    run check_grad_cases dense
    assert_output --regexp '^cases: [0-9]+$'
}

@test "the references cover every option of grad" {
    cd "$GRADS"
    # each option appears in at least one case (jq: any case has it)
    local option
    for option in '.kv_heads != .heads' '.weights == null' '.layer != null' \
                  '.causal' '.scale != null' '.context' '.mask' '.bias' \
                  '.dy' '.dy | not' '.pos' '.rope' '.rope_style == "neox"' \
                  '.rope_base != null' '.alibi' '.window != null' \
                  '.softcap != null' '.masked_rows == "nan"' \
                  '.mask and .masked_rows == "zero"' '.average_heads' \
                  '(.print | contains("grad_steps"))' \
                  '(.weights // "" | endswith(".safetensors"))'; do
        run jq -s "map(select($option)) | length" *.case.json
        assert [ "$output" -gt 0 ]
    done
    # and every layout of weights: math, torch (both), GPT-2, BERT, generated
    run jq -r -s '[.[].weights // "seed"] | map(if endswith(".safetensors") then "checkpoint" else . end) | length' *.case.json
    assert [ "$output" -ge 30 ]
    for name in in_proj_weight q_proj_weight Wq c_attn.weight query.weight; do
        run grep -l "\"[a-z.0-9]*$name\"" *.expected.json
        assert_success
    done
}
