"""Provider sign-in: the identity providers that the settings configure, by name."""

from __future__ import annotations

from adapters.identity.github import GitHubIdentityProvider
from adapters.identity.oidc import OidcIdentityProvider
from application.ports.identity_providers import IdentityProvider
from entrypoints.settings import Settings

#: Where each provider sends the browser back; register `<PUBLIC_URL>` + this at the provider.
CALLBACK_PATH = "/api/v1/auth/oauth/{provider}/callback"


def callback_url(settings: Settings, provider: str) -> str:
    return settings.public_url.rstrip("/") + CALLBACK_PATH.format(provider=provider)


def identity_providers(settings: Settings) -> dict[str, IdentityProvider]:
    """Google and GitHub, each only when its client id and secret are set."""
    providers: dict[str, IdentityProvider] = {}
    timeout = float(settings.oauth_timeout)
    if settings.oauth_google_client_id and settings.oauth_google_client_secret:
        providers["google"] = OidcIdentityProvider(
            name="google",
            display_name="Google",
            issuer=settings.oauth_google_issuer,
            client_id=settings.oauth_google_client_id,
            client_secret=settings.oauth_google_client_secret,
            callback_url=callback_url(settings, "google"),
            timeout=timeout,
        )
    if settings.oauth_github_client_id and settings.oauth_github_client_secret:
        providers["github"] = GitHubIdentityProvider(
            client_id=settings.oauth_github_client_id,
            client_secret=settings.oauth_github_client_secret,
            url=settings.oauth_github_url,
            api_url=settings.oauth_github_api_url,
            callback_url=callback_url(settings, "github"),
            timeout=timeout,
        )
    return providers
