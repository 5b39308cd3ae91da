"""Training examples -> the tokenized corpus the pipeline is fit on (Rasa §1.3, §4.2).

Examples without an intent or with empty text are skipped (with a warning), identical
examples (same text, intent and annotations) are kept once, and every kept example
remembers its index in the snapshot and the indices of the duplicates merged into it,
so predictions made during training map back to the exact example, whatever its text.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from workbench.nlu.features import FeaturizationWarning
from workbench.nlu.featurizers.base import LookupElements, NamedPattern, TrainingCorpus
from workbench.nlu.tokenizers import WhitespaceTokenizer


@dataclass(frozen=True)
class PreparedCorpus:
    """The kept intent examples, where they came from, and what featurizers fit on.

    Attributes:
        examples: the kept examples (objects with ``text``, ``intent``, ``entities``).
        example_indices: index in the snapshot's ``examples`` of each kept example.
        merged_indices: per kept example, the snapshot indices of the later identical
            examples dropped in its favour (usually empty).
        corpus: texts, tokens, regexes and lookups for ``Featurizer.fit``.
        warnings: skipped examples etc.
    """

    examples: tuple[Any, ...]
    example_indices: tuple[int, ...]
    merged_indices: tuple[tuple[int, ...], ...]
    corpus: TrainingCorpus
    warnings: tuple[FeaturizationWarning, ...] = ()

    def __post_init__(self) -> None:
        sizes = {len(self.examples), len(self.example_indices),
                 len(self.merged_indices), len(self.corpus.texts),
                 len(self.corpus.tokens)}
        if len(sizes) != 1:
            raise ValueError("prepared corpus: example, index and token counts "
                             "disagree")

    def __len__(self) -> int:
        return len(self.examples)


def base_intent(intent: str) -> str:
    """``faq`` for ``faq/ask_hours`` (DIET trains on the base intent)."""
    return intent.split("/", 1)[0].strip()


def source_of(item: Any) -> str | None:
    """``"path:line"`` of an example, regex or lookup (None when unknown)."""
    source = getattr(item, "source", None)
    return str(source) if source is not None else None


def _example_key(example: Any) -> tuple[Any, ...]:
    entities = tuple(
        (e.start, e.end, e.entity, e.value, e.role, e.group) for e in example.entities
    )
    return (example.text, example.intent, entities)


def _skip_reason(example: Any) -> tuple[str, str] | None:
    if not example.intent or not base_intent(example.intent):
        return "no-intent", "example without an intent is not used for training"
    if not example.text.strip():
        return "empty-text", "example with empty text is not used for training"
    return None


def prepare_corpus(
    training_data: Any, tokenizer: WhitespaceTokenizer
) -> PreparedCorpus:
    """Select, deduplicate and tokenize the examples; collect regexes and lookups."""
    kept: list[Any] = []
    indices: list[int] = []
    merged: list[list[int]] = []
    position: dict[tuple[Any, ...], int] = {}  # example key -> position in ``kept``
    warnings: list[FeaturizationWarning] = []
    for index, example in enumerate(getattr(training_data, "examples", ())):
        skipped = _skip_reason(example)
        if skipped is not None:
            warnings.append(FeaturizationWarning(*skipped, example.text,
                                                 source=source_of(example)))
            continue
        key = _example_key(example)
        if key in position:
            merged[position[key]].append(index)
            continue
        position[key] = len(kept)
        kept.append(example)
        indices.append(index)
        merged.append([])
    corpus = TrainingCorpus(
        texts=tuple(e.text for e in kept),
        tokens=tuple(tuple(tokenizer.tokenize(e.text)) for e in kept),
        regexes=tuple(NamedPattern(r.name, p, source_of(r))
                      for r in getattr(training_data, "regexes", ())
                      for p in r.patterns),
        lookups=tuple(LookupElements(t.name, tuple(t.elements), source_of(t))
                      for t in getattr(training_data, "lookups", ())),
    )
    return PreparedCorpus(tuple(kept), tuple(indices), tuple(map(tuple, merged)),
                          corpus, tuple(warnings))
