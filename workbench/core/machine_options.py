"""Training options that belong to this computer, not to the project's config.yml.

The device ("auto", "cpu", "cuda:1", "mps") and the CPU thread count name this
machine's hardware, so they are kept per project in ``PROJECT/.workbench/training.json``
(next to the run history and the active model) instead of the shared ``config.yml``,
which Rasa and colleagues read too. The in-app training and ``workbench train`` read
them; the CLI's ``--device`` and ``--threads`` override them.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from workbench.core.yaml_io.atomic import FileWrite, commit_files

OPTIONS_FILE = "training.json"
MAX_THREADS = 1024


@dataclass(frozen=True)
class MachineOptions:
    """Device and threads for training on this computer."""

    device: str = "auto"
    threads: int | None = None  # None: the idle cores (workbench.training.threads)

    def as_dict(self) -> dict[str, Any]:
        """Plain data (the file's content)."""
        return asdict(self)


def options_path(project_dir: Path) -> Path:
    """Where the options of ``project_dir`` are kept."""
    return Path(project_dir) / ".workbench" / OPTIONS_FILE


def read_machine_options(project_dir: Path | None) -> tuple[MachineOptions, str | None]:
    """Return the options (defaults when absent) and a problem message or None.

    A damaged file gives the defaults and says so; it is replaced on the next change.
    """
    if project_dir is None:
        return MachineOptions(), None
    path = options_path(project_dir)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return MachineOptions(), None
    except (OSError, ValueError, RecursionError) as error:
        return MachineOptions(), f"{path}: cannot be read ({error}); defaults are used"
    device = data.get("device", "auto") if isinstance(data, dict) else None
    threads = data.get("threads") if isinstance(data, dict) else None
    if (not isinstance(device, str) or not device.strip()
            or not (threads is None or (type(threads) is int
                                        and 1 <= threads <= MAX_THREADS))):
        return MachineOptions(), (f"{path}: 'device' must be a name and 'threads' a "
                                  f"number from 1 to {MAX_THREADS} or null; defaults "
                                  "are used")
    return MachineOptions(device.strip(), threads), None


def write_machine_options(project_dir: Path, options: MachineOptions) -> None:
    """Write the options atomically (creating ``.workbench/`` if needed).

    Raises:
        ValueError: A thread count out of range.
        OSError: The file cannot be written.
    """
    if options.threads is not None and not 1 <= options.threads <= MAX_THREADS:
        raise ValueError(f"threads must be from 1 to {MAX_THREADS}, or auto")
    path = options_path(project_dir)
    text = json.dumps(options.as_dict(), indent=2) + "\n"
    commit_files([FileWrite(path, text, create=not path.exists())])
