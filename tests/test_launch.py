"""The launch path: system-library check for Qt, display checks, ``workbench app``.

The parsers get recorded ``ldd`` output; one test runs the real check on this machine.
"""

from __future__ import annotations

import io
import os
import shutil
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import REPO_ROOT
from workbench.cli import system_libs as sl
from workbench.cli import window_setup as ws

# ldd on PySide6 6.8's libqxcb.so on Debian 12 without libxcb-icccm4 / libxcb-keysyms1
# (abridged, the real lines).
LDD_MISSING = """\
\tlinux-vdso.so.1 (0x00007f47aa587000)
\tlibQt6XcbQpa.so.6 => /v/PySide6/Qt/plugins/platforms/../../lib/libQt6XcbQpa.so.6 (0x1)
\tlibGL.so.1 => /lib/x86_64-linux-gnu/libGL.so.1 (0x00007f47aa429000)
\tlibxcb-cursor.so.0 => /lib/x86_64-linux-gnu/libxcb-cursor.so.0 (0x00007f47aa3cf000)
\tlibxcb-icccm.so.4 => not found
\tlibxcb-util.so.1 => /lib/x86_64-linux-gnu/libxcb-util.so.1 (0x00007f47aa3c7000)
\tlibxcb-keysyms.so.1 => not found
\tlibxcb-icccm.so.4 => not found
\tlibxcb-keysyms.so.1 => not found
\tlibdbus-1.so.3 => not found
\t/lib64/ld-linux-x86-64.so.2 (0x00007f47aa589000)
"""


def test_parse_ldd_lists_each_missing_library_once_in_order() -> None:
    assert sl.parse_ldd(LDD_MISSING) == [
        "libxcb-icccm.so.4", "libxcb-keysyms.so.1", "libdbus-1.so.3"]
    assert sl.parse_ldd("") == []
    found = "\tlibc.so.6 => /lib/libc.so.6 (0x1)\nnot a dynamic exe\n"
    assert sl.parse_ldd(found) == []


@pytest.mark.parametrize(("soname", "package"), [
    ("libxcb-cursor.so.0", "libxcb-cursor0"),
    ("libxcb-icccm.so.4", "libxcb-icccm4"),
    ("libxkbcommon-x11.so.0", "libxkbcommon-x11-0"),
    ("libglib-2.0.so.0", "libglib2.0-0"),
    ("libEGL.so.1", "libegl1"),
    # not in the table: Debian's naming policy
    ("libxcb-foo.so.2", "libxcb-foo2"),
    ("libfoo2.so.1.2.3", "libfoo2-1"),
    ("libWeird.so", "libweird.so"),
])
def test_debian_package_names(soname, package) -> None:
    assert sl.debian_package(soname) == package


def test_debian_packages_are_unique() -> None:
    names = ["libglib-2.0.so.0", "libgthread-2.0.so.0", "libxcb-icccm.so.4"]
    assert sl.debian_packages(names) == ["libglib2.0-0", "libxcb-icccm4"]


@pytest.mark.parametrize(("environ", "expected"), [
    ({"DISPLAY": ":0"}, ("xcb",)),
    ({"WAYLAND_DISPLAY": "wayland-0"}, ("wayland",)),
    ({"WAYLAND_DISPLAY": "wayland-0", "DISPLAY": ":0"}, ("wayland", "xcb")),
    ({"QT_QPA_PLATFORM": "offscreen"}, ("offscreen",)),
    ({"QT_QPA_PLATFORM": "wayland;xcb", "DISPLAY": ":0"}, ("wayland", "xcb")),
    ({"QT_QPA_PLATFORM": "vnc:size=800x600"}, ("vnc",)),
])
def test_qt_platforms(environ, expected) -> None:
    assert sl.qt_platforms(environ, platform="linux") == expected
    assert sl.qt_platforms(environ, platform="win32") == ()


