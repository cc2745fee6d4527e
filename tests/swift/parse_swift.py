#!/usr/bin/env python3
"""Syntax gate for Swift files, for machines without a Swift compiler.

Parses each Swift file with tree-sitter (PyPI ``tree-sitter`` plus ``tree-sitter-swift``) and
reports every ERROR or MISSING node as ``file:line:column``. Exits non-zero if any file has one.

tree-sitter-swift wrongly rejects two patterns that UniFFI's Swift generator emits, so exactly
those two are normalised textually before parsing, keeping every line (and column) where it was:

* the three-line wrapper ``#if swift(>=5.8)`` / ``@_documentation(visibility: private)`` /
  ``#endif`` in front of a declaration is blanked out;
* the empty closure ``{ () }`` becomes ``{    }`` (same length).

Nothing else is changed, so any other syntax error still shows.

``--self-test FILE`` proves the gate can fail: FILE must parse cleanly, and copies of it with an
injected syntax error (a closing brace removed from the middle, ``func (`` inserted) must not.

Usage::

    parse_swift.py FILE.swift [FILE.swift ...]
    parse_swift.py --self-test KNOWN_GOOD.swift
"""

from __future__ import annotations

import argparse
import re
import sys
from dataclasses import dataclass
from pathlib import Path

import tree_sitter_swift
from tree_sitter import Language, Node, Parser

SWIFT = Language(tree_sitter_swift.language())

# The wrapper UniFFI puts around `@_documentation(visibility: private)`, one element per line.
DOC_WRAPPER = (
    re.compile(r"^[ \t]*#if swift\(>=5\.8\)[ \t]*$"),
    re.compile(r"^[ \t]*@_documentation\(visibility: private\)[ \t]*$"),
    re.compile(r"^[ \t]*#endif[ \t]*$"),
)
# UniFFI's `let writeReturn = { () }`; replaced by an empty closure of the same length.
UNIT_CLOSURE = "{ () }"
EMPTY_CLOSURE = "{    }"


@dataclass(frozen=True)
class Problem:
    """One ERROR or MISSING node, with 1-based line and column."""

    path: str
    line: int
    column: int
    kind: str
    detail: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}:{self.column}: {self.kind} {self.detail}"


def normalise(text: str) -> str:
    """Blanks UniFFI's documentation-visibility wrappers and empties its `{ () }` closures.

    Returns text with exactly as many lines as ``text``; only the two known patterns change.
    """
    lines = text.split("\n")
    i = 0
    while i + len(DOC_WRAPPER) <= len(lines):
        window = lines[i : i + len(DOC_WRAPPER)]
        if all(p.match(line.rstrip("\r")) for p, line in zip(DOC_WRAPPER, window)):
            for j in range(i, i + len(DOC_WRAPPER)):
                lines[j] = ""
            i += len(DOC_WRAPPER)
        else:
            i += 1
    return "\n".join(line.replace(UNIT_CLOSURE, EMPTY_CLOSURE) for line in lines)


def problems_in(source: str, path: str = "<string>") -> list[Problem]:
    """Parses normalised ``source`` and returns its ERROR and MISSING nodes in source order."""
    data = normalise(source).encode("utf-8")
    tree = Parser(SWIFT).parse(data)
    lines = data.split(b"\n")
    found: list[Problem] = []

    def visit(node: Node) -> None:
        if node.is_missing:
            found.append(_problem(path, node, "MISSING", f"'{node.type}'", lines))
        elif node.is_error:
            found.append(_problem(path, node, "ERROR", "", lines))
        if node.has_error:
            for child in node.children:
                visit(child)

    visit(tree.root_node)
    return found


def _problem(path: str, node: Node, kind: str, what: str, lines: list[bytes]) -> Problem:
    """Builds a Problem for ``node``, quoting the start of the line it begins on."""
    row, col = node.start_point
    text = lines[row].decode("utf-8", "replace").strip() if row < len(lines) else ""
    detail = f"{what} near: {text[:80]}".strip()
    return Problem(path, row + 1, col + 1, kind, detail)


def check_files(paths: list[Path]) -> int:
    """Reports the problems of every file; prints a summary; returns the number of bad files."""
    bad = 0
    for path in paths:
        found = problems_in(path.read_text(encoding="utf-8"), str(path))
        for problem in found:
            print(problem)
        if found:
            bad += 1
            print(f"FAIL {path}: {len(found)} syntax problem(s)")
        else:
            print(f"ok   {path}")
    print(f"{len(paths) - bad} passed, {bad} failed")
    return bad


def _middle_closing_brace(lines: list[str]) -> int:
    """Index of the line holding only `}` nearest the middle of ``lines``."""
    candidates = [i for i, line in enumerate(lines) if line.strip() == "}"]
    if not candidates:
        raise SystemExit("self-test: the known-good file has no line holding only '}'")
    middle = len(lines) // 2
    return min(candidates, key=lambda i: abs(i - middle))


def self_test(path: Path) -> int:
    """Checks that ``path`` parses cleanly and that broken copies of it do not.

    Returns the number of failed checks (0 when the gate works).
    """
    good = path.read_text(encoding="utf-8")
    lines = good.split("\n")
    failures = 0
    checks = 0

    def check(ok: bool, what: str) -> None:
        nonlocal failures, checks
        checks += 1
        print(f"{'ok  ' if ok else 'FAIL'} self-test: {what}")
        if not ok:
            failures += 1

    clean = problems_in(good, str(path))
    for problem in clean:
        print(problem)
    check(not clean, f"known-good {path} has no syntax problems")
    check(len(normalise(good).split("\n")) == len(lines), "normalising keeps the line count")

    brace = _middle_closing_brace(lines)
    no_brace = "\n".join(lines[:brace] + [""] + lines[brace + 1 :])
    found = problems_in(no_brace, f"{path} (brace removed at line {brace + 1})")
    check(bool(found), f"removing the '}}' on line {brace + 1} is reported ({len(found)} problem(s))")

    # Between two top-level declarations (after a `}` in column 0 near the middle), where the
    # parser must report the broken line itself.
    top_level = [i for i, line in enumerate(lines) if line == "}"]
    at = min(top_level, key=lambda i: abs(i - len(lines) // 2)) + 1 if top_level else len(lines) // 2
    injected = "\n".join(lines[:at] + ["func ("] + lines[at:])
    found = problems_in(injected, f"{path} ('func (' at line {at + 1})")
    check(bool(found), f"inserting 'func (' at line {at + 1} is reported ({len(found)} problem(s))")
    check(
        any(abs(p.line - (at + 1)) <= 1 for p in found),
        f"the 'func (' problem is reported at line {at + 1} (got lines {sorted({p.line for p in found})[:5]})",
    )

    kept = "#if swift(>=5.8)\nlet x = 1\n#endif"  # a real #if block: left alone
    sample = "#if swift(>=5.8)\n@_documentation(visibility: private)\n#endif\nlet f = { () }\n" + kept
    expected = "\n\n\nlet f = {    }\n" + kept
    check(normalise(sample) == expected, "normalising touches only the two known UniFFI patterns")

    print(f"{checks - failures} passed, {failures} failed")
    return failures


def main(argv: list[str]) -> int:
    """Command line entry point."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("files", nargs="*", type=Path, help="Swift files to check")
    parser.add_argument("--self-test", type=Path, metavar="GOOD", help="prove the gate fails on broken copies of GOOD")
    args = parser.parse_args(argv)
    if args.self_test:
        return 1 if self_test(args.self_test) else 0
    if not args.files:
        parser.error("no Swift files given")
    return 1 if check_files(args.files) else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
