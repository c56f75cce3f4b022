#!/usr/bin/python3
"""doctest — run the examples of README.md and of the manual's EXAMPLES, and
compare what they print with what the text shows.

    doctest.py SELFATTN README.md man/selfattn.1

An example is a command in a code block, written after "$ ", with its
continuation lines (after a trailing \\ or |, and a here-document up to its
end marker); the lines after it, up to the next "$ " or the end of the
block, are what it prints (standard output and error together).  In
README.md only blocks whose first line starts with "$ " are examples; in
the manual every .EX block of EXAMPLES is, and a block without "$ " is a
list of commands whose output is not shown.

Each document runs in a fresh temporary directory holding copies of data/
and tests/formats/, with SELFATTN as both ./selfattn and selfattn on the
PATH, so examples never write into the source tree, and later examples see
the files earlier ones made.  An example that shows output passes when it
prints that text, numbers within tests/tools/numcmp.py's tolerance (they
may come from another machine) and trailing blanks of a line ignored; one
that shows none must print nothing and exit 0; a command of a block
without "$ " must exit 0.  Exit statuses of examples that show output are
not checked: an example about a failure shows it with `; echo "exit $?"`.
"""
import os
import re
import shlex
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "tools"))
import numcmp  # noqa: E402

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
TIMEOUT = 120


class Example:
    def __init__(self, source, line, command, output, shown):
        self.source, self.line = source, line
        self.command, self.output, self.shown = command, output, shown


def incomplete(command):
    """True while command needs more lines: a continuation or a heredoc."""
    lines = command.split("\n")
    for k, line in enumerate(lines):
        m = re.search(r"<<-?\s*['\"]?(\w+)['\"]?", line)
        if m:
            return m.group(1) not in (rest.strip() for rest in lines[k + 1:])
    if lines[-1].rstrip().endswith(("\\", "|", "&&")):
        return True
    try:
        shlex.split(command, comments=True)  # a quote still open: more
    except ValueError:
        return True
    return False


def split_block(lines, source, first_line, always):
    """The examples of one code block (lines without the block's indent)."""
    examples = []
    if not always and not (lines and lines[0].startswith("$ ")):
        return examples
    shown = any(line.startswith("$ ") for line in lines)
    k = 0
    while k < len(lines):
        line = lines[k]
        if shown and not line.startswith("$ "):
            k += 1  # text before the first command: not run
            continue
        start = k
        command = line[2:] if shown else line
        k += 1
        while incomplete(command) and k < len(lines):
            command += "\n" + lines[k]
            k += 1
        output = []
        while shown and k < len(lines) and not lines[k].startswith("$ "):
            output.append(lines[k])
            k += 1
        if command.strip():
            examples.append(Example(source, first_line + start, command,
                                    "\n".join(output).rstrip("\n"), shown))
    return examples


def readme_examples(path):
    text = open(path, encoding="utf-8").read().split("\n")
    examples, k = [], 0
    while k < len(text):
        line = text[k]
        if line.startswith("```"):
            end = k + 1
            while end < len(text) and not text[end].startswith("```"):
                end += 1
            examples += split_block(text[k + 1:end], path, k + 2, False)
            k = end + 1
        elif line.startswith("    ") and (k == 0 or not text[k - 1].strip()):
            end = k
            while end < len(text) and (text[end].startswith("    ") or
                                       not text[end].strip()):
                end += 1
            block = [t[4:] for t in text[k:end]]
            while block and not block[-1].strip():
                block.pop()
            examples += split_block(block, path, k + 1, False)
            k = end
        else:
            k += 1
    return examples


ROFF = [
    (r"\e", "\\"), (r"\-", "-"), (r"\(aq", "'"), (r"\(mu", "\u00d7"),
    (r"\(lq", "\u201c"), (r"\(rq", "\u201d"), (r"\~", " "), (r"\&", ""),
    (r"\(->", "\u2192"),
]


def unroff(line):
    line = re.sub(r"\\\[u([0-9A-Fa-f]{4})\]", lambda m: chr(int(m.group(1), 16)), line)
    for roff, text in ROFF:
        line = line.replace(roff, text)
    return line


def man_examples(path):
    text = open(path, encoding="utf-8").read().split("\n")
    start = text.index(".SH EXAMPLES")
    end = next(k for k in range(start + 1, len(text)) if text[k].startswith(".SH "))
    examples, k = [], start
    while k < end:
        if text[k] == ".EX":
            stop = text.index(".EE", k)
            block = [unroff(t) for t in text[k + 1:stop]]
            examples += split_block(block, path, k + 2, True)
            k = stop
        k += 1
    return examples


def prepare(workdir, selfattn):
    for sub in ("data", os.path.join("tests", "formats")):
        shutil.copytree(os.path.join(ROOT, sub), os.path.join(workdir, sub))
    bindir = os.path.join(workdir, ".bin")
    os.mkdir(bindir)
    for where in (os.path.join(bindir, "selfattn"), os.path.join(workdir, "selfattn")):
        os.symlink(os.path.abspath(selfattn), where)
    env = dict(os.environ, LC_ALL="C.UTF-8", TERM="dumb",
               PATH=bindir + ":/usr/bin:/bin:" + os.environ.get("PATH", ""))
    env.pop("NO_COLOR", None)
    return env


def strip_lines(text):
    return "\n".join(line.rstrip() for line in text.split("\n"))


def run(example, workdir, env):
    """None if the example does what its text shows, else why not."""
    try:
        done = subprocess.run(["bash", "-c", example.command], cwd=workdir, env=env,
                              stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT, timeout=TIMEOUT)
    except subprocess.TimeoutExpired:
        return f"did not finish in {TIMEOUT} s"
    got = done.stdout.decode("utf-8", "replace").rstrip("\n")
    if example.output:
        # trailing blanks are not compared: editors strip them from the text
        problem = numcmp.compare(strip_lines(got), strip_lines(example.output))
        return problem and f"{problem}\n--- printed:\n{got}\n--- shown:\n{example.output}"
    if example.shown and got:
        return f"printed what the text does not show:\n{got}"
    if done.returncode != 0:
        return f"exit status {done.returncode}:\n{got}"
    return None


def main(argv):
    if len(argv) < 3:
        print("usage: doctest.py SELFATTN DOCUMENT...", file=sys.stderr)
        return 2
    failed = total = 0
    for path in argv[2:]:
        examples = man_examples(path) if path.endswith(".1") else readme_examples(path)
        with tempfile.TemporaryDirectory(prefix="selfattn-doctest-") as workdir:
            env = prepare(workdir, argv[1])
            for example in examples:
                total += 1
                problem = run(example, workdir, env)
                first = example.command.split("\n")[0]
                where = f"{example.source}:{example.line}: {first}"
                if problem:
                    failed += 1
                    print(f"FAIL {where}\n{problem}\n")
                else:
                    print(f"ok   {where}")
    print(f"doctest: {total - failed} of {total} examples as shown")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
