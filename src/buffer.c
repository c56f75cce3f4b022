/* buffer.c — text output through a buffer (buffer.h). */
#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "buffer.h"
#include "numbers.h"
#include "utf8.h"

#define BLOCK ((size_t)1 << 16)  /* bytes written to the FILE at a time */

void sa_buffer_init(sa_buffer *b, FILE *fp)
{
    *b = (sa_buffer){.fp = fp};
}

/* Writes what is held to fp. */
static void drain(sa_buffer *b)
{
    if (!b->fp || b->failed || b->len == 0)
        return;
    if (fwrite(b->data, 1, b->len, b->fp) != b->len) {
        b->failed = true;
        b->error = errno ? errno : EIO;
    }
    b->len = 0;
}

char *sa_buffer_room(sa_buffer *b, size_t n)
{
    if (b->failed)
        return NULL;
    if (b->fp && b->len + n > BLOCK && b->len > 0) {
        drain(b);
        if (b->failed)
            return NULL;
    }
    if (b->len + n > b->cap) {
        size_t cap = b->cap ? b->cap : BLOCK;
        while (cap < b->len + n)
            cap *= 2;
        char *more = realloc(b->data, cap);
        if (!more) {
            b->failed = true;
            return NULL;
        }
        b->data = more;
        b->cap = cap;
    }
    return b->data + b->len;
}

void sa_buffer_write(sa_buffer *b, const char *s, size_t n)
{
    if (b->fp && n >= BLOCK && !b->failed) {  // no copy: straight to the FILE
        drain(b);
        if (!b->failed && fwrite(s, 1, n, b->fp) != n) {
            b->failed = true;
            b->error = errno ? errno : EIO;
        }
        return;
    }
    char *at = sa_buffer_room(b, n);
    if (at) {
        memcpy(at, s, n);
        b->len += n;
    }
}

sa_status sa_buffer_flush(sa_buffer *b, sa_error *err)
{
    drain(b);
    if (b->failed && !b->error)
        return sa_fail(err, SA_ERR_NOMEM, 0, 0, "out of memory");
    if (b->failed)
        return sa_fail(err, SA_ERR_IO, 0, 0, "write error: %s", strerror(b->error));
    if (b->fp && (fflush(b->fp) != 0 || ferror(b->fp)))
        return sa_fail(err, SA_ERR_IO, 0, 0, "write error: %s",
                       strerror(errno ? errno : EIO));
    return SA_OK;
}

sa_status sa_buffer_close(sa_buffer *b, sa_error *err)
{
    sa_status status = sa_buffer_flush(b, err);
    free(b->data);
    b->data = NULL;
    b->len = b->cap = 0;
    return status;
}

void sa_buffer_puts(sa_buffer *b, const char *s)
{
    sa_buffer_put(b, s, strlen(s));
}

void sa_buffer_putc(sa_buffer *b, char c)
{
    char *at = sa_buffer_room(b, 1);
    if (at) {
        *at = c;
        b->len++;
    }
}

void sa_buffer_printf(sa_buffer *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    char *at = n >= 0 ? sa_buffer_room(b, (size_t)n + 1) : NULL;
    if (at) {
        va_start(ap, fmt);
        vsnprintf(at, (size_t)n + 1, fmt, ap);
        va_end(ap);
        b->len += (size_t)n;
    }
}

void sa_buffer_float(sa_buffer *b, float f, const char *none)
{
    if (!isfinite(f)) {
        sa_buffer_puts(b, none);
        return;
    }
    char *at = sa_buffer_room(b, SA_FLOAT_CHARS);
    if (at)
        b->len += sa_float_chars(at, f);
}

void sa_buffer_fixed(sa_buffer *b, float f, int digits)
{
    if (!isfinite(f)) {
        sa_buffer_puts(b, isnan(f) ? "nan" : f < 0 ? "-inf" : "inf");
        return;
    }
    char *at = sa_buffer_room(b, SA_FIXED_CHARS);
    if (at)
        b->len += sa_fixed_chars(at, f, digits);
}

