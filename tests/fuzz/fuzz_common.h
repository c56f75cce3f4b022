/* fuzz_common.h — helpers shared by the libFuzzer harnesses of libselfattn.
 *
 * Every harness feeds one reader of the public API (src/selfattn.h) with
 * the fuzz input, checks the documented contract (a failing call returns a
 * status and fills sa_error with a message; on failure the output is
 * zeroed; on success the arrays are there), frees everything (a leak is a
 * finding) and never prints.  A broken contract calls abort(), which
 * libFuzzer reports as a crash. */
#ifndef FUZZ_COMMON_H
#define FUZZ_COMMON_H

#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <sanitizer/allocator_interface.h>

#include "selfattn.h"

/* A contract violation: abort so that libFuzzer keeps the input. */
#define FUZZ_CHECK(cond) \
    do { if (!(cond)) abort(); } while (0)

/* The heap meter: the bytes the library holds, counted by ASan's malloc
 * and free hooks, and their peak since fuzz_heap_begin.  A reader may
 * hold at most FUZZ_HEAP_MULTIPLE times its input plus FUZZ_HEAP_BASE
 * (docs/design.md, "Memory": the text, 4 bytes per number a few times
 * over, JSON nodes at most 4 times the text; the input limit, set to
 * FUZZ_INPUT_LIMIT, bounds what an .npz archive inflates to).  A tree
 * costing 40 times its text, as cJSON's did, trips it on inputs from
 * 42 KiB (max_len is 64 KiB). */
#define FUZZ_INPUT_LIMIT ((size_t)128 << 10)
#define FUZZ_HEAP_MULTIPLE 16
#define FUZZ_HEAP_BASE ((long long)1 << 20)

static long long fuzz_heap_now, fuzz_heap_peak;

static void fuzz_on_malloc(const volatile void *p, size_t size)
{
    (void)p;
    long long now = __atomic_add_fetch(&fuzz_heap_now, (long long)size, __ATOMIC_RELAXED);
    if (now > __atomic_load_n(&fuzz_heap_peak, __ATOMIC_RELAXED))
        __atomic_store_n(&fuzz_heap_peak, now, __ATOMIC_RELAXED);
}

static void fuzz_on_free(const volatile void *p)
{
    if (p)
        __atomic_sub_fetch(&fuzz_heap_now,
                           (long long)__sanitizer_get_allocated_size((const void *)p),
                           __ATOMIC_RELAXED);
}

__attribute__((constructor)) static void fuzz_install_meter(void)
{
    __sanitizer_install_malloc_and_free_hooks(fuzz_on_malloc, fuzz_on_free);
    sa_set_input_limit(FUZZ_INPUT_LIMIT);
}

/* Starts measuring: what is held now counts as zero. */
static inline void fuzz_heap_begin(void)
{
    __atomic_store_n(&fuzz_heap_now, 0, __ATOMIC_RELAXED);
    __atomic_store_n(&fuzz_heap_peak, 0, __ATOMIC_RELAXED);
}

/* The peak since fuzz_heap_begin is within the bound for an input of
 * size bytes. */
static inline void fuzz_heap_check(size_t size)
{
    FUZZ_CHECK(fuzz_heap_peak <= FUZZ_HEAP_MULTIPLE * (long long)size + FUZZ_HEAP_BASE);
}

/* A new copy of data[0 .. size) followed by a NUL, as sa_read_file gives
 * the JSON and CSV readers. */
static inline char *fuzz_text(const uint8_t *data, size_t size)
{
    char *text = malloc(size + 1);
    if (!text)
        abort();
    if (size)
        memcpy(text, data, size);
    text[size] = '\0';
    return text;
}

/* A new copy of data[0 .. size) with nothing after it, so that ASan sees a
 * read of buf[size] (binary readers must stay within len). */
static inline unsigned char *fuzz_bytes(const uint8_t *data, size_t size)
{
    unsigned char *buf = malloc(size ? size : 1);
    if (!buf)
        abort();
    if (size)
        memcpy(buf, data, size);
    return buf;
}

/* True if s is valid UTF-8 (shortest forms, no surrogates, at most
 * U+10FFFF), checked here independently of the library's utf8.c. */
