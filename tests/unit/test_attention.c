/* test_attention.c — the BLAS attention against the float64 naive reference
 * on random cases, and against the committed PyTorch/NumPy reference data
 * (tests/reference/cases).  Tolerance: |got - want| <= 1e-5 |want| + 1e-6. */
#include <dirent.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <cJSON.h>

#include "check.h"
#include "kernels.h"
#include "naive.h"

#define RTOL 1e-5
#define ATOL 1e-6

/* A uniform float in [-1, 1) from the library's PRNG. */
static float draw(sa_rng *rng)
{
    return 2.0f * sa_rng_uniform(rng) - 1.0f;
}

static float *random_array(sa_rng *rng, size_t len, float amplitude)
{
    float *a = malloc((len ? len : 1) * sizeof *a);
    for (size_t i = 0; i < len; i++)
        a[i] = amplitude * draw(rng);
    return a;
}

/* One random case: shapes and the variant options of sa_config. */
typedef struct {
    size_t n, d, heads, d_head, d_out;
    bool wo, biases, causal, mask;
    float scale;      /* 0: 1/sqrt(dh) */
    size_t m, d_ctx;  /* m > 0: cross-attention over an (m, d_ctx) context */
    size_t kv_heads;  /* 0: H */
    int bias;         /* 0 none, 1 shared (n, m), 2 per head (H, n, m) */
    bool rope, neox, alibi, pos, nan_rows;
    long window;      /* 0 in the table means none; stored + 1 */
    float softcap;
} random_case;

/* The intermediates of the dense path's steps against the arrays they come
 * from, in double: raw_scores = q.k, exp = exp(scores - the row's max),
 * weights = exp / rowsum (rows that see a key), head_output = weights V,
 * concat = the heads side by side, and the output = concat without Wo.
 * Every configuration of the random cases goes through it. */
static void check_steps(const sa_result *r, const sa_weights *w,
                        const char *what)
{
    size_t n = r->n, m = r->m, H = r->heads, dh = r->d_head, P = H * dh;
    double worst = 0, worst_exp = 0, worst_ratio = 0, worst_out = 0;
    bool concat_same = true;
    for (size_t h = 0; h < H; h++)
        for (size_t i = 0; i < n; i++) {
            const float *q = r->q + (h * n + i) * dh;
            const float *s = r->scores + (h * n + i) * m;
            const float *e = r->exp_scores + (h * n + i) * m;
            const float *a = r->weights + (h * n + i) * m;
            float sum = r->rowsum[h * n + i], max = -INFINITY;
            for (size_t j = 0; j < m; j++)
                max = s[j] > max ? s[j] : max;
            for (size_t j = 0; j < m; j++) {
                double dot = 0;
                for (size_t t = 0; t < dh; t++)
                    dot += (double)q[t] * r->k[(h * m + j) * dh + t];
                double raw = r->raw_scores[(h * n + i) * m + j];
                worst = fmax(worst, fabs(raw - dot) / (1e-5 + 1e-5 * fabs(dot)));
                double want = max == -INFINITY ? 0.0 : exp((double)s[j] - (double)max);
                worst_exp = fmax(worst_exp, fabs(e[j] - want) / (1e-6 + 1e-5 * want));
                if (sum > 0)
                    worst_ratio = fmax(worst_ratio, fabs(a[j] - (double)e[j] / sum) /
                                       (1e-6 + 1e-5 * fabs(a[j])));
            }
            for (size_t t = 0; t < dh && sum > 0; t++) {
                double o = 0;
                for (size_t j = 0; j < m; j++)
                    o += (double)a[j] * r->v[(h * m + j) * dh + t];
                float got = r->head_output[(h * n + i) * dh + t];
                worst_out = fmax(worst_out, fabs(got - o) / (1e-5 + 1e-5 * fabs(o)));
                concat_same &= memcmp(&got, &r->concat[i * P + h * dh + t], sizeof got) == 0;
            }
        }
    CHECK(worst <= 1, "%s: raw_scores are not q.k (%g tolerances)", what, worst);
    CHECK(worst_exp <= 1, "%s: exp is not exp(scores - max) (%g)", what, worst_exp);
    CHECK(worst_ratio <= 1, "%s: weights are not exp / rowsum (%g)", what, worst_ratio);
    CHECK(worst_out <= 1, "%s: head_output is not weights V (%g)", what, worst_out);
    CHECK(concat_same, "%s: concat is not the heads side by side", what);
    if (!w->wo && !w->bo && !r->n_empty_rows)
        CHECK(memcmp(r->output, r->concat, n * P * sizeof(float)) == 0,
              "%s: without Wo the output is not concat", what);
}

/* Runs one random case on the BLAS path (with and without keeping the
 * weights) and compares output, weights, scores and Q with the reference. */
