/* test_grad.c — the backward pass (sa_attention_grad) against the float64
 * naive backward (naive_attention_backward) on random cases covering every
 * option, on both paths (dense, and streaming on 1 and 3 threads), with
 * each lesser kernel set; the naive backward itself against central finite
 * differences of the naive forward; and the naming of the weights'
 * gradients in every layout (sa_grad_tensors).
 * Tolerance: a gradient passes when |got - want| <= RTOL * max|want| +
 * ATOL over its tensor.  Gradients are sums of products of both signs
 * (dS sums to zero over a row), so an element near zero carries the
 * rounding of the largest terms: the error is relative to the tensor's
 * largest value, not to the element.  float32 rounds at 6e-8; products of
 * a few hundred terms and the exp of the weights' recomputation from the
 * log-sum-exp lose a few ulps more; the worst seen here is printed, and
 * 2e-5 leaves room for other BLAS kernels while an error in a formula
 * (a missing term, a transpose) is of the order of the values.  ATOL
 * covers dbk, which is zero in exact arithmetic (moving every key by the
 * same vector changes no weight) and so is rounding noise alone, 1.3e-7
 * at 300 rows. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "kernels.h"
#include "naive.h"

#define RTOL 2e-5
#define ATOL 1e-6

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

/* One random case: shapes and the options of sa_config. */
typedef struct {
    size_t n, d, heads, d_head, d_out;
    bool wo, biases, causal, mask;
    float scale;      /* 0: 1/sqrt(dh) */
    size_t m, d_ctx;  /* m > 0: cross-attention */
    size_t kv_heads;  /* 0: H */
    int bias;         /* 0 none, 1 shared, 2 per head */
    bool rope, neox, alibi, pos, nan_rows, ones;
    long window;      /* stored + 1: 0 means none */
    float softcap;
} grad_case;

/* Everything one case computes with. */
typedef struct {
    size_t n, m, d, d_ctx, H, P, Pkv, dh, d_out;
    sa_weights w;
    float *x, *ctx, *bias, *dy;
    unsigned char *mask;
    sa_config cfg;
    char what[200];
} setup;

static void setup_case(setup *s, const grad_case *c, uint64_t seed)
{
    sa_rng rng;
    sa_rng_seed(&rng, seed);
    memset(s, 0, sizeof *s);
    size_t n = s->n = c->n, d = s->d = c->d, H = s->H = c->heads;
    size_t dh = s->dh = c->d_head, P = s->P = H * dh;
    size_t G = c->kv_heads ? c->kv_heads : H, Pkv = s->Pkv = G * dh;
    size_t m = s->m = c->m ? c->m : n, d_ctx = s->d_ctx = c->m ? c->d_ctx : d;
    size_t d_out = s->d_out = c->wo ? c->d_out : P;
    s->w = (sa_weights){.d_model = d, .d_kv_in = d_ctx, .d_proj = P, .d_kv = Pkv,
                        .d_out = d_out};
    s->w.wq = random_array(&rng, d * P, (float)(1.0 / sqrt((double)d)));
    s->w.wk = random_array(&rng, d_ctx * Pkv, (float)(1.0 / sqrt((double)d_ctx)));
    s->w.wv = random_array(&rng, d_ctx * Pkv, (float)(1.0 / sqrt((double)d_ctx)));
    if (c->wo)
        s->w.wo = random_array(&rng, P * d_out, (float)(1.0 / sqrt((double)P)));
    if (c->biases) {
        s->w.bq = random_array(&rng, P, 0.3f);
        s->w.bk = random_array(&rng, Pkv, 0.3f);
        s->w.bv = random_array(&rng, Pkv, 0.3f);
        s->w.bo = random_array(&rng, d_out, 0.3f);
    }
    s->x = random_array(&rng, n * d, 1.0f);
    s->ctx = c->m ? random_array(&rng, m * d_ctx, 1.0f) : NULL;
    s->bias = c->bias ? random_array(&rng, (c->bias == 2 ? H : 1) * n * m, 2.0f) : NULL;
    s->dy = c->ones ? NULL : random_array(&rng, n * d_out, 1.0f);
    if (c->mask) {
        s->mask = malloc(n * m);
        for (size_t i = 0; i < n * m; i++)
            s->mask[i] = sa_rng_uniform(&rng) < 0.7f;
        memset(s->mask + (n / 2) * m, 0, m);  /* one query sees nothing */
    }
    s->cfg = sa_config_default();
    s->cfg.heads = H;
    s->cfg.kv_heads = G;
    s->cfg.causal = c->causal;
    s->cfg.mask = s->mask;
    s->cfg.scale = c->scale;
    s->cfg.softcap = c->softcap;
    s->cfg.alibi = c->alibi;
    s->cfg.bias = s->bias;
    s->cfg.bias_per_head = c->bias == 2;
    s->cfg.window = c->window - 1;
    s->cfg.masked_rows_nan = c->nan_rows;
    s->cfg.rope = c->rope;
    s->cfg.rope_neox = c->neox;
    s->cfg.pos_sinusoidal = c->pos;
    snprintf(s->what, sizeof s->what,
             "n=%zu m=%zu d=%zu H=%zu G=%zu dh=%zu%s%s%s%s%s%s%s%s%s%s%s%s%s",
             n, m, d, H, G, dh, c->wo ? " Wo" : "", c->biases ? " biases" : "",
             c->causal ? " causal" : "", c->mask ? " mask" : "",
             c->rope ? (c->neox ? " rope-neox" : " rope") : "",
             c->alibi ? " alibi" : "", c->pos ? " pos" : "",
             c->softcap ? " softcap" : "", c->window ? " window" : "",
             c->bias == 1 ? " bias" : c->bias == 2 ? " bias/head" : "",
             c->nan_rows ? " nan-rows" : "", c->m ? " cross" : "",
             c->ones ? " dY=1" : "");
}

