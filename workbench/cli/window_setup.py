"""Before the window starts: is there a display, can Qt load its platform plugin?

Qt aborts the process when the display cannot be reached or its platform plugin cannot
be loaded, so these checks run first and without importing PySide6. When system
libraries are missing, :func:`prepare_window` installs them (as root on Debian/Ubuntu,
saying so) or prints the exact command; the caller shows the headless summary when it
returns False.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
from collections.abc import Callable, Mapping, Sequence
from typing import TextIO

from workbench.cli.system_libs import (
    LibraryCheck,
    check_platform_libraries,
    install_command,
    is_debian_like,
    qt_platforms,
)

FALLBACK = "Showing a summary of the project instead."


def display_available(environ: Mapping[str, str] | None = None) -> bool:
    """Whether a window can be shown here (a display, or an explicit QPA platform)."""
    environ = os.environ if environ is None else environ
    if environ.get("QT_QPA_PLATFORM"):
        return True
    if sys.platform in ("win32", "darwin"):
        return True
    return bool(environ.get("DISPLAY") or environ.get("WAYLAND_DISPLAY"))


def x_display_problem(environ: Mapping[str, str] | None = None,
                      timeout: float = 2.0) -> str | None:
    """Why Qt's xcb plugin could not reach ``$DISPLAY`` (None if it can, or no X11)."""
    environ = os.environ if environ is None else environ
    if qt_platforms(environ)[-1:] != ("xcb",) or environ.get("WAYLAND_DISPLAY"):
        return None
    display = environ.get("DISPLAY", "")
    if not display:
        return "QT_QPA_PLATFORM is xcb but DISPLAY is not set"
    host, _, rest = display.rpartition(":")
    number = rest.split(".")[0]
    if not number.isdigit() or host.startswith("/"):
        return None  # an unusual form (e.g. a launchd socket path): let Qt try
    try:
        if host in ("", "unix"):
            with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
                sock.settimeout(timeout)
                try:
                    sock.connect(f"\0/tmp/.X11-unix/X{number}")  # Linux abstract name
                except OSError:
                    sock.connect(f"/tmp/.X11-unix/X{number}")
        else:
            address = (host, 6000 + int(number))
            socket.create_connection(address, timeout=timeout).close()
    except OSError as error:
        return (f"no X server answers on DISPLAY={display} "
                f"({error.strerror or error}); start it or fix DISPLAY")
    return None


def apt_install(packages: Sequence[str], err: TextIO) -> bool:
    """``apt-get install`` the packages (``apt-get update`` first when needed)."""
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    install = ["apt-get", "install", "-y", "--no-install-recommends", *packages]

    def run(command: list[str]) -> bool:
        err.flush()
        try:
            stream = err.fileno()
        except (AttributeError, OSError, ValueError):
            stream = None
        output = stream if stream is not None else subprocess.PIPE
        try:
            result = subprocess.run(command, env=env, stdin=subprocess.DEVNULL,
                                    stdout=output, stderr=subprocess.STDOUT, text=True,
                                    check=False, timeout=900)
        except (OSError, subprocess.SubprocessError) as error:
            err.write(f"{command[0]} failed: {error}\n")
            return False
        if stream is None and result.stdout:
            err.write(result.stdout)
        return result.returncode == 0

    if not _apt_lists_present():
        run(["apt-get", "update"])
    if run(install):
        return True
    return run(["apt-get", "update"]) and run(install)


def _apt_lists_present() -> bool:
    try:
        return any("_Packages" in name for name in os.listdir("/var/lib/apt/lists"))
    except OSError:
        return False


def _can_install() -> bool:
    is_root = hasattr(os, "geteuid") and os.geteuid() == 0
    return is_root and shutil.which("apt-get") is not None and is_debian_like()


def prepare_window(
    err: TextIO | None = None,
    *,
    check: Callable[[], LibraryCheck] = check_platform_libraries,
    can_install: Callable[[], bool] = _can_install,
    install: Callable[[Sequence[str], TextIO], bool] = apt_install,
    debian: Callable[[], bool] = is_debian_like,
    display_problem: Callable[[], str | None] = x_display_problem,
) -> bool:
    """Make sure Qt can start a window; say what is wrong when it cannot.

    Returns:
        True when the window can start; False after printing why not (the caller then
        shows the summary).
    """
    err = err or sys.stderr
    report = check()
    if not report.ok:
        libraries = ", ".join(report.missing)
        packages = list(report.packages)
        err.write(f"Qt's {report.platform} platform plugin needs system libraries that "
                  f"are missing: {libraries}.\n")
        if can_install():
            names = " ".join(packages)
            err.write(f"Installing the system libraries Qt needs: {names}\n")
            err.write(f"  {install_command(packages, sudo=False)}\n")
            install(packages, err)
            report = check()  # apt-get's exit status aside: what counts is what loads
            if report.ok:
                err.write("Installed; starting the window.\n")
            else:
                still = ", ".join(report.missing) or "see apt-get's messages above"
                command = install_command(report.packages or packages, sudo=False)
                err.write(f"Installing them did not work (still missing: {still}); "
                          f"install them yourself:\n  {command}\n{FALLBACK}\n")
                return False
        else:
            if debian():
                how = f"Install them with:\n  {install_command(packages)}\n"
            else:
                how = ("Install the packages of your system that provide them (on "
                       f"Debian/Ubuntu: {' '.join(packages)}).\n")
            err.write(f"{how}then run again. {FALLBACK}\n")
            return False
    problem = display_problem()
    if problem:
        err.write(f"The window cannot start: {problem}. {FALLBACK}\n")
        return False
    return True
