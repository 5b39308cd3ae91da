"""A non-modal bar offering to annotate the same text in every other example."""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QPushButton, QWidget


class AnnotateEverywhereBar(QFrame):
    """"'pepperoni' is not annotated in 12 other examples. [Annotate all] [Dismiss]".

    Signals:
        accepted(str, str): annotate ``text`` as ``entity`` everywhere.
    """

    accepted = Signal(str, str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("AnnotateEverywhereBar")
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.label = QLabel(self)
        self.label.setWordWrap(True)
        self.accept_button = QPushButton(self)
        self.dismiss_button = QPushButton("Dismiss", self)
        self.accept_button.clicked.connect(self._on_accept_button_clicked)
        self.dismiss_button.clicked.connect(self.hide)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(8, 4, 8, 4)
        layout.addWidget(self.label, 1)
        layout.addWidget(self.accept_button)
        layout.addWidget(self.dismiss_button)
        self._text = self._entity = ""
        self.count = 0
        self.hide()

    def offer(self, text: str, entity: str, count: int) -> None:
        """Show the offer (or hide the bar when ``count`` is 0)."""
        self._text, self._entity, self.count = text, entity, count
        if count <= 0:
            self.hide()
            return
        noun = "example" if count == 1 else "examples"
        self.label.setText(
            f"“{text}” appears without a <b>{entity}</b> span in {count} "
            f"other {noun}."
        )
        self.accept_button.setText(f"Annotate {count} as {entity} (Ctrl+E)")
        self.show()

    def accept(self) -> bool:
        """Accept the offer shown (Ctrl+E); return whether there was one."""
        if not self.isVisible() or self.count <= 0:
            return False
        self._on_accept_button_clicked()
        return True

    def _on_accept_button_clicked(self) -> None:
        self.hide()
        self.accepted.emit(self._text, self._entity)
