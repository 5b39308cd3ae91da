"""SettingsPanel: the project's training settings, read from and written to config.yml.

Model settings are keys of the ``DIETClassifier`` entry of ``config.yml``. A change is
checked with ``DietConfig.from_rasa`` (the validation training uses): a refused value
stays in its field, marked, with the reason beside it, and nothing is changed. An
accepted value becomes a core command on the window's one undo history (Ctrl+Z undoes
data and settings alike); ``config.yml`` is written by the next save (Ctrl+S) with its
comments and layout kept, and training uses the edited values at once (the snapshot).

Device and threads belong to this computer and are kept in
``.workbench/training.json`` (written at once, like a preference: not on the undo
history, so choosing a device never marks the project unsaved; see
:mod:`workbench.core.machine_options`). CUDA/MPS devices are detected by name in a
background thread (importing torch takes seconds).
"""

from __future__ import annotations

import os
import threading
from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QScrollArea,
    QSpinBox,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from workbench.core.config_commands import SetConfigSetting, SetMachineOption
from workbench.core.config_file import UNSET, ConfigFile
from workbench.core.machine_options import MAX_THREADS, read_machine_options
from workbench.qt.dialogs.prompter import DialogPrompter, Prompter

ERROR_STYLE = "color: #c0392b;"
INVALID_FIELD = "QLineEdit { border: 1px solid #c0392b; }"


@dataclass(frozen=True)
class Setting:
    """One DIETClassifier key shown as a field."""

    key: str
    label: str
    kind: str  # "int", "float", "bool", "batch", "seed", "sizes:text", "sizes:label"
    help: str
    group: str = "model"  # "training" or "model": the box it is shown in


MODEL_SETTINGS = (
    Setting("epochs", "Epochs", "int", "Passes over the training data.", "training"),
    Setting("batch_size", "Batch size", "batch",
            "From, to: the batch size grows linearly over the epochs "
            "(one number: constant).", "training"),
    Setting("learning_rate", "Learning rate", "float", "Adam's step size.",
            "training"),
    Setting("random_seed", "Random seed", "seed",
            "Same seed, same data: the same model. Empty: the workbench's seed (42).",
            "training"),
    Setting("evaluate_on_number_of_examples", "Held-out examples", "int",
            "Examples kept out of training to measure generalisation (0: none).",
            "training"),
    Setting("evaluate_every_number_of_epochs", "Evaluate every", "int",
            "Epochs between evaluations on the held-out examples (-1: at the end).",
            "training"),
    Setting("embedding_dimension", "Embedding dimension", "int",
            "Size of the space messages and intents are compared in."),
    Setting("number_of_transformer_layers", "Transformer layers", "int",
            "0 turns the transformer off."),
    Setting("transformer_size", "Transformer size", "int",
            "Width of the transformer (divisible by its attention heads)."),
    Setting("hidden_layers_sizes", "Hidden layers (text)", "sizes:text",
            "Sizes of dense layers before the transformer, e.g. 256, 128 "
            "(empty: none)."),
    Setting("hidden_layers_sizes", "Hidden layers (intents)", "sizes:label",
            "Sizes of dense layers for the intent labels (empty: none)."),
    Setting("number_of_negative_examples", "Negative examples", "int",
            "Wrong intents each example is contrasted with per step."),
    Setting("constrain_similarities", "Constrain similarities", "bool",
            "Sigmoid loss on all similarities (Rasa's default pipeline: on)."),
)


class _DeviceProbe(QObject):
    """Detects CUDA/MPS devices in a background thread; ``found`` carries the list."""

    found = Signal(object)  # list[tuple[str, str]]: (device, description)

    def start(self) -> None:
        threading.Thread(target=self._run, name="device-probe", daemon=True).start()

    def _run(self) -> None:
        try:
            from workbench.nlu.diet.devices import available_devices  # imports torch

            devices = available_devices()
        except Exception:  # noqa: BLE001 - no torch, broken driver: CPU only
            devices = []
        try:
            self.found.emit(devices)
        except RuntimeError:  # the panel was closed meanwhile
            pass


