/* test_pictures.c — what the SVG and terminal pictures compute: the nearest
 * xterm-256 colour (against a brute-force search of the palette), the colour
 * scale with and without --vmin/--vmax (clamping, empty ranges, float32's
 * ends), a value's place on it, and the legends' 3-significant-digit
 * numbers; and how the interactive page embeds its data (no token can end
 * a <script> element). */
#include <float.h>
#include <string.h>

#include "check.h"
#include "heatmap.h"

/* The palette's colour at index (16 to 255), as xterm defines it. */
static void palette(int rgb[3], unsigned index)
{
    static const int levels[6] = {0, 95, 135, 175, 215, 255};
    if (index >= 232) {
        rgb[0] = rgb[1] = rgb[2] = 8 + 10 * (int)(index - 232);
        return;
    }
    unsigned k = index - 16;
    rgb[0] = levels[k / 36];
    rgb[1] = levels[k / 6 % 6];
    rgb[2] = levels[k % 6];
}

/* The reference: every colour from 16 to 255, the first of the nearest. */
static unsigned nearest_brute_force(int r, int g, int b)
{
    unsigned best = 0;
    long best_dist = -1;
    for (unsigned index = 16; index < 256; index++) {
        int p[3];
        palette(p, index);
        long dist = (long)(r - p[0]) * (r - p[0]) + (long)(g - p[1]) * (g - p[1]) +
                    (long)(b - p[2]) * (b - p[2]);
        if (best_dist < 0 || dist < best_dist) {
            best = index;
            best_dist = dist;
        }
    }
    return best;
}

/* Compares sa_xterm256 with the brute force for (r, g, b); counts. */
static void compare_nearest(int r, int g, int b, long *checked, long *wrong)
{
    unsigned got = sa_xterm256((uint32_t)(r << 16 | g << 8 | b));
    unsigned want = nearest_brute_force(r, g, b);
    ++*checked;
    if (got != want && ++*wrong <= 10)
        CHECK(false, "#%02x%02x%02x: %u, brute force %u", r, g, b, got, want);
}

static void test_xterm256(void)
{
    long checked = 0, wrong = 0;
    /* a grid of channel values: every fifth, and each side of the points
     * where two cube levels are as near (47.5, 115, 155, 195, 235), where
     * ties are decided */
    int values[256], count = 0;
    bool used[256] = {false};
    for (int v = 0; v < 256; v += 5)
        used[v] = true;
    static const int ties[] = {47, 48, 115, 155, 195, 235};
    for (size_t t = 0; t < sizeof ties / sizeof ties[0]; t++)
        for (int d = -1; d <= 1; d++)
            used[ties[t] + d] = true;
    used[255] = true;
    for (int v = 0; v < 256; v++)
        if (used[v])
            values[count++] = v;
    for (int i = 0; i < count; i++)
        for (int j = 0; j < count; j++)
            for (int k = 0; k < count; k++)
                compare_nearest(values[i], values[j], values[k], &checked, &wrong);
    /* and every colour near the grey diagonal, where the ramp competes with
     * the cube (greys 8 + 10 k: ties at 13, 23, ...) */
    for (int v = 0; v < 256; v++)
        for (int dg = -6; dg <= 6; dg++)
            for (int db = -6; db <= 6; db++) {
                int g = v + dg, b = v + db;
                if (g >= 0 && g < 256 && b >= 0 && b < 256)
                    compare_nearest(v, g, b, &checked, &wrong);
            }
    CHECK(wrong == 0, "%ld of %ld colours differ from the brute force", wrong, checked);
    printf("xterm256: %ld colours, %ld differ from the brute-force search\n",
           checked, wrong);

    /* every colour of viridis, which is what the heat map asks for */
    for (int s = 0; s <= 1000; s++) {
        uint32_t rgb = sa_viridis((float)s / 1000.0f);
        int r = (int)(rgb >> 16), g = (int)(rgb >> 8 & 0xff), b = (int)(rgb & 0xff);
        unsigned want = nearest_brute_force(r, g, b);
        if (sa_xterm256(rgb) != want) {
            CHECK(false, "viridis(%g) #%06x: %u, brute force %u", s / 1000.0,
                  (unsigned)rgb, sa_xterm256(rgb), want);
            break;
        }
    }
    /* the palette's own colours map to themselves, but the greys the cube
     * also has (0, 95, ...: the cube's index is lower) */
    for (unsigned index = 16; index < 256; index++) {
        int p[3];
        palette(p, index);
        unsigned got = sa_xterm256((uint32_t)(p[0] << 16 | p[1] << 8 | p[2]));
        CHECK(got == index, "palette colour %u maps to %u", index, got);
    }
    CHECK(sa_xterm256(0x000000) == 16 && sa_xterm256(0xffffff) == 231 &&
          sa_xterm256(0x5a5a5a) == 240 && sa_xterm256(0xfde725) == 220,
          "black %u, white %u, grey 90 %u, viridis' yellow %u",
          sa_xterm256(0x000000), sa_xterm256(0xffffff), sa_xterm256(0x5a5a5a),
          sa_xterm256(0xfde725));
}

