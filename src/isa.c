/* isa.c — which kernels run: selfattn's, the best set the CPU supports
 * (lowered only by the unit tests), and the name of OpenBLAS's.  GCC's
 * __builtin_cpu_supports reads flags its runtime set once at start-up
 * from CPUID, counting AVX and AVX-512 only where the operating system
 * saves their registers, so asking on every call costs a few loads. */
#include <cblas.h>

#include "kernels.h"
#include "selfattn.h"

static const sa_kernel_set sets[SA_ISA_AVX512 + 1] = {
    [SA_ISA_PLAIN] = {sa_exp_prefix_plain, sa_max_prefix_plain, NULL, NULL},
#if SA_X86_KERNELS
    [SA_ISA_AVX2] = {sa_exp_prefix_avx2, sa_max_prefix_avx2, sa_tile_scores_avx2,
                     sa_tile_values_avx2},
    [SA_ISA_AVX512] = {sa_exp_prefix_avx512, sa_max_prefix_avx512,
                       sa_tile_scores_avx512, sa_tile_values_avx512},
#endif
};

static sa_isa limit = SA_ISA_AVX512;

sa_isa sa_isa_supported(void)
{
#if SA_X86_KERNELS
    if (!__builtin_cpu_supports("avx2") || !__builtin_cpu_supports("fma"))
        return SA_ISA_PLAIN;
    return __builtin_cpu_supports("avx512f") ? SA_ISA_AVX512 : SA_ISA_AVX2;
#else
    return SA_ISA_PLAIN;
#endif
}

static sa_isa active(void)
{
    sa_isa best = sa_isa_supported();
    return best < limit ? best : limit;
}

const sa_kernel_set *sa_kernels(void)
{
    return &sets[active()];
}

sa_isa sa_isa_limit(sa_isa isa)
{
    sa_isa previous = limit;
    limit = isa;
    return previous;
}

const char *sa_isa_name(sa_isa isa)
{
    static const char *const names[] = {"none", "AVX2", "AVX-512"};
    return names[isa];
}

const char *sa_kernels_name(void)
{
    return sa_isa_name(active());
}

const char *sa_blas_name(void)
{
    return openblas_get_corename();
}