static void check_random_case(const random_case *c, uint64_t seed)
{
    sa_rng rng;
    sa_rng_seed(&rng, seed);
    size_t n = c->n, d = c->d, H = c->heads, dh = c->d_head, P = H * dh;
    size_t G = c->kv_heads ? c->kv_heads : H, Pkv = G * dh;
    size_t m = c->m ? c->m : n, d_ctx = c->m ? c->d_ctx : d;
    size_t d_out = c->wo ? c->d_out : P;
    sa_weights w = {.d_model = d, .d_kv_in = d_ctx, .d_proj = P, .d_kv = Pkv,
                    .d_out = d_out};
    /* weights at the scale of nn.Linear's initialisation, inputs ~ 1: with
     * much larger scores float32 itself loses the 1e-5 relative agreement */
    w.wq = random_array(&rng, d * P, (float)(1.0 / sqrt((double)d)));
    w.wk = random_array(&rng, d_ctx * Pkv, (float)(1.0 / sqrt((double)d_ctx)));
    w.wv = random_array(&rng, d_ctx * Pkv, (float)(1.0 / sqrt((double)d_ctx)));
    if (c->wo)
        w.wo = random_array(&rng, P * d_out, (float)(1.0 / sqrt((double)P)));
    if (c->biases) {
        w.bq = random_array(&rng, P, 0.3f);
        w.bk = random_array(&rng, Pkv, 0.3f);
        w.bv = random_array(&rng, Pkv, 0.3f);
        w.bo = random_array(&rng, d_out, 0.3f);
    }
    float *x = random_array(&rng, n * d, 1.0f);
    float *ctx = c->m ? random_array(&rng, m * d_ctx, 1.0f) : NULL;
    float *bias = c->bias ? random_array(&rng, (c->bias == 2 ? H : 1) * n * m, 2.0f) : NULL;
    unsigned char *mask = NULL;
    if (c->mask) {
        mask = malloc(n * m);
        for (size_t i = 0; i < n * m; i++)
            mask[i] = sa_rng_uniform(&rng) < 0.7f;
        memset(mask + (n / 2) * m, 0, m);  /* one query sees nothing */
    }
    sa_config cfg = sa_config_default();
    cfg.heads = H;
    cfg.kv_heads = G;
    cfg.causal = c->causal;
    cfg.mask = mask;
    cfg.scale = c->scale;  /* 0: the library's 1/sqrt(dh), naive's own */
    cfg.softcap = c->softcap;
    cfg.alibi = c->alibi;
    cfg.bias = bias;
    cfg.bias_per_head = c->bias == 2;
    cfg.window = c->window - 1;
    cfg.masked_rows_nan = c->nan_rows;
    cfg.rope = c->rope;
    cfg.rope_neox = c->neox;
    cfg.pos_sinusoidal = c->pos;
    cfg.keep_weights = true;
    cfg.keep_steps = true;

    double *out = malloc(n * d_out * sizeof *out);
    double *weights = malloc(H * n * m * sizeof *weights);
    double *scores = malloc(H * n * m * sizeof *scores);
    naive_attention(out, weights, scores, x, n, d, ctx, m, d_ctx, &w, &cfg);

    sa_result r, lean;
    sa_error err;
    char what[200];
    snprintf(what, sizeof what, "n=%zu m=%zu d=%zu H=%zu G=%zu dh=%zu%s%s%s%s%s%s%s%s%s%s%s%s",
             n, m, d, H, G, dh, c->wo ? " Wo" : "", c->biases ? " biases" : "",
             c->causal ? " causal" : "", c->mask ? " mask" : "",
             c->rope ? (c->neox ? " rope-neox" : " rope") : "",
             c->alibi ? " alibi" : "", c->pos ? " pos" : "",
             c->softcap ? " softcap" : "", c->window ? " window" : "",
             c->bias == 1 ? " bias" : c->bias == 2 ? " bias/head" : "",
             c->nan_rows ? " nan-rows" : "", c->m ? " cross" : "");
    CHECK(sa_attention_forward(&r, x, n, d, ctx, m, d_ctx, &w, &cfg, &err) == SA_OK,
          "%s: %s", what, err.message);
    double max_abs;
    double worst = naive_worst(r.output, out, n * d_out, RTOL, ATOL, &max_abs);
    CHECK(worst <= 1, "%s: output off by %g", what, max_abs);
    printf("  %-62s output max diff %.2g", what, max_abs);
    worst = naive_worst(r.weights, weights, H * n * m, RTOL, ATOL, &max_abs);
    CHECK(worst <= 1, "%s: weights off by %g", what, max_abs);
    printf(", weights %.2g\n", max_abs);
    worst = naive_worst(r.scores, scores, H * n * m, 1e-4, 1e-5, &max_abs);
    CHECK(worst <= 1, "%s: scores off by %g", what, max_abs);
    check_steps(&r, &w, what);

    /* every query with no visible key is listed once, and only those */
    size_t expect_empty = 0;
    for (size_t i = 0; i < n; i++) {
        bool any = false;
        for (size_t j = 0; j < m; j++)
            any |= scores[i * m + j] != -INFINITY;
        expect_empty += !any;
    }
    CHECK(r.n_empty_rows == expect_empty, "%s: %zu empty rows, expected %zu",
          what, r.n_empty_rows, expect_empty);

    /* the streaming path (no weights kept) agrees with the reference too,
     * finds the same empty rows, and gives the same bits on 1 or 3 threads */
    cfg.keep_weights = cfg.keep_steps = false;
    cfg.threads = 1;
    CHECK(sa_attention_forward(&lean, x, n, d, ctx, m, d_ctx, &w, &cfg, &err) == SA_OK,
          "%s: %s", what, err.message);
    worst = naive_worst(lean.output, out, n * d_out, RTOL, ATOL, &max_abs);
    CHECK(worst <= 1, "%s: streaming output off by %g", what, max_abs);
    CHECK(lean.weights == NULL && lean.scores == NULL,
          "%s: weights kept though not asked for", what);
    CHECK(lean.n_empty_rows == r.n_empty_rows, "%s: streaming found %zu empty "
          "rows, dense %zu", what, lean.n_empty_rows, r.n_empty_rows);
    sa_result threaded;
    cfg.threads = 3;
    CHECK(sa_attention_forward(&threaded, x, n, d, ctx, m, d_ctx, &w, &cfg, &err) == SA_OK,
          "%s: %s", what, err.message);
    CHECK(memcmp(threaded.output, lean.output, n * d_out * sizeof(float)) == 0,
          "%s: 3 threads give other bits than 1", what);
    sa_result_free(&threaded);

    /* each lesser set of kernels (AVX2 below AVX-512; none: BLAS tile
     * products, plain exp and max, in another summing order) agrees with
     * the reference too: sets differ in the last bits only */
    cfg.threads = 1;
    for (sa_isa isa = SA_ISA_PLAIN; isa < sa_isa_active(); isa++) {
        sa_isa previous = sa_isa_limit(isa);
        sa_result lesser;
        CHECK(sa_attention_forward(&lesser, x, n, d, ctx, m, d_ctx, &w, &cfg, &err) ==
              SA_OK, "%s: %s", what, err.message);
        sa_isa_limit(previous);
        worst = naive_worst(lesser.output, out, n * d_out, RTOL, ATOL, &max_abs);
        CHECK(worst <= 1, "%s: output with the %s kernels off by %g", what,
              sa_isa_name(isa), max_abs);
        sa_result_free(&lesser);
    }

    sa_result_free(&r);
    sa_result_free(&lean);
    sa_weights_free(&w);
    free(x);
    free(ctx);
    free(bias);
    free(mask);
    free(out);
    free(weights);
    free(scores);
}

