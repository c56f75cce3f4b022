/* read_json_matrix.c — embeddings from JSON: [[...], ...] or
 * {"tokens": [...], "embeddings": [[...], ...]}, and the lines of batch,
 * whose object may add "id", "mask", "context" and "context_tokens"; read
 * by the scanner straight into floats (json_rows.h).  Any other key but a
 * '_' comment, and a key given twice, is an error at the key.  For a small
 * text that the scanner finds malformed, the same reading on cJSON's tree
 * gives the message, as it always has (tree_matrix).
 * Legend: n = rows of the input, m = rows of the context. */
#include <stdlib.h>
#include <string.h>

#include "json_rows.h"
#include "json_util.h"
#include "suggest.h"
#include "utf8.h"

/* The keys of an input object: an input file's are the first FILE_KEYS,
 * a batch line's all of them. */
enum { KEY_TOKENS, KEY_EMBEDDINGS, KEY_ID, KEY_MASK, KEY_CONTEXT,
       KEY_CONTEXT_TOKENS, KEY_COUNT, FILE_KEYS = KEY_ID };
static const char *const key_names[KEY_COUNT] = {
    "tokens", "embeddings", "id", "mask", "context", "context_tokens"};

/* Keys that tell an object of weights given where embeddings go. */
static const char *const weights_keys[] = {"Wq", "Wk", "Wv", "in_proj_weight",
                                           "q_proj_weight"};
#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

/* The message of an object without "embeddings": weights_key (or NULL)
 * is a key of weights it has. */
