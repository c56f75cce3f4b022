/* jsoncmp — compare the numbers of two JSON documents with a tolerance.
 *
 *   jsoncmp [--rtol R] [--atol A] GOT WANT [KEY ...]
 *   jsoncmp [--rtol R] [--atol A] --lines GOT WANT
 *
 * Compares WANT's top-level keys (or only the KEYs given) against GOT,
 * recursively: arrays must have the same lengths, numbers must satisfy
 * |got - want| <= abs_tol + rel_tol * |want| (default rel_tol 1e-5, abs_tol 1e-6), null
 * must match null, strings and booleans must be equal.  With --lines both
 * files are JSON Lines: the same number of lines, each compared whole, and
 * every object must have the same keys in both.  Prints the maximum
 * absolute difference; exits 0 if everything agrees, 1 if not, 2 on error. */
#include <cJSON.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "selfattn.h"

static double rel_tol = 1e-5, abs_tol = 1e-6, max_diff = 0.0;
static long mismatches = 0;
static bool same_keys = false;  /* objects of GOT may not have more keys */

static void mismatch(const char *path, const char *what)
{
    if (mismatches++ < 5)
        fprintf(stderr, "jsoncmp: %s: %s\n", path, what);
}

static void compare(const cJSON *got, const cJSON *want, const char *path)
{
    char sub[512], msg[128];
    if (cJSON_IsNumber(want)) {
        if (!cJSON_IsNumber(got))
            return mismatch(path, "expected a number");
        double g = got->valuedouble, w = want->valuedouble, d = fabs(g - w);
        if (d > max_diff)
            max_diff = d;
        if (!(d <= abs_tol + rel_tol * fabs(w))) {
            snprintf(msg, sizeof msg, "got %.9g, want %.9g", g, w);
            mismatch(path, msg);
        }
    } else if (cJSON_IsArray(want)) {
        if (!cJSON_IsArray(got) ||
            cJSON_GetArraySize(got) != cJSON_GetArraySize(want))
            return mismatch(path, "arrays of different lengths");
        int i = 0;
        for (const cJSON *g = got->child, *w = want->child; w;
             g = g->next, w = w->next, i++) {
            snprintf(sub, sizeof sub, "%s[%d]", path, i);
            compare(g, w, sub);
        }
    } else if (cJSON_IsObject(want)) {
        if (!cJSON_IsObject(got))
            return mismatch(path, "expected an object");
        for (const cJSON *w = want->child; w; w = w->next) {
            snprintf(sub, sizeof sub, "%s.%s", path, w->string);
            const cJSON *g = cJSON_GetObjectItemCaseSensitive(got, w->string);
            if (!g)
                mismatch(sub, "missing");
            else
                compare(g, w, sub);
        }
        if (same_keys && cJSON_GetArraySize(got) != cJSON_GetArraySize(want))
            mismatch(path, "objects with other keys");
    } else if (!cJSON_Compare(got, want, true)) {
        mismatch(path, "values differ");
    }
}

static char *read_text(const char *path)
{
    char *text;
    size_t len;
    sa_error err;
    if (sa_read_file(&text, &len, path, &err)) {
        fprintf(stderr, "jsoncmp: %s: %s\n", path, err.message);
        return NULL;
    }
    return text;
}

static cJSON *parse(const char *text, const char *path, long line)
{
    cJSON *root = cJSON_Parse(text);
    if (!root)
        fprintf(stderr, "jsoncmp: %s:%ld: invalid JSON\n", path, line);
    return root;
}

/* Compares GOT and WANT line by line; false on an error. */
static bool compare_lines(const char *got_path, const char *want_path)
{
    char *got = read_text(got_path), *want = read_text(want_path);
    bool ok = got && want;
    char *g_save = NULL, *w_save = NULL, path[32];
    char *g = ok ? strtok_r(got, "\n", &g_save) : NULL;
    char *w = ok ? strtok_r(want, "\n", &w_save) : NULL;
    for (long line = 1; ok && (g || w); line++) {
        if (!g || !w) {
            snprintf(path, sizeof path, "line %ld", line);
            mismatch(path, g ? "more lines than wanted" : "fewer lines than wanted");
            break;
        }
        cJSON *gj = parse(g, got_path, line), *wj = parse(w, want_path, line);
        ok = gj && wj;
        snprintf(path, sizeof path, "line %ld", line);
        if (ok)
            compare(gj, wj, path);
        cJSON_Delete(gj);
        cJSON_Delete(wj);
        g = strtok_r(NULL, "\n", &g_save);
        w = strtok_r(NULL, "\n", &w_save);
    }
    free(got);
    free(want);
    return ok;
}

static cJSON *load(const char *path)
{
    char *text = read_text(path);
    cJSON *root = text ? parse(text, path, 1) : NULL;
    free(text);
    return root;
}

static int summary(void)
{
    printf("max abs diff %.3g, %ld mismatches (rtol %g, atol %g)\n", max_diff,
           mismatches, rel_tol, abs_tol);
    return mismatches ? 1 : 0;
}

int main(int argc, char **argv)
{
    int i = 1;
    bool lines = false;
    for (; i + 1 < argc && argv[i][0] == '-' && argv[i][1] == '-'; i += 2) {
        if (strcmp(argv[i], "--rtol") == 0)
            rel_tol = atof(argv[i + 1]);
        else if (strcmp(argv[i], "--atol") == 0)
            abs_tol = atof(argv[i + 1]);
        else if (strcmp(argv[i], "--lines") == 0)
            lines = true, i--;
        else
            break;
    }
    if (argc - i < 2 || (lines && argc - i != 2)) {
        fprintf(stderr, "usage: jsoncmp [--rtol R] [--atol A] GOT WANT [KEY ...]\n"
                        "       jsoncmp [--rtol R] [--atol A] --lines GOT WANT\n");
        return 2;
    }
    if (lines) {
        same_keys = true;
        return compare_lines(argv[i], argv[i + 1]) ? summary() : 2;
    }
    cJSON *got = load(argv[i]), *want = load(argv[i + 1]);
    if (!got || !want)
        return 2;
    if (argc - i == 2) {
        compare(got, want, "");
    } else {
        for (int k = i + 2; k < argc; k++) {
            const cJSON *g = cJSON_GetObjectItemCaseSensitive(got, argv[k]);
            const cJSON *w = cJSON_GetObjectItemCaseSensitive(want, argv[k]);
            if (!g || !w)
                mismatch(argv[k], "missing");
            else
                compare(g, w, argv[k]);
        }
    }
    cJSON_Delete(got);
    cJSON_Delete(want);
    return summary();
}
