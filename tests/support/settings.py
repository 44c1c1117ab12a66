from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from entrypoints.settings import Settings, load_settings

POSTGRES_URL = os.environ.get("FOLIO_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
VALKEY_URL = os.environ.get("FOLIO_TEST_VALKEY_URL", "valkey://127.0.0.1:6379/0")
TEST_SECRET = "test-secret-that-is-long-enough-for-hs256-0123456789"


def make_settings(var_dir: Path, **overrides: Any) -> Settings:
    """Settings for a test: its own var/ directory, cheap argon2, a fixed secret."""
    env = {
        "FOLIO_VAR_DIR": str(var_dir),
        "FOLIO_JWT_SECRET": TEST_SECRET,
        "FOLIO_ARGON2_MEMORY_KIB": "1024",
        "FOLIO_ARGON2_TIME_COST": "1",
        "FOLIO_PUBLIC_URL": "http://folio.test",
    }
    for key, value in overrides.items():
        env[f"FOLIO_{key.upper()}"] = str(value)
    if str(overrides.get("database_url", "")).startswith("postgresql"):
        # Production mode wants the edge named; tests choose the open one unless they say otherwise.
        env.setdefault("FOLIO_ALLOWED_HOSTS", "*")
        env.setdefault("FOLIO_CORS_ORIGINS", "")
    return load_settings(env, env_file=None)
