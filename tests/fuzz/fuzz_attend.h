/* fuzz_attend.h — runs sa_attention_forward on fuzzed inputs (the rows of
 * a batch line, or loaded weights) with a configuration drawn from a seed,
 * and checks what the header promises:
 *   - a failure is SA_ERR_DATA (float32 overflow) with the result zeroed;
 *     anything else after sa_weights_check passed is a bug;
 *   - the rows with no visible key (causal, window, mask) are exactly
 *     result.empty_rows, ascending; their output is zero (or NaN with
 *     masked_rows_nan), every other output is finite;
 *   - kept weights are in [0, 1], zero where masked, and sum to 1 per row;
 *     kept scores are -INFINITY exactly where masked;
 *   - the dense path (keep_weights) and the streaming path agree: both
 *     fail, or both succeed with the same output within rounding. */
#ifndef FUZZ_ATTEND_H
#define FUZZ_ATTEND_H

#include <cblas.h>

#include "fuzz_common.h"

/* Choices an input may fix instead of the hash (fuzz_json_weights reads
 * them from "_window", "_causal", "_heads" and "_compare"). */
typedef struct {
    bool has_window, has_causal, compare;
    long window;
    bool causal;
} fuzz_overrides;

static fuzz_overrides fuzz_fixed;  /* reset by each harness run */

/* A small configuration and its mask and bias, drawn from *rng. */
typedef struct {
    sa_config cfg;
    unsigned char *mask;  /* (n, m) or NULL */
    float *bias;          /* (n, m) or (H, n, m), or NULL */
} fuzz_setup;

/* True if key j is visible to query i under cfg (causal, window, mask). */
static inline bool fuzz_visible(const sa_config *cfg, size_t i, size_t j,
                                size_t m)
{
    if (cfg->causal && j > i)
        return false;
    if (cfg->window >= 0 && (i > j ? i - j : j - i) > (size_t)cfg->window)
        return false;
    if (cfg->mask && !cfg->mask[i * m + j])
        return false;
    return true;
}

static inline float fuzz_uniform(uint64_t *rng, float lo, float hi)
{
    return lo + (hi - lo) * (float)(fuzz_next(rng) >> 40) / (float)(1u << 24);
}

/* Fills s for heads H (dh each, G kv heads) over (n, m). */
static inline void fuzz_make_setup(fuzz_setup *s, uint64_t *rng, size_t H,
                                   size_t G, size_t dh, size_t n, size_t m)
{
    static const long windows[] = {-1, -1, -1, 0, 1, 2, 5, 1000};
    static const float softcaps[] = {0.0f, 0.0f, 0.0f, 5.0f, 50.0f, 0.5f};
    uint64_t bits = fuzz_next(rng);
    memset(s, 0, sizeof *s);
    s->cfg = sa_config_default();
    s->cfg.heads = H;
    s->cfg.kv_heads = (bits & 1) ? G : (G == H ? 0 : G);
    s->cfg.scale = (bits & 2) ? (float)(1.0 / sqrt((double)dh))
                              : fuzz_uniform(rng, -2.0f, 2.0f);
    s->cfg.softcap = softcaps[(bits >> 2) % 6];
    s->cfg.alibi = (bits >> 5) & 1;
    s->cfg.causal = ((bits >> 6) & 3) == 0;
    s->cfg.window = windows[(bits >> 8) % 8];
    s->cfg.masked_rows_nan = (bits >> 11) & 1;
    s->cfg.rope = dh % 2 == 0 && ((bits >> 12) & 3) == 0;
    s->cfg.rope_neox = (bits >> 14) & 1;
    s->cfg.rope_base = (bits >> 15) & 1 ? 10000.0f : 100.0f;
    s->cfg.pos_sinusoidal = ((bits >> 16) & 3) == 0;
    s->cfg.threads = 1 + (bits >> 18) % 3;
    if (fuzz_fixed.has_window)
        s->cfg.window = fuzz_fixed.window;
    if (fuzz_fixed.has_causal)
        s->cfg.causal = fuzz_fixed.causal;
    size_t nm = n * m;
    switch ((bits >> 20) % 4) {
    case 0: { /* a random mask, sometimes with rows masked entirely */
        s->mask = malloc(nm);
        if (!s->mask)
            abort();
        unsigned density = (unsigned)((bits >> 22) % 4);
        for (size_t k = 0; k < nm; k++)
            s->mask[k] = (fuzz_next(rng) & 3) >= density;
        s->cfg.mask = s->mask;
        break;
    }
    case 1: /* an all-ones mask: the same as none */
        s->mask = malloc(nm);
        if (!s->mask)
            abort();
        memset(s->mask, 1, nm);
        s->cfg.mask = s->mask;
        break;
    default:
        break;
    }
    if ((bits >> 24) % 3 == 0) {
        bool per_head = (bits >> 26) & 1;
        size_t count = per_head ? H * nm : nm;
        s->bias = malloc(count * sizeof *s->bias);
        if (!s->bias)
            abort();
        for (size_t k = 0; k < count; k++)
            s->bias[k] = fuzz_uniform(rng, -4.0f, 4.0f);
        s->cfg.bias = s->bias;
        s->cfg.bias_per_head = per_head;
    }
}

