"""The reading journal's use cases, one method each, every call on a fresh unit of work."""

from __future__ import annotations

from collections.abc import Sequence
from uuid import UUID

from application.journal.goals import GoalsHandler, GoalView, SetGoal
from application.journal.reads import AddRead, DeleteRead, LogProgress, ReadsHandler, ReviseRead
from application.ports.clock import Clock
from application.ports.journal import Period, ReadingStats
from application.ports.shelf import ShelfItem
from application.ports.uow import UowFactory
from domain.journal import Read, check_year


class JournalService:
    def __init__(self, *, uow: UowFactory, clock: Clock) -> None:
        self._uow = uow
        self._reads = ReadsHandler(uow=uow, clock=clock)
        self._goals = GoalsHandler(uow=uow, clock=clock)

    async def add_read(self, cmd: AddRead) -> Read:
        return await self._reads.add(cmd)

    async def revise_read(self, cmd: ReviseRead) -> Read:
        return await self._reads.revise(cmd)

    async def delete_read(self, cmd: DeleteRead) -> None:
        await self._reads.delete(cmd)

    async def log_progress(self, cmd: LogProgress) -> ShelfItem:
        return await self._reads.log_progress(cmd)

    async def read(self, user_id: UUID, read_id: UUID) -> Read:
        return await self._reads.get(user_id, read_id)

    async def reads_of(
        self, user_id: UUID, book_id: UUID, *, limit: int = 20, offset: int = 0
    ) -> tuple[Sequence[Read], int]:
        return await self._reads.of_book(user_id, book_id, limit=limit, offset=offset)

    async def set_goal(self, cmd: SetGoal) -> GoalView:
        return await self._goals.set(cmd)

    async def goal(self, user_id: UUID, year: int) -> GoalView:
        return await self._goals.get(user_id, year)

    async def delete_goal(self, user_id: UUID, year: int) -> None:
        await self._goals.delete(user_id, year)

    async def stats(self, user_id: UUID, year: int | None = None) -> ReadingStats:
        """Over one year, or all time without `year`."""
        if year is not None:
            check_year(year)
        async with self._uow(read_only=True) as uow:
            return await uow.journal.stats(user_id, Period.year(year), year=year)
