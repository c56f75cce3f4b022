// numbers.cc — numbers.h on the C++17 <charconv> of libstdc++ (GCC 12 and
// later): std::to_chars gives the shortest text that reads back to the same
// float (Ryu), std::from_chars the correctly rounded float of a decimal
// text (fast_float's Eisel-Lemire, with a slow path for hard cases).  Both
// ignore the locale and allocate nothing; this file is the library's only
// C++, with neither exceptions nor RTTI.
#include <charconv>
#include <cmath>
#include <system_error>

#include "numbers.h"

size_t sa_float_chars(char *buf, float f)
{
    std::to_chars_result r = std::to_chars(buf, buf + SA_FLOAT_CHARS, f);
    return static_cast<size_t>(r.ptr - buf);
}

// True if the decimal number text[0 .. len), which from_chars found out
// of range, is below 1 in magnitude (an underflow, not an overflow): the
// power of ten of its first nonzero digit plus its exponent is negative.
static bool tiny(const char *text, size_t len)
{
    const char *p = text, *end = text + len;
    p += p < end && *p == '-';
    const char *int_start = p;
    while (p < end && *p >= '0' && *p <= '9')
        p++;
    const char *int_end = p, *frac_end = p;
    if (p < end && *p == '.')
        for (frac_end = ++p; frac_end < end && *frac_end >= '0' && *frac_end <= '9';)
            frac_end++;
    long place = 0;
    const char *q = int_start;
    while (q < int_end && *q == '0')
        q++;
    if (q < int_end) {
        place = int_end - q - 1;          // 123.4: 2
    } else {
        for (q = p; q < frac_end && *q == '0'; q++)
            ;
        if (q == frac_end)
            return true;                  // zero
        place = -(q - p) - 1;             // 0.004: -3
    }
    long exponent = 0;
    p = frac_end;
    if (p < end && (*p == 'e' || *p == 'E')) {
        bool negative = ++p < end && *p == '-';
        for (p += p < end && (*p == '-' || *p == '+'); p < end; p++)
            exponent = exponent < 100000000 ? exponent * 10 + (*p - '0') : exponent;
        exponent = negative ? -exponent : exponent;
    }
    return place + exponent < 0;
}

sa_number_status sa_parse_float(const char *text, size_t len, float *out,
                                double *as_double)
{
    const char *end = text + len;
    float f = 0.0f;
    std::from_chars_result r = std::from_chars(text, end, f);
    if (r.ptr != end || (r.ec != std::errc() && r.ec != std::errc::result_out_of_range))
        return SA_NUMBER_INVALID;
    bool negative = text[0] == '-';
    if (as_double) {
        double d = 0.0;
        if (std::from_chars(text, end, d).ec == std::errc::result_out_of_range)
            d = tiny(text, len) ? (negative ? -0.0 : 0.0) : (negative ? -HUGE_VAL : HUGE_VAL);
        *as_double = d;
    }
    if (r.ec == std::errc::result_out_of_range) {
        // from_chars says out of range for underflow too: below half the
        // smallest subnormal the nearest float32 is a signed zero
        if (!tiny(text, len))
            return SA_NUMBER_RANGE;
        f = negative ? -0.0f : 0.0f;
    }
    *out = f;
    return SA_NUMBER_OK;
}

size_t sa_parse_float_prefix(const char *text, size_t len, float *out,
                             sa_number_status *status)
{
    float f = 0.0f;
    std::from_chars_result r = std::from_chars(text, text + len, f);
    size_t taken = static_cast<size_t>(r.ptr - text);
    if (r.ec == std::errc()) {
        *out = f;
        *status = SA_NUMBER_OK;
    } else if (r.ec == std::errc::result_out_of_range && !tiny(text, taken)) {
        *status = SA_NUMBER_RANGE;
    } else if (r.ec == std::errc::result_out_of_range) {
        *out = text[0] == '-' ? -0.0f : 0.0f;  // underflow: a signed zero
        *status = SA_NUMBER_OK;
    } else {
        *status = SA_NUMBER_INVALID;
        taken = 0;
    }
    return taken;
}
