"""Projection methods for the embedding map; the map of a real trained model."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest

from tests.training.conftest import TINY, tiny_config
from workbench.core.project import load_project
from workbench.training.embedding_map import (
    EmbeddingMap,
    embed_examples,
    project_map,
)
from workbench.training.projection import (
    PCA,
    TSNE,
    available_methods,
    points_in_polygon,
    project_2d,
)


def _clusters(n_per: int = 30, k: int = 6, dim: int = 16, seed: int = 0):
    rng = np.random.default_rng(seed)
    centres = rng.normal(scale=10.0, size=(k, dim))
    x = np.concatenate([c + rng.normal(size=(n_per, dim)) for c in centres])
    return x.astype(np.float32), np.repeat(np.arange(k), n_per)


def _neighbour_purity(points: np.ndarray, labels: np.ndarray) -> float:
    d = ((points[:, None] - points[None]) ** 2).sum(-1)
    np.fill_diagonal(d, np.inf)
    return float((labels[d.argmin(1)] == labels).mean())


@pytest.mark.parametrize("method", available_methods())
def test_each_method_projects_to_2d_and_keeps_clusters_apart(method: str) -> None:
    x, labels = _clusters()
    points = project_2d(x, method, seed=1)
    assert points.shape == (len(x), 2) and points.dtype == np.float32
    assert np.isfinite(points).all()
    assert _neighbour_purity(points, labels) > 0.9


def test_tsne_is_seeded() -> None:
    x, _ = _clusters(n_per=10, k=3)
    assert np.array_equal(project_2d(x, TSNE, seed=4), project_2d(x, TSNE, seed=4))


def test_unknown_method_is_refused_with_the_choices() -> None:
    with pytest.raises(ValueError, match="pca, tsne"):
        project_2d(np.zeros((5, 3)), "mds")
    if "umap" not in available_methods():
        with pytest.raises(ValueError, match="unknown projection method 'umap'"):
            project_2d(np.zeros((5, 3)), "umap")


@pytest.mark.parametrize("method", [PCA, TSNE])
@pytest.mark.parametrize("shape", [(0, 4), (1, 4), (2, 4), (3, 4), (6, 0), (8, 1)])
def test_degenerate_inputs_draw_without_error(method: str, shape) -> None:
    points = project_2d(np.ones(shape, np.float32), method)
    assert points.shape == (shape[0], 2) and np.isfinite(points).all()


def test_non_finite_embeddings_do_not_poison_the_projection() -> None:
    x, _ = _clusters(n_per=5, k=2)
    x[0, 0], x[1, 1], x[2, 2] = np.nan, np.inf, -np.inf
    for method in (PCA, TSNE):
        assert np.isfinite(project_2d(x, method)).all()


def test_points_in_polygon_box_concave_lasso_and_degenerate() -> None:
    pts = np.array([[0.5, 0.5], [1.5, 0.5], [0.5, 1.5], [1.5, 1.5], [3.0, 3.0]])
    square = np.array([[0, 0], [2, 0], [2, 2], [0, 2]])
    assert points_in_polygon(pts, square).tolist() == [True] * 4 + [False]
    ell = np.array([[0, 0], [2, 0], [2, 1], [1, 1], [1, 2], [0, 2]])  # no top right
    assert points_in_polygon(pts, ell).tolist() == [True, True, True, False, False]
    assert not points_in_polygon(pts, square[:2]).any()  # a line selects nothing
    assert points_in_polygon(np.zeros((0, 2)), square).shape == (0,)


# -- the map of a trained model -----------------------------------------------------
@pytest.fixture(scope="module")
def tiny_model(tmp_path_factory: pytest.TempPathFactory):
    """A tiny project trained for a few epochs, and its loaded model."""
    from workbench.nlu.predictor_loader import load_model
    from workbench.training.active_model import active_model
    from workbench.training.events import TrainingFinished
    from workbench.training.runner import run_training

    root = tmp_path_factory.mktemp("map") / "tiny"
    if not TINY.is_dir():
        pytest.skip(f"sample project missing: {TINY}")
    shutil.copytree(TINY, root)
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("XDG_CACHE_HOME", str(root.parent / "user-cache"))
        events = list(run_training(load_project(root).snapshot(),
                                   config=tiny_config(epochs=10), project_dir=root,
                                   seed=3, device="cpu"))
    assert isinstance(events[-1], TrainingFinished), events[-1]
    path = active_model(root)
    assert path is not None
    return load_project(root), load_model(path), Path(path)


def _map(project, model, method=PCA, texts=None) -> EmbeddingMap:
    examples = project.examples
    texts = texts if texts is not None else [e.text for e in examples]
    embedded = embed_examples(model, texts)
    return project_map(embedded, range(len(texts)), texts,
                       [e.intent for e in examples][: len(texts)], method)


def test_map_has_one_point_per_example_and_one_marker_per_intent(tiny_model) -> None:
    project, model, _path = tiny_model
    m = _map(project, model)
    assert m.points.shape == (len(project.examples), 2)
    assert list(m.example_indices) == list(range(len(project.examples)))
    assert set(m.intent_names) == {e.intent for e in project.examples}
    assert m.intent_points.shape == (len(m.intent_names), 2)
    assert model.intent_embeddings().shape == (len(model.intent_names),
                                               model.embed(["hi"]).shape[1])
    # The prediction of each point is the model's own prediction of its text.
    first = model.predict(project.examples[0].text)
    assert m.predicted[0] == first.intent.name
    assert m.confidences[0] == pytest.approx(first.intent.confidence, abs=1e-5)
    wrong = m.misclassified()
    assert wrong.tolist() == [
        p != t for p, t in zip(m.predicted, m.labels, strict=True)
    ]


def test_duplicate_texts_are_separate_points(tiny_model) -> None:
    project, model, _path = tiny_model
    text = project.examples[0].text
    m = _map(project, model, texts=[text, text, project.examples[1].text])
    assert len(m.points) == 3 and list(m.example_indices) == [0, 1, 2]
    assert np.allclose(m.points[0], m.points[1])


def test_switching_method_reprojects_the_same_embeddings(tiny_model) -> None:
    project, model, _path = tiny_model
    embedded = embed_examples(model, [e.text for e in project.examples])
    texts = [e.text for e in project.examples]
    labels = [e.intent for e in project.examples]
    pca = project_map(embedded, range(len(texts)), texts, labels, PCA)
    tsne = project_map(embedded, range(len(texts)), texts, labels, TSNE)
    assert tsne.method == TSNE and tsne.points.shape == pca.points.shape
    assert not np.allclose(tsne.points, pca.points)
    assert tsne.predicted == pca.predicted


def test_untrained_model_has_the_same_shape_and_other_embeddings(tiny_model) -> None:
    project, model, _path = tiny_model
    texts = [e.text for e in project.examples[:5]]
    fresh = model.untrained(seed=0)
    trained_emb, fresh_emb = model.embed(texts), fresh.embed(texts)
    assert fresh_emb.shape == trained_emb.shape
    assert not np.allclose(fresh_emb, trained_emb)
    assert np.allclose(fresh_emb, model.untrained(seed=0).embed(texts))  # seeded
    assert fresh.intent_embeddings().shape == model.intent_embeddings().shape
    # The trained model's predictions are untouched by building an untrained one.
    assert np.allclose(model.embed(texts), trained_emb)


def test_misclassified_counts_retrieval_intents_by_their_base() -> None:
    m = EmbeddingMap(np.arange(3), ("a", "b", "c"), ("faq/hours", "faq/price", "greet"),
                     ("faq", "greet", None), np.ones(3), np.zeros((3, 2)), (),
                     np.zeros((0, 2)))
    assert m.misclassified().tolist() == [False, True, False]


def test_pca_puts_labels_through_the_same_map() -> None:
    from workbench.training.projection import pca_2d, pca_2d_with

    x, _ = _clusters(n_per=10, k=3)
    points, moved = pca_2d_with(x, x[[0, 15]])
    assert np.allclose(points, pca_2d(x)) and np.allclose(moved, points[[0, 15]])
    assert pca_2d_with(x, np.ones((2, 3)))[1].tolist() == [[0, 0], [0, 0]]  # width


@pytest.mark.parametrize("method", available_methods())
def test_label_markers_sit_among_their_intents_examples(method: str) -> None:
    from workbench.training.embedding_map import ModelEmbeddings

    x, labels = _clusters(n_per=20, k=4)
    centres = np.stack([x[labels == k].mean(0) for k in range(4)])
    names = tuple(f"i{k}" for k in range(4))
    embedded = ModelEmbeddings(x, tuple(names[k] for k in labels),
                               np.ones(len(x), np.float32), names, centres)
    m = project_map(embedded, range(len(x)), [""] * len(x),
                    [names[k] for k in labels], method)
    assert m.intent_points.shape == (4, 2)
    for k in range(4):
        d = ((m.points - m.intent_points[k]) ** 2).sum(1)
        assert labels[np.argsort(d)[:5]].tolist() == [k] * 5, (method, k)


def test_tsne_of_a_single_varying_column() -> None:
    x = np.arange(12, dtype=np.float32).reshape(12, 1)
    assert np.isfinite(project_2d(x, TSNE)).all()


def test_a_project_without_examples_gives_an_empty_map(tiny_model) -> None:
    _project, model, _path = tiny_model
    embedded = embed_examples(model, [])
    for method in (PCA, TSNE):
        m = project_map(embedded, [], [], [], method)
        assert m.points.shape == (0, 2) and m.misclassified().shape == (0,)
