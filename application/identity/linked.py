"""Which account a provider identity signs in to, and the caller's linked identities."""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta
from uuid import UUID, uuid4

from application.identity.credentials import Credentials
from application.identity.tokens import revocation_horizon
from application.ports.uow import UnitOfWork, UowFactory
from domain.errors import NotFound
from domain.identity import EmailNotVerified, EmailTaken, User, UsernameTaken, check_full_name, normalize_email
from domain.linked_identities import (
    ExternalIdentity,
    IdentityTaken,
    LinkedIdentity,
    ensure_can_unlink,
    username_base,
    username_candidates,
)

#: Numbered usernames tried (`ann`, `ann2`...) before a random suffix.
_USERNAME_TRIES = 20
#: A concurrent sign-in may win a race for the email, the username or the link: look again. Each
#: lost race means another sign-in committed, so N racers need N tries; the last one takes a random
#: username suffix, which no racer shares.
_ATTEMPTS = 5


async def sign_in_as(uow_factory: UowFactory, credentials: Credentials, identity: ExternalIdentity) -> User:
    """The account linked to `identity`; else the account with its verified email, linked now; else a
    new verified USER without a password. A deactivated account stays out."""
    for attempt in range(_ATTEMPTS):
        try:
            async with uow_factory() as uow:
                user = await _resolve(credentials, uow, identity, numbered=attempt < _ATTEMPTS - 1)
                await uow.commit()
            return user
        except (EmailTaken, UsernameTaken, IdentityTaken):
            if attempt == _ATTEMPTS - 1:
                raise
    raise AssertionError("unreachable")


async def _resolve(credentials: Credentials, uow: UnitOfWork, identity: ExternalIdentity, *, numbered: bool) -> User:
    linked = await uow.identities.get(identity.provider, identity.subject)
    if linked is not None:
        user = await uow.users.get(linked.user_id)
        if user is None:  # the link outlived its account: treat it as unknown
            await uow.identities.remove(linked.user_id, identity.provider)
        else:
            user.ensure_can_sign_in()
            return user
    if not identity.email or not identity.email_verified:
        raise EmailNotVerified(f"{identity.provider} did not confirm a verified email address for this account")
    email = normalize_email(identity.email)
    user = await uow.users.get_by_email(email)
    if user is not None:
        user.ensure_can_sign_in()
        if not user.is_verified:
            await _claim_unproven(credentials, uow, user)
    else:
        user = await _new_user(credentials, uow, identity, email, numbered=numbered)
    await uow.identities.add(
        LinkedIdentity(user.id, identity.provider, identity.subject, email, credentials.clock.now())
    )
    return user


async def _claim_unproven(credentials: Credentials, uow: UnitOfWork, user: User) -> None:
    """The provider has just proven the address that this account never proved. Whoever registered it
    (perhaps someone else, before its owner came) loses the password and every session: the owner
    sets a password through reset-password if they want one."""
    user.verify_email()
    user.password_hash = None
    await uow.users.update(user)
    # Before the commit, like every revocation; up to just before now, so the session this sign-in
    # opens next (at now or later) is not caught by it.
    now = credentials.clock.now()
    await credentials.tokens.revoke_user(
        user.id, at=now - timedelta(microseconds=1), until=revocation_horizon(credentials, now)
    )


async def _new_user(
    credentials: Credentials, uow: UnitOfWork, identity: ExternalIdentity, email: str, *, numbered: bool
) -> User:
    base = username_base(identity.username, email)
    username = f"{base}-{secrets.token_hex(3)}"
    for candidate in username_candidates(base, _USERNAME_TRIES) if numbered else []:
        if not await uow.users.username_exists(candidate):
            username = candidate
            break
    full_name = check_full_name((identity.full_name or "")[:200])
    user = User(uuid4(), email, username, None, credentials.clock.now(), full_name, is_verified=True)
    await uow.users.add(user)
    return user


async def linked_identities(uow_factory: UowFactory, user_id: UUID) -> Sequence[LinkedIdentity]:
    async with uow_factory(read_only=True) as uow:
        return await uow.identities.of_user(user_id)


@dataclass(frozen=True, slots=True)
class Unlink:
    user_id: UUID
    provider: str


class UnlinkHandler:
    """Removes a provider link, unless it is the account's last way to sign in."""

    def __init__(self, *, uow: UowFactory) -> None:
        self._uow = uow

    async def __call__(self, cmd: Unlink) -> None:
        async with self._uow() as uow:
            user = await uow.users.get(cmd.user_id, lock=True)  # serialises two unlinks of one account
            if user is None:
                raise NotFound("user")
            linked = await uow.identities.of_user(user.id)
            if not any(link.provider == cmd.provider for link in linked):
                raise NotFound("identity")
            others = sum(1 for link in linked if link.provider != cmd.provider)
            ensure_can_unlink(has_password=user.has_password, other_links=others)
            await uow.identities.remove(user.id, cmd.provider)
            await uow.commit()
