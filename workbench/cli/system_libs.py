"""Find the system libraries Qt's platform plugin needs before Qt is started.

Qt aborts the whole process ("could not load the Qt platform plugin xcb") when its
platform plugin cannot be loaded, typically because a plain Debian/Ubuntu machine lacks
``libxcb-cursor0``, ``libxcb-icccm4``, ``libxcb-keysyms1`` and friends. So before any
PySide6 GUI module is imported, :func:`missing_libraries` runs ``ldd`` on the plugin
(found on disk, PySide6 is not imported) and :func:`debian_packages` names the
packages that provide what is missing. Nothing here imports Qt.
"""

from __future__ import annotations

import importlib.util
import os
import re
import shlex
import shutil
import subprocess
import sys
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

# Libraries the xcb plugin and the Qt libraries behind it link to (``ldd`` on
# PySide6 6.x's libqxcb.so), with the Debian/Ubuntu package of each. Used to name
# packages, and as the list to check when ``ldd`` is not there.
DEBIAN_PACKAGES: Mapping[str, str] = {
    "libxcb-cursor.so.0": "libxcb-cursor0",
    "libxcb-icccm.so.4": "libxcb-icccm4",
    "libxcb-keysyms.so.1": "libxcb-keysyms1",
    "libxcb-image.so.0": "libxcb-image0",
    "libxcb-render-util.so.0": "libxcb-render-util0",
    "libxcb-util.so.1": "libxcb-util1",
    "libxcb-randr.so.0": "libxcb-randr0",
    "libxcb-shape.so.0": "libxcb-shape0",
    "libxcb-shm.so.0": "libxcb-shm0",
    "libxcb-sync.so.1": "libxcb-sync1",
    "libxcb-xfixes.so.0": "libxcb-xfixes0",
    "libxcb-render.so.0": "libxcb-render0",
    "libxcb-xkb.so.1": "libxcb-xkb1",
    "libxcb-xinerama.so.0": "libxcb-xinerama0",
    "libxcb-xinput.so.0": "libxcb-xinput0",
    "libxcb-glx.so.0": "libxcb-glx0",
    "libxcb.so.1": "libxcb1",
    "libX11-xcb.so.1": "libx11-xcb1",
    "libX11.so.6": "libx11-6",
    "libxkbcommon.so.0": "libxkbcommon0",
    "libxkbcommon-x11.so.0": "libxkbcommon-x11-0",
    "libGL.so.1": "libgl1",
    "libGLX.so.0": "libglx0",
    "libOpenGL.so.0": "libopengl0",
    "libEGL.so.1": "libegl1",
    "libfontconfig.so.1": "libfontconfig1",
    "libfreetype.so.6": "libfreetype6",
    "libdbus-1.so.3": "libdbus-1-3",
    "libglib-2.0.so.0": "libglib2.0-0",
    "libgthread-2.0.so.0": "libglib2.0-0",
    "libpng16.so.16": "libpng16-16",
    "libz.so.1": "zlib1g",
    "libICE.so.6": "libice6",
    "libSM.so.6": "libsm6",
}

_NOT_FOUND = re.compile(r"^\s*(\S+)\s*=>\s*not found\s*$")
_SONAME = re.compile(r"^(?P<name>lib[\w+.-]*?)\.so\.(?P<version>[\d.]+)$")


@dataclass(frozen=True)
class LibraryCheck:
    """What the platform plugin lacks (empty ``missing``: nothing, or not checkable)."""

    platform: str
    plugin: Path | None
    missing: tuple[str, ...] = ()
    packages: tuple[str, ...] = field(default=())

    @property
    def ok(self) -> bool:
        """True when nothing is known to be missing."""
        return not self.missing


def parse_ldd(output: str) -> list[str]:
    """The libraries ``ldd`` reported as ``not found``, each once, in order."""
    missing: dict[str, None] = {}
    for line in output.splitlines():
        match = _NOT_FOUND.match(line)
        if match:
            missing[match.group(1)] = None
    return list(missing)


def debian_package(soname: str) -> str:
    """The Debian/Ubuntu package that provides ``soname``.

    Known libraries come from :data:`DEBIAN_PACKAGES`; others follow Debian's library
    naming policy: ``libfoo-bar.so.4`` -> ``libfoo-bar4``, ``libfoo2.so.1`` ->
    ``libfoo2-1`` (a hyphen when the name ends in a digit), lower case.
    """
    if soname in DEBIAN_PACKAGES:
        return DEBIAN_PACKAGES[soname]
    match = _SONAME.match(soname)
    if not match:
        return soname.lower()
    name, version = match.group("name"), match.group("version").split(".")[0]
    separator = "-" if name[-1].isdigit() else ""
    return f"{name}{separator}{version}".lower()


def debian_packages(sonames: Iterable[str]) -> list[str]:
    """The packages for ``sonames``, each once, in order."""
    return list(dict.fromkeys(debian_package(name) for name in sonames))


