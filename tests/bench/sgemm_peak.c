/* sgemm_peak.c — the machine's OpenBLAS sgemm rate at 2048^3, measured in
 * the same benchmark run as the workloads so ratios to it are fair.
 * Prints the median GFLOP/s of 7 runs. */
#include <cblas.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static int by_value(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

int main(void)
{
    const int n = 2048;
    float *a = malloc(sizeof(float) * n * n), *b = malloc(sizeof(float) * n * n);
    float *c = malloc(sizeof(float) * n * n);
    if (!a || !b || !c)
        return 1;
    for (long i = 0; i < (long)n * n; i++) {
        a[i] = (float)(i % 7) / 7.0f;
        b[i] = (float)(i % 5) / 5.0f;
    }
    double rates[7];
    // C (n, n) = A (n, n; NoTrans) @ B (n, n; NoTrans)
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, n, n, n, 1.0f, a, n,
                b, n, 0.0f, c, n);  /* warm up */
    for (int r = 0; r < 7; r++) {
        double t = now();
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, n, n, n, 1.0f,
                    a, n, b, n, 0.0f, c, n);
        rates[r] = 2.0 * n * n * (double)n / (now() - t) / 1e9;
    }
    qsort(rates, 7, sizeof rates[0], by_value);
    printf("%.1f\n", rates[3]);
    free(a);
    free(b);
    free(c);
    return 0;
}
