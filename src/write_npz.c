/* write_npz.c — a report as NumPy arrays: one array in an .npy file, or
 * every printed item in an .npz archive under its name (output, weights, Q,
 * K, V, scores, softmax).  Masked scores are -inf, NaN rows NaN.
 * Legend: n = queries, m = keys, H = heads, dh = head width. */
#include <string.h>

#include "format.h"

/* Fills entries with the report's printed items; returns the count (at
 * most 7). */
static size_t report_arrays(sa_npz_entry *e, const sa_report *r)
{
    const sa_result *res = r->result;
    size_t k = 0, n = res->n, m = res->m, H = res->heads, dh = res->d_head;
    if (r->print_output)
        e[k++] = (sa_npz_entry){"output", res->output, 2, {n, res->d_out}};
    if (r->print_weights && r->average_heads)
        e[k++] = (sa_npz_entry){"weights", r->average, 2, {n, m}};
    else if (r->print_weights)
        e[k++] = (sa_npz_entry){"weights", res->weights, 3, {H, n, m}};
    if (r->print_steps) {
        e[k++] = (sa_npz_entry){"Q", res->q, 3, {H, n, dh}};
        e[k++] = (sa_npz_entry){"K", res->k, 3, {H, m, dh}};
        e[k++] = (sa_npz_entry){"V", res->v, 3, {H, m, dh}};
        e[k++] = (sa_npz_entry){"scores", res->scores, 3, {H, n, m}};
        e[k++] = (sa_npz_entry){"softmax", res->weights, 3, {H, n, m}};
    }
    return k;
}

sa_status sa_write_npy_report(FILE *out, const sa_report *r, sa_error *err)
{
    sa_npz_entry e[7];
    if (report_arrays(e, r) != 1)
        return sa_fail(err, SA_ERR_USAGE, 0, 0, "an .npy file holds one "
                       "array: print one of output or weights, or use npz");
    return sa_write_npy(out, e[0].data, e[0].ndim, e[0].shape, err);
}

sa_status sa_write_npz_report(FILE *out, const sa_report *r, sa_error *err)
{
    sa_npz_entry e[7];
    return sa_write_npz(out, e, report_arrays(e, r), err);
}
