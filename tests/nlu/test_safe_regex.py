"""User regexes are matched exactly like Rasa's ``re`` and never hang (issue 9 #17)."""

from __future__ import annotations

import re
import time
from collections import defaultdict
from pathlib import Path

import pytest

from workbench.core.project import load_project
from workbench.core.safe_regex import SafePattern, re_compatible
from workbench.nlu.featurizers.base import NamedPattern
from workbench.nlu.featurizers.regex import RegexFeaturizer, lookup_to_regex
from workbench.nlu.tokenizers import WhitespaceTokenizer

REPO = Path(__file__).resolve().parents[2]
DATASETS = REPO.parent / "shared" / "datasets"
CATASTROPHIC = ["(a+)+$", "(x+x+)+y", "(a|aa)+$", "(.*a){20}", "(a{1,50}){1,50}b",
                r"^(\w+\s?)*$"]
LONG_MESSAGES = ["a" * 10_000 + "!", "x" * 10_000, "a " * 5_000 + "!"]
ORDINARY = [r"\d+", r"\b\w+\b", r"\w+@\w+\.com", r"[A-Z]\w*", r"\S+", r"\s+",
            r"\b\d{1,2}(:\d\d)?\s?(am|pm)\b", r"(?<=to )\w+", r"\bplay\w*", r"\W+",
            r"\B\w\B", r"[\w.]+", r"[^\d\s]+", r"(\w)\1"]
ODD_TEXTS = ["003½ points", "café crème", "नमस्ते दुनिया", "x\u200dy z\u0301",
             "a\x1cb\x1fc\x85d", "٣٤ ١٢", "ǅemal Ⅻ ſt", "snake_case ‿tie"]


def _texts(path: Path, limit: int) -> list[str]:
    return [e.text for e in load_project(path).examples][:limit]


def _dataset_texts() -> list[str]:
    texts = _texts(REPO / "sample_projects" / "pizza", 10_000) + ODD_TEXTS
    for name, limit in (
        ("financial_demo/train.yml", 10_000),
        ("snips/train.yml", 1_500),
    ):
        if (DATASETS / name).exists():
            texts += _texts(DATASETS / name, limit)
    return texts


@pytest.mark.parametrize("ignore_case", [False, True])
def test_spans_equal_python_re_on_real_texts(ignore_case: bool) -> None:
    texts = _dataset_texts()
    flags = re.IGNORECASE if ignore_case else 0
    bounded = 0
    for pattern in ORDINARY:
        safe = SafePattern(pattern, ignore_case)
        bounded += safe.bounded
        for text in texts:
            expected = [m.span() for m in re.finditer(pattern, text, flags)]
            assert safe.spans(text) == expected, (pattern, text)
    assert bounded >= 10  # the time-limited engine was the one compared


def _lookups_from_entities(path: Path) -> list[NamedPattern]:
    values: dict[str, set[str]] = defaultdict(set)
    for example in load_project(path).examples:
        for span in example.entities:
            values[span.entity].add(example.text[span.start:span.end])
    return [NamedPattern(k, lookup_to_regex(sorted(v), True))
            for k, v in sorted(values.items())]


def _old_featurize(patterns: list[NamedPattern], case_sensitive: bool,
                   tokens: list, text: str) -> tuple[set, set]:
    """The featurizer as it was with ``re`` (the Rasa reference algorithm)."""
    seq, sent = set(), set()
    for k, p in enumerate(patterns):
        spans = [m.span() for m in re.finditer(
            p.pattern, text, 0 if case_sensitive else re.IGNORECASE)]
        for i, t in enumerate(tokens):
            if any(t.start < e and t.end > s for s, e in spans):
                seq.add((i, k))
                sent.add(k)
    return seq, sent


