"""User management by admins. Demoting, deactivating or deleting the last active admin is refused."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from uuid import UUID

from application.identity.account import KEEP, Keep, apply_profile, erase_user
from application.identity.credentials import Credentials
from application.identity.register import Register, add_user, new_user
from application.identity.tokens import revoke_user_tokens
from application.ports.uow import UnitOfWork, UowFactory
from domain.errors import NotFound
from domain.identity import Role, User, ensure_admin_remains


@dataclass(frozen=True, slots=True)
class ListUsers:
    q: str | None = None
    role: Role | None = None
    is_active: bool | None = None
    limit: int = 20
    offset: int = 0


async def list_users(uow_factory: UowFactory, query: ListUsers) -> tuple[Sequence[User], int]:
    async with uow_factory(read_only=True) as uow:
        return await uow.users.search(
            q=query.q or None, role=query.role, is_active=query.is_active, limit=query.limit, offset=query.offset
        )


@dataclass(frozen=True, slots=True)
class CreateUser:
    email: str
    username: str
    password: str
    role: Role = Role.USER
    full_name: str | None = None


class CreateUserHandler:
    """An account made by an admin (or `folio users create`): verified from the start."""

    def __init__(self, *, uow: UowFactory, credentials: Credentials) -> None:
        self._uow = uow
        self._credentials = credentials

    async def __call__(self, cmd: CreateUser) -> User:
        user = await new_user(
            self._credentials,
            Register(cmd.email, cmd.username, cmd.password, cmd.full_name),
            role=cmd.role,
            verified=True,
        )
        async with self._uow() as uow:
            await add_user(uow, user)
            await uow.commit()
        return user


@dataclass(frozen=True, slots=True)
class UpdateUser:
    user_id: UUID
    role: Role | None = None
    is_active: bool | None = None
    username: str | Keep = KEEP
    full_name: str | Keep | None = KEEP


async def _locked_target(uow: UnitOfWork, user_id: UUID) -> tuple[User, int]:
    """Locks the active admins' rows (in id order), then the target's: one fixed order for every writer,
    so two concurrent demotions serialise and the second sees the first."""
    active_admins = await uow.users.count_active_admins(lock=True)
    user = await uow.users.get(user_id, lock=True)
    if user is None:
        raise NotFound("user")
    return user, active_admins


class UpdateUserHandler:
    """Changes role, activity and profile; a role change or a deactivation revokes the user's tokens."""

    def __init__(self, *, uow: UowFactory, credentials: Credentials) -> None:
        self._uow = uow
        self._credentials = credentials

    async def __call__(self, cmd: UpdateUser) -> User:
        async with self._uow() as uow:
            user, active_admins = await _locked_target(uow, cmd.user_id)
            removes_admin = (cmd.role is not None and cmd.role is not Role.ADMIN) or cmd.is_active is False
            ensure_admin_remains(user, active_admins=active_admins, removes_admin=removes_admin)
            revoke = False
            if cmd.role is not None:
                revoke |= user.change_role(cmd.role)
            if cmd.is_active is False:
                revoke |= user.deactivate()
            elif cmd.is_active is True:
                user.reactivate()
            await apply_profile(uow, user, cmd.username, cmd.full_name)
            await uow.users.update(user)
            if revoke:  # before the commit: if the commit fails, the user signs in again; never the reverse
                await revoke_user_tokens(self._credentials, user.id)
            await uow.commit()
        return user


@dataclass(frozen=True, slots=True)
class DeleteUser:
    user_id: UUID


class DeleteUserHandler:
    def __init__(self, *, uow: UowFactory, credentials: Credentials) -> None:
        self._uow = uow
        self._credentials = credentials

    async def __call__(self, cmd: DeleteUser) -> None:
        async with self._uow() as uow:
            user, _ = await _locked_target(uow, cmd.user_id)
            await erase_user(uow, user, now=self._credentials.clock.now())
            await revoke_user_tokens(self._credentials, user.id)
            await uow.commit()
