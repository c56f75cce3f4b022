/* read_csv.c — embeddings from CSV: one row per line, separated by
 * commas (or by tabs or semicolons, as the first line shows), optional
 * header line and token-label column, '#' comment lines.  The
 * first lines go through the general reading (fields split, unquoted and
 * checked one by one); the data lines after them take a fast path that
 * converts each number in place with std::from_chars (numbers.h), on the
 * -t threads for a large text, and fall back to the general reading for a
 * line it does not take as it is, which gives the message. */
#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "numbers.h"
#include "utf8.h"
#include "selfattn.h"

/* One field of a line: its text (unquoted, trimmed) and where it starts. */
typedef struct {
    char *text;     /* NUL-terminated, owned by the line buffer */
    size_t offset;  /* byte offset of the field in the whole input */
} field;

/* A growable list of fields for the current line. */
typedef struct {
    field *items;
    size_t count, cap;
    char *buf;      /* storage for the unquoted text of all fields */
    size_t buf_cap;
} line_fields;

/* A growable array of floats and of labels. */
typedef struct {
    float *values;
    size_t count, cap;
    char **labels;
    size_t n_labels, labels_cap;
} sink;

static bool push_float(sink *s, float v)
{
    if (s->count == s->cap) {
        size_t cap = s->cap ? s->cap * 2 : 256;
        float *more = realloc(s->values, cap * sizeof *more);
        if (!more)
            return false;
        s->values = more;
        s->cap = cap;
    }
    s->values[s->count++] = v;
    return true;
}

/* Appends a copy of label[0 .. n) (bytes that are not UTF-8 replaced). */
static bool push_label(sink *s, const char *label, size_t n)
{
    if (s->n_labels == s->labels_cap) {
        size_t cap = s->labels_cap ? s->labels_cap * 2 : 64;
        char **more = realloc(s->labels, cap * sizeof *more);
        if (!more)
            return false;
        s->labels = more;
        s->labels_cap = cap;
    }
    char *copy = sa_utf8_dup(label, n);
    if (!copy)
        return false;
    s->labels[s->n_labels++] = copy;
    return true;
}

static void sink_free(sink *s)
{
    free(s->values);
    for (size_t i = 0; i < s->n_labels; i++)
        free(s->labels[i]);
    free(s->labels);
    memset(s, 0, sizeof *s);
}

/* True if s is a whole decimal number as CSV writers print them: what
 * strtod reads, without the "nan", "inf" and hex forms it also takes. */
static bool looks_numeric(const char *s)
{
    bool digit = false;
    for (const char *p = s; *p; p++) {
        if (*p >= '0' && *p <= '9')
            digit = true;
        else if (!strchr("+-.eE", *p))
            return false;
    }
    char *end;
    strtod(s, &end);
    return digit && *end == '\0';
}

/* True if c is a blank around fields separated by sep: a space, or a
 * tab unless tabs separate. */
static bool blank_in(char c, char sep)
{
    return c == ' ' || (c == '\t' && sep != '\t');
}

/* Splits the line text[start .. end) into fields separated by sep.
 * Returns SA_OK, or SA_ERR_DATA for an unterminated quote, SA_ERR_NOMEM. */
