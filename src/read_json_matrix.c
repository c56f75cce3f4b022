/* read_json_matrix.c — embeddings from JSON: [[...], ...] or
 * {"tokens": [...], "embeddings": [[...], ...]}, read by the scanner
 * straight into floats (json_rows.h).  For a small text that the scanner
 * finds malformed, the same reading on cJSON's tree gives the message, as
 * it always has (tree_matrix). */
#include <stdlib.h>
#include <string.h>

#include "json_rows.h"
#include "json_util.h"
#include "utf8.h"

/* The message of a missing "embeddings" key, with a hint for weights. */
static sa_status no_embeddings(bool weights, sa_error *err)
{
    return sa_fail(err, SA_ERR_DATA, 0, 0, "expected an \"embeddings\" key in "
                   "the object%s", weights ? " (this looks like weights: give "
                   "them with -w)" : "");
}

/* ---- the reading on cJSON's tree, for the messages of malformed text --- */

/* Copies the strings of tokens (an array of n strings) into m->tokens. */
static sa_status read_tokens(sa_matrix *m, const cJSON *tokens, sa_error *err)
{
    if (!cJSON_IsArray(tokens))
        return sa_fail(err, SA_ERR_DATA, 0, 0,
                       "tokens: expected an array of strings");
    size_t count = (size_t)cJSON_GetArraySize(tokens);
    if (count != m->rows)
        return sa_fail(err, SA_ERR_DATA, 0, 0,
                       "tokens has %zu labels but embeddings has %zu rows",
                       count, m->rows);
    m->tokens = calloc(m->rows, sizeof *m->tokens);
    if (!m->tokens)
        return sa_fail(err, SA_ERR_NOMEM, 0, 0, "out of memory");
    size_t i = 0;
    for (const cJSON *t = tokens->child; t; t = t->next, i++) {
        if (!cJSON_IsString(t))
            return sa_fail(err, SA_ERR_DATA, 0, 0,
                           "tokens, element %zu: expected a string", i + 1);
        m->tokens[i] = strdup(t->valuestring);
        if (!m->tokens[i])
            return sa_fail(err, SA_ERR_NOMEM, 0, 0, "out of memory");
    }
    return SA_OK;
}

typedef struct {
    const char *text;
    size_t len;
} json_text;

/* The whole reading through cJSON (ctx: a json_text); only its status and
 * message are kept. */
static sa_status tree_matrix(void *ctx, sa_error *err)
{
    const json_text *t = ctx;
    cJSON *root = NULL;
    const cJSON *rows, *tokens = NULL;
    sa_matrix m = {0};
    sa_status status = sa_json_parse_lenient(&root, t->text, t->len, err);
    if (status)
        return status;
    if (cJSON_IsObject(root)) {
        rows = cJSON_GetObjectItemCaseSensitive(root, "embeddings");
        tokens = cJSON_GetObjectItemCaseSensitive(root, "tokens");
        if (!rows)
            status = no_embeddings(cJSON_GetObjectItemCaseSensitive(root, "Wq") ||
                                   cJSON_GetObjectItemCaseSensitive(root, "in_proj_weight"),
                                   err);
    } else if (cJSON_IsArray(root)) {
        rows = root;
    } else {
        status = sa_fail(err, SA_ERR_DATA, 0, 0, "expected an array of rows or "
                         "an object with \"embeddings\"");
    }
    if (!status)
        status = sa_json_rows(&m.data, &m.rows, &m.cols, rows, false,
                              "embeddings", err);
    if (!status && tokens && !cJSON_IsNull(tokens))
        status = read_tokens(&m, tokens, err);
    sa_matrix_free(&m);
    cJSON_Delete(root);
    return status;
}

/* ---- the scanner --------------------------------------------------------- */

/* Token labels being read, and their first error. */
typedef struct {
    char **items;
    size_t count, cap;
    bool present;            /* a non-null "tokens" */
    sa_deferred bad;
} token_list;

static void tokens_free(token_list *t)
{
    for (size_t i = 0; i < t->count; i++)
        free(t->items[i]);
    free(t->items);
    memset(t, 0, sizeof *t);
}

/* "tokens": an array of strings, or null. */
static bool scan_tokens(sa_scan *sc, token_list *t)
{
    char kind = sa_scan_kind(sc);
    if (kind == 'l')
        return sa_scan_null(sc);
    t->present = true;
    if (kind != '[') {
        if (!sa_scan_skip(sc, 1))
            return false;
        return sa_defer(&t->bad, SA_ERR_DATA, "tokens: expected an array of strings");
    }
    sc->at++;
    if (sa_scan_take(sc, ']'))
        return true;
    do {
        char *s = NULL;
        if (sa_scan_kind(sc) != '"') {
            if (!sa_scan_skip(sc, 2))
                return false;
            sa_defer(&t->bad, SA_ERR_DATA, "tokens, element %zu: expected a "
                     "string", t->count + 1);
        } else if (!sa_scan_string(sc, &s)) {
            return false;
        }
        if (t->count == t->cap) {
            size_t cap = t->cap ? 2 * t->cap : 16;
            char **more = realloc(t->items, cap * sizeof *more);
            if (!more) {
                free(s);
                return sa_scan_fail(sc, SA_SCAN_NOMEM);
            }
            t->items = more;
            t->cap = cap;
        }
        t->items[t->count++] = s;
    } while (sa_scan_take(sc, ','));
    if (!sa_scan_take(sc, ']'))
        return sa_scan_fail(sc, SA_SCAN_SYNTAX);
    return true;
}

