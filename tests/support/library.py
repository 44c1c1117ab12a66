"""Goodreads and StoryGraph export files, as their sites write them, for the library import tests."""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping, Sequence

from domain.library import GOODREADS_COLUMNS, STORYGRAPH_COLUMNS


def goodreads_file(rows: Sequence[Mapping[str, str]], *, columns: Sequence[str] = GOODREADS_COLUMNS) -> bytes:
    """A Goodreads export: every column present, ISBNs as `="..."`, rating 0 where none is given."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(columns)
    for given in rows:
        row = dict.fromkeys(columns, "")
        row.update({"ISBN": '=""', "ISBN13": '=""', "My Rating": "0", "Exclusive Shelf": "to-read", "Read Count": "0"})
        row.update(given)
        writer.writerow([row.get(name, "") for name in columns])
    return out.getvalue().encode()


def storygraph_file(rows: Sequence[Mapping[str, str]]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(STORYGRAPH_COLUMNS)
    for given in rows:
        row = dict.fromkeys(STORYGRAPH_COLUMNS, "")
        row.update(given)
        writer.writerow([row[name] for name in STORYGRAPH_COLUMNS])
    return out.getvalue().encode()
