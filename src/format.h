/* format.h — internal helpers for writing numbers and matrices as text. */
#ifndef SA_FORMAT_H
#define SA_FORMAT_H

#include "selfattn.h"

/* Writes data (rows, cols) as a JSON array of rows, one row per line, each
 * line prefixed by indent spaces plus two (indent < 0: all on one line,
 * without spaces); values that are not finite
 * (masked -INFINITY scores, NaN rows) are written as null. */
void sa_json_write_rows(FILE *out, const float *data, size_t rows, size_t cols,
                        int indent);

/* Writes data (len) as a one-line JSON array. */
void sa_json_write_vector(FILE *out, const float *data, size_t len);

/* Writes s as a JSON string literal, escaping what JSON requires. */
void sa_json_write_string(FILE *out, const char *s);

/* The bytes of a version 1.0 .npy file of data (shape), <f4, in a new
 * buffer of *len bytes the caller frees. */
sa_status sa_npy_encode(unsigned char **bytes, size_t *len, const float *data,
                        size_t ndim, const size_t *shape, sa_error *err);

/* Writes "3 x 4 x 5" (or "scalar" for no dimensions) into buf (size). */
void sa_format_shape(char *buf, size_t size, size_t ndim, const size_t *shape);

/* SA_OK, or SA_ERR_IO naming the error if the stream has one. */
sa_status sa_stream_status(FILE *out, sa_error *err);

#endif