/* The code point of the valid sequence s[0 .. k). */
static uint32_t code_point(const unsigned char *s, size_t k)
{
    uint32_t cp = k == 1 ? s[0] : s[0] & (0x7F >> k);
    for (size_t i = 1; i < k; i++)
        cp = cp << 6 | (s[i] & 0x3F);
    return cp;
}

static bool noncharacter(uint32_t cp)
{
    return (cp >= 0xFDD0 && cp <= 0xFDEF) || (cp & 0xFFFE) == 0xFFFE;
}

/* Calls each(b, bytes, k, cp) for every character of s, with invalid
 * bytes as U+FFFD (k 0); stops after cut characters (0: all) and returns
 * whether there was more. */
static bool each_char(sa_buffer *b, const char *s, size_t cut,
                      void (*each)(sa_buffer *, const char *, size_t, uint32_t))
{
    const unsigned char *p = (const unsigned char *)s;
    size_t n = strlen(s), shown = 0;
    for (size_t i = 0; i < n; shown++) {
        if (cut && shown == cut)
            return true;
        size_t k = sa_utf8_length(p + i, n - i);
        each(b, s + i, k, k ? code_point(p + i, k) : 0xFFFD);
        i += k ? k : 1;
    }
    return false;
}

static void put_replacement(sa_buffer *b)
{
    sa_buffer_put(b, "\xEF\xBF\xBD", 3);
}

static void json_char(sa_buffer *b, const char *s, size_t k, uint32_t cp)
{
    static const char escapes[] = "\"\"\\\\\bb\ff\nn\rr\tt";
    const char *e = cp < 0x80 ? strchr(escapes, (int)cp) : NULL;
    if (k == 0) {
        put_replacement(b);
    } else if (cp && e && (e - escapes) % 2 == 0) {
        char pair[2] = {'\\', e[1]};
        sa_buffer_put(b, pair, 2);
    } else if (cp < 0x20) {
        sa_buffer_printf(b, "\\u%04x", (unsigned)cp);
    } else if (noncharacter(cp) && cp >= 0x10000) {  // a surrogate pair
        uint32_t v = cp - 0x10000;
        sa_buffer_printf(b, "\\u%04x\\u%04x", (unsigned)(0xD800 | v >> 10),
                         (unsigned)(0xDC00 | (v & 0x3FF)));
    } else if (noncharacter(cp)) {
        sa_buffer_printf(b, "\\u%04x", (unsigned)cp);
    } else {
        sa_buffer_put(b, s, k);
    }
}

void sa_buffer_json_string(sa_buffer *b, const char *s)
{
    sa_buffer_putc(b, '"');
    each_char(b, s, 0, json_char);
    sa_buffer_putc(b, '"');
}

static void xml_char(sa_buffer *b, const char *s, size_t k, uint32_t cp)
{
    static const char specials[] = "&<>\"'";
    static const char *const entities[] = {"&amp;", "&lt;", "&gt;", "&quot;", "&apos;"};
    const char *special = cp && cp < 0x80 ? strchr(specials, (int)cp) : NULL;
    if (special)
        sa_buffer_puts(b, entities[special - specials]);
    else if (k == 0 || (cp < 0x20 && cp != '\t' && cp != '\n' && cp != '\r') ||
             cp == 0xFFFE || cp == 0xFFFF)
        put_replacement(b);  // not a character XML allows
    else
        sa_buffer_put(b, s, k);
}

void sa_buffer_xml_text(sa_buffer *b, const char *s, size_t cut)
{
    if (each_char(b, s, cut, xml_char))
        sa_buffer_puts(b, "\xE2\x80\xA6");
}

static void plain_char(sa_buffer *b, const char *s, size_t k, uint32_t cp)
{
    if (k == 0)
        put_replacement(b);
    else if (cp < 0x20 || cp == 0x7F)
        sa_buffer_putc(b, '?');
    else
        sa_buffer_put(b, s, k);
}

void sa_buffer_plain_text(sa_buffer *b, const char *s, size_t cut, size_t width)
{
    size_t before = b->len, shown = 0;
    each_char(b, s, cut, plain_char);
    if (b->failed)
        return;
    for (size_t i = before; i < b->len; i++)  // characters, not bytes
        shown += ((unsigned char)b->data[i] & 0xC0) != 0x80;
    for (; shown < width; shown++)
        sa_buffer_putc(b, ' ');
}

