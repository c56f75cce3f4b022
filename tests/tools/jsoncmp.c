/* jsoncmp — compare the numbers of two JSON documents with a tolerance.
 *
 *   jsoncmp [--rtol R] [--atol A] GOT WANT [KEY ...]
 *
 * Compares WANT's top-level keys (or only the KEYs given) against GOT,
 * recursively: arrays must have the same lengths, numbers must satisfy
 * |got - want| <= abs_tol + rel_tol * |want| (default rel_tol 1e-5, abs_tol 1e-6), null
 * must match null, strings and booleans must be equal.  Prints the maximum
 * absolute difference; exits 0 if everything agrees, 1 if not, 2 on error. */
#include <cJSON.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "selfattn.h"

static double rel_tol = 1e-5, abs_tol = 1e-6, max_diff = 0.0;
static long mismatches = 0;

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
    } else if (!cJSON_Compare(got, want, true)) {
        mismatch(path, "values differ");
    }
}

static cJSON *load(const char *path)
{
    char *text;
    size_t len;
    sa_error err;
    if (sa_read_file(&text, &len, path, &err)) {
        fprintf(stderr, "jsoncmp: %s: %s\n", path, err.message);
        return NULL;
    }
    cJSON *root = cJSON_Parse(text);
    free(text);
    if (!root)
        fprintf(stderr, "jsoncmp: %s: invalid JSON\n", path);
    return root;
}

int main(int argc, char **argv)
{
    int i = 1;
    for (; i + 1 < argc && argv[i][0] == '-' && argv[i][1] == '-'; i += 2) {
        if (strcmp(argv[i], "--rtol") == 0)
            rel_tol = atof(argv[i + 1]);
        else if (strcmp(argv[i], "--atol") == 0)
            abs_tol = atof(argv[i + 1]);
        else
            break;
    }
    if (argc - i < 2) {
        fprintf(stderr, "usage: jsoncmp [--rtol R] [--atol A] GOT WANT [KEY ...]\n");
        return 2;
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
    printf("max abs diff %.3g, %ld mismatches (rtol %g, atol %g)\n", max_diff,
           mismatches, rel_tol, abs_tol);
    cJSON_Delete(got);
    cJSON_Delete(want);
    return mismatches ? 1 : 0;
}
