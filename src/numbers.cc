// numbers.cc — numbers.h on well-kept implementations: the shortest
// digits of a float come from Dragonbox (Jeon 2020; Debian's
// libdragonbox-dev, header-only), laid out here as std::to_chars lays them
// out; std::to_chars itself (libstdc++'s, Ryu-based) is the reference the
// unit tests hold that to, and prints fixed decimals; std::from_chars
// (libstdc++'s fast_float, Eisel-Lemire) gives the correctly rounded float
// of a decimal text.  All ignore the locale and allocate nothing; this is
// the library's only C++, with neither exceptions nor RTTI.
#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <system_error>

#include <dragonbox/dragonbox.h>

#include "numbers.h"

// "00" to "99": two digits at a time.
static const char pairs[201] =
    "0001020304050607080910111213141516171819202122232425262728293031323334353637383940414243444546474849"
    "5051525354555657585960616263646566676869707172737475767778798081828384858687888990919293949596979899";

// Writes the k decimal digits of v right to left, ending at end.
static void put_digits(char *end, uint64_t v, int k)
{
    for (; k >= 2; k -= 2, v /= 100)
        std::memcpy(end -= 2, pairs + 2 * (v % 100), 2);
    if (k)
        *--end = static_cast<char>('0' + v);
}

// The number of decimal digits of v (at least 1).
static int digit_count(uint64_t v)
{
    int k = 1;
    for (uint64_t p = 10; k < 20 && v >= p; p *= 10)
        k++;
    return k;
}

size_t sa_float_chars(char *buf, float f)
{
    char *o = buf;
    if (std::signbit(f))
        *o++ = '-';
    if (f == 0.0f) {
        *o++ = '0';
        return static_cast<size_t>(o - buf);
    }
    // f = significand x 10^e with the fewest digits that read back as f
    auto d = jkj::dragonbox::to_decimal(f, jkj::dragonbox::policy::sign::ignore);
    uint32_t sig = d.significand;
    int k = digit_count(sig), e = d.exponent, point = k + e;
    // std::to_chars' choice: fixed ("123.45", "0.001") or scientific
    // ("1.2345e+38", "1e-07"), whichever is shorter; fixed on a tie
    int exp10 = point - 1, exp_digits = std::abs(exp10) >= 100 ? 3 : 2;
    int sci = k + (k > 1) + 2 + exp_digits;
    int fixed = e >= 0 ? k + e : point > 0 ? k + 1 : k + 2 - point;
    if (fixed <= sci && e > 0) {  // an integer: its exact digits, as %.0f
        uint64_t whole = static_cast<uint64_t>(std::fabs(f));
        int n = digit_count(whole);
        put_digits(o + n, whole, n);
        return static_cast<size_t>(o + n - buf);
    }
    if (fixed <= sci && point > 0) {  // "123" or "12.345"
        static const uint32_t powers[10] = {1, 10, 100, 1000, 10000, 100000,
                                            1000000, 10000000, 100000000, 1000000000};
        put_digits(o + fixed, sig % powers[-e], -e);
        put_digits(o + point, sig / powers[-e], point);
        if (e < 0)
            o[point] = '.';
        return static_cast<size_t>(o + fixed - buf);
    }
    if (fixed <= sci) {  // "0.00123"
        o[0] = '0';
        o[1] = '.';
        std::memset(o + 2, '0', static_cast<size_t>(-point));
        put_digits(o + fixed, sig, k);
        return static_cast<size_t>(o + fixed - buf);
    }
    put_digits(o + k + 1, sig, k);  // "1.2345e-07": the digits, then the point
    o[0] = o[1];
    o[1] = '.';
    o += k + (k > 1);
    *o++ = 'e';
    *o++ = exp10 < 0 ? '-' : '+';
    put_digits(o + exp_digits, static_cast<uint64_t>(std::abs(exp10)), exp_digits);
    return static_cast<size_t>(o + exp_digits - buf);
}

size_t sa_float_chars_ref(char *buf, float f)
{
    std::to_chars_result r = std::to_chars(buf, buf + SA_FLOAT_CHARS, f);
    return static_cast<size_t>(r.ptr - buf);
}

size_t sa_fixed_chars(char *buf, float f, int digits)
{
    std::to_chars_result r = std::to_chars(buf, buf + SA_FIXED_CHARS, f,
                                           std::chars_format::fixed, digits);
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
