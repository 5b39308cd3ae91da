"""NLU Workbench: annotate, train and inspect Rasa NLU models locally.

Importing ``workbench`` loads nothing heavy; ``load_project`` and ``load_model``
import their modules on first use.
"""

from __future__ import annotations

from typing import Any

__version__ = "0.1.0"

__all__ = ["__version__", "load_model", "load_project"]


def __getattr__(name: str) -> Any:
    if name == "load_project":
        from workbench.core.project import load_project

        return load_project
    if name == "load_model":
        from workbench.nlu.predictor_loader import load_model

        return load_model
    raise AttributeError(f"module 'workbench' has no attribute {name!r}")
