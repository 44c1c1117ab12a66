from __future__ import annotations

from typing import Protocol


class RateLimiter(Protocol):
    """Fixed-window counters shared by every API process."""

    async def hit(self, key: str, *, limit: int, window_seconds: int) -> int | None:
        """Counts one attempt; returns None while within `limit`, else seconds until retry."""
