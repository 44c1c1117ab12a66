"""`folio books import` wires the handlers of what an import records only (application.events'
`catalog_import_handlers`): an import must find there what the full map would run for it."""

from __future__ import annotations

from typing import Any

from application.commerce.prebooks import PreBook
from application.events import catalog_import_handlers, event_handlers
from domain.catalog import BackInStock
from domain.events import MailQueued
from entrypoints.settings import Settings
from tests.support.builders import add_book, add_user
from tests.support.clock import FakeClock
from tests.support.commerce import outbox
from tests.support.imports import import_bytes, isbn13
from tests.support.wiring import fake_services


class _Looked(dict[Any, Any]):
    """The full map, noting each kind of event the units of work look handlers up for."""

    def __init__(self, handlers: dict[Any, Any]) -> None:
        super().__init__(handlers)
        self.kinds: set[type] = set()

    def get(self, key: Any, default: Any = None) -> Any:
        self.kinds.add(key)
        return super().get(key, default)


async def test_the_command_lines_handlers_are_the_full_maps_for_every_kind_an_import_records(
    test_settings: Settings, clock: FakeClock
) -> None:
    looked = _Looked(event_handlers())
    services = fake_services(test_settings, clock=clock, handlers=looked)
    gone = await add_book(services, title="Gone", author="X", isbn=isbn13(5), stock=0)
    await add_book(services, title="Here", author="Y", isbn=isbn13(6), stock=2)
    reader = await add_user(services)
    await services.commerce.prebook(PreBook(reader.id, gone.id))
    data = (
        "title,author,price,isbn,stock,genre,tags\n"
        f"Gone,X,1.00,{isbn13(5)},3,Fantasy,a|b\n"  # restocked: the reader waiting is mailed
        f"Here renamed,Y,2.00,{isbn13(6)},9,,\n"
        "New,Z,3.00,,1,Poetry,\n"
        "New,Z,3.00,,1,Poetry,\n"  # a duplicate
        "Bad,,1.00,,,,\n"  # an error
    )
    looked.kinds.clear()  # what the set-up recorded (PreBooked) is not the import's
    progress = await import_bytes(services, data.encode())
    assert (progress.created, progress.updated, progress.failed_rows) == (1, 2, 2)
    assert [mail.recipient for mail in await outbox(services, "back-in-stock")] == [reader.email]
    assert {BackInStock, MailQueued} <= looked.kinds  # the restock's handler ran, and queued the mail
    full, wired = event_handlers(), catalog_import_handlers()
    assert {kind: wired.get(kind, []) for kind in looked.kinds} == {kind: full.get(kind, []) for kind in looked.kinds}
    await services.aclose()
