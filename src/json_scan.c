/* json_scan.c — the strict JSON lexer of json_scan.h.  Its errors are
 * placed and worded as cJSON's (sa_json_parse), so that a message does
 * not depend on which of the two read the text: a syntax error names the
 * text where reading stopped, or the end of the input. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "json_scan.h"
#include "numbers.h"
#include "utf8.h"

void sa_scan_init(sa_scan *sc, const char *text, size_t len)
{
    *sc = (sa_scan){.text = text, .len = len};
    if (len >= 3 && memcmp(text, "\xEF\xBB\xBF", 3) == 0)
        sc->at = 3;  /* a UTF-8 byte order mark */
}

bool sa_scan_fail(sa_scan *sc, sa_scan_error error)
{
    if (sc->error == SA_SCAN_OK) {
        sc->error = sc->at >= sc->len && error == SA_SCAN_SYNTAX ? SA_SCAN_END : error;
        sc->error_at = sc->at;
    }
    return false;
}

char sa_scan_peek(sa_scan *sc)
{
    const char *t = sc->text;
    size_t at = sc->at;
    while (at < sc->len && (t[at] == ' ' || t[at] == '\n' || t[at] == '\r' ||
                            t[at] == '\t'))
        at++;
    sc->at = at;
    return at < sc->len ? t[at] : 0;
}

bool sa_scan_take(sa_scan *sc, char c)
{
    if (sa_scan_peek(sc) != c)
        return false;
    sc->at++;
    return true;
}

char sa_scan_kind(sa_scan *sc)
{
    char c = sa_scan_peek(sc);
    switch (c) {
    case '{': case '[': case '"': return c;
    case 't': return 't';
    case 'f': return 'f';
    case 'n': return 'l';
    }
    if (c == '-' || (c >= '0' && c <= '9'))
        return 'n';
    sa_scan_fail(sc, SA_SCAN_SYNTAX);
    return 0;
}

/* True if the number from_chars took at s[0 .. end) is one JSON's grammar
 * allows, -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?, and no more of
 * cJSON's number characters follow it before limit (01, 1., .5, 1.2.3,
 * 1e: numbers JSON does not allow). */
static bool json_number_shape(const char *s, const char *end, const char *limit)
{
    s += s < end && *s == '-';
    if (s == end || (unsigned)(*s - '0') > 9)
        return false;  // nothing, or ".5", "inf"
    const char *p = s + 1;
    if (*s == '0' && p < end && (unsigned)(*p - '0') <= 9)
        return false;  // a leading zero
    while (p < end && (unsigned)(*p - '0') <= 9)
        p++;
    if (p < end && *p == '.' && (p + 1 == end || (unsigned)(p[1] - '0') > 9))
        return false;  // "1.", "1.e5"
    return end == limit || !(*end == '.' || *end == 'e' || *end == 'E' ||
                             *end == '+' || *end == '-');
}

bool sa_scan_number(sa_scan *sc, float *out, double *as_double, bool *range)
{
    const char *start = sc->text + sc->at, *limit = sc->text + sc->len;
    sa_number_status st;
    size_t n = sa_parse_float_prefix(start, (size_t)(limit - start), out, &st);
    *range = st == SA_NUMBER_RANGE;
    if (n == 0 || !json_number_shape(start, start + n, limit))
        return sa_scan_fail(sc, SA_SCAN_NUMBER);
    if (*range)  // the double, for the message
        sa_parse_float(start, n, out, as_double);
    sc->at += n;
    return true;
}

/* Takes the literal word; a syntax error otherwise. */
static bool literal(sa_scan *sc, const char *word)
{
    size_t n = strlen(word);
    if (sa_scan_peek(sc) && sc->len - sc->at >= n &&
        memcmp(sc->text + sc->at, word, n) == 0) {
        sc->at += n;
        return true;
    }
    return sa_scan_fail(sc, SA_SCAN_SYNTAX);
}

bool sa_scan_bool(sa_scan *sc, bool *out)
{
    *out = sa_scan_peek(sc) == 't';
    return literal(sc, *out ? "true" : "false");
}

