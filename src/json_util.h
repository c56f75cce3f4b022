/* json_util.h — internal helpers shared by the JSON readers.
 * Arrays of rows become row-major float arrays; every failure names the
 * element by its indices (cJSON keeps no positions for parsed items). */
#ifndef SA_JSON_UTIL_H
#define SA_JSON_UTIL_H

#include <cJSON.h>

#include "selfattn.h"

/* The most values outside packs a parsed tree of len bytes holds:
 * SA_JSON_NODES_BASE, and one per SA_JSON_BYTES_PER_NODE bytes of text,
 * so that its nodes (64 bytes each) cost at most 4 times the text and
 * 256 KiB.  A result, weights or mask file has a few such values (keys,
 * token labels) for many numbers; a text past it is refused. */
#define SA_JSON_NODES_BASE 4096
#define SA_JSON_BYTES_PER_NODE 16

/* A packed array (json_tree.c): a vector of numbers, or a matrix of equal
 * vectors, as float32s.  true and false are 1 and 0, null is NaN; the
 * first of each is noted, so that readers that take neither can say
 * where.  Legend: (rows, cols) row-major; a vector has rows 1. */
typedef struct {
    int ndim;                /* 1 (a vector) or 2 (an array of vectors) */
    size_t rows, cols;
    size_t first_bool;       /* flat index of the first true/false, or SIZE_MAX */
    size_t first_null;       /* flat index of the first null, or SIZE_MAX */
    float data[];            /* (rows, cols) */
} sa_json_pack;

/* The cJSON type bit of a packed array (its type is also cJSON_Array,
 * with no children; valuestring holds the sa_json_pack). */
#define SA_JSON_PACKED (1 << 12)

/* Parses text[0 .. len) into *root (free with cJSON_Delete), its arrays of
 * numbers packed.  A syntax error is SA_ERR_DATA with the line:col where
 * parsing stopped; so is anything but blanks after the value, what JSON's
 * grammar does not allow though cJSON would take it (01, 1., control
 * characters), and more values outside packs than SA_JSON_NODES_BASE and
 * one per SA_JSON_BYTES_PER_NODE bytes. */
sa_status sa_json_parse(cJSON **root, const char *text, size_t len,
                        sa_error *err);

/* The pack of item if it is a packed array, else NULL. */
const sa_json_pack *sa_json_packed(const cJSON *item);

/* The number of elements of an array, packed or not (a matrix's rows). */
size_t sa_json_length(const cJSON *array);

/* True if array is an array whose first element is an array (a packed
 * matrix, or arrays of arrays): rows rather than a vector. */
bool sa_json_has_rows(const cJSON *array);

/* As sa_json_parse_plain, with cJSON's own grammar: the readers'
 * messages for malformed text. */
sa_status sa_json_parse_lenient(cJSON **root, const char *text, size_t len,
                                sa_error *err);

/* As sa_json_parse with nothing packed (every number a cJSON double, the
 * same cap on values): for texts whose numbers must stay doubles, such as
 * a safetensors header's offsets. */
sa_status sa_json_parse_plain(cJSON **root, const char *text, size_t len,
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
