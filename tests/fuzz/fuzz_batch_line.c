/* fuzz_batch_line.c — one line of `selfattn batch`: the line (up to its
 * first newline, without trailing CRs, NUL bytes kept, as cmd_batch.c gets
 * it from getline) is parsed with sa_read_batch_line; if it
 * parses and is small (rows * cols <= 4096), weights are generated with
 * sa_weights_generate and sa_attention_forward runs with a configuration
 * drawn from a hash of the line (heads, kv heads, causal, window, mask,
 * bias, softcap, ALiBi, RoPE, positions, threads, dense or streaming), so
 * the attention code is fuzzed too (see fuzz_attend.h for the checks).
 *
 * The line's own "mask" and "context" must come only with a line that
 * was read, each at its shape: a mask of 0/1 bytes, a context as a
 * matrix is checked; a context as wide as the line is the keys of the
 * cross-attention then.
 *
 * The line's "id" is checked too: for a line that is JSON (its data may
 * still be refused), an id must come exactly when cJSON finds a top-level
 * "id" member; its text, written as is into the output line, must be
 * strict JSON (RFC 8259) and valid UTF-8, and, for a line that is valid
 * UTF-8, that same value. */
#include <cJSON.h>

#include "fuzz_attend.h"

/* a and b are the same JSON value.  cJSON_Compare would do, but it finds
 * two infinite numbers (1e400 parses as inf) different. */
static bool same_json(const cJSON *a, const cJSON *b)
{
    if (cJSON_IsNull(a) && cJSON_IsNumber(b) && !isfinite(b->valuedouble))
        return true;  /* cJSON prints an infinite number as null */
    if ((a->type & 0xff) != (b->type & 0xff))
        return false;
    if (cJSON_IsNumber(a))
        return a->valuedouble == b->valuedouble ||
               (isnan(a->valuedouble) && isnan(b->valuedouble));
    if (cJSON_IsString(a))
        return strcmp(a->valuestring, b->valuestring) == 0;
    if (cJSON_IsArray(a) || cJSON_IsObject(a)) {
        const cJSON *x = a->child, *y = b->child;
        for (; x && y; x = x->next, y = y->next)
            if ((cJSON_IsObject(a) && strcmp(x->string, y->string) != 0) ||
                !same_json(x, y))
                return false;
        return !x && !y;
    }
    return true;  /* null, true, false */
}

/* RFC 8259, strictly: is s[*i ..] one JSON value (advancing *i past it)?
 * The output line must parse with any JSON parser, not only with cJSON,
 * which also takes every byte <= 0x20 as a blank and numbers such as 01,
 * -.5 and 1. */
static void strict_ws(const char *s, size_t *i)
{
    while (s[*i] == ' ' || s[*i] == '\t' || s[*i] == '\n' || s[*i] == '\r')
        (*i)++;
}

static bool strict_value(const char *s, size_t *i, int depth)
{
    if (depth > 1000)
        return false;
    char c = s[*i];
    if (c == '{' || c == '[') {
        char close = c == '{' ? '}' : ']';
        (*i)++;
        strict_ws(s, i);
        if (s[*i] == close) {
            (*i)++;
            return true;
        }
        for (;;) {
            if (c == '{') {
                if (s[*i] != '"' || !strict_value(s, i, depth + 1))
                    return false;
                strict_ws(s, i);
                if (s[(*i)++] != ':')
                    return false;
                strict_ws(s, i);
            }
            if (!strict_value(s, i, depth + 1))
                return false;
            strict_ws(s, i);
            if (s[*i] == close) {
                (*i)++;
                return true;
            }
            if (s[(*i)++] != ',')
                return false;
            strict_ws(s, i);
        }
    }
    if (c == '"') {
        for ((*i)++; s[*i] != '"'; (*i)++) {
            unsigned char u = (unsigned char)s[*i];
            if (u < 0x20)
                return false;  /* also the end of the text */
            if (u == '\\') {
                (*i)++;
                if (s[*i] == 'u') {
                    for (int k = 1; k <= 4; k++)
                        if (!strchr("0123456789abcdefABCDEF", s[*i + k]) ||
                            !s[*i + k])
                            return false;
                    *i += 4;
                } else if (!s[*i] || !strchr("\"\\/bfnrt", s[*i])) {
                    return false;
                }
            }
        }
        (*i)++;
        return true;
    }
    for (const char *lit = "true\0false\0null\0"; *lit; lit += strlen(lit) + 1)
        if (strncmp(s + *i, lit, strlen(lit)) == 0) {
            *i += strlen(lit);
            return true;
        }
    /* -?(0|[1-9][0-9]*)(.[0-9]+)?([eE][+-]?[0-9]+)? */
    size_t k = *i;
    if (s[k] == '-')
        k++;
    if (s[k] == '0')
        k++;
    else if (s[k] >= '1' && s[k] <= '9')
        while (s[k] >= '0' && s[k] <= '9')
            k++;
    else
        return false;
    if (s[k] == '.') {
        if (!(s[++k] >= '0' && s[k] <= '9'))
            return false;
        while (s[k] >= '0' && s[k] <= '9')
            k++;
    }
    if (s[k] == 'e' || s[k] == 'E') {
        k++;
        if (s[k] == '+' || s[k] == '-')
            k++;
        if (!(s[k] >= '0' && s[k] <= '9'))
            return false;
        while (s[k] >= '0' && s[k] <= '9')
            k++;
    }
    *i = k;
    return true;
}

