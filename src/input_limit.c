/* input_limit.c — the input limit (--max-input): the most bytes one input
 * whose memory grows with its text may have, and its message. */
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>

#include "format.h"

static atomic_size_t input_limit = SA_INPUT_LIMIT_DEFAULT;

void sa_set_input_limit(size_t bytes)
{
    atomic_store(&input_limit, bytes ? bytes : SA_INPUT_LIMIT_DEFAULT);
}

size_t sa_input_limit(void)
{
    return atomic_load(&input_limit);
}

sa_status sa_fail_input_limit(sa_error *err, const char *what, size_t bytes)
{
    char has[32], limit[32];
    sa_format_bytes(limit, sizeof limit, (double)sa_input_limit());
    if (bytes == 0)
        return sa_fail(err, SA_ERR_DATA, 0, 0, "%s is longer than the input "
                       "limit of %s (see --max-input)", what, limit);
    sa_format_bytes(has, sizeof has, (double)bytes);
    if (strcmp(has, limit) == 0) {  // the same once rounded: in bytes
        snprintf(has, sizeof has, "%zu bytes", bytes);
        snprintf(limit, sizeof limit, "%zu", sa_input_limit());
    }
    return sa_fail(err, SA_ERR_DATA, 0, 0, "%s is %s, more than the input "
                   "limit of %s (see --max-input)", what, has, limit);
}
