"""The embedding map of a model: every example and each intent's label embedding in 2-D.

One ``predict_many`` pass gives each example's sentence embedding, predicted intent and
confidence; the intents' label embeddings (``NluModel.intent_embeddings``) are placed in
the same 2-D space (:func:`project_map`), so an intent's marker sits where the model
puts that intent. Each
example is embedded on its own (no de-duplication): two examples with the same text are
two points, each carrying its own example index. Qt-free; the GUI runs it in a worker.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from workbench.core.examples import RESPONSE_KEY_SEPARATOR
from workbench.training.projection import PCA, pca_2d_with, project_2d

if TYPE_CHECKING:
    from workbench.nlu.predictor_loader import NluModel

NEAREST_FOR_LABELS = 5  # examples whose mean position places a label (t-SNE, UMAP)


@dataclass(frozen=True)
class ModelEmbeddings:
    """What a model says about the examples (projection-independent, cacheable).

    Attributes:
        embeddings: ``(n, E)`` sentence embeddings, one row per example.
        predicted: The predicted intent of each example (``None``: no prediction).
        confidences: ``(n,)`` confidence of the predicted intent.
        intent_names: The model's intents, row order of ``intent_embeddings``.
        intent_embeddings: ``(L, E)`` label embeddings.
    """

    embeddings: np.ndarray
    predicted: tuple[str | None, ...]
    confidences: np.ndarray
    intent_names: tuple[str, ...]
    intent_embeddings: np.ndarray


@dataclass(frozen=True)
class EmbeddingMap:
    """A projected map, ready to draw.

    Attributes:
        example_indices: ``(n,)`` project index of each point.
        texts: Each point's text.
        labels: Each point's true intent.
        predicted: Each point's predicted intent (``None``: none).
        confidences: ``(n,)`` confidence of the prediction.
        points: ``(n, 2)`` projected examples.
        intent_names: Intents with a label marker.
        intent_points: ``(L, 2)`` projected label embeddings.
        method: The projection method used.
        untrained: The embeddings are those of a freshly initialised model.
        model_path: The model the map shows.
    """

    example_indices: np.ndarray
    texts: tuple[str, ...]
    labels: tuple[str, ...]
    predicted: tuple[str | None, ...]
    confidences: np.ndarray
    points: np.ndarray
    intent_names: tuple[str, ...]
    intent_points: np.ndarray
    method: str = PCA
    untrained: bool = False
    model_path: str = ""

    def misclassified(self) -> np.ndarray:
        """``(n,)`` bool: the model predicts another intent than the example's.

        Retrieval intents (``faq/ask_hours``) count as their base intent (``faq``),
        the one DIET trains on.
        """
        return np.array(
            [
                p is not None and p != t.split(RESPONSE_KEY_SEPARATOR, 1)[0]
                for p, t in zip(self.predicted, self.labels, strict=True)
            ],
            dtype=bool,
        )


def embed_examples(model: NluModel, texts: Sequence[str]) -> ModelEmbeddings:
    """Run ``model`` once over ``texts``: embeddings, predictions."""
    predictions = model.predict_many(list(texts))
    dim = max((p.embedding.shape[0] for p in predictions), default=0)
    embeddings = np.zeros((len(predictions), dim), dtype=np.float32)
    for i, p in enumerate(predictions):
        if p.embedding.shape[0] == dim:
            embeddings[i] = p.embedding
    predicted = tuple(p.intent.name if p.intent is not None else None
                      for p in predictions)
    confidences = np.array([p.intent.confidence if p.intent is not None else 0.0
                            for p in predictions], dtype=np.float32)
    label_embeddings = model.intent_embeddings()
    if label_embeddings.shape[1:] != (dim,):
        label_embeddings = np.zeros((0, dim), dtype=np.float32)
    names = tuple(model.intent_names)[: len(label_embeddings)]
    return ModelEmbeddings(embeddings, predicted, confidences, names,
                           label_embeddings)


def project_map(
    embedded: ModelEmbeddings,
    example_indices: Sequence[int],
    texts: Sequence[str],
    labels: Sequence[str],
    method: str = PCA,
    seed: int = 0,
    **info: Any,
) -> EmbeddingMap:
    """Project the examples with ``method`` and place the intents' label markers.

    With PCA the label embeddings go through the same linear map as the examples
    (exactly the same space). t-SNE and UMAP have no map for new points, and label
    embeddings projected together with the sentences form a cluster of their own
    (they differ in scale), so each marker sits among the examples the model finds
    most similar to the label (:func:`place_labels`).
    """
    x = embedded.embeddings
    labels_x = embedded.intent_embeddings.astype(np.float32)
    if method == PCA:
        points, intent_points = pca_2d_with(x, labels_x)
    else:
        points = project_2d(x, method, seed)
        intent_points = place_labels(x, points, labels_x)
    return EmbeddingMap(
        example_indices=np.asarray(example_indices, dtype=np.int64),
        texts=tuple(texts), labels=tuple(labels), predicted=embedded.predicted,
        confidences=embedded.confidences, points=points,
        intent_names=embedded.intent_names, intent_points=intent_points,
        method=method, **info,
    )  # fmt: skip


def place_labels(
    embeddings: np.ndarray,
    points: np.ndarray,
    label_embeddings: np.ndarray,
    k: int = NEAREST_FOR_LABELS,
) -> np.ndarray:
    """Put each label at the mean 2-D position of its ``k`` most similar examples.

    Similarity is the dot product, as DIET ranks intents by it (``(L, 2)`` result;
    zeros when there are no examples).
    """
    n_labels = len(label_embeddings)
    out = np.zeros((n_labels, 2), dtype=np.float32)
    if len(embeddings) == 0 or n_labels == 0:
        return out
    sims = label_embeddings @ embeddings.T  # (L, n)
    k = min(k, len(embeddings))
    nearest = np.argpartition(-sims, k - 1, axis=1)[:, :k]  # (L, k)
    return points[nearest].mean(axis=1).astype(np.float32)
