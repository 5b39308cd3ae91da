"""WindowActions: the window's small action handlers and the table that connects them.

A mixin of ``MainWindow``: the handlers use the window's views, session and prompter
through ``self``, so this module needs no import of the window (no import cycle).
"""

from __future__ import annotations

from workbench.core.sample_project import SampleCopyError, user_sample_copy


class WindowActions:
    """The handlers of ``MainWindow``'s menus, keys and buttons (mixed into it).

    Uses the window's ``actions``, ``handlers``, ``prompter``, ``tabs``, views and
    panels, ``open_project`` and ``jump_to_issue``.
    """

    def connect_actions(self) -> None:
        """Connect every action of ``ACTION_SPECS`` (undo/redo are the history's)."""
        h = self.handlers
        handlers = {
            "open": self.choose_project_folder, "open_file": self.choose_project_file,
            "open_sample": self.open_sample, "save": self.save, "reload": self.reload,
            "quit": self.close, "find": self.focus_filter,
            "add_intent": h.add_intent, "rename_intent": h.rename_intent,
            "merge_intents": h.merge_intents, "delete_intent": h.delete_intent,
            "new_example": h.new_example, "move_examples": h.move_examples,
            "delete_examples": h.delete_examples,
            "next_example": self.examples_view.go_next,
            "previous_example": self.examples_view.go_previous,
            "annotate_everywhere": self.annotate_everywhere,
            "toggle_markup": self.toggle_markup,
            "focus_intents": self.intent_panel.view.setFocus,
            "focus_examples": self.examples_view.table.setFocus,
            "focus_editor": self.focus_editor, "next_problem": self.next_problem,
            "shortcuts": self.show_shortcuts, "train": self.train,
            "stop_training": self.train_view.worker.request_stop,
            "test_message": self.show_tester,
        }  # fmt: skip
        for name, slot in handlers.items():
            # Call without the "checked" argument: handlers take their own defaults.
            self.actions[name].triggered.connect(lambda _checked=False, s=slot: s())
        self.tester_view.message.connect(
            lambda text: self.statusBar().showMessage(text, 8000))

    def open_sample(self) -> bool:
        """Open the user's copy of the sample project (copied there on first use).

        The installed sample is never opened itself: edits would change the package.
        Where the copy is goes to the status bar.
        """
        try:
            copy = user_sample_copy()
        except SampleCopyError as error:
            self.prompter.inform("Cannot open the sample project", str(error))
            return False
        if not self.open_project(copy.path):
            return False
        self.statusBar().showMessage(copy.describe(), 30000)
        return True

    def next_problem(self) -> None:
        """Select the next problem and show its example (F8)."""
        issue = self.problems_panel.select_next()
        if issue is not None:
            self.jump_to_issue(issue)

    def focus_filter(self) -> None:
        """Focus the example search box (Ctrl+F)."""
        self.tabs.setCurrentWidget(self.examples_view)
        self.examples_view.filter_edit.setFocus()
        self.examples_view.filter_edit.selectAll()

    def focus_editor(self) -> None:
        """Focus the span editor (Ctrl+3)."""
        if self.examples_view.editor is not None:
            self.tabs.setCurrentWidget(self.examples_view)
            self.examples_view.editor.span_editor.setFocus()

    def toggle_markup(self) -> None:
        """Switch the text box between plain text and markup (Ctrl+R)."""
        if self.examples_view.editor is not None:
            self.examples_view.editor.markup_button.toggle()

    def annotate_everywhere(self) -> None:
        """Accept the annotate-everywhere offer (Ctrl+E)."""
        editor = self.examples_view.editor
        if editor is not None and not editor.everywhere_bar.accept():
            self.statusBar().showMessage(
                "Annotate a span first: then Ctrl+E labels it everywhere.", 5000
            )

    def train(self) -> None:
        """Show the Train tab and start training (Ctrl+T)."""
        self.tabs.setCurrentWidget(self.train_view)
        self.train_view.start_training()

    def show_tester(self) -> None:
        """Show the message tester (Ctrl+Shift+T)."""
        self.tabs.setCurrentWidget(self.tester_view)
        self.tester_view.input.setFocus()
