/* test_formats.c — the binary readers and writers of libselfattn on bytes
 * written in the test: dtype conversion, .npy headers, the safetensors
 * rules, and .npy/.npz written and read back. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "naive.h"

/* A .npy file with the given header dict and data bytes. */
static size_t make_npy(unsigned char *buf, const char *dict, const void *data,
                       size_t data_len)
{
    size_t n = strlen(dict);
    memcpy(buf, "\x93NUMPY\x01\x00", 8);
    buf[8] = (unsigned char)n;
    buf[9] = 0;
    memcpy(buf + 10, dict, n);
    memcpy(buf + 10 + n, data, data_len);
    return 10 + n + data_len;
}

static void test_npy(void)
{
    unsigned char buf[512];
    sa_tensor t;
    sa_error err;
    float *f;

    /* big-endian f8, Fortran order (2 x 3): storage is column by column */
    unsigned char be[6 * 8];
    double col_major[6] = {1, 4, 2, 5, 3, 6};
    for (int i = 0; i < 6; i++) {
        uint64_t u;
        memcpy(&u, &col_major[i], 8);
        for (int b = 0; b < 8; b++)
            be[i * 8 + b] = (unsigned char)(u >> (56 - 8 * b));
    }
    size_t len = make_npy(buf, "{'descr': '>f8', 'fortran_order': True, 'shape': (2, 3), }\n",
                          be, sizeof be);
    CHECK(sa_read_npy(&t, buf, len, &err) == SA_OK, "%s", err.message);
    t.name = (char *)"t";
    CHECK(t.ndim == 2 && t.shape[0] == 2 && t.shape[1] == 3 && t.big_endian &&
          t.fortran_order, "header fields");
    CHECK(sa_tensor_floats(&f, &t, &err) == SA_OK, "%s", err.message);
    CHECK(f[0] == 1 && f[1] == 2 && f[2] == 3 && f[3] == 4 && f[5] == 6,
          "Fortran order and byte order: %g %g %g %g", f[0], f[1], f[2], f[3]);
    free(f);

    /* half precision: 1.0, -2.0, 0.5, 65504 (max), a subnormal */
    uint16_t halves[5] = {0x3c00, 0xc000, 0x3800, 0x7bff, 0x0001};
    len = make_npy(buf, "{'descr': '<f2', 'fortran_order': False, 'shape': (5,), }\n",
                   halves, sizeof halves);
    CHECK(sa_read_npy(&t, buf, len, &err) == SA_OK, "%s", err.message);
    t.name = (char *)"h";
    CHECK(sa_tensor_floats(&f, &t, &err) == SA_OK, "%s", err.message);
    CHECK(f[0] == 1.0f && f[1] == -2.0f && f[2] == 0.5f && f[3] == 65504.0f &&
          f[4] == ldexpf(1.0f, -24), "f16 values %g %g %g %g %g", f[0], f[1],
          f[2], f[3], f[4]);
    free(f);

    struct { const char *dict; const char *message; } bad[] = {
        {"{'descr': '<c8', 'fortran_order': False, 'shape': (1,), }\n",
         "unsupported .npy dtype '<c8' (selfattn reads floats f2, f4, f8, "
         "integers i1 to i8 and u1 to u8, and bool |b1)"},
        {"{'descr': '<f4', 'fortran_order': False, 'shape': (1000000000, 1000000000), }\n",
         "the .npy header announces 1000000000000000000 elements of 4 bytes but the file holds only 4 bytes of data"},
        {"{'descr': [('a', '<f4')], 'fortran_order': False, 'shape': (1,), }\n",
         "not a readable .npy file: no 'descr' string in the header (structured arrays are not supported)"},
        {"{'descr': '<f4', 'fortran_order': Maybe, 'shape': (1,), }\n",
         "not a readable .npy file: 'fortran_order' is neither True nor False"},
    };
    float one = 1.0f;
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        len = make_npy(buf, bad[i].dict, &one, sizeof one);
        CHECK(sa_read_npy(&t, buf, len, &err) == SA_ERR_DATA &&
              strcmp(err.message, bad[i].message) == 0, "npy %zu: %s", i, err.message);
    }
    /* NaN in the data is an error naming the element */
    float nan_data[2] = {1.0f, NAN};
    len = make_npy(buf, "{'descr': '<f4', 'fortran_order': False, 'shape': (2,), }\n",
                   nan_data, sizeof nan_data);
    CHECK(sa_read_npy(&t, buf, len, &err) == SA_OK, "%s", err.message);
    t.name = (char *)"x";
    CHECK(sa_tensor_floats(&f, &t, &err) == SA_ERR_DATA &&
          strcmp(err.message, "x, element 1 (counting from 0): NaN is not allowed") == 0,
          "%s", err.message);
}

/* A safetensors file with header text and a buffer of buffer_len bytes. */
static size_t make_safetensors(unsigned char *buf, const char *header,
                               size_t buffer_len)
{
    size_t n = strlen(header);
    for (int i = 0; i < 8; i++)
        buf[i] = (unsigned char)(n >> (8 * i));
    memcpy(buf + 8, header, n);
    for (size_t i = 0; i < buffer_len; i++)
        buf[8 + n + i] = (unsigned char)(i % 7 == 0 ? 0x3f : 0);  /* finite */
    return 8 + n + buffer_len;
}

