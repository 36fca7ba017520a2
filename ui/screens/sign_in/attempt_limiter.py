"""Failed password attempts with back-off, shared by the sign-in form and the lock screen.

Five failures in a row lock for a minute; each further lock before a success lasts twice as
long (2, 4, ... up to 15 minutes), so guessing stays slow however long someone keeps at it.
"""

from __future__ import annotations

import time
from collections.abc import Callable

MAX_FAILURES = 5
LOCK_SECONDS = 60
MAX_LOCK_SECONDS = 15 * 60


class AttemptLimiter:
    def __init__(self, clock: Callable[[], float] = time.monotonic, max_failures: int = MAX_FAILURES,
                 first_lock: float = LOCK_SECONDS) -> None:
        self.clock = clock
        self.max_failures = max_failures
        self.first_lock = first_lock
        self.failures = 0
        self.locks = 0
        self.locked_until = 0.0

    def is_locked(self) -> bool:
        return self.clock() < self.locked_until

    def failed(self) -> float:
        """Count a failure; the seconds of the lock it starts, or 0."""
        self.failures += 1
        if self.failures < self.max_failures:
            return 0
        self.failures = 0
        seconds = min(self.first_lock * 2 ** self.locks, MAX_LOCK_SECONDS)
        self.locks += 1
        self.locked_until = self.clock() + seconds
        return seconds

    def succeeded(self) -> None:
        self.failures = self.locks = 0
        self.locked_until = 0.0

    def remaining(self) -> float:
        return max(0.0, self.locked_until - self.clock())


def describe_lock(seconds: float) -> str:
    minutes = max(1, round(seconds / 60))
    return "a minute" if minutes == 1 else f"{minutes} minutes"