def qt_platforms(environ: Mapping[str, str] | None = None, platform: str | None = None
                 ) -> tuple[str, ...]:
    """The Qt platform plugins a window may use here, in Qt's order (none off Linux).

    ``QT_QPA_PLATFORM`` wins (its entries, options dropped). Otherwise Qt tries Wayland
    first in a Wayland session and falls back to xcb (X11, also XWayland).
    """
    environ = os.environ if environ is None else environ
    if not (platform or sys.platform).startswith("linux"):
        return ()
    configured = environ.get("QT_QPA_PLATFORM", "").strip()
    if configured:
        names = (entry.split(":")[0].strip() for entry in configured.split(";"))
        return tuple(name for name in names if name)
    candidates = []
    if environ.get("WAYLAND_DISPLAY"):
        candidates.append("wayland")
    if environ.get("DISPLAY") or not candidates:
        candidates.append("xcb")
    return tuple(candidates)


def pyside_folder() -> Path | None:
    """PySide6's package folder, found without importing it (None if not installed)."""
    try:
        spec = importlib.util.find_spec("PySide6")
    except (ImportError, ValueError):
        return None
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(next(iter(spec.submodule_search_locations)))


def plugin_files(platform: str, folder: Path | None) -> list[Path]:
    """The files whose libraries must load for a window on ``platform``."""
    if folder is None:
        return []
    plugin = folder / "Qt" / "plugins" / "platforms" / f"libq{platform}.so"
    widgets = sorted(folder.glob("QtWidgets*.so"))
    return [path for path in [plugin, *widgets[:1]] if path.is_file()]


def run_ldd(path: Path) -> str | None:
    """``ldd path``'s output, or None when ``ldd`` cannot run."""
    ldd = shutil.which("ldd")
    if ldd is None:
        return None
    try:
        result = subprocess.run([ldd, str(path)], capture_output=True, text=True,
                                timeout=30, check=False)
    except (OSError, subprocess.SubprocessError):
        return None
    return result.stdout


def ldconfig_libraries(run: Callable[[list[str]], str | None] | None = None
                       ) -> set[str] | None:
    """The sonames ``ldconfig -p`` knows, or None when it cannot run."""
    def default_run(command: list[str]) -> str | None:
        try:
            return subprocess.run(command, capture_output=True, text=True, timeout=30,
                                  check=False).stdout
        except (OSError, subprocess.SubprocessError):
            return None

    fallbacks = ("/sbin/ldconfig", "/usr/sbin/ldconfig")
    ldconfig = shutil.which("ldconfig") or next(
        (path for path in fallbacks if os.path.exists(path)), None)
    if ldconfig is None:
        return None
    output = (run or default_run)([ldconfig, "-p"])
    if output is None:
        return None
    return {line.split()[0] for line in output.splitlines()[1:] if line.strip()}


def check_platform_libraries(
    environ: Mapping[str, str] | None = None,
    *,
    folder: Path | None = None,
    ldd: Callable[[Path], str | None] = run_ldd,
    known: Callable[[], set[str] | None] = ldconfig_libraries,
) -> LibraryCheck:
    """Check that a platform plugin a window may use has all its libraries.

    Returns the first candidate of :func:`qt_platforms` that can load, else the last
    one's report (xcb by default: the one a plain desktop needs). Off Linux, or when
    PySide6 or the plugin is not found, nothing is reported missing (Qt then gives its
    own message). ``ldd`` lists the whole dependency tree; without ``ldd`` the known
    xcb list is compared with ``ldconfig -p``.
    """
    folder = folder if folder is not None else pyside_folder()
    report = LibraryCheck(platform="", plugin=None)
    for platform in qt_platforms(environ):
        report = _check_platform(platform, folder, ldd, known)
        if report.ok:
            return report
    return report


def _check_platform(platform: str, folder: Path | None,
                    ldd: Callable[[Path], str | None],
                    known: Callable[[], set[str] | None]) -> LibraryCheck:
    files = plugin_files(platform, folder)
    if not files:
        return LibraryCheck(platform=platform, plugin=None)
    missing: dict[str, None] = {}
    for path in files:
        output = ldd(path)
        if output is None:
            missing.update(dict.fromkeys(_missing_without_ldd(platform, known)))
            break
        missing.update(dict.fromkeys(parse_ldd(output)))
    names = tuple(missing)
    return LibraryCheck(platform=platform, plugin=files[0], missing=names,
                        packages=tuple(debian_packages(names)))


def _missing_without_ldd(platform: str, known: Callable[[], set[str] | None]
                         ) -> list[str]:
    if platform != "xcb":
        return []
    available = known()
    if available is None:
        return []
    return [name for name in DEBIAN_PACKAGES if name not in available]


def install_command(packages: Iterable[str], *, sudo: bool = True) -> str:
    """The shell command that installs ``packages`` on Debian/Ubuntu."""
    names = " ".join(shlex.quote(name) for name in packages)
    prefix = "sudo " if sudo else ""
    return f"{prefix}apt-get install -y --no-install-recommends {names}"


def is_debian_like(os_release: str | None = None) -> bool:
    """Whether this is Debian, Ubuntu or a derivative (``/etc/os-release``)."""
    if os_release is None:
        try:
            os_release = Path("/etc/os-release").read_text(encoding="utf-8")
        except OSError:
            return False
    ids: set[str] = set()
    for line in os_release.splitlines():
        key, _, value = line.partition("=")
        if key.strip() in ("ID", "ID_LIKE"):
            ids.update(value.strip().strip("\"'").lower().split())
    return bool(ids & {"debian", "ubuntu"})
