"""parse/predict/embed refuse non-strings; one thread per message; safe concurrency
(issue 9 #18, issue 16 #4)."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
from pathlib import Path

import pytest
import torch

from workbench.nlu.intra_op import ThreadGate, batch_threads
from workbench.nlu.predictor_loader import load_model

NOT_STRINGS = [None, 123, 1.5, b"hello", ["hello"], {"text": "hello"}]


@pytest.fixture(scope="module")
def model(tiny_model_dir: Path):
    return load_model(tiny_model_dir)


@pytest.mark.parametrize("value", NOT_STRINGS)
def test_non_strings_get_a_clear_type_error(model, value) -> None:
    name = type(value).__name__
    with pytest.raises(TypeError, match=rf"^parse\(\) takes a str, got {name}$"):
        model.parse(value)
    with pytest.raises(TypeError, match=rf"^predict\(\) takes a str, got {name}$"):
        model.predict(value)
    with pytest.raises(TypeError, match=r"^embed\(\) takes"):
        model.embed([value])
    with pytest.raises(TypeError, match=r"^predict_many\(\) takes"):
        model.predict_many(["ok", value])


def test_a_bare_string_is_not_taken_for_a_list(model) -> None:
    with pytest.raises(TypeError, match=r"embed\(\) takes an iterable of str, got str"):
        model.embed("hello")


def test_empty_text_keeps_rasa_behaviour(model) -> None:
    result = model.parse("")
    assert result["intent"] == {"name": None, "confidence": 0.0}
    assert result["entities"] == []


class _Handles(list):
    def remove(self) -> None:
        for handle in self:
            handle.remove()


def _threads_seen(model) -> tuple[list[int], _Handles]:
    """Thread counts seen by every layer the forward pass runs (real hooks)."""
    seen: list[int] = []
    handles = _Handles(m.register_forward_pre_hook(
        lambda *_: seen.append(torch.get_num_threads())) for m in model.model.modules())
    return seen, handles


@pytest.mark.parametrize("words", [10, 300, 600])
def test_single_messages_run_on_one_thread_and_restore_the_setting(model, words
                                                                   ) -> None:
    previous = torch.get_num_threads()
    torch.set_num_threads(2)
    seen, handle = _threads_seen(model)
    try:
        model.parse(" ".join(["berlin"] * words))
        assert seen and set(seen) == {1}
        assert torch.get_num_threads() == 2
    finally:
        handle.remove()
        torch.set_num_threads(previous)


def test_small_batches_use_one_thread() -> None:
    from workbench.core.cpu_load import sample_cpu

    assert batch_threads(10_000, None) == 1  # single message: no measurement
    assert batch_threads(100, sample_cpu()) == 1  # small batch
    assert batch_threads(10_000, sample_cpu()) == 1  # measured too briefly


def test_concurrent_parses_give_the_sequential_results(model) -> None:
    texts = [f"fly to Berlin {i}" for i in range(12)] + ["hello " * 300]
    expected = [model.parse(t) for t in texts]
    results: dict[int, dict] = {}
    errors: list[BaseException] = []

    def work(offset: int) -> None:
        try:
            for i in range(offset, len(texts), 4):
                results[i] = model.parse(texts[i])
            model.predict_many(texts)
        except BaseException as error:  # noqa: BLE001 - reported below
            errors.append(error)

    workers = [threading.Thread(target=work, args=(k,)) for k in range(4)]
    for w in workers:
        w.start()
    for w in workers:
        w.join(timeout=120)
    assert not errors and not any(w.is_alive() for w in workers)
    for i in range(len(texts)):
        assert results[i]["intent"]["name"] == expected[i]["intent"]["name"]
        assert results[i]["intent"]["confidence"] == pytest.approx(
            expected[i]["intent"]["confidence"], abs=1e-5)


def test_gate_never_mixes_thread_counts() -> None:
    gate = ThreadGate()
    active: list[int] = []
    lock = threading.Lock()
    mixed: list[list[int]] = []
    previous = torch.get_num_threads()

    def work(threads: int) -> None:
        for _ in range(30):
            with gate.use(threads):
                with lock:
                    active.append(threads)
                    if len(set(active)) > 1:
                        mixed.append(list(active))
                assert torch.get_num_threads() == threads
                with lock:
                    active.remove(threads)

    workers = [threading.Thread(target=work, args=(1 + k % 2,)) for k in range(6)]
    for w in workers:
        w.start()
    for w in workers:
        w.join(timeout=60)
    assert not any(w.is_alive() for w in workers) and mixed == []
    assert torch.get_num_threads() == previous


def test_cli_parse_reads_each_stdin_line_as_text(tiny_model_dir: Path) -> None:
    lines = ["null", "123", '{"a": 1}', "[1, 2]", "", "hello"]
    result = subprocess.run(
        [sys.executable, "-m", "workbench.cli.main", "parse", str(tiny_model_dir)],
        input="\n".join(lines) + "\n", capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    parsed = [json.loads(line) for line in result.stdout.splitlines()]
    assert [p["text"] for p in parsed] == lines
    assert parsed[4]["intent"]["name"] is None
