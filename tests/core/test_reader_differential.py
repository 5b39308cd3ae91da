"""Differential test: the fast line reader never reads a file differently from ruamel.

Real NLU files (the shared benchmark datasets, the sample projects, the golden test
project) are cut into windows and mutated at random: characters inserted and deleted
(quotes, ``#``, ``:``, ``|``/``>`` indicators, tabs, control and separator
characters...), lines indented, swapped, duplicated, CRLF endings, a BOM. Whenever
``fast_parse`` returns a tree, ruamel must load the text too and give the same
content and the same line numbers; otherwise the fast reader has to return ``None``.

Run a bigger count by hand: ``python tests/core/test_reader_differential.py 20000``.
"""

from __future__ import annotations

import random
import sys
from functools import lru_cache
from pathlib import Path
from typing import Any

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
if __name__ == "__main__":
    sys.path.insert(0, str(REPO_ROOT))

from workbench.core.yaml_io.fast_nlu import fast_parse, same_content  # noqa: E402
from workbench.core.yaml_io.roundtrip import (  # noqa: E402
    YamlLoadError,
    detect_style,
    load_yaml,
)

DATASETS = (REPO_ROOT / ".." / "shared" / "datasets").resolve()
WINDOW_LINES = 40  # lines per seed window: big enough for several blocks
PIECES = [
    " ", "  ", "\t", "\n", "\r\n", "\r", "#", " #", ":", ": ", "-", "- ", "'", '"',
    "''", '\\"', "\\", "|", "|-", "|+", "|2", ">", ">-", "[", "]", "{", "}", ",",
    "&a", "*a", "!", "!!str ", "%", "@", "`", "?", "? ", "...", "---", "~", "null",
    "yes", "1", "0x1", "1e3", ".5", "<<", "=", "\ufeff", "\x00", "\x07", "\x1b",
    "\x7f", "\x85", "\u2028", "\u2029", "\ufffe", "\xa0", "\u3000", "\u200b", "\x1c",
    "\x0c", "é", "\U0001f600", "\udc80",
    "intent:", "examples:", "nlu:", "synonym:", "text:", "metadata:",
]


