"""No password, token or code reaches a log line, whichever logger or shape carries it."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
import structlog

from entrypoints.logs import REDACTED, redact_text
from tests.support.logs import captured_logs, read_lines

JWT = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjMifQ.c2lnbmF0dXJlLXNpZ25hdHVyZQ"
REFRESH = "rt_9f8e7d6c5b4a39281706f5e4d3c2b1a0"
PASSWORD = "correct-horse-battery-staple"
CODE = "493817"
SECRETS = (JWT, REFRESH, PASSWORD, CODE, "db-pass-1234")


def _assert_clean(text: str) -> None:
    for secret in SECRETS:
        assert secret not in text


def test_structlog_fields_holding_secrets_are_blanked_at_any_depth(tmp_path: Path) -> None:
    with captured_logs(tmp_path) as log_file:
        log = structlog.stdlib.get_logger("folio.test")
        log.info("login", email="ada@example.com", password=PASSWORD)
        log.info("refresh", refresh_token=REFRESH, access_token=JWT)
        log.info("reset", body={"email": "ada@example.com", "code": CODE, "new_password": PASSWORD})
        log.info("request", headers={"Authorization": f"Bearer {JWT}", "X-Request-ID": "r1"})
        log.info("batch", items=[{"token": REFRESH}, ("current_password", PASSWORD)])
        lines = read_lines(log_file)
    _assert_clean(log_file.read_text())
    assert [line["event"] for line in lines] == ["login", "refresh", "reset", "request", "batch"]
    assert lines[0]["email"] == "ada@example.com"
    assert lines[0]["password"] == REDACTED
    assert lines[2]["body"] == {"email": "ada@example.com", "code": REDACTED, "new_password": REDACTED}
    assert lines[3]["headers"]["X-Request-ID"] == "r1"


@pytest.mark.parametrize("structlog_loggers", [True, False], ids=["server", "command line"])
def test_secrets_inside_standard_library_messages_and_tracebacks_are_scrubbed(
    tmp_path: Path, structlog_loggers: bool
) -> None:
    with captured_logs(tmp_path, structlog_loggers=structlog_loggers) as log_file:
        log = logging.getLogger("folio.test")
        log.warning("client sent Authorization: Bearer %s", JWT)
        log.warning("reset attempt code=%s password=%s", CODE, PASSWORD)
        log.warning("connecting to postgresql+psycopg://folio:db-pass-1234@db:5432/folio")
        log.info("pushed", extra={"refresh_token": REFRESH})
        try:
            raise ValueError(f"bad token {JWT}")
        except ValueError:
            log.exception("failed")
        lines = read_lines(log_file)
    _assert_clean(log_file.read_text())
    assert len(lines) == 5
    assert "postgresql+psycopg://folio:" in lines[2]["event"]
    assert "ValueError" in lines[4]["exception"]


def test_readable_development_logs_are_redacted_too(tmp_path: Path) -> None:
    with captured_logs(tmp_path, json_logs=False) as log_file:
        structlog.stdlib.get_logger("folio.test").info("login", password=PASSWORD, token=JWT)
        logging.getLogger("folio.test").info("token=%s", REFRESH)
    text = log_file.read_text()
    _assert_clean(text)
    assert "login" in text
    assert not text.lstrip().startswith("{")


def test_free_text_redaction_keeps_what_is_not_secret() -> None:
    assert redact_text("GET /api/v1/books/42 200") == "GET /api/v1/books/42 200"
    assert REFRESH not in redact_text(f'{{"refresh_token": "{REFRESH}"}}')
    assert redact_text("Basic dXNlcjpwYXNz") == f"Basic {REDACTED}"


def test_sign_in_secrets_are_blanked_in_text_and_fields() -> None:
    text = redact_text(f"redirect to https://app.example/signed-in#login_code={REFRESH}")
    assert REFRESH not in text
    assert REDACTED in text