static void test_safetensors(void)
{
    unsigned char buf[1024];
    sa_tensor_set set;
    sa_error err;

    size_t len = make_safetensors(buf, "{\"__metadata__\": {\"format\": \"pt\"}, "
        "\"b\": {\"dtype\": \"BF16\", \"shape\": [2], \"data_offsets\": [8, 12]}, "
        "\"a\": {\"dtype\": \"F32\", \"shape\": [2], \"data_offsets\": [0, 8]}}", 12);
    CHECK(sa_read_safetensors(&set, buf, len, &err) == SA_OK, "%s", err.message);
    CHECK(set.count == 2 && sa_tensor_find(&set, "a") && sa_tensor_find(&set, "b"),
          "two tensors, metadata skipped");
    sa_tensor_set_free(&set);

    struct { const char *header; size_t buffer; const char *message; } bad[] = {
        {"{\"a\": {\"dtype\": \"F32\", \"shape\": [2], \"data_offsets\": [0, 8]}}", 12,
         "the tensors cover 8 bytes but the buffer has 12"},
        {"{\"a\": {\"dtype\": \"F32\", \"shape\": [2], \"data_offsets\": [4, 12]}}", 12,
         "a: data_offsets begin at 4 but the previous tensor ends at 0 (tensors must tile the buffer)"},
        {"{\"a\": {\"dtype\": \"F32\", \"shape\": [2], \"data_offsets\": [0, 8]},"
         " \"b\": {\"dtype\": \"F32\", \"shape\": [1], \"data_offsets\": [4, 8]}}", 8,
         "b: data_offsets begin at 4 but the previous tensor ends at 8 (tensors must tile the buffer)"},
        {"{\"a\": {\"dtype\": \"F32\", \"shape\": [3], \"data_offsets\": [0, 8]}}", 8,
         "a: 8 bytes for 3 elements of dtype F32"},
        {"{\"a\": {\"dtype\": \"F32\", \"shape\": [2], \"data_offsets\": [0, 16]}}", 8,
         "a: data_offsets end at 16, past the 8 bytes of the buffer"},
        {"{\"a\": {\"dtype\": \"I64\", \"shape\": [1], \"data_offsets\": [0, 8]}}", 8,
         "a: unsupported dtype I64 (selfattn reads F32, F64, F16, BF16 and BOOL)"},
        {"{\"a\": {\"dtype\": \"F32\", \"shape\": [4294967296, 4294967296, 4294967296], "
         "\"data_offsets\": [0, 8]}}", 8, "a: the shape has more elements than memory can address"},
        {"[1, 2]", 0, "the safetensors header is not a JSON object"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        len = make_safetensors(buf, bad[i].header, bad[i].buffer);
        CHECK(sa_read_safetensors(&set, buf, len, &err) == SA_ERR_DATA &&
              strcmp(err.message, bad[i].message) == 0, "safetensors %zu: %s", i,
              err.message);
    }
    /* a header length beyond the file */
    memset(buf, 0xff, 8);
    CHECK(sa_read_safetensors(&set, buf, 16, &err) == SA_ERR_DATA &&
          strstr(err.message, "runs past the end of the file"), "%s", err.message);
}

/* What sa_write_npz writes, sa_read_npz reads back to the same bits. */
static void test_npz_round_trip(void)
{
    float a[6] = {1, -2.5f, 3e-8f, 4, 5, 6}, b[2] = {-0.0f, 7};
    sa_npz_entry entries[2] = {
        {"alpha", a, 2, {2, 3}},
        {"beta", b, 1, {2}},
    };
    char *bytes = NULL;
    size_t len = 0;
    sa_error err;
    FILE *mem = open_memstream(&bytes, &len);
    CHECK(sa_write_npz(mem, entries, 2, &err) == SA_OK, "%s", err.message);
    fclose(mem);
    sa_tensor_set set;
    CHECK(sa_read_npz(&set, (unsigned char *)bytes, len, &err) == SA_OK, "%s",
          err.message);
    const sa_tensor *alpha = sa_tensor_find(&set, "alpha");
    const sa_tensor *beta = sa_tensor_find(&set, "beta");
    CHECK(alpha && alpha->ndim == 2 && alpha->shape[1] == 3 &&
          memcmp(alpha->data, a, sizeof a) == 0, "alpha round trip");
    CHECK(beta && beta->ndim == 1 && memcmp(beta->data, b, sizeof b) == 0,
          "beta round trip (including -0)");
    sa_tensor_set_free(&set);
    /* a flipped byte in a member: the CRC catches it */
    bytes[100] ^= 0x40;
    CHECK(sa_read_npz(&set, (unsigned char *)bytes, len, &err) == SA_ERR_DATA,
          "corrupted member accepted: %s", err.message);
    free(bytes);
}

int main(void)
{
    check_kernels_from_env();
    test_npy();
    test_safetensors();
    test_npz_round_trip();
    return check_summary("test_formats");
}