static void test_random_cases(void)
{
    static const random_case cases[] = {
        /* n, d, H, dh, d_out, wo, biases, causal, mask, scale, then variants */
        {1, 4, 1, 4, 0, false, false, false, false, 0, .m = 0},
        {3, 4, 1, 3, 0, false, false, false, false, 1.0f, .m = 0},
        {5, 8, 2, 4, 8, true, true, false, false, 0, .m = 0},
        {7, 6, 3, 5, 4, true, true, true, false, 0, .m = 0},
        {9, 12, 4, 3, 0, false, true, false, true, 0, .m = 0},
        {17, 16, 2, 8, 16, true, false, true, true, 0, .m = 0},
        {64, 32, 4, 8, 32, true, true, true, false, 0, .m = 0},
        {100, 24, 3, 8, 10, true, true, false, true, 0.2f, .m = 0},
        {130, 64, 8, 8, 64, true, true, false, false, 0, .m = 0},
        /* cross-attention, GQA, positions, scores modifiers, alone */
        {6, 8, 2, 4, 8, true, true, false, false, 0, .m = 9, .d_ctx = 5},
        {8, 16, 4, 4, 16, true, true, false, false, 0, .kv_heads = 2},
        {8, 16, 4, 4, 16, true, false, false, false, 0, .kv_heads = 1},
        {7, 10, 2, 4, 0, false, true, false, false, 0, .pos = true},
        {9, 8, 2, 4, 8, true, true, false, false, 0, .rope = true},
        {9, 8, 2, 6, 8, true, true, false, false, 0, .rope = true, .neox = true},
        {10, 8, 4, 2, 8, true, false, false, false, 0, .alibi = true},
        {10, 12, 3, 4, 12, true, false, false, false, 0, .alibi = true},
        {10, 12, 6, 2, 12, true, false, false, false, 0, .alibi = true},
        {11, 8, 2, 4, 8, true, true, false, false, 0, .window = 2 + 1},
        {11, 8, 2, 4, 8, true, true, false, false, 3.0f, .softcap = 1.5f},
        {7, 8, 2, 4, 8, true, true, false, false, 0, .bias = 1},
        {7, 8, 2, 4, 8, true, true, false, false, 0, .bias = 2},
        {7, 8, 2, 4, 8, true, true, false, true, 0, .nan_rows = true},
        /* combinations */
        {12, 8, 2, 4, 8, true, true, true, false, 0, .rope = true, .window = 3 + 1},
        {12, 16, 4, 4, 16, true, true, false, false, 0, .kv_heads = 2, .alibi = true},
        {6, 8, 2, 4, 8, true, true, false, true, 0, .m = 10, .d_ctx = 6, .bias = 2,
         .window = 4 + 1},
        {9, 12, 6, 2, 12, true, true, true, true, 0, .kv_heads = 3, .rope = true,
         .neox = true, .alibi = true, .softcap = 2.0f, .bias = 1, .pos = true,
         .window = 0 + 1},
        /* several query and key tiles of the streaming path, tiles skipped */
        {600, 32, 2, 16, 32, true, true, true, false, 0, .m = 0},
        {300, 16, 2, 8, 16, true, true, false, true, 0, .m = 1100, .d_ctx = 12,
         .window = 200 + 1},
        {700, 16, 4, 4, 16, true, true, true, false, 0, .kv_heads = 2, .alibi = true,
         .window = 300 + 1},
        /* head widths of the tile kernels (multiples of 16), edge tiles */
        {250, 64, 1, 64, 64, true, true, false, false, 0, .m = 0},
        {130, 64, 2, 32, 64, true, true, true, true, 0, .kv_heads = 1},
        {70, 32, 2, 16, 32, true, true, false, false, 0, .m = 300, .d_ctx = 24,
         .alibi = true, .bias = 2, .softcap = 3.0f},
        {45, 128, 1, 128, 0, false, false, false, false, 0, .rope = true,
         .window = 10 + 1},
    };
    printf("random cases against the float64 naive reference:\n");
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        check_random_case(&cases[i], 1000 + i);
}