/* The raw text of a member's value: offsets [start, end) of the text. */
typedef struct {
    size_t start, end;
    bool found;
} span;

/* The members of the object at the scan: the first "embeddings",
 * "tokens" and "id" (its text only); the others are checked and passed
 * over. */
static bool scan_object(sa_scan *sc, sa_rows *r, token_list *t, span *id,
                        bool *found, bool *weights, sa_deferred *bad)
{
    char key[32];
    bool cut, tokens_seen = false;
    sc->at++;
    if (sa_scan_take(sc, '}'))
        return true;
    do {
        if (!sa_scan_key(sc, key, sizeof key, &cut))
            return false;
        bool ok;
        if (!cut && !*found && strcmp(key, "embeddings") == 0) {
            *found = true;
            ok = sa_scan_rows(sc, r, false, "embeddings", bad);
        } else if (!cut && !tokens_seen && strcmp(key, "tokens") == 0) {
            tokens_seen = true;
            ok = scan_tokens(sc, t);
        } else if (!cut && !id->found && strcmp(key, "id") == 0) {
            sa_scan_peek(sc);
            id->start = sc->at;
            ok = sa_scan_skip(sc, 1);
            id->end = sc->at;
            id->found = true;
        } else {
            *weights |= !cut && (strcmp(key, "Wq") == 0 ||
                                 strcmp(key, "in_proj_weight") == 0);
            ok = sa_scan_skip(sc, 1);
        }
        if (!ok)
            return false;
    } while (sa_scan_take(sc, ','));
    if (!sa_scan_take(sc, '}'))
        return sa_scan_fail(sc, SA_SCAN_SYNTAX);
    return true;
}

/* The whole text: rows, or an object; then only blanks. */
static void scan_matrix(sa_scan *sc, sa_rows *r, token_list *t, span *id,
                        sa_deferred *bad)
{
    bool found = false, weights = false;
    char kind = sa_scan_kind(sc);
    if (kind == '[') {
        if (!sa_scan_rows(sc, r, false, "embeddings", bad))
            return;
    } else if (kind == '{') {
        if (!scan_object(sc, r, t, id, &found, &weights, bad))
            return;
        if (!found)
            no_embeddings(weights, &bad->err), bad->status = SA_ERR_DATA;
    } else if (kind) {
        if (!sa_scan_skip(sc, 0))
            return;
        sa_defer(bad, SA_ERR_DATA, "expected an array of rows or an object "
                 "with \"embeddings\"");
    }
    if (!sa_scan_end(sc))
        return;
    if (!bad->status && t->bad.status)
        *bad = t->bad;  // the tokens are checked after the embeddings
    if (!bad->status && t->present && t->count != r->rows)
        sa_defer(bad, SA_ERR_DATA, "tokens has %zu labels but embeddings has "
                 "%zu rows", t->count, r->rows);
}

sa_status sa_read_batch_line(sa_matrix *m, char **id, const char *text,
                             size_t len, sa_error *err)
{
    sa_scan sc;
    sa_rows r = {0};
    token_list t = {0};
    sa_deferred bad = {0};
    span id_span = {0};
    json_text whole = {text, len};

    memset(m, 0, sizeof *m);
    if (id)
        *id = NULL;
    sa_status status = sa_json_precheck(text, len, err);
    if (status)
        return status;
    sa_scan_init(&sc, text, len);
    scan_matrix(&sc, &r, &t, &id_span, &bad);
    status = sa_scan_outcome(&sc, &bad, tree_matrix, &whole, err);
    // the id as written, once the line was read as JSON (whatever its data)
    if (id && id_span.found && sc.error == SA_SCAN_OK &&
        !(*id = sa_utf8_dup(text + id_span.start, id_span.end - id_span.start)) &&
        !status)
        status = sa_fail(err, SA_ERR_NOMEM, 0, 0, "out of memory");
    if (status) {
        free(r.data);
        tokens_free(&t);
        return status;
    }
    float *shrunk = realloc(r.data, r.rows * r.cols * sizeof *shrunk);
    m->data = shrunk ? shrunk : r.data;
    m->rows = r.rows;
    m->cols = r.cols;
    m->tokens = t.present ? t.items : NULL;
    if (!t.present)
        tokens_free(&t);
    return SA_OK;
}

sa_status sa_read_json_matrix(sa_matrix *m, const char *text, size_t len,
                              sa_error *err)
{
    return sa_read_batch_line(m, NULL, text, len, err);
}
