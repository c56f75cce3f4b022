/* write_npz.c — NumPy .npz archives (zip files of stored NAME.npy
 * members, which numpy.load reads), and a report as NumPy arrays: one
 * array in an .npy file, or every printed item in an .npz archive under
 * its name (output, weights, average_weights, Q, K, V, raw_scores, scores,
 * exp, rowsum, softmax, head_output, concat),
 * with a leading axis of B for a batch.  Masked scores are -inf, NaN rows
 * NaN.
 * Legend: B = sequences, n = queries, m = keys, H = heads, dh = head width. */
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "format.h"
#include "report.h"
#include "grad_report.h"

static void put16(FILE *out, uint32_t v)
{
    fputc((int)(v & 0xff), out);
    fputc((int)((v >> 8) & 0xff), out);
}

static void put32(FILE *out, uint32_t v)
{
    put16(out, v & 0xffff);
    put16(out, v >> 16);
}

/* Writes the fields a local header and a central directory entry share:
 * version needed, flags, method (stored), DOS time and date (1980-01-01),
 * CRC, sizes, name length. */
static void put_common(FILE *out, uint32_t crc, uint32_t size, size_t name_len)
{
    put16(out, 20);
    put16(out, 0);
    put16(out, 0);
    put16(out, 0);
    put16(out, (0 << 9) | (1 << 5) | 1);
    put32(out, crc);
    put32(out, size);
    put32(out, size);
    put16(out, (uint32_t)name_len);
}

sa_status sa_write_npz(FILE *out, const sa_npz_entry *entries, size_t count,
                       sa_error *err)
{
    uint32_t *crcs = calloc(count + 1, sizeof *crcs);
    uint32_t *sizes = calloc(count + 1, sizeof *sizes);
    uint32_t *offsets = calloc(count + 1, sizeof *offsets);
    uint64_t at = 0;
    sa_status status = SA_OK;
    if (!crcs || !sizes || !offsets) {
        status = sa_fail(err, SA_ERR_NOMEM, 0, 0, "out of memory");
        goto done;
    }
    for (size_t i = 0; i < count; i++) {
        unsigned char *bytes;
        size_t len, name_len = strlen(entries[i].name) + 4;
        status = sa_npy_encode(&bytes, &len, entries[i].data, entries[i].ndim,
                               entries[i].shape, err);
        if (status)
            goto done;
        if (len >= 0xffffffffu || at + 30 + name_len + len >= 0xffffffffu) {
            free(bytes);
            status = sa_fail(err, SA_ERR_DATA, 0, 0, "the result is too large "
                             "for an .npz archive without zip64; use .npy");
            goto done;
        }
        crcs[i] = (uint32_t)crc32(0L, bytes, (uInt)len);
        sizes[i] = (uint32_t)len;
        offsets[i] = (uint32_t)at;
        put32(out, 0x04034b50);
        put_common(out, crcs[i], sizes[i], name_len);
        put16(out, 0);  /* extra length */
        fprintf(out, "%s.npy", entries[i].name);
        fwrite(bytes, 1, len, out);
        free(bytes);
        at += 30 + name_len + len;
    }
    uint64_t cd_start = at;
    for (size_t i = 0; i < count; i++) {
        size_t name_len = strlen(entries[i].name) + 4;
        put32(out, 0x02014b50);
        put16(out, 20);  /* version made by */
        put_common(out, crcs[i], sizes[i], name_len);
        put16(out, 0);   /* extra length */
        put16(out, 0);   /* comment length */
        put16(out, 0);   /* disk number */
        put16(out, 0);   /* internal attributes */
        put32(out, 0);   /* external attributes */
        put32(out, offsets[i]);
        fprintf(out, "%s.npy", entries[i].name);
        at += 46 + name_len;
    }
    put32(out, 0x06054b50);
    put16(out, 0);
    put16(out, 0);
    put16(out, (uint32_t)count);
    put16(out, (uint32_t)count);
    put32(out, (uint32_t)(at - cd_start));
    put32(out, (uint32_t)cd_start);
    put16(out, 0);
    status = sa_stream_status(out, err);
done:
    free(crcs);
    free(sizes);
    free(offsets);
    return status;
}

#define ITEMS_MAX 15  /* input, context, output, weights, the average and
                         10 steps; the weights' 8 arrays come after */

/* Fills entries with the report's printed items; returns the count (at
 * most ITEMS_MAX). */
static size_t report_arrays(sa_npz_entry *e, const sa_report *r)
{
    const sa_result *res = r->result;
    size_t k = 0, n = res->n, m = res->m, dh = res->d_head, f, H;
    sa_report_heads(&f, &H, r);
    if (r->print_input) {
        e[k++] = (sa_npz_entry){"input", r->input, 2, {n, r->d_model}};
        if (r->context)
            e[k++] = (sa_npz_entry){"context", r->context, 2, {m, r->d_context}};
    }
    if (r->print_output)
        e[k++] = (sa_npz_entry){"output", res->output, 2, {n, res->d_out}};
    if (r->print_weights)
        e[k++] = (sa_npz_entry){"weights", res->weights + f * n * m, 3, {H, n, m}};
    if (r->average_heads)
        e[k++] = (sa_npz_entry){"average_weights", r->average, 2, {n, m}};
    if (r->print_steps) {
        e[k++] = (sa_npz_entry){"Q", res->q + f * n * dh, 3, {H, n, dh}};
        e[k++] = (sa_npz_entry){"K", res->k + f * m * dh, 3, {H, m, dh}};
        e[k++] = (sa_npz_entry){"V", res->v + f * m * dh, 3, {H, m, dh}};
        e[k++] = (sa_npz_entry){"raw_scores", res->raw_scores + f * n * m, 3, {H, n, m}};
        e[k++] = (sa_npz_entry){"scores", res->scores + f * n * m, 3, {H, n, m}};
        e[k++] = (sa_npz_entry){"exp", res->exp_scores + f * n * m, 3, {H, n, m}};
        e[k++] = (sa_npz_entry){"rowsum", res->rowsum + f * n, 2, {H, n}};
        e[k++] = (sa_npz_entry){"softmax", res->weights + f * n * m, 3, {H, n, m}};
        e[k++] = (sa_npz_entry){"head_output", res->head_output + f * n * dh, 3, {H, n, dh}};
        e[k++] = (sa_npz_entry){"concat", res->concat, 2, {n, res->heads * dh}};
    }
    return k;
}

