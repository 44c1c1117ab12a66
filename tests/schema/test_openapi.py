"""Schemathesis against the app's own OpenAPI schema: no 5xx, and every answer matches the schema.

Every operation in `/schema/openapi.json` is exercised, so routes added later are covered without edits.
Bounded: a fixed number of examples per operation (FOLIO_SCHEMA_EXAMPLES, default 25), derandomised
so a run is repeatable.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    negative_data_rejection,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from tests.support.schema import SchemaApp, openapi_document, schema_app

EXAMPLES = int(os.environ.get("FOLIO_SCHEMA_EXAMPLES", "25"))
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    response_headers_conformance,
    negative_data_rejection,
]


@pytest.fixture(scope="module")
def folio(sqlite_template_path: Path, tmp_path_factory: pytest.TempPathFactory) -> SchemaApp:
    return schema_app(sqlite_template_path, tmp_path_factory.mktemp("schemathesis"))


# The operations are read at collection from an app that is never started; requests go to `folio.app`.
schema = schemathesis.openapi.from_dict(openapi_document())


@schema.parametrize()
@settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=True,
    phases=[Phase.explicit, Phase.generate],
    suppress_health_check=list(HealthCheck),
)
def test_the_api_keeps_its_schema(case: Any, folio: SchemaApp) -> None:
    headers = {"Authorization": f"Bearer {folio.admin_token}"} if case.operation.security else {}
    if _drops_authorization(case):
        headers = {}  # a negative case without the token must get its 401, not have the token put back
    case.call_and_validate(headers=headers, checks=CHECKS, app=folio.app)


def _drops_authorization(case: Any) -> bool:
    meta = case.meta
    if meta is None or not meta.generation.mode.is_negative:
        return False
    return "Authorization" in str(getattr(meta.phase.data, "description", "") or "")


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
