/* check.h — the unit tests' tiny harness: CHECK records a failure with its
 * place and goes on; check_summary prints "N passed, M failed" and returns
 * the exit status (non-zero if anything failed). */
#ifndef SA_CHECK_H
#define SA_CHECK_H

#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "selfattn.h"

static int check_passed, check_failed;

#define CHECK(cond, ...)                                                   \
    do {                                                                   \
        if (cond) {                                                        \
            check_passed++;                                                \
        } else {                                                           \
            check_failed++;                                                \
            fprintf(stderr, "FAIL %s:%d: ", __FILE__, __LINE__);           \
            fprintf(stderr, __VA_ARGS__);                                  \
            fputc('\n', stderr);                                           \
        }                                                                  \
    } while (0)

static int check_summary(const char *name)
{
    printf("%s: %d passed, %d failed\n", name, check_passed, check_failed);
    return check_failed ? 1 : 0;
}

/* Uses the kernels SELFATTN_KERNELS names, as the CLI does, so that make
 * check can run the suites under each set; a bad name fails the test. */
static inline void check_kernels_from_env(void)
{
    sa_error err;
    if (sa_kernels_use(getenv("SELFATTN_KERNELS"), &err)) {
        fprintf(stderr, "SELFATTN_KERNELS: %s\n", err.message);
        exit(2);
    }
    printf("kernels %s\n", sa_kernels_name());
}

/* |a - b| in units in the last place of the larger (0 for equal floats,
 * including two zeros of either sign; a large number if one is NaN). */
static inline double check_ulps(float a, float b)
{
    if (a == b)
        return 0.0;
    if (a != a || b != b)
        return 1e30;
    float big = fabsf(a) > fabsf(b) ? fabsf(a) : fabsf(b);
    int exp;
    frexpf(big, &exp);
    return fabs((double)a - (double)b) / ldexp(1.0, exp - 24);
}

#endif
