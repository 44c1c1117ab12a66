"""Streaming multipart/form-data: one file field handed on chunk by chunk, never buffered whole."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

from litestar import Request
from litestar.openapi.spec import Encoding, OpenAPIMediaType, Operation, RequestBody, Schema
from litestar.openapi.spec.enums import OpenAPIType
from multipart import MultipartError, MultipartSegment, PushMultipartParser, parse_options_header

from domain.errors import InvalidField
from domain.text import text_problem

Event = Any  # a MultipartSegment, a body chunk, or None at the end of a segment


@dataclass(frozen=True, slots=True)
class Upload:
    filename: str
    chunks: AsyncIterator[bytes]


async def _events(parser: PushMultipartParser, body: AsyncIterator[bytes]) -> AsyncIterator[Event]:
    try:
        async for chunk in body:
            for event in parser.parse(chunk):
                yield event
            if parser.closed:
                return
    except MultipartError as exc:
        raise InvalidField("file", f"the multipart body could not be read: {exc}") from None


async def _body_of_segment(events: AsyncIterator[Event]) -> AsyncIterator[bytes]:
    async for event in events:
        if event is None:
            return
        if isinstance(event, bytes | bytearray):
            yield bytes(event)


async def file_field(request: Request[Any, Any, Any], name: str = "file") -> Upload:
    """The form field `name` of a multipart request; its bytes are read only as the caller consumes them."""
    content_type, options = parse_options_header(request.headers.get("content-type", ""))
    boundary = options.get("boundary")
    if content_type != "multipart/form-data" or not boundary:
        raise InvalidField(name, f"send the CSV as multipart/form-data in a field named {name!r}")
    try:
        parser = PushMultipartParser(boundary, max_segment_count=16)
    except MultipartError as exc:
        raise InvalidField(name, f"the multipart boundary is unusable: {exc}") from None
    events = _events(parser, request.stream())
    async for event in events:
        if isinstance(event, MultipartSegment) and event.name == name:
            filename = event.filename or "upload.csv"
            if (problem := text_problem(filename)) is not None:
                raise InvalidField(name, f"the file name {problem}")
            return Upload(filename, _body_of_segment(events))
    raise InvalidField(name, f"the form has no field named {name!r}")


def upload_operation(description: str) -> type[Operation]:
    """An Operation that documents the multipart body (field `file`, a CSV described so) a handler streams
    itself: Litestar would buffer a body it declared."""

    @dataclass
    class _UploadOperation(Operation):
        def __post_init__(self) -> None:
            file_schema = Schema(
                type=OpenAPIType.STRING,
                format="binary",  # type: ignore[arg-type]
                description=description,
            )
            form = Schema(type=OpenAPIType.OBJECT, properties={"file": file_schema}, required=["file"])
            media = OpenAPIMediaType(schema=form, encoding={"file": Encoding(content_type="text/csv")})
            self.request_body = RequestBody(content={"multipart/form-data": media}, required=True)

    return _UploadOperation