/* Reads path into a parsed cJSON tree, or NULL. */
static cJSON *load_json(const char *path)
{
    char *text;
    size_t len;
    sa_error err;
    if (sa_read_file(&text, &len, path, &err))
        return NULL;
    cJSON *root = cJSON_Parse(text);
    free(text);
    return root;
}

/* Flattens a nested JSON array of numbers (null = NaN) into want; returns
 * the count. */
static size_t flatten(const cJSON *item, double *want, size_t cap, size_t k)
{
    if (cJSON_IsNumber(item) || cJSON_IsNull(item)) {
        if (k < cap)
            want[k] = cJSON_IsNull(item) ? NAN : item->valuedouble;
        return k + 1;
    }
    for (const cJSON *c = item ? item->child : NULL; c; c = c->next)
        k = flatten(c, want, cap, k);
    return k;
}

/* The text of dir/name.suffix in *text, or NULL after a failed CHECK. */
static char *case_file(const char *dir, const char *name, const char *suffix,
                       size_t *len)
{
    char path[512];
    char *text = NULL;
    sa_error err;
    snprintf(path, sizeof path, "%s/%s.%s", dir, name, suffix);
    CHECK(sa_read_file(&text, len, path, &err) == SA_OK, "%s: %s", path,
          err.message);
    return text;
}

/* Reads dir/name.suffix as a matrix. */
static bool case_matrix(sa_matrix *m, const char *dir, const char *name,
                        const char *suffix)
{
    size_t len;
    sa_error err;
    char *text = case_file(dir, name, suffix, &len);
    bool ok = text && sa_read_matrix(m, "x.json", text, len, &err) == SA_OK;
    CHECK(ok, "%s.%s: %s", name, suffix, text ? err.message : "missing");
    free(text);
    return ok;
}

/* Reads the input of a case: dir/name.input.npy, which may be a batch of
 * sequences (*batch), if there is one, else name.input.json. */
static bool case_input(sa_matrix *x, size_t *batch, const char *dir,
                       const char *name)
{
    char path[512];
    size_t len;
    sa_error err;
    char *text;
    *batch = 0;
    snprintf(path, sizeof path, "%s/%s.input.npy", dir, name);
    if (sa_read_file(&text, &len, path, &err))
        return case_matrix(x, dir, name, "input.json");
    bool ok = sa_read_input_take(x, batch, path, sa_input_members, &text, len,
                                 &err) == SA_OK;
    CHECK(ok, "%s: %s", path, err.message);
    free(text);
    return ok;
}

static double spec_number(const cJSON *spec, const char *key, double fallback)
{
    const cJSON *item = cJSON_GetObjectItem(spec, key);
    return cJSON_IsNumber(item) ? item->valuedouble : fallback;
}

static bool spec_flag(const cJSON *spec, const char *key)
{
    return cJSON_IsTrue(cJSON_GetObjectItem(spec, key));
}

/* Runs one case of tests/reference/{cases,variants} through the library:
 * NAME.case.json says which options; missing keys mean the defaults. */
