/* suggest.c — the accepted name nearest to a misspelt key (suggest.h):
 * the optimal string alignment distance (Levenshtein with swaps of
 * neighbours) on lowercased names, so that "token", "Tokens", "embedding"
 * and "Vw" find "tokens", "embeddings" and "Wv". */
#include <ctype.h>
#include <string.h>

#include "suggest.h"

/* Names longer than this are never suggested for (nor compared). */
#define LONGEST 64

size_t sa_edit_distance(const char *a, size_t n, const char *b, size_t m)
{
    if (n > LONGEST || m > LONGEST)
        return (size_t)-1;
    size_t d[LONGEST + 1][LONGEST + 1];
    for (size_t i = 0; i <= n; i++)
        d[i][0] = i;
    for (size_t j = 0; j <= m; j++)
        d[0][j] = j;
    for (size_t i = 1; i <= n; i++)
        for (size_t j = 1; j <= m; j++) {
            int x = tolower((unsigned char)a[i - 1]), y = tolower((unsigned char)b[j - 1]);
            size_t best = d[i - 1][j - 1] + (x != y);
            if (d[i - 1][j] + 1 < best)
                best = d[i - 1][j] + 1;
            if (d[i][j - 1] + 1 < best)
                best = d[i][j - 1] + 1;
            if (i > 1 && j > 1 && x == tolower((unsigned char)b[j - 2]) &&
                tolower((unsigned char)a[i - 2]) == y && d[i - 2][j - 2] + 1 < best)
                best = d[i - 2][j - 2] + 1;  // two neighbours swapped
            d[i][j] = best;
        }
    return d[n][m];
}

const char *sa_suggest(const char *word, const char *const *names, size_t count)
{
    size_t n = strlen(word), best = (size_t)-1;
    const char *found = NULL;
    if (n > LONGEST)
        return NULL;
    for (size_t k = 0; k < count; k++) {
        size_t m = strlen(names[k]);
        if (m > LONGEST)
            continue;
        size_t dist = sa_edit_distance(word, n, names[k], m);
        size_t allowed = m <= 4 ? 1 : 2;
        if (dist <= allowed && dist < best) {
            best = dist;
            found = names[k];
        }
    }
    return found;
}
