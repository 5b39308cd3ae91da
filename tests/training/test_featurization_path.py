"""One featurization path: the graph's nodes and featurize_training_data agree exactly,
and every point the training reports maps to the exact example it came from."""

from __future__ import annotations

import numpy as np

from tests.training.conftest import tiny_config
from workbench.core.examples import Example
from workbench.core.project import load_project
from workbench.core.project_edits import add_example, replace_example
from workbench.nlu.pipeline import PipelineConfig, featurize_training_data
from workbench.training.events import EmbeddingsProjected, TrainingFinished
from workbench.training.fingerprint import data_fingerprints
from workbench.training.graph import GraphExecutor, Node
from workbench.training.nodes import FEATURES, build_graph
from workbench.training.runner import run_training


def _features_from_graph(snapshot, config):
    never = Node("diet", lambda inputs: iter(()), lambda value, folder: None,
                 lambda folder: None, inputs=(FEATURES,))
    spec = build_graph(snapshot, config, data_fingerprints(snapshot), never)
    run = GraphExecutor(spec.nodes, None).value(FEATURES)
    while True:
        try:
            next(run)
        except StopIteration as stop:
            return stop.value


def _same(a, b) -> bool:
    return (a.shape == b.shape and np.array_equal(a.rows, b.rows)
            and np.array_equal(a.cols, b.cols) and np.array_equal(a.vals, b.vals))


def _with_duplicates(project):
    """Same text in two intents, an identical duplicate, an edited example."""
    hello = [e for e in project.examples if e.intent == "greet"][1]
    assert hello is not project.examples[0]
    add_example(project, Example(hello.text, "goodbye"))
    add_example(project, Example(hello.text, "greet"))
    first = project.examples[0]
    replace_example(project, 0, Example(first.text + " please", first.intent,
                                        first.entities))
    return project.snapshot()


def test_graph_and_one_call_featurize_identically(tiny_project):
    snapshot = _with_duplicates(load_project(tiny_project))
    config = PipelineConfig.from_rasa(tiny_config())
    graph = _features_from_graph(snapshot, config)
    direct = featurize_training_data(snapshot, config).data
    assert len(graph) == len(direct) == len(snapshot.examples) - 1
    assert graph.example_indices.tolist() == direct.example_indices.tolist()
    assert np.array_equal(graph.intent_ids, direct.intent_ids)
    assert graph.texts == direct.texts and graph.warnings == direct.warnings
    for mine, theirs in zip(graph.messages, direct.messages, strict=True):
        assert mine.tokens == theirs.tokens
        assert _same(mine.sequence, theirs.sequence)
        assert _same(mine.sentence, theirs.sentence)
    for kind in direct.tag_ids:
        assert all(
            np.array_equal(x, y)
            for x, y in zip(graph.tag_ids[kind], direct.tag_ids[kind], strict=True)
        )


def test_projected_points_map_to_their_exact_examples(tiny_project):
    project = load_project(tiny_project)
    snapshot = _with_duplicates(project)
    duplicate_text = [e for e in snapshot.examples if e.intent == "goodbye"
                      and e.text in {g.text for g in snapshot.examples
                                     if g.intent == "greet"}][0].text
    greets = [i for i, e in enumerate(snapshot.examples)
              if (e.text, e.intent) == (duplicate_text, "greet")]
    assert len(greets) == 2
    for _attempt in range(2):  # trained, then restored from the cache
        events = list(run_training(snapshot, project_dir=tiny_project, device="cpu",
                                   config=tiny_config()))
        assert isinstance(events[-1], TrainingFinished), events[-1]
        final = [e for e in events if isinstance(e, EmbeddingsProjected)][-1]
        indices = final.example_indices.tolist()
        assert len(indices) == len(set(indices)) == len(snapshot.examples) - 1
        assert greets[0] in indices and greets[1] not in indices  # kept once
        for label, index in zip(final.labels, indices, strict=True):
            assert snapshot.examples[index].base_intent == label
        same_text = {snapshot.examples[i].base_intent for i in indices
                     if snapshot.examples[i].text == duplicate_text}
        assert same_text == {"greet", "goodbye"}
