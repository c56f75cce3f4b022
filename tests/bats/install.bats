#!/usr/bin/env bats
# install.bats — `make install` and `make uninstall` under DESTDIR: the
# binary, the man page and the bash and zsh completions, with their modes;
# the library (libselfattn.a, libselfattn.so with its soname and links), its
# header, selfattn.pc and selfattn(3).
# Needs make; the binary is copied as built, never rebuilt from here.
# (make check-install builds and runs a program against an installed tree.)

load ../helpers

# the version selfattn --version prints, and its major number
version() { local v; v="$(selfattn --version)"; echo "${v#selfattn }"; }

@test "make install puts the binary, manuals, completions and library under DESTDIR; uninstall removes them" {
    command -v make >/dev/null || skip "make is not installed"
    local stage="$T/stage" v
    v="$(version)"
    # -o selfattn: copy the binary as it is, never rebuild it from here;
    # selfattn-mpi, the program built with MPI, is installed when built
    local mpi=""
    [[ -x "$REPO_ROOT/selfattn-mpi" ]] && mpi=$'\n./usr/bin/selfattn-mpi'
    run make -s -C "$REPO_ROOT" -o selfattn -o selfattn-mpi install PREFIX=/usr DESTDIR="$stage"
    assert_success
    run bash -c "cd '$stage' && find . -type f | sort"
    assert_output "./usr/bin/selfattn$mpi
./usr/include/selfattn.h
./usr/lib/libselfattn.a
./usr/lib/libselfattn.so.$v
./usr/lib/pkgconfig/selfattn.pc
./usr/share/bash-completion/completions/selfattn
./usr/share/man/man1/selfattn.1
./usr/share/man/man3/selfattn.3
./usr/share/zsh/vendor-completions/_selfattn"
    [ -x "$stage/usr/bin/selfattn" ]
    cmp "$stage/usr/bin/selfattn" "$REPO_ROOT/selfattn"
    cmp "$stage/usr/share/man/man1/selfattn.1" "$REPO_ROOT/man/selfattn.1"
    run diff <(selfattn completion bash) "$stage/usr/share/bash-completion/completions/selfattn"
    assert_success
    run diff <(selfattn completion zsh) "$stage/usr/share/zsh/vendor-completions/_selfattn"
    assert_success
    run stat -c '%a %n' "$stage/usr/bin/selfattn" "$stage/usr/share/man/man1/selfattn.1"
    assert_output "755 $stage/usr/bin/selfattn
644 $stage/usr/share/man/man1/selfattn.1"
    run make -s -C "$REPO_ROOT" uninstall PREFIX=/usr DESTDIR="$stage"
    assert_success
    run find "$stage" ! -type d
    assert_output ""
}

@test "make install puts the library, its header, selfattn.pc and selfattn(3), all mode 644" {
    command -v make >/dev/null || skip "make is not installed"
    local stage="$T/stage" v
    v="$(version)"
    run make -s -C "$REPO_ROOT" -o selfattn install PREFIX=/usr DESTDIR="$stage"
    assert_success
    cmp "$stage/usr/lib/libselfattn.a" "$REPO_ROOT/libselfattn.a"
    cmp "$stage/usr/lib/libselfattn.so.$v" "$REPO_ROOT/libselfattn.so.$v"
    cmp "$stage/usr/include/selfattn.h" "$REPO_ROOT/src/selfattn.h"
    cmp "$stage/usr/share/man/man3/selfattn.3" "$REPO_ROOT/man/selfattn.3"
    # the links: the soname's and the one -lselfattn finds
    run bash -c "cd '$stage/usr/lib' && find . -type l -printf '%p -> %l\n' | sort"
    assert_output "./libselfattn.so -> libselfattn.so.$v
./libselfattn.so.${v%%.*} -> libselfattn.so.$v"
    run bash -c "cd '$stage/usr' && stat -c '%a %n' lib/libselfattn.a lib/libselfattn.so.$v \
        include/selfattn.h lib/pkgconfig/selfattn.pc share/man/man3/selfattn.3"
    assert_output "644 lib/libselfattn.a
644 lib/libselfattn.so.$v
644 include/selfattn.h
644 lib/pkgconfig/selfattn.pc
644 share/man/man3/selfattn.3"
}

@test "the shared library's soname is libselfattn.so.MAJOR, of the version selfattn --version prints" {
    command -v readelf >/dev/null || skip "readelf is not installed"
    local v
    v="$(version)"
    run bash -c "readelf -d '$REPO_ROOT/libselfattn.so.$v' | grep SONAME"
    assert_success
    assert_output --partial "Library soname: [libselfattn.so.${v%%.*}]"
    # every symbol it uses is in a library it names (linked with -z defs)
    run bash -c "readelf -d '$REPO_ROOT/libselfattn.so.$v' | grep -o 'NEEDED.*' | sort"
    assert_output --partial "[libcjson.so.1]"
    assert_output --partial "[libopenblas.so.0]"
    assert_output --partial "[libz.so.1]"
}

@test "selfattn.pc: the version of selfattn --version, the install prefix (not DESTDIR), flags for shared and static links" {
    command -v make >/dev/null || skip "make is not installed"
    command -v pkg-config >/dev/null || skip "pkg-config is not installed"
    local stage="$T/stage" prefix="$T/prefix"
    run make -s -C "$REPO_ROOT" -o selfattn install PREFIX=/opt/sa DESTDIR="$stage"
    assert_success
    run grep -E '^(prefix|libdir|includedir)=' "$stage/opt/sa/lib/pkgconfig/selfattn.pc"
    assert_output "prefix=/opt/sa
libdir=/opt/sa/lib
includedir=/opt/sa/include"
    run make -s -C "$REPO_ROOT" -o selfattn install PREFIX="$prefix"
    assert_success
    export PKG_CONFIG_PATH="$prefix/lib/pkgconfig"
    run pkg-config --validate selfattn
    assert_success
    run pkg-config --modversion selfattn
    assert_output "$(version)"
    run pkg-config --libs selfattn
    assert_output "-L$prefix/lib -lselfattn "
    run pkg-config --cflags selfattn
    assert_output --partial "-I$prefix/include "
    # static: what libselfattn.a itself needs (cJSON, OpenBLAS, zlib, C++)
    run pkg-config --static --libs selfattn
    assert_output --regexp "^-L$prefix/lib -lselfattn .*-lstdc\+\+ .*-lm .*-pthread .*-lcjson .*-lopenblas .*-lz "
}

@test "make uninstall removes exactly what make install put, and nothing else" {
    command -v make >/dev/null || skip "make is not installed"
    local stage="$T/stage"
    mkdir -p "$stage/usr/lib/pkgconfig" "$stage/usr/include" "$stage/usr/share/man/man3"
    touch "$stage/usr/lib/libother.so.1" "$stage/usr/lib/pkgconfig/other.pc" \
          "$stage/usr/include/other.h" "$stage/usr/share/man/man3/other.3"
    run make -s -C "$REPO_ROOT" -o selfattn install PREFIX=/usr DESTDIR="$stage"
    assert_success
    run make -s -C "$REPO_ROOT" uninstall PREFIX=/usr DESTDIR="$stage"
    assert_success
    run bash -c "cd '$stage' && find . ! -type d | sort"
    assert_output "./usr/include/other.h
./usr/lib/libother.so.1
./usr/lib/pkgconfig/other.pc
./usr/share/man/man3/other.3"
}
