/* kernels.h — the vector kernels behind the softmax rows and the
 * streaming path's tile products, one file per instruction set
 * (kernels_avx2.c, kernels_avx512.c), and the choice between them
 * (isa.c).  fastexp.c and tile_kernel.c call the active set and keep the
 * plain loops.  Every kernel here performs, for each element, the same
 * float operations in the same order as the AVX2 one, so the AVX-512
 * kernels give the same bits (test_kernels checks it); they are faster
 * because a zmm register holds a whole block of 16 and, on CPUs with
 * 512-bit FMA units, twice the arithmetic per instruction.  Shapes and
 * contracts are those of the functions in attention_internal.h. */
#ifndef SA_KERNELS_H
#define SA_KERNELS_H

#include <stdbool.h>
#include <stddef.h>

/* The vector kernels are built on x86-64 with GCC or Clang only. */
#if defined(__x86_64__) && defined(__GNUC__)
#define SA_X86_KERNELS 1
#else
#define SA_X86_KERNELS 0
#endif

/* Instruction sets the kernels may use, in order of preference. */
typedef enum {
    SA_ISA_PLAIN,   /* none: plain loops, and cblas_sgemm for tile products */
    SA_ISA_AVX2,    /* AVX2 and FMA */
    SA_ISA_AVX512,  /* AVX-512F (with AVX2 and FMA) */
} sa_isa;

/* One instruction set's kernels.
 *   exp_prefix: exp(x - shift) in place on a prefix of x (n floats),
 *     adding the results into lanes[0 .. 8) as sa_exp_shifted_ref's lanes
 *     (element j in lane j % 8); returns the prefix's length, leaving
 *     fewer than 8 floats to fastexp.c's scalar loop.
 *   max_prefix: the largest float of a prefix of x (n floats) in *max
 *     (-INFINITY for none) and in *finite whether it is all finite;
 *     returns the prefix's length.
 *   tile_scores, tile_values: sa_tile_scores and sa_tile_values
 *     (attention_internal.h); NULL for the plain set, whose streaming
 *     path takes cblas_sgemm instead. */
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

/* The sets' kernels (fastexp.c holds the plain prefixes). */
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

/* exp's constants, shared by the scalar and vector forms so that they
 * stay the same computation (fastexp.c explains the method): inputs
 * below SA_EXP_LOW give 0; adding and subtracting SA_EXP_ROUND (1.5 * 2^23)
 * rounds to an integer; ln 2 in two parts (Cody-Waite); the Taylor
 * coefficients 1/7! .. 1/2!, then 1, 1. */
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

#endif