/* The scale of one panel (rows, cols) of data with limits. */
static sa_heatmap_scale scale_of(const float *data, size_t rows, size_t cols,
                                 bool causal, sa_color_limits limits)
{
    sa_panel panel = {.title = "head 1", .rows = rows, .cols = cols, .data = data};
    sa_heatmaps maps = {&panel, 1, "weights", NULL, NULL, causal, -1, NULL, limits, 0};
    sa_heatmap_scale s;
    sa_heatmap_range(&s, &maps);
    return s;
}

#define SCALE_IS(s, want_lo, want_hi, want_below, want_above)                 \
    CHECK((s).lo == (want_lo) && (s).hi == (want_hi) &&                       \
          (s).below == (want_below) && (s).above == (want_above),             \
          "scale [%.9g, %.9g] below %d above %d, wanted [%.9g, %.9g] %d %d",  \
          (double)(s).lo, (double)(s).hi, (s).below, (s).above,               \
          (double)(want_lo), (double)(want_hi), want_below, want_above)

static void test_range(void)
{
    const float weights[4] = {0.1f, 0.9f, 0.3f, 0.7f};
    const float scores[4] = {-2.0f, 3.0f, 0.5f, -1.0f};
    const float equal[4] = {-3.0f, -3.0f, -3.0f, -3.0f};
    const sa_color_limits none = {0};

    /* from the data: weights start at 0, scores at their smallest */
    SCALE_IS(scale_of(weights, 2, 2, false, none), 0.0f, 0.9f, false, false);
    SCALE_IS(scale_of(scores, 2, 2, false, none), -2.0f, 3.0f, false, false);
    SCALE_IS(scale_of(equal, 2, 2, false, none), -3.0f, -2.0f, false, false);
    /* masked cells do not count: causal hides (0, 1), 3.0 */
    SCALE_IS(scale_of(scores, 2, 2, true, none), -2.0f, 0.5f, false, false);
    /* both ends fixed; values beyond are clamped */
    sa_color_limits unit = {true, true, 0.0f, 1.0f};
    SCALE_IS(scale_of(weights, 2, 2, false, unit), 0.0f, 1.0f, false, false);
    SCALE_IS(scale_of(scores, 2, 2, false, unit), 0.0f, 1.0f, true, true);
    /* one end fixed, the other from the data */
    sa_color_limits low = {true, false, -1.0f, 0.0f};
    SCALE_IS(scale_of(scores, 2, 2, false, low), -1.0f, 3.0f, true, false);
    sa_color_limits high = {false, true, 0.0f, 0.5f};
    SCALE_IS(scale_of(weights, 2, 2, false, high), 0.0f, 0.5f, false, true);
    SCALE_IS(scale_of(scores, 2, 2, false, high), -2.0f, 0.5f, false, true);
    /* every value on the far side of the one fixed end: one wide */
    sa_color_limits above_all = {true, false, 5.0f, 0.0f};
    SCALE_IS(scale_of(scores, 2, 2, false, above_all), 5.0f, 6.0f, true, false);
    sa_color_limits below_all = {false, true, 0.0f, -5.0f};
    SCALE_IS(scale_of(scores, 2, 2, false, below_all), -6.0f, -5.0f, false, true);
    /* at float32's ends 1 is lost: the next float, never infinity */
    sa_color_limits top = {true, false, FLT_MAX, 0.0f};
    SCALE_IS(scale_of(scores, 2, 2, false, top), nextafterf(FLT_MAX, 0.0f),
             FLT_MAX, true, false);
    sa_color_limits bottom = {false, true, 0.0f, -FLT_MAX};
    SCALE_IS(scale_of(scores, 2, 2, false, bottom), -FLT_MAX,
             nextafterf(-FLT_MAX, 0.0f), false, true);
    sa_color_limits big = {true, false, 1e30f, 0.0f};
    SCALE_IS(scale_of(scores, 2, 2, false, big), 1e30f, nextafterf(1e30f, INFINITY),
             true, false);
    /* everything masked: [0, 1], nothing clamped */
    const float nans[2] = {NAN, NAN};
    SCALE_IS(scale_of(nans, 1, 2, false, none), 0.0f, 1.0f, false, false);
    SCALE_IS(scale_of(nans, 1, 2, false, low), -1.0f, 0.0f, false, false);

    /* positions: linear inside, clamped outside, finite at float32's ends */
    CHECK(sa_heatmap_position(0.25f, 0.0f, 1.0f) == 0.25f, "0.25 in [0, 1]");
    CHECK(sa_heatmap_position(0.0f, -1.0f, 1.0f) == 0.5f, "0 in [-1, 1]");
    CHECK(sa_heatmap_position(-5.0f, 0.0f, 1.0f) == 0.0f &&
          sa_heatmap_position(5.0f, 0.0f, 1.0f) == 1.0f, "clamped");
    CHECK(sa_heatmap_position(0.0f, -FLT_MAX, FLT_MAX) == 0.5f,
          "0 in [-FLT_MAX, FLT_MAX]: %g",
          (double)sa_heatmap_position(0.0f, -FLT_MAX, FLT_MAX));
}

