"""MetricChart: axes that hold still during a run, legend room, spread first redraw."""

from __future__ import annotations

import pytest

from workbench.qt.widgets.metric_chart import MetricChart, nice_ceiling
from workbench.training.events import EpochCompleted, EvaluationCompleted
from workbench.training.metrics import MetricsHistory


def _epoch(epoch: int, total: int, loss: float) -> EpochCompleted:
    return EpochCompleted(epoch, total, {"t_loss": loss, "i_loss": loss / 2,
                                         "e_loss": loss / 4},
                          {"i_acc": 0.5}, 0.1, epoch * 0.1, 1.0)


@pytest.mark.parametrize(("value", "expected"), [
    (0.0, 1.0), (1.0, 1.0), (1.01, 1.2), (3.3, 4.0), (0.031, 0.04), (87.0, 100.0),
    (float("nan"), 1.0),
])
def test_nice_ceiling(value, expected):
    assert nice_ceiling(value) == pytest.approx(expected)


@pytest.fixture
def chart(qtbot):
    widget = MetricChart("Losses", lambda name: name.endswith("_loss"), legend_rows=4)
    widget.resize(400, 300)
    qtbot.addWidget(widget)
    widget.show()
    return widget


def test_axes_hold_still_while_a_run_goes(chart):
    chart.set_epochs(50)
    history = MetricsHistory()
    ranges = []
    for epoch in range(1, 21):
        history.add(_epoch(epoch, 50, 3.3 / epoch))
        chart.redraw(history)
        ranges.append(chart.plot.getViewBox().viewRange())
    (x_low, x_high), (y_low, y_high) = ranges[0]
    # The x axis spans the whole run from its first epoch; y covers the data in a
    # "nice" step (3.3 -> 4) and does not move while the losses fall inside it.
    assert x_low <= 0 and 50 <= x_high < 52
    assert y_low <= 0 and 4.0 <= y_high < 4.2
    assert all(r == ranges[0] for r in ranges)
    assert len(chart.curves["t_loss"].getData()[0]) == 20


def test_a_larger_value_moves_the_y_axis_one_step(chart):
    chart.set_epochs(10)
    history = MetricsHistory()
    history.add(_epoch(1, 10, 0.9))
    chart.redraw(history)
    assert chart.plot.getViewBox().viewRange()[1][1] < 1.1
    history.add(_epoch(2, 10, 1.7))
    chart.redraw(history)
    assert 2.0 <= chart.plot.getViewBox().viewRange()[1][1] < 2.1


def test_zooming_by_hand_stops_following_until_auto(chart):
    chart.set_epochs(10)
    history = MetricsHistory()
    history.add(_epoch(1, 10, 3.0))
    chart.redraw(history)
    view_box = chart.plot.getViewBox()
    view_box.sigRangeChangedManually.emit([True, True])  # what a wheel zoom emits
    view_box.setRange(xRange=(2, 4), yRange=(0.5, 1), padding=0)
    history.add(_epoch(2, 10, 8.0))
    chart.redraw(history)
    assert view_box.viewRange()[0] == pytest.approx([2, 4])  # left as the user set it
    chart.plot.getPlotItem().autoBtn.clicked.emit(chart.plot.getPlotItem().autoBtn)
    (_x_low, x_high), (_y_low, y_high) = view_box.viewRange()
    assert 10 <= x_high and 8 <= y_high  # following the run again (8.0 in view)
    assert view_box.autoRangeEnabled() == [False, False]


def test_first_redraw_can_be_spread_and_the_legend_keeps_its_room(chart):
    history = MetricsHistory()
    history.add(_epoch(1, 10, 3.0))
    legend_height = chart._legend.height()
    assert chart.redraw(history, new_curves=2) is False
    assert len(chart.curves) == 2
    assert chart.redraw(history, new_curves=2) is True
    assert set(chart.curves) == {"t_loss", "i_loss", "e_loss"}
    assert set(chart.legend_labels) == set(chart.curves)
    assert chart._legend.height() == legend_height  # 3 rows fit the reserved 4


def test_held_out_series_sit_beside_their_training_series(chart):
    history = MetricsHistory()
    history.add(_epoch(1, 10, 3.0))
    history.add(EvaluationCompleted(1, {"val_t_loss": 3.5}))
    chart.redraw(history)
    grid = chart._legend_grid
    position = {name: grid.getItemPosition(grid.indexOf(label))[:2]
                for name, label in chart.legend_labels.items()}
    assert position["val_t_loss"] == (position["t_loss"][0], 1)
    assert "held-out" in chart.legend_labels["val_t_loss"].text()
    assert "held-out" in chart.legend_labels["val_t_loss"].toolTip()


def test_a_fixed_range_chart_returns_to_its_range_after_auto(qtbot):
    chart = MetricChart("Metrics", lambda name: name.endswith("_acc"), (0.0, 1.02))
    qtbot.addWidget(chart)
    chart.set_epochs(10)
    view_box = chart.plot.getViewBox()
    view_box.sigRangeChangedManually.emit([True, True])
    view_box.setRange(yRange=(0.4, 0.6), padding=0)
    chart.plot.getPlotItem().autoBtn.clicked.emit(chart.plot.getPlotItem().autoBtn)
    y_low, y_high = view_box.viewRange()[1]
    assert y_low <= 0.0 and 1.02 <= y_high < 1.1
