"""Schemathesis against the app's own OpenAPI schema, on PostgreSQL: no 5xx, and every answer matches it.

Every operation in `/schema/openapi.json` is exercised, so routes added later are covered without edits,
and past authentication: a fuzzed call that revoked the admin's token (logout, logout-all, a password
change) makes the session sign in again and the call is made once more. Bounded: FOLIO_SCHEMA_EXAMPLES
examples per operation (default 25; about two minutes here). Each run draws a new seed, printed with any
failure; FOLIO_SCHEMA_SEED=N replays one. Run it alone with `make test-schema` (or `pytest -m schemathesis`).
"""

from __future__ import annotations

import os
import random
from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, seed, settings
from schemathesis.checks import not_a_server_error
from schemathesis.python.asgi import shutdown_lifespans
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    negative_data_rejection,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)
from schemathesis.transport.prepare import get_exclude_headers

from tests.support.databases import create_postgres_database, database_name, drop_postgres_database, xdist_worker
from tests.support.schema import AdminSession, SchemaApp, openapi_document, schema_app
from tests.support.settings import POSTGRES_URL

EXAMPLES = int(os.environ.get("FOLIO_SCHEMA_EXAMPLES", "25"))
SEED = int(os.environ.get("FOLIO_SCHEMA_SEED") or random.SystemRandom().randrange(2**32))
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    response_headers_conformance,
    negative_data_rejection,
]


@pytest.fixture(scope="module")
def folio(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SchemaApp]:
    """The app on a PostgreSQL database of its own (NUL and column bounds bite there, not on SQLite)."""
    name = database_name(xdist_worker()) + "_schema"
    url = create_postgres_database(POSTGRES_URL, name)
    yield schema_app(tmp_path_factory.mktemp("schemathesis"), url)
    shutdown_lifespans()  # schemathesis keeps the app running until the process ends: stop it first
    drop_postgres_database(POSTGRES_URL, name)


@pytest.fixture(scope="module")
def admin(folio: SchemaApp) -> AdminSession:
    return AdminSession(folio, schema)


# The operations are read at collection from an app that is never started; requests go to `folio.app`.
schema = schemathesis.openapi.from_dict(openapi_document())


@pytest.mark.schemathesis
@schema.parametrize()
@seed(SEED)
@settings(
    max_examples=EXAMPLES,
    deadline=None,
    database=None,
    phases=[Phase.explicit, Phase.generate],
    suppress_health_check=list(HealthCheck),
)
def test_the_api_keeps_its_schema(case: Any, folio: SchemaApp, admin: AdminSession) -> None:
    secured = bool(case.operation.definition.raw.get("security")) and not _drops_authorization(case)
    try:
        response = _call(case, folio, admin if secured else None)
        if secured and response.status_code == 401 and admin.revoked():
            admin.sign_in_again()  # an earlier call logged the admin out: this one is made again, signed in
            response = _call(case, folio, admin)
        if secured and response.status_code == 401 and _positive(case):
            # With a live token, a 401 is the operation's own answer (a wrong current password), never auth's.
            assert response.json()["type"] != "/problems/unauthorized", response.text
        case.validate_response(response, checks=CHECKS)
    except Exception as exc:
        exc.add_note(f"schemathesis seed: FOLIO_SCHEMA_SEED={SEED} ({case.operation.label})")
        raise


def _call(case: Any, folio: SchemaApp, admin: AdminSession | None) -> Any:
    return case.call(app=folio.app, headers=None if admin is None else admin.headers())


def _positive(case: Any) -> bool:
    return case.meta is None or not case.meta.generation.mode.is_negative


def _drops_authorization(case: Any) -> bool:
    """A negative case without the token must get its 401, not have the token put back: schemathesis
    leaves the header out of it (or names it to be taken out)."""
    if "Authorization" in get_exclude_headers(case):
        return True
    return not _positive(case) and "Authorization" not in (case.headers or {})


def test_every_operation_documents_its_security_and_problems() -> None:
    document = openapi_document()
    assert "BearerToken" in document["components"]["securitySchemes"]
    for path, item in document["paths"].items():
        for method, operation in item.items():
            if method not in {"get", "put", "post", "patch", "delete"}:
                continue
            responses = operation["responses"]
            where = f"{method.upper()} {path}"
            if operation.get("security"):
                assert "401" in responses, where
            if "requestBody" in operation:
                assert {"400", "413", "422"} <= set(responses), where
            for status, response in responses.items():
                if path.startswith("/api/") and status.startswith("4"):
                    assert "application/problem+json" in response.get("content", {}), f"{where} {status}"
