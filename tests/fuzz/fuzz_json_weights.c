/* fuzz_json_weights.c — sa_weights_load on a JSON weights file ("w.json":
 * math convention or torch names), sa_weights_check for a few widths and
 * head counts, a forward pass with the weights when they fit, and the
 * round trip through sa_weights_write_json, which must give the same bits
 * back.
 *
 * The readers skip keys that start with '_', so the input may also carry
 * the forward pass's query rows "_x" (n x d), key rows "_ctx" (m x d_ctx)
 * and fixed choices "_heads", "_window", "_causal", "_compare" (run both
 * paths); otherwise they are drawn from a hash of the input. */
#include <stdio.h>

#include <cJSON.h>

#include "fuzz_attend.h"

/* The arrays of a and b are equal bit for bit (NULL matching NULL). */
static bool same(const float *a, const float *b, size_t len)
{
    if (!a || !b)
        return a == b;
    return memcmp(a, b, len * sizeof *a) == 0;
}

static void round_trip(const sa_weights *w)
{
    char *text = NULL;
    size_t len = 0;
    sa_error err;
    FILE *out = open_memstream(&text, &len);
    if (!out)
        abort();
    fuzz_reset_error(&err);
    sa_status st = sa_weights_write_json(out, w, "{\"fuzz\": true}", &err);
    fclose(out);
    FUZZ_CHECK(st == SA_OK);
    sa_weights back;
    fuzz_reset_error(&err);
    st = sa_weights_from_json(&back, text, len, &err);
    FUZZ_CHECK(st == SA_OK);
    FUZZ_CHECK(back.d_model == w->d_model && back.d_kv_in == w->d_kv_in &&
               back.d_proj == w->d_proj && back.d_kv == w->d_kv &&
               back.d_out == w->d_out);
    FUZZ_CHECK(same(back.wq, w->wq, w->d_model * w->d_proj));
    FUZZ_CHECK(same(back.wk, w->wk, w->d_kv_in * w->d_kv));
    FUZZ_CHECK(same(back.wv, w->wv, w->d_kv_in * w->d_kv));
    FUZZ_CHECK(same(back.wo, w->wo, w->d_proj * w->d_out));
    FUZZ_CHECK(same(back.bq, w->bq, w->d_proj));
    FUZZ_CHECK(same(back.bk, w->bk, w->d_kv));
    FUZZ_CHECK(same(back.bv, w->bv, w->d_kv));
    FUZZ_CHECK(same(back.bo, w->bo, w->d_out));
    sa_weights_free(&back);
    free(text);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const size_t heads[] = {1, 2, 3, 4, 8};
    char *text = fuzz_text(data, size);
    sa_weights w;
    sa_error err;
    fuzz_reset_error(&err);
    fuzz_heap_begin();
    sa_status st = sa_weights_load(&w, "w.json", text, size, -1, &err);
    fuzz_heap_check(size);
    if (st) {
        fuzz_check_error(st, &err);
        FUZZ_CHECK(w.wq == NULL && w.wk == NULL && w.wv == NULL && w.wo == NULL &&
                   w.bq == NULL && w.bk == NULL && w.bv == NULL && w.bo == NULL);
        free(text);
        return 0;
    }
    fuzz_check_weights(&w);
    FUZZ_CHECK(w.convention == SA_CONVENTION_MATH ||
               w.convention == SA_CONVENTION_TORCH);

    /* sa_weights_check: the widths must match, heads divide */
    const size_t widths[][2] = {
        {w.d_model, w.d_kv_in}, {w.d_model + 1, w.d_kv_in},
        {w.d_model, w.d_kv_in + 1}, {w.d_kv_in, w.d_model}, {0, 0}};
    for (size_t i = 0; i < sizeof widths / sizeof widths[0]; i++)
        for (size_t h = 0; h < sizeof heads / sizeof heads[0]; h++) {
            const size_t kv[] = {0, 1, 2, heads[h]};
            for (size_t g = 0; g < sizeof kv / sizeof kv[0]; g++) {
                fuzz_reset_error(&err);
                st = sa_weights_check(&w, widths[i][0], widths[i][1], heads[h],
                                      kv[g], &err);
                if (st) {
                    fuzz_check_error(st, &err);
                    continue;
                }
                FUZZ_CHECK(widths[i][0] == w.d_model && widths[i][1] == w.d_kv_in);
                FUZZ_CHECK(kv[g] > 0 && w.d_proj % heads[h] == 0 &&
                           heads[h] % kv[g] == 0 &&
                           w.d_kv == kv[g] * (w.d_proj / heads[h]));
            }
        }

    /* a forward pass when the weights are small enough */
    uint64_t rng = fuzz_hash(data, size);
    size_t H, G;
    cJSON *root = cJSON_Parse(text);  /* it parsed: sa_weights_load took it */
    const cJSON *fixed_heads = cJSON_GetObjectItemCaseSensitive(root, "_heads");
    const cJSON *window = cJSON_GetObjectItemCaseSensitive(root, "_window");
    const cJSON *causal = cJSON_GetObjectItemCaseSensitive(root, "_causal");
    memset(&fuzz_fixed, 0, sizeof fuzz_fixed);
    fuzz_fixed.compare = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(root, "_compare"));
    if (cJSON_IsNumber(window) && window->valuedouble >= -1 &&
        window->valuedouble <= 1e6) {
        fuzz_fixed.has_window = true;
        fuzz_fixed.window = (long)window->valuedouble;
    }
    if (cJSON_IsBool(causal)) {
        fuzz_fixed.has_causal = true;
        fuzz_fixed.causal = cJSON_IsTrue(causal);
    }
    uint64_t pick = fuzz_next(&rng);
    if (cJSON_IsNumber(fixed_heads) && fixed_heads->valuedouble >= 1 &&
        fixed_heads->valuedouble <= 64)
        pick = (uint64_t)fixed_heads->valuedouble - 1;  /* the pick-th fitting H */
    if (w.d_model * w.d_proj <= 65536 && w.d_kv_in * w.d_kv <= 65536 &&
        w.d_proj * w.d_out <= 65536 && fuzz_pick_heads(&H, &G, &w, pick)) {
        fuzz_reset_error(&err);
        FUZZ_CHECK(sa_weights_check(&w, w.d_model, w.d_kv_in, H, G, &err) == SA_OK);
        size_t n = 1 + fuzz_next(&rng) % 6, m = 1 + fuzz_next(&rng) % 6;
        float *x = malloc(n * w.d_model * sizeof *x);
        float *ctx = malloc(m * w.d_kv_in * sizeof *ctx);
        if (!x || !ctx)
            abort();
        for (size_t i = 0; i < n * w.d_model; i++)
            x[i] = fuzz_uniform(&rng, -2.0f, 2.0f);
        for (size_t i = 0; i < m * w.d_kv_in; i++)
            ctx[i] = fuzz_uniform(&rng, -2.0f, 2.0f);
        bool self = w.d_model == w.d_kv_in && (fuzz_next(&rng) & 1);
        /* rows given in the input replace the drawn ones */
        sa_matrix given_x = {0}, given_ctx = {0};
        const cJSON *jx = cJSON_GetObjectItemCaseSensitive(root, "_x");
        const cJSON *jc = cJSON_GetObjectItemCaseSensitive(root, "_ctx");
        char *t;
        if (jx && (t = cJSON_PrintUnformatted(jx))) {
            if (sa_read_json_matrix(&given_x, t, strlen(t), &err) == SA_OK &&
                given_x.cols == w.d_model && given_x.rows <= 4096) {
                free(x);
                x = given_x.data;
                given_x.data = NULL;
                n = given_x.rows;
                self = true;
            }
            free(t);
        }
        if (jc && (t = cJSON_PrintUnformatted(jc))) {
            if (sa_read_json_matrix(&given_ctx, t, strlen(t), &err) == SA_OK &&
                given_ctx.cols == w.d_kv_in && given_ctx.rows <= 4096) {
                free(ctx);
                ctx = given_ctx.data;
                given_ctx.data = NULL;
                m = given_ctx.rows;
                self = false;
            }
            free(t);
        }
        sa_matrix_free(&given_x);
        sa_matrix_free(&given_ctx);
        if (w.d_model != w.d_kv_in)
            self = false;
        fuzz_attend(x, n, w.d_model, self ? NULL : ctx, m, w.d_kv_in, &w, H,
                    G, &rng);
        free(x);
        free(ctx);
    }
    cJSON_Delete(root);

    if (size < 16384)
        round_trip(&w);
    sa_weights_free(&w);
    free(text);
    return 0;
}
