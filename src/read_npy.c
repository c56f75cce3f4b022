/* npy.c — NumPy .npy files: versions 1.0, 2.0 and 3.0 read (f2, f4, f8 in
 * either byte order, b1; C or Fortran order), version 1.0 <f4 written.
 * The header is a Python dict literal such as
 *   {'descr': '<f4', 'fortran_order': False, 'shape': (3, 4), } */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "format.h"

/* Finds 'key' in the header and returns the text after its colon, or NULL. */
static const char *header_value(const char *h, size_t len, const char *key)
{
    size_t k = strlen(key);
    for (size_t i = 0; i + k + 2 <= len; i++)
        if ((h[i] == '\'' || h[i] == '"') && strncmp(h + i + 1, key, k) == 0 &&
            h[i + 1 + k] == h[i]) {
            const char *p = h + i + k + 2;
            while (p < h + len && isspace((unsigned char)*p))
                p++;
            if (p < h + len && *p == ':') {
                p++;
                while (p < h + len && isspace((unsigned char)*p))
                    p++;
                return p < h + len ? p : NULL;  /* a value, not the end */
            }
        }
    return NULL;
}

static sa_status bad(sa_error *err, const char *what)
{
    return sa_fail(err, SA_ERR_DATA, 0, 0, "not a readable .npy file: %s", what);
}

sa_status sa_read_npy(sa_tensor *t, const unsigned char *buf, size_t len,
                      sa_error *err)
{
    memset(t, 0, sizeof *t);
    if (len < 6 || memcmp(buf, "\x93NUMPY", 6) != 0)
        return bad(err, "no \\x93NUMPY magic");
    if (len < 10)
        return bad(err, "truncated header");
    unsigned major = buf[6];
    size_t header_len, start;
    if (major == 1) {
        header_len = (size_t)buf[8] | (size_t)buf[9] << 8;
        start = 10;
    } else if (major == 2 || major == 3) {
        if (len < 12)
            return bad(err, "truncated header");
        header_len = (size_t)buf[8] | (size_t)buf[9] << 8 |
                     (size_t)buf[10] << 16 | (size_t)buf[11] << 24;
        start = 12;
    } else {
        return sa_fail(err, SA_ERR_DATA, 0, 0,
                       "unsupported .npy format version %u.%u", major, buf[7]);
    }
    if (header_len > len - start)
        return bad(err, "the header runs past the end of the file");
    const char *h = (const char *)buf + start;

    /* descr: byte order and type */
    const char *descr = header_value(h, header_len, "descr");
    if (!descr || (*descr != '\'' && *descr != '"'))
        return bad(err, "no 'descr' string in the header (structured arrays "
                   "are not supported)");
    char type[16] = "";
    size_t n = 0;
    for (const char *p = descr + 1; p < h + header_len && *p != *descr &&
         n < sizeof type - 1; p++)
        type[n++] = *p;
    type[n] = '\0';
    char order = type[0];
    const char *code = type + 1;
    if (strcmp(code, "f4") == 0)
        t->dtype = SA_DTYPE_F32;
    else if (strcmp(code, "f8") == 0)
        t->dtype = SA_DTYPE_F64;
    else if (strcmp(code, "f2") == 0)
        t->dtype = SA_DTYPE_F16;
    else if (strcmp(code, "b1") == 0)
        t->dtype = SA_DTYPE_BOOL;
    else
        return sa_fail(err, SA_ERR_DATA, 0, 0, "unsupported .npy dtype '%s' "
                       "(selfattn reads <f4, <f8, <f2, big-endian ones and |b1)",
                       type);
    if (!order || !strchr("<>=|", order) ||
        (order == '|' && t->dtype != SA_DTYPE_BOOL))
        return sa_fail(err, SA_ERR_DATA, 0, 0, "unsupported .npy dtype '%s'", type);
    t->big_endian = order == '>';

    /* fortran_order: True or False */
    const char *fo = header_value(h, header_len, "fortran_order");
    if (!fo)
        return bad(err, "no 'fortran_order' in the header");
    size_t rest = (size_t)(h + header_len - fo);  /* the header is not NUL-terminated */
    if (rest >= 4 && memcmp(fo, "True", 4) == 0)
        t->fortran_order = true;
    else if (rest < 5 || memcmp(fo, "False", 5) != 0)
        return bad(err, "'fortran_order' is neither True nor False");

    /* shape: a tuple of non-negative integers */
    const char *p = header_value(h, header_len, "shape");
    const char *end = h + header_len;
    if (!p || *p != '(')
        return bad(err, "no 'shape' tuple in the header");
    for (p++;;) {
        while (p < end && (isspace((unsigned char)*p) || *p == ','))
            p++;
        if (p < end && *p == ')')
            break;
        if (p >= end || !isdigit((unsigned char)*p))
            return bad(err, "a malformed 'shape' tuple");
        if (t->ndim == SA_MAX_DIMS)
            return sa_fail(err, SA_ERR_DATA, 0, 0, "an .npy array of more than "
                           "%d dimensions", SA_MAX_DIMS);
        size_t v = 0;
        for (; p < end && isdigit((unsigned char)*p); p++) {
            if (v > (SIZE_MAX - 9) / 10)
                return bad(err, "a dimension too large");
            v = v * 10 + (size_t)(*p - '0');
        }
        t->shape[t->ndim++] = v;
    }

    size_t numel = sa_tensor_numel(t), size = sa_dtype_size(t->dtype);
    size_t offset = start + header_len;
    if (numel == SIZE_MAX)
        return sa_fail(err, SA_ERR_DATA, 0, 0, "the .npy header announces more "
                       "elements than memory can address");
    if (numel > (len - offset) / size)
        return sa_fail(err, SA_ERR_DATA, 0, 0, "the .npy header announces %zu "
                       "elements of %zu bytes but the file holds only %zu bytes "
                       "of data", numel, size, len - offset);
    t->raw = buf + offset;
    return SA_OK;
}

