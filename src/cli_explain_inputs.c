/* cli_explain_inputs.c — explain's first sections: the input X (and the
 * context, and the positions added), the weights, and Q, K and V with the
 * columns each head takes.  Legend as in cli_explain.h. */
#include <string.h>

#include "cli_explain.h"

/* The labels of the keys: the context's tokens, else the input's. */
static char *const *key_labels(explainer *e)
{
    const sa_report *rep = &e->out->report;
    return rep->context_name ? rep->key_tokens : rep->tokens;
}

void explain_inputs(explainer *e)
{
    const sa_report *rep = &e->out->report;
    const sa_config *c = &e->out->config;
    explain_section(e, "THE INPUT X");
    explain_say(e, "Each row of X is one token as a vector of d = %zu numbers "
                "(its embedding): %zu row%s, one per token. Attention lets each "
                "row gather information from the rows it attends to; nothing "
                "else mixes the rows.", e->d, e->n, e->n == 1 ? "" : "s");
    const float *given = e->x;
    float with_pos[EXPLAIN_MAX * EXPLAIN_MAX];
    if (c->pos_sinusoidal) {  // e->x has the positions: take them off to show X
        memcpy(with_pos, e->x, e->n * e->d * sizeof *with_pos);
        given = with_pos;
        float pe[EXPLAIN_MAX * EXPLAIN_MAX] = {0};
        sa_sinusoidal(pe, e->n, e->d);
        for (size_t i = 0; i < e->n * e->d; i++)
            with_pos[i] -= pe[i];
    }
    explain_matrix(e, "X", given, e->n, e->d, rep->tokens, NULL, 0);
    if (c->pos_sinusoidal) {
        explain_say(e, "--pos sinusoidal first adds a vector PE to the row at "
                    "position p: PE[p][2i] = sin(p / 10000^(2i/d)), PE[p][2i+1] "
                    "= cos(p / 10000^(2i/d)). Why: attention compares every query "
                    "with every key in the same way wherever they stand, so "
                    "without positions it sees a set, not a sequence. With PE "
                    "added, the same token at two places gives two different "
                    "rows. X + PE is what the projections see:");
        explain_matrix(e, "X + PE", e->x, e->n, e->d, rep->tokens, NULL, 0);
    } else if (!c->rope && !c->alibi) {
        explain_say(e, "No positions are used (--pos, --rope or --alibi add "
                    "them): attention sees the rows as a set, not a sequence. "
                    "Swap two rows of X and their outputs swap too; nothing else "
                    "changes.%s", c->causal ? " (--causal gives an order of its "
                    "own: each query sees only the keys up to itself.)" : "");
    }
    if (rep->context_name) {
        explain_say(e, "Cross-attention: the queries come from X, the keys and "
                    "values from the context %s, m = %zu rows of width d_ctx = "
                    "%zu.", rep->context_name, e->m, e->d_ctx);
        explain_matrix(e, "context C", e->ctx, e->m, e->d_ctx, key_labels(e),
                       NULL, 0);
    }
}

/* A bias vector as a one-row matrix, if there is one. */
static void bias_vector(explainer *e, const char *name, const float *b,
                        size_t len)
{
    if (b)
        explain_matrix(e, name, b, 1, len, NULL, NULL, 0);
}

void explain_weights(explainer *e)
{
    const sa_report *rep = &e->out->report;
    const sa_weights *w = e->w;
    explain_section(e, "THE WEIGHTS");
    explain_say(e, "Three learned matrices turn every row into three vectors: "
                "Wq gives its query (what the token looks for), Wk its key (what "
                "it offers to the queries) and Wv its value (what it passes on to "
                "the queries that attend to it).");
    if (rep->weights_name)
        explain_say(e, "Here they are read from %s, in the math convention (Q = "
                    "X\xC2\xB7Wq; a torch or checkpoint file's matrices are "
                    "transposed to it).", rep->weights_name);
    else
        explain_say(e, "Here they are generated from seed %llu, each number "
                    "uniform within \xC2\xB1" "1/\xE2\x88\x9A(its rows) (selfattn "
                    "init writes them).", (unsigned long long)rep->seed);
    explain_matrix(e, "Wq", w->wq, e->d, e->P, NULL, NULL, 0);
    bias_vector(e, "bq", w->bq, e->P);
    explain_matrix(e, "Wk", w->wk, e->d_ctx, e->Pkv, NULL, NULL, 0);
    bias_vector(e, "bk", w->bk, e->Pkv);
    explain_matrix(e, "Wv", w->wv, e->d_ctx, e->Pkv, NULL, NULL, 0);
    bias_vector(e, "bv", w->bv, e->Pkv);
    if (w->wo)
        explain_matrix(e, "Wo", w->wo, e->P, e->d_out, NULL, NULL, 0);
    bias_vector(e, "bo", w->bo, e->d_out);
}

