/* cli.c — exit codes, messages and option values for every subcommand,
 * and which command is running. */
#include <errno.h>
#include <float.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"

int cli_exit_code(sa_status status)
{
    switch (status) {
    case SA_OK: return 0;
    case SA_ERR_USAGE: return EX_USAGE;
    case SA_ERR_DATA: return EX_DATAERR;
    case SA_ERR_NOINPUT: return EX_NOINPUT;
    case SA_ERR_NOMEM: return EX_OSERR;
    case SA_ERR_CANTCREAT: return EX_CANTCREAT;
    case SA_ERR_IO: return EX_IOERR;
    case SA_ERR_INTERNAL: return EX_SOFTWARE;
    }
    return EX_SOFTWARE;
}

static const char *const command_names[CLI_COMMANDS] = {
    "run", "batch", "init", "inspect", "plot", "completion", "grad", "explain",
};

/* The command being run: one CLI_ bit, or 0. */
static unsigned current_command;

const char *cli_command_name(unsigned command)
{
    for (size_t i = 0; i < CLI_COMMANDS; i++)
        if (command == 1u << i)
            return command_names[i];
    return NULL;
}

void cli_set_command(unsigned command)
{
    current_command = command;
}

unsigned cli_command(void)
{
    return current_command;
}

const char *cli_display_name(const char *path)
{
    return strcmp(path, "-") == 0 ? "<stdin>" : path;
}

sa_status cli_read_file(char **text, size_t *len, const char *path,
                        sa_error *err)
{
    if (strcmp(path, "-") == 0)
        return sa_read_fd(text, len, STDIN_FILENO, err);
    return sa_read_file(text, len, path, err);
}

int cli_fail(const char *file, const sa_error *err)
{
    fputs("selfattn: ", stderr);
    if (file) {
        fputs(cli_display_name(file), stderr);
        if (err->line > 0)
            fprintf(stderr, ":%ld:%ld", err->line, err->col);
        fputs(": ", stderr);
    }
    fprintf(stderr, "%s\n", err->message);
    if (err->status == SA_ERR_USAGE)
        cli_help_hint();
    return cli_exit_code(err->status);
}

