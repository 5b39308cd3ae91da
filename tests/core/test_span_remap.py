"""Entity spans follow edits of an example's text (``workbench.core.span_remap``)."""

from __future__ import annotations

from workbench.core.examples import EntitySpan
from workbench.core.span_remap import remap_spans

TEXT = "a large pizza please"
SIZE = EntitySpan(2, 7, "size", "large")
PRODUCT = EntitySpan(8, 13, "product", "pizza", role="main")


def _surfaces(text: str, spans) -> list[tuple[str, str, str]]:
    return [(text[s.start:s.end], s.entity, s.value) for s in spans]


def test_typing_before_or_after_moves_the_spans() -> None:
    new = "oh a large pizza please now"
    assert _surfaces(new, remap_spans(TEXT, new, (SIZE, PRODUCT))) == [
        ("large", "size", "large"), ("pizza", "product", "pizza")]


def test_typing_inside_stretches_and_updates_the_value_but_keeps_synonyms() -> None:
    synonym = EntitySpan(2, 7, "size", "L")  # value differs from the surface
    new = "a larrge pizza please"
    (size,) = remap_spans(TEXT, new, (SIZE,))
    assert (new[size.start:size.end], size.value) == ("larrge", "larrge")
    (kept,) = remap_spans(TEXT, new, (synonym,))
    assert (new[kept.start:kept.end], kept.value) == ("larrge", "L")


def test_deleting_an_edge_drops_the_span_and_keeps_role_and_group() -> None:
    new = "a large izza please"  # the product's first character is gone
    assert remap_spans(TEXT, new, (SIZE, PRODUCT)) == (SIZE,)
    (moved,) = remap_spans(TEXT, "the " + TEXT, (PRODUCT,))
    assert (moved.role, moved.group) == ("main", None)
    assert remap_spans(TEXT, TEXT, (SIZE,)) == (SIZE,)
    assert remap_spans(TEXT, "", (SIZE, PRODUCT)) == ()
