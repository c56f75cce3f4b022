/* isa.c — which kernels run: selfattn's, the best set the CPU supports
 * unless the caller chose a lesser one (SELFATTN_KERNELS in the CLI, the
 * unit tests), and the name of OpenBLAS's.  GCC's __builtin_cpu_supports
 * reads flags its runtime set once at start-up from CPUID, counting AVX
 * and AVX-512 only where the operating system saves their registers, so
 * asking on every call costs a few loads. */
#include <cblas.h>
#include <string.h>

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

static const char *const names[SA_ISA_AVX512 + 1] = {"generic", "avx2", "avx512"};

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

sa_isa sa_isa_active(void)
{
    sa_isa best = sa_isa_supported();
    return best < limit ? best : limit;
}

const sa_kernel_set *sa_kernels(void)
{
    return &sets[sa_isa_active()];
}

sa_isa sa_isa_limit(sa_isa isa)
{
    sa_isa previous = limit;
    limit = isa;
    return previous;
}

const char *sa_isa_name(sa_isa isa)
{
    return names[isa];
}

sa_status sa_kernels_use(const char *name, sa_error *err)
{
    if (!name || !*name) {
        limit = SA_ISA_AVX512;
        return SA_OK;
    }
    for (int isa = SA_ISA_PLAIN; isa <= SA_ISA_AVX512; isa++) {
        if (strcmp(name, names[isa]) != 0)
            continue;
        if (isa > (int)sa_isa_supported())
            return sa_fail(err, SA_ERR_USAGE, 0, 0, "the %s kernels need a "
                           "processor with %s; this one has %s at best",
                           name, isa == SA_ISA_AVX512 ? "AVX-512F" : "AVX2 and FMA",
                           names[sa_isa_supported()]);
        limit = (sa_isa)isa;
        return SA_OK;
    }
    return sa_fail(err, SA_ERR_USAGE, 0, 0, "unknown kernels '%.32s' (use "
                   "avx512, avx2 or generic)", name);
}

const char *sa_kernels_name(void)
{
    return sa_isa_name(sa_isa_active());
}

const char *sa_blas_name(void)
{
    return openblas_get_corename();
}
