"""Training in a child process: events over a pipe, stop, a killed child (Qt-free)."""

from __future__ import annotations

import os
import signal
from pathlib import Path
from types import MappingProxyType

import numpy as np
import pytest
from ruamel.yaml import YAML

from tests.training.conftest import tiny_config
from workbench.core.examples import Example
from workbench.core.project import load_project
from workbench.core.project_edits import add_example
from workbench.training import child_process
from workbench.training.child_process import (
    TrainingProcess,
    TrainingRequest,
    decode_event,
    encode_event,
)
from workbench.training.events import (
    EmbeddingsProjected,
    EpochCompleted,
    TrainingCancelled,
    TrainingFailed,
    TrainingFinished,
    TrainingNote,
    TrainingStarted,
    frozen_array,
    frozen_mapping,
)
from workbench.training.run_history import RunHistory

pytest.importorskip("torch")


@pytest.fixture
def project(tiny_project: Path) -> Path:
    """The tiny project with a tiny DIET in its config.yml (the child reads that)."""
    with (tiny_project / "config.yml").open("w", encoding="utf-8") as handle:
        YAML(typ="safe", pure=True).dump(tiny_config(), handle)
    return tiny_project


def _run(request: TrainingRequest, on_event=None) -> tuple[list, TrainingProcess]:
    process = TrainingProcess(request)
    process.start()
    seen = []
    try:
        for event in process.events():
            seen.append(event)
            if on_event is not None:
                on_event(process, event)
    finally:
        process.close()
    return seen, process


def test_child_process_trains_the_snapshot_with_unsaved_edits(project):
    from workbench.nlu.predictor_loader import load_model

    loaded = load_project(project)
    before = len(loaded.examples)
    add_example(loaded, Example("an unsaved hello from the editor", "greet"))
    seen, process = _run(TrainingRequest(loaded.snapshot(), str(project), epochs=2))

    assert process.exitcode == 0
    assert isinstance(seen[0], TrainingStarted)
    assert seen[0].n_examples + seen[0].n_validation_examples == before + 1
    assert any(isinstance(e, TrainingNote) and "separate process" in e.message
               for e in seen)
    epochs = [e for e in seen if isinstance(e, EpochCompleted)]
    assert [e.epoch for e in epochs] == [1, 2]
    with pytest.raises(TypeError):
        epochs[0].losses["t_loss"] = 0.0  # still a read-only mapping
    projections = [e for e in seen if isinstance(e, EmbeddingsProjected)]
    assert projections and not projections[-1].points.flags.writeable
    finished = seen[-1]
    assert isinstance(finished, TrainingFinished)
    assert isinstance(finished.metrics, MappingProxyType)
    assert load_model(Path(finished.model_path)).parse("hello")["intent"]["name"]
    assert RunHistory.for_project(project).get(finished.run_id).status == "finished"


@pytest.mark.skipif(not hasattr(os, "getpriority"), reason="POSIX priorities")
def test_child_trains_at_a_lower_priority_than_the_window(project):
    loaded = load_project(project)
    seen_nice = []

    def on_event(process, event):
        if isinstance(event, TrainingStarted):
            seen_nice.append(os.getpriority(os.PRIO_PROCESS, process.pid))

    seen, process = _run(TrainingRequest(loaded.snapshot(), str(project), epochs=1),
                         on_event)
    assert isinstance(seen[-1], TrainingFinished)
    own = os.getpriority(os.PRIO_PROCESS, 0)
    assert seen_nice == [min(19, own + child_process.CHILD_NICENESS)]


def test_child_process_stop_keeps_the_model_so_far(project):
    from workbench.nlu.predictor_loader import load_model

    def stop_after_first_epoch(process, event):
        if isinstance(event, EpochCompleted):
            process.request_stop()

    snapshot = load_project(project).snapshot()
    seen, process = _run(TrainingRequest(snapshot, str(project), epochs=500),
                         stop_after_first_epoch)
    cancelled = seen[-1]
    assert isinstance(cancelled, TrainingCancelled)
    assert 1 <= cancelled.epochs_completed < 500 and cancelled.model_path
    assert load_model(Path(cancelled.model_path)).parse("hi")["intent"]["name"]
    assert process.exitcode == 0


def test_killed_child_is_a_training_failed_and_its_run_is_marked(project,
                                                                 monkeypatch):
    child_process.warm_up()  # the next start takes this spare child
    spare = child_process._spare.process.pid
    monkeypatch.setenv("WORKBENCH_CACHE_MB", "0")  # set after the spare started

    def kill_at_first_epoch(process, event):
        if isinstance(event, EpochCompleted) and event.epoch == 1:
            os.kill(process.pid, signal.SIGKILL)

    snapshot = load_project(project).snapshot()
    seen, process = _run(TrainingRequest(snapshot, str(project), epochs=500),
                         kill_at_first_epoch)
    assert process.pid == spare
    assert any(isinstance(e, TrainingNote) and "uncached" in e.message for e in seen)
    failed = seen[-1]
    assert isinstance(failed, TrainingFailed)
    assert "ended unexpectedly" in failed.message and "SIGKILL" in failed.message
    assert process.exitcode == -signal.SIGKILL
    run = RunHistory.for_project(project).get(failed.run_id)
    assert run.status == "failed" and "SIGKILL" in run.message


def test_bad_input_in_the_child_is_a_training_failed(tmp_path):
    root = tmp_path / "one"
    (root / "data").mkdir(parents=True)
    (root / "data" / "nlu.yml").write_text(
        'version: "3.1"\nnlu:\n- intent: greet\n  examples: |\n    - hi\n    - hello\n',
        encoding="utf-8")
    (root / ".workbench").mkdir()
    (root / ".workbench" / "training.json").write_text("{not json", encoding="utf-8")
    seen, process = _run(TrainingRequest(load_project(root).snapshot(), str(root)))
    assert isinstance(seen[-1], TrainingFailed) and "2 intents" in seen[-1].message
    notes = [e.message for e in seen if isinstance(e, TrainingNote)]
    assert any("training.json" in note and "defaults" in note for note in notes)
    assert process.exitcode == 0


def test_event_encoding_keeps_mappings_and_arrays_read_only():
    event = EmbeddingsProjected(3, frozen_array([[0, 1], [2, 3]], np.float32),
                                ("a", "b"), frozen_array([0, 1], np.int64))
    again = decode_event(encode_event(event))
    assert np.array_equal(again.points, event.points) and again.labels == ("a", "b")
    assert not again.points.flags.writeable
    assert not again.example_indices.flags.writeable
    finished = TrainingFinished("m", 1.0, ("diet",), (),
                                frozen_mapping({"i_acc": 1.0, "per": {"x": 0.5}}))
    decoded = decode_event(encode_event(finished))
    assert decoded == finished
    assert isinstance(decoded.metrics, MappingProxyType)
    assert isinstance(decoded.metrics["per"], MappingProxyType)
