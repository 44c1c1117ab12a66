"""`folio seed --books N`: a realistic demo catalog, written with bulk Core inserts."""

from __future__ import annotations

import asyncio
import random
import uuid
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import insert, select, text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from adapters.sql.tables import books, genres
from domain.catalog import slugify


def _words(text: str) -> list[str]:
    return text.split()


GENRES = [
    "Fantasy", "Science Fiction", "Mystery", "Thriller", "Romance", "Historical Fiction", "Horror",
    "Biography", "History", "Poetry", "Young Adult", "Children", "Philosophy", "Science", "Travel", "Cooking",
]  # fmt: skip
TAGS = [
    "classic", "bestseller", "award-winner", "debut", "series", "standalone", "illustrated", "translated",
    "short-stories", "epic", "cozy", "dark", "funny", "slow-burn", "coming-of-age", "dystopia", "magic", "dragons",
    "space", "time-travel", "detective", "noir", "war", "family", "friendship", "nature", "ocean", "mountains",
    "city", "small-town", "revenge", "heist", "royalty", "pirates", "robots", "ghosts", "love", "travel", "food", "art",
]  # fmt: skip
ADJECTIVES = _words(
    "silent hidden last lost broken golden silver crimson distant burning frozen quiet secret wild "
    "endless forgotten hollow bright dark ancient little northern southern winter summer autumn midnight "
    "iron glass paper velvet scarlet emerald shattered wandering sleeping restless gentle bitter sweet "
)
NOUNS = _words(
    "river garden kingdom house city shadow light storm sea mountain forest road letter crown key door "
    "mirror island star heart song fire stone bridge tower library orchard harbor window clock map "
    "lantern empire wolf raven daughter son queen king stranger traveler thief witch doctor teacher "
)
PATTERNS = (
    "The {A} {N}", "{A} {N}", "The {N} of {N2}s", "A {N} in the {A} {N2}", "The {N}'s {N2}", "{N}s of {A} {N2}",
    "The Last {N}", "When the {N} Falls", "Beyond the {A} {N}", "Songs of the {N}",
)  # fmt: skip
FIRST = _words(
    "Anna Ben Clara David Elena Farid George Hana Ian Julia Kenji Lena Marco Nadia Oscar Priya Quentin "
    "Rosa Samuel Tara Umar Vera William Xiu Yusuf Zoe Amelia Bruno Chloe Diego Emma Felix Grace Hugo Ines "
    "Jonas Kira Luca Maya "
)
LAST = _words(
    "Adler Brooks Castillo Dubois Eriksen Fischer Garcia Haddad Ito Jensen Kowalski Laurent Moreau "
    "Nakamura Okafor Petrov Quinn Rossi Santos Tanaka Ueda Varga Weber Xu Yilmaz Zhang Abbott Bishop "
    "Carter Dalton Ellis Foster Hughes Keller Lindqvist Morgan Novak Park Reyes Silva Turner Walsh "
)
SENTENCES = (
    "A {a} story about {n}s, memory and the price of love.",
    "When a {n} disappears, a young {n2} must cross the {a} {n3} to bring it home.",
    "Set in a {a} {n}, this novel follows three generations of one family.",
    "An unforgettable journey through a world of {n}s and {n2}s.",
    "Readers will love this {a} tale of courage, friendship and loss.",
    "The {n} was never meant to be found, and now the {n2} knows why.",
    "A {a} and funny book about growing up in a {n} by the sea.",
    "From the author of The {A} {N} comes a new novel of love and war.",
)  # fmt: skip
LANGUAGES = ["en"] * 14 + ["fr", "de", "es", "it", "ja", "pt"]
BATCH = 5000
#: From this many books on, PostgreSQL's GIN indexes are dropped and built again after the inserts.
BULK = 20_000


_WEIGHTS = (1, 3) * 6


def _isbn(n: int) -> str:
    """A valid ISBN-13 (978 prefix) numbered `n` (checked by domain.isbn in the seed's own test)."""
    body = f"978{n:09d}"
    check = (10 - sum(w * (ord(d) - 48) for w, d in zip(_WEIGHTS, body, strict=True)) % 10) % 10
    return body + str(check)


def _title(rng: random.Random) -> str:
    pattern = rng.choice(PATTERNS)
    return pattern.format(A=rng.choice(ADJECTIVES).title(), N=rng.choice(NOUNS).title(), N2=rng.choice(NOUNS).title())


def _description(rng: random.Random) -> str:
    def one() -> str:
        return rng.choice(SENTENCES).format(
            a=rng.choice(ADJECTIVES),
            n=rng.choice(NOUNS),
            n2=rng.choice(NOUNS),
            n3=rng.choice(NOUNS),
            A=rng.choice(ADJECTIVES).title(),
            N=rng.choice(NOUNS).title(),
        )

    return " ".join(one() for _ in range(rng.randint(2, 4)))


def _uuid(rng: random.Random) -> uuid.UUID:
    return uuid.UUID(int=rng.getrandbits(128), version=4)


