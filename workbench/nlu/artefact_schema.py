"""The schema of a model folder: everything read from it, checked before building.

Checksums only catch accidental damage: an edited ``metadata.json`` with recomputed
checksums verifies. So everything read from a model folder is checked here first, with
sane limits: file sizes before reading, JSON nesting depth (Python's ``json`` raises
``RecursionError`` on deep nesting), types and ranges of every field the loader uses,
label and tag lists, featurizer states. A violation raises :class:`ArtefactError`
naming the file and the field, e.g.::

    model/metadata.json: diet_config: DIETClassifier option
    'number_of_transformer_layers' must be between 0 and 24, got 1000000. The model
    folder is damaged or was edited; retrain the model with `workbench train`.

The remaining guard, that the configured network is no larger than its saved weights,
is :func:`allocation_budget` (enforced while building, see ``predictor_loader``).
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

MAX_METADATA_BYTES = 256 * 1024**2  # a 1M-word vocabulary is ~20 MB of JSON
MAX_CHECKSUMS_BYTES = 64 * 1024
MAX_WEIGHTS_BYTES = 16 * 1024**3
MAX_JSON_DEPTH = 32  # metadata nests 5 levels; JSON deeper than this is not ours
MAX_FEATURE_DIM = 50_000_000  # sparse feature widths (vocabulary sizes)
MAX_LABELS = 1_000_000  # intents, tags, vocabulary entries per list
MAX_FEATURIZERS = 64
MAX_PATTERN_LENGTH = 100_000
TAG_KINDS = ("entity", "role", "group")
SHA256 = re.compile(r"[0-9a-f]{64}")
DAMAGED = ("The model folder is damaged or was edited; retrain the model with "
           "`workbench train`.")


class SchemaError(ValueError):
    """One violation; ``field`` is the dotted path into the JSON file."""

    def __init__(self, field: str, problem: str) -> None:
        if field.startswith("("):  # the whole file: no field to name
            text = problem
        else:
            joint = " " if problem.startswith("=") else ": "
            text = f"{field}{joint}{problem}"
        super().__init__(text)
        self.field, self.problem = field, problem


def check_size(path: Path, limit: int) -> int:
    """Return the size of ``path``; raise ``SchemaError`` over ``limit``."""
    size = path.stat().st_size
    if size > limit:
        raise SchemaError("(file)", f"too large ({size:,} bytes; at most {limit:,} "
                          "expected)")
    return size


def parse_json(path: Path, limit: int) -> Any:
    """Read a small JSON file safely: size, encoding, depth and unicode checked.

    Raises:
        SchemaError: the file is too large, not UTF-8 JSON, or nested too deeply.
        OSError: it cannot be read.
    """
    check_size(path, limit)
    raw = path.read_bytes()
    try:
        data = json.loads(raw.decode("utf-8"), parse_constant=_no_constant)
    except RecursionError:
        raise SchemaError("(file)", "JSON nested too deeply") from None
    except (UnicodeDecodeError, ValueError) as error:
        raise SchemaError("(file)", f"not valid JSON ({error})") from None
    _check_structure(data)
    return data


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not allowed in a model file")


def _check_structure(data: Any) -> None:
    """Depth limit and valid unicode everywhere (iterative: no recursion)."""
    stack: list[tuple[Any, int]] = [(data, 0)]
    while stack:
        value, depth = stack.pop()
        if depth > MAX_JSON_DEPTH:
            raise SchemaError("(file)", f"JSON nested deeper than {MAX_JSON_DEPTH} "
                              "levels")
        if isinstance(value, str):
            _check_text(value)
        elif isinstance(value, dict):
            for key, item in value.items():
                _check_text(key)
                stack.append((item, depth + 1))
        elif isinstance(value, list):
            stack.extend((item, depth + 1) for item in value)


def _check_text(text: str) -> None:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        raise SchemaError("(file)", f"text {text[:40]!r} is not valid unicode "
                          "(lone surrogate)") from None


def check_checksums(data: Any, names: tuple[str, ...]) -> dict[str, str]:
    """The checksums mapping: exactly one sha256 hex digest per checked file."""
    if not isinstance(data, dict):
        raise SchemaError("(top level)", f"must be a mapping of file name to sha256, "
                          f"got {_kind(data)}")
    for name in names:
        value = data.get(name)
        if not isinstance(value, str) or not SHA256.fullmatch(value):
            raise SchemaError(name, f"must be a sha256 hex digest, got {_show(value)}")
    return {name: data[name] for name in names}


# -- metadata.json ---------------------------------------------------------------------

def check_metadata(meta: Any, format_version: int) -> None:
    """Check every field of ``metadata.json`` the loader uses.

    Raises:
        SchemaError: naming the field (dotted path) and what is wrong.
    """
    if not isinstance(meta, dict):
        raise SchemaError("(top level)", f"must be a mapping, got {_kind(meta)}")
    version = meta.get("format_version")
    if not _is_int(version) or not 1 <= version <= format_version:
        raise SchemaError("format_version", f"model format version {_show(version)} "
                          "is not supported by this workbench (reads "
                          f"1..{format_version}); update the workbench or retrain")
    _mapping(meta, "diet_config")
    spec = _mapping(meta, "model_spec")
    for key in ("sequence_dim", "sentence_dim", "label_dim"):
        _int(spec, key, 0, MAX_FEATURE_DIM, where="model_spec")
    _names(spec.get("intent_names", []), "model_spec.intent_names")
    tags = spec.get("tag_names", {})
    if not isinstance(tags, dict):
        raise SchemaError("model_spec.tag_names",
                          f"must be a mapping, got {_kind(tags)}")
    for kind, names in tags.items():
        where = f"model_spec.tag_names.{kind}"
        if kind not in TAG_KINDS:
            raise SchemaError(where, "unknown tag kind (expected "
                              f"{', '.join(TAG_KINDS)})")
        _names(names, where)
        if len(names) < 2 or names[0] != "O":
            raise SchemaError(where, "must start with 'O' and have at least one tag")
    if set(tags) - {"entity"} and "entity" not in tags:
        raise SchemaError("model_spec.tag_names", "role/group tags need entity tags")
    _check_pipeline(_mapping(meta, "pipeline"))
    synonyms = meta.get("synonyms")
    if synonyms is not None:
        if not isinstance(synonyms, dict):
            raise SchemaError("synonyms", f"must be a mapping or null, got "
                              f"{_kind(synonyms)}")
        for key, value in synonyms.items():
            if not isinstance(value, str):
                raise SchemaError(f"synonyms.{key}",
                                  f"must be text, got {_show(value)}")
    config = meta.get("pipeline_config")
    if config is not None and not isinstance(config, dict):
        raise SchemaError("pipeline_config", f"must be a mapping or null, got "
                          f"{_kind(config)}")


def _check_pipeline(pipeline: Mapping[str, Any]) -> None:
    from workbench.nlu.featurizers.registry import FEATURIZER_CLASSES

    tokenizer = pipeline.get("tokenizer")
    if not isinstance(tokenizer, dict):
        raise SchemaError("pipeline.tokenizer", f"must be a mapping, got "
                          f"{_kind(tokenizer)}")
    pattern = tokenizer.get("token_pattern")
    if pattern is not None:
        _pattern(pattern, "pipeline.tokenizer.token_pattern")
    featurizers = pipeline.get("featurizers")
    if not isinstance(featurizers, list) or len(featurizers) > MAX_FEATURIZERS:
        raise SchemaError("pipeline.featurizers", f"must be a list of at most "
                          f"{MAX_FEATURIZERS} featurizer states, got "
                          f"{_kind(featurizers)}")
    for index, state in enumerate(featurizers):
        where = f"pipeline.featurizers[{index}]"
        if not isinstance(state, dict):
            raise SchemaError(where, f"must be a mapping, got {_kind(state)}")
        component = state.get("component")
        if not isinstance(component, str) or component not in FEATURIZER_CLASSES:
            raise SchemaError(f"{where}.component", f"{_show(component)} is not a "
                              f"featurizer ({', '.join(FEATURIZER_CLASSES)})")
        settings = state.get("settings")
        if not isinstance(settings, dict):
            raise SchemaError(f"{where}.settings", f"must be a mapping, got "
                              f"{_kind(settings)}")
        _check_settings(settings, _SETTINGS[component], f"{where}.settings")
        if component == "CountVectorsFeaturizer":
            _names(state.get("vocabulary"), f"{where}.vocabulary")
        elif component == "LexicalSyntacticFeaturizer":
            _lexical_index(state.get("index"), f"{where}.index")
        elif component == "RegexFeaturizer":
            _patterns(state.get("patterns"), f"{where}.patterns")


# Featurizer settings as saved: key -> allowed form. "text?" is text or null,
# "texts" a list of texts, "ngram" a whole number 1..MAX_NGRAM.
MAX_NGRAM = 64
_SETTINGS: dict[str, dict[str, str]] = {
    "CountVectorsFeaturizer": {
        "analyzer": "text", "min_ngram": "ngram", "max_ngram": "ngram",
        "lowercase": "bool", "strip_accents": "text?", "stop_words": "texts?",
        "min_df": "number", "max_df": "number", "max_features": "count?",
        "OOV_token": "text?", "OOV_words": "texts", "use_shared_vocab": "bool",
        "use_lemma": "bool", "alias": "text",
    },
    "RegexFeaturizer": {
        "case_sensitive": "bool", "use_lookup_tables": "bool", "use_regexes": "bool",
        "use_word_boundaries": "bool", "alias": "text",
    },
    "LexicalSyntacticFeaturizer": {"features": "text lists", "alias": "text"},
}


def _check_settings(settings: Mapping[str, Any], forms: Mapping[str, str],
                    where: str) -> None:
    for key, value in settings.items():
        form = forms.get(key)
        if form is None or (form.endswith("?") and value is None):
            continue  # unknown keys are ignored by the featurizers
        base = form.rstrip("?")
        ok = {
            "text": isinstance(value, str),
            "bool": isinstance(value, bool),
            "ngram": _is_int(value) and 1 <= value <= MAX_NGRAM,
            "count": _is_int(value) and value >= 0,
            "number": isinstance(value, int | float) and not isinstance(value, bool),
            "texts": isinstance(value, list) and all(isinstance(v, str) for v in value),
            "text lists": isinstance(value, list) and all(
                isinstance(v, list) and all(isinstance(x, str) for x in v)
                for v in value),
        }[base]
        if not ok:
            expected = {"ngram": f"a whole number 1..{MAX_NGRAM}",
                        "count": "a whole number", "texts": "a list of texts",
                        "text lists": "a list of lists of texts"}.get(base, base)
            raise SchemaError(f"{where}.{key}", f"must be {expected}"
                              f"{' or null' if form.endswith('?') else ''}, got "
                              f"{_show(value)}")


def _lexical_index(index: Any, where: str) -> None:
    if not isinstance(index, list) or len(index) > MAX_LABELS:
        raise SchemaError(where, f"must be a list, got {_kind(index)}")
    for position, entry in enumerate(index):
        here = f"{where}[{position}]"
        if (not isinstance(entry, list) or len(entry) != 3 or not _is_int(entry[0])
                or not 0 <= entry[0] < 100 or not isinstance(entry[1], str)):
            raise SchemaError(here, "must be [slot, feature name, [values]]")
        values = entry[2]
        if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
            raise SchemaError(f"{here}[2]", "must be a list of texts")


def _patterns(patterns: Any, where: str) -> None:
    if not isinstance(patterns, list) or len(patterns) > MAX_LABELS:
        raise SchemaError(where, f"must be a list, got {_kind(patterns)}")
    for position, entry in enumerate(patterns):
        here = f"{where}[{position}]"
        if not isinstance(entry, dict) or not isinstance(entry.get("name"), str):
            raise SchemaError(here, "must be {name: text, pattern: text}")
        _pattern(entry.get("pattern"), f"{here}.pattern")


def _pattern(pattern: Any, where: str) -> None:
    if not isinstance(pattern, str) or len(pattern) > MAX_PATTERN_LENGTH:
        raise SchemaError(where, f"must be a regular expression, got {_show(pattern)}")
    try:
        re.compile(pattern)
    except (re.error, RecursionError, OverflowError) as error:
        raise SchemaError(where, f"not a valid regular expression ({error})") from None


# -- small helpers ---------------------------------------------------------------------

def _mapping(parent: Mapping[str, Any], key: str) -> Mapping[str, Any]:
    value = parent.get(key)
    if not isinstance(value, dict):
        raise SchemaError(key, f"must be a mapping, got {_kind(value)}")
    return value


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _int(parent: Mapping[str, Any], key: str, low: int, high: int, *,
         where: str) -> int:
    value = parent.get(key)
    if not _is_int(value) or not low <= value <= high:
        raise SchemaError(f"{where}.{key}", f"= {_show(value)} is out of range "
                          f"{low}..{high}")
    return value


def _names(names: Any, where: str) -> None:
    """A list of distinct texts (labels, tags, vocabulary)."""
    if not isinstance(names, list):
        raise SchemaError(where, f"must be a list of names, got {_kind(names)}")
    if len(names) > MAX_LABELS:
        raise SchemaError(where, f"has {len(names):,} entries (at most {MAX_LABELS:,})")
    if not all(isinstance(name, str) for name in names):
        bad = next(name for name in names if not isinstance(name, str))
        raise SchemaError(where, f"must hold texts only, found {_show(bad)}")
    if len(set(names)) != len(names):
        raise SchemaError(where, "has duplicate entries")


def _kind(value: Any) -> str:
    return "null" if value is None else type(value).__name__


def _show(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."
