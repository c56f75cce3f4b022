/* format.c — shortest round-trip float32 text, and JSON arrays and strings. */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "format.h"

void sa_format_float(char *buf, float f)
{
    if (f == 0.0f) {
        strcpy(buf, signbit(f) ? "-0" : "0");
        return;
    }
    /* float32 needs at most 9 significant digits to round-trip */
    for (int digits = 6; digits <= 9; digits++) {
        snprintf(buf, 32, "%.*g", digits, (double)f);
        if (strtof(buf, NULL) == f)
            return;
    }
}

/* Writes data (len) as a JSON array with sep between the numbers. */
static void write_vector(FILE *out, const float *data, size_t len,
                         const char *sep)
{
    char num[32];
    fputc('[', out);
    for (size_t j = 0; j < len; j++) {
        if (!isfinite(data[j])) {
            fputs("null", out);  /* masked scores, NaN rows */
        } else {
            sa_format_float(num, data[j]);
            fputs(num, out);
        }
        if (j + 1 < len)
            fputs(sep, out);
    }
    fputc(']', out);
}

void sa_json_write_vector(FILE *out, const float *data, size_t len)
{
    write_vector(out, data, len, ", ");
}

void sa_json_write_rows(FILE *out, const float *data, size_t rows, size_t cols,
                        int indent)
{
    if (indent < 0) {
        fputc('[', out);
        for (size_t i = 0; i < rows; i++) {
            write_vector(out, data + i * cols, cols, ",");
            if (i + 1 < rows)
                fputc(',', out);
        }
        fputc(']', out);
        return;
    }
    fputs("[\n", out);
    for (size_t i = 0; i < rows; i++) {
        fprintf(out, "%*s", indent + 2, "");
        sa_json_write_vector(out, data + i * cols, cols);
        fputs(i + 1 < rows ? ",\n" : "\n", out);
    }
    fprintf(out, "%*s]", indent, "");
}

void sa_json_write_string(FILE *out, const char *s)
{
    fputc('"', out);
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        switch (*p) {
        case '"': fputs("\\\"", out); break;
        case '\\': fputs("\\\\", out); break;
        case '\n': fputs("\\n", out); break;
        case '\r': fputs("\\r", out); break;
        case '\t': fputs("\\t", out); break;
        case '\b': fputs("\\b", out); break;
        case '\f': fputs("\\f", out); break;
        default:
            if (*p < 0x20)
                fprintf(out, "\\u%04x", *p);
            else
                fputc(*p, out);
        }
    }
    fputc('"', out);
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
