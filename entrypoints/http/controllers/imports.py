from __future__ import annotations

from typing import Any
from uuid import UUID

from litestar import Controller, Request, Response, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath

from application.imports.start import StartImport
from entrypoints.bootstrap import Services
from entrypoints.http.auth import BEARER, requires_admin
from entrypoints.http.problems import problem_responses
from entrypoints.http.schemas.imports import ImportAccepted, ImportOut
from entrypoints.http.uploads import file_field, upload_operation

#: The 50 MB file plus room for the multipart framing; the use case counts the file's own bytes.
MAX_UPLOAD_BODY = 50 * 1024 * 1024 + 64 * 1024


_UploadOperation = upload_operation("a UTF-8 CSV file, at most 50 MB, whose header row names title, author and price")


class ImportController(Controller):
    path = "/books/import"
    tags = ["catalog"]
    guards = [requires_admin]
    security = BEARER

    @post(
        "/",
        status_code=202,
        request_max_body_size=MAX_UPLOAD_BODY,
        operation_class=_UploadOperation,
        responses=problem_responses(401, 403, 413, 422),
    )
    async def upload(
        self, request: Request[Any, Any, Any], services: NamedDependency[Services]
    ) -> Response[ImportAccepted]:
        """Checks and stores a CSV of books, then imports it in the background; poll the Location."""
        upload = await file_field(request, "file")
        progress = await services.imports.start(StartImport(upload.filename, upload.chunks))
        location = f"{request.url.path.rstrip('/')}/{progress.id}"
        body = ImportAccepted(progress.id, progress.status.value)
        return Response(body, status_code=202, headers={"Location": location})

    @get("/{import_id:uuid}", responses=problem_responses(401, 403, 404))
    async def status(self, import_id: FromPath[UUID], services: NamedDependency[Services]) -> ImportOut:
        """Progress of an import, readable from any API process while it runs."""
        return ImportOut.of(await services.imports.get(import_id))
