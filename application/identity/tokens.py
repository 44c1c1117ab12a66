"""Issuing and checking the tokens of a session."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from uuid import UUID, uuid4

from application.identity.credentials import Credentials
from application.identity.subjects import KnownSubjects
from application.ports.security import AccessClaims
from application.ports.tokens import RefreshRecord
from domain.identity import Role, User


@dataclass(frozen=True, slots=True)
class Tokens:
    access_token: str
    refresh_token: str
    expires_in: int
    token_type: str = "bearer"


@dataclass(frozen=True, slots=True)
class Principal:
    """Who is calling, as their access token says."""

    user_id: UUID
    role: Role
    session_id: UUID
    jti: str
    issued_at: datetime
    expires_at: datetime

    @property
    def is_admin(self) -> bool:
        return self.role is Role.ADMIN

    @property
    def is_moderator(self) -> bool:
        return self.role in (Role.MODERATOR, Role.ADMIN)


def hash_secret(secret: str) -> str:
    """Refresh tokens and codes are stored only as this digest."""
    return hashlib.sha256(secret.encode()).hexdigest()


def new_refresh_token() -> str:
    return secrets.token_urlsafe(32)


def sign_access(credentials: Credentials, user_id: UUID, role: Role, session_id: UUID, now: datetime) -> str:
    ttl = credentials.policy.access_token_ttl
    claims = AccessClaims(user_id, role, uuid4().hex, session_id, now, now + timedelta(seconds=ttl))
    return credentials.access_tokens.issue(claims)


def revocation_horizon(credentials: Credentials, now: datetime) -> datetime:
    """Until when a revocation made `now` must be remembered: no token issued before outlives it."""
    policy = credentials.policy
    return now + timedelta(seconds=max(policy.access_token_ttl, policy.refresh_token_ttl))


async def issue_tokens(
    credentials: Credentials, user: User, *, session_id: UUID | None = None, now: datetime | None = None
) -> Tokens:
    """Starts a session (a refresh-token family) for `user`, or continues `session_id`."""
    now = now or credentials.clock.now()
    session = session_id or uuid4()
    refresh = new_refresh_token()
    expires = now + timedelta(seconds=credentials.policy.refresh_token_ttl)
    await credentials.tokens.add_refresh(hash_secret(refresh), RefreshRecord(user.id, session, now, expires))
    access = sign_access(credentials, user.id, user.role, session, now)
    return Tokens(access, refresh, credentials.policy.access_token_ttl)


async def revoke_user_tokens(credentials: Credentials, user_id: UUID) -> datetime:
    """Rejects, at once and in every process, each token of the user issued until now; returns now."""
    now = credentials.clock.now()
    await credentials.tokens.revoke_user(user_id, at=now, until=revocation_horizon(credentials, now))
    return now


async def authenticate(credentials: Credentials, token: str, subjects: KnownSubjects) -> Principal | None:
    """The principal behind a bearer token, or None if it is invalid, expired, revoked or names no user."""
    claims = credentials.access_tokens.decode(token)
    if claims is None:
        return None
    revoked = await credentials.tokens.is_revoked(
        jti=claims.jti, family_id=claims.session_id, user_id=claims.user_id, issued_at=claims.issued_at
    )
    if revoked or not await subjects.exists(claims.user_id):
        return None
    return Principal(claims.user_id, claims.role, claims.session_id, claims.jti, claims.issued_at, claims.expires_at)
