/* cli_explain_text.c — how `selfattn explain` writes: paragraphs wrapped
 * to the width of the terminal, matrices cut into blocks of columns that
 * fit it, and sums of products written out term by term.  Widths count
 * code points, not bytes (the text has ×, · and √). */
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "cli_explain.h"

#define LABEL_MAX 12   /* longer token labels are cut */
#define TEXT_MAX 4096  /* one paragraph */

size_t explain_width(FILE *fp)
{
    const char *env = getenv("COLUMNS");
    char *end;
    long columns = env && *env ? strtol(env, &end, 10) : 0;
    if (columns <= 0 || (env && *end != '\0')) {
        struct winsize ws;
        columns = isatty(fileno(fp)) && ioctl(fileno(fp), TIOCGWINSZ, &ws) == 0 &&
                  ws.ws_col > 0 ? ws.ws_col : 80;
    }
    return columns < 40 ? 40 : columns > 1000 ? 1000 : (size_t)columns;
}

/* Code points in s[0 .. len). */
static size_t text_width(const char *s, size_t len)
{
    size_t w = 0;
    for (size_t i = 0; i < len; i++)
        w += ((unsigned char)s[i] & 0xC0) != 0x80;
    return w;
}

void explain_wrap(explainer *e, const char *text, size_t indent)
{
    size_t room = e->width > indent + 20 ? e->width - indent : 20;
    while (*text) {
        // the longest run of words that fits, cut at a space
        size_t len = 0, fit = 0;
        while (text[len] && text[len] != '\n') {
            size_t word = len + strcspn(text + len, " \n");
            if (fit && text_width(text, word) > room)
                break;
            fit = word;
            len = word + (text[word] == ' ');
        }
        if (!fit)
            fit = len;
        fprintf(e->fp, "%*s%.*s\n", (int)indent, "", (int)fit, text);
        text += fit;
        text += strspn(text, " ");
        if (*text == '\n')
            text++;
    }
}

void explain_section(explainer *e, const char *title)
{
    fprintf(e->fp, "\n%s%d. %s%s\n", e->color ? "\x1b[1m" : "", ++e->section,
            title, e->color ? "\x1b[0m" : "");
    e->fresh = true;
}

