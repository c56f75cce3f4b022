/* test_readers.c — the readers, the weights conventions, the PRNG and the
 * float formatting of libselfattn, on inputs written in the test. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "naive.h"

/* Parses text as a matrix with the format guessed from name. */
static sa_status read_text(sa_matrix *m, const char *name, const char *text,
                           sa_error *err)
{
    return sa_read_matrix(m, name, text, strlen(text), err);
}

static void test_csv(void)
{
    sa_matrix m;
    sa_error err;
    const char *text = "\xEF\xBB\xBF# a comment\r\ntoken,a,b\r\n\r\n"
                       "\"the, quoted\",1,2.5\r\ncat , -3e-2, 4\r\n";
    CHECK(read_text(&m, "x.csv", text, &err) == SA_OK, "%s", err.message);
    CHECK(m.rows == 2 && m.cols == 2, "shape %zu x %zu", m.rows, m.cols);
    CHECK(m.tokens && strcmp(m.tokens[0], "the, quoted") == 0 &&
          strcmp(m.tokens[1], "cat") == 0, "token labels");
    CHECK(m.data[0] == 1.0f && m.data[1] == 2.5f && m.data[2] == -0.03f &&
          m.data[3] == 4.0f, "values");
    sa_matrix_free(&m);

    CHECK(read_text(&m, "x.csv", "1,2\n3,4\n", &err) == SA_OK && !m.tokens &&
          m.rows == 2, "plain numbers, no header, no labels");
    sa_matrix_free(&m);

    /* tabs or semicolons, when the first line has no comma */
    static const struct { const char *text; size_t rows, cols; bool tokens; } seps[] = {
        {"token\te0\te1\nthe\t1\t-2.5\n cat\t3\t4 \n", 2, 2, true},
        {"1;2;3\n4; 5 ;6\n", 2, 3, false},
        {"\"a;b\";1\n\"c\";2\n", 2, 1, true},
        {" 7\t\n8\n", 2, 1, false},                 /* a tab at the end separates nothing */
        {"0,1,2\n5,6,7\n", 1, 3, false},            /* pandas' to_csv(index=False) header */
        {"0\t1\n5\t6\n8\t9\n", 2, 2, false},
        {"# not a header\n0,1,2\n5,6,7\n", 2, 3, false},
        {"0,1,2\n", 1, 3, false},                   /* no line after it: data */
        {"0,1,2\nx,6,7,8\n", 0, 0, false},          /* not followed by numbers: data */
        {"0,2\n5,6\n", 2, 2, false},                /* not 0..d-1 */
    };
    for (size_t i = 0; i < sizeof seps / sizeof seps[0]; i++) {
        sa_status st = read_text(&m, "x.csv", seps[i].text, &err);
        CHECK(seps[i].rows ? st == SA_OK && m.rows == seps[i].rows &&
              m.cols == seps[i].cols && !m.tokens == !seps[i].tokens : st == SA_ERR_DATA,
              "separators %zu: %s, %zu x %zu", i, st ? err.message : "ok", m.rows, m.cols);
        sa_matrix_free(&m);
    }
    CHECK(read_text(&m, "x.csv", "1;2\n3; -4.5\n", &err) == SA_OK && m.data[3] == -4.5f,
          "semicolon values");
    sa_matrix_free(&m);

    struct { const char *text, *message; long line, col; } bad[] = {
        {"1,2\n3\n", "1 values, expected 2 like the first row", 2, 1},
        {"1,2\n3,nan\n", "'nan' is not a finite number", 2, 3},
        {"1,2\n3,x\n", "'x' is not a number", 2, 3},
        {"1,2\n3,1e39\n", "1e39 is out of float32 range", 2, 3},
        {"1,\n", "empty value", 1, 3},
        {"1,2,3\n4;5;6\n", "values separated by semicolons here, but by commas on "
         "the first line: use one separator", 2, 2},
        {"a\tb\n1\t2\n3,4\n", "values separated by commas here, but by tabs on "
         "the first line: use one separator", 3, 2},
        {"1\t\t2\n", "empty value", 1, 3},
        {"a,\"b,1\n", "unterminated quoted field", 1, 3},
        {"# only a comment\n", "no rows of numbers", 0, 0},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        sa_status s = read_text(&m, "bad.csv", bad[i].text, &err);
        CHECK(s == SA_ERR_DATA && strcmp(err.message, bad[i].message) == 0 &&
              err.line == bad[i].line && err.col == bad[i].col,
              "csv %zu: got %d %ld:%ld '%s'", i, s, err.line, err.col, err.message);
        CHECK(m.data == NULL && m.tokens == NULL, "csv %zu: matrix not zeroed", i);
    }
}

