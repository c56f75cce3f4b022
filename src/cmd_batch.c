/* cmd_batch.c — `selfattn batch`: one sequence per JSON line in, one
 * compact JSON result per line out, in input order, as each is done.
 * Memory stays constant in the number of lines: at most --jobs lines are
 * held at once.  A bad line gives {"line": N, "error": "..."} in its place. */
#include <cJSON.h>
#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "format.h"
#include "cli_run.h"

/* One line in flight. */
typedef struct {
    run_session *session;
    const char *source;   /* the input's display name */
    char *text;           /* the line, without its newline */
    size_t text_len;      /* its bytes (a NUL inside is the parser's to report) */
    long line;            /* 1-based */
    char *result;         /* the output line(s), from open_memstream */
    size_t result_len;
    char *messages;       /* what to print on stderr, in order */
    size_t messages_len;
    bool failed;
    bool usage;           /* failed for a reason every line shares (64) */
    bool nomem;           /* failed for want of memory (71) */
} job;

/* Returns the end of the JSON value starting at text[i] (a string, a
 * nested array or object, or a scalar), for a text that parsed. */
static size_t value_end(const char *text, size_t i, size_t len)
{
    int depth = 0;
    for (; i < len; i++) {
        char c = text[i];
        if (c == '"') {
            for (i++; i < len && text[i] != '"'; i++)
                if (text[i] == '\\')
                    i++;
            if (depth == 0)
                return i + 1;
        } else if (c == '[' || c == '{') {
            depth++;
        } else if (c == ']' || c == '}') {
            if (depth-- == 0)
                return i;  /* the end of the enclosing object */
            if (depth == 0)
                return i + 1;
        } else if (depth == 0 && (c == ',' || c == ' ' || c == '\t' ||
                                  c == '\r' || c == '\n')) {
            return i;
        }
    }
    return i;
}

/* The raw text of the top-level member "id" of the JSON object text, as
 * written (so 64-bit integers keep every digit), in a new string; NULL if
 * there is none. */
static char *raw_id(const char *text, size_t len)
{
    size_t i = 0;
    int depth = 0;
    while (i < len) {
        char c = text[i];
        if (c == '"') {
            size_t start = i;
            for (i++; i < len && text[i] != '"'; i++)
                if (text[i] == '\\')
                    i++;
            i++;
            if (depth == 1 && i - start == 4 && memcmp(text + start, "\"id\"", 4) == 0) {
                while (i < len && strchr(" \t\r\n", text[i]))
                    i++;
                if (i < len && text[i] == ':') {
                    for (i++; i < len && strchr(" \t\r\n", text[i]); i++)
                        ;
                    return strndup(text + i, value_end(text, i, len) - i);
                }
            }
            continue;
        }
        if (c == '{' || c == '[')
            depth++;
        else if (c == '}' || c == ']')
            depth--;
        i++;
    }
    return NULL;
}

/* True if s is a number exactly as JSON's grammar writes one (cJSON also
 * takes forms such as "01" or "1." that must not be echoed). */
static bool strict_number(const char *s)
{
    if (*s == '-')
        s++;
    if (*s == '0')
        s++;
    else if (*s >= '1' && *s <= '9')
        while (*s >= '0' && *s <= '9')
            s++;
    else
        return false;
    if (*s == '.') {
        if (!(*++s >= '0' && *s <= '9'))
            return false;
        while (*s >= '0' && *s <= '9')
            s++;
    }
    if (*s == 'e' || *s == 'E') {
        s++;
        if (*s == '+' || *s == '-')
            s++;
        if (!(*s >= '0' && *s <= '9'))
            return false;
        while (*s >= '0' && *s <= '9')
            s++;
    }
    return *s == '\0';
}

/* The id of a line as JSON text to echo, or NULL: a number exactly as
 * written (so 64-bit integers keep every digit), a number written loosely
 * with 17 significant digits, anything else as cJSON prints it (escaped,
 * valid JSON whatever the line held). */
static char *line_id(const char *text, size_t len)
{
    cJSON *root = cJSON_ParseWithLength(text, len);
    const cJSON *item = cJSON_IsObject(root)
        ? cJSON_GetObjectItemCaseSensitive(root, "id") : NULL;
    char *id = NULL;
    if (item && cJSON_IsNumber(item)) {
        id = raw_id(text, len);
        /* the raw text must be the member cJSON found (not another "id"
         * behind an escaped duplicate key) and strict JSON */
        if (id && (!strict_number(id) || strtod(id, NULL) != item->valuedouble)) {
            free(id);
            id = NULL;
        }
    }
    if (item && !id && cJSON_IsNumber(item) && isfinite(item->valuedouble)) {
        /* not strict as written (01, 1.): cJSON would print 15 digits
         * whenever they come within its tolerance of the number, not
         * always the same double; 17 digits always give it back */
        char digits[32];
        snprintf(digits, sizeof digits, "%.17g", item->valuedouble);
        id = strdup(digits);
    }
    if (item && !id)
        id = cJSON_PrintUnformatted(item);
    cJSON_Delete(root);
    return id;
}

