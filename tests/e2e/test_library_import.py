"""POST /my-library/import, GET /my-library/import/{id} and GET /my-library/export, end to end on SQLite and
PostgreSQL (the app runs the imports in its process, through the same use case the worker runs)."""

from __future__ import annotations

import csv
import io
from typing import Any

from litestar.testing import AsyncTestClient

from domain.identity import Role
from domain.library import GOODREADS_COLUMNS
from entrypoints.bootstrap import Services
from tests.e2e.test_conventions import assert_problem
from tests.e2e.test_imports import finished
from tests.support.builders import add_book, add_user
from tests.support.http import API, session_for
from tests.support.library import goodreads_file, storygraph_file

Client = AsyncTestClient[Any]
URL = f"{API}/my-library/import"


async def reader(client: Client, services: Services, *, verified: bool = True) -> tuple[Any, dict[str, str]]:
    user = await add_user(services, verified=verified)
    return user, await session_for(client, user.email)


async def upload(client: Client, headers: dict[str, str], data: bytes, *, dry_run: bool = False) -> Any:
    params = {"dry_run": "true"} if dry_run else {}
    return await client.post(URL, files={"file": ("export.csv", data, "text/csv")}, headers=headers, params=params)


async def imported(client: Client, headers: dict[str, str], data: bytes, *, dry_run: bool = False) -> dict[str, Any]:
    response = await upload(client, headers, data, dry_run=dry_run)
    assert response.status_code == 202, response.text
    return await finished(client, response.headers["location"], headers)


async def shelf(client: Client, headers: dict[str, str]) -> list[dict[str, Any]]:
    response = await client.get(f"{API}/my-library", headers=headers, params={"limit": 100, "sort": "title"})
    assert response.status_code == 200, response.text
    items: list[dict[str, Any]] = response.json()["items"]
    return items


GOODREADS_ROWS = [
    {  # by ISBN-10, converted
        "Title": "Leviathan Wakes (The Expanse, #1)",
        "Author": "James S. A. Corey",
        "ISBN": '="0316129089"',
        "My Rating": "5",
        "Exclusive Shelf": "read",
        "Date Read": "2024/03/09",
        "Date Added": "2023/01/02",
        "My Review": "Loved it.<br/><br/>Holden!",
        "Read Count": "1",
    },
    {  # by title and author: case, punctuation, series and Last, First ignored
        "Title": "the left hand of darkness (Hainish Cycle, #4)",
        "Author": "Le Guin, Ursula K.",
        "Exclusive Shelf": "currently-reading",
        "Date Added": "2024/05/06",
    },
    {  # nothing like it: the reader's own new book
        "Title": "A Book Nobody Has",
        "Author": "Some Writer",
        "My Rating": "3",
        "Exclusive Shelf": "to-read",
        "Bookshelves": "to-read, someday",
    },
    {"Title": "", "Author": "Nobody"},  # a row error; the others go on
]


async def catalog(services: Services) -> tuple[Any, Any]:
    expanse = await add_book(services, title="Leviathan Wakes", author="James S. A. Corey", isbn="9780316129084")
    hainish = await add_book(services, title="The Left Hand of Darkness", author="Ursula K. Le Guin")
    return expanse, hainish


