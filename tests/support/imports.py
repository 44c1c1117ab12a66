"""Helpers for import tests: CSV text, byte streams, and a whole import run through the use cases."""

from __future__ import annotations

import asyncio
import random
from collections.abc import AsyncIterator, Awaitable, Callable, Collection, Iterator, Sequence
from pathlib import Path
from typing import Any

from application.imports.start import StartImport
from domain.catalog import Book
from domain.imports import ImportProgress
from domain.isbn import _isbn13_check
from entrypoints.bootstrap import Services

HEADER = "title,author,price,isbn,publication_date,genre,stock,tags,description,publisher,pages,language"


async def stream(data: bytes, size: int = 7) -> AsyncIterator[bytes]:
    """The bytes in small pieces, so records and UTF-8 sequences are cut everywhere."""
    for start in range(0, len(data), size):
        yield data[start : start + size]


async def import_bytes(services: Services, data: bytes, *, size: int = 64 * 1024) -> ImportProgress:
    """Uploads and runs an import in this process; returns its final progress."""
    started = await services.imports.start(StartImport("books.csv", stream(data, size)), enqueue=False)
    finished = await services.imports.run(started.id)
    assert finished is not None
    return finished


def isbn13(n: int) -> str:
    body = f"978{n:09d}"
    return body + _isbn13_check(body)


def book_rows(count: int, *, start: int = 0, seed: int = 7) -> Iterator[str]:
    """`count` valid CSV lines (no header), every other one with an ISBN, some with quoted text."""
    rng = random.Random(seed)
    genres = ["Fantasy", "Science Fiction", "History", "Poetry", "Crime"]
    tags = ["classic", "award", "series", "signed", "new"]
    for n in range(start, start + count):
        isbn = isbn13(n) if n % 2 == 0 else ""
        description = f'"A story, told ""well"", number {n}"'
        yield (
            f"Title {n},Author {n % 997},{rng.randint(100, 9999) / 100:.2f},{isbn},2001-02-03,"
            f"{genres[n % 5]},{n % 7},{tags[n % 5]}|{tags[(n + 1) % 5]},{description},Pub,{100 + n % 400},en"
        )


def write_csv(path: Path, count: int, *, seed: int = 7) -> Path:
    """`count` rows of `book_rows`; another seed gives the same books other prices."""
    with path.open("w", encoding="utf-8", newline="") as out:
        out.write(HEADER + "\n")
        for line in book_rows(count, seed=seed):
            out.write(line + "\n")
    return path


async def stored_books(services: Services) -> list[Book]:
    """Every book of services over the in-memory fakes, by title."""
    async with services.uow(read_only=True) as uow:
        books: list[Book] = sorted(uow.book_import._books.values(), key=lambda b: b.title)  # type: ignore[attr-defined]
    return books


Write = Callable[[Any, Sequence[Book]], Awaitable[None]]


class FailingWrites:
    """Wraps writes of the in-memory book import (`insert`, `update`) so that the chosen calls,
    counted across every write it wraps, raise `error`, `delay` seconds in (only then do other batches
    get a turn before it fails)."""

    def __init__(self, error: Exception, *, on_calls: Collection[int], delay: float = 0) -> None:
        self.error = error
        self.on_calls = on_calls
        self.delay = delay
        self.calls = 0

    def wrap(self, write: Write) -> Write:
        async def failing(repo: Any, books: Sequence[Book]) -> None:
            self.calls += 1
            if self.calls in self.on_calls:
                if self.delay:
                    await asyncio.sleep(self.delay)
                raise self.error
            await write(repo, books)

        return failing
