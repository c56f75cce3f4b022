/* test_kernels.c — the streaming path's fast pieces against their plain
 * loops and float64: the tile products (sa_tile_scores, sa_tile_values),
 * exp with its sum, and the maximum with the finiteness check; each set
 * of kernels this CPU has (generic, AVX2, AVX-512; at most the one
 * SELFATTN_KERNELS names) in turn, and the AVX-512 kernels against the
 * AVX2 ones.  A set the CPU lacks is reported as not tested. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "attention_internal.h"
#include "check.h"
#include "kernels.h"

static float *random_floats(sa_rng *rng, size_t len, float amplitude)
{
    float *a = malloc((len ? len : 1) * sizeof *a);
    for (size_t i = 0; i < len; i++)
        a[i] = amplitude * (2.0f * sa_rng_uniform(rng) - 1.0f);
    return a;
}

/* Tile products of head 1 of 2 (width dh) on keys [16, 16 + cols), with
 * a query row stride wider than dh. */
static void check_tiles(sa_rng *rng, size_t rows, size_t cols, size_t dh)
{
    size_t Pkv = 2 * dh, c0 = dh, j0 = 16, ld_q = dh + 3, ld_s = 272;
    size_t m16 = (j0 + cols + SA_BLOCK - 1) / SA_BLOCK * SA_BLOCK;
    size_t cols16 = (cols + SA_BLOCK - 1) / SA_BLOCK * SA_BLOCK;
    float *q = random_floats(rng, rows * ld_q, 1.0f);
    float *k = random_floats(rng, m16 * Pkv, 1.0f);  // row-major originals
    float *v = random_floats(rng, m16 * Pkv, 1.0f);
    float *kb = malloc(m16 * Pkv * sizeof *kb), *vb = malloc(m16 * Pkv * sizeof *vb);
    float *tmp = malloc(SA_BLOCK * Pkv * sizeof *tmp);
    float *p = random_floats(rng, rows * ld_s, 1.0f);
    float *acc = random_floats(rng, rows * dh, 1.0f);
    float *acc_ref = malloc(rows * dh * sizeof *acc_ref);
    float *s = malloc(rows * ld_s * sizeof *s), *s_ref = malloc(rows * ld_s * sizeof *s_ref);
    memcpy(acc_ref, acc, rows * dh * sizeof *acc);
    memcpy(kb, k, m16 * Pkv * sizeof *k);
    memcpy(vb, v, m16 * Pkv * sizeof *v);
    sa_block_keys(kb, m16, Pkv, tmp);
    sa_block_values(vb, m16, Pkv, tmp);

    // the blocked layouts hold every element where the accessors say
    bool moved = true;
    for (size_t j = 0; j < m16; j++)
        for (size_t c = 0; c < Pkv; c++)
            moved &= sa_blocked_key(kb, Pkv, j, c) == k[j * Pkv + c] &&
                     sa_blocked_value(vb, Pkv, j, c) == v[j * Pkv + c];
    CHECK(moved, "blocking %zu x %zu", m16, Pkv);

    // scores against the loops and against float64 dot products
    const float *kt = kb + j0 * Pkv + c0 * SA_BLOCK, *vt = vb + j0 * Pkv + c0 * SA_BLOCK;
    for (size_t i = 0; i < rows * ld_s; i++)
        s[i] = s_ref[i] = 42.0f;
    sa_tile_scores(s, ld_s, q, ld_q, rows, kt, Pkv, cols, dh, 0.125f);
    sa_tile_scores_ref(s_ref, ld_s, q, ld_q, rows, kt, Pkv, cols, dh, 0.125f);
    double worst = 0.0;
    bool untouched = true;
    for (size_t r = 0; r < rows; r++) {
        for (size_t c = 0; c < cols; c++) {
            double dot = 0.0;
            for (size_t t = 0; t < dh; t++)
                dot += (double)q[r * ld_q + t] * k[(j0 + c) * Pkv + c0 + t];
            worst = fmax(worst, fabs(s[r * ld_s + c] - 0.125 * dot));
            worst = fmax(worst, fabs(s[r * ld_s + c] - s_ref[r * ld_s + c]));
        }
        for (size_t c = cols16; c < ld_s; c++)
            untouched &= s[r * ld_s + c] == 42.0f;
    }
    CHECK(worst <= 1e-5 * sqrt((double)dh), "tile_scores %zu x %zu x %zu off by %g",
          rows, cols, dh, worst);
    CHECK(untouched, "tile_scores %zu x %zu x %zu wrote past its blocks", rows, cols, dh);

    // values: acc += p @ v, against the loops and float64
    sa_tile_values(acc, p, ld_s, vt, Pkv, rows, cols, dh);
    worst = 0.0;
    for (size_t r = 0; r < rows; r++)
        for (size_t t = 0; t < dh; t++) {
            double sum = acc_ref[r * dh + t];
            for (size_t c = 0; c < cols; c++)
                sum += (double)p[r * ld_s + c] * v[(j0 + c) * Pkv + c0 + t];
            worst = fmax(worst, fabs(acc[r * dh + t] - sum));
        }
    sa_tile_values_ref(acc_ref, p, ld_s, vt, Pkv, rows, cols, dh);
    for (size_t i = 0; i < rows * dh; i++)
        worst = fmax(worst, fabs(acc[i] - acc_ref[i]));
    CHECK(worst <= 1e-5 * sqrt((double)cols), "tile_values %zu x %zu x %zu off by %g",
          rows, cols, dh, worst);

    free(q);
    free(k);
    free(v);
    free(kb);
    free(vb);
    free(tmp);
    free(p);
    free(acc);
    free(acc_ref);
    free(s);
    free(s_ref);
}