/* Prints prefix, the message and a newline. */
static void message(const char *prefix, const char *fmt, va_list ap)
{
    fputs(prefix, stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
}

int cli_usage_error(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    message("selfattn: ", fmt, ap);
    va_end(ap);
    cli_help_hint();
    return EX_USAGE;
}

void cli_warn(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    message("selfattn: warning: ", fmt, ap);
    va_end(ap);
}

int cli_error(int code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    message("selfattn: ", fmt, ap);
    va_end(ap);
    return code;
}

void cli_note(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    message("selfattn: ", fmt, ap);
    va_end(ap);
}

void cli_help_hint(void)
{
    const char *name = cli_command_name(current_command);
    fprintf(stderr, "Try 'selfattn %s%s--help' for more information.\n",
            name ? name : "", name ? " " : "");
}

void cli_write_messages(const char *text, size_t len)
{
    fwrite(text, 1, len, stderr);
}

void cli_progress(bool final, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("\r\033[Kselfattn: ", stderr);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    if (final)
        fputc('\n', stderr);
}

bool cli_parse_size(size_t *out, const char *option, const char *arg,
                    size_t min, size_t max)
{
    char *end;
    errno = 0;
    unsigned long long v = strtoull(arg, &end, 10);
    if (arg[0] < '0' || arg[0] > '9' || *end != '\0' || errno || v < min ||
        v > max) {
        cli_usage_error("%s: '%s' is not an integer from %zu to %zu", option,
                        arg, min, max);
        return false;
    }
    *out = (size_t)v;
    return true;
}

bool cli_parse_bytes(size_t *out, const char *option, const char *arg)
{
    static const char units[] = "KMGTPE";
    char *end;
    errno = 0;
    unsigned long long v = strtoull(arg, &end, 10);
    const char *unit = *end ? strchr(units, *end & ~0x20) : NULL;
    int shift = unit ? 10 * (int)(unit - units + 1) : 0;
    const char *rest = unit ? end + 1 : end;
    if (unit && (strcmp(rest, "iB") == 0 || strcmp(rest, "B") == 0))
        rest += strlen(rest);
    bool ok = arg[0] >= '0' && arg[0] <= '9' && !errno && *rest == '\0' &&
              v > 0 && (!*end || unit) && v <= (SIZE_MAX >> shift);
    if (!ok) {
        cli_usage_error("%s: '%s' is not a size (a positive integer of bytes, "
                        "or with K, M, G or T: 512M, 4G)", option, arg);
        return false;
    }
    *out = (size_t)v << shift;
    return true;
}

bool cli_parse_u64(uint64_t *out, const char *option, const char *arg)
{
    char *end;
    errno = 0;
    unsigned long long v = strtoull(arg, &end, 10);
    if (arg[0] < '0' || arg[0] > '9' || *end != '\0' || errno) {
        cli_usage_error("%s: '%s' is not an integer from 0 to %llu", option,
                        arg, (unsigned long long)UINT64_MAX);
        return false;
    }
    *out = (uint64_t)v;
    return true;
}

bool cli_parse_float(float *out, const char *option, const char *arg)
{
    char *end;
    errno = 0;
    double v = strtod(arg, &end);
    if (arg[0] == '\0' || *end != '\0' || isnan(v) ||
        (isinf(v) && errno != ERANGE)) {
        cli_usage_error("%s: '%s' is not a finite number", option, arg);
        return false;
    }
    if (isinf((float)v)) {  /* beyond float32 even after rounding */
        cli_usage_error("%s: '%s' is out of float32 range", option, arg);
        return false;
    }
    *out = (float)v;
    return true;
}

bool cli_parse_choice(int *index, const char *option, const char *arg,
                      const char *const *names)
{
    size_t count = 0;
    for (; names[count]; count++)
        if (strcmp(arg, names[count]) == 0) {
            *index = (int)count;
            return true;
        }
    char text[512];
    cli_choice_message(text, sizeof text, option, arg, strlen(arg), names, count);
    cli_usage_error("%s", text);
    return false;
}

bool cli_parse_output(const char **out, const char *arg)
{
    if (arg[0] == '\0') {
        cli_usage_error("--output: '' is not a file name");
        return false;
    }
    *out = arg;
    return true;
}

bool cli_parse_color(cli_color *out, const char *arg)
{
    static const char *const names[] = {"auto", "always", "never", NULL};
    int choice;
    if (!cli_parse_choice(&choice, "--color", arg, names))
        return false;
    *out = (cli_color)choice;
    return true;
}

bool cli_use_color(cli_color mode, FILE *fp)
{
    if (mode != CLI_COLOR_AUTO)
        return mode == CLI_COLOR_ALWAYS;
    const char *no_color = getenv("NO_COLOR"), *term = getenv("TERM");
    if (no_color && *no_color)
        return false;
    if (term && strcmp(term, "dumb") == 0)
        return false;
    return isatty(fileno(fp));
}

bool cli_truecolor(void)
{
    const char *colorterm = getenv("COLORTERM");
    return colorterm && (strcmp(colorterm, "truecolor") == 0 ||
                         strcmp(colorterm, "24bit") == 0);
}

bool cli_parse_limit(sa_color_limits *limits, int code, const char *arg)
{
    if (code == OPT_VMIN) {
        limits->has_min = true;
        return cli_parse_float(&limits->min, "--vmin", arg);
    }
    limits->has_max = true;
    return cli_parse_float(&limits->max, "--vmax", arg);
}

int cli_check_limits(const sa_color_limits *limits)
{
    if (!limits->has_min || !limits->has_max || limits->min < limits->max)
        return 0;
    char min[32], max[32];
    sa_format_float(min, limits->min);
    sa_format_float(max, limits->max);
    return cli_usage_error("--vmin %s must be less than --vmax %s", min, max);
}

int cli_close_stdout(void)
{
    /* a write may already have failed (a long text): the error flag says
     * so; then the flush writes what is left */
    bool failed = ferror(stdout) != 0 || fflush(stdout) != 0;
    int saved = errno;
    /* closing a descriptor the shell closed (>&-) fails with EBADF: with
     * nothing written, nothing was lost (every output went to -o) */
    if ((fclose(stdout) != 0 && errno != EBADF) || failed) {
        if (failed && saved)
            errno = saved;
        fprintf(stderr, "selfattn: write error on standard output: %s\n",
                strerror(errno));
        return EX_IOERR;
    }
    return 0;
}
