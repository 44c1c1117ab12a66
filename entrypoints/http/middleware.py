"""The request id every response carries (set on it by the edge, `entrypoints.http.edge`)."""

from __future__ import annotations

import re
import uuid

from litestar.types import Scope

_VALID_ID = re.compile(r"^[A-Za-z0-9._:\-]{1,128}$")
REQUEST_ID = "X-Request-ID"


def request_id(scope: Scope) -> str:
    """The request's id: the client's `X-Request-ID` when it is sane, else a new one; made once."""
    state = scope.setdefault("state", {})
    found = state.get("request_id")
    if isinstance(found, str):
        return found
    sent = next((v.decode("latin-1") for k, v in scope.get("headers", ()) if k == b"x-request-id"), "")
    made = sent if _VALID_ID.match(sent) else uuid.uuid4().hex
    state["request_id"] = made
    return made
