/* test_span.c — attention over a sequence split into spans
 * (attention_span.c, what the ranks of an MPI run compute) against the
 * float64 reference tests/unit/naive.c: the queries cut zig-zag over R
 * simulated ranks as cli_ring.c cuts them, each rank's key block taken in
 * ring order (and once in reverse), K and V blocked for the tile kernels
 * or not, with every score modifier at global positions; and each rank's
 * dense rows (weights, scores and output, sa_attend_dense_rows) over
 * every key, as an MPI run computes them to print.  No MPI: the
 * blocks are passed by hand.  Tolerance as test_attention.c's.
 * Legend: n = queries, m = keys, d = model width, H = heads, G = kv
 * heads, dh = head width, P = H dh, Pkv = G dh, R = ranks. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "attention_internal.h"
#include "check.h"
#include "naive.h"

#define RTOL 1e-5
#define ATOL 1e-6

static float *random_array(sa_rng *rng, size_t len, float amplitude)
{
    float *a = malloc((len ? len : 1) * sizeof *a);
    for (size_t i = 0; i < len; i++)
        a[i] = amplitude * (2.0f * sa_rng_uniform(rng) - 1.0f);
    return a;
}

/* Rank r's two runs of total rows out of 2R chunks (cli_ring.c's cut). */
static void runs_of(size_t first[2], size_t rows[2], size_t r, size_t R,
                    size_t total)
{
    size_t c[2] = {r, 2 * R - 1 - r};
    for (int k = 0; k < 2; k++) {
        first[k] = c[k] * total / (2 * R);
        rows[k] = (c[k] + 1) * total / (2 * R) - first[k];
    }
}

static size_t padded(size_t rows)
{
    return (rows + SA_BLOCK - 1) / SA_BLOCK * SA_BLOCK;
}

typedef struct {
    size_t n, m, d, d_ctx, H, G, dh, R;
    bool causal, rope, alibi, pos, mask, bias, cross, reverse;
    long window;
    float softcap;
} span_case;

/* The key block of rank r: K then V, each run padded to whole blocks and
 * blocked when the kernels apply; *all the block's rows. */
static float *key_block(size_t *all, bool blocked, const float *keys,
                        size_t width, size_t r, const span_case *c,
                        const sa_weights *w, const sa_config *cfg)
{
    size_t first[2], rows[2], Pkv = w->d_kv;
    runs_of(first, rows, r, c->R, c->m);
    *all = padded(rows[0]) + padded(rows[1]);
    float *kv = calloc(2 * *all * Pkv + 1, sizeof *kv);
    float *tmp = malloc(SA_BLOCK * Pkv * sizeof *tmp);
    sa_error err;
    for (size_t k = 0, at = 0; k < 2; at += padded(rows[k]), k++) {
        CHECK(sa_span_keys(kv + at * Pkv, kv + (*all + at) * Pkv,
                           keys + first[k] * width, rows[k], first[k], width,
                           w, cfg, &err) == SA_OK, "%s", err.message);
        if (blocked) {
            sa_block_keys(kv + at * Pkv, padded(rows[k]), Pkv, tmp);
            sa_block_values(kv + (*all + at) * Pkv, padded(rows[k]), Pkv, tmp);
        }
    }
    free(tmp);
    return kv;
}

/* Rank qr's query runs (first, rows) and their Q (total, P), new, from
 * the input x (n, d) with its positions. */
static float *rank_q(size_t first[2], size_t rows[2], size_t qr,
                     const float *x, const span_case *c, const sa_weights *w,
                     const sa_config *cfg)
{
    size_t P = w->d_proj;
    runs_of(first, rows, qr, c->R, c->n);
    size_t total = rows[0] + rows[1];
    float *q = malloc((total * P + 1) * sizeof *q);
    float *xp = malloc((total * c->d + 1) * sizeof *xp);
    sa_error err;
    for (size_t k = 0, at = 0; k < 2; at += rows[k], k++) {
        memcpy(xp + at * c->d, x + first[k] * c->d, rows[k] * c->d * sizeof *xp);
        if (cfg->pos_sinusoidal)
            sa_sinusoidal_from(xp + at * c->d, first[k], rows[k], c->d);
        CHECK(sa_span_queries(q + at * P, xp + at * c->d, rows[k], first[k],
                              c->d, w, cfg, &err) == SA_OK, "%s", err.message);
    }
    free(xp);
    return q;
}

