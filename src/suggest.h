/* suggest.h — "did you mean": the accepted name closest to a misspelt one
 * (suggest.c), for the messages of unknown keys. */
#ifndef SA_SUGGEST_H
#define SA_SUGGEST_H

#include <stddef.h>

/* The name of names[0 .. count) nearest to word, or NULL if none is near:
 * equal but for case, or within one edit (an insertion, a deletion, a
 * substitution or two neighbours swapped) for a name of up to 4
 * characters, two for a longer one.  The first nearest wins a tie. */
const char *sa_suggest(const char *word, const char *const *names, size_t count);

#endif