static inline bool fuzz_valid_utf8(const char *s)
{
    const unsigned char *p = (const unsigned char *)s;
    while (*p) {
        unsigned c = *p, n = c < 0x80 ? 0 : (c & 0xE0) == 0xC0 ? 1
                           : (c & 0xF0) == 0xE0 ? 2 : (c & 0xF8) == 0xF0 ? 3 : 9;
        if (n == 9)
            return false;
        unsigned cp = n == 0 ? c : c & (0x3F >> n);
        for (unsigned i = 1; i <= n; i++) {
            if ((p[i] & 0xC0) != 0x80)
                return false;
            cp = cp << 6 | (p[i] & 0x3F);
        }
        static const unsigned least[] = {0, 0x80, 0x800, 0x10000};
        if (cp < least[n] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
            return false;
        p += n + 1;
    }
    return true;
}

/* An error must say why: a known status, the same in err, and a
 * non-empty NUL-terminated message. */
static inline void fuzz_check_error(sa_status status, const sa_error *err)
{
    FUZZ_CHECK(status > SA_OK && status <= SA_ERR_INTERNAL);
    FUZZ_CHECK(err->status == status);
    FUZZ_CHECK(memchr(err->message, '\0', sizeof err->message) != NULL);
    FUZZ_CHECK(err->message[0] != '\0');
    FUZZ_CHECK(err->line >= 0 && err->col >= 0);
}

/* A fresh, zeroed error, so that a reader that fails without setting the
 * message is caught by fuzz_check_error. */
static inline void fuzz_reset_error(sa_error *err)
{
    memset(err, 0, sizeof *err);
}

/* The documented contract of a matrix reader's result. */
static inline void fuzz_check_matrix(sa_status status, const sa_matrix *m,
                                     const sa_error *err)
{
    if (status) {
        fuzz_check_error(status, err);
        FUZZ_CHECK(m->data == NULL && m->tokens == NULL && m->rows == 0 &&
                   m->cols == 0);
        return;
    }
    FUZZ_CHECK(m->rows > 0 && m->cols > 0 && m->data != NULL);
    /* every value a finite float32 (touches every element for ASan) */
    for (size_t i = 0; i < m->rows * m->cols; i++)
        FUZZ_CHECK(isfinite(m->data[i]));
    if (m->tokens)
        for (size_t i = 0; i < m->rows; i++)
            FUZZ_CHECK(m->tokens[i] != NULL && strlen(m->tokens[i]) < SIZE_MAX);
}

/* sa_read_input_take on a copy of data[0 .. size) named name: a matrix
 * (batch 0) or B sequences of equal rows, and *text taken (NULL) or left
 * as it was. */
static inline void fuzz_check_input_take(const uint8_t *data, size_t size,
                                         const char *name)
{
    char *text = (char *)fuzz_bytes(data, size), *before = text;
    sa_matrix m;
    size_t batch = 7;
    sa_error err;
    fuzz_reset_error(&err);
    fuzz_heap_begin();
    sa_status st = sa_read_input_take(&m, &batch, name, sa_input_members, &text,
                                      size, &err);
    fuzz_heap_check(size);
    fuzz_check_matrix(st, &m, &err);
    FUZZ_CHECK(st ? batch == 0 : batch == 0 || (m.rows % batch == 0 && m.rows >= batch));
    FUZZ_CHECK(text == before || (text == NULL && !st && m.data == (float *)(void *)before));
    if (text)
        FUZZ_CHECK(memcmp(text, data, size) == 0 || st == SA_OK);
    sa_matrix_free(&m);
    free(text);
}

/* Weights that sa_weights_from_tensors accepted must be self-consistent. */
static inline void fuzz_check_weights(const sa_weights *w)
{
    FUZZ_CHECK(w->d_model && w->d_kv_in && w->d_proj && w->d_kv && w->d_out);
    FUZZ_CHECK(w->wq && w->wk && w->wv);
    volatile float sink = 0.0f;
    /* touch every element of every array at its documented shape */
    for (size_t i = 0; i < w->d_model * w->d_proj; i++) sink += w->wq[i];
    for (size_t i = 0; i < w->d_kv_in * w->d_kv; i++) sink += w->wk[i] + w->wv[i];
    if (w->wo) for (size_t i = 0; i < w->d_proj * w->d_out; i++) sink += w->wo[i];
    if (w->bq) for (size_t i = 0; i < w->d_proj; i++) sink += w->bq[i];
    if (w->bk) for (size_t i = 0; i < w->d_kv; i++) sink += w->bk[i];
    if (w->bv) for (size_t i = 0; i < w->d_kv; i++) sink += w->bv[i];
    if (w->bo) for (size_t i = 0; i < w->d_out; i++) sink += w->bo[i];
    if (!w->wo)
        FUZZ_CHECK(w->d_out == w->d_proj);
    (void)sink;
}

/* Every tensor of a set that a reader accepted: named, converts (or fails
 * properly) with sa_tensor_floats. */
static inline void fuzz_check_tensor_set(const sa_tensor_set *set)
{
    for (size_t i = 0; i < set->count; i++) {
        const sa_tensor *t = &set->items[i];
        sa_error err;
        float *f = NULL;
        FUZZ_CHECK(t->name != NULL);
        FUZZ_CHECK(t->ndim <= SA_MAX_DIMS);
        FUZZ_CHECK(sa_tensor_find(set, t->name) != NULL);
        fuzz_reset_error(&err);
        sa_status st = sa_tensor_floats(&f, t, &err);
        if (st) {
            fuzz_check_error(st, &err);
            FUZZ_CHECK(f == NULL);
        } else {
            size_t n = sa_tensor_numel(t);
            for (size_t k = 0; k < n; k++)
                FUZZ_CHECK(isfinite(f[k]));
            free(f);
        }
    }
}

/* sa_weights_from_tensors on a set a reader accepted, for layers 0 and 1:
 * a failure is a proper error that leaves no arrays, a success passes
 * fuzz_check_weights. */
static inline void fuzz_check_weights_from_set(const sa_tensor_set *set)
{
    for (long layer = 0; layer <= 1; layer++) {
        sa_weights w;
        sa_error err;
        fuzz_reset_error(&err);
        sa_status st = sa_weights_from_tensors(&w, set, layer, &err);
        if (st) {
            fuzz_check_error(st, &err);
            FUZZ_CHECK(w.wq == NULL && w.wk == NULL && w.wv == NULL);
        } else {
            fuzz_check_weights(&w);
        }
        sa_weights_free(&w);
    }
}

/* A small deterministic PRNG for choices made from the input (splitmix64
 * seeded with FNV-1a of the bytes), so a crash input reproduces. */
static inline uint64_t fuzz_hash(const void *data, size_t size)
{
    const unsigned char *p = data;
    uint64_t h = 1469598103934665603ull;
    for (size_t i = 0; i < size; i++) {
        h ^= p[i];
        h *= 1099511628211ull;
    }
    return h;
}

static inline uint64_t fuzz_next(uint64_t *state)
{
    uint64_t z = (*state += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

#endif
