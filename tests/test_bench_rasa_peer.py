"""The Rasa side-by-side benchmark's own plumbing (no Rasa and no training needed)."""

from __future__ import annotations

import importlib
import sys
from pathlib import Path

import pytest

BENCHMARKS = Path(__file__).resolve().parents[1] / "benchmarks"

FAKE_TQDM = """
import sys, time
write = sys.stderr.write
write("loading\\n")
write("\\rEpochs:   0%|  | 0/3 [00:00<?, ?it/s]")
sys.stderr.flush()
for k in (1, 2, 3):
    time.sleep(0.05)
    write("\\rEpochs:  33%|# | " + str(k) + "/3 [00:01<00:02]")
    sys.stderr.flush()
    write("\\rEpochs:  33%|# | " + str(k) + "/3 [00:01<00:02, t_loss=1.0]")
    sys.stderr.flush()
write("\\ndone\\n")
"""


@pytest.fixture
def peer(monkeypatch: pytest.MonkeyPatch):
    """``benchmarks/rasa_peer.py`` imported as a module."""
    monkeypatch.syspath_prepend(str(BENCHMARKS))
    return importlib.import_module("rasa_peer")


def test_rasa_peer_epoch_seconds_from_timestamped_bar(peer) -> None:
    run = peer.TimedRun(10.0, 0, [
        (0.5, "2026-12-05 INFO loading"),
        (1.0, "Epochs:   0%|          | 0/3 [00:00<?, ?it/s]"),
        (31.0, "Epochs:  33%|###3      | 1/3 [00:30<01:00, 30.0s/it]"),
        (31.1, "Epochs:  33%|###3      | 1/3 [00:30<01:00, 30.0s/it, t_loss=9]"),
        (33.0, "Epochs:  67%|######6   | 2/3 [00:32<00:16, 16.0s/it, t_loss=9]"),
        (36.0, "Epochs: 100%|##########| 3/3 [00:35<00:00, 11.7s/it, t_loss=8]"),
    ])
    assert peer.epoch_seconds(run) == pytest.approx([30.0, 2.0, 3.0])


def test_rasa_peer_run_timed_stamps_a_bar_when_it_is_drawn(peer, tmp_path) -> None:
    """tqdm's "\\r<bar>" has no line end: it must get the time it was written."""
    run = peer.run_timed([sys.executable, "-c", FAKE_TQDM], env={}, cwd=tmp_path,
                         log=tmp_path / "log.txt")
    assert run.returncode == 0
    texts = [text for _, text in run.pieces]
    assert texts[0] == "loading" and texts[-1] == "done"
    bars = [(moment, text) for moment, text in run.pieces if text.startswith("Epochs")]
    assert len(bars) == 7
    times = [moment for moment, text in bars if "t_loss" not in text]
    assert times == sorted(times) and times[0] < times[1]  # 0/3 before 1/3
    assert len(peer.epoch_seconds(run)) == 3
    assert "Epochs:   0%" in (tmp_path / "log.txt").read_text()


def test_rasa_peer_without_rasa_is_no_peer(peer, tmp_path) -> None:
    assert peer.resolve(None, None) is None
    with pytest.raises(SystemExit, match="no working Rasa there"):
        peer.resolve(str(tmp_path), None)
    with pytest.raises(SystemExit, match="outside the repository"):
        peer.resolve(None, str(BENCHMARKS / "rasa-venv"))


def test_rasa_peer_finds_only_a_python_rasa_supports(peer) -> None:
    found = peer.find_python()
    if found is not None:
        assert peer._python_version(found) in peer.PYTHONS


def test_rasa_peer_config_is_rasas_default_pipeline(peer, tmp_path) -> None:
    from workbench.nlu.diet.config import DietConfig

    path = peer.write_config(tmp_path / "config.yml", epochs=7, seed=43)
    from ruamel.yaml import YAML

    config = YAML(typ="safe").load(path.read_text())
    names = [c["name"] for c in config["pipeline"]]
    assert names == ["WhitespaceTokenizer", "RegexFeaturizer",
                     "LexicalSyntacticFeaturizer", "CountVectorsFeaturizer",
                     "CountVectorsFeaturizer", "DIETClassifier", "EntitySynonymMapper"]
    diet = DietConfig.from_rasa(config["pipeline"][5])
    assert (diet.epochs, diet.random_seed) == (7, 43)


def test_bench_vs_rasa_subset_keeps_every_intent(peer, datasets_dir, tmp_path) -> None:
    from workbench.core.project import load_project

    bench = importlib.import_module("bench_vs_rasa")
    source = datasets_dir / "financial_demo" / "train.yml"
    target = tmp_path / "nlu.yml"
    target.write_text(bench.subset_yaml(source, 0.25), encoding="utf-8")
    full, part = load_project(source), load_project(target)
    assert {e.intent for e in part.examples} == {e.intent for e in full.examples}
    assert len(part.examples) == pytest.approx(len(full.examples) / 4, rel=0.1)
    assert bench.count_examples(source) == len(full.examples)
    assert "synonym" in target.read_text()
    assert not [i for i in part.load_issues if i.severity == "error"]
