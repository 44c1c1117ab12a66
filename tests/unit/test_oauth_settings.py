"""FOLIO_OAUTH_* settings: a provider is configured by its id and secret together; client pages are exact URLs."""

from __future__ import annotations

from pathlib import Path

import pytest

from entrypoints.identity_providers import identity_providers
from entrypoints.settings import SettingsError, load_settings
from tests.support.settings import make_settings


def test_a_provider_is_offered_with_its_id_and_secret(tmp_path: Path) -> None:
    assert identity_providers(make_settings(tmp_path)) == {}
    settings = make_settings(tmp_path, oauth_github_client_id="id", oauth_github_client_secret="secret")
    assert list(identity_providers(settings)) == ["github"]
    settings = make_settings(
        tmp_path,
        oauth_google_client_id="id",
        oauth_google_client_secret="secret",
        oauth_github_client_id="id",
        oauth_github_client_secret="secret",
    )
    assert [(p.name, p.display_name) for p in identity_providers(settings).values()] == [
        ("google", "Google"),
        ("github", "GitHub"),
    ]
    assert settings.oauth_google_issuer == "https://accounts.google.com"
    assert (settings.oauth_github_url, settings.oauth_github_api_url) == (
        "https://github.com",
        "https://api.github.com",
    )


@pytest.mark.parametrize(
    ("env", "named"),
    [
        ({"FOLIO_OAUTH_GOOGLE_CLIENT_ID": "id"}, "FOLIO_OAUTH_GOOGLE_CLIENT_SECRET"),
        ({"FOLIO_OAUTH_GITHUB_CLIENT_SECRET": "s"}, "FOLIO_OAUTH_GITHUB_CLIENT_ID"),
        ({"FOLIO_OAUTH_REDIRECT_URIS": "https://app.example/a#frag"}, "FOLIO_OAUTH_REDIRECT_URIS"),
        ({"FOLIO_OAUTH_REDIRECT_URIS": "/relative"}, "FOLIO_OAUTH_REDIRECT_URIS"),
        ({"FOLIO_OAUTH_GOOGLE_ISSUER": "accounts.google.com"}, "FOLIO_OAUTH_GOOGLE_ISSUER"),
        ({"FOLIO_OAUTH_TIMEOUT": "0"}, "FOLIO_OAUTH_TIMEOUT"),
    ],
)
def test_bad_oauth_settings_stop_the_start_naming_the_setting(tmp_path: Path, env: dict[str, str], named: str) -> None:
    with pytest.raises(SettingsError, match=named):
        load_settings({"FOLIO_VAR_DIR": str(tmp_path), **env}, env_file=None)


def test_client_pages_are_a_comma_list(tmp_path: Path) -> None:
    settings = make_settings(tmp_path, oauth_redirect_uris=" https://a.example/x , https://b.example/y ")
    assert settings.oauth_redirect_uris == ("https://a.example/x", "https://b.example/y")
