/* json_util.h — internal helpers shared by the JSON readers.
 * Arrays of rows become row-major float arrays; every failure names the
 * element by its indices (cJSON keeps no positions for parsed items). */
#ifndef SA_JSON_UTIL_H
#define SA_JSON_UTIL_H

#include <cJSON.h>

#include "selfattn.h"

/* Parses text[0 .. len) into *root (free with cJSON_Delete).  A syntax
 * error is SA_ERR_DATA with the line:col where parsing stopped; so is
 * anything but blanks after the value, and what JSON's grammar does not
 * allow though cJSON would take it (01, 1., control characters). */
sa_status sa_json_parse(cJSON **root, const char *text, size_t len,
                        sa_error *err);

/* As sa_json_parse, with cJSON's own grammar: the readers' messages for
 * malformed text. */
sa_status sa_json_parse_lenient(cJSON **root, const char *text, size_t len,
                                sa_error *err);

/* Converts a JSON number (or, if allow_bool, true/false as 1/0) to a finite
 * float32 in *out; what names the element in messages ("row 2, column 3"). */
sa_status sa_json_float(float *out, const cJSON *item, bool allow_bool,
                        const char *name, const char *what, sa_error *err);

/* Converts an array of equal-length arrays of numbers to a new (rows, cols)
 * float array the caller frees; name labels messages ("Wq", "embeddings").
 * rows and cols must be at least 1. */
sa_status sa_json_rows(float **data, size_t *rows, size_t *cols,
                       const cJSON *array, bool allow_bool, const char *name,
                       sa_error *err);

/* Converts an array of numbers to a new (len) float array. */
sa_status sa_json_vector(float **data, size_t *len, const cJSON *array,
                         const char *name, sa_error *err);

#endif
