/* mask.c — attention masks from files: (n, n) of 0/1, 1 = may attend. */
#include <stdlib.h>
#include <string.h>

#include "json_util.h"

sa_status sa_read_mask(unsigned char **mask, size_t n, const char *name,
                       const char *text, size_t len, sa_error *err)
{
    sa_matrix m = {0};
    sa_status status;

    *mask = NULL;
    if (sa_guess_format(name, text, len) == SA_FORMAT_JSON) {
        cJSON *root = NULL;
        status = sa_json_parse(&root, text, len, err);
        if (status)
            return status;
        status = sa_json_rows(&m.data, &m.rows, &m.cols, root, true, "mask",
                              err);
        cJSON_Delete(root);
    } else {
        status = sa_read_csv_matrix(&m, text, len, err);
    }
    if (status)
        return status;
    if (m.rows != n || m.cols != n) {
        status = sa_fail(err, SA_ERR_DATA, 0, 0,
                         "mask is %zu x %zu but the input has %zu rows, so it "
                         "must be %zu x %zu", m.rows, m.cols, n, n, n);
        goto done;
    }
    unsigned char *out = malloc(n * n > 0 ? n * n : 1);
    if (!out) {
        status = sa_fail(err, SA_ERR_NOMEM, 0, 0, "out of memory");
        goto done;
    }
    for (size_t i = 0; i < n * n; i++) {
        if (m.data[i] != 0.0f && m.data[i] != 1.0f) {
            status = sa_fail(err, SA_ERR_DATA, 0, 0,
                             "mask, row %zu, column %zu: %g is not 0 or 1",
                             i / n + 1, i % n + 1, (double)m.data[i]);
            free(out);
            goto done;
        }
        out[i] = m.data[i] != 0.0f;
    }
    *mask = out;
done:
    sa_matrix_free(&m);
    return status;
}
