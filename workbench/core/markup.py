"""Rasa entity markup <-> plain text with character offsets, both ways.

Grammar (Rasa 3 ``entities_parser.ENTITY_REGEX``; no backslash escapes exist)::

    [entity text](type)                      value = the entity text
    [entity text](type:value)                value written explicitly (a synonym)
    [entity text]{"entity": "type", "value": ..., "role": ..., "group": ...}
    [entity text][{"entity": ...}, {"entity": ...}]   several annotations, one span

The entity text cannot contain ``]``; the short type cannot contain ``:`` or ``)``;
the short value cannot contain ``)``; a dict body cannot contain ``}`` and a list body
cannot contain ``]`` (we write those as the JSON escapes ``\\u007d`` / ``\\u005d``).
Brackets that do not form the full pattern are ordinary text.

``parse_markup(render_markup(text, spans)) == (text, spans)`` for every input that
``render_markup`` accepts; when a text cannot be written unambiguously (for instance
it contains ``[a](b)`` as plain words) ``render_markup`` raises :class:`MarkupError`.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from typing import Any

from workbench.core.examples import EntitySpan

__all__ = ["ENTITY_REGEX", "MarkupError", "parse_markup", "render_markup"]

# Rasa 3.x grammar (entities_parser.py), verbatim because it *is* the interface.
ENTITY_REGEX = re.compile(
    r"\[(?P<entity_text>[^\]]+?)\]"
    r"(\((?P<entity>[^:)]+?)(?:\:(?P<value>[^)]+))?\)"
    r"|\{(?P<entity_dict>[^}]+?)\}"
    r"|\[(?P<list_entity_dicts>.*?)\])"
)

# Keys Rasa's entity_dict_schema knows; anything else is reported as an error.
_DICT_KEYS = ("entity", "role", "group", "value")


class MarkupError(ValueError):
    """Markup that cannot be parsed, or spans that cannot be written as markup.

    Attributes:
        message: What is wrong and how to fix it.
        column: 0-based position in the markup string (or in the plain text when
            rendering), or ``None`` when not tied to one place.
    """

    def __init__(self, message: str, column: int | None = None) -> None:
        where = "" if column is None else f" (column {column + 1})"
        super().__init__(message + where)
        self.message = message
        self.column = column


def parse_markup(markup: str) -> tuple[str, tuple[EntitySpan, ...]]:
    """Split Rasa example markup into plain text and entity spans.

    Args:
        markup: One example as written in the YAML, e.g. ``"[Rome](city) please"``.

    Returns:
        ``(plain_text, spans)`` with spans in order of appearance.

    Raises:
        MarkupError: Bad JSON, unknown keys, a missing ``entity``, a non-string value.
    """
    if "[" not in markup:  # fast path: most examples carry no entity
        return markup, ()
    pieces: list[str] = []
    spans: list[EntitySpan] = []
    position = 0  # in the markup
    length = 0  # of the plain text built so far
    for match in ENTITY_REGEX.finditer(markup):
        # groups: entity_text, (alternatives), entity, value, entity_dict, list
        surface, _, entity, value, entity_dict, entity_list = match.groups()
        match_start = match.start()
        length += match_start - position
        pieces.append(markup[position:match_start])
        start, end = length, length + len(surface)
        if entity is not None:
            spans.append(EntitySpan(start, end, entity, value or surface))
        elif entity_dict is not None:
            at = match.start("entity_dict") - 1
            data = _load_json("{" + entity_dict + "}", at)
            spans.append(_span_from_dict(data, start, end, surface, at))
        else:
            at = match.start("list_entity_dicts") - 1
            data = _load_json("[" + entity_list + "]", at)
            if not isinstance(data, list) or not data:
                raise MarkupError(
                    "an annotation list must hold at least one entity dict, "
                    'e.g. [text][{"entity": "a"}, {"entity": "b"}]',
                    at,
                )
            spans.extend(_span_from_dict(d, start, end, surface, at + 1) for d in data)
        pieces.append(surface)
        length = end
        position = match.end()
    if not spans:
        return markup, ()
    pieces.append(markup[position:])
    return "".join(pieces), tuple(spans)


def _load_json(source: str, column: int) -> Any:
    try:
        return json.loads(source)
    except json.JSONDecodeError as error:
        raise MarkupError(
            f"invalid JSON in entity annotation: {error.msg}; write it like "
            '{"entity": "city", "value": "Rome"} with double quotes',
            column + error.pos,
        ) from None


def _span_from_dict(data: Any, start: int, end: int, surface: str,
                    column: int) -> EntitySpan:
    if not isinstance(data, dict):
        raise MarkupError("an entity annotation must be a JSON object", column)
    unknown = [key for key in data if key not in _DICT_KEYS]
    if unknown:
        raise MarkupError(
            f"unknown key(s) {', '.join(map(repr, unknown))} in entity annotation; "
            f"allowed: {', '.join(_DICT_KEYS)}",
            column,
        )
    entity = data.get("entity")
    if not isinstance(entity, str) or not entity:
        raise MarkupError('an entity annotation needs a non-empty "entity" string',
                          column)
    for key in ("role", "group", "value"):
        if data.get(key) is not None and not isinstance(data[key], str):
            raise MarkupError(f'"{key}" must be a string, got {data[key]!r}', column)
    value = data["value"] if data.get("value") is not None else surface
    # Rasa keeps role and group only when truthy (util.build_entity).
    role, group = data.get("role") or None, data.get("group") or None
    return EntitySpan(start, end, entity, value, role, group)


def render_markup(text: str, entities: Sequence[EntitySpan]) -> str:
    """Write ``text`` with ``entities`` as Rasa markup, in the simplest exact form.

    ``[t](type)`` when the value equals the text and there is no role/group,
    ``[t](type:value)`` when only the value differs, a JSON dict (keys in Rasa's order
    entity, role, group, value) otherwise, and a JSON list when several annotations
    share one span.

    Args:
        text: Plain text.
        entities: Spans over ``text``; written in (start, end) order, annotations on
            the same characters in the order given.

    Returns:
        The markup string.

    Raises:
        MarkupError: Spans out of range, empty, overlapping without coinciding, span
            text containing ``]``, empty entity/role/group names, or plain text that
            would itself be read as markup.
    """
    if not entities:
        if "[" in text:
            _check_round_trip(text, text, ())
        return text
    ordered = sorted(entities, key=lambda span: (span.start, span.end))
    groups: list[list[EntitySpan]] = []
    for span in ordered:
        _check_span(text, span)
        last = groups[-1][0] if groups else None
        if last is not None and (last.start, last.end) == (span.start, span.end):
            groups[-1].append(span)
        elif last is not None and span.start < last.end:
            raise MarkupError(
                f"spans {last.start}-{last.end} and {span.start}-{span.end} overlap; "
                "Rasa markup can only annotate the same characters several times",
                span.start,
            )
        else:
            groups.append([span])
    pieces: list[str] = []
    position = 0
    for group in groups:
        start, end = group[0].start, group[0].end
        pieces.append(text[position:start])
        pieces.append(_render_group(text[start:end], group))
        position = end
    pieces.append(text[position:])
    markup = "".join(pieces)
    _check_round_trip(markup, text, tuple(span for group in groups for span in group))
    return markup


def _check_span(text: str, span: EntitySpan) -> None:
    if not 0 <= span.start < span.end <= len(text):
        raise MarkupError(
            f"span {span.start}-{span.end} is empty or outside the text "
            f"(length {len(text)})",
            span.start,
        )
    if "]" in text[span.start : span.end]:
        raise MarkupError("annotated text cannot contain ']' in Rasa markup",
                          span.start)
    if not isinstance(span.entity, str) or not span.entity:
        raise MarkupError("an entity span needs a non-empty entity name", span.start)
    for name in ("role", "group"):
        attribute = getattr(span, name)
        if attribute is not None and (not isinstance(attribute, str) or not attribute):
            raise MarkupError(f"{name} must be None or a non-empty string", span.start)
    if not isinstance(span.value, str):
        raise MarkupError(f"entity value must be a string, got {span.value!r}",
                          span.start)


def _render_group(surface: str, group: list[EntitySpan]) -> str:
    if len(group) > 1:
        return f"[{surface}][{', '.join(_json_dict(span, surface) for span in group)}]"
    span = group[0]
    short_type = ":" not in span.entity and ")" not in span.entity
    if span.role is None and span.group is None and short_type:
        if span.value == surface:
            return f"[{surface}]({span.entity})"
        if span.value and ")" not in span.value:
            return f"[{surface}]({span.entity}:{span.value})"
    return f"[{surface}]{_json_dict(span, surface)}"


def _json_dict(span: EntitySpan, surface: str) -> str:
    fields = [("entity", span.entity), ("role", span.role), ("group", span.group)]
    if span.value != surface:
        fields.append(("value", span.value))
    body = ", ".join(f'"{key}": {_json_string(value)}'
                     for key, value in fields if value is not None)
    return "{" + body + "}"


def _json_string(value: str) -> str:
    # "}" would end a dict body and "]" a list body early (the grammar has no nesting).
    dumped = json.dumps(value, ensure_ascii=False)
    return dumped.replace("}", "\\u007d").replace("]", "\\u005d")


def _check_round_trip(markup: str, text: str, spans: tuple[EntitySpan, ...]) -> None:
    parsed: tuple[str, tuple[EntitySpan, ...]] | None
    try:
        parsed = parse_markup(markup)
    except MarkupError:
        parsed = None
    if parsed == (text, spans):
        return
    expected_starts = {span.start for span in spans}
    shift = 0
    for match in ENTITY_REGEX.finditer(markup):
        plain_start = match.start() - shift
        if plain_start not in expected_starts:
            break
        shift += len(match.group(0)) - len(match.group("entity_text"))
    else:
        plain_start = 0
    raise MarkupError(
        "the text contains brackets that Rasa would read as entity markup "
        f"(near {text[plain_start : plain_start + 20]!r}); reword it, e.g. remove the "
        "'[' or put a space between ']' and '(', '{' or '['",
        plain_start,
    )
