"""The caller's own account: change the profile, delete the account and its personal data."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import Enum
from typing import Final, Literal
from uuid import UUID

from application.identity.credentials import Credentials
from application.identity.passwords import check_password_of
from application.identity.tokens import revoke_user_tokens
from application.ports.uow import UnitOfWork, UowFactory
from application.reviews.writing import withdraw_reviews_of
from domain.errors import NotFound
from domain.events import BooksChanged
from domain.identity import InvalidCredentials, User, UsernameTaken, ensure_admin_remains


class _Keep(Enum):
    KEEP = "keep"


#: A field left out of a partial update (distinct from None, which clears `full_name`).
KEEP: Final = _Keep.KEEP
Keep = Literal[_Keep.KEEP]


async def apply_profile(uow: UnitOfWork, user: User, username: str | Keep, full_name: str | Keep | None) -> None:
    if username is not KEEP:
        user.rename(username)
        if await uow.users.username_exists(user.username, exclude=user.id):
            raise UsernameTaken(f"{user.username} is taken")
    if full_name is not KEEP:
        user.set_full_name(full_name)


async def erase_user(uow: UnitOfWork, user: User, *, now: datetime) -> None:
    """Deletes the account: the database cascades shelf, reviews, cart and pre-bookings, and keeps
    orders with their user set to NULL. The last active admin stays."""
    active_admins = await uow.users.count_active_admins(lock=True) if user.is_active_admin else 0
    ensure_admin_remains(user, active_admins=active_admins, removes_admin=True)
    user.erase()
    # The cascade would drop the reviews but leave their books' rating figures counting them.
    if await withdraw_reviews_of(uow, user.id, now=now):
        uow.record(BooksChanged())  # rating figures changed
    await uow.identities.remove_all(user.id)  # provider links
    await uow.users.delete(user.id)


@dataclass(frozen=True, slots=True)
class UpdateMe:
    user_id: UUID
    username: str | Keep = KEEP
    full_name: str | Keep | None = KEEP


class UpdateMeHandler:
    def __init__(self, *, uow: UowFactory) -> None:
        self._uow = uow

    async def __call__(self, cmd: UpdateMe) -> User:
        async with self._uow() as uow:
            user = await uow.users.get(cmd.user_id, lock=True)
            if user is None:
                raise NotFound("user")
            await apply_profile(uow, user, cmd.username, cmd.full_name)
            await uow.users.update(user)
            await uow.commit()
        return user


@dataclass(frozen=True, slots=True)
class DeleteMe:
    user_id: UUID
    password: str


class DeleteMeHandler:
    """Deletes the caller's account after checking the password; every token of it stops working."""

    def __init__(self, *, uow: UowFactory, credentials: Credentials) -> None:
        self._uow = uow
        self._credentials = credentials

    async def __call__(self, cmd: DeleteMe) -> None:
        credentials = self._credentials
        async with self._uow(read_only=True) as uow:
            user = await uow.users.get(cmd.user_id)
        if user is None:
            raise NotFound("user")
        matches, _ = await check_password_of(credentials, user, cmd.password)
        if not matches:
            raise InvalidCredentials("the password is wrong")
        async with self._uow() as uow:
            if user.is_active_admin:
                await uow.users.count_active_admins(lock=True)  # admin rows first: the fixed lock order
            stored = await uow.users.get(cmd.user_id, lock=True)
            if stored is None:
                raise NotFound("user")
            await erase_user(uow, stored, now=credentials.clock.now())
            await revoke_user_tokens(credentials, stored.id)
            await uow.commit()
