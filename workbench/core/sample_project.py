"""The bundled sample project and the user's own, editable copy of it.

The sample ships read-only with the package: from a source checkout (also an editable
install) it is the repository's ``sample_projects/pizza``; a wheel installs the same
files under ``<prefix>/share/workbench/sample_projects/pizza``
(``[tool.setuptools.data-files]`` in pyproject.toml). Nobody edits that folder: the app
opens a copy in the user's folder (:func:`user_sample_copy`), made on first use and
reused afterwards, so edits, models and the run history are the user's and survive.
"""

from __future__ import annotations

import json
import os
import shutil
import site
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

SAMPLE_NAME = "pizza"
_RELATIVE = Path("sample_projects") / SAMPLE_NAME
SOURCE_SAMPLE_PROJECT = Path(__file__).resolve().parents[2] / _RELATIVE
_SHARE = Path("share") / "workbench"

# Environment variable naming the folder the copy goes into (tests, packagers).
HOME_VARIABLE = "WORKBENCH_HOME"
USER_FOLDER_NAME = "NLU Workbench"
# Written into each copy: tells our copy from a user's own folder of the same name.
MARKER = Path(".workbench") / "sample-copy.json"
# Not copied: outputs of earlier runs on the bundled folder (models, cache, recovery).
_IGNORED = shutil.ignore_patterns(".*", "models", "__pycache__", "*.pyc")
_MAX_NAMES = 100


class SampleCopyError(OSError):
    """The sample could not be copied (the message says where, why and what to do)."""


@dataclass(frozen=True)
class SampleCopy:
    """Where the user's copy is and whether this call made it."""

    path: Path
    created: bool

    def describe(self) -> str:
        """One line for the status bar and stdout."""
        if self.created:
            return (f"Copied the sample project to {self.path} (yours to edit; the "
                    "installed sample stays unchanged)")
        return f"Opened your copy of the sample project: {self.path}"


def installed_sample_candidates() -> tuple[Path, ...]:
    """Places the bundled sample may be, in order: source checkout, then installs."""
    prefixes = [Path(sys.prefix), Path(sys.base_prefix)]
    user_base = getattr(site, "USER_BASE", None)
    if user_base:
        prefixes.append(Path(user_base))
    installed = [prefix / _SHARE / _RELATIVE for prefix in prefixes]
    return tuple(dict.fromkeys([SOURCE_SAMPLE_PROJECT, *installed]))


def find_sample_project(candidates: tuple[Path, ...] | None = None) -> Path | None:
    """The first bundled sample folder that exists (with its NLU data), else None."""
    for path in candidates if candidates is not None else installed_sample_candidates():
        if (path / "data").is_dir():
            return path
    return None


# The bundled sample (read-only). Falls back to the source location so the name always
# is a path; :func:`user_sample_copy` says clearly when it does not exist.
SAMPLE_PROJECT: Path = find_sample_project() or SOURCE_SAMPLE_PROJECT


def user_folder() -> Path:
    """Where the sample copy goes: ``$WORKBENCH_HOME``, else ``~/NLU Workbench``."""
    configured = os.environ.get(HOME_VARIABLE)
    if configured:
        return Path(configured).expanduser()
    return Path.home() / USER_FOLDER_NAME


def is_sample_copy(path: Path) -> bool:
    """Whether ``path`` is a copy of the sample made by :func:`user_sample_copy`."""
    try:
        data = json.loads((path / MARKER).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return isinstance(data, dict) and data.get("sample") == SAMPLE_NAME


def user_sample_copy(folder: Path | None = None, sample: Path | None = None
                     ) -> SampleCopy:
    """Return the user's copy of the sample project, copying it on first use.

    An existing copy is reused as it is (edits are never overwritten). A file or a
    folder of the same name that is not our copy is left alone: the copy then goes to
    ``pizza-2``, ``pizza-3``, ... The copy is made in a temporary sibling folder and
    renamed into place, so a half-written copy is never opened.

    Args:
        folder: where copies live (default :func:`user_folder`).
        sample: the bundled sample to copy (default :data:`SAMPLE_PROJECT`).

    Raises:
        SampleCopyError: no bundled sample, or the folder cannot be written.
    """
    folder = folder if folder is not None else user_folder()
    sample = sample if sample is not None else SAMPLE_PROJECT
    for index in range(1, _MAX_NAMES + 1):
        target = folder / (SAMPLE_NAME if index == 1 else f"{SAMPLE_NAME}-{index}")
        if is_sample_copy(target):
            return SampleCopy(target, created=False)
        if not target.exists() and not target.is_symlink():
            _copy(sample, target)
            return SampleCopy(target, created=True)
    raise SampleCopyError(
        f"{folder}: {SAMPLE_NAME} to {SAMPLE_NAME}-{_MAX_NAMES} are all taken by other "
        f"folders; move some away or set {HOME_VARIABLE} to another folder"
    )


def _copy(sample: Path, target: Path) -> None:
    if not (sample / "data").is_dir():
        raise SampleCopyError(
            f"the bundled sample project is missing ({sample} has no data folder); "
            "reinstall the package, or open a project of your own"
        )
    staging: Path | None = None
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=f".{target.name}-", dir=target.parent))
        shutil.copytree(sample, staging, ignore=_IGNORED, dirs_exist_ok=True)
        for path in [staging, *staging.rglob("*")]:  # installed copies: read-only
            path.chmod(path.stat().st_mode | (0o700 if path.is_dir() else 0o600))
        marker = staging / MARKER
        marker.parent.mkdir(exist_ok=True)
        origin = {"sample": SAMPLE_NAME, "copied_from": str(sample)}
        marker.write_text(json.dumps(origin), encoding="utf-8")
        staging.rename(target)
        staging = None
    except OSError as error:
        reason = error.strerror or str(error)
        raise SampleCopyError(
            f"cannot copy the sample project to {target}: {reason}; set "
            f"{HOME_VARIABLE} to a writable folder, or open a project of your own"
        ) from error
    finally:
        if staging is not None:
            shutil.rmtree(staging, ignore_errors=True)
