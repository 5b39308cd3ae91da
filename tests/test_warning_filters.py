"""The pytest configuration turns warnings from our own code into errors.

``filterwarnings`` in pyproject.toml: a warning attributed to a ``workbench`` module
fails the test that triggers it, and so does an exception that killed a thread; a
warning from a third-party module is only reported.
"""

from __future__ import annotations

import warnings

import pytest


def _warn_from(module: str) -> None:
    warnings.warn_explicit("something is off", UserWarning, f"{module}.py", 1,
                           module=module)


def test_warning_filters_fail_on_warnings_from_our_package() -> None:
    with pytest.raises(UserWarning, match="something is off"):
        _warn_from("workbench.core.example_module")


def test_warning_filters_only_report_third_party_warnings() -> None:
    with warnings.catch_warnings(record=True) as caught:  # keeps the filters
        _warn_from("somelibrary.module")
    assert [str(warning.message) for warning in caught] == ["something is off"]


def test_warning_filters_fail_on_an_exception_that_killed_a_thread() -> None:
    with pytest.raises(pytest.PytestUnhandledThreadExceptionWarning):
        warnings.warn(pytest.PytestUnhandledThreadExceptionWarning("thread died"),
                      stacklevel=1)
