/* example.c — libselfattn from a C program: three tokens read from a JSON
 * string, weights generated from a seed, two causal heads of attention,
 * and the output printed.  docs/library.md explains it; build it against
 * the installed library with
 *
 *     cc -o example example.c $(pkg-config --cflags --libs selfattn)
 *
 * Prints the library's version, then one line per token: its label and
 * its output row.  `selfattn run -H 2 --causal -p output` on the same
 * JSON gives the same numbers (make check-install compares them). */
#include <stdio.h>
#include <string.h>

#include <selfattn.h>

int main(void)
{
    static const char json[] =
        "{\"tokens\": [\"x1\", \"x2\", \"x3\"],"
        " \"embeddings\": [[1, 0, 1, 0], [0, 2, 0, 2], [1, 1, 1, 1]]}";
    sa_matrix x = {0};
    sa_weights w = {0};
    sa_result r = {0};
    sa_error err;
    int status = 1;

    sa_json_setup();  // once, before any thread: tells out of memory from bad JSON
    printf("libselfattn %s\n", sa_version());

    // x (3, 4) with token labels; x owns new memory
    if (sa_read_json_matrix(&x, json, strlen(json), &err)) {
        fprintf(stderr, "example: the input:%ld:%ld: %s\n", err.line, err.col,
                err.message);
        goto done;
    }
    // Wq, Wk, Wv (4, 2 heads * 2) from seed 0, as `selfattn run` makes them
    size_t heads = 2, d_head = x.cols / heads;
    if (sa_weights_generate(&w, x.cols, x.cols, heads, heads, d_head, false, 0,
                            &err))
        goto fail;
    // the defaults (scale 1/sqrt(d_head), no window, ...), then our changes
    sa_config cfg = sa_config_default();
    cfg.heads = heads;
    cfg.causal = true;
    if (sa_attention_forward(&r, x.data, x.rows, x.cols, NULL, 0, 0, &w, &cfg,
                             &err))
        goto fail;

    // output (n, d_out): one row per token
    for (size_t i = 0; i < r.n; i++) {
        printf("%s", x.tokens ? x.tokens[i] : "");
        for (size_t j = 0; j < r.d_out; j++)
            printf("\t%.9g", r.output[i * r.d_out + j]);
        putchar('\n');
    }
    status = 0;
    goto done;
fail:
    fprintf(stderr, "example: %s\n", err.message);
done:
    sa_result_free(&r);
    sa_weights_free(&w);
    sa_matrix_free(&x);
    return status;
}
