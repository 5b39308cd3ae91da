"""Write several files so that a crash or an error leaves each old or new, never torn.

:func:`commit_files` writes every new content to a temp file next to its target
(flushed, fsynced, mode set), and only when all temp files exist renames them over
their targets. An error before the renames removes every temp file: nothing changed.
Temp files are named ``.{name}.XXXXXXXX.tmp``; a save killed before its renames
leaves them behind, and :func:`remove_stale_temps` deletes them on the next open.

Symlinked targets are written through: the temp file goes next to the link's target,
which is replaced; the link stays. New files get the user's normal permissions
(``0o666 & ~umask``) and never replace a file that appeared in the meantime.
"""

from __future__ import annotations

import errno
import os
import re
import stat
import tempfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

TEMP_SUFFIX = ".tmp"
# ".{name}." + mkstemp's 8 random characters + ".tmp", for YAML data files only
_TEMP_NAME = re.compile(r"^\.(?P<name>.+\.(?:ya?ml|YA?ML))\.[A-Za-z0-9_]{8}\.tmp$")


@dataclass(frozen=True)
class FileWrite:
    """One file of a commit: where, what, and whether it is created."""

    path: Path  # the data file as the project knows it (may be a symlink)
    text: str
    create: bool = False  # a new file: never replaces an existing one


class CommitError(OSError):
    """A commit failed; ``written`` lists the files already replaced (usually none)."""

    def __init__(self, message: str, written: Sequence[Path] = (),
                 code: int | None = None) -> None:
        super().__init__(code or errno.EIO, message)
        self.message = message
        self.written = list(written)

    def __str__(self) -> str:
        return self.message


def write_target(path: Path) -> Path:
    """The file that is really written for ``path``: its resolved target if a link."""
    return Path(os.path.realpath(path)) if Path(path).is_symlink() else Path(path)


def is_temp_name(name: str) -> bool:
    """True for the name of a temp file of :func:`commit_files` (for a YAML file)."""
    return _TEMP_NAME.match(name) is not None


def remove_stale_temps(folders: Iterable[Path]) -> list[Path]:
    """Delete temp files left by a killed save in ``folders`` (not recursive).

    Returns:
        The files removed (files that could not be removed are skipped).
    """
    removed: list[Path] = []
    for folder in dict.fromkeys(Path(f) for f in folders):
        try:
            names = os.listdir(folder)
        except OSError:
            continue
        for name in names:
            if not is_temp_name(name):
                continue
            candidate = folder / name
            try:
                if candidate.is_file() and not candidate.is_symlink():
                    candidate.unlink()
                    removed.append(candidate)
            except OSError:
                continue
    return removed


def new_file_mode() -> int:
    """``0o666`` minus the process umask (what an editor gives a new file)."""
    mask = _read_umask()
    return 0o666 & ~mask


def _read_umask() -> int:
    try:  # Linux: read it without changing it (os.umask is process-wide)
        with open("/proc/self/status", encoding="ascii") as handle:
            for line in handle:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except (OSError, ValueError, IndexError):
        pass
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def commit_files(writes: Sequence[FileWrite]) -> list[Path]:
    """Write all ``writes`` (see module docstring); return the paths written.

    Raises:
        CommitError: Nothing was changed when ``written`` is empty; the message names
            the data file (never a temp file) and the reason.
    """
    temps: list[tuple[FileWrite, Path, str]] = []  # (write, target, temp name)
    made_folders: list[Path] = []
    try:
        for write in writes:
            target = write_target(write.path)
            made_folders.extend(_make_folder(target.parent, write.path))
            temps.append((write, target, _write_temp(write, target)))
    except BaseException:
        for _, _, temp in temps:
            _unlink(temp)
        for folder in reversed(made_folders):
            try:
                folder.rmdir()
            except OSError:
                pass
        raise
    written: list[Path] = []
    for index, (write, target, temp) in enumerate(temps):
        try:
            _rename(temp, target, write)
        except BaseException as error:
            for _, _, rest in temps[index:]:
                _unlink(rest)
            if isinstance(error, CommitError):
                error.written = list(written)
                raise
            if not isinstance(error, OSError):
                raise
            raise _commit_error(error, write.path, written) from None
        written.append(write.path)
    for folder in dict.fromkeys(target.parent for _, target, _ in temps):
        _fsync_folder(folder)
    return written


def _make_folder(folder: Path, path: Path) -> list[Path]:
    """Create ``folder`` and missing parents; return those created (deepest last)."""
    missing: list[Path] = []
    current = folder
    while not current.exists():
        missing.append(current)
        if current.parent == current:
            break
        current = current.parent
    for made in reversed(missing):
        try:
            made.mkdir()
        except FileExistsError:
            continue
        except OSError as error:
            raise _commit_error(error, path, (),
                                f"cannot create the folder {made}") from error
    return list(reversed(missing))


def _write_temp(write: FileWrite, target: Path) -> str:
    try:
        fd, temp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=TEMP_SUFFIX,
                                    dir=target.parent)
    except OSError as error:
        raise _commit_error(error, write.path, (),
                            f"cannot create a file in the folder {target.parent}"
                            ) from error
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as handle:
            handle.write(write.text)
            handle.flush()
            os.fchmod(handle.fileno(), _mode_for(write, target))
            os.fsync(handle.fileno())
    except BaseException as error:
        _unlink(temp)
        if isinstance(error, OSError):
            raise _commit_error(error, write.path, ()) from None
        raise
    return temp


def _mode_for(write: FileWrite, target: Path) -> int:
    if not write.create:
        try:
            return stat.S_IMODE(target.stat().st_mode)
        except OSError:
            pass
    return new_file_mode()


def _rename(temp: str, target: Path, write: FileWrite) -> None:
    if not write.create:
        os.replace(temp, target)
        return
    try:  # link + unlink: fails instead of replacing a file that appeared meanwhile
        os.link(temp, target)
    except FileExistsError:
        raise CommitError(f"{write.path}: a file of that name appeared while saving; "
                          "it was not overwritten", code=errno.EEXIST) from None
    except OSError:  # a file system without hard links
        if os.path.lexists(target):
            raise CommitError(f"{write.path}: a file of that name appeared while "
                              "saving; it was not overwritten",
                              code=errno.EEXIST) from None
        os.replace(temp, target)
        return
    _unlink(temp)


def _commit_error(error: OSError, path: Path, written: Sequence[Path],
                  what: str | None = None) -> CommitError:
    reason = error.strerror or str(error)
    detail = f"{what}: {reason}" if what else reason
    done = (f"; already written: {', '.join(map(str, written))}" if written
            else "; nothing was changed")
    return CommitError(f"{path}: cannot save: {detail}{done}", written,
                       error.errno)


def _unlink(temp: str) -> None:
    try:
        os.unlink(temp)
    except OSError:
        pass


def _fsync_folder(folder: Path) -> None:
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