/* The numbers of an array of shape. */
static size_t numel(const sa_npz_entry *e)
{
    size_t count = 1;
    for (size_t i = 0; i < e->ndim; i++)
        count *= e->shape[i];
    return count;
}

/* Fills e with r's printed items and returns their count in *count: for a
 * batch, with a leading axis of B, the sequences' arrays side by side.
 * The batch's arrays hold them so unless --head picks heads out of them:
 * those are gathered into owned[k] (the caller frees every owned[k]). */
static sa_status items(sa_npz_entry *e, size_t *count, float **owned,
                       const sa_report *r, sa_error *err)
{
    sa_sequence_view v;
    sa_npz_entry one[ITEMS_MAX];
    sa_report_sequence(&v, r, 0);
    *count = report_arrays(e, &v.report);
    for (size_t k = 0; r->batch && k < *count; k++) {
        size_t part = numel(&e[k]), B = r->batch;
        memmove(e[k].shape + 1, e[k].shape, e[k].ndim * sizeof e[k].shape[0]);
        e[k].shape[0] = B;
        e[k].ndim++;
        sa_report_sequence(&v, r, B - 1);
        report_arrays(one, &v.report);
        if (one[k].data == e[k].data + (B - 1) * part)
            continue;  // in place: (B, ...) already
        if (!(owned[k] = malloc(B * part * sizeof(float))))
            return sa_fail(err, SA_ERR_NOMEM, 0, 0, "out of memory");
        for (size_t b = 0; b < B; b++) {
            sa_report_sequence(&v, r, b);
            report_arrays(one, &v.report);
            memcpy(owned[k] + b * part, one[k].data, part * sizeof(float));
        }
        e[k].data = owned[k];
    }
    return SA_OK;
}

/* Writes r's items as one .npy (one_array) or an .npz archive; a grad
 * report's gradients (never a batch) after them. */
static sa_status write_items(FILE *out, const sa_report *r, bool one_array,
                             sa_error *err)
{
    sa_npz_entry *e = malloc((ITEMS_MAX + 8 + sa_report_grad_max_arrays(r)) * sizeof *e);
    float *owned[ITEMS_MAX] = {NULL};
    size_t count;
    if (!e)
        return sa_fail(err, SA_ERR_NOMEM, 0, 0, "out of memory");
    sa_status status = items(e, &count, owned, r, err);
    if (!status && r->print_params) {  // one set of weights for every sequence
        sa_block blocks[8];
        size_t params = sa_report_params(blocks, r);
        for (size_t k = 0; k < params; k++)
            e[count++] = (sa_npz_entry){blocks[k].name, blocks[k].data,
                                        blocks[k].vector ? 1 : 2,
                                        {blocks[k].vector ? blocks[k].cols : blocks[k].rows,
                                         blocks[k].cols}};
    }
    if (!status)
        count = sa_report_grad_arrays(e, count, r);
    if (!status && one_array && count != 1)
        status = sa_fail(err, SA_ERR_USAGE, 0, 0, "an .npy file holds one "
                         "array: print one of output, weights or the average, "
                         "or use npz");
    if (!status)
        status = one_array ? sa_write_npy(out, e[0].data, e[0].ndim, e[0].shape, err)
                           : sa_write_npz(out, e, count, err);
    for (size_t k = 0; k < ITEMS_MAX; k++)
        free(owned[k]);
    free(e);
    return status;
}

sa_status sa_write_npy_report(FILE *out, const sa_report *r, sa_error *err)
{
    return write_items(out, r, true, err);
}

sa_status sa_write_npz_report(FILE *out, const sa_report *r, sa_error *err)
{
    return write_items(out, r, false, err);
}

sa_status sa_write_npz_reports(FILE *out, const sa_report *const *reports,
                               const char *const *prefixes, size_t count,
                               sa_error *err)
{
    sa_npz_entry *all = calloc(count * 8, sizeof *all);
    float **owned = calloc(count * 8, sizeof *owned);
    char **names = calloc(count * 8, sizeof *names);
    size_t total = 0;
    sa_status status = all && owned && names ? SA_OK
        : sa_fail(err, SA_ERR_NOMEM, 0, 0, "out of memory");
    for (size_t r = 0; r < count && !status; r++) {
        size_t items_count;
        status = items(all + total, &items_count, owned + 8 * r, reports[r], err);
        for (size_t k = 0; !status && k < items_count; k++, total++) {
            size_t len = strlen(prefixes[r]) + strlen(all[total].name) + 2;
            if (!(names[total] = malloc(len))) {
                status = sa_fail(err, SA_ERR_NOMEM, 0, 0, "out of memory");
                break;
            }
            snprintf(names[total], len, "%s/%s", prefixes[r], all[total].name);
            all[total].name = names[total];
        }
    }
    if (!status)
        status = sa_write_npz(out, all, total, err);
    for (size_t k = 0; owned && names && k < count * 8; k++) {
        free(owned[k]);
        free(names[k]);
    }
    free(all);
    free(owned);
    free(names);
    return status;
}
