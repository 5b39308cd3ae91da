"""A project's ``config.yml`` as editable text: change one setting, keep the rest.

:class:`ConfigFile` holds the file's text as on disk and as edited. An edit
(:meth:`ConfigFile.edited`) parses the current text with ruamel's round-trip loader,
changes one key of the ``DIETClassifier`` pipeline entry (or a top-level key), dumps
the tree before and after, and carries that line change over to the file's own text
(:func:`workbench.core.yaml_io.text_merge.merge_edit`, as data saves do): comments,
key order, quoting, indentation, CRLF and BOM stay as they were. The result is read
back and must give exactly the intended data, else the edit is refused.

A project without ``config.yml`` trains with Rasa's default pipeline; the file is
created (from :data:`DEFAULT_CONFIG_TEXT`, commented) only by an edit made with
``create=True`` (the user agreed). A config that did not load is never edited or
written. The edited text is written by ``Project.save`` together with the data files
(:func:`config_write`), atomically.
"""

from __future__ import annotations

import os
import stat
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.representer import RoundTripRepresenter

from workbench.core.yaml_io.atomic import FileWrite, write_target
from workbench.core.yaml_io.nlu import to_plain
from workbench.core.yaml_io.nlu_writer import SaveError
from workbench.core.yaml_io.roundtrip import (
    YamlLoadError,
    detect_style,
    dump_yaml,
    load_yaml,
    read_text,
)
from workbench.core.yaml_io.text_merge import merge_edit

DIET = "DIETClassifier"
CONFIG_NAME = "config.yml"


class _Unset:
    """Marker: remove the key (back to the component's default)."""

    def __repr__(self) -> str:
        return "UNSET"


UNSET: Any = _Unset()

# Rasa 3.x default_config.yml, restricted to the NLU components the workbench runs
# (the same list as workbench.nlu.pipeline.DEFAULT_PIPELINE; a test keeps them equal).
DEFAULT_CONFIG_TEXT = """\
# Rasa NLU configuration, created by NLU Workbench from Rasa's default pipeline.
# Components: https://rasa.com/docs/rasa/components
recipe: default.v1
language: en

pipeline:
# Splits each message into tokens at whitespace and punctuation.
- name: WhitespaceTokenizer
# Marks tokens that match the regexes and lookup tables of the training data.
- name: RegexFeaturizer
# Token shape features: capitals, digits, prefixes and suffixes, position.
- name: LexicalSyntacticFeaturizer
# Bag of words: which words occur in the message.
- name: CountVectorsFeaturizer
# Bag of character n-grams (1 to 4 characters inside words): robust to typos.
- name: CountVectorsFeaturizer
  analyzer: char_wb
  min_ngram: 1
  max_ngram: 4
# DIET: the transformer that predicts intents and entities.
# Its settings (epochs, learning rate, sizes ...) can be changed in the Settings tab.
- name: DIETClassifier
  epochs: 100
  constrain_similarities: true
# Maps extracted entity values to the canonical value of their synonym.
- name: EntitySynonymMapper

# Dialogue policies are not used by NLU Workbench; Rasa uses its defaults.
policies:
"""
# The DIETClassifier entry of that pipeline (what a project without a config trains).
DEFAULT_DIET = {"epochs": 100, "constrain_similarities": True}


class ConfigEditError(ValueError):
    """An edit of ``config.yml`` cannot be made; the message says why and how to fix."""


class NeedsCreation(ConfigEditError):
    """The project has no ``config.yml``; the edit needs the user's consent to create
    it (make the edit with ``create=True``)."""


