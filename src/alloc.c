/* alloc.c — memory for the large arrays (files, projections, results).
 * On the 2-core development machine (a paravirtualised VM) the first write
 * to each fresh 4 KiB page costs 7-12 us: a trap into the guest kernel
 * and another into the hypervisor to map it.  Measured there (README
 * "Speed and memory"): touching 64 MiB of fresh 4 KiB pages took 197 ms,
 * pre-faulting them with madvise(MADV_POPULATE_WRITE) took 11 ms but the
 * first write after it still 110 ms, while transparent huge pages that the
 * kernel had recently used took 4-8 ms.  Memory the process has not used
 * before costs 2-3 ms per MiB either way, so callers free what they no
 * longer need early, and the kernel hands the same pages out again.  A
 * large buffer is aligned to 2 MiB, asked for huge pages (MADV_HUGEPAGE)
 * and pre-faulted.  Where the kernel has no huge pages to give or the
 * calls are unknown (kernels before 5.14), they fail harmlessly and pages
 * fault in as usual. */
#define _DEFAULT_SOURCE /* MADV_* beyond POSIX are outside _XOPEN_SOURCE */
#include <stdint.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

#include "alloc.h"

#define HUGE_PAGE ((size_t)2 << 20)

void *sa_alloc_large(size_t bytes)
{
    void *p;
    if (bytes < ((size_t)1 << 20))
        return malloc(bytes ? bytes : 1);
    if (bytes < HUGE_PAGE) {
        p = malloc(bytes);
    } else if (posix_memalign(&p, HUGE_PAGE, bytes) != 0) {
        p = NULL;
    } else {
#ifdef MADV_HUGEPAGE
        madvise(p, bytes & ~(HUGE_PAGE - 1), MADV_HUGEPAGE);  // whole 2 MiB
#endif
    }
#ifdef MADV_POPULATE_WRITE
    // the pages in [p, p + bytes); the pre-faulting stops at the last page
    // used, as every fresh page costs
    uintptr_t page = 4096, start = ((uintptr_t)p + page - 1) & ~(page - 1);
    uintptr_t end = ((uintptr_t)p + bytes) & ~(page - 1);
    if (p && end > start)
        madvise((void *)start, end - start, MADV_POPULATE_WRITE);
#endif
    return p;
}

sa_status sa_check_need(double bytes, const char *what, sa_error *err)
{
    double have = (double)sysconf(_SC_PHYS_PAGES) * (double)sysconf(_SC_PAGESIZE);
    if (have <= 0 || bytes <= have)
        return SA_OK;
    char need_text[32], have_text[32];
    return sa_fail(err, SA_ERR_NOMEM, 0, 0, "%s needs %s, more than the %s of "
                   "memory this machine has", what,
                   sa_format_bytes(need_text, sizeof need_text, bytes),
                   sa_format_bytes(have_text, sizeof have_text, have));
}
