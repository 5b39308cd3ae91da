"""Turn a Rasa ``DIETClassifier`` config entry (plain YAML data) into DietConfig values.

Kept apart from :mod:`workbench.nlu.diet.config` so the dataclass stays readable. Every
error names the key and the expected form; unknown and deprecated keys become warnings.
"""

from __future__ import annotations

import dataclasses
import difflib
import math
from collections.abc import Mapping
from typing import Any

_IGNORED_KEYS = frozenset(
    {"name", "run_eagerly", "tensorboard_log_directory", "tensorboard_log_level"}
)
_INT_KEYS = frozenset({
    "transformer_size", "number_of_transformer_layers", "number_of_attention_heads",
    "max_relative_position", "embedding_dimension", "number_of_negative_examples",
    "ranking_length", "epochs", "evaluate_every_number_of_epochs",
    "evaluate_on_number_of_examples",
})
_FLOAT_KEYS = frozenset({
    "connection_density", "maximum_positive_similarity", "maximum_negative_similarity",
    "regularization_constant", "negative_margin_scale", "drop_rate",
    "drop_rate_attention", "learning_rate",
})
_STR_KEYS = frozenset({
    "similarity_type", "loss_type", "model_confidence", "batch_strategy",
})
_PER_ATTRIBUTE_KEYS = frozenset({"dense_dimension", "concat_dimension"})


def parse_rasa_mapping(mapping: Mapping[str, Any], cls: type) -> tuple[dict, list[str]]:
    """Convert and type-check a Rasa entry.

    Args:
        mapping: The DIETClassifier entry.
        cls: The DietConfig class (for its defaults and field names).

    Returns:
        (keyword arguments for ``cls``, warning messages).

    Raises:
        ValueError: naming the bad key.
    """
    if not isinstance(mapping, Mapping):
        raise ValueError("DIETClassifier options must be a mapping of key: value.")
    defaults = cls()
    names = {f.name for f in dataclasses.fields(cls)} - {"warnings"}
    values: dict[str, Any] = {}
    warnings: list[str] = []
    for key, raw in mapping.items():
        key = str(key)
        if key in _IGNORED_KEYS:
            continue
        if key == "weight_sparsity":  # Rasa <= 2.2 name, density = 1 - sparsity
            sparsity = _as_float(key, raw)
            values["connection_density"] = 1.0 - sparsity
            warnings.append("'weight_sparsity' is deprecated: using "
                            f"connection_density = 1 - {sparsity:g}.")
            continue
        if key not in names:
            close = difflib.get_close_matches(key, sorted(names), n=1)
            hint = f" Did you mean '{close[0]}'?" if close else ""
            warnings.append(f"Unknown DIETClassifier option '{key}' ignored.{hint}")
            continue
        values[key] = _convert(key, raw, getattr(defaults, key))
    if values.get("loss_type") == "softmax":
        values["loss_type"] = "cross_entropy"
        warnings.append("loss_type 'softmax' is the old name of 'cross_entropy'.")
    if values.get("model_confidence") == "linear_norm":
        warnings.append("model_confidence 'linear_norm' is deprecated (removed in Rasa "
                        "3.0); prefer 'softmax'.")
    if values.get("loss_type") == "margin":
        values["model_confidence"] = "auto"  # Rasa forces raw similarities for margin
    return values, warnings


def _convert(key: str, raw: Any, default: Any) -> Any:
    if key in _INT_KEYS:
        return _as_int(key, raw)
    if key in _FLOAT_KEYS:
        return _as_float(key, raw)
    if key in _STR_KEYS:
        if not isinstance(raw, str):
            raise ValueError(f"DIETClassifier option '{key}' must be a string, "
                             f"got {raw!r}.")
        return raw
    if key == "random_seed":
        return None if raw is None else _as_int(key, raw)
    if key == "batch_size":
        return _batch_size(raw)
    if key in _PER_ATTRIBUTE_KEYS:
        return _per_attribute(key, raw, default, _as_int)
    if key == "hidden_layers_sizes":
        return _per_attribute(key, raw, default, _as_int_list)
    if key == "featurizers":
        if raw is None:
            return ()
        if not isinstance(raw, list | tuple) or not all(isinstance(x, str)
                                                        for x in raw):
            raise ValueError(f"DIETClassifier option '{key}' must be a list of names.")
        return tuple(raw)
    if key == "split_entities_by_comma":
        if raw is None or isinstance(raw, bool):
            return raw
        if isinstance(raw, Mapping) and all(isinstance(v, bool) for v in raw.values()):
            return {str(k): v for k, v in raw.items()}
        raise ValueError(f"DIETClassifier option '{key}' must be true/false or a "
                         "mapping of entity type to true/false.")
    if isinstance(default, bool):
        if not isinstance(raw, bool):
            raise ValueError(f"DIETClassifier option '{key}' must be true or false, "
                             f"got {raw!r}.")
        return raw
    return raw


def _as_int(key: str, raw: Any) -> int:
    if isinstance(raw, Mapping) and "text" in raw:  # e.g. transformer_size: {text: 256}
        raw = raw["text"]
    if (isinstance(raw, bool) or not isinstance(raw, int | float)
            or (isinstance(raw, float) and not math.isfinite(raw)) or int(raw) != raw):
        raise ValueError(f"DIETClassifier option '{key}' must be a whole number, "
                         f"got {raw!r}.")
    return int(raw)


def _as_float(key: str, raw: Any) -> float:
    if isinstance(raw, bool) or not isinstance(raw, int | float):
        raise ValueError(f"DIETClassifier option '{key}' must be a number, "
                         f"got {raw!r}.")
    try:
        value = float(raw)
    except OverflowError:  # an int beyond float range
        value = math.inf
    if not math.isfinite(value):
        raise ValueError(f"DIETClassifier option '{key}' must be a finite number, "
                         f"got {raw!r}.")
    return value


def _as_int_list(key: str, raw: Any) -> tuple[int, ...]:
    if raw is None:
        return ()
    if not isinstance(raw, list | tuple):
        raise ValueError(f"DIETClassifier option '{key}' must list layer sizes, "
                         f"e.g. [256, 128], got {raw!r}.")
    return tuple(_as_int(key, x) for x in raw)


def _per_attribute(key: str, raw: Any, default: Mapping, convert: Any) -> dict:
    out = dict(default)
    if isinstance(raw, Mapping):
        for attr, value in raw.items():
            if attr not in ("text", "label"):
                raise ValueError(f"DIETClassifier option '{key}' takes the keys text "
                                 f"and label, got '{attr}'.")
            out[attr] = convert(key, value)
        return out
    # A bare value applies to the text attribute (labels keep their default).
    out["text"] = convert(key, raw)
    return out


def _batch_size(raw: Any) -> tuple[int, int]:
    key = "batch_size"
    if isinstance(raw, list | tuple):
        if len(raw) != 2:
            raise ValueError("DIETClassifier option 'batch_size' must be a number or "
                             "[first, last], e.g. [64, 256].")
        return (_as_int(key, raw[0]), _as_int(key, raw[1]))
    size = _as_int(key, raw)
    return (size, size)
