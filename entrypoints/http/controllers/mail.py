from __future__ import annotations

from uuid import UUID

from litestar import Controller, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath

from application.delivery.failed_mail import ListFailedMail, RetryFailedMail
from entrypoints.bootstrap import Services
from entrypoints.http.auth import BEARER, requires_admin
from entrypoints.http.pagination import Limit, Offset
from entrypoints.http.problems import problem_responses
from entrypoints.http.schemas.mail import FailedMailOut, FailedMailPage


class MailAdminController(Controller):
    """Dead letters: mail that failed for good, for an operator to inspect and send again."""

    path = "/admin/mail"
    tags = ["admin"]
    guards = [requires_admin]
    security = BEARER

    @get("/failed", responses=problem_responses(401, 403, 422))
    async def failed(
        self, services: NamedDependency[Services], limit: Limit = 20, offset: Offset = 0
    ) -> FailedMailPage:
        """Failed mail, newest failure first."""
        rows, total = await services.mail.failed(ListFailedMail(limit=limit, offset=offset))
        return FailedMailPage([FailedMailOut.of(m) for m in rows], total, limit, offset)

    @post("/failed/{mail_id:uuid}/retry", status_code=202, responses=problem_responses(401, 403, 404))
    async def retry(self, mail_id: FromPath[UUID], services: NamedDependency[Services]) -> None:
        """Sends a failed mail again, with fresh attempts."""
        await services.mail.retry(RetryFailedMail(mail_id))