static void test_tiles(void)
{
    sa_rng rng;
    sa_rng_seed(&rng, 7);
    static const size_t shapes[][3] = {
        {6, 16, 16}, {6, 1, 16}, {12, 17, 32}, {120, 256, 64}, {18, 100, 128},
        {6, 255, 48}, {36, 33, 64},
    };
    for (size_t i = 0; i < sizeof shapes / sizeof shapes[0]; i++)
        check_tiles(&rng, shapes[i][0], shapes[i][1], shapes[i][2]);
    CHECK(!sa_tile_kernels_usable(0) && !sa_tile_kernels_usable(8) &&
          !sa_tile_kernels_usable(24), "kernels offered for a width not a multiple of 16");
}

static void test_exp(void)
{
    sa_rng rng;
    sa_rng_seed(&rng, 8);
    size_t n = 1003;  // a tail past the last group of eight
    float *x = random_floats(&rng, n, 60.0f), *y = malloc(n * sizeof *y);
    x[0] = -INFINITY;      // masked: exactly 0
    x[1] = -200.0f;        // far below: exactly 0
    x[2] = 10.0f;          // the shift itself: exactly 1
    x[n - 1] = -INFINITY;  // in the tail
    memcpy(y, x, n * sizeof *x);
    double worst = 0.0, want_sum = 0.0;
    for (size_t i = 0; i < n; i++) {
        double want = x[i] - 10.0f < -87.0f ? 0.0 : exp((double)(x[i] - 10.0f));
        want_sum += want;
        x[i] = (float)want;
    }
    double sum = sa_exp_shifted(y, n, 10.0f);
    for (size_t i = 0; i < n; i++)
        worst = fmax(worst, x[i] ? fabs(y[i] - x[i]) / x[i] : fabs(y[i]));
    CHECK(worst <= 2e-7, "exp off by %g relative", worst);
    CHECK(y[0] == 0.0f && y[1] == 0.0f && y[2] == 1.0f && y[n - 1] == 0.0f,
          "exp of -inf, far below and 0: %g %g %g %g", y[0], y[1], y[2], y[n - 1]);
    CHECK(fabs(sum - want_sum) <= 2e-7 * want_sum, "exp sum %.9g, want %.9g", sum, want_sum);

    // the fast and plain versions agree on the sum's lanes and order
    float *a = random_floats(&rng, n, 5.0f), *b = malloc(n * sizeof *b);
    memcpy(b, a, n * sizeof *a);
    double fast = sa_exp_shifted(a, n, 1.0f), plain = sa_exp_shifted_ref(b, n, 1.0f);
    worst = 0.0;
    for (size_t i = 0; i < n; i++)
        worst = fmax(worst, fabs(a[i] - b[i]) / b[i]);
    CHECK(worst <= 2e-7 && fabs(fast - plain) <= 2e-7 * plain,
          "fast exp against plain: %g relative, sums %.9g %.9g", worst, fast, plain);
    free(x);
    free(y);
    free(a);
    free(b);
}

