"""What data DIET can learn intents from: the one check, shared by every entry point.

The training session checks the project's examples before any work starts (so the user
sees the message at once); ``train_diet`` checks the featurized data again for callers
that drive it directly (tests, benchmarks, cross-validation folds).
"""

from __future__ import annotations

from collections.abc import Iterable


def require_two_intents(intents_with_examples: Iterable[str]) -> None:
    """Refuse intent classification with fewer than two intents that have examples.

    Args:
        intents_with_examples: Names of the intents that have at least one example
            (repeats are fine).

    Raises:
        ValueError: Fewer than two distinct intents; the message says what to add.
    """
    intents = sorted(set(intents_with_examples))
    if len(intents) >= 2:
        return
    which = (f"only one intent ('{intents[0]}') has examples" if intents
             else "no intent has examples")
    raise ValueError(
        f"{which}: DIET needs at least 2 intents to learn to tell them apart; add "
        "examples of another intent (or set intent_classification: false to train "
        "entities only)")
