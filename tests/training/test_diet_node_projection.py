"""The DIET node projects embeddings from DIET's flat arrays, not from the messages."""

from __future__ import annotations

import dataclasses

import numpy as np
import torch

from tests.training.conftest import tiny_config
from workbench.core.project import load_project
from workbench.nlu.diet.batching import collate_messages
from workbench.nlu.diet.builder import (
    build_model,
    label_matrix_from_data,
    spec_from_data,
)
from workbench.nlu.diet.config import DietConfig
from workbench.nlu.diet.trainer import diet_arrays
from workbench.nlu.pipeline import featurize_training_data
from workbench.training.diet_node import project_embeddings
from workbench.training.projection import pca_2d


def test_projection_from_arrays_equals_the_messages_path(tiny_project):
    snapshot = load_project(tiny_project).snapshot()
    config = tiny_config()
    data = featurize_training_data(snapshot, config).data
    diet = next(step for step in config["pipeline"] if step["name"] == "DIETClassifier")
    diet_config = DietConfig.from_rasa(diet)
    torch.manual_seed(0)
    spec = spec_from_data(data, diet_config)
    model = build_model(diet_config, spec, label_matrix_from_data(data)).eval()
    arrays = diet_arrays(data, diet_config)
    indices = np.array([7, 0, 3, 3, 12, len(data) - 1])
    example_indices = np.asarray(data.example_indices, dtype=np.int64)
    with torch.no_grad():
        expected = model.sentence_embeddings(collate_messages(
            [data.messages[i] for i in indices],
            has_sentence=spec.sentence_dim > 0)).numpy()
    # The node drops the messages once it has the arrays: the projection needs none.
    light = dataclasses.replace(data, messages=(), tag_ids={}, texts=())
    projected = project_embeddings(model, light, arrays, indices, example_indices, 4)
    assert projected is not None and projected.epoch == 4
    np.testing.assert_allclose(projected.points, pca_2d(expected), rtol=1e-5, atol=1e-5)
    assert projected.labels == tuple(data.intent_names[data.intent_ids[i]]
                                     for i in indices)
    assert projected.example_indices.tolist() == example_indices[indices].tolist()