static void test_legend_numbers(void)
{
    static const struct { float v; const char *want; } cases[] = {
        {0.090320885f, "0.0903"}, {0.5598268f, "0.56"}, {-0.32777092f, "-0.328"},
        {0.2396227f, "0.24"}, {1.0f, "1"}, {0.0f, "0"}, {-0.0f, "0"},
        {0.5f, "0.5"}, {0.99951f, "1"}, {0.099951f, "0.1"}, {123456.0f, "123000"},
        {-1234567.0f, "-1230000"}, {1.5e-07f, "1.5e-07"}, {1.23456e-20f, "1.23e-20"},
        {3.4028235e38f, "3.4e+38"}, {-3.4028235e38f, "-3.4e+38"},
        {1e-45f, "1e-45"}, {12.345f, "12.3"}, {999.5f, "1000"},
    };
    char buf[32];
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        sa_heatmap_number(buf, cases[i].v);
        CHECK(strcmp(buf, cases[i].want) == 0, "%.9g: \"%s\", wanted \"%s\"",
              (double)cases[i].v, buf, cases[i].want);
    }
    /* the ends of the legend: marked where values are clamped */
    char end[40];
    sa_heatmap_scale s = {-0.1f, 0.1f, true, false};
    sa_heatmap_end(end, &s, false);
    CHECK(strcmp(end, "\xE2\x89\xA4 -0.1") == 0, "low end \"%s\"", end);
    sa_heatmap_end(end, &s, true);
    CHECK(strcmp(end, "0.1") == 0, "high end \"%s\"", end);
    s.below = false;
    s.above = true;
    sa_heatmap_end(end, &s, true);
    CHECK(strcmp(end, "\xE2\x89\xA5 0.1") == 0, "high end \"%s\"", end);
    sa_heatmap_end(end, &s, false);
    CHECK(strcmp(end, "-0.1") == 0, "low end \"%s\"", end);
}

/* The number of times needle occurs in haystack. */
static size_t occurrences(const char *haystack, const char *needle)
{
    size_t count = 0;
    for (const char *p = strstr(haystack, needle); p; p = strstr(p + 1, needle))
        count++;
    return count;
}

/* A page's data: a hostile token stays JSON text (every '<', '>' and '&'
 * escaped, bad UTF-8 as U+FFFD, the byte order mark dropped), the mask is
 * its rows of 0 and 1, and only the page's own elements end in
 * </script>. */
static void test_html_data(void)
{
    static const char doc[] = "\xEF\xBB\xBF{\"config\": {\"n\": 2, \"heads\": 1}, "
        "\"tokens\": [\"</script><b>x</b>\", \"<!-- & \xFF\"], \"weights\": [[[1, 0], [0.5, 0.5]]]}";
    static const unsigned char mask[] = {1, 0, 1, 1};
    sa_html_layer layer = {doc, sizeof doc - 1, "a<b>.json", mask, 2, 2};
    sa_color_limits limits = {.has_max = true, .max = 1.0f};
    char *page = NULL;
    size_t len = 0;
    sa_error err;
    FILE *fp = open_memstream(&page, &len);
    CHECK(fp && sa_write_html(fp, &layer, 1, &limits, &err) == SA_OK, "sa_write_html");
    if (fp)
        fclose(fp);
    if (!page)
        return;
    const char *want = "<script type=\"application/json\" id=\"selfattn-data\" "
        "class=\"selfattn-data\" data-layer=\"0\">{\"config\": {\"n\": 2, \"heads\": 1}, "
        "\"tokens\": [\"\\u003c/script\\u003e\\u003cb\\u003ex\\u003c/b\\u003e\", "
        "\"\\u003c!-- \\u0026 \\ufffd\"], \"weights\": [[[1, 0], [0.5, 0.5]]]}</script>\n"
        "<script type=\"application/json\" class=\"selfattn-mask\" data-layer=\"0\">"
        "[\n[1,0],\n[1,1]]</script>\n";
    CHECK(strstr(page, want) != NULL, "the data and the mask as embedded:\n%s", page);
    CHECK(strstr(page, "\"vmin\": null, \"vmax\": 1, \"names\": [\"a\\u003cb\\u003e.json\"]"),
          "the page's settings");
    CHECK(occurrences(page, "</script>") == 4, "%zu </script>: the settings, the "
          "data, the mask and the script", occurrences(page, "</script>"));
    CHECK(!strstr(page, "<b>") && !strstr(page, "\xEF\xBB\xBF") && !strstr(page, "\xFF"),
          "no markup, byte order mark or bad byte of the data");
    CHECK(strncmp(page, "<!DOCTYPE html>", 15) == 0 &&
          strstr(page, "Content-Security-Policy\" content=\"default-src 'none'"),
          "a page that may fetch nothing");
    free(page);
}

int main(void)
{
    test_xterm256();
    test_range();
    test_legend_numbers();
    test_html_data();
    return check_summary("test_pictures");
}