static void test_json(void)
{
    sa_matrix m;
    sa_error err;
    CHECK(read_text(&m, "-", " {\"tokens\": [\"a\", \"b\"], \"embeddings\": "
                    "[[1, 2], [3, 4e-3]]}", &err) == SA_OK, "%s", err.message);
    CHECK(m.rows == 2 && m.cols == 2 && m.data[3] == 4e-3f &&
          strcmp(m.tokens[1], "b") == 0, "object with tokens");
    sa_matrix_free(&m);

    struct { const char *text, *message; long line, col; } bad[] = {
        {"[[1, 2],\n [3 4]]", "invalid JSON near '4]]'", 2, 5},
        {"[[1, 2],\n [3, 4]", "invalid JSON: unexpected end of input", 2, 8},
        {"[[1, 2], [3]]", "embeddings, row 2: 1 values, expected 2 like row 1", 0, 0},
        {"[[1, \"x\"]]", "embeddings, row 1, column 2: expected a number", 0, 0},
        {"[[1, 1e39]]", "embeddings, row 1, column 2: 1e+39 is out of float32 range", 0, 0},
        {"[]", "embeddings: no rows", 0, 0},
        {"", "empty input", 0, 0},
        {"{\"tokens\": [\"a\"], \"embeddings\": [[1], [2]]}",
         "tokens has 1 labels but embeddings has 2 rows", 0, 0},
        {"{\"rows\": [[1]]}", "unknown key \"rows\" in the input object "
         "(accepted: tokens, embeddings)", 1, 2},
        {"{\"_rows\": [[1]]}", "expected an \"embeddings\" key in the object", 0, 0},
        {"{\"embeddings\": [[1]],\n \"token\": [\"a\"]}", "unknown key \"token\" in "
         "the input object (accepted: tokens, embeddings); did you mean \"tokens\"?", 2, 2},
        {"{\"tokens\": null, \"embeddings\": [[1]], \"tokens\": [\"a\"]}",
         "\"tokens\" appears twice in the input object", 1, 39},
        {"{\"Wq\": [[1]], \"Wk\": [[1]]}", "holds weights (an object with \"Wq\"), "
         "not embeddings: give it with -w, and the embeddings as the INPUT", 0, 0},
        {"[[1, 2],\n [3, 4],\n]", "invalid JSON near ',': a trailing comma before ']'", 2, 8},
        {"{\"embeddings\": [[1, 2]] , }", "invalid JSON near ', }': a trailing comma "
         "before '}'", 1, 25},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        sa_status s = read_text(&m, "bad.json", bad[i].text, &err);
        CHECK(s == SA_ERR_DATA && strcmp(err.message, bad[i].message) == 0 &&
              err.line == bad[i].line && err.col == bad[i].col,
              "json %zu: got %d %ld:%ld '%s'", i, s, err.line, err.col, err.message);
    }

    /* the readers need no NUL after the text: a valid matrix followed, in
     * memory, by a byte that is not part of it reads as the matrix */
    const char text[] = "[[1,2],[3,4]]x";
    CHECK(sa_read_json_matrix(&m, text, sizeof text - 2, &err) == SA_OK &&
          m.rows == 2 && m.data[3] == 4.0f, "JSON without a terminator: %s", err.message);
    sa_matrix_free(&m);
    CHECK(sa_read_csv_matrix(&m, "1,2\n3,4x", 7, &err) == SA_OK && m.rows == 2 &&
          m.data[3] == 4.0f, "CSV without a terminator: %s", err.message);
    sa_matrix_free(&m);
    CHECK(sa_read_json_matrix(&m, text, sizeof text - 1, &err) == SA_ERR_DATA &&
          strcmp(err.message, "invalid JSON near 'x'") == 0 && err.col == 14,
          "text after the value: %s", err.message);
}

/* A large matrix as JSON ([[...], ...]) or CSV text, with row bad_row
 * (from 0, or rows for none) ragged: one value short. */
static char *large_text(bool json, size_t rows, size_t cols, size_t bad_row,
                        size_t *len)
{
    char *text = malloc(rows * cols * 24 + 16), *o = text;
    sa_rng rng;
    sa_rng_seed(&rng, 5);
    o += json ? sprintf(o, "[") : 0;
    for (size_t i = 0; i < rows; i++) {
        o += json ? sprintf(o, "%s[", i ? ", " : "") : 0;
        size_t n = i == bad_row ? cols - 1 : cols;
        for (size_t j = 0; j < n; j++)
            o += sprintf(o, "%s%.9g", j ? ", " : "", 8.0 * sa_rng_uniform(&rng) - 4.0);
        o += sprintf(o, json ? "]" : "\n");
    }
    o += json ? sprintf(o, "]\n") : 0;
    *len = (size_t)(o - text);
    return text;
}

/* Large texts read on 2 threads give what 1 thread gives: the same bits,
 * or the same message for a bad row in the middle. */
static void test_parallel_reading(void)
{
    for (int json = 0; json < 2; json++)
        for (size_t bad = 4000; bad <= 5000; bad += 1000) {
            size_t len;
            char *text = large_text(json, 5000, 80, bad == 5000 ? 6000 : bad, &len);
            sa_matrix one, two;
            sa_error e1, e2;
            sa_set_io_threads(1);
            sa_status s1 = json ? sa_read_json_matrix(&one, text, len, &e1)
                                : sa_read_csv_matrix(&one, text, len, &e1);
            sa_set_io_threads(2);
            sa_status s2 = json ? sa_read_json_matrix(&two, text, len, &e2)
                                : sa_read_csv_matrix(&two, text, len, &e2);
            sa_set_io_threads(1);
            CHECK(len > ((size_t)4 << 20), "large enough to be split: %zu", len);
            CHECK(s1 == s2 && (s1 ? strcmp(e1.message, e2.message) == 0 &&
                               e1.line == e2.line && e1.col == e2.col
                               : one.rows == two.rows &&
                               memcmp(one.data, two.data, one.rows * one.cols * 4) == 0),
                  "%s, bad row %zu: 1 and 2 threads differ (%s / %s)",
                  json ? "JSON" : "CSV", bad, s1 ? e1.message : "ok",
                  s2 ? e2.message : "ok");
            CHECK((bad == 5000) == (s1 == SA_OK), "%s, bad row %zu: %s",
                  json ? "JSON" : "CSV", bad, s1 ? e1.message : "read");
            sa_matrix_free(&one);
            sa_matrix_free(&two);
            free(text);
        }
}