def _fake_pyside(tmp_path: Path, *platforms: str) -> Path:
    folder = tmp_path / "PySide6"
    plugins = folder / "Qt" / "plugins" / "platforms"
    plugins.mkdir(parents=True)
    for name in platforms:
        (plugins / f"libq{name}.so").write_bytes(b"")
    (folder / "QtWidgets.abi3.so").write_bytes(b"")
    return folder


def test_check_reports_missing_libraries_and_packages(tmp_path) -> None:
    folder = _fake_pyside(tmp_path, "xcb")
    seen = []

    def ldd(path: Path) -> str:
        seen.append(path.name)
        return LDD_MISSING if path.name == "libqxcb.so" else "\tlibc.so.6 => /x (0x1)\n"

    report = sl.check_platform_libraries({"DISPLAY": ":0"}, folder=folder, ldd=ldd)
    assert seen == ["libqxcb.so", "QtWidgets.abi3.so"]
    assert not report.ok and report.platform == "xcb"
    assert report.missing == ("libxcb-icccm.so.4", "libxcb-keysyms.so.1",
                              "libdbus-1.so.3")
    assert report.packages == ("libxcb-icccm4", "libxcb-keysyms1", "libdbus-1-3")
    complete = sl.check_platform_libraries({"DISPLAY": ":0"}, folder=folder,
                                           ldd=lambda path: "")
    assert complete.ok and complete.missing == ()


def test_check_prefers_a_platform_that_loads(tmp_path) -> None:
    folder = _fake_pyside(tmp_path, "xcb", "wayland")

    def ldd(path: Path) -> str:
        return LDD_MISSING if path.name == "libqxcb.so" else ""

    both = {"WAYLAND_DISPLAY": "wayland-0", "DISPLAY": ":0"}
    report = sl.check_platform_libraries(both, folder=folder, ldd=ldd)
    assert report.ok and report.platform == "wayland"
    x11 = sl.check_platform_libraries({"DISPLAY": ":0"}, folder=folder, ldd=ldd)
    assert not x11.ok


def test_without_ldd_the_known_list_is_compared_with_ldconfig(tmp_path) -> None:
    folder = _fake_pyside(tmp_path, "xcb")
    present = set(sl.DEBIAN_PACKAGES) - {"libxcb-cursor.so.0"}
    report = sl.check_platform_libraries({"DISPLAY": ":0"}, folder=folder,
                                         ldd=lambda path: None, known=lambda: present)
    assert report.missing == ("libxcb-cursor.so.0",)
    assert report.packages == ("libxcb-cursor0",)
    unknown = sl.check_platform_libraries({"DISPLAY": ":0"}, folder=folder,
                                          ldd=lambda path: None, known=lambda: None)
    assert unknown.ok  # nothing to go on: let Qt try


def test_ldconfig_output_is_parsed() -> None:
    output = ("3 libs found in cache `/etc/ld.so.cache'\n"
              "\tlibxcb.so.1 (libc6,x86-64) => /lib/x86_64-linux-gnu/libxcb.so.1\n"
              "\tlibGL.so.1 (libc6,x86-64) => /lib/x86_64-linux-gnu/libGL.so.1\n")
    if sl.shutil.which("ldconfig") is None and not os.path.exists("/sbin/ldconfig"):
        pytest.skip("no ldconfig here")
    known = sl.ldconfig_libraries(lambda command: output)
    assert known == {"libxcb.so.1", "libGL.so.1"}


def test_no_plugin_or_no_pyside_reports_nothing(tmp_path) -> None:
    empty = sl.check_platform_libraries({"DISPLAY": ":0"}, folder=tmp_path)
    assert empty.ok and empty.plugin is None


def test_install_command_and_debian_detection() -> None:
    assert sl.install_command(["libxcb-icccm4", "libxcb-keysyms1"]) == (
        "sudo apt-get install -y --no-install-recommends libxcb-icccm4 libxcb-keysyms1")
    assert sl.install_command(["a"], sudo=False).startswith("apt-get install")
    assert sl.is_debian_like('PRETTY_NAME="Debian GNU/Linux 12"\nID=debian\n')
    assert sl.is_debian_like('NAME="Mint"\nID=linuxmint\nID_LIKE="ubuntu debian"\n')
    assert not sl.is_debian_like('ID="fedora"\n')
    assert not sl.is_debian_like("")


