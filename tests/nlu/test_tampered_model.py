"""Tampered model folders (issue 9, item 16): edited metadata with recomputed checksums.

A real small model (``sample_projects/tiny``, trained once for this module) has its
JSON files mutated in many ways (type swaps, negative/huge numbers, nulls, deleted and
added keys, deep nesting, unicode), the checksums recomputed so that the edit is not
caught as a bit flip, and every load must either succeed and parse, or raise
``ArtefactError`` naming the file: never another exception, never a large allocation,
never a hang.
"""

from __future__ import annotations

import copy
import hashlib
import json
import random
import resource
import shutil
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from workbench.cli.main import main
from workbench.nlu.artefacts import ArtefactError
from workbench.nlu.predictor_loader import load_model

TINY = Path(__file__).resolve().parents[2] / "sample_projects" / "tiny"
CHECKED = ("model.safetensors", "featurizers.safetensors", "metadata.json")
FUZZ_SEED = 20240905
N_RANDOM_CASES = 250  # on top of every mutation of the DIET config and model spec
MAX_RSS_GROWTH_MB = 500
MAX_SECONDS_PER_CASE = 20


@pytest.fixture(scope="module")
def trained_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """``sample_projects/tiny`` trained for two epochs with a small DIET."""
    from tests.training.conftest import tiny_config
    from workbench.core.project import load_project
    from workbench.training.events import TrainingFinished
    from workbench.training.runner import run_training

    folder = tmp_path_factory.mktemp("tampered")
    project = folder / "tiny"
    shutil.copytree(TINY, project)
    out = folder / "model"
    events = list(run_training(load_project(project).snapshot(),
                               config=tiny_config(epochs=2), out_dir=out,
                               cache=None, history=None, device="cpu"))
    assert isinstance(events[-1], TrainingFinished), events[-1]
    return out


def _rewrite(model: Path, name: str, data: Any = None, raw: str | None = None,
             checksums: Any = None) -> None:
    """Write a JSON file of the model and recompute the checksums (a careful edit)."""
    if name != "checksums.json":
        text = raw if raw is not None else json.dumps(data, ensure_ascii=False)
        (model / name).write_text(text, encoding="utf-8")
    if checksums is None:
        checksums = {file: hashlib.sha256((model / file).read_bytes()).hexdigest()
                     for file in CHECKED}
    text = raw if (raw is not None and name == "checksums.json") else json.dumps(
        checksums)
    (model / "checksums.json").write_text(text, encoding="utf-8")


def _deep(depth: int) -> str:
    return "[" * depth + "]" * depth


# -- mutations -----------------------------------------------------------------------

REPLACEMENTS: list[Any] = [
    None, True, -1, 0, 1, 10**6, 10**18, -(10**9), 1.5, 1e308, float("nan"), "",
    "x", "ünï☃\u0000\U0001f600", [], [1, "a", None], {}, {"a": {"b": 1}},
]


def _paths(data: Any, prefix: tuple = ()) -> Iterator[tuple]:
    """Every path into ``data`` (lists: first, second and last item only)."""
    yield prefix
    if isinstance(data, dict):
        for key, value in data.items():
            yield from _paths(value, (*prefix, key))
    elif isinstance(data, list):
        for index in sorted({0, 1, len(data) - 1} & set(range(len(data)))):
            yield from _paths(data[index], (*prefix, index))


def _get(data: Any, path: tuple) -> Any:
    for step in path:
        data = data[step]
    return data


def _mutated(meta: dict, path: tuple, how: str, value: Any = None) -> dict:
    meta = copy.deepcopy(meta)
    if not path:
        return {"replaced": value}
    parent = _get(meta, path[:-1])
    last = path[-1]
    if how == "set":
        parent[last] = value
    elif how == "delete":
        del parent[last]
    elif how == "add":
        target = parent[last]
        if isinstance(target, dict):
            target["unexpected_key"] = value
        elif isinstance(target, list):
            target.append(value)
    elif how == "duplicate" and isinstance(parent[last], list):
        parent[last] = parent[last] + parent[last]
    return meta


