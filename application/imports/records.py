"""Streams CSV records out of byte chunks: UTF-8 checked, BOM dropped, line numbers where records start."""

from __future__ import annotations

import codecs
import csv
from collections import deque
from collections.abc import AsyncIterable, AsyncIterator, Iterator

from domain.errors import InvalidField
from domain.text import text_problem

#: (line where the record starts, its cells or None, the reason it could not be read or None)
Record = tuple[int, list[str] | None, str | None]


class _NeedMore(Exception):
    """The reader reached the end of the lines received so far in the middle of a record."""


class _Lines(Iterator[str]):
    """The lines fed to `csv.reader`; a record cut by the end of a chunk is handed back and read again."""

    def __init__(self) -> None:
        self.pending: deque[str] = deque()
        self.taken: list[str] = []
        self.eof = False
        self.line_no = 1  # the line the next record starts on

    def __next__(self) -> str:
        if not self.pending:
            if self.eof:
                raise StopIteration
            raise _NeedMore
        line = self.pending.popleft()
        self.taken.append(line)
        return line

    def give_back(self) -> None:
        self.pending.extendleft(reversed(self.taken))
        self.taken = []


def _drain(reader: Iterator[list[str]], lines: _Lines) -> Iterator[Record]:
    while lines.pending:
        lines.taken = []
        try:
            cells: list[str] | None = next(reader)
            error = None
        except _NeedMore:
            lines.give_back()
            return
        except StopIteration:
            return
        except csv.Error as exc:
            cells, error = None, f"the row could not be read as CSV: {exc}"
        start = lines.line_no
        lines.line_no += len(lines.taken)
        yield start, cells, error


async def read_records(chunks: AsyncIterable[bytes]) -> AsyncIterator[Record]:
    """Every record of a CSV byte stream, blank lines skipped; bytes that are not UTF-8 are an InvalidField."""
    decoder = codecs.getincrementaldecoder("utf-8")("strict")
    lines = _Lines()
    reader = csv.reader(lines, strict=True)  # bad quoting is a row error, not a silent guess
    partial = ""
    at_start = True
    nul_seen = False
    header: list[str] | None = None
    final = False
    iterator = aiter(chunks)
    while not final:
        try:
            chunk = await anext(iterator)
        except StopAsyncIteration:
            chunk, final = b"", True
        try:
            text = decoder.decode(chunk, final=final)
        except UnicodeDecodeError:
            near = lines.line_no + len(lines.pending)
            raise InvalidField("file", f"the file is not UTF-8 text (near line {near})") from None
        if at_start and text:
            text, at_start = text.removeprefix("\ufeff"), False
        nul_seen = nul_seen or "\x00" in text  # strict UTF-8 decoding leaves NUL the one character to look for
        parts = (partial + text).split("\n")
        partial = parts.pop()
        lines.pending.extend(part + "\n" for part in parts)
        if final:
            if partial:
                lines.pending.append(partial)
            lines.eof = True
        for record in _drain(reader, lines):
            if record[1] != []:
                header = header or record[1]
                yield _stored_text(record, header) if nul_seen else record


def _stored_text(record: Record, header: list[str] | None) -> Record:
    """A record with a cell the database cannot hold is a row error naming its column."""
    line, cells, _ = record
    for at, cell in enumerate(cells or ()):
        problem = text_problem(cell)
        if problem is not None:
            name = header[at].strip().lower() if header and at < len(header) else f"column {at + 1}"
            return line, None, f"{name or f'column {at + 1}'}: {problem}"
    return record
