/* read_json_tensors.c — weights as a JSON object of named arrays: each
 * member a vector (1-D) or an array of rows (2-D); keys starting with '_'
 * are skipped, "config" is what the file says about running it, a name
 * given twice is an error, and embeddings (an array of rows, an object
 * with "embeddings") are told from weights. */
#include <stdlib.h>
#include <string.h>

#include "json_scan.h"
#include "json_util.h"
#include "weights_internal.h"

/* The line:col of the second key name of the object text (left as they
 * are if it is not found: a name too long to compare). */
static void second_key(const char *text, size_t len, const char *name,
                       long *line, long *col)
{
    sa_scan sc;
    char key[256];
    bool cut;
    int seen = 0;
    sa_scan_init(&sc, text, len);
    if (sa_scan_peek(&sc) != '{')
        return;
    sc.at++;
    do {
        sa_scan_peek(&sc);
        size_t at = sc.at;
        if (!sa_scan_key(&sc, key, sizeof key, &cut))
            return;
        if (!cut && strcmp(key, name) == 0 && ++seen == 2) {
            sa_text_position(text, len, at, line, col);
            return;
        }
        if (!sa_scan_skip(&sc, 1))
            return;
    } while (sa_scan_take(&sc, ','));
}

/* Embeddings given where weights go: an array of rows, or an object with
 * "embeddings" or "tokens".  SA_OK for anything else. */
static sa_status not_embeddings(const cJSON *root, sa_error *err)
{
    const char *key = cJSON_GetObjectItemCaseSensitive(root, "embeddings")
                      ? "embeddings" : cJSON_GetObjectItemCaseSensitive(root, "tokens")
                      ? "tokens" : NULL;
    if (sa_json_has_rows(root))
        return sa_fail(err, SA_ERR_DATA, 0, 0, "holds embeddings (an array of "
                       "rows), not weights: give it as the INPUT, and weights "
                       "with -w (see selfattn init)");
    if (cJSON_IsObject(root) && key)
        return sa_fail(err, SA_ERR_DATA, 0, 0, "holds embeddings (an object "
                       "with \"%s\"), not weights: give it as the INPUT, and "
                       "weights with -w (see selfattn init)", key);
    return SA_OK;
}

/* The last name of set->items[0 .. set->count) given before it:
 * SA_ERR_DATA at the second (weights have few names: the search over
 * them all for each is cheap). */
static sa_status check_twice(const sa_tensor_set *set, const char *text,
                             size_t len, sa_error *err)
{
    const char *name = set->items[set->count - 1].name;
    for (size_t k = 0; k + 1 < set->count; k++)
        if (strcmp(name, set->items[k].name) == 0) {
            long line = 0, col = 0;
            second_key(text, len, name, &line, &col);
            return sa_fail(err, SA_ERR_DATA, line, col, "\"%.64s\" appears "
                           "twice in the weights", name);
        }
    return SA_OK;
}

sa_status sa_read_json_tensors(sa_tensor_set *set, const char *text,
                               size_t len, sa_error *err)
{
    cJSON *root = NULL;
    sa_status status;

    memset(set, 0, sizeof *set);
    status = sa_json_parse(&root, text, len, err);
    if (status)
        return status;
    if ((status = not_embeddings(root, err)))
        goto done;
    if (!cJSON_IsObject(root)) {
        status = sa_fail(err, SA_ERR_DATA, 0, 0,
                         "weights must be a JSON object of named matrices");
        goto done;
    }
    set->items = calloc((size_t)cJSON_GetArraySize(root) + 1, sizeof *set->items);
    if (!set->items) {
        status = sa_fail(err, SA_ERR_NOMEM, 0, 0, "out of memory");
        goto done;
    }
    for (const cJSON *item = root->child; item; item = item->next) {
        const char *key = item->string;
        if (strcmp(key, "config") == 0 && cJSON_IsObject(item)) {
            if ((status = sa_weights_config_parse(&set->config, item,
                                                  SA_FROM_CONFIG, "config", err)))
                goto done;
            continue;
        }
        if (key[0] == '_' || strcmp(key, "config") == 0)
            continue;
        sa_tensor *t = &set->items[set->count++];
        t->name = strdup(key);
        if (!t->name) {
            status = sa_fail(err, SA_ERR_NOMEM, 0, 0, "out of memory");
            goto done;
        }
        if ((status = check_twice(set, text, len, err)))
            goto done;
        if (sa_json_has_rows(item)) {
            t->ndim = 2;
            status = sa_json_rows(&t->data, &t->shape[0], &t->shape[1], item,
                                  false, key, err);
        } else if (cJSON_IsArray(item)) {
            t->ndim = 1;
            status = sa_json_vector(&t->data, &t->shape[0], item, key, err);
        } else {
            status = sa_fail(err, SA_ERR_DATA, 0, 0,
                             "%s: expected an array of numbers or of rows", key);
        }
        if (status)
            goto done;
    }
done:
    if (status)
        sa_tensor_set_free(set);
    cJSON_Delete(root);
    return status;
}
