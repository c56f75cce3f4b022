#!/usr/bin/env bats
# completion.bats — `selfattn completion bash|zsh`: the scripts load, and
# bash's completion offers the subcommands, option values, comma lists of
# --print, file names and, for each command, the long options its --help
# lists (help_options, in tests/helpers.bash).  (A shell other
# than bash or zsh is a usage error: tests/bad/catalogue.tsv.)

load ../helpers

# The bash completion script, written once for the tests.
setup_file() {
    "$SELFATTN" completion bash >"$BATS_FILE_TMPDIR/selfattn.bash"
}

# complete_words WORD...: the words bash's completion of selfattn offers
# when the command line is `selfattn WORD...` (the last word being
# completed), one a line, sorted.
complete_words() {
    bash -c 'source "$1"; shift
             COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); COMPREPLY=()
             _selfattn
             printf "%s\n" "${COMPREPLY[@]}" | sort' \
        bash "$BATS_FILE_TMPDIR/selfattn.bash" selfattn "$@"
}

# The long options of every command's --help, sorted.
all_help_options() {
    local cmd
    for cmd in run grad batch init inspect plot completion; do
        help_options "$cmd"
    done | sort -u
}

@test "completion bash loads in bash and registers _selfattn" {
    run bash -c 'source <("$1" completion bash); complete -p selfattn' bash "$SELFATTN"
    assert_success
    assert_output "complete -o filenames -F _selfattn selfattn"
}

@test "completion bash: subcommands" {
    run complete_words ""
    assert_output "$(printf '%s\n' --help --version batch completion grad help init inspect plot run | sort)"
    run complete_words p
    assert_output "plot"
    run complete_words i
    assert_output $'init\ninspect'
    run complete_words completion ""
    assert_output $'bash\nzsh'
    run complete_words help ""
    assert_output "$(printf '%s\n' batch completion grad init inspect plot run | sort)"
    run complete_words help in
    assert_output $'init\ninspect'
    run complete_words help run ""
    assert_output ""
}

@test "completion bash: --format values for run and plot" {
    run complete_words run --format ""
    assert_output "$(printf '%s\n' json table csv npy npz svg heatmap html | sort)"
    run complete_words run -f s
    assert_output "svg"
    run complete_words run -f h
    assert_output $'heatmap\nhtml'
    run complete_words plot --format ""
    assert_output $'heatmap\nhtml\nsvg'
    run complete_words plot -f ""
    assert_output $'heatmap\nhtml\nsvg'
    run complete_words inspect -f ""
    assert_output $'json\ntable'
}

@test "completion bash: --print comma lists" {
    run complete_words run --print ""
    assert_output $'output\nsteps\nweights'
    run complete_words run --print output,w
    assert_output "output,weights"
    run complete_words run -p weights,s
    assert_output "weights,steps"
    run complete_words run -p output,weights,
    assert_output $'output,weights,output\noutput,weights,steps\noutput,weights,weights'
}

@test "completion bash: --color, --what and other values" {
    run complete_words run --color ""
    assert_output $'always\nauto\nnever'
    run complete_words plot --color a
    assert_output $'always\nauto'
    run complete_words plot --what ""
    assert_output $'average\nscores\nsoftmax\nweights'
    run complete_words run --rope-style ""
    assert_output $'neox\nroformer'
    run complete_words run --heads ""
    assert_output ""
    run complete_words run --head ""
    assert_output ""
}

@test "completion bash: file names for inputs and file options" {
    cd "$T"
    touch alpha.json alpine.csv beta.json
    run complete_words run al
    assert_output $'alpha.json\nalpine.csv'
    run complete_words plot b
    assert_output "beta.json"
    run complete_words run -o be
    assert_output "beta.json"
    run complete_words run --weights alp
    assert_output $'alpha.json\nalpine.csv'
    run complete_words plot --output al
    assert_output $'alpha.json\nalpine.csv'
}

@test "completion bash offers each command the long options of its --help, no more" {
    local cmd
    for cmd in run grad batch init inspect plot; do
        run diff <(help_options "$cmd") <(complete_words "$cmd" --)
        assert_success
    done
}

@test "completion bash: grad's --print items, --what values and --dy files" {
    run complete_words grad --print ""
    assert_output $'grad_steps\ngrads\noutput\nsteps\nweights'
    run complete_words grad -p output,g
    assert_output $'output,grad_steps\noutput,grads'
    run complete_words grad --what ""
    assert_output $'dP\ndS'
    cd "$T"
    touch dy.json
    run complete_words grad --dy d
    assert_output "dy.json"
}

@test "every long option of each command's --help appears in the bash and zsh scripts" {
    run comm -23 <(all_help_options) \
        <(grep -oE -- '--[a-z][a-z-]*' "$BATS_FILE_TMPDIR/selfattn.bash" | sort -u)
    assert_output ""
    run comm -23 <(all_help_options) \
        <(selfattn completion zsh | grep -oE -- '--[a-z][a-z-]*' | sort -u)
    assert_output ""
}

@test "completion zsh starts with #compdef selfattn" {
    run selfattn completion zsh
    assert_success
    assert_line --index 0 "#compdef selfattn"
    if command -v zsh >/dev/null; then
        run zsh -n <(selfattn completion zsh)
        assert_success
    fi
}
