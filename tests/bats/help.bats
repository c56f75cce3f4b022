#!/usr/bin/env bats
# help.bats — help per command (`selfattn CMD --help`, `selfattn help CMD`),
# usage errors that point to it, "did you mean" for options, values and
# commands, and the head counts a message proposes.  The exact messages of
# single cases are in tests/bad/catalogue.tsv; here, what holds for every
# command, option or value.  (usage.bats checks each command's help lists
# exactly its options.)

load ../helpers

COMMANDS=(run batch init inspect plot completion)

@test "each command's help: usage, what it does, its options, where the manual says more" {
    local cmd
    for cmd in "${COMMANDS[@]}"; do
        run --separate-stderr selfattn "$cmd" --help
        assert_success
        assert_equal "$stderr" ""
        assert_line --index 0 --regexp "^Usage: selfattn $cmd [^ ]"
        assert_line "Options of $cmd:"
        assert_line --regexp "^  -h, --help +print this help and exit$"
        assert_line --index -1 --regexp "^See selfattn\(1\) for [a-z].*\.$"
    done
}

@test "help texts fit in 79 columns" {
    local cmd long
    for cmd in "" "${COMMANDS[@]}"; do
        long="$(selfattn $cmd --help | awk 'length > 79')"
        assert_equal "$long" ""
    done
}

@test "the overview lists the commands, not their options" {
    run --separate-stderr selfattn --help
    assert_success
    refute_output --partial -- "--weights"
    refute_output --partial -- "--causal"
    refute_output --partial -- "--format"
    assert_output --partial "selfattn COMMAND --help"
}

@test "--help among other options prints the help and computes nothing" {
    run --separate-stderr selfattn run -H 2 --causal --help missing.json
    assert_success
    assert_equal "$stderr" ""
    assert_line --index 0 "Usage: selfattn run [OPTIONS] INPUT"
    run --separate-stderr selfattn plot missing.json -h
    assert_success
    assert_line --index 0 "Usage: selfattn plot [OPTIONS] FILE|-"
}

@test "help --help and help -h print the overview" {
    local usage
    usage="$(selfattn --help)"
    run --separate-stderr selfattn help --help
    assert_success
    assert_output "$usage"
    run --separate-stderr selfattn help -h
    assert_output "$usage"
}

@test "a usage error in a command points to that command's help" {
    local cmd
    for cmd in "${COMMANDS[@]}"; do
        run --separate-stderr selfattn "$cmd" --frob
        assert_equal "$status" 64
        assert_equal "${stderr_lines[1]}" "Try 'selfattn $cmd --help' for more information."
    done
    run --separate-stderr selfattn frob
    assert_equal "${stderr_lines[1]}" "Try 'selfattn --help' for more information."
}

@test "a usage error of a batch line points to batch's help" {
    printf '%s\n' '{"embeddings": [[1, 2, 3]]}' > "$T/lines.jsonl"
    run --separate-stderr selfattn batch -H 2 "$T/lines.jsonl"
    assert_equal "$status" 64
    assert_equal "${stderr_lines[-1]}" "Try 'selfattn batch --help' for more information."
}

# typo WORD: WORD with its second and third letters swapped.
typo() {
    printf '%s%s%s%s\n' "${1:0:1}" "${1:2:1}" "${1:1:1}" "${1:3}"
}

@test "did you mean: a typo of each long option of a command proposes it" {
    local cmd option wrong wrongs=""
    for cmd in "${COMMANDS[@]}"; do
        for option in $(help_options "$cmd"); do
            option="${option#--}"
            [[ $(typo "$option") == "$option" ]] && continue  # a double letter
            run --separate-stderr selfattn "$cmd" "--$(typo "$option")"
            [[ $status == 64 && ${stderr_lines[0]} == *"; did you mean '--$option'?" ]] ||
                wrongs+=" $cmd:--$(typo "$option"):${stderr_lines[0]}"
        done
    done
    assert_equal "${wrongs:-none}" none
}

@test "did you mean: only the command's own options are proposed" {
    # plot's --recorded-mask and --what, run's --stats, batch's --jobs, mistyped
    run --separate-stderr selfattn run --recordedmask x.json
    assert_usage_error "unknown option '--recordedmask'"
    run --separate-stderr selfattn run --waht x.json
    assert_usage_error "unknown option '--waht'"
    run --separate-stderr selfattn batch --stast x.jsonl
    assert_usage_error "unknown option '--stast'"
    run --separate-stderr selfattn run --jbos 2 x.json
    assert_usage_error "unknown option '--jbos'"
    # spelled right, an option of another command says whose it is
    run --separate-stderr selfattn run --jobs 2 x.json
    assert_usage_error "--jobs is an option of batch, not run"
}

# option_values COMMAND OPTION: the values OPTION takes in COMMAND, from the
# message of a value it refuses ("... expected a, b or c").
option_values() {
    local message
    message="$("$SELFATTN" "$1" "$2" zzzzzzzz x 2>&1 >/dev/null)" || true
    sed -n '1s/.*: expected \(.*\)$/\1/p' <<< "$message" | sed 's/,\| or / /g'
}

