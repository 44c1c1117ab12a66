"""Bring your library: a reader's Goodreads or StoryGraph export in, their shelf out as a Goodreads export."""

from __future__ import annotations

from collections.abc import AsyncIterator
from enum import StrEnum
from typing import Any
from uuid import UUID

from litestar import Controller, Request, Response, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery
from litestar.response import Stream

from application.identity.tokens import Principal
from application.library.importing import MAX_BYTES, StartLibraryImport, export_goodreads
from entrypoints.bootstrap import Services
from entrypoints.http.auth import BEARER, requires_user
from entrypoints.http.problems import problem_responses
from entrypoints.http.schemas.library import LibraryImportAccepted, LibraryImportOut
from entrypoints.http.uploads import file_field, upload_operation

#: The 10 MB file plus room for the multipart framing; the use case counts the file's own bytes.
MAX_UPLOAD_BODY = MAX_BYTES + 64 * 1024


class ExportFormat(StrEnum):
    GOODREADS = "goodreads"


_UploadOperation = upload_operation(
    "a Goodreads export (24 or 31 columns) or a StoryGraph export, UTF-8, at most 10 MB"
)


class LibraryController(Controller):
    path = "/my-library"
    tags = ["shelf"]
    guards = [requires_user]
    security = BEARER

    @post(
        "/import",
        status_code=202,
        request_max_body_size=MAX_UPLOAD_BODY,
        operation_class=_UploadOperation,
        responses=problem_responses(401, 403, 413, 422),
    )
    async def import_library(
        self,
        request: Request[Any, Any, Any],
        principal: NamedDependency[Principal],
        services: NamedDependency[Services],
        dry_run: FromQuery[bool] = False,
    ) -> Response[LibraryImportAccepted]:
        """Brings a Goodreads or StoryGraph export onto the caller's shelf in the background (the format is
        told from the header); with `dry_run=true` the report says what it would do and nothing is written.
        Poll the Location for the per-row report."""
        upload = await file_field(request, "file")
        record = await services.library.start(
            StartLibraryImport(principal.user_id, upload.filename, upload.chunks, dry_run=dry_run)
        )
        location = f"{request.url.path.rstrip('/')}/{record.id}"
        body = LibraryImportAccepted(record.id, record.status.value, record.format.value)
        return Response(body, status_code=202, headers={"Location": location})

    @get("/import/{import_id:uuid}", responses=problem_responses(401, 404))
    async def library_import_status(
        self, import_id: FromPath[UUID], principal: NamedDependency[Principal], services: NamedDependency[Services]
    ) -> LibraryImportOut:
        """Progress and per-row report of one of the caller's library imports (anyone else's: 404)."""
        record, rows = await services.library.get(principal.user_id, import_id)
        return LibraryImportOut.of(record, rows)

    @get("/export", responses=problem_responses(401, 422), media_type="text/csv")
    async def export_library(
        self,
        principal: NamedDependency[Principal],
        services: NamedDependency[Services],
        format: FromQuery[ExportFormat] = ExportFormat.GOODREADS,
    ) -> Stream:
        """The caller's shelf as a Goodreads export (its 24 columns), one row per shelf entry, streamed."""
        lines: AsyncIterator[str] = export_goodreads(services.uow, principal.user_id)
        return Stream(
            lines,
            media_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": 'attachment; filename="goodreads_library_export.csv"'},
        )
