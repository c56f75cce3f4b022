/* json_id.c — the "id" of a batch line as JSON text to echo: the lexer
 * that finds a member's value as written (so 64-bit integers keep every
 * digit), and the choice of what to echo (sa_batch_id in selfattn.h). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json_util.h"

/* Returns the end of the JSON value starting at text[i] (a string, a
 * nested array or object, or a scalar), for a text that parsed. */
static size_t value_end(const char *text, size_t i, size_t len)
{
    int depth = 0;
    for (; i < len; i++) {
        char c = text[i];
        if (c == '"') {
            for (i++; i < len && text[i] != '"'; i++)
                if (text[i] == '\\')
                    i++;
            if (depth == 0)
                return i + 1;
        } else if (c == '[' || c == '{') {
            depth++;
        } else if (c == ']' || c == '}') {
            if (depth-- == 0)
                return i;  /* the end of the enclosing object */
            if (depth == 0)
                return i + 1;
        } else if (depth == 0 && (c == ',' || c == ' ' || c == '\t' ||
                                  c == '\r' || c == '\n')) {
            return i;
        }
    }
    return i;
}

/* The raw text of the top-level member "id" of the JSON object text, as
 * written (so 64-bit integers keep every digit), in a new string; NULL if
 * there is none. */
static char *raw_id(const char *text, size_t len)
{
    size_t i = 0;
    int depth = 0;
    while (i < len) {
        char c = text[i];
        if (c == '"') {
            size_t start = i;
            for (i++; i < len && text[i] != '"'; i++)
                if (text[i] == '\\')
                    i++;
            i++;
            if (depth == 1 && i - start == 4 && memcmp(text + start, "\"id\"", 4) == 0) {
                while (i < len && strchr(" \t\r\n", text[i]))
                    i++;
                if (i < len && text[i] == ':') {
                    for (i++; i < len && strchr(" \t\r\n", text[i]); i++)
                        ;
                    return strndup(text + i, value_end(text, i, len) - i);
                }
            }
            continue;
        }
        if (c == '{' || c == '[')
            depth++;
        else if (c == '}' || c == ']')
            depth--;
        i++;
    }
    return NULL;
}

/* True if s is a number exactly as JSON's grammar writes one (cJSON also
 * takes forms such as "01" or "1." that must not be echoed). */
static bool strict_number(const char *s)
{
    if (*s == '-')
        s++;
    if (*s == '0')
        s++;
    else if (*s >= '1' && *s <= '9')
        while (*s >= '0' && *s <= '9')
            s++;
    else
        return false;
    if (*s == '.') {
        if (!(*++s >= '0' && *s <= '9'))
            return false;
        while (*s >= '0' && *s <= '9')
            s++;
    }
    if (*s == 'e' || *s == 'E') {
        s++;
        if (*s == '+' || *s == '-')
            s++;
        if (!(*s >= '0' && *s <= '9'))
            return false;
        while (*s >= '0' && *s <= '9')
            s++;
    }
    return *s == '\0';
}

char *sa_batch_id(const char *text, size_t len)
{
    cJSON *root = cJSON_ParseWithLength(text, len);
    const cJSON *item = cJSON_IsObject(root)
        ? cJSON_GetObjectItemCaseSensitive(root, "id") : NULL;
    char *id = NULL;
    if (item && cJSON_IsNumber(item)) {
        id = raw_id(text, len);
        /* the raw text must be the member cJSON found (not another "id"
         * behind an escaped duplicate key) and strict JSON */
        if (id && (!strict_number(id) || strtod(id, NULL) != item->valuedouble)) {
            free(id);
            id = NULL;
        }
    }
    if (item && !id && cJSON_IsNumber(item) && isfinite(item->valuedouble)) {
        /* not strict as written (01, 1.): cJSON would print 15 digits
         * whenever they come within its tolerance of the number, not
         * always the same double; 17 digits always give it back */
        char digits[32];
        snprintf(digits, sizeof digits, "%.17g", item->valuedouble);
        id = strdup(digits);
    }
    if (item && !id)
        id = cJSON_PrintUnformatted(item);
    cJSON_Delete(root);
    return id;
}
