"""The Serve tab: "Serve the active model" over Rasa's HTTP API, in the background.

The server (:mod:`workbench.serving`, imported when first used so the window opens
without torch) runs on its own thread; the model is loaded on a helper thread so the
window never freezes. The tab shows the URL, the model served and how many requests
were answered; closing the window stops the server (requests in flight finish first).
"""

from __future__ import annotations

import html
import threading
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from workbench.training.active_model import active_model

DEFAULT_PORT = 5005  # Rasa's
REFRESH_MS = 500
STOP_SECONDS = 3.0  # requests in flight get this long when the window closes


class ServePanel(QWidget):
    """Start/stop a background server for the project's active model."""

    started = Signal(str)  # the URL
    stopped = Signal()
    _loaded = Signal(object)  # from the helper thread: a started server
    _failed = Signal(str)  # from the helper thread: why it did not start

    def __init__(self, session: Any, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._session = session
        self.server: Any = None  # workbench.serving.server.BackgroundServer
        self._starter: threading.Thread | None = None
        self._pending: Any = None  # started by the helper thread, not yet shown
        self._closing = False
        self._build()
        self._timer = QTimer(self)
        self._timer.setInterval(REFRESH_MS)
        self._timer.timeout.connect(self._refresh_counts)
        self._loaded.connect(self._on_loaded)
        self._failed.connect(self._on_failed)

    def _build(self) -> None:
        self.port = QSpinBox(self)
        self.port.setRange(1, 65535)
        self.port.setValue(DEFAULT_PORT)
        self.port.setToolTip("Port on 127.0.0.1 (this machine only); Rasa's is 5005")
        self.port.setMaximumWidth(120)
        self.token = QLineEdit(self)
        self.token.setEchoMode(QLineEdit.EchoMode.Password)
        self.token.setPlaceholderText(
            "optional: clients then add ?token=… to the URL")
        self.token.setMaximumWidth(420)
        self.button = QPushButton("Serve the active model", self)
        self.button.clicked.connect(self.toggle)
        self.state = QLabel("Not serving.", self)
        self.state.setTextFormat(Qt.TextFormat.RichText)
        flags = Qt.TextInteractionFlag
        self.state.setTextInteractionFlags(flags.TextBrowserInteraction)
        self.state.setOpenExternalLinks(True)
        self.state.setWordWrap(True)
        self.model_label = QLabel("", self)
        self.model_label.setWordWrap(True)
        self.model_label.setTextInteractionFlags(
            Qt.TextInteractionFlag.TextSelectableByMouse)
        self.requests = QLabel("", self)
        self.example = QLabel("", self)
        self.example.setTextInteractionFlags(flags.TextSelectableByMouse)
        self.example.setWordWrap(True)
        self.example.setStyleSheet("font-family: monospace;")

        form = QFormLayout()
        form.addRow("Port", self.port)
        form.addRow("Auth token", self.token)
        row = QHBoxLayout()
        row.addWidget(self.button)
        row.addStretch(1)
        layout = QVBoxLayout(self)
        intro = QLabel("Serve the project's active model with Rasa's HTTP API "
                       "(POST /model/parse, GET /status, GET /version, PUT /model), "
                       "as `workbench serve` does, while the window is open.", self)
        intro.setWordWrap(True)
        layout.addWidget(intro)
        layout.addLayout(form)
        layout.addLayout(row)
        for widget in (self.state, self.model_label, self.requests, self.example):
            layout.addWidget(widget)
        layout.addStretch(1)

    # -- state ------------------------------------------------------------------------
    @property
    def running(self) -> bool:
        return self.server is not None and self.server.running

    @property
    def url(self) -> str | None:
        return self.server.url if self.running else None

    def toggle(self) -> None:
        if self.running:
            self.stop()
        elif self._starter is None:
            self.start()

    def start(self) -> bool:
        """Start serving the active model; False (and the reason shown) if it can't."""
        if self.running or self._starter is not None:
            return self.running
        project = self._session.project
        root = Path(project.root) if project is not None and project.root else None
        if root is None:
            return self._show_error("Open a project first.")
        model = active_model(root)
        if model is None:
            return self._show_error("This project has no trained model yet: train one "
                                    "(Model ▸ Train, Ctrl+T), then serve it.")
        port, token = self.port.value(), self.token.text() or None
        self._set_busy(f"Loading {model.name} …")
        self._starter = threading.Thread(target=self._start_in_background,
                                         args=(model, port, token), daemon=True,
                                         name="workbench-serve-start")
        self._starter.start()
        return True

    def _start_in_background(self, model: Path, port: int, token: str | None) -> None:
        try:
            from workbench.nlu.artefacts import ArtefactError
            from workbench.serving.model_slot import ModelSlot, load_served
            from workbench.serving.server import BackgroundServer, ServeConfig

            try:
                slot = ModelSlot(load_served(model))
            except ArtefactError as error:
                self._failed.emit(f"The model cannot be served: {error}")
                return
            server = BackgroundServer(slot, ServeConfig(
                port=port, auth_token=token, shutdown_timeout=STOP_SECONDS))
            try:
                server.start()
            except OSError as error:
                self._failed.emit(f"Cannot listen on 127.0.0.1:{port} "
                                  f"({error.strerror or error}): choose another port.")
                return
            self._pending = server
            self._loaded.emit(server)
        except Exception as error:  # noqa: BLE001 - shown, never a crash
            self._failed.emit(f"Serving failed: {type(error).__name__}: {error}")

    def _on_loaded(self, server: Any) -> None:
        self._starter = None
        if self._closing or server is not self._pending:
            return  # shutdown() stopped it already
        self._pending = None
        self.server = server
        url = server.url
        token = "?token=…" if self.token.text() else ""
        self.state.setText(f"Serving at <a href='{url}/status{token}'>{url}</a>")
        served = server.server.slot.current
        self.model_label.setText(f"Model: {served.path} (loaded {served.loaded_at})")
        self.example.setText(f"curl -s {url}/model/parse{token} "
                             "-d '{\"text\": \"hello\"}'")
        self.button.setText("Stop serving")
        self.button.setEnabled(True)
        self.port.setEnabled(False)
        self.token.setEnabled(False)
        self._refresh_counts()
        self._timer.start()
        self.started.emit(url)

    def _on_failed(self, message: str) -> None:
        self._starter = None
        self._show_error(message)

    def stop(self) -> None:
        """Stop serving (requests in flight finish first)."""
        self._timer.stop()
        server, self.server = self.server, None
        if server is not None:
            server.stop(STOP_SECONDS + 2)
        self.state.setText("Not serving.")
        self.model_label.setText("")
        self.example.setText("")
        self._reset_controls()
        if server is not None:
            self.stopped.emit()

    def shutdown(self) -> None:
        """The window closes: stop the server, including one still starting."""
        self._closing = True
        starter = self._starter
        if starter is not None:
            starter.join(60)
        pending, self._pending = self._pending, None
        if pending is not None:
            pending.stop(STOP_SECONDS + 2)
        self.stop()

    # -- display ----------------------------------------------------------------------
    def _refresh_counts(self) -> None:
        if self.server is None:
            return
        stats = self.server.stats
        self.requests.setText(f"Requests answered: {stats.total} "
                              f"({stats.parses} parses, {stats.errors} errors)")

    def _set_busy(self, text: str) -> None:
        self.state.setText(text)
        self.button.setEnabled(False)

    def _show_error(self, message: str) -> bool:
        self.state.setText(f"<span style='color:#b00020'>{_escape(message)}</span>")
        self._reset_controls()
        return False

    def _reset_controls(self) -> None:
        self.button.setText("Serve the active model")
        self.button.setEnabled(True)
        self.port.setEnabled(True)
        self.token.setEnabled(True)
        self.requests.setText("")


def _escape(text: str) -> str:
    return html.escape(text, quote=False)
