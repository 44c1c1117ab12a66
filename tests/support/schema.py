"""An in-process app for schema-driven tests: embedded SQLite, an admin's token, nothing shared."""

from __future__ import annotations

import asyncio
import json
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from litestar import Litestar
from litestar.serialization import encode_json

from application.identity.login import Login
from domain.identity import Role
from entrypoints.bootstrap import bootstrap
from entrypoints.http.app import create_app
from entrypoints.settings import Settings
from tests.support.builders import add_user
from tests.support.http import PASSWORD
from tests.support.settings import make_settings


@dataclass(frozen=True)
class SchemaApp:
    app: Litestar
    admin_token: str
    admin_email: str


async def _admin_token(settings: Settings) -> tuple[str, str]:
    services = bootstrap(settings)
    try:
        admin = await add_user(services, "schemaadmin", role=Role.ADMIN, verified=True)
        tokens = await services.identity.login(Login(admin.email, PASSWORD, "127.0.0.1"))
    finally:
        await services.aclose()
    return tokens.access_token, admin.email


def openapi_document() -> dict[str, Any]:
    """The app's OpenAPI document, from an app that is built but never started (nothing is written)."""
    settings = make_settings(Path(tempfile.gettempdir()) / "folio-schema", database_url="sqlite+aiosqlite:///:memory:")
    document = create_app(bootstrap(settings)).openapi_schema.to_schema()
    decoded: dict[str, Any] = json.loads(encode_json(document))  # examples hold Structs: as served
    return decoded


def schema_app(directory: Path, database_url: str) -> SchemaApp:
    """Builds the app on `database_url`; the admin is made first, on its own event loop. Its logins are not
    rate limited: a fuzzer that revokes its token makes it sign in again, many times a minute."""
    settings = make_settings(
        directory / "var",
        database_url=database_url,
        rate_limit_login_per_email=1_000_000,
        rate_limit_login_per_address=1_000_000,
    )
    token, email = asyncio.run(_admin_token(settings))
    return SchemaApp(create_app(bootstrap(settings)), token, email)


class AdminSession:
    """The admin's bearer token for fuzzed calls; signs in again when a fuzzed call revoked it (a logout,
    logout-all, password change...), so the operations after it are still exercised past their 401."""

    def __init__(self, folio: SchemaApp, schema: Any) -> None:
        self._folio = folio
        self._me = schema["/api/v1/users/me"]["GET"]
        self._login = schema["/api/v1/auth/login"]["POST"]
        self.token = folio.admin_token

    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}

    def revoked(self) -> bool:
        return bool(self._me.Case().call(app=self._folio.app, headers=self.headers()).status_code == 401)

    def sign_in_again(self) -> None:
        body = {"email": self._folio.admin_email, "password": PASSWORD}
        response = self._login.Case(body=body, media_type="application/json").call(app=self._folio.app)
        assert response.status_code == 200, f"the admin could not sign in again: {response.text}"
        self.token = response.json()["access_token"]
