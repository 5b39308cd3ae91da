"""EditHandlers: what the intent and example actions do (ask, then push a command)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from workbench.core.examples import Example
from workbench.core.markup import MarkupError, parse_markup

if TYPE_CHECKING:
    from workbench.qt.dialogs.prompter import Prompter
    from workbench.qt.session import ProjectSession
    from workbench.qt.views.examples_view import ExamplesView
    from workbench.qt.views.intent_panel import IntentPanel

# Deleting more examples than this asks first (undoable, but easy to miss).
CONFIRM_DELETE_OVER = 10


class EditHandlers:
    """Intent and example edits triggered from menus, buttons and shortcuts."""

    def __init__(
        self,
        session: ProjectSession,
        prompter: Prompter,
        intents: IntentPanel,
        examples: ExamplesView,
    ) -> None:
        self.session = session
        self.prompter = prompter
        self.intents = intents
        self.examples = examples

    def _intent_names(self) -> list[str]:
        project = self.session.project
        return list(project.intents) if project is not None else []

    # -- intents ----------------------------------------------------------------------
    def add_intent(self) -> bool:
        """Ask for a name and create the intent."""
        name = self.prompter.get_text("Add intent", "Name of the new intent:")
        if not name or not self.session.add_intent(name):
            return False
        self.intents.select_intent(name.strip())
        return True

    def rename_intent(self) -> bool:
        """Rename the current intent."""
        old = self.intents.current_intent()
        if old is None:
            self.prompter.inform("Rename intent", "Select an intent to rename first.")
            return False
        new = self.prompter.get_text("Rename intent", f"New name for “{old}”:", old)
        if not new or not self.session.rename_intent(old, new):
            return False
        self.intents.select_intent(new.strip())
        return True

    def merge_intents(self) -> bool:
        """Merge the selected intents into one of them (or a new name)."""
        sources = self.intents.selected_intents()
        if len(sources) < 2:
            self.prompter.inform(
                "Merge intents", "Select two or more intents (Ctrl+click) to merge."
            )
            return False
        target = self.prompter.get_item(
            "Merge intents", f"Merge {', '.join(sources)} into:", sources
        )
        if not target or not self.session.merge_intents(sources, target):
            return False
        self.intents.select_intent(target.strip())
        return True

    def delete_intent(self) -> bool:
        """Delete the current intent and its examples, after confirmation."""
        name = self.intents.current_intent()
        if name is None:
            self.prompter.inform("Delete intent", "Select an intent to delete first.")
            return False
        count = self.intents.model.count(name)
        answer = self.prompter.choose(
            "Delete intent",
            f"Delete the intent “{name}” and its {count} example(s)? "
            "You can undo this.",
            ("Delete", "Cancel"),
            "Cancel",
        )
        return answer == "Delete" and self.session.delete_intent(name)

    # -- examples ---------------------------------------------------------------------
    def new_example(self, markup: str | None = None) -> bool:
        """Add an example (markup allowed) to the current intent."""
        intent = self.intents.current_intent()
        if intent is None and self.examples.editor is not None:
            current = self.examples.editor.current_example()
            intent = current.intent if current is not None else None
        if intent is None:
            names = self._intent_names()
            intent = self.prompter.get_item(
                "New example", "Intent:", names
            ) if names else None
        if not intent:
            return False
        if markup is None:
            markup = self.prompter.get_text(
                "New example",
                f"Text of the new “{intent}” example ([words](entity) allowed):",
            )
        if not markup or not markup.strip():
            return False
        try:
            text, spans = parse_markup(markup.strip())
        except MarkupError as error:
            self.prompter.inform("New example", f"The markup is not valid: {error}")
            return False
        index = self.session.add_example(Example(text, intent, spans))
        if index is None:
            return False
        self.examples.select_example(index)
        return True

    def new_example_as(self, text: str, intent: str) -> bool:
        """Add plain ``text`` as an example of ``intent`` and show it."""
        index = self.session.add_example(Example(text.strip(), intent))
        if index is None:
            return False
        self.examples.select_example(index)
        return True

    def move_examples(self, target: str | None = None) -> bool:
        """Give the selected examples another intent."""
        rows = self.examples.selected_rows()
        if not rows:
            return False
        if target is None:
            target = self.prompter.get_item(
                "Move examples",
                f"Move {len(rows)} example(s) to intent:",
                self._intent_names(),
            )
        return bool(target) and self.session.move_examples(rows, target.strip())

    def delete_examples(self) -> bool:
        """Delete the selected examples (asks first above ``CONFIRM_DELETE_OVER``)."""
        rows = self.examples.selected_rows()
        if not rows:
            return False
        if len(rows) > CONFIRM_DELETE_OVER:
            answer = self.prompter.choose(
                "Delete examples", f"Delete {len(rows)} examples? You can undo this.",
                ("Delete", "Cancel"), "Cancel",
            )  # fmt: skip
            if answer != "Delete":
                return False
        return self.session.remove_examples(rows)
