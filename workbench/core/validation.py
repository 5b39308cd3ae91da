"""Find problems in a project's NLU data; every finding names file, line and a fix.

``validate(project)`` returns the load issues plus these checks (codes in brackets):

* markup that did not parse as an entity (``suspicious-markup``), spans with
  surrounding spaces (``span-whitespace``), spans cutting a word (``span-inside-word``),
  overlapping spans (``overlapping-spans``);
* duplicates: the same text twice in one intent (``duplicate-example``, warning: Rasa
  silently drops the copy) or in several intents (``conflicting-example``, error: the
  classifier is told two different answers);
* intents with fewer than 2 examples (``too-few-examples``, error: Rasa's minimum)
  or fewer than ``few_examples`` (default 5: below that DIET rarely learns an intent
  reliably; ``few-examples``, warning); entities annotated fewer than 2 times
  (``rare-entity``);
* entity types missing from ``domain.yml`` when there is a domain
  (``entity-not-in-domain``);
* text annotated in some examples but not in others (``missed-annotation``), flagged
  only when the words are annotated in at least half of the examples containing them,
  so that common words ("my") that are sometimes an entity do not flood the list;
* regexes that do not compile (``bad-regex``) or that can backtrack catastrophically
  (``slow-regex``: error when a long test message ran out of time, warning when only
  the structure is risky; see :mod:`workbench.core.safe_regex`).
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from workbench.core.examples import EntitySpan, Example, SourceRef
from workbench.core.issues import Fix, Issue
from workbench.core.safe_regex import backtracking_problem

if TYPE_CHECKING:
    from workbench.core.project import Project

MIN_EXAMPLES = 2  # Rasa's declared minimum per intent and per entity
FEW_EXAMPLES = 5  # below this an intent gets a warning (see module docstring)
MAX_NGRAM_WORDS = 6  # longest annotated phrase looked for by missed-annotation
_WORD = re.compile(r"\w+")
_BRACKETS = re.compile(r"\[|\]")


def validate(project: Project, *, few_examples: int = FEW_EXAMPLES) -> list[Issue]:
    """Return ``project.load_issues`` plus every finding of the checks above.

    Args:
        project: The loaded project.
        few_examples: Intents with fewer examples than this get a warning.
    """
    examples = list(project.examples)
    issues = list(project.load_issues)
    for index, example in enumerate(examples):
        issues.extend(_check_example(index, example))
    issues.extend(_check_duplicates(examples))
    issues.extend(_check_counts(project, examples, few_examples))
    issues.extend(_check_domain(project, examples))
    issues.extend(_check_missed_annotations(examples))
    issues.extend(_check_regexes(project))
    return _current_positions(project, issues)


def _current_positions(project: Project, issues: list[Issue]) -> list[Issue]:
    """Point issues at where their example is now (lines move when files are saved)."""
    from workbench.core.locations import example_locations
    from workbench.core.project import Project

    if not isinstance(project, Project):  # a ValidationInput copy has no files
        return issues
    places = example_locations(project)
    result = []
    for issue in issues:
        place = places[issue.example_index] if issue.example_index is not None else None
        if place is not None and (place.path, place.line) != (issue.path, issue.line):
            issue = replace(issue, path=place.path, line=place.line)
        result.append(issue)
    return result


def _issue(
    severity: str,
    code: str,
    message: str,
    example: Example | None,
    index: int | None,
    hint: str,
    fix: Fix | None = None,
) -> Issue:
    source = example.source if example is not None else None
    return Issue(
        severity,  # type: ignore[arg-type]
        code,
        message,
        source.path if source else None,
        source.line if source else None,
        index,
        hint,
        fix,
    )


def _fix(kind: str, example: Example, index: int, **payload: Any) -> Fix:
    # the text lets fix_command refuse a fix whose example has changed since
    return Fix(kind, {"index": index, "text": example.text, **payload})


def _check_example(index: int, example: Example) -> Iterable[Issue]:
    text = example.text
    if _BRACKETS.search(text):
        yield _issue(
            "warning", "suspicious-markup",
            f"{text!r} contains '[' or ']' that is not entity markup "
            "(unclosed bracket, empty span or a typo in '(entity)')",
            example, index, "write entities as [text](entity); remove stray brackets")
    ordered = sorted(example.entities, key=lambda span: (span.start, span.end))
    for left, right in zip(ordered, ordered[1:], strict=False):
        same = (left.start, left.end) == (right.start, right.end)
        if right.start < left.end and not same:
            yield _issue(
                "error", "overlapping-spans",
                f"spans {left.surface(text)!r} and {right.surface(text)!r} overlap "
                f"in {text!r}",
                example, index,
                "remove one of the spans; Rasa markup cannot write overlaps")
    for position, span in enumerate(example.entities):
        yield from _check_span(index, example, position, span)


def _check_span(index: int, example: Example, position: int, span: EntitySpan
                ) -> Iterable[Issue]:
    text = example.text
    surface = span.surface(text)
    stripped = surface.strip()
    if not stripped:
        yield _issue("error", "empty-span",
                     f"an entity span in {text!r} covers no text",
                     example, index, "delete the span")
        return
    if stripped != surface:
        start = span.start + (len(surface) - len(surface.lstrip()))
        end = start + len(stripped)
        yield _issue(
            "warning", "span-whitespace",
            f"span {surface!r} ({span.entity}) has leading/trailing spaces in {text!r}",
            example, index, "trim the span to the words",
            _fix("trim_span", example, index, span=position, start=start, end=end))
        return
    cuts_start = (span.start > 0 and text[span.start - 1].isalnum()
                  and surface[0].isalnum())
    cuts_end = (span.end < len(text) and text[span.end].isalnum()
                and surface[-1].isalnum())
    if cuts_start or cuts_end:
        yield _issue(
            "warning", "span-inside-word",
            f"span {surface!r} ({span.entity}) starts or ends inside a word in "
            f"{text!r}; the tokenizer cannot tag it",
            example, index, "extend the span to whole words")


def _normal(text: str) -> str:
    return " ".join(text.casefold().split())


def _check_duplicates(examples: list[Example]) -> Iterable[Issue]:
    seen: dict[str, list[int]] = defaultdict(list)
    for index, example in enumerate(examples):
        seen[_normal(example.text)].append(index)
    for indices in seen.values():
        if len(indices) < 2:
            continue
        intents = list(dict.fromkeys(examples[i].intent for i in indices))
        first = examples[indices[0]]
        for index in indices[1:]:
            example = examples[index]
            remove = _fix("remove_example", example, index)
            if len(intents) > 1:
                yield _issue(
                    "error", "conflicting-example",
                    f"{example.text!r} appears in intents {', '.join(intents)}",
                    example, index, "keep the example in the one intent it belongs to",
                    remove)
            else:
                where = f" (first at line {first.source.line})" if first.source else ""
                yield _issue(
                    "warning", "duplicate-example",
                    f"{example.text!r} is a duplicate in intent {intents[0]}{where}",
                    example, index, "delete the copy; Rasa drops it anyway", remove)


def _check_counts(project: Project, examples: list[Example], few: int
                  ) -> Iterable[Issue]:
    per_intent = Counter(example.intent for example in examples)
    first_of: dict[str, tuple[int, Example]] = {}
    for index, example in enumerate(examples):
        first_of.setdefault(example.intent, (index, example))
    for intent in project.intents:
        count = per_intent.get(intent, 0)
        index, example = first_of.get(intent, (None, None))
        if count < MIN_EXAMPLES:
            yield _issue(
                "error", "too-few-examples",
                f"intent {intent} has {_plural(count, 'example')}; Rasa needs at least "
                f"{MIN_EXAMPLES}",
                example, index, "add more examples or merge the intent into another")
        elif count < few:
            yield _issue("warning", "few-examples",
                         f"intent {intent} has only {count} examples", example, index,
                         f"add examples until it has at least {few}")
    per_entity: Counter[str] = Counter()
    first_entity: dict[str, tuple[int, Example]] = {}
    for index, example in enumerate(examples):
        for span in example.entities:
            per_entity[span.entity] += 1
            first_entity.setdefault(span.entity, (index, example))
    for entity, count in per_entity.items():
        if count < MIN_EXAMPLES:
            index, example = first_entity[entity]
            yield _issue(
                "warning", "rare-entity",
                f"entity {entity} is annotated only {_plural(count, 'time')}",
                example, index, f"annotate it in at least {MIN_EXAMPLES} examples")


def _plural(count: int, word: str) -> str:
    return f"{count} {word}{'s' * (count != 1)}"


def _check_domain(project: Project, examples: list[Example]) -> Iterable[Issue]:
    declared = project.domain_entities
    if declared is None:
        return
    reported: set[str] = set()
    for index, example in enumerate(examples):
        for span in example.entities:
            if span.entity not in declared and span.entity not in reported:
                reported.add(span.entity)
                yield _issue(
                    "warning", "entity-not-in-domain",
                    f"entity {span.entity} is used in the data but not declared in "
                    "domain.yml",
                    example, index,
                    f"add '- {span.entity}' under 'entities:' in domain.yml")


def _phrases(text: str) -> Iterable[tuple[int, int]]:
    """Yield (start, end) of every run of 1..MAX_NGRAM_WORDS consecutive words."""
    words = [match.span() for match in _WORD.finditer(text)]
    for first in range(len(words)):
        for last in range(first, min(first + MAX_NGRAM_WORDS, len(words))):
            yield words[first][0], words[last][1]


# (entity, role, group, value) of an annotation
_Label = tuple[str, "str | None", "str | None", str]


def _check_missed_annotations(examples: list[Example]) -> Iterable[Issue]:
    annotated: dict[str, Counter[_Label]] = defaultdict(Counter)
    for example in examples:
        for span in example.entities:
            surface = span.surface(example.text)
            if _WORD.search(surface):
                label = (span.entity, span.role, span.group, span.value)
                annotated[surface.casefold()][label] += 1
    if not annotated:
        return
    misses: dict[str, list[tuple[int, int, int]]] = defaultdict(list)
    hits: Counter[str] = Counter()
    for index, example in enumerate(examples):
        covered = [(s.start, s.end) for s in example.entities]
        for start, end in _phrases(example.text):
            key = example.text[start:end].casefold()
            if key not in annotated:
                continue
            if (start, end) in covered:
                hits[key] += 1
            elif not any(s < end and start < e for s, e in covered):
                misses[key].append((index, start, end))
    for key, places in misses.items():
        if hits[key] < len(places) or len(key) < 2:
            continue  # mostly unannotated: probably an ordinary word
        (entity, role, group, value), _ = annotated[key].most_common(1)[0]
        for index, start, end in places:
            example = examples[index]
            surface = example.text[start:end]
            yield _issue(
                "warning", "missed-annotation",
                f"{surface!r} is annotated as {entity} in "
                f"{_plural(hits[key], 'example')} but not in {example.text!r}",
                example, index,
                f"annotate it as {entity} here, or use 'annotate everywhere'",
                _fix("annotate", example, index, start=start, end=end, entity=entity,
                     role=role, group=group,
                     value=value if value.casefold() != key else surface))


def _check_regexes(project: Project) -> Iterable[Issue]:
    for regex in project.regexes:
        source = regex.source
        for pattern in regex.patterns:
            path = source.path if source else None
            line = _pattern_line(source, pattern) if source else None
            try:
                problem = backtracking_problem(pattern)
            except re.error as error:
                yield Issue(
                    "error", "bad-regex",
                    f"regex {regex.name}: {pattern!r} does not compile: {error}",
                    path, line, None, "fix the pattern (Python/Rasa regex syntax)")
                continue
            if problem is not None:
                severity, reason = problem
                yield Issue(
                    severity, "slow-regex",  # type: ignore[arg-type]
                    f"regex {regex.name}: {pattern!r} "
                    f"{'backtracks' if severity == 'error' else 'may backtrack'} "
                    f"catastrophically ({reason})", path, line, None,
                    "rewrite it without a quantifier over a quantified or alternated "
                    "group, e.g. (a+)+ -> a+, (a|aa)+ -> a+; Rasa itself would hang on "
                    "a long message")


def _pattern_line(source: SourceRef, pattern: str) -> int:
    """The file line of ``pattern`` inside its ``regex:`` block (else the block's)."""
    try:
        lines = source.path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError):
        return source.line
    for number in range(source.line, min(len(lines), source.line + 10_000) + 1):
        text = lines[number - 1].strip()
        if text.startswith("-") and text[1:].strip() == pattern:
            return number
    return source.line


