"""Fuzz the data layer: hostile files in, random edits, save, reload. Count what breaks.

Each case copies a real project into a temp folder, damages or decorates one of its
data files (byte mutations, alias bombs, deep nesting, huge scalars, control and
separator characters, indentation indicators, document markers, stubs...), then:

1. loads it (``load_project``) and validates it;
2. applies random edits through the core commands (texts drawn from the whole Unicode
   range, hostile characters included) — a refused edit is fine;
3. saves (``create_files=True``) — a refused save (``SaveError``) is fine;
4. checks: files that did not load are byte-identical; every file either kept its
   bytes or reloads to exactly what the project held in memory; a second save of the
   reloaded project writes nothing.

Counted: cases, crashes (an exception other than a refusal), hangs (over
``--case-timeout``), damaged files (a check of step 4 failed). The goal is zero of
the last three. Run: ``python benchmarks/fuzz_data_layer.py --cases 500 --seed 1``.
"""

from __future__ import annotations

import argparse
import json
import random
import resource
import shutil
import signal
import sys
import tempfile
import time
import traceback
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from workbench.core import commands  # noqa: E402
from workbench.core.examples import EntitySpan, Example, LookupTable, Synonym  # noqa: E402
from workbench.core.project import SaveError, load_project  # noqa: E402
from workbench.core.validation import validate  # noqa: E402

BASES = [ROOT / "tests" / "data" / "golden_project", ROOT / "sample_projects" / "tiny",
         ROOT / "sample_projects" / "pizza"]
HOSTILE_CHARS = (
    [chr(c) for c in range(0, 32)] + ["\x7f", "\x85", "\u2028", "\u2029", "\ufeff",
                                      "\ufffe", "\uffff", "\ud800", "\udfff", "\u200b",
                                      "\U0001f600", "é", "ß", "中", "\u0301"]
    + list(":#|>-[](){}&*!%@`'\"\\,? \t"))


class Timeout(Exception):
    pass


def _alarm(signum: int, frame: object) -> None:
    raise Timeout()


def random_text(rng: random.Random, hostile: bool) -> str:
    words = ["pizza", "large", "to", "Oak", "Street", "two", "please", "I", "want"]
    parts = []
    for _ in range(rng.randint(1, 6)):
        if hostile and rng.random() < 0.3:
            parts.append("".join(rng.choice(HOSTILE_CHARS)
                                 for _ in range(rng.randint(1, 3))))
        elif hostile and rng.random() < 0.1:
            parts.append(chr(rng.randint(0, 0x10FFFF)))
        else:
            parts.append(rng.choice(words))
    return " ".join(parts)


# -- file mutators ---------------------------------------------------------------------
def mut_bytes(text: str, rng: random.Random) -> str:
    for _ in range(rng.randint(1, 4)):
        at = rng.randint(0, len(text))
        op = rng.random()
        if op < 0.4:
            text = text[:at] + rng.choice(HOSTILE_CHARS) + text[at:]
        elif op < 0.7:
            text = text[:at] + text[at + rng.randint(1, 8):]
        else:
            text = text[:at] + rng.choice(["\n", "\r\n", "\t", "  ", "\n- ", ": "]) + \
                text[at:]
    return text


def mut_lines(text: str, rng: random.Random) -> str:
    lines = text.splitlines(keepends=True)
    if not lines:
        return text
    i = rng.randrange(len(lines))
    op = rng.random()
    if op < 0.25:
        lines.insert(i, lines[i])
    elif op < 0.5:
        del lines[i]
    elif op < 0.75:
        lines[i] = " " * rng.randint(1, 4) + lines[i]
    else:
        j = rng.randrange(len(lines))
        lines[i], lines[j] = lines[j], lines[i]
    return "".join(lines)


