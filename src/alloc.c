/* alloc.c — memory for the large arrays (files, projections, results).
 * On the 2-core development machine (a paravirtualised VM) the first write
 * to each fresh 4 KiB page costs 7-12 us: a trap into the guest kernel
 * and another into the hypervisor to map it.  Measured there (README
 * "Speed and memory"): touching 64 MiB of fresh 4 KiB pages took 197 ms,
 * pre-faulting them with madvise(MADV_POPULATE_WRITE) took 11 ms but the
 * first write after it still 110 ms, while transparent huge pages that the
 * kernel had recently used took 4-8 ms.  So a large buffer is aligned to
 * 2 MiB, asked for huge pages (MADV_HUGEPAGE) and pre-faulted.  Where the
 * kernel has no huge pages to give or the calls are unknown (kernels
 * before 5.14), they fail harmlessly and pages fault in as usual. */
#define _DEFAULT_SOURCE /* MADV_* beyond POSIX are outside _XOPEN_SOURCE */
#include <stdint.h>
#include <stdlib.h>
#include <sys/mman.h>

#include "alloc.h"

#define HUGE_PAGE ((size_t)2 << 20)

void *sa_alloc_large(size_t bytes)
{
    if (bytes < HUGE_PAGE || bytes > SIZE_MAX - HUGE_PAGE)
        return malloc(bytes ? bytes : 1);
    size_t rounded = (bytes + HUGE_PAGE - 1) & ~(HUGE_PAGE - 1);
    void *p = aligned_alloc(HUGE_PAGE, rounded);
    if (!p)
        return NULL;
#ifdef MADV_HUGEPAGE
    madvise(p, rounded, MADV_HUGEPAGE);
#endif
#ifdef MADV_POPULATE_WRITE
    madvise(p, rounded, MADV_POPULATE_WRITE);
#endif
    return p;
}
