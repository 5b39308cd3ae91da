"""The Map tab: the active model's embedding map, linked both ways to the editor."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest
from PySide6.QtCore import QPointF, Qt

from tests.gui.conftest import TINY
from tests.gui.test_embedding_view import _FakeMouseEvent

MAP_TIMEOUT = 60_000


@pytest.fixture(scope="module")
def trained_tiny(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The tiny project with one finished run (its model is the active one)."""
    pytest.importorskip("torch")
    if not TINY.is_dir():
        pytest.skip(f"sample project missing: {TINY}")
    from tests.training.conftest import tiny_config
    from workbench.core.project import load_project
    from workbench.training.events import TrainingFinished
    from workbench.training.runner import run_training

    root = tmp_path_factory.mktemp("map") / "tiny"
    shutil.copytree(TINY, root)
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("XDG_CACHE_HOME", str(root.parent / "user-cache"))
        events = list(run_training(load_project(root).snapshot(),
                                   config=tiny_config(epochs=10), project_dir=root,
                                   seed=3, device="cpu"))
    assert isinstance(events[-1], TrainingFinished), events[-1]
    return root


@pytest.fixture
def map_window(qtbot, settings_store, prompter, trained_tiny, tmp_path):
    """A window on a copy of the trained project, Map tab shown and drawn."""
    from workbench.qt.main_window import MainWindow

    root = tmp_path / "tiny"
    shutil.copytree(trained_tiny, root, symlinks=True)
    win = MainWindow(settings_store=settings_store, prompter=prompter)
    qtbot.addWidget(win)
    win.open_project(root)
    win.resize(1100, 700)
    win.show()
    with qtbot.waitSignal(win.map_view.computed, timeout=MAP_TIMEOUT):
        win.tabs.setCurrentWidget(win.map_view)
    yield win
    win.discard_and_close()


def _recomputed(qtbot, win, action) -> None:
    with qtbot.waitSignal(win.map_view.computed, timeout=MAP_TIMEOUT):
        action()


def test_map_shows_one_point_per_example_and_one_marker_per_intent(map_window):
    project = map_window.session.project
    scatter = map_window.map_view.scatter
    assert len(scatter.points.data) == len(project.examples)
    assert sorted(scatter.points.data["data"]) == list(range(len(project.examples)))
    assert len(scatter.labels.data) == len(set(project.intents))
    assert set(scatter.map.intent_names) == set(project.intents)
    assert set(scatter.legend.names()) == set(project.intents)
    # Every point carries its own example's intent and colour.
    for spot in scatter.points.points():
        row = int(spot.data())
        example = project.examples[int(scatter.map.example_indices[row])]
        assert scatter.map.labels[row] == example.intent
        assert spot.brush().color().name() == scatter.styles[example.intent][0]
    tip = scatter.tooltip(0)
    assert project.examples[0].text in tip and "true: " in tip and "predicted: " in tip


def test_click_selects_the_exact_example_when_two_share_a_text(qtbot, map_window):
    from workbench.core.examples import Example

    session = map_window.session
    project = session.project
    first = project.examples[0]
    twin_intent = next(i for i in project.intents if i != first.intent)
    _recomputed(qtbot, map_window,
                lambda: session.add_example(Example(first.text, twin_intent)))
    twin = next(i for i, e in enumerate(project.examples)
                if e.text == first.text and e.intent == twin_intent)
    original = next(i for i, e in enumerate(project.examples) if e is first)
    scatter = map_window.map_view.scatter
    spots = {int(scatter.map.example_indices[int(s.data())]): s
             for s in scatter.points.points()}
    assert spots[twin].pos() == spots[original].pos()  # the same text, same place
    qtbot.wait(50)  # lay out and paint (spot sizes in pixels)
    scatter.points.mouseClickEvent(_FakeMouseEvent(spots[twin].pos()))
    clicked = map_window.examples_view.selected_rows()
    assert len(clicked) == 1 and clicked[0] in (twin, original)
    assert map_window.tabs.currentWidget() is map_window.examples_view
    editor = map_window.examples_view.editor
    assert editor.current_example() is project.examples[clicked[0]]
    # Each of the twins is reachable: the other one by its own point's index.
    other = original if clicked[0] == twin else twin
    map_window.tabs.setCurrentWidget(map_window.map_view)
    map_window.map_view._on_point_clicked(other)
    assert map_window.examples_view.selected_rows() == [other]
    assert editor.current_example() is project.examples[other]


