"""Keep entity spans in place when an example's text is edited.

The old and new texts are aligned with ``difflib``; a span survives when its first and
last characters are still there (unchanged), so typing before, after or inside a span
moves or stretches it, while deleting or retyping its edge removes it.
"""

from __future__ import annotations

import difflib
from collections.abc import Sequence
from dataclasses import replace

from workbench.core.examples import EntitySpan


def remap_spans(
    old_text: str, new_text: str, spans: Sequence[EntitySpan]
) -> tuple[EntitySpan, ...]:
    """Return the spans of ``old_text`` that are still present in ``new_text``, moved.

    A span whose value equalled its surface text gets the new surface as value; a
    synonym value (different from the surface) is kept as it was.
    """
    if old_text == new_text:
        return tuple(spans)
    matcher = difflib.SequenceMatcher(None, old_text, new_text, autojunk=False)
    blocks = matcher.get_matching_blocks()  # (old_start, new_start, size), sorted

    def moved(position: int) -> int | None:
        for old_start, new_start, size in blocks:
            if old_start <= position < old_start + size:
                return new_start + position - old_start
        return None

    kept = []
    for span in spans:
        first, last = moved(span.start), moved(span.end - 1)
        if first is None or last is None or last < first:
            continue
        surface = old_text[span.start : span.end]
        value = new_text[first : last + 1] if span.value == surface else span.value
        kept.append(replace(span, start=first, end=last + 1, value=value))
    return tuple(kept)
