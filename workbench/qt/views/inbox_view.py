"""InboxView: review new messages pre-labelled by the model, least certain first.

Keyboard (the span editor keeps the focus): Enter accepts the message as predicted
(intent and the entities shown), I opens the intent list (type to filter, 1-9 picks,
Enter creates; choosing accepts), X rejects, S skips (reviewed after the pending
ones), Ctrl+Z undoes (the window's one history). In the span editor, Shift+arrows or
the mouse select tokens, Space/E annotate, Delete removes the span under the caret.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import QPoint, Qt, QTimer, Signal
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import (
    QComboBox,
    QFileDialog,
    QHBoxLayout,
    QInputDialog,
    QLabel,
    QProgressBar,
    QPushButton,
    QSpinBox,
    QSplitter,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from workbench.core.examples import EntitySpan, Example
from workbench.core.inbox_import import (
    InboxImportError,
    guess_format,
    messages_from_paste,
    read_messages,
    table_columns,
)
from workbench.core.text_rules import TextRuleError, check_example
from workbench.qt.palette import EntityPalette
from workbench.qt.session import ProjectSession
from workbench.qt.widgets.entity_type_popup import EntityTypePopup
from workbench.qt.widgets.inbox_card import InboxCard
from workbench.qt.workers.prelabel_worker import PrelabelWorker
from workbench.training.active_model import active_model
from workbench.training.inbox_decisions import (
    DecideMessage,
    choices_for,
    return_unsaved,
)
from workbench.training.inbox_store import (
    ACCEPTED,
    INBOX_FILE,
    ORDERS,
    REJECTED,
    SKIPPED,
    InboxError,
    InboxMessage,
    InboxStore,
    normalise,
)

LIST_LIMIT = 500  # rows shown in the list (the queue itself can be any size)
_ORDER_LABELS = {"margin": "Least certain first", "intent": "By predicted intent",
                 "imported": "As imported"}


class InboxView(QWidget):
    """The Inbox tab.

    Signals:
        retrain_requested(): the user took the offer to retrain.
        message(str): something to show in the status bar.
    """

    retrain_requested = Signal()
    message = Signal(str)

    def __init__(self, session: ProjectSession, palette: EntityPalette,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("InboxView")
        self._session = session
        self.store: InboxStore | None = None
        self._root: Path | None = None
        self.model_path: str | None = None
        self.current: InboxMessage | None = None
        self._queue: list[InboxMessage] = []
        self.accepted_since_offer = 0
        self.worker = PrelabelWorker(self)

        self.import_button = QPushButton("Import file…", self)
        self.paste_button = QPushButton("Paste…", self)
        self.order_box = QComboBox(self)
        for key in ORDERS:
            self.order_box.addItem(_ORDER_LABELS[key], key)
        self.counters = QLabel(self)
        self.counters.setObjectName("inboxCounters")
        self.progress = QProgressBar(self)
        self.progress.setMaximumWidth(220)
        self.progress.hide()
        self.retrain_every = QSpinBox(self)
        self.retrain_every.setRange(1, 10_000)
        self.retrain_every.setValue(20)
        self.retrain_every.setPrefix("offer retraining every ")
        self.retrain_every.setSuffix(" accepted")
        self.retrain_bar = QWidget(self)
        self.retrain_label = QLabel(self.retrain_bar)
        self.retrain_button = QPushButton("Retrain now", self.retrain_bar)
        self.retrain_later = QPushButton("Later", self.retrain_bar)
        bar = QHBoxLayout(self.retrain_bar)
        bar.setContentsMargins(0, 0, 0, 0)
        bar.addWidget(self.retrain_label, 1)
        bar.addWidget(self.retrain_button)
        bar.addWidget(self.retrain_later)
        self.retrain_bar.hide()

        self.table = QTableWidget(0, 4, self)
        self.table.setHorizontalHeaderLabels(
            ["Message", "Predicted", "Conf.", "Margin"]
        )
        self.table.verticalHeader().hide()
        header = self.table.horizontalHeader()
        header.setStretchLastSection(False)
        header.setSectionResizeMode(header.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(0, header.ResizeMode.Stretch)
        self.table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QTableWidget.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QTableWidget.SelectionMode.SingleSelection)
        self.table.setFocusPolicy(Qt.FocusPolicy.NoFocus)

        self.card = InboxCard(palette, session.entity_types, self)
        card = self.card
        self.span_editor = card.span_editor
        self.type_popup = card.type_popup
        self.error_label = card.error_label
        for button in (self.import_button, self.paste_button):
            button.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.intent_popup = EntityTypePopup(self)
        self.intent_popup.setObjectName("IntentChooser")
        self.intent_popup.filter_edit.setPlaceholderText("type to filter or create an "
                                                         "intent…")

        top = QHBoxLayout()
        for widget in (self.import_button, self.paste_button, self.order_box):
            top.addWidget(widget)
        top.addWidget(self.counters, 1)
        top.addWidget(self.progress)
        top.addWidget(self.retrain_every)
        splitter = QSplitter(self)
        splitter.addWidget(self.table)
        splitter.addWidget(card)
        splitter.setSizes([520, 640])
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.retrain_bar)
        layout.addWidget(splitter, 1)

        self._refresh_timer = QTimer(self)
        self._refresh_timer.setSingleShot(True)
        self._refresh_timer.timeout.connect(self.refresh)
        self.import_button.clicked.connect(self.choose_file)
        self.paste_button.clicked.connect(self.paste)
        self.order_box.currentIndexChanged.connect(lambda _i: self.refresh())
        card.accept_button.clicked.connect(lambda: self.accept())
        card.intent_button.clicked.connect(self.choose_intent)
        card.reject_button.clicked.connect(self.reject)
        card.skip_button.clicked.connect(self.skip)
        self.retrain_button.clicked.connect(self._on_retrain_clicked)
        self.retrain_later.clicked.connect(self._dismiss_retrain)
        self.table.itemSelectionChanged.connect(self._on_table_selection)
        self.span_editor.next_requested.connect(lambda: self.accept())
        self.intent_popup.type_chosen.connect(lambda name: self.accept(name))
        self.intent_popup.cancelled.connect(self.span_editor.setFocus)
        self.worker.imported.connect(self._on_imported)
        self.worker.import_failed.connect(self._on_import_failed)
        self.worker.progress.connect(self._on_progress)
        self.worker.scored.connect(lambda _n: self._schedule_refresh(600))
        self.worker.scoring_done.connect(self._on_scoring_done)
        self.worker.failed.connect(self._on_failed)
        session.history.edited.connect(lambda: self._schedule_refresh())
        self._show_message(None)
        self._update_counters()

    # -- project and model ------------------------------------------------------------
    def set_project(self, root: Path | None) -> None:
        """Show ``root``'s inbox (after the project and any recovery are loaded).

        Opening a project writes nothing: the inbox database is created by the first
        import. Accepted messages whose examples are not in the data (closed without
        saving, or a crash) go back to pending: nothing accepted is lost.
        """
        if self.store is not None:
            self.store.close()  # this thread's connection to the previous inbox
        self.store = None
        self.current = None
        self.model_path = None
        self.accepted_since_offer = 0
        self.retrain_bar.hide()
        self._root = Path(root) if root is not None and Path(root).is_dir() else None
        if self._root is not None and (self._root / ".workbench" / INBOX_FILE).exists():
            self._open_store()
        else:
            self.worker.configure(None, None)
            self.refresh()

    def _open_store(self) -> bool:
        """Open (or create) the inbox of the current project folder."""
        assert self._root is not None
        try:
            self.store = InboxStore.for_project(self._root)
        except InboxError as error:
            self._error(str(error))
            self.worker.configure(None, None)
            self.refresh()
            return False
        if self.store.notice:
            self.message.emit(self.store.notice)
            self._error(self.store.notice)
        project = self._session.project
        if project is not None:
            back = return_unsaved(self.store, project.examples)
            if back:
                self.message.emit(f"{back} accepted inbox message(s) were not in the "
                                  "saved data: they are back in the inbox")
        model = active_model(self._root)
        self.model_path = str(model) if model else None
        self.worker.configure(self.store, self.model_path)
        self.refresh()
        return True

    def _ensure_store(self) -> bool:
        """The inbox, created on first use; False (and a message) without a folder."""
        if self.store is not None:
            return True
        if self._root is None:
            self._error("Open a project folder first: the inbox lives in its "
                        ".workbench folder.")
            return False
        return self._open_store()

    def model_changed(self) -> None:
        """A run finished: re-score pending messages if the active model changed."""
        project = self._session.project
        if self.store is None or project is None:
            return
        model = active_model(project.root)
        path = str(model) if model else None
        if path != self.model_path:
            self.model_path = path
            self.worker.configure(self.store, path)
            self.message.emit("Inbox: re-scoring pending messages with the new model")

    def stop(self) -> None:
        """End the worker thread (window closing)."""
        self.worker.stop()

    # -- import -----------------------------------------------------------------------
    def known_texts(self) -> set[str]:
        """Normalised texts of the training data (not imported again)."""
        project = self._session.project
        return {normalise(e.text) for e in project.examples} if project else set()

    def import_file(self, path: Path, column: str | None = None,
                    fmt: str | None = None) -> bool:
        """Import ``path`` in the background (False if there is no inbox)."""
        if not self._ensure_store():
            return False
        path = Path(path)
        self.worker.import_messages(lambda: read_messages(path, fmt, column),
                                    path.name, self.known_texts())
        self.progress.setRange(0, 0)
        self.progress.show()
        self.message.emit(f"Importing {path.name}…")
        return True

    def import_text(self, text: str) -> bool:
        """Import pasted text, one message per line."""
        if not self._ensure_store():
            return False
        self.worker.import_messages(lambda: messages_from_paste(text), "paste",
                                    self.known_texts())
        return True

    def choose_file(self) -> None:
        """Ask for a file (and a CSV/TSV column) and import it."""
        name, _ = QFileDialog.getOpenFileName(
            self, "Import messages", "",
            "Messages (*.txt *.csv *.tsv *.jsonl *.ndjson);;All files (*)")
        if not name:
            return
        column = None
        fmt = guess_format(Path(name))
        if fmt in ("csv", "tsv"):
            try:
                columns = table_columns(Path(name), fmt)
            except InboxImportError as error:
                self._error(str(error))
                return
            if len(columns) > 1:
                ordered = sorted(columns, key=lambda c: c.lower() != "text")
                column, ok = QInputDialog.getItem(
                    self, "Import messages", "Column with the messages:", ordered, 0,
                    False)
                if not ok:
                    return
        self.import_file(Path(name), column, fmt)

    def paste(self) -> None:
        """Ask for pasted messages (one per line) and import them."""
        text, ok = QInputDialog.getMultiLineText(
            self, "Paste messages", "One message per line:")
        if ok and text.strip():
            self.import_text(text)

    def _on_imported(self, report: Any) -> None:
        self.progress.hide()
        text = report.summary()
        if report.problems:
            text += "\n" + "\n".join(report.problems[:5])
            if report.refused > 5:
                text += f"\n… {report.refused - 5:,} more bad line(s)"
        if not self.model_path and report.added:
            text += "\nNo trained model yet: train one to pre-label the messages."
        self._show_message(text, error=bool(report.refused))
        self.message.emit(report.summary())
        self.refresh()

    def _on_import_failed(self, text: str) -> None:
        self.progress.hide()
        self._error(text)
        self.message.emit(text.splitlines()[0])

    def _on_progress(self, done: int, total: int) -> None:
        if total < 0:
            self.progress.setRange(0, 0)
            self.progress.setFormat(f"imported {done:,}")
        else:
            self.progress.setRange(0, max(total, 1))
            self.progress.setValue(done)
            self.progress.setFormat("scored %v/%m")
        self.progress.show()

    def _on_scoring_done(self, _count: int) -> None:
        self.progress.hide()
        self.refresh()

    def _on_failed(self, text: str) -> None:
        self.progress.hide()
        self._error(text.splitlines()[0])

    # -- the queue --------------------------------------------------------------------
    def order(self) -> str:
        """The list order: margin, intent or imported."""
        return str(self.order_box.currentData())

    def queue(self) -> list[InboxMessage]:
        """The messages listed (first :data:`LIST_LIMIT` of the queue)."""
        return list(self._queue)

    def _schedule_refresh(self, delay_ms: int = 150) -> None:
        """Refresh soon; a refresh already due is not pushed back (scoring chunks)."""
        if not self._refresh_timer.isActive():
            self._refresh_timer.start(delay_ms)

    def refresh(self) -> None:
        """Reload the list; keep the current message if it is still to review."""
        self._refresh_timer.stop()
        keep = self.current.id if self.current is not None else None
        self._queue = self.store.queue(self.order(), LIST_LIMIT) if self.store else []
        self.table.blockSignals(True)
        self.table.setRowCount(len(self._queue))
        row_of_kept = None
        for row, message in enumerate(self._queue):
            if message.id == keep:
                row_of_kept = row
            conf = "" if message.confidence is None else f"{message.confidence:.0%}"
            margin = "" if message.margin is None else f"{message.margin:.2f}"
            skipped = " (skipped)" if message.status == SKIPPED else ""
            values = (message.text + skipped, message.predicted_intent or "…", conf,
                      margin)
            for column, value in enumerate(values):
                self.table.setItem(row, column, QTableWidgetItem(value))
        self.table.blockSignals(False)
        if row_of_kept is None and keep is not None and self.store is not None:
            still = self.store.get(keep)  # pushed out of the list by newer scores
            if still is not None and still.status in ("pending", SKIPPED):
                self._queue.insert(0, still)
                self.table.insertRow(0)
                self.table.setItem(0, 0, QTableWidgetItem(still.text))
                row_of_kept = 0
        if row_of_kept is not None:
            fresh = self._queue[row_of_kept]
            same_label = self.current is not None and fresh.model == self.current.model
            self._select_row(row_of_kept, keep_spans=same_label)
        else:
            self._select_row(0 if self._queue else None)
        self._update_counters()

    def _select_row(self, row: int | None, keep_spans: bool = False) -> None:
        self.table.blockSignals(True)
        if row is None:
            self.table.clearSelection()
        else:
            self.table.selectRow(row)
        self.table.blockSignals(False)
        self._show(self._queue[row] if row is not None else None, keep_spans)

    def _on_table_selection(self) -> None:
        rows = self.table.selectionModel().selectedRows()
        if rows:
            self._show(self._queue[rows[0].row()])
            self.span_editor.setFocus()

    def _show(self, message: InboxMessage | None, keep_spans: bool = False) -> None:
        self.current = message
        self.card.show_message(
            message, keep_spans=keep_spans, has_model=self.model_path is not None,
            empty="Nothing to review" if self.store else
            "Open a project folder to use the inbox")

    def _update_counters(self) -> None:
        if self.store is None:
            self.counters.setText("No inbox (open a project folder)")
            return
        c = self.store.counts()
        remaining = c["pending"] + c["skipped"]
        self.counters.setText(
            f"{c['accepted']:,} accepted · {c['rejected']:,} rejected · "
            f"{remaining:,} to review ({c['skipped']:,} skipped) · "
            f"{c['scored']:,} scored")

    # -- decisions --------------------------------------------------------------------
    def predicted_intent(self) -> str | None:
        """The model's intent for the current message, if the data has that intent."""
        if self.current is None or self.current.parse is None:
            return None
        name = (self.current.parse.get("intent") or {}).get("name")
        project = self._session.project
        return name if project is not None and name in project.intents else None

    def accept(self, intent: str | None = None) -> bool:
        """Accept the current message as ``intent`` (default: as predicted).

        Without a usable prediction the intent list opens instead.
        """
        message, project = self.current, self._session.project
        if message is None or project is None or self.store is None:
            return False
        intent = intent or self.predicted_intent()
        if intent is None:
            self.choose_intent()
            return False
        example = Example(message.text, intent, self.card.spans())
        try:
            check_example(example)
        except TextRuleError as error:
            self._error(f"Not added: {error.message}")
            return False
        command = DecideMessage(self.store, message.id, ACCEPTED, message.status,
                                example)
        if not self._decide(command):
            return False
        self.accepted_since_offer += 1
        if self.accepted_since_offer >= self.retrain_every.value():
            self._offer_retrain()
        return True

    def reject(self) -> bool:
        """Reject the current message (kept as rejected, never shown again)."""
        return self.current is not None and self.store is not None and self._decide(
            DecideMessage(self.store, self.current.id, REJECTED, self.current.status))

    def skip(self) -> bool:
        """Skip the current message (reviewed after the pending ones)."""
        return self.current is not None and self.store is not None and self._decide(
            DecideMessage(self.store, self.current.id, SKIPPED, self.current.status))

    def _decide(self, command: DecideMessage) -> bool:
        refusals: list[str] = []
        self._session.refused.connect(refusals.append)
        try:
            done = self._session.push(command)
        finally:
            self._session.refused.disconnect(refusals.append)
        if not done:
            self._error("Not added: " + (refusals[0] if refusals else "refused"))
            return False
        self._show_message(None)
        self.current = None  # the next message in the list becomes current
        self.refresh()
        self.span_editor.setFocus()
        return True

    def choose_intent(self) -> None:
        """Open the intent list (ranking first; type to filter, 1-9, Enter creates)."""
        project = self._session.project
        if self.current is None or project is None:
            return
        names = choices_for(self.current.parse, project.intents)
        self.intent_popup.set_types(names, self.predicted_intent())
        anchor = self.span_editor.mapToGlobal(QPoint(0, self.span_editor.height()))
        self.intent_popup.popup_at(anchor)

    # -- entity spans -----------------------------------------------------------------
    def spans(self) -> tuple[EntitySpan, ...]:
        """The entities the current message would be accepted with."""
        return self.card.spans()

    def annotate(self, start: int, end: int, entity: str) -> None:
        """Add a span (replacing overlapping ones) to the current message's label."""
        self.card.annotate(start, end, entity)

    # -- retraining -------------------------------------------------------------------
    def _offer_retrain(self) -> None:
        self.retrain_label.setText(
            f"{self.accepted_since_offer} message(s) accepted since the last offer: "
            "retrain the model with them? (pending messages are re-scored with the "
            "new model)")
        self.retrain_bar.show()

    def _dismiss_retrain(self) -> None:
        self.accepted_since_offer = 0
        self.retrain_bar.hide()
        self.span_editor.setFocus()

    def _on_retrain_clicked(self) -> None:
        self._dismiss_retrain()
        self.retrain_requested.emit()

    # -- messages and keys ------------------------------------------------------------
    def _error(self, text: str) -> None:
        self._show_message(text, error=True)

    def _show_message(self, text: str | None, error: bool = False) -> None:
        self.card.show_note(text, error)

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802
        """Enter accept, I intent list, X reject, S skip (keys the editor leaves)."""
        key = event.key()
        if event.modifiers() & ~Qt.KeyboardModifier.KeypadModifier:
            super().keyPressEvent(event)
            return
        if key in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            self.accept()
        elif key == Qt.Key.Key_I:
            self.choose_intent()
        elif key == Qt.Key.Key_X:
            self.reject()
        elif key == Qt.Key.Key_S:
            self.skip()
        else:
            super().keyPressEvent(event)

    def showEvent(self, event: Any) -> None:  # noqa: N802
        """Focus the message when the tab is shown (keys work at once)."""
        super().showEvent(event)
        self.span_editor.setFocus()
