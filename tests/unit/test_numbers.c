/* test_numbers.c — float32 to and from decimal text (numbers.h): every
 * float printed reads back to the same bits, in the text std::to_chars
 * gives (the reference); parsing is correctly rounded, as glibc's strtof
 * (which rounds correctly) says, on random and edge-case texts; and what
 * is beyond float32 or below its subnormals is reported or rounded as
 * documented. */
#include <float.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "numbers.h"

#define RANDOM_FLOATS 2000000

static float from_bits(uint32_t bits)
{
    float f;
    memcpy(&f, &bits, sizeof f);
    return f;
}

static uint32_t to_bits(float f)
{
    uint32_t bits;
    memcpy(&bits, &f, sizeof bits);
    return bits;
}

/* f printed: the reference's text, and back to the same bits through both
 * parsers; counts the failures into *bad (the first is reported). */
static void check_print(float f, size_t *bad)
{
    char got[SA_FLOAT_CHARS + 1], want[SA_FLOAT_CHARS + 1];
    size_t n = sa_float_chars(got, f), m = sa_float_chars_ref(want, f);
    got[n] = want[m] = '\0';
    float back = NAN, back_c = strtof(got, NULL);
    bool ok = n == m && strcmp(got, want) == 0 &&
              sa_parse_float(got, n, &back, NULL) == SA_NUMBER_OK &&
              to_bits(back) == to_bits(f) && to_bits(back_c) == to_bits(f);
    if (!ok && (*bad)++ == 0)
        CHECK(false, "%a printed as %s (to_chars: %s), read back as %a",
              (double)f, got, want, (double)back);
}

static void test_printing(void)
{
    size_t bad = 0, count = 0;
    sa_rng rng;
    sa_rng_seed(&rng, 2026);
    for (size_t i = 0; i < RANDOM_FLOATS; i++) {
        float f = from_bits((uint32_t)sa_rng_next(&rng));
        if (isfinite(f)) {
            check_print(f, &bad);
            count++;
        }
    }
    // the edges: zeros, subnormals, FLT_MIN, FLT_MAX, the largest odd
    // integers, powers of ten and two, their neighbours
    const float edges[] = {0.0f, -0.0f, FLT_TRUE_MIN, -FLT_TRUE_MIN,
                           from_bits(0x007fffff), FLT_MIN, FLT_MAX, -FLT_MAX,
                           16777215.0f, 16777216.0f, 16777218.0f, 8388607.0f,
                           1.0f, 0.1f, 1e-7f, 1e10f, 123456792.0f, 0.001f,
                           1e-38f, 1e38f, 0.5f, 1.0f / 3.0f, 100.0f, 1e-45f};
    for (size_t i = 0; i < sizeof edges / sizeof edges[0]; i++)
        for (int step = -2; step <= 2; step++) {
            uint32_t bits = to_bits(edges[i]) + (uint32_t)step;
            if (isfinite(from_bits(bits))) {
                check_print(from_bits(bits), &bad);
                count++;
            }
        }
    printf("  printed %zu floats: %zu differ from to_chars or do not read back\n",
           count, bad);
    CHECK(bad == 0, "%zu floats misprinted", bad);
    char buf[SA_FLOAT_CHARS + 1];
    buf[sa_float_chars(buf, 0.17206892f)] = '\0';
    CHECK(strcmp(buf, "0.17206892") == 0, "0.17206892f printed as %s", buf);
    buf[sa_float_chars(buf, 1e-7f)] = '\0';
    CHECK(strcmp(buf, "1e-07") == 0, "1e-7f printed as %s", buf);
}

/* text parsed: the float strtof gives (correctly rounded), all taken. */
static void check_parse(const char *text, size_t *bad)
{
    float got = NAN;
    float want = strtof(text, NULL);
    sa_number_status st = sa_parse_float(text, strlen(text), &got, NULL);
    bool ok = isinf(want) ? st == SA_NUMBER_RANGE
                          : st == SA_NUMBER_OK && to_bits(got) == to_bits(want);
    if (!ok && (*bad)++ == 0)
        CHECK(false, "%s parsed as %a (status %d), strtof %a", text,
              (double)got, (int)st, (double)want);
}

