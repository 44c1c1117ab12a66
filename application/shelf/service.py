"""The shelf use cases and its listing, one method each, every call on a fresh unit of work."""

from __future__ import annotations

from collections.abc import Sequence
from uuid import UUID

from application.ports.clock import Clock
from application.ports.shelf import ShelfItem, ShelfSort
from application.ports.uow import UowFactory
from application.shelf.add_to_shelf import AddToShelf, AddToShelfHandler
from application.shelf.remove_from_shelf import RemoveFromShelf, RemoveFromShelfHandler
from application.shelf.update_entry import UpdateShelfEntry, UpdateShelfEntryHandler
from domain.shelf import ShelfStatus


class ShelfService:
    def __init__(self, *, uow: UowFactory, clock: Clock, require_verified_email: bool) -> None:
        self._uow = uow
        self._add = AddToShelfHandler(uow=uow, clock=clock)
        self._update = UpdateShelfEntryHandler(uow=uow, clock=clock, require_verified_email=require_verified_email)
        self._remove = RemoveFromShelfHandler(uow=uow)

    async def add(self, cmd: AddToShelf) -> ShelfItem:
        return await self._add(cmd)

    async def update(self, cmd: UpdateShelfEntry) -> ShelfItem:
        return await self._update(cmd)

    async def remove(self, cmd: RemoveFromShelf) -> None:
        await self._remove(cmd)

    async def page(
        self,
        user_id: UUID,
        *,
        status: ShelfStatus | None = None,
        sort: ShelfSort = ShelfSort.UPDATED,
        limit: int = 20,
        offset: int = 0,
    ) -> tuple[Sequence[ShelfItem], int]:
        """The reader's entries (last changed first unless sorted otherwise), each with its book and review."""
        async with self._uow(read_only=True) as uow:
            return await uow.shelf.page(user_id, status=status, sort=sort, limit=limit, offset=offset)