def _cases(meta: dict) -> list[tuple[str, dict]]:
    """Deterministic: all of diet_config/model_spec, a seeded sample of the rest."""
    focused, others = [], []
    for path in _paths(meta):
        bucket = focused if path[:1] in (("diet_config",), ("model_spec",)) else others
        for value in REPLACEMENTS:
            bucket.append((f"{path} = {value!r}"[:120], path, "set", value))
        if path:
            bucket.append((f"del {path}", path, "delete", None))
        if isinstance(_get(meta, path), dict | list):
            bucket.append((f"add to {path}", path, "add", "zzz"))
            bucket.append((f"duplicate {path}", path, "duplicate", None))
    rng = random.Random(FUZZ_SEED)
    chosen = focused + rng.sample(others, min(N_RANDOM_CASES, len(others)))
    return [(name, _mutated(meta, path, how, value))
            for name, path, how, value in chosen]


def _try_load(model: Path) -> str | None:
    """Load and parse; return None if fine, else a description of the failure."""
    try:
        nlu = load_model(model)
    except ArtefactError as error:
        message = str(error)
        if "json" not in message and "safetensors" not in message:
            return f"ArtefactError without a file name: {message}"
        return None
    except BaseException as error:  # noqa: BLE001 - the test reports it
        return f"load: {type(error).__name__}: {str(error)[:200]}"
    try:
        for text in ("I want a large pizza", "", "hi there, bye!"):
            result = nlu.parse(text)
            json.dumps(result)
    except BaseException as error:  # noqa: BLE001
        return f"parse: {type(error).__name__}: {str(error)[:200]}"
    return None


def _rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def test_fuzzed_metadata_loads_or_raises_artefact_error(trained_model: Path,
                                                        tmp_path: Path) -> None:
    meta = json.loads((trained_model / "metadata.json").read_text(encoding="utf-8"))
    model = tmp_path / "model"
    shutil.copytree(trained_model, model)
    cases = _cases(meta)
    assert len(cases) > 400
    failures = []
    before = _rss_mb()
    for name, mutated in cases:
        _rewrite(model, "metadata.json", mutated)
        started = time.monotonic()
        problem = _try_load(model)
        seconds = time.monotonic() - started
        if seconds > MAX_SECONDS_PER_CASE:
            problem = f"took {seconds:.0f} s"
        if problem:
            failures.append(f"{name}: {problem}")
    growth = _rss_mb() - before
    print(f"fuzz: {len(cases)} cases, {len(failures)} failures, "
          f"peak RSS growth {growth:.0f} MB")
    assert not failures, "\n".join(failures[:40])
    assert growth < MAX_RSS_GROWTH_MB


@pytest.mark.parametrize(
    ("edit", "field"),
    [
        (("diet_config", "number_of_transformer_layers", 1_000_000),
         "number_of_transformer_layers"),
        (("diet_config", "transformer_size", 10**9), "transformer_size"),
        (("diet_config", "embedding_dimension", -5), "embedding_dimension"),
        (("diet_config", "number_of_attention_heads", None),
         "number_of_attention_heads"),
        (("diet_config", "connection_density", "dense"), "connection_density"),
        (("model_spec", "sequence_dim", -1), "sequence_dim"),
        (("model_spec", "label_dim", None), "label_dim"),
        (("model_spec", "sentence_dim", 10**12), "sentence_dim"),
        (("model_spec", "intent_names", "greet"), "intent_names"),
        (("pipeline", "featurizers", 7), "featurizers"),
        (("synonyms", None, ["a"]), "synonyms"),
    ],
)
def test_named_edits_give_artefact_error_naming_the_field(trained_model, tmp_path,
                                                          edit, field):
    model = tmp_path / "model"
    shutil.copytree(trained_model, model)
    meta = json.loads((model / "metadata.json").read_text(encoding="utf-8"))
    section, key, value = edit
    if key is None:
        meta[section] = value
    else:
        meta[section][key] = value
    _rewrite(model, "metadata.json", meta)
    before = _rss_mb()
    with pytest.raises(ArtefactError) as caught:
        load_model(model)
    message = str(caught.value)
    assert "metadata.json" in message and field in message
    assert "retrain" in message.lower()
    assert _rss_mb() - before < MAX_RSS_GROWTH_MB


def test_oversized_layer_count_is_refused_before_building(trained_model, tmp_path):
    model = tmp_path / "model"
    shutil.copytree(trained_model, model)
    meta = json.loads((model / "metadata.json").read_text(encoding="utf-8"))
    # Within every single limit, but a model far larger than the saved weights.
    meta["diet_config"].update(number_of_transformer_layers=24, transformer_size=4096,
                               number_of_attention_heads=4)
    _rewrite(model, "metadata.json", meta)
    before, started = _rss_mb(), time.monotonic()
    with pytest.raises(ArtefactError, match="metadata.json"):
        load_model(model)
    assert _rss_mb() - before < MAX_RSS_GROWTH_MB
    assert time.monotonic() - started < MAX_SECONDS_PER_CASE


