/* fuzz_safetensors.c — sa_read_safetensors, sa_tensor_floats on every
 * tensor, and sa_weights_from_tensors (layers 0 and 1: GPT-2, BERT, torch
 * and math layouts) on the set. */
#include "fuzz_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    unsigned char *buf = fuzz_bytes(data, size);
    sa_tensor_set set;
    sa_error err;
    fuzz_reset_error(&err);
    fuzz_heap_begin();
    sa_status st = sa_read_safetensors(&set, buf, size, &err);
    fuzz_heap_check(size);
    if (st) {
        fuzz_check_error(st, &err);
        FUZZ_CHECK(set.items == NULL && set.count == 0);
    } else {
        for (size_t i = 0; i < set.count; i++) {
            const sa_tensor *t = &set.items[i];
            size_t bytes = sa_tensor_numel(t) * sa_dtype_size(t->dtype);
            /* the bytes lie inside the file's buffer */
            FUZZ_CHECK(t->raw >= buf && t->raw <= buf + size);
            FUZZ_CHECK(bytes <= (size_t)(buf + size - t->raw));
        }
        fuzz_check_tensor_set(&set);
        fuzz_check_weights_from_set(&set);
    }
    sa_tensor_set_free(&set);
    free(buf);
    return 0;
}
