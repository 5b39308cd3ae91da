"""Colours and marker shapes that keep intents apart in the scatter plots.

Twenty colours chosen to be far apart on white (Kelly's contrast set, without white and
black, reordered so neighbouring entries differ most), combined with marker shapes: the
shape changes with every intent and its period (3) is prime to the colour count (20),
so the first 60 intents all get a different (colour, shape) pair and two intents with
similar colours get different shapes. Each further 60 intents use three other shapes:
180 intents look different; beyond that pairs repeat. For 150 intents the legend's
search and "highlight" single one out.
"""

from __future__ import annotations

PALETTE = (
    "#0067a5", "#f38400", "#008856", "#be0032", "#875692", "#c2b280", "#222222",
    "#a1caf1", "#e68fac", "#8db600", "#604e97", "#f3c300", "#882d17", "#2b3d26",
    "#f99379", "#848482", "#b3446c", "#dcd300", "#654522", "#e25822",
)  # fmt: skip
SHAPES = ("o", "s", "t", "d", "t1", "p", "h", "t2", "t3")  # 3 per 60 intents
LABEL_SYMBOL = "star"  # the intents' label embeddings (never used for examples)


def style_of(position: int) -> tuple[str, str]:
    """``(colour, symbol)`` of the intent at ``position`` in the sorted intent list."""
    colour = PALETTE[position % len(PALETTE)]
    cycle = position // (len(PALETTE) * 3)  # every 60 intents, the next 3 shapes
    symbol = SHAPES[(position % 3 + 3 * cycle) % len(SHAPES)]
    return colour, symbol


def styles_for(intents: list[str] | tuple[str, ...]) -> dict[str, tuple[str, str]]:
    """Intent -> ``(colour, symbol)`` by sorted position (stable per project)."""
    return {name: style_of(i) for i, name in enumerate(sorted(set(intents)))}
