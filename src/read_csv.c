/* csv.c — embeddings from CSV: one row per line, comma separated, optional
 * header line and token-label column, '#' comment lines. */
#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

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

static bool push_label(sink *s, const char *label)
{
    if (s->n_labels == s->labels_cap) {
        size_t cap = s->labels_cap ? s->labels_cap * 2 : 64;
        char **more = realloc(s->labels, cap * sizeof *more);
        if (!more)
            return false;
        s->labels = more;
        s->labels_cap = cap;
    }
    char *copy = strdup(label);
    if (!copy)
        return false;
    s->labels[s->n_labels++] = copy;
    return true;
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

/* Splits the line text[start .. end) into fields.  Returns SA_OK, or
 * SA_ERR_DATA for an unterminated quote, SA_ERR_NOMEM. */
static sa_status split_line(line_fields *f, const char *text, size_t start,
                            size_t end, size_t len, sa_error *err)
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
        while (i < end && (text[i] == ' ' || text[i] == '\t'))
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
            while (i < end && (text[i] == ' ' || text[i] == '\t'))
                i++;
            if (i < end && text[i] != ',') {
                sa_text_position(text, len, i, &line, &col);
                return sa_fail(err, SA_ERR_DATA, line, col,
                               "unexpected text after a quoted field");
            }
        } else {
            char *field_start = out;
            while (i < end && text[i] != ',')
                *out++ = text[i++];
            while (out > field_start && (out[-1] == ' ' || out[-1] == '\t'))
                out--;  /* trailing blanks */
        }
        *out++ = '\0';
        if (i >= end)
            break;
        i++;  /* the comma */
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
static sa_status parse_value(float *v, const field *fld, const char *text,
                             size_t len, sa_error *err)
{
    char *end;
    double d = strtod(fld->text, &end);
    bool parsed = *end == '\0';
    if (fld->text[0] != '\0' && parsed && looks_numeric(fld->text) && isfinite(d) &&
        !isinf((float)d)) {
        *v = (float)d;
        return SA_OK;
    }
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

/* Takes the fields of one data line (starting at byte start) into s. */
static sa_status take_row(csv_state *st, sink *s, const line_fields *f,
                          const char *text, size_t len, size_t start,
                          sa_error *err)
{
    long line, col;
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
    if (st->labelled && !push_label(s, f->items[0].text))
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
    size_t pos = len >= 3 && memcmp(text, "\xEF\xBB\xBF", 3) == 0 ? 3 : 0;
    while (pos < len && !status) {
        size_t start = pos, end = pos;
        while (end < len && text[end] != '\n')
            end++;
        pos = end < len ? end + 1 : end;
        if (end > start && text[end - 1] == '\r')
            end--;
        size_t first = start;
        while (first < end && (text[first] == ' ' || text[first] == '\t'))
            first++;
        if (first == end || text[first] == '#')
            continue;  /* blank or comment line */
        if ((status = split_line(&f, text, start, end, len, err)))
            break;
        bool first_line = !st.seen_first;
        st.seen_first = true;
        if (first_line && is_header(&st, &f))
            continue;
        status = take_row(&st, &s, &f, text, len, start, err);
    }
    if (!status && st.rows == 0)
        status = sa_fail(err, SA_ERR_DATA, 0, 0, "no rows of numbers");
    free(f.items);
    free(f.buf);
    if (status) {
        free(s.values);
        for (size_t i = 0; i < s.n_labels; i++)
            free(s.labels[i]);
        free(s.labels);
        return status;
    }
    m->rows = st.rows;
    m->cols = st.cols;
    m->data = s.values;
    m->tokens = s.labels;
    return SA_OK;
}
