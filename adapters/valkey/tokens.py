"""Token state in Valkey, shared by every API process: `ValkeyTokenStore`.

Keys (under the configured prefix), each with a TTL equal to the life of what it guards:
- `rt:<sha256>`  hash {u: user, f: family, i: issued µs, e: expires µs, s: spent flag}; a spent token
  is kept (flagged) until it would have expired, so presenting it again is recognised as reuse;
- `fr:<family>`  a revoked session; `jti:<jti>` a revoked access token;
- `nb:<user>`    µs timestamp: the user's tokens issued up to then are revoked;
- `code:<key>`   hash {h: code digest, t: tries left, e: expires µs}; `once:<key>` "value|expires µs".
Expiry is also stored and checked against the caller's clock, so the store answers the same way
whichever clock the application runs on; the TTLs make sure nothing stays behind.
Scripts build some key names from the prefix: fine for one Valkey server or a replicated pair,
not for Valkey Cluster.
"""

from __future__ import annotations

import math
from datetime import UTC, datetime
from uuid import UUID

from valkey.asyncio import Valkey

from application.ports.tokens import RefreshRecord
from domain.identity import TokenReused

_ROTATE = """
local r = redis.call('HMGET', KEYS[1], 'u', 'f', 'i', 'e', 's')
if not r[1] then return {0} end
if tonumber(r[4]) <= tonumber(ARGV[2]) then return {0} end
local fam = ARGV[1] .. 'fr:' .. r[2]
if r[5] == '1' then
  if redis.call('PTTL', fam) < tonumber(ARGV[5]) then redis.call('SET', fam, '1', 'PX', ARGV[5]) end
  return {-1}
end
if redis.call('EXISTS', fam) == 1 then return {0} end
local nb = redis.call('GET', ARGV[1] .. 'nb:' .. r[1])
if nb and tonumber(r[3]) <= tonumber(nb) then return {0} end
redis.call('HSET', KEYS[1], 's', '1')
redis.call('HSET', KEYS[2], 'u', r[1], 'f', r[2], 'i', ARGV[2], 'e', ARGV[3], 's', '0')
redis.call('PEXPIRE', KEYS[2], ARGV[4])
return {1, r[1], r[2]}
"""

# Keeps the latest cut-off and the longest TTL when two revocations of one user overlap.
_REVOKE_USER = """
local cur = redis.call('GET', KEYS[1])
local at = ARGV[1]
if cur and tonumber(cur) > tonumber(at) then at = cur end
local ttl = math.max(tonumber(ARGV[2]), redis.call('PTTL', KEYS[1]))
redis.call('SET', KEYS[1], at, 'PX', ttl)
return 1
"""

# Extends a revocation marker, never shortens it.
_MARK = """
if redis.call('PTTL', KEYS[1]) < tonumber(ARGV[1]) then redis.call('SET', KEYS[1], '1', 'PX', ARGV[1]) end
return 1
"""

_USE_CODE = """
local r = redis.call('HMGET', KEYS[1], 'h', 't', 'e')
if not r[1] then return 0 end
if tonumber(r[3]) <= tonumber(ARGV[2]) then redis.call('DEL', KEYS[1]) return 0 end
if r[1] == ARGV[1] then redis.call('DEL', KEYS[1]) return 1 end
if redis.call('HINCRBY', KEYS[1], 't', -1) <= 0 then redis.call('DEL', KEYS[1]) end
return 0
"""


def _us(moment: datetime) -> int:
    return int(moment.timestamp() * 1_000_000)


def _ttl_ms(now: datetime, until: datetime) -> int:
    return max(1, math.ceil((until - now).total_seconds() * 1000))


def _from_us(value: bytes | str) -> datetime:
    return datetime.fromtimestamp(int(value) / 1_000_000, UTC)


