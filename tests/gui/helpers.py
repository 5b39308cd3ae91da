"""Helpers for driving the window in GUI tests."""

from __future__ import annotations

from PySide6.QtCore import QPoint, Qt


def example_index(window, text: str) -> int:
    """Return the project index of the example with this text."""
    for index, example in enumerate(window.session.project.examples):
        if example.text == text:
            return index
    raise AssertionError(f"no example {text!r}")


def show_example(window, text: str):
    """Select the example with this text and return the editor view."""
    assert window.examples_view.select_example(example_index(window, text))
    editor = window.examples_view.editor
    assert editor.current_example().text == text
    return editor


def drag_select(qtbot, span_editor, start: int, end: int) -> None:
    """Drag the mouse over characters ``start`` .. ``end - 1`` of the span editor."""
    first = span_editor.range_rects(start, start + 1)[0]
    last = span_editor.range_rects(end - 1, end)[0]
    y = int(first.center().y())
    begin = QPoint(int(first.left()) + 4, y)
    finish = QPoint(int(last.right()) - 4, y)
    qtbot.mousePress(span_editor, Qt.MouseButton.LeftButton, pos=begin)
    qtbot.mouseMove(span_editor, QPoint((begin.x() + finish.x()) // 2, y))
    qtbot.mouseMove(span_editor, finish)
    # QTest.mouseMove sends no button state: feed a move event with the button held.
    from PySide6.QtCore import QPointF
    from PySide6.QtGui import QMouseEvent
    from PySide6.QtWidgets import QApplication

    event = QMouseEvent(
        QMouseEvent.Type.MouseMove,
        QPointF(finish),
        QPointF(span_editor.mapToGlobal(finish)),
        Qt.MouseButton.NoButton,
        Qt.MouseButton.LeftButton,
        Qt.KeyboardModifier.NoModifier,
    )
    QApplication.sendEvent(span_editor, event)
    qtbot.mouseRelease(span_editor, Qt.MouseButton.LeftButton, pos=finish)
