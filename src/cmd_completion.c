/* cmd_completion.c — `selfattn completion bash|zsh`: a script that makes
 * the shell complete commands, options, option values and file names.
 * The option lists here follow --help; a bats test checks they agree. */
#include <getopt.h>
#include <string.h>

#include "cli.h"

static const char bash_script[] =
"# bash completion for selfattn; install as\n"
"# /usr/share/bash-completion/completions/selfattn or source it.\n"
"_selfattn()\n"
"{\n"
"    local cur=${COMP_WORDS[COMP_CWORD]} prev=${COMP_WORDS[COMP_CWORD-1]}\n"
"    local cmd=${COMP_WORDS[1]} opts values\n"
"    if [[ $COMP_CWORD -eq 1 ]]; then\n"
"        COMPREPLY=($(compgen -W 'run batch init inspect plot completion help --help --version' -- \"$cur\"))\n"
"        return\n"
"    fi\n"
"    case $prev in\n"
"        -f|--format)\n"
"            case $cmd in\n"
"                plot) values='svg heatmap html' ;;\n"
"                inspect) values='json table' ;;\n"
"                batch) values='json' ;;\n"
"                *) values='json table csv npy npz svg heatmap html' ;;\n"
"            esac ;;\n"
"        -p|--print)\n"
"            local done=${cur%,*}\n"
"            [[ $done == \"$cur\" ]] && done='' || done=\"$done,\"\n"
"            COMPREPLY=($(compgen -P \"$done\" -W 'output weights steps' -- \"${cur##*,}\"))\n"
"            return ;;\n"
"        --color) values='auto always never' ;;\n"
"        --pos) values='sinusoidal' ;;\n"
"        --rope-style) values='roformer neox' ;;\n"
"        --masked-rows) values='zero nan' ;;\n"
"        --what) values='weights average scores softmax' ;;\n"
"        -w|--weights|--context|--mask|--bias|-o|--output)\n"
"            COMPREPLY=($(compgen -f -- \"$cur\")); return ;;\n"
"        -H|--heads|--kv-heads|--d-head|--d-model|--d-context|--seed|--scale|\\\n"
"        --rope-base|--softcap|--window|--digits|--layer|-t|--threads|--jobs|--head|\\\n"
"        --vmin|--vmax)\n"
"            return ;;\n"
"        completion) values='bash zsh' ;;\n"
"        help) [[ $COMP_CWORD -eq 2 ]] && values='run batch init inspect plot completion' ;;\n"
"    esac\n"
"    if [[ -n $values ]]; then\n"
"        COMPREPLY=($(compgen -W \"$values\" -- \"$cur\"))\n"
"        return\n"
"    fi\n"
"    case $cmd in\n"
"        run|batch)\n"
"            opts='--weights --layer --seed --d-head --out-proj --heads --kv-heads\n"
"                  --context --scale --pos --rope --rope-base --rope-style --softcap\n"
"                  --alibi --bias --causal --window --mask --masked-rows --print\n"
"                  --average-heads --format --output --digits --threads --color\n"
"                  --max-input --help --no-causal --head'\n"
"            [[ $cmd == run ]] && opts=\"$opts --stats --vmin --vmax\"\n"
"            [[ $cmd == batch ]] && opts=\"$opts --jobs --quiet\" ;;\n"
"        init) opts='--d-model --d-context --heads --kv-heads --d-head --seed --out-proj --output --help' ;;\n"
"        inspect) opts='--format --max-input --help' ;;\n"
"        plot) opts='--head --what --format --color --mask --recorded-mask --output\n"
"                    --max-input --vmin --vmax --help' ;;\n"
"        help) return ;;\n"
"    esac\n"
"    if [[ $cur == -* ]]; then\n"
"        COMPREPLY=($(compgen -W \"$opts\" -- \"$cur\"))\n"
"    else\n"
"        COMPREPLY=($(compgen -f -- \"$cur\"))\n"
"    fi\n"
"}\n"
"complete -o filenames -F _selfattn selfattn\n";

