/* kernels.h — the vector kernels behind the softmax rows and the
 * streaming path's tile products: one file per instruction set
 * (kernels_generic.c with the plain loops, kernels_avx2.c,
 * kernels_avx512.c), the choice between them (kernels.c), and the blocked
 * layout of K and V the tile products read (tiles.c).  Every vector kernel
 * performs, for each element, the float operations of the AVX2 one in
 * the same order; the AVX-512 ones are faster because a zmm register
 * holds a whole block of 16.  Sets may still differ in the last bits
 * (the generic set sums in another order), which the tests allow.
 * Legend: rows = query rows of a strip, cols = keys of a tile, dh = head
 * width, Pkv = key/value width.  Row-major throughout. */
#ifndef SA_KERNELS_H
#define SA_KERNELS_H

#include <math.h>
#include <stdbool.h>
#include <stddef.h>

#include "selfattn.h"

/* The vector kernels are built on x86-64 with GCC or Clang only. */
#if defined(__x86_64__) && defined(__GNUC__)
#define SA_X86_KERNELS 1
#else
#define SA_X86_KERNELS 0
#endif

#define SA_BLOCK 16      /* rows of K and V per block of the blocked layout */
#define SA_TILE_ROWS 6   /* query rows per kernel strip */

/* Instruction sets the kernels may use, in order of preference. */
typedef enum {
    SA_ISA_PLAIN,   /* generic: plain loops, and cblas_sgemm for tile products */
    SA_ISA_AVX2,    /* AVX2 and FMA */
    SA_ISA_AVX512,  /* AVX-512F (with AVX2 and FMA) */
} sa_isa;

/* One instruction set's kernels.
 *   exp_prefix: exp(x - shift) in place on a prefix of x (n floats),
 *     adding the results into lanes[0 .. 8) (element j in lane j % 8);
 *     returns the prefix's length, leaving fewer than 8 floats to
 *     floats.c's scalar loop.
 *   max_prefix: the largest float of a prefix of x (n floats) in *max
 *     (-INFINITY for none) and in *finite whether it is all finite;
 *     returns the prefix's length.
 *   tile_scores, tile_values: sa_tile_scores and sa_tile_values below;
 *     NULL for the generic set, whose streaming path takes cblas_sgemm. */
typedef struct {
    size_t (*exp_prefix)(float *x, size_t n, float shift, double lanes[8]);
    size_t (*max_prefix)(const float *x, size_t n, float *max, bool *finite);
    void (*tile_scores)(float *s, size_t ld_s, const float *q, size_t ld_q,
                        size_t rows, const float *kb, size_t Pkv, size_t cols,
                        size_t dh, float scale);
    void (*tile_values)(float *acc, const float *p, size_t ld_p,
                        const float *vb, size_t Pkv, size_t rows, size_t cols,
                        size_t dh);
} sa_kernel_set;

/* ---- the choice (kernels.c) --------------------------------------------- */

/* The best set this CPU and operating system support. */
sa_isa sa_isa_supported(void);

/* The set in use: the supported one, or a lesser one if sa_kernels_use or
 * sa_isa_limit lowered it. */
sa_isa sa_isa_active(void);

/* The kernels of the set in use.  A static table. */
const sa_kernel_set *sa_kernels(void);

/* Use at most isa from now on (the unit tests run every set this CPU
 * has); returns the previous limit.  Not for use while attending. */
sa_isa sa_isa_limit(sa_isa isa);

/* The name of a set: "generic", "avx2" or "avx512". */
const char *sa_isa_name(sa_isa isa);

/* ---- the sets ------------------------------------------------------------ */

