#!/usr/bin/python3
"""numcmp — compare two texts exactly, except for their computed numbers.

    numcmp.py GOT WANT        (files; exit 0 if they agree, 1 if not)

Floats differ between processors, OpenBLAS kernels, selfattn's kernel sets
and thread counts in their last bits (docs/testing.md), so a text that
holds computed numbers (a table, JSON, an SVG with its tooltips and
colours) is compared piece by piece:

- a decimal number with a fraction or an exponent (0.4683, 1.5e-07) may
  differ from the one wanted by 1e-5 of it plus 1e-6, or by one unit of
  its last printed digit, whichever is larger: tables round to --digits
  decimals, and a value on a rounding edge may round either way;
- an SVG or HTML colour #rrggbb may differ by 1 in each channel (a
  viridis colour is interpolated from the value);
- everything else (words, integers such as shapes and counts, layout,
  whitespace) must be identical.

A wrong scale, a lost head, mask or key changes weights by far more than
1e-5 of their value (they are sums of exponentials over a handful of keys),
so the tolerance catches real errors while letting last-bit noise through.
"""
import re
import sys

RTOL = 1e-5
ATOL = 1e-6

# a colour, or a number that is not part of a word ("x1", "h2") or a path
TOKEN = re.compile(
    r"#[0-9a-fA-F]{6}(?![0-9a-fA-F])"
    r"|(?<![\w.#])-?(?:\d+\.\d*|\.\d+|\d+)(?:[eE][+-]?\d+)?(?![\w.])")


def tokens(text):
    """Splits text into (kind, string) pieces: 'text', 'colour', 'number'."""
    out, at = [], 0
    for m in TOKEN.finditer(text):
        if m.start() > at:
            out.append(("text", text[at:m.start()]))
        s = m.group()
        out.append(("colour" if s.startswith("#") else "number", s))
        at = m.end()
    if at < len(text):
        out.append(("text", text[at:]))
    return out


def last_digit_unit(s):
    """One unit of the last printed digit of the decimal s (0.4683: 1e-4)."""
    mantissa, _, exponent = s.lower().partition("e")
    decimals = len(mantissa.partition(".")[2])
    return 10.0 ** (-decimals + (int(exponent) if exponent else 0))


def numbers_agree(got, want):
    if got == want:
        return True
    is_float = any(c in want for c in ".eE")
    if not is_float or not any(c in got for c in ".eE"):
        return False  # integers (shapes, counts, indices) are exact
    g, w = float(got), float(want)
    allowed = max(ATOL + RTOL * abs(w), 1.0001 * last_digit_unit(want))
    return abs(g - w) <= allowed


def colours_agree(got, want):
    return all(abs(int(got[i:i + 2], 16) - int(want[i:i + 2], 16)) <= 1
               for i in (1, 3, 5))


def compare(got, want):
    """None if got agrees with want, else a message saying where not."""
    g, w = tokens(got), tokens(want)
    for k, (want_kind, want_s) in enumerate(w):
        line = 1 + "".join(s for _, s in w[:k]).count("\n")
        if k >= len(g):
            return f"line {line}: output ends early; wanted {want_s!r}"
        got_kind, got_s = g[k]
        ok = got_kind == want_kind and (
            got_s == want_s if want_kind == "text" else
            colours_agree(got_s, want_s) if want_kind == "colour" else
            numbers_agree(got_s, want_s))
        if not ok:
            return f"line {line}: got {got_s!r}, wanted {want_s!r}"
    if len(g) > len(w):
        return f"extra output: {''.join(s for _, s in g[len(w):])[:200]!r}"
    return None


def main(argv):
    if len(argv) != 3:
        print("usage: numcmp.py GOT WANT", file=sys.stderr)
        return 2
    with open(argv[1], encoding="utf-8") as f:
        got = f.read()
    with open(argv[2], encoding="utf-8") as f:
        want = f.read()
    problem = compare(got, want)
    if problem:
        print(f"numcmp: {argv[1]}: {problem}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