static const char zsh_script[] =
"#compdef selfattn\n"
"# zsh completion for selfattn; install as _selfattn in a directory of\n"
"# $fpath, such as /usr/share/zsh/vendor-completions.\n"
"\n"
"_selfattn() {\n"
"    local -a commands run_opts\n"
"    commands=(\n"
"        'run:compute attention on a matrix file'\n"
"        'batch:one sequence per JSON line'\n"
"        'init:write generated weights as JSON'\n"
"        'inspect:what a matrix or weights file holds'\n"
"        'plot:draw a saved JSON result'\n"
"        'completion:print a completion script'\n"
"        'help:the help of selfattn or of a command'\n"
"    )\n"
"    if (( CURRENT == 2 )); then\n"
"        _describe -t commands 'selfattn command' commands\n"
"        _arguments '--help[print the usage]' '--version[print the version]'\n"
"        return\n"
"    fi\n"
"    run_opts=(\n"
"        '(-w --weights)'{-w,--weights}'[weights file]:weights:_files'\n"
"        '--layer[checkpoint layer]:layer:'\n"
"        '--seed[seed of generated weights]:seed:'\n"
"        '--d-head[head width of generated weights]:width:'\n"
"        '--out-proj[generate an output projection]'\n"
"        '(-H --heads)'{-H,--heads}'[number of heads]:heads:'\n"
"        '--kv-heads[key/value heads]:heads:'\n"
"        '--context[keys and values from this file]:context:_files'\n"
"        '--scale[score scale]:scale:'\n"
"        '--pos[positions]:pos:(sinusoidal)'\n"
"        '--rope[rotary positions]'\n"
"        '--rope-base[RoPE base]:base:'\n"
"        '--rope-style[RoPE pairs]:style:(roformer neox)'\n"
"        '--softcap[score cap]:cap:'\n"
"        '--alibi[ALiBi slopes]'\n"
"        '--bias[additive score bias]:bias:_files'\n"
"        '--causal[query i sees keys j <= i]'\n"
"        '--no-causal[every query sees every key]'\n"
"        '--window[attention window]:window:'\n"
"        '--mask[0/1 mask file]:mask:_files'\n"
"        '--masked-rows[rows with no visible key]:value:(zero nan)'\n"
"        '(-p --print)'{-p,--print}'[what to print]:items:_values -s , item output weights steps'\n"
"        '--average-heads[average the weights over heads]'\n"
"        '--head[weights and steps of one head]:head:'\n"
"        '(-f --format)'{-f,--format}'[output format]:format:(json table csv npy npz svg heatmap html)'\n"
"        '(-o --output)'{-o,--output}'[output file]:output:_files'\n"
"        '--digits[decimals in tables]:digits:'\n"
"        '(-t --threads)'{-t,--threads}'[threads]:threads:'\n"
"        '--color[colour]:when:(auto always never)'\n"
"        '--max-input[largest text input or batch line]:size:'\n"
"        '--help[print the usage]'\n"
"    )\n"
"    case $words[2] in\n"
"        run) _arguments $run_opts '--stats[time and memory on stderr]' \\\n"
"                  '--vmin[low end of the colour scale]:value:' '--vmax[high end of the colour scale]:value:' \\\n"
"                  '*:input:_files' ;;\n"
"        batch) _arguments $run_opts '--jobs[lines in parallel]:jobs:' '--quiet[no progress]' '*:input:_files' ;;\n"
"        init) _arguments '--d-model[input width]:width:' '--d-context[key/value input width]:width:' \\\n"
"                  '(-H --heads)'{-H,--heads}'[heads]:heads:' '--kv-heads[key/value heads]:heads:' \\\n"
"                  '--d-head[head width]:width:' '--seed[seed]:seed:' '--out-proj[generate Wo]' \\\n"
"                  '(-o --output)'{-o,--output}'[output file]:output:_files' '--help[print the usage]' ;;\n"
"        inspect) _arguments '(-f --format)'{-f,--format}'[format]:format:(json table)' \\\n"
"                  '--max-input[largest text input]:size:' '--help[print the usage]' '*:file:_files' ;;\n"
"        plot) _arguments '--head[one head]:head:' '--what[what to draw]:what:(weights average scores softmax)' \\\n"
"                  '(-f --format)'{-f,--format}'[format]:format:(svg heatmap html)' '--color[colour]:when:(auto always never)' \\\n"
"                  '--mask[mask file of the run]:mask:_files' '--recorded-mask[reuse the recorded mask file]' \\\n"
"                  '--max-input[largest text input]:size:' \\\n"
"                  '--vmin[low end of the colour scale]:value:' '--vmax[high end of the colour scale]:value:' \\\n"
"                  '(-o --output)'{-o,--output}'[output file]:output:_files' '--help[print the usage]' '*:result:_files' ;;\n"
"        completion) _arguments '1:shell:(bash zsh)' '--help[print the usage]' ;;\n"
"        help) _arguments '1:command:(run batch init inspect plot completion)' ;;\n"
"    esac\n"
"}\n"
"\n"
"_selfattn \"$@\"\n";

/* completion takes no option but --help. */
static bool take_nothing(void *ctx, int code, const char *arg)
{
    (void)ctx, (void)code, (void)arg;
    return false;  /* not reached: cli_parse_command takes only --help */
}

int cmd_completion(int argc, char **argv)
{
    static const char *const shells[] = {"bash", "zsh", NULL};
    int code = cli_parse_command(argc, argv, CLI_COMPLETION, take_nothing, NULL);
    if (code)
        return code == -1 ? cli_help() : code;
    if (optind + 1 != argc)
        return cli_usage_error("completion: bash or zsh expected");
    int shell;
    if (!cli_parse_choice(&shell, "completion", argv[optind], shells))
        return EX_USAGE;
    fputs(shell == 0 ? bash_script : zsh_script, stdout);
    return cli_close_stdout();
}
