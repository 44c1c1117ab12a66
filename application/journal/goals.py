"""Yearly reading goals, and how the reads finished in that year stand against them."""

from __future__ import annotations

from dataclasses import dataclass
from uuid import UUID

from application.ports.clock import Clock
from application.ports.journal import Period
from application.ports.uow import UowFactory
from domain.catalog import Book
from domain.errors import NotFound
from domain.journal import Goal, GoalStanding, check_year
from domain.shelf import reader_today


@dataclass(frozen=True, slots=True)
class SetGoal:
    user_id: UUID
    year: int
    target: int


@dataclass(frozen=True, slots=True)
class GoalView:
    standing: GoalStanding
    books: list[Book]


class GoalsHandler:
    def __init__(self, *, uow: UowFactory, clock: Clock) -> None:
        self._uow = uow
        self._clock = clock

    async def set(self, cmd: SetGoal) -> GoalView:
        async with self._uow() as uow:
            existing = await uow.goals.get(cmd.user_id, check_year(cmd.year))
            goal = Goal.set(cmd.user_id, cmd.year, cmd.target, existing=existing, now=self._clock.now())
            uow.track(goal)  # GoalSet
            await uow.goals.put(goal)
            await uow.commit()
        return await self.get(cmd.user_id, cmd.year)

    async def get(self, user_id: UUID, year: int) -> GoalView:
        async with self._uow(read_only=True) as uow:
            goal = await uow.goals.get(user_id, check_year(year))
            if goal is None:
                raise NotFound("goal")
            period = Period.year(year)
            completed = await uow.journal.finished_count(user_id, period)
            books = await uow.journal.finished_books(user_id, period)
        expected = goal.expected_by(reader_today(self._clock.now()))
        return GoalView(GoalStanding(goal, completed, expected), books)

    async def delete(self, user_id: UUID, year: int) -> None:
        async with self._uow() as uow:
            if not await uow.goals.delete(user_id, check_year(year)):
                raise NotFound("goal")
            await uow.commit()
