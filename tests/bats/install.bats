#!/usr/bin/env bats
# install.bats — `make install` and `make uninstall` under DESTDIR: the
# binary, the man page and the bash and zsh completions, with their modes.
# Needs make; the binary is copied as built, never rebuilt from here.

load ../helpers

@test "make install puts the binary, man page and completions under DESTDIR; uninstall removes them" {
    command -v make >/dev/null || skip "make is not installed"
    local stage="$T/stage"
    # -o selfattn: copy the binary as it is, never rebuild it from here
    run make -s -C "$REPO_ROOT" -o selfattn install PREFIX=/usr DESTDIR="$stage"
    assert_success
    run bash -c "cd '$stage' && find . -type f | sort"
    assert_output "./usr/bin/selfattn
./usr/share/bash-completion/completions/selfattn
./usr/share/man/man1/selfattn.1
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
    run find "$stage" -type f
    assert_output ""
}
