#!/usr/bin/env bats
# usage.bats — the command line itself: --help and --version, and the one
# usage error the catalogue cannot express, no argument at all.  The other
# usage errors (exit 64: unknown commands and options, bad option values,
# options that do not go together) are cases of tests/bad/catalogue.tsv, with
# their exact messages (catalogue.bats); those that need an environment
# variable or a terminal are tested beside what they concern
# (SELFATTN_KERNELS in run.bats, a binary format to a terminal in
# formats.bats).

load ../helpers

@test "--help prints usage on stdout, exit 0, every option listed" {
    run --separate-stderr selfattn --help
    assert_success
    assert_equal "$stderr" ""
    assert_line --index 0 --partial "Usage: selfattn run [OPTIONS] INPUT"
    local option
    for option in --weights --seed --d-head --out-proj --heads --scale --causal \
                  --mask --print --average-heads --format --output --digits \
                  --d-model --help --version; do
        assert_output --regexp "(^|[ ,])$option( |$)"
    done
    for option in -w -H -p -f -o -h; do
        assert_output --partial "  $option, --"
    done
}

@test "--help lists every long option that run and init accept" {
    local usage option options missing=""
    usage="$(selfattn --help)"
    # the table of src/cli_options.c: {"name", 'x' or 0, CODE, ...}
    options="$(sed -n "s/^ *{\"\([a-z-]*\)\", *\('.'\|0\), .*/\1/p" \
                   "$REPO_ROOT"/src/cli_options.c | sort -u)"
    assert [ "$(wc -l <<< "$options")" -ge 15 ]
    for option in $options; do
        grep -qE -- "(^|[ ,])--$option( |$)" <<< "$usage" || missing+=" --$option"
    done
    assert_equal "${missing:-none}" none
}

@test "-h, help, run --help and init --help print the same usage" {
    local usage
    usage="$(selfattn --help)"
    run --separate-stderr selfattn -h
    assert_output "$usage"
    run --separate-stderr selfattn help
    assert_output "$usage"
    run --separate-stderr selfattn run --help
    assert_success
    assert_output "$usage"
    run --separate-stderr selfattn init --help
    assert_success
    assert_output "$usage"
}

@test "--help documents the exit codes" {
    run --separate-stderr selfattn --help
    assert_output --partial "Exit status: 0 success, 64 usage, 65 bad data, 66 input missing"
}

@test "--version prints 'selfattn X.Y.Z' on stdout" {
    run --separate-stderr selfattn --version
    assert_success
    assert_equal "$stderr" ""
    assert_output --regexp '^selfattn [0-9]+\.[0-9]+\.[0-9]+$'
}

@test "no arguments: 64, asks for a command" {
    run --separate-stderr selfattn
    assert_usage_error "missing command (run, grad, batch, init, inspect, plot or completion)"
}