bool sa_scan_null(sa_scan *sc)
{
    return literal(sc, "null");
}

/* The value of the 4 hex digits at t[0 .. 4), or -1. */
static long hex4(const char *t)
{
    long v = 0;
    for (int i = 0; i < 4; i++) {
        char c = t[i];
        int d = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10
              : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
        if (d < 0)
            return -1;
        v = v * 16 + d;
    }
    return v;
}

/* A \u escape at t[at] ('u' there): its code point, with a surrogate pair
 * joined; *next is past it.  -1 if malformed. */
static long unicode_escape(const char *t, size_t at, size_t len, size_t *next)
{
    if (len - at < 5)
        return -1;
    long hi = hex4(t + at + 1);
    *next = at + 5;
    if (hi < 0 || (hi >= 0xDC00 && hi <= 0xDFFF))
        return -1;
    if (hi < 0xD800 || hi > 0xDBFF)
        return hi;
    if (len - *next < 6 || t[*next] != '\\' || t[*next + 1] != 'u')
        return -1;
    long lo = hex4(t + *next + 2);
    if (lo < 0xDC00 || lo > 0xDFFF)
        return -1;
    *next += 6;
    return 0x10000 + ((hi - 0xD800) << 10) + (lo - 0xDC00);
}

bool sa_scan_string(sa_scan *sc, char **out)
{
    const char *t = sc->text;
    size_t at = sc->at + 1, len = sc->len, end = at;
    if (out)
        *out = NULL;
    // find the closing quote, then decode into at most 3x the bytes
    // (an invalid byte becomes 3 bytes of U+FFFD)
    while (end < len && t[end] != '"')
        end += t[end] == '\\' ? 2 : 1;
    if (end >= len) {
        sc->at = len;
        return sa_scan_fail(sc, SA_SCAN_END);
    }
    char *s = out ? malloc(3 * (end - at) + 1) : NULL, *o = s;
    if (out && !s)
        return sa_scan_fail(sc, SA_SCAN_NOMEM);
    char scratch[4];
    while (at < end) {
        unsigned char c = (unsigned char)t[at];
        char *w = s ? o : scratch;
        size_t put;
        if (c < 0x20) {  // JSON strings hold no raw control characters
            sc->at = at;
            free(s);
            return sa_scan_fail(sc, SA_SCAN_SYNTAX);
        } else if (c == '\\') {
            static const char from[] = "\"\\/bfnrt", to[] = "\"\\/\b\f\n\r\t";
            const char *e = strchr(from, t[at + 1]);
            size_t next = at + 2;
            long cp = t[at + 1] == 'u' ? unicode_escape(t, at + 1, len, &next) : -1;
            if (!e || !t[at + 1]) {
                if (cp < 0) {
                    sc->at = at;
                    free(s);
                    return sa_scan_fail(sc, SA_SCAN_SYNTAX);
                }
                put = sa_utf8_put(w, (uint32_t)cp);
            } else {
                w[0] = to[e - from];
                put = 1;
            }
            at = next;
        } else if ((put = sa_utf8_length((const unsigned char *)t + at, end - at))) {
            memcpy(w, t + at, put);
            at += put;
        } else {
            put = sa_utf8_put(w, 0xFFFD);  // a byte that is not UTF-8
            at++;
        }
        if (s)
            o += put;
    }
    if (s) {
        *o = '\0';
        *out = s;
    }
    sc->at = end + 1;
    return true;
}

bool sa_scan_key(sa_scan *sc, char *key, size_t size, bool *cut)
{
    char *s;
    if (sa_scan_peek(sc) != '"')
        return sa_scan_fail(sc, SA_SCAN_SYNTAX);
    if (!sa_scan_string(sc, &s))
        return false;
    size_t n = strlen(s);
    *cut = n >= size;
    memcpy(key, s, *cut ? size - 1 : n);
    key[*cut ? size - 1 : n] = '\0';
    free(s);
    if (!sa_scan_take(sc, ':'))
        return sa_scan_fail(sc, SA_SCAN_SYNTAX);
    return true;
}