def mut_structure(text: str, rng: random.Random) -> str:
    choice = rng.randrange(12)
    if choice == 0:  # alias bomb under an unrelated key / metadata
        bomb = "lol0: &a0 [x, x, x, x, x, x, x, x, x]\n" + "".join(
            f"lol{i}: &a{i} [*a{i-1}, *a{i-1}, *a{i-1}, *a{i-1}, *a{i-1}, *a{i-1}, "
            f"*a{i-1}, *a{i-1}, *a{i-1}]\n" for i in range(1, 9))
        return bomb + text
    if choice == 1:
        depth = rng.choice([100, 1000, 5000])
        return text + "\ndeep: " + "[" * depth + "]" * depth + "\n"
    if choice == 2:
        return text + "\nhuge: " + "9" * rng.choice([5000, 100_000]) + "\n"
    if choice == 3:
        return rng.choice(["just a scalar\n", "42\n", "- a\n- b\n", "", "~\n"])
    if choice == 4:
        return text.replace("examples: |", rng.choice(
            ["examples: |2", "examples: |-", "examples: |+", "examples: >",
             "examples: |4"]), 1)
    if choice == 5:
        return "%YAML 1.2\n---\n" + text + rng.choice(["...\n", "", "---\n"])
    if choice == 6:
        return text + "\n- intent: stub_" + str(rng.randint(0, 99)) + rng.choice(
            ["\n", "\n  examples:\n", "\n  examples: []\n", "\n  examples: 3\n",
             "\n  examples: [a, b]\n"])
    if choice == 7:
        return text.replace("\n", "\r\n")
    if choice == 8:
        return "\ufeff" + text
    if choice == 9:
        return text.replace("- intent:", "# a comment\n- intent:", 2)
    if choice == 10:
        at = rng.randint(0, len(text))
        return text[:at] + rng.choice(["\x00", "\x1b", "\u2028", "\ufffe", "\x85"]) + \
            text[at:]
    return text + "\n" + ("x" * rng.randint(1, 10_000)) + "\n"


MUTATORS = [mut_bytes, mut_lines, mut_structure]


# -- edits -----------------------------------------------------------------------------
def random_edit(project, rng: random.Random, hostile: bool):
    intents = list(project.intents) or ["greet"]
    op = rng.randrange(9)
    n = len(project.examples)
    if op == 0 or n == 0:
        text = random_text(rng, hostile)
        entities = ()
        words = text.split(" ")
        if len(words) > 1 and rng.random() < 0.5:
            end = len(words[0])
            if end:
                entities = (EntitySpan(0, end, rng.choice(["city", "size"]), words[0],
                                       rng.choice([None, "from", random_text(rng,
                                                                             hostile)])),)
        intent = rng.choice(intents + ["new_" + str(rng.randint(0, 9))])
        return commands.AddExample(Example(text, intent, entities))
    if op == 1:
        return commands.RemoveExamples([rng.randrange(n)])
    if op == 2:
        i = rng.randrange(n)
        old = project.examples[i]
        return commands.ReplaceExample(i, Example(random_text(rng, hostile), old.intent,
                                                  (), old.metadata, old.source))
    if op == 3 and project.intents:
        return commands.DeleteIntent(rng.choice(intents))
    if op == 4 and project.intents:
        return commands.RenameIntent(rng.choice(intents),
                                     "renamed_" + str(rng.randint(0, 999)))
    if op == 5:
        return commands.ResourceEdit.add("synonyms", Synonym(
            random_text(rng, hostile), (random_text(rng, hostile),)))
    if op == 6 and project.synonyms:
        return commands.ResourceEdit.remove("synonyms",
                                            rng.randrange(len(project.synonyms)))
    if op == 7:
        return commands.ResourceEdit.add("lookups", LookupTable(
            "lk_" + str(rng.randint(0, 9)), (random_text(rng, hostile),)))
    return commands.MoveExamples([rng.randrange(n)], rng.choice(intents))


def content(project) -> tuple:
    ex = Counter((e.intent, e.text, tuple((s.start, s.end, s.entity, s.value, s.role,
                                           s.group) for s in e.entities))
                 for e in project.examples)
    syn = Counter((s.value, tuple(s.examples)) for s in project.synonyms)
    reg = Counter((r.name, tuple(r.patterns)) for r in project.regexes)
    lk = Counter((t.name, tuple(t.elements)) for t in project.lookups)
    return ex, set(project.intents), syn, reg, lk


def snapshot_files(folder: Path) -> dict[Path, bytes]:
    return {p: p.read_bytes() for p in folder.rglob("*")
            if p.is_file() and ".workbench" not in p.parts}


REFUSALS = (SaveError, ValueError)  # refused edit or save: allowed outcomes