/* Rank qr's queries over every rank's key block, into concat (n, P) and
 * empty (n) at the queries' global rows. */
static void rank_queries(float *concat, bool *empty, size_t qr,
                         const float *x, const float *keys, size_t width,
                         const span_case *c, const sa_weights *w,
                         const sa_config *cfg, const float *slopes)
{
    size_t first[2], rows[2], P = w->d_proj, dh = c->dh;
    float *q = rank_q(first, rows, qr, x, c, w, cfg);
    size_t total = rows[0] + rows[1];
    bool *e = calloc(total + 1, sizeof *e);
    sa_online st;
    sa_error err;
    CHECK(sa_online_new(&st, total, P, c->H, &err) == SA_OK, "%s", err.message);
    bool blocked = sa_tile_kernels_usable(dh);
    sa_pass p = {cfg, c->n, c->m, c->H, c->G, dh, P, w->d_kv, q, NULL, NULL,
                 blocked, slopes, NULL, NULL, NULL};
    for (size_t step = 0; step < c->R; step++) {
        // ring order from this rank, or its reverse
        size_t owner = c->reverse ? (qr + step) % c->R : (qr + c->R - step) % c->R;
        size_t kfirst[2], krows[2], all;
        runs_of(kfirst, krows, owner, c->R, c->m);
        float *kv = key_block(&all, blocked, keys, width, owner, c, w, cfg);
        for (size_t a = 0, r0 = 0; a < 2; r0 += rows[a], a++)
            for (size_t b = 0, c0 = 0; b < 2; c0 += padded(krows[b]), b++)
                CHECK(sa_attend_span(&st, &p, r0, first[a], rows[a],
                                     kv + c0 * w->d_kv, kv + (all + c0) * w->d_kv,
                                     kfirst[b], krows[b]), "scores overflow");
        free(kv);
    }
    CHECK(sa_online_finish(e, &st, &p, &err) == SA_OK, "%s", err.message);
    for (size_t k = 0, at = 0; k < 2; at += rows[k], k++) {
        memcpy(concat + first[k] * P, st.acc + at * P, rows[k] * P * sizeof *concat);
        memcpy(empty + first[k], e + at, rows[k] * sizeof *e);
    }
    sa_online_free(&st);
    free(q);
    free(e);
}

/* The dense rows of rank qr (sa_attend_dense_rows, every key's K and V
 * row-major): its weights and scores into weights and scores (H, n, m),
 * its head outputs into concat (n, P), at the queries' global rows. */
static void rank_dense(float *weights, float *scores, float *concat, size_t qr,
                       const float *x, const float *keys, size_t width,
                       const span_case *c, const sa_weights *w,
                       const sa_config *cfg, const float *slopes)
{
    size_t first[2], rows[2], P = w->d_proj, Pkv = w->d_kv, m = c->m;
    float *q = rank_q(first, rows, qr, x, c, w, cfg);
    size_t total = rows[0] + rows[1], H = c->H;
    float *k = malloc(m * Pkv * sizeof *k), *v = malloc(m * Pkv * sizeof *v);
    float *a = malloc((H * total * m + 1) * sizeof *a);
    float *s = malloc((H * total * m + 1) * sizeof *s);
    float *o = malloc((total * P + 1) * sizeof *o);
    bool *e = calloc(total + 1, sizeof *e);
    sa_error err;
    CHECK(sa_span_keys(k, v, keys, m, 0, width, w, cfg, &err) == SA_OK, "%s",
          err.message);
    sa_pass p = {cfg, c->n, m, H, c->G, c->dh, P, Pkv, q, k, v, false,
                 slopes, o, e, NULL};
    sa_dense_rows d = {a, NULL, s, NULL, total * m, NULL, total};
    for (size_t r = 0, r0 = 0; r < 2; r0 += rows[r], r++)
        CHECK(sa_attend_dense_rows(&d, &p, r0, first[r], rows[r], &err) == SA_OK,
              "%s", err.message);
    for (size_t r = 0, r0 = 0; r < 2; r0 += rows[r], r++) {
        for (size_t h = 0; h < H; h++) {
            size_t to = (h * c->n + first[r]) * m, from = h * total * m + r0 * m;
            memcpy(weights + to, a + from, rows[r] * m * sizeof *a);
            memcpy(scores + to, s + from, rows[r] * m * sizeof *s);
        }
        memcpy(concat + first[r] * P, o + r0 * P, rows[r] * P * sizeof *o);
    }
    free(q); free(k); free(v); free(a); free(s); free(o); free(e);
}

