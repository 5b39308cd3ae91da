"""Fingerprints: stable hashes of settings, code and data that key the training cache.

Mirrors Rasa's ``calculate_fingerprint_key``
(``rasa/engine/training/fingerprinting.py``): a node's key covers its name, the source
code of the modules that implement it and of every ``workbench`` module they import
(derived from the import statements, see :func:`module_closure`), its settings and the
fingerprints of its inputs. Hashes are computed over a canonical JSON form, so they are
the same in every process and on every machine.
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from workbench.core.examples import Example
    from workbench.core.snapshot import ProjectSnapshot

# Bump to invalidate every cache entry when the cache layout itself changes.
CACHE_FORMAT_VERSION = 1
PACKAGE_ROOT = Path(__file__).resolve().parents[1]  # workbench/, whose code keys nodes


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


def _module_path(name: str, root: Path) -> Path | None:
    """The source file of module ``name`` below package ``root`` (None if not there)."""
    parts = name.split(".")
    if parts[0] != root.name:
        return None
    base = root.parent.joinpath(*parts)
    for candidate in (base.with_suffix(".py"), base / "__init__.py"):
        if candidate.is_file():
            return candidate
    return None


_FROM_IMPORT = re.compile(
    r"^([ \t]*)from[ \t]+(\.*)([\w.]*)[ \t]+import[ \t]+(\([^)]*\)|.*)", re.MULTILINE)
_IMPORT = re.compile(r"^([ \t]*)import[ \t]+(.*)", re.MULTILINE)


def _names(clause: str) -> list[str]:
    """``a.b as c, d`` (or a parenthesised, commented list) -> ``["a.b", "d"]``."""
    clause = re.sub(r"#[^\n]*", "", clause).split(";")[0]
    return [part.split()[0] for part in re.split(r"[,()\\]", clause) if part.strip()]


@functools.lru_cache(maxsize=4096)
def imported_names(source: str, module: str, is_package: bool, *,
                   top_level_only: bool = False) -> frozenset[str]:
    """Every name an import statement of ``source`` names, at any level of the file
    (with ``top_level_only``, only unindented ones: what importing the module runs).

    A line scan, not a parse (several times faster on the first training of a process):
    it may also see an import written at the start of a docstring line, which only adds
    a module to a key, never drops one.
    """
    found = {name for indent, clause in _IMPORT.findall(source)
             if not (top_level_only and indent) for name in _names(clause)}
    for indent, dots, base, clause in _FROM_IMPORT.findall(source):
        if top_level_only and indent:
            continue
        if dots:
            parts = module.split(".")[: None if is_package else -1]
            parts = parts[: len(parts) - len(dots) + 1]
            base = ".".join(parts + ([base] if base else []))
        found.add(base)
        found.update(f"{base}.{name}" for name in _names(clause))
    return frozenset(found)


@functools.lru_cache(maxsize=4096)
def _read(path: Path, mtime_ns: int, size: int) -> tuple[str, bytes]:
    """A source file's text and sha256 (cached while its mtime and size stay)."""
    data = path.read_bytes()
    return data.decode("utf-8"), hashlib.sha256(data).digest()


def _source(path: Path) -> tuple[str, bytes]:
    stat = path.stat()
    return _read(path, stat.st_mtime_ns, stat.st_size)


def module_closure(module_names: Iterable[str], root: Path = PACKAGE_ROOT
                   ) -> dict[str, Path]:
    """The named modules and every module of ``root``'s package they import, in turn.

    Follows import statements anywhere in a file (lazy imports inside functions too).
    Adds each module's parent packages, whose ``__init__`` runs on import; of those only
    the unindented imports are followed (not, e.g., ``workbench.__getattr__``'s).

    Raises:
        ValueError: a named module of the package has no source file (renamed or
            moved): a key must never be computed from a list that names nothing.
    """
    paths: dict[str, Path | None] = {}

    def path_of(name: str) -> Path | None:
        if name not in paths:
            paths[name] = _module_path(name, root)
        return paths[name]

    queue = [(name, True) for name in module_names]
    for name, _ in queue:
        if name.split(".")[0] != root.name or path_of(name) is None:
            raise ValueError(f"module {name!r} not found in {root}")
    found: dict[str, Path] = {}
    followed: dict[str, bool] = {}  # module -> all imports followed (else top level)
    while queue:
        name, fully = queue.pop()
        if name in followed and (followed[name] or not fully):
            continue
        path = path_of(name)
        assert path is not None
        found[name], followed[name] = path, fully
        parts = name.split(".")
        queue += [(".".join(parts[:i]), False) for i in range(1, len(parts))]
        imported = imported_names(_source(path)[0], name, path.name == "__init__.py",
                                  top_level_only=not fully)
        queue += [(module, True) for module in imported
                  if not followed.get(module) and path_of(module) is not None]
    return found


def source_digest(module_names: Iterable[str], root: Path = PACKAGE_ROOT) -> str:
    """Hash the source of the named modules and of everything they import from the
    package (:func:`module_closure`); names outside the package count by name only."""
    names = sorted(set(module_names))
    ours = [n for n in names if n.split(".")[0] == root.name]
    digest = hashlib.sha256(str(CACHE_FORMAT_VERSION).encode())
    digest.update(json.dumps([n for n in names if n not in ours]).encode())
    for name, path in sorted(module_closure(ours, root).items()):
        digest.update(name.encode() + b"\0" + _source(path)[1])
    return digest.hexdigest()[:32]


@functools.cache
def code_version(*module_names: str) -> str:
    """Return a hash of the source of the named modules and all they import from
    ``workbench`` (cached per process: the code of a running process does not change).

    Editing, renaming or moving any module a node reaches changes its key; there is no
    hand-kept list of modules that could fall behind the code.
    """
    return source_digest(module_names)


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


def _example_row(example: Example) -> list[Any]:
    spans = [
        [span.start, span.end, span.entity, span.value, span.role, span.group]
        for span in example.entities
    ]
    return [example.text, example.intent, spans]


def data_fingerprints(snapshot: ProjectSnapshot) -> DataFingerprints:
    """Fingerprint the training data of ``snapshot`` part by part.

    Example order matters (it seeds batching), so examples are hashed in order.
    """
    examples = fingerprint_of([_example_row(example) for example in snapshot.examples])
    synonyms = fingerprint_of(
        [[s.value, list(s.examples)] for s in snapshot.synonyms]
    )
    regexes = fingerprint_of(
        [[r.name, list(r.patterns)] for r in snapshot.regexes]
    )
    lookups = fingerprint_of(
        [[table.name, list(table.elements)] for table in snapshot.lookups]
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
