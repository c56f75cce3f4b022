#!/usr/bin/env bats
# usage.bats — the command line itself: --help and --version, the help of
# each command against the option table, and the one usage error the
# catalogue cannot express, no argument at all.  The other
# usage errors (exit 64: unknown commands and options, bad option values,
# options that do not go together) are cases of tests/bad/catalogue.tsv, with
# their exact messages (catalogue.bats); those that need an environment
# variable or a terminal are tested beside what they concern
# (SELFATTN_KERNELS in run.bats, a binary format to a terminal in
# formats.bats).

load ../helpers

@test "--help prints the overview on stdout, exit 0: the commands and the general options" {
    run --separate-stderr selfattn --help
    assert_success
    assert_equal "$stderr" ""
    assert_line --index 0 --partial "Usage: selfattn run [OPTIONS] INPUT"
    local cmd
    for cmd in run grad explain batch init inspect plot completion help; do
        assert_line --regexp "^(Usage:)? +selfattn $cmd "
    done
    assert_output --partial "  -h, --help "
    assert_output --partial "      --version "
    assert_output --partial "Each command's options: selfattn COMMAND --help"
}

# The commands that take each long option of the table: `completion` takes
# none but --help, so `selfattn completion --NAME x` names them ("--NAME is
# an option of run and batch, not completion").
options_and_commands() {
    local option message
    for option in $(sed -n "s/^ *{\"\([a-z-]*\)\", *\('.'\|0\), .*/\1/p" \
                        "$REPO_ROOT"/src/cli_options.c | sort -u); do
        [[ $option == help ]] && continue
        message="$("$SELFATTN" completion "--$option" x 2>&1 >/dev/null)" || true
        sed -n "1s/^selfattn: --$option is an option of \(.*\), not completion$/$option \1/p" \
            <<< "$message" | sed 's/,\| and / /g'
    done
}

@test "each command's --help lists exactly the options that command takes" {
    local option commands cmd missing="" extra=""
    declare -A listed
    for cmd in run grad explain batch init inspect plot completion; do
        listed[$cmd]=" $(help_options "$cmd" | tr '\n' ' ')"
    done
    local table
    table="$(options_and_commands)"
    assert [ "$(wc -l <<< "$table")" -ge 30 ]
    while read -r option commands; do
        for cmd in run grad explain batch init inspect plot completion; do
            if [[ " $commands " == *" $cmd "* ]]; then
                [[ ${listed[$cmd]} == *" --$option "* ]] || missing+=" $cmd:--$option"
            else
                [[ ${listed[$cmd]} != *" --$option "* ]] || extra+=" $cmd:--$option"
            fi
        done
    done <<< "$table"
    assert_equal "${missing:-none}" none
    assert_equal "${extra:-none}" none
    for cmd in run grad explain batch init inspect plot completion; do
        [[ ${listed[$cmd]} == *" --help "* ]] || missing+=" $cmd:--help"
    done
    assert_equal "${missing:-none}" none
}

@test "each command's --help shows the short name of each option that has one" {
    # the table's rows with a short name: {"weights", 'w', 'w', ... CLI_RUN ...}
    # (a row names its commands with CLI_ bits or the table's RUNS, READS, ALL)
    local row option short cmd help commands
    for cmd in run grad explain batch init inspect plot completion; do
        help="$(selfattn "$cmd" --help)"
        while read -r short option commands; do
            commands="${commands//RUNS/CLI_RUN|CLI_BATCH|CLI_GRAD}"
            commands="${commands//READS/CLI_RUN|CLI_BATCH|CLI_INSPECT|CLI_PLOT|CLI_GRAD}"
            commands="${commands//ALL/CLI_RUN|CLI_BATCH|CLI_INIT|CLI_INSPECT|CLI_PLOT|CLI_GRAD}"
            [[ "${commands// /}" =~ (^|\|)CLI_${cmd^^}(\||$) ]] || continue
            if grep -qE -- "^ {6}--$option( |$)" <<< "$help"; then
                echo "$cmd: --$option is listed without -$short" >&2
                return 1
            fi
        done < <(sed -n "s/^ *{\"\([a-z-]*\)\", *'\(.\)', *[A-Za-z_']*, *[^,]*, *\([^,]*\),.*/\2 \1 \3/p" \
                     "$REPO_ROOT"/src/cli_options.c)
    done
    run selfattn run --help
    assert_output --partial "  -w, --weights FILE   "
    assert_output --partial "  -H, --heads N        "
    run selfattn plot --help
    assert_output --partial "  -H, --head N         "
}

@test "-h and help print the overview; CMD --help, CMD -h and help CMD the command's" {
    local usage cmd
    usage="$(selfattn --help)"
    run --separate-stderr selfattn -h
    assert_output "$usage"
    run --separate-stderr selfattn help
    assert_output "$usage"
    for cmd in run grad explain batch init inspect plot completion; do
        run --separate-stderr selfattn help "$cmd"
        assert_success
        assert_equal "$stderr" ""
        assert_line --index 0 --partial "Usage: selfattn $cmd "
        local own="$output"
        run --separate-stderr selfattn "$cmd" --help
        assert_success
        assert_output "$own"
        run --separate-stderr selfattn "$cmd" -h
        assert_output "$own"
        [[ $own != "$usage" ]]
    done
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
    assert_usage_error "missing command (run, grad, explain, batch, init, inspect, plot or completion)"
}
