/* fuzz_json_matrix.c — sa_read_json_matrix: embeddings as JSON rows or an
 * object with "tokens" and "embeddings". */
#include "fuzz_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = fuzz_text(data, size);
    sa_matrix m;
    sa_error err;
    fuzz_reset_error(&err);
    fuzz_heap_begin();
    sa_status st = sa_read_json_matrix(&m, text, size, &err);
    fuzz_heap_check(size);
    fuzz_check_matrix(st, &m, &err);
    sa_matrix_free(&m);
    sa_matrix_free(&m);  /* documented safe on a freed matrix */
    /* the same text through the kind-guessing reader */
    fuzz_reset_error(&err);
    fuzz_heap_begin();
    st = sa_read_matrix(&m, "x.json", text, size, &err);
    fuzz_heap_check(size);
    fuzz_check_matrix(st, &m, &err);
    sa_matrix_free(&m);
    free(text);
    return 0;
}