static void setup_free(setup *s)
{
    sa_weights_free(&s->w);
    free(s->x);
    free(s->ctx);
    free(s->bias);
    free(s->dy);
    free(s->mask);
}

/* Compares one array; returns its worst ratio and prints nothing. */
static double compare(const char *what, const char *name, const float *got,
                      const double *want, size_t len, double *worst_seen)
{
    double max_abs;
    if (!want)
        return 0;
    CHECK(got != NULL, "%s: %s missing", what, name);
    if (!got)
        return INFINITY;
    double worst = naive_worst_scaled(got, want, len, RTOL, ATOL, &max_abs);
    CHECK(worst <= 1, "%s: %s off by %g (%.3g of the tolerance)", what, name,
          max_abs, worst);
    if (worst > *worst_seen && isfinite(worst))
        *worst_seen = worst;
    return worst;
}

/* Every gradient of g against the naive ones; with steps, the steps too. */
static double compare_grads(const setup *s, const char *path, const sa_grads *g,
                            const naive_grads *want, bool steps)
{
    char what[260];
    double worst = 0;
    size_t n = s->n, m = s->m, H = s->H, dh = s->dh;
    snprintf(what, sizeof what, "%s (%s)", s->what, path);
    compare(what, "dx", g->dx, want->dx, n * s->d, &worst);
    compare(what, "dctx", g->dctx, s->ctx ? want->dctx : NULL, m * s->d_ctx, &worst);
    compare(what, "dbias", g->dbias, want->dbias,
            (s->cfg.bias_per_head ? H : 1) * n * m, &worst);
    compare(what, "dWq", g->dw.wq, want->dwq, s->d * s->P, &worst);
    compare(what, "dWk", g->dw.wk, want->dwk, s->d_ctx * s->Pkv, &worst);
    compare(what, "dWv", g->dw.wv, want->dwv, s->d_ctx * s->Pkv, &worst);
    compare(what, "dWo", g->dw.wo, s->w.wo ? want->dwo : NULL, s->P * s->d_out, &worst);
    compare(what, "dbq", g->dw.bq, s->w.bq ? want->dbq : NULL, s->P, &worst);
    compare(what, "dbk", g->dw.bk, s->w.bk ? want->dbk : NULL, s->Pkv, &worst);
    compare(what, "dbv", g->dw.bv, s->w.bv ? want->dbv : NULL, s->Pkv, &worst);
    compare(what, "dbo", g->dw.bo, s->w.bo ? want->dbo : NULL, s->d_out, &worst);
    CHECK(isnan(want->loss) ? isnan(g->loss)
                            : fabs(g->loss - want->loss) <= 1e-5 * (1 + fabs(want->loss)),
          "%s: loss %.9g, want %.9g", what, g->loss, want->loss);
    if (steps) {
        compare(what, "dO", g->d_out, want->d_out, H * n * dh, &worst);
        compare(what, "dQ", g->dq, want->dq, H * n * dh, &worst);
        compare(what, "dK", g->dk, want->dk, H * m * dh, &worst);
        compare(what, "dV", g->dv, want->dv, H * m * dh, &worst);
        compare(what, "dP", g->dp, want->dp, H * n * m, &worst);
        compare(what, "dS", g->ds, want->ds, H * n * m, &worst);
    }
    return worst;
}