static sa_status no_embeddings(const char *weights_key, sa_error *err)
{
    if (weights_key)
        return sa_fail(err, SA_ERR_DATA, 0, 0, "holds weights (an object with "
                       "\"%s\"), not embeddings: give it with -w, and the "
                       "embeddings as the INPUT", weights_key);
    return sa_fail(err, SA_ERR_DATA, 0, 0, "expected an \"embeddings\" key in "
                   "the object");
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

/* The first key of weights that the object root has, or NULL. */
static const char *tree_weights_key(const cJSON *root)
{
    for (size_t k = 0; k < COUNT(weights_keys); k++)
        if (cJSON_GetObjectItemCaseSensitive(root, weights_keys[k]))
            return weights_keys[k];
    return NULL;
}

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
            status = no_embeddings(tree_weights_key(root), err);
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

/* Labels being read ("tokens", "context_tokens"), and their first error. */
typedef struct {
    char **items;
    size_t count, cap;
    bool present;            /* given, and not null */
    sa_deferred bad;
} token_list;

static void tokens_free(token_list *t)
{
    for (size_t i = 0; i < t->count; i++)
        free(t->items[i]);
    free(t->items);
    memset(t, 0, sizeof *t);
}

/* Labels (name: "tokens" or "context_tokens"): an array of strings, or
 * null. */
static bool scan_tokens(sa_scan *sc, token_list *t, const char *name)
{
    char kind = sa_scan_kind(sc);
    if (kind == 'l')
        return sa_scan_null(sc);
    t->present = true;
    if (kind != '[') {
        if (!sa_scan_skip(sc, 1))
            return false;
        return sa_defer(&t->bad, SA_ERR_DATA, "%s: expected an array of strings",
                        name);
    }
    sc->at++;
    if (sa_scan_take(sc, ']'))
        return true;
    do {
        char *s = NULL;
        if (sa_scan_kind(sc) != '"') {
            if (!sa_scan_skip(sc, 2))
                return false;
            sa_defer(&t->bad, SA_ERR_DATA, "%s, element %zu: expected a "
                     "string", name, t->count + 1);
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

/* What the scan of an input gathers. */
typedef struct {
    bool batch;                   /* a batch line: every key of key_names */
    bool seen[KEY_COUNT];
    sa_rows rows;                 /* (n, d) the embeddings */
    sa_rows mask;                 /* (n, m) as floats, checked at the end */
    sa_rows context;              /* (m, d_ctx) */
    bool has_mask, has_context;   /* given, and not null */
    token_list tokens, context_tokens;
    span id;
    const char *weights_key;      /* a key of weights met, for the hint */
    sa_deferred bad;              /* the first error of the data */
    sa_deferred key_error;        /* the first unknown or repeated key */
} input_scan;

static void input_scan_free(input_scan *in)
{
    free(in->rows.data);
    free(in->mask.data);
    free(in->context.data);
    tokens_free(&in->tokens);
    tokens_free(&in->context_tokens);
}

/* Rows of name ("mask", "context"), or null for none. */
static bool scan_optional_rows(sa_scan *sc, sa_rows *r, bool *present,
                               bool allow_bool, const char *name,
                               sa_deferred *bad)
{
    if (sa_scan_kind(sc) == 'l')
        return sa_scan_null(sc);
    *present = true;
    return sa_scan_rows(sc, r, allow_bool, name, bad);
}

/* The value of the accepted key k, next in the scan. */
static bool scan_value(sa_scan *sc, input_scan *in, int k)
{
    switch (k) {
    case KEY_TOKENS: return scan_tokens(sc, &in->tokens, "tokens");
    case KEY_EMBEDDINGS: return sa_scan_rows(sc, &in->rows, false, "embeddings", &in->bad);
    case KEY_MASK:
        return scan_optional_rows(sc, &in->mask, &in->has_mask, true, "mask", &in->bad);
    case KEY_CONTEXT:
        return scan_optional_rows(sc, &in->context, &in->has_context, false,
                                  "context", &in->bad);
    case KEY_CONTEXT_TOKENS:
        return scan_tokens(sc, &in->context_tokens, "context_tokens");
    }
    sa_scan_peek(sc);  // KEY_ID: its text as written
    in->id.start = sc->at;
    bool ok = sa_scan_skip(sc, 1);
    in->id.end = sc->at;
    in->id.found = true;
    return ok;
}

/* The message of the unknown key (shown: as far as it was kept) at line:col. */
static void unknown_key(input_scan *in, const char *key, bool cut, long line,
                        long col)
{
    size_t accepted = in->batch ? KEY_COUNT : FILE_KEYS;
    char list[96] = "", hint[160] = "";
    for (size_t k = 0; k < accepted; k++)
        snprintf(list + strlen(list), sizeof list - strlen(list), "%s%s",
                 k ? ", " : "", key_names[k]);
    const char *near = cut ? NULL : sa_suggest(key, key_names, accepted);
    size_t k = accepted;
    while (k < KEY_COUNT && strcmp(key, key_names[k]) != 0)
        k++;
    if (k < KEY_COUNT)  // a batch line's key in an input file
        snprintf(hint, sizeof hint, ": \"%s\" is a key of batch lines%s", key,
                 k == KEY_ID ? "" : k == KEY_MASK ? "; give run --mask FILE"
                 : "; give run --context FILE");
    else if (near)
        snprintf(hint, sizeof hint, "; did you mean \"%s\"?", near);
    sa_fail(&in->key_error.err, SA_ERR_DATA, line, col, "unknown key \"%s%s\" in "
            "the input object (accepted: %s)%s", key, cut ? "..." : "", list, hint);
    in->key_error.status = SA_ERR_DATA;
}

/* One member of the object: its key (next in the scan) and value. */
static bool scan_member(sa_scan *sc, input_scan *in)
{
    char key[48];
    bool cut;
    sa_scan_peek(sc);
    size_t key_at = sc->at;
    if (!sa_scan_key(sc, key, sizeof key, &cut))
        return false;
    int k = 0;
    size_t accepted = in->batch ? KEY_COUNT : FILE_KEYS;
    while ((size_t)k < accepted && (cut || strcmp(key, key_names[k]) != 0))
        k++;
    if ((size_t)k < accepted && !in->seen[k]) {
        in->seen[k] = true;
        return scan_value(sc, in, k);
    }
    for (size_t w = 0; w < COUNT(weights_keys) && !cut && !in->weights_key; w++)
        if (strcmp(key, weights_keys[w]) == 0)
            in->weights_key = weights_keys[w];
    if (key[0] != '_' && !in->key_error.status) {  // '_': a comment
        long line, col;
        sa_text_position(sc->text, sc->len, key_at, &line, &col);
        if ((size_t)k < accepted) {
            sa_fail(&in->key_error.err, SA_ERR_DATA, line, col, "\"%s\" appears "
                    "twice in the input object", key);
            in->key_error.status = SA_ERR_DATA;
        } else {
            unknown_key(in, key, cut, line, col);
        }
    }
    return sa_scan_skip(sc, 1);
}

/* The members of the object at the scan. */
static bool scan_object(sa_scan *sc, input_scan *in)
{
    sc->at++;
    if (sa_scan_take(sc, '}'))
        return true;
    do {
        if (!scan_member(sc, in))
            return false;
    } while (sa_scan_take(sc, ','));
    if (!sa_scan_take(sc, '}'))
        return sa_scan_fail(sc, SA_SCAN_SYNTAX);
    return true;
}

/* The error of labels t of rows (what: "embeddings", "context") if any. */
static void check_labels(sa_deferred *bad, const token_list *t, const char *name,
                         size_t rows, const char *what)
{
    if (!bad->status && t->bad.status)
        *bad = t->bad;  // the labels are checked after the rows
    if (!bad->status && t->present && t->count != rows)
        sa_defer(bad, SA_ERR_DATA, "%s has %zu labels but %s has %zu rows", name,
                 t->count, what, rows);
}

/* The errors found once the whole object is read, in order: weights where
 * embeddings go, a key, no "embeddings", the rows, the labels, the mask's
 * values, labels without a context. */
static void check_input(input_scan *in, bool object)
{
    sa_deferred *bad = &in->bad;
    if (object && !in->seen[KEY_EMBEDDINGS] && in->weights_key) {
        no_embeddings(in->weights_key, &bad->err);
        bad->status = SA_ERR_DATA;
        return;
    }
    if (in->key_error.status)
        *bad = in->key_error;
    if (object && !bad->status && !in->seen[KEY_EMBEDDINGS])
        bad->status = no_embeddings(NULL, &bad->err);
    check_labels(bad, &in->tokens, "tokens", in->rows.rows, "embeddings");
    for (size_t i = 0; in->has_mask && i < in->mask.rows * in->mask.cols; i++)
        if (in->mask.data[i] != 0.0f && in->mask.data[i] != 1.0f) {
            sa_defer(bad, SA_ERR_DATA, "mask, row %zu, column %zu: %g is not 0 "
                     "or 1", i / in->mask.cols + 1, i % in->mask.cols + 1,
                     (double)in->mask.data[i]);
            break;
        }
    if (in->context_tokens.present && !in->has_context)
        sa_defer(bad, SA_ERR_DATA, "\"context_tokens\" needs \"context\" in the "
                 "same line");
    check_labels(bad, &in->context_tokens, "context_tokens", in->context.rows,
                 "context");
}

/* The whole text: rows, or an object; then only blanks. */
static void scan_input(sa_scan *sc, input_scan *in)
{
    char kind = sa_scan_kind(sc);
    if (kind == '[') {
        if (!sa_scan_rows(sc, &in->rows, false, "embeddings", &in->bad))
            return;
    } else if (kind == '{') {
        if (!scan_object(sc, in))
            return;
    } else if (kind) {
        if (!sa_scan_skip(sc, 0))
            return;
        sa_defer(&in->bad, SA_ERR_DATA, "expected an array of rows or an object "
                 "with \"embeddings\"");
    }
    if (!sa_scan_end(sc))
        return;
    check_input(in, kind == '{');
}

/* Rows r (shrunk to size) and labels t as the matrix m; r and t are
 * emptied. */
static void take_matrix(sa_matrix *m, sa_rows *r, token_list *t)
{
    float *shrunk = realloc(r->data, r->rows * r->cols * sizeof *shrunk);
    m->data = shrunk ? shrunk : r->data;
    m->rows = r->rows;
    m->cols = r->cols;
    m->tokens = t->present ? t->items : NULL;
    if (t->present)
        memset(t, 0, sizeof *t);
    memset(r, 0, sizeof *r);
}

/* Moves what a good scan read into line. */
static sa_status take_input(sa_batch_line *line, input_scan *in, sa_error *err)
{
    if (in->has_mask) {
        size_t count = in->mask.rows * in->mask.cols;
        if (!(line->mask = malloc(count)))
            return sa_fail(err, SA_ERR_NOMEM, 0, 0, "out of memory");
        for (size_t i = 0; i < count; i++)
            line->mask[i] = in->mask.data[i] != 0.0f;
        line->mask_rows = in->mask.rows;
        line->mask_cols = in->mask.cols;
    }
    take_matrix(&line->input, &in->rows, &in->tokens);
    if (in->has_context)
        take_matrix(&line->context, &in->context, &in->context_tokens);
    return SA_OK;
}

/* Reads an input file's text (batch false) or a batch line into line. */
static sa_status read_input(sa_batch_line *line, bool batch, const char *text,
                            size_t len, sa_error *err)
{
    sa_scan sc;
    input_scan in = {.batch = batch};
    json_text whole = {text, len};

    memset(line, 0, sizeof *line);
    sa_status status = sa_json_precheck(text, len, err);
    if (status)
        return status;
    sa_scan_init(&sc, text, len);
    scan_input(&sc, &in);
    status = sa_scan_outcome(&sc, &in.bad, tree_matrix, &whole, err);
    // the id as written, once the line was read as JSON (whatever its data)
    if (in.id.found && sc.error == SA_SCAN_OK &&
        !(line->id = sa_utf8_dup(text + in.id.start, in.id.end - in.id.start)) &&
        !status)
        status = sa_fail(err, SA_ERR_NOMEM, 0, 0, "out of memory");
    if (!status)
        status = take_input(line, &in, err);
    input_scan_free(&in);
    return status;
}

sa_status sa_read_batch_line(sa_batch_line *line, const char *text,
                             size_t len, sa_error *err)
{
    return read_input(line, true, text, len, err);
}

void sa_batch_line_free(sa_batch_line *line)
{
    sa_matrix_free(&line->input);
    sa_matrix_free(&line->context);
    free(line->id);
    free(line->mask);
    memset(line, 0, sizeof *line);
}

sa_status sa_read_json_matrix(sa_matrix *m, const char *text, size_t len,
                              sa_error *err)
{
    sa_batch_line line;
    sa_status status = read_input(&line, false, text, len, err);
    *m = line.input;
    return status;
}
