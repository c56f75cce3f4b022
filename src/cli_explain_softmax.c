/* cli_explain_softmax.c — explain's last sections: the softmax of the
 * worked row with its exponentials and their sum, the weights, the head's
 * output, the concatenation of the heads and the output projection.
 * Legend as in cli_explain.h. */
#include <math.h>
#include <string.h>

#include "cli_explain.h"

#define DOT "\xC2\xB7"
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

/* The table of the row: each key's score, score - max, exp and weight. */
static void softmax_table(explainer *e, const float *s, const float *ex,
                          const float *w, float max)
{
    static const char *const heads[] = {"score", "score " MINUS " max", "exp",
                                        "weight"};
    static const size_t head_widths[] = {5, 11, 3, 6};
    char *const *keys = key_labels(e);
    char cells[EXPLAIN_MAX][4][32], label[64];
    size_t widths[4], key_w = 3;
    for (int c = 0; c < 4; c++)
        widths[c] = head_widths[c];
    for (size_t j = 0; j < e->m; j++) {
        double values[4] = {s[j], isinf(s[j]) ? s[j] : (double)(s[j] - max), ex[j], w[j]};
        for (int c = 0; c < 4; c++) {
            explain_num(cells[j][c], e, values[c]);
            size_t len = strlen(cells[j][c]);
            widths[c] = len > widths[c] ? len : widths[c];
        }
        snprintf(label, sizeof label, "%s", keys ? keys[j] : "");
        size_t len = keys ? strlen(label) : (size_t)snprintf(NULL, 0, "%zu", j);
        key_w = len > key_w ? len : key_w;
    }
    if (key_w > 16)
        key_w = 16;
    fprintf(e->fp, "\n  %-*s", (int)key_w, "key");
    for (int c = 0; c < 4; c++)
        fprintf(e->fp, "  %*s%s", (int)(widths[c] - head_widths[c]), "", heads[c]);
    fputc('\n', e->fp);
    for (size_t j = 0; j < e->m; j++) {
        if (keys)
            snprintf(label, sizeof label, "%.16s", keys[j]);
        else
            snprintf(label, sizeof label, "%zu", j);
        for (char *c = label; *c; c++)
            if ((unsigned char)*c < 0x20)
                *c = '?';
        fprintf(e->fp, "  %-*s", (int)key_w, label);
        for (int c = 0; c < 4; c++)
            fprintf(e->fp, "  %*s", (int)widths[c], cells[j][c]);
        fputc('\n', e->fp);
    }
}

static void softmax_row(explainer *e, const float *s, const float *ex,
                        const float *w, float max, float sum);

void explain_softmax(explainer *e)
{
    const sa_result *r = &e->out->result;
    size_t nm = e->n * e->m, at = e->head * nm + e->row * e->m;
    const float *s = r->scores + at, *ex = r->exp_scores + at, *w = r->weights + at;
    float sum = r->rowsum[e->head * e->n + e->row];
    char title[64];
    snprintf(title, sizeof title, "THE SOFTMAX OF ROW %zu", e->row);
    explain_section(e, title);
    explain_say(e, "The softmax turns row %zu of the scores into weights, each "
                "positive, all adding up to 1, the largest score getting the most: "
                "w_j = exp(s_j) / \xCE\xA3_k exp(s_k). The row's maximum is "
                "subtracted first: exp(s " MINUS " max) is at most 1, so nothing "
                "overflows (exp(89) is already past float32's range), and the "
                "weights do not change, since the factor exp(" MINUS "max) cancels "
                "between each exp and their sum.", e->row);
    float max = -INFINITY;
    for (size_t j = 0; j < e->m; j++)
        max = s[j] > max ? s[j] : max;
    if (max == -INFINITY)
        explain_say(e, "Row %zu sees no key: every score is " MINUS "inf and "
                    "there is nothing to average. Its weights are all 0 (NaN with "
                    "--masked-rows nan) and so is its output.", e->row);
    else
        softmax_row(e, s, ex, w, max, sum);
    explain_section(e, "THE WEIGHTS");
    explain_say(e, "Every row goes the same way. Row i of the weights says how "
                "much query i takes from each key's value; it adds up to 1.");
    head_title(title, sizeof title, e, "weights");
    explain_matrix(e, title, r->weights + e->head * nm, e->n, e->m,
                   e->out->report.tokens, key_labels(e), 0);
}

