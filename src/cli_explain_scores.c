/* cli_explain_scores.c — explain's sections on the scores: the raw q.k of
 * the worked head, then the scale and, when in use, the softcap, ALiBi,
 * the bias and the masks, each with why it is there, and the worked
 * cell followed through them in the library's order.  Legend as in
 * cli_explain.h. */
#include <math.h>
#include <string.h>

#include "cli_explain.h"

#define DOT "\xC2\xB7"
#define SQRT "\xE2\x88\x9A"
#define MINUS "\xE2\x88\x92"

/* The labels of the keys: the context's tokens, else the input's. */
static char *const *key_labels(explainer *e)
{
    const sa_report *rep = &e->out->report;
    return rep->context_name ? rep->key_tokens : rep->tokens;
}

/* A title with the worked head's number when there are several. */
static void head_title(char *buf, size_t size, explainer *e,
                       const char *name)
{
    if (e->H > 1)
        snprintf(buf, size, "%s, head %zu", name, e->head + 1);
    else
        snprintf(buf, size, "%s", name);
}

void explain_raw_scores(explainer *e)
{
    const sa_result *r = &e->out->result;
    size_t n = e->n, m = e->m, dh = e->dh, h = e->head;
    char title[64], lhs[96];
    explain_section(e, "RAW SCORES: QUERY" DOT "KEY");
    if (e->H > 1)
        explain_say(e, "From here on, head %zu alone (--head picks it): the "
                    "other heads go the same way with their own columns, and "
                    "selfattn run -p steps prints them all.", h + 1);
    explain_say(e, "raw_scores[i][j] = q_i" DOT "k_j, the dot product of query "
                "i and key j (the head's columns): large when the two vectors "
                "point the same way, that is when what token i looks for matches "
                "what token j offers.");
    head_title(title, sizeof title, e, "raw_scores");
    explain_matrix(e, title, r->raw_scores + h * n * m, n, m,
                   e->out->report.tokens, key_labels(e), 0);
    snprintf(lhs, sizeof lhs, "s[%zu][%zu] = q%zu" DOT "k%zu", e->row, e->key,
             e->row, e->key);
    fputc('\n', e->fp);
    explain_line(e, 0, "One cell worked in full (the key the row weighs most):");
    explain_dot(e, lhs, r->q + (h * n + e->row) * dh, 1,
                r->k + (h * m + e->key) * dh, 1, dh, NULL);
}

/* Why the scale, and which one. */
static void explain_scale(explainer *e)
{
    char num[32], dflt[32];
    explain_num(dflt, e, 1.0 / sqrt((double)e->dh));
    if (e->o->scale_set || e->o->from_weights[SA_SET_SCALE])
        explain_say(e, "scores = raw_scores \xC3\x97 scale, with scale = %s "
                    "(%s; the default is 1/" SQRT "d_head = 1/" SQRT "%zu = %s).",
                    explain_num(num, e, e->scale), e->o->scale_set ? "--scale"
                    : "from the weights' config", e->dh, dflt);
    else
        explain_say(e, "scores = raw_scores \xC3\x97 scale, with the default scale "
                    "1/" SQRT "d_head = 1/" SQRT "%zu = %s.", e->dh, dflt);
    explain_say(e, "Why scale: q" DOT "k adds d_head products, so for numbers of "
                "about unit size its spread grows like " SQRT "d_head. Large "
                "scores make the softmax nearly one-hot (one weight near 1, the "
                "others near 0), where it hardly changes and learns slowly (its "
                "gradients vanish); dividing by " SQRT "d_head keeps the scores "
                "about unit size whatever the head width.");
}

