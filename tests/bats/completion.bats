#!/usr/bin/env bats
# completion.bats — `selfattn completion bash|zsh`: the scripts load, and
# bash's completion offers the subcommands, option values, comma lists of
# --print, file names and every long option --help lists.  (A shell other
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

# help_options [COMMAND]: the long options `selfattn --help` lists (under
# "Options of COMMAND:" when given), sorted.
help_options() {
    selfattn --help |
        awk -v c="$1" 'c == "" { print; next }
                       /^Options of / { on = ($3 == c ":") }
                       /^  -h, --help/ { on = 0 }
                       on' |
        grep -oE -- '--[a-z][a-z-]*' | sort -u
}

@test "completion bash loads in bash and registers _selfattn" {
    run bash -c 'source <("$1" completion bash); complete -p selfattn' bash "$SELFATTN"
    assert_success
    assert_output "complete -o filenames -F _selfattn selfattn"
}

@test "completion bash: subcommands" {
    run complete_words ""
    assert_output "$(printf '%s\n' --help --version batch completion grad init inspect plot run | sort)"
    run complete_words p
    assert_output "plot"
    run complete_words i
    assert_output $'init\ninspect'
    run complete_words completion ""
    assert_output $'bash\nzsh'
}

@test "completion bash: --format values for run and plot" {
    run complete_words run --format ""
    assert_output "$(printf '%s\n' json table csv npy npz svg heatmap | sort)"
    run complete_words run -f s
    assert_output "svg"
    run complete_words run -f h
    assert_output "heatmap"
    run complete_words plot --format ""
    assert_output $'heatmap\nsvg'
    run complete_words plot -f ""
    assert_output $'heatmap\nsvg'
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
    assert_output $'scores\nsoftmax\nweights'
    run complete_words run --rope-style ""
    assert_output $'neox\nroformer'
    run complete_words run --heads ""
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

@test "completion bash offers every long option of --help, per command" {
    local cmd
    for cmd in run init inspect plot; do
        run comm -23 <({ help_options "$cmd"; echo --help; } | sort) <(complete_words "$cmd" --)
        assert_output ""
    done
    # batch: those of run but --stats, --vmin, --vmax, and --jobs, --quiet
    run diff <({ help_options run | grep -vxE -- "--(stats|vmin|vmax)"; printf '%s\n' --help --jobs --quiet; } | sort) \
             <(complete_words batch --)
    assert_success
}

@test "completion bash: grad takes run's options, --dy and --what, and its own --print items" {
    # those of run (--stats, --vmin, --vmax included) and of "Options of grad"
    run diff <({ help_options run; help_options grad; echo --help; } | sort -u) \
             <(complete_words grad --)
    assert_success
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

@test "every long option of --help appears in the bash and zsh scripts" {
    run comm -23 <(help_options) \
        <(grep -oE -- '--[a-z][a-z-]*' "$BATS_FILE_TMPDIR/selfattn.bash" | sort -u)
    assert_output ""
    run comm -23 <(help_options) \
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
