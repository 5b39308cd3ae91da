"""2-D PCA projections of sentence embeddings for the live scatter plot.

Kept cheap so it can run during training: at most ``MAX_POINTS`` examples (the same
subset at every epoch, so points move rather than jump), and a thin SVD of the centred
``(n, embedding_dim)`` matrix. Component signs are fixed (largest loading positive), so
consecutive projections do not flip.
"""

from __future__ import annotations

import numpy as np

MAX_POINTS = 2000  # the scatter stays readable and the SVD takes milliseconds


def sample_indices(n_examples: int, seed: int, limit: int = MAX_POINTS) -> np.ndarray:
    """Return sorted int64 indices of at most ``limit`` examples (all if fewer)."""
    if n_examples <= limit:
        return np.arange(n_examples, dtype=np.int64)
    rng = np.random.default_rng(seed)
    return np.sort(rng.choice(n_examples, size=limit, replace=False)).astype(np.int64)


def pca_2d(embeddings: np.ndarray) -> np.ndarray:
    """Project embeddings onto their first two principal components.

    Args:
        embeddings: ``(n, dim)`` sentence embeddings.

    Returns:
        float32 ``(n, 2)``; columns are zero where there are fewer than two components.
    """
    x = np.asarray(embeddings, dtype=np.float64)  # (n, dim)
    n = x.shape[0]
    points = np.zeros((n, 2), dtype=np.float32)
    if n < 2 or x.ndim != 2 or x.shape[1] == 0:
        return points
    x = x - x.mean(axis=0, keepdims=True)
    _, _, vt = np.linalg.svd(x, full_matrices=False)  # vt: (components, dim)
    components = vt[:2]  # (k, dim), k <= 2
    signs = np.sign(components[np.arange(len(components)),
                                np.abs(components).argmax(axis=1)])
    signs[signs == 0] = 1.0
    projected = x @ (components * signs[:, None]).T  # (n, k)
    points[:, : projected.shape[1]] = projected
    return points
