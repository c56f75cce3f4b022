/* clock.c — the monotonic clock the library and the CLI time phases by. */
#include <time.h>

#include "selfattn.h"

double sa_seconds(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}