def _book(
    rng: random.Random, n: int, genre_ids: list[uuid.UUID], now: datetime, descriptions: list[str]
) -> dict[str, Any]:
    counts = [rng.randint(0, 20) for _ in range(5)] if rng.random() < 0.6 else [0] * 5
    total = sum(counts)
    average = round(sum((i + 1) * c for i, c in enumerate(counts)) / total, 2) if total else None
    created = now - timedelta(seconds=rng.randint(0, 3 * 365 * 86400))
    return {
        "id": _uuid(rng),
        "title": _title(rng),
        "author": f"{rng.choice(FIRST)} {rng.choice(LAST)}",
        "isbn": _isbn(n),
        "description": rng.choice(descriptions),
        "publisher": rng.choice(["Northwind", "Harbor House", "Blue Door", "Lantern Press", "Orchard Books"]),
        "publication_date": date(1950, 1, 1) + timedelta(days=rng.randint(0, 27000)),
        "pages": rng.randint(80, 900),
        "language": rng.choice(LANGUAGES),
        "genre_id": rng.choice(genre_ids) if rng.random() < 0.95 else None,
        "price": Decimal(rng.randint(399, 5999)) / 100,
        "stock": 0 if rng.random() < 0.1 else rng.randint(1, 50),
        "rating_1": counts[0],
        "rating_2": counts[1],
        "rating_3": counts[2],
        "rating_4": counts[3],
        "rating_5": counts[4],
        "review_count": total,
        "average_rating": None if average is None else Decimal(str(average)),
        "created_at": created,
        "updated_at": created,
    }


async def _ensure(engine: AsyncEngine, now: datetime) -> list[uuid.UUID]:
    async with engine.begin() as conn:
        have = set((await conn.execute(select(genres.c.slug))).scalars())
        new = [
            {"id": uuid.uuid4(), "name": g, "slug": slugify(g), "created_at": now}
            for g in GENRES
            if slugify(g) not in have
        ]
        if new:
            await conn.execute(insert(genres), new)
        return list((await conn.execute(select(genres.c.id))).scalars())


async def _drop_search_indexes(engine: AsyncEngine) -> list[str]:
    """Drops the secondary indexes (built again in bulk afterwards, far faster than row by row); returns their DDL."""
    async with engine.begin() as conn:
        found = (
            await conn.execute(
                text(
                    "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'books' "
                    "AND indexname NOT LIKE 'pk_%' AND indexdef NOT LIKE 'CREATE UNIQUE%'"
                )
            )
        ).all()
        for name, _ in found:
            await conn.execute(text(f'DROP INDEX "{name}"'))
    return [ddl for _, ddl in found]


async def _create_indexes(engine: AsyncEngine, ddl: list[str]) -> None:
    async with engine.begin() as conn:
        await conn.execute(text("SET LOCAL maintenance_work_mem = '256MB'"))
        for statement in ddl:
            await conn.execute(text(statement))


async def seed_books(engine: AsyncEngine, count: int, *, seed: int = 7) -> int:
    """Inserts `count` books with genres, tags and valid, unused ISBNs; returns how many."""
    rng = random.Random(seed)
    now = datetime.now(UTC)
    genre_ids = await _ensure(engine, now)
    async with engine.connect() as conn:
        start = int((await conn.execute(select(books.c.isbn).order_by(books.c.isbn.desc()).limit(1))).scalar() or 0)
    first = (start // 10 % 10**9) + 1 if start else 1
    bulk = engine.dialect.name == "postgresql" and count >= BULK
    dropped = await _drop_search_indexes(engine) if bulk else []
    try:
        return await _insert(engine, rng, count, first, genre_ids, now)
    finally:
        if dropped:
            await _create_indexes(engine, dropped)


async def _insert(
    engine: AsyncEngine,
    rng: random.Random,
    count: int,
    first: int,
    genre_ids: list[uuid.UUID],
    now: datetime,
) -> int:
    descriptions = [_description(rng) for _ in range(min(count, 20_000))]
    starts = list(range(0, count, BATCH))

    async def load(mine: list[int]) -> None:
        for start in mine:
            size = min(BATCH, count - start)
            rows = [_book(rng, first + start + i, genre_ids, now, descriptions) for i in range(size)]
            for row in rows:
                row["tags"] = sorted(rng.sample(TAGS, rng.randint(0, 4)))
            async with engine.begin() as conn:
                if conn.dialect.name == "postgresql":
                    await _copy(conn, books.name, rows)
                else:
                    await conn.execute(insert(books), rows)

    # Two loaders: one builds rows in Python while the database takes the other's batch.
    lanes = 2 if engine.dialect.name == "postgresql" else 1
    await asyncio.gather(*(load(starts[lane::lanes]) for lane in range(lanes)))
    return count


async def _copy(conn: AsyncConnection, table: str, rows: list[dict[str, Any]]) -> None:
    """PostgreSQL's COPY: several times faster than multi-row INSERTs for a bulk load."""
    if not rows:
        return
    columns = list(rows[0])
    raw = (await conn.get_raw_connection()).driver_connection
    assert raw is not None
    names = ", ".join(columns)
    async with raw.cursor() as cursor, cursor.copy(f"COPY {table} ({names}) FROM STDIN") as copy:
        for row in rows:
            await copy.write_row([row[c] for c in columns])
