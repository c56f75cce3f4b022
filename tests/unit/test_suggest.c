/* test_suggest.c — what the messages propose: the edit distance of "did
 * you mean" (src/cli_suggest.c, the program's) against a plain recursive
 * definition, the suggestions it makes and refuses, and the head counts
 * of sa_format_divisors (the library's) against trial division. */
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "cli.h"
#include "format.h"
#include "suggest.h"

/* The reference: the optimal string alignment distance by its recursive
 * definition (exponential: short strings only), letters without case. */
static size_t naive_distance(const char *a, size_t i, const char *b, size_t j)
{
    if (i == 0)
        return j;
    if (j == 0)
        return i;
    int ai = a[i - 1] | 0x20, bj = b[j - 1] | 0x20;  /* letters only */
    size_t best = naive_distance(a, i - 1, b, j - 1) + (ai != bj);
    size_t del = naive_distance(a, i - 1, b, j) + 1;
    size_t ins = naive_distance(a, i, b, j - 1) + 1;
    if (del < best)
        best = del;
    if (ins < best)
        best = ins;
    if (i > 1 && j > 1 && ai == (b[j - 2] | 0x20) && (a[i - 2] | 0x20) == bj) {
        size_t swap = naive_distance(a, i - 2, b, j - 2) + 1;
        if (swap < best)
            best = swap;
    }
    return best;
}

static void test_distance(void)
{
    CHECK(sa_edit_distance("casual", 6, "causal", 6) == 1, "a swap costs 1");
    CHECK(sa_edit_distance("JSON", 4, "json", 4) == 0, "case is free");
    CHECK(sa_edit_distance("", 0, "abc", 3) == 3, "from nothing");
    CHECK(sa_edit_distance("ca", 2, "abc", 3) == 3,
          "OSA: no edit of a swapped pair (true Damerau would say 2)");
    char long_name[80];
    memset(long_name, 'a', sizeof long_name - 1);
    long_name[sizeof long_name - 1] = '\0';
    CHECK(sa_edit_distance(long_name, 79, "a", 1) == (size_t)-1,
          "names past 64 bytes are never close");

    /* random words of a small alphabet (so that swaps and repeats happen),
     * both cases, against the reference */
    srand(15);
    size_t worst = 0, tried = 0;
    for (int t = 0; t < 4000; t++) {
        char a[9], b[9];
        size_t la = (size_t)(rand() % 9), lb = (size_t)(rand() % 9);
        for (size_t i = 0; i < la; i++)
            a[i] = (char)("abcABC"[rand() % 6]);
        for (size_t i = 0; i < lb; i++)
            b[i] = (char)("abcABC"[rand() % 6]);
        size_t got = sa_edit_distance(a, la, b, lb);
        size_t want = naive_distance(a, la, b, lb);
        size_t diff = got > want ? got - want : want - got;
        if (diff > worst)
            worst = diff;
        tried++;
    }
    printf("edit distance: %zu random pairs, largest difference from the "
           "reference %zu\n", tried, worst);
    CHECK(worst == 0, "the table and the recursion agree");
}

