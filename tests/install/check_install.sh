#!/usr/bin/env bash
# tests/install/check_install.sh — the library as a program that uses it
# sees it (make check-install; run from anywhere, after `make selfattn lib`):
#
#   1. `make install PREFIX=` a temporary directory, and that tree's
#      selfattn.pc (PKG_CONFIG_PATH) gives the version `selfattn --version`
#      prints;
#   2. the installed selfattn.h compiles alone (only -I of its directory) as
#      strict C99 and C11, and a C++ program calling sa_version() links;
#   3. docs/example.c builds with `pkg-config --cflags --libs selfattn`
#      against the shared library (needing libselfattn.so.MAJOR, run with
#      LD_LIBRARY_PATH) and with `pkg-config --static --libs selfattn`
#      against libselfattn.a (needing no libselfattn.so, run without it);
#      both print `libselfattn VERSION` and then the output `selfattn run
#      -H 2 --causal -p output` gives for the same JSON (numbers within
#      tests/tools/numcmp.py's tolerance);
#   4. the example of selfattn(3) (its EXAMPLES section) builds as strict
#      C99 and prints the version and `selfattn run -p output`'s first value.
#
# Prints one "ok" line per check; exits 1 at the first failure, saying what
# differed.  Environment: CC (default cc), CXX (default c++), MAKE.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
cd "$ROOT"
CC=${CC:-cc}
CXX=${CXX:-c++}
MAKE=${MAKE:-make}

TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
PREFIX="$TMP/prefix"

fail() { echo "check-install: $*" >&2; exit 1; }
ok() { echo "ok: $*"; }

# the one place the version comes from, as the program prints it
version=$(./selfattn --version)
version=${version#selfattn }

# 1. the installed tree and its pkg-config file
"$MAKE" -s --no-print-directory install PREFIX="$PREFIX" >/dev/null
export PKG_CONFIG_PATH="$PREFIX/lib/pkgconfig"
got=$(pkg-config --modversion selfattn)
[ "$got" = "$version" ] || fail "selfattn.pc says version '$got', selfattn --version '$version'"
ok "make install PREFIX=$PREFIX; pkg-config --modversion selfattn is $version"

# 2. the header on its own
printf '#include <selfattn.h>\nint main(void) { return sa_version()[0] == 0; }\n' > "$TMP/header.c"
for std in c99 c11; do
    "$CC" -std=$std -pedantic -Wall -Wextra -Werror -I"$PREFIX/include" \
        -fsyntax-only "$TMP/header.c" || fail "selfattn.h does not compile alone as $std"
done
# shellcheck disable=SC2046  # pkg-config's output is words
"$CXX" -x c++ -std=c++11 -Wall -Wextra -Werror -I"$PREFIX/include" \
    -o "$TMP/header-cxx" "$TMP/header.c" -x none $(pkg-config --libs selfattn) ||
    fail "a C++ program does not build with selfattn.h"
LD_LIBRARY_PATH="$PREFIX/lib" "$TMP/header-cxx" || fail "the C++ program failed"
ok "selfattn.h compiles alone as C99 and C11; a C++11 program links with it"

# 3. docs/example.c, linked both ways, against the program's own answer
# (the JSON of docs/example.c)
cat > "$TMP/example.json" <<'EOF'
{"tokens": ["x1", "x2", "x3"], "embeddings": [[1, 0, 1, 0], [0, 2, 0, 2], [1, 1, 1, 1]]}
EOF
{
    echo "libselfattn $version"
    ./selfattn run -H 2 --causal -p output "$TMP/example.json" |
        jq -r '.tokens as $t | .output | to_entries[] |
               [$t[.key]] + (.value | map(tostring)) | @tsv'
} > "$TMP/want.txt"

# shellcheck disable=SC2046  # pkg-config's output is words
"$CC" -Wall -Wextra -Werror -o "$TMP/example" docs/example.c \
    $(pkg-config --cflags --libs selfattn)
readelf -d "$TMP/example" | grep -q "NEEDED.*\[libselfattn\.so\.${version%%.*}\]" ||
    fail "the dynamic example does not need libselfattn.so.${version%%.*}"
LD_LIBRARY_PATH="$PREFIX/lib" "$TMP/example" > "$TMP/dynamic.txt"
/usr/bin/python3 tests/tools/numcmp.py "$TMP/dynamic.txt" "$TMP/want.txt" ||
    fail "the dynamic example printed $(cat "$TMP/dynamic.txt"), selfattn run $(cat "$TMP/want.txt")"
ok "docs/example.c linked with libselfattn.so: $(head -1 "$TMP/dynamic.txt"), the output of selfattn run"

# the archive by its path; --as-needed keeps the -lselfattn of --libs
# (the shared library) out of the program
# shellcheck disable=SC2046
"$CC" -Wall -Wextra -Werror -o "$TMP/example-static" docs/example.c \
    $(pkg-config --cflags selfattn) "$(pkg-config --variable=libdir selfattn)/libselfattn.a" \
    -Wl,--as-needed $(pkg-config --static --libs selfattn)
if readelf -d "$TMP/example-static" | grep -q "NEEDED.*libselfattn"; then
    fail "the static example needs libselfattn.so"
fi
env -u LD_LIBRARY_PATH "$TMP/example-static" > "$TMP/static.txt"
/usr/bin/python3 tests/tools/numcmp.py "$TMP/static.txt" "$TMP/want.txt" ||
    fail "the static example printed $(cat "$TMP/static.txt"), selfattn run $(cat "$TMP/want.txt")"
ok "docs/example.c linked with libselfattn.a: $(head -1 "$TMP/static.txt"), the output of selfattn run"

# 4. the example of the manual page, out of its roff (\e is a backslash)
sed -n '/^\.SH EXAMPLES/,/^\.SH /p' man/selfattn.3 | sed -n '/^\.EX/,/^\.EE/p' |
    sed -e '/^\.E[XE]/d' -e 's/\\e/\\/g' -e 's/\\-/-/g' > "$TMP/man_example.c"
grep -q sa_attention_forward "$TMP/man_example.c" || fail "no example found in man/selfattn.3"
# shellcheck disable=SC2046
"$CC" -std=c99 -pedantic -Wall -Wextra -Werror -o "$TMP/man_example" \
    "$TMP/man_example.c" $(pkg-config --cflags --libs selfattn)
LD_LIBRARY_PATH="$PREFIX/lib" "$TMP/man_example" > "$TMP/man.txt"
printf '[[1, 0, 1, 0], [0, 2, 0, 2], [1, 1, 1, 1]]\n' > "$TMP/man.json"
printf 'libselfattn %s\noutput[0][0] = %s\n' "$version" \
    "$(./selfattn run -p output "$TMP/man.json" | jq '.output[0][0]')" > "$TMP/man_want.txt"
/usr/bin/python3 tests/tools/numcmp.py "$TMP/man.txt" "$TMP/man_want.txt" ||
    fail "selfattn(3)'s example printed $(cat "$TMP/man.txt"), want $(cat "$TMP/man_want.txt")"
ok "selfattn(3)'s example: $(tail -1 "$TMP/man.txt"), as selfattn run"