async def test_a_goodreads_export_dry_run_then_import_then_again(client: Client, services: Services) -> None:
    expanse, hainish = await catalog(services)
    _, headers = await reader(client, services)
    data = goodreads_file(GOODREADS_ROWS)

    dry = await imported(client, headers, data, dry_run=True)
    assert dry["status"] == "completed", dry
    assert dry["dry_run"] is True
    assert dry["format"] == "goodreads"
    assert await shelf(client, headers) == []  # a dry run writes nothing

    real = await imported(client, headers, data)
    assert real["status"] == "completed", real
    for report in (dry, real):
        assert (report["total_rows"], report["processed_rows"]) == (4, 4)
        assert (report["added"], report["updated"], report["unchanged"], report["failed_rows"]) == (3, 0, 0, 1)
        assert report["books_created"] == 1
        rows = report["rows"]
        assert [row["line"] for row in rows] == [2, 3, 4, 5]
        assert [row["match"] for row in rows] == ["isbn", "title-author", "created", "none"]
        assert [row["result"] for row in rows] == ["added", "added", "added", "failed"]
        assert rows[0]["book_id"] == str(expanse.id)
        assert rows[0]["isbn"] == "9780316129084"
        assert rows[1]["book_id"] == str(hainish.id)
        assert "someday" in rows[2]["message"]
        assert "rating not kept" in rows[2]["message"]  # a to-read book is not reviewable
        assert rows[3]["message"].startswith("Title:")
    assert dry["rows"][:2] == real["rows"][:2]  # the dry run said what the real run did

    entries = {entry["book"]["title"]: entry for entry in await shelf(client, headers)}
    wakes = entries["Leviathan Wakes"]
    assert (wakes["status"], wakes["rating"], wakes["review_text"], wakes["read_count"]) == (
        "COMPLETED",
        5,
        "Loved it.\n\nHolden!",
        1,
    )
    assert wakes["date_added"].startswith("2023-01-02")
    assert entries["The Left Hand of Darkness"]["status"] == "READING"
    own = entries["A Book Nobody Has"]
    assert own["status"] == "WISHLIST"
    assert own["book"]["published"] is False
    assert own["book"]["for_sale"] is False
    reads = (await client.get(f"{API}/my-library/{expanse.id}/reads", headers=headers)).json()["items"]
    assert [read["finished_on"] for read in reads] == ["2024-03-09"]

    again = await imported(client, headers, data)
    assert [row["result"] for row in again["rows"]] == ["unchanged", "unchanged", "unchanged", "failed"]
    assert [row["match"] for row in again["rows"]] == ["isbn", "title-author", "title-author", "none"]
    assert again["books_created"] == 0

    activity = (
        await client.get(f"{API}/users/me/activity", params={"kind": "library-imported"}, headers=headers)
    ).json()
    assert activity["total"] == 2  # the two real runs, not the dry one
    assert activity["items"][0]["detail"]["unchanged"] == 3


async def test_a_finished_book_never_moves_back(client: Client, services: Services) -> None:
    await catalog(services)
    _, headers = await reader(client, services)
    await imported(client, headers, goodreads_file(GOODREADS_ROWS[:1]))
    later = dict(GOODREADS_ROWS[0], **{"Exclusive Shelf": "to-read", "My Rating": "4"})
    report = await imported(client, headers, goodreads_file([later]))
    assert report["rows"][0]["result"] == "updated"  # the rating changed
    entry = (await shelf(client, headers))[0]
    assert (entry["status"], entry["rating"]) == ("COMPLETED", 4)


async def test_a_storygraph_export(client: Client, services: Services) -> None:
    _, hainish = await catalog(services)
    _, headers = await reader(client, services)
    data = storygraph_file(
        [
            {
                "Title": "The Left Hand of Darkness",
                "Authors": "Ursula K. Le Guin",
                "ISBN/UID": "B00F3HJ8FS",
                "Read Status": "read",
                "Dates Read": "2025/01/01-2025/01/03;2025/02/05",
                "Read Count": "2",
                "Star Rating": "4.5",
                "Review": "Twice!",
            },
            {"Title": "Quitter", "Authors": "A. N. Other", "Read Status": "did-not-finish"},
        ]
    )
    report = await imported(client, headers, data)
    assert report["format"] == "storygraph"
    assert [row["match"] for row in report["rows"]] == ["title-author", "created"]
    assert "ASIN" in report["rows"][0]["message"]
    entries = {entry["book"]["title"]: entry for entry in await shelf(client, headers)}
    left = entries["The Left Hand of Darkness"]
    assert (left["status"], left["rating"], left["read_count"]) == ("COMPLETED", 5, 2)
    reads = (await client.get(f"{API}/my-library/{hainish.id}/reads", headers=headers)).json()["items"]
    assert sorted((read["finished_on"], read["started_on"]) for read in reads) == [
        ("2025-01-03", "2025-01-01"),
        ("2025-02-05", None),
    ]
    assert entries["Quitter"]["status"] == "DID_NOT_FINISH"