@pytest.mark.parametrize("name", ["metadata.json", "checksums.json"])
def test_deeply_nested_json_is_refused(trained_model, tmp_path, name):
    model = tmp_path / "model"
    shutil.copytree(trained_model, model)
    if name == "metadata.json":
        meta = json.loads((model / "metadata.json").read_text(encoding="utf-8"))
        raw = json.dumps(meta)[:-1] + ', "training_extra": ' + _deep(200_000) + "}"
        _rewrite(model, name, raw=raw)
    else:
        _rewrite(model, name, raw='{"model.safetensors": ' + _deep(200_000) + "}")
    with pytest.raises(ArtefactError, match=name.replace(".", r"\.")):
        load_model(model)


def test_fuzzed_checksums_file_is_refused_cleanly(trained_model, tmp_path):
    model = tmp_path / "model"
    shutil.copytree(trained_model, model)
    good = json.loads((model / "checksums.json").read_text(encoding="utf-8"))
    cases = [value for value in REPLACEMENTS]
    for name in CHECKED:
        for value in REPLACEMENTS:
            cases.append({**good, name: value})
        cases.append({key: item for key, item in good.items() if key != name})
        cases.append({**good, name: good[name].upper()})
    cases.append({**good, "extra.json": "0" * 64})
    failures = []
    for checksums in cases:
        (model / "checksums.json").write_text(json.dumps(checksums), encoding="utf-8")
        problem = _try_load(model)
        if problem:
            failures.append(f"{checksums!r:.100}: {problem}")
    assert not failures, "\n".join(failures)


def test_weights_of_another_shape_are_refused(trained_model, tmp_path):
    import safetensors.torch
    import torch

    model = tmp_path / "model"
    shutil.copytree(trained_model, model)
    weights = safetensors.torch.load_file(str(model / "model.safetensors"))
    name = next(key for key, value in weights.items() if value.dim() == 2)
    weights[name] = torch.zeros(weights[name].shape[0] + 1, weights[name].shape[1])
    safetensors.torch.save_file(weights, str(model / "model.safetensors"))
    _rewrite(model, "metadata.json",
             json.loads((model / "metadata.json").read_text(encoding="utf-8")))
    with pytest.raises(ArtefactError, match=r"model\.safetensors: weights do not fit"):
        load_model(model)


@pytest.mark.parametrize("content", ["[]", "null", '{"metadata.json": 5}', "{",
                                     '{"a": "b"}', '"\\ud800"'])
def test_malformed_checksums_file(trained_model, tmp_path, content):
    model = tmp_path / "model"
    shutil.copytree(trained_model, model)
    (model / "checksums.json").write_text(content, encoding="utf-8")
    with pytest.raises(ArtefactError, match=r"checksums\.json"):
        load_model(model)


def test_huge_metadata_file_is_refused_without_reading_it(trained_model, tmp_path):
    model = tmp_path / "model"
    shutil.copytree(trained_model, model)
    with (model / "metadata.json").open("r+b") as handle:
        handle.truncate(2 * 1024**3)  # sparse: no disk space, but 2 GB to read
    started, before = time.monotonic(), _rss_mb()
    with pytest.raises(ArtefactError, match=r"metadata\.json.*too large"):
        load_model(model)
    assert time.monotonic() - started < 5
    assert _rss_mb() - before < 100


def test_cli_shows_tampered_model_without_traceback(trained_model, tmp_path, capsys):
    model = tmp_path / "model"
    shutil.copytree(trained_model, model)
    meta = json.loads((model / "metadata.json").read_text(encoding="utf-8"))
    meta["diet_config"]["number_of_transformer_layers"] = 1_000_000
    _rewrite(model, "metadata.json", meta)
    data = tmp_path / "test.yml"
    data.write_text('version: "3.1"\nnlu:\n- intent: greet\n  examples: |\n    - hi\n',
                    encoding="utf-8")
    for argv in (["parse", str(model), "hello"], ["test", str(model), str(data)]):
        assert main(argv) == 2
        err = capsys.readouterr().err
        assert "number_of_transformer_layers" in err and "Traceback" not in err
