"""Sign-in through an external identity provider (Google, GitHub): who the provider says the person
is, the link from a provider identity to an account, and the rules around both."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from domain.errors import Conflict, DomainError
from domain.identity import USERNAME_MAX, USERNAME_MIN


class ProviderError(DomainError):
    """The provider could not be reached, refused the code, or answered with something that fails its checks."""

    code = "provider-error"
    title = "Sign-in provider failed"


class LastLoginMethod(Conflict):
    code = "last-login-method"
    title = "The last way to sign in must stay"


class IdentityTaken(Conflict):
    """A concurrent sign-in linked the same provider identity first."""

    title = "Identity already linked"


@dataclass(frozen=True, slots=True)
class ExternalIdentity:
    """A person as a provider vouches for them, after every check of the provider's answer."""

    provider: str
    subject: str
    email: str | None
    email_verified: bool
    username: str | None = None
    full_name: str | None = None


@dataclass(frozen=True, slots=True)
class LinkedIdentity:
    user_id: UUID
    provider: str
    subject: str
    email: str | None
    linked_at: datetime


def ensure_can_unlink(*, has_password: bool, other_links: int) -> None:
    """Refuses to remove the last way into an account: no password and no identity of another provider."""
    if not has_password and other_links < 1:
        raise LastLoginMethod("set a password (forgot/reset-password) or link another provider first")


_NOT_ALLOWED = re.compile(r"[^A-Za-z0-9_.-]+")


def username_base(preferred: str | None, email: str) -> str:
    """A valid username from the provider's name for the person (else the email's local part)."""
    for raw in (preferred, email.partition("@")[0]):
        name = _NOT_ALLOWED.sub("", (raw or "").strip())[: USERNAME_MAX - 8].strip(".-")
        if name:
            return name.ljust(USERNAME_MIN, "_")
    return "reader"


def username_candidates(base: str, tries: int) -> list[str]:
    """`base`, then `base2`, `base3`...: each within the username rules."""
    return [base] + [f"{base}{n}" for n in range(2, tries + 1)]
