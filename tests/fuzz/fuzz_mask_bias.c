/* fuzz_mask_bias.c — sa_read_mask, sa_read_batch_mask and sa_read_bias.
 * The first 4 bytes choose the shape and the file name:
 *   byte 0: n = 1 + b % 8 (queries)     byte 1: m = 1 + b % 8 (keys)
 *   byte 2: heads = 1 + b % 4 (also the sequences of a batch mask)
 *   byte 3: name, b % 4 of
 *           "m.json", "m.csv", "m.npy", "m" (kind guessed from content)
 * the rest is the file (followed by a NUL, as sa_read_file gives it).
 * Each reader also runs with the name "m.json" and "m.csv" whatever byte 3
 * says, and with shapes off by one. */
#include "fuzz_common.h"

static const char *const names[] = {"m.json", "m.csv", "m.npy", "m"};

static void mask(size_t n, size_t m, const char *name, const char *text,
                 size_t len)
{
    unsigned char *out = (unsigned char *)1;
    sa_error err;
    fuzz_reset_error(&err);
    fuzz_heap_begin();
    sa_status st = sa_read_mask(&out, n, m, name, text, len, &err);
    fuzz_heap_check(len);
    if (st) {
        fuzz_check_error(st, &err);
        FUZZ_CHECK(out == NULL);
        return;
    }
    FUZZ_CHECK(out != NULL);
    for (size_t i = 0; i < n * m; i++)
        FUZZ_CHECK(out[i] == 0 || out[i] == 1);
    free(out);
}

/* sa_read_batch_mask for a batch of B sequences (0: one). */
static void batch_mask(size_t batch, size_t n, size_t m, const char *name,
                       const char *text, size_t len)
{
    unsigned char *out = (unsigned char *)1;
    bool per_sequence = true;
    sa_error err;
    fuzz_reset_error(&err);
    fuzz_heap_begin();
    sa_status st = sa_read_batch_mask(&out, &per_sequence, batch, n, m, name,
                                      text, len, &err);
    fuzz_heap_check(len);
    if (st) {
        fuzz_check_error(st, &err);
        FUZZ_CHECK(out == NULL && !per_sequence);
        return;
    }
    FUZZ_CHECK(out != NULL && (!per_sequence || batch > 0));
    for (size_t i = 0; i < (per_sequence ? batch : 1) * n * m; i++)
        FUZZ_CHECK(out[i] == 0 || out[i] == 1);
    free(out);
}

static void bias(size_t heads, size_t n, size_t m, const char *name,
                 const char *text, size_t len)
{
    float *out = (float *)8;
    bool per_head = true;
    sa_error err;
    fuzz_reset_error(&err);
    fuzz_heap_begin();
    sa_status st = sa_read_bias(&out, &per_head, heads, n, m, name, text, len,
                                &err);
    fuzz_heap_check(len);
    if (st) {
        fuzz_check_error(st, &err);
        FUZZ_CHECK(out == NULL && !per_head);
        return;
    }
    FUZZ_CHECK(out != NULL);
    size_t count = (per_head ? heads : 1) * n * m;
    for (size_t i = 0; i < count; i++)
        FUZZ_CHECK(isfinite(out[i]));
    free(out);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 4)
        return 0;
    size_t n = 1 + data[0] % 8, m = 1 + data[1] % 8, heads = 1 + data[2] % 4;
    const char *name = names[data[3] % 4];
    size_t len = size - 4;
    char *text = fuzz_text(data + 4, len);

    mask(n, m, name, text, len);
    bias(heads, n, m, name, text, len);
    batch_mask(0, n, m, name, text, len);
    batch_mask(heads, n, m, name, text, len);  /* heads: B of 1 to 4 */
    for (int k = 0; k < 2; k++) {
        if (names[k] == name)
            continue;
        mask(n, m, names[k], text, len);
        bias(heads, n, m, names[k], text, len);
    }
    /* a shape that does not fit must fail cleanly */
    mask(n + 1, m, name, text, len);
    bias(heads + 1, n, m + 1, name, text, len);
    free(text);
    return 0;
}