void explain_say(explainer *e, const char *fmt, ...)
{
    char text[TEXT_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(text, sizeof text, fmt, ap);
    va_end(ap);
    if (!e->fresh)
        fputc('\n', e->fp);
    e->fresh = false;
    explain_wrap(e, text, 0);
}

void explain_line(explainer *e, size_t indent, const char *fmt, ...)
{
    char text[TEXT_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(text, sizeof text, fmt, ap);
    va_end(ap);
    e->fresh = false;
    explain_wrap(e, text, indent);
}

char *explain_num(char *buf, explainer *e, double v)
{
    if (isnan(v))
        strcpy(buf, "nan");
    else if (isinf(v))
        strcpy(buf, v < 0 ? "-inf" : "inf");
    else
        snprintf(buf, 32, "%.*f", e->digits, fabs(v) < 0.5 * pow(10, -e->digits) ? 0.0 : v);
    return buf;
}

char *explain_short(char *buf, explainer *e, double v)
{
    explain_num(buf, e, v);
    if (strchr(buf, '.') && isfinite(v)) {
        size_t len = strlen(buf);
        while (buf[len - 1] == '0')
            buf[--len] = '\0';
        if (buf[len - 1] == '.')
            buf[--len] = '\0';
    }
    return buf;
}

/* A label: the token cut to LABEL_MAX code points, or the number i. */
static void label(char *buf, size_t size, char *const *labels, size_t i)
{
    if (!labels) {
        snprintf(buf, size, "%zu", i);
        return;
    }
    size_t len = 0, points = 0;
    const char *s = labels[i];
    while (s[len] && (points < LABEL_MAX || ((unsigned char)s[len] & 0xC0) == 0x80)) {
        points += ((unsigned char)s[len] & 0xC0) != 0x80;
        len++;
    }
    snprintf(buf, size, "%.*s%s", (int)len, s, s[len] ? "..." : "");
    for (char *c = buf; *c; c++)  // a label stays on its line
        if ((unsigned char)*c < 0x20 || *c == 0x7f)
            *c = '?';
}

/* Writes columns [c0, c1) of the matrix, its labels padded to widths. */
static void matrix_block(explainer *e, const float *data, size_t rows,
                         size_t cols, char *const *row_labels,
                         char *const *col_labels, size_t first_col,
                         const size_t *widths, size_t row_w, size_t c0, size_t c1)
{
    char buf[64];
    fprintf(e->fp, "  %*s", (int)row_w, "");
    for (size_t j = c0; j < c1; j++) {
        label(buf, sizeof buf, col_labels, col_labels ? j : first_col + j);
        fprintf(e->fp, "  %*s%s", (int)(widths[j] - text_width(buf, strlen(buf))), "", buf);
    }
    fputc('\n', e->fp);
    for (size_t i = 0; i < rows; i++) {
        label(buf, sizeof buf, row_labels, i);
        fprintf(e->fp, "  %s%*s", buf, (int)(row_w - text_width(buf, strlen(buf))), "");
        for (size_t j = c0; j < c1; j++)
            fprintf(e->fp, "  %*s", (int)widths[j], explain_num(buf, e, data[i * cols + j]));
        fputc('\n', e->fp);
    }
}

void explain_matrix(explainer *e, const char *title, const float *data,
                    size_t rows, size_t cols, char *const *row_labels,
                    char *const *col_labels, size_t first_col)
{
    char buf[64];
    size_t widths[EXPLAIN_MAX * 4], row_w = 1;
    if (cols > sizeof widths / sizeof widths[0])
        cols = sizeof widths / sizeof widths[0];  // not reached: inputs are small
    for (size_t i = 0; i < rows; i++) {
        label(buf, sizeof buf, row_labels, i);
        size_t w = text_width(buf, strlen(buf));
        row_w = w > row_w ? w : row_w;
    }
    for (size_t j = 0; j < cols; j++) {
        label(buf, sizeof buf, col_labels, col_labels ? j : first_col + j);
        widths[j] = text_width(buf, strlen(buf));
        for (size_t i = 0; i < rows; i++) {
            size_t w = strlen(explain_num(buf, e, data[i * cols + j]));
            widths[j] = w > widths[j] ? w : widths[j];
        }
    }
    fprintf(e->fp, "\n%s (%zu \xC3\x97 %zu)\n", title, rows, cols);
    e->fresh = false;
    for (size_t c0 = 0; c0 < cols;) {
        // as many columns as fit beside the labels (one at least)
        size_t used = 2 + row_w, c1 = c0;
        while (c1 < cols && (c1 == c0 || used + 2 + widths[c1] <= e->width))
            used += 2 + widths[c1++];
        if (c0 > 0 || c1 < cols)
            fprintf(e->fp, "  columns %zu to %zu:\n", first_col + c0, first_col + c1 - 1);
        matrix_block(e, data, rows, cols, row_labels, col_labels, first_col,
                     widths, row_w, c0, c1);
        c0 = c1;
    }
}

double explain_dot(explainer *e, const char *lhs, const float *a,
                   size_t a_stride, const float *b, size_t b_stride,
                   size_t count, const double *total)
{
    char text[TEXT_MAX], x[32], y[32];
    size_t used = (size_t)snprintf(text, sizeof text, "%s = ", lhs);
    double sum = 0.0;
    for (size_t t = 0; t < count && used < sizeof text; t++) {
        double p = a[t * a_stride], q = b[t * b_stride];
        sum += p * q;
        explain_short(x, e, p);
        explain_short(y, e, q);
        used += (size_t)snprintf(text + used, sizeof text - used,
                                 "%s%s%s%s\xC3\x97%s%s%s", t ? " + " : "",
                                 x[0] == '-' ? "(" : "", x, x[0] == '-' ? ")" : "",
                                 y[0] == '-' ? "(" : "", y, y[0] == '-' ? ")" : "");
    }
    if (total)
        sum = *total;
    if (used < sizeof text)
        snprintf(text + used, sizeof text - used, " = %s", explain_num(x, e, sum));
    // the first line as it is, the others indented under the right side
    size_t width = e->width;
    const char *t = text;
    size_t indent = 0;
    while (*t) {
        size_t room = width > indent + 20 ? width - indent : 20, len = 0, fit = 0;
        while (t[len]) {
            size_t word = len + strcspn(t + len, " ");
            if (fit && text_width(t, word) > room)
                break;
            fit = word;
            len = word + (t[word] == ' ');
        }
        // break after a " + ", never inside a product
        if (t[fit] && fit > 2 && strncmp(t + fit - 2, " +", 2) != 0) {
            size_t plus = fit;
            while (plus > 2 && strncmp(t + plus - 2, " +", 2) != 0)
                plus--;
            if (plus > 2)
                fit = plus;
        }
        fprintf(e->fp, "%*s%.*s\n", (int)indent, "", (int)fit, t);
        t += fit;
        t += strspn(t, " ");
        indent = 4;
    }
    return sum;
}
