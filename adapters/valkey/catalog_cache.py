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

In front of Valkey, each process keeps the entries it read lately (`local_bytes` of them, least recently
used first out) and answers a hit from them without a round trip. Every change is published with its
number and scopes, and each process keeps the numbers it heard as the script keeps them in Valkey, so a
local entry is fresh by the same rule; the process that made the change applies it at once, the others
as soon as its message arrives (well under a millisecond on one host). The local entries are used only
while the subscription is up: all are dropped when it is lost and again when it is back, and an entry
read from Valkey before that is not kept.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import OrderedDict
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
#: The bytes of entries each process keeps in front of Valkey.
LOCAL_BYTES = 32 * 1024 * 1024
#: Scopes heard of past which a process forgets them all (and its entries with them).
LOCAL_SCOPES = 200_000
EVERYTHING = "*"

log = logging.getLogger(__name__)

#: KEYS: the entry, the sequence, everything's last change; ARGV: the prefix of scope keys.
#: Returns {sequence} on a miss or a stale entry, {sequence, entry} on a fresh one.
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
return {seq, entry}
"""

#: KEYS: the sequence; ARGV: the seconds a scope's number is kept, the prefix of scope keys, the channel
#: of changes, then the scopes changed. Returns the change's number, published with the scopes.
_CHANGE = """
if not redis.call('GET', KEYS[1]) then
  local now = redis.call('TIME')
  redis.call('SET', KEYS[1], now[1] .. string.sub('000000' .. now[2], -6))
end
local seq = string.format('%.0f', redis.call('INCR', KEYS[1]))
for i = 4, #ARGV do
  redis.call('SET', ARGV[2] .. ARGV[i], seq, 'EX', ARGV[1])
