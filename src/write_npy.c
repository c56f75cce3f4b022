/* write_npy.c — NumPy .npy files, version 1.0, little-endian float32
 * (<f4) in C order, whatever the host's byte order. */
#include <stdlib.h>
#include <string.h>

#include "format.h"

size_t sa_npy_header_bytes(char *h, size_t ndim, const size_t *shape)
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
    size_t h = sa_npy_header_bytes(header, ndim, shape), numel = 1;
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
        fwrite(header, 1, sa_npy_header_bytes(header, ndim, shape), out);
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
