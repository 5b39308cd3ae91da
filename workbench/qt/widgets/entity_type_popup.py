"""A keyboard-driven popup to choose an entity type for a new or existing span.

Type to filter, 1-9 picks one of the first nine shown types, Up/Down move, Enter picks
the highlighted row (or creates the typed type), Escape cancels.
"""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import QEvent, QObject, QPoint, Qt, Signal
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import (
    QFrame,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QVBoxLayout,
    QWidget,
)

_CREATE_ROLE = Qt.ItemDataRole.UserRole + 1


class EntityTypePopup(QFrame):
    """Choose an entity type from a filtered list, by keyboard or mouse.

    Signals:
        type_chosen(str): the chosen (possibly new) entity type.
        cancelled(): closed without a choice.
    """

    type_chosen = Signal(str)
    cancelled = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent, Qt.WindowType.Popup)
        self.setObjectName("EntityTypePopup")
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self._types: list[str] = []
        self._chosen = False
        self.filter_edit = QLineEdit(self)
        self.filter_edit.setPlaceholderText("type to filter or create…")
        self.list_widget = QListWidget(self)
        self.list_widget.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        hint = QLabel("1-9 pick · Enter choose/create · Esc cancel", self)
        hint.setObjectName("hint")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.setSpacing(3)
        layout.addWidget(self.filter_edit)
        layout.addWidget(self.list_widget)
        layout.addWidget(hint)
        self.setMinimumWidth(240)
        self.filter_edit.textChanged.connect(self._on_filter_edit_text_changed)
        self.filter_edit.installEventFilter(self)
        self.list_widget.itemClicked.connect(self._choose_item)

    def set_types(self, types: Sequence[str], current: str | None = None) -> None:
        """Show ``types`` (in this order); highlight ``current`` if given."""
        self._types = list(types)
        self.filter_edit.clear()
        self._refill()
        if current in self._types:
            self.list_widget.setCurrentRow(self._types.index(current))

    def popup_at(self, global_position: QPoint) -> None:
        """Show the popup at a global position and focus the filter box."""
        self._chosen = False
        self.move(global_position)
        self.show()
        self.filter_edit.setFocus()

    def visible_types(self) -> list[str]:
        """Return the existing types currently listed (after filtering)."""
        return [
            self.list_widget.item(row).data(Qt.ItemDataRole.UserRole)
            for row in range(self.list_widget.count())
            if not self.list_widget.item(row).data(_CREATE_ROLE)
        ]

    def _refill(self) -> None:
        needle = self.filter_edit.text().strip()
        lowered = needle.lower()
        matches = [t for t in self._types if lowered in t.lower()]
        # Prefix matches first: typing "lo" should offer "location" before "color".
        matches.sort(key=lambda t: not t.lower().startswith(lowered))
        self.list_widget.clear()
        for number, entity in enumerate(matches, start=1):
            label = f"{number}  {entity}" if number <= 9 else f"    {entity}"
            item = QListWidgetItem(label)
            item.setData(Qt.ItemDataRole.UserRole, entity)
            self.list_widget.addItem(item)
        if needle and needle not in self._types and _valid_type_name(needle):
            item = QListWidgetItem(f"+  create “{needle}”")
            item.setData(Qt.ItemDataRole.UserRole, needle)
            item.setData(_CREATE_ROLE, True)
            self.list_widget.addItem(item)
        if self.list_widget.count():
            self.list_widget.setCurrentRow(0)
        rows = min(max(self.list_widget.count(), 3), 12)
        row_height = max(
            self.list_widget.sizeHintForRow(0), self.fontMetrics().height() + 2
        )
        self.list_widget.setFixedHeight(
            rows * row_height + 2 * self.list_widget.frameWidth() + 4
        )
        self.adjustSize()

    def _on_filter_edit_text_changed(self, _text: str) -> None:
        self._refill()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802
        """Route the filter box's navigation keys to the list."""
        if watched is self.filter_edit and event.type() == QEvent.Type.KeyPress:
            assert isinstance(event, QKeyEvent)
            return self._handle_key(event)
        return super().eventFilter(watched, event)

    def _handle_key(self, event: QKeyEvent) -> bool:
        key = event.key()
        if Qt.Key.Key_1 <= key <= Qt.Key.Key_9 and not event.modifiers() & ~(
            Qt.KeyboardModifier.KeypadModifier
        ):
            row = key - Qt.Key.Key_1
            types = self.visible_types()
            if row < len(types):
                self._choose(types[row])
            return True
        if key in (Qt.Key.Key_Up, Qt.Key.Key_Down):
            step = -1 if key == Qt.Key.Key_Up else 1
            row = self.list_widget.currentRow() + step
            if 0 <= row < self.list_widget.count():
                self.list_widget.setCurrentRow(row)
            return True
        if key in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            item = self.list_widget.currentItem()
            if item is not None:
                self._choose_item(item)
            return True
        if key == Qt.Key.Key_Escape:
            self.close()
            return True
        return False

    def _choose_item(self, item: QListWidgetItem) -> None:
        self._choose(item.data(Qt.ItemDataRole.UserRole))

    def _choose(self, entity: str) -> None:
        self._chosen = True
        self.close()
        self.type_chosen.emit(entity)

    def closeEvent(self, event) -> None:  # noqa: N802, ANN001
        """Report a cancel when closed without a choice."""
        super().closeEvent(event)
        if not self._chosen:
            self._chosen = True
            self.cancelled.emit()


def _valid_type_name(name: str) -> bool:
    """Return whether ``name`` can be written as ``[text](name)`` markup."""
    return not any(c in name for c in "()[]{}:\n\"") and name == name.strip()