static sa_status split_line(line_fields *f, const char *text, size_t start,
                            size_t end, size_t len, char sep, sa_error *err)
{
    long line, col;
    size_t need = end - start + 1;
    if (need > f->buf_cap) {
        char *more = realloc(f->buf, need);
        if (!more)
            return sa_fail(err, SA_ERR_NOMEM, 0, 0, "out of memory");
        f->buf = more;
        f->buf_cap = need;
    }
    f->count = 0;
    char *out = f->buf;
    size_t i = start;
    for (;;) {
        /* one field: skip leading blanks */
        while (i < end && blank_in(text[i], sep))
            i++;
        if (f->count == f->cap) {
            size_t cap = f->cap ? f->cap * 2 : 16;
            field *more = realloc(f->items, cap * sizeof *more);
            if (!more)
                return sa_fail(err, SA_ERR_NOMEM, 0, 0, "out of memory");
            f->items = more;
            f->cap = cap;
        }
        f->items[f->count].text = out;
        f->items[f->count].offset = i;
        f->count++;
        if (i < end && text[i] == '"') {
            size_t open = i++;
            for (;;) {
                if (i >= end) {
                    sa_text_position(text, len, open, &line, &col);
                    return sa_fail(err, SA_ERR_DATA, line, col,
                                   "unterminated quoted field");
                }
                if (text[i] == '"' && i + 1 < end && text[i + 1] == '"') {
                    *out++ = '"';
                    i += 2;
                } else if (text[i] == '"') {
                    i++;
                    break;
                } else {
                    *out++ = text[i++];
                }
            }
            while (i < end && blank_in(text[i], sep))
                i++;
            if (i < end && text[i] != sep) {
                sa_text_position(text, len, i, &line, &col);
                return sa_fail(err, SA_ERR_DATA, line, col,
                               "unexpected text after a quoted field");
            }
        } else {
            char *field_start = out;
            while (i < end && text[i] != sep)
                *out++ = text[i++];
            while (out > field_start && blank_in(out[-1], sep))
                out--;  /* trailing blanks */
        }
        *out++ = '\0';
        if (i >= end)
            break;
        i++;  /* the separator */
    }
    return SA_OK;
}

/* Copies s into buf (size) for a message: control characters as \xNN,
 * cut at 40 bytes. */
static const char *printable(char *buf, size_t size, const char *s)
{
    size_t k = 0;
    for (; *s && k + 5 < size && k < 40; s++) {
        unsigned char c = (unsigned char)*s;
        if (c < 0x20 || c == 0x7f)
            k += (size_t)snprintf(buf + k, size - k, "\\x%02x", c);
        else
            buf[k++] = (char)c;
    }
    buf[k] = '\0';
    return buf;
}

/* Parses one numeric field into v, or fails naming its position.  The
 * position is a scan from the start of the text, so it is found only for
 * a bad value (once per value, it made reading a CSV quadratic in its
 * size: 3 minutes for 300000 rows). */
/* A number as CSV writers print it (what strtod reads, but "nan", "inf"
 * and hex) into the nearest float32; false if it is not one or is beyond
 * float32. */
static bool csv_number(const char *s, size_t n, float *v)
{
    sa_number_status st;
    if (n > 1 && s[0] == '+' && s[1] != '-') {  // from_chars takes no '+'
        s++;
        n--;
    }
    size_t sign = n > 0 && s[0] == '-';
    if (n == sign || !((s[sign] >= '0' && s[sign] <= '9') || s[sign] == '.'))
        return false;  // nothing, or "inf", "nan" (which from_chars reads)
    return sa_parse_float_prefix(s, n, v, &st) == n && st == SA_NUMBER_OK;
}

static sa_status parse_value(float *v, const field *fld, const char *text,
                             size_t len, sa_error *err)
{
    char *end;
    if (csv_number(fld->text, strlen(fld->text), v))
        return SA_OK;
    double d = strtod(fld->text, &end);
    bool parsed = *end == '\0';
    long line, col;
    sa_text_position(text, len, fld->offset, &line, &col);
    if (fld->text[0] == '\0')
        return sa_fail(err, SA_ERR_DATA, line, col, "empty value");
    if (parsed && !looks_numeric(fld->text) && !isfinite(d))
        return sa_fail(err, SA_ERR_DATA, line, col,
                       "'%s' is not a finite number", fld->text);
    char shown[64];
    if (!parsed || !looks_numeric(fld->text))
        return sa_fail(err, SA_ERR_DATA, line, col, "'%s' is not a number",
                       printable(shown, sizeof shown, fld->text));
    /* out of range; FLT_MAX printed short rounds up to infinity */
    return sa_fail(err, SA_ERR_DATA, line, col, "%s is out of float32 range",
                   fld->text);
}

/* What the reading knows so far. */
typedef struct {
    char sep;            /* ',', '\t' or ';': from the first line */
    bool sep_found;      /* the first line had more than one field */
    size_t rows, cols;
    bool seen_first;     /* the first non-blank, non-comment line */
    bool labelled;       /* the rows start with a label */
    bool index_header;   /* pandas' ",0,1" header: every row is labelled */
} csv_state;

