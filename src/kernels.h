/* kernels.h — the vector kernels behind the streaming path, one file per
 * instruction set (kernels_avx2.c, kernels_avx512.c), and the choice
 * between them.  tile_kernel.c and fastexp.c dispatch to these and keep
 * the plain loops.  Every kernel here performs, for each element, the
 * same float operations in the same order as the AVX2 one, so the
 * AVX-512 kernels give the same bits (test_kernels checks it); they are
 * faster because a zmm register holds a whole block of 16 and, on CPUs
 * with 512-bit FMA units, twice the arithmetic per instruction.
 * Shapes and contracts are those of the dispatching functions in
 * attention_internal.h. */
#ifndef SA_KERNELS_H
#define SA_KERNELS_H

#include <stdbool.h>
#include <stddef.h>

/* Instruction sets the kernels may use, in order of preference. */
typedef enum {
    SA_ISA_PLAIN,   /* the plain loops */
    SA_ISA_AVX2,    /* AVX2 and FMA */
    SA_ISA_AVX512,  /* AVX-512F (with AVX2 and FMA) */
} sa_isa;

/* The best set this CPU and operating system support. */
sa_isa sa_isa_supported(void);

/* The set the kernels use now: the supported one, or less if lowered by
 * sa_isa_limit. */
sa_isa sa_isa_active(void);

/* Use at most isa from now on (the unit tests run every kernel this CPU
 * has); returns the previous limit.  Not for use while attending. */
sa_isa sa_isa_limit(sa_isa isa);

/* Vector parts of exp-with-sum and max-with-check: each handles a prefix
 * of x, whose length it returns, leaving the rest (fewer than 8 floats)
 * to fastexp.c's scalar loop.  The exp kernels add their results into
 * lanes[0 .. 8) as sa_exp_shifted_ref's lanes; the max kernels return the
 * prefix's maximum in *max and, in *finite, whether it is all finite. */
size_t sa_exp_shifted_avx2(float *x, size_t n, float shift, double lanes[8]);
size_t sa_exp_shifted_avx512(float *x, size_t n, float shift, double lanes[8]);
size_t sa_max_finite_avx2(const float *x, size_t n, float *max, bool *finite);
size_t sa_max_finite_avx512(const float *x, size_t n, float *max, bool *finite);

/* sa_tile_scores and sa_tile_values (attention_internal.h) per set. */
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

#endif
