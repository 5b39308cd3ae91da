"""Live embedding projections stay within their share of training time."""

from __future__ import annotations

from workbench.training.diet_node import LIVE_PROJECTION_SHARE, projection_due


def test_first_projection_is_made_on_its_epoch():
    assert projection_due(10, 10, now=5.0, last_end=None, last_cost=0.0)
    assert not projection_due(9, 10, now=5.0, last_end=None, last_cost=0.0)


def test_a_costly_projection_delays_the_next_one():
    cost = 0.5  # seconds the last projection took
    wait = cost / LIVE_PROJECTION_SHARE
    assert not projection_due(20, 10, now=100.0 + wait / 2, last_end=100.0,
                              last_cost=cost)
    assert projection_due(20, 10, now=100.0 + wait, last_end=100.0, last_cost=cost)


def test_cheap_projections_follow_every_tenth_of_the_epochs():
    assert projection_due(20, 10, now=100.1, last_end=100.0, last_cost=0.001)
