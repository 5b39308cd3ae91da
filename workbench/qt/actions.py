"""Every window action declared once: name, menu text, shortcut, help text.

The F1 help dialog lists ``ACTION_SPECS`` and ``EDITOR_KEYS``, so the shortcut list
shown to the user is the one the window actually installs.
"""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QWidget


@dataclass(frozen=True)
class ActionSpec:
    """One window action."""

    name: str  # key in the dict returned by create_actions
    text: str  # menu text ("&" marks the mnemonic)
    shortcut: str  # QKeySequence string; "" for none
    help: str  # one line for the shortcut list
    menu: str  # File, Edit, Intent, Example, View, Model, Help


ACTION_SPECS: tuple[ActionSpec, ...] = (
    ActionSpec("open", "&Open project…", "Ctrl+O", "Open a project folder", "File"),
    ActionSpec(
        "open_file",
        "Open NLU &file…",
        "Ctrl+Shift+O",
        "Open one NLU YAML file",
        "File",
    ),
    ActionSpec(
        "open_sample",
        "Open &sample project",
        "",
        "Open the bundled pizza project",
        "File",
    ),
    ActionSpec("save", "&Save", "Ctrl+S", "Save changed files", "File"),
    ActionSpec("reload", "&Reload from disk", "", "Discard edits and reload", "File"),
    ActionSpec("quit", "&Quit", "Ctrl+Q", "Close the window", "File"),
    ActionSpec("undo", "&Undo", "Ctrl+Z", "Undo the last edit", "Edit"),
    ActionSpec("redo", "&Redo", "Ctrl+Shift+Z", "Redo the undone edit", "Edit"),
    ActionSpec("find", "&Find examples", "Ctrl+F", "Focus the example filter", "Edit"),
    ActionSpec(
        "add_intent",
        "&Add intent…",
        "Ctrl+Shift+N",
        "Create an intent",
        "Intent",
    ),
    ActionSpec(
        "rename_intent",
        "Re&name intent…",
        "F2",
        "Rename the selected intent",
        "Intent",
    ),
    ActionSpec(
        "merge_intents",
        "&Merge intents…",
        "Ctrl+Shift+M",
        "Merge the selected intents into one",
        "Intent",
    ),
    ActionSpec(
        "delete_intent",
        "&Delete intent…",
        "Ctrl+Shift+Del",
        "Delete the selected intent and its examples",
        "Intent",
    ),
    ActionSpec(
        "new_example",
        "&New example",
        "Ctrl+N",
        "Add an example to the current intent",
        "Example",
    ),
    ActionSpec(
        "move_examples",
        "&Move to intent…",
        "Ctrl+M",
        "Move the selected examples to another intent",
        "Example",
    ),
    ActionSpec(
        "delete_examples",
        "&Delete examples",
        "Del",
        "Delete the selected examples",
        "Example",
    ),
    ActionSpec(
        "next_example",
        "Ne&xt example",
        "Ctrl+Down",
        "Go to the next example",
        "Example",
    ),
    ActionSpec(
        "previous_example",
        "&Previous example",
        "Ctrl+Up",
        "Go to the previous example",
        "Example",
    ),
    ActionSpec(
        "annotate_everywhere",
        "Annotate &everywhere",
        "Ctrl+E",
        "Annotate the last span's text in every example",
        "Example",
    ),
    ActionSpec(
        "toggle_markup",
        "Edit raw &markup",
        "Ctrl+R",
        "Switch the text box between plain text and markup",
        "Example",
    ),
    ActionSpec(
        "focus_intents",
        "Go to &intents",
        "Ctrl+1",
        "Focus the intent list",
        "View",
    ),
    ActionSpec(
        "focus_examples",
        "Go to e&xamples",
        "Ctrl+2",
        "Focus the example table",
        "View",
    ),
    ActionSpec(
        "focus_editor",
        "Go to &span editor",
        "Ctrl+3",
        "Focus the span editor",
        "View",
    ),
    ActionSpec(
        "next_problem",
        "Next &problem",
        "F8",
        "Jump to the next problem",
        "View",
    ),
    ActionSpec("train", "&Train", "Ctrl+T", "Train DIET on the current data", "Model"),
    ActionSpec(
        "stop_training",
        "&Stop training",
        "Ctrl+.",
        "Stop the running training",
        "Model",
    ),
    ActionSpec(
        "test_message",
        "Test a &message",
        "Ctrl+Shift+T",
        "Open the message tester",
        "Model",
    ),
    ActionSpec(
        "evaluate",
        "&Evaluate the active model",
        "Ctrl+Shift+E",
        "Predict the training data with the active model: report, confusion "
        "matrix, errors, confidences in the example table",
        "Model",
    ),
    ActionSpec(
        "cross_validate",
        "&Cross-validate",
        "",
        "Train one model per fold and predict each example with a model that never "
        "saw it (honest figures)",
        "Model",
    ),
    ActionSpec(
        "review_inbox",
        "Review &inbox",
        "Ctrl+Shift+I",
        "Review new messages pre-labelled by the model",
        "Model",
    ),
    ActionSpec(
        "serve_model",
        "Ser&ve the active model",
        "",
        "Serve the active model over HTTP with Rasa's API (the Serve tab)",
        "Model",
    ),
    ActionSpec("shortcuts", "&Keyboard shortcuts", "F1", "Show this list", "Help"),
)

# Keys handled inside widgets (not window actions), for the help dialog.
EDITOR_KEYS: tuple[tuple[str, str], ...] = (
    ("Left / Right", "Span editor: move the token caret"),
    ("Shift+Left / Shift+Right", "Span editor: select tokens"),
    ("Mouse drag", "Span editor: select tokens (snapped to token boundaries)"),
    ("Space or E", "Span editor: annotate the selection (opens the type popup)"),
    ("Delete", "Span editor: remove the span under the caret"),
    ("Click on a span", "Edit its type, role, group or synonym value, or remove it"),
    ("Enter", "Accept the example and go to the next one"),
    ("Type popup: letters", "Filter entity types"),
    ("Type popup: 1-9", "Pick one of the first nine types"),
    ("Type popup: Enter", "Pick the highlighted type, or create the typed one"),
    ("Escape", "Close a popup or clear the selection"),
    (
        "Inbox: Enter / I / X / S",
        "Accept as predicted / choose the intent / reject / skip",
    ),
)


def create_actions(parent: QWidget) -> dict[str, QAction]:
    """Create one QAction per spec (not connected), keyed by ``ActionSpec.name``."""
    actions = {}
    for spec in ACTION_SPECS:
        action = QAction(spec.text, parent)
        if spec.shortcut:
            action.setShortcut(QKeySequence(spec.shortcut))
        action.setToolTip(
            f"{spec.help} ({spec.shortcut})" if spec.shortcut else spec.help
        )
        action.setStatusTip(spec.help)
        actions[spec.name] = action
    return actions