@pytest.mark.parametrize("case_sensitive", [True, False])
def test_features_equal_the_re_featurizer(case_sensitive: bool) -> None:
    pizza = load_project(REPO / "sample_projects" / "pizza")
    patterns = [NamedPattern(r.name, p) for r in pizza.regexes for p in r.patterns]
    patterns += [NamedPattern(t.name, lookup_to_regex(t.elements, True))
                 for t in pizza.lookups]
    patterns += [NamedPattern(f"o{i}", p) for i, p in enumerate(ORDINARY)]
    texts = _texts(REPO / "sample_projects" / "pizza", 10_000) + ODD_TEXTS
    if (DATASETS / "financial_demo").exists():
        patterns += _lookups_from_entities(DATASETS / "financial_demo" / "train.yml")
        texts += _texts(DATASETS / "financial_demo" / "train.yml", 10_000)
    featurizer = RegexFeaturizer(case_sensitive=case_sensitive, patterns=patterns)
    tokenizer = WhitespaceTokenizer()
    for text in texts:
        tokens = tokenizer.tokenize(text)
        out = featurizer.transform(tokens, text)
        seq = set(
            zip(out.sequence.rows.tolist(), out.sequence.cols.tolist(), strict=True)
        )
        sent = set(out.sentence.cols.tolist())
        assert (seq, sent) == _old_featurize(patterns, case_sensitive, tokens, text), (
            text
        )


def test_re_compatible_word_boundaries_follow_re() -> None:
    # ½ is a word character for re (isalnum) but not for the regex module
    safe = SafePattern(r"\b\w+\b")  # unbounded: the regex engine
    assert safe.bounded
    assert safe.spans("003½ x") == [(0, 4), (5, 6)]
    assert "\\b" not in re_compatible(r"\bx\b") and r"[\b]" in re_compatible(r"[\b]")
    assert re_compatible(r"[]\w]") .startswith("[]")


@pytest.mark.parametrize("pattern", CATASTROPHIC)
def test_catastrophic_pattern_in_featurizer_is_time_bounded(pattern: str) -> None:
    featurizer = RegexFeaturizer(patterns=[NamedPattern("evil", pattern)])
    tokenizer = WhitespaceTokenizer()
    for text in LONG_MESSAGES:
        started = time.perf_counter()
        featurizer.transform(tokenizer.tokenize(text), text)
        assert time.perf_counter() - started < 5.0  # a hang detector, not a benchmark


def test_catastrophic_token_pattern_is_time_bounded() -> None:
    tokenizer = WhitespaceTokenizer(token_pattern="(a+)+$")
    started = time.perf_counter()
    tokens = tokenizer.tokenize("a" * 10_000 + "! bb")
    assert time.perf_counter() - started < 5.0
    assert [t.text for t in tokens][-1] == "bb"
    assert [t.text for t in WhitespaceTokenizer(token_pattern=r"\d+|[a-z]+")
            .tokenize("ab12 x")] == ["ab", "12", "x"]


def test_saved_model_with_catastrophic_regexes_parses_long_messages(tmp_path: Path
                                                                    ) -> None:
    from tests.nlu.conftest import TINY_DIET, tiny_training_data
    from workbench.core.examples import RegexPattern
    from workbench.nlu.artefacts import save_model
    from workbench.nlu.diet.config import DietConfig
    from workbench.nlu.diet.trainer import TrainedDiet, train_diet
    from workbench.nlu.pipeline import featurize_training_data
    from workbench.nlu.predictor_loader import load_model

    data = tiny_training_data()
    data.regexes = [RegexPattern("evil", tuple(CATASTROPHIC))]
    data.config["pipeline"][5] = {"name": "DIETClassifier", **TINY_DIET, "epochs": 1}
    result = featurize_training_data(data)
    config = DietConfig.from_rasa(result.config.diet)
    trained = [e for e in train_diet(result.data, config, seed=1, device="cpu")
               if isinstance(e, TrainedDiet)][0]
    save_model(tmp_path / "m", model=trained.model, diet_config=config,
               pipeline=result.pipeline, pipeline_config=result.config)
    model = load_model(tmp_path / "m")
    for text in LONG_MESSAGES:
        started = time.perf_counter()
        assert model.parse(text)["text"] == text
        assert time.perf_counter() - started < 10.0  # hang detector
