"""Each desk's `school-office-admin` commands live in a module of this package, so desks added in
parallel never edit the same file: a module defines `register(subparsers)` and adds its own
sub-commands (e.g. `pos simulate`, `import oneroster`, `immunizations evaluate`).

A command's function takes the parsed args and returns the exit status; raise `UserError` for
one-sentence refusals (main() prints them and exits 2).
"""

from __future__ import annotations

import importlib
import pkgutil


def register_all(subparsers) -> None:
    for info in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
        module = importlib.import_module(f"{__name__}.{info.name}")
        register = getattr(module, "register", None)
        if register is not None:
            register(subparsers)