static inline void fuzz_free_setup(fuzz_setup *s)
{
    free(s->mask);
    free(s->bias);
    memset(s, 0, sizeof *s);
}

static inline float fuzz_max_abs(const float *a, size_t len)
{
    float m = 0.0f;
    for (size_t i = 0; a && i < len; i++)
        if (fabsf(a[i]) > m)
            m = fabsf(a[i]);
    return m;
}

/* Checks one forward result against the promises listed above. */
static inline void fuzz_check_result(sa_status st, const sa_result *r,
                                     const sa_error *err, const sa_config *cfg,
                                     size_t n, size_t m, const sa_weights *w)
{
    if (st) {
        fuzz_check_error(st, err);
        FUZZ_CHECK(st == SA_ERR_DATA);
        FUZZ_CHECK(!r->output && !r->weights && !r->q && !r->k && !r->v &&
                   !r->scores && !r->empty_rows && r->n_empty_rows == 0);
        return;
    }
    size_t H = cfg->heads, nm = n * m;
    FUZZ_CHECK(r->n == n && r->m == m && r->heads == H && r->output);
    FUZZ_CHECK(r->d_out == w->d_out && r->d_head == w->d_proj / H);
    FUZZ_CHECK(r->empty_rows || r->n_empty_rows == 0);
    /* the empty rows are exactly those without a visible key */
    size_t e = 0;
    for (size_t i = 0; i < n; i++) {
        bool any = false;
        for (size_t j = 0; j < m && !any; j++)
            any = fuzz_visible(cfg, i, j, m);
        bool listed = e < r->n_empty_rows && r->empty_rows[e] == i;
        FUZZ_CHECK(listed == !any);
        if (listed)
            e++;
    }
    FUZZ_CHECK(e == r->n_empty_rows);
    for (size_t i = 0, k = 0; i < n; i++) {
        bool empty = false;
        for (size_t t = 0; t < r->n_empty_rows; t++)
            empty |= r->empty_rows[t] == i;
        for (size_t j = 0; j < r->d_out; j++, k++)
            FUZZ_CHECK(isfinite(r->output[k]) ||
                       (empty && cfg->masked_rows_nan && isnan(r->output[k])));
    }
    bool keep = cfg->keep_weights || cfg->keep_steps;
    FUZZ_CHECK(!keep == !r->weights);
    FUZZ_CHECK(!cfg->keep_steps == !r->scores);
    FUZZ_CHECK(!cfg->keep_steps == !r->q && !cfg->keep_steps == !r->k &&
               !cfg->keep_steps == !r->v);
    if (r->weights)
        for (size_t h = 0; h < H; h++)
            for (size_t i = 0; i < n; i++) {
                const float *row = r->weights + h * nm + i * m;
                double sum = 0.0;
                bool any = false;
                for (size_t j = 0; j < m; j++) {
                    bool vis = fuzz_visible(cfg, i, j, m);
                    any |= vis;
                    if (isnan(row[j])) {
                        FUZZ_CHECK(cfg->masked_rows_nan);
                        continue;
                    }
                    FUZZ_CHECK(row[j] >= 0.0f && row[j] <= 1.0f + 1e-6f);
                    if (!vis)
                        FUZZ_CHECK(row[j] == 0.0f);
                    sum += row[j];
                }
                if (any)
                    FUZZ_CHECK(fabs(sum - 1.0) < 1e-3);
                else
                    FUZZ_CHECK(sum == 0.0);
            }
    if (r->scores)
        for (size_t h = 0; h < H; h++)
            for (size_t i = 0; i < n; i++)
                for (size_t j = 0; j < m; j++) {
                    float s = r->scores[h * nm + i * m + j];
                    if (fuzz_visible(cfg, i, j, m))
                        FUZZ_CHECK(isfinite(s));
                    else
                        FUZZ_CHECK(s == -INFINITY);
                }
}