static void check_reference_case(const char *dir, const char *name)
{
    char path[512];
    size_t len;
    sa_error err;
    sa_matrix x = {0}, ctx = {0};
    sa_weights w = {0};
    unsigned char *mask = NULL;
    float *bias = NULL;
    bool per_head = false;

    snprintf(path, sizeof path, "%s/%s.case.json", dir, name);
    cJSON *spec = load_json(path);
    snprintf(path, sizeof path, "%s/%s.expected.json", dir, name);
    cJSON *expected = load_json(path);
    CHECK(spec && expected, "%s: cannot load the case", name);
    size_t batch;  // 0, or the sequences of an input.npy of 3 dimensions
    if (!spec || !expected || !case_input(&x, &batch, dir, name))
        goto done;
    size_t sequences = batch ? batch : 1;
    size_t heads = (size_t)spec_number(spec, "heads", 1);
    size_t kv_heads = (size_t)spec_number(spec, "kv_heads", (double)heads);
    bool average = spec_flag(spec, "average_heads");
    bool cross = spec_flag(spec, "context");
    if (cross && !case_matrix(&ctx, dir, name, "context.json"))
        goto done;
    size_t n = x.rows / sequences, m = cross ? ctx.rows : n;
    size_t d_ctx = cross ? ctx.cols : x.cols;

    char *text = case_file(dir, name, "weights.json", &len);
    CHECK(text && sa_weights_from_json(&w, text, len, &err) == SA_OK, "%s: %s",
          name, err.message);
    free(text);
    if (spec_flag(spec, "mask")) {
        text = case_file(dir, name, "mask.json", &len);
        CHECK(text && sa_read_mask(&mask, n, m, "m.json", text, len, &err) == SA_OK,
              "%s mask: %s", name, err.message);
        free(text);
    }
    if (spec_flag(spec, "bias")) {
        text = case_file(dir, name, "bias.json", &len);
        CHECK(text && sa_read_bias(&bias, &per_head, heads, n, m, "b.json", text,
                                   len, &err) == SA_OK, "%s bias: %s", name,
              err.message);
        free(text);
    }
    if (!w.wq || sa_weights_check(&w, x.cols, d_ctx, heads, kv_heads, &err)) {
        CHECK(false, "%s: %s", name, err.message);
        goto done;
    }

    const cJSON *style = cJSON_GetObjectItem(spec, "rope_style");
    const cJSON *rows = cJSON_GetObjectItem(spec, "masked_rows");
    sa_config cfg = sa_config_default();
    cfg.heads = heads;
    cfg.kv_heads = kv_heads;
    /* without "scale", 0: the library's default, held to PyTorch's */
    cfg.scale = (float)spec_number(spec, "scale", 0);
    cfg.softcap = (float)spec_number(spec, "softcap", 0);
    cfg.alibi = spec_flag(spec, "alibi");
    cfg.bias = bias;
    cfg.bias_per_head = per_head;
    cfg.causal = spec_flag(spec, "causal");
    cfg.window = (long)spec_number(spec, "window", -1);
    cfg.mask = mask;
    cfg.masked_rows_nan = cJSON_IsString(rows) && strcmp(rows->valuestring, "nan") == 0;
    cfg.rope = spec_flag(spec, "rope");
    cfg.rope_neox = cJSON_IsString(style) && strcmp(style->valuestring, "neox") == 0;
    cfg.rope_base = (float)spec_number(spec, "rope_base", 10000);
    cfg.pos_sinusoidal = cJSON_IsString(cJSON_GetObjectItem(spec, "pos"));
    cfg.keep_weights = true;
    sa_result r;
    sa_batch all = {.count = batch};
    if (batch ? sa_attention_forward_batch(&r, x.data, n, x.cols, cross ? ctx.data : NULL,
                                           m, d_ctx, &all, &w, &cfg, &err)
              : sa_attention_forward(&r, x.data, n, x.cols, cross ? ctx.data : NULL,
                                     m, d_ctx, &w, &cfg, &err)) {
        CHECK(false, "%s: %s", name, err.message);
        goto done;
    }

    size_t out_len = sequences * n * w.d_out;
    size_t wlen = average ? n * m : sequences * heads * n * m;
    double *want = malloc((out_len > wlen ? out_len : wlen) * sizeof *want);
    double max_out, max_w;
    CHECK(flatten(cJSON_GetObjectItem(expected, "output"), want, out_len, 0) == out_len,
          "%s: expected output has the wrong size", name);
    CHECK(naive_worst(r.output, want, out_len, RTOL, ATOL, &max_out) <= 1,
          "%s: output off by %g", name, max_out);
    float *got_w = r.weights, *avg = NULL;
    if (average) {
        avg = malloc(n * m * sizeof *avg);
        sa_average_heads(avg, r.weights, heads, n, m);
        got_w = avg;
    }
    CHECK(flatten(cJSON_GetObjectItem(expected, "weights"), want, wlen, 0) == wlen,
          "%s: expected weights have the wrong size", name);
    CHECK(naive_worst(got_w, want, wlen, RTOL, ATOL, &max_w) <= 1,
          "%s: weights off by %g", name, max_w);
    printf("  %-26s output max diff %.2g, weights %.2g\n", name, max_out, max_w);
    free(avg);
    free(want);
    sa_result_free(&r);
done:
    free(mask);
    free(bias);
    sa_weights_free(&w);
    sa_matrix_free(&x);
    sa_matrix_free(&ctx);
    cJSON_Delete(spec);
    cJSON_Delete(expected);
}

