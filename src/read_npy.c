/* read_npy.c — NumPy .npy files: versions 1.0, 2.0 and 3.0 (f2, f4, f8 and
 * the integers i1 to i8, u1 to u8 in either byte order, b1; C or Fortran
 * order).
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

/* descr: the byte order and element type, e.g. '<f4'. */
static sa_status parse_descr(sa_tensor *t, const char *h, size_t header_len,
                             sa_error *err)
{
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
    static const struct { const char *code; sa_dtype dtype; } codes[] = {
        {"f4", SA_DTYPE_F32}, {"f8", SA_DTYPE_F64}, {"f2", SA_DTYPE_F16},
        {"b1", SA_DTYPE_BOOL},
        {"i1", SA_DTYPE_I8}, {"i2", SA_DTYPE_I16}, {"i4", SA_DTYPE_I32},
        {"i8", SA_DTYPE_I64}, {"u1", SA_DTYPE_U8}, {"u2", SA_DTYPE_U16},
        {"u4", SA_DTYPE_U32}, {"u8", SA_DTYPE_U64},
    };
    const size_t known = sizeof codes / sizeof codes[0];
    size_t k = 0;
    while (k < known && strcmp(type + (n ? 1 : 0), codes[k].code) != 0)
        k++;
    if (k == known)
        return sa_fail(err, SA_ERR_DATA, 0, 0, "unsupported .npy dtype '%s' "
                       "(selfattn reads floats f2, f4, f8, integers i1 to i8 "
                       "and u1 to u8, and bool |b1)", type);
    t->dtype = codes[k].dtype;
    char order = type[0];
    // '|' (no byte order) is for one-byte types only
    if (!order || !strchr("<>=|", order) ||
        (order == '|' && sa_dtype_size(t->dtype) != 1))
        return sa_fail(err, SA_ERR_DATA, 0, 0, "unsupported .npy dtype '%s'", type);
    t->big_endian = order == '>';
    return SA_OK;
}

/* fortran_order: True or False. */
static sa_status parse_order(sa_tensor *t, const char *h, size_t header_len,
                             sa_error *err)
{
    const char *fo = header_value(h, header_len, "fortran_order");
    if (!fo)
        return bad(err, "no 'fortran_order' in the header");
    size_t rest = (size_t)(h + header_len - fo);  /* the header is not NUL-terminated */
    if (rest >= 4 && memcmp(fo, "True", 4) == 0)
        t->fortran_order = true;
    else if (rest < 5 || memcmp(fo, "False", 5) != 0)
        return bad(err, "'fortran_order' is neither True nor False");
    return SA_OK;
}

/* shape: a tuple of non-negative integers. */
static sa_status parse_shape(sa_tensor *t, const char *h, size_t header_len,
                             sa_error *err)
{
    const char *p = header_value(h, header_len, "shape");
    const char *end = h + header_len;
    if (!p || *p != '(')
        return bad(err, "no 'shape' tuple in the header");
    for (p++;;) {
        while (p < end && (isspace((unsigned char)*p) || *p == ','))
            p++;
        if (p < end && *p == ')')
            return SA_OK;
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
}

sa_status sa_npy_header(sa_tensor *t, size_t *data_bytes, size_t *offset,
                        const unsigned char *buf, size_t len, sa_error *err)
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
    sa_status status;
    if ((status = parse_descr(t, h, header_len, err)) ||
        (status = parse_order(t, h, header_len, err)) ||
        (status = parse_shape(t, h, header_len, err)))
        return status;
    size_t numel = sa_tensor_numel(t), size = sa_dtype_size(t->dtype);
    if (numel == SIZE_MAX || numel > SIZE_MAX / size)
        return sa_fail(err, SA_ERR_DATA, 0, 0, "the .npy header announces more "
                       "elements than memory can address");
    *data_bytes = numel * size;
    *offset = start + header_len;
    return SA_OK;
}

sa_status sa_read_npy(sa_tensor *t, const unsigned char *buf, size_t len,
                      sa_error *err)
{
    size_t bytes, offset;
    sa_status status = sa_npy_header(t, &bytes, &offset, buf, len, err);
    if (status)
        return status;
    if (bytes > len - offset)
        return sa_fail(err, SA_ERR_DATA, 0, 0, "the .npy header announces %zu "
                       "elements of %zu bytes but the file holds only %zu bytes "
                       "of data", sa_tensor_numel(t), sa_dtype_size(t->dtype),
                       len - offset);
    t->raw = buf + offset;
    return SA_OK;
}