class SettingsPanel(QWidget):
    """Edit the training settings of the session's project (module docstring).

    Signals:
        devices_detected(): the device list was filled (``devices_known`` is set).
    """

    devices_detected = Signal()

    def __init__(self, session: Any, parent: QWidget | None = None,
                 prompter: Prompter | None = None) -> None:
        super().__init__(parent)
        self._session = session
        self._prompter = prompter or DialogPrompter(self)
        self._refreshing = False
        self.fields: dict[str, QWidget] = {}
        self.errors: dict[str, QLabel] = {}
        self.resets: dict[str, QToolButton] = {}
        self.status = QLabel(self)
        self.status.setWordWrap(True)
        self.status.setTextInteractionFlags(
            Qt.TextInteractionFlag.TextSelectableByMouse)
        training_box = QGroupBox("Training (config.yml, DIETClassifier)", self)
        model_box = QGroupBox("Model (config.yml, DIETClassifier)", self)
        forms = {"training": QFormLayout(training_box), "model": QFormLayout(model_box)}
        for setting in MODEL_SETTINGS:
            forms[setting.group].addRow(setting.label, self._row(setting))
        machine_box = QGroupBox("This computer (.workbench/training.json)", self)
        machine_form = QFormLayout(machine_box)
        machine_form.setFieldGrowthPolicy(
            QFormLayout.FieldGrowthPolicy.FieldsStayAtSizeHint)
        self.device_box = QComboBox(machine_box)
        self.device_box.setToolTip("Where training runs; auto: a CUDA GPU, else Apple "
                                   "MPS, else the CPU.")
        self.threads_box = QSpinBox(machine_box)
        self.threads_box.setRange(0, MAX_THREADS)
        self.threads_box.setSpecialValueText("auto")
        self.threads_box.setToolTip("CPU threads for training; auto: the cores idle "
                                    f"now (this computer has {os.cpu_count()}).")
        self.machine_error = QLabel(machine_box)
        self.machine_error.setStyleSheet(ERROR_STYLE)
        self.machine_error.setWordWrap(True)
        self.machine_error.hide()
        self.device_box.setMinimumWidth(260)
        self.threads_box.setFixedWidth(120)
        machine_form.addRow("Device", self.device_box)
        machine_form.addRow("Threads", self.threads_box)
        machine_form.addRow(self.machine_error)
        content = QWidget(self)
        inner = QVBoxLayout(content)
        inner.addWidget(self.status)
        columns = QHBoxLayout()
        left = QVBoxLayout()
        left.addWidget(training_box)
        left.addWidget(machine_box)
        left.addStretch(1)
        right = QVBoxLayout()
        right.addWidget(model_box)
        right.addStretch(1)
        columns.addLayout(left, 1)
        columns.addLayout(right, 1)
        inner.addLayout(columns)
        inner.addStretch(1)
        scroll = QScrollArea(self)
        scroll.setWidgetResizable(True)
        scroll.setWidget(content)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(scroll)
        self._devices: list[tuple[str, str]] = []
        self._probe = _DeviceProbe(self)
        self._probe.found.connect(self._on_devices)
        self._probe_started = False
        self.devices_known = False  # the background detection has answered
        self.device_box.activated.connect(self._on_device_chosen)
        self.threads_box.editingFinished.connect(self._on_threads_edited)
        session.opened.connect(lambda _project: self.refresh())
        session.history.edited.connect(self._on_history_edited)
        self._stale = False
        self.refresh()

    # -- building ---------------------------------------------------------------------
    def _row(self, setting: Setting) -> QWidget:
        name = _field_name(setting)
        row = QWidget(self)
        box = QVBoxLayout(row)
        box.setContentsMargins(0, 0, 0, 0)
        line = QHBoxLayout()
        if setting.kind == "bool":
            field: QWidget = QCheckBox(row)
            field.toggled.connect(lambda _on, s=setting: self._commit(s))
        else:
            field = QLineEdit(row)
            field.setFixedWidth(150)
            field.editingFinished.connect(lambda s=setting: self._commit(s))
        field.setToolTip(f"{setting.key}: {setting.help}")
        field.setObjectName(name)
        reset = QToolButton(row)
        reset.setText("Default")
        reset.setToolTip(f"Remove {setting.key} from config.yml (use the default)")
        reset.clicked.connect(lambda _checked=False, s=setting: self._reset(s))
        error = QLabel(row)
        error.setStyleSheet(ERROR_STYLE)
        error.setWordWrap(True)
        error.hide()
        line.addWidget(field)
        line.addWidget(reset)
        line.addStretch(1)
        box.addLayout(line)
        box.addWidget(error)
        self.fields[name], self.errors[name], self.resets[name] = field, error, reset
        return row

    # -- showing ----------------------------------------------------------------------
    def _config_file(self) -> ConfigFile | None:
        project = self._session.project
        return getattr(project, "config_file", None) if project is not None else None

    def refresh(self) -> None:
        """Show the project's current settings (after opening, an edit, an undo)."""
        self._stale = False
        config_file = self._config_file()
        settings = config_file.diet_settings() if config_file is not None else None
        editable = (config_file is not None and config_file.error is None
                    and settings is not None)
        self.status.setText(self._status_text(config_file, settings))
        values = _effective(settings or {})
        self._refreshing = True
        try:
            for setting in MODEL_SETTINGS:
                name = _field_name(setting)
                field = self.fields[name]
                shown = _format(setting, values)
                if isinstance(field, QCheckBox):
                    field.setChecked(bool(shown))
                else:
                    field.setText(str(shown))
                    field.setStyleSheet("")
                field.setEnabled(editable)
                self.errors[name].hide()
                explicit = settings is not None and setting.key in settings
                self.resets[name].setEnabled(editable and explicit)
                field.setProperty("explicit", explicit)
                field.setFont(_font(field, explicit))
            self._refresh_machine()
        finally:
            self._refreshing = False

    def _status_text(self, config_file: ConfigFile | None,
                     settings: dict[str, Any] | None) -> str:
        if config_file is None:
            return "Open a project to see its training settings."
        if config_file.error is not None:
            return f"The settings cannot be changed: {config_file.error}."
        if settings is None:
            return (f"{config_file.path.name}: the pipeline has no DIETClassifier, so "
                    "these settings do not apply.")
        saved = "saved with the project (Ctrl+S); Ctrl+Z undoes a change"
        if config_file.text is None:
            return ("This project has no config.yml: training uses Rasa's default "
                    "pipeline (shown). Changing a setting creates config.yml (you are "
                    f"asked first), {saved}.")
        default = (" It has no pipeline, so Rasa's default one is used; changing a "
                   "setting writes it out." if config_file.uses_default_pipeline
                   else "")
        mark = " (changed, not saved yet)" if config_file.modified else ""
        return (
            f"{self._shown_path(config_file)}{mark}: settings in bold are set in the "
            "file, the "
            f"others are defaults. Changes are {saved}.{default}"
        )

    def _shown_path(self, config_file: ConfigFile) -> str:
        """The config's path relative to the project folder (absolute if outside)."""
        project = self._session.project
        try:
            return str(config_file.path.relative_to(project.root))
        except (AttributeError, ValueError):
            return str(config_file.path)

    def _refresh_machine(self) -> None:
        project = self._session.project
        root = project.root if project is not None else None
        options, problem = read_machine_options(root)
        self.machine_error.setText(problem or "")
        self.machine_error.setVisible(bool(problem))
        self.device_box.setEnabled(project is not None)
        self.threads_box.setEnabled(project is not None)
        self.device_box.clear()
        entries = [("auto", "auto (best available)"), ("cpu", "CPU"), *self._devices]
        if options.device not in [device for device, _ in entries]:
            missing = " (not found here)" if self.devices_known else ""
            entries.append((options.device, f"{options.device}{missing}"))
        for device, text in entries:
            self.device_box.addItem(text, device)
        self.device_box.setCurrentIndex(self.device_box.findData(options.device))
        self.threads_box.setValue(options.threads or 0)

    def _on_history_edited(self) -> None:
        # Data edits come by the hundred while annotating: refresh only when seen.
        if self.isVisible():
            self.refresh()
        else:
            self._stale = True

    def showEvent(self, event: Any) -> None:  # noqa: N802 - Qt's name
        """Show current values; detect CUDA/MPS devices the first time."""
        super().showEvent(event)
        if self._stale:
            self.refresh()
        self.detect_devices()

    def detect_devices(self) -> None:
        """Start the background device detection (once)."""
        if not self._probe_started:
            self._probe_started = True
            self._probe.start()

    def _on_devices(self, devices: list[tuple[str, str]]) -> None:
        self._devices = list(devices)
        self.devices_known = True
        self._refreshing = True
        try:
            self._refresh_machine()
        finally:
            self._refreshing = False
        self.devices_detected.emit()

    # -- editing ----------------------------------------------------------------------
    def _commit(self, setting: Setting) -> None:
        """Validate the field of ``setting`` and, if accepted, push the change."""
        if self._refreshing:
            return
        config_file = self._config_file()
        settings = config_file.diet_settings() if config_file is not None else None
        if config_file is None or settings is None or config_file.error is not None:
            return
        name = _field_name(setting)
        field = self.fields[name]
        raw: Any = (field.isChecked() if isinstance(field, QCheckBox)
                    else field.text())
        try:
            value = _parse(setting, raw, settings)
            if value is not UNSET and settings.get(setting.key, _MISSING) == value:
                self._show_error(name, None)
                return
            if value is UNSET and setting.key not in settings:
                self._show_error(name, None)
                return
            _validate({**settings, setting.key: value} if value is not UNSET
                      else {k: v for k, v in settings.items() if k != setting.key})
        except ValueError as error:
            self._show_error(name, f"Not changed: {error}")
            return
        self._push(SetConfigSetting(setting.key, value), config_file, name)

    def _reset(self, setting: Setting) -> None:
        config_file = self._config_file()
        if config_file is None:
            return
        self._push(SetConfigSetting(setting.key, UNSET), config_file,
                   _field_name(setting))

    def _push(self, command: SetConfigSetting, config_file: ConfigFile,
              name: str) -> None:
        if config_file.text is None:
            answer = self._prompter.choose(
                "Create config.yml?",
                "This project has no config.yml, so training uses Rasa's default "
                "pipeline. To keep this setting, config.yml is created with that "
                "pipeline (commented) and your change when you save.",
                ["Create config.yml", "Cancel"], "Cancel")
            if answer != "Create config.yml":
                self.refresh()
                return
            command.create = True
        self._show_error(name, None)
        if not self._session.push(command):
            self.refresh()

    def _show_error(self, name: str, message: str | None) -> None:
        label, field = self.errors[name], self.fields[name]
        label.setText(message or "")
        label.setVisible(bool(message))
        if isinstance(field, QLineEdit):
            field.setStyleSheet(INVALID_FIELD if message else "")

    def _on_device_chosen(self, index: int) -> None:
        if self._refreshing or self._session.project is None:
            return
        device = self.device_box.itemData(index)
        current, _ = read_machine_options(self._session.project.root)
        if device and device != current.device:
            self._apply_machine("device", device)

    def _on_threads_edited(self) -> None:
        if self._refreshing or self._session.project is None:
            return
        threads = self.threads_box.value() or None
        current, _ = read_machine_options(self._session.project.root)
        if threads != current.threads:
            self._apply_machine("threads", threads)

    def _apply_machine(self, name: str, value: Any) -> None:
        """Write a device/threads choice at once (a preference of this computer: not
        on the project's undo history, so it never marks the project unsaved)."""
        try:
            SetMachineOption(name, value).redo(self._session.project)
        except ValueError as error:
            self.machine_error.setText(str(error))
            self.machine_error.show()
            return
        self._refreshing = True
        try:
            self._refresh_machine()
        finally:
            self._refreshing = False


