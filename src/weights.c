/* weights.c — projection weights: generated from a seed, checked against
 * an input, written back as JSON, freed (layouts.c reads them).
 * Legend: d = model width, d_ctx = key/value input width, P = H * dh query
 * width, Pkv = G * dh key/value width, d_out = output width. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"

#include "format.h"
#include "selfattn.h"

const char *sa_convention_name(sa_convention c)
{
    static const char *const names[] = {"math", "torch", "seed", "gpt2", "bert"};
    return names[c];
}

void sa_weights_free(sa_weights *w)
{
    float *arrays[] = {w->wq, w->wk, w->wv, w->wo, w->bq, w->bk, w->bv, w->bo};
    for (size_t i = 0; i < sizeof arrays / sizeof arrays[0]; i++)
        free(arrays[i]);
    memset(w, 0, sizeof *w);
}

/* Fills a new (rows, cols) array with uniform [-a, a), a = 1/sqrt(rows). */
static float *generate_matrix(sa_rng *rng, size_t rows, size_t cols)
{
    float *m = malloc(rows * cols * sizeof *m);
    float a = (float)(1.0 / sqrt((double)rows));
    if (!m)
        return NULL;
    for (size_t i = 0; i < rows * cols; i++)
        m[i] = a * (2.0f * sa_rng_uniform(rng) - 1.0f);
    return m;
}

sa_status sa_weights_generate(sa_weights *w, size_t d_model, size_t d_kv_in,
                              size_t heads, size_t kv_heads, size_t d_head,
                              bool out_proj, uint64_t seed, sa_error *err)
{
    sa_rng rng;
    memset(w, 0, sizeof *w);
    if (d_model == 0 || d_kv_in == 0 || heads == 0 || kv_heads == 0 ||
        d_head == 0)
        return sa_fail(err, SA_ERR_USAGE, 0, 0,
                       "widths and head counts must be positive");
    double P = (double)heads * (double)d_head, Pkv = (double)kv_heads * (double)d_head;
    double floats = (double)d_model * P * (out_proj ? 2 : 1) + 2.0 * (double)d_kv_in * Pkv;
    char what[96];
    snprintf(what, sizeof what, "generating %zu x %.0f weights", d_model, P);
    sa_status status = sa_check_need(floats * sizeof(float), what, err);
    if (status)
        return status;
    sa_rng_seed(&rng, seed);
    w->convention = SA_CONVENTION_SEED;
    w->d_model = d_model;
    w->d_kv_in = d_kv_in;
    w->d_proj = heads * d_head;
    w->d_kv = kv_heads * d_head;
    w->d_out = out_proj ? d_model : w->d_proj;
    w->wq = generate_matrix(&rng, d_model, w->d_proj);
    w->wk = w->wq ? generate_matrix(&rng, d_kv_in, w->d_kv) : NULL;
    w->wv = w->wk ? generate_matrix(&rng, d_kv_in, w->d_kv) : NULL;
    if (out_proj && w->wv)
        w->wo = generate_matrix(&rng, w->d_proj, d_model);
    if (!w->wv || (out_proj && !w->wo)) {
        sa_weights_free(w);
        return sa_fail(err, SA_ERR_NOMEM, 0, 0, "out of memory");
    }
    return SA_OK;
}

sa_status sa_weights_check(const sa_weights *w, size_t d, size_t d_ctx,
                           size_t heads, size_t kv_heads, sa_error *err)
{
    bool torch = w->convention == SA_CONVENTION_TORCH;
    if (w->d_model != d) {
        if (torch)
            return sa_fail(err, SA_ERR_DATA, 0, 0,
                           "the input has %zu columns but the weights expect "
                           "%zu (the columns of in_proj_weight or "
                           "q_proj_weight)", d, w->d_model);
        return sa_fail(err, SA_ERR_DATA, 0, 0,
                       "the input has %zu columns but Wq is %zu x %zu, which "
                       "expects %zu", d, w->d_model, w->d_proj, w->d_model);
    }
    if (w->d_kv_in != d_ctx) {
        /* with d_ctx == d the keys may come from the input or a context */
        const char *source = d_ctx == d ? "keys and values have" : "context has";
        if (torch)
            return sa_fail(err, SA_ERR_DATA, 0, 0,
                           "the %s %zu columns but the key/value weights "
                           "expect %zu (the columns of k_proj_weight)",
                           source, d_ctx, w->d_kv_in);
        return sa_fail(err, SA_ERR_DATA, 0, 0,
                       "the %s %zu columns but Wk is %zu x %zu, which "
                       "expects %zu", source, d_ctx, w->d_kv_in, w->d_kv,
                       w->d_kv_in);
    }
    char counts[256];  /* what would work */
    if (heads == 0 || w->d_proj % heads != 0) {
        sa_format_divisors(counts, sizeof counts, w->d_proj, heads);
        return sa_fail(err, SA_ERR_USAGE, 0, 0,
                       "%zu heads do not divide the projected width %zu: use %s",
                       heads, w->d_proj, counts);
    }
    if (kv_heads == 0 || heads % kv_heads != 0) {
        sa_format_divisors(counts, sizeof counts, heads, kv_heads);
        return sa_fail(err, SA_ERR_USAGE, 0, 0,
                       "%zu key/value head(s) do not divide %zu heads: use %s",
                       kv_heads, heads, counts);
    }
    size_t dh = w->d_proj / heads;
    if (w->d_kv != kv_heads * dh) {
        /* the key/value heads the width of Wk holds, if they divide heads */
        size_t fit = w->d_kv % dh == 0 ? w->d_kv / dh : 0;
        counts[0] = '\0';
        if (fit && heads % fit == 0)
            snprintf(counts, sizeof counts, ": use %zu key/value head%s", fit,
                     fit == 1 ? "" : "s");
        return sa_fail(err, SA_ERR_DATA, 0, 0,
                       "%s has %zu columns but %zu key/value head(s) of width "
                       "%zu need %zu%s", torch ? "the key projection" : "Wk",
                       w->d_kv, kv_heads, dh, kv_heads * dh, counts);
    }
    return SA_OK;
}

sa_status sa_weights_write_json(FILE *out, const sa_weights *w,
                                const char *config, sa_error *err)
{
    const struct { const char *name; const float *m; size_t rows, cols; } mats[] = {
        {"Wq", w->wq, w->d_model, w->d_proj}, {"Wk", w->wk, w->d_kv_in, w->d_kv},
        {"Wv", w->wv, w->d_kv_in, w->d_kv}, {"Wo", w->wo, w->d_proj, w->d_out},
        {"bq", w->bq, 0, w->d_proj}, {"bk", w->bk, 0, w->d_kv},
        {"bv", w->bv, 0, w->d_kv}, {"bo", w->bo, 0, w->d_out},
    };
    bool first = true;
    sa_buffer b;
    sa_buffer_init(&b, out);
    sa_buffer_puts(&b, "{\n");
    if (config) {
        sa_buffer_printf(&b, "  \"config\": %s", config);
        first = false;
    }
    for (size_t i = 0; i < sizeof mats / sizeof mats[0]; i++) {
        if (!mats[i].m)
            continue;
        sa_buffer_printf(&b, "%s  \"%s\": ", first ? "" : ",\n", mats[i].name);
        if (mats[i].rows)
            sa_buffer_json_rows(&b, mats[i].m, mats[i].rows, mats[i].cols, 2);
        else
            sa_buffer_json_vector(&b, mats[i].m, mats[i].cols);
        first = false;
    }
    sa_buffer_puts(&b, "\n}\n");
    return sa_buffer_close(&b, err);
}
