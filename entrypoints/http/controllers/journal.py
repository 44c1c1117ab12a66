"""The reading journal over HTTP: a book's reads and progress, reads by id, yearly goals, the caller's stats."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from litestar import Controller, Response, delete, get, patch, post, put
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery, JSONBody, Parameter

from application.identity.tokens import Principal
from application.journal.goals import SetGoal
from application.journal.reads import AddRead, DeleteRead, LogProgress, ReviseRead
from domain.journal import YEAR_MAX, YEAR_MIN
from entrypoints.bootstrap import Services
from entrypoints.http.auth import BEARER, requires_user
from entrypoints.http.pagination import Limit, Offset
from entrypoints.http.problems import problem_responses
from entrypoints.http.schemas.journal import (
    GoalIn,
    GoalOut,
    ProgressIn,
    ReadIn,
    ReadOut,
    ReadPage,
    ReadPatchIn,
    StatsOut,
)
from entrypoints.http.schemas.shelf import ShelfEntryOut

API_PREFIX = "/api/v1"
Year = Annotated[int, Parameter(ge=YEAR_MIN, le=YEAR_MAX, description="A calendar year")]


class BookJournalController(Controller):
    """The caller's reads of one book on their shelf, and their progress in it."""

    path = "/my-library/{book_id:uuid}"
    tags = ["journal"]
    guards = [requires_user]
    security = BEARER

    @get("/reads", responses=problem_responses(401, 404, 422))
    async def list_reads(
        self,
        book_id: FromPath[UUID],
        principal: NamedDependency[Principal],
        services: NamedDependency[Services],
        limit: Limit = 20,
        offset: Offset = 0,
    ) -> ReadPage:
        """The caller's reads of the book, newest first (an open read first); 404 when it is not on the shelf."""
        reads, total = await services.journal.reads_of(principal.user_id, book_id, limit=limit, offset=offset)
        return ReadPage([ReadOut.of(read) for read in reads], total, limit, offset)

    @post("/reads", responses=problem_responses(401, 404, 409, 422))
    async def add_read(
        self,
        book_id: FromPath[UUID],
        principal: NamedDependency[Principal],
        services: NamedDependency[Services],
        data: JSONBody[ReadIn | None] = None,
    ) -> Response[ReadOut]:
        """Enters a read by hand: a past one (`finished_on`) or a re-read; 409 when one is open already."""
        body = data or ReadIn()
        cmd = AddRead(principal.user_id, book_id, started_on=body.started_on, finished_on=body.finished_on)
        read = await services.journal.add_read(cmd)
        return Response(ReadOut.of(read), status_code=201, headers={"Location": f"{API_PREFIX}/reads/{read.id}"})

    @post("/progress", status_code=200, responses=problem_responses(401, 404, 422))
    async def log_progress(
        self,
        book_id: FromPath[UUID],
        data: JSONBody[ProgressIn],
        principal: NamedDependency[Principal],
        services: NamedDependency[Services],
    ) -> ShelfEntryOut:
        """Progress (`page` or `percent`) on the open read, opening one (and moving to READING) if none is.
        A page past the book's pages is 422; the last page or 100 % does not finish the book."""
        cmd = LogProgress(principal.user_id, book_id, page=data.page, percent=data.percent)
        return ShelfEntryOut.of(await services.journal.log_progress(cmd))


class ReadsController(Controller):
    """A read by its id: the owner's only (anyone else's is 404)."""

    path = "/reads"
    tags = ["journal"]
    guards = [requires_user]
    security = BEARER

    @get("/{read_id:uuid}", responses=problem_responses(401, 404))
    async def get_read(
        self, read_id: FromPath[UUID], principal: NamedDependency[Principal], services: NamedDependency[Services]
    ) -> ReadOut:
        """One of the caller's reads."""
        return ReadOut.of(await services.journal.read(principal.user_id, read_id))

    @patch("/{read_id:uuid}", responses=problem_responses(401, 404, 409, 422))
    async def revise_read(
        self,
        read_id: FromPath[UUID],
        data: JSONBody[ReadPatchIn],
        principal: NamedDependency[Principal],
        services: NamedDependency[Services],
    ) -> ReadOut:
        """Sets the read's dates (never in the future, never ended before started); null clears one."""
        cmd = ReviseRead(
            principal.user_id,
            read_id,
            started_on=data.value("started_on"),
            finished_on=data.value("finished_on"),
            stopped_on=data.value("stopped_on"),
            sent=data.sent(),
        )
        return ReadOut.of(await services.journal.revise_read(cmd))

    @delete("/{read_id:uuid}", status_code=204, responses=problem_responses(401, 404))
    async def delete_read(
        self, read_id: FromPath[UUID], principal: NamedDependency[Principal], services: NamedDependency[Services]
    ) -> None:
        """Deletes one of the caller's reads (a finished one no longer counts)."""
        await services.journal.delete_read(DeleteRead(principal.user_id, read_id))


class GoalsController(Controller):
    """The caller's reading goal for a year."""

    path = "/goals"
    tags = ["journal"]
    guards = [requires_user]
    security = BEARER

    @put("/{year:int}", responses=problem_responses(401, 422))
    async def set_goal(
        self,
        year: Year,
        data: JSONBody[GoalIn],
        principal: NamedDependency[Principal],
        services: NamedDependency[Services],
    ) -> GoalOut:
        """Sets (creates or changes) the goal: `target` books, 1 to 1000."""
        return GoalOut.of(await services.journal.set_goal(SetGoal(principal.user_id, year, data.target)))

    @get("/{year:int}", responses=problem_responses(401, 404, 422))
    async def get_goal(
        self,
        year: Year,
        principal: NamedDependency[Principal],
        services: NamedDependency[Services],
    ) -> GoalOut:
        """The goal with the reads finished that year, the count due by today (pro rata) and the books."""
        return GoalOut.of(await services.journal.goal(principal.user_id, year))

    @delete("/{year:int}", status_code=204, responses=problem_responses(401, 404, 422))
    async def delete_goal(
        self,
        year: Year,
        principal: NamedDependency[Principal],
        services: NamedDependency[Services],
    ) -> None:
        """Removes the caller's goal for that year (its reads stay); `404` when none is set."""
        await services.journal.delete_goal(principal.user_id, year)


class StatsController(Controller):
    path = "/users/me/stats"
    tags = ["journal"]
    guards = [requires_user]
    security = BEARER

    @get("/", responses=problem_responses(401, 422))
    async def my_stats(
        self,
        principal: NamedDependency[Principal],
        services: NamedDependency[Services],
        year: FromQuery[Year | None] = None,
    ) -> StatsOut:
        """The caller's reading figures for a year, or all time without `year` (then no `by_month`)."""
        return StatsOut.of(await services.journal.stats(principal.user_id, year))


JOURNAL_ROUTES = [BookJournalController, ReadsController, GoalsController, StatsController]