@lru_cache(maxsize=1)
def seeds() -> tuple[str, ...]:
    """Windows of real NLU files, each a complete small file."""
    paths = sorted(DATASETS.glob("*/*.yml")) if DATASETS.is_dir() else []
    paths += sorted((REPO_ROOT / "sample_projects").glob("*/data/*.yml"))
    paths += sorted((REPO_ROOT / "tests" / "data" / "golden_project").rglob("*.y*ml"))
    found: list[str] = []
    for path in paths:
        lines = path.read_text(encoding="utf-8").split("\n")
        head = [line for line in lines[:5] if not line.startswith("- ")]
        starts = [i for i, line in enumerate(lines) if line.startswith("- ")]
        for start in starts[:: max(1, len(starts) // 4)][:4]:
            found.append("\n".join(head + lines[start : start + WINDOW_LINES]) + "\n")
        found.append("\n".join(lines[:WINDOW_LINES]) + "\n")
    return tuple(found)


def mutate(rng: random.Random, text: str) -> str:
    """Apply one to three random mutations to ``text``."""
    for _ in range(rng.randint(1, 3)):
        lines = text.split("\n")
        kind = rng.randrange(9)
        at = rng.randrange(len(lines))
        if kind == 0:  # insert a piece at a random character
            position = rng.randrange(len(text) + 1)
            text = text[:position] + rng.choice(PIECES) + text[position:]
            continue
        if kind == 1:  # delete a few characters
            position = rng.randrange(len(text) + 1)
            text = text[:position] + text[position + rng.randint(1, 3):]
            continue
        if kind == 2:  # indent or dedent a line
            delta = rng.choice([-4, -2, -1, 1, 2, 4])
            line = lines[at]
            lines[at] = " " * delta + line if delta > 0 else line[min(-delta, len(
                line) - len(line.lstrip(" "))):]
        elif kind == 3:  # swap two lines
            other = rng.randrange(len(lines))
            lines[at], lines[other] = lines[other], lines[at]
        elif kind == 4:  # duplicate or drop a line
            if rng.random() < 0.5:
                lines.insert(at, lines[at])
            else:
                del lines[at]
        elif kind == 5:  # a piece at the end or start of a line
            piece = rng.choice(PIECES)
            lines[at] = lines[at] + piece if rng.random() < 0.5 else piece + lines[at]
        elif kind == 6:  # Windows line endings, a BOM, a missing final newline
            choice = rng.randrange(3)
            text = ("\r\n".join(lines) if choice == 0 else "\ufeff" + text
                    if choice == 1 else text.rstrip("\n"))
            continue
        elif kind == 7:  # blank lines with or without spaces
            lines.insert(at, rng.choice(["", " ", "  ", "    ", "\t"]))
        else:  # change the block indicator or a key
            indicator = rng.choice(["|-", "|+", ">", "|2", "", "| #c"])
            lines[at] = (lines[at].replace("|", indicator)
                         .replace("examples:", rng.choice(["examples :", "example:",
                                                           "examples:", "Examples:"])))
        text = "\n".join(lines)
    return text


def disagreement(text: str) -> tuple[str | None, bool]:
    """Compare both readers on ``text``.

    Returns:
        ``(problem, fast_read)``: ``problem`` describes a disagreement (``None`` when
        they agree or the fast reader stepped aside); ``fast_read`` tells whether
        ``fast_parse`` returned a tree.
    """
    fast = fast_parse(text)
    if fast is None:
        return None, False
    try:
        real = load_yaml(text, detect_style(text))
    except YamlLoadError as error:
        return f"ruamel rejects what fast_parse read: {error.message}", True
    if not same_content(fast, real):
        return "different content", True
    problem = _compare_details(fast, real)
    return problem, True


def _compare_details(fast: Any, real: Any) -> str | None:
    """Top-level keys and values, and every line number the project uses."""
    if list(fast) != list(real):
        return f"top-level keys {list(fast)} != {list(real)}"
    for key in fast:
        if key != "nlu" and (fast[key] != real[key] or not isinstance(real[key], str)):
            return f"top-level {key!r}: {fast[key]!r} != {real[key]!r}"
        if fast.lc.key(key)[0] != real.lc.key(key)[0]:
            return f"line of key {key!r}"
    for index, (mine, theirs) in enumerate(zip(fast["nlu"], real["nlu"], strict=True)):
        if fast["nlu"].lc.item(index)[0] != real["nlu"].lc.item(index)[0]:
            return f"line of block {index}"
        if list(mine) != list(theirs):
            return f"key order of block {index}"
        for key in mine:
            if mine.lc.key(key)[0] != theirs.lc.key(key)[0]:
                return f"line of {key!r} in block {index}"
            if type(theirs[key]) is not type(mine[key]) and not isinstance(
                    theirs[key], str):
                return f"type of {key!r} in block {index}: {type(theirs[key])}"
    return None


def run(count: int, seed: int) -> tuple[int, int, list[tuple[str, str]]]:
    """Fuzz ``count`` mutated files; return (cases read by fast_parse, failures)."""
    rng = random.Random(seed)
    base = seeds()
    fast_read = 0
    failures: list[tuple[str, str]] = []
    for _ in range(count):
        text = mutate(rng, rng.choice(base))
        problem, was_fast = disagreement(text)
        fast_read += was_fast
        if problem is not None:
            failures.append((problem, text))
    return fast_read, len(failures), failures


def test_unmutated_seeds_are_read_by_both_alike() -> None:
    read = 0
    for text in seeds():
        problem, was_fast = disagreement(text)
        assert problem is None, (problem, text)
        read += was_fast
    # the fast path is really exercised (about a third of the seeds without the
    # shared datasets, which are plain files, more with them)
    assert read >= len(seeds()) // 4


@pytest.mark.parametrize("text", [
    # found by this fuzzer: ruamel ends a line at NEL / LINE / PARAGRAPH SEPARATOR
    "nlu:\n- intent: a\n  examples: |\n    - one\u2028two\n",
    "nlu:\n- intent: a\n  examples: |\n    - one\u2029two\n",
    "nlu:\n- intent: a\n  examples: |\n    - one\x85\n",
    # ... and a no-break space is no blank for YAML (str.strip took it for one)
    "\xa0# not a comment\nnlu:\n- intent: a\n  examples: |\n    - x\n",
    "nlu:\n\xa0\n- intent: a\n  examples: |\n    - x\n",
])
def test_found_disagreements_stay_fixed(text: str) -> None:
    assert fast_parse(text) is None
    assert disagreement(text) == (None, False)


def test_mutated_files_are_read_alike_or_left_to_ruamel() -> None:
    fast_read, failed, failures = run(1500, seed=20261204)
    assert failed == 0, failures[:3]
    assert fast_read > 100  # many mutations keep the plain shape (~10 % at least)


if __name__ == "__main__":
    import time

    total = int(sys.argv[1]) if len(sys.argv) > 1 else 20000
    started = time.perf_counter()
    fast, failed, found = run(total, seed=int(sys.argv[2]) if len(sys.argv) > 2 else 1)
    print(f"{total} cases, {fast} read by fast_parse, {failed} disagreements, "
          f"{time.perf_counter() - started:.1f} s")
    for problem, text in found[:10]:
        print("----", problem)
        print(repr(text[:500]))
