"""Small wording helpers shared by the screens, so counts read "1 incident" and "3 incidents".

The rule itself lives in app.domain.wording (no Qt), so the timeline's sentences agree with the screens."""

from __future__ import annotations

from app.domain.wording import plural, plural_noun

__all__ = ["plural", "plural_noun"]
