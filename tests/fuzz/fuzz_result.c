/* fuzz_result.c — sa_read_result, the JSON result of `selfattn run` that
 * `selfattn plot` reads back, asked for what = NULL (weights if printed,
 * else the average, else the softmax step), "weights", "average", "scores"
 * and "softmax". */
#include "fuzz_common.h"

static void read_as(const char *text, size_t len, const char *what)
{
    sa_saved_result r;
    sa_error err;
    fuzz_reset_error(&err);
    fuzz_heap_begin();
    sa_status st = sa_read_result(&r, text, len, what, &err);
    fuzz_heap_check(len);
    if (st) {
        fuzz_check_error(st, &err);
        FUZZ_CHECK(r.data == NULL && r.row_labels == NULL &&
                   r.col_labels == NULL && r.mask_name == NULL);
        return;
    }
    FUZZ_CHECK(r.data && r.heads >= 1 && r.rows >= 1 && r.cols >= 1);
    FUZZ_CHECK(r.what && (strcmp(r.what, "weights") == 0 ||
                          strcmp(r.what, "scores") == 0 ||
                          strcmp(r.what, "softmax") == 0));
    /* every head, the average, or the one head of a run with --head */
    FUZZ_CHECK(r.averaged ? r.heads == 1 && r.first_head == 0
                          : r.heads == r.config_heads ? r.first_head == 0
                          : r.heads == 1 && r.first_head < r.config_heads);
    FUZZ_CHECK(r.source_name && (strcmp(r.source_name, r.what) == 0 ||
                                 (r.averaged && strcmp(r.source_name, "average_weights") == 0)));
    volatile float sink = 0.0f;
    for (size_t i = 0; i < r.heads * r.rows * r.cols; i++)
        sink += isnan(r.data[i]) ? 0.0f : r.data[i];
    (void)sink;
    for (size_t i = 0; r.row_labels && i < r.rows; i++)
        FUZZ_CHECK(r.row_labels[i] != NULL);
    for (size_t j = 0; r.col_labels && j < r.cols; j++)
        FUZZ_CHECK(r.col_labels[j] != NULL);
    sa_saved_result_free(&r);
    sa_saved_result_free(&r);  /* safe twice */
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = fuzz_text(data, size);
    read_as(text, size, NULL);
    read_as(text, size, "weights");
    read_as(text, size, "average");
    read_as(text, size, "scores");
    read_as(text, size, "softmax");
    free(text);
    return 0;
}
