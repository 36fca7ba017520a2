"""One hub of typed signals for cross-screen news, emitted after the fact (past tense)."""

from PySide6.QtCore import QObject, Signal


class AppEvents(QObject):
    startup_progressed = Signal(str)  # a human sentence: "Starting the built-in database…"
    platform_started = Signal(object)  # app.bootstrap.Platform
    platform_failed = Signal(str)  # one sentence for the user
    outbox_counted = Signal(int, int)  # records waiting for DynamoDB, records it refused and set aside
    dynamo_status_changed = Signal(str)
    operation_failed = Signal(str)
    signed_in = Signal(object)  # app.security.session.SignedIn
    connection_changed = Signal(bool)  # the database went away (False) or came back (True)
