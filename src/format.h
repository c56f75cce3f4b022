/* format.h — internal helpers of the writers: numbers and shapes as
 * text, a stream's status, the bytes of an .npy file (buffer.h writes
 * matrices and strings). */
#ifndef SA_FORMAT_H
#define SA_FORMAT_H

#include "buffer.h"
#include "selfattn.h"

/* Parses the header of an .npy file at buf[0 .. len) into t (no data yet:
 * t->raw stays NULL): *data_bytes is what its shape and dtype need and
 * *offset where they start.  The errors of sa_read_npy but the data's
 * length. */
sa_status sa_npy_header(sa_tensor *t, size_t *data_bytes, size_t *offset,
                        const unsigned char *buf, size_t len, sa_error *err);

/* The bytes of a version 1.0 .npy file of data (shape), <f4, in a new
 * buffer of *len bytes the caller frees. */
sa_status sa_npy_encode(unsigned char **bytes, size_t *len, const float *data,
                        size_t ndim, const size_t *shape, sa_error *err);

/* The bytes of a version 1.0 .npy header for (shape) <f4 into h (512
 * bytes), padded so the data starts at a multiple of 64; returns its
 * length.  The data follows, little-endian, in C order (an MPI run's
 * ranks write their rows there, cli_ring_io.c). */
size_t sa_npy_header_bytes(char *h, size_t ndim, const size_t *shape);

/* Writes "3 x 4 x 5" (or "scalar" for no dimensions) into buf (size). */
void sa_format_shape(char *buf, size_t size, size_t ndim, const size_t *shape);

/* The head counts that divide a width n, for messages: "1, 2, 3 or 6"
 * into buf (size).  With more than 24 divisors, the 24 nearest near
 * (ascending, after "one of the 240 divisors of 720720, such as "). */
void sa_format_divisors(char *buf, size_t size, size_t n, size_t near);

/* SA_OK, or SA_ERR_IO naming the error if the stream has one. */
sa_status sa_stream_status(FILE *out, sa_error *err);

#endif