async def test_bad_files_are_clear_4xx(client: Client, services: Services) -> None:
    _, headers = await reader(client, services)
    assert_problem(await upload(client, headers, b"title,author,price\nA,B,1.00\n"), 422, "validation")
    assert_problem(await upload(client, headers, b"Title,Author\n\xff\xfe\n"), 422, "validation")
    assert_problem(await upload(client, headers, b""), 422, "validation")
    too_big = goodreads_file([]) + b"x" * (10 * 1024 * 1024)
    assert_problem(await upload(client, headers, too_big), 413, "payload-too-large")
    # a BOM (Excel) is accepted; a NUL byte is that row's error
    data = b"\xef\xbb\xbf" + goodreads_file(
        [{"Title": "Fine", "Author": "Writer"}, {"Title": "Bad\x00", "Author": "W"}]
    )
    report = await imported(client, headers, data)
    assert [row["result"] for row in report["rows"]] == ["added", "failed"]
    assert "NUL" in report["rows"][1]["message"]


async def test_only_verified_owners(client: Client, services: Services) -> None:
    _, unverified = await reader(client, services, verified=False)
    assert_problem(await upload(client, unverified, goodreads_file([])), 403, "email-not-verified")
    assert_problem(await upload(client, {}, goodreads_file([])), 401, "unauthorized")
    _, owner = await reader(client, services)
    _, other = await reader(client, services)
    location = (await upload(client, owner, goodreads_file([{"Title": "T", "Author": "A"}]))).headers["location"]
    await finished(client, location, owner)
    assert_problem(await client.get(location, headers=other), 404, "not-found")
    admin = await add_user(services, role=Role.ADMIN)
    assert_problem(await client.get(location, headers=await session_for(client, admin.email)), 404, "not-found")


async def test_export_then_import_into_an_empty_account_gives_the_same_shelf(
    client: Client, services: Services
) -> None:
    await catalog(services)
    _, headers = await reader(client, services)
    await imported(client, headers, goodreads_file(GOODREADS_ROWS[:3]))
    response = await client.get(f"{API}/my-library/export", params={"format": "goodreads"}, headers=headers)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/csv")
    assert response.headers["content-disposition"].startswith("attachment")
    lines = list(csv.reader(io.StringIO(response.text)))
    assert tuple(lines[0]) == GOODREADS_COLUMNS
    assert len(lines) == 4
    by_title = {line[1]: dict(zip(GOODREADS_COLUMNS, line, strict=True)) for line in lines[1:]}
    wakes = by_title["Leviathan Wakes"]
    assert (wakes["ISBN"], wakes["ISBN13"]) == ('="0316129089"', '="9780316129084"')
    assert (wakes["Date Read"], wakes["Date Added"], wakes["My Rating"]) == ("2024/03/09", "2023/01/02", "5")
    assert wakes["My Review"] == "Loved it.<br/><br/>Holden!"
    assert '"=""0316129089"""' in response.text  # quoted as Goodreads quotes it

    _, fresh = await reader(client, services)
    report = await imported(client, fresh, response.content)
    assert report["failed_rows"] == 0, report["rows"]
    # the first reader's own book is private to them: the second gets one of their own
    assert sorted(row["match"] for row in report["rows"]) == ["created", "isbn", "title-author"]

    def same(entries: list[dict[str, Any]]) -> list[tuple[Any, ...]]:
        return [(e["book"]["title"], e["status"], e["rating"], e["review_text"], e["read_count"]) for e in entries]

    assert same(await shelf(client, fresh)) == same(await shelf(client, headers))


async def test_unknown_export_format_is_422(client: Client, services: Services) -> None:
    _, headers = await reader(client, services)
    response = await client.get(f"{API}/my-library/export", params={"format": "storygraph"}, headers=headers)
    assert_problem(response, 422, "validation")