@pytest.mark.skipif(not sys.platform.startswith("linux") or shutil.which("ldd") is None,
                    reason="needs Linux with ldd")
def test_real_check_on_this_machine_agrees_with_ldd() -> None:
    pytest.importorskip("PySide6")
    folder = sl.pyside_folder()
    plugin = folder / "Qt" / "plugins" / "platforms" / "libqxcb.so"
    report = sl.check_platform_libraries({"DISPLAY": ":0"}, folder=folder)
    assert report.plugin == plugin
    real = subprocess.run(["ldd", str(plugin)], capture_output=True, text=True,
                          check=False).stdout
    expected = [line.split()[0] for line in real.splitlines() if "not found" in line]
    assert set(report.missing) >= set(expected)
    assert all(name.startswith("lib") for name in report.packages)


# -- prepare_window: install as root on Debian, else print the command, else summary --

MISSING = sl.LibraryCheck("xcb", Path("libqxcb.so"), ("libxcb-icccm.so.4",),
                          ("libxcb-icccm4",))
FOUND = sl.LibraryCheck("xcb", Path("libqxcb.so"))


def test_prepare_window_passes_when_nothing_is_missing() -> None:
    err = io.StringIO()
    assert ws.prepare_window(err, check=lambda: FOUND, display_problem=lambda: None)
    assert err.getvalue() == ""


def test_prepare_window_prints_the_exact_command_when_it_cannot_install() -> None:
    err = io.StringIO()
    installed = []
    ok = ws.prepare_window(err, check=lambda: MISSING, can_install=lambda: False,
                           install=lambda p, e: installed.append(p) or True,
                           debian=lambda: True, display_problem=lambda: None)
    text = err.getvalue()
    assert not ok and installed == []
    assert "libxcb-icccm.so.4" in text
    assert "sudo apt-get install -y --no-install-recommends libxcb-icccm4" in text
    assert ws.FALLBACK in text
    other = io.StringIO()
    ws.prepare_window(other, check=lambda: MISSING, can_install=lambda: False,
                      debian=lambda: False, display_problem=lambda: None)
    assert "apt-get" not in other.getvalue() and "libxcb-icccm4" in other.getvalue()


def test_prepare_window_installs_as_root_and_rechecks() -> None:
    err = io.StringIO()
    reports = iter([MISSING, FOUND])
    installed = []
    ok = ws.prepare_window(err, check=lambda: next(reports), can_install=lambda: True,
                           install=lambda p, e: installed.append(list(p)) or True,
                           display_problem=lambda: None)
    assert ok and installed == [["libxcb-icccm4"]]
    assert "Installing the system libraries Qt needs: libxcb-icccm4" in err.getvalue()


def test_prepare_window_falls_back_when_the_install_does_not_help() -> None:
    err = io.StringIO()
    ok = ws.prepare_window(err, check=lambda: MISSING, can_install=lambda: True,
                           install=lambda p, e: False, display_problem=lambda: None)
    assert not ok
    assert "still missing: libxcb-icccm.so.4" in err.getvalue()
    assert "apt-get install -y --no-install-recommends libxcb-icccm4" in err.getvalue()
    assert ws.FALLBACK in err.getvalue()


def test_prepare_window_refuses_an_unreachable_display() -> None:
    err = io.StringIO()
    assert not ws.prepare_window(err, check=lambda: FOUND,
                                 display_problem=lambda: "no X server answers")
    assert "no X server answers" in err.getvalue() and ws.FALLBACK in err.getvalue()


