/* line_reader.c — bounded lines from a descriptor (line_reader.h): reads
 * 64 KiB at a time and finds newlines with memchr. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "line_reader.h"

#define READ_SIZE ((size_t)64 << 10)

bool sa_line_reader_open(sa_line_reader *r, int fd)
{
    *r = (sa_line_reader){.fd = fd, .cap = READ_SIZE};
    r->buf = malloc(r->cap);
    return r->buf != NULL;
}

void sa_line_reader_close(sa_line_reader *r)
{
    free(r->buf);
    r->buf = NULL;
}

/* Reads more after buf[end); false at the end of the input or an error. */
static bool fill(sa_line_reader *r)
{
    if (r->eof)
        return false;
    if (r->at == r->end)
        r->at = r->end = 0;
    ssize_t got;
    do
        got = read(r->fd, r->buf + r->end, r->cap - r->end);
    while (got < 0 && errno == EINTR);
    if (got <= 0) {
        r->eof = true;
        r->error = got < 0 ? errno : 0;
        return false;
    }
    r->end += (size_t)got;
    return true;
}

/* Appends buf[at .. at + n) to the growing line (kept while it is within
 * limit; past it only counted).  False without memory. */
static bool take(sa_line_reader *r, size_t n, char **line, size_t *len,
                 size_t *cap, size_t limit)
{
    if (*len + n <= limit) {
        if (*len + n + 1 > *cap) {
            size_t want = *cap ? *cap : 256;
            while (want < *len + n + 1)
                want *= 2;
            char *more = realloc(*line, want);
            if (!more)
                return false;
            *line = more;
            *cap = want;
        }
        memcpy(*line + *len, r->buf + r->at, n);
    }
    *len += n;
    r->at += n;
    r->consumed += (off_t)n;
    return true;
}

sa_line_status sa_read_line(sa_line_reader *r, size_t limit, char **line,
                            size_t *len)
{
    size_t cap = 0;
    bool found = false, nomem = false;
    *line = NULL;
    *len = 0;
    while (!found) {
        if (r->at == r->end && !fill(r)) {
            if (*len == 0 && !nomem) {
                free(*line);
                *line = NULL;
                return SA_LINE_END;
            }
            break;  // a last line without a newline
        }
        char *nl = memchr(r->buf + r->at, '\n', r->end - r->at);
        size_t n = nl ? (size_t)(nl - (r->buf + r->at)) : r->end - r->at;
        if (!nomem && !take(r, n, line, len, &cap, limit)) {
            nomem = true;
            free(*line);
            *line = NULL;
        }
        if (nomem) {  // only counted from here on
            *len += n;
            r->at += n;
            r->consumed += (off_t)n;
        }
        if (nl) {
            r->at++;
            r->consumed++;
            found = true;
        }
    }
    if (nomem || *len > limit) {
        free(*line);
        *line = NULL;
        return nomem ? SA_LINE_NOMEM : SA_LINE_TOO_LONG;
    }
    if (*len && (*line)[*len - 1] == '\r')
        (*len)--;
    if (!*line && !(*line = malloc(1)))
        return SA_LINE_NOMEM;
    (*line)[*len] = '\0';
    return SA_LINE_OK;
}
