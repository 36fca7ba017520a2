"""`school-office`: the desktop application.

    school-office            open on the configured (or built-in) database
    school-office --demo     the same, loading the demo district if the built-in database is empty

Every person signs in with their own database login; the window holds no other credential. With
DATABASE_URL set it uses only the server's address and database name from it, and never changes
the schema (IT runs `school-office-admin migrate` for that).
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys

log = logging.getLogger("school_office.ui")


def parse_args(argv: list[str]) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="school-office")
    p.add_argument("--demo", action="store_true", help="load the demo district on first start of an empty built-in "
                                                       "database (a server's is loaded by school-office-admin seed-demo)")
    p.add_argument("--kiosk", choices=("cafeteria", "library", "library-selfcheck", "attendance", "nurse"),
                   help="open one desk full screen without window controls; it locks when idle")
    p.add_argument("--screenshot", metavar="DIR", help="sign in as the demo administrator, save every screen as "
                                                        "PNG files in DIR, and exit")
    return p.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    import qasync
    from PySide6.QtWidgets import QApplication, QMessageBox

    from app.bootstrap import start_workstation
    from app.config import load_settings
    from app.errors import UserError
    from app.logging_setup import configure_logging
    from ui.app_events import AppEvents
    from ui.main_window import MainWindow, show_startup_failure
    from ui.settings import UiSettings

    args = parse_args(sys.argv[1:] if argv is None else argv)
    if args.screenshot:
        import os

        os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
        args.demo = True
    app = QApplication.instance() or QApplication(sys.argv[:1])
    app.setApplicationName("School Office")
    app.setOrganizationName("School Office")
    try:
        settings = load_settings()
    except UserError as err:
        QMessageBox.critical(None, "School Office could not start", err.message)
        return 2
    log_path = configure_logging(settings.log_dir)

    def excepthook(exc_type, exc, tb):
        log.error("unexpected error", exc_info=(exc_type, exc, tb))
        QMessageBox.warning(None, "School Office", "Something went wrong; nothing you saved was lost. "
                                                   f"The details are in {log_path}.")

    sys.excepthook = excepthook
    events = AppEvents()

    def start():
        return start_workstation(settings, seed_demo_if_empty=args.demo, on_status=events.startup_progressed.emit)

    def sign_in(platform, login: str, password: str):
        return platform.sign_in(login, password)

    def verify(platform, login: str, password: str):
        return platform.verify(login, password)

    import os

    idle = float(os.environ.get("SCHOOL_OFFICE_KIOSK_IDLE_SECONDS", "120"))
    kiosk = args.kiosk
    if kiosk == "library-selfcheck":  # the library desk's page as a self-check station (checkout and renew only)
        from ui.screens.library import page as library_page

        library_page.SELF_CHECK, kiosk = True, "library"
    window = MainWindow(events, UiSettings(), start, sign_in=sign_in, kiosk=kiosk, verify=verify,
                        idle_seconds=idle)

    def failed(message: str) -> None:
        window._may_close = True  # a kiosk that cannot start must still close
        show_startup_failure(window, message, then=app.quit)  # quits once the box is closed

    events.platform_failed.connect(failed)
    window.resize(1200, 760)
    if args.kiosk:
        window.showFullScreen()
    else:
        window.show()
    loop = qasync.QEventLoop(app)
    asyncio.set_event_loop(loop)
    if args.screenshot:
        from pathlib import Path

        from ui.screenshots import capture

        events.platform_failed.disconnect(failed)
        events.platform_failed.connect(lambda m: print(m, file=sys.stderr))
        try:
            with loop:
                written = loop.run_until_complete(capture(window, Path(args.screenshot)))
        except (Exception, SystemExit) as exc:
            log.exception("screenshot mode failed")
            print(f"The screenshots could not be made ({exc}); the details are in {log_path}.", file=sys.stderr)
            window._may_close = True
            window._discard_unsaved()  # nobody is there to answer "save or discard?"
            window.close()
            return 1
        window._discard_unsaved()  # the roster marked for the picture is not to be saved or asked about
        window.close()
        print("\n".join(str(p) for p in written))
        return 0
    closing = asyncio.Event()
    app.aboutToQuit.connect(closing.set)
    with loop:
        loop.create_task(window.start())
        loop.run_until_complete(closing.wait())
    if window.platform is not None:
        window.platform.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
