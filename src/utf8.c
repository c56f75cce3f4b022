/* utf8.c — checking and repairing UTF-8 (utf8.h). */
#include <stdlib.h>
#include <string.h>

#include "utf8.h"

size_t sa_utf8_length(const unsigned char *t, size_t n)
{
    unsigned char c = t[0];
    size_t k = c < 0x80 ? 1 : c >= 0xC2 && c <= 0xDF ? 2 : c >= 0xE0 && c <= 0xEF ? 3
             : c >= 0xF0 && c <= 0xF4 ? 4 : 0;
    if (k == 0 || k > n)
        return 0;
    for (size_t i = 1; i < k; i++)
        if ((t[i] & 0xC0) != 0x80)
            return 0;
    if ((c == 0xE0 && t[1] < 0xA0) || (c == 0xED && t[1] > 0x9F) ||  // overlong, surrogates
        (c == 0xF0 && t[1] < 0x90) || (c == 0xF4 && t[1] > 0x8F))    // overlong, > U+10FFFF
        return 0;
    return k;
}

size_t sa_utf8_put(char *o, uint32_t cp)
{
    if (cp < 0x80) {
        o[0] = (char)cp;
        return 1;
    }
    if (cp < 0x800) {
        o[0] = (char)(0xC0 | cp >> 6);
        o[1] = (char)(0x80 | (cp & 0x3F));
        return 2;
    }
    if (cp < 0x10000) {
        o[0] = (char)(0xE0 | cp >> 12);
        o[1] = (char)(0x80 | (cp >> 6 & 0x3F));
        o[2] = (char)(0x80 | (cp & 0x3F));
        return 3;
    }
    o[0] = (char)(0xF0 | cp >> 18);
    o[1] = (char)(0x80 | (cp >> 12 & 0x3F));
    o[2] = (char)(0x80 | (cp >> 6 & 0x3F));
    o[3] = (char)(0x80 | (cp & 0x3F));
    return 4;
}

char *sa_utf8_dup(const char *s, size_t n)
{
    char *out = malloc(3 * n + 1), *o = out;  // U+FFFD is 3 bytes for 1
    if (!out)
        return NULL;
    for (size_t i = 0; i < n;) {
        size_t k = sa_utf8_length((const unsigned char *)s + i, n - i);
        if (k) {
            memcpy(o, s + i, k);
            o += k;
            i += k;
        } else {
            o += sa_utf8_put(o, 0xFFFD);
            i++;
        }
    }
    *o = '\0';
    return out;
}
