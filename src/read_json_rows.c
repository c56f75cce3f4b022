/* read_json_rows.c — arrays of rows of numbers straight from JSON text
 * into floats (json_rows.h), with the messages sa_json_rows gives for a
 * cJSON tree, in the same order: by rows, a row's length before its
 * values, and any syntax error first. */
#include <math.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "json_rows.h"

bool sa_defer(sa_deferred *bad, sa_status status, const char *fmt, ...)
{
    if (bad->status == SA_OK) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(bad->err.message, sizeof bad->err.message, fmt, ap);
        va_end(ap);
        bad->status = bad->err.status = status;
        bad->err.line = bad->err.col = 0;
    }
    return true;
}

/* Room for one more row of r->cols floats; false if memory ran out. */
static bool grow(sa_rows *r)
{
    if ((r->rows + 1) * r->cols <= r->cap)
        return true;
    size_t cap = r->cap ? 2 * r->cap : 64 * r->cols;
    float *more = realloc(r->data, cap * sizeof *more);
    if (!more)
        return false;
    r->data = more;
    r->cap = cap;
    return true;
}

/* One value of a row: a number (or a bool if allowed) into *out, or the
 * deferred error naming it. */
static bool scan_value(sa_scan *sc, float *out, bool allow_bool, const char *name,
                       size_t row, size_t col, sa_deferred *bad)
{
    char kind = sa_scan_kind(sc);
    if (kind == 'n') {
        double d;
        bool range;
        if (!sa_scan_number(sc, out, &d, &range))
            return false;
        if (range && isinf(d))  // JSON has no infinity: beyond double's range
            return sa_defer(bad, SA_ERR_DATA, "%s, row %zu, column %zu: the "
                            "number is out of float32 range", name, row, col);
        if (range)
            return sa_defer(bad, SA_ERR_DATA, "%s, row %zu, column %zu: %g is "
                            "out of float32 range", name, row, col, d);
        return true;
    }
    if (allow_bool && (kind == 't' || kind == 'f')) {
        bool b;
        if (!sa_scan_bool(sc, &b))
            return false;
        *out = b ? 1.0f : 0.0f;
        return true;
    }
    if (!sa_scan_skip(sc, 2))
        return false;
    return sa_defer(bad, SA_ERR_DATA, "%s, row %zu, column %zu: expected a number",
                    name, row, col);
}

/* One row (its '[' next) into r, or its error deferred to *bad. */
static bool scan_row(sa_scan *sc, sa_rows *r, bool allow_bool, const char *name,
                     sa_deferred *bad)
{
    size_t row = r->base + r->rows + 1, count = 0;
    sa_deferred value_error = {0};
    bool store = bad->status == SA_OK && (row == 1 || grow(r));
    if (bad->status == SA_OK && !store)
        return sa_scan_fail(sc, SA_SCAN_NOMEM);
    sc->at++;
    if (!sa_scan_take(sc, ']')) {
        do {
            float v = 0.0f;
            if (!scan_value(sc, &v, allow_bool, name, row, count + 1, &value_error))
                return false;
            if (row == 1 && store) {
                r->cols = count + 1;
                if (!grow(r))
                    return sa_scan_fail(sc, SA_SCAN_NOMEM);
            }
            if (store && count < r->cols)
                r->data[r->rows * r->cols + count] = v;
            count++;
        } while (sa_scan_take(sc, ','));
        if (!sa_scan_take(sc, ']'))
            return sa_scan_fail(sc, SA_SCAN_SYNTAX);
    }
    if (row == 1 && count == 0)
        sa_defer(bad, SA_ERR_DATA, "%s, row 1: empty row", name);
    else if (row > 1 && count != r->cols)
        sa_defer(bad, SA_ERR_DATA, "%s, row %zu: %zu values, expected %zu like row 1",
                 name, row, count, r->cols);
    else if (value_error.status)
        sa_defer(bad, value_error.status, "%s", value_error.err.message);
    r->rows++;
    return true;
}

/* ---- rows on threads ------------------------------------------------------ */

/* One thread's part: the rows from at to stop (the next part's first row,
 * or the end of the array for the last part). */
typedef struct {
    const sa_scan *whole;
    size_t at, stop;
    bool last, allow_bool;
    sa_rows rows;
    size_t end;       /* where the part ended (the last part: before ']') */
    bool ok;          /* read cleanly to stop */
} rows_part;

static void *read_part(void *arg)
{
    rows_part *p = arg;
    sa_scan sc = *p->whole;
    sa_deferred bad = {0};
    sc.at = p->at;
    p->ok = false;
    for (;;) {
        if (sa_scan_peek(&sc) != '[' ||
            !scan_row(&sc, &p->rows, p->allow_bool, "", &bad) || bad.status)
            return NULL;
        if (sa_scan_peek(&sc) == ']') {
            p->end = sc.at;
            p->ok = p->last;
            return NULL;
        }
        if (!sa_scan_take(&sc, ','))
            return NULL;
        if (!p->last && sa_scan_peek(&sc) && sc.at >= p->stop) {
            p->end = sc.at;
            p->ok = !p->last && sc.at == p->stop;
            return NULL;
        }
    }
}

/* The first row at or after from: past the next ']', blanks, ',' and
 * blanks, a '['.  0 if there is none before limit, or if anything but
 * numbers, blanks and commas is on the way there. */
