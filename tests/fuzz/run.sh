#!/usr/bin/env bash
# tests/fuzz/run.sh — build and run the libFuzzer harnesses of libselfattn.
#
#   tests/fuzz/run.sh SECONDS [HARNESS...]
#
# Builds tests/fuzz/build/fuzz_NAME for each harness (all of them when none
# is named: json_matrix csv json_weights npy npz safetensors mask_bias
# result batch_line) with clang's libFuzzer, ASan and UBSan, then fuzzes
# each for SECONDS seconds over a temporary copy of its seed corpus
# tests/fuzz/corpus/NAME/ (the committed corpus never grows) with the
# dictionary tests/fuzz/NAME.dict.  SECONDS = 0 only replays: every seed
# and every reproducer tests/fuzz/regressions/NAME-* runs once (a smoke
# test for `make check`).
#
# Prints one line per harness: executions, seconds, coverage, peak memory.
# Exits 1 if any harness found a crash, a leak, a timeout or an OOM; the
# input is kept in tests/fuzz/findings/NAME-{crash,leak,timeout,oom}-SHA1
# and the sanitizer's report (the stack) is printed.  Logs are in
# tests/fuzz/build/logs/.  Exits 2 on a usage or build error.  Runs may
# overlap: builds take turns (flock), each run fuzzes in its own directory.
#
# To reproduce or minimise a finding:
#   tests/fuzz/build/fuzz_NAME FILE
#   tests/fuzz/build/fuzz_NAME -minimize_crash=1 -runs=10000 \
#       -exact_artifact_path=OUT FILE
#
# Environment: CC (default clang; clang 14+ with libclang-rt-dev), FUZZ_JOBS
# (harnesses fuzzed at once, default 1), FUZZ_FLAGS (extra libFuzzer flags),
# FUZZ_SRC (the library sources, default src: point it at a patched copy to
# try a fix, or to fuzz past a known finding) with FUZZ_BUILD (the build
# directory, default tests/fuzz/build; give another one with FUZZ_SRC).
set -u

usage() {
    echo "usage: tests/fuzz/run.sh SECONDS [HARNESS...]" >&2
    echo "harnesses: $ALL" >&2
    exit 2
}

ALL="json_matrix csv json_weights npy npz safetensors mask_bias result batch_line"
ROOT=$(cd "$(dirname "$0")/../.." && pwd) || exit 2
cd "$ROOT" || exit 2
FUZZ=tests/fuzz
BUILD=${FUZZ_BUILD:-$FUZZ/build}
SRC=${FUZZ_SRC:-src}
[ $# -ge 1 ] || usage
SECONDS_EACH=$1
shift
case $SECONDS_EACH in ''|*[!0-9]*) usage ;; esac
HARNESSES=${*:-$ALL}
for h in $HARNESSES; do
    [ -f "$FUZZ/fuzz_$h.c" ] || { echo "run.sh: no harness $FUZZ/fuzz_$h.c" >&2; usage; }
done

CC=${CC:-clang}
case $CC in cc|gcc|*/gcc) CC=clang ;; esac   # make's default CC is not clang
JOBS=${FUZZ_JOBS:-1}
PKGS="libcjson openblas zlib"
# shellcheck disable=SC2086  # one word per package
PKG_CFLAGS=$(pkg-config --cflags $PKGS) || { echo "run.sh: pkg-config $PKGS failed" >&2; exit 2; }
# shellcheck disable=SC2086
PKG_LIBS=$(pkg-config --libs $PKGS) || exit 2
SAN="address,undefined"
CFLAGS="-g -O1 -std=c11 -fno-sanitize-recover=undefined -fno-omit-frame-pointer \
-I$SRC $PKG_CFLAGS -D_XOPEN_SOURCE=700 -pthread"
CXXFLAGS="-g -O1 -std=c++17 -fno-exceptions -fno-rtti -fno-sanitize-recover=undefined $(ls -d /usr/include/dragonbox-* 2>/dev/null | sed "s/^/-I/") \
-fno-omit-frame-pointer -I$SRC"
LIBS="$PKG_LIBS -lstdc++ -lm"

# ---- build ---------------------------------------------------------------
# The library: every src/*.c but the command-line program's files.
LIB_SRC=""
for src in "$SRC"/*.c "$SRC"/*.cc; do
    [ -f "$src" ] || continue
    case ${src##*/} in
        main.c|cli*.c|cmd_*.c) ;;
        *) LIB_SRC="$LIB_SRC $src" ;;
    esac