/* The id batch echoes: the member's value as written, for every JSON
 * type, also when the line's data is refused; none for a line that is not
 * JSON or has no top-level id. */
static void test_batch_id(void)
{
    static const struct { const char *line, *id; sa_status status; } cases[] = {
        {"{\"id\": 12345678901234567890, \"embeddings\": [[1]]}", "12345678901234567890", SA_OK},
        {"{\"embeddings\": [[1]], \"id\": \"a\\u0041\"}", "\"a\\u0041\"", SA_OK},
        {"{\"id\": \"a\\u0000b\", \"embeddings\": [[1]]}", "\"a\\u0000b\"", SA_OK},
        {"{\"id\": [1, 2.50], \"embeddings\": [[1]]}", "[1, 2.50]", SA_OK},
        {"{\"id\": {\"k\": null}, \"embeddings\": [[1], [2, 3]]}", "{\"k\": null}", SA_ERR_DATA},
        {"{\"id\": \"\xff\", \"embeddings\": [[1]]}", "\"\xef\xbf\xbd\"", SA_OK},
        {"{\"id\": 01, \"embeddings\": [[1]]}", NULL, SA_ERR_DATA},
        {"{\"_x\": {\"id\": 3}, \"embeddings\": [[1]]}", NULL, SA_OK},
        {"{\"x\": 3, \"id\": 4, \"embeddings\": [[1]]}", "4", SA_ERR_DATA},
        {"{\"id\": 4, \"embeddings\": [[1]], \"id\": 5}", "4", SA_ERR_DATA},
        {"[[1, 2]]", NULL, SA_OK},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        sa_batch_line line;
        sa_error err;
        sa_status st = sa_read_batch_line(&line, cases[i].line,
                                          strlen(cases[i].line), &err);
        const char *id = line.id;
        CHECK(st == cases[i].status && (cases[i].id ? id && strcmp(id, cases[i].id) == 0
                                                     : !id),
              "batch id %zu: status %d, got %s, want %s", i, (int)st,
              id ? id : "none", cases[i].id ? cases[i].id : "none");
        sa_batch_line_free(&line);
    }
}

/* A batch line's own mask and context: their values and shapes as
 * written; each of their errors names the key, and the input's errors
 * are unchanged by them. */
