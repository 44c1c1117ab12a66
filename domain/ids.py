"""Time-ordered identifiers: UUID version 7 (RFC 9562), made with the standard library only."""

from __future__ import annotations

import os
import threading
import time
from uuid import UUID

_SEQ_BITS = 74  # rand_a (12 bits) and rand_b (62 bits) together
_RAND_B = (1 << 62) - 1
_VERSION_AND_VARIANT = (0x7 << 76) | (0b10 << 62)
_lock = threading.Lock()
_last_ms = 0
_seq = 0


def uuid7s(count: int) -> list[UUID]:
    """`count` UUIDv7s: Unix milliseconds in the top 48 bits, then a counter that starts at a random value
    each millisecond (RFC 9562, method 2). Ids made one after another in a process always increase, so
    rows keyed by them are appended at the right edge of their B-tree indexes instead of anywhere in them.
    A batch takes its ids in one go: one lock, one clock reading, one random draw at most."""
    global _last_ms, _seq
    if count <= 0:
        return []
    with _lock:
        now = time.time_ns() // 1_000_000
        if now > _last_ms:
            _last_ms = now
            first = int.from_bytes(os.urandom(10)) >> (80 - _SEQ_BITS + 1)  # top bit clear: room to count
        else:  # the same millisecond, or the clock went back: count on from the last id
            first = _seq + 1
        if (first + count - 1) >> _SEQ_BITS:  # the counter would overflow: the next millisecond's ids
            _last_ms += 1
            first = 0
        _seq = first + count - 1
        base = (_last_ms << 80) | _VERSION_AND_VARIANT
    return [UUID(int=base | ((seq >> 62) << 64) | (seq & _RAND_B)) for seq in range(first, first + count)]


def uuid7() -> UUID:
    """One UUIDv7 (see `uuid7s`)."""
    return uuid7s(1)[0]
