from __future__ import annotations

import time
from uuid import UUID

import pytest

from domain import ids
from domain.ids import uuid7, uuid7s


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


def test_ids_made_in_batches_go_on_increasing_across_batches_and_single_ids() -> None:
    made = [*uuid7s(3000), uuid7(), *uuid7s(1), *uuid7s(0), *uuid7s(5000), uuid7()]
    assert len(made) == 8003
    assert made == sorted(made)
    assert len(set(made)) == len(made)
    assert {value.version for value in made} == {7}


def test_a_batch_that_would_overflow_the_counter_moves_on_to_the_next_millisecond(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    last = uuid7()
    monkeypatch.setattr(ids, "_seq", (1 << ids._SEQ_BITS) - 2)  # one id left in this millisecond
    monkeypatch.setattr(ids, "_last_ms", last.int >> 80)
    monkeypatch.setattr(ids.time, "time_ns", lambda: (last.int >> 80) * 1_000_000)  # the clock stands still
    batch = uuid7s(3)
    assert [value.int >> 80 for value in batch] == [(last.int >> 80) + 1] * 3
    assert [last, *batch] == sorted([last, *batch])
