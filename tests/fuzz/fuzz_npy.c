/* fuzz_npy.c — sa_read_npy and sa_tensor_floats on a NumPy .npy file, and
 * sa_read_matrix / sa_read_npy_array / sa_read_input_take (a batch of 3
 * dimensions) on the same bytes as "x.npy".  The
 * bytes are given without a NUL after them: a binary reader must stay
 * within len. */
#include "fuzz_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    unsigned char *buf = fuzz_bytes(data, size);
    sa_tensor t;
    sa_error err;
    fuzz_reset_error(&err);
    fuzz_heap_begin();
    sa_status st = sa_read_npy(&t, buf, size, &err);
    fuzz_heap_check(size);
    if (st) {
        fuzz_check_error(st, &err);
        FUZZ_CHECK(t.raw == NULL && t.data == NULL && t.name == NULL);
    } else {
        size_t numel = sa_tensor_numel(&t);
        FUZZ_CHECK(t.ndim <= SA_MAX_DIMS && numel != SIZE_MAX);
        FUZZ_CHECK(t.raw >= buf && t.raw <= buf + size);
        FUZZ_CHECK(numel <= (size_t)(buf + size - t.raw) / sa_dtype_size(t.dtype));
        float *f = NULL;
        t.name = (char *)"x";  /* for messages; not freed */
        fuzz_reset_error(&err);
        st = sa_tensor_floats(&f, &t, &err);
        if (st) {
            fuzz_check_error(st, &err);
            FUZZ_CHECK(f == NULL);
        } else {
            for (size_t i = 0; i < numel; i++)
                FUZZ_CHECK(isfinite(f[i]));
        }
        free(f);
    }

    sa_matrix m;
    fuzz_reset_error(&err);
    fuzz_heap_begin();
    st = sa_read_matrix(&m, "x.npy", (const char *)buf, size, &err);
    fuzz_heap_check(size);
    fuzz_check_matrix(st, &m, &err);
    sa_matrix_free(&m);

    float *arr = NULL;
    size_t ndim = 0, shape[SA_MAX_DIMS];
    fuzz_reset_error(&err);
    fuzz_heap_begin();
    st = sa_read_npy_array(&arr, &ndim, shape, (const char *)buf, size, &err);
    fuzz_heap_check(size);
    if (st) {
        fuzz_check_error(st, &err);
        FUZZ_CHECK(arr == NULL);
    }
    free(arr);
    /* as a run input: a matrix, or a batch of 3 dimensions */
    fuzz_check_input_take(data, size, "x.npy");
    free(buf);
    return 0;
}
