#!/usr/bin/python3
"""Run the catalogue's cases and print what the tool says now, as a manifest.

    /usr/bin/python3 tests/bad/record.py [--binary PATH] [MANIFEST] > new.tsv
    diff tests/bad/catalogue.tsv new.tsv

Run from anywhere; the cases run from the repository root, as
tests/bats/catalogue.bats runs them.  MANIFEST (default
tests/bad/catalogue.tsv) needs only the first two columns; comment lines
(#) and blank lines are copied.  The output has the four columns with the
exit code and standard error the binary gives now (newlines written as the
two characters \\n).  A case whose result differs from the manifest's is
flagged on standard error, and so is one that printed on standard output or
left something in its {OUT} directory; `diff` shows which expectations a
change of message or exit code touches.  The expectations in the manifest
are reviewed by hand: a case where the tool is wrong keeps the right
expectation there, so do not copy this output over the manifest blindly.
Cases that read {TMP}/unreadable.json are copied unchanged when run as root.
"""

import os
import shlex
import shutil
import stat
import subprocess
import sys
import tempfile

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
FILES = "tests/bad/files"


def main(argv):
    binary = os.path.join(REPO, "selfattn")
    args = argv[1:]
    if args[:1] == ["--binary"]:
        binary = os.path.abspath(args[1])
        args = args[2:]
    manifest = args[0] if args else os.path.join(REPO, "tests/bad/catalogue.tsv")
    tmp = tempfile.mkdtemp(prefix="selfattn-bad.")
    shared = os.path.join(tmp, "tmp")
    os.mkdir(shared)
    unreadable = os.path.join(shared, "unreadable.json")
    with open(unreadable, "w") as fh:
        fh.write("[[1, 2], [3, 4]]\n")
    os.chmod(unreadable, 0)
    env = dict(os.environ, LC_ALL="C", OPENBLAS_NUM_THREADS="1")
    env.pop("NO_COLOR", None)
    changed = 0
    try:
        with open(manifest, encoding="utf-8") as fh:
            lines = fh.read().splitlines()
        for line in lines:
            if not line.strip() or line.startswith("#"):
                print(line)
                continue
            fields = line.split("\t")
            name, command = fields[0], fields[1]
            if os.geteuid() == 0 and "{TMP}/unreadable" in command:
                print(line)  # root reads a mode 000 file: keep as it is
                print("record.py: %s: not run as root" % name, file=sys.stderr)
                continue
            out = os.path.join(tmp, "out", name)
            os.makedirs(out)
            words = [w.replace("{DIR}", FILES).replace("{OUT}", out)
                     .replace("{TMP}", shared) for w in shlex.split(command)]
            try:
                p = subprocess.run(["timeout", "10", binary] + words, cwd=REPO,
                                   stdin=subprocess.DEVNULL,
                                   capture_output=True, env=env)
                code, stdout = p.returncode, p.stdout
                stderr = p.stderr.decode("utf-8", "replace")
            except OSError as e:
                code, stdout, stderr = 127, b"", str(e)
            stderr = stderr.rstrip("\n").replace(out, "{OUT}") \
                .replace(shared, "{TMP}").replace(FILES, "{DIR}")
            stderr = stderr.replace("\n", "\\n")
            print("%s\t%s\t%d\t%s" % (name, command, code, stderr))
            notes = []
            if len(fields) >= 4 and (fields[2] != str(code) or fields[3] != stderr):
                notes.append("differs from the manifest")
            if stdout and not command.startswith("batch"):
                notes.append("wrote %d bytes on stdout" % len(stdout))
            left = os.listdir(out)
            if left and not command.startswith("batch"):
                notes.append("left %s in {OUT}" % ", ".join(sorted(left)))
            if notes:
                changed += 1
                print("record.py: %s: %s" % (name, "; ".join(notes)), file=sys.stderr)
    finally:
        os.chmod(unreadable, stat.S_IRUSR | stat.S_IWUSR)
        shutil.rmtree(tmp)
    return 1 if changed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
