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

void sa_json_write_vector(FILE *out, const float *data, size_t len)
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
            fputs(", ", out);
    }
    fputc(']', out);
}

void sa_json_write_rows(FILE *out, const float *data, size_t rows, size_t cols,
                        int indent)
{
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

sa_status sa_stream_status(FILE *out, sa_error *err)
{
    if (fflush(out) != 0 || ferror(out))
        return sa_fail(err, SA_ERR_IO, 0, 0, "write error: %s",
                       strerror(errno ? errno : EIO));
    return SA_OK;
}
