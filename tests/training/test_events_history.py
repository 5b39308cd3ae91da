"""Events, StopToken, MetricsHistory, run history, terminal reporter (no torch)."""

from __future__ import annotations

import dataclasses
import io
import sys
import threading

import numpy as np
import pytest

from workbench.cli.terminal_reporter import TerminalReporter
from workbench.training.control import StopToken
from workbench.training.events import (
    EmbeddingsProjected,
    EpochCompleted,
    EvaluationCompleted,
    NodeCompleted,
    TrainingFailed,
    TrainingFinished,
    frozen_array,
    frozen_mapping,
)
from workbench.training.metrics import MetricsHistory, eta_seconds
from workbench.training.projection import pca_2d, sample_indices
from workbench.training.run_history import RunHistory


def test_events_module_is_torch_free():
    import subprocess

    code = ("import sys, workbench.training.events, workbench.training.control; "
            "assert 'torch' not in sys.modules")
    subprocess.run([sys.executable, "-c", code], check=True)


def test_event_payloads_are_immutable_copies():
    losses = {"t_loss": np.float32(1.5)}
    event = EpochCompleted(1, 2, frozen_mapping(losses), frozen_mapping({}), 0.1)
    losses["t_loss"] = 9.0
    assert event.losses["t_loss"] == 1.5 and type(event.losses["t_loss"]) is float
    with pytest.raises(TypeError):
        event.losses["t_loss"] = 2.0  # type: ignore[index]
    with pytest.raises(dataclasses.FrozenInstanceError):
        event.epoch = 3  # type: ignore[misc]
    source = np.ones((3, 2))
    projected = EmbeddingsProjected(1, frozen_array(source, np.float32), ("a",) * 3,
                                    frozen_array([0, 1, 2], np.int64))
    source[0, 0] = 5
    assert projected.points[0, 0] == 1.0 and projected.points.dtype == np.float32
    with pytest.raises(ValueError):
        projected.points[0, 0] = 2.0


def test_stop_token_is_thread_safe_and_pausable():
    token = StopToken()
    assert not token() and not token.stop_requested
    token.pause()
    threading.Timer(0.05, token.resume).start()
    assert token() is False  # blocked until resumed
    threading.Timer(0.05, token.request_stop).start()
    assert token.wait(2.0) is True
    assert token() is True and token.is_set()


def test_metrics_history_series_and_eta():
    history = MetricsHistory()
    for epoch in (1, 2):
        history.add(EpochCompleted(epoch, 2, frozen_mapping({"t_loss": 3.0 - epoch}),
                                   frozen_mapping({"i_acc": epoch / 2}), 1.0))
    history.add(EvaluationCompleted(2, frozen_mapping({"i_acc": 0.4})))
    epochs, values = history.series("t_loss")
    assert epochs.tolist() == [1, 2] and values.tolist() == [2.0, 1.0]
    assert history.last("val_i_acc") == 0.4 and history.latest()["i_acc"] == 1.0
    assert eta_seconds([5.0, 1.0, 1.0], 10) == 10.0


def test_run_history_records_running_then_finished(tmp_path):
    history = RunHistory.for_project(tmp_path)
    run_id = history.start(data_fingerprint="d", config_fingerprint="c", device="cpu",
                           seed=1, epochs=2)
    assert history.get(run_id).status == "running"
    history.add_epoch(run_id, 1, 0.5, {"t_loss": 1.0}, {"i_acc": 0.5})
    history.finish(run_id, "finished", wall_seconds=1.2, model_path="/m",
                   final_metrics={"i_acc": 0.5}, nodes_run=("diet",))
    record = RunHistory.for_project(tmp_path).get(run_id)
    overlay = MetricsHistory.from_epoch_rows(record.epoch_metrics)
    assert overlay.series("i_acc")[1].tolist() == [0.5] and len(overlay) == 1
    assert record.status == "finished" and record.model_path == "/m"
    assert record.epoch_metrics[0]["t_loss"] == 1.0 and record.nodes_run == ("diet",)
    assert record.to_json()["started"].endswith("Z")


def test_pca_projection_shapes_and_sign_stability():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(50, 8)) * np.array([5, 2, 1, 1, 1, 1, 1, 1])
    points = pca_2d(x)
    assert points.shape == (50, 2) and points.dtype == np.float32
    assert np.allclose(pca_2d(x), points)
    assert np.var(points[:, 0]) > np.var(points[:, 1])
    assert pca_2d(x[:1]).shape == (1, 2)
    assert sample_indices(10, 0).tolist() == list(range(10))
    picked = sample_indices(5000, 0)
    assert len(picked) == 2000 and np.all(np.diff(picked) > 0)


def test_reporter_prints_nodes_summary_and_model_path_last():
    out, err = io.StringIO(), io.StringIO()
    reporter = TerminalReporter(out, err, progress=False, live=False)
    reporter.handle(NodeCompleted("tokenizer", True, 0.0))
    reporter.handle(NodeCompleted("diet", False, 1.25))
    reporter.handle(EpochCompleted(1, 2, frozen_mapping({}), frozen_mapping({}), 0.1))
    reporter.handle(TrainingFinished("/tmp/model", 2.0, ("diet",), ("tokenizer",)))
    lines = out.getvalue().splitlines()
    assert "tokenizer" in lines[0] and "cached" in lines[0]
    assert "diet" in lines[1] and "ran 1.2s" in lines[1]
    assert not any("epoch" in line for line in lines)  # no progress when not asked
    assert lines[-1] == "/tmp/model"
    reporter.handle(TrainingFailed("only one intent", "Traceback..."))
    assert err.getvalue() == "error: only one intent\n"


def test_reporter_live_bar_redraws_in_place():
    out = io.StringIO()
    reporter = TerminalReporter(out, io.StringIO(), progress=True, live=True)
    reporter.handle(EpochCompleted(2, 2, frozen_mapping({"t_loss": 0.5}),
                                   frozen_mapping({"i_acc": 1.0}), 0.1))
    assert out.getvalue().startswith("\r[") and "epoch 2/2" in out.getvalue()
    assert "i_acc 1.000" in out.getvalue() and "\n" not in out.getvalue()
