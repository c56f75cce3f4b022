/* json_tree.c — JSON text into a cJSON tree at a bounded cost.  cJSON
 * spends about 64 bytes on every value, 40 times the text of a matrix;
 * here an array of numbers (a vector) or of equal vectors (a matrix) is
 * one node holding float32s (an sa_json_pack), so a tree costs the text's
 * floats and a bounded number of other nodes (json_util.h).  The grammar is the
 * strict scanner's (json_scan.h); a syntax error in a small text is
 * worded by cJSON, as everywhere else. */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "json_rows.h"
#include "json_util.h"
#include "numbers.h"

typedef struct {
    sa_scan sc;
    size_t nodes;       /* nodes made so far, packs not counted */
    size_t max_nodes;   /* SA_JSON_NODES_BASE + len / SA_JSON_BYTES_PER_NODE */
    bool pack;          /* arrays of numbers become packs */
    bool too_many;      /* past max_nodes */
    bool nomem;
} builder;

/* A growing pack: its elements and what they were. */
typedef struct {
    sa_json_pack *p;
    size_t count, cap;
} pack_buf;

static bool pack_push(pack_buf *b, float v)
{
    if (b->count == b->cap) {
        size_t cap = b->cap ? 2 * b->cap : 16;
        sa_json_pack *p = realloc(b->p, sizeof *p + cap * sizeof(float));
        if (!p)
            return false;
        if (!b->p)
            *p = (sa_json_pack){.first_bool = SIZE_MAX, .first_null = SIZE_MAX};
        b->p = p;
        b->cap = cap;
    }
    b->p->data[b->count++] = v;
    return true;
}

/* Reads one element of a vector into b: a number in float32's range, true
 * or false (1, 0) or null (NaN).  False for anything else, which leaves the
 * array to the tree. */
static bool pack_element(sa_scan *sc, pack_buf *b)
{
    float v = NAN;
    double d;
    bool range, flag = false;
    char kind = sa_scan_kind(sc);
    if (kind == 'n') {
        if (!sa_scan_number(sc, &v, &d, &range) || range)
            return false;
    } else if (kind == 't' || kind == 'f') {
        if (!sa_scan_bool(sc, &flag))
            return false;
        v = flag;
    } else if (kind != 'l' || !sa_scan_null(sc)) {
        return false;
    }
    if (!pack_push(b, v))
        return false;
    size_t *first = kind == 'l' ? &b->p->first_null
                  : kind == 'n' ? NULL : &b->p->first_bool;
    if (first && *first == SIZE_MAX)
        *first = b->count - 1;
    return true;
}

/* Reads "[e, e, ...]" of vector elements into b; its length in *n. */
static bool pack_vector(sa_scan *sc, pack_buf *b, size_t *n)
{
    size_t before = b->count;
    if (!sa_scan_take(sc, '[') || sa_scan_peek(sc) == ']')
        return false;  // an empty array stays a node
    do
        if (!pack_element(sc, b))
            return false;
    while (sa_scan_take(sc, ','));
    *n = b->count - before;
    return sa_scan_take(sc, ']');
}

/* Tries the array at the scan as a vector or a matrix; on success returns
 * its node, else rewinds the scan (its errors too) and returns NULL. */
static cJSON *try_pack(builder *bd)
{
    sa_scan saved = bd->sc;
    pack_buf b = {0};
    size_t rows = 0, cols = 0, n;
    bool ok;
    if (sa_scan_take(&bd->sc, '[') && sa_scan_peek(&bd->sc) == '[') {
        do {
            ok = pack_vector(&bd->sc, &b, &n) && (rows == 0 || n == cols);
            cols = n;
            rows++;
        } while (ok && sa_scan_take(&bd->sc, ','));
        ok = ok && sa_scan_take(&bd->sc, ']');
    } else {
        bd->sc = saved;
        ok = pack_vector(&bd->sc, &b, &cols);
    }
    cJSON *node = ok ? cJSON_CreateArray() : NULL;
    if (!node) {
        bd->nomem |= ok;
        free(b.p);
        bd->sc = saved;
        return NULL;
    }
    sa_json_pack *p = realloc(b.p, sizeof *p + b.count * sizeof(float));
    p = p ? p : b.p;
    p->ndim = rows ? 2 : 1;
    p->rows = rows ? rows : 1;
    p->cols = cols;
    node->type |= SA_JSON_PACKED;
    node->valuestring = (char *)p;  // cJSON_Delete frees it
    return node;
}

static cJSON *value(builder *bd, int depth);

/* Counts a node against the most the text may hold; false past it. */
static bool count_node(builder *bd)
{
    if (++bd->nodes <= bd->max_nodes)
        return true;
    bd->too_many = true;
    return false;
}