/* Runs x (n, d) against ctx (m, d_ctx; NULL: self-attention) with weights
 * w and heads H, G (which must have passed sa_weights_check), a setup drawn
 * from rng; with keep (and small enough) both paths, compared. */
static inline void fuzz_attend(const float *x, size_t n, size_t d,
                               const float *ctx, size_t m, size_t d_ctx,
                               const sa_weights *w, size_t H, size_t G,
                               uint64_t *rng)
{
    fuzz_setup s;
    sa_result dense, stream;
    sa_error err;
    size_t dh = w->d_proj / H;
    size_t keys = ctx ? m : n;
    fuzz_make_setup(&s, rng, H, G, dh, n, keys);
    uint64_t bits = fuzz_next(rng);
    bool compare = ((bits & 1) || fuzz_fixed.compare) && H * n * keys <= (1u << 18);

    /* the streaming path (or the dense one when steps are asked for) */
    s.cfg.keep_steps = compare && ((bits >> 1) & 1);
    s.cfg.keep_weights = compare && !s.cfg.keep_steps;
    fuzz_reset_error(&err);
    sa_status st = sa_attention_forward(&dense, x, n, d, ctx, m, d_ctx, w,
                                        &s.cfg, &err);
    fuzz_check_result(st, &dense, &err, &s.cfg, n, keys, w);
    if (compare) {
        sa_config plain = s.cfg;
        plain.keep_weights = plain.keep_steps = false;
        fuzz_reset_error(&err);
        sa_status st2 = sa_attention_forward(&stream, x, n, d, ctx, m, d_ctx,
                                             w, &plain, &err);
        fuzz_check_result(st2, &stream, &err, &plain, n, keys, w);
        /* the same input fails (float32 overflow) on both paths or on
         * none; FUZZ_ALLOW_DIVERGENCE=1 in the environment skips this check
         * to fuzz past a known divergence */
        static int allow = -1;
        if (allow < 0)
            allow = getenv("FUZZ_ALLOW_DIVERGENCE") != NULL;
        FUZZ_CHECK(st == st2 || allow);
        if (!st && !st2) {
            /* |output| <= (|x| |Wv| d_ctx + |bv|) |Wo| P + |bo|: a bound of
             * the size of the rounding differences between the paths */
            const float *src = ctx ? ctx : x;
            size_t rows_src = ctx ? m : n, cols_src = ctx ? d_ctx : d;
            double v = ((double)fuzz_max_abs(src, rows_src * cols_src) +
                        (s.cfg.pos_sinusoidal ? 1.0 : 0.0)) *
                       fuzz_max_abs(w->wv, w->d_kv_in * w->d_kv) *
                       (double)w->d_kv_in + fuzz_max_abs(w->bv, w->d_kv);
            double bound = (w->wo ? v * fuzz_max_abs(w->wo, w->d_proj * w->d_out)
                                        * (double)w->d_proj : v) +
                           fuzz_max_abs(w->bo, w->d_out);
            double tol = 1e-4 * bound + 1e-30;
            for (size_t k = 0; k < n * w->d_out; k++) {
                float a = dense.output[k], b = stream.output[k];
                FUZZ_CHECK(isnan(a) == isnan(b));
                if (!isnan(a))
                    FUZZ_CHECK(fabs((double)a - (double)b) <= tol);
            }
            FUZZ_CHECK(dense.n_empty_rows == stream.n_empty_rows);
        }
        sa_result_free(&stream);
    }
    sa_result_free(&dense);
    fuzz_free_setup(&s);
}

/* Picks heads H and kv heads G that fit weights w (H divides P, G divides
 * H, G * (P / H) = Pkv), preferring the choice r; false if none. */
static inline bool fuzz_pick_heads(size_t *H, size_t *G, const sa_weights *w,
                                   uint64_t r)
{
    size_t options[64][2], count = 0;
    for (size_t h = 1; h <= w->d_proj && h <= 64 && count < 64; h++) {
        if (w->d_proj % h)
            continue;
        size_t dh = w->d_proj / h;
        if (w->d_kv % dh)
            continue;
        size_t g = w->d_kv / dh;
        if (g == 0 || h % g)
            continue;
        options[count][0] = h;
        options[count][1] = g;
        count++;
    }
    if (!count)
        return false;
    *H = options[r % count][0];
    *G = options[r % count][1];
    return true;
}

/* Every harness that attends: BLAS on one thread, as selfattn runs it. */
int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    openblas_set_num_threads(1);
    return 0;
}

#endif
