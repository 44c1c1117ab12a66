"""The catalog's read-through cache in Valkey, shared by every API process.

Every committed change takes the next number of one sequence, and each scope it names (one book's
figures, the rating order, which books are in stock) keeps the number of its last change; a change of
everything at once sets the number of "everything". An entry is stored with the sequence number read
before its database read and the scopes it depends on, and one script tells a fresh entry from a stale
one at read time: fresh while none of its scopes, nor everything, changed after that number, even when
a slow reader stores a value it read before the write committed. Entries expire after `ttl`, which
bounds how long a change made outside the catalog's use cases could be served; a scope's number lives
far longer than any entry, so an expired one never brings an old entry back. A sequence lost (Valkey
emptied) starts again from the clock in microseconds, above any number it gave before.

The cache is optional: while Valkey does not answer, reads go to the database (a failure pauses the
cache for `pause` seconds, so requests do not each wait on a dead server), and a change that could
not be recorded becomes a change of everything, retried until Valkey takes it, so that no entry
written before the change is served once Valkey is back.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Sequence
from typing import Any

import msgspec
import valkey.asyncio as valkey

from adapters.valkey.client import UNAVAILABLE

TTL = 300
SCOPE_TTL = 7 * 24 * 3600  # renewed on every bump: far longer than any entry lives
#: Seconds the cache is skipped after Valkey failed to answer; how often a lost change is retried.
PAUSE = 5.0
RETRY_LOST_CHANGE = 0.5

log = logging.getLogger(__name__)

#: KEYS: the entry, the sequence, everything's last change; ARGV: the prefix of scope keys.
#: Returns {sequence} on a miss or a stale entry, {sequence, value} on a fresh one.
_READ = """
local entry = redis.call('GET', KEYS[1])
local seq = tonumber(redis.call('GET', KEYS[2]) or '0')
if not entry then return {seq} end
local nl = string.find(entry, '\\n', 1, true)
if not nl then return {seq} end
local at = nil
local keys = {KEYS[3]}
for word in string.gmatch(string.sub(entry, 1, nl - 1), '%S+') do
  if at == nil then at = tonumber(word) else keys[#keys + 1] = ARGV[1] .. word end
end
if at == nil or at > seq then return {seq} end
local changes = redis.call('MGET', unpack(keys))
for i = 1, #changes do
  if changes[i] and tonumber(changes[i]) > at then return {seq} end
end
return {seq, string.sub(entry, nl + 1)}
"""

#: KEYS: the sequence; ARGV: the seconds a scope's number is kept, then the keys of the scopes changed.
#: Returns the change's number.
_CHANGE = """
if not redis.call('GET', KEYS[1]) then
  local now = redis.call('TIME')
  redis.call('SET', KEYS[1], now[1] .. string.sub('000000' .. now[2], -6))
end
local seq = string.format('%.0f', redis.call('INCR', KEYS[1]))
for i = 2, #ARGV do
  redis.call('SET', ARGV[i], seq, 'EX', ARGV[1])
end
return seq
"""


class ValkeyCatalogCache:
    def __init__(self, client: valkey.Valkey, prefix: str, *, ttl: int = TTL, pause: float = PAUSE) -> None:
        self._client = client
        self._pause = pause
        self._skip_until = 0.0
        self._lost_change = False
        self._retrying: asyncio.Task[None] | None = None
        self._prefix = f"{prefix}catalog:"
        self._seq_key = f"{self._prefix}seq"
        self._scope_prefix = f"{self._prefix}changed:"
        self._everything_key = f"{self._scope_prefix}*"
        self._ttl = ttl
        self._read = client.register_script(_READ)
        self._change = client.register_script(_CHANGE)
        self._encoder = msgspec.msgpack.Encoder()
        self._decoders: dict[Any, msgspec.msgpack.Decoder[Any]] = {}

    def _decoder(self, kind: Any) -> msgspec.msgpack.Decoder[Any]:
        found = self._decoders.get(kind)
        if found is None:
            found = self._decoders[kind] = msgspec.msgpack.Decoder(kind)
        return found

    def _entry_key(self, key: str) -> str:
        return f"{self._prefix}entry:{key}"

    # -- Valkey down: skip the cache, remember a lost change ------------------------------------------
    def _usable(self) -> bool:
        return not self._lost_change and time.monotonic() >= self._skip_until

    def _failed(self, exc: Exception) -> None:
        if time.monotonic() >= self._skip_until:
            log.warning("catalog cache skipped for %.0fs: Valkey: %s: %s", self._pause, type(exc).__name__, exc)
        self._skip_until = time.monotonic() + self._pause

    def _lost(self) -> None:
        self._lost_change = True
        if self._retrying is None or self._retrying.done():
            self._retrying = asyncio.create_task(self._change_everything_when_back())

    async def _change_everything_when_back(self) -> None:
        """Every entry may predate the lost change: make them all stale as soon as Valkey answers."""
        while self._lost_change:
            try:
                await self._record(())
            except UNAVAILABLE:
                await asyncio.sleep(RETRY_LOST_CHANGE)
            else:
                self._lost_change = False

    async def aclose(self) -> None:
        """Stops retrying a lost change (the process is going away; entries expire after `ttl`)."""
        if self._retrying is not None:
            self._retrying.cancel()
            await asyncio.gather(self._retrying, return_exceptions=True)

    # -- the cache -----------------------------------------------------------------------------------
    async def read(self, key: str, kind: Any) -> tuple[Any, object]:
        if not self._usable():
            return None, None
        try:
            found = await self._read(
                keys=[self._entry_key(key), self._seq_key, self._everything_key], args=[self._scope_prefix]
            )
        except UNAVAILABLE as exc:
            self._failed(exc)
            return None, None
        seq = int(found[0])
        return (self._decoder(kind).decode(found[1]) if len(found) > 1 else None), seq

    async def write(self, key: str, value: Any, token: object, scopes: Sequence[str] = ()) -> None:
        if not isinstance(token, int) or not self._usable():  # read while Valkey was down: nothing to compare with
            return
        entry = b"%d %s\n%s" % (token, " ".join(scopes).encode(), self._encoder.encode(value))
        try:
            await self._client.set(self._entry_key(key), entry, ex=self._ttl)
        except UNAVAILABLE as exc:
            self._failed(exc)

    async def changed(self, *scopes: str) -> None:
        try:
            await self._record(scopes)
        except UNAVAILABLE as exc:
            self._failed(exc)
            self._lost()

    async def _record(self, scopes: tuple[str, ...]) -> int:
        """Records a change of `scopes` (of everything when empty); gives its number."""
        keys = [self._scope_prefix + scope for scope in scopes] or [self._everything_key]
        return int(await self._change(keys=[self._seq_key], args=[SCOPE_TTL, *keys]))
