"""The Map tab: the active model's embedding map, linked both ways to the editor.

The active model (``workbench.training.active_model``) embeds every example of the
project in a worker (:class:`ProjectionWorker`); PCA, t-SNE or UMAP project examples
and intent label embeddings together. A click opens the example in the editor;
selecting rows in the table rings their points; a box or lasso selection can be moved
to another intent in one undoable step, deleted (undoable), opened in the table or
annotated. Edits re-request the map (the embeddings are cached per text, so a move only
re-projects) without re-ranging the view; a new model re-ranges unless pinned.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import QTimer, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from workbench.qt.views.scatter_map import BOX, LASSO, PAN, ScatterMap
from workbench.qt.workers.projection_worker import MapRequest, ProjectionWorker
from workbench.training.active_model import active_model
from workbench.training.embedding_map import EmbeddingMap
from workbench.training.projection import METHOD_NAMES, PCA, available_methods

EDIT_DELAY_MS = 400  # edits settle before the map is re-requested


class MapView(QWidget):
    """The embedding map of the project's active model.

    Args:
        session: The ``ProjectSession`` (project and undo history).
        prompter: Asks the target intent of "Move to intent…".

    Signals:
        example_activated(int): open this example in the editor.
        open_in_table(object): show these example indices selected in the table.
        computed(): a map was drawn.
    """

    example_activated = Signal(int)
    open_in_table = Signal(object)
    computed = Signal()

    def __init__(self, session: Any, parent: QWidget | None = None,
                 prompter: Any = None) -> None:
        super().__init__(parent)
        self.setObjectName("MapView")
        self._session = session
        self._prompter = prompter
        self.model_path: str = ""
        self._stale = True
        self._new_model = True
        self.worker = ProjectionWorker(self)
        self.worker.computed.connect(self._on_computed)
        self.worker.progress.connect(self._on_progress)
        self.worker.failed.connect(self._on_failed)
        self.scatter = ScatterMap(self)
        self.scatter.example_activated.connect(self._on_point_clicked)
        self.scatter.selection_changed.connect(self._update_buttons)
        self._edit_timer = QTimer(self)
        self._edit_timer.setSingleShot(True)
        self._edit_timer.setInterval(EDIT_DELAY_MS)
        self._edit_timer.timeout.connect(self.refresh)
        session.history.edited.connect(self._on_edited)
        self._build()
        self._update_buttons()

    def _build(self) -> None:
        self.method_box = QComboBox(self)
        for method in available_methods():
            self.method_box.addItem(METHOD_NAMES[method], method)
        self.method_box.setToolTip("PCA is instant; t-SNE (and UMAP, when installed) "
                                   "separate what the model separates.")
        self.method_box.currentIndexChanged.connect(lambda _i: self.refresh())
        self.untrained_box = QCheckBox("Untrained model", self)
        self.untrained_box.setToolTip("The same examples through a randomly "
                                      "initialised network of the same shape: what "
                                      "training changed.")
        self.untrained_box.toggled.connect(lambda _on: self.refresh(new_model=True))
        self.pin_box = QCheckBox("Pin view", self)
        self.pin_box.setToolTip("Keep the zoom when a new model or method is shown.")
        self.pin_box.toggled.connect(self._on_pin)
        self.mode_box = QComboBox(self)
        for label, mode in (("Pan / zoom", PAN), ("Box select", BOX),
                            ("Lasso select", LASSO)):
            self.mode_box.addItem(label, mode)
        self.mode_box.currentIndexChanged.connect(
            lambda _i: self.scatter.set_mode(self.mode_box.currentData()))
        self.move_button = QPushButton("Move to intent…", self)
        self.move_button.clicked.connect(lambda: self.move_selection())
        self.annotate_button = QPushButton("Annotate", self)
        self.annotate_button.setToolTip("Open the first selected example in the "
                                        "editor.")
        self.annotate_button.clicked.connect(self.annotate_selection)
        self.delete_button = QPushButton("Delete", self)
        self.delete_button.clicked.connect(self.delete_selection)
        self.table_button = QPushButton("Open in table", self)
        self.table_button.clicked.connect(self.open_selection_in_table)
        self.selection_label = QLabel(self)
        self.status = QLabel("No active model: train one (Ctrl+T).", self)
        self.status.setWordWrap(True)
        top = QHBoxLayout()
        top.addWidget(QLabel("Projection:", self))
        top.addWidget(self.method_box)
        top.addWidget(self.untrained_box)
        top.addWidget(self.pin_box)
        top.addSpacing(16)
        top.addWidget(QLabel("Drag:", self))
        top.addWidget(self.mode_box)
        top.addStretch(1)
        actions = QHBoxLayout()
        actions.addWidget(self.selection_label)
        for button in (self.move_button, self.annotate_button, self.delete_button,
                       self.table_button):
            actions.addWidget(button)
        actions.addStretch(1)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.status)
        layout.addWidget(self.scatter, 1)
        layout.addLayout(actions)

    # -- the model --------------------------------------------------------------------
    @property
    def method(self) -> str:
        """The chosen projection method (``"pca"``, ``"tsne"``, ``"umap"``)."""
        return str(self.method_box.currentData() or PCA)

    def set_method(self, method: str) -> None:
        """Choose a projection method (re-projects the same embeddings)."""
        index = self.method_box.findData(method)
        if index < 0:
            raise ValueError(f"projection method {method!r} is not available here")
        self.method_box.setCurrentIndex(index)

    def set_model(self, path: str) -> None:
        """Show the map of the model at ``path`` ("" : none)."""
        if path == self.model_path and self.scatter.map is not None:
            return
        self.model_path = path
        self.refresh(new_model=True)

    def project_opened(self) -> None:
        """Another project (or a reload): its active model, the view re-ranged."""
        self.worker.cancel()
        self.scatter.clear()
        self.model_path = ""
        project = self._session.project
        root = Path(project.root) if project is not None and project.root else None
        found = active_model(root) if root is not None else None
        self.set_model(str(found) if found is not None else "")

    def refresh(self, new_model: bool = False) -> None:
        """Request the map now if the tab is visible, else when it is shown."""
        self._new_model = self._new_model or new_model
        self._stale = True
        if self.isVisible():
            self._request()

    def shutdown(self) -> None:
        """Stop the worker thread (the window closes)."""
        self.worker.stop()

    def showEvent(self, event: Any) -> None:  # noqa: N802 (Qt naming)
        super().showEvent(event)
        if self._stale:
            self._request()

    def _request(self) -> None:
        project = self._session.project
        self._stale = False
        if not self.model_path or project is None:
            self.worker.cancel()
            self.scatter.clear()
            self.status.setText("No active model: train one (Ctrl+T)." if project
                                is not None else "No project open.")
            self._update_buttons()
            return
        examples = list(project.examples)
        self.worker.request(MapRequest(
            model_path=self.model_path,
            example_indices=tuple(range(len(examples))),
            texts=tuple(e.text for e in examples),
            labels=tuple(e.intent for e in examples),
            method=self.method, untrained=self.untrained_box.isChecked(),
        ))  # fmt: skip
        self.status.setText("Computing…")
        self._update_buttons()

    def _on_computed(self, result: EmbeddingMap) -> None:
        self.scatter.show_map(result, new_model=self._new_model)
        self._new_model = False
        which = " (untrained network)" if result.untrained else ""
        self.status.setText(f"Model {Path(result.model_path).name}{which}: click a "
                            "point to open its example; select with a box or lasso "
                            "to move, delete or annotate.")
        self._update_buttons()
        self.computed.emit()

    def _on_progress(self, text: str) -> None:
        self.status.setText(text)

    def _on_failed(self, text: str) -> None:
        self.status.setText(f"Could not compute the map: {text.splitlines()[0]}")
        self._update_buttons()

    def _on_pin(self, pinned: bool) -> None:
        self.scatter.pinned = pinned
        if not pinned and self.scatter.map is not None:
            self.scatter.plot.enableAutoRange()

    def _on_edited(self) -> None:
        if self.model_path:
            self._stale = True
            self._update_buttons()
            self._edit_timer.start()

    # -- linking ----------------------------------------------------------------------
    def show_table_selection(self, indices: list[int]) -> None:
        """Ring the points of the examples selected in the table."""
        if not self._stale:
            self.scatter.select_examples(indices, emit=False)
            self._update_buttons()

    def current_selection(self) -> list[int]:
        """Selected example indices that still are the examples the map shows."""
        if self._stale or self.worker.busy:
            return []
        return self.scatter.selected_examples()

    def _on_point_clicked(self, index: int) -> None:
        if self._stale or self.worker.busy:
            self.status.setText("The map is being updated after an edit; click again "
                                "in a moment.")
            return
        self.example_activated.emit(index)

    def move_selection(self, intent: str | None = None) -> bool:
        """Move the selected examples to ``intent`` (asked if None): one undo step."""
        indices = self.current_selection()
        project = self._session.project
        if not indices or project is None:
            return False
        if intent is None:
            if self._prompter is None:
                return False
            intent = self._prompter.get_item(
                "Move to intent", f"Move {len(indices)} examples to:",
                sorted(project.intents))
            if not intent:
                return False
        return bool(self._session.move_examples(indices, intent))

    def delete_selection(self) -> bool:
        """Delete the selected examples (one undo step)."""
        indices = self.current_selection()
        if not indices:
            return False
        self.scatter.select_examples([], emit=False)
        return bool(self._session.remove_examples(indices))

    def annotate_selection(self) -> None:
        """Open the first selected example in the editor."""
        indices = self.current_selection()
        if indices:
            self.example_activated.emit(indices[0])

    def open_selection_in_table(self) -> None:
        """Show the selected examples selected in the Examples table."""
        indices = self.current_selection()
        if indices:
            self.open_in_table.emit(indices)

    def _update_buttons(self) -> None:
        n = len(self.current_selection())
        for button in (self.move_button, self.annotate_button, self.delete_button,
                       self.table_button):
            button.setEnabled(n > 0)
        self.selection_label.setText(f"{n} selected" if n else
                                     "Nothing selected (choose Box or Lasso, drag)")
