/* error.c — filling sa_error and locating byte offsets as line:col. */
#include <stdarg.h>
#include <string.h>

#include "selfattn.h"
#include "utf8.h"

/* Makes message safe to print and to put in JSON: text quoted from an
 * input keeps its valid UTF-8; control characters become "\xNN" and bytes
 * that are not UTF-8 U+FFFD, cut to fit at a character's end. */
static void make_safe(char *message, size_t size)
{
    char safe[sizeof ((sa_error *)0)->message];
    size_t n = strlen(message), k = 0;
    for (size_t i = 0; i < n;) {
        unsigned char c = (unsigned char)message[i];
        size_t len = sa_utf8_length((const unsigned char *)message + i, n - i);
        char piece[8];
        size_t put;
        if (len == 1 && (c < 0x20 || c == 0x7F))
            put = (size_t)snprintf(piece, sizeof piece, "\\x%02x", c);
        else if (len)
            memcpy(piece, message + i, put = len);
        else
            put = sa_utf8_put(piece, 0xFFFD);
        if (k + put >= sizeof safe)
            break;
        memcpy(safe + k, piece, put);
        k += put;
        i += len ? len : 1;
    }
    safe[k] = '\0';
    memcpy(message, safe, k + 1 < size ? k + 1 : size);
}

sa_status sa_fail(sa_error *err, sa_status status, long line, long col,
                  const char *fmt, ...)
{
    if (err) {
        va_list ap;
        err->status = status;
        err->line = line;
        err->col = col;
        va_start(ap, fmt);
        vsnprintf(err->message, sizeof err->message, fmt, ap);
        va_end(ap);
        make_safe(err->message, sizeof err->message);
    }
    return status;
}

void sa_text_position(const char *text, size_t len, size_t offset,
                      long *line, long *col)
{
    long l = 1, c = 1;
    if (offset > len)
        offset = len;
    for (size_t i = 0; i < offset; i++) {
        if (text[i] == '\n') {
            l++;
            c = 1;
        } else if (((unsigned char)text[i] & 0xC0) != 0x80) {
            c++;  /* count characters, not UTF-8 continuation bytes */
        }
    }
    *line = l;
    *col = c;
}
