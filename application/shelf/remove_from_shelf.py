from __future__ import annotations

from dataclasses import dataclass
from uuid import UUID

from application.ports.uow import UowFactory
from domain.errors import NotFound
from domain.shelf import ShelfStatus


@dataclass(frozen=True, slots=True)
class RemoveFromShelf:
    user_id: UUID
    book_id: UUID
    #: When set, only an entry with this status goes (the wishlist removes wishlist entries only).
    only_status: ShelfStatus | None = None


class RemoveFromShelfHandler:
    """Takes a book off the reader's shelf. Their review, being public, stays."""

    def __init__(self, *, uow: UowFactory) -> None:
        self._uow = uow

    async def __call__(self, cmd: RemoveFromShelf) -> None:
        async with self._uow() as uow:
            entry = await uow.shelf.get(cmd.user_id, cmd.book_id)
            if entry is None or (cmd.only_status is not None and entry.status is not cmd.only_status):
                raise NotFound("shelf entry")
            await uow.shelf.delete(cmd.user_id, cmd.book_id)
            await uow.commit()