static void test_batch_parts(void)
{
    const char *text = "{\"embeddings\": [[1, 2], [3, 4]], \"mask\": [[1, false], "
                       "[true, 0], [1, 1]], \"context\": [[5], [6], [7]], "
                       "\"context_tokens\": [\"a\", \"b\", \"c\"], \"_note\": 1}";
    sa_batch_line line;
    sa_error err;
    CHECK(sa_read_batch_line(&line, text, strlen(text), &err) == SA_OK, "%s",
          err.message);
    CHECK(line.input.rows == 2 && line.input.cols == 2 && line.input.data[3] == 4.0f &&
          !line.input.tokens && !line.id, "the input");
    CHECK(line.mask && line.mask_rows == 3 && line.mask_cols == 2 &&
          memcmp(line.mask, "\1\0\1\0\1\1", 6) == 0, "the mask as written");
    CHECK(line.context.rows == 3 && line.context.cols == 1 &&
          line.context.data[2] == 7.0f && line.context.tokens &&
          strcmp(line.context.tokens[1], "b") == 0, "the context and its labels");
    sa_batch_line_free(&line);
    static const struct { const char *line, *message; } bad[] = {
        {"{\"embeddings\": [[1]], \"mask\": [[2]]}", "mask, row 1, column 1: 2 is not 0 or 1"},
        {"{\"embeddings\": [[1]], \"mask\": [[1], [0, 1]]}",
         "mask, row 2: 2 values, expected 1 like row 1"},
        {"{\"embeddings\": [[1]], \"context\": [[1, \"x\"]]}",
         "context, row 1, column 2: expected a number"},
        {"{\"embeddings\": [[1]], \"context_tokens\": [\"a\"]}",
         "\"context_tokens\" needs \"context\" in the same line"},
        {"{\"embeddings\": [[1]], \"context\": [[1]], \"context_tokens\": [\"a\", \"b\"]}",
         "context_tokens has 2 labels but context has 1 rows"},
        {"{\"embeddings\": [[1]], \"masks\": [[1]]}",
         "unknown key \"masks\" in the input object (accepted: tokens, embeddings, id, "
         "mask, context, context_tokens); did you mean \"mask\"?"},
        {"{\"mask\": null, \"embeddings\": [[1]], \"mask\": [[1]]}",
         "\"mask\" appears twice in the input object"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        sa_status st = sa_read_batch_line(&line, bad[i].line, strlen(bad[i].line), &err);
        CHECK(st == SA_ERR_DATA && strcmp(err.message, bad[i].message) == 0 &&
              !line.mask && !line.context.data && !line.input.data,
              "bad part %zu: %s", i, st ? err.message : "read");
        sa_batch_line_free(&line);
    }
    // an input file takes none of a line's keys
    sa_matrix m;
    const char *file = "{\"embeddings\": [[1]],\n \"mask\": [[1]]}";
    CHECK(sa_read_json_matrix(&m, file, strlen(file), &err) == SA_ERR_DATA &&
          err.line == 2 && err.col == 2 && strcmp(err.message, "unknown key \"mask\" "
          "in the input object (accepted: tokens, embeddings): \"mask\" is a key "
          "of batch lines; give run --mask FILE") == 0, "a file's mask: %s", err.message);
}

static void test_mask(void)
{
    unsigned char *mask;
    sa_error err;
    const char *json = "[[1, 0], [true, false]]";
    CHECK(sa_read_mask(&mask, 2, 2, "m.json", json, strlen(json), &err) == SA_OK,
          "%s", err.message);
    CHECK(mask && mask[0] == 1 && mask[1] == 0 && mask[2] == 1 && mask[3] == 0,
          "mask values");
    free(mask);
    CHECK(sa_read_mask(&mask, 3, 3, "m.json", json, strlen(json), &err) == SA_ERR_DATA &&
          strcmp(err.message, "mask is 2 x 2 but must be 3 x 3 (queries x keys)") == 0,
          "wrong shape: %s", err.message);
    const char *csv = "1,0.5\n1,1\n";
    CHECK(sa_read_mask(&mask, 2, 2, "m.csv", csv, strlen(csv), &err) == SA_ERR_DATA &&
          strcmp(err.message, "mask, row 1, column 2: 0.5 is not 0 or 1") == 0,
          "not 0/1: %s", err.message);
}

/* A torch state dict is transposed into the math convention. */
static void test_torch_convention(void)
{
    const char *json =
        "{\"in_proj_weight\": [[1,2],[3,4],[5,6],[7,8],[9,10],[11,12]],"
        " \"in_proj_bias\": [1,2,3,4,5,6],"
        " \"out_proj.weight\": [[1,0],[2,3]], \"out_proj.bias\": [7,8]}";
    sa_weights w;
    sa_error err;
    CHECK(sa_weights_from_json(&w, json, strlen(json), &err) == SA_OK, "%s",
          err.message);
    CHECK(w.convention == SA_CONVENTION_TORCH && w.d_model == 2 &&
          w.d_proj == 2 && w.d_out == 2, "torch shapes");
    /* Wq = rows 0-1 transposed: [[1,3],[2,4]]; Wv = rows 4-5: [[9,11],[10,12]] */
    CHECK(w.wq[0] == 1 && w.wq[1] == 3 && w.wq[2] == 2 && w.wq[3] == 4, "Wq");
    CHECK(w.wv[0] == 9 && w.wv[1] == 11 && w.wv[2] == 10 && w.wv[3] == 12, "Wv");
    CHECK(w.bk[0] == 3 && w.bk[1] == 4 && w.bv[1] == 6, "biases split q, k, v");
    CHECK(w.wo[0] == 1 && w.wo[1] == 2 && w.wo[2] == 0 && w.wo[3] == 3,
          "Wo = out_proj.weight transposed");
    CHECK(sa_weights_check(&w, 3, 3, 1, 1, &err) == SA_ERR_DATA &&
          strcmp(err.message, "the input has 3 columns but the weights expect "
                 "2 (the columns of in_proj_weight or q_proj_weight)") == 0,
          "%s", err.message);
    CHECK(sa_weights_check(&w, 2, 2, 3, 3, &err) == SA_ERR_USAGE, "heads not dividing");
    sa_weights_free(&w);

    const char *bad[][2] = {
        {"{\"Wq\": [[1]], \"Wk\": [[1]], \"Wv\": [[1]], \"in_proj_weight\": [[1]]}",
         "mixes math-convention keys (Wq, ...) with torch keys (in_proj_weight, ...); use one convention"},
        {"{\"Wq\": [[1]], \"Wv\": [[1]]}", "missing Wk (math convention needs Wq, Wk and Wv)"},
        {"{\"Wq\": [[1]], \"Wk\": [[1]], \"Wv\": [[1]], \"bq\": [1, 2]}",
         "bq has 2 elements but must have 1 (the columns of Wq)"},
        {"{\"wq\": [[1]]}", "unknown key \"wq\" (expected Wq, Wk, Wv, Wo, bq, bk, bv, bo, or torch's in_proj_weight, in_proj_bias, q_proj_weight, k_proj_weight, v_proj_weight, out_proj.weight, out_proj.bias; or a GPT-2 or BERT checkpoint); did you mean \"Wq\"?"},
        {"{\"Wx\": [[1]]}", "unknown key \"Wx\" (expected Wq, Wk, Wv, Wo, bq, bk, bv, bo, or torch's in_proj_weight, in_proj_bias, q_proj_weight, k_proj_weight, v_proj_weight, out_proj.weight, out_proj.bias; or a GPT-2 or BERT checkpoint); did you mean \"Wq\"?"},
        {"{\"Wq\": [[1]], \"Wk\": [[1]], \"Wv\": [[1]], \"Wq\": [[2]]}",
         "\"Wq\" appears twice in the weights"},
        {"{\"_c\": 1, \"Wq\": [[1]], \"Wk\": [[1]], \"Wv\": [[1]], \"Wq2\": [[2]]}",
         "unknown key \"Wq2\" (expected Wq, Wk, Wv, Wo, bq, bk, bv, bo, or torch's in_proj_weight, in_proj_bias, q_proj_weight, k_proj_weight, v_proj_weight, out_proj.weight, out_proj.bias; or a GPT-2 or BERT checkpoint); did you mean \"Wq\"?"},
        {"[[1, 2]]", "holds embeddings (an array of rows), not weights: give it as "
         "the INPUT, and weights with -w (see selfattn init)"},
        {"{\"tokens\": [\"a\"], \"embeddings\": [[1]]}", "holds embeddings (an object "
         "with \"embeddings\"), not weights: give it as the INPUT, and weights with -w "
         "(see selfattn init)"},
        {"{\"in_proj_weight\": [[1], [2]]}",
         "in_proj_weight is 2 x 1 but its rows must be 3 blocks (q, k, v) of equal size"},
        {"[1]", "weights must be a JSON object of named matrices"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        sa_status s = sa_weights_from_json(&w, bad[i][0], strlen(bad[i][0]), &err);
        CHECK(s == SA_ERR_DATA && strcmp(err.message, bad[i][1]) == 0,
              "weights %zu: '%s'", i, err.message);
        CHECK(w.wq == NULL, "weights %zu: not zeroed after failure", i);
    }
}

/* A weights file's config: its settings, where they came from, and a
 * checkpoint's layout and config.json under it. */
static void test_weights_config(void)
{
    const char *json =
        "{\"config\": {\"heads\": 2, \"kv_heads\": 1, \"scale\": 0.25, "
        "\"causal\": true, \"window\": null, \"rope\": {\"style\": \"neox\"}, "
        "\"note\": \"other keys are notes\"},"
        " \"Wq\": [[1, 0, 0, 1]], \"Wk\": [[1, 0]], \"Wv\": [[0, 1]]}";
    sa_weights w;
    sa_error err;
    CHECK(sa_weights_from_json(&w, json, strlen(json), &err) == SA_OK, "%s", err.message);
    const sa_weights_config *c = &w.config;
    CHECK(c->heads == 2 && c->kv_heads == 1 && c->scale == 0.25f && c->causal &&
          c->rope && c->rope_neox && c->rope_base == 10000.0f, "config values");
    CHECK(c->from[SA_SET_HEADS] == SA_FROM_CONFIG && c->from[SA_SET_ROPE] == SA_FROM_CONFIG &&
          c->from[SA_SET_WINDOW] == SA_FROM_NONE && c->from[SA_SET_SOFTCAP] == SA_FROM_NONE,
          "config sources");
    CHECK(strcmp(sa_source_name(SA_FROM_CONFIG_JSON), "config.json") == 0 &&
          sa_source_name(SA_FROM_NONE) == NULL &&
          strcmp(sa_setting_name(SA_SET_KV_HEADS), "kv_heads") == 0, "names");
    sa_weights_free(&w);

    /* a GPT-2 layer of width 4: causal from the layout, heads from nothing,
     * until a config.json gives them */
    const char *gpt2 = "{\"h.0.attn.c_attn.weight\": [[1,0,0,0, 0,1,0,0, 0,0,1,0],"
        " [0,1,0,0, 1,0,0,0, 0,0,0,1], [0,0,1,0, 0,0,1,0, 1,0,0,0],"
        " [0,0,0,1, 0,0,0,1, 0,1,0,0]]}";
    CHECK(sa_weights_from_json(&w, gpt2, strlen(gpt2), &err) == SA_OK, "%s", err.message);
    CHECK(w.config.causal && w.config.from[SA_SET_CAUSAL] == SA_FROM_LAYOUT &&
          w.config.from[SA_SET_HEADS] == SA_FROM_NONE, "gpt2 layout");
    const char *hf = "{\"model_type\": \"gpt2\", \"n_head\": 2, \"n_embd\": 4}";
    CHECK(sa_weights_config_from_hf(&w, hf, strlen(hf), &err) == SA_OK &&
          w.config.heads == 2 && w.config.from[SA_SET_HEADS] == SA_FROM_CONFIG_JSON,
          "config.json: %s", err.message);
    const char *bert = "{\"model_type\": \"bert\", \"num_attention_heads\": 4}";
    w.config.from[SA_SET_HEADS] = SA_FROM_NONE;
    CHECK(sa_weights_config_from_hf(&w, bert, strlen(bert), &err) == SA_OK &&
          w.config.from[SA_SET_HEADS] == SA_FROM_NONE, "another model's config.json");
    const char *three = "{\"n_head\": 3}";
    CHECK(sa_weights_config_from_hf(&w, three, strlen(three), &err) == SA_ERR_DATA &&
          strcmp(err.message, "n_head 3 does not divide the width 4 of the gpt2 "
                 "checkpoint") == 0, "%s", err.message);
    sa_weights_free(&w);

    const char *bad[][2] = {
        {"{\"config\": {\"heads\": 3}, \"Wq\": [[1, 0]], \"Wk\": [[1, 0]], \"Wv\": [[1, 0]]}",
         "config: 3 heads do not divide the projected width 2"},
        {"{\"config\": {\"causal\": 1}, \"Wq\": [[1]], \"Wk\": [[1]], \"Wv\": [[1]]}",
         "config.causal must be true or false (or null)"},
        {"{\"config\": {\"heads\": 2, \"kv_heads\": 2}, \"Wq\": [[1, 0]], \"Wk\": [[1]], \"Wv\": [[1]]}",
         "config: the key weights have 1 columns but 2 key/value head(s) of width 1 need 2"},
        {"{\"config\": {\"softcap\": 0}, \"Wq\": [[1]], \"Wk\": [[1]], \"Wv\": [[1]]}",
         "config.softcap must be a number greater than 0 (or null)"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        sa_status s = sa_weights_from_json(&w, bad[i][0], strlen(bad[i][0]), &err);
        CHECK(s == SA_ERR_DATA && strcmp(err.message, bad[i][1]) == 0,
              "config %zu: '%s'", i, err.message);
        CHECK(w.wq == NULL, "config %zu: not zeroed after failure", i);
    }
}

/* splitmix64's published first output for seed 0, and generated weights. */
static void test_rng_and_generated_weights(void)
{
    sa_rng rng;
    sa_rng_seed(&rng, 0);
    CHECK(sa_rng_next(&rng) == 0xe220a8397b1dcdafu, "splitmix64(0) first value");
    CHECK(sa_rng_next(&rng) == 0x6e789e6aa1b965f4u, "splitmix64(0) second value");

    sa_weights w, again;
    sa_error err;
    CHECK(sa_weights_generate(&w, 4, 4, 2, 2, 3, true, 0, &err) == SA_OK, "generate");
    CHECK(w.d_model == 4 && w.d_proj == 6 && w.d_out == 4 && w.wo && !w.bq,
          "generated shapes");
    /* first element: a = 1/sqrt(4) = 0.5, u = top 24 bits of the first draw */
    float u = (float)(0xe220a8397b1dcdafu >> 40) / 16777216.0f;
    CHECK(w.wq[0] == 0.5f * (2.0f * u - 1.0f), "Wq[0] = %.9g", w.wq[0]);
    bool bounded = true;
    for (size_t i = 0; i < 4 * 6; i++)
        bounded &= fabsf(w.wk[i]) <= 0.5f;
    for (size_t i = 0; i < 6 * 4; i++)
        bounded &= fabsf(w.wo[i]) <= (float)(1.0 / sqrt(6.0));
    CHECK(bounded, "generated values within [-a, a)");
    sa_weights_generate(&again, 4, 4, 2, 2, 3, true, 0, &err);
    CHECK(memcmp(w.wv, again.wv, 24 * sizeof(float)) == 0, "same seed, same bits");
    sa_weights_free(&again);
    sa_weights_generate(&again, 4, 4, 2, 2, 3, true, 1, &err);
    CHECK(memcmp(w.wv, again.wv, 24 * sizeof(float)) != 0, "other seed, other bits");
    sa_weights_free(&again);
    sa_weights_free(&w);
}

/* Every printed float reads back to the same bits, in at most 9 digits. */
static void test_format_float(void)
{
    sa_rng rng;
    char buf[32];
    size_t bad = 0;
    sa_rng_seed(&rng, 42);
    for (int i = 0; i < 200000; i++) {
        uint32_t bits = (uint32_t)sa_rng_next(&rng);
        float f;
        memcpy(&f, &bits, sizeof f);
        if (!isfinite(f))
            continue;
        sa_format_float(buf, f);
        float back = strtof(buf, NULL);
        bad += memcmp(&back, &f, sizeof f) != 0 || strlen(buf) > 16;
    }
    CHECK(bad == 0, "%zu floats did not round-trip", bad);
    sa_format_float(buf, 0.1f);
    CHECK(strcmp(buf, "0.1") == 0, "0.1f printed as %s", buf);
    sa_format_float(buf, 1.0f / 3.0f);
    CHECK(strcmp(buf, "0.33333334") == 0, "1/3 printed as %s", buf);
}

static void test_text_position(void)
{
    long line, col;
    const char *t = "ab\nc\xC3\xA9" "d";
    sa_text_position(t, strlen(t), 6, &line, &col);
    CHECK(line == 2 && col == 3, "UTF-8 column: %ld:%ld", line, col);
}

/* A v1 .npy of (2, 3) float32 in the given byte order and memory order. */
static char *npy_2x3(size_t *len, const char *descr, const char *fortran)
{
    char header[128];
    int h = snprintf(header, sizeof header, "{'descr': '%s', 'fortran_order': %s, "
                     "'shape': (2, 3), }", descr, fortran);
    while ((10 + h + 1) % 64)
        header[h++] = ' ';
    header[h++] = '\n';
    const float values[6] = {1.5f, -2.0f, 3.25f, 0.0f, 4.0f, -0.5f};
    *len = 10 + (size_t)h + sizeof values;
    char *buf = malloc(*len + 1);
    memcpy(buf, "\x93NUMPY\x01\x00", 8);
    buf[8] = (char)(h & 0xff);
    buf[9] = (char)(h >> 8);
    memcpy(buf + 10, header, (size_t)h);
    for (int i = 0; i < 6; i++) {
        unsigned char b[4];
        memcpy(b, &values[i], 4);
        for (int k = 0; k < 4; k++)  // this test runs on little-endian x86-64
            buf[10 + h + 4 * i + k] = (char)(descr[0] == '>' ? b[3 - k] : b[k]);
    }
    buf[*len] = '\0';
    return buf;
}

/* sa_read_matrix_take: the plain .npy case takes the buffer, the others
 * leave it and read as sa_read_matrix does. */
static void test_matrix_take(void)
{
    static const struct { const char *descr, *fortran; bool taken; } cases[] = {
        {"<f4", "False", true}, {">f4", "False", false}, {"<f4", "True", false},
    };
    for (size_t c = 0; c < 3; c++) {
        size_t len;
        char *text = npy_2x3(&len, cases[c].descr, cases[c].fortran);
        sa_matrix m;
        sa_error err;
        CHECK(sa_read_matrix_take(&m, "x.npy", &text, len, &err) == SA_OK,
              "take %s %s: %s", cases[c].descr, cases[c].fortran, err.message);
        CHECK((text == NULL) == cases[c].taken, "take %s %s: buffer %s",
              cases[c].descr, cases[c].fortran, text ? "kept" : "taken");
        bool fortran = cases[c].fortran[0] == 'T';
        float want[6] = {1.5f, -2.0f, 3.25f, 0.0f, 4.0f, -0.5f};
        bool same = m.rows == 2 && m.cols == 3;
        for (size_t i = 0; same && i < 6; i++)  // Fortran order: columns first
            same = m.data[i] == (fortran ? want[(i % 3) * 2 + i / 3] : want[i]);
        CHECK(same, "take %s %s: wrong matrix", cases[c].descr, cases[c].fortran);
        sa_matrix_free(&m);
        free(text);
    }
    // a NaN: the message of sa_read_matrix, and the buffer stays the caller's, unchanged
    size_t len;
    char *text = npy_2x3(&len, "<f4", "False");
    float nan = NAN;
    memcpy(text + len - 8, &nan, 4);
    char *before = malloc(len);
    memcpy(before, text, len);
    sa_matrix m;
    sa_error err;
    CHECK(sa_read_matrix_take(&m, "x.npy", &text, len, &err) == SA_ERR_DATA && text &&
          strcmp(err.message, "the .npy array, element 4 (counting from 0): NaN "
                 "is not allowed") == 0, "take NaN: %s", err.message);
    CHECK(text && memcmp(text, before, len) == 0, "take NaN: the buffer was changed");
    free(before);
    free(text);
}

/* A v1 .npy of shape (rank 1 to 3) with count integers of size bytes each,
 * in descr's byte order ('>' big-endian) and memory order. */
static char *npy_integers(size_t *len, const char *descr, const char *fortran,
                          const char *shape, const int64_t *values, size_t count)
{
    char header[128];
    size_t size = (size_t)(descr[2] - '0');
    int h = snprintf(header, sizeof header, "{'descr': '%s', 'fortran_order': %s, "
                     "'shape': %s, }", descr, fortran, shape);
    while ((10 + h + 1) % 64)
        header[h++] = ' ';
    header[h++] = '\n';
    *len = 10 + (size_t)h + count * size;
    char *buf = malloc(*len + 1);
    memcpy(buf, "\x93NUMPY\x01\x00", 8);
    buf[8] = (char)(h & 0xff);
    buf[9] = (char)(h >> 8);
    memcpy(buf + 10, header, (size_t)h);
    for (size_t i = 0; i < count; i++)
        for (size_t k = 0; k < size; k++) {  // two's complement, cut to size
            unsigned byte = (unsigned)((uint64_t)values[i] >> (8 * k)) & 0xff;
            buf[10 + h + i * size + (descr[0] == '>' ? size - 1 - k : k)] = (char)byte;
        }
    buf[*len] = '\0';
    return buf;
}

/* Reads an integer .npy through sa_read_npy and sa_tensor_floats: SA_OK
 * and *f, or the status with err. */
static sa_status read_integers(float **f, const char *text, size_t len,
                               sa_error *err)
{
    sa_tensor t;
    *f = NULL;
    sa_status status = sa_read_npy(&t, (const unsigned char *)text, len, err);
    if (status)
        return status;
    t.name = (char *)"a";
    return sa_tensor_floats(f, &t, err);
}

/* Integer .npy arrays: every dtype and byte order, read as exact float32
 * up to 2^24 in magnitude, refused beyond with the first such element in
 * row-major order (also when stored in Fortran order). */
static void test_npy_integers(void)
{
    static const char *const dtypes[] = {
        "|i1", "<i2", ">i2", "<i4", ">i4", "<i8", ">i8",
        "|u1", "<u2", ">u2", "<u4", ">u4", "<u8", ">u8",
    };
    const int64_t small[6] = {0, 1, 2, 7, 100, 127};
    for (size_t d = 0; d < sizeof dtypes / sizeof dtypes[0]; d++) {
        size_t len;
        char *text = npy_integers(&len, dtypes[d], "False", "(2, 3)", small, 6);
        float *f;
        sa_error err;
        bool same = read_integers(&f, text, len, &err) == SA_OK;
        for (size_t i = 0; same && i < 6; i++)
            same = f[i] == (float)small[i];
        CHECK(same, "%s: 0 to 127 read as themselves (%s)", dtypes[d],
              same ? "" : err.message);
        free(f);
        free(text);
    }
    // the bounds: +-2^24 are exact, one more is not
    static const struct { const char *descr; int64_t v; const char *text; } edges[] = {
        {"<i4", 16777216, NULL}, {"<i4", -16777216, NULL},
        {"<i4", 16777217, "16777217"}, {">i4", -16777217, "-16777217"},
        {"<u4", 16777216, NULL}, {"<u4", 16777217, "16777217"},
        {"<i2", -32768, NULL}, {"|i1", -128, NULL}, {"|u1", 255, NULL},
        {"<i8", INT64_MIN, "-9223372036854775808"},
        {">u8", -1, "18446744073709551615"},  // 2^64 - 1
        {"<u2", 65535, NULL},
    };
    for (size_t e = 0; e < sizeof edges / sizeof edges[0]; e++) {
        int64_t values[4] = {1, 2, 3, edges[e].v};
        size_t len;
        char *text = npy_integers(&len, edges[e].descr, "False", "(2, 2)", values, 4);
        float *f;
        sa_error err;
        sa_status status = read_integers(&f, text, len, &err);
        if (!edges[e].text) {
            double want = edges[e].descr[1] == 'u' ? (double)(uint64_t)edges[e].v
                                                   : (double)edges[e].v;
            CHECK(status == SA_OK && f[3] == (float)want, "%s %lld: read", edges[e].descr,
                  (long long)edges[e].v);
        } else {
            char want[256];
            snprintf(want, sizeof want, "a, element [1, 1] (counting from 0): the "
                     "integer %s has no exact float32; integers must be at most "
                     "2^24 = 16777216 in magnitude", edges[e].text);
            CHECK(status == SA_ERR_DATA && f == NULL && strcmp(err.message, want) == 0,
                  "%s %s: '%s'", edges[e].descr, edges[e].text,
                  status ? err.message : "accepted");
        }
        free(f);
        free(text);
    }
    // Fortran order: storage order (0,0) (1,0) (0,1) (1,1) (0,2) (1,2); the
    // bad values at [1, 0] (stored second) and [0, 2]: [0, 2] comes first
    const int64_t stored[6] = {1, 1 << 25, 2, 3, -(1 << 26), 4};
    size_t len;
    char *text = npy_integers(&len, "<i4", "True", "(2, 3)", stored, 6);
    float *f;
    sa_error err;
    CHECK(read_integers(&f, text, len, &err) == SA_ERR_DATA &&
          strstr(err.message, "element [0, 2] (counting from 0): the integer -67108864 "),
          "Fortran order: %s", err.message);
    free(f);
    free(text);
    // through the readers of inputs and masks
    const int64_t mask[6] = {1, 0, 1, 1, 1, 0};
    text = npy_integers(&len, "|u1", "False", "(2, 3)", mask, 6);
    unsigned char *bytes;
    CHECK(sa_read_mask(&bytes, 2, 3, "m.npy", text, len, &err) == SA_OK &&
          bytes[0] == 1 && bytes[1] == 0 && bytes[5] == 0, "u1 mask: %s", err.message);
    free(bytes);
    sa_matrix m;
    CHECK(sa_read_matrix(&m, "x.npy", text, len, &err) == SA_OK && m.rows == 2 &&
          m.cols == 3 && m.data[3] == 1.0f, "u1 input: %s", err.message);
    sa_matrix_free(&m);
    free(text);
}

/* sa_read_input_take: a 3-D .npy is a batch (taken without a copy when
 * native float32), an .npz gives its only array or the one called x; other
 * ranks and archives without such an array are refused. */
static void test_batch_input(void)
{
    const int64_t values[12] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12};
    sa_matrix m;
    sa_error err;
    size_t batch, len;
    char *text = npy_integers(&len, ">i2", "False", "(3, 2, 2)", values, 12);
    CHECK(sa_read_input_take(&m, &batch, "x.npy", sa_input_members, &text, len,
                             &err) == SA_OK && batch == 3 && m.rows == 6 &&
          m.cols == 2 && m.data[11] == 12.0f && text, "3-D i2: %s", err.message);
    sa_matrix_free(&m);
    free(text);
    text = npy_integers(&len, "<i4", "True", "(3, 2, 2)", values, 12);
    // Fortran (3, 2, 2): element [b, i, j] is stored at b + 3 i + 6 j
    CHECK(sa_read_input_take(&m, &batch, "x.npy", sa_input_members, &text, len,
                             &err) == SA_OK && batch == 3 && m.data[1] == 7.0f &&
          m.data[4] == 2.0f, "3-D Fortran: %s", err.message);
    sa_matrix_free(&m);
    free(text);
    text = npy_integers(&len, "<i4", "False", "(1, 3, 2, 2)", values, 12);
    CHECK(sa_read_input_take(&m, &batch, "x.npy", sa_input_members, &text, len,
                             &err) == SA_ERR_DATA && !m.data &&
          strcmp(err.message, "a 4-dimensional .npy array; expected 2 dimensions "
                 "(rows x columns) or 3 (sequences x rows x columns)") == 0,
          "4-D: %s", err.message);
    free(text);
    text = npy_2x3(&len, "<f4", "False");
    CHECK(sa_read_input_take(&m, &batch, "x.npy", sa_input_members, &text, len,
                             &err) == SA_OK && batch == 0 && m.rows == 2 && !text,
          "2-D: %s", err.message);
    sa_matrix_free(&m);
}

int main(void)
{
    check_kernels_from_env();
    test_csv();
    test_json();
    test_batch_id();
    test_batch_parts();
    test_parallel_reading();
    test_mask();
    test_torch_convention();
    test_weights_config();
    test_rng_and_generated_weights();
    test_format_float();
    test_text_position();
    test_matrix_take();
    test_npy_integers();
    test_batch_input();
    return check_summary("test_readers");
}
