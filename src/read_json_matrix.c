/* json_matrix.c — embeddings from JSON: [[...], ...] or
 * {"tokens": [...], "embeddings": [[...], ...]}. */
#include <stdlib.h>
#include <string.h>

#include "json_util.h"

/* Copies the strings of tokens (an array of n strings) into m->tokens. */
static sa_status read_tokens(sa_matrix *m, const cJSON *tokens, sa_error *err)
{
    if (!cJSON_IsArray(tokens))
        return sa_fail(err, SA_ERR_DATA, 0, 0,
                       "tokens: expected an array of strings");
    size_t count = (size_t)cJSON_GetArraySize(tokens);
    if (count != m->rows)
        return sa_fail(err, SA_ERR_DATA, 0, 0,
                       "tokens has %zu labels but embeddings has %zu rows",
                       count, m->rows);
    m->tokens = calloc(m->rows, sizeof *m->tokens);
    if (!m->tokens)
        return sa_fail(err, SA_ERR_NOMEM, 0, 0, "out of memory");
    size_t i = 0;
    for (const cJSON *t = tokens->child; t; t = t->next, i++) {
        if (!cJSON_IsString(t))
            return sa_fail(err, SA_ERR_DATA, 0, 0,
                           "tokens, element %zu: expected a string", i + 1);
        m->tokens[i] = strdup(t->valuestring);
        if (!m->tokens[i])
            return sa_fail(err, SA_ERR_NOMEM, 0, 0, "out of memory");
    }
    return SA_OK;
}

sa_status sa_read_json_matrix(sa_matrix *m, const char *text, size_t len,
                              sa_error *err)
{
    cJSON *root = NULL;
    const cJSON *rows, *tokens = NULL;
    sa_status status;

    memset(m, 0, sizeof *m);
    status = sa_json_parse(&root, text, len, err);
    if (status)
        return status;
    if (cJSON_IsObject(root)) {
        rows = cJSON_GetObjectItemCaseSensitive(root, "embeddings");
        tokens = cJSON_GetObjectItemCaseSensitive(root, "tokens");
        if (!rows) {
            bool weights = cJSON_GetObjectItemCaseSensitive(root, "Wq") ||
                           cJSON_GetObjectItemCaseSensitive(root, "in_proj_weight");
            status = sa_fail(err, SA_ERR_DATA, 0, 0,
                             "expected an \"embeddings\" key in the object%s",
                             weights ? " (this looks like weights: give them "
                                       "with -w)" : "");
            goto fail;
        }
    } else if (cJSON_IsArray(root)) {
        rows = root;
    } else {
        status = sa_fail(err, SA_ERR_DATA, 0, 0,
                         "expected an array of rows or an object with "
                         "\"embeddings\"");
        goto fail;
    }
    status = sa_json_rows(&m->data, &m->rows, &m->cols, rows, false,
                          "embeddings", err);
    if (status)
        goto fail;
    if (tokens && !cJSON_IsNull(tokens)) {
        status = read_tokens(m, tokens, err);
        if (status)
            goto fail;
    }
    cJSON_Delete(root);
    return SA_OK;
fail:
    sa_matrix_free(m);
    cJSON_Delete(root);
    return status;
}