/* One row of numbers, sep between them. */
static void json_row(sa_buffer *b, const float *row, size_t cols, const char *sep,
                     size_t sep_len)
{
    sa_buffer_putc(b, '[');
    for (size_t j = 0; j < cols; j++) {
        if (j)
            sa_buffer_put(b, sep, sep_len);
        sa_buffer_float(b, row[j], "null");
    }
    sa_buffer_putc(b, ']');
}

void sa_buffer_json_vector(sa_buffer *b, const float *data, size_t len)
{
    json_row(b, data, len, ", ", 2);
}

/* Rows [first, last) of a matrix as json_rows writes them, each followed
 * by its separator (the last row's by none). */
static void json_row_range(sa_buffer *b, const float *data, size_t rows,
                           size_t cols, int indent, size_t first, size_t last)
{
    for (size_t i = first; i < last; i++) {
        if (indent >= 0)
            sa_buffer_printf(b, "%*s", indent + 2, "");
        json_row(b, data + i * cols, cols, indent < 0 ? "," : ", ", indent < 0 ? 1 : 2);
        if (i + 1 < rows)
            sa_buffer_puts(b, indent < 0 ? "," : ",\n");
        else if (indent >= 0)
            sa_buffer_putc(b, '\n');
    }
}

typedef struct {
    sa_buffer text;
    const float *data;
    size_t rows, cols, first, last;
    int indent;
} rows_job;

static void *format_rows(void *arg)
{
    rows_job *j = arg;
    json_row_range(&j->text, j->data, j->rows, j->cols, j->indent, j->first, j->last);
    return NULL;
}

/* Rows [0, rows) formatted on threads, a round of blocks at a time so that
 * the text held in memory stays bounded, and written in order. */
static void json_rows_parallel(sa_buffer *b, const float *data, size_t rows,
                               size_t cols, int indent, size_t threads)
{
    enum { MAX_THREADS = 16 };
    size_t per = ((size_t)4 << 20) / 12 / cols + 1;  // about 4 MiB of text each
    rows_job jobs[MAX_THREADS];
    pthread_t ids[MAX_THREADS];
    if (threads > MAX_THREADS)
        threads = MAX_THREADS;
    for (size_t i = 0; i < threads; i++)
        sa_buffer_init(&jobs[i].text, NULL);
    for (size_t at = 0; at < rows && !b->failed;) {
        size_t count = 0, started = 1;
        for (; count < threads && at < rows; count++, at += per) {
            jobs[count].text.len = 0;
            jobs[count] = (rows_job){jobs[count].text, data, rows, cols, at,
                                     at + per < rows ? at + per : rows, indent};
        }
        for (; started < count; started++)
            if (pthread_create(&ids[started], NULL, format_rows, &jobs[started]) != 0)
                break;
        format_rows(&jobs[0]);
        for (size_t k = started; k < count; k++)
            format_rows(&jobs[k]);
        for (size_t k = 1; k < started; k++)
            pthread_join(ids[k], NULL);
        for (size_t k = 0; k < count; k++) {
            b->failed |= jobs[k].text.failed;
            sa_buffer_put(b, jobs[k].text.data, jobs[k].text.len);
        }
    }
    for (size_t i = 0; i < threads; i++)
        free(jobs[i].text.data);
}

void sa_buffer_json_rows(sa_buffer *b, const float *data, size_t rows,
                         size_t cols, int indent)
{
    size_t threads = sa_io_threads();
    sa_buffer_puts(b, indent < 0 ? "[" : "[\n");
    if (threads > 1 && rows * cols >= ((size_t)1 << 20))
        json_rows_parallel(b, data, rows, cols, indent, threads);
    else
        json_row_range(b, data, rows, cols, indent, 0, rows);
    if (indent >= 0)
        sa_buffer_printf(b, "%*s", indent, "");
    sa_buffer_putc(b, ']');
}