/* Writes {"line": N, "error": message} and the stderr message for a line
 * that failed. */
static void fail_line(job *j, FILE *out, FILE *msg, const char *id,
                      const sa_error *err, const char *blame)
{
    j->failed = true;
    fprintf(out, "{\"line\":%ld,", j->line);
    if (id)
        fprintf(out, "\"id\":%s,", id);
    fputs("\"error\":", out);
    sa_json_write_string(out, err->message);
    fputs("}\n", out);
    /* a position belongs to the file at fault: the line's own column, or
     * the mask, bias or weights file's line:col */
    fprintf(msg, "selfattn: %s:%ld", j->source, j->line);
    if (blame)
        fprintf(msg, ": %s", cli_display_name(blame));
    if (err->line > 0 && blame)
        fprintf(msg, ":%ld:%ld", err->line, err->col);
    else if (err->line > 0)
        fprintf(msg, ":%ld", err->col);
    fprintf(msg, ": %s\n", err->message);
}

/* Computes one line into its result and messages. */
static void *run_job(void *arg)
{
    job *j = arg;
    FILE *out = open_memstream(&j->result, &j->result_len);
    FILE *msg = open_memstream(&j->messages, &j->messages_len);
    sa_matrix x = {0};
    run_output res = {0};
    sa_error err;
    const char *blame = NULL;
    char *id = NULL;

    if (!out || !msg || !j->text) {
        j->failed = j->nomem = true;
        if (out)
            fclose(out);
        if (msg)
            fclose(msg);
        return NULL;
    }
    size_t len = j->text_len;
    if (sa_read_json_matrix(&x, j->text, len, &err) ||
        run_sequence(&res, j->session, &x, &blame, &err)) {
        if (x.data)  /* the line parsed: its id can be trusted */
            id = line_id(j->text, len);
        fail_line(j, out, msg, id, &err, blame);
        j->usage = err.status == SA_ERR_USAGE;
        j->nomem = err.status == SA_ERR_NOMEM;
    } else {
        id = line_id(j->text, len);
        if (res.result.n_empty_rows) {
            char prefix[64];
            snprintf(prefix, sizeof prefix, "%s:%ld", j->source, j->line);
            run_warn_empty_rows(msg, &res.result, j->session->o->masked_rows_nan,
                                prefix);
        }
        if (sa_write_json_line(out, &res.report, j->line, id, &err))
            fail_line(j, out, msg, id, &err, NULL);
    }
    free(id);
    fclose(out);
    fclose(msg);
    run_output_free(&res);
    sa_matrix_free(&x);
    return NULL;
}

/* Progress on a terminal: lines done, rate and, for a file, percent and
 * time left. */
typedef struct {
    bool on;
    struct timespec start, last;
    off_t total;  /* bytes of a regular input file, or 0 */
} progress;

static double seconds_since(const struct timespec *t)
{
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (double)(now.tv_sec - t->tv_sec) + (double)(now.tv_nsec - t->tv_nsec) / 1e9;
}

static void show_progress(progress *p, long lines, off_t done, bool final)
{
    if (!p->on || (!final && seconds_since(&p->last) < 0.2))
        return;
    clock_gettime(CLOCK_MONOTONIC, &p->last);
    double elapsed = seconds_since(&p->start), rate = elapsed > 0 ? lines / elapsed : 0;
    fprintf(stderr, "\r\033[Kselfattn: %ld lines, %.0f lines/s", lines, rate);
    if (p->total > 0 && done > 0) {
        double fraction = (double)done / (double)p->total;
        fprintf(stderr, ", %.0f%%", 100 * fraction);
        if (!final && fraction > 0)
            fprintf(stderr, ", %.0f s left", elapsed * (1 - fraction) / fraction);
    }
    if (final)
        fputc('\n', stderr);
}

