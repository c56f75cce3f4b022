/* alloc.h — memory for large arrays. */
#ifndef SA_ALLOC_H
#define SA_ALLOC_H

#include <stddef.h>

/* malloc, with the pages of a large buffer (1 MiB up) faulted in at once,
 * and from 2 MiB up aligned to 2 MiB with transparent huge pages asked
 * for; free with free(), grow or shrink with realloc(). */
void *sa_alloc_large(size_t bytes);

#endif