REREAD_ROWS = [
    {  # read three times, Goodreads dating only the last
        "Title": "Leviathan Wakes",
        "Author": "James S. A. Corey",
        "ISBN13": '="9780316129084"',
        "My Rating": "4",
        "Exclusive Shelf": "read",
        "Date Read": "2024/03/09",
        "Read Count": "3",
    },
    {  # a review the rules do not allow (a wished book): the shelf's own text
        "Title": "The Left Hand of Darkness",
        "Author": "Ursula K. Le Guin",
        "My Rating": "3",
        "My Review": "Someday,<br/>maybe.",
        "Exclusive Shelf": "to-read",
    },
    {  # a review without a rating is no Folio review either
        "Title": "A Book Nobody Has",
        "Author": "Some Writer",
        "My Review": "No stars from me.",
        "Exclusive Shelf": "read",
        "Read Count": "1",
    },
]


async def test_undated_re_reads_and_the_shelfs_own_text_survive_reimport_and_the_round_trip(
    client: Client, services: Services
) -> None:
    expanse, _ = await catalog(services)
    _, headers = await reader(client, services)
    data = goodreads_file(REREAD_ROWS)
    report = await imported(client, headers, data)
    assert [row["result"] for row in report["rows"]] == ["added", "added", "added"]
    assert "review kept as the shelf's text" in report["rows"][1]["message"]
    assert "review kept as the shelf's text" in report["rows"][2]["message"]

    def same(entries: list[dict[str, Any]]) -> list[tuple[Any, ...]]:
        return [(e["book"]["title"], e["status"], e["rating"], e["review_text"], e["read_count"]) for e in entries]

    expected = [
        ("A Book Nobody Has", "COMPLETED", None, "No stars from me.", 1),
        ("Leviathan Wakes", "COMPLETED", 4, None, 3),
        ("The Left Hand of Darkness", "WISHLIST", None, "Someday,\nmaybe.", 0),
    ]
    assert same(await shelf(client, headers)) == expected
    reads = (await client.get(f"{API}/my-library/{expanse.id}/reads", headers=headers)).json()["items"]
    assert [(read["finished_on"], read["finished"]) for read in reads] == [
        ("2024-03-09", True),
        (None, True),
        (None, True),
    ]
    # undated finishes count all time, in no year (nor its goal)
    all_time = (await client.get(f"{API}/users/me/stats", headers=headers)).json()
    assert all_time["books_finished"] == 4
    year = (await client.get(f"{API}/users/me/stats", params={"year": 2024}, headers=headers)).json()
    assert (year["books_finished"], year["by_month"]["03"]) == (1, 1)
    await client.put(f"{API}/goals/2024", json={"target": 10}, headers=headers)
    goal = (await client.get(f"{API}/goals/2024", headers=headers)).json()
    assert (goal["completed"], [book["id"] for book in goal["books"]]) == (1, [str(expanse.id)])

    again = await imported(client, headers, data)
    assert [row["result"] for row in again["rows"]] == ["unchanged", "unchanged", "unchanged"]
    assert same(await shelf(client, headers)) == expected

    # dating an undated read by hand is not another finish
    undated = reads[1]["id"]
    dated = await client.patch(f"{API}/reads/{undated}", json={"finished_on": "2019-05-01"}, headers=headers)
    assert (dated.json()["finished_on"], dated.json()["finished"]) == ("2019-05-01", True), dated.text
    started = await client.patch(f"{API}/reads/{reads[2]['id']}", json={"started_on": "2018-01-01"}, headers=headers)
    assert (started.json()["finished_on"], started.json()["finished"]) == (None, True), started.text
    assert same(await shelf(client, headers)) == expected

    response = await client.get(f"{API}/my-library/export", params={"format": "goodreads"}, headers=headers)
    by_title = {
        line[1]: dict(zip(GOODREADS_COLUMNS, line, strict=True))
        for line in list(csv.reader(io.StringIO(response.text)))[1:]
    }
    wakes = by_title["Leviathan Wakes"]
    assert (wakes["Read Count"], wakes["Date Read"], wakes["My Rating"]) == ("3", "2024/03/09", "4")
    left = by_title["The Left Hand of Darkness"]
    assert (left["My Rating"], left["My Review"], left["Read Count"]) == ("0", "Someday,<br/>maybe.", "0")

    _, fresh = await reader(client, services)
    back = await imported(client, fresh, response.content)
    assert back["failed_rows"] == 0, back["rows"]
    assert same(await shelf(client, fresh)) == expected