static void test_max_finite(void)
{
    // 40 floats: the AVX-512 kernel's 32 at a time, then a masked rest; the
    // AVX2 kernel's sixteens and eights, then the scalar loop
    float x[40];
    for (size_t i = 0; i < 40; i++)
        x[i] = (float)i - 9.0f;
    for (size_t n = 0; n <= 40; n++) {
        bool finite, finite_ref;
        float m = sa_max_finite(x, n, &finite), m_ref = sa_max_finite_ref(x, n, &finite_ref);
        CHECK(m == (n ? (float)n - 10.0f : -INFINITY) && m == m_ref && finite && finite_ref,
              "max of %zu: %g", n, m);
    }
    // each bad value, in each part, is found
    const float bad[] = {INFINITY, -INFINITY, NAN};
    const size_t where[] = {0, 20, 35, 39};
    for (size_t b = 0; b < 3; b++)
        for (size_t w = 0; w < 4; w++) {
            float y[40];
            memcpy(y, x, sizeof y);
            y[where[w]] = bad[b];
            bool finite, finite_ref;
            float m = sa_max_finite(y, 40, &finite);
            float m_ref = sa_max_finite_ref(y, 40, &finite_ref);
            CHECK(!finite && !finite_ref, "%g at %zu not found", bad[b], where[w]);
            CHECK(m == m_ref, "max with %g at %zu: %g, plain %g", bad[b], where[w], m, m_ref);
        }
}

/* Every kernel's outputs on fixed random data. */
typedef struct {
    float s[2][18 * 256], acc[2][18 * 96], e[1019], max[60];
    double sum;
    bool finite[60];
} kernel_outputs;

static void run_kernels(kernel_outputs *o)
{
    sa_rng rng;
    sa_rng_seed(&rng, 9);
    memset(o, 0, sizeof *o);
    // 15 blocks of keys (pairs, then one alone) with head width 80 (four
    // groups of 16 columns, then one), and 16 blocks with 96 (four, two)
    static const size_t shapes[2][2] = {{240, 80}, {250, 96}};
    for (size_t c = 0; c < 2; c++) {
        size_t rows = 18, cols = shapes[c][0], dh = shapes[c][1], Pkv = 2 * dh;
        size_t ld_s = 256, m16 = 256;
        float *q = random_floats(&rng, rows * dh, 1.0f);
        float *k = random_floats(&rng, m16 * Pkv, 1.0f);
        float *v = random_floats(&rng, m16 * Pkv, 1.0f);
        float *tmp = malloc(SA_BLOCK * Pkv * sizeof *tmp);
        sa_block_keys(k, m16, Pkv, tmp);
        sa_block_values(v, m16, Pkv, tmp);
        sa_tile_scores(o->s[c], ld_s, q, dh, rows, k + dh * SA_BLOCK, Pkv, cols, dh, 0.1f);
        for (size_t i = 0; i < rows * dh; i++)
            o->acc[c][i] = 0.5f;
        sa_tile_values(o->acc[c], o->s[c], ld_s, v + dh * SA_BLOCK, Pkv, rows, cols, dh);
        free(q);
        free(k);
        free(v);
        free(tmp);
    }
    // 1019 = 31 * 32 + 16 + 8 + 3: every step of both exp kernels
    float *x = random_floats(&rng, 1019, 30.0f);
    memcpy(o->e, x, sizeof o->e);
    o->sum = sa_exp_shifted(o->e, 1019, 20.0f);
    x[525] = NAN;
    for (size_t n = 0; n < 60; n++)  // every length to 59, a NaN at 45
        o->max[n] = sa_max_finite(x + 480, n, &o->finite[n]);
    free(x);
}