/* Checks every NAME.case.json of dir; expects at least min_cases. */
static void test_reference_dir(const char *dir, size_t min_cases)
{
    DIR *dp = opendir(dir);
    size_t count = 0;
    CHECK(dp != NULL, "cannot open %s (run from the repository root)", dir);
    if (!dp)
        return;
    printf("reference cases in %s:\n", dir);
    struct dirent *e;
    while ((e = readdir(dp))) {
        const char *suffix = strstr(e->d_name, ".case.json");
        if (!suffix || suffix[10] != '\0')
            continue;
        char name[256];
        snprintf(name, sizeof name, "%.*s", (int)(suffix - e->d_name), e->d_name);
        check_reference_case(dir, name);
        count++;
    }
    closedir(dp);
    CHECK(count >= min_cases, "only %zu reference cases in %s", count, dir);
}

static void test_average_heads(void)
{
    const float w[2 * 2 * 2] = {1, 0, 0.5f, 0.5f, 0, 1, 0.25f, 0.75f};
    float avg[4];
    sa_average_heads(avg, w, 2, 2, 2);
    CHECK(avg[0] == 0.5f && avg[1] == 0.5f && avg[2] == 0.375f && avg[3] == 0.625f,
          "average of heads: %g %g %g %g", avg[0], avg[1], avg[2], avg[3]);
}

/* sa_config_default's values, and the scale 0 stands for. */
static void test_config_default(void)
{
    sa_config c = sa_config_default();
    CHECK(c.magic == SA_CONFIG_MAGIC && c.heads == 1 && c.kv_heads == 0 &&
          c.scale == 0.0f && c.window == -1 && c.threads == 0 &&
          c.rope_base == 10000.0f, "sa_config_default: heads %zu, kv_heads "
          "%zu, scale %g, window %ld, threads %zu, rope_base %g", c.heads,
          c.kv_heads, c.scale, c.window, c.threads, c.rope_base);
    CHECK(c.softcap == 0.0f && !c.alibi && !c.bias && !c.bias_per_head &&
          !c.causal && !c.mask && !c.masked_rows_nan && !c.rope &&
          !c.rope_neox && !c.pos_sinusoidal && !c.keep_weights &&
          !c.keep_steps, "sa_config_default: an option is on");
    CHECK(sa_config_scale(&c, 4) == 0.5f && sa_config_scale(&c, 3) ==
          (float)(1.0 / sqrt(3.0)), "scale 0 is not 1/sqrt(dh): %g, %g",
          sa_config_scale(&c, 4), sa_config_scale(&c, 3));
    c.scale = -2.0f;
    CHECK(sa_config_scale(&c, 4) == -2.0f, "a set scale is kept");
    CHECK(strcmp(sa_version(), SA_VERSION) == 0, "sa_version() '%s' is not "
          "SA_VERSION '%s'", sa_version(), SA_VERSION);
}

/* A config sa_config_default did not make (zeroed, or NULL) is refused by
 * sa_attention_forward (the result zeroed) and by the writers that print
 * it, before anything is computed or written. */
static void test_config_refused(void)
{
    const char *want = "the sa_config was not made by sa_config_default()";
    float x[2 * 2] = {1, 0, 0, 1};
    sa_weights w;
    sa_error err;
    sa_result r;
    CHECK(sa_weights_generate(&w, 2, 2, 1, 1, 2, false, 0, &err) == SA_OK, "generate");
    sa_config zeroed = {.heads = 1, .scale = 1.0f, .window = -1};
    const sa_config *bad[] = {&zeroed, NULL};
    for (size_t k = 0; k < 2; k++) {
        memset(&r, 0x5a, sizeof r);
        memset(&err, 0, sizeof err);
        sa_status st = sa_attention_forward(&r, x, 2, 2, NULL, 0, 0, &w, bad[k], &err);
        CHECK(st == SA_ERR_USAGE && err.status == SA_ERR_USAGE &&
              strcmp(err.message, want) == 0, "config %zu: status %d, '%s'",
              k, (int)st, err.message);
        CHECK(r.output == NULL && r.weights == NULL && r.empty_rows == NULL &&
              r.n == 0, "config %zu: the result is not zeroed", k);
    }

    sa_config good = sa_config_default();
    CHECK(sa_attention_forward(&r, x, 2, 2, NULL, 0, 0, &w, &good, &err) == SA_OK,
          "forward: %s", err.message);
    sa_report report = {.n = 2, .m = 2, .d_model = 2, .d_context = 2,
                        .heads = 1, .kv_heads = 1, .d_head = 2, .d_out = 2,
                        .config = &zeroed, .layer = -1, .print_output = true,
                        .digits = 4, .result = &r};
    FILE *out = tmpfile();
    CHECK(out != NULL, "tmpfile");
    for (size_t k = 0; out && k < 2; k++) {
        report.config = bad[k];
        memset(&err, 0, sizeof err);
        CHECK(sa_write_json(out, &report, &err) == SA_ERR_USAGE &&
              strcmp(err.message, want) == 0, "sa_write_json: '%s'", err.message);
        CHECK(sa_write_json_line(out, &report, 1, NULL, &err) == SA_ERR_USAGE,
              "sa_write_json_line took config %zu", k);
        CHECK(sa_write_table(out, &report, &err) == SA_ERR_USAGE,
              "sa_write_table took config %zu", k);
        CHECK(ftell(out) == 0, "a writer wrote with config %zu", k);
    }
    /* the same report with the config the result was made with: written,
     * with the scale it used */
    report.config = &good;
    if (out) {
        CHECK(sa_write_json(out, &report, &err) == SA_OK, "sa_write_json: %s",
              err.message);
        char text[4096] = "";
        rewind(out);
        size_t len = fread(text, 1, sizeof text - 1, out);
        text[len] = '\0';
        CHECK(strstr(text, "\"scale\": 0.70710677,") != NULL,
              "the JSON does not give the scale 1/sqrt(2) used: %s", text);
        fclose(out);
    }
    sa_result_free(&r);
    sa_weights_free(&w);
}

