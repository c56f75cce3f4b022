/* alloc.c — memory for the large arrays (files, projections, results).
 * On the 2-core virtual machine each first touch of a 4 KiB page costs a
 * trap of about 10 us, so a large buffer is pre-faulted with one
 * madvise(MADV_POPULATE_WRITE) call (Linux 5.14+; on older kernels the call
 * fails harmlessly and pages fault in as usual).  Measured: huge pages
 * (MADV_HUGEPAGE) made runs twice slower there, as the kernel compacted
 * memory on every fault, so they are not used. */
#define _DEFAULT_SOURCE /* MADV_POPULATE_WRITE is outside _XOPEN_SOURCE */
#include <stdint.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

#include "alloc.h"

void *sa_alloc_large(size_t bytes)
{
    void *p = malloc(bytes ? bytes : 1);
#ifdef MADV_POPULATE_WRITE
    if (p && bytes >= (1u << 20)) {
        uintptr_t page = (uintptr_t)sysconf(_SC_PAGESIZE);
        uintptr_t start = ((uintptr_t)p + page - 1) & ~(page - 1);
        uintptr_t end = ((uintptr_t)p + bytes) & ~(page - 1);
        if (end > start)
            madvise((void *)start, end - start, MADV_POPULATE_WRITE);
    }
#endif
    return p;
}
