"""Where the app's style sheet is found (source checkout, then a wheel's data dir)."""

from __future__ import annotations

from pathlib import Path

from workbench.qt.style import SOURCE_STYLE_FILE, load_stylesheet, style_file


def test_source_checkout_style_sheet_is_found_and_loaded() -> None:
    assert style_file() == SOURCE_STYLE_FILE
    assert "QWidget" in load_stylesheet() or "{" in load_stylesheet()


def test_installed_copy_is_used_when_the_checkout_has_none(tmp_path: Path) -> None:
    installed = tmp_path / "share" / "workbench" / "styles" / "workbench.qss"
    installed.parent.mkdir(parents=True)
    installed.write_text("QLabel { color: red; }", encoding="utf-8")
    missing = tmp_path / "resources" / "styles" / "workbench.qss"
    assert style_file((missing, installed)) == installed
    assert load_stylesheet(installed) == "QLabel { color: red; }"
    assert style_file((missing,)) is None
