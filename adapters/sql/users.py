from __future__ import annotations

from collections.abc import Sequence
from typing import Any
from uuid import UUID

from sqlalchemy import delete, func, insert, or_, select, update
from sqlalchemy.engine import RowMapping
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

from adapters.sql.tables import users
from adapters.sql.text import contains
from application.uow import UnitOfWorkBase
from domain.identity import EmailTaken, Role, User, UsernameTaken


def _to_user(row: RowMapping) -> User:
    return User(
        id=row["id"],
        email=row["email"],
        username=row["username"],
        password_hash=row["password_hash"],
        created_at=row["created_at"],
        full_name=row["full_name"],
        role=Role(row["role"]),
        is_active=row["is_active"],
        is_verified=row["is_verified"],
    )


def _values(user: User) -> dict[str, Any]:
    return {
        "email": user.email,
        "username": user.username,
        "password_hash": user.password_hash,
        "full_name": user.full_name,
        "role": user.role.value,
        "is_active": user.is_active,
        "is_verified": user.is_verified,
    }


class SqlUserRepository:
    def __init__(self, conn: AsyncConnection, uow: UnitOfWorkBase) -> None:
        self._conn = conn
        self._uow = uow

    async def _one(self, *where: Any, lock: bool = False) -> User | None:
        query = select(users).where(*where)
        if lock:
            query = query.with_for_update()
        row = (await self._conn.execute(query)).mappings().first()
        if row is None:
            return None
        user = _to_user(row)
        self._uow.track(user)
        return user

    async def get(self, user_id: UUID, *, lock: bool = False) -> User | None:
        return await self._one(users.c.id == user_id, lock=lock)

    async def get_by_email(self, email: str) -> User | None:
        return await self._one(users.c.email == email)

    async def email_exists(self, email: str) -> bool:
        query = select(users.c.id).where(users.c.email == email)
        return (await self._conn.execute(query)).first() is not None

    async def username_exists(self, username: str, *, exclude: UUID | None = None) -> bool:
        query = select(users.c.id).where(func.lower(users.c.username) == username.lower())
        if exclude is not None:
            query = query.where(users.c.id != exclude)
        return (await self._conn.execute(query)).first() is not None

    async def add(self, user: User) -> None:
        values = _values(user) | {"id": user.id, "created_at": user.created_at, "updated_at": user.created_at}
        try:
            async with self._conn.begin_nested():
                await self._conn.execute(insert(users).values(values))
        except IntegrityError as exc:
            if "email" in str(exc.orig).lower():
                raise EmailTaken(f"{user.email} is already registered") from None
            raise UsernameTaken(f"{user.username} is taken") from None
        self._uow.track(user)

    async def update(self, user: User) -> None:
        values = _values(user) | {"updated_at": func.now()}
        try:
            async with self._conn.begin_nested():
                await self._conn.execute(update(users).where(users.c.id == user.id).values(values))
        except IntegrityError as exc:
            if "email" in str(exc.orig).lower():
                raise EmailTaken(f"{user.email} is already registered") from None
            raise UsernameTaken(f"{user.username} is taken") from None

    async def delete(self, user_id: UUID) -> None:
        await self._conn.execute(delete(users).where(users.c.id == user_id))

    async def count_active_admins(self, *, lock: bool = False) -> int:
        query = select(users.c.id).where(users.c.role == Role.ADMIN.value, users.c.is_active.is_(True))
        if lock:  # in id order: every writer locks admin rows the same way
            query = query.order_by(users.c.id).with_for_update()
        return len((await self._conn.execute(query)).all())

    async def search(
        self, *, q: str | None, role: Role | None, is_active: bool | None, limit: int, offset: int
    ) -> tuple[Sequence[User], int]:
        where: list[Any] = []
        if q:
            where.append(or_(contains(users.c.email, q), contains(users.c.username, q)))
        if role is not None:
            where.append(users.c.role == role.value)
        if is_active is not None:
            where.append(users.c.is_active.is_(is_active))
        total = (await self._conn.execute(select(func.count()).select_from(users).where(*where))).scalar_one()
        query = select(users).where(*where).order_by(users.c.created_at.desc(), users.c.id).limit(limit).offset(offset)
        rows = (await self._conn.execute(query)).mappings().all()
        return [_to_user(row) for row in rows], total
