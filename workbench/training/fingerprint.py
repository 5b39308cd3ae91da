"""Fingerprints: stable hashes of settings, code and data that key the training cache.

Mirrors Rasa's ``calculate_fingerprint_key``
(``rasa/engine/training/fingerprinting.py``): a node's key covers its name, the source
code of the modules that implement it, its settings and the fingerprints of its inputs.
Hashes are computed over a canonical JSON form, so they are the same in every process
and on every machine.
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import importlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

# Bump to invalidate every cache entry when the cache layout itself changes.
CACHE_FORMAT_VERSION = 1


def _canonical(value: Any) -> Any:
    """Turn ``value`` into JSON-serialisable data with a deterministic layout."""
    if value is None or isinstance(value, (bool, int, str)):
        return value
    if isinstance(value, float):
        return repr(value)  # repr round-trips exactly; JSON floats may not
    if isinstance(value, np.generic):
        return _canonical(value.item())
    if isinstance(value, np.ndarray):
        digest = hashlib.sha256(np.ascontiguousarray(value).tobytes()).hexdigest()
        return {"__ndarray__": [str(value.dtype), list(value.shape), digest]}
    if isinstance(value, Path):
        return str(value)
    fingerprint = getattr(value, "fingerprint", None)
    if callable(fingerprint):
        return {"__fingerprint__": str(fingerprint())}
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        fields = {f.name: getattr(value, f.name) for f in dataclasses.fields(value)}
        return {"__dataclass__": type(value).__name__, **_canonical(fields)}
    if isinstance(value, Mapping):
        items = sorted(value.items(), key=_key)
        return {str(key): _canonical(item) for key, item in items}
    if isinstance(value, (set, frozenset)):
        return sorted((_canonical(item) for item in value), key=json.dumps)
    if isinstance(value, (list, tuple)):
        return [_canonical(item) for item in value]
    raise TypeError(f"cannot fingerprint a {type(value).__name__}")


def _key(item: tuple[Any, Any]) -> str:
    return str(item[0])


def fingerprint_of(*values: Any) -> str:
    """Return a 32-hex-digit hash of ``values`` (dicts, dataclasses, arrays...)."""
    text = json.dumps(_canonical(list(values)), sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:32]


@functools.lru_cache(maxsize=None)
def code_version(*module_names: str) -> str:
    """Return a hash of the source code of the named modules.

    Editing any of these modules invalidates the cache entries of the nodes that name
    them; a module without readable source (e.g. compiled) contributes its name only.
    """
    digest = hashlib.sha256(str(CACHE_FORMAT_VERSION).encode())
    for name in sorted(module_names):
        digest.update(name.encode())
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError:  # renamed by a refactor: the name alone counts
            continue
        path = getattr(module, "__file__", None)
        if path and Path(path).suffix == ".py" and Path(path).is_file():
            digest.update(Path(path).read_bytes())
    return digest.hexdigest()[:32]


@dataclass(frozen=True, slots=True)
class DataFingerprints:
    """Fingerprints of the parts of a training snapshot that nodes depend on.

    Attributes:
        examples: Texts, intents, entity annotations (not metadata: training ignores
            it).
        synonyms: The ``synonym:`` blocks.
        regexes: The ``regex:`` blocks.
        lookups: The ``lookup:`` blocks.
        all: All of the above together.
    """

    examples: str
    synonyms: str
    regexes: str
    lookups: str
    all: str


def _example_row(example: Any) -> list[Any]:
    spans = [
        [span.start, span.end, span.entity, span.value, span.role, span.group]
        for span in example.entities
    ]
    return [example.text, example.intent, spans]


def data_fingerprints(snapshot: Any) -> DataFingerprints:
    """Fingerprint the training data of ``snapshot`` part by part.

    Example order matters (it seeds batching), so examples are hashed in order.
    """
    examples = fingerprint_of([_example_row(example) for example in snapshot.examples])
    synonyms = fingerprint_of(
        [[s.value, list(s.examples)] for s in getattr(snapshot, "synonyms", ())]
    )
    regexes = fingerprint_of(
        [[r.name, list(r.patterns)] for r in getattr(snapshot, "regexes", ())]
    )
    lookups = fingerprint_of(
        [[table.name, list(table.elements)]
         for table in getattr(snapshot, "lookups", ())]
    )
    return DataFingerprints(
        examples=examples,
        synonyms=synonyms,
        regexes=regexes,
        lookups=lookups,
        all=fingerprint_of(examples, synonyms, regexes, lookups),
    )


def file_sha256(path: Path, chunk_size: int = 1 << 20) -> str:
    """Return the sha256 hex digest of a file's content."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(chunk_size):
            digest.update(chunk)
    return digest.hexdigest()


def directory_sha256(root: Path) -> tuple[str, int]:
    """Return ``(sha256, total bytes)`` over the names and contents below ``root``."""
    digest = hashlib.sha256()
    total = 0
    for path in sorted(p for p in root.rglob("*") if p.is_file()):
        relative = path.relative_to(root).as_posix()
        digest.update(relative.encode("utf-8") + b"\0")
        digest.update(file_sha256(path).encode("ascii"))
        total += path.stat().st_size
    return digest.hexdigest(), total