def fix_command(project: Project, fix: Fix) -> Any:
    """Return the undoable command that applies ``fix``.

    Returns:
        A command from :mod:`workbench.core.commands`, or ``None`` when the fix is
        stale (the example at ``index`` is no longer the one validated).

    Raises:
        ValueError: For an unknown fix kind.
    """
    from workbench.core.commands import RemoveExamples, ReplaceExample

    payload = fix.payload
    index = payload.get("index")
    if not isinstance(index, int) or not 0 <= index < len(project.examples):
        return None
    example = project.examples[index]
    if "text" in payload and payload["text"] != example.text:
        return None
    if fix.kind == "remove_example":
        return RemoveExamples([index])
    if fix.kind == "annotate":
        span = EntitySpan(payload["start"], payload["end"], payload["entity"],
                          payload["value"], payload.get("role"), payload.get("group"))
        if any(s.start < span.end and span.start < s.end for s in example.entities):
            return None
        entities = tuple(sorted((*example.entities, span),
                                key=lambda s: (s.start, s.end)))
        return ReplaceExample(index, _with(example, entities),
                              f"Annotate {span.entity}")
    if fix.kind == "trim_span":
        position = payload["span"]
        if not 0 <= position < len(example.entities):
            return None
        spans = list(example.entities)
        old = spans[position]
        start, end = payload["start"], payload["end"]
        written = old.value != old.surface(example.text)  # an explicit synonym value
        value = old.value if written else example.text[start:end]
        spans[position] = EntitySpan(start, end, old.entity, value, old.role, old.group)
        return ReplaceExample(index, _with(example, tuple(spans)), "Trim entity span")
    raise ValueError(f"unknown fix kind {fix.kind!r}")


def _with(example: Example, entities: tuple[EntitySpan, ...]) -> Example:
    return Example(example.text, example.intent, entities, example.metadata,
                   example.source)