done
LIB_SRC=${LIB_SRC# }
mkdir -p "$BUILD/obj" "$BUILD/logs" "$FUZZ/findings" || exit 2
"$CC" --version >/dev/null 2>&1 || { echo "run.sh: $CC not found (apt-get install clang libclang-rt-14-dev)" >&2; exit 2; }

# One build at a time in $BUILD (make check's smoke may run beside a
# make fuzz): hold a lock until the binaries are linked.
if command -v flock >/dev/null 2>&1; then
    exec 9> "$BUILD/.lock"
    flock -n 9 || { echo "run.sh: waiting for another run.sh to finish building in $BUILD"; flock 9; }
fi

# Compile an object when its source or any header is newer than it.
newest_header=$(ls -t "$SRC"/*.h | head -n 1)
stale=""
for src in $LIB_SRC; do
    obj=$BUILD/obj/$(basename "${src%.cc}" .c).o
    if [ ! -f "$obj" ] || [ "$src" -nt "$obj" ] || [ "$newest_header" -nt "$obj" ]; then
        stale="$stale $src"
    fi
done
# objects of removed sources would still be linked: drop them
for obj in "$BUILD"/obj/*.o; do
    [ -f "$obj" ] || continue
    case " $LIB_SRC " in *" $SRC/$(basename "$obj" .o).c "*|*" $SRC/$(basename "$obj" .o).cc "*) ;;
        *) rm -f "$obj" ;; esac
done
# shellcheck disable=SC2016  # the single quotes are expanded by the inner sh
if [ -n "$stale" ]; then
    echo "building the library with libFuzzer, ASan and UBSan ($(echo "$stale" | wc -w) files)"
    for src in $stale; do echo "$src"; done |
        xargs -P "$(nproc 2>/dev/null || echo 2)" -I{} sh -c \
            'case "$4" in
                 *.cc) "$1"++ $5 -fsanitize=fuzzer-no-link,'"$SAN"' -c -o "$3/obj/$(basename "$4" .cc).o" "$4" ;;
                 *) "$1" $2 -fsanitize=fuzzer-no-link,'"$SAN"' -c -o "$3/obj/$(basename "$4" .c).o" "$4" ;;
             esac || exit 255' \
            sh "$CC" "$CFLAGS" "$BUILD" {} "$CXXFLAGS" || { echo "run.sh: library build failed" >&2; exit 2; }
fi

for h in $HARNESSES; do
    bin=$BUILD/fuzz_$h
    # rebuild when the harness, a header, an object or the flags changed
    flags="$CC $CFLAGS $LIBS"
    if [ -f "$bin" ] && [ ! "$FUZZ/fuzz_$h.c" -nt "$bin" ] &&
       [ -z "$(find "$BUILD/obj" "$BUILD" "$FUZZ" -maxdepth 1 \( -name '*.o' -o -name '*.h' \) -newer "$bin" 2>/dev/null)" ] &&
       [ "$(cat "$bin.flags" 2>/dev/null)" = "$flags" ]; then
        continue
    fi
    echo "building $bin"
    # shellcheck disable=SC2086
    "$CC" $CFLAGS -fsanitize=fuzzer,$SAN -o "$bin" "$FUZZ/fuzz_$h.c" \
        "$BUILD"/obj/*.o $LIBS || { echo "run.sh: building $bin failed" >&2; exit 2; }
    echo "$flags" > "$bin.flags"
done
[ -e /dev/fd/9 ] && exec 9>&-   # the build is done: release the lock

# ---- run -----------------------------------------------------------------
export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0:symbolize=1}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}"
WORK=$(mktemp -d "${TMPDIR:-/tmp}/selfattn-fuzz.XXXXXX") || exit 2
trap 'rm -rf "$WORK"' EXIT INT TERM

# Fuzzes (or replays) harness $1; writes its summary line to $WORK/$1.sum
# and returns non-zero on a finding.
run_one() {
    h=$1
    bin=$BUILD/fuzz_$h
    log=$WORK/$h.log            # copied to $BUILD/logs/ at the end
    artifacts=$WORK/artifacts_$h
    corpus=$WORK/corpus_$h
    mkdir -p "$artifacts"
    mkdir -p "$corpus"
    [ -d "$FUZZ/corpus/$h" ] && cp "$FUZZ/corpus/$h"/* "$corpus"/ 2>/dev/null
    dict=""
    [ -f "$FUZZ/$h.dict" ] && dict="-dict=$FUZZ/$h.dict"
    start=$(date +%s)
    if [ "$SECONDS_EACH" -eq 0 ]; then
        # replay: every seed and every reproducer once
        set --
        for r in "$corpus"/* "$FUZZ/regressions/$h"-*; do [ -f "$r" ] && set -- "$@" "$r"; done
        if [ $# -eq 0 ]; then
            echo "no seeds and no reproducers" > "$log"
            rc=0
        else
            "$bin" -timeout=10 -rss_limit_mb=2048 \
                -artifact_prefix="$artifacts/" "$@" > "$log" 2>&1
            rc=$?
        fi
        execs=$(grep -c '^Running: ' "$log")
    else
        # shellcheck disable=SC2086
        "$bin" -max_total_time="$SECONDS_EACH" $dict -max_len=65536 -timeout=10 \
            -rss_limit_mb=2048 -print_final_stats=1 \
            -artifact_prefix="$artifacts/" ${FUZZ_FLAGS:-} \
            "$corpus" > "$log" 2>&1
        rc=$?
        execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
    fi
    elapsed=$(( $(date +%s) - start ))
    cov=$(grep -Eo 'cov: [0-9]+ ft: [0-9]+' "$log" | tail -n 1)
    rss=$(sed -n 's/^stat::peak_rss_mb: *//p' "$log" | tail -n 1)
    # new inputs of crashes, leaks, timeouts, OOMs (not slow units) go to
    # findings/ when fuzzing; a replay's are seeds or reproducers already
    kept=""
    for a in "$artifacts"/*; do
        [ -f "$a" ] || continue
        case ${a##*/} in slow-unit-*) continue ;; esac
        if [ "$SECONDS_EACH" -eq 0 ]; then
            kept="$kept replay"  # a seed or a reproducer: named in the log
        else
            cp "$a" "$FUZZ/findings/$h-${a##*/}"
            kept="$kept $FUZZ/findings/$h-${a##*/}"
        fi
    done
    cp "$log" "$BUILD/logs/$h.log.new" && mv "$BUILD/logs/$h.log.new" "$BUILD/logs/$h.log"
    log=$BUILD/logs/$h.log
    if grep -q '^ParseDictionaryFile: error' "$log"; then
        verdict="ERROR: $FUZZ/$h.dict does not parse"
        echo "run.sh: $(grep -A1 '^ParseDictionaryFile' "$log" | tr -s ' \t\n' ' ')" >&2
        printf '%-13s %s\n' "$h" "$verdict" > "$WORK/$h.sum"
        echo "$h: bad dictionary" > "$WORK/$h.error"
        return 2
    elif [ "$rc" -eq 0 ] && [ -z "$kept" ]; then
        verdict=ok
    else
        kind=$(grep -Eo 'ERROR: (AddressSanitizer|LeakSanitizer|libFuzzer): [a-z-]+|runtime error|deadly signal|out-of-memory|timeout' "$log" | head -n 1)
        verdict="FINDING (exit $rc${kind:+: $kind})"
    fi
    printf '%-13s %10s execs %5ss  %-22s rss %4s MB  %s\n' "$h" "${execs:-?}" \
        "$elapsed" "${cov:-cov: ?}" "${rss:-?}" "$verdict" > "$WORK/$h.sum"
    if [ "$verdict" != ok ]; then
        {
            echo "---- $h: end of $log"
            # the report: from the sanitizer's first line, without the
            # fuzzer's own frames and the shadow-byte map
            awk '/ERROR: |runtime error|^==[0-9]+==|^SUMMARY:/ { on = 1 }
                 /^Shadow bytes around/ { on = 0 }
                 on && !/ in fuzzer::|^  0x|^=>0x/ { print; if (++k >= 45) exit }' "$log"
            grep -E '^(MS:|Running:|Base64:)' "$log" | tail -n 3
            for k in $kept; do
                [ "$k" = replay ] || echo "---- $h: input kept in $k"
            done
        } > "$WORK/$h.finding"
        return 1
    fi
    return 0
}