end
redis.call('PUBLISH', ARGV[3], seq .. ' ' .. table.concat(ARGV, ' ', 4))
return seq
"""


def _parse(entry: bytes) -> tuple[int, tuple[str, ...], bytes]:
    """(number, scopes, value) of a stored entry."""
    header, value = entry.split(b"\n", 1)
    at, *scopes = header.decode().split()
    return int(at), tuple(scopes), value


class _Local:
    """The entries one process keeps, and the changes it heard of (numbers as in Valkey)."""

    def __init__(self, max_bytes: int, ttl: float) -> None:
        self.max_bytes = max_bytes
        self.ttl = ttl
        self.entries: OrderedDict[str, tuple[int, tuple[str, ...], bytes, float]] = OrderedDict()
        self.size = 0
        self.everything = 0
        self.scopes: dict[str, int] = {}
        #: Up with the subscription: entries read from Valkey while it was are kept.
        self.live = False
        #: Changes whenever the entries are dropped: an entry read from Valkey before is not kept.
        self.epoch = 0

    def fresh(self, at: int, scopes: tuple[str, ...]) -> bool:
        heard = self.scopes
        return self.everything <= at and all(heard.get(scope, 0) <= at for scope in scopes)

    def get(self, key: str) -> bytes | None:
        found = self.entries.get(key)
        if found is None:
            return None
        at, scopes, value, expires = found
        if not self.fresh(at, scopes) or time.monotonic() >= expires:
            self._pop(key)
            return None
        self.entries.move_to_end(key)
        return value

    def put(self, key: str, at: int, scopes: tuple[str, ...], value: bytes, epoch: int) -> None:
        if not self.live or epoch != self.epoch or len(value) > self.max_bytes or not self.fresh(at, scopes):
            return
        self._pop(key)
        self.entries[key] = (at, scopes, value, time.monotonic() + self.ttl)
        self.size += len(value)
        while self.size > self.max_bytes:
            self._pop(next(iter(self.entries)))

    def _pop(self, key: str) -> None:
        found = self.entries.pop(key, None)
        if found is not None:
            self.size -= len(found[2])

    def heard(self, seq: int, scopes: Sequence[str]) -> None:
        if EVERYTHING in scopes or len(self.scopes) >= LOCAL_SCOPES:
            self.everything = max(self.everything, seq)
            self.scopes.clear()
            self.entries.clear()
            self.size = 0
            return
        for scope in scopes:
            if self.scopes.get(scope, 0) < seq:
                self.scopes[scope] = seq

    def drop(self, *, live: bool) -> None:
        """Forgets every entry and change (messages may have been missed): from scratch, `live` or not."""
        self.entries.clear()
        self.size = 0
        self.scopes.clear()
        self.everything = 0
        self.epoch += 1
        self.live = live


class ValkeyCatalogCache:
    def __init__(
        self,
        client: valkey.Valkey,
        prefix: str,
        *,
        ttl: int = TTL,
        pause: float = PAUSE,
        local_bytes: int = LOCAL_BYTES,
    ) -> None:
        self._client = client
        self._pause = pause
        self._skip_until = 0.0
        self._lost_change = False
        self._retrying: asyncio.Task[None] | None = None
        self._prefix = f"{prefix}catalog:"
        self._seq_key = f"{self._prefix}seq"
        self._scope_prefix = f"{self._prefix}changed:"
        self._everything_key = f"{self._scope_prefix}{EVERYTHING}"
        self._channel = f"{self._prefix}changes"
        self._ttl = ttl
        self._read = client.register_script(_READ)
        self._change = client.register_script(_CHANGE)
        self._encoder = msgspec.msgpack.Encoder()
        self._decoders: dict[Any, msgspec.msgpack.Decoder[Any]] = {}
        self._local = _Local(local_bytes, ttl) if local_bytes > 0 else None
        self._listening: asyncio.Task[None] | None = None

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
        if self._local is not None:
            self._local.drop(live=self._local.live)
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

    # -- the changes heard of: the subscription --------------------------------------------------------
    def _listen(self) -> None:
        if self._local is not None and (self._listening is None or self._listening.done()):
            self._listening = asyncio.create_task(self._hear_changes(self._local))

    async def _hear_changes(self, local: _Local) -> None:
        while True:
            pubsub = self._client.pubsub()
            try:
                await pubsub.subscribe(self._channel)
                while True:
                    message = await pubsub.get_message(timeout=1.0)
                    if message is None:
                        continue
                    if message["type"] == "subscribe":  # from here on, every change is heard
                        local.drop(live=True)
                    elif message["type"] == "message":
                        seq, *scopes = message["data"].decode().split()
                        local.heard(int(seq), scopes)
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # whatever broke the subscription, changes may have been missed
                if local.live:
                    log.warning(
                        "catalog cache: changes not heard, local entries dropped: %s: %s", type(exc).__name__, exc
                    )
                local.drop(live=False)
                await asyncio.sleep(RETRY_LOST_CHANGE)
            finally:
                local.live = False
                await asyncio.shield(pubsub.aclose())

    async def aclose(self) -> None:
        """Stops listening and retrying a lost change (the process is going away; entries expire after `ttl`)."""
        for task in (self._retrying, self._listening):
            if task is not None:
                task.cancel()
                await asyncio.gather(task, return_exceptions=True)

    # -- the cache -----------------------------------------------------------------------------------
    async def read(self, key: str, kind: Any) -> tuple[Any, object]:
        if not self._usable():
            return None, None
        local = self._local
        if local is not None:
            found = local.get(key)
            if found is not None:
                return self._decoder(kind).decode(found), None
            epoch = local.epoch
            self._listen()
        try:
            answer = await self._read(
                keys=[self._entry_key(key), self._seq_key, self._everything_key], args=[self._scope_prefix]
            )
        except UNAVAILABLE as exc:
            self._failed(exc)
            return None, None
        seq = int(answer[0])
        if len(answer) == 1:
            return None, (seq, epoch if local is not None else 0)
        at, scopes, value = _parse(answer[1])
        if local is not None:
            local.put(key, at, scopes, value, epoch)
        return self._decoder(kind).decode(value), None

    async def write(self, key: str, value: Any, token: object, scopes: Sequence[str] = ()) -> None:
        if not isinstance(token, tuple) or not self._usable():  # read while Valkey was down: nothing to compare with
            return
        seq, epoch = token
        encoded = self._encoder.encode(value)
        entry = b"%d %s\n%s" % (seq, " ".join(scopes).encode(), encoded)
        try:
            await self._client.set(self._entry_key(key), entry, ex=self._ttl)
        except UNAVAILABLE as exc:
            self._failed(exc)
            return
        if self._local is not None:
            self._local.put(key, seq, tuple(scopes), encoded, epoch)

    async def changed(self, *scopes: str) -> None:
        try:
            seq = await self._record(scopes)
        except UNAVAILABLE as exc:
            self._failed(exc)
            self._lost()
            return
        if self._local is not None:  # this process's own entries: at once, not when the message comes
            self._local.heard(seq, scopes or (EVERYTHING,))

    async def _record(self, scopes: tuple[str, ...]) -> int:
        """Records a change of `scopes` (of everything when empty); gives its number."""
        args: list[str | int] = [SCOPE_TTL, self._scope_prefix, self._channel, *(scopes or (EVERYTHING,))]
        return int(await self._change(keys=[self._seq_key], args=args))
