/* cli_suggest.c — "did you mean": the name closest to a mistyped one, by
 * edit distance, and the messages of a value that is not one of its
 * choices.  Text only: the callers print. */
#include <ctype.h>
#include <string.h>

#include "cli.h"
#include "suggest.h"

const char *cli_suggest(const char *typed, size_t typed_len,
                        const char *const *names, size_t count)
{
    const char *best = NULL;
    size_t best_distance = (size_t)-1;
    for (size_t i = 0; i < count; i++) {
        size_t len = strlen(names[i]);
        size_t distance = sa_edit_distance(typed, typed_len, names[i], len);
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