def test_x_display_problem_finds_a_dead_display(tmp_path) -> None:
    dead = ":4242"
    assert "no X server answers on DISPLAY=:4242" in ws.x_display_problem(
        {"DISPLAY": dead})
    assert "DISPLAY is not set" in ws.x_display_problem({"QT_QPA_PLATFORM": "xcb"})
    assert ws.x_display_problem({"QT_QPA_PLATFORM": "offscreen"}) is None
    assert ws.x_display_problem({"WAYLAND_DISPLAY": "w-0", "DISPLAY": dead}) is None
    with socket.socket() as server:  # a TCP "X server" on localhost:6000+N
        server.bind(("127.0.0.1", 0))
        server.listen()
        port = server.getsockname()[1]
        if port < 6000:
            pytest.skip("the free port is below X's range")
        assert ws.x_display_problem({"DISPLAY": f"127.0.0.1:{port - 6000}.0"}) is None


def test_display_available() -> None:
    assert not ws.display_available({}) or sys.platform in ("win32", "darwin")
    assert ws.display_available({"QT_QPA_PLATFORM": "offscreen"})
    assert ws.display_available({"DISPLAY": ":0"})


# -- workbench app, headless ----------------------------------------------------------

def _headless_env(home: Path) -> dict[str, str]:
    hidden = ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM")
    env = {k: v for k, v in os.environ.items() if k not in hidden}
    env["WORKBENCH_HOME"] = str(home)
    return env


def test_app_without_project_summarises_a_user_copy_and_says_where(tmp_path) -> None:
    home = tmp_path / "home"
    for attempt in range(2):
        result = subprocess.run(
            [sys.executable, "-m", "workbench"], cwd=REPO_ROOT, env=_headless_env(home),
            capture_output=True, text=True, timeout=120, check=False,
        )
        assert result.returncode in (0, 1), result.stderr
        lines = result.stdout.splitlines()
        copy = home / "pizza"
        if attempt == 0:
            assert lines[0] == (f"Copied the sample project to {copy} (yours to edit; "
                                "the installed sample stays unchanged)")
        else:
            assert lines[0] == f"Opened your copy of the sample project: {copy}"
        assert lines[1] == f"Project {copy}"
        assert "No display found" in result.stderr
    assert sorted(p.name for p in home.iterdir()) == ["pizza"]


def test_app_reports_an_unwritable_user_folder(tmp_path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x")
    result = subprocess.run(
        [sys.executable, "-m", "workbench", "--summary"], cwd=REPO_ROOT,
        env=_headless_env(blocker / "sub"), capture_output=True, text=True,
        timeout=120, check=False,
    )
    assert result.returncode == 2
    assert "error: cannot copy the sample project to" in result.stderr
    assert "Traceback" not in result.stderr


def test_app_falls_back_to_the_summary_when_qt_cannot_start(tmp_path, monkeypatch,
                                                            capsys) -> None:
    from workbench.cli import app_command

    monkeypatch.setattr(app_command, "display_available", lambda: True)
    monkeypatch.setattr(app_command, "prepare_window", lambda: False)
    project = REPO_ROOT / "sample_projects" / "tiny"
    status = app_command.main([str(project)])
    out = capsys.readouterr().out
    assert status == 0 and f"Project {project}" in out


def test_app_train_uses_the_workbench_train_loop(tmp_path) -> None:
    pytest.importorskip("torch")
    project = tmp_path / "tiny"
    shutil.copytree(REPO_ROOT / "sample_projects" / "tiny", project)
    result = subprocess.run(
        [sys.executable, "-m", "workbench", str(project), "--train", "--epochs", "1"],
        cwd=REPO_ROOT, env=_headless_env(tmp_path / "home"), capture_output=True,
        text=True, timeout=300, check=False,
    )
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert "Training (Ctrl+C stops after the current batch)…" in lines
    model = Path(lines[-1].split()[-1])  # workbench train's last line: the model path
    assert model.is_dir() and model.parent == project / "models"
    runs = subprocess.run([sys.executable, "-m", "workbench.cli.main", "runs",
                           str(project), "--json"], cwd=REPO_ROOT, capture_output=True,
                          text=True, timeout=120, check=True)
    assert '"finished"' in runs.stdout  # recorded in the run history like `train`
