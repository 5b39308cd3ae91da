"""MainWindow: intents left, examples and resource editors in tabs, problems below.

The window wires the pieces together; the pieces own their behaviour: ``ProjectSession``
(project + undo history), ``ProjectGuard`` (recovery file, file watcher), the views, and
``EditHandlers`` (intent/example actions).
"""

from __future__ import annotations

import gc
from pathlib import Path

from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QCloseEvent
from PySide6.QtWidgets import (
    QDockWidget,
    QFileDialog,
    QLabel,
    QMainWindow,
    QTabWidget,
    QWidget,
)

from workbench.core.issues import Issue
from workbench.core.project import (
    NewFilesNeeded,
    Project,
    ProjectLoadError,
    SaveError,
)
from workbench.core.validation import validate
from workbench.qt.actions import ACTION_SPECS, create_actions
from workbench.qt.dialogs.prompter import DialogPrompter, Prompter
from workbench.qt.dialogs.shortcuts_dialog import ShortcutsDialog
from workbench.qt.edit_handlers import EditHandlers
from workbench.qt.models.example_table_model import ExampleTableModel
from workbench.qt.models.intent_list_model import IntentTableModel
from workbench.qt.palette import EntityPalette
from workbench.qt.project_guard import ProjectGuard
from workbench.qt.project_prompts import (
    ProjectPrompts,
    failed_paths,
    failed_summary,
    shown_path,
)
from workbench.qt.session import ProjectSession
from workbench.qt.settings import SettingsStore
from workbench.qt.views.evaluation_view import EvaluationView
from workbench.qt.views.examples_view import ExamplesView
from workbench.qt.views.inbox_view import InboxView
from workbench.qt.views.intent_panel import IntentPanel
from workbench.qt.views.map_view import MapView
from workbench.qt.views.problems_panel import ProblemsPanel
from workbench.qt.views.resource_editor_view import (
    LOOKUPS,
    REGEXES,
    SYNONYMS,
    ResourceEditorView,
)
from workbench.qt.views.serve_panel import ServePanel
from workbench.qt.views.settings_panel import SettingsPanel
from workbench.qt.views.tester_view import TesterView
from workbench.qt.views.train_view import TrainView
from workbench.qt.window_actions import WindowActions
from workbench.qt.workers.engine_preload import preload_engine, wait_for_engine
from workbench.qt.workers.validation_worker import ValidationWorker

APP_TITLE = "NLU Workbench"
ENGINE_PRELOAD_WAIT_S = 30.0  # closing waits this long for torch's import to end