/* The id is written as is after "id": in the output line: it must be one
 * strict JSON value with nothing around it. */
static bool strict_json(const char *s)
{
    size_t i = 0;
    return strict_value(s, &i, 0) && s[i] == '\0';
}

/* id is what sa_read_batch_line gave for the line text (status st). */
static void check_id(const char *text, size_t len, const char *id, sa_status st)
{
    size_t start = len >= 3 && memcmp(text, "\xEF\xBB\xBF", 3) == 0 ? 3 : 0;
    cJSON *root = cJSON_ParseWithOpts(text + start, NULL, true);
    if (id) {
        FUZZ_CHECK(root != NULL);  /* the line is JSON */
        FUZZ_CHECK(strict_json(id) && fuzz_valid_utf8(id));
    }
    const cJSON *member = cJSON_IsObject(root)
                              ? cJSON_GetObjectItemCaseSensitive(root, "id")
                              : NULL;
    if (st == SA_OK)
        FUZZ_CHECK(!member == !id);
    if (id && member && fuzz_valid_utf8(text)) {
        cJSON *value = cJSON_ParseWithOpts(id, NULL, true);
        FUZZ_CHECK(value != NULL);
        FUZZ_CHECK(same_json(value, member));
        cJSON_Delete(value);
    }
    cJSON_Delete(root);
}

/* The line's mask and context: none after a failure; each at its shape. */
static void check_parts(const sa_batch_line *line, sa_status st, sa_error *err)
{
    if (st) {
        FUZZ_CHECK(!line->mask && !line->mask_rows && !line->mask_cols &&
                   !line->context.data && !line->context.tokens &&
                   !line->context.rows && !line->context.cols);
        return;
    }
    if (line->mask) {
        FUZZ_CHECK(line->mask_rows > 0 && line->mask_cols > 0);
        for (size_t i = 0; i < line->mask_rows * line->mask_cols; i++)
            FUZZ_CHECK(line->mask[i] <= 1);
    } else {
        FUZZ_CHECK(!line->mask_rows && !line->mask_cols);
    }
    if (line->context.data)
        fuzz_check_matrix(SA_OK, &line->context, err);
    else
        FUZZ_CHECK(!line->context.tokens && !line->context.rows);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    size_t len = 0;
    while (len < size && data[len] != '\n')
        len++;
    while (len > 0 && data[len - 1] == '\r')
        len--;
    char *text = fuzz_text(data, len);
    sa_batch_line line;
    sa_error err;
    fuzz_reset_error(&err);
    fuzz_heap_begin();
    sa_status st = sa_read_batch_line(&line, text, len, &err);
    fuzz_heap_check(len);
    fuzz_check_matrix(st, &line.input, &err);
    check_parts(&line, st, &err);
    check_id(text, len, line.id, st);
    if (st) {
        sa_batch_line_free(&line);
        free(text);
        return 0;
    }
    const sa_matrix x = line.input, ctx = line.context;
    size_t n = x.rows, d = x.cols;
    if (n * d <= 4096) {
        uint64_t rng = fuzz_hash(text, len);
        uint64_t bits = fuzz_next(&rng);
        static const size_t head_counts[] = {1, 1, 2, 3, 4};
        size_t H = head_counts[bits % 5];
        if (H * n * n > (1u << 22))
            H = 1;
        size_t G = (bits >> 3) & 1 ? H : (H % 2 == 0 && (bits >> 4) & 1 ? H / 2 : 1);
        /* the CLI's default head width d / H, or a drawn one */
        size_t dh = d % H == 0 && ((bits >> 5) & 1) ? d / H : 1 + (bits >> 6) % 8;
        bool out_proj = (bits >> 9) & 1;
        /* keys: the rows themselves, cross-attention to some of them, or
         * the line's context */
        bool cross = ((bits >> 10) & 3) == 0;
        size_t m = cross ? 1 + (bits >> 12) % n : n;
        const float *keys = cross ? x.data + (n - m) * d : NULL;
        if (ctx.data && ctx.cols == d && ctx.rows * d <= 4096 &&
            H * n * ctx.rows <= (1u << 22)) {
            cross = true;  // the line's own context
            m = ctx.rows;
            keys = ctx.data;
        }
        sa_weights w;
        fuzz_reset_error(&err);
        st = sa_weights_generate(&w, d, d, H, G, dh, out_proj, bits >> 16, &err);
        FUZZ_CHECK(st == SA_OK);
        fuzz_reset_error(&err);
        FUZZ_CHECK(sa_weights_check(&w, d, d, H, G, &err) == SA_OK);
        fuzz_attend(x.data, n, d, keys, m, d, &w, H, G, &rng);
        sa_weights_free(&w);
    }
    sa_batch_line_free(&line);
    free(text);
    return 0;
}