int cmd_batch(int argc, char **argv)
{
    run_options o;
    run_session s;
    int code = run_parse_options(&o, argc, argv, true);
    if (code == -1) {
        fputs(cli_usage, stdout);
        return cli_close_stdout();
    }
    if (code)
        return code;
    bool is_stdin = strcmp(o.input, "-") == 0;
    FILE *in = is_stdin ? stdin : fopen(o.input, "r");
    if (!in) {
        sa_error err;
        sa_fail(&err, SA_ERR_NOINPUT, 0, 0, "cannot open: %s", strerror(errno));
        return cli_fail(o.input, &err);
    }
    struct stat st;
    if (fstat(fileno(in), &st) == 0 && S_ISDIR(st.st_mode)) {
        if (!is_stdin)
            fclose(in);
        sa_error err;
        sa_fail(&err, SA_ERR_NOINPUT, 0, 0, "is a directory");
        return cli_fail(o.input, &err);
    }
    if ((code = run_session_open(&s, &o))) {
        if (!is_stdin)
            fclose(in);
        run_session_close(&s);
        return code;
    }

    progress p = {.on = !o.quiet && isatty(STDERR_FILENO),
                  .total = S_ISREG(st.st_mode) ? st.st_size : 0};
    clock_gettime(CLOCK_MONOTONIC, &p.start);
    p.last = p.start;

    cli_output dest;
    if ((code = cli_output_open(&dest, o.output)))
        goto done;
    job *jobs = calloc(o.jobs, sizeof *jobs);
    pthread_t *threads = calloc(o.jobs, sizeof *threads);
    if (!jobs || !threads) {
        free(jobs);
        free(threads);
        cli_output_abort(&dest);
        fprintf(stderr, "selfattn: out of memory\n");
        code = EX_OSERR;
        goto done;
    }
    char *line = NULL;
    size_t cap = 0;
    long line_no = 0, done_lines = 0;
    bool any_failed = false, write_failed = false, eof = false, usage = false;
    bool nomem = false;
    while (!eof && !write_failed && !usage) {
        /* read up to --jobs non-blank lines */
        size_t count = 0;
        while (count < o.jobs) {
            ssize_t got = getline(&line, &cap, in);
            if (got < 0) {
                eof = true;
                break;
            }
            line_no++;
            while (got > 0 && (line[got - 1] == '\n' || line[got - 1] == '\r'))
                line[--got] = '\0';
            if (strspn(line, " \t") == (size_t)got)
                continue;  /* blank lines are skipped */
            char *copy = malloc((size_t)got + 1);
            if (copy)
                memcpy(copy, line, (size_t)got + 1);
            jobs[count] = (job){.session = &s, .source = cli_display_name(o.input),
                                .text = copy, .text_len = (size_t)got,
                                .line = line_no};
            count++;
        }
        /* until generated weights exist, lines run one by one, so the
         * first good line sets their width; then the rest in threads */
        size_t first = 0;
        while (first < count && !s.have_weights)
            run_job(&jobs[first++]);
        for (size_t k = first + 1; k < count; k++)
            if (pthread_create(&threads[k], NULL, run_job, &jobs[k]) != 0)
                run_job(&jobs[k]), threads[k] = 0;
        if (first < count)
            run_job(&jobs[first]);
        for (size_t k = first + 1; k < count; k++)
            if (threads[k])
                pthread_join(threads[k], NULL);
        /* write in input order, each line whole and flushed; after a usage
         * error nothing more is written, as with --jobs 1 */
        for (size_t k = 0; k < count; k++) {
            job *j = &jobs[k];
            if (usage) {
                free(j->text);
                free(j->result);
                free(j->messages);
                continue;
            }
            if (j->messages_len)
                fwrite(j->messages, 1, j->messages_len, stderr);
            if (j->nomem && !j->result_len) {
                fprintf(stderr, "selfattn: %s:%ld: out of memory\n",
                        j->source, j->line);
                j->failed = true;
            }
            if (j->result_len && (fwrite(j->result, 1, j->result_len, dest.fp)
                                  != j->result_len || fflush(dest.fp) != 0))
                write_failed = true;
            any_failed |= j->failed;
            usage |= j->usage;
            nomem |= j->nomem;
            free(j->text);
            free(j->result);
            free(j->messages);
            done_lines++;
        }
        show_progress(&p, done_lines, is_stdin ? 0 : ftello(in), false);
    }
    show_progress(&p, done_lines, p.total, true);
    free(line);
    free(jobs);
    free(threads);
    if (write_failed) {
        fprintf(stderr, "selfattn: %s: write error: %s\n",
                o.output ? cli_display_name(o.output) : "<stdout>", strerror(errno));
        cli_output_abort(&dest);
        code = EX_IOERR;
        goto done;
    }
    if (ferror(in)) {
        cli_output_abort(&dest);
        fprintf(stderr, "selfattn: %s: read error\n", cli_display_name(o.input));
        code = EX_IOERR;
        goto done;
    }
    if ((code = cli_output_commit(&dest)))
        goto done;
    code = cli_close_stdout();
    if (!code && nomem)
        code = EX_OSERR;  /* some line failed for want of memory */
    else if (!code && usage) {
        fputs("Try 'selfattn --help' for more information.\n", stderr);
        code = EX_USAGE;  /* the options do not fit the data: stopped */
    }
    else if (!code && any_failed)
        code = EX_DATAERR;
done:
    if (!is_stdin)
        fclose(in);
    run_session_close(&s);
    return code;
}
