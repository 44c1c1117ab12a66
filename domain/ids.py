"""Time-ordered identifiers: UUID version 7 (RFC 9562), made with the standard library only."""

from __future__ import annotations

import os
import threading
import time
from uuid import UUID

_SEQ_BITS = 74  # rand_a (12 bits) and rand_b (62 bits) together
_lock = threading.Lock()
_last_ms = 0
_seq = 0


def uuid7() -> UUID:
    """A UUIDv7: Unix milliseconds in the top 48 bits, then a counter that starts at a random value each
    millisecond (RFC 9562, method 2). Ids made one after another in a process always increase, so rows
    keyed by them are appended at the right edge of their B-tree indexes instead of anywhere in them."""
    global _last_ms, _seq
    with _lock:
        now = time.time_ns() // 1_000_000
        if now > _last_ms:
            _last_ms = now
            _seq = int.from_bytes(os.urandom(10)) >> (80 - _SEQ_BITS + 1)  # top bit clear: room to count
        else:  # the same millisecond, or the clock went back: count on from the last id
            _seq += 1
            if _seq >> _SEQ_BITS:
                _last_ms += 1
                _seq = 0
        ms, seq = _last_ms, _seq
    value = (ms << 80) | (0x7 << 76) | ((seq >> 62) << 64) | (0b10 << 62) | (seq & ((1 << 62) - 1))
    return UUID(int=value)