static void test_suggest(void)
{
    static const char *const formats[] = {"json", "table", "csv", "npy", "npz",
                                          "svg", "heatmap"};
    static const char *const options[] = {"causal", "scale", "context", "heads",
                                          "help", "d-model"};
    const char *s;
    s = cli_suggest("jsno", 4, formats, 7);
    CHECK(s && strcmp(s, "json") == 0, "jsno -> json, got %s", s ? s : "none");
    s = cli_suggest("heatmpa", 7, formats, 7);
    CHECK(s && strcmp(s, "heatmap") == 0, "heatmpa -> heatmap");
    s = cli_suggest("casual", 6, options, 6);
    CHECK(s && strcmp(s, "causal") == 0, "casual -> causal");
    s = cli_suggest("dmodel", 6, options, 6);
    CHECK(s && strcmp(s, "d-model") == 0, "dmodel -> d-model");
    s = cli_suggest("TABLE", 5, formats, 7);
    CHECK(s && strcmp(s, "table") == 0, "TABLE -> table");
    s = cli_suggest("causal=1", 6, options, 6);  /* the length given counts */
    CHECK(s && strcmp(s, "causal") == 0, "typed_len bounds the name");
    CHECK(!cli_suggest("xml", 3, formats, 7), "nothing close to xml");
    CHECK(!cli_suggest("frob", 4, options, 6), "nothing close to frob");
    CHECK(!cli_suggest("", 0, formats, 7), "nothing for an empty word");
    CHECK(!cli_suggest("x", 1, formats, 7), "nothing for one letter");
    s = cli_suggest("heat", 4, formats, 7);
    CHECK(s && strcmp(s, "heatmap") == 0, "heat -> heatmap, a prefix");
    CHECK(!cli_suggest("np", 2, formats, 7), "np begins two names: neither");
    CHECK(!cli_suggest("h", 1, formats, 7), "a prefix of one letter is not enough");
    /* ties go to the first of the list */
    s = cli_suggest("npx", 3, formats, 7);
    CHECK(s && strcmp(s, "npy") == 0, "npx -> npy (before npz)");

    char text[256];
    cli_choice_message(text, sizeof text, "--format", "jsno,x", 4, formats, 7);
    CHECK(strcmp(text, "--format jsno: expected json, table, csv, npy, npz, svg "
                       "or heatmap; did you mean 'json'?") == 0, "%s", text);
    cli_choice_message(text, sizeof text, "--format", "", 0, formats + 5, 2);
    CHECK(strcmp(text, "--format '': expected svg or heatmap") == 0, "%s", text);
}

/* The divisors of n, ascending, by trial division. */
static size_t naive_divisors(size_t *out, size_t n)
{
    size_t count = 0;
    for (size_t d = 1; d <= n; d++)
        if (n % d == 0)
            out[count++] = d;
    return count;
}

static void test_divisors(void)
{
    char text[512], want[512];
    sa_format_divisors(text, sizeof text, 6, 4);
    CHECK(strcmp(text, "1, 2, 3 or 6") == 0, "6: %s", text);
    sa_format_divisors(text, sizeof text, 7, 2);
    CHECK(strcmp(text, "1 or 7") == 0, "7: %s", text);
    sa_format_divisors(text, sizeof text, 1, 2);
    CHECK(strcmp(text, "1") == 0, "1: %s", text);
    sa_format_divisors(text, sizeof text, 16, 3);
    CHECK(strcmp(text, "1, 2, 4, 8 or 16") == 0, "a square: %s", text);

    /* every n up to 5000 with at most 24 divisors lists them all */
    size_t all[64], checked = 0;
    for (size_t n = 1; n <= 5000; n++) {
        size_t count = naive_divisors(all, n);
        if (count > 24)
            continue;
        size_t used = 0;
        for (size_t i = 0; i < count; i++)
            used += (size_t)snprintf(want + used, sizeof want - used, "%s%zu",
                                     i == 0 ? "" : i + 1 == count ? " or " : ", ",
                                     all[i]);
        sa_format_divisors(text, sizeof text, n, 3);
        CHECK(strcmp(text, want) == 0, "%zu: got %s, want %s", n, text, want);
        checked++;
    }
    printf("divisors: %zu widths listed in full as trial division does\n", checked);

    /* 720720 has 240 divisors: the 24 nearest 7 */
    sa_format_divisors(text, sizeof text, 720720, 7);
    CHECK(strcmp(text, "one of the 240 divisors of 720720, such as 1, 2, 3, 4, "
                       "5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 18, 20, 21, "
                       "22, 24, 26, 28 or 30") == 0, "720720: %s", text);
}

int main(void)
{
    test_distance();
    test_suggest();
    test_divisors();
    return check_summary("test_suggest");
}