/* What the heads take of Q, K and V, and why there are several. */
static void explain_heads(explainer *e)
{
    if (e->H == 1) {
        explain_say(e, "One head: it uses all %zu columns of Q, K and V (d_head "
                    "= %zu). With several heads (-H), each would take its own "
                    "columns and attend on its own.", e->dh, e->dh);
        return;
    }
    char text[1024];
    size_t used = 0;
    for (size_t h = 0; h < e->H && used < sizeof text; h++)
        used += (size_t)snprintf(text + used, sizeof text - used, "%shead %zu "
                                 "columns %zu to %zu", h ? ", " : "", h + 1,
                                 h * e->dh, (h + 1) * e->dh - 1);
    explain_say(e, "%zu heads of width d_head = %zu: each takes its own columns "
                "of Q, %s. Why several heads: each compares the tokens through a "
                "projection of its own, so one head can follow, say, the previous "
                "token while another follows a related word, where a single "
                "softmax per query could take only one weighted average; %zu "
                "heads of width %zu cost what one of width %zu does.", e->H,
                e->dh, text, e->H, e->dh, e->P);
    if (e->G != e->H)
        explain_say(e, "K and V have %zu key/value head%s (--kv-heads): each "
                    "serves %zu query heads, which share its columns; head %zu "
                    "uses kv head %zu, columns %zu to %zu of K and V.", e->G,
                    e->G == 1 ? "" : "s", e->H / e->G, e->head + 1, e->kv + 1,
                    e->kv * e->dh, (e->kv + 1) * e->dh - 1);
    else
        explain_say(e, "K and V are split the same way.");
}

/* m (rows, heads * dh) from per-head (heads, rows, dh) steps, head g of m
 * from head g * stride of steps. */
static void gather(float *m, const float *steps, size_t heads, size_t rows,
                   size_t dh, size_t stride)
{
    for (size_t g = 0; g < heads; g++)
        for (size_t i = 0; i < rows; i++)
            memcpy(m + i * heads * dh + g * dh, steps + (g * stride * rows + i) * dh,
                   dh * sizeof *m);
}

void explain_projections(explainer *e)
{
    const sa_result *r = &e->out->result;
    const sa_report *rep = &e->out->report;
    const sa_config *c = &e->out->config;
    const sa_weights *w = e->w;
    const char *keys = rep->context_name ? "C" : "X";
    explain_section(e, "QUERIES, KEYS AND VALUES");
    explain_say(e, "Q = X\xC2\xB7Wq%s, K = %s\xC2\xB7Wk%s, V = %s\xC2\xB7Wv%s: row "
                "i of Q is row i of %s times Wq, and the same for K and V.",
                w->bq ? " + bq" : "", keys, w->bk ? " + bk" : "", keys,
                w->bv ? " + bv" : "", c->pos_sinusoidal ? "X + PE" : "X");
    explain_heads(e);
    if (c->rope)
        explain_say(e, "--rope then rotates each pair of columns (%s) of every "
                    "head's q and k by the angle p\xC2\xB7%g^(\xE2\x88\x92" "2t/"
                    "d_head), p the row's position. Why: the dot product of two "
                    "rotated vectors depends on the difference of their angles, so "
                    "q_i\xC2\xB7k_j depends on how far apart i and j are, not on "
                    "where they are. The Q and K below are after the rotation.",
                    c->rope_neox ? "t and t + d_head/2" : "2t and 2t+1",
                    (double)c->rope_base);
    float q[EXPLAIN_MAX * EXPLAIN_MAX], k[EXPLAIN_MAX * EXPLAIN_MAX],
          v[EXPLAIN_MAX * EXPLAIN_MAX];
    gather(q, r->q, e->H, e->n, e->dh, 1);
    gather(k, r->k, e->G, e->m, e->dh, e->H / e->G);
    gather(v, r->v, e->G, e->m, e->dh, e->H / e->G);
    explain_matrix(e, "Q", q, e->n, e->P, rep->tokens, NULL, 0);
    explain_matrix(e, "K", k, e->m, e->Pkv, key_labels(e), NULL, 0);
    explain_matrix(e, "V", v, e->m, e->Pkv, key_labels(e), NULL, 0);
    // one cell in full: the worked row's first column of the worked head
    size_t col = e->head * e->dh;
    char lhs[96], num[32];
    snprintf(lhs, sizeof lhs, "Q[%zu][%zu] = x%zu\xC2\xB7Wq[:,%zu]", e->row, col,
             e->row, col);
    fputc('\n', e->fp);
    explain_line(e, 0, "One cell worked in full:");
    double sum = explain_dot(e, lhs, e->x + e->row * e->d, 1, w->wq + col, e->P,
                             e->d, NULL);
    if (w->bq)
        explain_line(e, 2, "+ bq[%zu] = %s", col,
                explain_num(num, e, sum + (double)w->bq[col]));
    if (c->rope)
        explain_say(e, "(before RoPE, which rotates it into the Q shown)");
}
