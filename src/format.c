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

/* The most divisors a message lists. */
#define MAX_LISTED 24

/* How far a is from near. */
static size_t distance(size_t a, size_t near)
{
    return a > near ? a - near : near - a;
}

/* Adds d, larger than any listed, to listed (count, at most MAX_LISTED):
 * when full, d replaces the one farthest from near if it is nearer. */
static void add_divisor(size_t *listed, size_t *count, size_t d, size_t near)
{
    if (*count < MAX_LISTED) {
        listed[(*count)++] = d;
        return;
    }
    size_t far = 0;
    for (size_t j = 1; j < *count; j++)
        if (distance(listed[j], near) > distance(listed[far], near))
            far = j;
    if (distance(d, near) < distance(listed[far], near)) {
        memmove(listed + far, listed + far + 1,
                (*count - far - 1) * sizeof *listed);
        listed[*count - 1] = d;
    }
}

void sa_format_divisors(char *buf, size_t size, size_t n, size_t near)
{
    size_t listed[MAX_LISTED], count = 0, total = 0, root = 0;
    /* ascending: the divisors up to the square root, then their
     * cofactors from the largest down */
    for (size_t i = 1; i <= n / i; i++) {
        root = i;
        if (n % i == 0) {
            add_divisor(listed, &count, i, near);
            total++;
        }
    }
    for (size_t i = root; i >= 1; i--)
        if (n % i == 0 && i != n / i) {
            add_divisor(listed, &count, n / i, near);
            total++;
        }
    size_t used = 0;
    buf[0] = '\0';
    if (total > count)
        used = (size_t)snprintf(buf, size, "one of the %zu divisors of %zu, "
                                "such as ", total, n);
    for (size_t j = 0; j < count && used < size; j++)
        used += (size_t)snprintf(buf + used, size - used, "%s%zu",
                                 j == 0 ? "" : j + 1 == count ? " or " : ", ",
                                 listed[j]);
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