def run_case(case: int, seed: int, work: Path, stats: Counter,
             failures: list[dict]) -> None:
    rng = random.Random(seed * 1_000_003 + case)
    base = rng.choice(BASES)
    folder = work / f"case{case}"
    shutil.copytree(base, folder, ignore=shutil.ignore_patterns(".workbench", "models"))
    data_files = sorted(p for p in folder.rglob("*.yml") if p.is_file())
    target = rng.choice(data_files)
    mutator = rng.choice(MUTATORS)
    original = target.read_text(encoding="utf-8")
    target.write_text(mutator(original, rng), encoding="utf-8", newline="",
                      errors="surrogatepass")
    stage = "load"
    try:
        before = snapshot_files(folder)
        project = load_project(folder)
        stage = "validate"
        validate(project)
        failed = set(getattr(project, "failed_paths", [])) | {
            i.path for i in project.load_issues
            if i.code in ("bad-yaml", "unreadable-file") and i.path is not None}
        stage = "noop-save"
        project.save()
        changed = [p for p, b in snapshot_files(folder).items() if before.get(p) != b]
        if changed:
            failures.append({"case": case, "kind": "damaged",
                             "what": f"no-op save changed {changed}"})
            stats["damaged"] += 1
        stage = "edit"
        hostile = rng.random() < 0.5
        for _ in range(rng.randint(1, 6)):
            try:
                command = random_edit(project, rng, hostile)
                command.redo(project)
                stats["edits"] += 1
            except REFUSALS:
                stats["edits refused"] += 1
        stage = "save"
        before = snapshot_files(folder)
        try:
            try:
                project.save(create_files=True)
            except TypeError:  # older API without create_files
                project.save()
            stats["saves"] += 1
        except SaveError:
            stats["saves refused"] += 1
            return
        stage = "check"
        after = snapshot_files(folder)
        for path in failed:
            if before.get(path) != after.get(path):
                failures.append({"case": case, "kind": "damaged",
                                 "what": f"failed file written: {path.name}"})
                stats["damaged"] += 1
        stage = "reload"
        again = load_project(folder)
        written = {path for path in after if before.get(path) != after[path]}
        bad_now = set(getattr(again, "failed_paths", [])) | {
            i.path for i in again.load_issues
            if i.code in ("bad-yaml", "unreadable-file") and i.path is not None}
        if bad_now & written:
            failures.append({"case": case, "kind": "damaged",
                             "what": f"saved file no longer loads: "
                                     f"{sorted(p.name for p in bad_now & written)}",
                             "mutator": mutator.__name__})
            stats["damaged"] += 1
        elif not failed and content(again) != content(project):
            failures.append({"case": case, "kind": "damaged",
                             "what": "reloaded content differs from memory",
                             "base": base.name, "mutator": mutator.__name__})
            stats["damaged"] += 1
        stage = "second-save"
        before = snapshot_files(folder)
        again.save()
        if snapshot_files(folder) != before:
            failures.append({"case": case, "kind": "damaged",
                             "what": "no-op save after reload changed files"})
            stats["damaged"] += 1
    except Timeout:
        stats["hangs"] += 1
        failures.append({"case": case, "kind": "hang", "stage": stage,
                         "mutator": mutator.__name__})
    except Exception as error:  # noqa: BLE001 - counting crashes is the point
        stats["crashes"] += 1
        failures.append({"case": case, "kind": "crash", "stage": stage,
                         "mutator": mutator.__name__, "base": base.name,
                         "error": f"{type(error).__name__}: {error}"[:300],
                         "where": traceback.format_exc().splitlines()[-3][:200]})
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=300)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--case-timeout", type=int, default=10, help="seconds")
    parser.add_argument("--memory-gb", type=float, default=4.0)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    limit = int(args.memory_gb * 2**30)
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    signal.signal(signal.SIGALRM, _alarm)
    stats: Counter = Counter()
    failures: list[dict] = []
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="wb-fuzz-") as tmp:
        for case in range(args.cases):
            signal.alarm(args.case_timeout)
            try:
                run_case(case, args.seed, Path(tmp), stats, failures)
            except Timeout:
                stats["hangs"] += 1
            finally:
                signal.alarm(0)
            stats["cases"] += 1
    summary = {"cases": stats["cases"], "crashes": stats["crashes"],
               "hangs": stats["hangs"], "damaged": stats["damaged"],
               "edits": stats["edits"], "edits_refused": stats["edits refused"],
               "saves": stats["saves"], "saves_refused": stats["saves refused"],
               "seconds": round(time.perf_counter() - started, 1)}
    if args.json:
        print(json.dumps({"summary": summary, "failures": failures}, indent=1))
    else:
        for failure in failures[:40]:
            print(failure)
        print(summary)
    return 1 if stats["crashes"] or stats["hangs"] or stats["damaged"] else 0


if __name__ == "__main__":
    raise SystemExit(main())