class MainWindow(WindowActions, QMainWindow):
    """The workbench window.

    Args:
        settings_store: where preferences and layout persist (tests pass a temp one).
        prompter: how to ask the user; ``None`` uses modal dialogs.
    """

    def __init__(
        self,
        settings_store: SettingsStore | None = None,
        prompter: Prompter | None = None,
    ) -> None:
        super().__init__()
        self.setObjectName("MainWindow")
        self.settings_store = settings_store or SettingsStore()
        self.preferences = self.settings_store.load()
        self.prompter = prompter or DialogPrompter(self)
        self.palette_ = EntityPalette()
        self.session = ProjectSession(self)
        self.guard = ProjectGuard(self.session, self.preferences.autosave_seconds, self)
        self.actions = create_actions(self)
        self.intent_model = IntentTableModel(self)
        self._build_views()
        self.handlers = EditHandlers(
            self.session, self.prompter, self.intent_panel, self.examples_view
        )
        self._build_menus()
        self.prompts = ProjectPrompts(self)
        self._connect()
        self._validation_timer = QTimer(self)
        self._validation_timer.setSingleShot(True)
        self._validation_timer.timeout.connect(self.request_validation)
        self.validation_worker = ValidationWorker(self)
        self.validation_worker.validated.connect(self._show_issues)
        self._closing_confirmed = False
        self.resize(1280, 820)
        geometry, state = self.settings_store.window_state()
        if geometry is not None:
            self.restoreGeometry(geometry)
        if state is not None:
            self.restoreState(state)
        self._default_layout_pending = state is None
        self._update_title()
        self._update_actions()

    # -- construction -----------------------------------------------------------------
    def _build_views(self) -> None:
        a = self.actions
        self.intent_panel = IntentPanel(self.intent_model,
            [a["add_intent"], a["rename_intent"], a["merge_intents"],
             a["delete_intent"]], self)  # fmt: skip
        self.examples_view = ExamplesView(self.session, self.palette_, self)
        self.tabs = QTabWidget(self)
        self.tabs.setDocumentMode(True)
        self.tabs.addTab(self.examples_view, "Examples")
        self.resource_views = [
            ResourceEditorView(self.session, kind, self.prompter, self)
            for kind in (SYNONYMS, REGEXES, LOOKUPS)
        ]
        for view in self.resource_views:
            self.tabs.addTab(view, view.kind.title)
        self.train_view = TrainView(self.session, self, prompter=self.prompter)
        self.tester_view = TesterView(self, session=self.session, palette=self.palette_,
                                      prompter=self.prompter)
        self.tabs.addTab(self.train_view, "Train")
        self.evaluation_view = EvaluationView(self.session, self)
        self.tabs.addTab(self.evaluation_view, "Evaluate")
        self.map_view = MapView(self.session, self, prompter=self.prompter)
        self.tabs.addTab(self.map_view, "Map")
        self.settings_panel = SettingsPanel(self.session, self, prompter=self.prompter)
        self.tabs.addTab(self.settings_panel, "Training settings")
        self.tabs.addTab(self.tester_view, "Test")
        self.inbox_view = InboxView(self.session, self.palette_, self)
        self.tabs.addTab(self.inbox_view, "Inbox")
        self.serve_panel = ServePanel(self.session, self)
        self.tabs.addTab(self.serve_panel, "Serve")
        self.setCentralWidget(self.tabs)
        self.intent_dock = self._dock(
            "Intents", self.intent_panel, Qt.DockWidgetArea.LeftDockWidgetArea
        )
        self.problems_panel = ProblemsPanel(self)
        self.problems_dock = self._dock(
            "Problems", self.problems_panel, Qt.DockWidgetArea.BottomDockWidgetArea
        )
        self.status_label = QLabel(self)
        self.statusBar().addPermanentWidget(self.status_label)

    def _dock(
        self, title: str, widget: QWidget, area: Qt.DockWidgetArea
    ) -> QDockWidget:
        dock = QDockWidget(title, self)
        dock.setObjectName(f"{title.lower()}Dock")
        dock.setWidget(widget)
        features = QDockWidget.DockWidgetFeature
        dock.setFeatures(features.DockWidgetMovable | features.DockWidgetFloatable)
        self.addDockWidget(area, dock)
        return dock

    def _build_menus(self) -> None:
        undo, redo = self.actions["undo"], self.actions["redo"]
        undo.triggered.connect(self.session.history.stack.undo)
        redo.triggered.connect(self.session.history.stack.redo)
        menus: dict[str, object] = {}
        for spec in ACTION_SPECS:
            if spec.menu not in menus:
                menus[spec.menu] = self.menuBar().addMenu(f"&{spec.menu}")
            menu = menus[spec.menu]
            menu.addAction(self.actions[spec.name])
            if spec.name == "open_sample":
                self.recent_menu = menu.addMenu("Open &recent")
                menu.addSeparator()
        view_menu = menus["View"]
        view_menu.addSeparator()
        view_menu.addAction(self.intent_dock.toggleViewAction())
        view_menu.addAction(self.problems_dock.toggleViewAction())
        self._fill_recent_menu()

    def _connect(self) -> None:
        a = self.actions
        self.connect_actions()
        # Delete must not steal Backspace/Delete from text boxes and the span editor.
        a["delete_examples"].setShortcutContext(Qt.ShortcutContext.WidgetShortcut)
        self.examples_view.table.addAction(a["delete_examples"])
        self.session.dirty_changed.connect(self._on_session_dirty_changed)
        self.session.refused.connect(
            lambda message: self.statusBar().showMessage(message, 8000)
        )
        self.session.history.edited.connect(self._on_history_edited)
        self.session.history.stack.canUndoChanged.connect(a["undo"].setEnabled)
        self.session.history.stack.canRedoChanged.connect(a["redo"].setEnabled)
        self.intent_panel.intent_selected.connect(self.examples_view.set_intent_scope)
        self.examples_view.scope_requested.connect(self.intent_panel.select_intent)
        self.examples_view.selection_changed.connect(self._update_actions)
        self.problems_panel.jump_requested.connect(self.jump_to_issue)
        self.problems_panel.fix_requested.connect(self._apply_fix)
        self.guard.files_changed_on_disk.connect(self.prompts.on_files_changed_on_disk)
        # The tester follows the project's active model, not every finished run.
        self.train_view.active_model_changed.connect(self.tester_view.use_model)
        self.train_view.about_to_train.connect(self._commit_pending_edit)
        self.train_view.example_activated.connect(self.show_example)
        self._connect_map()
        self._connect_inbox()
        self._connect_evaluation()
        a["serve_model"].triggered.connect(lambda _checked=False: (
            self.tabs.setCurrentWidget(self.serve_panel), self.serve_panel.start()))

    def _connect_map(self) -> None:
        """The Map tab follows the active model and is linked both ways to the table."""
        view = self.map_view
        self.train_view.active_model_changed.connect(view.set_model)
        view.example_activated.connect(self.show_example)
        view.open_in_table.connect(self.show_examples_in_table)
        self.examples_view.selection_changed.connect(
            lambda: view.show_table_selection(self.examples_view.selected_rows()))

    def _connect_evaluation(self) -> None:
        """The Evaluate tab: confidences into the table, insights into the panel."""
        view = self.evaluation_view
        self.train_view.active_model_changed.connect(view.model_changed)
        view.predictions_ready.connect(self.examples_view.set_evaluation)
        view.insights_ready.connect(self.problems_panel.set_insights)
        view.example_activated.connect(self.show_example)
        view.message.connect(lambda text: self.statusBar().showMessage(text, 10000))
        self.actions["evaluate"].triggered.connect(lambda _checked=False: (
            self.tabs.setCurrentWidget(view), view.evaluate_training_data()))
        self.actions["cross_validate"].triggered.connect(lambda _checked=False: (
            self.tabs.setCurrentWidget(view), view.cross_validate()))

    def _apply_fix(self, issue: Issue) -> None:
        """Apply an issue's fix; an insight's "show the examples" opens the matrix."""
        if issue.fix is not None and issue.fix.kind == "show_confusion":
            first, second = issue.fix.payload["intents"]
            if self.evaluation_view.show_confusion(first, second):
                self.tabs.setCurrentWidget(self.evaluation_view)
            return
        self.session.apply_fix(issue)

    def _connect_inbox(self) -> None:
        """The Inbox tab: status messages, retraining, re-scoring with a new model."""
        inbox = self.inbox_view
        inbox.message.connect(lambda text: self.statusBar().showMessage(text, 10000))
        inbox.retrain_requested.connect(self.train)
        self.train_view.model_trained.connect(lambda _path: inbox.model_changed())
        if hasattr(self.train_view, "active_model_changed"):
            self.train_view.active_model_changed.connect(
                lambda *_args: inbox.model_changed())
        self.actions["review_inbox"].triggered.connect(
            lambda _checked=False: self.tabs.setCurrentWidget(inbox))

    # -- opening ----------------------------------------------------------------------
    def choose_project_folder(self) -> None:
        """Ask for a project folder and open it."""
        folder = QFileDialog.getExistingDirectory(self, "Open Rasa project folder")
        if folder:
            self.open_project(Path(folder))

    def choose_project_file(self) -> None:
        """Ask for one NLU YAML file and open it."""
        name, _ = QFileDialog.getOpenFileName(
            self, "Open NLU file", "", "YAML (*.yml *.yaml)"
        )
        if name:
            self.open_project(Path(name))

    def open_project(
        self,
        path: str | Path,
        *,
        check_recovery: bool = True,
        discard_edits: bool = False,
        confirm_title: str = "Open another project",
    ) -> bool:
        """Open a project folder or NLU file; False leaves the current one as it was.

        The new project is read first. A folder with no Rasa data opens only if the
        user agrees. Then the current project's unsaved edits (a pending text edit
        included) are saved or discarded, asking first, unless ``discard_edits``
        says the user already chose to drop them.
        """
        project = self._load(path)
        if project is None:
            return False
        if not self.prompts.confirm_open_without_data(project, path):
            self.statusBar().showMessage(f"Not opened: {path}", 8000)
            return False
        if discard_edits:
            self.examples_view.discard_draft()
            self.guard.discard_recovery()
        elif not self._confirm_discard(confirm_title):
            return False
        self._show_project(project, path)
        del project  # freeze only what the window holds
        gc.freeze()
        project = self.session.project
        if check_recovery:
            self.prompts.offer_recovery()
        self.inbox_view.set_project(project.root)  # after recovery: it reconciles
        self.problems_panel.set_issues(list(project.load_issues))
        self.request_validation()  # in the background: big projects open at once
        self._update_title()
        self._update_actions()
        preload_engine()  # torch, while the user reads: not when a run ends
        failed = self.prompts.report_failed_files(project)
        self.statusBar().showMessage(
            f"Opened {path}" + (f" · {failed}" if failed else ""), 10000
        )
        return True

    def _load(self, path: str | Path) -> Project | None:
        """Read ``path`` (``None``, after telling the user, if it cannot be read)."""
        # Loading allocates millions of small objects: the cyclic GC would rescan them
        # over and over (measured: +1 s on 50,000 examples). Examples hold no cycles,
        # so pause it while loading and freeze what was loaded (gc.freeze docs).
        gc.unfreeze()  # the previous project may be collected again
        gc.disable()
        try:
            return self.session.load(path)
        except ProjectLoadError as error:
            self.prompter.inform("Cannot open project", str(error))
            return None
        finally:
            gc.enable()

    def _show_project(self, project: Project, path: str | Path) -> None:
        """Make ``project`` current and point every view at it.

        The views drop what they kept of the old project first (editor row and
        draft, the trained run and model when the folder changes), so nothing of it
        can be applied to the new one.
        """
        old_path = self.session.path
        self.examples_view.discard_draft()  # committed or discarded by the caller
        if old_path is None or old_path.resolve() != Path(path).resolve():
            self.train_view.forget_run()
            self.tester_view.forget_model()
        self.session.adopt(project, path)
        self.evaluation_view.forget()  # its predictions are of the old data
        model = ExampleTableModel(project.examples, self)
        self.palette_.prime(self.session.entity_types())
        self.examples_view.set_table_model(model)
        self.intent_model.refresh(project)
        self.intent_panel.select_intent(None)
        for view in self.resource_views:
            view.reset()
        self.guard.watch(self.session.data_paths())
        self.train_view.project_opened()  # its runs and active model (for the tester)
        self.map_view.project_opened()
        self.preferences = self.settings_store.add_recent(path)
        self._fill_recent_menu()

    def reload(self) -> bool:
        """Reload the project from disk, dropping edits (asks first if any)."""
        if self.session.path is None:
            return False
        return self.open_project(
            self.session.path, check_recovery=False, confirm_title="Reload from disk"
        )

    def _fill_recent_menu(self) -> None:
        self.recent_menu.clear()
        for path in self.preferences.recent_projects:
            action = self.recent_menu.addAction(path)
            action.triggered.connect(
                lambda _checked=False, p=path: self.open_project(Path(p))
            )
        self.recent_menu.setEnabled(bool(self.preferences.recent_projects))

    # -- saving and closing -----------------------------------------------------------
    def save(self) -> bool:
        """Write the changed files (Ctrl+S); True only when everything was saved.

        Files that did not load are never written. A save that would create files
        asks first; "Don't save" writes nothing and keeps the edits (unsaved).
        """
        project = self.session.project
        if project is None:
            return False
        if self.examples_view.editor is not None:
            self.examples_view.editor.commit_draft()
        try:
            try:
                written = self.session.save()
            except NewFilesNeeded as needed:
                if not self.prompts.confirm_create_files(project, needed.paths):
                    self.statusBar().showMessage(
                        "Nothing was saved: no new file was created. Your edits are "
                        "kept (unsaved).", 10000,
                    )  # fmt: skip
                    return False
                written = self.session.save(create_files=True)
        except SaveError as error:
            self._tell_not_saved("Nothing was saved", error)
            return False
        except OSError as error:
            self._tell_not_saved("The project was not (completely) saved", error)
            return False
        self.guard.remember_saved(written)
        self.guard.discard_recovery()
        self.request_validation()  # the problems panel shows what is on disk now
        failed = failed_summary(project)
        if written:
            message = "Saved: " + ", ".join(shown_path(project, p) for p in written)
        else:
            message = "Nothing to save: the files already hold every edit"
        if failed:
            message += f" · {failed}"
        self.statusBar().showMessage(message, 10000)
        self._update_title()
        return True

    def _tell_not_saved(self, what: str, error: Exception) -> None:
        """Say why a save failed (message box and status bar); the edits are kept."""
        self.prompter.inform(
            "Save failed", f"{what}. Your edits are kept (unsaved).\n\n{error}"
        )
        self.statusBar().showMessage(f"{what}: {error}", 15000)

    def _confirm_discard(self, title: str) -> bool:
        """Return True when it is fine to drop the current project (saving if asked)."""
        if self.examples_view.editor is not None:
            self.examples_view.editor.commit_draft()
        if not self.session.dirty:
            return True
        answer = self.prompter.choose(
            title, "The project has unsaved changes. Save them first?",
            ("Save", "Discard", "Cancel"), "Cancel",
        )  # fmt: skip
        if answer == "Save":
            return self.save()
        if answer == "Discard":
            self.guard.discard_recovery()
            return True
        return False

    def _commit_pending_edit(self) -> None:
        """Write the example being typed to the project (before training)."""
        if self.examples_view.editor is not None:
            self.examples_view.editor.commit_draft()

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802
        """Ask about unsaved edits, then save the window layout and stop timers."""
        if not self._closing_confirmed and not self._confirm_discard("Quit"):
            event.ignore()
            return
        self.settings_store.save_window_state(self.saveGeometry(), self.saveState())
        self.guard.stop()
        self._validation_timer.stop()
        self.validation_worker.stop()
        # Destroying a running QThread aborts the process: stop and wait first.
        self.train_view.shutdown()
        self.evaluation_view.shutdown()
        self.map_view.shutdown()
        self.tester_view.worker.stop()
        self.tester_view.close_history()
        self.inbox_view.stop()
        self.serve_panel.shutdown()  # a server started here ends with the window
        wait_for_engine(ENGINE_PRELOAD_WAIT_S)
        event.accept()

    def showEvent(self, event) -> None:  # noqa: N802, ANN001
        """Give the docks sensible sizes the first time (no saved layout yet)."""
        super().showEvent(event)
        if self._default_layout_pending:
            self._default_layout_pending = False
            self.resizeDocks([self.intent_dock], [300], Qt.Orientation.Horizontal)
            self.resizeDocks([self.problems_dock], [160], Qt.Orientation.Vertical)

    def discard_and_close(self) -> None:
        """Close without asking, keeping any recovery file (tests, crash simulation)."""
        self._closing_confirmed = True
        self.close()

    # -- reacting ---------------------------------------------------------------------
    def _on_history_edited(self) -> None:
        project = self.session.project
        if project is not None:
            self.intent_model.refresh(project)
        self._validation_timer.start(self.preferences.validation_delay_ms)
        self._update_actions()
        self._update_title()

    def _on_session_dirty_changed(self, _dirty: bool) -> None:
        self._update_title()

    def _update_title(self) -> None:
        path = self.session.path
        name = path.name if path is not None else "no project"
        self.setWindowTitle(f"{name}[*] — {APP_TITLE}")
        self.setWindowModified(self.session.dirty)
        project = self.session.project
        if project is not None:
            failed = len(failed_paths(project))
            self.status_label.setText(
                f"{len(project.examples)} examples · {len(project.intents)} intents"
                + (f" · {failed} file(s) not loaded" if failed else "")
                + (" · modified" if self.session.dirty else "")
            )

    def _update_actions(self) -> None:
        has_project = self.session.project is not None
        selected = bool(self.examples_view.selected_rows()) if has_project else False
        for name in ("save", "reload", "add_intent", "rename_intent", "merge_intents",
                     "delete_intent", "new_example", "find"):  # fmt: skip
            self.actions[name].setEnabled(has_project)
        for name in ("move_examples", "delete_examples"):
            self.actions[name].setEnabled(selected)
        self.actions["undo"].setEnabled(self.session.history.stack.canUndo())
        self.actions["redo"].setEnabled(self.session.history.stack.canRedo())

    # -- validation -------------------------------------------------------------------
    def request_validation(self) -> None:
        """Validate in the background; the problems panel updates when it is done."""
        self._validation_timer.stop()
        if self.session.project is not None:
            self.validation_worker.request(self.session.project)

    def validate_now(self) -> list[Issue]:
        """Validate synchronously and show the result (tests, benchmarks)."""
        self._validation_timer.stop()
        project = self.session.project
        if project is None:
            return []
        issues = validate(project)
        self._show_issues(issues)
        return issues

    def _show_issues(self, issues: list[Issue]) -> None:
        self.problems_panel.set_issues(issues)
        self.problems_dock.setWindowTitle(
            f"Problems ({len(issues)})" if issues else "Problems"
        )

    def jump_to_issue(self, issue: Issue) -> None:
        """Show the example an issue is about."""
        if issue.example_index is not None and self.show_example(issue.example_index):
            return
        if issue.path is not None:
            self.statusBar().showMessage(issue.format(), 10000)

    def show_example(self, index: int) -> bool:
        """Select example ``index`` in the Examples tab and focus its span editor.

        Returns False (and changes nothing) when there is no such example, e.g. an
        index from a training run of data that has changed since.
        """
        if not self.examples_view.select_example(index):
            return False
        self.tabs.setCurrentWidget(self.examples_view)
        if self.examples_view.editor is not None:
            self.examples_view.editor.span_editor.setFocus()
        return True

    def show_examples_in_table(self, indices: list[int]) -> bool:
        """Select the examples at ``indices`` in the Examples tab (all intents shown).
        """
        indices = sorted(indices)
        if not indices or not self.examples_view.select_example(indices[0]):
            return False
        self.intent_panel.select_intent(None)  # the selection may span intents
        self.examples_view.select_examples(indices)
        self.tabs.setCurrentWidget(self.examples_view)
        return True

    def show_shortcuts(self) -> ShortcutsDialog:
        """Show the keyboard shortcut list (F1)."""
        dialog = ShortcutsDialog(self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.show()
        return dialog
