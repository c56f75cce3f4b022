/* format.c — numbers and shapes as text, and a stream's status. */
#include <errno.h>
#include <math.h>
#include <string.h>

#include "format.h"
#include "numbers.h"

void sa_format_float(char *buf, float f)
{
    buf[sa_float_chars(buf, f)] = '\0';
}

void sa_format_shape(char *buf, size_t size, size_t ndim, const size_t *shape)
{
    size_t used = 0;
    if (ndim == 0)
        snprintf(buf, size, "scalar");
    for (size_t i = 0; i < ndim && used < size; i++)
        used += (size_t)snprintf(buf + used, size - used, "%s%zu",
                                 i ? " x " : "", shape[i]);
}

sa_status sa_stream_status(FILE *out, sa_error *err)
{
    if (fflush(out) != 0 || ferror(out))
        return sa_fail(err, SA_ERR_IO, 0, 0, "write error: %s",
                       strerror(errno ? errno : EIO));
    return SA_OK;
}

char *sa_format_bytes(char *buf, size_t size, double bytes)
{
    static const char *const units[] = {"KiB", "MiB", "GiB", "TiB", "PiB", "EiB"};
    if (bytes < 1024) {
        snprintf(buf, size, "%.0f byte%s", bytes, bytes == 1 ? "" : "s");
        return buf;
    }
    int u = -1;
    while (bytes >= 1024 && u < 5) {
        bytes /= 1024;
        u++;
    }
    double tenths = (double)(long long)(bytes * 10 + 0.5) / 10;
    snprintf(buf, size, tenths == (long long)tenths ? "%.0f %s" : "%.1f %s",
             tenths, units[u]);
    return buf;
}
