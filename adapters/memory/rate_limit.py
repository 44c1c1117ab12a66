from __future__ import annotations

import math
from datetime import datetime

from application.ports.clock import Clock


class MemoryRateLimiter:
    """Fixed windows in process memory (the embedded default runs one process).

    Windows run on the injected clock, so tests can move time; ended windows are swept out.
    """

    def __init__(self, clock: Clock) -> None:
        self._clock = clock
        self._windows: dict[str, tuple[datetime, int, int]] = {}
        self._swept: datetime | None = None

    def __len__(self) -> int:
        return len(self._windows)

    def _sweep(self, now: datetime) -> None:
        if self._swept is not None and (now - self._swept).total_seconds() < 60:
            return
        self._swept = now
        self._windows = {k: v for k, v in self._windows.items() if (now - v[0]).total_seconds() < v[2]}

    async def hit(self, key: str, *, limit: int, window_seconds: int) -> int | None:
        now = self._clock.now()
        self._sweep(now)
        started, count, _ = self._windows.get(key, (now, 0, window_seconds))
        elapsed = (now - started).total_seconds()
        if elapsed >= window_seconds:
            started, count, elapsed = now, 0, 0.0
        count += 1
        self._windows[key] = (started, count, window_seconds)
        if count <= limit:
            return None
        return max(1, math.ceil(window_seconds - elapsed))