@dataclass
class ConfigFile:
    """The project's ``config.yml``: its text on disk and as edited.

    Attributes:
        path: The config file (``PROJECT/config.yml`` when it does not exist yet).
        disk_text: The text on disk when loaded or last saved; None: no file.
        text: The text as edited (equal to ``disk_text`` when unchanged).
        error: Why the file cannot be edited (did not load, single NLU file); such a
            config is never written.
    """

    path: Path
    disk_text: str | None
    text: str | None
    error: str | None = None

    # -- state -----------------------------------------------------------------------
    @property
    def exists(self) -> bool:
        """Whether the file exists on disk (as loaded or last saved)."""
        return self.disk_text is not None

    @property
    def modified(self) -> bool:
        """Whether the edited text differs from the file on disk."""
        return self.error is None and self.text != self.disk_text

    def plain(self) -> dict[str, Any] | None:
        """The edited config as plain data (None: no file, or it did not load)."""
        if self.error is not None or self.text is None:
            return None
        tree = _parse(self.text)
        return to_plain(tree) if tree is not None else {}

    def diet_settings(self) -> dict[str, Any] | None:
        """The DIETClassifier entry as plain data, without ``name``.

        Rasa's default pipeline's entry when there is no file or no ``pipeline``;
        None when the pipeline has no DIETClassifier or the file did not load.
        """
        if self.error is not None:
            return None
        config = self.plain()
        pipeline = config.get("pipeline") if isinstance(config, dict) else None
        if not pipeline:
            return dict(DEFAULT_DIET)
        if not isinstance(pipeline, list):
            return None
        for entry in pipeline:
            if isinstance(entry, dict) and entry.get("name") == DIET:
                return {k: v for k, v in entry.items() if k != "name"}
        return None

    @property
    def uses_default_pipeline(self) -> bool:
        """True when training uses Rasa's default pipeline (no file or no pipeline)."""
        config = self.plain()
        return self.error is None and not (isinstance(config, dict)
                                           and config.get("pipeline"))

    # -- edits -----------------------------------------------------------------------
    def edited(self, key: str, value: Any, *, top_level: bool = False,
               create: bool = False) -> str:
        """Return the text with ``key`` set to ``value`` (``UNSET`` removes it).

        Args:
            key: A key of the DIETClassifier entry, or of the top level.
            value: Plain data (int, float, bool, str, list, dict) or ``UNSET``.
            top_level: Edit a top-level key instead of a DIETClassifier key.
            create: The user agreed to create the missing file.

        Raises:
            NeedsCreation: There is no file and ``create`` is false.
            ConfigEditError: The file did not load, the pipeline has no
                DIETClassifier, or the change cannot be written as intended.
        """
        if self.error is not None:
            raise ConfigEditError(self.error)
        if self.text is None and not create:
            raise NeedsCreation(f"{self.path}: the project has no config.yml; creating "
                                "it (with Rasa's default pipeline) needs your consent")
        original = DEFAULT_CONFIG_TEXT if self.text is None else self.text
        style = detect_style(original)
        tree = _parse(original)
        if tree is None:
            tree = CommentedMap()
        was_empty = not tree
        before = "" if was_empty else dump_yaml(tree, style)
        target = tree if top_level else _diet_entry(tree, self.path)
        _set(target, key, value)
        after = dump_yaml(tree, style)
        wanted = to_plain(tree)
        if was_empty:  # only comments (or nothing): keep them at the top
            head = original if not original or original.endswith(("\n", "\r")) else (
                original + style.newline)
            merged = head + after.removeprefix("\ufeff")
        else:
            merged = merge_edit(original, before, after)
        for candidate in (merged, after):
            if _reads_as(candidate, wanted):
                return candidate
        raise ConfigEditError(f"{self.path}: the change of '{key}' cannot be written "
                              "without changing other settings; edit the file by hand")

    def check_text(self, text: str) -> None:
        """Raise ``ConfigEditError`` unless ``text`` reads as a config mapping."""
        try:
            tree = _parse(text)
        except YamlLoadError as error:
            raise ConfigEditError(f"{self.path}: {error.message}") from None
        if tree is not None and not isinstance(tree, dict):
            raise ConfigEditError(f"{self.path}: must be a mapping")

    def mark_saved(self) -> None:
        """The edited text was written to disk."""
        self.disk_text = self.text


def open_config_file(root: Path, path: Path | None, *, single_file: bool,
                     load_failed: bool) -> ConfigFile:
    """Read the project's config for editing.

    Args:
        root: The project folder.
        path: The config file found by ``discover`` (None: none).
        single_file: The project is one NLU file (it has no config to edit).
        load_failed: The project load reported the config as unreadable.
    """
    if single_file:
        return ConfigFile(Path(root) / CONFIG_NAME, None, None,
                          "a single NLU file has no config.yml; open its project "
                          "folder to change the training settings")
    if path is None:
        return ConfigFile(Path(root) / CONFIG_NAME, None, None)
    try:
        text = read_text(path)
    except (OSError, UnicodeDecodeError) as error:
        return ConfigFile(path, None, None, f"{path}: cannot be read ({error}); "
                          "it is not changed. Fix it and reopen the project")
    error = None
    if load_failed:
        error = (f"{path}: did not load (see the Problems panel); it is not changed. "
                 "Fix it and reopen the project")
    else:
        try:
            tree = _parse(text)
        except YamlLoadError as problem:
            where = f" line {problem.line}" if problem.line else ""
            error = f"{path}:{where}: {problem.message}; fix it and reopen the project"
        else:
            if tree is not None and not isinstance(tree, dict):
                error = (f"{path}: must be a mapping ('language:', 'pipeline:' ...); "
                         "fix it and reopen the project")
    return ConfigFile(path, text, text, error)


