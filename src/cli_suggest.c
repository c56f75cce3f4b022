/* cli_suggest.c — "did you mean": the name closest to a mistyped one, by
 * edit distance, and the messages of a value that is not one of its
 * choices.  Text only: the callers print. */
#include <ctype.h>
#include <string.h>

#include "cli.h"

/* Names longer than this are never close to anything (the table of
 * distances is on the stack). */
#define MAX_NAME 64

size_t cli_edit_distance(const char *a, size_t a_len, const char *b,
                         size_t b_len)
{
    if (a_len > MAX_NAME || b_len > MAX_NAME)
        return (size_t)-1;
    /* d[i][j]: the distance between a's first i and b's first j characters
     * (the optimal string alignment form of Damerau-Levenshtein: an
     * insertion, a deletion, a substitution or a swap of two neighbours
     * costs 1; letters compare without case) */
    size_t d[MAX_NAME + 1][MAX_NAME + 1];
    for (size_t i = 0; i <= a_len; i++)
        d[i][0] = i;
    for (size_t j = 0; j <= b_len; j++)
        d[0][j] = j;
    for (size_t i = 1; i <= a_len; i++)
        for (size_t j = 1; j <= b_len; j++) {
            int ai = tolower((unsigned char)a[i - 1]);
            int bj = tolower((unsigned char)b[j - 1]);
            size_t best = d[i - 1][j - 1] + (ai != bj);
            if (d[i - 1][j] + 1 < best)
                best = d[i - 1][j] + 1;
            if (d[i][j - 1] + 1 < best)
                best = d[i][j - 1] + 1;
            if (i > 1 && j > 1 && ai == tolower((unsigned char)b[j - 2]) &&
                tolower((unsigned char)a[i - 2]) == bj && d[i - 2][j - 2] + 1 < best)
                best = d[i - 2][j - 2] + 1;
            d[i][j] = best;
        }
    return d[a_len][b_len];
}

const char *cli_suggest(const char *typed, size_t typed_len,
                        const char *const *names, size_t count)
{
    const char *best = NULL;
    size_t best_distance = (size_t)-1;
    for (size_t i = 0; i < count; i++) {
        size_t len = strlen(names[i]);
        size_t distance = cli_edit_distance(typed, typed_len, names[i], len);
        /* close: one edit in 3 to 5 characters, two up to 8, then one
         * more for every 3 (of the shorter name); none below 3 */
        size_t shorter = len < typed_len ? len : typed_len;
        size_t allowed = shorter < 3 ? 0 : shorter <= 5 ? 1 : shorter / 3;
        if (distance <= allowed && distance < best_distance) {
            best = names[i];
            best_distance = distance;
        }
    }
    if (best)
        return best;
    /* else the one name that starts with what was typed (two letters at
     * least): "sin" for sinusoidal, "heat" for heatmap */
    for (size_t i = 0; i < count && typed_len >= 2; i++)
        if (strncmp(names[i], typed, typed_len) == 0) {
            if (best)
                return NULL;
            best = names[i];
        }
    return best;
}

void cli_choices_text(char *buf, size_t size, const char *const *names,
                      size_t count)
{
    size_t used = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < count && used < size; i++) {
        const char *sep = i == 0 ? "" : i + 1 == count ? " or " : ", ";
        used += (size_t)snprintf(buf + used, size - used, "%s%s", sep, names[i]);
    }
}

void cli_choice_message(char *buf, size_t size, const char *option,
                        const char *arg, size_t len, const char *const *names,
                        size_t count)
{
    char list[256];
    cli_choices_text(list, sizeof list, names, count);
    const char *close = cli_suggest(arg, len, names, count);
    /* an empty value (or one with blanks) is quoted, so that it is seen */
    bool quote = len == 0 || strcspn(arg, " \t") < len;
    snprintf(buf, size, "%s %s%.*s%s: expected %s%s%s%s", option,
             quote ? "'" : "", (int)len, arg, quote ? "'" : "", list,
             close ? "; did you mean '" : "", close ? close : "",
             close ? "'?" : "");
}
