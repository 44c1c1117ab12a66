"""SQLite text search: FTS5 tables kept by triggers (`books_fts`, porter; `books_fts_tri`, trigram),
ranked by bm25 with the same weights' order as PostgreSQL: title, then author, then description."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from sqlalchemy import (
    ColumnElement,
    Integer,
    Select,
    TableValuedAlias,
    bindparam,
    column,
    func,
    literal_column,
    select,
    table,
    text,
)
from sqlalchemy.ext.asyncio import AsyncConnection

from adapters.sql.catalog_reads import FUZZY_CAP, SqlCatalogReads
from adapters.sql.tables import books
from application.catalog.text import FUZZY_THRESHOLD, trigrams, word_similarity, words

_ROWID: ColumnElement[Any] = literal_column("books.rowid")
_FTS = table("books_fts", column("rowid", Integer))
_TRI = table("books_fts_tri", column("rowid", Integer))
#: Trigram candidates looked at for a typo, before checking how close each one is.
_TRIGRAM_CANDIDATES = 200
#: A query's words as `text_parameters` binds them.
_MATCH = text("books_fts MATCH :fts_match")


def fts_query(q: str) -> str | None:
    """Every word, quoted (so nothing is FTS5 syntax), as a prefix, all required."""
    found = words(q)
    return " AND ".join(f'"{word}"*' for word in found) if found else None


class SqliteCatalogReads(SqlCatalogReads):
    dialect = "sqlite"

    def tagged(self) -> ColumnElement[bool]:
        each = self.each_tag()
        return select(each.c.value).where(each.c.value == bindparam("tag")).exists()

    def by_ids(self) -> ColumnElement[bool]:
        return books.c.id.in_(bindparam("ids", expanding=True))

    def each_tag(self) -> TableValuedAlias:
        return func.json_each(books.c.tags).table_valued("value")

    def text_match(self) -> ColumnElement[bool]:
        return _ROWID.in_(select(_FTS.c.rowid).where(_MATCH))

    def text_parameters(self, q: str) -> dict[str, Any]:
        return {"fts_match": fts_query(q)}

    def ranked(self, where: list[ColumnElement[bool]]) -> Select[Any]:
        # bm25 is lower for better matches: negate it so that higher is better, as on PostgreSQL.
        rank = (-func.bm25(literal_column("books_fts"), 10.0, 4.0, 1.0)).label("rank")
        return (
            select(books.c.id, rank)
            .select_from(_FTS.join(books, _FTS.c.rowid == _ROWID))
            .where(_MATCH, *where)
            .order_by(rank.desc())
            .limit(bindparam("cap"))
        )

    async def fuzzy(
        self, conn: AsyncConnection, q: str, where: list[ColumnElement[bool]], params: dict[str, Any]
    ) -> list[UUID]:
        grams = sorted(g for g in trigrams(q) if g.strip() == g)  # FTS5's trigrams hold no padding
        if not grams:
            return []
        match = " OR ".join(f'"{g}"' for g in grams)
        statement = (
            select(books.c.id, books.c.title, books.c.author)
            .select_from(_TRI.join(books, _TRI.c.rowid == _ROWID))
            .where(text("books_fts_tri MATCH :tri_match").bindparams(tri_match=match), *where)
            .order_by(func.bm25(literal_column("books_fts_tri")))
            .limit(_TRIGRAM_CANDIDATES)
        )
        scored = []
        for row in (await conn.execute(statement, params)).all():
            score = max(word_similarity(q, row.title), word_similarity(q, row.author))
            if score >= FUZZY_THRESHOLD:
                scored.append((-score, str(row.id), row.id))
        return [book_id for *_, book_id in sorted(scored)[:FUZZY_CAP]]