/* An array that is not a pack, or an object: its elements in order. */
static cJSON *container(builder *bd, int depth, bool object)
{
    sa_scan *sc = &bd->sc;
    cJSON *node = object ? cJSON_CreateObject() : cJSON_CreateArray();
    if (!node)
        return bd->nomem = true, NULL;
    sc->at++;  // the '[' or '{'
    if (depth >= SA_SCAN_DEPTH) {
        sa_scan_fail(sc, SA_SCAN_DEEP);
        goto fail;
    }
    if (sa_scan_take(sc, object ? '}' : ']'))
        return node;
    do {
        char *key = NULL;
        if (object && (sa_scan_peek(sc) != '"' || !sa_scan_string(sc, &key) ||
                       !sa_scan_take(sc, ':'))) {
            free(key);
            if (sc->error == SA_SCAN_OK)
                sa_scan_fail(sc, SA_SCAN_SYNTAX);
            goto fail;
        }
        cJSON *item = value(bd, depth + 1);
        if (!item) {
            free(key);
            goto fail;
        }
        item->string = key;
        cJSON_AddItemToArray(node, item);  // for an object too: the key is set
    } while (sa_scan_take(sc, ','));
    if (sa_scan_take(sc, object ? '}' : ']'))
        return node;
    sa_scan_fail(sc, SA_SCAN_SYNTAX);
fail:
    cJSON_Delete(node);
    return NULL;
}

static cJSON *value(builder *bd, int depth)
{
    sa_scan *sc = &bd->sc;
    char kind = sa_scan_kind(sc);
    cJSON *node = NULL;
    if (kind == '[' && bd->pack && (node = try_pack(bd)))
        return node;
    if (bd->nomem || !count_node(bd))
        return NULL;
    const char *start = sc->text + sc->at;
    float f;
    double d;
    bool flag;
    char *s = NULL;
    switch (kind) {
    case '[': case '{':
        return container(bd, depth, kind == '{');
    case '"':
        if (!sa_scan_string(sc, &s))
            return NULL;
        node = cJSON_CreateString("");
        if (node) {
            free(node->valuestring);
            node->valuestring = s;
        } else {
            free(s);
        }
        break;
    case 'n':
        if (!sa_scan_number(sc, &f, &d, &flag))
            return NULL;
        sa_parse_float(start, (size_t)(sc->text + sc->at - start), &f, &d);
        node = cJSON_CreateNumber(d);
        break;
    case 't': case 'f':
        if (!sa_scan_bool(sc, &flag))
            return NULL;
        node = cJSON_CreateBool(flag);
        break;
    case 'l':
        if (!sa_scan_null(sc))
            return NULL;
        node = cJSON_CreateNull();
        break;
    default:
        return NULL;
    }
    bd->nomem |= node == NULL;
    return node;
}

/* The same text through cJSON, for a syntax error's message. */
static sa_status diagnose(void *ctx, sa_error *err)
{
    const sa_scan *sc = ctx;
    cJSON *root = NULL;
    sa_status status = sa_json_parse_lenient(&root, sc->text, sc->len, err);
    cJSON_Delete(root);
    return status;
}

/* Parses text into *root, packing arrays of numbers if pack. */
static sa_status parse(cJSON **root, const char *text, size_t len, bool pack,
                       sa_error *err)
{
    *root = NULL;
    sa_status status = sa_json_precheck(text, len, err);
    if (status)
        return status;
    builder bd = {.max_nodes = SA_JSON_NODES_BASE + len / SA_JSON_BYTES_PER_NODE,
                  .pack = pack};
    sa_scan_init(&bd.sc, text, len);
    cJSON *tree = value(&bd, 0);
    if (bd.nomem) {
        cJSON_Delete(tree);
        return sa_fail(err, SA_ERR_NOMEM, 0, 0, "out of memory parsing JSON");
    }
    if (bd.too_many) {
        cJSON_Delete(tree);
        return sa_fail(err, SA_ERR_DATA, 0, 0, "more than %zu JSON values "
                       "outside arrays of numbers in %zu bytes (at most %d and "
                       "one per %d bytes)", bd.max_nodes, len,
                       SA_JSON_NODES_BASE, SA_JSON_BYTES_PER_NODE);
    }
    if (tree && sa_scan_end(&bd.sc)) {
        *root = tree;
        return SA_OK;
    }
    cJSON_Delete(tree);
    sa_deferred none = {0};
    return sa_scan_outcome(&bd.sc, &none, diagnose, &bd.sc, err);
}

sa_status sa_json_parse(cJSON **root, const char *text, size_t len,
                        sa_error *err)
{
    return parse(root, text, len, true, err);
}

sa_status sa_json_parse_plain(cJSON **root, const char *text, size_t len,
                              sa_error *err)
{
    return parse(root, text, len, false, err);
}