/* The terms added to the scores and the masks in use, and why. */
static void explain_terms(explainer *e, const float *slopes)
{
    const sa_config *c = &e->out->config;
    const sa_report *rep = &e->out->report;
    char num[32];
    if (c->softcap > 0)
        explain_say(e, "--softcap %s: each score s becomes C" DOT "tanh(s/C), "
                    "within (" MINUS "C, C), so that no score grows without bound "
                    "(Gemma 2 caps its scores so).", explain_short(num, e, c->softcap));
    if (c->alibi)
        explain_say(e, "--alibi adds " MINUS "m" DOT "|i " MINUS " j| with this "
                    "head's slope m = %s (2^(" MINUS "8h/H) for head h of H): the "
                    "further a key is from the query, the lower its score; a "
                    "notion of position without vectors.",
                    explain_short(num, e, slopes[e->head]));
    if (rep->bias_name)
        explain_say(e, "--bias %s adds its number at (i, j)%s to each score: a "
                    "preference given from outside.", rep->bias_name,
                    c->bias_per_head ? " of the head's matrix" : "");
    if (c->causal)
        explain_say(e, "--causal hides every key after the query (j > i): a model "
                    "that predicts the next token must not see it.");
    if (c->window >= 0)
        explain_say(e, "--window %ld hides the keys more than %ld places from the "
                    "query (|i " MINUS " j| > %ld): local attention.", c->window,
                    c->window, c->window);
    if (rep->mask_name)
        explain_say(e, "--mask %s hides the keys its 0s mark.", rep->mask_name);
    if (c->causal || c->window >= 0 || c->mask)
        explain_say(e, "Why a hidden key's score becomes " MINUS "inf: exp(" MINUS
                    "inf) = 0, so its weight is exactly 0 and the visible keys' "
                    "weights still add up to 1.");
}

/* The worked cell through the scale, softcap, ALiBi and bias, in the
 * library's order (attention_internal.h's sa_finish_scores). */
static void worked_score(explainer *e, const float *slopes)
{
    const sa_result *r = &e->out->result;
    const sa_config *c = &e->out->config;
    size_t i = e->row, j = e->key, nm = e->n * e->m;
    char a[32], b[32], s_text[32];
    float raw = r->raw_scores[e->head * nm + i * e->m + j];
    float stored = r->scores[e->head * nm + i * e->m + j];
    double s = (double)raw * (double)e->scale;
    fputc('\n', e->fp);
    explain_line(e, 0, "The worked cell: scores[%zu][%zu] = %s \xC3\x97 %s = %s", i,
            j, explain_num(a, e, raw), explain_short(b, e, e->scale),
            explain_num(s_text, e, s));
    if (c->softcap > 0) {
        s = c->softcap * tanh(s / c->softcap);
        explain_line(e, 2, "softcap: C" DOT "tanh(s/C) = %s", explain_num(a, e, s));
    }
    if (c->alibi) {
        size_t dist = i > j ? i - j : j - i;
        s -= (double)slopes[e->head] * (double)dist;
        explain_line(e, 2, "ALiBi: " MINUS "%s \xC3\x97 %zu gives %s",
                explain_short(b, e, slopes[e->head]), dist, explain_num(a, e, s));
    }
    if (c->bias) {
        float add = c->bias[(c->bias_per_head ? e->head * nm : 0) + i * e->m + j];
        s += add;
        explain_line(e, 2, "bias: + %s gives %s", explain_short(b, e, add),
                explain_num(a, e, s));
    }
    if (isinf(stored))
        explain_line(e, 2, "hidden: " MINUS "inf");
}

void explain_scaled_scores(explainer *e)
{
    const sa_config *c = &e->out->config;
    const sa_result *r = &e->out->result;
    bool terms = c->softcap > 0 || c->alibi || c->bias;
    bool masks = c->causal || c->window >= 0 || c->mask;
    float slopes[EXPLAIN_MAX];
    char title[64];
    sa_alibi_slopes(slopes, e->H);
    explain_section(e, terms && masks ? "THE SCALE, THE TERMS AND THE MASKS"
                       : terms ? "THE SCALE AND THE TERMS"
                       : masks ? "THE SCALE AND THE MASKS" : "THE SCALE");
    explain_scale(e);
    explain_terms(e, slopes);
    if (terms || masks)
        explain_say(e, "In order: s = scale" DOT "q" DOT "k \xE2\x86\x92 softcap "
                    "\xE2\x86\x92 + ALiBi \xE2\x86\x92 + bias \xE2\x86\x92 masks "
                    "\xE2\x86\x92 softmax.");
    head_title(title, sizeof title, e, "scores");
    explain_matrix(e, title, r->scores + e->head * e->n * e->m, e->n, e->m,
                   e->out->report.tokens, key_labels(e), 0);
    worked_score(e, slopes);
}
