"""Sparse featurizers (one per module), all implementing :class:`Featurizer`."""
