from __future__ import annotations

import time
from uuid import UUID

from domain.ids import uuid7


def test_ids_are_version_7_and_increase_in_the_order_they_are_made() -> None:
    made = [uuid7() for _ in range(50_000)]  # many within one millisecond
    assert made == sorted(made)
    assert len(set(made)) == len(made)
    assert all(value.version == 7 and value.variant == "specified in RFC 4122" for value in made[:100])


def test_an_id_starts_with_the_unix_milliseconds_it_was_made_at() -> None:
    before = time.time_ns() // 1_000_000
    value = uuid7()
    after = time.time_ns() // 1_000_000
    assert before <= value.int >> 80 <= after
    assert isinstance(value, UUID)
