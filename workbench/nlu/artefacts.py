"""Save and load a trained model directory — weights via safetensors, the rest JSON.

Layout of a model directory::

    model.safetensors        DIET weights (safetensors.torch)
    featurizers.safetensors  featurizer arrays (safetensors.numpy; may be empty)
    metadata.json            versions, pipeline, DietConfig, ModelSpec, featurizer
                             states, synonyms, labels, training info
    checksums.json           sha256 of each of the three files above, verified on load

Nothing is pickled; loading never runs code from the directory.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import numpy as np

from workbench.nlu.artefact_schema import (
    DAMAGED,
    MAX_CHECKSUMS_BYTES,
    MAX_METADATA_BYTES,
    MAX_WEIGHTS_BYTES,
    SchemaError,
    check_checksums,
    check_metadata,
    check_size,
    parse_json,
)
from workbench.nlu.weights import load_weights, save_weights

FORMAT_VERSION = 1
WEIGHTS_FILE = "model.safetensors"
FEATURIZERS_FILE = "featurizers.safetensors"
METADATA_FILE = "metadata.json"
CHECKSUMS_FILE = "checksums.json"
_CHECKED_FILES = (WEIGHTS_FILE, FEATURIZERS_FILE, METADATA_FILE)
_RETRAIN = "Retrain the model with `workbench train`."


class ArtefactError(Exception):
    """A model directory is missing, incomplete, tampered with or too new."""


@dataclass(frozen=True)
class Artefact:
    """The raw contents of a model directory (torch tensors for the weights).

    Attributes:
        path: the model directory.
        metadata: the parsed ``metadata.json``.
        weights: parameter name -> tensor (CPU).
        featurizer_arrays: array name -> numpy array.
    """

    path: Path
    metadata: Mapping[str, Any]
    weights: Mapping[str, Any]
    featurizer_arrays: Mapping[str, np.ndarray]


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _write_json(path: Path, data: Any) -> None:
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_text(json.dumps(data, indent=1, ensure_ascii=False, sort_keys=False),
                   encoding="utf-8")
    os.replace(tmp, path)


def save_model(
    directory: str | Path,
    *,
    model: Any,
    diet_config: Any,
    pipeline: Any,
    pipeline_config: Any = None,
    synonyms: Mapping[str, str] | Any = None,
    training_info: Mapping[str, Any] | None = None,
) -> Path:
    """Write a trained model to ``directory`` (created if needed; files replaced).

    Args:
        directory: target directory.
        model: the trained ``DietModel``.
        diet_config: its ``DietConfig``.
        pipeline: the ``FittedPipeline`` (tokenizer + fitted featurizers).
        pipeline_config: the ``PipelineConfig`` used (for the record), optional.
        synonyms: an ``EntitySynonymMapper`` or a mapping lower-cased original -> value;
            None disables synonym mapping.
        training_info: JSON-able extras (seed, epochs run, data fingerprint...).

    Returns:
        The model directory.
    """
    import safetensors.numpy

    from workbench import __version__

    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    checksums_path = directory / CHECKSUMS_FILE
    if checksums_path.exists():  # a half-rewritten directory must not verify
        checksums_path.unlink()
    save_weights(model, directory / WEIGHTS_FILE)
    pipeline_state, arrays = pipeline.to_state()
    safetensors.numpy.save_file(
        {k: np.ascontiguousarray(v) for k, v in arrays.items()},
        str(directory / FEATURIZERS_FILE),
    )
    if synonyms is not None and hasattr(synonyms, "to_state"):
        synonyms = synonyms.to_state()
    spec = model.spec
    metadata = {
        "format_version": FORMAT_VERSION,
        "workbench_version": __version__,
        "created": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "pipeline_config": pipeline_config.to_json() if pipeline_config else None,
        "diet_config": diet_config.to_rasa(),
        "model_spec": spec.to_dict(),
        "intent_names": list(spec.intent_names),
        "tag_names": {k: list(v) for k, v in spec.tag_names.items()},
        "sequence_dim": spec.sequence_dim,
        "sentence_dim": spec.sentence_dim,
        "pipeline": pipeline_state,
        "synonyms": dict(synonyms) if synonyms is not None else None,
        "training": dict(training_info or {}),
    }
    _write_json(directory / METADATA_FILE, metadata)
    sums = {name: _sha256(directory / name) for name in _CHECKED_FILES}
    _write_json(checksums_path, sums)
    return directory


def resolve_model_dir(path: str | Path) -> Path:
    """The model directory for ``path`` (the directory itself or its ``model/``)."""
    path = Path(path)
    if not path.exists():
        raise ArtefactError(f"{path}: no such model directory. Train one with "
                            "`workbench train` or pass the directory it printed.")
    if not path.is_dir():
        raise ArtefactError(f"{path}: a model is a directory (with {METADATA_FILE}), "
                            "not a file.")
    nested = path / "model" / CHECKSUMS_FILE
    if not (path / CHECKSUMS_FILE).exists() and nested.exists():
        return path / "model"
    return path


def _schema_error(path: Path, error: SchemaError) -> ArtefactError:
    return ArtefactError(f"{path}: {error}. {DAMAGED}")


def _verify(directory: Path) -> None:
    checksums_path = directory / CHECKSUMS_FILE
    if not checksums_path.is_file():
        raise ArtefactError(f"{checksums_path}: missing; {directory} is not a complete "
                            f"workbench model (saving was interrupted?). {_RETRAIN}")
    try:
        checksums = check_checksums(parse_json(checksums_path, MAX_CHECKSUMS_BYTES),
                                    _CHECKED_FILES)
    except SchemaError as error:
        raise _schema_error(checksums_path, error) from None
    except OSError as error:
        raise ArtefactError(f"{checksums_path}: cannot be read ({error}). {_RETRAIN}"
                            ) from None
    for name in _CHECKED_FILES:
        file = directory / name
        if not file.is_file():
            raise ArtefactError(f"{file}: missing from the model directory. {_RETRAIN}")
        limit = MAX_METADATA_BYTES if name == METADATA_FILE else MAX_WEIGHTS_BYTES
        try:
            check_size(file, limit)
            digest = _sha256(file)
        except SchemaError as error:
            raise _schema_error(file, error) from None
        except OSError as error:
            raise ArtefactError(f"{file}: cannot be read ({error}). {_RETRAIN}"
                                ) from None
        if checksums[name] != digest:
            raise ArtefactError(
                f"{file}: checksum mismatch — the file was truncated or modified "
                f"after saving. {_RETRAIN}"
            )


def load_artefact(path: str | Path) -> Artefact:
    """Read and verify a model directory.

    Everything is checked before use (see :mod:`workbench.nlu.artefact_schema`): file
    sizes, checksums, JSON depth, and the types and ranges of the metadata fields.

    Raises:
        ArtefactError: missing/tampered/truncated files, unsupported format version,
            metadata that breaks the schema (the message names the file and field).
    """
    import safetensors.numpy

    directory = resolve_model_dir(path)
    _verify(directory)
    metadata_path = directory / METADATA_FILE
    try:
        metadata = parse_json(metadata_path, MAX_METADATA_BYTES)
        check_metadata(metadata, FORMAT_VERSION)
    except SchemaError as error:
        raise _schema_error(metadata_path, error) from None
    except OSError as error:
        raise ArtefactError(f"{metadata_path}: cannot be read ({error}). {_RETRAIN}"
                            ) from None
    try:
        weights = load_weights(directory / WEIGHTS_FILE)
    except Exception as error:  # safetensors raises several types for corrupt files
        raise ArtefactError(f"{directory / WEIGHTS_FILE}: cannot be read ({error}). "
                            f"{_RETRAIN}") from None
    try:
        arrays = safetensors.numpy.load_file(str(directory / FEATURIZERS_FILE))
    except Exception as error:
        raise ArtefactError(
            f"{directory / FEATURIZERS_FILE}: cannot be read ({error}). {_RETRAIN}"
        ) from None
    return Artefact(directory, metadata, weights, arrays)
