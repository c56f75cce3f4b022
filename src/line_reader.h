/* line_reader.h — lines of a file or a stream, each at most a limit of
 * bytes: a longer line is skipped to its end without being kept, so that
 * one line cannot take the memory whatever its size (batch's input). */
#ifndef SA_LINE_READER_H
#define SA_LINE_READER_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

typedef struct {
    int fd;
    char *buf;           /* (cap) bytes read ahead: buf[at .. end) */
    size_t at, end, cap;
    off_t consumed;      /* bytes of the input handed out or skipped */
    bool eof;
    int error;           /* errno of a failed read, else 0 */
} sa_line_reader;

/* Starts reading fd (not closed by the reader).  False without memory. */
bool sa_line_reader_open(sa_line_reader *r, int fd);

void sa_line_reader_close(sa_line_reader *r);

/* The outcome of sa_read_line. */
typedef enum {
    SA_LINE_OK,        /* *line holds the line */
    SA_LINE_TOO_LONG,  /* longer than limit bytes: skipped, *len its length */
    SA_LINE_END,       /* no more lines (or a read error: r->error) */
    SA_LINE_NOMEM      /* the line found no memory (it is skipped) */
} sa_line_status;

/* Reads the next line, without its "\n" (or "\r\n"), into a new buffer
 * *line of *len bytes plus a NUL (the caller frees it; it may hold NUL
 * bytes).  A last line without a newline counts. */
sa_line_status sa_read_line(sa_line_reader *r, size_t limit, char **line,
                            size_t *len);

#endif
