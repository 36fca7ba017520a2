"""Before the window opens on Linux: are the system libraries Qt's xcb plugin needs installed?

Without them Qt stops with "Could not load the Qt platform plugin xcb" and a page of hints. This
asks `ldd` which libraries the plugin cannot find (plus libxcb-cursor, which Qt loads at run time)
and says in one sentence which Debian/Ubuntu packages to install. `make run` calls it first:

    python -m ui.desktop_libs        exit 0 when nothing is missing, else 1 with the sentence
"""

from __future__ import annotations

import ctypes.util
import importlib.util
import os
import re
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

# The libraries Qt 6's xcb platform plugin needs, by the name ldd reports, and the Debian package
# that brings each. Kept in step with the README's list.
PACKAGES = {
    "libxcb-cursor.so.0": "libxcb-cursor0",
    "libxcb-icccm.so.4": "libxcb-icccm4",
    "libxcb-keysyms.so.1": "libxcb-keysyms1",
    "libxcb-image.so.0": "libxcb-image0",
    "libxcb-render-util.so.0": "libxcb-render-util0",
    "libxcb-randr.so.0": "libxcb-randr0",
    "libxcb-shape.so.0": "libxcb-shape0",
    "libxcb-xinerama.so.0": "libxcb-xinerama0",
    "libxcb-xkb.so.1": "libxcb-xkb1",
    "libxcb-xfixes.so.0": "libxcb-xfixes0",
    "libxcb-sync.so.1": "libxcb-sync1",
    "libxcb-shm.so.0": "libxcb-shm0",
    "libxcb-util.so.1": "libxcb-util1",
    "libxcb-render.so.0": "libxcb-render0",
    "libxcb.so.1": "libxcb1",
    "libX11-xcb.so.1": "libx11-xcb1",
    "libX11.so.6": "libx11-6",
    "libxkbcommon.so.0": "libxkbcommon0",
    "libxkbcommon-x11.so.0": "libxkbcommon-x11-0",
    "libfontconfig.so.1": "libfontconfig1",
    "libfreetype.so.6": "libfreetype6",
    "libEGL.so.1": "libegl1",
    "libGL.so.1": "libgl1",
    "libOpenGL.so.0": "libopengl0",
    "libdbus-1.so.3": "libdbus-1-3",
    "libglib-2.0.so.0": "libglib2.0-0",
}
_NOT_FOUND = re.compile(r"^\s*(\S+)\s+=>\s+not found", re.MULTILINE)
HEADLESS_PLATFORMS = {"offscreen", "minimal", "vnc", "eglfs", "linuxfb", "wayland"}


def xcb_plugin() -> Path | None:
    spec = importlib.util.find_spec("PySide6")
    if spec is None or spec.origin is None:
        return None
    plugin = Path(spec.origin).parent / "Qt" / "plugins" / "platforms" / "libqxcb.so"
    return plugin if plugin.exists() else None


def _ldd(path: Path) -> str:
    return subprocess.run(["ldd", str(path)], capture_output=True, text=True, timeout=30).stdout


def missing_libraries(plugin: Path | None, run_ldd: Callable[[Path], str] = _ldd,
                      find_library: Callable[[str], str | None] = ctypes.util.find_library) -> list[str]:
    """The libraries (sonames) the xcb plugin needs and this system lacks."""
    if plugin is None:
        return []
    missing = list(dict.fromkeys(_NOT_FOUND.findall(run_ldd(plugin))))
    # Qt 6.5+ loads libxcb-cursor at run time: ldd cannot see that need.
    if find_library("xcb-cursor") is None and "libxcb-cursor.so.0" not in missing:
        missing.append("libxcb-cursor.so.0")
    return missing


def advice(missing: list[str]) -> str | None:
    """One sentence naming what to install, or None when nothing is missing."""
    if not missing:
        return None
    packages = [PACKAGES.get(m, m) for m in missing]
    return ("The window cannot open: this computer lacks the desktop libraries " + ", ".join(missing) + "; install "
            "them with `sudo apt install " + " ".join(dict.fromkeys(packages)) + "` (Debian/Ubuntu), then run again.")


def check(environ=os.environ, platform: str = sys.platform, **probes) -> str | None:
    if not platform.startswith("linux"):
        return None
    if environ.get("QT_QPA_PLATFORM", "").split(":")[0] in HEADLESS_PLATFORMS:
        return None
    return advice(missing_libraries(probes.pop("plugin", xcb_plugin()), **probes))


def main() -> int:
    message = check()
    if message:
        print(message, file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
