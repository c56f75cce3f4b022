/* write_grads.c — the gradients of a `selfattn grad` report for each
 * writer (grad_report.h): as JSON members after the forward's, as titled
 * blocks for tables and CSV, as .npz members, and as pictures of dS or dP.
 * The weights' gradients carry the names of the weights file
 * (sa_grad_tensors), so that they compare with torch's .grad as they are.
 * Legend: n = queries, m = keys, H = heads, dh = head width. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "format.h"
#include "grad_report.h"

/* One per-head step of the backward pass: name, and the (H, rows, cols)
 * array with what labels its rows and columns. */
typedef struct {
    const char *name;
    const float *data;
    size_t rows, cols;
    bool key_rows, key_columns;
} grad_step;

/* The steps in the order the backward pass computes them; returns 6. */
static size_t grad_steps(grad_step *s, const sa_report *r)
{
    const sa_grads *g = r->grads;
    size_t n = g->n, m = g->m, dh = g->d_head;
    s[0] = (grad_step){"dO", g->d_out, n, dh, false, false};
    s[1] = (grad_step){"dV", g->dv, m, dh, true, false};
    s[2] = (grad_step){"dP", g->dp, n, m, false, true};
    s[3] = (grad_step){"dS", g->ds, n, m, false, true};
    s[4] = (grad_step){"dQ", g->dq, n, dh, false, false};
    s[5] = (grad_step){"dK", g->dk, m, dh, true, false};
    return 6;
}

/* Starts member name at depth (1: top level, 2: inside an object). */
static void key(sa_buffer *b, bool compact, int depth, bool first,
                const char *name)
{
    if (!first)
        sa_buffer_putc(b, ',');
    if (!compact)
        sa_buffer_printf(b, "\n%*s", 2 * depth, "");
    sa_buffer_json_string(b, name);
    sa_buffer_puts(b, compact ? ":" : ": ");
}

/* data (heads, rows, cols) as an array of heads at depth 2. */
static void json_heads(sa_buffer *b, bool compact, const float *data,
                       size_t heads, size_t rows, size_t cols)
{
    sa_buffer_putc(b, '[');
    for (size_t h = 0; h < heads; h++) {
        if (!compact)
            sa_buffer_puts(b, "\n      ");
        sa_buffer_json_rows(b, data + h * rows * cols, rows, cols, compact ? -1 : 6);
        if (h + 1 < heads)
            sa_buffer_putc(b, ',');
    }
    if (!compact)
        sa_buffer_puts(b, "\n    ");
    sa_buffer_putc(b, ']');
}

/* A tensor of 1, 2 or 3 dimensions at depth 2. */
static void json_tensor(sa_buffer *b, bool compact, const float *data,
                        size_t ndim, const size_t *shape)
{
    if (ndim == 1)
        sa_buffer_json_vector(b, data, shape[0]);
    else if (ndim == 2)
        sa_buffer_json_rows(b, data, shape[0], shape[1], compact ? -1 : 4);
    else
        json_heads(b, compact, data, shape[0], shape[1], shape[2]);
}

/* The bias's gradient has the bias's shape: (n, m) or (H, n, m). */
static size_t bias_shape(size_t *shape, const sa_report *r)
{
    const sa_grads *g = r->grads;
    if (!r->config->bias_per_head) {
        shape[0] = g->n;
        shape[1] = g->m;
        return 2;
    }
    shape[0] = g->heads;
    shape[1] = g->n;
    shape[2] = g->m;
    return 3;
}

void sa_json_grads(sa_buffer *b, const sa_report *r, bool compact)
{
    const sa_grads *g = r->grads;
    if (!g)
        return;
    if (r->print_grads) {
        size_t shape[3];
        key(b, compact, 1, false, "loss");
        sa_buffer_float(b, (float)g->loss, "null");
        key(b, compact, 1, false, "grads");
        sa_buffer_putc(b, '{');
        key(b, compact, 2, true, "input");
        json_tensor(b, compact, g->dx, 2, (size_t[]){g->n, g->d});
        if (g->dctx) {
            key(b, compact, 2, false, "context");
            json_tensor(b, compact, g->dctx, 2, (size_t[]){g->m, g->d_ctx});
        }
        if (g->dbias) {
            key(b, compact, 2, false, "bias");
            json_tensor(b, compact, g->dbias, bias_shape(shape, r), shape);
        }
        for (size_t i = 0; i < r->grad_tensors->count; i++) {
            const sa_tensor *t = &r->grad_tensors->items[i];
            key(b, compact, 2, false, t->name);
            json_tensor(b, compact, t->data, t->ndim, t->shape);
        }
        sa_buffer_puts(b, compact ? "}" : "\n  }");
    }
    if (r->print_grad_steps) {
        grad_step s[6];
        size_t first, count;
        sa_report_heads(&first, &count, r);
        key(b, compact, 1, false, "grad_steps");
        sa_buffer_putc(b, '{');
        for (size_t k = 0; k < grad_steps(s, r); k++) {
            key(b, compact, 2, k == 0, s[k].name);
            json_heads(b, compact, s[k].data + first * s[k].rows * s[k].cols,
                       count, s[k].rows, s[k].cols);
        }
        sa_buffer_puts(b, compact ? "}" : "\n  }");
    }
}