/* The same bits in every gradient array of a and b. */
static bool same_bits(const setup *s, const sa_grads *a, const sa_grads *b)
{
    const sa_weights *x = &a->dw, *y = &b->dw;
    size_t bias_len = s->bias ? (s->cfg.bias_per_head ? s->H : 1) * s->n * s->m : 0;
    const struct { const float *a, *b; size_t len; } arrays[] = {
        {a->dx, b->dx, s->n * s->d}, {a->dctx, b->dctx, s->ctx ? s->m * s->d_ctx : 0},
        {a->dbias, b->dbias, bias_len}, {x->wq, y->wq, s->d * s->P},
        {x->wk, y->wk, s->d_ctx * s->Pkv}, {x->wv, y->wv, s->d_ctx * s->Pkv},
    };
    for (size_t i = 0; i < sizeof arrays / sizeof arrays[0]; i++)
        if (arrays[i].len && memcmp(arrays[i].a, arrays[i].b, arrays[i].len * sizeof(float)))
            return false;
    return true;
}

static void check_case(const grad_case *c, uint64_t seed)
{
    setup s;
    setup_case(&s, c, seed);
    naive_grads want;
    naive_attention_backward(&want, s.dy, s.x, s.n, s.d, s.ctx, s.m, s.d_ctx, &s.w, &s.cfg);
    sa_result r;
    sa_grads dense, one, three, again;
    sa_error err;

    s.cfg.keep_grad_steps = true;
    s.cfg.threads = 2;
    CHECK(sa_attention_grad(&r, &dense, s.dy, s.x, s.n, s.d, s.ctx, s.m, s.d_ctx,
                            &s.w, &s.cfg, &err) == SA_OK, "%s: %s", s.what, err.message);
    double worst = compare_grads(&s, "dense", &dense, &want, true);
    sa_result_free(&r);

    // the streaming path, on 1 and 3 threads; 3 threads twice: the same bits
    s.cfg.keep_grad_steps = false;
    s.cfg.threads = 1;
    CHECK(sa_attention_grad(&r, &one, s.dy, s.x, s.n, s.d, s.ctx, s.m, s.d_ctx,
                            &s.w, &s.cfg, &err) == SA_OK, "%s: %s", s.what, err.message);
    double w1 = compare_grads(&s, "streaming, 1 thread", &one, &want, false);
    CHECK(one.dq == NULL && one.dp == NULL, "%s: steps kept though not asked for", s.what);
    sa_result_free(&r);
    s.cfg.threads = 3;
    CHECK(sa_attention_grad(&r, &three, s.dy, s.x, s.n, s.d, s.ctx, s.m, s.d_ctx,
                            &s.w, &s.cfg, &err) == SA_OK, "%s: %s", s.what, err.message);
    double w3 = compare_grads(&s, "streaming, 3 threads", &three, &want, false);
    sa_result_free(&r);
    CHECK(sa_attention_grad(&r, &again, s.dy, s.x, s.n, s.d, s.ctx, s.m, s.d_ctx,
                            &s.w, &s.cfg, &err) == SA_OK, "%s: %s", s.what, err.message);
    CHECK(same_bits(&s, &three, &again), "%s: 3 threads gave other bits the "
          "second time", s.what);
    sa_result_free(&r);
    printf("  %-70s worst %.2g, %.2g, %.2g of the tolerance\n", s.what, worst, w1, w3);

    // each lesser set of kernels (the exp of the weights) agrees too
    s.cfg.threads = 1;
    for (sa_isa isa = SA_ISA_PLAIN; isa < sa_isa_active(); isa++) {
        sa_isa previous = sa_isa_limit(isa);
        sa_grads lesser;
        CHECK(sa_attention_grad(&r, &lesser, s.dy, s.x, s.n, s.d, s.ctx, s.m,
                                s.d_ctx, &s.w, &s.cfg, &err) == SA_OK, "%s: %s",
              s.what, err.message);
        sa_isa_limit(previous);
        compare_grads(&s, sa_isa_name(isa), &lesser, &want, false);
        sa_result_free(&r);
        sa_grads_free(&lesser);
    }
    sa_grads_free(&dense);
    sa_grads_free(&one);
    sa_grads_free(&three);
    sa_grads_free(&again);
    naive_grads_free(&want);
    setup_free(&s);
}