class ValkeyTokenStore:
    """Atomic through Lua scripts: of two concurrent rotations of one refresh token exactly one wins."""

    def __init__(self, client: Valkey, prefix: str) -> None:
        self._client = client
        self._prefix = prefix
        self._rotate = client.register_script(_ROTATE)
        self._revoke_user = client.register_script(_REVOKE_USER)
        self._mark = client.register_script(_MARK)
        self._use_code = client.register_script(_USE_CODE)

    def _key(self, kind: str, name: str) -> str:
        return f"{self._prefix}{kind}:{name}"

    async def add_refresh(self, token_hash: str, record: RefreshRecord) -> None:
        key = self._key("rt", token_hash)
        fields = {
            "u": str(record.user_id),
            "f": str(record.family_id),
            "i": _us(record.issued_at),
            "e": _us(record.expires_at),
            "s": "0",
        }
        async with self._client.pipeline(transaction=True) as pipe:
            pipe.hset(key, mapping=fields)
            pipe.pexpire(key, _ttl_ms(record.issued_at, record.expires_at))
            await pipe.execute()

    async def find_refresh(self, token_hash: str, *, now: datetime) -> RefreshRecord | None:
        raw = await self._client.hmget(self._key("rt", token_hash), ["u", "f", "i", "e", "s"])  # type: ignore[misc]
        if raw[0] is None or raw[4] == b"1":
            return None
        record = RefreshRecord(UUID(raw[0].decode()), UUID(raw[1].decode()), _from_us(raw[2]), _from_us(raw[3]))
        if record.expires_at <= now:
            return None
        family, not_before = await self._client.mget(
            [self._key("fr", str(record.family_id)), self._key("nb", str(record.user_id))]
        )
        if family is not None or (not_before is not None and _us(record.issued_at) <= int(not_before)):
            return None
        return record

    async def rotate_refresh(
        self, old_hash: str, new_hash: str, *, now: datetime, expires_at: datetime, revoke_until: datetime
    ) -> RefreshRecord | None:
        result = await self._rotate(
            keys=[self._key("rt", old_hash), self._key("rt", new_hash)],
            args=[self._prefix, _us(now), _us(expires_at), _ttl_ms(now, expires_at), _ttl_ms(now, revoke_until)],
        )
        if result[0] == -1:
            raise TokenReused("this refresh token was already used; the session is revoked")
        if result[0] != 1:
            return None
        return RefreshRecord(UUID(result[1].decode()), UUID(result[2].decode()), now, expires_at)

    async def revoke_family(self, family_id: UUID, *, now: datetime, until: datetime) -> None:
        await self._mark(keys=[self._key("fr", str(family_id))], args=[_ttl_ms(now, until)])

    async def revoke_access(self, jti: str, *, now: datetime, until: datetime) -> None:
        await self._mark(keys=[self._key("jti", jti)], args=[_ttl_ms(now, until)])

    async def revoke_user(self, user_id: UUID, *, at: datetime, until: datetime) -> None:
        await self._revoke_user(keys=[self._key("nb", str(user_id))], args=[_us(at), _ttl_ms(at, until)])

    async def is_revoked(self, *, jti: str, family_id: UUID, user_id: UUID, issued_at: datetime) -> bool:
        revoked_jti, family, not_before = await self._client.mget(
            [self._key("jti", jti), self._key("fr", str(family_id)), self._key("nb", str(user_id))]
        )
        if revoked_jti is not None or family is not None:
            return True
        return not_before is not None and _us(issued_at) <= int(not_before)

    async def add_code(self, key: str, code_hash: str, *, tries: int, now: datetime, expires_at: datetime) -> None:
        name = self._key("code", key)
        async with self._client.pipeline(transaction=True) as pipe:
            pipe.delete(name)
            pipe.hset(name, mapping={"h": code_hash, "t": tries, "e": _us(expires_at)})
            pipe.pexpire(name, _ttl_ms(now, expires_at))
            await pipe.execute()

    async def use_code(self, key: str, code_hash: str, *, now: datetime) -> bool:
        return bool(await self._use_code(keys=[self._key("code", key)], args=[code_hash, _us(now)]))

    async def add_one_time(self, key: str, value: str, *, now: datetime, expires_at: datetime) -> None:
        await self._client.set(self._key("once", key), f"{value}|{_us(expires_at)}", px=_ttl_ms(now, expires_at))

    async def take_one_time(self, key: str, *, now: datetime) -> str | None:
        raw = await self._client.getdel(self._key("once", key))
        if raw is None:
            return None
        value, _, expires = raw.decode().rpartition("|")
        return value if int(expires) > _us(now) else None
