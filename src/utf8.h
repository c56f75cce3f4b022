/* utf8.h — UTF-8 as the readers take it and the writers give it (utf8.c):
 * a sequence is valid when it is the shortest form of a code point up to
 * U+10FFFF that is not a surrogate; anything else is replaced by U+FFFD. */
#ifndef SA_UTF8_H
#define SA_UTF8_H

#include <stddef.h>
#include <stdint.h>

/* The length of the valid UTF-8 sequence at s[0 .. n), or 0 if the bytes
 * there are not one. */
size_t sa_utf8_length(const unsigned char *s, size_t n);

/* Writes code point cp (up to U+10FFFF) as UTF-8 at out (4 bytes at
 * most); returns the bytes written. */
size_t sa_utf8_put(char *out, uint32_t cp);

/* A new NUL-terminated copy of s[0 .. n) with each byte that starts no
 * valid sequence replaced by U+FFFD; NULL if memory ran out. */
char *sa_utf8_dup(const char *s, size_t n);

#endif
