/* positions.c — where tokens are: sinusoidal encodings, rotary embeddings
 * (RoPE) and ALiBi slopes.  Angles are computed in double precision. */
#include <math.h>

#include "attention_internal.h"

void sa_sinusoidal_from(float *x, size_t first, size_t n, size_t d)
{
    // x[r, c] += sin(p / 10000^(2i/d)) for c = 2i, cos(...) for c = 2i + 1,
    // at position p = first + r
    for (size_t r = 0; r < n; r++)
        for (size_t c = 0; c < d; c++) {
            double angle = (double)(first + r) /
                           pow(10000.0, (double)(c - c % 2) / (double)d);
            x[r * d + c] += (float)(c % 2 ? cos(angle) : sin(angle));
        }
}

void sa_sinusoidal(float *x, size_t n, size_t d)
{
    sa_sinusoidal_from(x, 0, n, d);
}

/* Rotates the pairs of x by sign times their angles: sa_rope (+1) and its
 * transpose (-1) with the same cosines and sines. */
static void rotate(float *x, size_t first, size_t rows, size_t heads,
                   size_t dh, size_t ld, float base, bool neox, float sign)
{
    size_t half = dh / 2;
    for (size_t r = 0; r < rows; r++)
        for (size_t t = 0; t < half; t++) {
            size_t p = first + r;  // the row's position
            // pair t turns by p * base^(-2t/dh)
            double angle = (double)p * pow((double)base, -2.0 * (double)t / (double)dh);
            float c = (float)cos(angle), s = sign * (float)sin(angle);
            size_t i0 = neox ? t : 2 * t, i1 = neox ? t + half : 2 * t + 1;
            for (size_t h = 0; h < heads; h++) {
                float *head = x + r * ld + h * dh;
                float a = head[i0], b = head[i1];
                head[i0] = a * c - b * s;
                head[i1] = a * s + b * c;
            }
        }
}

void sa_rope(float *x, size_t rows, size_t heads, size_t dh, size_t ld,
             float base, bool neox)
{
    rotate(x, 0, rows, heads, dh, ld, base, neox, 1.0f);
}

void sa_rope_from(float *x, size_t first, size_t rows, size_t heads,
                  size_t dh, size_t ld, float base, bool neox)
{
    rotate(x, first, rows, heads, dh, ld, base, neox, 1.0f);
}

void sa_rope_transpose(float *dx, size_t rows, size_t heads, size_t dh,
                       size_t ld, float base, bool neox)
{
    // (a, b) -> (a c + b s, -a s + b c): the rotation's transpose
    rotate(dx, 0, rows, heads, dh, ld, base, neox, -1.0f);
}

/* The slopes of a power-of-two head count: 2^(-8(h+1)/H). */
static double pow2_slope(size_t h, size_t heads)
{
    return pow(2.0, -8.0 * (double)(h + 1) / (double)heads);
}

void sa_alibi_slopes(float *slopes, size_t heads)
{
    size_t n2 = 1;
    while (n2 * 2 <= heads)
        n2 *= 2;
    for (size_t h = 0; h < heads; h++)
        slopes[h] = (float)(h < n2 ? pow2_slope(h, n2)
                                   : pow2_slope(2 * (h - n2), 2 * n2));
}