# -- values ----------------------------------------------------------------------------
_MISSING = object()


def _field_name(setting: Setting) -> str:
    return setting.kind.replace("sizes:", "hidden_") if setting.kind.startswith(
        "sizes:") else setting.key


def _effective(settings: dict[str, Any]) -> dict[str, Any]:
    """The values training would use: the entry's, else DIET's defaults."""
    from workbench.nlu.diet.config import DietConfig  # no torch (checked by a test)

    values = DietConfig().to_rasa()
    values.update(settings)
    return values


def _format(setting: Setting, values: dict[str, Any]) -> Any:
    value = values.get(setting.key)
    if setting.kind == "bool":
        return bool(value)
    if setting.kind == "seed":
        return "" if value is None else value
    if setting.kind == "batch":
        return ", ".join(map(str, value)) if isinstance(value, list | tuple) else value
    if setting.kind.startswith("sizes:"):
        part = setting.kind.split(":")[1]
        sizes = value.get(part, []) if isinstance(value, dict) else []
        return ", ".join(map(str, sizes))
    return value


def _parse(setting: Setting, raw: Any, settings: dict[str, Any]) -> Any:
    """The YAML value for the field's text (``UNSET`` for an empty seed).

    Raises:
        ValueError: The text is not a value of the right kind (says what is wanted).
    """
    key = setting.key
    if setting.kind == "bool":
        return bool(raw)
    text = str(raw).strip()
    if setting.kind == "seed":
        return UNSET if not text else _int(key, text)
    if setting.kind == "int":
        return _int(key, text)
    if setting.kind == "float":
        try:
            return float(text)
        except ValueError:
            raise ValueError(f"'{key}' must be a number, e.g. 0.001") from None
    numbers = [_int(key, part.strip()) for part in text.split(",") if part.strip()]
    if setting.kind == "batch":
        if len(numbers) == 1:
            numbers *= 2
        if len(numbers) != 2:
            raise ValueError("'batch_size' is one number, or two: from, to (e.g. 64, "
                             "256)")
        return numbers
    part = setting.kind.split(":")[1]
    current = settings.get(key)
    mapping = dict(current) if isinstance(current, dict) else {"text": [], "label": []}
    mapping[part] = numbers
    return mapping


def _int(key: str, text: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise ValueError(f"'{key}' must be a whole number, not '{text}'") from None


def _validate(entry: dict[str, Any]) -> None:
    """Training's own check (``DietConfig.from_rasa``); raises ``ValueError``."""
    from workbench.nlu.diet.config import DietConfig

    DietConfig.from_rasa(entry)


def _font(field: QWidget, bold: bool) -> Any:
    font = field.font()
    font.setBold(bold)
    return font


__all__ = ["MODEL_SETTINGS", "SettingsPanel"]
