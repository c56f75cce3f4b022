/* tiles.c — the streaming path's two tile products without BLAS, for head
 * widths that are multiples of 16: K and V rearranged once per pass, in
 * place, into blocks of 16 rows that the kernels read in order
 * (sa_block_keys, sa_block_values), and the kernel of the set in use
 * (kernels_avx2.c, kernels_avx512.c; the plain loops of
 * kernels_generic.c otherwise).  Legend as in kernels.h. */
#include <assert.h>
#include <string.h>

#include "kernels.h"

void sa_block_keys(float *k, size_t m16, size_t Pkv, float *tmp)
{
    for (size_t b = 0; b < m16; b += SA_BLOCK) {
        float *block = k + b * Pkv;
        memcpy(tmp, block, SA_BLOCK * Pkv * sizeof *tmp);
        for (size_t r = 0; r < SA_BLOCK; r++)
            for (size_t c = 0; c < Pkv; c++)
                block[c * SA_BLOCK + r] = tmp[r * Pkv + c];
    }
}

void sa_block_values(float *v, size_t m16, size_t Pkv, float *tmp)
{
    for (size_t b = 0; b < m16; b += SA_BLOCK) {
        float *block = v + b * Pkv;
        memcpy(tmp, block, SA_BLOCK * Pkv * sizeof *tmp);
        for (size_t c = 0; c < Pkv; c += SA_BLOCK)
            for (size_t r = 0; r < SA_BLOCK; r++)
                memcpy(block + c * SA_BLOCK + r * SA_BLOCK, tmp + r * Pkv + c,
                       SA_BLOCK * sizeof *tmp);
    }
}

void sa_unblock_keys(float *k, size_t m16, size_t Pkv, float *tmp)
{
    for (size_t b = 0; b < m16; b += SA_BLOCK) {
        float *block = k + b * Pkv;
        memcpy(tmp, block, SA_BLOCK * Pkv * sizeof *tmp);
        for (size_t r = 0; r < SA_BLOCK; r++)
            for (size_t c = 0; c < Pkv; c++)
                block[r * Pkv + c] = tmp[c * SA_BLOCK + r];
    }
}

void sa_unblock_values(float *v, size_t m16, size_t Pkv, float *tmp)
{
    for (size_t b = 0; b < m16; b += SA_BLOCK) {
        float *block = v + b * Pkv;
        memcpy(tmp, block, SA_BLOCK * Pkv * sizeof *tmp);
        for (size_t c = 0; c < Pkv; c += SA_BLOCK)
            for (size_t r = 0; r < SA_BLOCK; r++)
                memcpy(block + r * Pkv + c, tmp + c * SA_BLOCK + r * SA_BLOCK,
                       SA_BLOCK * sizeof *tmp);
    }
}

bool sa_tile_kernels_usable(size_t dh)
{
    return dh > 0 && dh % SA_BLOCK == 0 && sa_kernels()->tile_scores != NULL;
}

void sa_tile_scores(float *s, size_t ld_s, const float *q, size_t ld_q,
                    size_t rows, const float *kb, size_t Pkv, size_t cols,
                    size_t dh, float scale)
{
    const sa_kernel_set *set = sa_kernels();
    assert(rows % SA_TILE_ROWS == 0 && dh % SA_BLOCK == 0);
    if (set->tile_scores)
        set->tile_scores(s, ld_s, q, ld_q, rows, kb, Pkv, cols, dh, scale);
    else
        sa_tile_scores_ref(s, ld_s, q, ld_q, rows, kb, Pkv, cols, dh, scale);
}

void sa_tile_values(float *acc, const float *p, size_t ld_p, const float *vb,
                    size_t Pkv, size_t rows, size_t cols, size_t dh)
{
    const sa_kernel_set *set = sa_kernels();
    assert(rows % SA_TILE_ROWS == 0 && dh % SA_BLOCK == 0);
    if (set->tile_values)
        set->tile_values(acc, p, ld_p, vb, Pkv, rows, cols, dh);
    else
        sa_tile_values_ref(acc, p, ld_p, vb, Pkv, rows, cols, dh);
}
