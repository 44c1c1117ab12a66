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
from tests.support.databases import sqlite_copy
from tests.support.http import PASSWORD
from tests.support.settings import make_settings


@dataclass(frozen=True)
class SchemaApp:
    app: Litestar
    admin_token: str


async def _admin_token(settings: Settings) -> str:
    services = bootstrap(settings)
    try:
        admin = await add_user(services, "schemaadmin", role=Role.ADMIN, verified=True)
        tokens = await services.identity.login(Login(admin.email, PASSWORD, "127.0.0.1"))
    finally:
        await services.aclose()
    return tokens.access_token


def openapi_document() -> dict[str, Any]:
    """The app's OpenAPI document, from an app that is built but never started (nothing is written)."""
    settings = make_settings(Path(tempfile.gettempdir()) / "folio-schema", database_url="sqlite+aiosqlite:///:memory:")
    document = create_app(bootstrap(settings)).openapi_schema.to_schema()
    decoded: dict[str, Any] = json.loads(encode_json(document))  # examples hold Structs: as served
    return decoded


def schema_app(template: Path, directory: Path) -> SchemaApp:
    """Builds the app on a fresh SQLite copy; the admin is made first, on its own event loop."""
    settings = make_settings(directory / "var", database_url=sqlite_copy(template, directory / "db"))
    token = asyncio.run(_admin_token(settings))
    return SchemaApp(create_app(bootstrap(settings)), token)