/* Skips an array or object whose opening bracket is next. */
static bool skip_container(sa_scan *sc, int depth)
{
    bool object = sc->text[sc->at] == '{';
    char close = object ? '}' : ']', key[8];
    bool cut;
    if (depth >= SA_SCAN_DEPTH)
        return sa_scan_fail(sc, SA_SCAN_DEEP);
    sc->at++;
    if (sa_scan_take(sc, close))
        return true;
    do {
        if (object && !sa_scan_key(sc, key, sizeof key, &cut))
            return false;
        if (!sa_scan_skip(sc, depth + 1))
            return false;
    } while (sa_scan_take(sc, ','));
    if (!sa_scan_take(sc, close))
        return sa_scan_fail(sc, SA_SCAN_SYNTAX);
    return true;
}

bool sa_scan_skip(sa_scan *sc, int depth)
{
    float f;
    double d;
    bool b;
    switch (sa_scan_kind(sc)) {
    case '{': case '[': return skip_container(sc, depth);
    case '"': return sa_scan_string(sc, NULL);
    case 'n': return sa_scan_number(sc, &f, &d, &b);
    case 't': case 'f': return sa_scan_bool(sc, &b);
    case 'l': return sa_scan_null(sc);
    }
    return false;
}

bool sa_scan_end(sa_scan *sc)
{
    if (sa_scan_peek(sc))
        return sa_scan_fail(sc, SA_SCAN_SYNTAX);
    return true;
}

bool sa_scan_trailing_comma(const sa_scan *sc, size_t *comma)
{
    size_t at = sc->error_at;
    if (sc->error != SA_SCAN_SYNTAX || at >= sc->len ||
        (sc->text[at] != '}' && sc->text[at] != ']'))
        return false;
    while (at > 0 && strchr(" \t\r\n", sc->text[at - 1]))
        at--;
    if (at == 0 || sc->text[at - 1] != ',')
        return false;
    *comma = at - 1;
    return true;
}

sa_status sa_scan_report(const sa_scan *sc, sa_error *err)
{
    long line, col;
    size_t at = sc->error_at < sc->len ? sc->error_at : sc->len, comma;
    char closing = 0;
    if (sa_scan_trailing_comma(sc, &comma)) {
        closing = sc->text[at];
        at = comma;
    }
    sa_text_position(sc->text, sc->len, at, &line, &col);
    switch (sc->error) {
    case SA_SCAN_OK:
        return SA_OK;
    case SA_SCAN_NOMEM:
        return sa_fail(err, SA_ERR_NOMEM, 0, 0, "out of memory");
    case SA_SCAN_DEEP:
        return sa_fail(err, SA_ERR_DATA, line, col, "JSON nested more than %d "
                       "levels deep", SA_SCAN_DEPTH);
    case SA_SCAN_END:
        return sa_fail(err, SA_ERR_DATA, line, col,
                       "invalid JSON: unexpected end of input");
    case SA_SCAN_NUMBER:
    case SA_SCAN_SYNTAX:
        break;
    }
    if (at >= sc->len)
        return sa_fail(err, SA_ERR_DATA, line, col,
                       "invalid JSON: unexpected end of input");
    char near[24];
    size_t k = 0;
    while (k < sizeof near - 1 && at + k < sc->len && sc->text[at + k] != '\n' &&
           sc->text[at + k] != '\r' && sc->text[at + k] != '\0') {
        near[k] = sc->text[at + k];
        k++;
    }
    near[k] = '\0';
    if (closing)
        return sa_fail(err, SA_ERR_DATA, line, col, "invalid JSON near '%s': "
                       "a trailing comma before '%c'", near, closing);
    if (sc->error == SA_SCAN_NUMBER)
        return sa_fail(err, SA_ERR_DATA, line, col, "invalid JSON number near '%s'", near);
    return sa_fail(err, SA_ERR_DATA, line, col, "invalid JSON near '%s'", near);
}
