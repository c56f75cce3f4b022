/* json_rows.h — JSON arrays of rows of numbers read straight into floats
 * (read_json_rows.c), the part every JSON matrix reader shares: inputs
 * and contexts, masks, biases, batch lines.
 * Legend: rows x cols, row-major. */
#ifndef SA_JSON_ROWS_H
#define SA_JSON_ROWS_H

#include "json_scan.h"

/* The largest invalid text whose message comes from cJSON rather than
 * from the scanner: cJSON's tree costs about 40 times the text (here at
 * most 640 KiB), so past this only the scanner speaks (the same words,
 * but it may stop at another place of a malformed text). */
#define SA_JSON_DIAGNOSE_MAX ((size_t)16 << 10)

/* A growing (rows, cols) float matrix. */
typedef struct {
    float *data;       /* (rows, cols), cap floats allocated */
    size_t rows, cols, cap;
    size_t base;       /* rows read before these (a part read by a thread):
                        * the first row of the matrix has base + rows 0 */
} sa_rows;

/* The first error of the data (a row of another length, a string where a
 * number goes) found while the rest is still being scanned: a syntax error
 * anywhere wins over it, as when cJSON parses the whole text first. */
typedef struct {
    sa_status status;   /* SA_OK while there is none */
    sa_error err;
} sa_deferred;

/* Records status and message as the deferred error unless there is one;
 * returns true (the scan goes on). */
bool sa_defer(sa_deferred *bad, sa_status status, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Reads the next value as an array of rows of numbers into r (true and
 * false as 1 and 0 if allow_bool), with sa_json_rows' messages for name
 * ("embeddings", "mask", "bias, head 2") deferred to *bad.  Returns false
 * only after a syntax error (sc says where). */
bool sa_scan_rows(sa_scan *sc, sa_rows *r, bool allow_bool, const char *name,
                  sa_deferred *bad);

/* Before scanning text: "empty input" if there is nothing but blanks, or
 * a NUL byte with its position, as sa_json_parse says them. */
sa_status sa_json_precheck(const char *text, size_t len, sa_error *err);

/* The outcome of a scan: its syntax error, else the deferred error, else
 * SA_OK; for a syntax error in a text of at most SA_JSON_DIAGNOSE_MAX
 * bytes, tree(ctx) (the same reading through cJSON) is asked for the
 * message cJSON gives, which is kept if cJSON also fails; but a trailing
 * comma is always the scanner's message, at the comma (cJSON stops past
 * the bracket). */
sa_status sa_scan_outcome(const sa_scan *sc, const sa_deferred *bad,
                          sa_status (*tree)(void *ctx, sa_error *err),
                          void *ctx, sa_error *err);

#endif
