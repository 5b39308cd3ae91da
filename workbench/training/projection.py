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
    return pca_2d_with(embeddings, np.zeros((0, 0)))[0]


def pca_2d_with(embeddings: np.ndarray, others: np.ndarray
                ) -> tuple[np.ndarray, np.ndarray]:
    """PCA of ``embeddings`` (as :func:`pca_2d`), and ``others`` through the same map.

    Returns:
        float32 ``(n, 2)`` and ``(m, 2)``; ``others`` of another width give zeros.
    """
    x = np.asarray(embeddings, dtype=np.float64)  # (n, dim)
    y = np.asarray(others, dtype=np.float64)  # (m, dim)
    n = x.shape[0] if x.ndim == 2 else 0
    m = y.shape[0] if y.ndim == 2 else 0
    points = np.zeros((n, 2), dtype=np.float32)
    moved = np.zeros((m, 2), dtype=np.float32)
    if n < 2 or x.ndim != 2 or x.shape[1] == 0:
        return points, moved
    mean = x.mean(axis=0, keepdims=True)
    x = x - mean
    _, _, vt = np.linalg.svd(x, full_matrices=False)  # vt: (components, dim)
    components = vt[:2]  # (k, dim), k <= 2
    signs = np.sign(components[np.arange(len(components)),
                                np.abs(components).argmax(axis=1)])
    signs[signs == 0] = 1.0
    axes = (components * signs[:, None]).T  # (dim, k)
    projected = x @ axes  # (n, k)
    points[:, : projected.shape[1]] = projected
    if m and y.ndim == 2 and y.shape[1] == x.shape[1]:
        moved[:, : projected.shape[1]] = (y - mean) @ axes
    return points, moved


# -- projection methods for the embedding map -------------------------------------
PCA, TSNE, UMAP = "pca", "tsne", "umap"
METHOD_NAMES = {PCA: "PCA", TSNE: "t-SNE", UMAP: "UMAP"}


def available_methods() -> list[str]:
    """Projection methods usable here: PCA, t-SNE, and UMAP when ``umap`` imports."""
    methods = [PCA, TSNE]
    try:
        import umap  # noqa: F401  (optional; never a dependency)
    except Exception:  # noqa: BLE001 - missing or broken: just not offered
        return methods
    return [*methods, UMAP]


def project_2d(embeddings: np.ndarray, method: str = PCA, seed: int = 0) -> np.ndarray:
    """Project ``(n, dim)`` embeddings to ``(n, 2)`` float32 with ``method``.

    t-SNE and UMAP are seeded (the same input gives the same picture). Degenerate
    inputs (fewer than 3 rows, zero width, non-finite values) fall back to PCA of the
    finite part, so a tiny project still draws.

    Raises:
        ValueError: ``method`` is unknown or not installed (the message lists those
            that are).
    """
    if method not in METHOD_NAMES or method not in available_methods():
        raise ValueError(f"unknown projection method {method!r}; use one of "
                         f"{', '.join(available_methods())}")
    x = np.nan_to_num(np.asarray(embeddings, dtype=np.float32),
                      nan=0.0, posinf=0.0, neginf=0.0)
    n = x.shape[0] if x.ndim == 2 else 0
    if x.ndim != 2:
        return np.zeros((n, 2), np.float32)
    if method == PCA or n < 4 or x.shape[1] == 0 or not np.ptp(x, axis=0).any():
        return pca_2d(x)  # PCA, or nothing to separate (all points alike)
    if method == TSNE:
        from sklearn.manifold import TSNE as _TSNE

        perplexity = float(min(30.0, max(1.0, (n - 1) / 3.0)))
        init = "pca" if x.shape[1] >= 2 else "random"
        tsne = _TSNE(n_components=2, perplexity=perplexity, init=init,
                     random_state=seed, max_iter=500)
        return np.asarray(tsne.fit_transform(x), dtype=np.float32)
    import umap

    neighbours = int(min(15, n - 1))
    reducer = umap.UMAP(n_components=2, n_neighbors=neighbours, random_state=seed)
    return np.asarray(reducer.fit_transform(x), dtype=np.float32)


def points_in_polygon(points: np.ndarray, polygon: np.ndarray) -> np.ndarray:
    """Boolean mask of the ``(n, 2)`` points inside ``polygon`` (``(m, 2)``, closed).

    Even-odd ray casting, vectorised over points (one pass per edge): 20,000 points and
    a few hundred lasso vertices take milliseconds.
    """
    pts = np.asarray(points, dtype=np.float64).reshape(-1, 2)
    poly = np.asarray(polygon, dtype=np.float64).reshape(-1, 2)
    inside = np.zeros(len(pts), dtype=bool)
    if len(poly) < 3 or len(pts) == 0:
        return inside
    x, y = pts[:, 0], pts[:, 1]
    x1, y1 = poly[:, 0], poly[:, 1]
    x2, y2 = np.roll(x1, -1), np.roll(y1, -1)
    for ax, ay, bx, by in zip(x1, y1, x2, y2, strict=True):
        crosses = (ay > y) != (by > y)
        if not crosses.any():
            continue
        with np.errstate(divide="ignore", invalid="ignore"):
            at_x = ax + (y - ay) * (bx - ax) / (by - ay)
        inside ^= crosses & (x < at_x)
    return inside
