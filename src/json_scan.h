/* json_scan.h — a strict JSON lexer (RFC 8259) that reads numbers straight
 * into floats, without a tree: the matrix readers (inputs, contexts, masks,
 * biases, batch lines) run on it, and sa_json_parse checks with it the
 * grammar cJSON is lenient about.  It reads text[0 .. len), needs no
 * terminator, allocates nothing but the strings it decodes, and stops at
 * the first error with its offset. */
#ifndef SA_JSON_SCAN_H
#define SA_JSON_SCAN_H

#include <stdbool.h>
#include <stddef.h>

#include "selfattn.h"

/* The deepest nesting the scanner follows (cJSON's CJSON_NESTING_LIMIT). */
#define SA_SCAN_DEPTH 1000

/* What went wrong, for the message. */
typedef enum {
    SA_SCAN_OK,
    SA_SCAN_SYNTAX,   /* not JSON here: "invalid JSON near '...'" */
    SA_SCAN_END,      /* the text ended inside a value */
    SA_SCAN_NUMBER,   /* a number JSON's grammar does not allow (01, 1., +1) */
    SA_SCAN_DEEP,     /* nested deeper than SA_SCAN_DEPTH */
    SA_SCAN_NOMEM     /* a decoded string found no memory */
} sa_scan_error;

typedef struct {
    const char *text;
    size_t len, at;        /* the text and the offset of the next byte */
    sa_scan_error error;   /* the first error, at offset error_at */
    size_t error_at;
} sa_scan;

/* Starts a scan of text[0 .. len) after an optional UTF-8 byte order
 * mark. */
void sa_scan_init(sa_scan *sc, const char *text, size_t len);

/* Skips blanks (space, tab, CR, LF) and returns the next byte, or 0 at the
 * end of the text. */
char sa_scan_peek(sa_scan *sc);

/* Takes the byte c if it comes next (after blanks); false otherwise. */
bool sa_scan_take(sa_scan *sc, char c);

/* Records an error at the current offset (the first one wins); returns
 * false. */
bool sa_scan_fail(sa_scan *sc, sa_scan_error error);

/* The kind of the next value: '{', '[', '"', 'n' (number), 't', 'f',
 * 'l' (null), or 0 for none (an error is recorded). */
char sa_scan_kind(sa_scan *sc);

/* Reads a number into the nearest float32; *range is set if it is beyond
 * float32, and *as_double then holds it as a double, for the message.
 * False after a syntax error. */
bool sa_scan_number(sa_scan *sc, float *out, double *as_double, bool *range);

/* Reads true or false. */
bool sa_scan_bool(sa_scan *sc, bool *out);

/* Reads null. */
bool sa_scan_null(sa_scan *sc);

/* Reads a string into a new NUL-terminated UTF-8 string (*out, the
 * caller frees it; NULL with out NULL: only checked).  Escapes are
 * decoded; bytes that are not UTF-8 become U+FFFD.  A \u0000 ends the
 * string as C sees it. */
bool sa_scan_string(sa_scan *sc, char **out);

/* Reads an object's key and the colon after it into key (size bytes,
 * decoded; a longer key is cut and *cut set, so it matches no name). */
bool sa_scan_key(sa_scan *sc, char *key, size_t size, bool *cut);

/* Skips one value of any kind, checking it (depth counts the levels
 * already open). */
bool sa_scan_skip(sa_scan *sc, int depth);

/* Checks that only blanks are left. */
bool sa_scan_end(sa_scan *sc);

/* True if the scan's error is a syntax error at a closing '}' or ']'
 * that follows a comma (blanks between): a trailing comma, at offset
 * *comma, which is where the message puts it. */
bool sa_scan_trailing_comma(const sa_scan *sc, size_t *comma);

/* Fills err for the scan's error: the message and the line:col of the
 * text where it is, as sa_json_parse words them; a trailing comma is
 * placed at the comma ("invalid JSON near ',}': a trailing comma before
 * '}'"). */
sa_status sa_scan_report(const sa_scan *sc, sa_error *err);

#endif