class _Drag:
    """What SelectViewBox.mouseDragEvent reads from a drag event (scene positions)."""

    def __init__(self, vb, down, pos, first: bool, last: bool) -> None:
        self._vb, self._down, self._pos = vb, down, pos
        self._first, self._last = first, last

    def button(self):
        return Qt.MouseButton.LeftButton

    def accept(self):
        pass

    def isStart(self):  # noqa: N802 (pyqtgraph's naming)
        return self._first

    def isFinish(self):  # noqa: N802
        return self._last

    def pos(self):
        return self._vb.mapFromScene(self._pos)

    def buttonDownPos(self):  # noqa: N802
        return self._vb.mapFromScene(self._down)


def _drag(qtbot, scatter, corners: list[tuple[float, float]]) -> None:
    """Drag through ``corners`` (data coordinates) with the left button."""
    vb = scatter.view_box
    scene = [vb.mapViewToScene(QPointF(x, y)) for x, y in corners]
    with qtbot.waitSignal(scatter.selection_changed):
        for i, pos in enumerate(scene):
            vb.mouseDragEvent(_Drag(vb, scene[0], pos, i == 0, i == len(scene) - 1))


def test_lasso_move_is_one_undo_step(qtbot, map_window, prompter):
    view = map_window.map_view
    scatter = view.scatter
    project = map_window.session.project
    before = list(project.examples)
    view.mode_box.setCurrentIndex(view.mode_box.findData("lasso"))
    assert scatter.view_box.mode == "lasso"
    qtbot.wait(50)
    (x0, x1), (y0, y1) = scatter.view_box.viewRange()
    # A lasso around the lower-left triangle of the view, drawn through 5 points.
    ax, ay, bx, by = x0 - 1, y0 - 1, (x0 + x1) / 2, (y0 + y1) / 2
    _drag(qtbot, scatter, [(ax, ay), ((ax + bx) / 2, ay), (bx, ay),
                           ((ax + bx) / 2, (ay + by) / 2), (ax, by)])
    pts = scatter.map.points
    inside = ((pts[:, 0] - ax) / (bx - ax) + (pts[:, 1] - ay) / (by - ay)) < 1
    chosen = sorted(int(i) for i in scatter.map.example_indices[inside])
    assert chosen and scatter.selected_examples() == chosen
    assert view.move_button.isEnabled()
    target = next(i for i in project.intents
                  if any(project.examples[c].intent != i for c in chosen))
    depth = map_window.session.history.stack.count()
    prompter.answers.append(target)
    _recomputed(qtbot, map_window, view.move_selection)
    assert map_window.session.history.stack.count() == depth + 1
    assert all(project.examples[i].intent == target for i in chosen)
    # The map shows the new intents at the same places.
    assert all(scatter.map.labels[scatter._row_of[i]] == target for i in chosen)
    assert np.array_equal(scatter.map.points, pts)
    _recomputed(qtbot, map_window, map_window.session.history.stack.undo)
    assert list(project.examples) == before


def test_box_drag_selects_the_points_inside(qtbot, map_window):
    view = map_window.map_view
    scatter = view.scatter
    view.mode_box.setCurrentIndex(view.mode_box.findData("box"))
    qtbot.wait(50)
    (x0, x1), (y0, y1) = scatter.view_box.viewRange()
    cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
    _drag(qtbot, scatter, [(x0 - 1, y0 - 1), (cx, cy)])
    pts = scatter.map.points
    inside = (pts[:, 0] <= cx) & (pts[:, 1] <= cy)
    expected = sorted(int(i) for i in scatter.map.example_indices[inside])
    assert expected and scatter.selected_examples() == expected
    # "Open in table" selects the same examples there.
    view.open_selection_in_table()
    assert map_window.examples_view.selected_rows() == expected
    # ... and a table selection rings its points on the map.
    map_window.examples_view.select_example(expected[0])
    assert scatter.selected_examples() == [expected[0]]