/* True if the first line f is a header: a non-empty, non-numeric field
 * after the first, one non-numeric field, or an empty first field
 * (pandas' to_csv(), whose rows are labelled by the index). */
static bool is_header(csv_state *st, const line_fields *f)
{
    bool header = f->count == 1 && !looks_numeric(f->items[0].text);
    for (size_t j = 1; j < f->count; j++)
        if (f->items[j].text[0] && !looks_numeric(f->items[j].text))
            header = true;
    st->index_header = f->count > 1 && f->items[0].text[0] == '\0';
    return header || st->index_header;
}

/* The separators a file may have, in the order the first line is
 * searched for them. */
static const char separators[] = ",\t;";

/* Narrows the line [*start, *end) to its first and last characters other
 * than spaces and tabs: a tab there separates nothing. */
static void trim(const char *text, size_t *start, size_t *end)
{
    while (*start < *end && (text[*start] == ' ' || text[*start] == '\t'))
        (*start)++;
    while (*end > *start && (text[*end - 1] == ' ' || text[*end - 1] == '\t'))
        (*end)--;
}

/* The offset of the first separator but sep in the line text[start ..
 * end), trimmed, or SIZE_MAX if there is none. */
static size_t other_separator(const char *text, size_t start, size_t end, char sep)
{
    trim(text, &start, &end);
    for (size_t i = start; i < end; i++)
        if (text[i] != sep && strchr(separators, text[i]))
            return i;
    return SIZE_MAX;
}

/* The separator of a file from its first line, trimmed: a comma if it has
 * one, else a tab, else a semicolon; *found is false for a line of one
 * field (then a comma). */
static char find_separator(const char *text, size_t start, size_t end, bool *found)
{
    trim(text, &start, &end);
    *found = true;
    for (const char *c = separators; *c; c++)
        if (memchr(text + start, *c, end - start))
            return *c;
    *found = false;
    return ',';
}

static const char *separator_name(char sep)
{
    return sep == '\t' ? "tabs" : sep == ';' ? "semicolons" : "commas";
}

/* Takes the fields of one data line text[start .. end) into s. */
static sa_status take_row(csv_state *st, sink *s, const line_fields *f,
                          const char *text, size_t len, size_t start,
                          size_t end, sa_error *err)
{
    long line, col;
    // another separator than the first line's, where the count or a line
    // of one field shows it
    size_t other = st->sep_found ? other_separator(text, start, end, st->sep)
                                 : SIZE_MAX;
    if (other != SIZE_MAX && (f->count == 1 || (st->rows > 0 &&
        f->count != st->cols + (st->labelled ? 1 : 0)))) {
        sa_text_position(text, len, other, &line, &col);
        return sa_fail(err, SA_ERR_DATA, line, col, "values separated by %s "
                       "here, but by %s on the first line: use one separator",
                       separator_name(text[other]), separator_name(st->sep));
    }
    if (st->rows == 0) {
        st->labelled = st->index_header || !looks_numeric(f->items[0].text);
        st->cols = f->count - (st->labelled ? 1 : 0);
        if (st->cols == 0) {
            sa_text_position(text, len, start, &line, &col);
            return sa_fail(err, SA_ERR_DATA, line, col, "a label but no values");
        }
    }
    if (f->count != st->cols + (st->labelled ? 1 : 0)) {
        sa_text_position(text, len, start, &line, &col);
        return sa_fail(err, SA_ERR_DATA, line, col,
                       "%zu values, expected %zu like the first row",
                       f->count - (st->labelled ? 1 : 0), st->cols);
    }
    if (st->labelled && !push_label(s, f->items[0].text, strlen(f->items[0].text)))
        return sa_fail(err, SA_ERR_NOMEM, 0, 0, "out of memory");
    for (size_t j = st->labelled ? 1 : 0; j < f->count; j++) {
        float v = 0.0f;
        sa_status status = parse_value(&v, &f->items[j], text, len, err);
        if (status)
            return status;
        if (!push_float(s, v))
            return sa_fail(err, SA_ERR_NOMEM, 0, 0, "out of memory");
    }
    st->rows++;
    return SA_OK;
}