/* The worked row's table, the sum of its exponentials and one weight. */
static void softmax_row(explainer *e, const float *s, const float *ex,
                        const float *w, float max, float sum)
{
    char text[2048], num[32], a[32], b[32];
    softmax_table(e, s, ex, w, max);
    size_t used = (size_t)snprintf(text, sizeof text, "rowsum = ");
    for (size_t j = 0; j < e->m && used < sizeof text; j++)
        if (!isinf(s[j]))
            used += (size_t)snprintf(text + used, sizeof text - used, "%s%s",
                                     used > 9 ? " + " : "", explain_short(num, e, ex[j]));
    if (used < sizeof text)
        snprintf(text + used, sizeof text - used, " = %s (max = %s)",
                 explain_num(num, e, sum), explain_num(a, e, max));
    fputc('\n', e->fp);
    explain_wrap(e, text, 0);
    explain_line(e, 0, "weight = exp / rowsum: w[%zu][%zu] = %s / %s = %s", e->row,
            e->key, explain_num(a, e, ex[e->key]), explain_num(b, e, sum),
            explain_num(num, e, w[e->key]));
}

/* concat, or that there is one head only. */
static void explain_concat(explainer *e)
{
    const sa_result *r = &e->out->result;
    if (e->H == 1) {
        explain_say(e, "With one head, concat is its output.");
        return;
    }
    explain_say(e, "The %zu heads' outputs side by side make concat (n \xC3\x97 "
                "H" DOT "d_head = %zu \xC3\x97 %zu): head h in columns (h " MINUS
                " 1)" DOT "%zu to h" DOT "%zu " MINUS " 1.", e->H, e->n, e->P,
                e->dh, e->dh);
    explain_matrix(e, "concat", r->concat, e->n, e->P, e->out->report.tokens,
                   NULL, 0);
}

void explain_outputs(explainer *e)
{
    const sa_result *r = &e->out->result;
    const sa_weights *w = e->w;
    size_t h = e->head, n = e->n, m = e->m, dh = e->dh;
    char title[64], lhs[96], num[32];
    explain_section(e, "THE HEAD'S OUTPUT");
    explain_say(e, "O = weights" DOT "V: row i of the head's output is the "
                "average of the value rows weighted by row i's weights, what "
                "query i gathers from the keys it attends to.");
    head_title(title, sizeof title, e, "head_output");
    explain_matrix(e, title, r->head_output + h * n * dh, n, dh,
                   e->out->report.tokens, NULL, 0);
    snprintf(lhs, sizeof lhs, "O[%zu][0] = w%zu" DOT "V[:,0]", e->row, e->row);
    fputc('\n', e->fp);
    explain_line(e, 0, "One cell worked in full:");
    explain_dot(e, lhs, r->weights + (h * n + e->row) * m, 1, r->v + h * m * dh,
                dh, m, NULL);
    explain_section(e, w->wo ? "CONCATENATION AND OUTPUT PROJECTION"
                             : "CONCATENATION AND OUTPUT");
    explain_concat(e);
    if (w->wo)
        explain_say(e, "output = concat" DOT "Wo%s: Wo (%zu \xC3\x97 %zu) mixes "
                    "what the heads found into d_out = %zu columns, the width the "
                    "next layer takes.", w->bo ? " + bo" : "", e->P, e->d_out,
                    e->d_out);
    else
        explain_say(e, "These weights have no output projection Wo: the output "
                    "is concat itself%s.", w->bo ? " + bo" : "");
    explain_matrix(e, "output", r->output, n, e->d_out, e->out->report.tokens,
                   NULL, 0);
    if (!w->wo)
        return;
    snprintf(lhs, sizeof lhs, "output[%zu][0] = concat%zu" DOT "Wo[:,0]", e->row,
             e->row);
    fputc('\n', e->fp);
    explain_line(e, 0, "One cell worked in full:");
    double sum = explain_dot(e, lhs, r->concat + e->row * e->P, 1, w->wo,
                             e->d_out, e->P, NULL);
    if (w->bo)
        explain_line(e, 2, "+ bo[0] = %s", explain_num(num, e, sum + (double)w->bo[0]));
}
