/* isa.c — which vector kernels run: the best the CPU supports, lowered
 * only by the unit tests.  GCC's __builtin_cpu_supports reads flags its
 * runtime set once at start-up from CPUID, counting AVX and AVX-512 only
 * where the operating system saves their registers, so asking on every
 * call costs a few loads. */
#include "kernels.h"
#include "selfattn.h"

static sa_isa limit = SA_ISA_AVX512;

sa_isa sa_isa_supported(void)
{
#if defined(__x86_64__) && defined(__GNUC__)
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

sa_isa sa_isa_limit(sa_isa isa)
{
    sa_isa previous = limit;
    limit = isa;
    return previous;
}

const char *sa_kernels_name(void)
{
    static const char *const names[] = {"plain loops", "AVX2", "AVX-512"};
    return names[sa_isa_active()];
}
