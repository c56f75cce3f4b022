/* rng.c — splitmix64, the project's portable PRNG for generated weights. */
#include "selfattn.h"

void sa_rng_seed(sa_rng *rng, uint64_t seed)
{
    rng->state = seed;
}

uint64_t sa_rng_next(sa_rng *rng)
{
    uint64_t z = (rng->state += 0x9e3779b97f4a7c15u);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9u;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebu;
    return z ^ (z >> 31);
}

float sa_rng_uniform(sa_rng *rng)
{
    /* the top 24 bits, scaled by 2^-24: every value is exact in float32 */
    return (float)(sa_rng_next(rng) >> 40) * (1.0f / 16777216.0f);
}