size_t sa_exp_prefix_plain(float *x, size_t n, float shift, double lanes[8]);
size_t sa_max_prefix_plain(const float *x, size_t n, float *max, bool *finite);
size_t sa_exp_prefix_avx2(float *x, size_t n, float shift, double lanes[8]);
size_t sa_max_prefix_avx2(const float *x, size_t n, float *max, bool *finite);
size_t sa_exp_prefix_avx512(float *x, size_t n, float shift, double lanes[8]);
size_t sa_max_prefix_avx512(const float *x, size_t n, float *max, bool *finite);
void sa_tile_scores_avx2(float *s, size_t ld_s, const float *q, size_t ld_q,
                         size_t rows, const float *kb, size_t Pkv, size_t cols,
                         size_t dh, float scale);
void sa_tile_scores_avx512(float *s, size_t ld_s, const float *q, size_t ld_q,
                           size_t rows, const float *kb, size_t Pkv,
                           size_t cols, size_t dh, float scale);
void sa_tile_values_avx2(float *acc, const float *p, size_t ld_p,
                         const float *vb, size_t Pkv, size_t rows, size_t cols,
                         size_t dh);
void sa_tile_values_avx512(float *acc, const float *p, size_t ld_p,
                           const float *vb, size_t Pkv, size_t rows,
                           size_t cols, size_t dh);

/* exp(v) as every set computes it, one float at a time: 0 below
 * SA_EXP_LOW (kernels_generic.c). */
float sa_exp_scalar(float v);

/* exp's constants, shared by the scalar and vector forms so that they stay
 * the same computation.  e^x = 2^k * e^f with k = round(x log2 e),
 * f = x - k ln 2 (Cody-Waite: ln 2 in two parts) and a degree-7 Taylor
 * polynomial for e^f on |f| <= ln(2)/2 (relative error below 1e-8, under
 * float32's 6e-8 rounding).  Inputs below SA_EXP_LOW give 0; adding and
 * subtracting SA_EXP_ROUND (1.5 * 2^23) rounds to an integer. */
#define SA_EXP_LOW (-87.0f)
#define SA_EXP_ROUND 12582912.0f
#define SA_EXP_LOG2E 1.44269504088896341f
#define SA_EXP_LN2_HI 0.693145751953125f
#define SA_EXP_LN2_LO 1.42860682030941723212e-6f
#define SA_EXP_C7 (1.0f / 5040.0f)
#define SA_EXP_C6 (1.0f / 720.0f)
#define SA_EXP_C5 (1.0f / 120.0f)
#define SA_EXP_C4 (1.0f / 24.0f)
#define SA_EXP_C3 (1.0f / 6.0f)
#define SA_EXP_C2 0.5f

/* exp's reduction and polynomial on any vector type V, in the scalar
 * form's order: c is the input clamped to SA_EXP_LOW; k = round(c log2 e)
 * and p = e^f with f = c - k ln 2.  FMA(a, b, c) is a * b + c rounded
 * once, FNMA(a, b, c) is c - a * b, SUB(a, b) is a - b, SET(x) broadcasts
 * x. */
#define SA_EXP_REDUCE(V, k, p, c, FMA, FNMA, SUB, SET)                      \
    V k = SUB(FMA(c, SET(SA_EXP_LOG2E), SET(SA_EXP_ROUND)), SET(SA_EXP_ROUND)); \
    V p;                                                                    \
    do {                                                                    \
        V f = FNMA(k, SET(SA_EXP_LN2_HI), c);                               \
        f = FNMA(k, SET(SA_EXP_LN2_LO), f);                                 \
        p = FMA(SET(SA_EXP_C7), f, SET(SA_EXP_C6));                         \
        p = FMA(p, f, SET(SA_EXP_C5));                                      \
        p = FMA(p, f, SET(SA_EXP_C4));                                      \
        p = FMA(p, f, SET(SA_EXP_C3));                                      \
        p = FMA(p, f, SET(SA_EXP_C2));                                      \
        p = FMA(p, f, SET(1.0f));                                           \
        p = FMA(p, f, SET(1.0f));                                           \
    } while (0)

/* One step of the maximum and the finiteness check on any vector type:
 * a NaN v keeps max (as x > max does); zero stays 0 while v is finite. */
