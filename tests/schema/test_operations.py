"""The schema walked as a generator or a stateful client reads it: every operation has a unique readable id,
a summary and a description; component names are plain; "Authorize" has a password flow to use; links
lead to real operations and parameters. Routes added later are walked too."""

from __future__ import annotations

import re
from typing import Any

from tests.support.schema import openapi_document

_METHODS = {"get", "put", "post", "patch", "delete"}
_READABLE_ID = re.compile(r"^[a-z]+(?:[A-Z][a-z0-9]*)*$")


def _operations(document: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [(path, m, op) for path, item in document["paths"].items() for m, op in item.items() if m in _METHODS]


def test_every_operation_has_a_unique_readable_id_a_summary_and_a_description() -> None:
    operations = _operations(openapi_document())
    ids = [op.get("operationId", "") for _, _, op in operations]
    assert len(ids) == len(set(ids)), sorted(i for i in ids if ids.count(i) > 1)
    for path, method, op in operations:
        where = f"{method.upper()} {path}"
        name = op.get("operationId", "")
        assert _READABLE_ID.fullmatch(name), (where, name)
        assert len(name) <= 40, (where, name)
        assert not re.search(r"Api|V1", name), (where, name)  # no path noise
        assert op.get("summary"), where
        assert op["summary"][0].isupper(), (where, op["summary"])
        assert op.get("description", "").strip(), f"{where}: give the handler a docstring"


def test_the_ids_clients_will_call_read_like_the_contract() -> None:
    by_route = {f"{m.upper()} {p}": op["operationId"] for p, m, op in _operations(openapi_document())}
    assert by_route["GET /api/v1/books"] == "listBooks"
    assert by_route["POST /api/v1/orders/checkout"] == "checkout"
    assert by_route["POST /api/v1/cart/items"] == "addToCart"
    assert by_route["POST /api/v1/auth/register"] == "register"
    assert by_route["POST /api/v1/auth/login"] == "login"


def test_component_names_are_plain_and_pages_are_concrete() -> None:
    document = openapi_document()
    names = set(document["components"]["schemas"])
    for name in names:
        assert re.fullmatch(r"[A-Z][A-Za-z0-9]*", name), name
    assert {"BookPage", "OrderPage", "UserPage", "ReviewPage", "ShelfEntryPage", "PreBookingPage"} <= names
    refs = re.findall(r'"#/components/schemas/([^"]+)"', str(document).replace("'", '"'))
    assert set(refs) <= names


def test_authorize_offers_the_password_flow_on_the_token_endpoint() -> None:
    document = openapi_document()
    schemes = document["components"]["securitySchemes"]
    flow = schemes["OAuth2Password"]["flows"]["password"]
    assert flow["tokenUrl"] == "/api/v1/auth/token"
    token = document["paths"]["/api/v1/auth/token"]["post"]
    assert "application/x-www-form-urlencoded" in token["requestBody"]["content"]
    for path, method, op in _operations(document):
        if op.get("security"):
            assert {"OAuth2Password": []} in op["security"], f"{method} {path}"


def test_creating_operations_document_location_and_link_to_what_takes_the_id() -> None:
    operations = _operations(document := openapi_document())
    by_id = {op["operationId"]: (path, op) for path, _, op in operations}
    creating = 0
    for path, method, op in operations:
        for status in ("201", "202"):
            response = op["responses"].get(status)
            if response is None or method != "post" or (status == "202" and "content" not in response):
                continue
            creating += 1
            assert "Location" in response.get("headers", {}), f"{method} {path} {status}"
            for name, link in response.get("links", {}).items():
                _, target = by_id[link["operationId"]]
                declared = {p["name"] for p in target.get("parameters", []) if p["in"] == "path"}
                assert set(link["parameters"]) == declared, (name, link, declared)
                for expression in link["parameters"].values():
                    assert re.fullmatch(r"\$(response\.body#/[a-z_/]+|request\.path\.[a-z_]+)", expression)
    assert creating >= 10
    links = document["paths"]["/api/v1/books"]["post"]["responses"]["201"]["links"]
    assert {"getBook", "updateBook", "deleteBook", "createReview"} <= set(links)
    assert links["getBook"]["parameters"] == {"book_id": "$response.body#/id"}
    order = document["paths"]["/api/v1/orders/checkout"]["post"]["responses"]["201"]["links"]
    assert order["getOrder"]["parameters"] == {"order_id": "$response.body#/id"}
