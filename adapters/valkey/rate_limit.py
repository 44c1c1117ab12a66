"""Fixed-window rate limits in Valkey, shared by every API process."""

from __future__ import annotations

import math

from valkey.asyncio import Valkey

# INCR and the window's expiry in one step: a crash between them cannot leave a counter without a TTL.
_HIT = """
local n = redis.call('INCR', KEYS[1])
local ttl = redis.call('PTTL', KEYS[1])
if ttl < 0 then
  redis.call('PEXPIRE', KEYS[1], ARGV[1])
  ttl = tonumber(ARGV[1])
end
return {n, ttl}
"""


class ValkeyRateLimiter:
    """One counter per key and window; the key expires with its window."""

    def __init__(self, client: Valkey, prefix: str) -> None:
        self._prefix = prefix
        self._hit = client.register_script(_HIT)

    async def hit(self, key: str, *, limit: int, window_seconds: int) -> int | None:
        count, ttl_ms = await self._hit(keys=[f"{self._prefix}rl:{key}"], args=[window_seconds * 1000])
        if int(count) <= limit:
            return None
        return max(1, math.ceil(int(ttl_ms) / 1000))