#define SA_MAX_STEP(max, zero, v, MAX, ADD, SUB)                            \
    do {                                                                    \
        max = MAX(v, max);                                                  \
        zero = ADD(zero, SUB(v, v));                                        \
    } while (0)

/* The maximum of count lanes and whether their zeros are all 0. */
static inline void sa_max_lanes(const float *lane, const float *zeros,
                                size_t count, float *max, bool *finite)
{
    float m = -INFINITY, z = 0.0f;
    for (size_t l = 0; l < count; l++) {
        m = lane[l] > m ? lane[l] : m;
        z += zeros[l];
    }
    *max = m;
    *finite = z == 0.0f;
}

/* ---- tile products on the blocked layout (tiles.c) ---------------------- */

/* True if sa_tile_scores and sa_tile_values have vector kernels for head
 * width dh in the set in use (dh a multiple of 16, AVX2 and FMA). */
bool sa_tile_kernels_usable(size_t dh);

/* Rearrange k or v (m16, Pkv), m16 a multiple of SA_BLOCK, in place into
 * the blocked layout: each block of 16 rows keeps its 16 * Pkv floats,
 * keys as (Pkv, 16), the 16 keys of each column together; values as
 * (Pkv / 16, 16, 16), the 16 rows of each group of 16 columns together.
 * tmp holds 16 * Pkv floats. */
void sa_block_keys(float *k, size_t m16, size_t Pkv, float *tmp);
void sa_block_values(float *v, size_t m16, size_t Pkv, float *tmp);

/* The inverses: the blocked layout back to row-major, in place (the
 * backward pass reads K and V row-major).  tmp as above. */
void sa_unblock_keys(float *k, size_t m16, size_t Pkv, float *tmp);
void sa_unblock_values(float *v, size_t m16, size_t Pkv, float *tmp);

/* Element (row j, column col) of blocked keys or values of width Pkv. */
static inline float sa_blocked_key(const float *k, size_t Pkv, size_t j, size_t col)
{
    return k[j / SA_BLOCK * SA_BLOCK * Pkv + col * SA_BLOCK + j % SA_BLOCK];
}
static inline float sa_blocked_value(const float *v, size_t Pkv, size_t j, size_t col)
{
    return v[j / SA_BLOCK * SA_BLOCK * Pkv + col / SA_BLOCK * SA_BLOCK * SA_BLOCK +
             j % SA_BLOCK * SA_BLOCK + col % SA_BLOCK];
}

/* s (rows, ceil(cols/16)*16; row stride ld_s) = scale * q (rows, dh; row
 * stride ld_q) @ the keys' columns [c0, c0 + dh) for keys [j0, j0 + cols),
 * with kb = k + j0 * Pkv + c0 * 16 for blocked k and j0 a multiple of 16.
 * rows is a multiple of SA_TILE_ROWS. */
void sa_tile_scores(float *s, size_t ld_s, const float *q, size_t ld_q,
                    size_t rows, const float *kb, size_t Pkv, size_t cols,
                    size_t dh, float scale);

/* acc (rows, dh) += p (rows, cols; row stride ld_p) @ the values' rows
 * [j0, j0 + cols) and columns [c0, c0 + dh), with vb = v + j0 * Pkv +
 * c0 * 16 for blocked v, j0 and c0 multiples of 16.  rows is a multiple
 * of SA_TILE_ROWS, dh of 16. */
void sa_tile_values(float *acc, const float *p, size_t ld_p, const float *vb,
                    size_t Pkv, size_t rows, size_t cols, size_t dh);

/* The same two products as plain loops (kernels_generic.c): the reference
 * of the unit tests, any shapes. */
void sa_tile_scores_ref(float *s, size_t ld_s, const float *q, size_t ld_q,
                        size_t rows, const float *kb, size_t Pkv, size_t cols,
                        size_t dh, float scale);
void sa_tile_values_ref(float *acc, const float *p, size_t ld_p, const float *vb,
                        size_t Pkv, size_t rows, size_t cols, size_t dh);

#endif