/* Scale 0 is the same computation as the explicit 1/sqrt(dh) rounded to
 * float32: the same bits on the same path, threads and CPU, for a head
 * width whose root is exact (4) and one whose is not (3), on both paths. */
static void test_default_scale(void)
{
    static const size_t widths[] = {4, 3};
    for (size_t c = 0; c < 2; c++) {
        size_t n = 5, H = 2, dh = widths[c], d = H * dh;
        sa_rng rng;
        sa_rng_seed(&rng, 7 + c);
        float *x = random_array(&rng, n * d, 1.0f);
        sa_weights w;
        sa_error err;
        CHECK(sa_weights_generate(&w, d, d, H, H, dh, true, 3, &err) == SA_OK,
              "generate: %s", err.message);
        for (int keep = 0; keep < 2; keep++) {
            sa_config by_default = sa_config_default(), explicit = by_default;
            by_default.heads = explicit.heads = H;
            by_default.keep_weights = explicit.keep_weights = keep;
            explicit.scale = (float)(1.0 / sqrt((double)dh));
            sa_result a, b;
            CHECK(sa_attention_forward(&a, x, n, d, NULL, 0, 0, &w, &by_default,
                                       &err) == SA_OK, "scale 0: %s", err.message);
            CHECK(sa_attention_forward(&b, x, n, d, NULL, 0, 0, &w, &explicit,
                                       &err) == SA_OK, "scale set: %s", err.message);
            CHECK(a.output && b.output &&
                  memcmp(a.output, b.output, n * d * sizeof(float)) == 0,
                  "dh=%zu keep=%d: scale 0 and 1/sqrt(dh) differ", dh, keep);
            sa_result_free(&a);
            sa_result_free(&b);
        }
        sa_weights_free(&w);
        free(x);
    }
}

/* Huge inputs overflow float32: an error, never a NaN or Inf in the output. */
static void test_overflow_is_an_error(void)
{
    float x[2 * 2] = {3e38f, 3e38f, 3e38f, 3e38f};
    sa_weights w;
    sa_error err;
    sa_result r;
    CHECK(sa_weights_generate(&w, 2, 2, 1, 1, 2, false, 0, &err) == SA_OK, "generate");
    sa_config cfg = sa_config_default();
    cfg.scale = 1.0f;
    CHECK(sa_attention_forward(&r, x, 2, 2, NULL, 0, 0, &w, &cfg, &err) == SA_ERR_DATA,
          "overflow not reported");
    CHECK(r.output == NULL, "result not freed after an error");
    sa_weights_free(&w);
}

/* Unnormalised sums that overflow float32 though the mean fits: the
 * streaming path recomputes such rows alone, reading K and V in whichever
 * layout they are (blocked for the tile kernels at dh = 16, row-major at
 * dh = 5).  Zero Wq, Wk make every weight 1/n; Wv = I, so each output row
 * is the mean of the rows of x, all 3e38. */
static void test_row_fallback(void)
{
    static const size_t widths[] = {16, 5};
    for (size_t c = 0; c < 2; c++) {
        size_t n = 7, d = widths[c];
        sa_weights w = {.d_model = d, .d_kv_in = d, .d_proj = d, .d_kv = d, .d_out = d};
        w.wq = calloc(d * d, sizeof(float));
        w.wk = calloc(d * d, sizeof(float));
        w.wv = calloc(d * d, sizeof(float));
        float *x = malloc(n * d * sizeof *x);
        for (size_t i = 0; i < d; i++)
            w.wv[i * d + i] = 1.0f;
        for (size_t i = 0; i < n * d; i++)
            x[i] = 3e38f;
        sa_config cfg = sa_config_default();
        cfg.scale = 1.0f;
        cfg.threads = 2;
        sa_result r;
        sa_error err;
        CHECK(sa_attention_forward(&r, x, n, d, NULL, 0, 0, &w, &cfg, &err) == SA_OK,
              "dh=%zu: %s", d, err.message);
        bool exact = r.output != NULL;
        for (size_t i = 0; exact && i < n * d; i++)
            exact = r.output[i] == 3e38f;
        CHECK(exact, "dh=%zu: the mean of 3e38 rows is not 3e38", d);
        sa_result_free(&r);
        sa_weights_free(&w);
        free(x);
    }
}

