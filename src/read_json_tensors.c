/* read_json_tensors.c — weights as a JSON object of named arrays: each
 * member a vector (1-D) or an array of rows (2-D); keys starting with '_'
 * are skipped, and "config" is what the file says about running it. */
#include <stdlib.h>
#include <string.h>

#include "json_util.h"
#include "weights_internal.h"

sa_status sa_read_json_tensors(sa_tensor_set *set, const char *text,
                               size_t len, sa_error *err)
{
    cJSON *root = NULL;
    sa_status status;

    memset(set, 0, sizeof *set);
    status = sa_json_parse(&root, text, len, err);
    if (status)
        return status;
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
