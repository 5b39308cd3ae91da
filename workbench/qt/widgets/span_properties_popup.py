"""Edit one span: entity type, role, group and synonym value, or remove it."""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import QPoint, Qt, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QFormLayout,
    QFrame,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from workbench.core.examples import EntitySpan


class SpanPropertiesPopup(QFrame):
    """A popup form over one span.

    Signals:
        span_edited(object): the edited ``EntitySpan`` (Enter or Apply).
        span_removed(): Remove was pressed.
    """

    span_edited = Signal(object)
    span_removed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent, Qt.WindowType.Popup)
        self.setObjectName("SpanPropertiesPopup")
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self._span: EntitySpan | None = None
        self._surface = ""
        self.title = QLabel(self)
        self.entity_box = QComboBox(self)
        self.entity_box.setEditable(True)
        self.role_edit = QLineEdit(self)
        self.group_edit = QLineEdit(self)
        self.value_edit = QLineEdit(self)
        for edit, hint in (
            (self.role_edit, "none"),
            (self.group_edit, "none"),
            (self.value_edit, "same as the text (no synonym)"),
        ):
            edit.setPlaceholderText(hint)
            edit.returnPressed.connect(self._apply)
        self.entity_box.lineEdit().returnPressed.connect(self._apply)
        form = QFormLayout()
        form.addRow("Type", self.entity_box)
        form.addRow("Role", self.role_edit)
        form.addRow("Group", self.group_edit)
        form.addRow("Synonym of", self.value_edit)
        apply_button = QPushButton("Apply (Enter)", self)
        remove_button = QPushButton("Remove span", self)
        remove_button.setObjectName("danger")
        apply_button.clicked.connect(self._apply)
        remove_button.clicked.connect(self._remove)
        buttons = QHBoxLayout()
        buttons.addWidget(remove_button)
        buttons.addStretch(1)
        buttons.addWidget(apply_button)
        layout = QVBoxLayout(self)
        layout.addWidget(self.title)
        layout.addLayout(form)
        layout.addLayout(buttons)

    def edit(self, span: EntitySpan, surface: str, types: Sequence[str]) -> None:
        """Fill the form for ``span`` whose text is ``surface``."""
        self._span, self._surface = span, surface
        self.title.setText(f"“{surface}”")
        self.entity_box.clear()
        self.entity_box.addItems(list(types))
        self.entity_box.setCurrentText(span.entity)
        self.role_edit.setText(span.role or "")
        self.group_edit.setText(span.group or "")
        self.value_edit.setText("" if span.value == surface else span.value)

    def popup_at(self, global_position: QPoint) -> None:
        """Show at a global position with the type box focused."""
        self.move(global_position)
        self.show()
        self.entity_box.setFocus()

    def edited_span(self) -> EntitySpan | None:
        """Return the span as the form describes it (``None`` if the type is empty)."""
        if self._span is None:
            return None
        entity = self.entity_box.currentText().strip()
        if not entity:
            return None
        value = self.value_edit.text().strip() or self._surface
        return EntitySpan(
            self._span.start,
            self._span.end,
            entity,
            value,
            self.role_edit.text().strip() or None,
            self.group_edit.text().strip() or None,
        )

    def _apply(self) -> None:
        span = self.edited_span()
        self.close()
        if span is not None and span != self._span:
            self.span_edited.emit(span)

    def _remove(self) -> None:
        self.close()
        self.span_removed.emit()