/* sa_attention_forward_batch: each sequence of a batch (a context and a
 * mask per sequence, or shared) equals the naive reference of that
 * sequence alone, on the streaming and the dense path, with one thread and
 * with threads over sequences; empty rows are listed as b * n + i; the
 * first sequence that fails names itself. */
static void test_batch(void)
{
    enum { B = 5, N = 6, M = 7, D = 8, DC = 5, H = 2, DH = 3 };
    sa_rng rng;
    sa_rng_seed(&rng, 99);
    sa_weights w = {.d_model = D, .d_kv_in = DC, .d_proj = H * DH, .d_kv = H * DH,
                    .d_out = D};
    w.wq = random_array(&rng, D * H * DH, 0.35f);
    w.wk = random_array(&rng, DC * H * DH, 0.45f);
    w.wv = random_array(&rng, DC * H * DH, 0.45f);
    w.wo = random_array(&rng, H * DH * D, 0.4f);
    float *x = random_array(&rng, B * N * D, 1.0f);
    float *ctx = random_array(&rng, B * M * DC, 1.0f);
    unsigned char masks[B * N * M];
    for (size_t k = 0; k < B * N * M; k++)
        masks[k] = sa_rng_uniform(&rng) < 0.7f;
    memset(masks + (2 * N + 4) * M, 0, M);  // sequence 2, query 4 sees nothing
    for (int variant = 0; variant < 4; variant++) {
        bool dense = variant & 1, shared = variant & 2;
        sa_config cfg = sa_config_default();
        cfg.heads = H;
        cfg.keep_steps = dense;
        cfg.threads = variant == 1 ? 1 : 3;
        cfg.mask = shared ? masks : NULL;
        sa_batch batch = {B, !shared, shared ? NULL : masks};
        sa_result r;
        sa_error err;
        CHECK(sa_attention_forward_batch(&r, x, N, D, ctx, M, DC, &batch, &w, &cfg,
                                         &err) == SA_OK,
              "batch %d: %s", variant, err.message);
        CHECK(r.n == N && r.m == M && r.heads == H && (r.weights != NULL) == dense,
              "batch %d: shapes", variant);
        double worst = 0, max_abs;
        for (size_t b = 0; b < B; b++) {
            sa_config one = cfg;
            one.mask = masks + (shared ? 0 : b * N * M);
            double out[N * D], weights[H * N * M], scores[H * N * M];
            naive_attention(out, weights, scores, x + b * N * D, N, D,
                            ctx + (shared ? 0 : b * M * DC), M, DC, &w, &one);
            worst = fmax(worst, naive_worst(r.output + b * N * D, out, N * D,
                                            RTOL, ATOL, &max_abs));
            if (dense)
                worst = fmax(worst, naive_worst(r.weights + b * H * N * M, weights,
                                                H * N * M, RTOL, ATOL, &max_abs));
        }
        CHECK(worst <= 1, "batch %d: a sequence differs from the reference "
              "alone (worst %.3g of the tolerance)", variant, worst);
        bool empty = shared ? r.n_empty_rows == 0
                            : r.n_empty_rows == 1 && r.empty_rows[0] == 2 * N + 4;
        CHECK(empty, "batch %d: empty rows %zu", variant, r.n_empty_rows);
        sa_result_free(&r);
    }
    // sequences 3 and 1 overflow (Q = 8 x 3e38 x 0.5): the batch fails naming 1
    for (size_t k = 0; k < N * D; k++)
        x[3 * N * D + k] = x[1 * N * D + k] = 3e38f;
    for (size_t k = 0; k < D * H * DH; k++)
        w.wq[k] = 0.5f;
    sa_config cfg = sa_config_default();
    cfg.heads = H;
    cfg.threads = 2;
    sa_batch batch = {B, true, NULL};
    sa_result r;
    sa_error err;
    CHECK(sa_attention_forward_batch(&r, x, N, D, ctx, M, DC, &batch, &w, &cfg,
                                     &err) == SA_ERR_DATA && r.output == NULL &&
          strncmp(err.message, "sequence 1 (counting from 0): the projections "
                  "overflow", 44) == 0, "batch overflow: %s", err.message);
    free(x);
    free(ctx);
    sa_weights_free(&w);
}

int main(void)
{
    check_kernels_from_env();
    test_random_cases();
    test_reference_dir("tests/reference/cases", 20);
    test_reference_dir("tests/reference/variants", 26);
    test_average_heads();
    test_config_default();
    test_config_refused();
    test_default_scale();
    test_overflow_is_an_error();
    test_row_fallback();
    test_batch();
    return check_summary("test_attention");
}
