/* alloc.h — memory for large arrays. */
#ifndef SA_ALLOC_H
#define SA_ALLOC_H

#include <stddef.h>

/* malloc, with the pages of a large buffer (1 MiB up) faulted in at once;
 * free with free(), grow with realloc(). */
void *sa_alloc_large(size_t bytes);

#endif
