"""`make run` names the desktop libraries a fresh Debian machine lacks, in one sentence (issue 16.15).

ldd and the system's library search are outside our control: they are injected here."""

from __future__ import annotations

from pathlib import Path

from ui.desktop_libs import advice, check, missing_libraries

PLUGIN = Path("/venv/PySide6/Qt/plugins/platforms/libqxcb.so")
LDD_FRESH_DEBIAN = """\
\tlinux-vdso.so.1 (0x00007ffd)
\tlibQt6XcbQpa.so.6 => /venv/PySide6/Qt/lib/libQt6XcbQpa.so.6 (0x00007f)
\tlibxcb-icccm.so.4 => not found
\tlibxcb-keysyms.so.1 => not found
\tlibxcb-icccm.so.4 => not found
\tlibxkbcommon-x11.so.0 => not found
\tlibc.so.6 => /lib/x86_64-linux-gnu/libc.so.6 (0x00007f)
"""


def test_a_fresh_debian_desktop_is_told_which_packages_to_install():
    missing = missing_libraries(PLUGIN, run_ldd=lambda p: LDD_FRESH_DEBIAN, find_library=lambda name: None)
    assert missing == ["libxcb-icccm.so.4", "libxcb-keysyms.so.1", "libxkbcommon-x11.so.0", "libxcb-cursor.so.0"]
    sentence = advice(missing)
    assert sentence.count(".") >= 1 and "\n" not in sentence
    assert "sudo apt install libxcb-icccm4 libxcb-keysyms1 libxkbcommon-x11-0 libxcb-cursor0" in sentence


def test_nothing_is_said_when_everything_is_there():
    ok = "\tlibxcb-icccm.so.4 => /usr/lib/x86_64-linux-gnu/libxcb-icccm.so.4 (0x1)\n"
    assert check({}, "linux", plugin=PLUGIN, run_ldd=lambda p: ok,
                 find_library=lambda name: "libxcb-cursor.so.0") is None


def test_headless_runs_and_other_systems_are_not_checked():
    def ldd(_):
        raise AssertionError("ldd must not run")

    assert check({"QT_QPA_PLATFORM": "offscreen"}, "linux", plugin=PLUGIN, run_ldd=ldd) is None
    assert check({}, "win32", plugin=PLUGIN, run_ldd=ldd) is None


def test_an_unknown_library_is_named_as_itself():
    sentence = advice(["libfancy.so.7"])
    assert "sudo apt install libfancy.so.7" in sentence
