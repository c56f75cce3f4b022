/* suggest.h — "did you mean": the accepted name closest to a misspelt one
 * (suggest.c), for the messages of unknown keys. */
#ifndef SA_SUGGEST_H
#define SA_SUGGEST_H

#include <stddef.h>

/* The edit distance of a[0 .. n) and b[0 .. m), letters compared without
 * case: the optimal string alignment form of Damerau-Levenshtein (an
 * insertion, a deletion, a substitution or a swap of two neighbours
 * costs 1).  (size_t)-1 if either is longer than 64 bytes. */
size_t sa_edit_distance(const char *a, size_t n, const char *b, size_t m);

/* The name of names[0 .. count) nearest to word, or NULL if none is near:
 * equal but for case, or within one edit (an insertion, a deletion, a
 * substitution or two neighbours swapped) for a name of up to 4
 * characters, two for a longer one.  The first nearest wins a tie. */
const char *sa_suggest(const char *word, const char *const *names, size_t count);

#endif