/* ---- data lines on the fast path ---------------------------------------- */

static bool blank(char c)
{
    return c == ' ' || c == '\t';
}

/* The data line text[start .. end) of st's shape straight into s: an
 * unquoted label if the rows have one, then st->cols numbers.  False,
 * with s as it was, for anything else (quotes, a bad value, another
 * count): the general reading takes the line then. */
static bool fast_line(sink *s, const csv_state *st, const char *text,
                      size_t start, size_t end)
{
    const char *p = text + start, *e = text + end;
    size_t count = s->count, labels = s->n_labels;
    char sep = st->sep;
    if (st->labelled) {
        while (p < e && blank_in(*p, sep))
            p++;
        const char *comma = memchr(p, sep, (size_t)(e - p)), *q = comma;
        if (!comma || memchr(p, '"', (size_t)(comma - p)))
            return false;
        while (q > p && blank_in(q[-1], sep))
            q--;
        if (!push_label(s, p, (size_t)(q - p)))
            return false;
        p = comma + 1;
    }
    for (size_t j = 0; j < st->cols; j++) {
        float v;
        while (p < e && blank_in(*p, sep))
            p++;
        const char *q = p;
        while (q < e && *q != sep)
            q++;
        const char *stop = q;
        while (stop > p && blank_in(stop[-1], sep))
            stop--;
        if (!csv_number(p, (size_t)(stop - p), &v) || !push_float(s, v) ||
            (j + 1 < st->cols) != (q < e))
            goto undo;
        p = q + 1;
    }
    return true;
undo:
    s->count = count;
    while (s->n_labels > labels)
        free(s->labels[--s->n_labels]);
    return false;
}

/* The next line from *pos: its bounds without the newline and a CR, and
 * whether it is blank or a comment. */
static bool next_line(const char *text, size_t len, size_t *pos, size_t *start,
                      size_t *end)
{
    *start = *end = *pos;
    const char *nl = memchr(text + *pos, '\n', len - *pos);
    *end = nl ? (size_t)(nl - text) : len;
    *pos = nl ? *end + 1 : len;
    if (*end > *start && text[*end - 1] == '\r')
        (*end)--;
    size_t first = *start;
    while (first < *end && blank(text[first]))
        first++;
    return first < *end && text[first] != '#';
}

/* One thread's lines: [from, to), each one line-aligned. */
typedef struct {
    const char *text;
    size_t len, from, to;
    const csv_state *st;
    sink s;
    size_t rows;
    bool ok;
} lines_part;

static void *read_lines(void *arg)
{
    lines_part *p = arg;
    size_t pos = p->from, start, end;
    p->ok = true;
    while (pos < p->to && p->ok)
        if (next_line(p->text, p->to, &pos, &start, &end)) {
            p->ok = fast_line(&p->s, p->st, p->text, start, end);
            p->rows++;
        }
    return NULL;
}

/* Reads the lines from pos to the end on sa_io_threads() threads into s;
 * false, with s as it was, if the text is small, one thread is to be
 * used, or a line is not one the fast path takes (the caller then reads
 * line by line, for the exact message). */
