/* read_file.c — reading a whole file, or an open descriptor such as
 * standard input, into memory, within the input limit. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "alloc.h"
#include "selfattn.h"

/* read() that retries on EINTR. */
static ssize_t read_some(int fd, char *buf, size_t count)
{
    ssize_t got;
    do
        got = read(fd, buf, count);
    while (got < 0 && errno == EINTR);
    return got;
}

/* True if the regular file fd begins as a binary format whose memory is
 * its own size (NumPy, zip, safetensors): not bounded by the limit. */
static bool binary_file(int fd)
{
    char head[16];
    ssize_t got = pread(fd, head, sizeof head, 0);
    if (got <= 0)
        return false;
    sa_file_kind kind = sa_guess_file_kind(NULL, head, (size_t)got);
    return kind == SA_FILE_NPY || kind == SA_FILE_NPZ || kind == SA_FILE_SAFETENSORS;
}

sa_status sa_read_fd(char **text, size_t *len, int fd, sa_error *err)
{
    char *buf = NULL;
    size_t size = 0, cap = 4096, limit = sa_input_limit();
    struct stat st;

    *text = NULL;
    *len = 0;
    if (fstat(fd, &st) == 0 && S_ISDIR(st.st_mode))
        return sa_fail(err, SA_ERR_NOINPUT, 0, 0, "is a directory");
    /* a regular file is read in one buffer of its size (plus the NUL) */
    if (S_ISREG(st.st_mode) && (uintmax_t)st.st_size < SIZE_MAX - 1) {
        cap = (size_t)st.st_size + 1;
        if (cap - 1 > limit && !binary_file(fd))
            return sa_fail_input_limit(err, "the file", cap - 1);
        if (cap - 1 > limit)
            limit = SIZE_MAX - 1;
    }
    buf = sa_alloc_large(cap);
    if (!buf)
        goto nomem;
    for (;;) {
        if (size > limit) {
            free(buf);
            return sa_fail_input_limit(err, S_ISREG(st.st_mode) ? "the file"
                                       : "the input", 0);
        }
        if (size + 1 == cap) {
            /* full: probe for more before growing, so a file of the size
             * fstat announced is never copied */
            char probe[4096];
            ssize_t got = read_some(fd, probe, sizeof probe);
            if (got < 0)
                goto readerr;
            if (got == 0)
                break;
            size_t grown = cap + (cap > (size_t)got ? cap : (size_t)got);
            if (limit < SIZE_MAX / 2 && grown > limit + 4097 && limit + 4097 > cap)
                grown = limit + 4097;  // room to see the limit passed
            char *more = grown > cap ? realloc(buf, grown) : NULL;
            if (!more)
                goto nomem;
            buf = more;
            cap = grown;
            memcpy(buf + size, probe, (size_t)got);
            size += (size_t)got;
            continue;
        }
        ssize_t got = read_some(fd, buf + size, cap - size - 1);
        if (got < 0)
            goto readerr;
        if (got == 0)
            break;
        size += (size_t)got;
    }
    buf[size] = '\0';
    *text = buf;
    *len = size;
    return SA_OK;

readerr:
    free(buf);
    return sa_fail(err, errno == EISDIR ? SA_ERR_NOINPUT : SA_ERR_IO, 0, 0,
                   "read error: %s", strerror(errno));
nomem:
    free(buf);
    return sa_fail(err, SA_ERR_NOMEM, 0, 0, "out of memory reading the file");
}

sa_status sa_read_file(char **text, size_t *len, const char *path,
                       sa_error *err)
{
    *text = NULL;
    *len = 0;
    int fd = open(path, O_RDONLY);
    if (fd < 0)
        return sa_fail(err, SA_ERR_NOINPUT, 0, 0, "cannot open: %s",
                       strerror(errno));
    sa_status status = sa_read_fd(text, len, fd, err);
    close(fd);
    return status;
}