static size_t next_row(const char *t, size_t from, size_t limit)
{
    size_t i = from;
    while (i < limit && t[i] != ']') {
        char c = t[i++];
        if (!((c >= '0' && c <= '9') || c == '-' || c == '+' || c == '.' || c == 'e' ||
              c == 'E' || c == ',' || c == ' ' || c == '\t' || c == '\r' || c == '\n'))
            return 0;
    }
    for (i++; i < limit && strchr(" \t\r\n", t[i]); i++)
        ;
    if (i >= limit || t[i] != ',')
        return 0;
    for (i++; i < limit && strchr(" \t\r\n", t[i]); i++)
        ;
    return i < limit && t[i] == '[' ? i : 0;
}

/* Reads the rows from sc->at (after the first row and its comma) to the
 * end of the array on sa_io_threads() threads, appending them to r, and
 * leaves sc before the closing ']'.  False, with sc and r as they were,
 * if the rest is small, one thread is to be used, or anything is not a
 * clean row of numbers: the caller then reads row by row, for the exact
 * message. */
static bool parallel_rows(sa_scan *sc, sa_rows *r, bool allow_bool)
{
    size_t threads = sa_io_threads(), begin = sc->at, rest = sc->len - begin;
    if (threads < 2 || rest < ((size_t)4 << 20))
        return false;
    if (threads > 16)
        threads = 16;
    rows_part parts[16];
    pthread_t ids[16];
    size_t count = 0, at = begin;
    sa_scan_peek(sc);
    at = sc->at;
    sc->at = begin;
    for (size_t k = 0; k < threads && at; k++) {
        size_t split = begin + rest / threads * (k + 1);
        size_t stop = k + 1 < threads ? next_row(sc->text, split > at ? split : at + 1,
                                                 sc->len) : 0;
        parts[count++] = (rows_part){.whole = sc, .at = at, .stop = stop,
                                     .last = stop == 0, .allow_bool = allow_bool,
                                     .rows = {.cols = r->cols, .base = 1}};
        at = stop;
    }
    size_t started = 1;
    for (; started < count; started++)
        if (pthread_create(&ids[started], NULL, read_part, &parts[started]) != 0)
            break;
    read_part(&parts[0]);
    for (size_t k = started; k < count; k++)
        read_part(&parts[k]);  // threads that could not start
    bool ok = true;
    for (size_t k = 1; k < started; k++)
        pthread_join(ids[k], NULL);
    size_t total = r->rows;
    for (size_t k = 0; k < count; k++) {
        ok &= parts[k].ok;
        total += parts[k].rows.rows;
    }
    float *all = ok ? realloc(r->data, total * r->cols * sizeof *all) : NULL;
    if (all) {
        for (size_t k = 0; k < count; k++) {
            memcpy(all + r->rows * r->cols, parts[k].rows.data,
                   parts[k].rows.rows * r->cols * sizeof *all);
            r->rows += parts[k].rows.rows;
        }
        r->data = all;
        r->cap = total * r->cols;
        sc->at = parts[count - 1].end;
    }
    for (size_t k = 0; k < count; k++)
        free(parts[k].rows.data);
    return all != NULL;
}

bool sa_scan_rows(sa_scan *sc, sa_rows *r, bool allow_bool, const char *name,
                  sa_deferred *bad)
{
    memset(r, 0, sizeof *r);
    if (sa_scan_kind(sc) != '[') {
        if (!sa_scan_skip(sc, 0))
            return false;
        return sa_defer(bad, SA_ERR_DATA, "%s: expected an array of rows", name);
    }
    sc->at++;
    if (sa_scan_take(sc, ']'))
        return sa_defer(bad, SA_ERR_DATA, "%s: no rows", name);
    for (;;) {
        if (sa_scan_peek(sc) == '[') {
            if (!scan_row(sc, r, allow_bool, name, bad))
                return false;
        } else {
            if (!sa_scan_skip(sc, 1))
                return false;
            sa_defer(bad, SA_ERR_DATA, "%s, row %zu: expected an array of "
                     "numbers", name, r->rows + 1);
            r->rows++;
        }
        if (!sa_scan_take(sc, ','))
            break;
        // once the first row gave the width, the rest at once on threads,
        // when it is large and holds nothing but rows of numbers
        if (r->rows == 1 && bad->status == SA_OK && parallel_rows(sc, r, allow_bool))
            break;
    }
    if (!sa_scan_take(sc, ']'))
        return sa_scan_fail(sc, SA_SCAN_SYNTAX);
    return true;
}

sa_status sa_json_precheck(const char *text, size_t len, sa_error *err)
{
    long line, col;
    size_t i = len >= 3 && memcmp(text, "\xEF\xBB\xBF", 3) == 0 ? 3 : 0;
    while (i < len && strchr(" \t\r\n", text[i]))
        i++;
    if (i == len)
        return sa_fail(err, SA_ERR_DATA, 0, 0, "empty input");
    const char *nul = memchr(text, '\0', len);
    if (nul) {
        sa_text_position(text, len, (size_t)(nul - text), &line, &col);
        return sa_fail(err, SA_ERR_DATA, line, col, "a NUL byte in JSON text");
    }
    return SA_OK;
}

sa_status sa_scan_outcome(const sa_scan *sc, const sa_deferred *bad,
                          sa_status (*tree)(void *ctx, sa_error *err),
                          void *ctx, sa_error *err)
{
    if (sc->error == SA_SCAN_OK) {
        if (bad->status)
            *err = bad->err;
        return bad->status;
    }
    size_t comma;
    // a trailing comma is the scanner's to word, at the comma, for any size
    if (sc->error != SA_SCAN_NOMEM && sc->len <= SA_JSON_DIAGNOSE_MAX &&
        !sa_scan_trailing_comma(sc, &comma)) {
        sa_status status = tree(ctx, err);
        if (status)
            return status;  // cJSON's words for it
    }
    return sa_scan_report(sc, err);
}
