"""Rasa's stratified hold-out split (``evaluate_on_number_of_examples``)."""

from __future__ import annotations

import numpy as np


def holdout_split(labels: np.ndarray, n_holdout: int,
                  seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Split example indices into (train, hold-out), stratified by label.

    Labels with a single example stay in the training part, as in Rasa.

    Raises:
        ValueError: ``n_holdout`` is smaller than the number of splittable labels,
            or leaves no training example for some label.
    """
    from sklearn.model_selection import train_test_split

    labels = np.asarray(labels)
    unique, counts = np.unique(labels, return_counts=True)
    single = np.isin(labels, unique[counts == 1])
    candidates = np.flatnonzero(~single)
    n_classes = int((counts > 1).sum())
    key = "evaluate_on_number_of_examples"
    if n_holdout < n_classes:
        raise ValueError(f"DIETClassifier option '{key}' ({n_holdout}) must be at "
                         f"least the number of intents with 2+ examples ({n_classes}).")
    if len(candidates) - n_holdout < n_classes:
        raise ValueError(f"DIETClassifier option '{key}' ({n_holdout}) leaves too few "
                         "training examples; lower it.")
    train, held = train_test_split(candidates, test_size=n_holdout, random_state=seed,
                                   stratify=labels[candidates])
    train = np.sort(np.concatenate([train, np.flatnonzero(single)]))
    return train, np.sort(held)
