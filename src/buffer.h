/* buffer.h — text output through a buffer (buffer.c): the writers format
 * numbers with the fast printers of numbers.h and strings with their
 * escapes into it, and it goes to a FILE in large blocks (or stays in
 * memory, for a batch line), with no stdio call per number.  Every string
 * written is valid UTF-8: a byte that starts no valid sequence becomes
 * U+FFFD. */
#ifndef SA_BUFFER_H
#define SA_BUFFER_H

#include <stdbool.h>
#include <stdio.h>

#include "selfattn.h"

typedef struct {
    char *data;        /* (len) bytes not yet written, cap allocated */
    size_t len, cap;
    FILE *fp;          /* where full blocks go, or NULL: all stays here */
    bool failed;       /* memory ran out or a write failed: the rest is lost */
    int error;         /* errno of a failed write, or 0 */
} sa_buffer;

/* Starts a buffer that writes to fp, or holds everything if fp is NULL. */
void sa_buffer_init(sa_buffer *b, FILE *fp);

/* Writes what is held to fp (no-op for a memory buffer) and reports a
 * failure: SA_ERR_NOMEM or SA_ERR_IO (also a stream error of fp). */
sa_status sa_buffer_flush(sa_buffer *b, sa_error *err);

/* sa_buffer_flush, then frees the buffer (a memory buffer's text too). */
sa_status sa_buffer_close(sa_buffer *b, sa_error *err);

/* Room for n more bytes at b->data + b->len; NULL once the buffer failed. */
char *sa_buffer_room(sa_buffer *b, size_t n);

/* Appends s[0 .. n): a few bytes in place, a large block written through
 * (sa_buffer_write). */
void sa_buffer_write(sa_buffer *b, const char *s, size_t n);

static inline void sa_buffer_put(sa_buffer *b, const char *s, size_t n)
{
    if (n > 32) {
        sa_buffer_write(b, s, n);
        return;
    }
    char *at = sa_buffer_room(b, n);
    if (at) {
        for (size_t i = 0; i < n; i++)
            at[i] = s[i];
        b->len += n;
    }
}

void sa_buffer_puts(sa_buffer *b, const char *s);
void sa_buffer_putc(sa_buffer *b, char c);
void sa_buffer_printf(sa_buffer *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* The shortest text that reads back as f (sa_float_chars); a value that
 * is not finite as none (JSON's null, for masked scores and NaN rows) or
 * as the text given. */
void sa_buffer_float(sa_buffer *b, float f, const char *none);

/* f with digits decimals, as printf's "%.*f" writes it; -inf and NaN as
 * "-inf", "inf" and "nan". */
void sa_buffer_fixed(sa_buffer *b, float f, int digits);

/* s as a JSON string literal: quotes, backslash and control characters
 * escaped, and so are noncharacters (U+FFFE, U+FDD0, ...). */
void sa_buffer_json_string(sa_buffer *b, const char *s);

/* s as XML character data: & < > " ' escaped, characters XML 1.0 does not
 * allow (controls but tab, LF, CR; U+FFFE, U+FFFF) as U+FFFD; with cut,
 * at most cut characters, then "…". */
void sa_buffer_xml_text(sa_buffer *b, const char *s, size_t cut);

/* s for a terminal or a table: control characters as '?'; at most cut
 * characters (0: all), then pad spaces up to width characters. */
void sa_buffer_plain_text(sa_buffer *b, const char *s, size_t cut, size_t width);

/* Writes data (rows, cols) as a JSON array of rows: one row per line,
 * each after indent spaces plus two (indent < 0: all on one line, without
 * spaces); values that are not finite as null.  Large matrices are
 * formatted on sa_io_threads() threads. */
void sa_buffer_json_rows(sa_buffer *b, const float *data, size_t rows,
                         size_t cols, int indent);

/* Writes data (len) as a one-line JSON array ("[1, 2]"). */
void sa_buffer_json_vector(sa_buffer *b, const float *data, size_t len);

#endif
