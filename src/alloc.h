/* alloc.h — memory for large arrays. */
#ifndef SA_ALLOC_H
#define SA_ALLOC_H

#include <stddef.h>

#include "selfattn.h"

/* malloc, with the pages of a large buffer (1 MiB up) faulted in at once,
 * and from 2 MiB up aligned to 2 MiB with transparent huge pages asked
 * for; free with free(), grow or shrink with realloc(). */
void *sa_alloc_large(size_t bytes);

/* Checks, before allocating, that bytes (a double: a need may pass
 * SIZE_MAX) is no more than this machine's memory; otherwise SA_ERR_NOMEM
 * with what ("the weights of 4 x 65536") and the need stated, as a
 * request past the memory would only fail later or be killed. */
sa_status sa_check_need(double bytes, const char *what, sa_error *err);

#endif