static void test_parsing(void)
{
    size_t bad = 0, count = 0;
    sa_rng rng;
    char text[96];
    sa_rng_seed(&rng, 7);
    // random decimals: 1 to 30 significant digits, exponents -60 to 60,
    // so that long inputs and the edges of float32's range come up
    for (; count < 500000; count++) {
        int digits = 1 + (int)(sa_rng_next(&rng) % 30);
        int exponent = (int)(sa_rng_next(&rng) % 121) - 60;
        size_t k = 0;
        if (sa_rng_next(&rng) & 1)
            text[k++] = '-';
        text[k++] = (char)('1' + sa_rng_next(&rng) % 9);
        text[k++] = '.';
        for (int d = 1; d < digits; d++)
            text[k++] = (char)('0' + sa_rng_next(&rng) % 10);
        snprintf(text + k, sizeof text - k, "e%d", exponent);
        check_parse(text, &bad);
    }
    // halfway cases: the exact midpoint between two floats rounds to the
    // even one; a digit more either way decides
    const char *edges[] = {
        "1.000000059604644775390625", "1.0000000596046447753906251",
        "1.0000000596046447753906249", "1.000000178813934326171875",
        "16777217", "16777219", "3.4028235e38", "3.40282346638528859811704183484516925440e38",
        "3.4028235677973366e38", "3.4028235677973367e38", "1.17549435e-38",
        "1.4012984643248170709237295832899161312802619418765e-45",
        "7.006492321624085354618647916449580656401309709382578858785341419448955413429303e-46",
        "7.0064923216240854e-46", "1e-45", "0.000000000000000000000000000000000000000000001",
        "123456789012345678901234567890e-20", "1e0000000000000000000000000000001",
        "0.1", "0.2", "0.3", "1e38", "9.999999e37", "2.5e-45", "3.5e-45",
    };
    for (size_t i = 0; i < sizeof edges / sizeof edges[0]; i++, count++)
        check_parse(edges[i], &bad);
    printf("  parsed %zu texts: %zu differ from strtof\n", count, bad);
    CHECK(bad == 0, "%zu texts misparsed", bad);
}

/* Beyond float32: out of range, with the double kept for the message;
 * below its subnormals: a signed zero. */
static void test_range(void)
{
    float f = 1.0f;
    double d = 0.0;
    CHECK(sa_parse_float("3.4028236e38", 12, &f, &d) == SA_NUMBER_RANGE &&
          d > 3.4e38, "3.4028236e38 is beyond float32");
    CHECK(sa_parse_float("1e400", 5, &f, &d) == SA_NUMBER_RANGE && isinf(d),
          "1e400 is beyond double");
    CHECK(sa_parse_float("-1e-50", 6, &f, &d) == SA_NUMBER_OK && f == 0.0f &&
          signbit(f), "-1e-50 is -0");
    CHECK(sa_parse_float("1e-400", 6, &f, NULL) == SA_NUMBER_OK && f == 0.0f &&
          !signbit(f), "1e-400 is 0");
    CHECK(sa_parse_float("1e", 2, &f, NULL) == SA_NUMBER_INVALID, "1e is no number");
    CHECK(sa_parse_float("inf", 3, &f, NULL) == SA_NUMBER_OK, "from_chars reads inf: "
          "the callers check their grammar first");
    sa_number_status st;
    CHECK(sa_parse_float_prefix("12.5,3", 6, &f, &st) == 4 && f == 12.5f &&
          st == SA_NUMBER_OK, "a prefix");
    char buf[SA_FIXED_CHARS + 1];
    buf[sa_fixed_chars(buf, -0.00001f, 4)] = '\0';
    CHECK(strcmp(buf, "-0.0000") == 0, "fixed -0.00001 as %s", buf);
    buf[sa_fixed_chars(buf, 0.06345f, 4)] = '\0';
    CHECK(strcmp(buf, "0.0634") == 0 || strcmp(buf, "0.0635") == 0, "fixed as %s", buf);
}

int main(void)
{
    test_printing();
    test_parsing();
    test_range();
    return check_summary("test_numbers");
}
