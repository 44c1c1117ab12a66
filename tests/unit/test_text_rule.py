"""The text rule (domain/text.py) and the edge that applies it: what the databases cannot hold is refused."""

from __future__ import annotations

import asyncio
import json

from hypothesis import given
from hypothesis import strategies as st

from application.imports.records import read_records
from domain.text import text_problem
from entrypoints.http.edge_input import _decode
from entrypoints.http.field_errors import text_problems

#: Any code point but NUL and the surrogates: hypothesis leaves surrogates out of text unless told.
storable = st.text(st.characters(exclude_categories=["Cs"], exclude_characters="\x00"), max_size=200)
lone_surrogate = st.characters(min_codepoint=0xD800, max_codepoint=0xDFFF)
unstorable = st.tuples(storable, st.one_of(st.just("\x00"), lone_surrogate), storable).map("".join)


@given(unstorable)
def test_any_text_with_nul_or_a_lone_surrogate_is_refused(text: str) -> None:
    assert text_problem(text) is not None


@given(storable)
def test_any_other_text_is_accepted(text: str) -> None:
    assert text_problem(text) is None


@given(unstorable, st.lists(st.sampled_from(["a", "b", "items"]), max_size=3))
def test_the_json_edge_refuses_it_at_any_depth_naming_where(text: str, path: list[str]) -> None:
    value: object = text
    for key in reversed(path):
        value = {key: [value]}
    body = json.dumps(value).encode()  # ensure_ascii: NUL and surrogates travel as \u escapes
    found = list(text_problems(_decode(body)))
    assert [field for field, _ in found] == [".".join(f"{key}[0]" for key in path) or "body"]


@given(storable)
def test_the_json_edge_hands_other_text_on_unchanged(text: str) -> None:
    for body in (json.dumps({"t": text}).encode(), json.dumps({"t": text}, ensure_ascii=False).encode()):
        decoded = _decode(body)
        assert decoded == {"t": text}
        assert list(text_problems(decoded)) == []


@given(storable, st.sampled_from(["title", "author", "price"]))
def test_a_csv_cell_with_nul_is_a_row_error_naming_its_column(text: str, column: str) -> None:
    cells = {"title": "T", "author": "A", "price": "1.00"}
    cells[column] = text.replace('"', "") + "\x00"
    data = "title,author,price\n" + ",".join(f'"{cells[name]}"' for name in ("title", "author", "price")) + "\n"

    async def records() -> list[tuple[int, list[str] | None, str | None]]:
        async def chunks():  # type: ignore[no-untyped-def]
            yield data.encode()

        return [record async for record in read_records(chunks())]

    header, row = asyncio.run(records())
    assert header[1] == ["title", "author", "price"]
    assert row[0] == 2
    assert row[1] is None
    assert row[2] == f"{column}: {text_problem(chr(0))}"
