/* fuzz_csv.c — sa_read_csv_matrix: comma-separated rows with optional
 * header, label column, quotes, comments and a byte order mark; and
 * sa_read_matrix on text whose kind is guessed from the content. */
#include "fuzz_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = fuzz_text(data, size);
    sa_matrix m;
    sa_error err;
    fuzz_reset_error(&err);
    fuzz_heap_begin();
    sa_status st = sa_read_csv_matrix(&m, text, size, &err);
    fuzz_heap_check(size);
    fuzz_check_matrix(st, &m, &err);
    if (!st && m.tokens)  /* labels are UTF-8: a bad byte becomes U+FFFD */
        for (size_t i = 0; i < m.rows; i++)
            FUZZ_CHECK(strlen(m.tokens[i]) <= 3 * size &&
                       fuzz_valid_utf8(m.tokens[i]));
    sa_matrix_free(&m);
    /* no name: JSON, CSV or .npy by content */
    fuzz_reset_error(&err);
    fuzz_heap_begin();
    st = sa_read_matrix(&m, NULL, text, size, &err);
    fuzz_heap_check(size);
    fuzz_check_matrix(st, &m, &err);
    sa_matrix_free(&m);
    free(text);
    return 0;
}