def test_delete_selection_is_undoable(qtbot, map_window):
    view = map_window.map_view
    project = map_window.session.project
    before = list(project.examples)
    view.scatter.select_examples([1, 2])
    _recomputed(qtbot, map_window, view.delete_selection)
    assert len(project.examples) == len(before) - 2
    assert len(view.scatter.points.data) == len(project.examples)
    _recomputed(qtbot, map_window, map_window.session.history.stack.undo)
    assert list(project.examples) == before


def test_projection_method_and_untrained_model_can_be_switched(qtbot, map_window):
    view = map_window.map_view
    pca = view.scatter.map
    assert pca.method == "pca"
    _recomputed(qtbot, map_window, lambda: view.set_method("tsne"))
    tsne = view.scatter.map
    assert tsne.method == "tsne" and tsne.points.shape == pca.points.shape
    assert not np.allclose(tsne.points, pca.points)
    assert "t-SNE" in view.scatter.plot.titleLabel.text
    with pytest.raises(ValueError):
        view.set_method("mds")
    _recomputed(qtbot, map_window, lambda: view.untrained_box.setChecked(True))
    untrained = view.scatter.map
    assert untrained.untrained and untrained.method == "tsne"
    assert "untrained" in view.status.text()


def test_legend_search_highlight_and_pin_with_150_intents(qtbot):
    from workbench.qt.views.scatter_map import ScatterMap
    from workbench.training.embedding_map import EmbeddingMap

    names = [f"intent_{i:03d}" for i in range(150)]
    labels = tuple(names[i % 150] for i in range(600))
    rng = np.random.default_rng(0)
    m = EmbeddingMap(np.arange(600), tuple(f"t{i}" for i in range(600)), labels,
                     labels, np.ones(600, np.float32),
                     rng.normal(size=(600, 2)).astype(np.float32), tuple(names),
                     rng.normal(size=(150, 2)).astype(np.float32))
    scatter = ScatterMap()
    qtbot.addWidget(scatter)
    scatter.resize(800, 500)
    scatter.show()
    scatter.show_map(m)
    assert len(set(scatter.styles.values())) == 150  # every intent looks different
    first20 = [scatter.styles[n][0] for n in names[:20]]
    assert len(set(first20)) == 20  # the first 20: twenty different colours
    scatter.legend.search.setText("intent_14")
    assert scatter.legend.names(visible_only=True) == [f"intent_14{i}" for i in
                                                       range(10)]
    item = scatter.legend.list.item(names.index("intent_142"))
    scatter.legend._on_clicked(item)
    assert scatter.highlighted == "intent_142"
    alphas = {scatter.map.labels[int(s.data())]: s.brush().color().alpha()
              for s in scatter.points.points()}
    assert alphas["intent_142"] == 255 and alphas["intent_000"] < 255
    scatter.legend._on_clicked(item)  # again: every intent
    assert scatter.highlighted is None
    # Pinned, a new map keeps the view; unpinned, it re-ranges to the new points.
    scatter.plot.setRange(xRange=(100, 101), yRange=(100, 101), padding=0)
    scatter.pinned = True
    scatter.show_map(m)
    assert scatter.view_box.viewRange()[0] == pytest.approx([100, 101])
    qtbot.wait(20)
    assert scatter.view_box.viewRange()[0] == pytest.approx([100, 101])
    scatter.pinned = False
    scatter.show_map(m)
    qtbot.waitUntil(lambda: scatter.view_box.viewRange()[0][1] < 50, timeout=5000)


def test_train_tab_scatter_reranges_for_a_new_run_unless_pinned(qtbot):
    from tests.gui.test_embedding_view import TEXTS, _projection
    from workbench.qt.views.embedding_view import EmbeddingView

    view = EmbeddingView(lambda i: TEXTS[i] if 0 <= i < len(TEXTS) else None)
    qtbot.addWidget(view)
    view.resize(500, 400)
    view.show()
    view.show_projection(_projection(1))
    view.plot.setRange(xRange=(500, 501), yRange=(500, 501), padding=0)  # a zoom
    view.clear()  # the next run starts
    view.show_projection(_projection(2))
    qtbot.waitUntil(lambda: view.plot.viewRange()[0][1] < 100, timeout=5000)
    view.pin_box.setChecked(True)
    view.plot.setRange(xRange=(500, 501), yRange=(500, 501), padding=0)
    view.clear()
    view.show_projection(_projection(3))
    qtbot.wait(20)
    assert view.plot.viewRange()[0] == pytest.approx([500, 501])
