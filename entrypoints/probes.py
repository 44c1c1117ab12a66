"""Gauges read when `/metrics` is scraped: backlogs that live in a database or a queue, not in a process."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass

#: A reading: one number, or one number per label value (e.g. per queue name).
Reading = float | Mapping[str, float]


@dataclass(frozen=True, slots=True)
class ScrapeGauge:
    """A gauge whose value is asked for at scrape time; `label` names the key of a per-item reading."""

    help: str
    read: Callable[[], Awaitable[Reading]]
    label: str = "name"
