"""run_training end to end on the tiny sample project with a tiny DIET (seconds)."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest

from tests.training.conftest import tiny_config
from workbench.core.examples import Example
from workbench.core.project import load_project
from workbench.core.project_edits import add_example, replace_example
from workbench.training.control import StopToken
from workbench.training.events import (
    EmbeddingsProjected,
    EpochCompleted,
    FeaturizationProgress,
    NodeCompleted,
    TrainingCancelled,
    TrainingFailed,
    TrainingFinished,
    TrainingNote,
    TrainingStarted,
)
from workbench.training.run_history import RunHistory
from workbench.training.runner import run_training

FEATURIZERS = {"regex_featurizer", "lexical_syntactic_featurizer", "count_vectors_word",
               "count_vectors_char_wb"}
ALL_NODES = {"tokenizer", *FEATURIZERS, "features", "diet", "synonym_mapper"}


def train(project: Path, snapshot=None, **options):
    """Run training to the end; return (events, final event)."""
    if snapshot is None:
        snapshot = load_project(project).snapshot()
    options.setdefault("config", tiny_config())
    events = list(run_training(snapshot, project_dir=project, device="cpu", **options))
    return events, events[-1]


def test_run_training_event_sequence_and_usable_model(tiny_project):
    events, final = train(tiny_project)
    assert isinstance(final, TrainingFinished), final
    assert isinstance(events[0], TrainingStarted)
    started = events[0]
    assert started.intents == ("ask_price", "goodbye", "greet", "order_pizza")
    assert started.entity_types == ("product", "size") and started.device == "cpu"
    epochs = [e for e in events if isinstance(e, EpochCompleted)]
    assert [e.epoch for e in epochs] == [1, 2] and epochs[-1].total_epochs == 2
    assert "t_loss" in epochs[0].losses and "i_acc" in epochs[0].metrics
    progress = [e for e in events if isinstance(e, FeaturizationProgress)]
    assert progress and progress[-1].done == progress[-1].total == 40
    features_done = next(i for i, e in enumerate(events)
                         if isinstance(e, NodeCompleted) and e.name == "features")
    assert events.index(progress[-1]) < features_done
    nodes = {e.name: e for e in events if isinstance(e, NodeCompleted)}
    assert set(nodes) == ALL_NODES and not any(e.from_cache for e in nodes.values())
    projections = [e for e in events if isinstance(e, EmbeddingsProjected)]
    assert projections and projections[-1].final
    last = projections[-1]
    assert last.points.shape == (len(last.labels), 2)
    assert last.points.dtype == np.float32
    assert set(last.labels) == set(started.intents)
    assert set(final.nodes_run) == ALL_NODES and final.nodes_cached == ()
    assert Path(final.model_path).parent == tiny_project / "models"

    from workbench.nlu.predictor_loader import load_model

    parsed = load_model(final.model_path).parse("hello there")
    assert parsed["intent"]["name"] in started.intents
    assert {r["name"] for r in parsed["intent_ranking"]} == set(started.intents)
    record = RunHistory.for_project(tiny_project).get(final.run_id)
    assert record.status == "finished" and record.model_path == final.model_path
    assert len(record.epoch_metrics) == 2


def test_cache_reuses_what_did_not_change(tiny_project):
    _, first = train(tiny_project)
    assert set(first.nodes_run) == ALL_NODES

    events, again = train(tiny_project)  # nothing changed: all from the cache
    assert again.nodes_run == () and set(again.nodes_cached) == ALL_NODES
    assert not any(isinstance(e, EpochCompleted) for e in events)
    assert any(isinstance(e, EmbeddingsProjected) for e in events)

    _, diet_only = train(tiny_project, config=tiny_config(epochs=3))  # a DIET setting
    assert diet_only.nodes_run == ("diet",)
    assert {"tokenizer", "features", *FEATURIZERS} <= set(diet_only.nodes_cached)

    project = load_project(tiny_project)
    index = project.examples_of("greet")[0]
    replace_example(project, index, Example("hello friend", "greet"))
    _, edited = train(tiny_project, snapshot=project.snapshot(),
                      config=tiny_config(epochs=3))
    assert {"tokenizer", "features", "diet", *FEATURIZERS} <= set(edited.nodes_run)


def test_damaged_cache_entry_is_recomputed(tiny_project):
    train(tiny_project)
    from workbench.training.cache import TrainingCache

    cache = TrainingCache(tiny_project / ".workbench" / "cache")
    features = next(e for e in cache.entries() if e.node == "features")
    data_file = next(p for p in features.path.iterdir() if p.suffix == ".npz")
    data_file.write_bytes(data_file.read_bytes()[: data_file.stat().st_size // 2])
    _, rerun = train(tiny_project, config=tiny_config(epochs=3))
    assert isinstance(rerun, TrainingFinished), rerun
    assert "features" in rerun.nodes_run and "diet" in rerun.nodes_run
    assert "tokenizer" in rerun.nodes_cached


def test_stop_after_first_epoch_cancels_keeps_the_model_so_far_and_cache(tiny_project):
    stop = StopToken()
    events = []
    snapshot = load_project(tiny_project).snapshot()
    for event in run_training(snapshot, config=tiny_config(), project_dir=tiny_project,
                              device="cpu", stop=stop):
        events.append(event)
        if isinstance(event, EpochCompleted):
            stop.request_stop()
    assert isinstance(events[-1], TrainingCancelled), events[-1]
    assert events[-1].epochs_completed == 1
    kept = events[-1].model_path
    assert kept and Path(kept).parent == tiny_project / "models"
    from workbench.nlu.predictor_loader import load_model

    assert load_model(kept).parse("hello")["intent"]["name"]  # a usable model
    record = RunHistory.for_project(tiny_project).runs()[-1]
    assert record.status == "cancelled" and record.model_path == kept
    assert "kept" in (record.message or "")

    _, resumed = train(tiny_project)  # featurization is reused, DIET trains again
    assert "diet" in resumed.nodes_run
    assert {"tokenizer", "features", *FEATURIZERS} <= set(resumed.nodes_cached)


def test_finetune_with_new_intent(tiny_project):
    _, base = train(tiny_project)
    project = load_project(tiny_project)
    for text in ("when do you open", "what are your opening hours", "are you open now",
                 "opening times please"):
        add_example(project, Example(text, "ask_hours"))
    events, tuned = train(tiny_project, snapshot=project.snapshot(),
                          finetune_from=base.model_path, epochs=2)
    assert isinstance(tuned, TrainingFinished), tuned
    assert events[0].finetune_from == base.model_path
    assert "ask_hours" in events[0].intents
    assert not {"regex_featurizer", "count_vectors_word"} & set(tuned.nodes_cached)

    from workbench.nlu.predictor_loader import load_model

    parsed = load_model(tuned.model_path).parse("when are you open")
    assert "ask_hours" in {r["name"] for r in parsed["intent_ranking"]}


@pytest.mark.parametrize(
    ("nlu", "message"),
    [
        ('version: "3.1"\nnlu:\n- intent: greet\n  examples: |\n'
         "    - hi\n    - hello\n", "only one intent"),
        ('version: "3.1"\nnlu: []\n', "no training examples"),
    ],
)
def test_bad_data_fails_with_a_message(make_project, nlu, message):
    root = make_project({"data/nlu.yml": nlu})
    events, final = train(root)
    assert isinstance(final, TrainingFailed) and message in final.message
    assert final.traceback_text == ""


def test_bad_config_value_fails_with_key_name(tiny_project):
    _, final = train(tiny_project, config=tiny_config(epochs=-3))
    assert isinstance(final, TrainingFailed) and "epochs" in final.message


def test_closing_the_generator_marks_the_run_cancelled(tiny_project):
    events = run_training(load_project(tiny_project).snapshot(), config=tiny_config(),
                          project_dir=tiny_project, device="cpu")
    for event in events:
        if isinstance(event, EpochCompleted):
            break
    events.close()  # e.g. the GUI dropped the run
    assert RunHistory.for_project(tiny_project).runs()[-1].status == "cancelled"


def test_unwritable_project_folder_falls_back_to_user_folders(tiny_project, tmp_path):
    (tiny_project / "models").write_text("a file where the models folder should be")
    (tiny_project / ".workbench").write_text("and one where .workbench should be")
    events, final = train(tiny_project)
    assert isinstance(final, TrainingFinished), final
    assert Path(final.model_path).is_relative_to(tmp_path / "user-cache")
    notes = [e.message for e in events if isinstance(e, TrainingNote)]
    assert any("training cache in" in note for note in notes)
    assert any("run history not recorded" in note for note in notes)
    assert any("the model goes to" in note for note in notes)


def test_two_seeded_runs_give_identical_metrics(tiny_project):
    _, first = train(tiny_project, seed=7, cache=None)
    _, second = train(tiny_project, seed=7, cache=None)
    assert set(first.nodes_run) == set(second.nodes_run) == ALL_NODES
    assert dict(first.metrics) == dict(second.metrics)


def test_live_projections_can_be_skipped_without_changing_the_cache_key(tiny_project):
    config = tiny_config(epochs=4)
    events, final = train(tiny_project, config=config, live_projections=False)
    assert isinstance(final, TrainingFinished)
    projections = [e for e in events if isinstance(e, EmbeddingsProjected)]
    assert len(projections) == 1 and projections[0].final  # only the stored one

    again, cached = train(tiny_project, config=config)  # same model: from the cache
    assert "diet" in cached.nodes_cached

    shutil.rmtree(tiny_project / ".workbench")
    events, _ = train(tiny_project, config=config)
    live = [e for e in events if isinstance(e, EmbeddingsProjected) and not e.final]
    assert live  # the default still projects while training


def test_entity_types_annotated_across_commas_are_kept_whole(tiny_project):
    from workbench.core.markup import parse_markup
    from workbench.nlu.predictor_loader import load_model

    project = load_project(tiny_project)
    index = project.examples_of("order_pizza")[0]
    text, spans = parse_markup("one [large, thin](size) margherita please")
    replace_example(project, index, Example(text, "order_pizza", spans))
    events, final = train(tiny_project, snapshot=project.snapshot())
    assert isinstance(final, TrainingFinished), final
    notes = [e.message for e in events if isinstance(e, TrainingNote)]
    assert any("size" in note and "split_entities_by_comma" in note for note in notes)
    model = load_model(final.model_path)
    assert model.config.split_entities_by_comma == {"split_entities_by_comma": True,
                                                    "size": False}

    explicit = tiny_config(split_entities_by_comma=True)
    _, final = train(tiny_project, snapshot=project.snapshot(), config=explicit)
    assert load_model(final.model_path).config.split_entities_by_comma is True


def test_out_of_memory_becomes_a_message_and_a_failed_run(tiny_project, monkeypatch):
    from workbench.training.session import TrainingSession

    def run_out_of_memory(self, *args, **kwargs):
        raise MemoryError()
        yield  # a generator, like the real one

    monkeypatch.setattr(TrainingSession, "run", run_out_of_memory)
    events, final = train(tiny_project)
    assert isinstance(final, TrainingFailed)
    assert "out of memory" in final.message and "batch_size" in final.message
    record = RunHistory.for_project(tiny_project).runs()[-1]
    assert record.status == "failed" and "out of memory" in record.message
    assert not list((tiny_project / "models").glob("*"))  # the empty folder is gone


def test_per_message_features_are_freed_while_diet_trains(tiny_project):
    """DIET trains on its flat arrays; the featurized messages are gone by epoch 1."""
    import gc

    from workbench.nlu.features import MessageFeatures

    alive = []
    snapshot = load_project(tiny_project).snapshot()
    for event in run_training(snapshot, project_dir=tiny_project, device="cpu",
                              config=tiny_config(), force=True):
        if isinstance(event, EpochCompleted):
            gc.collect()
            alive.append(sum(type(o) is MessageFeatures for o in gc.get_objects()))
        final = event
    assert isinstance(final, TrainingFinished), final
    assert alive == [0, 0]
