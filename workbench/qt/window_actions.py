"""WindowActions: connect the window's actions (menus, keys, buttons) to handlers."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtGui import QAction

from workbench.core.sample_project import SampleCopyError, user_sample_copy

if TYPE_CHECKING:
    from workbench.qt.main_window import MainWindow


class WindowActions:
    """The small action handlers of ``MainWindow`` and the table that connects them."""

    def __init__(self, window: MainWindow) -> None:
        self.window = window

    def connect(self, actions: dict[str, QAction]) -> None:
        """Connect every action of ``ACTION_SPECS`` (undo/redo are the history's)."""
        w, h = self.window, self.window.handlers
        handlers = {
            "open": w.choose_project_folder, "open_file": w.choose_project_file,
            "open_sample": self.open_sample, "save": w.save, "reload": w.reload,
            "quit": w.close, "find": self.focus_filter,
            "add_intent": h.add_intent, "rename_intent": h.rename_intent,
            "merge_intents": h.merge_intents, "delete_intent": h.delete_intent,
            "new_example": h.new_example, "move_examples": h.move_examples,
            "delete_examples": h.delete_examples,
            "next_example": w.examples_view.go_next,
            "previous_example": w.examples_view.go_previous,
            "annotate_everywhere": self.annotate_everywhere,
            "toggle_markup": self.toggle_markup,
            "focus_intents": w.intent_panel.view.setFocus,
            "focus_examples": w.examples_view.table.setFocus,
            "focus_editor": self.focus_editor, "next_problem": self.next_problem,
            "shortcuts": w.show_shortcuts, "train": self.train,
            "stop_training": w.train_view.worker.request_stop,
            "test_message": self.show_tester,
        }  # fmt: skip
        for name, slot in handlers.items():
            # Call without the "checked" argument: handlers take their own defaults.
            actions[name].triggered.connect(lambda _checked=False, s=slot: s())
        w.tester_view.message.connect(lambda text: w.statusBar().showMessage(text, 8000))

    def open_sample(self) -> bool:
        """Open the user's copy of the sample project (copied there on first use).

        The installed sample is never opened itself: edits would change the package.
        Where the copy is goes to the status bar.
        """
        try:
            copy = user_sample_copy()
        except SampleCopyError as error:
            self.window.prompter.inform("Cannot open the sample project", str(error))
            return False
        if not self.window.open_project(copy.path):
            return False
        self.window.statusBar().showMessage(copy.describe(), 30000)
        return True

    def next_problem(self) -> None:
        """Select the next problem and show its example (F8)."""
        issue = self.window.problems_panel.select_next()
        if issue is not None:
            self.window.jump_to_issue(issue)

    def focus_filter(self) -> None:
        """Focus the example search box (Ctrl+F)."""
        self.window.tabs.setCurrentWidget(self.window.examples_view)
        self.window.examples_view.filter_edit.setFocus()
        self.window.examples_view.filter_edit.selectAll()

    def focus_editor(self) -> None:
        """Focus the span editor (Ctrl+3)."""
        if self.window.examples_view.editor is not None:
            self.window.tabs.setCurrentWidget(self.window.examples_view)
            self.window.examples_view.editor.span_editor.setFocus()

    def toggle_markup(self) -> None:
        """Switch the text box between plain text and markup (Ctrl+R)."""
        if self.window.examples_view.editor is not None:
            self.window.examples_view.editor.markup_button.toggle()

    def annotate_everywhere(self) -> None:
        """Accept the annotate-everywhere offer (Ctrl+E)."""
        editor = self.window.examples_view.editor
        if editor is not None and not editor.everywhere_bar.accept():
            self.window.statusBar().showMessage(
                "Annotate a span first: then Ctrl+E labels it everywhere.", 5000
            )

    def train(self) -> None:
        """Show the Train tab and start training (Ctrl+T)."""
        self.window.tabs.setCurrentWidget(self.window.train_view)
        self.window.train_view.start_training()

    def show_tester(self) -> None:
        """Show the message tester (Ctrl+Shift+T)."""
        self.window.tabs.setCurrentWidget(self.window.tester_view)
        self.window.tester_view.input.setFocus()
