/* format.h — internal helpers for writing numbers and matrices as text. */
#ifndef SA_FORMAT_H
#define SA_FORMAT_H

#include "selfattn.h"

/* Writes data (rows, cols) as a JSON array of rows, one row per line, each
 * line prefixed by indent spaces plus two; values that are not finite
 * (masked -INFINITY scores, NaN rows) are written as null. */
void sa_json_write_rows(FILE *out, const float *data, size_t rows, size_t cols,
                        int indent);

/* Writes data (len) as a one-line JSON array. */
void sa_json_write_vector(FILE *out, const float *data, size_t len);

/* Writes s as a JSON string literal, escaping what JSON requires. */
void sa_json_write_string(FILE *out, const char *s);

/* SA_OK, or SA_ERR_IO naming the error if the stream has one. */
sa_status sa_stream_status(FILE *out, sa_error *err);

#endif
