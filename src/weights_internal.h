/* weights_internal.h — what the readers of weights layouts share
 * (weights_parts.c): parts of a tensor set taken as float32 arrays in the
 * math convention's shapes. */
#ifndef SA_WEIGHTS_INTERNAL_H
#define SA_WEIGHTS_INTERNAL_H

#include "selfattn.h"

/* The optional matrix `name` as a new float array (rows, cols); *data is
 * NULL if the set has no such tensor.  Not 2-D or empty: SA_ERR_DATA. */
sa_status sa_take_matrix(float **data, size_t *rows, size_t *cols,
                         const sa_tensor_set *set, const char *name,
                         sa_error *err);

/* The optional vector `name`, which must have `want` elements (why says
 * where that number comes from). */
sa_status sa_take_vector(float **data, const sa_tensor_set *set,
                         const char *name, size_t want, const char *why,
                         sa_error *err);

/* As sa_take_matrix, for a matrix only read (transposed or split): without
 * a copy when the file holds it as float32 already, *view then points into
 * the file's bytes and *owned is NULL; otherwise *view is *owned, a
 * converted copy the caller frees. */
sa_status sa_take_matrix_view(const float **view, float **owned, size_t *rows,
                              size_t *cols, const sa_tensor_set *set,
                              const char *name, sa_error *err);

/* A new (cols, count) array: the transpose of rows [first, first + count)
 * of src (any rows, cols); NULL if memory ran out. */
float *sa_transpose_rows(const float *src, size_t first, size_t count,
                         size_t cols);

/* A new (rows, count) array: columns [first, first + count) of src (rows,
 * cols); NULL if memory ran out. */
float *sa_take_columns(const float *src, size_t rows, size_t cols,
                       size_t first, size_t count);

/* A new copy of src[first .. first + count); NULL if memory ran out. */
float *sa_take_range(const float *src, size_t first, size_t count);

/* bq, bk and bv (P each) of w from the q, k, v blocks of bias (3P), or
 * none if bias is NULL. */
sa_status sa_split_biases(sa_weights *w, const float *bias, size_t P,
                          sa_error *err);

/* The layer `layer` of a GPT-2 or BERT checkpoint into w, if the set is
 * one (read_checkpoint.c): *found says whether it is; SA_ERR_DATA listing
 * the layers present if it lacks that layer. */
sa_status sa_read_checkpoint(sa_weights *w, bool *found,
                             const sa_tensor_set *set, long layer,
                             sa_error *err);

/* The heads of the known model of convention c (GPT-2 or BERT) and width
 * d, or 0 if no known model has that width (read_checkpoint.c). */
size_t sa_checkpoint_heads(sa_convention c, size_t d);

struct cJSON;

/* Reads the config object `config` (JSON weights' "config", safetensors'
 * "selfattn.config"; name says which in messages) into c, every setting
 * given from `from` (weights_config.c): heads and kv_heads (integers from
 * 1 to 65536), scale (a number), causal (true or false), window (an
 * integer from 0), softcap (a number above 0), rope (false, true, or an
 * object with base above 1 and style "roformer" or "neox"), and d_model,
 * d_context and d_head to check.  null is as if absent, and other keys
 * are ignored; another value is SA_ERR_DATA naming the key. */
sa_status sa_weights_config_parse(sa_weights_config *c,
                                  const struct cJSON *config, sa_source from,
                                  const char *name, sa_error *err);

/* dst takes each setting src gives from a source at least as strong as
 * the one dst has it from, and the widths src gives. */
void sa_weights_config_merge(sa_weights_config *dst,
                             const sa_weights_config *src);

/* Checks w->config against w's shapes (sa_weights_from_tensors's rules). */
sa_status sa_weights_config_check(const sa_weights *w, sa_error *err);

#endif
