"""The Train tab's embedding scatter: points per intent, hover text, click to jump."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import QPointF, Qt

from workbench.core.project_edits import remove_examples
from workbench.training.events import EmbeddingsProjected, frozen_array

TEXTS = [f"example number {i}" for i in range(9)]


def _projection(epoch: int, final: bool = False, shift: float = 0.0):
    """Three intents (2, 3 and 4 points) on separate spots of the plane."""
    labels = ("greet",) * 2 + ("order",) * 3 + ("bye",) * 4
    points = np.array(
        [[i * 1.0 + shift, (i % 3) * 2.0] for i in range(len(labels))], np.float32
    )
    return EmbeddingsProjected(
        epoch, frozen_array(points, np.float32), labels,
        frozen_array(np.arange(len(labels)), np.int64), final,
    )  # fmt: skip


@pytest.fixture
def view(qtbot):
    from workbench.qt.views.embedding_view import EmbeddingView

    widget = EmbeddingView(lambda i: TEXTS[i] if 0 <= i < len(TEXTS) else None)
    qtbot.addWidget(widget)
    widget.resize(500, 400)
    widget.show()
    qtbot.waitExposed(widget)
    return widget


class _FakeMouseEvent:
    """Just what ScatterPlotItem's hover/click handlers read from an event."""

    exit = False

    def __init__(self, pos: QPointF) -> None:
        self._pos = pos

    def pos(self) -> QPointF:
        return self._pos

    def button(self) -> Qt.MouseButton:
        return Qt.MouseButton.LeftButton

    def accept(self) -> None:
        pass

    def ignore(self) -> None:
        pass


def test_group_by_label_splits_points_per_intent():
    from workbench.qt.views.embedding_view import group_by_label

    event = _projection(1)
    groups = group_by_label(event.points, event.labels, event.example_indices)
    assert list(groups) == ["bye", "greet", "order"]
    points, indices = groups["order"]
    assert points.shape == (3, 2) and list(indices) == [2, 3, 4]


def test_one_scatter_item_per_intent_with_stable_colours(view):
    view.show_projection(_projection(3))
    assert {n: len(item.data) for n, item in view.items.items()} == {
        "greet": 2, "order": 3, "bye": 4,
    }  # fmt: skip
    items = dict(view.items)
    colours = {name: view.colour_of(name) for name in items}
    assert len(set(colours.values())) == 3
    assert "epoch 3" in view.title.text
    # A second update reuses the items (setData) and keeps every intent's colour.
    view.show_projection(_projection(6, final=True, shift=5.0))
    assert view.items == items
    assert {name: view.colour_of(name) for name in items} == colours
    assert all(
        item.opts["brush"].color().name() == colours[name]
        for name, item in view.items.items()
    )
    x, _y = view.items["greet"].getData()
    assert list(x) == [5.0, 6.0]
    title = view.title.text
    assert "epoch 6" in title and "final" in title
    legend = {label.text for _sample, label in view.legend.items}
    assert legend == {"greet", "order", "bye"}
    # A new training empties the plot.
    view.clear()
    assert view.items == {} and view.legend.items == []


def test_click_on_a_point_emits_its_example_index(qtbot, view):
    view.show_projection(_projection(1))
    item = view.items["order"]
    spot = item.points()[1]  # the second "order" point: example 3
    with qtbot.waitSignal(view.example_activated) as activated:
        item.mouseClickEvent(_FakeMouseEvent(spot.pos()))
    assert activated.args == [3]


def test_hover_tooltip_shows_intent_and_example_text(qtbot, view):
    view.show_projection(_projection(1))
    qtbot.wait(10)  # let the view box range to the points
    item = view.items["bye"]
    spot = item.points()[0]  # example 5
    item.hoverEvent(_FakeMouseEvent(spot.pos()))
    tip = item.getViewBox().toolTip()
    assert "bye" in tip and TEXTS[5] in tip
    assert view.tooltip("greet", 99) == "greet\n(example 99)"  # text unknown


def test_out_of_range_example_index_does_nothing(window):
    window.tabs.setCurrentWidget(window.train_view)
    window.train_view.example_activated.emit(10_000)
    assert window.tabs.currentWidget() is window.train_view


def test_training_shows_embeddings_and_click_jumps_to_example(qtbot, tiny_window):
    view = tiny_window.train_view
    view.epochs_box.setValue(2)
    with qtbot.waitSignal(view.model_trained, timeout=180_000):
        assert view.start_training()
    qtbot.waitUntil(lambda: view.train_button.isEnabled(), timeout=30_000)
    scatter = view.embedding_view
    project = tiny_window.session.project
    assert set(scatter.items) == set(project.intents)
    assert sum(len(item.data) for item in scatter.items.values()) > 0
    assert "final" in scatter.title.text
    # Each point's tooltip is its own example's text.
    intent, item = next(iter(scatter.items.items()))
    index = int(item.points()[0].data())
    assert project.examples[index].intent == intent
    assert project.examples[index].text in scatter.tooltip(intent, index)
    # A click goes through TrainView to the examples table.
    tiny_window.tabs.setCurrentWidget(view)
    qtbot.wait(50)  # lay out and paint the now visible plot (spot sizes, pixels)
    with qtbot.waitSignal(view.example_activated) as activated:
        item.mouseClickEvent(_FakeMouseEvent(item.points()[0].pos()))
    clicked = activated.args[0]  # the topmost spot there (points may overlap)
    assert project.examples[clicked].intent == intent
    assert tiny_window.tabs.currentWidget() is tiny_window.examples_view
    editor = tiny_window.examples_view.editor
    assert editor.current_example() is project.examples[clicked]
    # The project changes after training: a click still finds its example by value,
    # and an example that is gone only says so.
    trained = project.examples[clicked]
    other = 0 if clicked != 0 else 1
    remove_examples(project, [other])
    now = project.examples.index(trained)
    with qtbot.waitSignal(view.example_activated) as moved:
        view._on_point_clicked(clicked)
    assert moved.args[0] == now
    remove_examples(project, [now])
    with qtbot.assertNotEmitted(view.example_activated):
        view._on_point_clicked(clicked)
    assert "edited or removed since training" in view.status.text()