if [ "$SECONDS_EACH" -eq 0 ]; then
    echo "replaying the seeds and reproducers of: $HARNESSES"
else
    echo "fuzzing for ${SECONDS_EACH}s each: $HARNESSES"
fi
running=0
for h in $HARNESSES; do
    if [ "$JOBS" -le 1 ]; then
        run_one "$h"
        cat "$WORK/$h.sum"
        [ -f "$WORK/$h.finding" ] && cat "$WORK/$h.finding"
    else
        run_one "$h" &
        running=$((running + 1))
        if [ "$running" -ge "$JOBS" ]; then wait; running=0; fi
    fi
done
wait
status=0
echo "---- summary"
for h in $HARNESSES; do
    cat "$WORK/$h.sum"
    [ -f "$WORK/$h.finding" ] && status=1
done
for h in $HARNESSES; do [ -f "$WORK/$h.error" ] && status=2; done
if [ "$JOBS" -gt 1 ]; then
    for h in $HARNESSES; do [ -f "$WORK/$h.finding" ] && cat "$WORK/$h.finding"; done
fi
if [ "$status" -eq 1 ] && [ "$SECONDS_EACH" -eq 0 ]; then
    echo "run.sh: some seeds or reproducers fail (see above; logs in $BUILD/logs/)"
elif [ "$status" -eq 1 ]; then
    echo "run.sh: findings; the inputs are kept in $FUZZ/findings/"
fi
exit "$status"