@test "did you mean: a typo or the wrong case of each value of a fixed set proposes it" {
    local spec cmd option value got wrongs="" count=0
    for spec in "run --format" "inspect --format" "plot --format" "run --print" \
                "run --color" "plot --color" "plot --what" "run --masked-rows" \
                "run --rope-style" "run --pos"; do
        read -r cmd option <<< "$spec"
        local values
        values="$(option_values "$cmd" "$option")"
        assert [ -n "$values" ]
        for value in $values; do
            for got in "$(typo "$value")" "${value^^}"; do
                run --separate-stderr selfattn "$cmd" "$option" "$got" x
                [[ $status == 64 && ${stderr_lines[0]} == "selfattn: $option $got: expected "*"; did you mean '$value'?" ]] ||
                    wrongs+=" [$cmd $option $got: ${stderr_lines[0]}]"
                count=$((count + 1))
            done
        done
    done
    assert [ "$count" -ge 40 ]
    assert_equal "${wrongs:-none}" none
}

@test "did you mean: a command, and the shell of completion" {
    local cmd
    for cmd in "${COMMANDS[@]}"; do
        run --separate-stderr selfattn "$(typo "$cmd")"
        assert_equal "$status" 64
        assert_equal "${stderr_lines[0]}" "selfattn: unknown command '$(typo "$cmd")' (run, grad, batch, init, inspect, plot or completion); did you mean '$cmd'?"
        run --separate-stderr selfattn help "$(typo "$cmd")"
        assert_equal "$status" 64
        assert_regex "${stderr_lines[0]}" "^selfattn: help: unknown command .*; did you mean '$cmd'\?$"
    done
    run --separate-stderr selfattn completion ZSH
    assert_usage_error "completion ZSH: expected bash or zsh; did you mean 'zsh'?"
}

@test "did you mean: nothing when nothing is close" {
    run --separate-stderr selfattn run --frob x.json
    assert_usage_error "unknown option '--frob'"
    run --separate-stderr selfattn run -f xml x.json
    assert_usage_error "--format xml: expected json, table, csv, npy, npz, svg, heatmap or html"
    run --separate-stderr selfattn run -f n x.json
    assert_usage_error "--format n: expected json, table, csv, npy, npz, svg, heatmap or html"
    run --separate-stderr selfattn frobnicate
    assert_usage_error "unknown command 'frobnicate' (run, grad, batch, init, inspect, plot or completion)"
}

# divisors N: "1, 2, 3 or 6", by trial division.
divisors() {
    local d list=()
    for ((d = 1; d <= $1; d++)); do
        (($1 % d == 0)) && list+=("$d")
    done
    local last="${list[-1]}"
    unset 'list[-1]'
    if ((${#list[@]})); then
        local IFS=,
        printf '%s or %s\n' "$(sed 's/,/, /g' <<< "${list[*]}")" "$last"
    else
        printf '%s\n' "$last"
    fi
}

@test "heads that do not divide the width: the message lists the head counts that do" {
    local d heads
    for d in 6 7 12 30 64 96 100; do
        for heads in 5 8 9 11; do
            ((d % heads == 0)) && continue
            run --separate-stderr selfattn init --d-model "$d" -H "$heads"
            assert_usage_error "--heads $heads does not divide --d-model $d: use $(divisors "$d"), or set --d-head"
        done
    done
    run --separate-stderr selfattn init --d-model 8 -H 12 --kv-heads 5
    assert_usage_error "--kv-heads 5 does not divide --heads 12: use $(divisors 12)"
    # run, on an input 4 wide (generated weights), and a weights file
    run --separate-stderr selfattn run -H 3 classic.json
    assert_usage_error "--heads 3 does not divide d_model 4: use 1, 2 or 4, or set --d-head"
    run --separate-stderr selfattn run -H 6 --kv-heads 4 classic.json
    assert_usage_error "--kv-heads 4 does not divide --heads 6: use 1, 2, 3 or 6"
    run --separate-stderr selfattn run -H 2 -w classic.weights.json classic.json
    assert_usage_error "2 heads do not divide the projected width 3: use 1 or 3"
}

@test "each head count the message proposes works" {
    local heads proposed
    printf '%s\n' '[[1, 2, 3, 4, 5, 6], [6, 5, 4, 3, 2, 1]]' > "$T/x.json"
    run --separate-stderr selfattn run -H 4 "$T/x.json"
    assert_equal "$status" 64
    proposed="$(sed -n '1s/.*: use \(.*\), or set --d-head$/\1/p' <<< "$stderr" | sed 's/, \| or / /g')"
    assert_equal "$proposed" "1 2 3 6"
    for heads in $proposed; do
        run --separate-stderr selfattn run -H "$heads" "$T/x.json"
        assert_success
    done
}