/* Every rank's dense rows against the float64 weights, scores and
 * output. */
static void check_dense(const span_case *c, const double *want,
                        const double *weights, const double *scores,
                        const float *x, const float *keys, size_t width,
                        const sa_weights *w, const sa_config *cfg,
                        const float *slopes)
{
    size_t n = c->n, m = c->m, H = c->H, P = w->d_proj, d = w->d_out;
    float *a = malloc(H * n * m * sizeof *a), *s = malloc(H * n * m * sizeof *s);
    float *concat = malloc(n * P * sizeof *concat), *got = malloc(n * d * sizeof *got);
    for (size_t r = 0; r < c->R; r++)
        rank_dense(a, s, concat, r, x, keys, width, c, w, cfg, slopes);
    sa_span_output(got, concat, n, w, 1);
    double err_w, err_s, err_o;
    double worst_w = naive_worst(a, weights, H * n * m, RTOL, ATOL, &err_w);
    double worst_s = naive_worst_scaled(s, scores, H * n * m, RTOL, ATOL, &err_s);
    double worst_o = naive_worst(got, want, n * d, RTOL, ATOL, &err_o);
    CHECK(worst_w <= 1, "R=%zu dense rows: weights off by %g", c->R, err_w);
    CHECK(worst_s <= 1, "R=%zu dense rows: scores off by %g", c->R, err_s);
    CHECK(worst_o <= 1, "R=%zu dense rows: output off by %g", c->R, err_o);
    free(a); free(s); free(concat); free(got);
}

