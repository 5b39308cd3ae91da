"""Entity tags: BILOU/IO tagging from spans, BILOU repair, tags -> entities (§4.11)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from workbench.nlu.tokenizers import Token

NO_ENTITY = "O"
BEGIN, INSIDE, LAST, UNIT = "B-", "I-", "L-", "U-"
_PREFIXES = (BEGIN, INSIDE, LAST, UNIT)
_SPLIT_DEFAULT_KEY = "split_entities_by_comma"


@dataclass(frozen=True, slots=True)
class Span:
    """A labelled character span (one tag kind of one entity annotation)."""

    start: int
    end: int
    label: str


def prefix_of(tag: str) -> str | None:
    """``"B-"`` for ``"B-city"``; None for ``"O"`` or an IO tag."""
    return tag[:2] if tag[:2] in _PREFIXES else None


def strip_prefix(tag: str) -> str:
    """``"city"`` for ``"B-city"``; the tag itself otherwise."""
    return tag[2:] if tag[:2] in _PREFIXES else tag


def tag_names_for(labels: Sequence[str], bilou: bool) -> tuple[str, ...]:
    """Id -> tag over sorted labels: O, then B/I/L/U of each (or the plain labels)."""
    names = [NO_ENTITY]
    for label in sorted(set(labels)):
        if bilou:
            names.extend(prefix + label for prefix in _PREFIXES)
        else:
            names.append(label)
    return tuple(names)


def bilou_tags(
    tokens: Sequence[Token], spans: Sequence[Span]
) -> tuple[list[str], list[Span]]:
    """BILOU tags per token; spans not on token boundaries stay O and are returned."""
    starts = {t.start: i for i, t in enumerate(tokens)}
    ends = {t.end: i for i, t in enumerate(tokens)}
    tags = [NO_ENTITY] * len(tokens)
    misaligned: list[Span] = []
    for span in spans:
        first, last = starts.get(span.start), ends.get(span.end)
        if first is None or last is None or last < first:
            misaligned.append(span)
            continue
        if first == last:
            tags[first] = UNIT + span.label
            continue
        tags[first] = BEGIN + span.label
        for i in range(first + 1, last):
            tags[i] = INSIDE + span.label
        tags[last] = LAST + span.label
    return tags, misaligned


def io_tags(tokens: Sequence[Token], spans: Sequence[Span]) -> list[str]:
    """IO tags: each token takes the label of the span it overlaps most (or O)."""
    tags = []
    for token in tokens:
        best, best_overlap = NO_ENTITY, 0
        for span in spans:
            overlap = min(token.end, span.end) - max(token.start, span.start)
            if overlap > best_overlap:
                best, best_overlap = span.label, overlap
        tags.append(best)
    return tags


def _find_end(start: int, tags: Sequence[str]) -> int:
    """Index of the token closing the entity opened by the B- tag at ``start``."""
    i = start + 1
    while True:
        if i >= len(tags):
            return i - 1
        prefix = prefix_of(tags[i])
        if prefix == LAST:
            return i
        if prefix == INSIDE:
            i += 1
            continue
        return i - 1


def _tag_to_use(
    labels: Sequence[str], confidences: Sequence[float]
) -> tuple[str, float]:
    """Label with the best harmonic mean of (mean confidence, share of tokens)."""
    by_label: dict[str, list[float]] = defaultdict(list)
    for label, confidence in zip(labels, confidences, strict=True):
        by_label[label].append(confidence)
    best, best_score = labels[0], -1.0
    for label, values in by_label.items():
        mean = round(sum(values) / len(values), 2)
        share = round(len(values) / len(labels), 2)
        score = 0.0 if mean + share == 0 else 2 * mean * share / (mean + share)
        if score > best_score:
            best, best_score = label, score
    return best, best_score


def repair_bilou(
    tags: Sequence[str], confidences: Sequence[float]
) -> tuple[list[str], list[float]]:
    """Make BILOU sequences consistent (Rasa's ``ensure_consistent_bilou_tagging``)."""
    tags, confidences = list(tags), list(confidences)
    for i, tag in enumerate(tags):
        if prefix_of(tag) != BEGIN:
            continue
        last = _find_end(i, tags)
        labels = [strip_prefix(t) for t in tags[i : last + 1]]
        label = labels[0]
        if any(other != label for other in labels):
            label, score = _tag_to_use(labels, confidences[i : last + 1])
            for k, old in enumerate(labels):
                if old != label:
                    confidences[i + k] = score
        if last == i:
            tags[i] = UNIT + label
            continue
        tags[i] = BEGIN + label
        for k in range(i + 1, last):
            tags[k] = INSIDE + label
        tags[last] = LAST + label
    return tags, confidences


def _split_setting(config: bool | Mapping[str, bool] | None, entity: str) -> bool:
    if config is None:  # not resolved against training data: Rasa's default
        return True
    if isinstance(config, Mapping):
        return bool(config.get(entity, config.get(_SPLIT_DEFAULT_KEY, True)))
    return bool(config)


def entity_types_spanning_gaps(examples: Sequence[Any], tokenize: Any) -> list[str]:
    """Entity types with an annotation whose tokens are 2-3 characters apart.

    Rasa splits a predicted entity wherever two of its tokens are more than one
    character apart (``"Star Light, Star Bright"``, ``"St. Louis"``) unless
    ``split_entities_by_comma`` is false for the type, so such annotations could never
    be predicted whole under the default. Used to resolve an unset
    ``split_entities_by_comma`` from the training data.

    Args:
        examples: Objects with ``text`` and ``entities`` (spans with start/end/entity).
        tokenize: ``text -> list[Token]``.

    Returns:
        Sorted entity type names.
    """
    found: set[str] = set()
    for example in examples:
        spans = [s for s in example.entities if s.entity not in found]
        if not spans:
            continue
        tokens = None
        for span in spans:
            if span.end - span.start < 3 or not _has_gap_characters(
                    example.text[span.start:span.end]):
                continue
            tokens = tokens if tokens is not None else tokenize(example.text)
            inside = [t for t in tokens if t.start >= span.start and t.end <= span.end]
            if any(
                1 < b.start - a.end <= 3
                for a, b in zip(inside, inside[1:], strict=False)
            ):
                found.add(span.entity)
    return sorted(found)


def _has_gap_characters(value: str) -> bool:
    """Cheap pre-check: a gap of 2+ characters needs punctuation or 2 spaces."""
    return any(not ch.isalnum() and not ch.isspace() for ch in value) or "  " in value


def resolve_split_setting(setting: bool | Mapping[str, bool] | None,
                          joined_types: Sequence[str]) -> bool | Mapping[str, bool]:
    """An explicit setting wins; unset means Rasa's default except ``joined_types``."""
    if setting is not None:
        return setting
    if not joined_types:
        return True
    return {_SPLIT_DEFAULT_KEY: True, **{name: False for name in joined_types}}


def tags_to_entities(
    text: str,
    tokens: Sequence[Token],
    tags: Mapping[str, Sequence[str]],
    confidences: Mapping[str, Sequence[float]],
    *,
    split_entities_by_comma: bool | Mapping[str, bool] = True,
    extractor: str = "DIETClassifier",
) -> list[dict[str, Any]]:
    """Rasa's ``convert_predictions_into_entities``: join tagged tokens into entities.

    Args:
        text: the message text.
        tokens: its tokens.
        tags: tag kind ("entity", "role", "group") -> tag string per token (already
            repaired if BILOU). Kinds without any non-O tag may be left out.
        confidences: tag kind -> confidence per token.
        split_entities_by_comma: bool, or a mapping entity type -> bool (with an
            optional ``split_entities_by_comma`` default key).
        extractor: value of the ``extractor`` field.

    Returns:
        Entity dicts in Rasa's parse shape (``entity, start, end, value,
        confidence_entity, extractor`` plus ``role``/``group`` and their confidences).
    """
    def tag_at(kind: str, i: int) -> str:
        values = tags.get(kind)
        return values[i] if values is not None and i < len(values) else NO_ENTITY

    def new_entity(label: str, role: str, group: str, i: int) -> dict[str, Any]:
        entity: dict[str, Any] = {"entity": label, "start": tokens[i].start,
                                  "end": tokens[i].end}
        if role != NO_ENTITY:
            entity["role"] = role
        if group != NO_ENTITY:
            entity["group"] = group
        present = {"entity": True, "role": role != NO_ENTITY,
                   "group": group != NO_ENTITY}
        for kind in tags:
            if kind in confidences and present.get(kind, False):
                entity[f"confidence_{kind}"] = float(confidences[kind][i])
        return entity

    entities: list[dict[str, Any]] = []
    last_tag = last_role = last_group = NO_ENTITY
    last_end = -1
    for i, token in enumerate(tokens):
        current = tag_at("entity", i)
        if current == NO_ENTITY:
            last_tag = NO_ENTITY
            last_end = token.end
            continue
        group = strip_prefix(tag_at("group", i))
        role = strip_prefix(tag_at("role", i))
        role_or_group_changed = last_group != group or last_role != role
        prefix = prefix_of(current)
        if prefix is not None:
            starts_new = last_tag != current and prefix not in (LAST, INSIDE)
            starts_unit = last_tag == NO_ENTITY or prefix == UNIT
            new_found = starts_new or starts_unit or role_or_group_changed
            last_tag = current
            current = strip_prefix(current)
        else:
            new_found = last_tag != current or role_or_group_changed
            last_tag = current
        gap = token.start - last_end
        same_entity = gap <= 1 or (
            gap <= 3 and not _split_setting(split_entities_by_comma, current)
        )
        if new_found or not entities or not same_entity:
            entities.append(new_entity(current, role, group, i))
        else:
            entities[-1]["end"] = token.end
            for kind in tags:
                key = f"confidence_{kind}"
                if kind in confidences and key in entities[-1]:
                    value = float(confidences[kind][i])
                    entities[-1][key] = min(entities[-1][key], value)
        last_group, last_role = group, role
        last_end = token.end
    for entity in entities:
        entity["value"] = text[entity["start"] : entity["end"]]
        entity["extractor"] = extractor
    return [_ordered(e) for e in entities]


_KEY_ORDER = ("entity", "start", "end", "confidence_entity", "role", "confidence_role",
              "group", "confidence_group", "value", "extractor")


def _ordered(entity: dict[str, Any]) -> dict[str, Any]:
    return {k: entity[k] for k in _KEY_ORDER if k in entity}