size_t sa_report_grad_max_blocks(const sa_report *r)
{
    if (!r->grads)
        return 0;
    return 7 * r->heads + 2 + r->grad_tensors->count;
}

/* The weights' gradients and the inputs' as blocks, one per head for a
 * bias per head. */
static size_t grads_blocks(sa_block *blocks, size_t k, const sa_report *r)
{
    const sa_grads *g = r->grads;
    size_t n = g->n, m = g->m;
    blocks[k++] = (sa_block){"input", 0, n, g->d, g->dx, .suffix = ".grad"};
    if (g->dctx)
        blocks[k++] = (sa_block){"context", 0, m, g->d_ctx, g->dctx,
                                 .key_rows = true, .suffix = ".grad"};
    for (size_t h = 0; g->dbias && h < (r->config->bias_per_head ? g->heads : 1); h++)
        blocks[k++] = (sa_block){"bias", r->config->bias_per_head ? h + 1 : 0, n, m,
                                 g->dbias + h * n * m, .key_columns = true,
                                 .suffix = ".grad"};
    for (size_t i = 0; i < r->grad_tensors->count; i++) {
        const sa_tensor *t = &r->grad_tensors->items[i];
        bool vector = t->ndim == 1;
        blocks[k++] = (sa_block){t->name, 0, vector ? 1 : t->shape[0],
                                 vector ? t->shape[0] : t->shape[1], t->data,
                                 .index_rows = true, .suffix = ".grad",
                                 .vector = vector};
    }
    return k;
}

size_t sa_report_grad_blocks(sa_block *blocks, size_t k, const sa_report *r)
{
    const sa_grads *g = r->grads;
    if (!g)
        return k;
    if (r->print_grad_steps) {
        grad_step s[6];
        size_t count = grad_steps(s, r), first, heads;
        sa_report_heads(&first, &heads, r);
        for (size_t h = first; h < first + heads; h++)
            for (size_t i = 0; i < count; i++)
                blocks[k++] = (sa_block){s[i].name, h + 1, s[i].rows, s[i].cols,
                                         s[i].data + h * s[i].rows * s[i].cols,
                                         .key_columns = s[i].key_columns,
                                         .key_rows = s[i].key_rows};
    }
    return r->print_grads ? grads_blocks(blocks, k, r) : k;
}

size_t sa_report_grad_max_arrays(const sa_report *r)
{
    return r->grads ? 9 + r->grad_tensors->count : 0;
}

size_t sa_report_grad_arrays(sa_npz_entry *e, size_t k, const sa_report *r)
{
    const sa_grads *g = r->grads;
    if (!g)
        return k;
    if (r->print_grads) {
        e[k++] = (sa_npz_entry){"input", g->dx, 2, {g->n, g->d}};
        if (g->dctx)
            e[k++] = (sa_npz_entry){"context", g->dctx, 2, {g->m, g->d_ctx}};
        if (g->dbias) {
            e[k] = (sa_npz_entry){"bias", g->dbias, 0, {0}};
            e[k].ndim = bias_shape(e[k].shape, r);
            k++;
        }
        for (size_t i = 0; i < r->grad_tensors->count; i++) {
            const sa_tensor *t = &r->grad_tensors->items[i];
            e[k++] = (sa_npz_entry){t->name, t->data, t->ndim, {t->shape[0], t->shape[1]}};
        }
    }
    if (r->print_grad_steps) {
        grad_step s[6];
        size_t first, heads;
        sa_report_heads(&first, &heads, r);
        for (size_t i = 0; i < grad_steps(s, r); i++)
            e[k++] = (sa_npz_entry){s[i].name, s[i].data + first * s[i].rows * s[i].cols,
                                    3, {heads, s[i].rows, s[i].cols}};
    }
    return k;
}

void sa_grad_heatmaps(sa_heatmaps *maps, sa_panel *panels, const sa_report *r,
                      bool dp, const float *average)
{
    const sa_grads *g = r->grads;
    size_t n = g->n, m = g->m;
    sa_report_maps_frame(maps, panels, r, dp ? "dP" : "dS");
    if (average) {
        panels[0] = (sa_panel){.rows = n, .cols = m, .data = average};
        snprintf(panels[0].title, sizeof panels[0].title, "average of %zu heads",
                 g->heads);
        maps->count = 1;
        return;
    }
    size_t first, heads;
    sa_report_heads(&first, &heads, r);
    for (size_t h = 0; h < heads; h++) {
        panels[h] = (sa_panel){.rows = n, .cols = m,
                               .data = (dp ? g->dp : g->ds) + (first + h) * n * m};
        snprintf(panels[h].title, sizeof panels[h].title, "head %zu", first + h + 1);
    }
    maps->count = heads;
}