static void check_case(const span_case *c, uint64_t seed)
{
    sa_rng rng;
    sa_rng_seed(&rng, seed);
    size_t n = c->n, m = c->cross ? c->m : n, d = c->d;
    size_t d_ctx = c->cross ? c->d_ctx : d, P = c->H * c->dh, Pkv = c->G * c->dh;
    span_case cc = *c;
    cc.m = m;
    sa_weights w = {.d_model = d, .d_kv_in = d_ctx, .d_proj = P, .d_kv = Pkv,
                    .d_out = d};
    w.wq = random_array(&rng, d * P, (float)(1.0 / sqrt((double)d)));
    w.wk = random_array(&rng, d_ctx * Pkv, (float)(1.0 / sqrt((double)d_ctx)));
    w.wv = random_array(&rng, d_ctx * Pkv, (float)(1.0 / sqrt((double)d_ctx)));
    w.wo = random_array(&rng, P * d, (float)(1.0 / sqrt((double)P)));
    w.bq = random_array(&rng, P, 0.3f);
    w.bk = random_array(&rng, Pkv, 0.3f);
    w.bv = random_array(&rng, Pkv, 0.3f);
    w.bo = random_array(&rng, d, 0.3f);
    float *x = random_array(&rng, n * d, 1.0f);
    float *ctx = c->cross ? random_array(&rng, m * d_ctx, 1.0f) : NULL;
    float *bias = c->bias ? random_array(&rng, c->H * n * m, 2.0f) : NULL;
    unsigned char *mask = NULL;
    if (c->mask) {
        mask = malloc(n * m);
        for (size_t i = 0; i < n * m; i++)
            mask[i] = sa_rng_uniform(&rng) < 0.7f;
        memset(mask + (n / 2) * m, 0, m);  // one query sees nothing
    }
    sa_config cfg = sa_config_default();
    cfg.heads = c->H;
    cfg.kv_heads = c->G;
    cfg.causal = c->causal;
    cfg.window = c->window;
    cfg.softcap = c->softcap;
    cfg.alibi = c->alibi;
    cfg.rope = c->rope;
    cfg.pos_sinusoidal = c->pos;
    cfg.mask = mask;
    cfg.bias = bias;
    cfg.bias_per_head = bias != NULL;
    double *want = malloc(n * d * sizeof *want);
    double *weights = malloc(c->H * n * m * sizeof *weights);
    double *scores = malloc(c->H * n * m * sizeof *scores);
    naive_attention(want, weights, scores, x, n, d, ctx, m, d_ctx, &w, &cfg);

    // the ranks: scale resolved as sa_attention_forward resolves it
    sa_config resolved = cfg;
    resolved.scale = sa_config_scale(&cfg, c->dh);
    float *slopes = malloc(c->H * sizeof *slopes);
    sa_alibi_slopes(slopes, c->H);
    float *keys = ctx, *xpos = NULL;
    if (!c->cross) {  // the keys are the queries' rows, with their positions
        xpos = malloc(n * d * sizeof *xpos);
        memcpy(xpos, x, n * d * sizeof *xpos);
        if (c->pos)
            sa_sinusoidal_from(xpos, 0, n, d);
        keys = xpos;
    }
    float *concat = malloc(n * P * sizeof *concat), *got = malloc(n * d * sizeof *got);
    bool *empty = calloc(n, sizeof *empty);
    for (size_t r = 0; r < c->R; r++)
        rank_queries(concat, empty, r, x, keys, d_ctx, &cc, &w, &resolved, slopes);
    sa_span_output(got, concat, n, &w, 1);
    double max_abs, worst = naive_worst(got, want, n * d, RTOL, ATOL, &max_abs);
    printf("  n=%zu m=%zu H=%zu G=%zu dh=%zu R=%zu%s%s%s%s%s%s%s%s%s%s: max diff %.2g\n",
           n, m, c->H, c->G, c->dh, c->R, c->causal ? " causal" : "",
           c->window >= 0 ? " window" : "", c->rope ? " rope" : "",
           c->alibi ? " alibi" : "", c->pos ? " pos" : "",
           c->mask ? " mask" : "", c->bias ? " bias" : "",
           c->softcap > 0 ? " softcap" : "", c->cross ? " cross" : "",
           c->reverse ? " reversed" : "", max_abs);
    CHECK(worst <= 1, "R=%zu: output off by %g", c->R, max_abs);
    if (c->mask)
        CHECK(empty[n / 2], "the row that sees nothing is not listed");
    check_dense(&cc, want, weights, scores, x, keys, d_ctx, &w, &resolved, slopes);
    free(w.wq); free(w.wk); free(w.wv); free(w.wo);
    free(w.bq); free(w.bk); free(w.bv); free(w.bo);
    free(x); free(ctx); free(bias); free(mask); free(want); free(weights); free(scores); free(slopes);
    free(xpos); free(concat); free(got); free(empty);
}

int main(void)
{
    check_kernels_from_env();
    static const span_case cases[] = {
        // n, m, d, d_ctx, H, G, dh, R, causal, rope, alibi, pos, mask, bias, cross, reverse, window, softcap
        {37, 0, 16, 0, 2, 2, 8, 1, false, false, false, false, false, false, false, false, -1, 0},
        {37, 0, 16, 0, 2, 2, 8, 3, false, false, false, false, false, false, false, false, -1, 0},
        {300, 0, 32, 0, 2, 1, 16, 4, true, true, false, false, false, false, false, false, -1, 0},
        {300, 0, 32, 0, 2, 2, 16, 3, true, false, true, true, false, false, false, true, -1, 0},
        {530, 0, 32, 0, 2, 2, 16, 2, false, true, false, false, false, false, false, false, 40, 0},
        {45, 0, 16, 0, 4, 2, 4, 5, true, false, false, false, true, true, false, false, -1, 3.0f},
        {3, 0, 8, 0, 2, 2, 4, 4, true, true, false, false, false, false, false, false, -1, 0},
        {29, 41, 16, 12, 2, 2, 16, 3, false, true, false, false, true, true, true, false, -1, 0},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++)
        check_case(&cases[i], 1000 + i);
    return check_summary("test_span");
}