/* The bytes of a version 1.0 header for (shape) <f4, padded so the data
 * starts at a multiple of 64.  Returns the length written into h (at least
 * 512 bytes). */
static size_t npy_header(char *h, size_t ndim, const size_t *shape)
{
    char dict[400];
    size_t n = (size_t)snprintf(dict, sizeof dict,
                                "{'descr': '<f4', 'fortran_order': False, 'shape': (");
    for (size_t i = 0; i < ndim; i++)
        n += (size_t)snprintf(dict + n, sizeof dict - n, "%zu%s", shape[i],
                              ndim == 1 ? "," : i + 1 < ndim ? ", " : "");
    n += (size_t)snprintf(dict + n, sizeof dict - n, "), }");
    size_t total = (10 + n + 1 + 63) / 64 * 64;  /* magic, dict, '\n' */
    size_t header_len = total - 10;
    memcpy(h, "\x93NUMPY\x01\x00", 8);
    h[8] = (char)(header_len & 0xff);
    h[9] = (char)(header_len >> 8);
    memcpy(h + 10, dict, n);
    memset(h + 10 + n, ' ', header_len - n - 1);
    h[total - 1] = '\n';
    return total;
}

sa_status sa_npy_encode(unsigned char **bytes, size_t *len, const float *data,
                        size_t ndim, const size_t *shape, sa_error *err)
{
    char header[512];
    size_t h = npy_header(header, ndim, shape), numel = 1;
    for (size_t i = 0; i < ndim; i++)
        numel *= shape[i];
    *bytes = malloc(h + 4 * numel);
    if (!*bytes)
        return sa_fail(err, SA_ERR_NOMEM, 0, 0, "out of memory");
    memcpy(*bytes, header, h);
    unsigned char *p = *bytes + h;
    for (size_t i = 0; i < numel; i++, p += 4) {
        uint32_t u;
        memcpy(&u, &data[i], sizeof u);
        p[0] = (unsigned char)u;  /* little-endian whatever the host */
        p[1] = (unsigned char)(u >> 8);
        p[2] = (unsigned char)(u >> 16);
        p[3] = (unsigned char)(u >> 24);
    }
    *len = h + 4 * numel;
    return SA_OK;
}

sa_status sa_write_npy(FILE *out, const float *data, size_t ndim,
                       const size_t *shape, sa_error *err)
{
    const uint16_t one = 1;
    if (*(const unsigned char *)&one == 1) {
        /* a little-endian host writes its floats as they are */
        char header[512];
        size_t numel = 1;
        for (size_t i = 0; i < ndim; i++)
            numel *= shape[i];
        fwrite(header, 1, npy_header(header, ndim, shape), out);
        fwrite(data, sizeof *data, numel, out);
        return sa_stream_status(out, err);
    }
    unsigned char *bytes;
    size_t len;
    sa_status status = sa_npy_encode(&bytes, &len, data, ndim, shape, err);
    if (status)
        return status;
    fwrite(bytes, 1, len, out);
    free(bytes);
    return sa_stream_status(out, err);
}