static const grad_case cases[] = {
    /* n, d, H, dh, d_out, wo, biases, causal, mask, scale, then options */
    {1, 4, 1, 4, 0, false, false, false, false, 0, .m = 0},
    {3, 4, 1, 3, 0, false, false, false, false, 1.0f, .m = 0, .ones = true},
    {5, 8, 2, 4, 8, true, true, false, false, 0, .m = 0},
    {9, 8, 2, 4, 6, true, true, true, false, 0, .m = 0, .ones = true},
    {7, 6, 3, 5, 4, true, true, true, false, 0, .m = 0},
    {9, 12, 4, 3, 0, false, true, false, true, 0, .m = 0},
    {17, 16, 2, 8, 16, true, false, true, true, 0, .m = 0},
    {64, 32, 4, 8, 32, true, true, true, false, 0, .m = 0},
    {100, 24, 3, 8, 10, true, true, false, true, 0.2f, .m = 0},
    /* several tiles of queries and keys: 300 rows against tiles of 128 */
    {300, 32, 2, 16, 32, true, true, true, false, 0, .m = 0},
    {260, 16, 1, 16, 16, true, true, false, false, 0, .m = 0, .window = 41},
    {200, 16, 2, 8, 16, true, true, false, false, 0, .m = 290, .d_ctx = 12},
    /* several threads: over tiles of keys (one head; a bias the heads
     * share), and over kv heads */
    {600, 16, 1, 16, 16, true, true, true, false, 0, .m = 0},
    {400, 32, 2, 16, 32, true, true, false, true, 0, .m = 0, .bias = 1},
    {400, 24, 3, 8, 24, true, true, false, false, 0, .m = 0, .bias = 2},
    /* cross-attention, GQA, positions, scores modifiers, alone */
    {6, 8, 2, 4, 8, true, true, false, false, 0, .m = 9, .d_ctx = 5},
    {8, 16, 4, 4, 16, true, true, false, false, 0, .kv_heads = 2},
    {7, 12, 6, 2, 12, true, false, false, false, 0, .kv_heads = 1},
    {8, 8, 2, 4, 8, true, true, false, false, 0, .rope = true},
    {8, 8, 2, 6, 8, true, true, false, false, 0, .rope = true, .neox = true},
    {9, 7, 2, 3, 6, false, true, false, false, 0, .pos = true},
    {7, 12, 3, 4, 12, true, true, false, false, 0, .alibi = true},
    {9, 8, 2, 4, 8, true, true, false, false, 0, .window = 3},
    {8, 8, 2, 4, 8, true, true, false, false, 1.0f, .softcap = 2.0f},
    {6, 8, 2, 4, 8, true, true, false, false, 0, .bias = 1},
    {6, 12, 3, 4, 12, true, true, false, false, 0, .bias = 2},
    {9, 8, 2, 4, 8, true, true, false, true, 0, .nan_rows = true},
    {9, 8, 2, 4, 8, true, true, false, true, 0, .nan_rows = true, .m = 7, .d_ctx = 6},
    /* and together */
    {12, 16, 4, 4, 16, true, true, true, true, 0, .kv_heads = 2, .rope = true,
     .alibi = true, .softcap = 3.0f, .bias = 2, .window = 5},
    {10, 8, 2, 4, 8, true, true, false, false, 0, .m = 12, .d_ctx = 6,
     .kv_heads = 1, .bias = 1, .window = 4, .pos = true},
    {9, 8, 2, 4, 8, false, true, true, true, 0, .pos = true, .rope = true,
     .neox = true, .nan_rows = true, .bias = 1},
    {150, 32, 4, 16, 32, true, true, true, true, 0, .kv_heads = 2, .rope = true,
     .softcap = 5.0f, .alibi = true, .bias = 1, .nan_rows = true},
};

static void test_against_naive(void)
{
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        check_case(&cases[i], 1000 + i);
}