static bool parallel_lines(sink *s, csv_state *st, const char *text, size_t len,
                           size_t pos)
{
    size_t threads = sa_io_threads(), rest = len - pos;
    if (threads < 2 || rest < ((size_t)4 << 20))
        return false;
    if (threads > 16)
        threads = 16;
    lines_part parts[16];
    pthread_t ids[16];
    size_t from = pos, started = 1;
    for (size_t k = 0; k < threads; k++) {
        size_t to = k + 1 < threads ? pos + rest / threads * (k + 1) : len;
        const char *nl = to < len ? memchr(text + to, '\n', len - to) : NULL;
        to = k + 1 < threads && nl ? (size_t)(nl - text) + 1 : len;
        parts[k] = (lines_part){text, len, from, to < from ? from : to, st, {0}, 0, false};
        from = parts[k].to;
    }
    for (; started < threads; started++)
        if (pthread_create(&ids[started], NULL, read_lines, &parts[started]) != 0)
            break;
    read_lines(&parts[0]);
    for (size_t k = started; k < threads; k++)
        read_lines(&parts[k]);
    for (size_t k = 1; k < started; k++)
        pthread_join(ids[k], NULL);
    bool ok = true;
    for (size_t k = 0; k < threads; k++)
        ok &= parts[k].ok;
    size_t count = s->count, labels = s->n_labels, rows = st->rows;
    for (size_t k = 0; ok && k < threads; k++) {
        sink *p = &parts[k].s;
        for (size_t i = 0; ok && i < p->count; i++)
            ok = push_float(s, p->values[i]);
        for (size_t i = 0; ok && i < p->n_labels; i++)
            ok = push_label(s, p->labels[i], strlen(p->labels[i]));
        st->rows += parts[k].rows;
    }
    if (!ok) {  // as it was: the caller reads line by line
        s->count = count;
        while (s->n_labels > labels)
            free(s->labels[--s->n_labels]);
        st->rows = rows;
    }
    for (size_t k = 0; k < threads; k++)
        sink_free(&parts[k].s);
    return ok;
}

/* True if f, the first line, at the very start of the text (at_start),
 * is the header of pandas' to_csv(index=False): the column numbers 0, 1,
 * ..., d-1 (d >= 2), with a line of d numbers (not blank, not a comment)
 * after it, from pos. */
static bool is_index_names(const line_fields *f, bool at_start, const char *text,
                           size_t len, size_t pos, char sep)
{
    if (!at_start || f->count < 2)
        return false;
    for (size_t j = 0; j < f->count; j++) {
        char name[24];
        snprintf(name, sizeof name, "%zu", j);
        if (strcmp(f->items[j].text, name) != 0)
            return false;
    }
    size_t start, end;
    do {
        if (pos >= len)
            return false;  // no line after it: the numbers are data
    } while (!next_line(text, len, &pos, &start, &end));
    line_fields next = {0};
    sa_error ignored;
    bool numbers = split_line(&next, text, start, end, len, sep, &ignored) == SA_OK &&
                   next.count == f->count;
    for (size_t j = 0; numbers && j < next.count; j++)
        numbers = looks_numeric(next.items[j].text);
    free(next.items);
    free(next.buf);
    return numbers;
}

sa_status sa_read_csv_matrix(sa_matrix *m, const char *text, size_t len,
                             sa_error *err)
{
    line_fields f = {0};
    sink s = {0};
    csv_state st = {0};
    sa_status status = SA_OK;
    long line, col;

    memset(m, 0, sizeof *m);
    const char *nul = memchr(text, '\0', len);
    if (nul) {
        sa_text_position(text, len, (size_t)(nul - text), &line, &col);
        return sa_fail(err, SA_ERR_DATA, line, col, "a NUL byte in CSV text");
    }
    size_t pos = len >= 3 && memcmp(text, "\xEF\xBB\xBF", 3) == 0 ? 3 : 0, start, end;
    size_t first = pos;
    while (pos < len && !status) {
        if (!next_line(text, len, &pos, &start, &end))
            continue;  /* blank or comment line */
        if (st.rows > 0 && fast_line(&s, &st, text, start, end)) {
            st.rows++;
            if (st.rows == 1 + 1 && parallel_lines(&s, &st, text, len, pos))
                break;  /* the threads read the rest */
            continue;
        }
        bool first_line = !st.seen_first;
        if (first_line)
            st.sep = find_separator(text, start, end, &st.sep_found);
        if ((status = split_line(&f, text, start, end, len, st.sep, err)))
            break;
        st.seen_first = true;
        if (first_line && (is_header(&st, &f) ||
                           is_index_names(&f, start == first, text, len, pos, st.sep)))
            continue;
        status = take_row(&st, &s, &f, text, len, start, end, err);
    }
    if (!status && st.rows == 0)
        status = sa_fail(err, SA_ERR_DATA, 0, 0, "no rows of numbers");
    free(f.items);
    free(f.buf);
    if (status) {
        sink_free(&s);
        return status;
    }
    m->rows = st.rows;
    m->cols = st.cols;
    m->data = s.values;
    m->tokens = s.labels;
    return SA_OK;
}
