from __future__ import annotations

from datetime import datetime
from typing import Protocol


class Clock(Protocol):
    """Tells the time, aware and in UTC. Injected so tests can freeze it."""

    def now(self) -> datetime: ...
