"""Sessions: refresh-token rotation, logging out, changing the password."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from application.identity.credentials import Credentials
from application.identity.passwords import check_password_of
from application.identity.tokens import (
    Principal,
    Tokens,
    hash_secret,
    issue_tokens,
    new_refresh_token,
    revocation_horizon,
    revoke_user_tokens,
    sign_access,
)
from application.ports.uow import UowFactory
from domain.errors import Unauthorized
from domain.identity import InvalidCredentials, check_password


class InvalidRefreshToken(Unauthorized):
    title = "Invalid refresh token"


@dataclass(frozen=True, slots=True)
class Refresh:
    refresh_token: str


class RefreshHandler:
    """Spends a refresh token for a new pair in the same session; a spent one revokes the session."""

    def __init__(self, *, uow: UowFactory, credentials: Credentials) -> None:
        self._uow = uow
        self._credentials = credentials

    async def __call__(self, cmd: Refresh) -> Tokens:
        credentials = self._credentials
        now = credentials.clock.now()
        fresh = new_refresh_token()
        record = await credentials.tokens.rotate_refresh(
            hash_secret(cmd.refresh_token),
            hash_secret(fresh),
            now=now,
            expires_at=now + timedelta(seconds=credentials.policy.refresh_token_ttl),
            revoke_until=revocation_horizon(credentials, now),
        )
        if record is None:
            raise InvalidRefreshToken("the refresh token is invalid, expired or revoked")
        async with self._uow(read_only=True) as uow:
            user = await uow.users.get(record.user_id)
        if user is None or not user.is_active:  # deleted or deactivated since: the session ends here
            await credentials.tokens.revoke_family(
                record.family_id, now=now, until=revocation_horizon(credentials, now)
            )
            raise InvalidRefreshToken("the refresh token is invalid, expired or revoked")
        access = sign_access(credentials, user.id, user.role, record.family_id, now)
        return Tokens(access, fresh, credentials.policy.access_token_ttl)


@dataclass(frozen=True, slots=True)
class Logout:
    principal: Principal
    refresh_token: str | None = None


class LogoutHandler:
    """Ends the caller's session: this access token and the session's refresh tokens stop working."""

    def __init__(self, *, credentials: Credentials) -> None:
        self._credentials = credentials

    async def __call__(self, cmd: Logout) -> None:
        credentials = self._credentials
        now = credentials.clock.now()
        until = revocation_horizon(credentials, now)
        await credentials.tokens.revoke_access(cmd.principal.jti, now=now, until=max(cmd.principal.expires_at, now))
        await credentials.tokens.revoke_family(cmd.principal.session_id, now=now, until=until)
        if cmd.refresh_token:
            # A refresh token of another of the caller's sessions ends that one too; anyone else's is ignored.
            record = await credentials.tokens.find_refresh(hash_secret(cmd.refresh_token), now=now)
            if record is not None and record.user_id == cmd.principal.user_id:
                await credentials.tokens.revoke_family(record.family_id, now=now, until=until)


@dataclass(frozen=True, slots=True)
class LogoutAll:
    principal: Principal


class LogoutAllHandler:
    def __init__(self, *, credentials: Credentials) -> None:
        self._credentials = credentials

    async def __call__(self, cmd: LogoutAll) -> None:
        await revoke_user_tokens(self._credentials, cmd.principal.user_id)


@dataclass(frozen=True, slots=True)
class ChangePassword:
    principal: Principal
    current_password: str
    new_password: str


class ChangePasswordHandler:
    """Checks the current password, stores the new one, revokes every session, opens a fresh one."""

    def __init__(self, *, uow: UowFactory, credentials: Credentials) -> None:
        self._uow = uow
        self._credentials = credentials

    async def __call__(self, cmd: ChangePassword) -> Tokens:
        credentials = self._credentials
        async with self._uow(read_only=True) as uow:
            user = await uow.users.get(cmd.principal.user_id)
        if user is None:
            raise InvalidRefreshToken("the account no longer exists")
        matches, _ = await check_password_of(credentials, user, cmd.current_password)
        if not matches:
            raise InvalidCredentials("the current password is wrong")
        check_password(cmd.new_password)
        new_hash = await credentials.hasher.hash(cmd.new_password)
        async with self._uow() as uow:
            stored = await uow.users.get(user.id, lock=True)
            if stored is None:
                raise InvalidRefreshToken("the account no longer exists")
            stored.password_hash = new_hash
            await uow.users.update(stored)
            await uow.commit()
        revoked_at = await revoke_user_tokens(credentials, user.id)
        # The fresh session starts just after the cut-off, so the revocation cannot catch it.
        return await issue_tokens(
            credentials, stored, now=max(credentials.clock.now(), revoked_at + timedelta(microseconds=1))
        )