/* The largest difference in ulps between a[0 .. n) and b[0 .. n). */
static double worst_ulps(const float *a, const float *b, size_t n)
{
    double worst = 0.0;
    for (size_t i = 0; i < n; i++)
        worst = fmax(worst, check_ulps(a[i], b[i]));
    return worst;
}

/* The AVX-512 kernels agree with the AVX2 ones.  They perform the same
 * float operations in the same order, so they are meant to give the same
 * bits (the largest difference is printed, 0 so far); the test allows 4
 * ulps, as results may differ between kernel sets in the last bits.  A
 * real error (a lost key, a wrong scale, a skipped column group) is
 * thousands of ulps away. */
static void test_avx512_against_avx2(void)
{
    if (sa_isa_active() < SA_ISA_AVX512) {
        printf("AVX-512 against AVX2: not tested, kernels %s in use\n",
               sa_kernels_name());
        return;
    }
    static kernel_outputs avx2, avx512;
    sa_isa previous = sa_isa_limit(SA_ISA_AVX2);
    run_kernels(&avx2);
    sa_isa_limit(SA_ISA_AVX512);
    run_kernels(&avx512);
    sa_isa_limit(previous);
    size_t ns = sizeof avx2.s / sizeof(float), nacc = sizeof avx2.acc / sizeof(float);
    double s = worst_ulps(avx2.s[0], avx512.s[0], ns);
    double acc = worst_ulps(avx2.acc[0], avx512.acc[0], nacc);
    double e = worst_ulps(avx2.e, avx512.e, 1019);
    double sum = fabs(avx2.sum - avx512.sum) / fabs(avx2.sum) / 1.2e-7;
    double max = worst_ulps(avx2.max, avx512.max, 60);
    printf("AVX-512 against AVX2: scores %g, values %g, exp %g, sum %g, max %g ulps\n",
           s, acc, e, sum, max);
    CHECK(s <= 4, "AVX-512 scores differ from AVX2's by %g ulps", s);
    CHECK(acc <= 4, "AVX-512 values differ from AVX2's by %g ulps", acc);
    CHECK(e <= 4 && sum <= 4, "AVX-512 exp differs from AVX2's (sums %.17g %.17g)",
          avx2.sum, avx512.sum);
    CHECK(max == 0 && memcmp(avx2.finite, avx512.finite, sizeof avx2.finite) == 0,
          "AVX-512 max differs from AVX2's");
    CHECK(avx512.finite[45] && !avx512.finite[46], "the NaN at 45 of the max test");
}

int main(void)
{
    check_kernels_from_env();
    sa_isa active = sa_isa_active();
    for (int isa = SA_ISA_PLAIN; isa <= SA_ISA_AVX512; isa++) {
        if (isa > (int)active) {
            printf("kernels %s: not tested, %s\n", sa_isa_name((sa_isa)isa),
                   isa > (int)sa_isa_supported() ? "this CPU lacks them"
                                                 : "SELFATTN_KERNELS names a lesser set");
            continue;
        }
        sa_isa previous = sa_isa_limit((sa_isa)isa);
        printf("kernels %s\n", sa_isa_name((sa_isa)isa));
        test_tiles();
        test_exp();
        test_max_finite();
        sa_isa_limit(previous);
    }
    test_avx512_against_avx2();
    return check_summary("test_kernels");
}
