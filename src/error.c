/* error.c — filling sa_error and locating byte offsets as line:col. */
#include <stdarg.h>
#include <string.h>

#include "selfattn.h"

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