def config_write(config_file: ConfigFile | None) -> FileWrite | None:
    """The write a save must make for ``config_file`` (None: nothing to write).

    Raises:
        SaveError: The file is read-only (nothing is written).
    """
    if config_file is None or not config_file.modified or config_file.text is None:
        return None
    target = write_target(config_file.path)
    if config_file.exists and target.exists() and (
            not stat.S_IMODE(target.stat().st_mode) & 0o222
            or not os.access(target, os.W_OK)):
        raise SaveError(f"{config_file.path}: the file is read-only; make it writable "
                        "(or undo the settings changes) and save again")
    return FileWrite(config_file.path, config_file.text, create=not config_file.exists)


# -- helpers ---------------------------------------------------------------------------
def _parse(text: str) -> Any:
    return load_yaml(text, detect_style(text))


def _reads_as(text: str, wanted: Any) -> bool:
    try:
        tree = _parse(text)
    except YamlLoadError:
        return False
    return to_plain(tree) == wanted if tree is not None else wanted == {}


def _diet_entry(tree: CommentedMap, path: Path) -> CommentedMap:
    """The DIETClassifier entry of ``tree``; Rasa's default pipeline is written out
    first when the config has none."""
    pipeline = tree.get("pipeline")
    if not pipeline:
        default = _parse(DEFAULT_CONFIG_TEXT)["pipeline"]
        for entry in default:  # the comments belong to the default file's layout
            entry.ca.comment = None
            entry.ca.items.clear()
        default.ca.items.clear()
        default.ca.comment = None
        _insert(tree, "pipeline", default)
        pipeline = default
    if not isinstance(pipeline, list):
        raise ConfigEditError(f"{path}: 'pipeline' must be a list of components; fix "
                              "it by hand")
    for entry in pipeline:
        if isinstance(entry, dict) and entry.get("name") == DIET:
            return entry
    raise ConfigEditError(f"{path}: the pipeline has no DIETClassifier, so its "
                          "settings do not apply; add '- name: DIETClassifier' to it")


def _set(target: CommentedMap, key: str, value: Any) -> None:
    if value is UNSET:
        if key in target:
            del target[key]
        return
    old = target.get(key)
    if isinstance(old, CommentedSeq) and isinstance(value, list | tuple):
        old.clear()
        old.extend(value)
        return
    if isinstance(old, CommentedMap) and isinstance(value, dict):
        for sub in [k for k in old if k not in value]:
            del old[sub]
        for sub, item in value.items():
            _set(old, sub, item)
        return
    if key in target:
        target[key] = _node(value)
    else:
        _insert(target, key, _node(value))


def _insert(target: CommentedMap, key: str, value: Any) -> None:
    """Add a new key after the last key that no comment line follows.

    ruamel keeps the comment lines below a key with that key, so a key appended after
    them would move them (``# Maps synonyms`` would end up above the new key instead
    of above the next pipeline entry). Block collections end with their own comments.
    """
    keys = list(target)
    for index in range(len(keys) - 1, -1, -1):
        if _clean_end(target, keys[index]):
            target.insert(index + 1, key, value)
            return
    target.insert(0, key, value)


def _clean_end(target: CommentedMap, key: Any) -> bool:
    """True when nothing but an end-of-line comment follows ``key``'s value."""
    value = target[key]
    if isinstance(value, CommentedMap | CommentedSeq) and not value.fa.flow_style():
        return False
    token = target.ca.items.get(key)
    comment = token[2] if token and len(token) > 2 else None
    text = getattr(comment, "value", "") or ""
    return not any(line.strip() for line in text.split("\n")[1:]) and not (
        text.startswith("\n") and text.strip())


def _node(value: Any) -> Any:
    """A new YAML node for ``value``: lists and mappings inline (``[64, 256]``)."""
    if isinstance(value, list | tuple):
        seq = CommentedSeq(_node(v) for v in value)
        seq.fa.set_flow_style()
        return seq
    if isinstance(value, dict):
        mapping = CommentedMap((k, _node(v)) for k, v in value.items())
        mapping.fa.set_flow_style()
        return mapping
    if isinstance(value, float) and not isinstance(value, bool):
        return RasaFloat(value)
    return value


class RasaFloat(float):
    """A float written so that YAML 1.1 readers (Rasa's PyYAML) read a float too:
    ``1.0e-05``, never ``1e-05`` (a string in YAML 1.1)."""


def _represent_rasa_float(representer: RoundTripRepresenter, value: RasaFloat) -> Any:
    text = repr(float(value)).lower()
    if text in ("nan", "inf", "-inf"):
        text = {"nan": ".nan", "inf": ".inf", "-inf": "-.inf"}[text]
    elif "e" in text and "." not in text.split("e")[0]:
        mantissa, exponent = text.split("e")
        text = f"{mantissa}.0e{exponent}"
    return representer.represent_scalar("tag:yaml.org,2002:float", text)


RoundTripRepresenter.add_representer(RasaFloat, _represent_rasa_float)