/* The naive backward against central differences of the naive forward:
 * (L(v + h) - L(v - h)) / (2h) at a few elements of every input, in
 * double, where the error is O(h^2) (h = 1e-3: about 1e-6 of the largest
 * gradient).  This is what makes the naive backward a reference. */
static void check_finite_differences(const grad_case *c, uint64_t seed)
{
    setup s;
    setup_case(&s, c, seed);
    naive_grads g;
    naive_attention_backward(&g, s.dy, s.x, s.n, s.d, s.ctx, s.m, s.d_ctx, &s.w, &s.cfg);
    struct { const char *name; float *a; const double *grad; size_t len; } t[] = {
        {"x", s.x, g.dx, s.n * s.d}, {"ctx", s.ctx, g.dctx, s.m * s.d_ctx},
        {"bias", s.bias, g.dbias, (s.cfg.bias_per_head ? s.H : 1) * s.n * s.m},
        {"Wq", s.w.wq, g.dwq, s.d * s.P}, {"Wk", s.w.wk, g.dwk, s.d_ctx * s.Pkv},
        {"Wv", s.w.wv, g.dwv, s.d_ctx * s.Pkv}, {"Wo", s.w.wo, g.dwo, s.P * s.d_out},
        {"bq", s.w.bq, g.dbq, s.P}, {"bk", s.w.bk, g.dbk, s.Pkv},
        {"bv", s.w.bv, g.dbv, s.Pkv}, {"bo", s.w.bo, g.dbo, s.d_out},
    };
    double worst = 0;
    for (size_t k = 0; k < sizeof t / sizeof t[0]; k++) {
        if (!t[k].a)
            continue;
        double largest = 0;
        for (size_t i = 0; i < t[k].len; i++)
            largest = fmax(largest, fabs(t[k].grad[i]));
        for (size_t probe = 0; probe < 6; probe++) {
            size_t i = (probe * 7919) % t[k].len;
            float v = t[k].a[i], up = v + 1e-3f, down = v - 1e-3f;
            t[k].a[i] = up;
            double plus = naive_loss(s.dy, s.x, s.n, s.d, s.ctx, s.m, s.d_ctx, &s.w, &s.cfg);
            t[k].a[i] = down;
            double minus = naive_loss(s.dy, s.x, s.n, s.d, s.ctx, s.m, s.d_ctx, &s.w, &s.cfg);
            t[k].a[i] = v;
            double fd = (plus - minus) / ((double)up - (double)down);
            double err = fabs(fd - t[k].grad[i]) / (1e-4 * largest + 1e-7);
            worst = fmax(worst, err);
            CHECK(err <= 1, "%s: d%s[%zu] = %.9g, finite difference %.9g", s.what,
                  t[k].name, i, t[k].grad[i], fd);
        }
    }
    printf("  %-70s finite differences: worst %.2g of the tolerance\n", s.what, worst);
    naive_grads_free(&g);
    setup_free(&s);
}

static void test_finite_differences(void)
{
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        if (!cases[i].nan_rows && cases[i].n <= 20)
            check_finite_differences(&cases[i], 1000 + i);
}

/* Loads weights from a file, or fails the test. */
static bool load_weights(sa_weights *w, sa_tensor_set *set, char **text,
                         const char *path, long layer)
{
    size_t len;
    sa_error err;
    bool ok = sa_read_file(text, &len, path, &err) == SA_OK &&
              sa_read_tensors(set, path, *text, len, &err) == SA_OK &&
              sa_weights_from_tensors(w, set, layer, &err) == SA_OK;
    CHECK(ok, "%s: %s", path, err.message);
    return ok;
}

/* The gradients named in w's layout are tensors of the file (the same
 * names, the same shapes), and read back through the file's layout they
 * are the computed ones, bit for bit. */
