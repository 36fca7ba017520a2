"""Errors a person can act on. Each carries one sentence: what is wrong and what to do."""


class UserError(Exception):
    """A problem the user (or administrator) can fix; `str(err)` is shown as-is, never a traceback."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message
