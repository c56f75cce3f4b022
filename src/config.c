/* config.c — making and checking an sa_config: the defaults of the usual
 * attention, the check every call taking a config makes, and the scale a
 * config means.  dh = head width. */
#include <math.h>

#include "selfattn.h"

sa_config sa_config_default(void)
{
    return (sa_config){
        .heads = 1,
        .kv_heads = 0,        // G = H
        .scale = 0.0f,        // 1/sqrt(dh), sa_config_scale
        .window = -1,         // none
        .rope_base = 10000.0f,
        .threads = 0,         // one
        .magic = SA_CONFIG_MAGIC,
    };
}

sa_status sa_config_check(const sa_config *cfg, sa_error *err)
{
    if (!cfg || cfg->magic != SA_CONFIG_MAGIC)
        return sa_fail(err, SA_ERR_USAGE, 0, 0,
                       "the sa_config was not made by sa_config_default()");
    return SA_OK;
}

float sa_config_scale(const sa_config *cfg, size_t dh)
{
    // a zero scale would make every score 0: it means the usual one
    return cfg->scale != 0.0f ? cfg->scale : (float)(1.0 / sqrt((double)dh));
}