static void check_layout(const char *path, long layer, const char *first)
{
    sa_weights w, back;
    sa_tensor_set file = {0}, named;
    char *text = NULL;
    sa_error err;
    if (!load_weights(&w, &file, &text, path, layer))
        return;
    // gradients with distinct values: dW[i] = i + 1 in each array
    sa_weights dw = w;
    float **arrays[] = {&dw.wq, &dw.wk, &dw.wv, &dw.wo, &dw.bq, &dw.bk, &dw.bv, &dw.bo};
    size_t lens[] = {w.d_model * w.d_proj, w.d_kv_in * w.d_kv, w.d_kv_in * w.d_kv,
                     w.d_proj * w.d_out, w.d_proj, w.d_kv, w.d_kv, w.d_out};
    for (size_t a = 0; a < 8; a++) {
        if (!*arrays[a])
            continue;
        *arrays[a] = malloc(lens[a] * sizeof(float));
        for (size_t i = 0; i < lens[a]; i++)
            (*arrays[a])[i] = (float)(100 * a + i);
    }
    CHECK(sa_grad_tensors(&named, &w, &dw, &err) == SA_OK, "%s: %s", path, err.message);
    CHECK(named.count > 0 && strcmp(named.items[0].name, first) == 0,
          "%s: the first gradient is %s, not %s", path,
          named.count ? named.items[0].name : "none", first);
    for (size_t i = 0; i < named.count; i++) {
        const sa_tensor *g = &named.items[i], *f = sa_tensor_find(&file, g->name);
        CHECK(f != NULL, "%s: the file has no tensor %s", path, g->name);
        CHECK(f && f->ndim == g->ndim && f->shape[0] == g->shape[0] &&
              (g->ndim == 1 || f->shape[1] == g->shape[1]),
              "%s: %s has another shape than the file's", path, g->name);
    }
    CHECK(sa_weights_from_tensors(&back, &named, layer, &err) == SA_OK, "%s: %s",
          path, err.message);
    const float *again[] = {back.wq, back.wk, back.wv, back.wo, back.bq, back.bk,
                            back.bv, back.bo};
    for (size_t a = 0; a < 8; a++)
        CHECK((!*arrays[a] && !again[a]) ||
              (*arrays[a] && again[a] &&
               memcmp(*arrays[a], again[a], lens[a] * sizeof(float)) == 0),
              "%s: array %zu does not read back", path, a);
    printf("  %-40s %zu gradients named as the file's\n", path, named.count);
    sa_weights_free(&back);
    sa_tensor_set_free(&named);
    for (size_t a = 0; a < 8; a++)
        if (*arrays[a])
            free(*arrays[a]);
    sa_weights_free(&w);
    sa_tensor_set_free(&file);
    free(text);
}

static void test_layouts(void)
{
    check_layout("tests/reference/cases/torch_n5_d8_h2.weights.json", -1, "in_proj_weight");
    check_layout("tests/reference/cases/torch_nobias.weights.json", -1, "in_proj_weight");
    check_layout("tests/reference/cases/numpy_Wo_dout.weights.json", -1, "Wq");
    check_layout("tests/bad/files/w_torch_kdim.json", -1, "q_proj_weight");
    check_layout("tests/formats/gpt2.safetensors", 2, "h.2.attn.c_attn.weight");
    check_layout("tests/formats/gpt2_transformer.safetensors", 0,
                 "transformer.h.0.attn.c_attn.weight");
    check_layout("tests/formats/bert.safetensors", 1,
                 "bert.encoder.layer.1.attention.self.query.weight");
}

/* A config not made by sa_config_default is refused; gradients that
 * overflow float32 are SA_ERR_DATA, with everything freed. */
static void test_refusals(void)
{
    const grad_case c = {4, 4, 1, 4, 0, false, false, false, false, 0, .m = 0};
    setup s;
    setup_case(&s, &c, 7);
    sa_result r;
    sa_grads g;
    sa_error err;
    sa_config zeroed = {0};
    zeroed.heads = 1;
    CHECK(sa_attention_grad(&r, &g, s.dy, s.x, s.n, s.d, NULL, 0, 0, &s.w, &zeroed,
                            &err) == SA_ERR_USAGE, "a zeroed config was taken");
    for (size_t i = 0; i < s.n * s.d_out; i++)
        s.dy[i] = 3e38f;  // dV = P^T dY sums several of them
    for (int dense = 0; dense < 2; dense++) {
        s.cfg.keep_grad_steps = dense;
        sa_status status = sa_attention_grad(&r, &g, s.dy, s.x, s.n, s.d, NULL, 0,
                                             0, &s.w, &s.cfg, &err);
        CHECK(status == SA_ERR_DATA && strstr(err.message, "overflow"),
              "dY of 3e38: status %d, %s", status, err.message);
        CHECK(g.dx == NULL && r.output == NULL, "dY of 3e38: not freed");
    }
    setup_free(&s);
}

int main(void)
{
    check_kernels_from_env();
    test_against_naive();
    test_finite_differences();
    test_layouts();
    test_refusals();
    return check_summary("test_grad");
}
